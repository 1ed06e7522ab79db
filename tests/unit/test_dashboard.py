"""The stack dashboard under Pulumi mocks: widgets per service from resolved names, layout and CloudWatch limits."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pytest

from lambdakit.dashboard import (
    MAX_WIDGETS,
    DashboardServiceArgs,
    LambdaDashboard,
    create_dashboard,
    dashboard_body,
    validate_dashboard,
)

DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
COMPONENT = "lambdakit:index:LambdaDashboard"
ALARM_ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:order-processor-test-live-error-rate"

SERVICES: list[DashboardServiceArgs] = [
    {
        "title": "order-processor",
        "function_name": "order-processor-test",
        "dlq_queue_name": "order-processor-dlq",
        "alarm_arns": [ALARM_ARN],
    },
    {"title": "user-analytics", "function_name": "user-analytics-test", "alias_name": "prod", "has_streams": True},
]


def body_of(deployed: Any) -> dict[str, Any]:
    return json.loads(deployed.one(DASHBOARD).inputs["dashboardBody"])


def metric_names(widgets: list[dict[str, Any]]) -> set[str]:
    return {m[1] for w in widgets if w["type"] == "metric" for m in w["properties"]["metrics"]}


def test_lambda_dashboard_component_registers_a_dashboard_named_after_the_stack(deploy: Any) -> None:
    deployed = deploy(lambda: LambdaDashboard("lambdakit", {"services": SERVICES}))
    component = deployed.one(COMPONENT, "lambdakit")
    dashboard = deployed.one(DASHBOARD)
    assert dashboard.parent == component.urn, f"{dashboard.urn} should be parented to the component"
    assert dashboard.inputs["dashboardName"] == "lambdakit-test"


def test_each_service_gets_its_key_metrics_on_its_alias(deploy: Any) -> None:
    deployed = deploy(lambda: LambdaDashboard("lambdakit", {"services": SERVICES}))
    widgets = body_of(deployed)["widgets"]
    titles = [w["properties"]["markdown"] for w in widgets if w["type"] == "text"]
    assert titles == [
        "## order-processor — `order-processor-test:live`",
        "## user-analytics — `user-analytics-test:prod`",
    ]
    orders = [w for w in widgets if "order-processor" in json.dumps(w)]
    analytics = [w for w in widgets if "user-analytics" in json.dumps(w)]
    base = {"Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"}
    assert metric_names(orders) == base | {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"}
    assert metric_names(analytics) == base | {"IteratorAge"}
    invocations = next(w for w in orders if w["properties"].get("title") == "Invocations and errors")
    assert invocations["properties"]["metrics"][0] == [
        "AWS/Lambda",
        "Invocations",
        "FunctionName",
        "order-processor-test",
        "Resource",
        "order-processor-test:live",
    ], "metrics are read on the alias"
    duration = next(w for w in orders if w["properties"].get("title", "").startswith("Duration"))
    assert [m[-1]["stat"] for m in duration["properties"]["metrics"]] == ["p50", "p99"]
    alarms = [w for w in widgets if w["type"] == "alarm"]
    assert len(alarms) == 1 and alarms[0]["properties"]["alarms"] == [ALARM_ARN]
    for widget in widgets:
        if widget["type"] == "metric":
            assert widget["properties"]["region"] == "us-east-1", widget["properties"]["title"]


def test_names_that_are_outputs_are_resolved_into_the_body(deploy: Any) -> None:
    services: list[DashboardServiceArgs] = [
        {
            "title": "email-sender",
            "function_name": pulumi.Output.from_input("email-sender-test"),
            "dlq_queue_name": pulumi.Output.from_input("email-dlq"),
            "alarm_arns": [pulumi.Output.from_input(ALARM_ARN)],
        }
    ]
    deployed = deploy(lambda: create_dashboard(validate_dashboard("ops", services)))
    body = deployed.one(DASHBOARD).inputs["dashboardBody"]
    assert "email-sender-test:live" in body and "email-dlq" in body and ALARM_ARN in body
    assert deployed.one(DASHBOARD).inputs["dashboardName"] == "ops-test"


def test_widgets_sit_on_a_24_column_grid_without_overlapping() -> None:
    widgets = json.loads(dashboard_body(SERVICES, "eu-west-1"))["widgets"]
    cells: set[tuple[int, int]] = set()
    for widget in widgets:
        assert widget["x"] + widget["width"] <= 24, widget
        for x in range(widget["x"], widget["x"] + widget["width"]):
            for y in range(widget["y"], widget["y"] + widget["height"]):
                assert (x, y) not in cells, f"widget {widget.get('properties', {}).get('title')} overlaps at {(x, y)}"
                cells.add((x, y))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"services": []}, r"ops: services must list at least one service, got \[\]"),
        ({"services": [{"function_name": "f"}]}, r"ops: services\[0\]\.title is required"),
        (
            {"services": [{"title": "t", "function_name": "f", "dlq": "q"}]},
            r"services\[0\] has an unknown setting 'dlq'",
        ),
        (
            {"services": SERVICES, "dashboard_name": "ops dashboard"},
            r"dashboard_name must be 1-255 characters .*got 'ops dashboard'",
        ),
        ({"services": SERVICES, "period_seconds": 90}, r"period_seconds must be a multiple of 60, got 90"),
        (
            {"services": [{"title": f"s{i}", "function_name": f"f{i}"} for i in range(101)]},
            rf"would hold 505 widgets for 101 services; CloudWatch allows at most {MAX_WIDGETS}",
        ),
    ],
)
def test_invalid_dashboard_input_fails_before_anything_is_registered(
    deploy_error: Any, kwargs: dict[str, Any], message: str
) -> None:
    error, deployed = deploy_error(lambda: LambdaDashboard("ops", kwargs))  # type: ignore[arg-type]
    assert isinstance(error, ValueError | TypeError), f"unexpected {type(error).__name__}: {error}"
    assert re.search(message, str(error)), f"{message!r} not in {error}"
    assert deployed.run.registrations == [], [r.urn for r in deployed.run.registrations]


def test_a_hundred_plain_services_fit_on_one_dashboard() -> None:
    validate_dashboard("ops", [{"title": f"s{i}", "function_name": f"f{i}"} for i in range(100)])

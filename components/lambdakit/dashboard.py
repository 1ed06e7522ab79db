"""A CloudWatch dashboard per stack with each service's key metrics.

Per service: a title row, then invocations and errors, throttles, duration p50/p99, concurrent executions, and,
where they apply, iterator age (stream sources), dead-letter-queue depth and age, and the service's alarms. Metrics
are read on the alias (``Resource = "<function>:<alias>"``) like the alarms, so the dashboard shows what callers see.
"""

# No `from __future__ import annotations`: Pulumi's component schema inference reads these TypedDicts'
# annotations at run time and does not resolve string annotations.

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .triggers import check_bool, check_int, check_mapping, check_sequence, check_str, opt
from .validation import ValidationError

__all__ = [
    "MAX_WIDGETS",
    "DashboardService",
    "DashboardServiceArgs",
    "LambdaDashboard",
    "LambdaDashboardArgs",
    "create_dashboard",
    "dashboard_body",
    "validate_dashboard",
]

#: CloudWatch: a dashboard body holds 0-500 widgets (Dashboard Body Structure; CloudWatch quotas). Each graph here
#: carries at most two metrics, far below the 500 metrics a graph widget may hold.
MAX_WIDGETS = 500
#: PutDashboard: names are at most 255 characters of A-Z, a-z, 0-9, "-" and "_".
_DASHBOARD_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
_GRID = 24
_WIDTH, _HEIGHT = 8, 6


class DashboardServiceArgs(TypedDict):
    """One service on the dashboard."""

    title: str
    """Heading of the service's row, usually the service name. Required; no default."""
    function_name: pulumi.Input[str]
    """Name of the function. Required; no default."""
    alias_name: NotRequired[pulumi.Input[str]]
    """Alias whose metrics are shown. Defaults to ``live``."""
    has_streams: NotRequired[bool]
    """Show the iterator age of stream sources. Defaults to False."""
    dlq_queue_name: NotRequired[pulumi.Input[str]]
    """Name of the service's SQS dead-letter queue, to show its depth and age. Defaults to none (no DLQ widget)."""
    alarm_arns: NotRequired[Sequence[pulumi.Input[str]]]
    """ARNs of the service's alarms, shown as an alarm-status widget. Defaults to none (no alarm widget)."""


DashboardService = DashboardServiceArgs
"""Alias used by ``create_dashboard``'s signature."""


class LambdaDashboardArgs(TypedDict):
    """Inputs of the LambdaDashboard component."""

    services: Sequence[DashboardServiceArgs]
    """The services to show, in order. Required; no default."""
    dashboard_name: NotRequired[str]
    """Name of the CloudWatch dashboard (A-Z, a-z, 0-9, '-', '_'; at most 255). Defaults to
    ``<resource name>-<stack>``."""
    period_seconds: NotRequired[int]
    """Period of every graph in seconds, a multiple of 60. Defaults to 60."""


def _widget_count(service: Mapping[str, Any]) -> int:
    return (
        1  # title row
        + 4  # invocations/errors, throttles, duration, concurrency
        + (1 if service.get("has_streams") else 0)
        + (1 if service.get("dlq_queue_name") is not None else 0)
        + (1 if service.get("alarm_arns") else 0)
    )


def validate_dashboard(
    name: str, services: object, *, dashboard_name: object = None, period_seconds: object = 60
) -> None:
    """Check the dashboard's inputs against CloudWatch's limits; raise naming the field and value."""
    check_str(name, "dashboard_name", dashboard_name)
    if isinstance(dashboard_name, str) and not _DASHBOARD_NAME.fullmatch(dashboard_name):
        raise ValidationError(
            f"{name}: dashboard_name must be 1-255 characters of A-Z, a-z, 0-9, '-' and '_', got {dashboard_name!r}"
        )
    check_int(name, "period_seconds", period_seconds, 60, None, "seconds")
    if isinstance(period_seconds, int) and period_seconds % 60:
        raise ValidationError(f"{name}: period_seconds must be a multiple of 60, got {period_seconds}")
    entries = check_sequence(name, "services", services)
    if not entries:
        raise ValidationError(f"{name}: services must list at least one service, got []")
    for i, service in enumerate(entries):
        path = f"services[{i}]"
        check_mapping(name, path, service, DashboardServiceArgs)
        check_str(name, f"{path}.title", service["title"])
        check_str(name, f"{path}.function_name", service["function_name"])
        check_bool(name, f"{path}.has_streams", service.get("has_streams"))
        if service.get("alarm_arns") is not None:
            check_sequence(name, f"{path}.alarm_arns", service["alarm_arns"])
    widgets = sum(_widget_count(s) for s in entries)
    if widgets > MAX_WIDGETS:
        raise ValidationError(
            f"{name}: the dashboard would hold {widgets} widgets for {len(entries)} services; CloudWatch allows at "
            f"most {MAX_WIDGETS} per dashboard: split the services over several dashboards"
        )


def dashboard_body(services: Sequence[Mapping[str, Any]], region: str, period: int = 60) -> str:
    """The dashboard body (JSON) for services whose names are plain strings (resolved Outputs)."""
    widgets: list[dict[str, Any]] = []
    y = 0
    for service in services:
        fn = service["function_name"]
        alias = service.get("alias_name") or "live"
        dims = ["FunctionName", fn, "Resource", f"{fn}:{alias}"]
        widgets.append(
            {
                "type": "text",
                "x": 0,
                "y": y,
                "width": _GRID,
                "height": 1,
                "properties": {"markdown": f"## {service['title']} — `{fn}:{alias}`"},
            }
        )
        y += 1

        def graph(title: str, metrics: list[list[Any]], stat: str, **extra: Any) -> dict[str, Any]:
            return {
                "type": "metric",
                "properties": {
                    "title": title,
                    "region": region,
                    "view": "timeSeries",
                    "stat": stat,
                    "period": period,
                    "metrics": metrics,
                    **extra,
                },
            }

        graphs = [
            graph(
                "Invocations and errors",
                [["AWS/Lambda", "Invocations", *dims], ["AWS/Lambda", "Errors", *dims, {"color": "#d62728"}]],
                "Sum",
            ),
            graph("Throttles", [["AWS/Lambda", "Throttles", *dims]], "Sum"),
            graph(
                "Duration p50 / p99 (ms)",
                [
                    ["AWS/Lambda", "Duration", *dims, {"stat": "p50"}],
                    ["AWS/Lambda", "Duration", *dims, {"stat": "p99"}],
                ],
                "p99",
            ),
            graph("Concurrent executions", [["AWS/Lambda", "ConcurrentExecutions", "FunctionName", fn]], "Maximum"),
        ]
        if service.get("has_streams"):
            graphs.append(graph("Iterator age (ms)", [["AWS/Lambda", "IteratorAge", *dims]], "Maximum"))
        dlq = service.get("dlq_queue_name")
        if dlq is not None:
            graphs.append(
                graph(
                    "DLQ depth and oldest message age (s)",
                    [
                        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dlq],
                        ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", dlq, {"yAxis": "right"}],
                    ],
                    "Maximum",
                )
            )
        arns = list(service.get("alarm_arns") or [])
        if arns:
            graphs.append({"type": "alarm", "properties": {"title": "Alarms", "alarms": arns}})
        for k, widget in enumerate(graphs):
            widget.update({"x": (k % 3) * _WIDTH, "y": y + (k // 3) * _HEIGHT, "width": _WIDTH, "height": _HEIGHT})
            widgets.append(widget)
        y += ((len(graphs) + 2) // 3) * _HEIGHT
    return json.dumps({"start": "-PT3H", "periodOverride": "inherit", "widgets": widgets}, ensure_ascii=False)


def _resolved(services: Sequence[Mapping[str, Any]]) -> pulumi.Output[list[dict[str, Any]]]:
    """The services with their Output fields (names, alarm ARNs) resolved."""
    return pulumi.Output.all(
        *[
            pulumi.Output.all(
                title=s["title"],
                function_name=s["function_name"],
                alias_name=opt(s, "alias_name", "live"),
                has_streams=bool(opt(s, "has_streams", False)),
                dlq_queue_name=s.get("dlq_queue_name"),
                alarm_arns=pulumi.Output.all(*(s.get("alarm_arns") or [])),
            )
            for s in services
        ]
    ).apply(lambda resolved: [dict(r) for r in resolved])


def create_dashboard(
    name: str,
    services: Sequence[DashboardService],
    parent: pulumi.Resource | None = None,
    *,
    dashboard_name: str | None = None,
    period_seconds: int = 60,
) -> "aws.cloudwatch.Dashboard":
    """Register a CloudWatch dashboard ``name`` with a row of widgets per service (validated first)."""
    validate_dashboard(name, services, dashboard_name=dashboard_name, period_seconds=period_seconds)
    region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=parent)).region
    body = pulumi.Output.all(_resolved(services), region).apply(
        lambda values: dashboard_body(values[0], values[1], period_seconds)
    )
    return aws.cloudwatch.Dashboard(
        name,
        dashboard_name=dashboard_name or f"{name}-{pulumi.get_stack()}",
        dashboard_body=body,
        opts=pulumi.ResourceOptions(parent=parent),
    )


class LambdaDashboard(pulumi.ComponentResource):
    """A CloudWatch dashboard with the key metrics of a stack's Lambda services."""

    dashboard_name: pulumi.Output[str]
    """Name of the CloudWatch dashboard."""
    dashboard_arn: pulumi.Output[str]
    """ARN of the CloudWatch dashboard."""

    def __init__(self, name: str, args: LambdaDashboardArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        validate_dashboard(
            name,
            args.get("services"),
            dashboard_name=args.get("dashboard_name"),
            period_seconds=opt(args, "period_seconds", 60),
        )
        super().__init__("lambdakit:index:LambdaDashboard", name, None, opts)
        dashboard = create_dashboard(
            f"{name}-dashboard",
            args["services"],
            parent=self,
            dashboard_name=args.get("dashboard_name") or f"{name}-{pulumi.get_stack()}",
            period_seconds=opt(args, "period_seconds", 60),
        )
        self.dashboard_name = dashboard.dashboard_name
        self.dashboard_arn = dashboard.dashboard_arn
        self.register_outputs({"dashboard_name": self.dashboard_name, "dashboard_arn": self.dashboard_arn})

"""A CloudWatch dashboard per stack with each service's key metrics.

Per service: a title row, then invocations and errors, throttles, duration p50/p99, concurrent executions, and,
where they apply, iterator age (stream sources), dead-letter-queue depth and age, and the service's alarms. Metrics
are read on the alias (``Resource = "<function>:<alias>"``) like the alarms, so the dashboard shows what callers see.
"""

# No `from __future__ import annotations`: Pulumi's component schema inference reads these TypedDicts'
# annotations at run time and does not resolve string annotations.

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits
from .validation import Field, ValidationError, is_unknown, optional

__all__ = [
    "MAX_WIDGETS",
    "DashboardPlan",
    "DashboardServiceArgs",
    "DashboardServicePlan",
    "LambdaDashboard",
    "LambdaDashboardArgs",
    "create_dashboard",
    "dashboard_body",
    "validate_dashboard",
]

#: Each graph here carries at most two metrics, far below the 500 metrics a graph widget may hold; the dashboard's
#: own limit is on widgets.
MAX_WIDGETS = limits.DASHBOARD_MAX_WIDGETS
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


class LambdaDashboardArgs(TypedDict):
    """Inputs of the LambdaDashboard component."""

    services: Sequence[DashboardServiceArgs]
    """The services to show, in order. Required; no default."""
    dashboard_name: NotRequired[str]
    """Name of the CloudWatch dashboard (A-Z, a-z, 0-9, '-', '_'; at most 255). Defaults to
    ``<resource name>-<stack>``."""
    period_seconds: NotRequired[int]
    """Period of every graph in seconds, a multiple of 60. Defaults to 60."""


def _widget_count(service: "DashboardServicePlan") -> int:
    return (
        1  # title row
        + 4  # invocations/errors, throttles, duration, concurrency
        + (1 if service.has_streams else 0)
        + (1 if service.dlq_queue_name is not None else 0)
        + (1 if service.alarm_arns is not None and (is_unknown(service.alarm_arns) or service.alarm_arns) else 0)
    )


@dataclass(frozen=True)
class DashboardServicePlan:
    """One service's row, checked and defaulted."""

    title: str
    function_name: Any
    alias_name: Any
    has_streams: bool
    dlq_queue_name: Any
    #: The alarm ARNs (a list, or an Output of one such as ``LambdaService.alarm_arns``), or None for no widget.
    alarm_arns: Any


@dataclass(frozen=True)
class DashboardPlan:
    """A dashboard: its resource name, physical name, graph period and rows."""

    name: str
    dashboard_name: str
    period_seconds: int
    services: tuple[DashboardServicePlan, ...]


def _alarm_arn(field: Field, arn: Any) -> Any:
    return field.arn(arn, ("cloudwatch",), what="CloudWatch alarm ARN")


def _service(field: Field, raw: Any) -> DashboardServicePlan:
    service = field.mapping(raw, DashboardServiceArgs)
    arns = service.get("alarm_arns")
    dlq = service.get("dlq_queue_name")
    return DashboardServicePlan(
        title=field.key("title").string(service["title"], max_len=256, plain=True),
        function_name=field.key("function_name").string(
            service["function_name"],
            max_len=limits.FUNCTION_NAME_MAX,
            pattern=limits.FUNCTION_NAME_RE,
            what="a function name (letters, digits, '-' and '_')",
        ),
        alias_name=field.key("alias_name").string(
            optional(service, "alias_name", "live"),
            max_len=limits.ALIAS_NAME_MAX,
            pattern=limits.ALIAS_NAME_RE,
            what="an alias name (letters, digits, '-' and '_', not only digits)",
        ),
        has_streams=field.key("has_streams").boolean(optional(service, "has_streams", False)),
        dlq_queue_name=None if dlq is None else field.key("dlq_queue_name").string(dlq, max_len=80),
        alarm_arns=None if arns is None else field.key("alarm_arns").items(arns, _alarm_arn),
    )


def validate_dashboard(
    name: str,
    services: object,
    *,
    dashboard_name: object = None,
    period_seconds: object = 60,
    resource_name: str | None = None,
) -> DashboardPlan:
    """The dashboard's inputs -> its plan, checked against CloudWatch's limits; raise naming ``name``, the field and
    the value. The dashboard resource is ``resource_name`` (default ``name``), its physical name ``dashboard_name``
    (default ``<name>-<stack>``)."""
    root = Field(name)
    physical = root.key("dashboard_name").string(
        f"{name}-{pulumi.get_stack()}" if dashboard_name is None else dashboard_name,
        pattern=limits.DASHBOARD_NAME_RE,
        what="1-255 characters of A-Z, a-z, 0-9, '-' and '_'",
        plain=True,
    )
    period = root.key("period_seconds").integer(
        60 if period_seconds is None else period_seconds, limits.Range(60, math.inf, "seconds"), plain=True
    )
    if period % limits.METRIC_PERIOD_S:
        raise root.key("period_seconds").fail(f"must be a multiple of 60, got {period}")
    entries = root.key("services").sequence(services, what="a list of services")
    if not entries:
        raise root.key("services").fail("must list at least one service, got []")
    plans = tuple(_service(root.key("services").index(i), s) for i, s in enumerate(entries))
    widgets = sum(_widget_count(s) for s in plans)
    if widgets > MAX_WIDGETS:
        raise ValidationError(
            f"{name}: the dashboard would hold {widgets} widgets for {len(plans)} services; CloudWatch allows at "
            f"most {MAX_WIDGETS} per dashboard: split the services over several dashboards"
        )
    return DashboardPlan(resource_name or name, physical, period, plans)


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


def _resolved(services: Sequence[DashboardServicePlan]) -> pulumi.Output[list[dict[str, Any]]]:
    """The services with their Output fields (names, alarm ARNs) resolved."""
    return pulumi.Output.all(
        *[
            pulumi.Output.all(
                title=s.title,
                function_name=s.function_name,
                alias_name=s.alias_name,
                has_streams=s.has_streams,
                dlq_queue_name=s.dlq_queue_name,
                alarm_arns=s.alarm_arns if s.alarm_arns is not None else [],
            )
            for s in services
        ]
    ).apply(lambda resolved: [dict(r) for r in resolved])


def create_dashboard(plan: DashboardPlan, parent: pulumi.Resource | None = None) -> "aws.cloudwatch.Dashboard":
    """Register the planned CloudWatch dashboard with a row of widgets per service."""
    region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=parent)).region
    body = pulumi.Output.all(_resolved(plan.services), region).apply(
        lambda values: dashboard_body(values[0], values[1], plan.period_seconds)
    )
    return aws.cloudwatch.Dashboard(
        plan.name,
        dashboard_name=plan.dashboard_name,
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
        # Everything is validated before the component registers itself, so bad input leaves nothing behind.
        a = Field(name).mapping(args, LambdaDashboardArgs)
        plan = validate_dashboard(
            name,
            a["services"],
            dashboard_name=a.get("dashboard_name"),
            period_seconds=a.get("period_seconds"),
            resource_name=f"{name}-dashboard",
        )
        super().__init__("lambdakit:index:LambdaDashboard", name, None, opts)
        dashboard = create_dashboard(plan, parent=self)
        self.dashboard_name = dashboard.dashboard_name
        self.dashboard_arn = dashboard.dashboard_arn
        self.register_outputs({"dashboard_name": self.dashboard_name, "dashboard_arn": self.dashboard_arn})

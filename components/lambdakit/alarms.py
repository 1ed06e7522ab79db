"""CloudWatch alarms for a ``LambdaService``: sensible production defaults that can be tuned or turned off.

Function alarms read the alias's metrics (dimensions ``FunctionName`` + ``Resource = "<function>:<alias>"``), so
they watch what callers and triggers actually invoke, across a canary's traffic split. Alarm ARNs are component
outputs (``alarm_arns``), which the canary controller reads to decide whether to roll back.

Defaults (each can be tuned through :class:`AlarmTuningArgs` or turned off with ``enabled: False``):

=================  ======================================================  ==========  =====================
alarm              metric                                                  threshold   window
=================  ======================================================  ==========  =====================
error_rate         Errors / Invocations (metric math, 0 when idle)         > 0.01      3 of 3 x 60 s
throttles          Throttles, Sum                                          > 0         3 of 3 x 60 s
duration           Duration p99 vs share of the timeout                    > 0.8       3 of 3 x 60 s
concurrency        ConcurrentExecutions, Maximum vs share of reserved      > 0.8       3 of 3 x 60 s
iterator_age       IteratorAge, Maximum (stream sources only)              > 60 s      3 of 3 x 60 s
offset_lag         OffsetLag, Maximum (Kafka sources only), in records     > 1000      3 of 3 x 60 s
dlq_age            SQS ApproximateAgeOfOldestMessage, Maximum (DLQ only)   > 0 s       1 of 1 x 60 s
dlq_depth          SQS ApproximateNumberOfMessagesVisible, Maximum         > 0         1 of 1 x 60 s
spillover          ProvisionedConcurrencySpilloverInvocations, Sum         > 0         3 of 3 x 60 s
=================  ======================================================  ==========  =====================

Function alarms wait for three breaching minutes so a single blip does not page; a message in a dead-letter queue
is already a lost event, so the DLQ alarms fire on the first minute. Missing data is ``notBreaching``: an idle
function is healthy.
"""

# No `from __future__ import annotations`: Pulumi's component schema inference reads these TypedDicts'
# annotations at run time and does not resolve string annotations.

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits
from .validation import Field, optional

__all__ = [
    "ALARM_KINDS",
    "AlarmPlan",
    "AlarmTarget",
    "AlarmTuningArgs",
    "AlarmsArgs",
    "AlarmsPlan",
    "alarm_arns",
    "create_alarms",
    "validate_alarms",
]


class AlarmTuningArgs(TypedDict):
    """Tuning for one alarm; every field is optional and falls back to that alarm's default (see AlarmsArgs)."""

    enabled: NotRequired[bool]
    """Whether to create the alarm. Defaults to True wherever the alarm applies (e.g. iterator_age only with a stream
    source); False turns it off; True where it cannot apply is an error."""
    threshold: NotRequired[float]
    """The value the alarm compares against with ``>``; its unit depends on the alarm (see AlarmsArgs). Defaults to
    the alarm's default listed in AlarmsArgs."""
    period_seconds: NotRequired[int]
    """Length of one evaluation period in seconds, a multiple of 60 (Lambda and SQS publish one-minute metrics).
    Defaults to 60."""
    evaluation_periods: NotRequired[int]
    """How many recent periods are evaluated (the N of "M out of N"). Defaults to 3 for function alarms and 1 for
    DLQ alarms."""
    datapoints_to_alarm: NotRequired[int]
    """How many of those periods must breach (the M of "M out of N"), 1 to evaluation_periods. Defaults to
    evaluation_periods."""


class AlarmsArgs(TypedDict):
    """The service's CloudWatch alarms."""

    enabled: NotRequired[bool]
    """Whether to create any alarms. Defaults to True."""
    alarm_topic_arn: NotRequired[pulumi.Input[str]]
    """ARN of the SNS topic notified when an alarm fires (and when it recovers, see notify_ok). Defaults to none:
    the alarms change state without notifying anyone."""
    notify_ok: NotRequired[bool]
    """Also notify the topic when an alarm returns to OK. Defaults to True."""
    error_rate: NotRequired[AlarmTuningArgs]
    """Errors / Invocations on the alias (metric math; 0 when there are no invocations); threshold is a fraction in
    (0, 1). Defaults to on, threshold 0.01 (1% of invocations), 3 of 3 periods of 60 s."""
    throttles: NotRequired[AlarmTuningArgs]
    """Throttled invocations on the alias (Sum); threshold is a count >= 0. Defaults to on, threshold 0, 3 of 3
    periods of 60 s."""
    duration: NotRequired[AlarmTuningArgs]
    """p99 Duration on the alias against a share of the function's timeout; threshold is that share in (0, 1].
    Defaults to on, threshold 0.8 (80% of the timeout), 3 of 3 periods of 60 s."""
    concurrency: NotRequired[AlarmTuningArgs]
    """ConcurrentExecutions (Maximum) against a share of the reserved concurrency; threshold is that share in
    (0, 1]. Defaults to on when reserved concurrency is set, threshold 0.8, 3 of 3 periods of 60 s."""
    iterator_age: NotRequired[AlarmTuningArgs]
    """IteratorAge (Maximum) on the alias for stream sources; threshold is in seconds, > 0. Defaults to on when the
    service has a Kinesis or DynamoDB stream source, threshold 60 s, 3 of 3 periods of 60 s."""
    offset_lag: NotRequired[AlarmTuningArgs]
    """OffsetLag (Maximum) on the alias for Amazon MSK and self-managed Kafka sources: how many records the
    function's consumer group is behind the newest record of its topics (a count of records, not a time); threshold
    is a record count > 0. Defaults to on when the service has a Kafka source, threshold 1000 records, 3 of 3 periods
    of 60 s."""
    dlq_age: NotRequired[AlarmTuningArgs]
    """ApproximateAgeOfOldestMessage (Maximum) of the service's dead-letter queue; threshold is in seconds, >= 0.
    Defaults to on when the service has a DLQ, threshold 0 s, 1 of 1 period of 60 s."""
    dlq_depth: NotRequired[AlarmTuningArgs]
    """ApproximateNumberOfMessagesVisible (Maximum) of the service's dead-letter queue; threshold is a message count
    >= 0. Defaults to on when the service has a DLQ, threshold 0, 1 of 1 period of 60 s."""
    spillover: NotRequired[AlarmTuningArgs]
    """ProvisionedConcurrencySpilloverInvocations (Sum) on the alias: invocations that found no provisioned
    instance; threshold is a count >= 0. Defaults to on when provisioned concurrency is set, threshold 0, 3 of 3
    periods of 60 s."""


@dataclass(frozen=True)
class _Default:
    threshold: float
    evaluation_periods: int
    bounds: limits.Range
    applies_to: str  # "function", "reserved", "streams", "kafka", "dlq", "pc"


_INF = math.inf
_DEFAULTS: dict[str, _Default] = {
    "error_rate": _Default(0.01, 3, limits.Range(0, 1, "(a fraction of invocations)", True, True), "function"),
    "throttles": _Default(0, 3, limits.Range(0, _INF, "throttled invocations"), "function"),
    "duration": _Default(0.8, 3, limits.Range(0, 1, "(a share of the timeout)", low_open=True), "function"),
    "concurrency": _Default(0.8, 3, limits.Range(0, 1, "(a share of reserved concurrency)", low_open=True), "reserved"),
    "iterator_age": _Default(60, 3, limits.Range(0, _INF, "seconds", low_open=True), "streams"),
    "offset_lag": _Default(1000, 3, limits.Range(0, _INF, "records", low_open=True), "kafka"),
    "dlq_age": _Default(0, 1, limits.Range(0, _INF, "seconds"), "dlq"),
    "dlq_depth": _Default(0, 1, limits.Range(0, _INF, "messages"), "dlq"),
    "spillover": _Default(0, 3, limits.Range(0, _INF, "invocations"), "pc"),
}
#: Every alarm kind, in the order alarms are created.
ALARM_KINDS: tuple[str, ...] = tuple(_DEFAULTS)
DEFAULT_PERIOD_SECONDS = limits.METRIC_PERIOD_S
_NOT_APPLICABLE = {
    "reserved": "the service has no reserved concurrency",
    "streams": "the service has no stream source",
    "kafka": "the service has no Kafka source",
    "dlq": "the service has no dead-letter queue",
    "pc": "the service has no provisioned concurrency",
}


@dataclass(frozen=True)
class AlarmPlan:
    """One alarm that applies and is on, with its resolved tuning."""

    kind: str
    threshold: float
    period_seconds: int
    evaluation_periods: int
    datapoints_to_alarm: int


@dataclass(frozen=True)
class AlarmsPlan:
    """The service's alarms: who is notified and each alarm that will be created, in :data:`ALARM_KINDS` order."""

    service: str
    alarm_topic_arn: Any
    notify_ok: bool
    #: The function's timeout in seconds (the duration alarm's reference; may be an Output).
    timeout: Any
    #: The reserved concurrency (the concurrency alarm's reference), or None.
    reserved_concurrency: Any
    alarms: tuple[AlarmPlan, ...]


def _has_reserved(reserved_concurrency: object) -> bool:
    # Reserved concurrency 0 switches the function off; every invocation is throttled, which the throttles alarm
    # reports, and "80% of 0" would alarm on nothing else.
    return reserved_concurrency is not None and reserved_concurrency != 0


def _tuning(field: Field, kind: str, raw: Any) -> AlarmPlan | None:
    """One alarm's tuning -> its plan, or None when it is turned off."""
    default = _DEFAULTS[kind]
    tuning = field.mapping(raw, AlarmTuningArgs)
    enabled = field.key("enabled").boolean(optional(tuning, "enabled", True))
    threshold = field.key("threshold").number(
        optional(tuning, "threshold", default.threshold), default.bounds, plain=True
    )
    period = field.key("period_seconds").integer(
        optional(tuning, "period_seconds", DEFAULT_PERIOD_SECONDS), limits.Range(60, _INF, "seconds"), plain=True
    )
    periods = field.key("evaluation_periods").integer(
        optional(tuning, "evaluation_periods", default.evaluation_periods), limits.Range(1, _INF), plain=True
    )
    if period % limits.METRIC_PERIOD_S:
        raise field.key("period_seconds").fail(
            f"must be a multiple of 60 (Lambda and SQS publish one-minute metrics), got {period}"
        )
    window = limits.ALARM_WINDOW_SHORT_S if period < 3600 else limits.ALARM_WINDOW_LONG_S
    if period * periods > window:
        raise field.key("period_seconds").fail(
            f"x evaluation_periods must be at most {window} seconds for a {period}-second period, got {period} x "
            f"{periods} = {period * periods}"
        )
    datapoints = field.key("datapoints_to_alarm").integer(
        optional(tuning, "datapoints_to_alarm", periods), limits.Range(1, periods), plain=True
    )
    if not enabled:
        return None
    return AlarmPlan(kind, float(threshold), period, periods, datapoints)


def validate_alarms(
    service: str,
    args: Mapping[str, Any],
    *,
    timeout: Any,
    reserved_concurrency: Any,
    has_streams: bool,
    has_dlq: bool,
    has_provisioned_concurrency: bool,
    has_kafka: bool = False,
) -> AlarmsPlan:
    """The service's alarm settings -> their plan; raise ``ValueError``/``TypeError`` naming the field and value.

    ``args`` is the service's args (``alarms`` is read) or the AlarmsArgs mapping itself; without alarm settings the
    defaults apply. ``timeout`` and ``reserved_concurrency`` may be Outputs. Nothing is registered.
    """
    root = Field(service)
    raw = args.get("alarms", args)
    alarms = root.key("alarms").mapping({} if raw is None else raw, AlarmsArgs)
    field = root.key("alarms")
    enabled = field.key("enabled").boolean(optional(alarms, "enabled", True))
    notify_ok = field.key("notify_ok").boolean(optional(alarms, "notify_ok", True))
    topic = alarms.get("alarm_topic_arn")
    topic = None if topic is None else field.key("alarm_topic_arn").arn(topic, ("sns",), what="SNS ARN")
    applies = {
        "function": True,
        "reserved": _has_reserved(reserved_concurrency),
        "streams": has_streams,
        "kafka": has_kafka,
        "dlq": has_dlq,
        "pc": has_provisioned_concurrency,
    }
    planned: list[AlarmPlan] = []
    for kind, default in _DEFAULTS.items():
        given = alarms.get(kind)
        plan = _tuning(field.key(kind), kind, {} if given is None else given)
        if given is not None and given.get("enabled") is True and not applies[default.applies_to]:
            raise (
                field.key(kind)
                .key("enabled")
                .fail(
                    f"is True but {_NOT_APPLICABLE[default.applies_to]}; remove it or set it to False, got enabled True"
                )
            )
        if plan is not None and applies[default.applies_to]:
            planned.append(plan)
    return AlarmsPlan(
        service=service,
        alarm_topic_arn=topic,
        notify_ok=notify_ok,
        timeout=root.key("timeout").integer(timeout, limits.TIMEOUT_S),
        reserved_concurrency=None
        if reserved_concurrency is None
        else root.key("reserved_concurrency").integer(reserved_concurrency, limits.Range(0, _INF)),
        alarms=tuple(planned) if enabled else (),
    )


@dataclass
class AlarmTarget:
    """What the alarms watch, known once the service's resources exist."""

    function_name: pulumi.Input[str]
    """The function's name (the FunctionName dimension)."""
    alias_name: pulumi.Input[str]
    """The alias whose metrics are watched (Resource = "<function>:<alias>")."""
    dlq_queue_name: pulumi.Input[str] | None = None
    """Name of the service's SQS dead-letter queue, or None (no DLQ alarms)."""
    tags: Mapping[str, pulumi.Input[str]] | None = None
    """Tags for every alarm."""


#: Errors / Invocations; FILL turns missing datapoints into 0 and IF keeps an idle minute at 0 instead of
#: dividing by zero (which CloudWatch would drop, leaving the alarm in INSUFFICIENT_DATA).
ERROR_RATE_EXPRESSION = "IF(FILL(m_invocations, 0) > 0, FILL(m_errors, 0) / FILL(m_invocations, 0), 0)"


@dataclass(frozen=True)
class _Watch:
    """What a single-metric alarm watches, and how its threshold and description are made."""

    namespace: str
    metric: str
    #: ``Sum``/``Maximum``, or a percentile such as ``p99`` (an extended statistic).
    statistic: str
    #: ``alias`` (FunctionName + Resource), ``function`` (FunctionName) or ``queue`` (the DLQ's QueueName).
    dimensions: str
    #: Filled in with ``threshold``, ``resource`` (function:alias), ``function``, ``queue`` and ``service``.
    description: str
    #: The threshold in the metric's unit: ``threshold * scale``, times the reference when there is one.
    scale: float = 1
    reference: str | None = None  # "timeout" or "reserved"


_WATCHES: dict[str, _Watch] = {
    "throttles": _Watch("AWS/Lambda", "Throttles", "Sum", "alias", "Throttles (Sum) of {resource} is above {t:g}"),
    # Duration is in milliseconds, the timeout in seconds.
    "duration": _Watch(
        "AWS/Lambda", "Duration", "p99", "alias", "p99 duration of {resource} is above {t:.0%} of the timeout",
        1000, "timeout",
    ),
    # Reserved concurrency is a function-level setting, so it is compared with the function's metric.
    "concurrency": _Watch(
        "AWS/Lambda", "ConcurrentExecutions", "Maximum", "function",
        "Concurrent executions of {function} are above {t:.0%} of reserved concurrency", 1, "reserved",
    ),
    # IteratorAge is in milliseconds.
    "iterator_age": _Watch(
        "AWS/Lambda", "IteratorAge", "Maximum", "alias", "IteratorAge (Maximum) of {resource} is above {t:g} s", 1000
    ),
    # OffsetLag is a count of records; the mapping is on the alias, so the alias's dimensions carry it.
    "offset_lag": _Watch(
        "AWS/Lambda", "OffsetLag", "Maximum", "alias", "OffsetLag (Maximum) of {resource} is above {t:g} records"
    ),
    "dlq_age": _Watch(
        "AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", "queue",
        "Dead-letter queue {queue} of {service} holds failed events (ApproximateAgeOfOldestMessage)",
    ),
    "dlq_depth": _Watch(
        "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", "queue",
        "Dead-letter queue {queue} of {service} holds failed events (ApproximateNumberOfMessagesVisible)",
    ),
    "spillover": _Watch(
        "AWS/Lambda", "ProvisionedConcurrencySpilloverInvocations", "Sum", "alias",
        "ProvisionedConcurrencySpilloverInvocations (Sum) of {resource} is above {t:g}",
    ),
}  # fmt: skip


def _metric(
    metric_id: str, name: str, period: int, dims: Mapping[str, pulumi.Input[str]]
) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
    return aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id=metric_id,
        return_data=False,
        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
            namespace="AWS/Lambda", metric_name=name, stat="Sum", period=period, dimensions=dict(dims)
        ),
    )


def _scaled(value: pulumi.Input[int] | None, factor: float) -> pulumi.Output[float]:
    def scale(v: int) -> float:
        return round(v * factor, 3)

    return pulumi.Output.from_input(value).apply(scale)  # type: ignore[arg-type]


def _spec(plan: AlarmsPlan, alarm: AlarmPlan, target: AlarmTarget) -> dict[str, Any]:
    """The metric half of one alarm's arguments (what it watches and the threshold)."""
    fn, threshold = target.function_name, alarm.threshold
    resource = pulumi.Output.concat(fn, ":", target.alias_name)
    alias_dims: dict[str, pulumi.Input[str]] = {"FunctionName": fn, "Resource": resource}
    if alarm.kind == "error_rate":
        return {
            "alarm_description": pulumi.Output.concat(
                "More than ", f"{threshold:.2%}", " of invocations of ", resource, " failed"
            ),
            "threshold": threshold,
            "metric_queries": [
                _metric("m_errors", "Errors", alarm.period_seconds, alias_dims),
                _metric("m_invocations", "Invocations", alarm.period_seconds, alias_dims),
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="e_error_rate", expression=ERROR_RATE_EXPRESSION, label="Error rate", return_data=True
                ),
            ],
        }
    watch = _WATCHES[alarm.kind]
    dimensions = {"alias": alias_dims, "function": {"FunctionName": fn}, "queue": {"QueueName": target.dlq_queue_name}}
    names = {"resource": resource, "function": fn, "queue": target.dlq_queue_name or ""}
    references = {"timeout": plan.timeout, "reserved": plan.reserved_concurrency}
    statistic = (
        {"extended_statistic": watch.statistic} if watch.statistic.startswith("p") else {"statistic": watch.statistic}
    )
    return {
        "alarm_description": pulumi.Output.all(**names).apply(
            lambda values: watch.description.format(**values, t=threshold, service=plan.service)
        ),
        "namespace": watch.namespace,
        "metric_name": watch.metric,
        **statistic,
        "dimensions": dimensions[watch.dimensions],
        "period": alarm.period_seconds,
        "threshold": threshold * watch.scale
        if watch.reference is None
        else _scaled(references[watch.reference], watch.scale * threshold),
    }


def create_alarms(plan: AlarmsPlan, target: AlarmTarget, parent: pulumi.Resource) -> list[aws.cloudwatch.MetricAlarm]:
    """Register the planned alarms as children of ``parent``; returns them in :data:`ALARM_KINDS` order."""
    actions = [plan.alarm_topic_arn] if plan.alarm_topic_arn is not None else []
    ok_actions = actions if plan.notify_ok else []
    resource = pulumi.Output.concat(target.function_name, ":", target.alias_name)
    created: list[aws.cloudwatch.MetricAlarm] = []
    for alarm in plan.alarms:
        kind = alarm.kind.replace("_", "-")
        created.append(
            aws.cloudwatch.MetricAlarm(
                f"{plan.service}-alarm-{kind}",
                name=pulumi.Output.concat(resource.apply(lambda r: r.replace(":", "-")), "-", kind),
                comparison_operator="GreaterThanThreshold",
                evaluation_periods=alarm.evaluation_periods,
                datapoints_to_alarm=alarm.datapoints_to_alarm,
                treat_missing_data="notBreaching",
                alarm_actions=actions,
                ok_actions=ok_actions,
                tags=dict(target.tags) if target.tags else None,
                **_spec(plan, alarm, target),
                opts=pulumi.ResourceOptions(parent=parent),
            )
        )
    return created


def alarm_arns(alarms: Sequence[aws.cloudwatch.MetricAlarm]) -> pulumi.Output[list[str]]:
    """The alarms' ARNs as one Output (the component's ``alarm_arns`` output)."""
    return pulumi.Output.all(*[a.arn for a in alarms]).apply(list)

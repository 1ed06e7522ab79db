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

from .triggers import check_arn, check_bool, check_int, check_mapping, is_output, opt
from .validation import ValidationError

__all__ = [
    "ALARM_KINDS",
    "AlarmContext",
    "AlarmTuningArgs",
    "AlarmsArgs",
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
    #: (low, high, low inclusive, high inclusive, unit) for the threshold
    bounds: tuple[float, float, bool, bool, str]
    applies_to: str  # "function", "reserved", "streams", "dlq", "pc"


_INF = math.inf
_DEFAULTS: dict[str, _Default] = {
    "error_rate": _Default(0.01, 3, (0, 1, False, False, "(a fraction of invocations)"), "function"),
    "throttles": _Default(0, 3, (0, _INF, True, False, "throttled invocations"), "function"),
    "duration": _Default(0.8, 3, (0, 1, False, True, "(a share of the timeout)"), "function"),
    "concurrency": _Default(0.8, 3, (0, 1, False, True, "(a share of reserved concurrency)"), "reserved"),
    "iterator_age": _Default(60, 3, (0, _INF, False, False, "seconds"), "streams"),
    "dlq_age": _Default(0, 1, (0, _INF, True, False, "seconds"), "dlq"),
    "dlq_depth": _Default(0, 1, (0, _INF, True, False, "messages"), "dlq"),
    "spillover": _Default(0, 3, (0, _INF, True, False, "invocations"), "pc"),
}
#: Every alarm kind, in the order alarms are created.
ALARM_KINDS: tuple[str, ...] = tuple(_DEFAULTS)
DEFAULT_PERIOD_SECONDS = 60
#: CloudWatch: Period x EvaluationPeriods <= 1 day for periods under an hour, <= 7 days otherwise (PutMetricAlarm).
_MAX_WINDOW_SHORT, _MAX_WINDOW_LONG = 86_400, 604_800
_NOT_APPLICABLE = {
    "reserved": "the service has no reserved concurrency",
    "streams": "the service has no stream source",
    "dlq": "the service has no dead-letter queue",
    "pc": "the service has no provisioned concurrency",
}


def _alarms_args(args: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The AlarmsArgs in ``args``: either the service's args (its ``alarms`` field) or the AlarmsArgs themselves."""
    if "alarms" in args:
        return args["alarms"]
    return args


def _describe_bounds(bounds: tuple[float, float, bool, bool, str]) -> str:
    low, high, low_in, high_in, unit = bounds
    if high == _INF:
        return f"{'>=' if low_in else '>'} {low:g} {unit}"
    return f"in {'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'} {unit}"


def _check_threshold(service: str, path: str, value: object, bounds: tuple[float, float, bool, bool, str]) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{service}: {path} must be a number {_describe_bounds(bounds)}, got {value!r}")
    low, high, low_in, high_in, _ = bounds
    ok_low = value >= low if low_in else value > low
    ok_high = value <= high if high_in else value < high
    if not (ok_low and ok_high and math.isfinite(value)):
        raise ValidationError(f"{service}: {path} must be {_describe_bounds(bounds)}, got {value!r}")


def _has_reserved(reserved_concurrency: object) -> bool:
    # Reserved concurrency 0 switches the function off; every invocation is throttled, which the throttles alarm
    # reports, and "80% of 0" would alarm on nothing else.
    return reserved_concurrency is not None and reserved_concurrency != 0


def _applies(kind: str, *, reserved: bool, streams: bool, dlq: bool, pc: bool) -> bool:
    return {"function": True, "reserved": reserved, "streams": streams, "dlq": dlq, "pc": pc}[
        _DEFAULTS[kind].applies_to
    ]


def validate_alarms(
    service: str,
    args: Mapping[str, Any],
    *,
    timeout: int | None,
    reserved_concurrency: int | None,
    has_streams: bool,
    has_dlq: bool,
    has_provisioned_concurrency: bool,
) -> None:
    """Check the service's alarm settings; raise ``ValueError``/``TypeError`` naming the field and value.

    ``args`` is the service's args (``alarms`` is read) or the AlarmsArgs mapping itself. ``timeout`` and
    ``reserved_concurrency`` may be Outputs (skipped). Nothing is registered.
    """
    alarms = _alarms_args(args)
    if alarms is None:
        return
    check_mapping(service, "alarms", alarms, AlarmsArgs)
    check_bool(service, "alarms.enabled", alarms.get("enabled"))
    check_bool(service, "alarms.notify_ok", alarms.get("notify_ok"))
    check_arn(service, "alarms.alarm_topic_arn", alarms.get("alarm_topic_arn"), "sns")
    reserved = _has_reserved(reserved_concurrency)
    for kind, default in _DEFAULTS.items():
        tuning = alarms.get(kind)
        if tuning is None:
            continue
        path = f"alarms.{kind}"
        check_mapping(service, path, tuning, AlarmTuningArgs)
        check_bool(service, f"{path}.enabled", tuning.get("enabled"))
        _check_threshold(service, f"{path}.threshold", tuning.get("threshold"), default.bounds)
        period = opt(tuning, "period_seconds", DEFAULT_PERIOD_SECONDS)
        check_int(service, f"{path}.period_seconds", period, 60, None, "seconds")
        periods = opt(tuning, "evaluation_periods", default.evaluation_periods)
        check_int(service, f"{path}.evaluation_periods", periods, 1, None)
        datapoints = tuning.get("datapoints_to_alarm")
        if is_output(period) or is_output(periods) or is_output(datapoints):
            raise TypeError(
                f"{service}: {path} period_seconds, evaluation_periods and datapoints_to_alarm must be plain integers, "
                f"got {period!r}, {periods!r} and {datapoints!r}"
            )
        if period % 60:
            raise ValidationError(
                f"{service}: {path}.period_seconds must be a multiple of 60 (Lambda and SQS publish one-minute "
                f"metrics), got {period}"
            )
        window = _MAX_WINDOW_SHORT if period < 3600 else _MAX_WINDOW_LONG
        if period * periods > window:
            raise ValidationError(
                f"{service}: {path}.period_seconds x evaluation_periods must be at most {window} seconds for a "
                f"{period}-second period, got {period} x {periods} = {period * periods}"
            )
        check_int(service, f"{path}.datapoints_to_alarm", datapoints, 1, periods)
        if tuning.get("enabled") is True and not _applies(
            kind, reserved=reserved, streams=has_streams, dlq=has_dlq, pc=has_provisioned_concurrency
        ):
            raise ValidationError(
                f"{service}: {path}.enabled is True but {_NOT_APPLICABLE[default.applies_to]}; remove it or set it "
                f"to False, got enabled True"
            )
    if timeout is not None and not is_output(timeout) and (isinstance(timeout, bool) or not isinstance(timeout, int)):
        raise TypeError(f"{service}: timeout must be an integer number of seconds, got {timeout!r}")
    if reserved_concurrency is not None and not is_output(reserved_concurrency):
        check_int(service, "reserved_concurrency", reserved_concurrency, 0, None)


@dataclass
class AlarmContext:
    """What the alarms watch, from the service being built."""

    function_name: pulumi.Input[str]
    """The function's name (the FunctionName dimension)."""
    alias_name: pulumi.Input[str]
    """The alias whose metrics are watched (Resource = "<function>:<alias>")."""
    timeout: pulumi.Input[int]
    """The function's timeout in seconds (the duration alarm's reference)."""
    reserved_concurrency: pulumi.Input[int] | None = None
    """Reserved concurrency, or None when unreserved (no concurrency alarm)."""
    stream_source_count: int = 0
    """Number of Kinesis/DynamoDB stream sources (iterator age alarm when > 0)."""
    dlq_queue_name: pulumi.Input[str] | None = None
    """Name of the service's SQS dead-letter queue, or None (no DLQ alarms)."""
    has_provisioned_concurrency: bool = False
    """Whether the alias has provisioned concurrency (spillover alarm)."""
    tags: Mapping[str, pulumi.Input[str]] | None = None
    """Tags for every alarm."""


def _metric(
    metric_id: str, name: str, stat: str, period: int, dims: Mapping[str, pulumi.Input[str]], namespace: str
) -> "aws.cloudwatch.MetricAlarmMetricQueryArgs":
    return aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id=metric_id,
        return_data=False,
        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
            namespace=namespace, metric_name=name, stat=stat, period=period, dimensions=dict(dims)
        ),
    )


def _scaled(value: pulumi.Input[int] | None, factor: float) -> pulumi.Output[float]:
    def scale(v: int) -> float:
        return round(v * factor, 3)

    return pulumi.Output.from_input(value).apply(scale)  # type: ignore[arg-type]


#: Errors / Invocations; FILL turns missing datapoints into 0 and IF keeps an idle minute at 0 instead of
#: dividing by zero (which CloudWatch would drop, leaving the alarm in INSUFFICIENT_DATA).
ERROR_RATE_EXPRESSION = "IF(FILL(m_invocations, 0) > 0, FILL(m_errors, 0) / FILL(m_invocations, 0), 0)"


def create_alarms(
    service: str, args: Mapping[str, Any], ctx: AlarmContext, parent: pulumi.Resource
) -> "list[aws.cloudwatch.MetricAlarm]":
    """Register the service's alarms as children of ``parent``; returns them in :data:`ALARM_KINDS` order.

    ``args`` is the service's args (``alarms`` is read) or the AlarmsArgs mapping itself; without alarm settings the
    defaults apply. Validates first with the same checks as :func:`validate_alarms`.
    """
    reserved = ctx.reserved_concurrency
    plain_timeout = None if is_output(ctx.timeout) else ctx.timeout
    validate_alarms(
        service,
        args,
        timeout=plain_timeout,  # type: ignore[arg-type]
        reserved_concurrency=reserved,  # type: ignore[arg-type]
        has_streams=ctx.stream_source_count > 0,
        has_dlq=ctx.dlq_queue_name is not None,
        has_provisioned_concurrency=ctx.has_provisioned_concurrency,
    )
    alarms: Mapping[str, Any] = _alarms_args(args) or {}
    if not opt(alarms, "enabled", True):
        return []
    topic = alarms.get("alarm_topic_arn")
    actions = [topic] if topic is not None else []
    ok_actions = actions if opt(alarms, "notify_ok", True) else []
    fn = ctx.function_name
    resource = pulumi.Output.concat(fn, ":", ctx.alias_name)
    alias_dims: dict[str, pulumi.Input[str]] = {"FunctionName": fn, "Resource": resource}
    created: list[aws.cloudwatch.MetricAlarm] = []

    for kind, default in _DEFAULTS.items():
        tuning: Mapping[str, Any] = alarms.get(kind) or {}
        applies = _applies(
            kind,
            reserved=_has_reserved(reserved),
            streams=ctx.stream_source_count > 0,
            dlq=ctx.dlq_queue_name is not None,
            pc=ctx.has_provisioned_concurrency,
        )
        if not applies or not opt(tuning, "enabled", True):
            continue
        threshold = float(opt(tuning, "threshold", default.threshold))
        period = int(opt(tuning, "period_seconds", DEFAULT_PERIOD_SECONDS))
        periods = int(opt(tuning, "evaluation_periods", default.evaluation_periods))
        common: dict[str, Any] = {
            "name": pulumi.Output.concat(resource.apply(lambda r: r.replace(":", "-")), "-", kind.replace("_", "-")),
            "comparison_operator": "GreaterThanThreshold",
            "evaluation_periods": periods,
            "datapoints_to_alarm": int(opt(tuning, "datapoints_to_alarm", periods)),
            "treat_missing_data": "notBreaching",
            "alarm_actions": actions,
            "ok_actions": ok_actions,
            "tags": dict(ctx.tags) if ctx.tags else None,
        }
        spec: dict[str, Any]
        if kind == "error_rate":
            spec = {
                "alarm_description": pulumi.Output.concat(
                    "More than ", f"{threshold:.2%}", " of invocations of ", resource, " failed"
                ),
                "threshold": threshold,
                "metric_queries": [
                    _metric("m_errors", "Errors", "Sum", period, alias_dims, "AWS/Lambda"),
                    _metric("m_invocations", "Invocations", "Sum", period, alias_dims, "AWS/Lambda"),
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id="e_error_rate", expression=ERROR_RATE_EXPRESSION, label="Error rate", return_data=True
                    ),
                ],
            }
        elif kind == "duration":
            share = threshold
            spec = {
                "alarm_description": pulumi.Output.concat(
                    "p99 duration of ", resource, f" is above {share:.0%} of the timeout"
                ),
                "namespace": "AWS/Lambda",
                "metric_name": "Duration",
                "extended_statistic": "p99",
                "dimensions": alias_dims,
                # Duration is in milliseconds, the timeout in seconds.
                "threshold": _scaled(ctx.timeout, 1000 * share),
            }
        elif kind == "concurrency":
            share = threshold
            spec = {
                "alarm_description": pulumi.Output.concat(
                    "Concurrent executions of ", fn, f" are above {share:.0%} of reserved concurrency"
                ),
                "namespace": "AWS/Lambda",
                "metric_name": "ConcurrentExecutions",
                "statistic": "Maximum",
                # Reserved concurrency is a function-level setting, so it is compared with the function's metric.
                "dimensions": {"FunctionName": fn},
                "threshold": _scaled(reserved, share),
            }
        elif kind in ("dlq_age", "dlq_depth"):
            metric = "ApproximateAgeOfOldestMessage" if kind == "dlq_age" else "ApproximateNumberOfMessagesVisible"
            spec = {
                "alarm_description": pulumi.Output.concat(
                    "Dead-letter queue ", ctx.dlq_queue_name or "", f" of {service} holds failed events ({metric})"
                ),
                "namespace": "AWS/SQS",
                "metric_name": metric,
                "statistic": "Maximum",
                "dimensions": {"QueueName": ctx.dlq_queue_name},
                "threshold": threshold,
            }
        else:
            metric, statistic, scale, unit = {
                "throttles": ("Throttles", "Sum", 1, ""),
                "iterator_age": ("IteratorAge", "Maximum", 1000, " s"),  # IteratorAge is in milliseconds
                "spillover": ("ProvisionedConcurrencySpilloverInvocations", "Sum", 1, ""),
            }[kind]
            spec = {
                "alarm_description": pulumi.Output.concat(
                    metric, " (", statistic, ") of ", resource, f" is above {threshold:g}{unit}"
                ),
                "namespace": "AWS/Lambda",
                "metric_name": metric,
                "statistic": statistic,
                "dimensions": alias_dims,
                "threshold": threshold * scale,
            }
        if "metric_queries" not in spec:
            spec["period"] = period
        created.append(
            aws.cloudwatch.MetricAlarm(
                f"{service}-alarm-{kind.replace('_', '-')}",
                **common,
                **spec,
                opts=pulumi.ResourceOptions(parent=parent),
            )
        )
    return created


def alarm_arns(alarms: "Sequence[aws.cloudwatch.MetricAlarm]") -> pulumi.Output[list[str]]:
    """The alarms' ARNs as one Output (the component's ``alarm_arns`` output)."""
    return pulumi.Output.all(*[a.arn for a in alarms]).apply(list)

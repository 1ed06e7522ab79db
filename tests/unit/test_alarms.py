"""Service alarms under Pulumi mocks: metric math, dimensions on the alias, thresholds, actions and validation."""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdakit.alarms import (
    ALARM_KINDS,
    ERROR_RATE_EXPRESSION,
    AlarmTarget,
    alarm_arns,
    create_alarms,
    validate_alarms,
)

PARENT = "lambdakit:test:Parent"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:alarms"
ALIAS_DIMS = {"FunctionName": "orders-test", "Resource": "orders-test:live"}


class Parent(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__(PARENT, name, None, None)


def context(**overrides: Any) -> dict[str, Any]:
    """The service the alarms watch: its names and the facts that decide which alarms apply."""
    values: dict[str, Any] = {
        "function_name": "orders-test",
        "alias_name": "live",
        "timeout": 30,
        "reserved_concurrency": 20,
        "stream_source_count": 1,
        "kafka_source_count": 1,
        "dlq_queue_name": "orders-dlq",
        "has_provisioned_concurrency": True,
    }
    values.update(overrides)
    return values


def build(args: dict[str, Any], ctx: dict[str, Any] | None = None, captured: dict[str, Any] | None = None) -> None:
    ctx = ctx or context()
    parent = Parent("orders")
    plan = validate_alarms(
        "orders",
        args,
        timeout=ctx["timeout"],
        reserved_concurrency=ctx["reserved_concurrency"],
        has_streams=ctx["stream_source_count"] > 0,
        has_dlq=ctx["dlq_queue_name"] is not None,
        has_provisioned_concurrency=ctx["has_provisioned_concurrency"],
        has_kafka=ctx["kafka_source_count"] > 0,
    )
    target = AlarmTarget(ctx["function_name"], ctx["alias_name"], ctx["dlq_queue_name"])
    alarms = create_alarms(plan, target, parent)
    if captured is not None:
        alarm_arns(alarms).apply(lambda arns: captured.__setitem__("arns", arns))


def alarms_by_name(deployed: Any) -> dict[str, Any]:
    return {r.name.removeprefix("orders-alarm-"): r for r in deployed.of_type(ALARM)}


def test_all_alarms_are_created_with_notifications_for_a_fully_featured_service(deploy: Any) -> None:
    deployed = deploy(lambda: build({"alarms": {"alarm_topic_arn": TOPIC_ARN}}))
    alarms = alarms_by_name(deployed)
    assert set(alarms) == {k.replace("_", "-") for k in ALARM_KINDS}
    parent = deployed.urn(PARENT)
    for name, alarm in alarms.items():
        inputs = alarm.inputs
        assert alarm.parent == parent, f"{alarm.urn} should be parented to the component"
        assert inputs["alarmActions"] == [TOPIC_ARN], f"{name} must notify the topic"
        assert inputs["okActions"] == [TOPIC_ARN], f"{name} must notify recovery"
        assert inputs["treatMissingData"] == "notBreaching", f"{name}: an idle function is healthy"
        assert inputs["comparisonOperator"] == "GreaterThanThreshold", name
        assert inputs["name"] == f"orders-test-live-{name}", name


def test_error_rate_is_metric_math_on_the_alias_that_never_divides_by_zero(deploy: Any) -> None:
    deployed = deploy(lambda: build({}))
    alarm = alarms_by_name(deployed)["error-rate"].inputs
    queries = {q["id"]: q for q in alarm["metricQueries"]}
    assert set(queries) == {"m_errors", "m_invocations", "e_error_rate"}
    for metric_id, metric_name in (("m_errors", "Errors"), ("m_invocations", "Invocations")):
        metric = queries[metric_id]["metric"]
        assert metric["metricName"] == metric_name and metric["stat"] == "Sum" and metric["period"] == 60
        assert metric["namespace"] == "AWS/Lambda"
        assert metric["dimensions"] == ALIAS_DIMS, f"{metric_id} must read the alias's metric"
        assert queries[metric_id]["returnData"] is False
    expression = queries["e_error_rate"]
    assert expression["returnData"] is True
    assert expression["expression"] == ERROR_RATE_EXPRESSION
    assert "FILL(m_invocations, 0) > 0" in ERROR_RATE_EXPRESSION and ERROR_RATE_EXPRESSION.startswith("IF(")
    assert alarm["threshold"] == 0.01
    assert alarm["evaluationPeriods"] == 3 and alarm["datapointsToAlarm"] == 3
    assert "period" not in alarm and "metricName" not in alarm, "a metric-math alarm sets periods per metric"


def test_thresholds_follow_the_timeout_reserved_concurrency_and_defaults(deploy: Any) -> None:
    deployed = deploy(lambda: build({}, context(timeout=30, reserved_concurrency=20)))
    alarms = {name: r.inputs for name, r in alarms_by_name(deployed).items()}
    assert alarms["duration"]["extendedStatistic"] == "p99"
    assert alarms["duration"]["threshold"] == 24_000, "80% of a 30 s timeout, in milliseconds"
    assert alarms["duration"]["dimensions"] == ALIAS_DIMS
    assert alarms["concurrency"]["threshold"] == 16, "80% of 20 reserved"
    assert alarms["concurrency"]["dimensions"] == {"FunctionName": "orders-test"}, (
        "reserved concurrency is per function"
    )
    assert alarms["concurrency"]["statistic"] == "Maximum"
    assert alarms["throttles"]["threshold"] == 0 and alarms["throttles"]["statistic"] == "Sum"
    assert alarms["iterator-age"]["threshold"] == 60_000, "60 s, in milliseconds"
    assert alarms["iterator-age"]["metricName"] == "IteratorAge"
    assert alarms["spillover"]["metricName"] == "ProvisionedConcurrencySpilloverInvocations"
    assert alarms["spillover"]["dimensions"] == ALIAS_DIMS
    assert alarms["offset-lag"]["metricName"] == "OffsetLag" and alarms["offset-lag"]["namespace"] == "AWS/Lambda"
    assert alarms["offset-lag"]["statistic"] == "Maximum"
    assert alarms["offset-lag"]["threshold"] == 1000, "a count of records, not scaled"
    assert alarms["offset-lag"]["dimensions"] == ALIAS_DIMS, "the Kafka mapping is on the alias"
    assert alarms["offset-lag"]["evaluationPeriods"] == 3
    for name in ("dlq-age", "dlq-depth"):
        assert alarms[name]["namespace"] == "AWS/SQS", name
        assert alarms[name]["dimensions"] == {"QueueName": "orders-dlq"}, name
        assert alarms[name]["threshold"] == 0, name
        assert alarms[name]["evaluationPeriods"] == 1, f"{name}: a DLQ message is already a lost event"
    assert alarms["dlq-age"]["metricName"] == "ApproximateAgeOfOldestMessage"
    assert alarms["dlq-depth"]["metricName"] == "ApproximateNumberOfMessagesVisible"


def test_tuning_changes_thresholds_and_windows(deploy: Any) -> None:
    args = {
        "alarms": {
            "error_rate": {"threshold": 0.05, "period_seconds": 300, "evaluation_periods": 5, "datapoints_to_alarm": 2},
            "duration": {"threshold": 0.5},
            "iterator_age": {"threshold": 300},
        }
    }
    deployed = deploy(lambda: build(args))
    alarms = {name: r.inputs for name, r in alarms_by_name(deployed).items()}
    error_rate = alarms["error-rate"]
    assert error_rate["threshold"] == 0.05
    assert error_rate["evaluationPeriods"] == 5 and error_rate["datapointsToAlarm"] == 2
    assert {q["metric"]["period"] for q in error_rate["metricQueries"] if "metric" in q} == {300}
    assert alarms["duration"]["threshold"] == 15_000
    assert alarms["iterator-age"]["threshold"] == 300_000


def test_alarms_that_do_not_apply_are_not_created(deploy: Any) -> None:
    ctx = context(
        reserved_concurrency=None,
        stream_source_count=0,
        kafka_source_count=0,
        dlq_queue_name=None,
        has_provisioned_concurrency=False,
    )
    deployed = deploy(lambda: build({}, ctx))
    assert set(alarms_by_name(deployed)) == {"error-rate", "throttles", "duration"}


def test_a_function_switched_off_with_zero_reserved_concurrency_gets_no_concurrency_alarm(deploy: Any) -> None:
    deployed = deploy(lambda: build({}, context(reserved_concurrency=0)))
    names = set(alarms_by_name(deployed))
    assert "concurrency" not in names and "throttles" in names


def test_alarms_can_be_turned_off_one_by_one_or_all_at_once(deploy: Any) -> None:
    deployed = deploy(lambda: build({"alarms": {"throttles": {"enabled": False}, "dlq_age": {"enabled": False}}}))
    names = set(alarms_by_name(deployed))
    assert "throttles" not in names and "dlq-age" not in names and "dlq-depth" in names
    deployed = deploy(lambda: build({"alarms": {"enabled": False}}))
    assert deployed.of_type(ALARM) == []


def test_without_a_topic_alarms_have_no_actions_and_ok_notifications_can_be_muted(deploy: Any) -> None:
    deployed = deploy(lambda: build({}))
    for alarm in deployed.of_type(ALARM):
        assert not alarm.inputs.get("alarmActions"), f"{alarm.urn} has actions without a topic"
    deployed = deploy(lambda: build({"alarms": {"alarm_topic_arn": TOPIC_ARN, "notify_ok": False}}))
    for alarm in deployed.of_type(ALARM):
        assert alarm.inputs["alarmActions"] == [TOPIC_ARN] and not alarm.inputs.get("okActions"), alarm.urn


def test_alarm_arns_are_returned_for_the_canary_controller(deploy: Any) -> None:
    captured: dict[str, Any] = {}
    deploy(lambda: build({}, captured=captured))
    assert len(captured["arns"]) == len(ALARM_KINDS)
    assert all(arn.startswith("arn:aws:cloudwatch:") for arn in captured["arns"]), captured["arns"]


def test_an_output_timeout_scales_the_duration_threshold_when_it_resolves(deploy: Any) -> None:
    deployed = deploy(lambda: build({}, context(timeout=pulumi.Output.from_input(10))))
    assert alarms_by_name(deployed)["duration"].inputs["threshold"] == 8_000


def test_the_service_args_or_the_alarms_mapping_itself_are_accepted() -> None:
    kwargs: dict[str, Any] = {
        "timeout": 30,
        "reserved_concurrency": None,
        "has_streams": False,
        "has_dlq": False,
        "has_provisioned_concurrency": False,
    }
    bad = {"error_rate": {"threshold": 2}}
    for args in ({"alarms": bad}, bad):
        with pytest.raises(ValueError, match=r"orders: alarms\.error_rate\.threshold must be in \(0, 1\)"):
            validate_alarms("orders", args, **kwargs)


# --- bad input fails before anything is registered -------------------------------------------------------------------

FULL: dict[str, Any] = {
    "timeout": 30,
    "reserved_concurrency": 20,
    "has_streams": True,
    "has_dlq": True,
    "has_provisioned_concurrency": True,
}
BARE: dict[str, Any] = {**FULL, "reserved_concurrency": None, "has_streams": False, "has_dlq": False}
BARE["has_provisioned_concurrency"] = False

INVALID: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    ({"error_rate": {"threshold": 1}}, FULL, r"alarms\.error_rate\.threshold must be in \(0, 1\) .*got 1"),
    ({"error_rate": {"threshold": 0}}, FULL, r"alarms\.error_rate\.threshold must be in \(0, 1\) .*got 0"),
    ({"error_rate": {"threshold": "1%"}}, FULL, r"alarms\.error_rate\.threshold must be a number .*got '1%'"),
    (
        {"duration": {"threshold": 1.2}},
        FULL,
        r"alarms\.duration\.threshold must be in \(0, 1\] .*share of the timeout.*got 1\.2",
    ),
    ({"duration": {"threshold": 0}}, FULL, r"alarms\.duration\.threshold must be in \(0, 1\]"),
    ({"concurrency": {"threshold": 1.5}}, FULL, r"alarms\.concurrency\.threshold must be in \(0, 1\] .*got 1\.5"),
    (
        {"throttles": {"threshold": -1}},
        FULL,
        r"alarms\.throttles\.threshold must be >= 0 throttled invocations, got -1",
    ),
    ({"iterator_age": {"threshold": 0}}, FULL, r"alarms\.iterator_age\.threshold must be > 0 seconds, got 0"),
    (
        {"offset_lag": {"threshold": 0}},
        {**FULL, "has_kafka": True},
        r"alarms\.offset_lag\.threshold must be > 0 records",
    ),
    (
        {"throttles": {"period_seconds": 90}},
        FULL,
        r"alarms\.throttles\.period_seconds must be a multiple of 60 .*got 90",
    ),
    ({"throttles": {"period_seconds": 30}}, FULL, r"alarms\.throttles\.period_seconds must be >= 60 seconds, got 30"),
    ({"throttles": {"evaluation_periods": 0}}, FULL, r"alarms\.throttles\.evaluation_periods must be >= 1, got 0"),
    (
        {"throttles": {"evaluation_periods": 3, "datapoints_to_alarm": 4}},
        FULL,
        r"datapoints_to_alarm must be 1-3, got 4",
    ),
    (
        {"throttles": {"period_seconds": 600, "evaluation_periods": 200}},
        FULL,
        r"must be at most 86400 seconds .*got 600 x 200 = 120000",
    ),
    (
        {"concurrency": {"enabled": True}},
        BARE,
        r"alarms\.concurrency\.enabled is True but the service has no reserved concurrency",
    ),
    (
        {"iterator_age": {"enabled": True}},
        BARE,
        r"alarms\.iterator_age\.enabled is True but the service has no stream source",
    ),
    (
        {"offset_lag": {"enabled": True}},
        BARE,
        r"alarms\.offset_lag\.enabled is True but the service has no Kafka source",
    ),
    (
        {"dlq_depth": {"enabled": True}},
        BARE,
        r"alarms\.dlq_depth\.enabled is True but the service has no dead-letter queue",
    ),
    (
        {"spillover": {"enabled": True}},
        BARE,
        r"alarms\.spillover\.enabled is True but the service has no provisioned concurrency",
    ),
    ({"alarm_topic_arn": "alarms"}, FULL, r"alarms\.alarm_topic_arn must be an SNS ARN .*got 'alarms'"),
    ({"error_rates": {}}, FULL, r"alarms has an unknown setting 'error_rates'; did you mean 'error_rate'\?"),
    ({"error_rate": {"treshold": 0.1}}, FULL, r"alarms\.error_rate has an unknown setting 'treshold'"),
    ({"enabled": "yes"}, FULL, r"alarms\.enabled must be true or false, got str 'yes'"),
]


@pytest.mark.parametrize(("alarms", "facts", "message"), INVALID)
def test_invalid_alarm_input_fails_before_anything_is_registered(
    deploy_error: Any, alarms: dict[str, Any], facts: dict[str, Any], message: str
) -> None:
    def program() -> None:
        validate_alarms("orders", {"alarms": alarms}, **facts)
        build({"alarms": alarms})

    error, deployed = deploy_error(program)
    assert isinstance(error, ValueError | TypeError), f"unexpected {type(error).__name__}: {error}"
    assert str(error).startswith("orders: "), f"the message must name the service: {error}"
    assert re.search(message, str(error)), f"{message!r} not in {error}"
    registered = [r.urn for r in deployed.run.registrations]
    assert registered == [], f"nothing may be registered, got {registered}"


def test_create_alarms_validates_before_registering_any_alarm(deploy_error: Any) -> None:
    ctx = context(reserved_concurrency=None)
    error, deployed = deploy_error(lambda: build({"alarms": {"concurrency": {"enabled": True}}}, ctx))
    assert "alarms.concurrency.enabled is True but the service has no reserved concurrency" in str(error)
    assert deployed.of_type(ALARM) == []


# --- any input either passes or fails with ValueError/TypeError ------------------------------------------------------

_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 100_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
_tuning = st.dictionaries(
    st.sampled_from(["enabled", "threshold", "period_seconds", "evaluation_periods", "datapoints_to_alarm", "typo"]),
    _values,
    max_size=4,
)
_alarms = st.dictionaries(
    st.sampled_from([*ALARM_KINDS, "enabled", "alarm_topic_arn", "notify_ok", "typo"]),
    st.one_of(_tuning, _values),
    max_size=4,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alarms=_alarms, reserved=st.one_of(st.none(), st.integers(0, 50)), flags=st.tuples(*[st.booleans()] * 3))
def test_any_alarm_settings_pass_or_fail_with_value_or_type_error(
    alarms: dict[str, Any], reserved: int | None, flags: tuple[bool, bool, bool]
) -> None:
    try:
        validate_alarms(
            "orders",
            {"alarms": alarms},
            timeout=30,
            reserved_concurrency=reserved,
            has_streams=flags[0],
            has_dlq=flags[1],
            has_provisioned_concurrency=flags[2],
        )
    except (ValueError, TypeError) as error:
        assert str(error).startswith("orders: "), f"the message must name the service: {error}"


def test_offset_lag_applies_only_with_a_kafka_source_and_can_be_tuned(deploy: Any) -> None:
    without = deploy(lambda: build({}, context(kafka_source_count=0)))
    assert "offset-lag" not in alarms_by_name(without), "no Kafka source, no OffsetLag alarm"
    tuned = deploy(lambda: build({"alarms": {"offset_lag": {"threshold": 50_000, "evaluation_periods": 5}}}))
    alarm = alarms_by_name(tuned)["offset-lag"].inputs
    assert alarm["threshold"] == 50_000 and alarm["evaluationPeriods"] == 5
    assert alarm["alarmDescription"] == "OffsetLag (Maximum) of orders-test:live is above 50000 records"

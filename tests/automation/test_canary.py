"""The canary controller against moto: traffic on a weighted alias is simulated by putting AWS/Lambda metrics
per executed version, as Lambda does, while a fake clock stands in for the bake time."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from lambdakit.canary import (
    AliasShifter,
    AliasTarget,
    CanaryInterrupted,
    CanaryPlan,
    CanaryTarget,
    CloudWatchHealth,
    HealthReading,
    HealthThresholds,
    abort_alias,
    canary_alias,
    evaluate,
    run_canary,
)

FUNCTION = "order-processor-prod"
PLAN = CanaryPlan(
    steps=(0.1, 0.5, 1.0),
    bake_seconds=300,
    poll_seconds=60,
    missing_data_deadline_seconds=600,
    delivery_delay_seconds=0,
)


@pytest.fixture
def deployed(aws: boto3.session.Session, make_function: Callable[..., None], traffic: Any, clock: Any) -> Any:
    """order-processor-prod with versions 1 (stable, alias live) and 2 (new); traffic flows on every tick."""
    make_function(aws, FUNCTION, versions=2, alias_version="1")
    traffic.functions.append((FUNCTION, "live"))
    clock.on_sleep.append(traffic)
    return traffic


def alias_state(session: boto3.session.Session) -> tuple[str, dict[str, float]]:
    alias = session.client("lambda").get_alias(FunctionName=FUNCTION, Name="live")
    return str(alias["FunctionVersion"]), dict(alias.get("RoutingConfig", {}).get("AdditionalVersionWeights", {}))


def run(session: boto3.session.Session, clock: Any, lines: list[str], **kwargs: Any) -> Any:
    return canary_alias(
        session.client("lambda"),
        session.client("cloudwatch"),
        AliasTarget(FUNCTION, "live", stable_version="1", new_version="2"),
        kwargs.pop("plan", PLAN),
        service="order-processor",
        clock=clock.now,
        sleep=clock.sleep,
        echo=lines.append,
        **kwargs,
    )


def test_healthy_canary_steps_10_50_then_promotes(aws: boto3.session.Session, deployed: Any, clock: Any) -> None:
    # Given the new version answering without errors
    lines: list[str] = []
    # When the canary runs 10% -> 50% -> 100% with a 300 s bake
    outcome = run(aws, clock, lines)
    # Then it is promoted: the alias serves version 2 alone
    assert outcome.result == "promoted", f"order-processor canary: {outcome.reason}\n" + "\n".join(lines)
    assert alias_state(aws) == ("2", {}), "alias order-processor-prod:live after promotion"
    # And the stable version served the rest of the traffic at every tick until the promotion
    before_promotion = [(primary, routing) for _, _, primary, routing in deployed.observed]
    assert before_promotion == [("1", {"2": 0.1})] * 5 + [("1", {"2": 0.5})] * 5, before_promotion
    # And every reading was printed with its figures
    readings = [line for line in lines if " t+" in line]
    assert len(readings) == 10, "\n".join(lines)
    assert "invocations=10 errors=0 (0.00%)" in readings[0], readings[0]
    assert readings[-1].endswith("-> healthy, baked"), readings[-1]
    assert lines[-1] == "[order-processor] PROMOTED version 2 to 100%"
    # And bake time passed on the fake clock only
    assert sum(clock.slept) == 600


def test_error_spike_in_the_second_step_rolls_back_to_stable(
    aws: boto3.session.Session, deployed: Any, clock: Any
) -> None:
    # Given the new version failing 20% of requests from minute 7 on (the 50% step began at minute 5)
    spike_from = clock.now() + dt.timedelta(minutes=7)
    deployed.error_rate[(FUNCTION, "2")] = lambda at: 0.2 if at > spike_from else 0.0
    lines: list[str] = []
    # When the canary runs
    outcome = run(aws, clock, lines)
    # Then it rolls back at the first unhealthy reading, to the stable version at 100%
    assert outcome.result == "rolled-back", "\n".join(lines)
    assert alias_state(aws) == ("1", {}), "alias order-processor-prod:live after rollback"
    assert outcome.reason.startswith("step 2/2 at 50%: error rate"), outcome.reason
    assert outcome.last_weight == 0.5
    unhealthy = [r for r in outcome.readings if r.reading.status == "unhealthy"]
    assert len(unhealthy) == 1 and unhealthy[0].elapsed_seconds == 180, outcome.readings
    assert any(line.startswith("[order-processor] ROLLBACK to stable version 1 at 100%") for line in lines), lines
    # And the alias never left the stable version as its primary
    assert {primary for _, _, primary, _ in deployed.observed} == {"1"}


def test_errors_of_the_stable_version_do_not_fail_the_new_one(
    aws: boto3.session.Session, deployed: Any, clock: Any
) -> None:
    # Given the stable version failing 30% (the ExecutedVersion dimension separates the two)
    deployed.error_rate[(FUNCTION, "1")] = 0.3
    outcome = run(aws, clock, [])
    assert outcome.result == "promoted", outcome.reason


def test_missing_data_past_the_deadline_rolls_back(aws: boto3.session.Session, deployed: Any, clock: Any) -> None:
    # Given no traffic at all
    deployed.rate_per_minute = 0
    lines: list[str] = []
    outcome = run(aws, clock, lines)
    # Then the first step waits until the deadline, then rolls back
    assert outcome.result == "rolled-back", "\n".join(lines)
    assert "no data for version 2 600s after the step began (deadline 600s)" in outcome.reason, outcome.reason
    assert sum(clock.slept) == 600
    assert alias_state(aws) == ("1", {})


def test_alarm_in_alarm_rolls_back(aws: boto3.session.Session, deployed: Any, clock: Any) -> None:
    # Given the service's alarm in ALARM (e.g. DLQ depth)
    cloudwatch = aws.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="order-processor-prod-dlq-depth",
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName="order-processor-prod-dlq-depth", StateValue="ALARM", StateReason="test")
    outcome = run(aws, clock, [], alarm_names=["order-processor-prod-dlq-depth", "order-processor-prod-gone"])
    assert outcome.result == "rolled-back"
    assert outcome.reason == "step 1/2 at 10%: alarm(s) in ALARM: order-processor-prod-dlq-depth", outcome.reason
    assert outcome.readings[0].reading.missing_alarms == ("order-processor-prod-gone",)


def test_throttles_of_the_new_version_roll_back(aws: boto3.session.Session, deployed: Any, clock: Any) -> None:
    deployed.throttle_rate[(FUNCTION, "2")] = 0.5
    outcome = run(aws, clock, [])
    assert outcome.result == "rolled-back"
    assert "throttle rate" in outcome.reason, outcome.reason


def test_error_rate_threshold_is_configurable(aws: boto3.session.Session, deployed: Any, clock: Any) -> None:
    # Given a steady 5% error rate on the new version, and a 10% threshold
    deployed.error_rate[(FUNCTION, "2")] = 0.05
    outcome = run(aws, clock, [], thresholds=HealthThresholds(max_error_rate=0.1))
    assert outcome.result == "promoted", outcome.reason


def test_alias_not_on_the_stable_version_is_refused(
    aws: boto3.session.Session, make_function: Callable[..., None], clock: Any
) -> None:
    make_function(aws, FUNCTION, versions=3, alias_version="3")
    with pytest.raises(ValueError, match=r"points to version 3, not the stable version 1"):
        run(aws, clock, [])


# --- the controller with a fake shifter, several services -------------------------------------------------------


class RecordingShifter:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def shift(self, weights: Mapping[str, float]) -> None:
        self.calls.append(("shift", dict(weights)))

    def promote(self, services: Sequence[str]) -> None:
        self.calls.append(("promote", list(services)))

    def rollback(self, services: Sequence[str]) -> None:
        self.calls.append(("rollback", list(services)))


class FixedHealth:
    def __init__(self, *readings: HealthReading) -> None:
        self.readings = list(readings)

    def read(self, start: dt.datetime, end: dt.datetime) -> HealthReading:
        return self.readings.pop(0) if len(self.readings) > 1 else self.readings[0]


HEALTHY = evaluate(100, 0, 0, [], HealthThresholds())
SICK = evaluate(100, 50, 0, [], HealthThresholds())


def test_one_unhealthy_service_rolls_back_alone(clock: Any) -> None:
    shifter = RecordingShifter()
    plan = CanaryPlan(
        steps=(0.1, 0.5), bake_seconds=60, poll_seconds=60, missing_data_deadline_seconds=120, delivery_delay_seconds=0
    )
    outcomes = run_canary(
        [
            CanaryTarget("order-processor", "3", "4", FixedHealth(HEALTHY)),
            CanaryTarget("email-sender", "7", "8", FixedHealth(HEALTHY, SICK)),
        ],
        shifter,
        plan,
        clock=clock.now,
        sleep=clock.sleep,
        echo=lambda _: None,
    )
    assert outcomes["email-sender"].result == "rolled-back"
    assert outcomes["order-processor"].result == "promoted"
    assert shifter.calls == [
        ("shift", {"order-processor": 0.1, "email-sender": 0.1}),
        ("shift", {"order-processor": 0.5, "email-sender": 0.5}),
        ("rollback", ["email-sender"]),
        ("promote", ["order-processor"]),
    ]


# --- plan and health rules ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": (0.5, 0.1)}, r"strictly increasing, got \(0.5, 0.1\)"),
        ({"steps": (0.1, 1.5)}, r"within \(0, 1\) \(or a final 1.0\), got 1.5"),
        ({"steps": (1.0,)}, r"at least one weight"),
        ({"bake_seconds": 600, "missing_data_deadline_seconds": 300}, r"deadline_seconds must be >= bake_seconds"),
        ({"poll_seconds": 0}, r"poll_seconds must be > 0, got 0"),
    ],
)
def test_bad_plans_are_refused_with_the_value(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CanaryPlan(**kwargs)


def test_steps_parse_from_percent_or_fraction() -> None:
    assert CanaryPlan.parse_steps("10,50,100") == (0.1, 0.5, 1.0)
    assert CanaryPlan.parse_steps("0.05, 0.25") == (0.05, 0.25)
    with pytest.raises(ValueError, match="comma-separated numbers"):
        CanaryPlan.parse_steps("ten")


def test_alias_target_refuses_latest_and_same_versions() -> None:
    with pytest.raises(ValueError, match=r"new_version must be a published version number, got '\$LATEST'"):
        AliasTarget("f", "live", "1", "$LATEST")
    with pytest.raises(ValueError, match="must differ from stable_version, both are '3'"):
        AliasTarget("f", "live", "3", "3")


def test_shifter_refuses_weights_aws_would_reject(aws: boto3.session.Session) -> None:
    shifter = AliasShifter(aws.client("lambda"), {"s": AliasTarget("f", "live", "1", "2")})
    with pytest.raises(ValueError, match=r"s: canary weight must be within \(0, 1\), got 1.2"):
        shifter.shift({"s": 1.2})


@pytest.mark.parametrize(
    ("figures", "status"),
    [
        ((100, 1, 0), "healthy"),
        ((100, 2, 0), "unhealthy"),
        ((0, 0, 0), "no-data"),
        ((0, 0, 3), "unhealthy"),
    ],
)
def test_evaluate_thresholds(figures: tuple[int, int, int], status: str) -> None:
    reading = evaluate(*figures, [], HealthThresholds(max_error_rate=0.01))
    assert reading.status == status, reading.reason


def test_health_window_is_widened_to_whole_periods() -> None:
    # CloudWatch rejects StartTime == EndTime (after truncation to the second) and aligns data to the period.
    health = CloudWatchHealth(None, function_name="f", alias_name="live", version="2", period_seconds=60)
    start = dt.datetime(2026, 11, 26, 9, 0, 30, 500000, tzinfo=dt.UTC)
    assert health.window(start, start) == (
        dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 26, 9, 1, tzinfo=dt.UTC),
    )
    aligned = dt.datetime(2026, 11, 26, 9, 5, tzinfo=dt.UTC)
    assert health.window(aligned, aligned + dt.timedelta(minutes=2)) == (aligned, aligned + dt.timedelta(minutes=2))


class BrokenHealth:
    def read(self, start: dt.datetime, end: dt.datetime) -> HealthReading:
        raise RuntimeError("Throttling: Rate exceeded")


def test_failed_health_reads_count_as_missing_data(clock: Any) -> None:
    shifter = RecordingShifter()
    plan = CanaryPlan(
        steps=(0.1,), bake_seconds=60, poll_seconds=60, missing_data_deadline_seconds=180, delivery_delay_seconds=0
    )
    lines: list[str] = []
    outcome = run_canary(
        [CanaryTarget("order-processor", "3", "4", BrokenHealth())],
        shifter,
        plan,
        clock=clock.now,
        sleep=clock.sleep,
        echo=lines.append,
    )["order-processor"]
    assert outcome.result == "rolled-back"
    assert "no data for version 4 180s after the step began" in outcome.reason, outcome.reason
    assert "health read failed: RuntimeError: Throttling: Rate exceeded" in outcome.readings[0].reading.reason


class FailingShifter(RecordingShifter):
    def shift(self, weights: Mapping[str, float]) -> None:
        super().shift(weights)
        raise RuntimeError("pulumi up failed")


def test_a_failed_shift_rolls_back_before_raising(clock: Any) -> None:
    shifter = FailingShifter()
    with pytest.raises(RuntimeError, match="pulumi up failed"):
        run_canary(
            [CanaryTarget("order-processor", "3", "4", FixedHealth(HEALTHY))],
            shifter,
            PLAN,
            clock=clock.now,
            sleep=clock.sleep,
            echo=lambda _: None,
        )
    assert shifter.calls == [("shift", {"order-processor": 0.1}), ("rollback", ["order-processor"])]


# --- faults: errors, interrupts, throttles, late metrics, alarms that fired and cleared --------------------------


class ExplodingHealth:
    """Healthy until ``after`` reads, then raises ``exc`` (an interrupt or a bug reaching the controller)."""

    def __init__(self, exc: BaseException, after: int = 1) -> None:
        self.exc, self.after, self.reads = exc, after, 0

    def read(self, start: dt.datetime, end: dt.datetime) -> HealthReading:
        self.reads += 1
        if self.reads > self.after:
            raise self.exc
        return HEALTHY


@pytest.mark.parametrize(
    "exc", [KeyboardInterrupt(), CanaryInterrupted("SIGTERM"), SystemExit(3)], ids=["sigint", "sigterm", "exit"]
)
def test_any_interrupt_or_error_rolls_back_and_says_so(clock: Any, exc: BaseException) -> None:
    shifter = RecordingShifter()
    lines: list[str] = []
    with pytest.raises(type(exc)):
        run_canary(
            [CanaryTarget("order-processor", "3", "4", ExplodingHealth(exc, after=2))],
            shifter,
            PLAN,
            clock=clock.now,
            sleep=clock.sleep,
            echo=lines.append,
        )
    assert shifter.calls == [("shift", {"order-processor": 0.1}), ("rollback", ["order-processor"])]
    assert any("rolling back order-processor to stable" in line for line in lines), lines
    assert any(line.startswith("[order-processor] rolled back to its stable version") for line in lines), lines


def test_update_alias_is_retried_on_throttling_and_conflict(
    aws: boto3.session.Session, make_function: Callable[..., None]
) -> None:
    make_function(aws, FUNCTION, versions=2, alias_version="1")
    real = aws.client("lambda")
    failures = iter(["TooManyRequestsException", "ResourceConflictException", "ThrottlingException"])
    waits: list[float] = []

    class Flaky:
        def update_alias(self, **kwargs: Any) -> Any:
            code = next(failures, None)
            if code:
                raise ClientError({"Error": {"Code": code, "Message": "slow down"}}, "UpdateAlias")
            return real.update_alias(**kwargs)

    shifter = AliasShifter(Flaky(), {"svc": AliasTarget(FUNCTION, "live", "1", "2")}, sleep=waits.append)
    shifter.shift({"svc": 0.1})
    assert alias_state(aws) == ("1", {"2": 0.1})
    assert waits == [0.5, 1.0, 2.0], "exponential backoff"


def test_a_rollback_throttled_every_time_still_says_what_to_run(clock: Any) -> None:
    class Throttled(RecordingShifter):
        def rollback(self, services: Sequence[str]) -> None:
            raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "x"}}, "UpdateAlias")

    lines: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        run_canary(
            [CanaryTarget("order-processor", "3", "4", ExplodingHealth(KeyboardInterrupt(), after=0))],
            Throttled(),
            PLAN,
            clock=clock.now,
            sleep=clock.sleep,
            echo=lines.append,
        )
    assert any("ROLLBACK FAILED" in line and "lambdakit canary --abort order-processor" in line for line in lines)


class LateMetrics:
    """Errors only in the last two minutes of each bake, visible ``delay`` seconds after they happen."""

    def __init__(self, started: dt.datetime, delay: float, *, says_coverage: bool = True) -> None:
        self.started, self.delay, self.says_coverage = started, delay, says_coverage

    def read(self, start: dt.datetime, end: dt.datetime) -> HealthReading:
        visible_until = end - dt.timedelta(seconds=self.delay)
        invocations = errors = 0.0
        minute = start
        while minute + dt.timedelta(seconds=60) <= visible_until:
            offset = (minute - start).total_seconds()
            invocations += 100
            errors += 50 if 180 <= offset < 300 else 0
            minute += dt.timedelta(seconds=60)
        reading = evaluate(invocations, errors, 0, [], HealthThresholds())
        covered = minute if invocations and self.says_coverage else None
        return dataclasses.replace(reading, data_until=covered)


def test_errors_at_the_end_of_a_bake_with_late_metrics_roll_back(clock: Any) -> None:
    plan = CanaryPlan(steps=(0.1, 1.0), bake_seconds=300, poll_seconds=60, missing_data_deadline_seconds=900)
    shifter = RecordingShifter()
    lines: list[str] = []
    outcome = run_canary(
        [CanaryTarget("svc", "3", "4", LateMetrics(clock.now(), delay=180))],
        shifter,
        plan,
        clock=clock.now,
        sleep=clock.sleep,
        echo=lines.append,
    )["svc"]
    assert outcome.result == "rolled-back", "\n".join(lines)
    assert "error rate" in outcome.reason
    assert ("promote", ["svc"]) not in shifter.calls
    # Judged as before (no wait for late metrics, no check that data reaches the bake's end) it promotes.
    eager = dataclasses.replace(plan, delivery_delay_seconds=0)
    again = run_canary(
        [CanaryTarget("svc", "3", "4", LateMetrics(clock.now(), delay=180, says_coverage=False))],
        RecordingShifter(),
        eager,
        clock=clock.now,
        sleep=clock.sleep,
        echo=lambda _: None,
    )["svc"]
    assert again.result == "promoted"


def test_a_step_waits_until_metrics_reach_the_end_of_its_bake(
    aws: boto3.session.Session, deployed: Any, clock: Any
) -> None:
    lines: list[str] = []
    plan = dataclasses.replace(PLAN, delivery_delay_seconds=180, missing_data_deadline_seconds=900)
    outcome = run(aws, clock, lines, plan=plan)
    assert outcome.result == "promoted", "\n".join(lines)
    assert sum(clock.slept) == 2 * 480, "each step baked 300 s and waited 180 s for late metrics"
    assert any("waiting 180s for late metrics" in line for line in lines), "\n".join(lines)


def test_an_alarm_that_fired_and_cleared_between_readings_rolls_back(
    aws: boto3.session.Session, deployed: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto has no DescribeAlarmHistory: a client answering with one ALARM -> OK flip inside the step stands in.
    cloudwatch = aws.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="svc-errors",
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    history = [
        {
            "AlarmName": "svc-errors",
            "HistoryItemType": "StateUpdate",
            "HistorySummary": "Alarm updated from OK to ALARM",
            "HistoryData": '{"oldState":{"stateValue":"OK"},"newState":{"stateValue":"ALARM"}}',
        },
        {
            "AlarmName": "svc-errors",
            "HistoryItemType": "StateUpdate",
            "HistorySummary": "Alarm updated from ALARM to OK",
            "HistoryData": '{"oldState":{"stateValue":"ALARM"},"newState":{"stateValue":"OK"}}',
        },
    ]

    class Paginator:
        def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
            assert kwargs["HistoryItemType"] == "StateUpdate" and kwargs["StartDate"] < kwargs["EndDate"]
            return [{"AlarmHistoryItems": history}]

    real_paginator = cloudwatch.get_paginator
    monkeypatch.setattr(
        cloudwatch,
        "get_paginator",
        lambda name: Paginator() if name == "describe_alarm_history" else real_paginator(name),
    )
    lines: list[str] = []
    outcome = canary_alias(
        aws.client("lambda"),
        cloudwatch,
        AliasTarget(FUNCTION, "live", stable_version="1", new_version="2"),
        PLAN,
        service="svc",
        alarm_names=["svc-errors"],
        clock=clock.now,
        sleep=clock.sleep,
        echo=lines.append,
    )
    assert outcome.result == "rolled-back", "\n".join(lines)
    assert "svc-errors (fired in the window)" in outcome.reason
    assert alias_state(aws) == ("1", {})


def test_abort_restores_an_alias_left_with_weights(
    aws: boto3.session.Session, make_function: Callable[..., None]
) -> None:
    make_function(aws, FUNCTION, versions=2, alias_version="1", weights={"2": 0.5})
    lines: list[str] = []
    removed = abort_alias(aws.client("lambda"), FUNCTION, "live", echo=lines.append)
    assert removed == {"2": 0.5}
    assert alias_state(aws) == ("1", {})
    assert "100% on stable version 1" in lines[-1]
    assert abort_alias(aws.client("lambda"), FUNCTION, "live", echo=lines.append) == {}
    assert "nothing to abort" in lines[-1]

"""Progressive traffic shifting on a Lambda alias, gated on the new version's health.

The controller (:func:`run_canary`) is shared by two ways of moving traffic, behind :class:`TrafficShifter`:

- :class:`AliasShifter` calls ``lambda:UpdateAlias`` with a ``RoutingConfig`` directly (for use outside Pulumi,
  and what the tests drive against moto);
- ``lambdakit.driver.PulumiConfigShifter`` changes the stack's ``release`` config (canary weight, stable version)
  and runs ``pulumi up``, so Pulumi state stays the source of truth for the alias.

Health comes from :class:`CloudWatchHealth`: the new version's ``Invocations``, ``Errors`` and ``Throttles``
(``AWS/Lambda`` with dimensions FunctionName, Resource=<function>:<alias>, ExecutedVersion=<version>) and the
service's alarms. Throughout, the alias's primary version stays the stable one, so the stable version keeps
serving the rest of the traffic; promotion is the single step that moves the primary.

Time is injected (``clock`` and ``sleep``), so tests run a 30-minute canary in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from botocore.exceptions import ClientError

Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], None]
Echo = Callable[[str], None]
Status = Literal["healthy", "unhealthy", "no-data"]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------------------------------------------------------
# Health
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HealthThresholds:
    """When a reading of the new version counts as unhealthy."""

    max_error_rate: float = 0.01
    """Errors / Invocations above this is unhealthy. Defaults to 0.01 (1%)."""
    max_throttle_rate: float = 0.0
    """Throttles / (Invocations + Throttles) above this is unhealthy. Defaults to 0: any throttle of the new
    version fails the step (throttles while canarying usually mean the new version's concurrency is mis-set)."""
    min_invocations: int = 1
    """Fewer invocations (and no throttles) than this is 'no data' rather than healthy. Defaults to 1."""

    def __post_init__(self) -> None:
        for name in ("max_error_rate", "max_throttle_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"HealthThresholds.{name} must be within 0-1, got {value}")
        if self.min_invocations < 1:
            raise ValueError(f"HealthThresholds.min_invocations must be >= 1, got {self.min_invocations}")


@dataclass(frozen=True)
class HealthReading:
    """One look at the new version over a window."""

    status: Status
    reason: str
    invocations: float = 0.0
    errors: float = 0.0
    throttles: float = 0.0
    alarms_in_alarm: tuple[str, ...] = ()
    missing_alarms: tuple[str, ...] = ()

    @property
    def error_rate(self) -> float:
        return self.errors / self.invocations if self.invocations else 0.0

    @property
    def throttle_rate(self) -> float:
        total = self.invocations + self.throttles
        return self.throttles / total if total else 0.0

    def figures(self) -> str:
        alarms = ", ".join(self.alarms_in_alarm) if self.alarms_in_alarm else "none in ALARM"
        return (
            f"invocations={self.invocations:g} errors={self.errors:g} ({self.error_rate:.2%}) "
            f"throttles={self.throttles:g} ({self.throttle_rate:.2%}) alarms={alarms}"
        )


def evaluate(
    invocations: float,
    errors: float,
    throttles: float,
    alarms_in_alarm: Sequence[str],
    thresholds: HealthThresholds,
    missing_alarms: Sequence[str] = (),
) -> HealthReading:
    """The verdict on one set of figures; shared by every health source."""

    def reading(status: Status, reason: str) -> HealthReading:
        return HealthReading(
            status,
            reason,
            invocations=invocations,
            errors=errors,
            throttles=throttles,
            alarms_in_alarm=tuple(alarms_in_alarm),
            missing_alarms=tuple(missing_alarms),
        )

    if alarms_in_alarm:
        return reading("unhealthy", f"alarm(s) in ALARM: {', '.join(alarms_in_alarm)}")
    total = invocations + throttles
    if total and throttles / total > thresholds.max_throttle_rate:
        return reading(
            "unhealthy",
            f"throttle rate {throttles / total:.2%} > {thresholds.max_throttle_rate:.2%}",
        )
    if invocations < thresholds.min_invocations:
        return reading("no-data", f"{invocations:g} invocations < {thresholds.min_invocations} needed to judge")
    rate = errors / invocations
    if rate > thresholds.max_error_rate:
        return reading("unhealthy", f"error rate {rate:.2%} > {thresholds.max_error_rate:.2%}")
    return reading("healthy", f"error rate {rate:.2%} <= {thresholds.max_error_rate:.2%}, no alarm in ALARM")


class HealthSource(Protocol):
    """Reads the health of one new version over a time window."""

    def read(self, start: dt.datetime, end: dt.datetime) -> HealthReading: ...


class CloudWatchHealth:
    """New-version health from CloudWatch ``GetMetricData`` and ``DescribeAlarms``."""

    #: Dimension order matters to moto 5.2.5: it matches a query's dimensions to stored data as an ordered list,
    #: whereas CloudWatch matches them as a set. Lambda and our tests use this order.
    DIMENSIONS = ("FunctionName", "Resource", "ExecutedVersion")

    def __init__(
        self,
        cloudwatch: Any,
        *,
        function_name: str,
        alias_name: str,
        version: str,
        alarm_names: Sequence[str] = (),
        thresholds: HealthThresholds | None = None,
        period_seconds: int = 60,
    ) -> None:
        if period_seconds < 1 or (period_seconds >= 60 and period_seconds % 60):
            raise ValueError(f"period_seconds must be 1-59 or a multiple of 60, got {period_seconds}")
        self.cloudwatch = cloudwatch
        self.function_name = function_name
        self.alias_name = alias_name
        self.version = version
        self.alarm_names = list(alarm_names)
        self.thresholds = thresholds or HealthThresholds()
        self.period_seconds = period_seconds

    def dimensions(self) -> list[dict[str, str]]:
        values = (self.function_name, f"{self.function_name}:{self.alias_name}", self.version)
        return [{"Name": n, "Value": v} for n, v in zip(self.DIMENSIONS, values, strict=True)]

    def metric_sums(self, start: dt.datetime, end: dt.datetime) -> dict[str, float]:
        """Sum of Invocations, Errors and Throttles of the new version in [start, end]."""
        names = ("Invocations", "Errors", "Throttles")
        queries = [
            {
                "Id": name.lower(),
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/Lambda", "MetricName": name, "Dimensions": self.dimensions()},
                    "Period": self.period_seconds,
                    "Stat": "Sum",
                },
                "ReturnData": True,
            }
            for name in names
        ]
        sums = {name: 0.0 for name in names}
        by_id = {name.lower(): name for name in names}
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end}
            if token:
                kwargs["NextToken"] = token
            response = self.cloudwatch.get_metric_data(**kwargs)
            for result in response.get("MetricDataResults", []):
                sums[by_id[result["Id"]]] += float(sum(result.get("Values", [])))
            token = response.get("NextToken")
            if not token:
                return sums

    def alarm_states(self) -> tuple[list[str], list[str]]:
        """(alarms in ALARM, alarm names that do not exist)."""
        if not self.alarm_names:
            return [], []
        found: dict[str, str] = {}
        # DescribeAlarms takes at most 100 names per call.
        for i in range(0, len(self.alarm_names), 100):
            batch = self.alarm_names[i : i + 100]
            for page in self.cloudwatch.get_paginator("describe_alarms").paginate(AlarmNames=batch):
                for alarm in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
                    found[alarm["AlarmName"]] = alarm["StateValue"]
        in_alarm = [name for name in self.alarm_names if found.get(name) == "ALARM"]
        missing = [name for name in self.alarm_names if name not in found]
        return in_alarm, missing

    def window(self, start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """[start, end] widened to whole periods: CloudWatch aligns datapoints to the period and rejects a window
        whose ends are equal once truncated to the second. The widening may take in up to one period before the
        step began, which holds the same version's figures at the previous weight."""
        period = self.period_seconds
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        first = math.floor((start - epoch).total_seconds() / period) * period
        last = math.ceil((end - epoch).total_seconds() / period) * period
        last = max(last, first + period)
        return epoch + dt.timedelta(seconds=first), epoch + dt.timedelta(seconds=last)

    def read(self, start: dt.datetime, end: dt.datetime) -> HealthReading:
        sums = self.metric_sums(*self.window(start, end))
        in_alarm, missing = self.alarm_states()
        return evaluate(
            sums["Invocations"], sums["Errors"], sums["Throttles"], in_alarm, self.thresholds, missing_alarms=missing
        )


# ---------------------------------------------------------------------------------------------------------------
# Shifting traffic
# ---------------------------------------------------------------------------------------------------------------


class TrafficShifter(Protocol):
    """Moves traffic of services' aliases between their stable and new versions."""

    def shift(self, weights: Mapping[str, float]) -> None:
        """Route ``weight`` (0 < w < 1) of each service's alias to its new version; the rest stays on stable."""

    def promote(self, services: Sequence[str]) -> None:
        """Point each service's alias at its new version with no routing."""

    def rollback(self, services: Sequence[str]) -> None:
        """Point each service's alias at its stable version with no routing."""


@dataclass(frozen=True)
class AliasTarget:
    """An alias and the two versions a canary moves traffic between."""

    function_name: str
    alias_name: str
    stable_version: str
    new_version: str

    def __post_init__(self) -> None:
        for field_name in ("stable_version", "new_version"):
            value = getattr(self, field_name)
            # AWS rejects routing configuration on $LATEST: both ends must be published versions.
            if not str(value).isdigit():
                raise ValueError(
                    f"{self.function_name}:{self.alias_name}: {field_name} must be a published version number, "
                    f"got {value!r}"
                )
        if self.stable_version == self.new_version:
            raise ValueError(
                f"{self.function_name}:{self.alias_name}: new_version must differ from stable_version, "
                f"both are {self.new_version!r}"
            )


class AliasShifter:
    """A :class:`TrafficShifter` that calls ``lambda:UpdateAlias`` directly."""

    def __init__(self, lambda_client: Any, targets: Mapping[str, AliasTarget]) -> None:
        self.lambda_client = lambda_client
        self.targets = dict(targets)

    def check(self) -> None:
        """Refuse to start unless each alias currently serves its stable version (at 100% or with a canary)."""
        for service, target in self.targets.items():
            try:
                alias = self.lambda_client.get_alias(FunctionName=target.function_name, Name=target.alias_name)
            except ClientError as exc:
                raise ValueError(
                    f"{service}: cannot read alias {target.function_name}:{target.alias_name}: {exc}"
                ) from None
            if str(alias["FunctionVersion"]) != target.stable_version:
                raise ValueError(
                    f"{service}: alias {target.function_name}:{target.alias_name} points to version "
                    f"{alias['FunctionVersion']}, not the stable version {target.stable_version}; pass "
                    f"--stable-version {alias['FunctionVersion']} or fix the alias first"
                )

    def _update(self, target: AliasTarget, version: str, weights: dict[str, float]) -> None:
        self.lambda_client.update_alias(
            FunctionName=target.function_name,
            Name=target.alias_name,
            FunctionVersion=version,
            RoutingConfig={"AdditionalVersionWeights": weights},
        )

    def shift(self, weights: Mapping[str, float]) -> None:
        for service, weight in weights.items():
            target = self.targets[service]
            # AWS accepts weights in (0, 1) only; moto accepts anything, so validate here.
            if not 0.0 < weight < 1.0:
                raise ValueError(f"{service}: canary weight must be within (0, 1), got {weight}")
            self._update(target, target.stable_version, {target.new_version: weight})

    def promote(self, services: Sequence[str]) -> None:
        for service in services:
            target = self.targets[service]
            self._update(target, target.new_version, {})

    def rollback(self, services: Sequence[str]) -> None:
        for service in services:
            target = self.targets[service]
            self._update(target, target.stable_version, {})


# ---------------------------------------------------------------------------------------------------------------
# The controller
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CanaryPlan:
    """How traffic moves: the weights, how long each one bakes, how often health is read."""

    steps: tuple[float, ...] = (0.1, 0.5, 1.0)
    """Weights routed to the new version, increasing, each within (0, 1); a final 1.0 (optional) means promote.
    Defaults to 10% -> 50% -> 100%."""
    bake_seconds: float = 300.0
    """How long each step must stay healthy before the next. Defaults to 300."""
    poll_seconds: float = 60.0
    """How often health is read during a step. Defaults to 60 (CloudWatch's standard resolution)."""
    missing_data_deadline_seconds: float = 600.0
    """A step with no data for the new version this long after it began rolls back. Defaults to 600."""

    def __post_init__(self) -> None:
        weights = self.weights
        if not weights:
            raise ValueError(f"CanaryPlan.steps must hold at least one weight within (0, 1), got {self.steps}")
        for weight in weights:
            if not 0.0 < weight < 1.0:
                raise ValueError(f"CanaryPlan.steps: each weight must be within (0, 1) (or a final 1.0), got {weight}")
        if list(weights) != sorted(set(weights)):
            raise ValueError(f"CanaryPlan.steps must be strictly increasing, got {self.steps}")
        if self.bake_seconds < 0:
            raise ValueError(f"CanaryPlan.bake_seconds must be >= 0, got {self.bake_seconds}")
        if self.poll_seconds <= 0:
            raise ValueError(f"CanaryPlan.poll_seconds must be > 0, got {self.poll_seconds}")
        if self.missing_data_deadline_seconds < self.bake_seconds:
            raise ValueError(
                "CanaryPlan.missing_data_deadline_seconds must be >= bake_seconds "
                f"({self.bake_seconds}), got {self.missing_data_deadline_seconds}"
            )

    @property
    def weights(self) -> tuple[float, ...]:
        """The weighted steps, without the final promote (1.0)."""
        return self.steps[:-1] if self.steps and self.steps[-1] == 1.0 else self.steps

    @classmethod
    def parse_steps(cls, text: str) -> tuple[float, ...]:
        """``"10,50,100"`` or ``"0.1,0.5,1"`` -> (0.1, 0.5, 1.0)."""
        try:
            values = [float(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise ValueError(
                f"canary steps must be comma-separated numbers like 0.1,0.5,1 or 10,50,100, got {text!r}"
            ) from None
        if values and max(values) > 1.0:
            values = [v / 100.0 for v in values]
        return tuple(values)


@dataclass
class StepRecord:
    """One health reading during a step."""

    service: str
    step: int
    weight: float
    elapsed_seconds: float
    reading: HealthReading


@dataclass
class CanaryOutcome:
    """How one service's canary ended."""

    service: str
    stable_version: str
    new_version: str
    result: Literal["promoted", "rolled-back"] = "promoted"
    reason: str = ""
    last_weight: float = 0.0
    readings: list[StepRecord] = field(default_factory=list)


@dataclass
class _Active:
    service: str
    health: HealthSource
    outcome: CanaryOutcome


@dataclass(frozen=True)
class CanaryTarget:
    """A service taking part in a canary, with where its health comes from."""

    service: str
    stable_version: str
    new_version: str
    health: HealthSource


def run_canary(
    targets: Sequence[CanaryTarget],
    shifter: TrafficShifter,
    plan: CanaryPlan,
    *,
    clock: Clock = utc_now,
    sleep: Sleep = time.sleep,
    echo: Echo = print,
) -> dict[str, CanaryOutcome]:
    """Step every target's traffic through ``plan``; promote the healthy, roll back the unhealthy.

    Each step: shift, then read health every ``poll_seconds`` over the window since the step began. A service
    rolls back at its first unhealthy reading, or when it has no data ``missing_data_deadline_seconds`` after the
    step began; it moves on once ``bake_seconds`` have passed and its latest reading is healthy. Services that
    pass every step are promoted together. Every reading is echoed with its figures.
    """
    outcomes = {
        t.service: CanaryOutcome(service=t.service, stable_version=t.stable_version, new_version=t.new_version)
        for t in targets
    }
    active = [_Active(t.service, t.health, outcomes[t.service]) for t in targets]
    weights = plan.weights
    for step_index, weight in enumerate(weights, start=1):
        if not active:
            break
        label = f"step {step_index}/{len(weights)}"
        try:
            shifter.shift({a.service: weight for a in active})
        except Exception as exc:
            # A half-applied shift must not leave weight on an unproven version: put everyone back on stable.
            echo(f"shift to {weight:.0%} failed ({exc}); rolling back {', '.join(a.service for a in active)}")
            shifter.rollback([a.service for a in active])
            raise
        for a in active:
            a.outcome.last_weight = weight
            echo(
                f"[{a.service}] {label}: {weight:.0%} -> version {a.outcome.new_version}, "
                f"{1 - weight:.0%} stays on stable version {a.outcome.stable_version}; bake {plan.bake_seconds:g}s"
            )
        started = clock()
        pending = list(active)
        while pending:
            sleep(plan.poll_seconds)
            now = clock()
            elapsed = (now - started).total_seconds()
            failed: list[_Active] = []
            for a in list(pending):
                try:
                    reading = a.health.read(started, now)
                except Exception as exc:
                    # A failed read (throttled or denied CloudWatch call) is missing data: the deadline still applies.
                    reading = HealthReading("no-data", f"health read failed: {type(exc).__name__}: {exc}")
                a.outcome.readings.append(StepRecord(a.service, step_index, weight, elapsed, reading))
                verdict: str = reading.status
                if reading.status == "unhealthy":
                    a.outcome.reason = f"{label} at {weight:.0%}: {reading.reason}"
                    failed.append(a)
                elif reading.status == "no-data" and elapsed >= plan.missing_data_deadline_seconds:
                    verdict = "unhealthy"
                    a.outcome.reason = (
                        f"{label} at {weight:.0%}: no data for version {a.outcome.new_version} "
                        f"{elapsed:g}s after the step began (deadline {plan.missing_data_deadline_seconds:g}s)"
                    )
                    failed.append(a)
                elif reading.status == "healthy" and elapsed >= plan.bake_seconds:
                    pending.remove(a)
                    verdict = "healthy, baked"
                echo(f"[{a.service}] {label} {weight:.0%} t+{elapsed:g}s: {reading.figures()} -> {verdict}")
                if reading.missing_alarms:
                    echo(f"[{a.service}] warning: alarm(s) not found: {', '.join(reading.missing_alarms)}")
            if failed:
                names = [a.service for a in failed]
                shifter.rollback(names)
                for a in failed:
                    a.outcome.result = "rolled-back"
                    echo(
                        f"[{a.service}] ROLLBACK to stable version {a.outcome.stable_version} at 100%: "
                        f"{a.outcome.reason}"
                    )
                    pending.remove(a)
                    active.remove(a)
    if active:
        names = [a.service for a in active]
        shifter.promote(names)
        for a in active:
            a.outcome.result = "promoted"
            a.outcome.last_weight = 1.0
            a.outcome.reason = f"healthy through {len(weights)} step(s)"
            echo(f"[{a.service}] PROMOTED version {a.outcome.new_version} to 100%")
    return outcomes


def canary_alias(
    lambda_client: Any,
    cloudwatch: Any,
    target: AliasTarget,
    plan: CanaryPlan,
    *,
    service: str | None = None,
    alarm_names: Sequence[str] = (),
    thresholds: HealthThresholds | None = None,
    clock: Clock = utc_now,
    sleep: Sleep = time.sleep,
    echo: Echo = print,
) -> CanaryOutcome:
    """Canary one alias with boto3: :class:`AliasShifter` + :class:`CloudWatchHealth`."""
    name = service or target.function_name
    shifter = AliasShifter(lambda_client, {name: target})
    shifter.check()
    health = CloudWatchHealth(
        cloudwatch,
        function_name=target.function_name,
        alias_name=target.alias_name,
        version=target.new_version,
        alarm_names=alarm_names,
        thresholds=thresholds,
    )
    canary_target = CanaryTarget(name, target.stable_version, target.new_version, health)
    return run_canary([canary_target], shifter, plan, clock=clock, sleep=sleep, echo=echo)[name]

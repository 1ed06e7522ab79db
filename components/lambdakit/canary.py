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
import json
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
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
    data_until: dt.datetime | None = None
    """The end of the latest period holding the new version's metrics; ``None`` when the source does not say
    (then the controller cannot check that the data reaches the window's end)."""
    warnings: tuple[str, ...] = ()

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
    METRICS = ("Invocations", "Errors", "Throttles")

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
        return self._metric_data(start, end)[0]

    def _queries(self) -> list[dict[str, Any]]:
        return [
            {
                "Id": name.lower(),
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/Lambda", "MetricName": name, "Dimensions": self.dimensions()},
                    "Period": self.period_seconds,
                    "Stat": "Sum",
                },
                "ReturnData": True,
            }
            for name in self.METRICS
        ]

    def _metric_data(self, start: dt.datetime, end: dt.datetime) -> tuple[dict[str, float], dt.datetime | None]:
        """Sums of :attr:`METRICS` in [start, end] and the start of the latest period holding any datapoint."""
        queries = self._queries()
        sums = {name: 0.0 for name in self.METRICS}
        by_id = {name.lower(): name for name in self.METRICS}
        latest: dt.datetime | None = None
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end}
            if token:
                kwargs["NextToken"] = token
            response = self.cloudwatch.get_metric_data(**kwargs)
            for result in response.get("MetricDataResults", []):
                sums[by_id[result["Id"]]] += float(sum(result.get("Values", [])))
                for stamp in result.get("Timestamps", []):
                    if isinstance(stamp, dt.datetime):
                        stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
                        latest = stamp if latest is None or stamp > latest else latest
            token = response.get("NextToken")
            if not token:
                return sums, latest

    def alarms_fired(self, start: dt.datetime, end: dt.datetime) -> tuple[list[str], list[str]]:
        """(alarms that went to ALARM within [start, end], warnings), from DescribeAlarmHistory: an alarm that fired
        and cleared between two readings is in ALARM for neither."""
        fired: list[str] = []
        for name in self.alarm_names:
            try:
                pages = self.cloudwatch.get_paginator("describe_alarm_history").paginate(
                    AlarmName=name, HistoryItemType="StateUpdate", StartDate=start, EndDate=end
                )
                items = [item for page in pages for item in page.get("AlarmHistoryItems", [])]
            except Exception as exc:  # an emulator without the API, or a denied call: say so, judge on states
                return fired, [f"alarm history unreadable ({type(exc).__name__}): only current alarm states judged"]
            if any(_went_to_alarm(item) for item in items):
                fired.append(name)
        return fired, []

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
        sums, latest = self._metric_data(*self.window(start, end))
        in_alarm, missing = self.alarm_states()
        fired, warnings = self.alarms_fired(start, end)
        flagged = [*in_alarm, *(f"{name} (fired in the window)" for name in fired if name not in in_alarm)]
        reading = evaluate(
            sums["Invocations"], sums["Errors"], sums["Throttles"], flagged, self.thresholds, missing_alarms=missing
        )
        until = latest + dt.timedelta(seconds=self.period_seconds) if latest is not None else None
        return replace(reading, data_until=until, warnings=tuple(warnings))


def _went_to_alarm(item: Mapping[str, Any]) -> bool:
    data = item.get("HistoryData")
    if isinstance(data, str):
        try:
            state = json.loads(data).get("newState", {}).get("stateValue")
        except (ValueError, AttributeError):
            state = None
        if state is not None:
            return bool(state == "ALARM")
    return "to ALARM" in str(item.get("HistorySummary", ""))


# ---------------------------------------------------------------------------------------------------------------
# Shifting traffic
# ---------------------------------------------------------------------------------------------------------------


def update_alias_with_retry(
    lambda_client: Any,
    function_name: str,
    alias_name: str,
    version: str,
    weights: Mapping[str, float],
    *,
    attempts: int = 8,
    backoff_seconds: float = 0.5,
    max_backoff_seconds: float = 8.0,
    sleep: Sleep = time.sleep,
    echo: Echo | None = None,
) -> None:
    """``UpdateAlias`` to ``version`` routing ``weights`` (``{}``: none), retried on :data:`RETRYABLE_CODES`."""
    wait = backoff_seconds
    for attempt in range(1, attempts + 1):
        try:
            lambda_client.update_alias(
                FunctionName=function_name,
                Name=alias_name,
                FunctionVersion=version,
                RoutingConfig={"AdditionalVersionWeights": dict(weights)},
            )
            return
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code not in RETRYABLE_CODES or attempt == attempts:
                raise
            if echo is not None:
                echo(f"UpdateAlias {function_name}:{alias_name}: {code}, retrying in {wait:g}s ({attempt}/{attempts})")
            sleep(wait)
            wait = min(wait * 2, max_backoff_seconds)


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


#: Error codes of UpdateAlias worth another try: throttling, and a conflict while another update is in flight.
RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "ResourceConflictException",
        "ServiceException",
        "RequestLimitExceeded",
    }
)


class AliasShifter:
    """A :class:`TrafficShifter` that calls ``lambda:UpdateAlias`` directly, retrying throttles and conflicts with
    exponential backoff (``attempts`` tries, waits ``backoff_seconds`` doubling up to ``max_backoff_seconds``)."""

    def __init__(
        self,
        lambda_client: Any,
        targets: Mapping[str, AliasTarget],
        *,
        attempts: int = 8,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 8.0,
        sleep: Sleep = time.sleep,
        echo: Echo | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError(f"AliasShifter.attempts must be >= 1, got {attempts}")
        self.lambda_client = lambda_client
        self.targets = dict(targets)
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.sleep = sleep
        self.echo = echo

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
        update_alias_with_retry(
            self.lambda_client,
            target.function_name,
            target.alias_name,
            version,
            weights,
            attempts=self.attempts,
            backoff_seconds=self.backoff_seconds,
            max_backoff_seconds=self.max_backoff_seconds,
            sleep=self.sleep,
            echo=self.echo,
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
    delivery_delay_seconds: float = 180.0
    """How late CloudWatch may deliver metrics. A step passes only once this long past its bake, judged on the
    whole window since it began, with data reaching the bake's end. Defaults to 180 (3 minutes)."""

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
        if self.delivery_delay_seconds < 0:
            raise ValueError(f"CanaryPlan.delivery_delay_seconds must be >= 0, got {self.delivery_delay_seconds}")
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
class TrafficHook:
    """A traffic hook function and how to invoke it with the new version: ``invoke()`` -> why it failed, or None
    when it passed (see :func:`lambdakit.hooks.invoke_hook`)."""

    function: str
    invoke: Callable[[], str | None]


@dataclass(frozen=True)
class CanaryTarget:
    """A service taking part in a canary, with where its health comes from and its traffic hooks."""

    service: str
    stable_version: str
    new_version: str
    health: HealthSource
    pre_traffic: TrafficHook | None = None
    """Invoked before the first shift; a failure ends this service's canary with no traffic moved."""
    post_traffic: TrafficHook | None = None
    """Invoked after promotion; a failure puts the alias back on the stable version with no weights."""


def _hook_failure(hook: TrafficHook, phase: str, service: str, version: str, echo: Echo) -> str | None:
    """Run one hook; an exception calling it (denied, missing function) is a failure too. -> the reason, or None."""
    try:
        why = hook.invoke()
    except Exception as exc:
        why = f"{type(exc).__name__}: {exc}"
    echo(f"[{service}] {phase} hook {hook.function} on version {version}: {'FAILED: ' + why if why else 'passed'}")
    return f"{phase} hook {hook.function} failed: {why}" if why else None


class CanaryInterrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM reached the controller; the aliases were rolled back to stable before this was raised."""

    def __init__(self, signame: str) -> None:
        super().__init__(signame)
        self.signame = signame


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """While inside, SIGTERM (like SIGINT) raises :class:`CanaryInterrupted` in the main thread, so the controller
    rolls back before the process ends. A no-op outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise CanaryInterrupted(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """A rollback in progress is not cut short by a second Ctrl-C or SIGTERM: they wait until it is done."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _safe_rollback(shifter: TrafficShifter, services: Sequence[str], echo: Echo, why: str) -> list[str]:
    """Roll each service back on its own (one failure does not stop the others); -> services that failed."""
    failed = []
    with _signals_deferred():
        for service in services:
            try:
                shifter.rollback([service])
                echo(f"[{service}] rolled back to its stable version ({why})")
            except Exception as exc:
                failed.append(service)
                echo(
                    f"[{service}] ROLLBACK FAILED ({type(exc).__name__}: {exc}); "
                    f"run `lambdakit canary --abort {service}`"
                )
    return failed


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

    Each step: shift, then read health every ``poll_seconds`` over the whole window since the step began. A service
    rolls back at its first unhealthy reading, or when it has no data ``missing_data_deadline_seconds`` after the
    step began; it moves on once ``bake_seconds + delivery_delay_seconds`` have passed, its reading of the window is
    healthy and the metrics reach the bake's end (CloudWatch delivers late). Services that pass every step are
    promoted together. Every reading is echoed with its figures.

    On any error, Ctrl-C or SIGTERM (see :func:`signals_interrupt`) every service that may carry weight is rolled
    back to its stable version, and that is said, before the exception goes on.

    Traffic hooks: a target's ``pre_traffic`` hook runs before the first shift, and a failure rolls that service
    back with no shift at all (its alias is never touched); its ``post_traffic`` hook runs after promotion, and a
    failure puts its alias back on the stable version with no weights.
    """
    outcomes = {
        t.service: CanaryOutcome(service=t.service, stable_version=t.stable_version, new_version=t.new_version)
        for t in targets
    }
    ready = []
    for t in targets:
        why = (
            None
            if t.pre_traffic is None
            else _hook_failure(t.pre_traffic, "pre-traffic", t.service, t.new_version, echo)
        )
        if why is None:
            ready.append(t)
            continue
        outcomes[t.service].result = "rolled-back"
        outcomes[t.service].reason = why
        echo(f"[{t.service}] ROLLBACK before any shift: {why}; the alias stays on stable version {t.stable_version}")
    post_hooks = {t.service: t.post_traffic for t in ready if t.post_traffic is not None}
    active = [_Active(t.service, t.health, outcomes[t.service]) for t in ready]
    # Services whose alias may route weight now (from the first shift until rolled back or promoted).
    exposed: list[str] = []
    try:
        _steps(active, exposed, shifter, plan, clock, sleep, echo)
        if active:
            names = [a.service for a in active]
            shifter.promote(names)
            exposed.clear()
            for a in active:
                a.outcome.result = "promoted"
                a.outcome.last_weight = 1.0
                a.outcome.reason = f"healthy through {len(plan.weights)} step(s)"
                echo(f"[{a.service}] PROMOTED version {a.outcome.new_version} to 100%")
            # Until its post-traffic hook passes, a promoted service counts as exposed: an interrupt rolls it back.
            exposed[:] = [s for s in names if s in post_hooks]
            for service in list(exposed):
                outcome = outcomes[service]
                why = _hook_failure(post_hooks[service], "post-traffic", service, outcome.new_version, echo)
                if why is not None:
                    shifter.rollback([service])
                    outcome.result, outcome.reason, outcome.last_weight = "rolled-back", why, 0.0
                    echo(f"[{service}] ROLLBACK to stable version {outcome.stable_version} at 100%: {why}")
                exposed.remove(service)
    except BaseException as exc:
        if exposed:
            why = (
                f"interrupted by {exc.signame}"
                if isinstance(exc, CanaryInterrupted)
                else "interrupted"
                if isinstance(exc, KeyboardInterrupt)
                else f"{type(exc).__name__}: {exc}"
            )
            echo(f"canary stopped ({why}); rolling back {', '.join(exposed)} to stable")
            failed = _safe_rollback(shifter, list(exposed), echo, why)
            for service in exposed:
                if service not in failed:
                    outcomes[service].result = "rolled-back"
                    outcomes[service].reason = why
            exposed[:] = failed
        raise
    return outcomes


def _steps(
    active: list[_Active],
    exposed: list[str],
    shifter: TrafficShifter,
    plan: CanaryPlan,
    clock: Clock,
    sleep: Sleep,
    echo: Echo,
) -> None:
    weights = plan.weights
    for step_index, weight in enumerate(weights, start=1):
        if not active:
            break
        label = f"step {step_index}/{len(weights)}"
        exposed[:] = sorted({*exposed, *(a.service for a in active)}, key=[a.service for a in active].index)
        shifter.shift({a.service: weight for a in active})
        for a in active:
            a.outcome.last_weight = weight
            echo(
                f"[{a.service}] {label}: {weight:.0%} -> version {a.outcome.new_version}, "
                f"{1 - weight:.0%} stays on stable version {a.outcome.stable_version}; bake {plan.bake_seconds:g}s"
                + (f" (+{plan.delivery_delay_seconds:g}s for late metrics)" if plan.delivery_delay_seconds else "")
            )
        started = clock()
        bake_end = started + dt.timedelta(seconds=plan.bake_seconds)
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
                covered = reading.data_until is None or reading.data_until >= bake_end
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
                elif reading.status == "healthy" and elapsed >= plan.bake_seconds + plan.delivery_delay_seconds:
                    if covered:
                        pending.remove(a)
                        verdict = "healthy, baked"
                    elif elapsed >= plan.missing_data_deadline_seconds + plan.delivery_delay_seconds:
                        verdict = "unhealthy"
                        a.outcome.reason = (
                            f"{label} at {weight:.0%}: metrics reach only {reading.data_until:%H:%M:%S}, not the "
                            f"bake's end {bake_end:%H:%M:%S}, {elapsed:g}s after the step began"
                        )
                        failed.append(a)
                    else:
                        verdict = f"healthy so far, waiting for metrics up to {bake_end:%H:%M:%S}"
                elif reading.status == "healthy" and elapsed >= plan.bake_seconds:
                    verdict = f"healthy so far, waiting {plan.delivery_delay_seconds:g}s for late metrics"
                echo(f"[{a.service}] {label} {weight:.0%} t+{elapsed:g}s: {reading.figures()} -> {verdict}")
                if reading.missing_alarms:
                    echo(f"[{a.service}] warning: alarm(s) not found: {', '.join(reading.missing_alarms)}")
                for warning in reading.warnings:
                    echo(f"[{a.service}] warning: {warning}")
            if failed:
                names = [a.service for a in failed]
                shifter.rollback(names)
                for a in failed:
                    a.outcome.result = "rolled-back"
                    exposed.remove(a.service)
                    echo(
                        f"[{a.service}] ROLLBACK to stable version {a.outcome.stable_version} at 100%: "
                        f"{a.outcome.reason}"
                    )
                    pending.remove(a)
                    active.remove(a)


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
    shifter = AliasShifter(lambda_client, {name: target}, echo=echo)
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


def abort_alias(
    lambda_client: Any, function_name: str, alias_name: str, *, echo: Echo = print, sleep: Sleep = time.sleep
) -> dict[str, float]:
    """Put an alias left with routing weights (a canary interrupted, crashed or still running) back on its primary
    version, the stable one, at 100%. Reads the weights from the alias itself, so it needs nothing from the run that
    left them. -> the weights removed (``{}`` when there were none)."""
    alias = lambda_client.get_alias(FunctionName=function_name, Name=alias_name)
    stable = str(alias["FunctionVersion"])
    weights = {
        str(k): float(v) for k, v in ((alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}).items()
    }
    if not weights:
        echo(f"{function_name}:{alias_name} routes no weights: 100% on version {stable}; nothing to abort")
        return {}
    with _signals_deferred():
        update_alias_with_retry(lambda_client, function_name, alias_name, stable, {}, sleep=sleep, echo=echo)
    routed = ", ".join(f"{w:.0%} to version {v}" for v, w in weights.items())
    echo(f"{function_name}:{alias_name}: removed the canary's routing ({routed}); 100% on stable version {stable}")
    return weights

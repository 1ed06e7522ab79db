"""The canary controller: the plan, the steps, the traffic hooks, promotion and rollback on any exit."""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from .clock import Clock, Echo, Sleep, utc_now
from .health import CloudWatchHealth, HealthReading, HealthSource, HealthThresholds
from .shift import AliasShifter, AliasTarget, TrafficShifter, update_alias_with_retry


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


def run_hook(hook: TrafficHook, phase: str, service: str, version: str, echo: Echo) -> str | None:
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
    ready = _pre_traffic(targets, outcomes, echo)
    post_hooks = {t.service: t.post_traffic for t in ready if t.post_traffic is not None}
    active = [_Active(t.service, t.health, outcomes[t.service]) for t in ready]
    # Services whose alias may route weight now (from the first shift until rolled back or promoted).
    exposed: list[str] = []
    try:
        _steps(active, exposed, shifter, plan, clock, sleep, echo)
        if active:
            _promote(active, exposed, post_hooks, shifter, plan, echo)
    except BaseException as exc:
        if exposed:
            _roll_back_exposed(exc, exposed, outcomes, shifter, echo)
        raise
    return outcomes


def _pre_traffic(targets: Sequence[CanaryTarget], outcomes: dict[str, CanaryOutcome], echo: Echo) -> list[CanaryTarget]:
    """Run each target's pre-traffic hook; a failure ends that target's canary. -> the targets that may go on."""
    ready = []
    for t in targets:
        why = None if t.pre_traffic is None else run_hook(t.pre_traffic, "pre-traffic", t.service, t.new_version, echo)
        if why is None:
            ready.append(t)
            continue
        outcomes[t.service].result = "rolled-back"
        outcomes[t.service].reason = why
        echo(f"[{t.service}] ROLLBACK before any shift: {why}; the alias stays on stable version {t.stable_version}")
    return ready


def _promote(
    active: list[_Active],
    exposed: list[str],
    post_hooks: dict[str, TrafficHook],
    shifter: TrafficShifter,
    plan: CanaryPlan,
    echo: Echo,
) -> None:
    """Promote every service still active together, then run their post-traffic hooks."""
    names = [a.service for a in active]
    shifter.promote(names)
    exposed.clear()
    for a in active:
        a.outcome.result = "promoted"
        a.outcome.last_weight = 1.0
        a.outcome.reason = f"healthy through {len(plan.weights)} step(s)"
        echo(f"[{a.service}] PROMOTED version {a.outcome.new_version} to 100%")
    outcomes = {a.service: a.outcome for a in active}
    # Until its post-traffic hook passes, a promoted service counts as exposed: an interrupt rolls it back.
    exposed[:] = [s for s in names if s in post_hooks]
    for service in list(exposed):
        outcome = outcomes[service]
        why = run_hook(post_hooks[service], "post-traffic", service, outcome.new_version, echo)
        if why is not None:
            shifter.rollback([service])
            outcome.result, outcome.reason, outcome.last_weight = "rolled-back", why, 0.0
            echo(f"[{service}] ROLLBACK to stable version {outcome.stable_version} at 100%: {why}")
        exposed.remove(service)


def _roll_back_exposed(
    exc: BaseException,
    exposed: list[str],
    outcomes: dict[str, CanaryOutcome],
    shifter: TrafficShifter,
    echo: Echo,
) -> None:
    """After ``exc`` stopped the canary: roll back every service that may carry weight, and say why."""
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
        step = _Step(step_index, label, weight, started, started + dt.timedelta(seconds=plan.bake_seconds))
        pending = list(active)
        while pending:
            sleep(plan.poll_seconds)
            now = clock()
            elapsed = (now - started).total_seconds()
            failed = [a for a in list(pending) if _poll(a, step, now, elapsed, pending, plan, echo)]
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


@dataclass(frozen=True)
class _Step:
    index: int
    label: str
    weight: float
    started: dt.datetime
    bake_end: dt.datetime


def _poll(
    a: _Active, step: _Step, now: dt.datetime, elapsed: float, pending: list[_Active], plan: CanaryPlan, echo: Echo
) -> bool:
    """Read one service's health during ``step`` and judge it: a baked service leaves ``pending``. -> True when it
    must roll back (its outcome's reason then says why)."""
    label, weight, bake_end = step.label, step.weight, step.bake_end
    try:
        reading = a.health.read(step.started, now)
    except Exception as exc:
        # A failed read (throttled or denied CloudWatch call) is missing data: the deadline still applies.
        reading = HealthReading("no-data", f"health read failed: {type(exc).__name__}: {exc}")
    a.outcome.readings.append(StepRecord(a.service, step.index, weight, elapsed, reading))
    verdict: str = reading.status
    failed = False
    covered = reading.data_until is None or reading.data_until >= bake_end
    if reading.status == "unhealthy":
        a.outcome.reason = f"{label} at {weight:.0%}: {reading.reason}"
        failed = True
    elif reading.status == "no-data" and elapsed >= plan.missing_data_deadline_seconds:
        verdict = "unhealthy"
        a.outcome.reason = (
            f"{label} at {weight:.0%}: no data for version {a.outcome.new_version} "
            f"{elapsed:g}s after the step began (deadline {plan.missing_data_deadline_seconds:g}s)"
        )
        failed = True
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
            failed = True
        else:
            verdict = f"healthy so far, waiting for metrics up to {bake_end:%H:%M:%S}"
    elif reading.status == "healthy" and elapsed >= plan.bake_seconds:
        verdict = f"healthy so far, waiting {plan.delivery_delay_seconds:g}s for late metrics"
    echo(f"[{a.service}] {label} {weight:.0%} t+{elapsed:g}s: {reading.figures()} -> {verdict}")
    if reading.missing_alarms:
        echo(f"[{a.service}] warning: alarm(s) not found: {', '.join(reading.missing_alarms)}")
    for warning in reading.warnings:
        echo(f"[{a.service}] warning: {warning}")
    return failed


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

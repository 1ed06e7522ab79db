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

Modules: ``health`` (thresholds, readings, CloudWatch), ``shift`` (moving an alias's traffic), ``controller`` (the
steps, hooks, promotion and rollback), ``clock`` (the injected time and output).
"""

from __future__ import annotations

from .clock import Clock, Echo, Sleep, utc_now
from .controller import (
    CanaryInterrupted,
    CanaryOutcome,
    CanaryPlan,
    CanaryTarget,
    StepRecord,
    TrafficHook,
    abort_alias,
    canary_alias,
    run_canary,
    run_hook,
    signals_interrupt,
)
from .health import CloudWatchHealth, HealthReading, HealthSource, HealthThresholds, Status, evaluate
from .shift import RETRYABLE_CODES, AliasShifter, AliasTarget, TrafficShifter, update_alias_with_retry

__all__ = [
    "RETRYABLE_CODES",
    "AliasShifter",
    "AliasTarget",
    "CanaryInterrupted",
    "CanaryOutcome",
    "CanaryPlan",
    "CanaryTarget",
    "Clock",
    "CloudWatchHealth",
    "Echo",
    "HealthReading",
    "HealthSource",
    "HealthThresholds",
    "Sleep",
    "Status",
    "StepRecord",
    "TrafficHook",
    "TrafficShifter",
    "abort_alias",
    "canary_alias",
    "evaluate",
    "run_canary",
    "run_hook",
    "signals_interrupt",
    "update_alias_with_retry",
    "utc_now",
]

"""Traffic through the sandbox: each service's event sent through its alias at a rate, bounded in count and time.

Each request is the service's smoke event, shaped as its trigger delivers it (an SQS batch, a stream record, an HTTP
request, ...), made distinct per request (message and request ids carry the request's number) and invoked through
the service's alias, so a weighted alias splits it between its versions as Lambda would. The report counts
invocations and errors per version.

With a virtual :class:`~lambdakit.sandbox.metrics.SandboxClock` (a compressed rehearsal) the requests are spread over
``duration`` seconds of sandbox time: the clock moves ``1/rate`` per request and the alarms are evaluated at every
period boundary, so minutes of traffic take the time the handlers take to run. With the wall clock, requests are
paced in real time.
"""

from __future__ import annotations

import copy
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .deploy import ServiceView
from .emulator import Sandbox
from .metrics import AlarmChange, SandboxClock, evaluate_alarms

#: At most this many invocations per call, whatever the rate and duration say.
MAX_INVOCATIONS = 20_000
#: Alarms are evaluated at boundaries of this many (sandbox) seconds: CloudWatch's standard resolution.
EVALUATION_SECONDS = 60


@dataclass
class ServiceTraffic:
    """What one service received."""

    service: str
    function_name: str
    qualifier: str
    event_kind: str
    sent: int = 0
    by_version: Counter[str] = field(default_factory=Counter)
    errors_by_version: Counter[str] = field(default_factory=Counter)

    @property
    def errors(self) -> int:
        return sum(self.errors_by_version.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "function": self.function_name,
            "qualifier": self.qualifier,
            "event": self.event_kind,
            "sent": self.sent,
            "byVersion": dict(self.by_version),
            "errorsByVersion": dict(self.errors_by_version),
        }


@dataclass
class TrafficReport:
    """One traffic run: per service, per version counts; how long it took; which alarms changed state."""

    services: dict[str, ServiceTraffic] = field(default_factory=dict)
    rate: float = 0.0
    duration: float = 0.0
    wall_seconds: float = 0.0
    sandbox_seconds: float = 0.0
    capped: str = ""
    alarm_changes: list[AlarmChange] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(s.sent for s in self.services.values())

    def merge(self, other: TrafficReport) -> None:
        for name, traffic in other.services.items():
            mine = self.services.setdefault(
                name, ServiceTraffic(name, traffic.function_name, traffic.qualifier, traffic.event_kind)
            )
            mine.sent += traffic.sent
            mine.by_version.update(traffic.by_version)
            mine.errors_by_version.update(traffic.errors_by_version)
        self.wall_seconds += other.wall_seconds
        self.sandbox_seconds += other.sandbox_seconds
        self.alarm_changes += other.alarm_changes

    def table(self) -> str:
        rows = [("service", "via", "event", "sent", "per version (errors)")]
        for s in sorted(self.services.values(), key=lambda s: s.service):
            versions = ", ".join(
                f"v{v}: {n} ({s.errors_by_version.get(v, 0)})" for v, n in sorted(s.by_version.items(), key=_vkey)
            )
            rows.append((s.service, f"{s.function_name}:{s.qualifier}", s.event_kind, str(s.sent), versions or "-"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append(
            f"{self.sent} invocation(s) in {self.wall_seconds:.1f} s wall time"
            + (f", {self.sandbox_seconds:g} s of sandbox time" if self.sandbox_seconds else "")
            + (f"; {self.capped}" if self.capped else "")
        )
        for change in self.alarm_changes:
            lines.append(
                f"alarm {change.alarm}: {change.old} -> {change.new} at {change.at:%H:%M:%S} ({change.reason})"
            )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "duration": self.duration,
            "sent": self.sent,
            "wallSeconds": round(self.wall_seconds, 3),
            "sandboxSeconds": self.sandbox_seconds,
            "capped": self.capped,
            "services": [s.to_json() for s in self.services.values()],
            "alarmChanges": [
                {"alarm": c.alarm, "old": c.old, "new": c.new, "at": c.at.isoformat(), "reason": c.reason}
                for c in self.alarm_changes
            ],
        }


def _vkey(item: tuple[str, int]) -> tuple[int, str]:
    version = item[0]
    return (int(version), version) if version.isdigit() else (1 << 30, version)


def vary(event: Any, n: int) -> Any:
    """The event made distinct for request ``n``: message ids, request ids and event ids carry the number."""
    if not isinstance(event, Mapping):
        return event
    out = copy.deepcopy(dict(event))
    for record in out.get("Records") or []:
        if isinstance(record, dict):
            for key in ("messageId", "eventID", "eventId"):
                if key in record:
                    record[key] = f"{record[key]}-{n:06d}"
            sns = record.get("Sns")
            if isinstance(sns, dict) and "MessageId" in sns:
                sns["MessageId"] = f"{sns['MessageId']}-{n:06d}"
    context = out.get("requestContext")
    if isinstance(context, dict) and "requestId" in context:
        context["requestId"] = f"{context['requestId']}-{n:06d}"
    if "id" in out and isinstance(out["id"], str):
        out["id"] = f"{out['id']}-{n:06d}"
    return out


def send_traffic(
    sandbox: Sandbox,
    views: Sequence[ServiceView],
    *,
    rate: float,
    duration: float,
    clock: SandboxClock | None = None,
    max_invocations: int = MAX_INVOCATIONS,
    max_wall_seconds: float | None = None,
    evaluate: bool = True,
    start_number: int = 0,
    echo: Callable[[str], None] | None = None,
) -> TrafficReport:
    """Send ``rate`` requests per second to each of ``views`` for ``duration`` seconds (see the module docstring).

    Bounded by ``max_invocations`` in all and ``max_wall_seconds`` of real time; the report says when a bound cut
    the run short. ``evaluate`` evaluates the alarms at each minute boundary of the clock and at the end.
    """
    if rate <= 0:
        raise ValueError(f"traffic rate must be > 0 requests per second, got {rate}")
    if duration <= 0:
        raise ValueError(f"traffic duration must be > 0 seconds, got {duration}")
    clock = clock or SandboxClock()
    report = TrafficReport(rate=rate, duration=duration)
    for view in views:
        report.services[view.name] = ServiceTraffic(
            view.name, view.function_name, view.alias or "$LATEST", view.smoke_kind
        )
    ticks = int(rate * duration)
    if ticks * max(1, len(views)) > max_invocations:
        report.capped = (
            f"capped at {max_invocations} invocations ({rate:g}/s x {duration:g} s x {len(views)} service(s) "
            f"would be {ticks * len(views)})"
        )
        ticks = max_invocations // max(1, len(views))
    interval = 1.0 / rate
    started_wall = time.perf_counter()
    started = clock.now()
    last_evaluated = _minute(started)
    n = start_number
    for tick in range(ticks):
        if max_wall_seconds is not None and time.perf_counter() - started_wall > max_wall_seconds:
            report.capped = f"stopped after {max_wall_seconds:g} s of wall time ({tick} of {ticks} rounds)"
            break
        if not clock.virtual:
            wait = started_wall + tick * interval - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        for view in views:
            n += 1
            result = sandbox.invoke(view.function_name, view.alias, vary(view.smoke_payload, n))
            traffic = report.services[view.name]
            traffic.sent += 1
            traffic.by_version[result.executed_version] += 1
            if result.function_error:
                traffic.errors_by_version[result.executed_version] += 1
        if clock.virtual:
            clock.advance(interval)
        if evaluate and _minute(clock.now()) != last_evaluated:
            last_evaluated = _minute(clock.now())
            report.alarm_changes += evaluate_alarms(sandbox, clock.now())
    if clock.virtual:
        # The rest of the duration passes without requests (rounding of rate x duration).
        remaining = duration - ticks * interval
        if remaining > 0:
            clock.advance(remaining)
    if evaluate:
        report.alarm_changes += evaluate_alarms(sandbox, clock.now())
    report.wall_seconds = time.perf_counter() - started_wall
    report.sandbox_seconds = (clock.now() - started).total_seconds() if clock.virtual else 0.0
    if echo is not None:
        echo(report.table())
    return report


def _minute(stamp: Any) -> int:
    return int(stamp.timestamp()) // EVALUATION_SECONDS

"""Rehearse a release locally: the release driver (``lambdakit.driver.Driver``) on a stateful sandbox backend.

The driver code is the real one; only the stack backend differs. :class:`SandboxBackend` gives the driver
:class:`SandboxStack`s whose ``set_config``/``remove_config`` write the stack's record (as ``pulumi config set``
writes ``Pulumi.<stack>.yaml``), whose ``preview`` runs the offline policy gate with the environment's policy config
and the sandbox's diff against the record, whose ``up`` is a stateful sandbox ``up`` (:mod:`.stateful`), and whose
``services`` come from the record as they would from ``pulumi stack export``. The AWS side is the driver's
``Boto3ServiceOps`` with clients on the emulator: smoke invocations, alias reads, CloudWatch health, pruning.

Time is one virtual :class:`~.metrics.SandboxClock`: the canary reads it, the metrics are stamped with it and the
alarms are evaluated on it. The canary's ``sleep(poll)`` is :class:`RehearsalSleep`: it sends traffic to every
service under a canary for ``poll`` seconds of sandbox time (at ``traffic_rate`` requests per second) and so moves
the clock, which is how a 5-minute bake takes the few seconds the handlers need to run.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from lambdakit.canary import Echo, HealthThresholds
from lambdakit.codedeploy_release import NOT_EMULATED
from lambdakit.driver import (
    Boto3ServiceOps,
    Driver,
    Environment,
    PolicyViolation,
    PreviewOutcome,
    RunReport,
    ServiceOps,
)
from lambdakit.ops import Clients, ServiceRef, services_from_state
from lambdakit.program import load_stack_config
from lambdakit.traffic import CANARY_WEIGHT, RELEASE_KEY, STABLE_VERSION, parse_release_config

from . import diff
from .emulator import FAKE_CREDENTIALS, Sandbox
from .metrics import LambdaMetrics, SandboxClock
from .state import StateStore
from .stateful import UpResult, destroy, preview, up
from .traffic import TrafficReport, send_traffic

#: Where a rehearsal's clock starts: any fixed time works (it is the sandbox's, not the wall's).
REHEARSAL_START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)

_SEGMENT = re.compile(r'\.([A-Za-z0-9_-]+)|\[("(?:[^"\\]|\\.)*"|\d+)\]')


def split_path_key(key: str) -> tuple[str, list[str | int]]:
    """``ns:top["a"].b[0]`` -> (``ns:top``, ["a", "b", 0]), as ``pulumi config set --path`` reads a key."""
    match = re.match(r"([^.\[]+)", key)
    if not match:
        raise ValueError(f"config key {key!r} has no name")
    top, rest, path = match.group(1), key[match.end() :], []
    pos = 0
    while pos < len(rest):
        seg = _SEGMENT.match(rest, pos)
        if not seg:
            raise ValueError(f"config key {key!r}: cannot read the path from {rest[pos:]!r}")
        if seg.group(1) is not None:
            path.append(seg.group(1))
        else:
            token = seg.group(2)
            path.append(json.loads(token) if token.startswith('"') else int(token))
        pos = seg.end()
    return top, path


@dataclass
class UpRecord:
    """One ``up`` of the rehearsal, for the closing figures."""

    stack: str
    what: str
    changes: str
    calls: int
    seconds: float


class SandboxSession:
    """One emulator, the stacks' records, one clock and the metrics: what a rehearsal runs on (in process)."""

    def __init__(
        self,
        sandbox: Sandbox,
        store: StateStore,
        *,
        clock: SandboxClock | None = None,
        echo: Echo = print,
    ) -> None:
        self.sandbox = sandbox
        self.store = store
        self.clock = clock or SandboxClock(REHEARSAL_START)
        self.metrics = LambdaMetrics(sandbox, self.clock).attach()
        self.echo = echo
        self.results: dict[str, UpResult] = {}
        self.ups: list[UpRecord] = []
        self.traffic: dict[str, TrafficReport] = {}
        self.current: str | None = None

    def up(
        self,
        program_dir: str | Path,
        stack: str,
        *,
        what: str = "up",
        config_overrides: Mapping[str, str] | None = None,
    ) -> UpResult:
        result = up(self.sandbox, self.store, program_dir, stack, config_overrides=config_overrides)
        self.results[stack] = result
        self.ups.append(UpRecord(stack, what, diff.summary(result.applied), result.call_count, result.seconds))
        return result

    def destroy(self, stack: str) -> UpResult:
        self.results.pop(stack, None)
        return destroy(self.sandbox, self.store, stack)

    def send(self, stack: str, rate: float, seconds: float, services: Sequence[str] | None = None) -> TrafficReport:
        """Traffic to ``services`` (default: all) of the stack's last ``up`` for ``seconds`` of sandbox time."""
        result = self.results.get(stack)
        if result is None or result.deployment is None:
            raise RuntimeError(f"stack {stack!r} has not been deployed in this sandbox session")
        views = [v for v in result.deployment.services if services is None or v.name in services]
        report = send_traffic(self.sandbox, views, rate=rate, duration=seconds, clock=self.clock)
        self.traffic.setdefault(stack, TrafficReport(rate=rate)).merge(report)
        return report

    def close(self) -> None:
        self.metrics.detach()


class SandboxStack:
    """A :class:`lambdakit.driver.StackHandle` on a stateful sandbox stack."""

    def __init__(self, session: SandboxSession, name: str, program_dir: str | Path, *, echo: Echo = print) -> None:
        self.session = session
        self.name = name
        self.program_dir = str(Path(program_dir).resolve())
        self.echo = echo
        self.ups = 0
        self._last_release: dict[str, Any] = {}

    # ----- config, kept in the stack's record ------------------------------------------------------------------
    def _base_value(self, top: str) -> Any:
        state = self.session.store.load(self.name)
        if top in state.config:
            return json.loads(state.config[top])
        _, config, _ = load_stack_config(self.program_dir, self.name)
        return json.loads(config[top]) if top in config else None

    def set_config(self, key: str, value: str, *, path: bool = False) -> None:
        state = self.session.store.load(self.name)
        if not path:
            state.config[key] = value
        else:
            top, segments = split_path_key(key)
            root = self._base_value(top)
            root = root if isinstance(root, dict) else {}
            node = root
            for segment in segments[:-1]:
                node = node.setdefault(segment, {})
            node[segments[-1]] = value
            state.config[top] = json.dumps(root)
        self.session.store.save(state)

    def remove_config(self, key: str, *, path: bool = False) -> None:
        state = self.session.store.load(self.name)
        if not path:
            state.config.pop(key, None)
        else:
            top, segments = split_path_key(key)
            root = self._base_value(top)
            node = root
            for segment in segments[:-1]:
                node = node.get(segment) if isinstance(node, dict) else None
            if not isinstance(node, dict) or segments[-1] not in node:
                return
            del node[segments[-1]]
            state.config[top] = json.dumps(root)
        self.session.store.save(state)

    def config(self) -> dict[str, str]:
        return dict(self.session.store.load(self.name).config)

    # ----- Pulumi operations -------------------------------------------------------------------------------------
    def preview(self, *, policy_packs: Sequence[str], policy_pack_configs: Sequence[str]) -> PreviewOutcome:
        state = self.session.store.load(self.name)
        run, changes = preview(self.program_dir, state, config_overrides=state.config)
        self.echo(diff.render(changes, title=f"  sandbox preview of {self.name}:").replace("\n", "\n  "))
        outcome = PreviewOutcome(changes=diff.counts(changes))
        for function in run.by_type("aws:lambda/function:Function"):
            name, reserved = function.outputs.get("name"), function.inputs.get("reservedConcurrentExecutions")
            if isinstance(name, str):
                planned = int(reserved) if isinstance(reserved, int | float) and reserved >= 0 else None
                outcome.reserved_concurrency[name] = planned
        for pack in policy_packs:
            from lambdakit.gate.run import run_gate

            config = policy_pack_configs[0] if policy_pack_configs else None
            gate = run_gate(self.program_dir, self.name, config, pack_dir=Path(pack), config_overrides=state.config)
            outcome.violations += [
                PolicyViolation(Path(pack).name, v.policy, v.level, v.message, v.urn) for v in gate.violations
            ]
        return outcome

    def up(self) -> dict[str, Any]:
        release = self._release_summary()
        result = self.session.up(self.program_dir, self.name, what=f"up{f' ({release})' if release else ''}")
        self.ups += 1
        self.echo(f"    sandbox: {result.summary()}")
        return dict(result.deployment.exports) if result.deployment else {}

    def services(self) -> dict[str, ServiceRef]:
        return services_from_state(self.session.store.load(self.name).pulumi_state())

    def canaried(self) -> list[str]:
        """Services whose release config routes a canary weight now."""
        state = self.session.store.load(self.name)
        project = state.project or _project(self.program_dir)
        raw = state.config.get(f"{project}:{RELEASE_KEY}")
        entries = parse_release_config(project, json.loads(raw) if raw else None)
        return sorted(s for s, e in entries.items() if e.canary_weight)

    def _release_summary(self) -> str:
        """What this up does to traffic, from the release config now and at the last up: shift, promote, roll back."""
        state = self.session.store.load(self.name)
        raw = state.config.get(f"{state.project or _project(self.program_dir)}:{RELEASE_KEY}")
        now = json.loads(raw) if raw else {}
        before, self._last_release = self._last_release, now
        parts = []
        for service, entry in sorted(now.items()):
            entry = entry if isinstance(entry, dict) else {}
            old_entry = before.get(service)
            old: dict[str, Any] = old_entry if isinstance(old_entry, dict) else {}
            if entry.get(CANARY_WEIGHT) is not None:
                parts.append(f"{service} {float(entry[CANARY_WEIGHT]):.0%} to new")
            elif old.get(CANARY_WEIGHT) is not None:
                moved = str(entry.get(STABLE_VERSION)) != str(old.get(STABLE_VERSION))
                parts.append(f"{'promote' if moved else 'roll back'} {service}")
        return ", ".join(parts)


def _project(program_dir: str) -> str:
    from lambdakit.program import project_name

    return project_name(program_dir)


class SandboxBackend:
    """A :class:`lambdakit.driver.StackBackend` whose stacks live in a :class:`SandboxSession`."""

    def __init__(
        self,
        session: SandboxSession,
        program_dir: str | Path,
        *,
        baseline: str | Path | None = None,
        echo: Echo = print,
    ) -> None:
        self.session = session
        self.program_dir = program_dir
        self.baseline = baseline
        self.echo = echo
        self.stacks: dict[str, SandboxStack] = {}

    def select_or_create(self, stack_name: str) -> SandboxStack:
        """The stack; a stack with no record is first brought to the baseline program, when there is one (so the
        release has a stable version to canary against, as a stack deployed from main would)."""
        self.session.current = stack_name
        if self.baseline is not None and not self.session.store.load(stack_name).resources:
            self.echo(f"  baseline: deploying {self.baseline} to the new sandbox stack {stack_name}")
            result = self.session.up(self.baseline, stack_name, what="baseline")
            self.echo(f"    sandbox: {result.summary()}")
        if stack_name not in self.stacks:
            self.stacks[stack_name] = SandboxStack(self.session, stack_name, self.program_dir, echo=self.echo)
        return self.stacks[stack_name]


class RehearsalSleep:
    """The canary's ``sleep``: ``seconds`` of sandbox time pass with traffic to each service under a canary."""

    def __init__(self, backend: SandboxBackend, rate: float, *, echo: Echo = print) -> None:
        self.backend = backend
        self.rate = rate
        self.echo = echo

    def __call__(self, seconds: float) -> None:
        stack_name = self.backend.session.current
        stack = self.backend.stacks.get(stack_name or "")
        services = stack.canaried() if stack is not None else []
        if stack is None or not services or seconds <= 0:
            if self.backend.session.clock.virtual and seconds > 0:
                self.backend.session.clock.advance(seconds)
            return
        report = self.backend.session.send(stack.name, self.rate, seconds, services)
        for traffic in report.services.values():
            errors = traffic.errors_by_version
            versions = ", ".join(f"v{v} {n} ({errors.get(v, 0)} errors)" for v, n in sorted(traffic.by_version.items()))
            self.echo(f"    traffic {traffic.service}: {traffic.sent} request(s) in {seconds:g} s: {versions}")
        for change in report.alarm_changes:
            self.echo(f"    alarm {change.alarm}: {change.old} -> {change.new}")


def sandbox_ops(sandbox: Sandbox, thresholds: HealthThresholds | None = None) -> Callable[[Environment], ServiceOps]:
    """The driver's ``ops_for``: ``Boto3ServiceOps`` with clients on the emulator."""
    session = boto3.session.Session(
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=sandbox.region,
    )
    clients = Clients(session, sandbox.endpoint_url)

    def ops_for(env: Environment) -> ServiceOps:
        return Boto3ServiceOps(clients, thresholds=thresholds, codedeploy_refusal=NOT_EMULATED)

    return ops_for


@dataclass
class Rehearsal:
    """What a rehearsal did: the driver's report, every up with its AWS calls, traffic per stack, the wall time."""

    report: RunReport
    ups: list[UpRecord] = field(default_factory=list)
    traffic: dict[str, TrafficReport] = field(default_factory=dict)
    wall_seconds: float = 0.0
    sandbox_seconds: float = 0.0
    aliases: dict[str, dict[str, tuple[str, dict[str, float]]]] = field(default_factory=dict)
    """Per stack, per service: (version, routing weights) of the alias when the rehearsal ended."""

    def figures(self) -> str:
        lines = [
            "Rehearsal figures:",
            f"  wall time {self.wall_seconds:.1f} s for {self.sandbox_seconds:g} s of sandbox time",
        ]
        lines.append("  ups (AWS calls each):")
        width = max((len(u.stack) for u in self.ups), default=5)
        for u in self.ups:
            lines.append(f"    {u.stack:<{width}}  {u.calls:>4} calls  {u.seconds:5.1f} s  {u.what}: {u.changes}")
        for stack, traffic in self.traffic.items():
            lines.append(f"  traffic in {stack} (invocations per version, errors in brackets):")
            for s in sorted(traffic.services.values(), key=lambda s: s.service):
                versions = ", ".join(
                    f"v{v} {n} ({s.errors_by_version.get(v, 0)})" for v, n in sorted(s.by_version.items())
                )
                lines.append(f"    {s.service}: {versions}")
        lines.append("  aliases at the end:")
        for stack, aliases in self.aliases.items():
            shown = ", ".join(
                f"{service} -> {version}" + (f" routing {weights}" if weights else " (no routing)")
                for service, (version, weights) in sorted(aliases.items())
            )
            lines.append(f"    {stack}: {shown}")
        return "\n".join(lines)


def rehearse(
    session: SandboxSession,
    program_dir: str | Path,
    environments: Sequence[Environment],
    *,
    project: str,
    policy_packs: Sequence[str],
    policy_config_dir: str | Path,
    thresholds: HealthThresholds | None = None,
    traffic_rate: float = 1.0,
    baseline: str | Path | None = None,
    echo: Echo = print,
) -> Rehearsal:
    """Run the release driver over ``environments`` on the sandbox; a stack with no record is first brought to
    ``baseline`` (a program folder, e.g. a checkout of main). Prints step by step; returns the figures."""
    started_wall = time.perf_counter()
    started = session.clock.now()
    backend = SandboxBackend(session, program_dir, baseline=baseline, echo=echo)
    driver = Driver(
        backend,
        sandbox_ops(session.sandbox, thresholds),
        project=project,
        policy_packs=policy_packs,
        policy_config_dir=policy_config_dir,
        clock=session.clock,
        sleep=RehearsalSleep(backend, traffic_rate, echo=echo),
        echo=echo,
    )
    report = driver.run(environments)
    ops = sandbox_ops(session.sandbox)(environments[0]) if environments else None
    aliases: dict[str, dict[str, tuple[str, dict[str, float]]]] = {}
    for env in environments:
        state = session.store.load(env.stack)
        if ops is None or not state.resources:
            continue
        for service, ref in services_from_state(state.pulumi_state()).items():
            found = ops.alias_state(ref)
            if found is not None:
                aliases.setdefault(env.stack, {})[service] = found
    rehearsal = Rehearsal(
        report,
        ups=list(session.ups),
        traffic=dict(session.traffic),
        wall_seconds=time.perf_counter() - started_wall,
        sandbox_seconds=(session.clock.now() - started).total_seconds(),
        aliases=aliases,
    )
    echo("")
    echo(rehearsal.figures())
    return rehearsal


def release_in_sandbox(
    args: Any,
    program: Path,
    project: str,
    environments: Sequence[Environment],
    packs: Sequence[str],
    thresholds: HealthThresholds,
) -> int:
    """``lambdakit release --sandbox``: the rehearsal in a fresh emulator (exit 0 promoted everywhere, 1 not)."""
    import shutil
    import sys
    import tempfile

    from lambdakit.cliutil import UsageError, caller_path

    baseline = caller_path(args.baseline) if args.baseline else None
    if baseline is not None and not (baseline / "Pulumi.yaml").is_file():
        raise UsageError(f"--baseline {args.baseline}: {baseline} has no Pulumi.yaml")
    if args.traffic_rate <= 0:
        raise UsageError(f"--traffic-rate must be > 0 requests per second, got {args.traffic_rate}")
    state_dir = Path(tempfile.mkdtemp(prefix="lambdakit-rehearsal-"))
    print(
        f"Rehearsing the release of {program} in a local sandbox"
        + (f" from the baseline {baseline}" if baseline else "")
        + f"; sandbox clock starts at {REHEARSAL_START:%Y-%m-%d %H:%M} UTC",
        file=sys.stderr,
        flush=True,
    )
    try:
        with Sandbox(seed=0, concurrency_quota=args.account_limit) as sandbox:
            session = SandboxSession(sandbox, StateStore(state_dir))
            try:
                rehearsal = rehearse(
                    session,
                    program,
                    environments,
                    project=project,
                    policy_packs=packs,
                    policy_config_dir=program / "policy-config",
                    thresholds=thresholds,
                    traffic_rate=args.traffic_rate,
                    baseline=baseline,
                )
            finally:
                session.close()
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)
    return 0 if rehearsal.report.ok else 1

"""The release run: environments in order, each through its stages (select, config, preview, budget, up, smoke,
canary, prune), and the summary table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lambdakit.canary import (
    CanaryOutcome,
    CanaryPlan,
    CanaryTarget,
    Clock,
    Echo,
    HealthThresholds,
    Sleep,
    TrafficHook,
    run_canary,
    run_hook,
    utc_now,
)
from lambdakit.codedeploy_release import DEFAULT_TIMEOUT_S
from lambdakit.ops import (
    DEFAULT_KEEP,
    Clients,
    InvokeResult,
    ServiceRef,
)
from lambdakit.redact import redact
from lambdakit.traffic import CANARY_WEIGHT, RELEASE_KEY, STABLE_VERSION

from .aws import Boto3ServiceOps, ServiceOps
from .shifter import PulumiConfigShifter, config_key
from .stacks import DriverError, PolicyViolation, PreviewOutcome, StackBackend, StackHandle


@dataclass
class Environment:
    """One stack of the release, in the order given to :meth:`Driver.run`."""

    stack: str
    """Stack name: dev, staging, prod."""
    config: Mapping[str, str] = field(default_factory=dict)
    """Config set on the stack before preview (``"aws:region": "eu-west-1"``, or path keys like
    ``"lambdakit:orderProcessor.memorySize": "1024"``). Defaults to none: Pulumi.<stack>.yaml holds the rest."""
    policy_pack_config: str | None = None
    """The policy pack's config for this environment. Defaults to ``policies/config/<stack>.json`` if it exists."""
    canary: CanaryPlan | None = field(default_factory=CanaryPlan)
    """How traffic moves to new versions; None promotes them in one ``up``. Defaults to 10% -> 50% -> 100%."""
    smoke_events: Mapping[str, Any] = field(default_factory=dict)
    """Smoke event per service, over each service's own ``smoke_event``. ``None`` for a service skips its smoke
    invoke."""
    keep_versions: int = DEFAULT_KEEP
    """Published versions to keep per function besides those in use. Defaults to 3."""
    codedeploy_timeout: float = DEFAULT_TIMEOUT_S
    """Seconds to wait for a CodeDeploy deployment (services with ``code_deploy``) before stopping it with rollback.
    Defaults to 3,600."""


Status = Literal["deployed", "blocked", "failed", "rolled-back", "not run"]


@dataclass
class EnvironmentResult:
    """How one environment went, for the summary table."""

    stack: str
    status: Status = "not run"
    stage: str = ""
    detail: str = ""
    changes: dict[str, int] = field(default_factory=dict)
    mandatory: list[PolicyViolation] = field(default_factory=list)
    advisory: list[PolicyViolation] = field(default_factory=list)
    versions: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    canary: dict[str, CanaryOutcome] = field(default_factory=dict)
    pruned: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class RunReport:
    results: list[EnvironmentResult]

    @property
    def ok(self) -> bool:
        return all(r.status == "deployed" for r in self.results)

    def summary(self) -> str:
        return summary_table(self.results)


class Driver:
    """Runs environments in order; see the module docstring for the stages."""

    def __init__(
        self,
        backend: StackBackend,
        ops_for: Callable[[Environment], ServiceOps],
        *,
        project: str,
        policy_packs: Sequence[str] = ("policies",),
        policy_config_dir: str | Path = "policies/config",
        clock: Clock = utc_now,
        sleep: Sleep = time.sleep,
        echo: Echo = print,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.ops_for = ops_for
        self.policy_packs = list(policy_packs)
        self.policy_config_dir = Path(policy_config_dir)
        self.project = project
        self.clock = clock
        self.sleep = sleep
        self.echo = echo
        self.timer = timer

    def run(self, environments: Sequence[Environment]) -> RunReport:
        results = [EnvironmentResult(env.stack) for env in environments]
        for env, result in zip(environments, results, strict=True):
            started = self.timer()
            self.echo(f"== {env.stack}")
            try:
                self._run_one(env, result)
            except Exception as exc:  # a failed stage stops the release; the summary says where and why
                result.status = "failed"
                result.detail = f"{type(exc).__name__}: {exc}"
                self.echo(f"  FAILED at {result.stage}: {result.detail}")
            result.seconds = self.timer() - started
            if result.status != "deployed":
                later = [r.stack for r in results if r.status == "not run"]
                if later:
                    self.echo(f"  stopping: {', '.join(later)} not touched")
                break
        report = RunReport(results)
        self.echo("")
        self.echo(report.summary())
        return report

    def _policy_configs(self, env: Environment) -> list[str]:
        if env.policy_pack_config:
            if not Path(env.policy_pack_config).is_file():
                raise DriverError(f"{env.stack}: policy_pack_config {env.policy_pack_config!r} does not exist")
            return [env.policy_pack_config]
        default = self.policy_config_dir / f"{env.stack}.json"
        return [str(default)] if default.is_file() and self.policy_packs else []

    def _run_one(self, env: Environment, result: EnvironmentResult) -> None:
        """The stages of one environment, in order; each sets ``result.stage`` first, so a failure names it."""
        owned = [k for k in env.config if k.split("[", 1)[0].split(".", 1)[0] == f"{self.project}:{RELEASE_KEY}"]
        if owned:
            raise DriverError(
                f"{env.stack}: config {', '.join(owned)} is set by the driver during the canary; remove it from the "
                "environment's config"
            )
        result.stage = "select"
        stack = self.backend.select_or_create(env.stack)
        ops = self.ops_for(env)
        result.stage = "config"
        stable = self._configure(env, stack, ops)
        result.stage = "preview"
        preview = self._preview(env, stack, result)
        if preview is None:
            return
        result.stage = "budget"
        self._check_budget(env, ops, preview)
        result.stage = "up"
        services, new_versions = self._up(stack, stable, result)
        result.stage = "smoke"
        self._smoke(env, ops, services, new_versions)
        result.stage = "canary"
        if new_versions:
            if not self._shift(env, stack, ops, services, stable, new_versions, result):
                return
        else:
            self.echo("  canary: no new versions")
        result.stage = "prune"
        for service, ref in services.items():
            report = ops.prune(ref, env.keep_versions)
            result.pruned[service] = len(report.deleted)
            self.echo(
                f"  prune {ref.function_name}: deleted {report.deleted or 'none'}, kept {sorted(report.kept, key=int)}"
            )
        result.stage = "done"
        result.status = "deployed"

    def _configure(self, env: Environment, stack: StackHandle, ops: ServiceOps) -> dict[str, str]:
        """Apply the environment's config and pin each service's stable version. -> service -> stable version."""
        for key, value in env.config.items():
            stack.set_config(key, value, path="." in key.split(":", 1)[-1] or "[" in key)
        previous = stack.services()
        stable: dict[str, str] = {}
        for service, ref in previous.items():
            state = ops.alias_state(ref)
            # A leftover weight (an interrupted run) is dropped here, in the up that may also change provisioned
            # concurrency from the environment's config: that up must not ask for both.
            stack.remove_config(config_key(self.project, service, CANARY_WEIGHT), path=True)
            if state is None:
                continue
            stable[service] = state[0]
            if env.canary is not None or ref.pre_traffic_hook:
                # Pinned, the up that publishes new code leaves the alias on the version it serves now (without a
                # canary too when a pre-traffic hook must pass before the new version takes traffic).
                stack.set_config(config_key(self.project, service, STABLE_VERSION), state[0], path=True)
        if stable:
            self.echo("  stable versions: " + ", ".join(f"{s} {v}" for s, v in sorted(stable.items())))
        return stable

    def _preview(self, env: Environment, stack: StackHandle, result: EnvironmentResult) -> PreviewOutcome | None:
        """Preview with the policy packs. -> the outcome, or None when a mandatory violation blocks the release."""
        configs = self._policy_configs(env)
        self.echo(f"  preview with policy packs {self.policy_packs or 'none'} config {configs or 'default'}")
        preview = stack.preview(policy_packs=self.policy_packs, policy_pack_configs=configs)
        result.changes = dict(preview.changes)
        result.mandatory, result.advisory = preview.mandatory, preview.advisory
        for violation in preview.violations:
            where = f" ({violation.urn})" if violation.urn else ""
            self.echo(f"  [{violation.enforcement_level}] {violation.policy_name}{where}: {violation.message}")
        if preview.mandatory:
            result.status = "blocked"
            names = sorted({v.policy_name for v in preview.mandatory})
            result.detail = f"{len(preview.mandatory)} mandatory policy violation(s): {', '.join(names)}"
            self.echo(f"  BLOCKED: {result.detail}")
            return None
        self.echo(f"  preview: {_changes(result.changes)}")
        return preview

    def _check_budget(self, env: Environment, ops: ServiceOps, preview: PreviewOutcome) -> None:
        budget = ops.concurrency_budget(preview.reserved_concurrency)
        if budget is None:
            self.echo("  budget: the endpoint has no GetAccountSettings; the account's concurrency is not checked")
            return
        self.echo(f"  budget: {budget.describe()}")
        if not budget.ok:
            raise DriverError(
                f"{env.stack}: the release would leave too little unreserved concurrency: {budget.describe()}"
            )

    def _up(
        self, stack: StackHandle, stable: Mapping[str, str], result: EnvironmentResult
    ) -> tuple[dict[str, ServiceRef], dict[str, str]]:
        """``up``, then read the services back. -> (services, service -> its new version where the code changed)."""
        self.echo("  pulumi up")
        stack.up()
        services = stack.services()
        new_versions: dict[str, str] = {}
        for service, ref in services.items():
            old = stable.get(service)
            result.versions[service] = (old, ref.version)
            if old is not None and ref.version != old:
                new_versions[service] = ref.version
        self.echo("  versions: " + ", ".join(f"{s} {o or '-'}->{n}" for s, (o, n) in sorted(result.versions.items())))
        return services, new_versions

    def _smoke(
        self, env: Environment, ops: ServiceOps, services: Mapping[str, ServiceRef], new_versions: Mapping[str, str]
    ) -> None:
        for service, ref in services.items():
            default = ref.smoke_event if ref.smoke_event is not None else {}
            payload = env.smoke_events.get(service, default)
            if payload is None:
                continue
            qualifier = new_versions.get(service, ref.alias_name)
            outcome = ops.smoke(ref, qualifier, payload)
            failure = _smoke_failure(outcome)
            self.echo(f"  smoke {service} ({ref.function_name}:{qualifier}): {failure or 'ok'}")
            if failure:
                raise DriverError(f"smoke invoke of {service} ({ref.function_name}:{qualifier}) failed: {failure}")

    def _shift(
        self,
        env: Environment,
        stack: StackHandle,
        ops: ServiceOps,
        services: Mapping[str, ServiceRef],
        stable: Mapping[str, str],
        new_versions: Mapping[str, str],
        result: EnvironmentResult,
    ) -> bool:
        """Move traffic to the new versions (CodeDeploy, a canary, or one promotion). -> False when any rolled back."""
        shifter = PulumiConfigShifter(
            stack,
            services,
            new_versions,
            {s: stable[s] for s in new_versions},
            ops=ops,
            project=self.project,
            echo=self.echo,
        )
        # Services with code_deploy are shifted by CodeDeploy (without a canary, the up already moved them).
        by_codedeploy = (
            [] if env.canary is None else sorted(s for s in new_versions if services[s].codedeploy_application)
        )
        self._codedeploy(env, ops, shifter, services, stable, new_versions, by_codedeploy, result)
        rest = {s: v for s, v in new_versions.items() if s not in by_codedeploy}
        failed = sorted(s for s, o in result.canary.items() if o.result == "rolled-back")
        if failed:
            for service in sorted(rest):
                reason = f"not shifted: CodeDeploy rolled back {', '.join(failed)}"
                result.canary[service] = CanaryOutcome(
                    service, stable[service], rest[service], result="rolled-back", reason=reason
                )
        elif not rest:
            self.echo("  canary: every new version went through CodeDeploy")
        elif env.canary is None:
            self._promote_without_canary(ops, shifter, services, stable, rest, result)
        else:
            targets = [
                CanaryTarget(s, stable[s], v, ops.health(services[s], v), *_hooks(ops, services[s], v))
                for s, v in sorted(rest.items())
            ]
            result.canary.update(
                run_canary(targets, shifter, env.canary, clock=self.clock, sleep=self.sleep, echo=self.echo)
            )
        rolled_back = sorted(s for s, o in result.canary.items() if o.result == "rolled-back")
        if rolled_back:
            result.status = "rolled-back"
            result.detail = "; ".join(f"{s}: {result.canary[s].reason}" for s in rolled_back)
            return False
        return True

    def _promote_without_canary(
        self,
        ops: ServiceOps,
        shifter: PulumiConfigShifter,
        services: Mapping[str, ServiceRef],
        stable: Mapping[str, str],
        rest: Mapping[str, str],
        result: EnvironmentResult,
    ) -> None:
        """One promotion, with the traffic hooks a canary would run: a failed pre-traffic hook keeps that service on
        its stable version; a failed post-traffic hook puts it back there."""
        ready: list[tuple[str, TrafficHook | None]] = []
        for service in sorted(rest):
            pre, post = _hooks(ops, services[service], rest[service])
            why = None if pre is None else run_hook(pre, "pre-traffic", service, rest[service], self.echo)
            if why is not None:
                # Pinned (the hook was in the last outputs), the alias never left stable; a hook new in this release
                # was not known when the up ran, so the alias may already serve the new version: put it back.
                shifter.rollback([service])
                result.canary[service] = CanaryOutcome(
                    service, stable[service], rest[service], result="rolled-back", reason=why
                )
                continue
            ready.append((service, post))
        if ready:
            shifter.promote([s for s, _ in ready])
        for service, post in ready:
            outcome = CanaryOutcome(service, stable[service], rest[service], reason="promoted without canary")
            why = None if post is None else run_hook(post, "post-traffic", service, rest[service], self.echo)
            if why is not None:
                shifter.rollback([service])
                outcome.result, outcome.reason, outcome.last_weight = "rolled-back", why, 0.0
            result.canary[service] = outcome

    def _codedeploy(
        self,
        env: Environment,
        ops: ServiceOps,
        shifter: PulumiConfigShifter,
        services: Mapping[str, ServiceRef],
        stable: Mapping[str, str],
        new_versions: Mapping[str, str],
        names: Sequence[str],
        result: EnvironmentResult,
    ) -> None:
        """CodeDeploy moves these services' aliases (server side); a success is then recorded in the stack by the
        same config + ``up`` as a promotion, so Pulumi's alias agrees with what CodeDeploy did."""
        promoted: list[str] = []
        for service in names:
            old, new = stable[service], new_versions[service]
            outcome = ops.code_deploy(
                services[service],
                old,
                new,
                timeout=env.codedeploy_timeout,
                clock=self.clock,
                sleep=self.sleep,
                echo=self.echo,
            )
            what = f"CodeDeploy deployment {outcome.deployment_id} {outcome.status}"
            reason = f"{what}: {outcome.detail}" if outcome.detail else what
            self.echo(f"  codedeploy {service}: {reason}")
            if outcome.succeeded:
                promoted.append(service)
                result.canary[service] = CanaryOutcome(service, old, new, reason=reason, last_weight=1.0)
            else:
                result.canary[service] = CanaryOutcome(service, old, new, result="rolled-back", reason=reason)
        if promoted:
            shifter.promote(promoted)


def _hooks(ops: ServiceOps, ref: ServiceRef, version: str) -> tuple[TrafficHook | None, TrafficHook | None]:
    """The service's pre- and post-traffic hooks (from its outputs), invoked through ``ops``."""

    def hook(function: str | None) -> TrafficHook | None:
        if not function:
            return None
        return TrafficHook(function, lambda: ops.traffic_hook(ref, function, version))

    return hook(ref.pre_traffic_hook), hook(ref.post_traffic_hook)


def _smoke_failure(outcome: InvokeResult) -> str | None:
    if outcome.function_error:
        return f"function error {outcome.function_error}: {outcome.payload!r}"
    if not 200 <= outcome.status_code < 300:
        return f"status {outcome.status_code}"
    payload = outcome.payload
    if isinstance(payload, dict) and isinstance(payload.get("statusCode"), int) and payload["statusCode"] >= 400:
        return f"HTTP status {payload['statusCode']} in the response: {payload.get('body')!r}"
    return None


def _changes(changes: Mapping[str, int]) -> str:
    shown = {k: v for k, v in changes.items() if k != "same" and v}
    return ", ".join(f"{k} {v}" for k, v in sorted(shown.items())) or "no changes"


def summary_table(results: Sequence[EnvironmentResult]) -> str:
    """One row per environment: status, preview changes, policy findings, versions, canary, pruned, time."""
    headers = ("stack", "status", "changes", "policy (mandatory/advisory)", "versions", "canary", "pruned", "time")
    rows: list[tuple[str, ...]] = []
    for r in results:
        versions = ", ".join(f"{s} {o or '-'}->{n}" for s, (o, n) in sorted(r.versions.items()) if o != n) or "-"
        canary = ", ".join(f"{s} {o.result}" for s, o in sorted(r.canary.items())) or "-"
        status = r.status if r.status in {"deployed", "not run"} else f"{r.status} at {r.stage}"
        rows.append(
            (
                r.stack,
                status,
                _changes(r.changes) if r.status != "not run" else "-",
                f"{len(r.mandatory)}/{len(r.advisory)}" if r.status != "not run" else "-",
                versions,
                canary,
                str(sum(r.pruned.values())) if r.pruned else "-",
                f"{r.seconds:.0f}s" if r.status != "not run" else "-",
            )
        )
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    for r in results:
        if r.detail:
            out.append(f"{r.stack}: {r.detail}")
    return redact("\n".join(out))


def boto3_ops_for(
    clients_for: Callable[[Environment], Clients], thresholds: HealthThresholds | None = None
) -> Callable[[Environment], ServiceOps]:
    """An ``ops_for`` that builds :class:`Boto3ServiceOps` per environment (each may use its own account)."""

    def ops_for(env: Environment) -> ServiceOps:
        return Boto3ServiceOps(clients_for(env), thresholds=thresholds)

    return ops_for

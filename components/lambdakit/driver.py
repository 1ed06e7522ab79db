"""Stack-per-environment release driver: dev -> staging -> prod, each gated and canaried.

Per environment, in order: select or create the stack, apply its config, pin every service's ``stableVersion`` to
the version its alias serves, ``preview`` with the policy pack and the environment's policy config (stop on a
mandatory violation), ``up`` (publishes new versions while the aliases stay on stable), smoke-invoke each new
version, run the canary by changing ``canaryWeight``/``stableVersion`` config and running ``up`` (Pulumi state stays
the source of truth for the alias), then prune old versions. A failed gate stops the run: later environments are
not touched. Progress is echoed as it goes and the run ends with a summary table.

The Pulumi side is behind :class:`StackHandle`/:class:`StackBackend`; :class:`AutomationBackend` implements them
with ``pulumi.automation`` (which shells out to the Pulumi CLI) and is the default where ``pulumi`` is on PATH.
The AWS side is behind :class:`ServiceOps`; :class:`Boto3ServiceOps` implements it with ``lambdakit.ops`` and
``lambdakit.canary``. Tests drive the whole thing with a fake stack against moto.

Any program that uses ``LambdaService`` works unchanged: services are read from the stack's state (each
component's registered outputs: function, alias, alarms, smoke event), and traffic moves through the stack config
object ``<project>:release`` that every ``LambdaService`` reads (:mod:`lambdakit.traffic`), the project being the
``name`` in the program's ``Pulumi.yaml``.

Provisioned concurrency: AWS refuses to create or change it while the alias carries weights. The driver never sets
a weight in the ``up`` that applies the environment's config (it removes any leftover ``canaryWeight`` first), and
the canary ``up``s change nothing but ``canaryWeight`` and ``stableVersion``.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from botocore.exceptions import ClientError

from lambdakit.budget import Budget, plan_budget
from lambdakit.canary import (
    CanaryOutcome,
    CanaryPlan,
    CanaryTarget,
    Clock,
    CloudWatchHealth,
    Echo,
    HealthSource,
    HealthThresholds,
    Sleep,
    TrafficHook,
    run_canary,
    utc_now,
)
from lambdakit.codedeploy_release import DEFAULT_TIMEOUT_S, DeploymentResult, run_deployment
from lambdakit.hooks import invoke_hook
from lambdakit.ops import (
    DEFAULT_KEEP,
    Clients,
    InvokeResult,
    OpsError,
    PruneReport,
    ServiceRef,
    check_target,
    invoke,
    prune_versions,
    services_from_state,
)
from lambdakit.redact import redact, remember
from lambdakit.traffic import CANARY_WEIGHT, RELEASE_KEY, STABLE_VERSION, config_path


class DriverError(Exception):
    """The release cannot go on; the message names the environment, the stage and the cause."""


# ---------------------------------------------------------------------------------------------------------------
# The Pulumi side
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyViolation:
    """One policy pack finding reported during preview."""

    policy_pack: str
    policy_name: str
    enforcement_level: str
    message: str
    urn: str | None = None

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level == "mandatory"


@dataclass
class PreviewOutcome:
    """What a preview with the policy pack found."""

    violations: list[PolicyViolation] = field(default_factory=list)
    changes: dict[str, int] = field(default_factory=dict)
    reserved_concurrency: dict[str, int | None] = field(default_factory=dict)
    """Function name -> the reserved concurrency the up will set (None: unreserved), for the account budget check;
    empty when the backend cannot tell."""

    @property
    def mandatory(self) -> list[PolicyViolation]:
        return [v for v in self.violations if v.mandatory]

    @property
    def advisory(self) -> list[PolicyViolation]:
        return [v for v in self.violations if not v.mandatory]


class StackHandle(Protocol):
    """The operations the driver needs on one stack."""

    name: str

    def set_config(self, key: str, value: str, *, path: bool = False) -> None: ...

    def remove_config(self, key: str, *, path: bool = False) -> None:
        """Remove ``key``; a key that is not set is not an error."""

    def preview(self, *, policy_packs: Sequence[str], policy_pack_configs: Sequence[str]) -> PreviewOutcome:
        """Preview with the policy packs; mandatory violations are returned, not raised."""

    def up(self) -> dict[str, Any]:
        """Deploy; returns the stack outputs as plain values."""

    def services(self) -> dict[str, ServiceRef]:
        """The stack's ``LambdaService``s as its state records them; empty for a new stack."""


class StackBackend(Protocol):
    def select_or_create(self, stack_name: str) -> StackHandle: ...


class AutomationStack:
    """:class:`StackHandle` over a ``pulumi.automation.Stack`` (needs the Pulumi CLI)."""

    def __init__(self, stack: Any, *, echo: Echo = print) -> None:
        self.stack = stack
        self.name: str = stack.name
        self.echo = echo

    def _on_output(self, line: str) -> None:
        self.echo(f"    | {line.rstrip()}")

    def set_config(self, key: str, value: str, *, path: bool = False) -> None:
        from pulumi import automation as auto

        self.stack.set_config(key, auto.ConfigValue(value=value), path=path)

    def remove_config(self, key: str, *, path: bool = False) -> None:
        from pulumi import automation as auto

        try:
            self.stack.get_config(key, path=path)
        except auto.CommandError:
            return  # not set
        self.stack.remove_config(key, path=path)

    def preview(self, *, policy_packs: Sequence[str], policy_pack_configs: Sequence[str]) -> PreviewOutcome:
        from pulumi import automation as auto

        outcome = PreviewOutcome()

        def on_event(event: Any) -> None:
            _planned_reservation(event, outcome.reserved_concurrency)
            policy = getattr(event, "policy_event", None)
            if policy is not None:
                outcome.violations.append(
                    PolicyViolation(
                        policy_pack=policy.policy_pack_name,
                        policy_name=policy.policy_name,
                        enforcement_level=policy.enforcement_level,
                        message=str(policy.message).strip(),
                        urn=policy.resource_urn,
                    )
                )

        try:
            result = self.stack.preview(
                policy_packs=list(policy_packs) or None,
                policy_pack_configs=list(policy_pack_configs) or None,
                on_event=on_event,
                on_output=self._on_output,
            )
        except auto.CommandError:
            # The CLI exits non-zero when a mandatory policy fails; the violations came as events. Any other
            # failure (a program error, a provider error) is the caller's to see.
            if outcome.mandatory:
                return outcome
            raise
        outcome.changes = {str(getattr(op, "value", op)): int(n) for op, n in (result.change_summary or {}).items()}
        return outcome

    def up(self) -> dict[str, Any]:
        result = self.stack.up(on_output=self._on_output)
        for value in result.outputs.values():
            if getattr(value, "secret", False):
                remember(value.value)
        return {key: value.value for key, value in result.outputs.items()}

    def services(self) -> dict[str, ServiceRef]:
        # The state holds each component's registered outputs, secrets decrypted by the CLI for export.
        return services_from_state(self.stack.export_stack().deployment or {})


def _planned_reservation(event: Any, into: dict[str, int | None]) -> None:
    """A preview's resource step of a function: its name and planned reserved concurrency, when the event has them."""
    metadata = getattr(getattr(event, "resource_pre_event", None), "metadata", None)
    if metadata is None or getattr(metadata, "type", "") != "aws:lambda/function:Function":
        return
    inputs = getattr(getattr(metadata, "new", None), "inputs", None) or {}
    name = inputs.get("name") if isinstance(inputs, Mapping) else None
    if isinstance(name, str) and name:
        value = inputs.get("reservedConcurrentExecutions")
        into[name] = int(value) if isinstance(value, int | float) and value >= 0 else None


class AutomationBackend:
    """:class:`StackBackend` on ``pulumi.automation`` with the program in ``program_dir`` (a local program)."""

    def __init__(
        self, program_dir: str | Path = ".", *, env_vars: Mapping[str, str] | None = None, echo: Echo = print
    ) -> None:
        require_pulumi_cli("the release driver")
        self.program_dir = str(Path(program_dir).resolve())
        self.env_vars = dict(env_vars or {})
        self.echo = echo

    def _opts(self) -> Any:
        from pulumi import automation as auto

        return auto.LocalWorkspaceOptions(work_dir=self.program_dir, env_vars=self.env_vars or None)

    def select_or_create(self, stack_name: str) -> StackHandle:
        from pulumi import automation as auto

        stack = auto.create_or_select_stack(stack_name=stack_name, work_dir=self.program_dir, opts=self._opts())
        return AutomationStack(stack, echo=self.echo)

    def select(self, stack_name: str) -> StackHandle:
        """An existing stack only (reading outputs must not create one)."""
        from pulumi import automation as auto

        stack = auto.select_stack(stack_name=stack_name, work_dir=self.program_dir, opts=self._opts())
        return AutomationStack(stack, echo=self.echo)


def require_pulumi_cli(what: str) -> str:
    """The ``pulumi`` executable, or a clear error: the Automation API shells out to it."""
    found = shutil.which("pulumi")
    if found is None:
        raise DriverError(
            f"Pulumi CLI not found on PATH: {what} runs `pulumi` through the Automation API. Install it "
            "(https://www.pulumi.com/docs/install/) or use the in-process sandbox (`lambdakit sandbox`) instead."
        )
    return found


# ---------------------------------------------------------------------------------------------------------------
# The AWS side
# ---------------------------------------------------------------------------------------------------------------


class ServiceOps(Protocol):
    """What the driver does to a deployed service through the AWS API."""

    def alias_state(self, ref: ServiceRef) -> tuple[str, dict[str, float]] | None:
        """(primary version, routing weights) of the service's alias, or None when it does not exist."""

    def smoke(self, ref: ServiceRef, qualifier: str, payload: Any) -> InvokeResult: ...

    def health(self, ref: ServiceRef, new_version: str) -> HealthSource: ...

    def prune(self, ref: ServiceRef, keep: int) -> PruneReport: ...

    def traffic_hook(self, ref: ServiceRef, hook: str, version: str) -> str | None:
        """Invoke a traffic hook of ``ref`` for its new ``version``; -> why it failed, or None when it passed."""

    def concurrency_budget(self, planned: Mapping[str, int | None]) -> Budget | None:
        """The account's concurrency after ``planned`` (GetAccountSettings); None when the endpoint cannot say."""

    def code_deploy(
        self, ref: ServiceRef, current: str, target: str, *, timeout: float, clock: Clock, sleep: Sleep, echo: Echo
    ) -> DeploymentResult:
        """Run a CodeDeploy deployment of the service's alias from ``current`` to ``target`` and wait for it."""


class Boto3ServiceOps:
    """:class:`ServiceOps` with boto3 clients (AWS, a moto server or in-process moto)."""

    def __init__(
        self, clients: Clients, *, thresholds: HealthThresholds | None = None, codedeploy_refusal: str | None = None
    ) -> None:
        self.clients = clients
        self.thresholds = thresholds or HealthThresholds()
        #: Set where CodeDeploy deployments cannot run (the sandbox): the reason, raised instead of deploying.
        self.codedeploy_refusal = codedeploy_refusal

    def alias_state(self, ref: ServiceRef) -> tuple[str, dict[str, float]] | None:
        lam = self.clients.lambda_
        try:
            alias = lam.get_alias(FunctionName=ref.function_name, Name=ref.alias_name)
        except lam.exceptions.ResourceNotFoundException:
            return None
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        return str(alias["FunctionVersion"]), {str(k): float(v) for k, v in weights.items()}

    def smoke(self, ref: ServiceRef, qualifier: str, payload: Any) -> InvokeResult:
        check_target(self.clients.lambda_, ref.function_name, qualifier)
        return invoke(self.clients.lambda_, ref.function_name, qualifier, payload, preflight=False)

    def health(self, ref: ServiceRef, new_version: str) -> HealthSource:
        return CloudWatchHealth(
            self.clients.cloudwatch,
            function_name=ref.function_name,
            alias_name=ref.alias_name,
            version=new_version,
            alarm_names=ref.alarm_names,
            thresholds=self.thresholds,
        )

    def prune(self, ref: ServiceRef, keep: int) -> PruneReport:
        return prune_versions(self.clients.lambda_, ref.function_name, keep=keep)

    def traffic_hook(self, ref: ServiceRef, hook: str, version: str) -> str | None:
        return invoke_hook(self.clients.lambda_, hook, ref.function_name, version)

    def concurrency_budget(self, planned: Mapping[str, int | None]) -> Budget | None:
        try:
            return plan_budget(self.clients.lambda_, planned)
        except ClientError as exc:
            # An emulator without the API (plain moto) answers 404; AWS always has it.
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (404, 501):
                return None
            raise

    def code_deploy(
        self, ref: ServiceRef, current: str, target: str, *, timeout: float, clock: Clock, sleep: Sleep, echo: Echo
    ) -> DeploymentResult:
        if self.codedeploy_refusal is not None:
            raise DriverError(f"{ref.service}: {self.codedeploy_refusal}")
        return run_deployment(
            self.clients.client("codedeploy"),
            ref,
            current,
            target,
            timeout=timeout,
            clock=clock,
            sleep=sleep,
            echo=echo,
        )


# ---------------------------------------------------------------------------------------------------------------
# Shifting traffic through config + up
# ---------------------------------------------------------------------------------------------------------------


def config_key(project: str, service: str, name: str) -> str:
    """The path config key the driver sets for one service (``<project>:release["<service>"].<name>``)."""
    return config_path(project, service, name)


class PulumiConfigShifter:
    """A :class:`~lambdakit.canary.TrafficShifter` that moves traffic by stack config and ``up``.

    Only ``canaryWeight`` and ``stableVersion`` change in these ``up``s, never provisioned concurrency: AWS refuses
    to change provisioned concurrency on an alias that carries weights.
    """

    def __init__(
        self,
        stack: StackHandle,
        refs: Mapping[str, ServiceRef],
        new_versions: Mapping[str, str],
        stable_versions: Mapping[str, str],
        *,
        ops: ServiceOps | None = None,
        project: str,
        echo: Echo = print,
    ) -> None:
        self.stack = stack
        self.refs = dict(refs)
        self.new_versions = dict(new_versions)
        self.stable_versions = dict(stable_versions)
        self.ops = ops
        self.project = project
        self.echo = echo
        self.ups = 0

    def _up(self, what: str) -> None:
        self.echo(f"  pulumi up ({what})")
        self.stack.up()
        self.ups += 1

    def _verify(self, service: str, primary: str | None, weights: dict[str, float]) -> None:
        # A cheap check that the deployment did what config asked: the alias is what the canary reads health for.
        if self.ops is None:
            return
        state = self.ops.alias_state(self.refs[service])
        if state is not None and primary is not None and state != (primary, weights):
            raise DriverError(
                f"{service}: after up the alias serves {state[0]} with routing {state[1]}, expected {primary} "
                f"with {weights}; does its LambdaService read the stack config "
                f"{config_key(self.project, service, CANARY_WEIGHT)} (is stable_version or canary_weight set in code)?"
            )

    def shift(self, weights: Mapping[str, float]) -> None:
        for service, weight in weights.items():
            self.stack.set_config(config_key(self.project, service, CANARY_WEIGHT), f"{weight:g}", path=True)
        self._up(", ".join(f"{s} {w:.0%}" for s, w in weights.items()))
        for service, weight in weights.items():
            self._verify(service, self._stable(service), {self.new_versions[service]: weight})

    def promote(self, services: Sequence[str]) -> None:
        for service in services:
            self.stack.set_config(
                config_key(self.project, service, STABLE_VERSION), self.new_versions[service], path=True
            )
            self.stack.remove_config(config_key(self.project, service, CANARY_WEIGHT), path=True)
        self._up("promote " + ", ".join(services))
        for service in services:
            self._verify(service, self.new_versions[service], {})

    def rollback(self, services: Sequence[str]) -> None:
        for service in services:
            self.stack.remove_config(config_key(self.project, service, CANARY_WEIGHT), path=True)
            stable = self._stable(service)
            if stable is not None:
                # After a promotion (a failed post-traffic hook) the config names the new version: put it back.
                self.stack.set_config(config_key(self.project, service, STABLE_VERSION), stable, path=True)
        self._up("roll back " + ", ".join(services))
        for service in services:
            self._verify(service, self._stable(service), {})

    def _stable(self, service: str) -> str | None:
        return self.stable_versions.get(service)


# ---------------------------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------------------------


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
            if env.canary is not None:
                # Pinned, the up that publishes new code leaves the alias on the version it serves now.
                stack.set_config(config_key(self.project, service, STABLE_VERSION), state[0], path=True)
        if stable:
            self.echo("  stable versions: " + ", ".join(f"{s} {v}" for s, v in sorted(stable.items())))

        result.stage = "preview"
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
            return
        self.echo(f"  preview: {_changes(result.changes)}")

        result.stage = "budget"
        budget = ops.concurrency_budget(preview.reserved_concurrency)
        if budget is None:
            self.echo("  budget: the endpoint has no GetAccountSettings; the account's concurrency is not checked")
        else:
            self.echo(f"  budget: {budget.describe()}")
            if not budget.ok:
                raise DriverError(
                    f"{env.stack}: the release would leave too little unreserved concurrency: {budget.describe()}"
                )

        result.stage = "up"
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

        result.stage = "smoke"
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

        result.stage = "canary"
        if new_versions:
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
                shifter.promote(sorted(rest))
                for service in rest:
                    result.canary[service] = CanaryOutcome(
                        service, stable[service], new_versions[service], reason="promoted without canary"
                    )
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


__all__ = [
    "AutomationBackend",
    "AutomationStack",
    "Boto3ServiceOps",
    "Driver",
    "DriverError",
    "Environment",
    "EnvironmentResult",
    "OpsError",
    "PolicyViolation",
    "PreviewOutcome",
    "PulumiConfigShifter",
    "RunReport",
    "ServiceOps",
    "StackBackend",
    "StackHandle",
    "config_key",
    "require_pulumi_cli",
    "summary_table",
]

"""The Pulumi side of the release driver: the stack operations it needs (:class:`StackHandle`,
:class:`StackBackend`) and their implementation on ``pulumi.automation`` (which needs the Pulumi CLI).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from lambdakit.canary import (
    Echo,
)
from lambdakit.ops import (
    ServiceRef,
    services_from_state,
)
from lambdakit.redact import remember


class DriverError(Exception):
    """The release cannot go on; the message names the environment, the stage and the cause."""


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

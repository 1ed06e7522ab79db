"""Errors the sandbox raises. Each names the resource, the field and the value involved."""

from __future__ import annotations


class SandboxError(Exception):
    """Base class for sandbox errors."""


class UnknownResourceTypeError(SandboxError):
    """The program registers a resource type the sandbox cannot create or check."""

    def __init__(self, types: dict[str, list[str]]) -> None:
        self.types = types
        listed = "; ".join(f"{t} ({', '.join(sorted(names))})" for t, names in sorted(types.items()))
        super().__init__(
            f"the sandbox does not know how to deploy resource type(s): {listed}. "
            "Nothing was deployed. Add a handler for the type to HANDLERS in automation/sandbox/mocks.py."
        )


class DeployError(SandboxError):
    """The emulator (or a Lambda rule the emulator does not enforce) rejected a resource, as AWS would."""

    def __init__(self, type_: str, name: str, message: str) -> None:
        self.type = type_
        self.name = name
        super().__init__(f"{type_} {name!r}: {message}")


class RuleViolationError(SandboxError):
    """A resource moto does not emulate breaks a rule the Lambda API enforces."""

"""The account's real concurrency budget, read before a release's ``up`` (``lambda:GetAccountSettings``).

AWS keeps at least :data:`lambdakit.limits.UNRESERVED_MINIMUM` (100) of the account's regional concurrency
unreserved and refuses a ``PutFunctionConcurrency`` that would leave less. The program's own check uses the limit in
its config (``accountConcurrencyLimit``); this one uses what the account says: its limit and how much is unreserved
now, across every function of the account, not just this stack's. A release whose reserved concurrency would leave
less than the minimum is refused before anything changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from lambdakit.limits import UNRESERVED_MINIMUM


@dataclass(frozen=True)
class Budget:
    """The account's concurrency before and (planned) after an ``up``."""

    limit: int
    unreserved_now: int
    unreserved_after: int
    changes: dict[str, tuple[int, int]]
    """function -> (reserved now, reserved after), for the functions whose reservation changes."""

    @property
    def ok(self) -> bool:
        return self.unreserved_after >= UNRESERVED_MINIMUM

    def describe(self) -> str:
        moved = ", ".join(f"{f} {a}->{b}" for f, (a, b) in sorted(self.changes.items())) or "no reservation changes"
        return (
            f"account concurrency {self.limit}, unreserved {self.unreserved_now} now, {self.unreserved_after} after "
            f"this release ({moved}); AWS keeps at least {UNRESERVED_MINIMUM} unreserved"
        )


def account_settings(lambda_client: Any) -> tuple[int, int]:
    """(ConcurrentExecutions limit, UnreservedConcurrentExecutions) of the account in the client's region."""
    limit = lambda_client.get_account_settings()["AccountLimit"]
    return int(limit["ConcurrentExecutions"]), int(limit["UnreservedConcurrentExecutions"])


def reserved_now(lambda_client: Any, function_name: str) -> int:
    """The function's reserved concurrency now; 0 when it has none or does not exist yet."""
    try:
        value = lambda_client.get_function_concurrency(FunctionName=function_name).get("ReservedConcurrentExecutions")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return 0
        raise
    return int(value or 0)


def plan_budget(lambda_client: Any, planned: Mapping[str, int | None]) -> Budget:
    """The budget after ``planned`` (function name -> reserved concurrency the release sets; None or -1: none)."""
    limit, unreserved = account_settings(lambda_client)
    changes: dict[str, tuple[int, int]] = {}
    for function, wanted in planned.items():
        before = reserved_now(lambda_client, function)
        after = int(wanted) if wanted is not None and int(wanted) >= 0 else 0
        if before != after:
            changes[function] = (before, after)
    after_total = unreserved + sum(b - a for b, a in changes.values())
    return Budget(limit, unreserved, after_total, changes)

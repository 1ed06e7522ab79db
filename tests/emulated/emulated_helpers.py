"""Helpers shared by the emulated tests (read wiring back from the sandbox with boto3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from automation.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_PROGRAM = Path(__file__).resolve().parent / "fixtures" / "program"


def policy_statements(sandbox: Sandbox, function: str, qualifier: str | None = None) -> list[dict[str, Any]]:
    """The function's resource policy statements (for the alias when ``qualifier`` is given)."""
    kwargs = {"FunctionName": function, **({"Qualifier": qualifier} if qualifier else {})}
    return list(json.loads(sandbox.client("lambda").get_policy(**kwargs)["Policy"])["Statement"])


def mappings_of(sandbox: Sandbox, function: str) -> list[dict[str, Any]]:
    """Every event source mapping whose function is ``function`` (any qualifier)."""
    found = sandbox.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    return [m for m in found if m["FunctionArn"].split(":")[6] == function]


def inline_policy(sandbox: Sandbox, role: str) -> dict[str, Any]:
    """The role's one inline policy document (the components write exactly one)."""
    iam = sandbox.client("iam")
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    assert len(names) == 1, f"role {role}: expected one inline policy, got {names}"
    document = iam.get_role_policy(RoleName=role, PolicyName=names[0])["PolicyDocument"]
    return json.loads(document) if isinstance(document, str) else dict(document)

"""Helpers shared by the emulated tests (read wiring back from the sandbox with boto3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from lambdakit.sandbox import Deployment, Sandbox

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


def stack_config(stack: str) -> dict[str, Any]:
    return dict((yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text()) or {}).get("config") or {})


def service_config(stack: str, config_key: str) -> dict[str, Any]:
    return dict(stack_config(stack).get(f"lambdakit:{config_key}") or {})


def release_config(stack: str, service: str) -> dict[str, Any]:
    """A service's traffic settings in the stack file's `release` object (what `lambdakit release` writes)."""
    return dict((stack_config(stack).get("lambdakit:release") or {}).get(service) or {})


def services(deployment: Deployment) -> dict[str, dict[str, Any]]:
    exported = deployment.exports.get("services")
    assert isinstance(exported, dict) and exported, f"{deployment.stack}: export `services` missing: {exported}"
    return exported

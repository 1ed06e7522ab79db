"""Traffic hooks deployed into the stateful sandbox: the hooks' role may invoke the version this deploy published,
and after a code change only the new one (the permission follows the version)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from lambdakit.sandbox import Sandbox
from lambdakit.sandbox.state import StateStore
from lambdakit.sandbox.stateful import destroy, up

PROGRAM = """
import json
import pulumi_aws as aws
from lambdakit import LambdaService

hooks_role = aws.iam.Role(
    "hooks",
    assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action":
        "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]}),
)
LambdaService("orders", {
    "code_path": "src",
    "alarms": {"enabled": False},
    "traffic_hooks": {"pre_traffic": "orders-pre", "post_traffic": "orders-post", "role_arn": hooks_role.arn},
})
"""


def _grants(sandbox: Sandbox, function: str, role_arn: str) -> list[str]:
    """The resources of the function's policy statements that name the hooks' role (moto 5.2.5 answers GetPolicy
    with every statement of the function whatever the qualifier, so the Resource is what shows the scope)."""
    lam = sandbox.client("lambda")
    statements = json.loads(lam.get_policy(FunctionName=function)["Policy"])["Statement"]
    return [
        str(s["Resource"])
        for s in statements
        if s["Action"] == "lambda:InvokeFunction" and role_arn in json.dumps(s["Principal"])
    ]


@pytest.fixture
def program(tmp_path: Path) -> Path:
    root = tmp_path / "hooked"
    (root / "src").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: hooked\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config: {}\n")
    (root / "__main__.py").write_text(textwrap.dedent(PROGRAM))
    (root / "src" / "handler.py").write_text("def handler(event, context):\n    return {'ok': True}\n")
    return root


def test_the_hooks_role_may_invoke_only_the_newest_version(sandbox: Sandbox, program: Path, tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state")
    try:
        first = up(sandbox, store, program, "dev")
        assert first.deployment is not None
        [svc] = first.deployment.services
        role = sandbox.client("iam").list_roles()["Roles"]
        role_arn = next(r["Arn"] for r in role if r["RoleName"].startswith("hooks"))
        arn = f"arn:aws:lambda:{sandbox.region}:{sandbox.account_id}:function:{svc.function_name}"
        assert _grants(sandbox, svc.function_name, role_arn) == [f"{arn}:1"], "exactly version 1, not the alias"

        (program / "src" / "handler.py").write_text("def handler(event, context):\n    return {'ok': 2}\n")
        second = up(sandbox, store, program, "dev")
        assert any(c.type.endswith("Permission") and c.op == "replace" for c in second.applied), second.applied
        assert _grants(sandbox, svc.function_name, role_arn) == [f"{arn}:2"], "version 1 lost the hooks' grant"
    finally:
        for stack in store.stacks():
            destroy(sandbox, store, stack)

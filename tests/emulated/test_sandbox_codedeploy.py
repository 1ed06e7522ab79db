"""A service with `code_deploy` in the stateful sandbox: the application and deployment group exist in moto's
CodeDeploy, a custom config is recorded as not emulated, and deployments are reported as not emulated."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdakit.sandbox import Sandbox
from lambdakit.sandbox.state import StateStore
from lambdakit.sandbox.stateful import destroy, up

PROGRAM = """
import pulumi
from lambdakit import LambdaService

LambdaService("orders", {
    "code_path": "src",
    "code_deploy": {
        "custom_config": {"type": "linear", "percentage": 20, "interval_minutes": 1},
        "pre_traffic_hook": "arn:aws:lambda:us-east-1:123456789012:function:orders-pre-traffic",
    },
})
"""


@pytest.fixture
def store(tmp_path: Path, sandbox: Sandbox) -> Iterator[StateStore]:
    store = StateStore(tmp_path / "state")
    yield store
    for stack in store.stacks():
        destroy(sandbox, store, stack)


def test_codedeploy_application_and_group_are_created_and_deployments_said_not_emulated(
    sandbox: Sandbox, tmp_path: Path, store: StateStore
) -> None:
    program = tmp_path / "cd"
    (program / "src").mkdir(parents=True)
    (program / "Pulumi.yaml").write_text("name: cd\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config: {}\n")
    (program / "__main__.py").write_text(textwrap.dedent(PROGRAM))
    (program / "src" / "handler.py").write_text("def handler(event, context):\n    return {}\n")
    result = up(sandbox, store, program, "dev")
    cd = sandbox.client("codedeploy")
    app = cd.get_application(applicationName="orders-dev")["application"]
    assert app["computePlatform"] == "Lambda"
    group = cd.get_deployment_group(applicationName="orders-dev", deploymentGroupName="orders-dev-live")
    info = group["deploymentGroupInfo"]
    assert info["deploymentConfigName"] == "orders-dev-Linear20PercentEvery1Minutes"
    assert info["serviceRoleArn"].startswith("arn:aws:iam::")
    # moto's GetDeploymentGroup does not return the alarms; the group was created with the service's alarms.
    assert result.deployment is not None
    by_type = {d.type.rsplit(":", 1)[-1]: d for d in result.deployment.deployed}
    alarms = sorted(by_type["DeploymentGroup"].state["alarmConfiguration"]["alarms"])
    assert alarms and all(a.startswith("orders-dev-live-") for a in alarms)
    config = by_type["DeploymentConfig"]
    assert not config.emulated and any("not emulated" in n for n in config.notes)
    assert any("deployments are not emulated" in n for n in by_type["Application"].notes)

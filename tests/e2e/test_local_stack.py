"""End to end with the real Pulumi CLI: ``pulumi up --stack local`` into a moto server through the Automation API
(file backend), verify with boto3, invoke through the aliases, then destroy. Skipped where the CLI is missing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from lambdakit import local
from lambdakit.ops import Clients, invoke, make_session

#: The reference program's services (each declares its own smoke_event).
REFERENCE_SERVICES = {"order-processor", "email-sender", "user-analytics", "api-handler"}

ROOT = Path(__file__).resolve().parents[2]
SKIP_REASON = "Pulumi CLI not found on PATH: e2e tests need it; see README"

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(shutil.which("pulumi") is None, reason=SKIP_REASON)]


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    # Port 0: a free port; the endpoints of Pulumi.local.yaml are rewritten into a --config-file copy.
    with local.moto_server(port=0, use_docker=False) as url:
        yield url


def test_local_stack_up_verify_invoke_destroy(moto_endpoint: str, tmp_path: Path) -> None:
    stack = local.LocalStack(ROOT, state_dir=tmp_path / "state", endpoint=moto_endpoint)
    clients = Clients(make_session(endpoint_url=moto_endpoint, region="us-east-1"), moto_endpoint)
    lam = clients.lambda_
    try:
        # up
        outputs = stack.up(outputs_file=tmp_path / "outputs.json")
        # Found from the state, as `lambdakit release` finds them: each LambdaService's registered outputs.
        services = stack.services()
        assert set(services) == REFERENCE_SERVICES, f"services in the local stack's state: {sorted(services)}"

        # verify with boto3
        for name, ref in services.items():
            function = lam.get_function_configuration(FunctionName=ref.function_name)
            assert function["Runtime"].startswith("python3"), f"{ref.function_name} runtime {function['Runtime']}"
            alias = lam.get_alias(FunctionName=ref.function_name, Name=ref.alias_name)
            assert alias["FunctionVersion"] == ref.version, (
                f"{name}: alias {ref.alias_name} on {alias['FunctionVersion']}"
            )
            assert not alias.get("RoutingConfig", {}).get("AdditionalVersionWeights"), f"{name}: no canary in local"
            logs = boto3.client("logs", region_name="us-east-1", endpoint_url=moto_endpoint)
            groups = logs.describe_log_groups(logGroupNamePrefix=ref.log_group_name)["logGroups"]
            assert [g["logGroupName"] for g in groups] == [ref.log_group_name], f"{name}: log group"
        table = outputs.get("table_name")
        if table:
            dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto_endpoint)
            assert dynamodb.describe_table(TableName=table)["Table"]["StreamSpecification"]["StreamEnabled"]

        # invoke through each alias
        for name, ref in services.items():
            result = invoke(lam, ref.function_name, ref.alias_name, ref.smoke_event)
            assert result.ok, f"{name}: {result.describe()}"
            dry = invoke(lam, ref.function_name, ref.alias_name, invocation_type="DryRun")
            assert dry.status_code == 204, f"{name}: DryRun answered {dry.status_code}"
    finally:
        # destroy
        stack.destroy()
        stack.remove()
    remaining = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    assert not remaining & {ref.function_name for ref in services.values()}, f"left after destroy: {remaining}"

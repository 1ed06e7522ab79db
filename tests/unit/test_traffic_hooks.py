"""Traffic hooks on LambdaService under Pulumi mocks: the grant on the exact version, the outputs, validation."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pulumi
import pytest

from lambdakit import LambdaService
from lambdakit.hooks import hook_failure, hook_payload, invoke_hook
from lambdakit.ops import service_from_component

PERMISSION = "aws:lambda/permission:Permission"
FN = "aws:lambda/function:Function"
COMPONENT = "lambdakit:index:LambdaService"
HOOK_ROLE = "arn:aws:iam::123456789012:role/hooks"
PRE_ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders-pre"


def service(**extra: Any) -> LambdaService:
    return LambdaService("orders", {"code_path": "src", **extra})  # type: ignore[typeddict-item]


def hooks(**extra: Any) -> dict[str, Any]:
    return {"pre_traffic": PRE_ARN, "post_traffic": "orders-post", "role_arn": HOOK_ROLE, **extra}


def test_the_hook_role_may_invoke_only_the_published_version(deploy: Any) -> None:
    deployed = deploy(lambda: service(traffic_hooks=hooks()))
    permission = deployed.one(PERMISSION)
    fn = deployed.one(FN)
    assert permission.parent == deployed.urn(COMPONENT)
    assert permission.inputs["action"] == "lambda:InvokeFunction"
    assert permission.inputs["principal"] == HOOK_ROLE
    assert permission.inputs["function"] == "orders-test"
    # The qualifier is the version the function publishes (the mocks publish "1"), never the alias or unset.
    assert permission.inputs["qualifier"] == fn.outputs["version"] == "1"
    assert deployed.urn(FN) in permission.dependencies


def test_no_hooks_no_permission_and_null_outputs(deploy: Any) -> None:
    deployed = deploy(service)
    assert deployed.of_type(PERMISSION) == []
    outputs = deployed.one(COMPONENT).outputs
    assert outputs.get("pre_traffic_hook") is None and outputs.get("post_traffic_hook") is None
    ref = service_from_component("orders", outputs)
    assert ref.pre_traffic_hook is None and ref.post_traffic_hook is None


def test_hooks_are_outputs_the_tools_read(deploy: Any) -> None:
    deployed = deploy(lambda: service(traffic_hooks=hooks()))
    outputs = deployed.one(COMPONENT).outputs
    assert outputs["pre_traffic_hook"] == PRE_ARN
    assert outputs["post_traffic_hook"] == "orders-post"
    ref = service_from_component("orders", outputs)
    assert (ref.pre_traffic_hook, ref.post_traffic_hook) == (PRE_ARN, "orders-post")


def test_one_hook_is_enough(deploy: Any) -> None:
    deployed = deploy(lambda: service(traffic_hooks={"post_traffic": "orders-post", "role_arn": HOOK_ROLE}))
    assert len(deployed.of_type(PERMISSION)) == 1
    assert deployed.one(COMPONENT).outputs.get("pre_traffic_hook") is None


INVALID = [
    ({"role_arn": HOOK_ROLE}, r"orders: traffic_hooks must name pre_traffic, post_traffic or both, got neither"),
    ({"pre_traffic": "orders-pre"}, r"orders: traffic_hooks.role_arn is required with traffic hooks"),
    (hooks(pre_traffic="bad name!"), r"orders: traffic_hooks.pre_traffic must be a function name .* got 'bad name!'"),
    (hooks(post_traffic="x" * 65), r"orders: traffic_hooks.post_traffic must be a function name .* got 'x{65}'"),
    (hooks(post_traffic=3), r"orders: traffic_hooks.post_traffic must be a function name or ARN, got int 3"),
    (hooks(pre_traffic="orders-test"), r"traffic_hooks.pre_traffic must be another function than the service's own"),
    (
        hooks(pre_traffic="arn:aws:lambda:us-east-1:123456789012:function:orders-test:7"),
        r"traffic_hooks.pre_traffic must be another function than the service's own",
    ),
    (hooks(role_arn="arn:aws:sqs:us-east-1:123456789012:q"), r"orders: traffic_hooks.role_arn must be an IAM role ARN"),
    (
        hooks(role_arn="arn:aws:iam::123456789012:user/bob"),
        r"traffic_hooks.role_arn must be an IAM role ARN .*user/bob",
    ),
    (hooks(pre_trafic="x"), r"orders: traffic_hooks has an unknown setting 'pre_trafic'; did you mean 'pre_traffic'"),
    ({**hooks(), "role_arn": "arn:aws:iam::123456789012:role/*"}, r"must name one resource, not a wildcard"),
]


@pytest.mark.parametrize(("value", "message"), INVALID, ids=[m[:40] for _, m in INVALID])
def test_invalid_hooks_fail_clearly_and_register_nothing(
    deploy_error: Any, value: dict[str, Any], message: str
) -> None:
    error, deployed = deploy_error(lambda: service(traffic_hooks=value))
    assert isinstance(error, ValueError | TypeError), f"unexpected {type(error).__name__}: {error}"
    assert re.search(message, str(error)), f"{message!r} not in {error}"
    assert deployed.run.registrations == []


def test_a_hook_known_at_deploy_time_is_checked_when_it_resolves(deploy_error: Any) -> None:
    error, _ = deploy_error(lambda: service(traffic_hooks=hooks(post_traffic=pulumi.Output.from_input("no/slash"))))
    assert "orders: traffic_hooks.post_traffic must be a function name" in str(error)


# --- invoking a hook -------------------------------------------------------------------------------------------------


def test_payload_carries_codedeploy_ids_and_the_version() -> None:
    payload = hook_payload("orders-test", "7")
    assert set(payload) == {"DeploymentId", "LifecycleEventHookExecutionId", "FunctionName", "Version"}
    assert payload["FunctionName"] == "orders-test" and payload["Version"] == "7"
    assert payload["DeploymentId"] != hook_payload("orders-test", "7")["DeploymentId"]


@pytest.mark.parametrize(
    ("error", "status", "payload", "expected"),
    [
        (None, 200, {"status": "Succeeded"}, None),
        (None, 200, None, None),
        (None, 200, {"status": "Failed", "why": "db"}, "returned status Failed"),
        (None, 200, {"Status": "FAILED"}, "returned status Failed"),
        ("Unhandled", 200, {"errorMessage": "boom"}, "function error Unhandled"),
        (None, 500, None, "status 500"),
    ],
)
def test_hook_failure(error: str | None, status: int, payload: Any, expected: str | None) -> None:
    why = hook_failure(error, status, payload)
    assert (why is None) if expected is None else (why is not None and expected in why), why


class FakeLambda:
    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(self.answer).encode())}


def test_invoke_hook_sends_the_payload_and_reads_the_status() -> None:
    ok, failed = FakeLambda({"status": "Succeeded"}), FakeLambda({"status": "Failed"})
    assert invoke_hook(ok, "orders-pre", "orders-test", "4") is None
    assert "Failed" in str(invoke_hook(failed, "orders-pre", "orders-test", "4"))
    call = ok.calls[0]
    assert call["FunctionName"] == "orders-pre" and call["InvocationType"] == "RequestResponse"
    sent = json.loads(call["Payload"])
    assert sent["FunctionName"] == "orders-test" and sent["Version"] == "4"

"""The emulator refuses what AWS refuses where moto is lenient and it matters for safety."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambdakit import ops
from lambdakit.sandbox import Sandbox, aws_rules


def _zip(marker: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("index.py", f"def handler(event, context):\n    return {marker!r}\n")
    return buf.getvalue()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=1) as running:
        yield running


@pytest.fixture
def fn(sandbox: Sandbox, request: pytest.FixtureRequest) -> str:
    """A function with versions 1..3 and alias live on 3."""
    lam = sandbox.client("lambda")
    iam = sandbox.client("iam")
    try:
        role = iam.get_role(RoleName="rules-role")["Role"]["Arn"]
    except ClientError:
        role = iam.create_role(RoleName="rules-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    fn.count += 1  # type: ignore[attr-defined]
    name = f"rules-{fn.count}"  # type: ignore[attr-defined]
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": _zip("v1")},
        Publish=True,
    )
    for n in (2, 3):
        lam.update_function_code(FunctionName=name, ZipFile=_zip(f"v{n}"), Publish=True)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="3")
    return name


fn.count = 0  # type: ignore[attr-defined]


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_deleting_the_version_an_alias_points_to_is_a_conflict(sandbox: Sandbox, fn: str) -> None:
    lam = sandbox.client("lambda")
    with pytest.raises(ClientError) as info:
        lam.delete_function(FunctionName=fn, Qualifier="3")
    assert _code(info) == "ResourceConflictException" and "live" in str(info.value)
    assert "3" in [v["Version"] for v in lam.list_versions_by_function(FunctionName=fn)["Versions"]]


def test_deleting_a_version_an_alias_routes_to_is_a_conflict(sandbox: Sandbox, fn: str) -> None:
    lam = sandbox.client("lambda")
    lam.update_alias(FunctionName=fn, Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
    with pytest.raises(ClientError) as info:
        lam.delete_function(FunctionName=fn, Qualifier="2")
    assert _code(info) == "ResourceConflictException"
    lam.delete_function(FunctionName=fn, Qualifier="1")  # an unused version still goes


@pytest.mark.parametrize("weight", [0.0, 1.0, 1.5])
def test_weights_outside_zero_one_are_refused(sandbox: Sandbox, fn: str, weight: float) -> None:
    lam = sandbox.client("lambda")
    with pytest.raises(ClientError) as info:
        lam.update_alias(FunctionName=fn, Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": weight}})
    assert _code(info) == "ValidationException", info.value
    assert not lam.get_alias(FunctionName=fn, Name="live").get("RoutingConfig"), "refused, yet applied"


def test_routing_on_latest_is_refused(sandbox: Sandbox, fn: str) -> None:
    lam = sandbox.client("lambda")
    with pytest.raises(ClientError) as info:
        lam.create_alias(
            FunctionName=fn,
            Name="edge",
            FunctionVersion="$LATEST",
            RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
        )
    assert _code(info) == "InvalidParameterValueException" and "$LATEST" in str(info.value)
    with pytest.raises(ClientError):
        lam.update_alias(FunctionName=fn, Name="live", RoutingConfig={"AdditionalVersionWeights": {"$LATEST": 0.5}})
    with pytest.raises(ClientError, match="already included"):
        lam.update_alias(FunctionName=fn, Name="live", RoutingConfig={"AdditionalVersionWeights": {"3": 0.5}})


def test_provisioned_concurrency_on_a_weighted_alias_is_refused(sandbox: Sandbox, fn: str) -> None:
    storage: Any = sandbox.lambda_backend()._lambdas
    aws_rules.check_provisioned_concurrency(storage, fn, "live")  # no weights: accepted
    sandbox.client("lambda").update_alias(
        FunctionName=fn, Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}}
    )
    with pytest.raises(Exception, match="Alias with weights can not be used with Provisioned Concurrency"):
        aws_rules.check_provisioned_concurrency(storage, fn, "live")


def test_prune_skips_what_the_emulator_now_refuses(sandbox: Sandbox, fn: str) -> None:
    """With the alias moved after prune's own re-read, AWS's refusal (ResourceConflict) is a skip."""
    lam = sandbox.client("lambda")
    real_list = lam.list_aliases
    stale = real_list(FunctionName=fn)

    def moved(version: str) -> None:
        if version == "1":
            lam.update_alias(FunctionName=fn, Name="live", FunctionVersion="1")

    lam.list_aliases = lambda **kw: stale if kw.get("FunctionName") == fn else real_list(**kw)
    try:
        report = ops.prune_versions(lam, fn, keep=1, before_delete=moved)
    finally:
        del lam.list_aliases
    assert "ResourceConflictException" in report.skipped.get("1", ""), report.describe()
    assert "1" in [v["Version"] for v in lam.list_versions_by_function(FunctionName=fn)["Versions"]]

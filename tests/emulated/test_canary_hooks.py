"""Traffic hooks in the canary, against the sandbox (moto with handlers run for real): the hook functions are real
functions invoked with CodeDeploy's payload; a failed pre-traffic hook moves no traffic, a failed post-traffic hook
puts the alias back on stable with no weights, and two passing hooks end promoted."""

from __future__ import annotations

import io
import textwrap
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from lambdakit.canary import (
    AliasShifter,
    AliasTarget,
    CanaryPlan,
    CanaryTarget,
    HealthThresholds,
    TrafficHook,
    evaluate,
    run_canary,
)
from lambdakit.hooks import invoke_hook
from lambdakit.sandbox import Sandbox

FUNCTION = "hooked-svc"
PLAN = CanaryPlan(
    steps=(0.1, 0.5, 1.0), bake_seconds=0, poll_seconds=1, missing_data_deadline_seconds=5, delivery_delay_seconds=0
)

# Passes only for the payload the canary must send: CodeDeploy's ids plus this service's function and version 2.
CHECKING_HOOK = textwrap.dedent(
    """
    def handler(event, context):
        ok = (
            event.get("FunctionName") == "hooked-svc"
            and event.get("Version") == "2"
            and event.get("DeploymentId")
            and event.get("LifecycleEventHookExecutionId")
        )
        return {"status": "Succeeded" if ok else "Failed", "event": event}
    """
)
HOOKS = {
    "hook-checks": CHECKING_HOOK,
    "hook-says-failed": 'def handler(e, c):\n    return {"status": "Failed", "reason": "orders table empty"}\n',
    "hook-raises": 'def handler(event, context):\n    raise RuntimeError("smoke order rejected")\n',
}


def _zip(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("index.py", source)
    return buf.getvalue()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=5) as running:
        lam = running.client("lambda")
        role = running.client("iam").create_role(RoleName="hooks", AssumeRolePolicyDocument="{}")["Role"]["Arn"]

        def create(name: str, source: str) -> None:
            lam.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=role,
                Handler="index.handler",
                Code={"ZipFile": _zip(source)},
                Publish=True,
            )

        create(FUNCTION, "def handler(event, context):\n    return 'v1'\n")
        lam.update_function_code(
            FunctionName=FUNCTION, ZipFile=_zip("def handler(e, c):\n    return 'v2'\n"), Publish=True
        )
        lam.create_alias(FunctionName=FUNCTION, Name="live", FunctionVersion="1")
        for name, source in HOOKS.items():
            create(name, source)
        yield running


class Healthy:
    def read(self, start: Any, end: Any) -> Any:
        return evaluate(100, 0, 0, [], HealthThresholds())


class RecordingShifter(AliasShifter):
    """The real UpdateAlias shifter, recording each move."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.moves: list[tuple[str, Any]] = []

    def shift(self, weights: Mapping[str, float]) -> None:
        self.moves.append(("shift", dict(weights)))
        super().shift(weights)

    def promote(self, services: Sequence[str]) -> None:
        self.moves.append(("promote", list(services)))
        super().promote(services)

    def rollback(self, services: Sequence[str]) -> None:
        self.moves.append(("rollback", list(services)))
        super().rollback(services)


def _alias(sandbox: Sandbox) -> tuple[str, dict[str, Any]]:
    alias = sandbox.client("lambda").get_alias(FunctionName=FUNCTION, Name="live")
    return str(alias["FunctionVersion"]), dict((alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {})


def _run(sandbox: Sandbox, pre: str | None, post: str | None) -> tuple[Any, RecordingShifter, list[str]]:
    lam = sandbox.client("lambda")
    lam.update_alias(
        FunctionName=FUNCTION, Name="live", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {}}
    )

    def hook(name: str | None) -> TrafficHook | None:
        return None if name is None else TrafficHook(name, lambda: invoke_hook(lam, name, FUNCTION, "2"))

    lines: list[str] = []
    shifter = RecordingShifter(lam, {"svc": AliasTarget(FUNCTION, "live", "1", "2")})
    target = CanaryTarget("svc", "1", "2", Healthy(), pre_traffic=hook(pre), post_traffic=hook(post))
    outcome = run_canary([target], shifter, PLAN, sleep=lambda s: None, echo=lines.append)["svc"]
    return outcome, shifter, lines


@pytest.mark.parametrize("pre", ["hook-says-failed", "hook-raises"])
def test_a_failed_pre_traffic_hook_moves_no_traffic(sandbox: Sandbox, pre: str) -> None:
    outcome, shifter, lines = _run(sandbox, pre, "hook-checks")
    assert outcome.result == "rolled-back", lines
    assert outcome.reason.startswith(f"pre-traffic hook {pre} failed: "), outcome.reason
    expected = "orders table empty" if pre == "hook-says-failed" else "smoke order rejected"
    assert expected in outcome.reason, outcome.reason
    assert shifter.moves == [], "the alias is never touched"
    assert _alias(sandbox) == ("1", {})
    assert any("ROLLBACK before any shift" in line for line in lines), lines


def test_a_failed_post_traffic_hook_rolls_back_after_promotion(sandbox: Sandbox) -> None:
    outcome, shifter, lines = _run(sandbox, "hook-checks", "hook-raises")
    assert outcome.result == "rolled-back", lines
    assert outcome.reason.startswith("post-traffic hook hook-raises failed: function error"), outcome.reason
    assert [m for m, _ in shifter.moves] == ["shift", "shift", "promote", "rollback"], shifter.moves
    assert _alias(sandbox) == ("1", {}), "back on stable, no weights"


def test_passing_hooks_see_the_new_version_and_the_release_is_promoted(sandbox: Sandbox) -> None:
    outcome, shifter, lines = _run(sandbox, "hook-checks", "hook-checks")
    assert outcome.result == "promoted", lines
    assert [m for m, _ in shifter.moves] == ["shift", "shift", "promote"], shifter.moves
    assert _alias(sandbox) == ("2", {})
    assert "[svc] pre-traffic hook hook-checks on version 2: passed" in lines
    assert "[svc] post-traffic hook hook-checks on version 2: passed" in lines
    # The hook itself failing on a wrong payload: the same function judges a different version as Failed.
    assert "returned status Failed" in str(invoke_hook(sandbox.client("lambda"), "hook-checks", FUNCTION, "3"))

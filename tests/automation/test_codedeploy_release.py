"""The release driver's CodeDeploy path against moto and a scripted CodeDeploy: the exact AppSpec it sends, waiting,
promotion recorded in the stack, rollback, timeout and interrupt (StopDeployment with rollback), the sandbox refusal.

moto 5.2's CodeDeploy stores a deployment (and its revision) but leaves it "Created" forever and has no
StopDeployment, so the statuses come from a script; CreateDeployment goes through moto, which checks the application
and the group exist and keeps the revision we read back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from lambdakit.canary import CanaryPlan
from lambdakit.codedeploy_release import NOT_EMULATED, appspec, run_deployment
from lambdakit.driver import Boto3ServiceOps, Driver, Environment
from lambdakit.ops import Clients, ServiceRef

PLAN = CanaryPlan(steps=(0.1, 1.0), bake_seconds=60, poll_seconds=60, delivery_delay_seconds=0)
SERVICE = "order-processor"
APP, GROUP = "order-processor-dev", "order-processor-dev-live"
HOOKS = {"BeforeAllowTraffic": "orders-pre-traffic", "AfterAllowTraffic": "orders-post-traffic"}


class ScriptedCodeDeploy:
    """CreateDeployment through moto; GetDeployment answers the scripted statuses (the last one repeats) and, like
    CodeDeploy, moves the alias to the target version on success; StopDeployment is recorded."""

    def __init__(self, session: boto3.session.Session, statuses: list[str | BaseException], **info: Any) -> None:
        self.moto = session.client("codedeploy")
        self.lam = session.client("lambda")
        self.statuses = statuses
        self.info = info
        self.created: list[dict[str, Any]] = []
        self.stopped: list[dict[str, Any]] = []
        self.polls = 0

    def create_deployment(self, **kwargs: Any) -> dict[str, Any]:
        self.created.append(kwargs)
        return dict(self.moto.create_deployment(**kwargs))

    def get_deployment(self, deploymentId: str) -> dict[str, Any]:
        status = self.statuses[min(self.polls, len(self.statuses) - 1)]
        self.polls += 1
        if isinstance(status, BaseException):
            raise status
        if status == "Succeeded":
            spec = json.loads(self.created[-1]["revision"]["appSpecContent"]["content"])
            props = spec["Resources"][0][SERVICE]["Properties"]
            self.lam.update_alias(
                FunctionName=props["Name"],
                Name=props["Alias"],
                FunctionVersion=props["TargetVersion"],
                RoutingConfig={"AdditionalVersionWeights": {}},
            )
        return {"deploymentInfo": {"deploymentId": deploymentId, "status": status, **self.info}}

    def stop_deployment(self, **kwargs: Any) -> dict[str, Any]:
        self.stopped.append(kwargs)
        return {"status": "Pending"}


def codedeploy_group(session: boto3.session.Session) -> None:
    cd = session.client("codedeploy")
    cd.create_application(applicationName=APP, computePlatform="Lambda")
    cd.create_deployment_group(
        applicationName=APP,
        deploymentGroupName=GROUP,
        serviceRoleArn="arn:aws:iam::123456789012:role/codedeploy",
        deploymentConfigName="CodeDeployDefault.LambdaCanary10Percent5Minutes",
    )


def with_codedeploy(stack: Any) -> None:
    """The stack's order-processor records CodeDeploy outputs, as a LambdaService with `code_deploy` does."""
    original = stack.up

    def up() -> dict[str, Any]:
        outputs = original()
        stack._services[SERVICE].update(
            codedeploy_application=APP, codedeploy_deployment_group=GROUP, codedeploy_hooks=json.dumps(HOOKS)
        )
        return outputs

    stack.up = up


@pytest.fixture
def release(aws: boto3.session.Session, fake_backend: Any, clock: Any, tmp_path: Any) -> Any:
    """``release(statuses, **info)``: first deploy dev, bump order-processor's code, release dev again with the
    scripted CodeDeploy; returns (report, lines, scripted client, dev stack)."""
    codedeploy_group(aws)
    with_codedeploy(fake_backend.stack("dev"))

    def run(
        statuses: list[str | BaseException], ops: Callable[[Clients], Boto3ServiceOps] | None = None, **info: Any
    ) -> tuple[Any, list[str], ScriptedCodeDeploy, Any]:
        clients = Clients(aws)
        scripted = ScriptedCodeDeploy(aws, statuses, **info)
        clients._cache["codedeploy"] = scripted
        service_ops = ops(clients) if ops else Boto3ServiceOps(clients)
        lines: list[str] = []
        driver = Driver(
            fake_backend,
            lambda env: service_ops,
            project="lambdakit",
            policy_packs=[],
            policy_config_dir=tmp_path,
            clock=clock.now,
            sleep=clock.sleep,
            echo=lines.append,
            timer=lambda: 0.0,
        )
        assert driver.run([Environment("dev", canary=PLAN)]).ok, "\n".join(lines)
        fake_backend.code[SERVICE] = "r2"
        lines.clear()
        report = driver.run([Environment("dev", canary=PLAN, codedeploy_timeout=120)])
        return report, lines, scripted, fake_backend.stack("dev")

    return run


def alias_of(session: boto3.session.Session, function: str) -> tuple[str, dict[str, float]]:
    alias = session.client("lambda").get_alias(FunctionName=function, Name="live")
    return str(alias["FunctionVersion"]), dict(alias.get("RoutingConfig", {}).get("AdditionalVersionWeights", {}))


def test_the_driver_sends_the_appspec_and_records_codedeploys_promotion(
    aws: boto3.session.Session, release: Any, clock: Any
) -> None:
    report, lines, scripted, stack = release(["Created", "InProgress", "InProgress", "Succeeded"])
    assert report.ok, "\n".join(lines)
    # Exactly one deployment, for the service's application and group, with this AppSpec.
    assert len(scripted.created) == 1
    request = scripted.created[0]
    assert request["applicationName"] == APP and request["deploymentGroupName"] == GROUP
    assert request["revision"]["revisionType"] == "AppSpecContent"
    sent = json.loads(request["revision"]["appSpecContent"]["content"])
    assert sent == {
        "version": 0.0,
        "Resources": [
            {
                SERVICE: {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "Name": "order-processor-dev",
                        "Alias": "live",
                        "CurrentVersion": "1",
                        "TargetVersion": "2",
                    },
                }
            }
        ],
        "Hooks": [{"BeforeAllowTraffic": "orders-pre-traffic"}, {"AfterAllowTraffic": "orders-post-traffic"}],
    }
    # moto accepted it and kept the revision as sent.
    deployment_id = scripted.moto.list_deployments(applicationName=APP, deploymentGroupName=GROUP)["deployments"]
    stored = scripted.moto.get_deployment(deploymentId=deployment_id[0])["deploymentInfo"]
    assert json.loads(stored["revision"]["appSpecContent"]["content"]) == sent
    # It waited (polled at the driver's clock) and then recorded the new stable version in the stack.
    assert scripted.polls == 4 and clock.slept.count(15.0) == 3
    assert alias_of(aws, "order-processor-dev") == ("2", {})
    assert stack.release_config(SERVICE) == {"stableVersion": "2"}
    weights = [up.get("lambdakit:release", {}).get(SERVICE, {}).get("canaryWeight") for up in stack.ups]
    assert set(weights) == {None}, f"the driver never moved weights itself: {weights}"
    outcome = report.results[0].canary[SERVICE]
    assert outcome.result == "promoted" and "Succeeded" in outcome.reason
    assert "  codedeploy order-processor: InProgress" in lines
    assert not scripted.stopped


def test_a_failed_deployment_is_a_rollback_with_codedeploys_reason(aws: boto3.session.Session, release: Any) -> None:
    error = {
        "code": "ALARM_ACTIVE",
        "message": "One or more alarms have been activated: order-processor-dev-live-errors",
    }
    report, lines, _, stack = release(
        ["InProgress", "Failed"], errorInformation=error, rollbackInfo={"rollbackMessage": "rolled back"}
    )
    result = report.results[0]
    assert result.status == "rolled-back", "\n".join(lines)
    assert "ALARM_ACTIVE" in result.detail and "order-processor-dev-live-errors" in result.detail
    # CodeDeploy put the alias back; the stack still pins the stable version and no promotion up ran.
    assert alias_of(aws, "order-processor-dev") == ("1", {})
    assert stack.release_config(SERVICE) == {"stableVersion": "1"}
    assert stack.log.count("up") == 2, stack.log
    # The other service had no new version, so it has no outcome at all.
    assert set(result.canary) == {SERVICE}


def test_a_deployment_past_its_timeout_is_stopped_with_rollback(aws: boto3.session.Session, release: Any) -> None:
    report, _, scripted, _ = release(["InProgress"])
    assert report.results[0].status == "rolled-back"
    deployment_id = scripted.moto.list_deployments(applicationName=APP, deploymentGroupName=GROUP)["deployments"][0]
    assert scripted.stopped == [{"deploymentId": deployment_id, "autoRollbackEnabled": True}]
    assert "TimedOut" in report.results[0].detail and "after 120 s" in report.results[0].detail
    assert scripted.polls == 9, "polled every 15 s for 120 s, then stopped"


def test_an_interrupted_driver_stops_the_deployment_with_rollback(aws: boto3.session.Session, release: Any) -> None:
    stopped: list[dict[str, Any]] = []
    original = ScriptedCodeDeploy.stop_deployment

    def record(self: ScriptedCodeDeploy, **kwargs: Any) -> dict[str, Any]:
        stopped.append(kwargs)
        return original(self, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ScriptedCodeDeploy, "stop_deployment", record)
        with pytest.raises(KeyboardInterrupt):
            release(["InProgress", KeyboardInterrupt()])
    deployment_id = aws.client("codedeploy").list_deployments(applicationName=APP, deploymentGroupName=GROUP)[
        "deployments"
    ][0]
    assert stopped == [{"deploymentId": deployment_id, "autoRollbackEnabled": True}]


def test_run_deployment_stops_on_interrupt_and_reraises(aws: boto3.session.Session, clock: Any) -> None:
    codedeploy_group(aws)
    scripted = ScriptedCodeDeploy(aws, ["InProgress", SystemExit(143)])
    ref = ServiceRef(SERVICE, "order-processor-dev", codedeploy_application=APP, codedeploy_deployment_group=GROUP)
    lines: list[str] = []
    with pytest.raises(SystemExit):
        run_deployment(scripted, ref, "1", "2", clock=clock.now, sleep=clock.sleep, echo=lines.append)
    deployment_id = scripted.moto.list_deployments(applicationName=APP, deploymentGroupName=GROUP)["deployments"][0]
    assert scripted.stopped == [{"deploymentId": deployment_id, "autoRollbackEnabled": True}]
    assert any("interrupted (SystemExit)" in line for line in lines), lines


def test_appspec_without_hooks_has_no_hooks_section() -> None:
    ref = ServiceRef(SERVICE, "fn", alias_name="prod", codedeploy_application=APP, codedeploy_deployment_group=GROUP)
    spec = appspec(ref, "3", "4")
    assert "Hooks" not in spec
    assert spec["Resources"][0][SERVICE]["Properties"] == {
        "Name": "fn",
        "Alias": "prod",
        "CurrentVersion": "3",
        "TargetVersion": "4",
    }


def test_where_codedeploy_is_not_emulated_the_release_says_so(aws: boto3.session.Session, release: Any) -> None:
    report, _, scripted, _ = release(
        ["Succeeded"], ops=lambda clients: Boto3ServiceOps(clients, codedeploy_refusal=NOT_EMULATED)
    )
    result = report.results[0]
    assert result.status == "failed" and result.stage == "canary"
    assert "does not emulate CodeDeploy deployments" in result.detail
    assert not scripted.created
    assert alias_of(aws, "order-processor-dev") == ("1", {})

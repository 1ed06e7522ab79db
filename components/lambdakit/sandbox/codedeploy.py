"""CodeDeploy resources in the sandbox: the application and deployment group go into moto's CodeDeploy; a custom
deployment config is recorded, not emulated (moto has no CreateDeploymentConfig). Deployments themselves are not
emulated: moto stores CreateDeployment's revision and leaves the deployment "Created", so ``release --sandbox``
refuses a service with ``code_deploy`` (:data:`lambdakit.codedeploy_release.NOT_EMULATED`)."""

from __future__ import annotations

from typing import Any

CONFIG_TYPE = "aws:codedeploy/deploymentConfig:DeploymentConfig"
NOT_EMULATED = {CONFIG_TYPE: "moto has no CreateDeploymentConfig; deployments are not emulated either"}
Result = tuple[str, dict[str, Any], bool, list[str]]


def application(m: Any, name: str, inp: dict[str, Any]) -> Result:
    app = str(inp["name"])
    application_id = m.client("codedeploy").create_application(
        applicationName=app, computePlatform=inp.get("computePlatform") or "Server"
    )["applicationId"]
    notes = ["deployments are not emulated: moto records CreateDeployment but never runs its traffic steps"]
    return app, {"applicationId": application_id, "arn": f"arn:aws:codedeploy:::application:{app}"}, True, notes


def deployment_group(m: Any, name: str, inp: dict[str, Any]) -> Result:
    app, group = str(inp["appName"]), str(inp["deploymentGroupName"])
    kwargs: dict[str, Any] = {
        "applicationName": app,
        "deploymentGroupName": group,
        "serviceRoleArn": inp["serviceRoleArn"],
        "deploymentConfigName": inp.get("deploymentConfigName"),
    }
    if inp.get("alarmConfiguration"):
        kwargs["alarmConfiguration"] = {
            "enabled": bool(inp["alarmConfiguration"].get("enabled")),
            "alarms": [{"name": a} for a in inp["alarmConfiguration"].get("alarms") or []],
        }
    if inp.get("autoRollbackConfiguration"):
        kwargs["autoRollbackConfiguration"] = inp["autoRollbackConfiguration"]
    if inp.get("deploymentStyle"):
        kwargs["deploymentStyle"] = inp["deploymentStyle"]
    group_id = m.client("codedeploy").create_deployment_group(**{k: v for k, v in kwargs.items() if v is not None})
    return f"{app}:{group}", {"deploymentGroupId": group_id["deploymentGroupId"]}, True, []


def deployment_config(m: Any, name: str, inp: dict[str, Any]) -> Result:
    return str(inp["deploymentConfigName"]), {}, False, [NOT_EMULATED[CONFIG_TYPE]]


HANDLERS = {
    "aws:codedeploy/application:Application": application,
    "aws:codedeploy/deploymentGroup:DeploymentGroup": deployment_group,
    CONFIG_TYPE: deployment_config,
}

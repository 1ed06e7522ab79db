"""The release driver's CodeDeploy path: one deployment per service, from its stable version to the new one.

For a service whose ``LambdaService`` has ``code_deploy``, ``lambdakit release`` does not move the alias's weights
itself: it sends CodeDeploy an AppSpec (version 0.0, the function, its alias, the current and the target version, and
the hooks the component recorded) for the service's deployment group, and polls ``GetDeployment`` until it ends, at
most ``timeout`` seconds. CodeDeploy shifts the traffic and rolls back on a failure or an alarm even when the machine
running the release dies. A driver interrupted (Ctrl-C, SIGTERM, any error) or out of time stops the deployment with
``autoRollbackEnabled``, so the alias returns to the stable version.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lambdakit.canary import Clock, Echo, Sleep, utc_now
from lambdakit.ops import ServiceRef

__all__ = ["NOT_EMULATED", "DeploymentResult", "appspec", "run_deployment"]

#: Why the sandbox cannot run a CodeDeploy deployment (moto 5.2's CodeDeploy backend stores the deployment and
#: leaves it "Created": no traffic steps, no StopDeployment, no CreateDeploymentConfig).
NOT_EMULATED = (
    "the sandbox does not emulate CodeDeploy deployments: moto records CreateDeployment but never runs its traffic "
    "steps (and has no StopDeployment); rehearse this service without code_deploy, or release it against AWS"
)
DONE = {"Succeeded", "Failed", "Stopped"}
DEFAULT_TIMEOUT_S = 3600.0
DEFAULT_POLL_S = 15.0


def appspec(ref: ServiceRef, current_version: str, target_version: str) -> dict[str, Any]:
    """The AppSpec for one Lambda deployment: the service's alias from ``current_version`` to ``target_version``."""
    spec: dict[str, Any] = {
        "version": 0.0,
        "Resources": [
            {
                ref.service: {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "Name": ref.function_name,
                        "Alias": ref.alias_name,
                        "CurrentVersion": current_version,
                        "TargetVersion": target_version,
                    },
                }
            }
        ],
    }
    hooks = dict(ref.codedeploy_hooks or {})
    if hooks:
        spec["Hooks"] = [{event: name} for event, name in hooks.items()]
    return spec


@dataclass
class DeploymentResult:
    """How one CodeDeploy deployment ended."""

    service: str
    deployment_id: str
    status: str
    """Succeeded, Failed, Stopped, or TimedOut (stopped by the driver after ``timeout``)."""
    detail: str = ""
    statuses: list[str] = field(default_factory=list)
    """Every distinct status the polls saw, in order."""

    @property
    def succeeded(self) -> bool:
        return self.status == "Succeeded"


def _detail(info: Mapping[str, Any]) -> str:
    error = info.get("errorInformation") or {}
    rollback = info.get("rollbackInfo") or {}
    parts = [f"{error.get('code')}: {error.get('message')}" if error else "", rollback.get("rollbackMessage", "")]
    return "; ".join(p for p in parts if p)


def run_deployment(
    client: Any,
    ref: ServiceRef,
    current_version: str,
    target_version: str,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    poll: float = DEFAULT_POLL_S,
    sleep: Sleep = time.sleep,
    clock: Clock = utc_now,
    echo: Echo = print,
) -> DeploymentResult:
    """Start the deployment and wait for it; stop it with rollback when interrupted or out of time. ``clock`` and
    ``sleep`` are the driver's (a rehearsal's virtual time runs the timeout too)."""
    if not ref.codedeploy_application or not ref.codedeploy_deployment_group:
        raise ValueError(f"{ref.service}: its LambdaService recorded no CodeDeploy application and group")
    spec = appspec(ref, current_version, target_version)
    deployment_id = client.create_deployment(
        applicationName=ref.codedeploy_application,
        deploymentGroupName=ref.codedeploy_deployment_group,
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": json.dumps(spec)}},
        description=f"lambdakit release: {ref.service} {current_version} -> {target_version}",
    )["deploymentId"]
    echo(
        f"  codedeploy {ref.service}: deployment {deployment_id} ({ref.codedeploy_application}/"
        f"{ref.codedeploy_deployment_group}) {current_version} -> {target_version}"
    )
    started = clock()
    statuses: list[str] = []
    try:
        while True:
            info = client.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
            status = str(info.get("status"))
            if not statuses or statuses[-1] != status:
                statuses.append(status)
                echo(f"  codedeploy {ref.service}: {status}")
            if status in DONE:
                return DeploymentResult(ref.service, deployment_id, status, _detail(info), statuses)
            if (clock() - started).total_seconds() >= timeout:
                _stop(client, deployment_id, echo, ref.service, f"not finished after {timeout:g} s")
                return DeploymentResult(
                    ref.service, deployment_id, "TimedOut", f"still {status} after {timeout:g} s", statuses
                )
            sleep(poll)
    except BaseException as exc:  # Ctrl-C, SIGTERM, a failed poll: CodeDeploy must not go on without us watching
        _stop(client, deployment_id, echo, ref.service, f"interrupted ({type(exc).__name__})")
        raise


def _stop(client: Any, deployment_id: str, echo: Echo, service: str, why: str) -> None:
    echo(f"  codedeploy {service}: {why}: stopping {deployment_id} with rollback")
    try:
        client.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
    except Exception as exc:  # the original cause matters more; say what could not be done
        echo(f"  codedeploy {service}: could not stop {deployment_id}: {type(exc).__name__}: {exc}")

"""Traffic hooks: functions that check a new version before it takes traffic and after it took all of it.

As SAM's ``DeploymentPreference.Hooks`` (``PreTraffic``/``PostTraffic``), a ``LambdaService`` names a pre-traffic
and a post-traffic hook function (``traffic_hooks``). The canary (:func:`lambdakit.canary.run_canary`) invokes the
pre-traffic hook with the new version before the first shift and the post-traffic hook after promotion, with a
payload shaped like CodeDeploy's; a hook that fails rolls the release back.

The grant (:func:`create_hook_permission`): the hooks' role may invoke exactly the version this deploy publishes.
It is a resource-based ``lambda:InvokeFunction`` permission on the service's own function, with the published
version as qualifier and the hooks' role ARN as principal, rather than a policy on the hooks' role:

- the component owns the function it grants on, and never changes a role it does not own;
- the qualifier is the exact version (``<function ARN>:<version>``): not the alias, not the unqualified function,
  not older versions. Each deploy that publishes a version replaces the permission, so the previous version's
  grant goes when the new one comes;
- in the same account a resource-based grant to a role suffices; a hook in another account also needs
  ``lambda:InvokeFunction`` on the version in its own role's policy.
"""

# No `from __future__ import annotations`: Pulumi's schema inference reads TrafficHooksArgs at run time.
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits
from .validation import Field, optional

__all__ = [
    "HOOK_PHASES",
    "HooksPlan",
    "TrafficHooksArgs",
    "create_hook_permission",
    "hook_failure",
    "hook_payload",
    "invoke_hook",
    "validate_hooks",
]

#: The two hook phases, as CodeDeploy names its lifecycle events for Lambda.
HOOK_PHASES = ("pre_traffic", "post_traffic")


class TrafficHooksArgs(TypedDict):
    """Functions the canary invokes around a traffic shift (as SAM's DeploymentPreference Hooks)."""

    pre_traffic: NotRequired[pulumi.Input[str]]
    """Function (name or ARN) invoked with the new version before any traffic moves to it; a failure ends the
    release with no shift. Defaults to none."""
    post_traffic: NotRequired[pulumi.Input[str]]
    """Function (name or ARN) invoked with the new version once it serves all traffic; a failure puts the alias
    back on the stable version. Defaults to none."""
    role_arn: NotRequired[pulumi.Input[str]]
    """Execution role of the hook functions, granted `lambda:InvokeFunction` on exactly the version each deploy
    publishes (no other version, not the alias). Required when a hook is named."""


@dataclass(frozen=True)
class HooksPlan:
    """The checked hooks: at least one of them, and the role that may invoke the new version."""

    pre_traffic: Any
    post_traffic: Any
    role_arn: Any


def _hook_function(field: Field, value: Any, service_function: str) -> Any:
    def check(v: Any) -> Any:
        if not isinstance(v, str):
            raise field.wrong("a function name or ARN", v)
        if limits.FUNCTION_ARN_RE.fullmatch(v):
            name = v.split(":")[6]
        elif limits.FUNCTION_NAME_RE.fullmatch(v) and len(v) <= limits.FUNCTION_NAME_MAX:
            name = v
        else:
            raise field.fail(
                f"must be a function name (at most {limits.FUNCTION_NAME_MAX} letters, digits, '-' or '_') or a "
                f"function ARN (arn:aws:lambda:<region>:<account>:function:<name>), got {v!r}"
            )
        if name == service_function:
            raise field.fail(f"must be another function than the service's own ({service_function!r}), got {v!r}")
        return v

    return field.later(value, check)


def validate_hooks(owner: str, value: Any, *, service_function: str) -> HooksPlan | None:
    """``traffic_hooks`` -> its plan (None when not set). ``service_function`` is the service's function name: a
    service cannot be its own hook."""
    if value is None:
        return None
    root = Field(owner).key("traffic_hooks")
    a = root.mapping(value, TrafficHooksArgs)
    pre, post = optional(a, "pre_traffic"), optional(a, "post_traffic")
    if pre is None and post is None:
        raise root.fail("must name pre_traffic, post_traffic or both, got neither")
    role = optional(a, "role_arn")
    if role is None:
        raise root.key("role_arn").fail(
            "is required with traffic hooks: it is the hooks' execution role, granted invoke on the new version only"
        )

    def role_check(v: Any) -> Any:
        if isinstance(v, str) and ":role/" not in v:
            raise root.key("role_arn").fail(f"must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got {v!r}")
        return v

    checked_role = root.key("role_arn").arn(role, ("iam",), what="IAM role ARN")
    return HooksPlan(
        pre_traffic=None if pre is None else _hook_function(root.key("pre_traffic"), pre, service_function),
        post_traffic=None if post is None else _hook_function(root.key("post_traffic"), post, service_function),
        role_arn=root.key("role_arn").later(checked_role, role_check),
    )


def create_hook_permission(
    name: str, plan: HooksPlan, function: aws.lambda_.Function, opts: pulumi.ResourceOptions
) -> aws.lambda_.Permission:
    """The hooks' role may invoke exactly ``function``'s newly published version (see the module's docstring)."""
    return aws.lambda_.Permission(
        f"{name}-traffic-hooks",
        action="lambda:InvokeFunction",
        function=function.name,
        qualifier=function.version,
        principal=plan.role_arn,
        opts=opts,
    )


# ---------------------------------------------------------------------------------------------------------------
# Invoking a hook (the canary's side)
# ---------------------------------------------------------------------------------------------------------------


def hook_payload(function_name: str, version: str, *, deployment_id: str | None = None) -> dict[str, str]:
    """The event a hook receives: CodeDeploy's two ids, plus the service's function and the version to check."""
    return {
        "DeploymentId": deployment_id or f"lambdakit-{uuid.uuid4()}",
        "LifecycleEventHookExecutionId": f"lambdakit-{uuid.uuid4()}",
        "FunctionName": function_name,
        "Version": str(version),
    }


def hook_failure(function_error: str | None, status_code: int, payload: Any) -> str | None:
    """Why a hook's invocation counts as failed, or None when it passed: a function error, a non-2xx status, or a
    response ``{"status": "Failed"}`` (any case; CodeDeploy's ``Succeeded``/``Failed``)."""
    if function_error:
        return f"function error {function_error}: {_short(payload)}"
    if not 200 <= status_code < 300:
        return f"status {status_code}"
    if isinstance(payload, Mapping):
        status = payload.get("status", payload.get("Status"))
        if isinstance(status, str) and status.lower() == "failed":
            return f"returned status Failed: {_short(payload)}"
    return None


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 300 else text[:300] + "..."


def invoke_hook(lambda_client: Any, hook: str, function_name: str, version: str) -> str | None:
    """Invoke ``hook`` synchronously with :func:`hook_payload` for ``function_name`` at ``version``; -> why it
    failed (:func:`hook_failure`), or None when it passed."""
    response = lambda_client.invoke(
        FunctionName=hook,
        InvocationType="RequestResponse",
        Payload=json.dumps(hook_payload(function_name, version)).encode(),
    )
    raw = response["Payload"].read() if "Payload" in response else b""
    try:
        payload: Any = json.loads(raw) if raw else None
    except ValueError:
        payload = raw.decode(errors="replace")
    return hook_failure(response.get("FunctionError"), int(response.get("StatusCode", 200)), payload)

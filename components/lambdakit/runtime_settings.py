"""Runtime management (automatic, on function update, or manual with a runtime version ARN), recursive loop
detection and tenant isolation of a LambdaService's function.

Runtime management is per version: a published version keeps the setting ``$LATEST`` had when it was published.
The function publishes its first version as it is created, before any configuration resource can exist, so the setting
is written both on ``$LATEST`` (for later versions) and on the version this deploy published (so that a manual runtime
version applies to what the alias serves from the first deploy on).
"""

# No `from __future__ import annotations`: Pulumi's component schema inference reads this TypedDict at run time.
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits
from .validation import Field

__all__ = ["RuntimeManagementArgs", "RuntimeSettingsPlan", "create_runtime_settings", "validate_runtime_settings"]


class RuntimeManagementArgs(TypedDict):
    """When the function's runtime is updated."""

    update_runtime_on: str
    """`Auto` (Lambda updates the runtime), `FunctionUpdate` (on the next deploy that changes the function) or
    `Manual` (the runtime version in `runtime_version_arn`, for a rollback after an incompatible runtime update).
    Required."""
    runtime_version_arn: NotRequired[pulumi.Input[str]]
    """The runtime version to pin with `Manual` (from the function's INIT_START log line); refused otherwise."""


@dataclass(frozen=True)
class RuntimeSettingsPlan:
    """The function's runtime management, recursion and tenancy settings; None where Lambda's default applies."""

    update_runtime_on: str | None = None
    runtime_version_arn: Any = None
    recursive_loop: str | None = None
    tenant_isolation_mode: str | None = None

    def function_args(self) -> dict[str, Any]:
        """Arguments of the ``aws.lambda_.Function`` itself (tenancy is set when the function is created)."""
        if self.tenant_isolation_mode is None:
            return {}
        return {
            "tenancy_config": aws.lambda_.FunctionTenancyConfigArgs(tenant_isolation_mode=self.tenant_isolation_mode)
        }


def validate_runtime_settings(owner: str, args: Any) -> RuntimeSettingsPlan:
    """``runtime_management``, ``recursive_loop`` and ``tenant_isolation_mode`` of the service's args."""
    root = Field(owner)
    update_on = version = None
    raw = args.get("runtime_management")
    if raw is not None:
        field = root.key("runtime_management")
        rm = field.mapping(raw, RuntimeManagementArgs)
        update_on = field.key("update_runtime_on").choice(rm["update_runtime_on"], limits.UPDATE_RUNTIME_ON, plain=True)
        given = rm.get("runtime_version_arn")
        if update_on == "Manual" and given is None:
            raise field.key("runtime_version_arn").fail("is required with update_runtime_on Manual")
        if update_on != "Manual" and given is not None:
            raise field.key("runtime_version_arn").fail(f"applies only with update_runtime_on Manual, got {update_on}")
        if given is not None:
            version = field.key("runtime_version_arn").string(
                given,
                max_len=limits.RUNTIME_VERSION_ARN_MAX,
                pattern=limits.RUNTIME_VERSION_ARN_RE,
                what="a runtime version ARN (arn:aws:lambda:<region>::runtime:<id>)",
            )
    loop = args.get("recursive_loop")
    tenancy = args.get("tenant_isolation_mode")
    return RuntimeSettingsPlan(
        update_runtime_on=update_on,
        runtime_version_arn=version,
        recursive_loop=None
        if loop is None
        else root.key("recursive_loop").choice(loop, limits.RECURSIVE_LOOP, plain=True),
        tenant_isolation_mode=None
        if tenancy is None
        else root.key("tenant_isolation_mode").choice(tenancy, limits.TENANT_ISOLATION_MODES, plain=True),
    )


def create_runtime_settings(
    service: str, plan: RuntimeSettingsPlan, function: aws.lambda_.Function, parent: pulumi.Resource
) -> list[pulumi.Resource]:
    """The runtime management configurations (``$LATEST`` and this deploy's version) and the recursion config."""
    created: list[pulumi.Resource] = []
    opts = pulumi.ResourceOptions(parent=parent)
    if plan.update_runtime_on is not None:
        for suffix, qualifier in (("", None), ("-version", function.version)):
            created.append(
                aws.lambda_.RuntimeManagementConfig(
                    f"{service}-runtime{suffix}",
                    function_name=function.name,
                    qualifier=qualifier,
                    update_runtime_on=plan.update_runtime_on,
                    runtime_version_arn=plan.runtime_version_arn,
                    opts=opts,
                )
            )
    if plan.recursive_loop is not None:
        created.append(
            aws.lambda_.FunctionRecursionConfig(
                f"{service}-recursion", function_name=function.name, recursive_loop=plan.recursive_loop, opts=opts
            )
        )
    return created

"""Server-side traffic shifting: a CodeDeploy application and deployment group for the service's alias.

With ``code_deploy`` set, the component creates a CodeDeploy application (compute platform Lambda), a deployment
group for its alias with automatic rollback on a failed deployment, on one of the service's alarms and on a stop
request, the service role CodeDeploy assumes (the AWS managed ``AWSCodeDeployRoleForLambdaLimited`` and, when hooks
are named, invoke on exactly those hook functions), and, for a custom canary or linear step, a deployment config.
``lambdakit release`` then starts a CodeDeploy deployment (see :mod:`lambdakit.codedeploy_release`) instead of moving
the alias's weights itself, so the shift goes on, and rolls back on an alarm, when the machine running the release
dies.
"""

# No `from __future__ import annotations`: the TypedDicts below are read by Pulumi's schema inference at run time.
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits
from .validation import Field, is_unknown, optional

__all__ = [
    "CodeDeployArgs",
    "CodeDeployPlan",
    "CodeDeployResources",
    "CustomDeploymentConfigArgs",
    "create_codedeploy",
    "validate_codedeploy",
]

CODEDEPLOY_ASSUME_ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
#: Rollback events: a failed deployment, an alarm in ALARM during the shift, and a stop request (the driver's
#: interrupt).
ROLLBACK_EVENTS = ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST")
CUSTOM_TYPES = ("canary", "linear")
DEFAULT_CONFIG = "CodeDeployDefault.LambdaCanary10Percent5Minutes"


class CustomDeploymentConfigArgs(TypedDict):
    """A time-based canary (two steps) or linear (equal steps) traffic shift of your own."""

    type: str
    """`canary` (the percentage, then the rest after the interval) or `linear` (the percentage every interval)."""
    percentage: int
    """Percent of traffic in the first step (canary) or in each step (linear), 1-99."""
    interval_minutes: int
    """Minutes between steps, 1-2,880."""


class CodeDeployArgs(TypedDict):
    """Shift traffic to new versions with CodeDeploy (server side) instead of from the machine running the release."""

    deployment_config: NotRequired[str]
    """A predefined Lambda deployment config, e.g. `CodeDeployDefault.LambdaLinear10PercentEvery1Minute`. Defaults
    to `CodeDeployDefault.LambdaCanary10Percent5Minutes` unless `custom_config` is given."""
    custom_config: NotRequired[CustomDeploymentConfigArgs]
    """Your own canary or linear step instead of a predefined config. Defaults to none."""
    rollback_on_alarm: NotRequired[bool]
    """Stop and roll back when one of the service's alarms goes to ALARM during the shift. Defaults to true."""
    pre_traffic_hook: NotRequired[pulumi.Input[str]]
    """Unqualified ARN of a function CodeDeploy invokes before shifting traffic (AppSpec `BeforeAllowTraffic`); the
    service role may invoke exactly that function. Defaults to none."""
    post_traffic_hook: NotRequired[pulumi.Input[str]]
    """Unqualified ARN of a function CodeDeploy invokes after all traffic has moved (AppSpec `AfterAllowTraffic`).
    Defaults to none."""


@dataclass(frozen=True)
class CustomConfigPlan:
    """A custom deployment config: its kind, step and interval."""

    kind: str
    percentage: int
    interval_minutes: int

    @property
    def name(self) -> str:
        return f"{self.kind.title()}{self.percentage}PercentEvery{self.interval_minutes}Minutes"


@dataclass(frozen=True)
class CodeDeployPlan:
    """The CodeDeploy resources of one service, checked and defaulted."""

    service: str
    application_name: str
    deployment_group_name: str
    #: The predefined config's name, or None with ``custom``.
    predefined_config: str | None
    custom: CustomConfigPlan | None
    rollback_on_alarm: bool
    pre_traffic_hook: Any
    post_traffic_hook: Any

    @property
    def deployment_config_name(self) -> str:
        """The config the group uses: the predefined one, or ``<application>-<Kind><p>PercentEvery<n>Minutes``."""
        if self.custom is None:
            assert self.predefined_config is not None
            return self.predefined_config
        return f"{self.application_name}-{self.custom.name}"


def _hook(field: Field, value: Any) -> Any:
    return None if value is None else field.arn(value, ("lambda",), what="Lambda function ARN")


def validate_codedeploy(
    owner: str, raw: Any, *, function_name: str, alias_name: str, alarm_count: int
) -> CodeDeployPlan | None:
    """``code_deploy`` -> its plan (None when not given). ``alarm_count`` is how many alarms the service creates."""
    if raw is None:
        return None
    field = Field(owner, "code_deploy")
    cfg = field.mapping(raw, CodeDeployArgs)
    custom_raw = cfg.get("custom_config")
    predefined: str | None = None
    custom: CustomConfigPlan | None = None
    if custom_raw is not None:
        if cfg.get("deployment_config") is not None:
            raise field.key("custom_config").fail(
                f"cannot be combined with deployment_config ({cfg['deployment_config']!r}); give one of them"
            )
        cf = field.key("custom_config")
        c = cf.mapping(custom_raw, CustomDeploymentConfigArgs)
        custom = CustomConfigPlan(
            kind=cf.key("type").choice(c["type"], CUSTOM_TYPES, plain=True),
            percentage=cf.key("percentage").integer(c["percentage"], limits.CODEDEPLOY_PERCENT, plain=True),
            interval_minutes=cf.key("interval_minutes").integer(
                c["interval_minutes"], limits.CODEDEPLOY_INTERVAL_MIN, plain=True
            ),
        )
    else:
        predefined = field.key("deployment_config").choice(
            optional(cfg, "deployment_config", DEFAULT_CONFIG), limits.CODEDEPLOY_LAMBDA_CONFIGS, plain=True
        )
    rollback_on_alarm = field.key("rollback_on_alarm").boolean(optional(cfg, "rollback_on_alarm", True))
    if rollback_on_alarm and alarm_count > limits.CODEDEPLOY_MAX_ALARMS:
        raise field.key("rollback_on_alarm").fail(
            f"would watch {alarm_count} alarms; a deployment group holds at most {limits.CODEDEPLOY_MAX_ALARMS} "
            "(turn some alarms off in `alarms`)"
        )
    group = f"{function_name}-{alias_name}"
    if len(group) > limits.CODEDEPLOY_NAME_MAX:
        raise field.fail(
            f"needs a deployment group name of at most {limits.CODEDEPLOY_NAME_MAX} characters, got {len(group)}: "
            f"{group!r} (shorten function_name or alias_name)"
        )
    plan = CodeDeployPlan(
        service=owner,
        application_name=function_name,
        deployment_group_name=group,
        predefined_config=predefined,
        custom=custom,
        rollback_on_alarm=rollback_on_alarm,
        pre_traffic_hook=_hook(field.key("pre_traffic_hook"), cfg.get("pre_traffic_hook")),
        post_traffic_hook=_hook(field.key("post_traffic_hook"), cfg.get("post_traffic_hook")),
    )
    if len(plan.deployment_config_name) > limits.CODEDEPLOY_NAME_MAX:
        raise field.key("custom_config").fail(
            f"gives a deployment config name longer than {limits.CODEDEPLOY_NAME_MAX} characters: "
            f"{plan.deployment_config_name!r} (shorten function_name)"
        )
    return plan


@dataclass(frozen=True)
class CodeDeployResources:
    """What :func:`create_codedeploy` registered, for the component's outputs."""

    application: "aws.codedeploy.Application"
    deployment_group: "aws.codedeploy.DeploymentGroup"
    role: "aws.iam.Role"


def _function_name(arn: Any) -> Any:
    """The AppSpec names hook functions by name: the ARN's ``function:<name>`` part."""

    def name(a: str) -> str:
        return a.split(":function:", 1)[1].split(":", 1)[0]

    return pulumi.Output.from_input(arn).apply(name) if is_unknown(arn) else name(arn)


def hook_names(plan: CodeDeployPlan) -> tuple[Any, Any]:
    """(pre-traffic, post-traffic) hook function names for the AppSpec; None where no hook is named."""
    return (
        None if plan.pre_traffic_hook is None else _function_name(plan.pre_traffic_hook),
        None if plan.post_traffic_hook is None else _function_name(plan.post_traffic_hook),
    )


def create_codedeploy(
    plan: CodeDeployPlan,
    alarm_names: Sequence[pulumi.Input[str]],
    tags: Any,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> CodeDeployResources:
    """The application ``<service>-codedeploy``, its service role, an optional custom config and the group."""
    service = plan.service
    child = pulumi.ResourceOptions(parent=parent)
    application = aws.codedeploy.Application(
        f"{service}-codedeploy", name=plan.application_name, compute_platform="Lambda", tags=tags, opts=child
    )
    role = aws.iam.Role(
        f"{service}-codedeploy-role",
        assume_role_policy=CODEDEPLOY_ASSUME_ROLE_POLICY,
        description=f"CodeDeploy service role of lambdakit service {service}",
        tags=tags,
        opts=child,
    )
    waits: list[pulumi.Resource] = [
        aws.iam.RolePolicyAttachment(
            f"{service}-codedeploy-managed", role=role.name, policy_arn=limits.CODEDEPLOY_LAMBDA_POLICY, opts=child
        )
    ]
    hooks = [h for h in (plan.pre_traffic_hook, plan.post_traffic_hook) if h is not None]
    if hooks:
        # The managed policy invokes only functions named CodeDeployHook_*: these hooks, on their exact ARNs.
        document = pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "Hooks", "Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": hooks}
                ],
            }
        )
        waits.append(aws.iam.RolePolicy(f"{service}-codedeploy-hooks", role=role.id, policy=document, opts=child))
    config_name: pulumi.Input[str] = plan.deployment_config_name
    if plan.custom is not None:
        step = {"interval": plan.custom.interval_minutes, "percentage": plan.custom.percentage}
        config = aws.codedeploy.DeploymentConfig(
            f"{service}-codedeploy-config",
            deployment_config_name=plan.deployment_config_name,
            compute_platform="Lambda",
            traffic_routing_config=aws.codedeploy.DeploymentConfigTrafficRoutingConfigArgs(
                type="TimeBasedCanary" if plan.custom.kind == "canary" else "TimeBasedLinear",
                time_based_canary=aws.codedeploy.DeploymentConfigTrafficRoutingConfigTimeBasedCanaryArgs(**step)
                if plan.custom.kind == "canary"
                else None,
                time_based_linear=aws.codedeploy.DeploymentConfigTrafficRoutingConfigTimeBasedLinearArgs(**step)
                if plan.custom.kind == "linear"
                else None,
            ),
            opts=child,
        )
        config_name = config.deployment_config_name
    alarms = list(alarm_names) if plan.rollback_on_alarm else []
    events = [e for e in ROLLBACK_EVENTS if alarms or e != "DEPLOYMENT_STOP_ON_ALARM"]
    group = aws.codedeploy.DeploymentGroup(
        f"{service}-codedeploy-group",
        app_name=application.name,
        deployment_group_name=plan.deployment_group_name,
        service_role_arn=role.arn,
        deployment_config_name=config_name,
        deployment_style=aws.codedeploy.DeploymentGroupDeploymentStyleArgs(
            deployment_option="WITH_TRAFFIC_CONTROL", deployment_type="BLUE_GREEN"
        ),
        auto_rollback_configuration=aws.codedeploy.DeploymentGroupAutoRollbackConfigurationArgs(
            enabled=True, events=events
        ),
        alarm_configuration=aws.codedeploy.DeploymentGroupAlarmConfigurationArgs(enabled=True, alarms=alarms)
        if alarms
        else None,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[*waits, *depends_on]),
    )
    return CodeDeployResources(application, group, role)

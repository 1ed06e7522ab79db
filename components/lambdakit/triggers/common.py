"""What every push trigger shares: the alias it targets, what was registered, the permission on the alias, the
retry policy of EventBridge targets, generated-name lengths, and the event-pattern grammar of EventBridge and SNS."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from .. import limits
from ..validation import Field, optional


@dataclass
class TriggerTarget:
    """What the triggers invoke: the service's alias."""

    function_name: pulumi.Input[str]
    """The function's name."""
    function_arn: pulumi.Input[str]
    """The function's unqualified ARN."""
    alias_name: pulumi.Input[str]
    """The alias every trigger targets (the permissions' and the URL's qualifier)."""
    alias_arn: pulumi.Input[str]
    """The alias ARN (what S3, EventBridge and SNS invoke)."""
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    """Resources that must exist first (the alias: a permission qualified with a missing alias fails)."""
    role_permissions_boundary: Any = None
    """Permissions boundary for the roles the triggers create (the Scheduler's), as on the execution role."""
    role_path: Any = None
    """Path of the roles the triggers create."""


@dataclass
class TriggerOutputs:
    """What :func:`lambdakit.triggers.create_triggers` registered."""

    function_url: pulumi.Output[str] | None = None
    """The Function URL, when one was asked for."""
    permissions: list[aws.lambda_.Permission] = field(default_factory=list)
    bucket_notifications: list[aws.s3.BucketNotification] = field(default_factory=list)
    event_rules: list[aws.cloudwatch.EventRule] = field(default_factory=list)
    event_targets: list[aws.cloudwatch.EventTarget] = field(default_factory=list)
    schedules: list[aws.scheduler.Schedule] = field(default_factory=list)
    scheduler_role: aws.iam.Role | None = None
    scheduler_policy: aws.iam.RolePolicy | None = None
    api_gateway_permissions: list[aws.lambda_.Permission] = field(default_factory=list)
    function_url_resource: aws.lambda_.FunctionUrl | None = None
    subscriptions: list[aws.sns.TopicSubscription] = field(default_factory=list)
    target_groups: list[aws.lb.TargetGroup] = field(default_factory=list)
    target_group_attachments: list[aws.lb.TargetGroupAttachment] = field(default_factory=list)
    listener_rules: list[aws.lb.ListenerRule] = field(default_factory=list)
    # --- i13-cogses
    receipt_rules: list[aws.ses.ReceiptRule] = field(default_factory=list)
    cognito_lambda_configs: dict[Any, dict[str, Any]] = field(default_factory=dict)
    """Per user pool (as named in ``cognito_triggers``): its ``lambda_config`` naming the alias."""
    cognito_pool_arns: dict[Any, pulumi.Output[str]] = field(default_factory=dict)
    """Per user pool (as named in ``cognito_triggers``): its ARN."""
    # --- i13-logsiot: CloudWatch Logs subscription filters and IoT topic rules
    log_subscription_filters: list[aws.cloudwatch.LogSubscriptionFilter] = field(default_factory=list)
    topic_rules: list[aws.iot.TopicRule] = field(default_factory=list)
    iot_error_roles: list[aws.iam.Role] = field(default_factory=list)
    iot_error_policies: list[aws.iam.RolePolicy] = field(default_factory=list)

    @property
    def resources(self) -> list[pulumi.Resource]:
        """Every resource registered for the triggers (permissions, notifications, rules, targets, schedules, ...)."""
        singles: list[pulumi.Resource | None] = [self.scheduler_role, self.scheduler_policy, self.function_url_resource]
        return [
            *self.permissions,
            *self.bucket_notifications,
            *self.event_rules,
            *self.event_targets,
            *self.schedules,
            *(r for r in singles if r is not None),
            *self.subscriptions,
            *self.target_groups,
            *self.target_group_attachments,
            *self.listener_rules,
            *self.receipt_rules,  # i13-cogses
            # --- i13-logsiot
            *self.log_subscription_filters,
            *self.iot_error_roles,
            *self.iot_error_policies,
            *self.topic_rules,
        ]


class Context:
    """The service being built, for the ``create_*`` of each trigger kind: names, the alias, its account."""

    def __init__(self, service: str, target: TriggerTarget, parent: pulumi.Resource) -> None:
        self.service = service
        self.target = target
        self.parent = parent
        self.out = TriggerOutputs()

    @functools.cached_property
    def partition(self) -> pulumi.Output[str]:
        # The alias ARN carries the partition and region the function lives in (arn:<partition>:lambda:<region>:...).
        return pulumi.Output.from_input(self.target.alias_arn).apply(lambda arn: arn.split(":")[1])

    @functools.cached_property
    def region(self) -> pulumi.Output[str]:
        return pulumi.Output.from_input(self.target.alias_arn).apply(lambda arn: arn.split(":")[3])

    @functools.cached_property
    def account(self) -> pulumi.Output[str]:
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self.parent))
        return identity.account_id

    def opts(self, *depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent, depends_on=[*self.target.depends_on, *depends_on])

    def permission(
        self, name: str, principal: str, source_arn: pulumi.Input[str], source_account: Any = None
    ) -> aws.lambda_.Permission:
        """Invoke permission on the alias for ``principal``, scoped by source ARN and source account (the deploying
        account unless the source lives in another one)."""
        permission = aws.lambda_.Permission(
            name,
            action="lambda:InvokeFunction",
            function=self.target.function_name,
            qualifier=self.target.alias_name,
            principal=principal,
            source_arn=source_arn,
            source_account=self.account if source_account is None else source_account,
            opts=self.opts(),
        )
        self.out.permissions.append(permission)
        return permission


@dataclass(frozen=True)
class RetryPlan:
    """An EventBridge target's retry policy and dead-letter queue."""

    maximum_retry_attempts: int
    maximum_event_age_seconds: int
    dlq_arn: Any


def validate_retry(field: Field, args: Any, attempts: int, age: int) -> RetryPlan:
    """``max_retry_attempts``, ``max_event_age_seconds`` and ``dlq_arn`` of a rule or schedule."""
    dlq = args.get("dlq_arn")
    return RetryPlan(
        maximum_retry_attempts=field.key("max_retry_attempts").integer(
            optional(args, "max_retry_attempts", attempts), limits.EVENT_RETRY_ATTEMPTS, plain=True
        ),
        maximum_event_age_seconds=field.key("max_event_age_seconds").integer(
            optional(args, "max_event_age_seconds", age), limits.EVENT_AGE_S, plain=True
        ),
        dlq_arn=None if dlq is None else field.key("dlq_arn").arn(dlq, ("sqs",), what="SQS ARN"),
    )


def retry_args(retry: RetryPlan, policy: Any, dead_letter: Any) -> dict[str, Any]:
    """``retry_policy`` and ``dead_letter_config`` of an EventBridge or a Scheduler target (the same settings in two
    SDK types, ``policy`` and ``dead_letter``)."""
    return {
        "retry_policy": policy(
            maximum_retry_attempts=retry.maximum_retry_attempts,
            maximum_event_age_in_seconds=retry.maximum_event_age_seconds,
        ),
        "dead_letter_config": dead_letter(arn=retry.dlq_arn) if retry.dlq_arn is not None else None,
    }


def check_autoname(field: Field, logical: str, kind: str, max_len: int) -> None:
    """Pulumi names the resource ``<logical>-<7 hex>``: refuse a service name that makes that too long for AWS."""
    if len(logical) + limits.AUTONAME_SUFFIX > max_len:
        raise field.fail(
            f"gives the {kind} the generated name {logical!r} plus an 8-character suffix, "
            f"{len(logical) + limits.AUTONAME_SUFFIX} characters; AWS allows at most {max_len}: "
            "shorten the service name"
        )


def check_pattern(field: Field, node: Any, where: str, *, nested: bool = True) -> None:
    """EventBridge patterns and SNS filter policies: objects whose leaves are non-empty lists of values."""
    if not isinstance(node, dict) or not node:
        raise field.fail(f"{where} must be a non-empty JSON object, got {json.dumps(node)}")
    for key, value in node.items():
        here = f"{where}.{key}"
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise field.fail(f"{here} must be a list of at least 2 objects, got {json.dumps(value)}")
            for i, alternative in enumerate(value):
                check_pattern(field, alternative, f"{here}[{i}]", nested=nested)
        elif isinstance(value, dict):
            if not nested:
                raise field.fail(
                    f"{here} must be a list: nested objects need filter_policy_scope MessageBody, "
                    f"got {json.dumps(value)}"
                )
            check_pattern(field, value, here, nested=nested)
        elif not isinstance(value, list):
            raise field.fail(
                f"{here} must be a list of values to match (leaf values are lists), got {json.dumps(value)}"
            )
        elif not value:
            raise field.fail(f"{here} is an empty list, which matches nothing")


def rule_target(
    ctx: Context,
    name: str,
    rule: aws.cloudwatch.EventRule,
    input_text: Any,
    retry: RetryPlan,
    bus: pulumi.Input[str],
) -> None:
    """The permission for ``rule`` on the alias and the rule's target, after the permission."""
    ctx.out.event_rules.append(rule)
    permission = ctx.permission(f"{name}-permission", "events.amazonaws.com", rule.arn)
    target = aws.cloudwatch.EventTarget(
        f"{name}-target",
        rule=rule.name,
        # Targets on a custom bus must name the bus; the rule name alone resolves on the default bus.
        event_bus_name=bus,
        arn=ctx.target.alias_arn,
        input=input_text,
        **retry_args(retry, aws.cloudwatch.EventTargetRetryPolicyArgs, aws.cloudwatch.EventTargetDeadLetterConfigArgs),
        opts=ctx.opts(permission),
    )
    ctx.out.event_targets.append(target)


def state(enabled: bool) -> str:
    return "ENABLED" if enabled else "DISABLED"

"""SNS topic subscriptions that invoke the alias, after the permission that lets the topic do so."""

# No `from __future__ import annotations`: Pulumi's component schema inference reads this TypedDict at run time.
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .. import limits
from ..validation import Field, optional
from .common import Context, check_pattern


class SnsTriggerArgs(TypedDict):
    """An SNS topic subscription that invokes the alias."""

    topic_arn: pulumi.Input[str]
    """ARN of a standard SNS topic (FIFO topics cannot deliver to Lambda), in this account or another one (the
    permission is scoped to the account the ARN names; the topic's policy must let this account subscribe).
    Required; no default."""
    filter_policy: NotRequired[pulumi.Input[str]]
    """Subscription filter policy as JSON text: a non-empty object whose leaf values are lists. Defaults to none
    (every message)."""
    filter_policy_scope: NotRequired[str]
    """``MessageAttributes`` or ``MessageBody``: what the filter policy matches. Defaults to
    ``MessageAttributes``."""
    dlq_arn: NotRequired[pulumi.Input[str]]
    """ARN of an SQS queue for messages SNS could not deliver (the subscription's redrive policy); its queue policy
    must let ``sns.amazonaws.com`` send to it. Defaults to none."""


DEFAULT_SNS_FILTER_SCOPE = "MessageAttributes"


@dataclass(frozen=True)
class SnsTriggerPlan:
    index: int
    topic_arn: Any
    filter_policy: Any
    filter_policy_scope: str | None
    dlq_arn: Any


def _topic(field: Field, value: Any) -> Any:
    def check(arn: Any) -> Any:
        field.arn(arn, ("sns",), what="SNS ARN", plain=True)
        if arn.endswith(".fifo"):
            raise field.fail(f"is a FIFO topic, which can only deliver to SQS queues, not Lambda; got {arn!r}")
        return arn

    return field.later(value, check)


def _trigger(index: int, field: Field, trigger: Any) -> SnsTriggerPlan:
    scope = trigger.get("filter_policy_scope")
    if scope is not None:
        field.key("filter_policy_scope").choice(scope, limits.SNS_FILTER_SCOPES, plain=True)
        if trigger.get("filter_policy") is None:
            raise field.key("filter_policy_scope").fail(f"needs a filter_policy, got scope {scope!r} alone")
    policy_field = field.key("filter_policy")
    nested = (scope or DEFAULT_SNS_FILTER_SCOPE) == "MessageBody"
    policy = trigger.get("filter_policy")
    dlq = trigger.get("dlq_arn")
    return SnsTriggerPlan(
        index=index,
        topic_arn=_topic(field.key("topic_arn"), trigger["topic_arn"]),
        filter_policy=None
        if policy is None
        else policy_field.json_text(policy, check=lambda p: check_pattern(policy_field, p, "policy", nested=nested)),
        filter_policy_scope=None
        if policy is None
        else optional(trigger, "filter_policy_scope", DEFAULT_SNS_FILTER_SCOPE),
        dlq_arn=None if dlq is None else field.key("dlq_arn").arn(dlq, ("sqs",), what="SQS ARN"),
    )


def validate_sns_triggers(owner: str, value: Any) -> tuple[SnsTriggerPlan, ...]:
    """``sns_triggers`` -> one plan per subscription."""
    return tuple(_trigger(i, f, t) for i, f, t in Field(owner, "sns_triggers").entries(value, SnsTriggerArgs))


def create_sns_triggers(ctx: Context, plans: Sequence[SnsTriggerPlan]) -> None:
    """Per topic: the permission (scoped to the topic and the account), then the subscription of the alias."""
    for plan in plans:
        name = f"{ctx.service}-sns-{plan.index}"
        # The topic ARN names its account: a topic in another account is scoped to that account, not this one.
        account = pulumi.Output.from_input(plan.topic_arn).apply(lambda arn: arn.split(":")[4])
        permission = ctx.permission(f"{name}-permission", "sns.amazonaws.com", plan.topic_arn, account)
        ctx.out.subscriptions.append(
            aws.sns.TopicSubscription(
                name,
                topic=plan.topic_arn,
                protocol="lambda",
                endpoint=ctx.target.alias_arn,
                filter_policy=plan.filter_policy,
                filter_policy_scope=plan.filter_policy_scope,
                redrive_policy=pulumi.Output.from_input(plan.dlq_arn).apply(
                    lambda arn: json.dumps({"deadLetterTargetArn": arn})
                )
                if plan.dlq_arn is not None
                else None,
                # SNS starts delivering as soon as the subscription exists; without the permission the first
                # messages would be rejected and retried.
                opts=ctx.opts(permission),
            )
        )

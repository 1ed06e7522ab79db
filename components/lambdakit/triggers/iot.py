"""AWS IoT topic rules whose action invokes the alias: the permission for AWS IoT (scoped to the rule's ARN and the
account), then the rule, after the permission. An optional error action sends what the rule could not deliver to an
SQS queue, through a role trusted only by that rule and allowed only to send to that queue.

The rule's ARN is built from its name (``arn:<partition>:iot:<region>:<account>:rule/<name>``) because the permission
must exist before the rule: so the name is always set, never auto-named (IoT rule names allow no hyphens).
"""

# No `from __future__ import annotations`: Pulumi's component schema inference reads this TypedDict at run time.
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .. import limits
from ..validation import Field, optional
from .common import Context


class IotRuleArgs(TypedDict):
    """An AWS IoT topic rule whose action invokes the alias with the selected message."""

    sql: pulumi.Input[str]
    """IoT SQL statement, `SELECT <fields> FROM '<topic filter>' [WHERE <condition>]`, e.g.
    `SELECT *, topic(2) AS device FROM 'sensors/+/telemetry' WHERE temperature > 50`; the selected JSON is the
    function's event. Required."""
    rule_name: NotRequired[str]
    """Name of the topic rule, 1-128 letters, digits and underscores, unique in the account and region. Defaults to
    the function's name with `-` written `_`, plus `_<i>`."""
    sql_version: NotRequired[str]
    """Version of the IoT SQL rules engine: `2016-03-23`, `2015-10-08` or `beta`. Defaults to `2016-03-23`."""
    description: NotRequired[str]
    """Description of the rule. Defaults to none."""
    enabled: NotRequired[bool]
    """Whether the rule runs. Defaults to true."""
    error_queue_arn: NotRequired[pulumi.Input[str]]
    """ARN of an SQS queue for the rule's error action (what IoT could not deliver to the function, with the error),
    sent through a role trusted only by this rule and allowed only `sqs:SendMessage` on this queue. Defaults to none
    (IoT drops what it cannot deliver)."""


DEFAULT_SQL_VERSION = "2016-03-23"

#: ``SELECT ... FROM '<topic filter>' ...``: the clauses every topic rule's statement has.
_SQL = re.compile(r"\s*SELECT\s.+?\sFROM\s+'[^']+'.*", re.IGNORECASE | re.DOTALL)
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_]", re.ASCII)


@dataclass(frozen=True)
class IotRulePlan:
    index: int
    rule_name: str
    sql: Any
    sql_version: str
    description: str | None
    enabled: bool
    error_queue_arn: Any


def default_rule_name(function_name: str, index: int) -> str:
    return _NOT_IN_NAME.sub("_", f"{function_name}_{index}")


def _sql(field: Field, value: Any) -> Any:
    def check(v: Any) -> Any:
        if not isinstance(v, str):
            raise field.wrong("an IoT SQL statement", v)
        if not _SQL.fullmatch(v):
            raise field.fail(
                "must be an IoT SQL statement SELECT <fields> FROM '<topic filter>' [WHERE <condition>] "
                f"(the topic filter in single quotes), got {v[:120]!r}"
            )
        return v

    return field.later(value, check)


def _rule(index: int, field: Field, raw: Any, function_name: str) -> IotRulePlan:
    name = raw.get("rule_name")
    if name is None:
        name = default_rule_name(function_name, index)
        if len(name) > limits.IOT_RULE_NAME_MAX:  # cannot happen with a 64-character function name; kept honest
            raise field.key("rule_name").fail(
                f"defaults to {name!r}, {len(name)} characters; AWS allows {limits.IOT_RULE_NAME_MAX}: set rule_name"
            )
    else:
        field.key("rule_name").string(
            name,
            max_len=limits.IOT_RULE_NAME_MAX,
            pattern=limits.IOT_RULE_NAME_RE,
            what="a topic rule name (letters, digits and underscores; no hyphens)",
            plain=True,
        )
    description = raw.get("description")
    queue = raw.get("error_queue_arn")
    return IotRulePlan(
        index=index,
        rule_name=name,
        sql=_sql(field.key("sql"), raw["sql"]),
        sql_version=field.key("sql_version").choice(
            optional(raw, "sql_version", DEFAULT_SQL_VERSION), limits.IOT_SQL_VERSIONS, plain=True
        ),
        description=None if description is None else field.key("description").string(description, plain=True),
        enabled=field.key("enabled").boolean(optional(raw, "enabled", True)),
        error_queue_arn=None if queue is None else field.key("error_queue_arn").arn(queue, ("sqs",), what="SQS ARN"),
    )


def validate_iot_rules(owner: str, value: Any, function_name: str) -> tuple[IotRulePlan, ...]:
    """``iot_rules`` -> one plan per topic rule; ``function_name`` (the service's function) gives the default rule
    names."""
    root = Field(owner, "iot_rules")
    plans = tuple(_rule(i, f, raw, function_name) for i, f, raw in root.entries(value, IotRuleArgs))
    seen: dict[str, int] = {}
    for plan in plans:
        # Rule names are unique in the account and region: the second rule would fail to create.
        if plan.rule_name in seen:
            field = root.index(plan.index).key("rule_name")
            raise field.fail(f"is the name of iot_rules[{seen[plan.rule_name]}] too, got {plan.rule_name!r}")
        seen[plan.rule_name] = plan.index
    return plans


def _queue_url(arn: str) -> str:
    _, partition, _, region, account, queue = arn.split(":", 5)
    domain = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return f"https://sqs.{region}.{domain}/{account}/{queue}"


def _error_action(
    ctx: Context, name: str, plan: IotRulePlan, rule_arn: pulumi.Output[str]
) -> tuple[aws.iot.TopicRuleErrorActionArgs, aws.iam.RolePolicy]:
    """The SQS error action and its role: trusted by AWS IoT for this rule only (source ARN and account), allowed
    only to send to the queue."""
    assume = pulumi.Output.all(ctx.account, rule_arn).apply(
        lambda values: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": limits.IOT_PRINCIPAL},
                        "Action": "sts:AssumeRole",
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": values[0]},
                            "ArnLike": {"aws:SourceArn": values[1]},
                        },
                    }
                ],
            }
        )
    )
    role = aws.iam.Role(
        f"{name}-error-role",
        assume_role_policy=assume,
        permissions_boundary=ctx.target.role_permissions_boundary,
        path=ctx.target.role_path,
        opts=ctx.opts(),
    )
    queue = pulumi.Output.from_input(plan.error_queue_arn)
    policy = aws.iam.RolePolicy(
        f"{name}-error-policy",
        role=role.id,
        policy=queue.apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn}],
                }
            )
        ),
        opts=ctx.opts(),
    )
    ctx.out.iot_error_roles.append(role)
    ctx.out.iot_error_policies.append(policy)
    action = aws.iot.TopicRuleErrorActionArgs(
        sqs=aws.iot.TopicRuleErrorActionSqsArgs(queue_url=queue.apply(_queue_url), role_arn=role.arn, use_base64=False)
    )
    return action, policy


def create_iot_rules(ctx: Context, plans: Sequence[IotRulePlan]) -> None:
    """Per rule: the permission for AWS IoT on the alias (source ARN the rule's ARN, the account), then the rule
    with its lambda action on the alias ARN, after the permission (and after the error action's role policy)."""
    for plan in plans:
        name = f"{ctx.service}-iot-{plan.index}"
        rule_arn = pulumi.Output.concat(
            "arn:", ctx.partition, ":iot:", ctx.region, ":", ctx.account, ":rule/", plan.rule_name
        )
        permission = ctx.permission(f"{name}-permission", limits.IOT_PRINCIPAL, rule_arn)
        waits: list[pulumi.Resource] = [permission]
        error_action = None
        if plan.error_queue_arn is not None:
            error_action, policy = _error_action(ctx, name, plan, rule_arn)
            waits.append(policy)
        ctx.out.topic_rules.append(
            aws.iot.TopicRule(
                name,
                name=plan.rule_name,
                enabled=plan.enabled,
                sql=plan.sql,
                sql_version=plan.sql_version,
                description=plan.description,
                lambdas=[aws.iot.TopicRuleLambdaArgs(function_arn=ctx.target.alias_arn)],
                error_action=error_action,
                # A message matched before the permission exists fails to invoke (and goes to the error action).
                opts=ctx.opts(*waits),
            )
        )

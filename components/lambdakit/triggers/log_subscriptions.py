"""CloudWatch Logs subscription filters that deliver a log group's events to the alias: the permission for CloudWatch
Logs (scoped to that log group and the account), then the subscription filter, whose destination is the alias ARN.

CloudWatch Logs delivers only to functions in the log group's own account and region, at most two subscription filters
per log group, and gzip+base64 batches as ``{"awslogs": {"data": ...}}``. Subscribing the function to its own log
group is refused: each delivery writes log lines that would be delivered again, in a loop.
"""

# No `from __future__ import annotations`: Pulumi's component schema inference reads this TypedDict at run time.
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .. import limits
from ..validation import Field, is_unknown, optional
from .common import Context


class LogSubscriptionArgs(TypedDict):
    """A CloudWatch Logs subscription filter whose destination is the alias."""

    log_group: pulumi.Input[str]
    """Name or ARN of the log group whose events are delivered, in this account and region (CloudWatch Logs delivers
    only to functions in its own account), e.g. another service's `log_group_name`; never the function's own log
    group (a loop). Required."""
    filter_pattern: NotRequired[pulumi.Input[str]]
    """CloudWatch Logs filter pattern, at most 1024 characters, e.g. `?ERROR ?Exception` or `{ $.level = "error" }`;
    `""` delivers every event. Defaults to `""`."""
    filter_name: NotRequired[str]
    """Name of the subscription filter, unique on the log group, at most 512 characters without `:` or `*`. Defaults
    to the auto-name `<name>-log-subscription-<i>-<hex>`."""


@dataclass(frozen=True)
class LogSubscriptionPlan:
    index: int
    #: The log group as given (a name or an ARN), checked now or when it resolves.
    log_group: Any
    filter_pattern: Any
    filter_name: str | None


def _group_name(value: str) -> str:
    """The log group's name in a name or an ARN (already checked)."""
    match = limits.LOG_GROUP_ARN_RE.fullmatch(value)
    return match["name"] if match else value


def _own_group(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def _loop_message(group: str) -> str:
    return (
        f"is the function's own log group {group!r}: every delivery writes log lines that would be delivered again, "
        "in a loop; subscribe another log group (or send this one to another function)"
    )


def _log_group(field: Field, value: Any, function_name: str | None) -> Any:
    def check(v: Any) -> Any:
        if not isinstance(v, str):
            raise field.wrong("a log group name or ARN", v)
        if v.startswith("arn:") and limits.LOG_GROUP_ARN_RE.fullmatch(v) is None:
            raise field.fail(
                f"must be a log group ARN (arn:aws:logs:<region>:<account>:log-group:<name>) or a name, got {v!r}"
            )
        field.string(
            _group_name(v),
            max_len=limits.LOG_GROUP_NAME_MAX,
            pattern=limits.LOG_GROUP_NAME_RE,
            what="a log group name (letters, digits and . - _ / #)",
        )
        if function_name is not None and _group_name(v) == _own_group(function_name):
            raise field.fail(_loop_message(_group_name(v)))
        return v

    return field.later(value, check)


def _subscription(index: int, field: Field, raw: Any, function_name: str | None) -> LogSubscriptionPlan:
    name = raw.get("filter_name")
    if name is not None:
        field.key("filter_name").string(
            name,
            max_len=limits.LOG_FILTER_NAME_MAX,
            pattern=limits.LOG_FILTER_NAME_RE,
            what="a subscription filter name (no ':' or '*')",
            plain=True,
        )
    return LogSubscriptionPlan(
        index=index,
        log_group=_log_group(field.key("log_group"), raw["log_group"], function_name),
        filter_pattern=field.key("filter_pattern").string(
            optional(raw, "filter_pattern", ""), max_len=limits.LOG_FILTER_PATTERN_MAX, empty=True
        ),
        filter_name=name,
    )


def validate_log_subscriptions(
    owner: str, value: Any, function_name: str | None = None
) -> tuple[LogSubscriptionPlan, ...]:
    """``log_subscriptions`` -> one plan per subscription filter. ``function_name`` (the service's function) lets the
    function's own log group be refused now; a log group known only at deploy time is checked when it resolves."""
    root = Field(owner, "log_subscriptions")
    plans = tuple(_subscription(i, f, raw, function_name) for i, f, raw in root.entries(value, LogSubscriptionArgs))
    # What can be counted now: plain log groups (a name and its ARN are the same group).
    per_group: Counter[str] = Counter()
    names: set[tuple[str, str]] = set()
    for plan in plans:
        if is_unknown(plan.log_group) or isinstance(plan.log_group, pulumi.Output):
            continue
        group = _group_name(plan.log_group)
        per_group[group] += 1
        field = root.index(plan.index)
        if per_group[group] > limits.LOG_SUBSCRIPTIONS_PER_GROUP:
            raise field.key("log_group").fail(
                f"would be subscription filter {per_group[group]} on {group!r}: CloudWatch Logs allows at most "
                f"{limits.LOG_SUBSCRIPTIONS_PER_GROUP} per log group; merge them into one filter pattern"
            )
        if plan.filter_name is not None:
            if (group, plan.filter_name) in names:
                raise field.key("filter_name").fail(
                    f"is used twice on {group!r}, got {plan.filter_name!r} (the second would replace the first)"
                )
            names.add((group, plan.filter_name))
    return plans


def _group_arn(ctx: Context, plan: LogSubscriptionPlan, field: Field) -> pulumi.Output[str]:
    """The log group's ARN (without ``:*``), checked against the alias's account and region when they resolve."""

    def arn(args: list[Any]) -> str:
        given, function_name, partition, region, account = args
        group = _group_name(given)
        if group == _own_group(str(function_name).split(":")[-1]):
            raise field.key("log_group").fail(_loop_message(group))
        match = limits.LOG_GROUP_ARN_RE.fullmatch(given)
        if match is None:
            return f"arn:{partition}:logs:{region}:{account}:log-group:{group}"
        if match["account"] != account or match["region"] != region:
            raise field.key("log_group").fail(
                f"is in account {match['account']}, region {match['region']}: CloudWatch Logs delivers only to "
                f"functions in the log group's own account and region ({account}, {region}), got {given!r}"
            )
        return f"arn:{match['partition']}:logs:{region}:{account}:log-group:{group}"

    return pulumi.Output.all(plan.log_group, ctx.target.function_name, ctx.partition, ctx.region, ctx.account).apply(
        arn
    )


def create_log_subscriptions(ctx: Context, plans: Sequence[LogSubscriptionPlan]) -> None:
    """Per log group: the permission for CloudWatch Logs on the alias (source ARN ``<log group ARN>:*``, the
    account), then the subscription filter to the alias, after the permission (PutSubscriptionFilter test-invokes
    the destination and fails without it)."""
    for plan in plans:
        name = f"{ctx.service}-log-subscription-{plan.index}"
        field = Field(ctx.service, "log_subscriptions").index(plan.index)
        group_arn = _group_arn(ctx, plan, field)
        permission = ctx.permission(
            f"{name}-permission", limits.LOGS_PRINCIPAL, group_arn.apply(lambda arn: f"{arn}:*")
        )
        ctx.out.log_subscription_filters.append(
            aws.cloudwatch.LogSubscriptionFilter(
                name,
                name=plan.filter_name,
                # The name from the checked ARN: a bad log group fails the filter too, not only the permission.
                log_group=group_arn.apply(lambda arn: arn.split(":log-group:", 1)[1]),
                filter_pattern=plan.filter_pattern,
                destination_arn=ctx.target.alias_arn,
                opts=ctx.opts(permission),
            )
        )

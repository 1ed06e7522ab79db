"""Schedules that invoke the alias: an EventBridge rule (UTC, no delay) or, with a time zone or a flexible time window,
an EventBridge Scheduler schedule, which invokes through a role of its own instead of the function's resource policy.
"""

# No `from __future__ import annotations`: Pulumi's component schema inference reads this TypedDict at run time.
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .. import limits, schedules
from ..validation import Field, optional
from .common import Context, RetryPlan, check_autoname, retry_args, rule_target, state, validate_retry


class ScheduleArgs(TypedDict):
    """A rate or cron schedule that invokes the alias."""

    expression: str
    """``rate(<n> minute|minutes|hour|hours|day|days)`` (singular only for 1) or a six-field
    ``cron(minutes hours day-of-month month day-of-week year)`` in which exactly one of day-of-month and day-of-week
    is ``?``. Required; no default."""
    time_zone: NotRequired[str]
    """IANA time zone the cron expression is evaluated in, e.g. ``Europe/Berlin``. Setting it creates an EventBridge
    Scheduler schedule instead of an EventBridge rule. Defaults to none (an EventBridge rule, evaluated in UTC)."""
    flexible_time_window_minutes: NotRequired[int]
    """Let EventBridge Scheduler start the invocation up to this many minutes (1-1440) after the scheduled time, to
    spread load. Setting it creates a Scheduler schedule. Defaults to none (invoke at the scheduled time)."""
    input: NotRequired[pulumi.Input[str]]
    """JSON text sent as the event payload. Defaults to the EventBridge event (rule) or no payload (Scheduler)."""
    description: NotRequired[str]
    """Description of the rule or schedule (at most 512 characters). Defaults to none."""
    enabled: NotRequired[bool]
    """Whether the schedule fires. Defaults to True."""
    max_retry_attempts: NotRequired[int]
    """Retries (0-185) when the invocation fails to be delivered. Defaults to 2: a missed tick is usually better
    skipped than delivered a day late."""
    max_event_age_seconds: NotRequired[int]
    """How long (60-86400 s) EventBridge keeps retrying an undelivered invocation. Defaults to 3600."""
    dlq_arn: NotRequired[pulumi.Input[str]]
    """ARN of an SQS queue that receives invocations that could not be delivered. For a rule, the queue's policy
    must let ``events.amazonaws.com`` send to it; for a Scheduler schedule, the schedule's role is granted
    ``sqs:SendMessage`` here. Defaults to none."""


DEFAULT_SCHEDULE_RETRY_ATTEMPTS = 2
DEFAULT_SCHEDULE_EVENT_AGE_SECONDS = 3600


@dataclass(frozen=True)
class RuleSchedulePlan:
    """A schedule run by an EventBridge rule (UTC, invoked through the function's resource policy)."""

    index: int
    expression: str
    description: str | None
    enabled: bool
    input: Any
    retry: RetryPlan


@dataclass(frozen=True)
class SchedulerSchedulePlan:
    """A schedule run by EventBridge Scheduler (time zone, flexible window; invoked through its own role)."""

    index: int
    expression: str
    time_zone: str | None
    flexible_time_window_minutes: int | None
    description: str | None
    enabled: bool
    input: Any
    retry: RetryPlan


SchedulePlan = RuleSchedulePlan | SchedulerSchedulePlan


def _schedule(owner: str, index: int, field: Field, schedule: Any) -> SchedulePlan:
    zone, window = schedule.get("time_zone"), schedule.get("flexible_time_window_minutes")
    description = schedule.get("description")
    common: dict[str, Any] = {
        "index": index,
        "expression": schedules.check_expression(field.key("expression"), schedule["expression"], plain=True),
        "description": None
        if description is None
        else field.key("description").string(description, max_len=limits.RULE_DESCRIPTION_MAX, plain=True),
        "enabled": field.key("enabled").boolean(optional(schedule, "enabled", True)),
        "input": None if schedule.get("input") is None else field.key("input").json_text(schedule["input"]),
        "retry": validate_retry(field, schedule, DEFAULT_SCHEDULE_RETRY_ATTEMPTS, DEFAULT_SCHEDULE_EVENT_AGE_SECONDS),
    }
    name = f"{owner}-schedule-{index}"
    # EventBridge rules evaluate cron in UTC only and cannot delay; Scheduler supports time zones and flexible
    # time windows but invokes through an IAM role instead of the function's resource policy.
    if zone is None and window is None:
        check_autoname(field, name, "EventBridge rule", limits.RULE_NAME_MAX)
        return RuleSchedulePlan(**common)
    check_autoname(field, name, "Scheduler schedule", limits.SCHEDULE_NAME_MAX)
    check_autoname(field, f"{owner}-scheduler-role", "Scheduler's IAM role", limits.IAM_ROLE_NAME_MAX)
    return SchedulerSchedulePlan(
        **common,
        time_zone=None if zone is None else schedules.check_time_zone(field.key("time_zone"), zone, plain=True),
        flexible_time_window_minutes=None
        if window is None
        else field.key("flexible_time_window_minutes").integer(window, limits.FLEXIBLE_WINDOW_MIN, plain=True),
    )


def validate_schedules(owner: str, value: Any) -> tuple[SchedulePlan, ...]:
    """``schedules`` -> one plan per schedule: an EventBridge rule or a Scheduler schedule."""
    return tuple(
        _schedule(owner, i, field, schedule)
        for i, field, schedule in Field(owner, "schedules").entries(value, ScheduleArgs)
    )


def _scheduler_role(ctx: Context, dlq_arns: list[Any]) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    # Scheduler does not use the function's resource policy: it assumes a role, so that role (trusted only by
    # this account's schedules) is what may invoke the alias.
    assume = ctx.account.apply(
        lambda account: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "scheduler.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                    }
                ],
            }
        )
    )
    role = aws.iam.Role(
        f"{ctx.service}-scheduler-role",
        assume_role_policy=assume,
        permissions_boundary=ctx.target.role_permissions_boundary,
        path=ctx.target.role_path,
        opts=ctx.opts(),
    )

    def document(values: list[Any]) -> str:
        alias_arn, *queues = values
        statements: list[dict[str, Any]] = [
            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": alias_arn}
        ]
        if queues:
            statements.append({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": sorted(set(queues))})
        return json.dumps({"Version": "2012-10-17", "Statement": statements})

    policy = aws.iam.RolePolicy(
        f"{ctx.service}-scheduler-policy",
        role=role.id,
        policy=pulumi.Output.all(ctx.target.alias_arn, *dlq_arns).apply(document),
        opts=ctx.opts(),
    )
    ctx.out.scheduler_role, ctx.out.scheduler_policy = role, policy
    return role, policy


def _create_scheduler_schedule(
    ctx: Context, plan: SchedulerSchedulePlan, role: aws.iam.Role, policy: aws.iam.RolePolicy
) -> None:
    window = plan.flexible_time_window_minutes
    ctx.out.schedules.append(
        aws.scheduler.Schedule(
            f"{ctx.service}-schedule-{plan.index}",
            schedule_expression=plan.expression,
            schedule_expression_timezone=plan.time_zone,
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(
                mode="FLEXIBLE", maximum_window_in_minutes=window
            )
            if window
            else aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            description=plan.description,
            state=state(plan.enabled),
            target=aws.scheduler.ScheduleTargetArgs(
                arn=ctx.target.alias_arn,
                role_arn=role.arn,
                input=plan.input,
                **retry_args(
                    plan.retry,
                    aws.scheduler.ScheduleTargetRetryPolicyArgs,
                    aws.scheduler.ScheduleTargetDeadLetterConfigArgs,
                ),
            ),
            # Scheduler accepts a role it cannot yet use; invocations would fail until the policy lands.
            opts=ctx.opts(policy),
        )
    )


def create_schedules(ctx: Context, plans: Sequence[SchedulePlan]) -> None:
    """The Scheduler role (once, when any schedule needs it), then each schedule as a rule or a Scheduler schedule."""
    scheduled = [p for p in plans if isinstance(p, SchedulerSchedulePlan)]
    role_and_policy = (
        _scheduler_role(ctx, [p.retry.dlq_arn for p in scheduled if p.retry.dlq_arn is not None]) if scheduled else None
    )
    for plan in plans:
        if isinstance(plan, SchedulerSchedulePlan):
            if role_and_policy is not None:  # always: it was created above for the Scheduler schedules
                _create_scheduler_schedule(ctx, plan, *role_and_policy)
            continue
        name = f"{ctx.service}-schedule-{plan.index}"
        rule = aws.cloudwatch.EventRule(
            name,
            schedule_expression=plan.expression,
            description=plan.description,
            state=state(plan.enabled),
            opts=ctx.opts(),
        )
        rule_target(ctx, name, rule, plan.input, plan.retry, "default")

"""EventBridge rules whose event pattern invokes the alias."""

# No `from __future__ import annotations`: Pulumi's component schema inference reads this TypedDict at run time.
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .. import limits
from ..validation import Field, optional
from .common import Context, RetryPlan, check_autoname, check_pattern, rule_target, state, validate_retry


class EventRuleArgs(TypedDict):
    """An EventBridge rule whose event pattern invokes the alias."""

    event_pattern: pulumi.Input[str]
    """Event pattern as JSON text: a non-empty object whose leaf values are lists, e.g.
    ``{"source": ["orders"], "detail-type": ["OrderPlaced"]}`` (at most 4096 characters). Required; no default."""
    event_bus_name: NotRequired[pulumi.Input[str]]
    """Name or ARN of the event bus the rule listens on. Defaults to ``default``."""
    description: NotRequired[str]
    """Description of the rule (at most 512 characters). Defaults to none."""
    enabled: NotRequired[bool]
    """Whether the rule matches events. Defaults to True."""
    input: NotRequired[pulumi.Input[str]]
    """JSON text sent instead of the matched event. Defaults to none (the matched event is sent)."""
    max_retry_attempts: NotRequired[int]
    """Retries (0-185) when the invocation fails to be delivered. Defaults to 185 (EventBridge's own default)."""
    max_event_age_seconds: NotRequired[int]
    """How long (60-86400 s) EventBridge keeps retrying an undelivered event. Defaults to 86400 (EventBridge's own
    default)."""
    dlq_arn: NotRequired[pulumi.Input[str]]
    """ARN of an SQS queue that receives events that could not be delivered; its queue policy must let
    ``events.amazonaws.com`` send to it. Defaults to none."""


DEFAULT_RULE_RETRY_ATTEMPTS = 185
DEFAULT_RULE_EVENT_AGE_SECONDS = 86400
DEFAULT_EVENT_BUS = "default"
#: An event bus name (or ARN): letters, digits, '.', '-', '_', '/' and ':' (PutRule's EventBusNameOrArn).
_BUS = re.compile("[A-Za-z0-9._/:-]{1,1600}")


@dataclass(frozen=True)
class EventRulePlan:
    index: int
    event_pattern: Any
    event_bus_name: Any
    description: str | None
    enabled: bool
    input: Any
    retry: RetryPlan


def _rule(owner: str, index: int, field: Field, rule: Any) -> EventRulePlan:
    pattern = field.key("event_pattern")
    description = rule.get("description")
    check_autoname(field, f"{owner}-rule-{index}", "EventBridge rule", limits.RULE_NAME_MAX)
    return EventRulePlan(
        index=index,
        event_pattern=pattern.json_text(
            rule["event_pattern"],
            max_len=limits.EVENT_PATTERN_MAX,
            check=lambda parsed: check_pattern(pattern, parsed, "pattern"),
        ),
        event_bus_name=field.key("event_bus_name").string(
            optional(rule, "event_bus_name", DEFAULT_EVENT_BUS), pattern=_BUS, what="an event bus name"
        ),
        description=None
        if description is None
        else field.key("description").string(description, max_len=limits.RULE_DESCRIPTION_MAX, plain=True),
        enabled=field.key("enabled").boolean(optional(rule, "enabled", True)),
        input=None if rule.get("input") is None else field.key("input").json_text(rule["input"]),
        retry=validate_retry(field, rule, DEFAULT_RULE_RETRY_ATTEMPTS, DEFAULT_RULE_EVENT_AGE_SECONDS),
    )


def validate_event_rules(owner: str, value: Any) -> tuple[EventRulePlan, ...]:
    """``event_rules`` -> one plan per rule."""
    return tuple(_rule(owner, i, f, rule) for i, f, rule in Field(owner, "event_rules").entries(value, EventRuleArgs))


def create_event_rules(ctx: Context, plans: Sequence[EventRulePlan]) -> None:
    """Each rule on its bus, with the permission for that rule on the alias and the rule's target."""
    for plan in plans:
        name = f"{ctx.service}-rule-{plan.index}"
        rule = aws.cloudwatch.EventRule(
            name,
            event_pattern=plan.event_pattern,
            event_bus_name=plan.event_bus_name,
            description=plan.description,
            state=state(plan.enabled),
            opts=ctx.opts(),
        )
        rule_target(ctx, name, rule, plan.input, plan.retry, plan.event_bus_name)

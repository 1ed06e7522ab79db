"""An Application Load Balancer target group whose target is the alias: the permission for Elastic Load Balancing
(scoped to the target group), then the attachment of the alias, and optionally a listener rule that forwards to it.

A listener rule forwards only after authenticating with Amazon Cognito, or with ``allow_unauthenticated`` set (an
internal load balancer, or authentication in the handler), as the Function URL asks for ``allow_public``.
"""

# No `from __future__ import annotations`: Pulumi's component schema inference reads these TypedDicts at run time.
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .. import limits
from ..validation import Field, optional
from .common import Context, check_autoname


class AlbHealthCheckArgs(TypedDict):
    """Health checks of the target group. ELB health checks invoke the function (and are billed as invocations)."""

    enabled: NotRequired[bool]
    """Whether ELB health-checks the alias. Defaults to false."""
    path: NotRequired[str]
    """Path of the health check request. Defaults to `/`."""
    interval_seconds: NotRequired[int]
    """Seconds between checks, 5-300, more than `timeout_seconds`. Defaults to 35."""
    timeout_seconds: NotRequired[int]
    """Seconds to wait for the answer, 2-120. Defaults to 30."""
    healthy_threshold: NotRequired[int]
    """Consecutive successes before the target is healthy, 2-10. Defaults to 5."""
    unhealthy_threshold: NotRequired[int]
    """Consecutive failures before the target is unhealthy, 2-10. Defaults to 2."""
    matcher: NotRequired[str]
    """HTTP codes that mean healthy, e.g. `200` or `200-299`. Defaults to `200`."""


class AlbCognitoArgs(TypedDict):
    """Amazon Cognito authentication before the listener rule forwards."""

    user_pool_arn: pulumi.Input[str]
    """ARN of the user pool. Required."""
    user_pool_client_id: pulumi.Input[str]
    """Id of the user pool's app client. Required."""
    user_pool_domain: pulumi.Input[str]
    """Domain prefix of the user pool's hosted UI. Required."""


class AlbTargetArgs(TypedDict):
    """An Application Load Balancer target group that invokes the alias."""

    target_group_name: NotRequired[str]
    """Name of the target group created, at most 32 letters, digits and hyphens. Defaults to the auto-name
    `<name>-alb-<i>-<hex>`."""
    multi_value_headers: NotRequired[bool]
    """Pass repeated headers and query parameters as lists (`multiValueHeaders`); the handler must answer in the same
    shape. Defaults to false."""
    health_check: NotRequired[AlbHealthCheckArgs]
    """Health checks of the target group. Defaults to disabled."""
    listener_arn: NotRequired[pulumi.Input[str]]
    """ARN of an HTTP(S) listener on which a rule forwarding to the target group is created. Defaults to none (attach
    the target group yourself)."""
    priority: NotRequired[int]
    """Priority of the listener rule, 1-50,000, unique on the listener. Required with `listener_arn`."""
    path_patterns: NotRequired[Sequence[str]]
    """Paths the listener rule matches, e.g. `/orders/*` (at most 5 conditions in all). Defaults to none."""
    host_headers: NotRequired[Sequence[str]]
    """Host names the listener rule matches, e.g. `api.example.com`. Defaults to none."""
    authenticate_cognito: NotRequired[AlbCognitoArgs]
    """Authenticate with Amazon Cognito before forwarding. Defaults to none."""
    allow_unauthenticated: NotRequired[bool]
    """Acknowledge that the listener rule forwards requests without authentication (an internal load balancer, or
    authentication in the handler); required with `listener_arn` unless `authenticate_cognito` is set. Defaults to
    false."""


@dataclass(frozen=True)
class HealthCheckPlan:
    enabled: bool
    path: str
    interval: int
    timeout: int
    healthy_threshold: int
    unhealthy_threshold: int
    matcher: str


@dataclass(frozen=True)
class AlbTargetPlan:
    index: int
    target_group_name: str | None
    multi_value_headers: bool
    health_check: HealthCheckPlan
    listener_arn: Any
    priority: int | None
    path_patterns: tuple[str, ...]
    host_headers: tuple[str, ...]
    cognito: Any
    #: True when the rule forwards without authentication (acknowledged with ``allow_unauthenticated``).
    unauthenticated: bool


_TG_NAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,32}(?<!-)", re.ASCII)
_MATCHER = re.compile(r"[0-9]{3}([,-][0-9]{3})*", re.ASCII)


def _health(field: Field, raw: Any) -> HealthCheckPlan:
    h = {} if raw is None else field.mapping(raw, AlbHealthCheckArgs)

    def integer(key: str, default: int, rng: limits.Range) -> int:
        return int(field.key(key).integer(optional(h, key, default), rng, plain=True))

    plan = HealthCheckPlan(
        enabled=field.key("enabled").boolean(optional(h, "enabled", False)),
        path=field.key("path").string(optional(h, "path", "/"), max_len=limits.ALB_PATH_MAX, plain=True),
        interval=integer("interval_seconds", 35, limits.ALB_HEALTH_INTERVAL_S),
        timeout=integer("timeout_seconds", 30, limits.ALB_HEALTH_TIMEOUT_S),
        healthy_threshold=integer("healthy_threshold", 5, limits.ALB_HEALTH_THRESHOLD),
        unhealthy_threshold=integer("unhealthy_threshold", 2, limits.ALB_HEALTH_THRESHOLD),
        matcher=field.key("matcher").string(
            optional(h, "matcher", "200"), pattern=_MATCHER, what="HTTP codes such as 200 or 200-299", plain=True
        ),
    )
    if plan.timeout >= plan.interval:
        raise field.key("timeout_seconds").fail(
            f"must be less than interval_seconds ({plan.interval}), got {plan.timeout}"
        )
    return plan


def _strings(field: Field, value: Any, max_len: int) -> tuple[str, ...]:
    items = field.sequence([] if value is None else value, what="a list of strings")
    return tuple(field.index(i).string(v, max_len=max_len, plain=True) for i, v in enumerate(items))


def _target(owner: str, index: int, field: Field, raw: Any) -> AlbTargetPlan:
    name = raw.get("target_group_name")
    if name is None:
        check_autoname(field, f"{owner}-alb-{index}", "target group", limits.ALB_TARGET_GROUP_NAME_MAX)
    else:
        field.key("target_group_name").string(
            name, pattern=_TG_NAME, what="a target group name (1-32 letters, digits, hyphens)", plain=True
        )
    listener = raw.get("listener_arn")
    paths = _strings(field.key("path_patterns"), raw.get("path_patterns"), limits.ALB_CONDITION_VALUE_MAX)
    hosts = _strings(field.key("host_headers"), raw.get("host_headers"), limits.ALB_CONDITION_VALUE_MAX)
    cognito = raw.get("authenticate_cognito")
    acknowledged = field.key("allow_unauthenticated").boolean(optional(raw, "allow_unauthenticated", False))
    priority = raw.get("priority")
    if listener is None:
        for key, value in (
            ("priority", priority),
            ("path_patterns", paths),
            ("host_headers", hosts),
            ("authenticate_cognito", cognito),
        ):
            if value:
                raise field.key(key).fail(f"needs listener_arn (it configures the listener rule), got {value!r}")
        if acknowledged:
            raise field.key("allow_unauthenticated").fail("needs listener_arn: without a rule nothing is forwarded")
    else:
        field.key("listener_arn").string(
            listener, pattern=limits.ALB_LISTENER_ARN_RE, what="an ELB listener ARN (arn:aws:elasticloadbalancing:...)"
        )
        if priority is None:
            raise field.key("priority").fail("is required with listener_arn (1-50000, unique on the listener)")
        field.key("priority").integer(priority, limits.ALB_RULE_PRIORITY, plain=True)
        if not paths and not hosts:
            raise field.fail("needs path_patterns or host_headers for its listener rule (a rule needs a condition)")
        if len(paths) + len(hosts) > limits.ALB_CONDITION_VALUES_MAX:
            raise field.fail(
                f"may match at most {limits.ALB_CONDITION_VALUES_MAX} paths and hosts in one rule, "
                f"got {len(paths) + len(hosts)}"
            )
        if cognito is not None and acknowledged:
            raise field.key("allow_unauthenticated").fail("must not be set with authenticate_cognito")
        if cognito is None and not acknowledged:
            raise field.key("listener_arn").fail(
                "forwards requests without authentication: set authenticate_cognito, or allow_unauthenticated: true "
                "for an internal load balancer or a handler that authenticates"
            )
        if cognito is not None:
            c = field.key("authenticate_cognito").mapping(cognito, AlbCognitoArgs)
            field.key("authenticate_cognito").key("user_pool_arn").arn(c["user_pool_arn"], ("cognito-idp",))
    return AlbTargetPlan(
        index=index,
        target_group_name=name,
        multi_value_headers=field.key("multi_value_headers").boolean(optional(raw, "multi_value_headers", False)),
        health_check=_health(field.key("health_check"), raw.get("health_check")),
        listener_arn=listener,
        priority=priority,
        path_patterns=paths,
        host_headers=hosts,
        cognito=cognito,
        unauthenticated=listener is not None and cognito is None,
    )


def validate_alb_targets(owner: str, value: Any) -> tuple[AlbTargetPlan, ...]:
    """``alb_targets`` -> one plan per target group."""
    return tuple(_target(owner, i, f, raw) for i, f, raw in Field(owner, "alb_targets").entries(value, AlbTargetArgs))


def create_alb_targets(ctx: Context, plans: Sequence[AlbTargetPlan]) -> None:
    """Per target: the target group, the permission on the alias scoped to it, the attachment of the alias after the
    permission (ELB test-invokes the target when it is registered), then the listener rule."""
    for plan in plans:
        name = f"{ctx.service}-alb-{plan.index}"
        h = plan.health_check
        group = aws.lb.TargetGroup(
            name,
            name=plan.target_group_name,
            target_type="lambda",
            lambda_multi_value_headers_enabled=plan.multi_value_headers,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=h.enabled,
                path=h.path,
                interval=h.interval,
                timeout=h.timeout,
                healthy_threshold=h.healthy_threshold,
                unhealthy_threshold=h.unhealthy_threshold,
                matcher=h.matcher,
            ),
            opts=pulumi.ResourceOptions(parent=ctx.parent),
        )
        ctx.out.target_groups.append(group)
        permission = ctx.permission(f"{name}-permission", "elasticloadbalancing.amazonaws.com", group.arn)
        ctx.out.target_group_attachments.append(
            aws.lb.TargetGroupAttachment(
                f"{name}-attachment",
                target_group_arn=group.arn,
                target_id=ctx.target.alias_arn,
                opts=ctx.opts(permission),
            )
        )
        if plan.listener_arn is None:
            continue
        conditions = []
        if plan.path_patterns:
            conditions.append(
                aws.lb.ListenerRuleConditionArgs(
                    path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=list(plan.path_patterns))
                )
            )
        if plan.host_headers:
            conditions.append(
                aws.lb.ListenerRuleConditionArgs(
                    host_header=aws.lb.ListenerRuleConditionHostHeaderArgs(values=list(plan.host_headers))
                )
            )
        actions = []
        if plan.cognito is not None:
            actions.append(
                aws.lb.ListenerRuleActionArgs(
                    type="authenticate-cognito",
                    order=1,
                    authenticate_cognito=aws.lb.ListenerRuleActionAuthenticateCognitoArgs(
                        user_pool_arn=plan.cognito["user_pool_arn"],
                        user_pool_client_id=plan.cognito["user_pool_client_id"],
                        user_pool_domain=plan.cognito["user_pool_domain"],
                    ),
                )
            )
        actions.append(
            aws.lb.ListenerRuleActionArgs(type="forward", order=len(actions) + 1, target_group_arn=group.arn)
        )
        ctx.out.listener_rules.append(
            aws.lb.ListenerRule(
                f"{name}-rule",
                listener_arn=plan.listener_arn,
                priority=plan.priority,
                conditions=conditions,
                actions=actions,
                # Forwarding before the alias is attached would answer 502 to the first requests.
                opts=ctx.opts(ctx.out.target_group_attachments[-1]),
            )
        )

"""Push triggers for a ``LambdaService``: S3, EventBridge (rules and Scheduler), API Gateway, Function URL, SNS,
ALB target groups, Cognito user pools and SES receipt rules.

Every trigger targets the service's alias, never ``$LATEST`` or the unqualified function, so that a canary's
traffic split applies to pushed events too. Each ``aws:lambda/permission:Permission`` is qualified with the alias
and scoped by source ARN *and* source account (a bucket or topic ARN alone can be re-created in another account).

Each kind lives in its own module (``s3``, ``scheduled``, ``event_rules``, ``api_gateway``, ``function_url``,
``sns``) as its TypedDict of inputs, a frozen plan, ``validate_<kind>`` and ``create_<kind>``. Two entry points, used
by ``LambdaService`` in this order:

- :func:`validate_triggers` checks every trigger setting and returns a :class:`TriggersPlan` before any child is
  registered (values known only at deploy time are checked, with the same messages, when they resolve);
- :func:`create_triggers` registers the children from that plan with ``parent=`` the component.

A new kind of trigger is a new module with those four names and a field of :class:`TriggersPlan`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from .alb import (
    AlbCognitoArgs,
    AlbHealthCheckArgs,
    AlbTargetArgs,
    AlbTargetPlan,
    create_alb_targets,
    validate_alb_targets,
)
from .api_gateway import (
    ApiGatewayPlan,
    ApiGatewayTriggerArgs,
    create_api_gateway_triggers,
    validate_api_gateway_triggers,
)
from .cognito import CognitoTriggerArgs, CognitoTriggerPlan, create_cognito_triggers, validate_cognito_triggers
from .common import Context, TriggerOutputs, TriggerTarget
from .event_rules import EventRuleArgs, EventRulePlan, create_event_rules, validate_event_rules
from .function_url import (
    FunctionUrlArgs,
    FunctionUrlCorsArgs,
    FunctionUrlPlan,
    create_function_url,
    validate_function_url,
)
from .invokers import InvokerArgs, InvokerPlan, create_invokers, validate_invokers
from .iot import IotRuleArgs, IotRulePlan, create_iot_rules, validate_iot_rules  # i13-logsiot
from .log_subscriptions import (  # i13-logsiot
    LogSubscriptionArgs,
    LogSubscriptionPlan,
    create_log_subscriptions,
    validate_log_subscriptions,
)
from .s3 import S3BucketPlan, S3TriggerArgs, create_s3_triggers, validate_s3_triggers
from .scheduled import ScheduleArgs, SchedulePlan, create_schedules, validate_schedules
from .ses import SesRuleArgs, SesRulePlan, create_ses_rules, validate_ses_rules
from .sns import SnsTriggerArgs, SnsTriggerPlan, create_sns_triggers, validate_sns_triggers

__all__ = [
    "TRIGGER_FIELDS",
    "AlbCognitoArgs",
    "AlbHealthCheckArgs",
    "AlbTargetArgs",
    "ApiGatewayTriggerArgs",
    "CognitoTriggerArgs",
    "EventRuleArgs",
    "FunctionUrlArgs",
    "FunctionUrlCorsArgs",
    "InvokerArgs",
    "IotRuleArgs",
    "LogSubscriptionArgs",
    "S3TriggerArgs",
    "ScheduleArgs",
    "SesRuleArgs",
    "SnsTriggerArgs",
    "TriggerOutputs",
    "TriggerTarget",
    "TriggersPlan",
    "create_triggers",
    "validate_triggers",
]

#: The LambdaServiceArgs fields that hold push triggers.
TRIGGER_FIELDS = (
    "s3_triggers",
    "schedules",
    "event_rules",
    "api_gateway_triggers",
    "function_url",
    "sns_triggers",
    "allowed_invokers",
    "alb_targets",
    # --- i13-cogses
    "cognito_triggers",
    "ses_rules",
    # --- i13-logsiot
    "log_subscriptions",
    "iot_rules",
)


@dataclass(frozen=True)
class TriggersPlan:
    """Every push trigger of one service, checked and defaulted."""

    service: str
    s3: tuple[S3BucketPlan, ...] = ()
    schedules: tuple[SchedulePlan, ...] = ()
    event_rules: tuple[EventRulePlan, ...] = ()
    api_gateway: tuple[ApiGatewayPlan, ...] = ()
    function_url: FunctionUrlPlan | None = None
    sns: tuple[SnsTriggerPlan, ...] = ()
    invokers: tuple[InvokerPlan, ...] = ()
    alb: tuple[AlbTargetPlan, ...] = ()
    # --- i13-cogses
    cognito: tuple[CognitoTriggerPlan, ...] = ()
    ses: tuple[SesRulePlan, ...] = ()
    # --- i13-logsiot
    log_subscriptions: tuple[LogSubscriptionPlan, ...] = ()
    iot_rules: tuple[IotRulePlan, ...] = ()

    @property
    def empty(self) -> bool:
        kinds = (self.s3, self.schedules, self.event_rules, self.api_gateway, self.sns, self.invokers, self.alb)
        mine = (self.cognito, self.ses, self.log_subscriptions, self.iot_rules)  # i13-cogses, i13-logsiot
        return not any(kinds) and not any(mine) and self.function_url is None


def validate_triggers(service: str, args: Mapping[str, Any], function_name: str | None = None) -> TriggersPlan:
    """Check the service's push-trigger settings and return their plan; raise ``ValueError``/``TypeError`` naming
    the service, the field and the value. ``args`` is the ``LambdaServiceArgs`` mapping; only the trigger fields are
    read. ``function_name`` is the function's name (by default ``args["function_name"]`` or ``<service>-<stack>``,
    as ``validate_function`` defaults it). Nothing is registered."""
    if function_name is None:  # i13-logsiot: the own log group to refuse, the default IoT rule names
        given = args.get("function_name")
        function_name = given if isinstance(given, str) else f"{service}-{pulumi.get_stack()}"

    def listed(key: str) -> Any:
        return [] if args.get(key) is None else args[key]

    return TriggersPlan(
        service=service,
        s3=validate_s3_triggers(service, listed("s3_triggers")),
        schedules=validate_schedules(service, listed("schedules")),
        event_rules=validate_event_rules(service, listed("event_rules")),
        api_gateway=validate_api_gateway_triggers(service, listed("api_gateway_triggers")),
        function_url=validate_function_url(service, args.get("function_url")),
        sns=validate_sns_triggers(service, listed("sns_triggers")),
        invokers=validate_invokers(service, listed("allowed_invokers")),
        alb=validate_alb_targets(service, listed("alb_targets")),
        # --- i13-cogses
        cognito=validate_cognito_triggers(service, listed("cognito_triggers")),
        ses=validate_ses_rules(service, listed("ses_rules")),
        # --- i13-logsiot
        log_subscriptions=validate_log_subscriptions(service, listed("log_subscriptions"), function_name),
        iot_rules=validate_iot_rules(service, listed("iot_rules"), function_name),
    )


def create_triggers(plan: TriggersPlan, target: TriggerTarget, parent: pulumi.Resource) -> TriggerOutputs:
    """Register the planned push triggers as children of ``parent``, all bound to ``target``'s alias."""
    if plan.empty:
        return TriggerOutputs()
    ctx = Context(plan.service, target, parent)
    create_s3_triggers(ctx, plan.s3)
    create_schedules(ctx, plan.schedules)
    create_event_rules(ctx, plan.event_rules)
    create_api_gateway_triggers(ctx, plan.api_gateway)
    if plan.function_url is not None:
        create_function_url(ctx, plan.function_url)
    create_sns_triggers(ctx, plan.sns)
    create_invokers(ctx, plan.invokers)
    create_alb_targets(ctx, plan.alb)
    # --- i13-cogses
    create_cognito_triggers(ctx, plan.cognito)
    create_ses_rules(ctx, plan.ses)
    create_log_subscriptions(ctx, plan.log_subscriptions)  # i13-logsiot
    create_iot_rules(ctx, plan.iot_rules)  # i13-logsiot
    return ctx.out

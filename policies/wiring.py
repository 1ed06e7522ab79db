"""What a function is wired to beyond queues and streams: Kafka sources keep failed batches, grants to other accounts
and organizations stay on a qualifier and within trusted accounts, and Application Load Balancer targets on an
internet-facing load balancer authenticate before they forward."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._common import (
    EVENT_SOURCE_MAPPING,
    PERMISSION,
    UNKNOWN,
    ResourceContext,
    Rule,
    StackContext,
    StackResource,
    cfg_strings,
    strings,
)

DOCS = "https://docs.aws.amazon.com/lambda/latest/dg"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
_ACCOUNT = re.compile(r"[0-9]{12}")
_IAM_PRINCIPAL = re.compile(r"arn:aws[a-z-]*:iam::([0-9]{12}):.+")
AUTHENTICATE = ("authenticate-cognito", "authenticate-oidc")


# --- Kafka sources ---------------------------------------------------------------------------------------------------


def is_kafka(ctx: ResourceContext) -> bool | None:
    """Whether the mapping reads Kafka (MSK or self-managed); None when it cannot be told yet."""
    if any(
        ctx.props.has(k)
        for k in ("selfManagedEventSource", "amazonManagedKafkaEventSourceConfig", "selfManagedKafkaEventSourceConfig")
    ):
        return True
    arn = ctx.props.get("eventSourceArn")
    if arn is UNKNOWN:
        return None
    if isinstance(arn, str) and arn.count(":") >= 2:
        return arn.split(":")[2] == "kafka"
    return False


def check_kafka(ctx: ResourceContext) -> None:
    kafka = is_kafka(ctx)
    if kafka is None:
        ctx.skip("eventSourceArn (whether the source is Kafka)")
    if not kafka:
        return
    destination = ctx.props.get("destinationConfig", "onFailure", "destinationArn")
    if destination is UNKNOWN:
        return
    if destination is None or destination == "":
        ctx.violation(
            "Kafka mapping has no on-failure destination; set destinationConfig.onFailure.destinationArn (SQS queue, "
            "SNS topic or S3 bucket) so a batch that fails every retry is kept instead of blocking or being lost."
        )


KAFKA_FAILURES = Rule(
    name="lambda-kafka-failure-destination",
    description="Kafka event source mappings (Amazon MSK, self-managed) must keep failed batches.",
    checks="Mappings on MSK or self-managed Kafka set `destinationConfig.onFailure.destinationArn`.",
    severity=Severity.HIGH,
    remediation="Set destinationConfig.onFailure.destinationArn to an SQS queue, SNS topic or S3 bucket (lambdakit: "
    "kafka_sources[].on_failure_destination_arn).",
    url=f"{DOCS}/kafka-on-failure.html",
    anchors=["cdk-nag Serverless LambdaEventSourceMappingDestination"],
    resource_types=(EVENT_SOURCE_MAPPING,),
    default_level=EnforcementLevel.MANDATORY,
    resource_check=check_kafka,
)


# --- grants to other accounts and organizations ----------------------------------------------------------------------


def _qualified(ctx: ResourceContext) -> bool | None:
    qualifier = ctx.props.get("qualifier")
    function = ctx.props.get("function")
    if qualifier is UNKNOWN or function is UNKNOWN:
        return None
    if isinstance(qualifier, str) and qualifier and qualifier != "$LATEST":
        return True
    # A qualified ARN: arn:aws:lambda:region:account:function:name:qualifier
    return isinstance(function, str) and function.count(":") == 7 and not function.endswith(":$LATEST")


def check_grant(ctx: ResourceContext) -> None:
    principal = ctx.props.get("principal")
    org = ctx.props.get("principalOrgId")
    if principal is UNKNOWN or org is UNKNOWN:
        ctx.skip("principal or principalOrgId")
        return
    account = None
    if isinstance(principal, str):
        if _ACCOUNT.fullmatch(principal):
            account = principal
        elif (m := _IAM_PRINCIPAL.fullmatch(principal)) is not None:
            account = m.group(1)
    if account is None and not org:
        return  # a service principal, or '*' without an organization (lambda-permission-scoped judges those)
    what = f"organization {org}" if org else f"account {account}"
    qualified = _qualified(ctx)
    if qualified is None:
        ctx.skip("qualifier")
    elif not qualified:
        ctx.violation(
            f"the grant to {what} is on the unqualified function, so it covers $LATEST and every version; set "
            "qualifier to the alias callers use."
        )
    if org:
        trusted = cfg_strings(ctx.cfg, "trustedOrganizations")
        if trusted and org not in trusted:
            ctx.violation(f"{what} is not in trustedOrganizations ({', '.join(trusted)}).")
        if principal not in ("*", None) and account is None:
            ctx.violation(
                f"principalOrgId {org} with principal {principal!r}: an organization grant names principal '*' (the "
                "organization is the condition) or an account of that organization."
            )
    if account is not None:
        trusted = cfg_strings(ctx.cfg, "trustedAccounts")
        if trusted and account not in trusted:
            ctx.violation(f"{what} is not in trustedAccounts ({', '.join(trusted)}).")


CROSS_ACCOUNT_GRANTS = Rule(
    name="lambda-cross-account-grant",
    description="Grants to other accounts and organizations are qualified and stay within trusted ones.",
    checks="A permission for an account, an IAM principal of an account, or an organization (`principalOrgId`) has a "
    "`qualifier` (not `$LATEST`); when `trustedAccounts`/`trustedOrganizations` are set, it names one of them; an "
    "organization grant's principal is `*` or an account. A `*` grant without `principalOrgId` is public "
    "(lambda-permission-scoped).",
    severity=Severity.HIGH,
    remediation="Qualify the permission with the alias (lambdakit: allowed_invokers), and list the accounts and "
    "organizations you trust in the policy config.",
    url=f"{DOCS}/permissions-function-cross-account.html",
    anchors=["Security Hub Lambda.1", "CKV_AWS_301"],
    resource_types=(PERMISSION,),
    config={
        "trustedAccounts": strings([], "Account ids that may be granted invoke access (empty: any)."),
        "trustedOrganizations": strings([], "Organization ids (o-...) that may be granted invoke access (empty: any)."),
    },
    default_level=EnforcementLevel.MANDATORY,
    resource_check=check_grant,
)


# --- Application Load Balancer targets -------------------------------------------------------------------------------


def _actions(res: StackResource, key: str) -> list[Mapping[str, Any]]:
    actions = res.props.get(key)
    return [a for a in actions if isinstance(a, Mapping)] if isinstance(actions, list) else []


def _forwards_to(ctx: StackContext, res: StackResource, key: str, group: StackResource) -> bool:
    if group.urn in res.linked(key):
        return True
    arn = group.props.get("arn")
    return isinstance(arn, str) and any(a.get("targetGroupArn") == arn for a in _actions(res, key))


def _load_balancer(ctx: StackContext, res: StackResource) -> StackResource | None:
    listeners = [res] if res.type == LISTENER else ctx.linked(res, "listenerArn", LISTENER)
    for listener in listeners:
        for lb in ctx.linked(listener, "loadBalancerArn", LOAD_BALANCER):
            return lb
    return None


def check_alb_targets(ctx: StackContext) -> None:
    allowed = ctx.cfg.get("allowUnauthenticatedTargets")
    allowed = allowed if isinstance(allowed, Mapping) else {}
    groups = [g for g in ctx.of_type(TARGET_GROUP) if g.props.get("targetType") == "lambda"]
    for group in groups:
        for res in ctx.of_type(LISTENER, LISTENER_RULE):
            key = "defaultActions" if res.type == LISTENER else "actions"
            if not _forwards_to(ctx, res, key, group):
                continue
            if any(a.get("type") in AUTHENTICATE for a in _actions(res, key)):
                continue
            lb = _load_balancer(ctx, res)
            internal = lb.props.get("internal") if lb is not None else None
            if internal is True:
                continue
            reason = allowed.get(res.name) or allowed.get(group.name)
            if isinstance(reason, str) and reason.strip():
                ctx.skip(res, f"unauthenticated forwarding to {group.name} allowed: {reason.strip()}")
                continue
            where = (
                f"internet-facing load balancer {lb.name}"
                if lb is not None
                else "a load balancer not in this stack (it may face the internet)"
            )
            ctx.violation(
                res,
                f"forwards to Lambda target group {group.name} on {where} without an authenticate-cognito or "
                "authenticate-oidc action; authenticate first (lambdakit: alb_targets[].authenticate_cognito), use an "
                "internal load balancer, or allow-list the rule in allowUnauthenticatedTargets with the reason.",
            )


ALB_AUTHENTICATED = Rule(
    name="lambda-alb-target-authenticated",
    description="Lambda targets behind an internet-facing Application Load Balancer authenticate before forwarding.",
    checks="A listener or listener rule that forwards to a `lambda` target group has an `authenticate-cognito` or "
    "`authenticate-oidc` action, unless its load balancer is in the stack and `internal`, or it is allow-listed "
    "with a reason.",
    severity=Severity.HIGH,
    remediation="Add an authenticate-cognito/oidc action before the forward, move the target behind an internal load "
    "balancer, or allow-list the rule in allowUnauthenticatedTargets with the reason.",
    url=f"{DOCS}/services-alb.html",
    anchors=["Security Hub Lambda.1 (public access)", "AWS Well-Architected SEC05"],
    resource_types=(TARGET_GROUP, LISTENER, LISTENER_RULE),
    config={
        "allowUnauthenticatedTargets": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "default": {},
            "description": "Listener rule or target group names that may forward without authentication, each with "
            "the reason.",
        }
    },
    default_level=EnforcementLevel.MANDATORY,
    stack_check=check_alb_targets,
)

RULES = [KAFKA_FAILURES, CROSS_ACCOUNT_GRANTS, ALB_AUTHENTICATED]

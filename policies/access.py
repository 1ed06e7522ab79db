"""Who can invoke: function URLs (AWS_IAM auth, no wildcard CORS origin) and resource-based permissions.

Public access is judged as AWS Security Hub (Lambda.1) and AWS Config (lambda-function-public-access-prohibited)
judge it: a statement whose principal is ``*`` (or ``{"AWS": "*"}``) is public unless a condition ties it to an
account or an organization (aws:SourceAccount, aws:SourceOwner, aws:PrincipalOrgID, or aws:SourceArn of a resource
whose ARN names an account: an S3 bucket ARN names none), and a function URL with auth ``NONE`` is public. A public
function passes only when the policy config allow-lists it by name with a reason (``allowPublicFunctions``); the
reason is written to the report as a note.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._common import FUNCTION_URL, PERMISSION, UNKNOWN, ResourceContext, Rule, cfg_strings, strings

DOCS = "https://docs.aws.amazon.com/lambda/latest/dg"
ACCOUNT_ID = re.compile(r"\d{12}")
# Condition keys that tie a "*" principal to an account or organization (Security Hub Lambda.1, AWS Config).
RESTRICTING_KEYS = ("aws:sourceaccount", "aws:sourceowner", "aws:principalorgid")


def arn_account(arn: Any) -> str | None:
    """The account an ARN names (arn:partition:service:region:ACCOUNT:resource), or None (S3 buckets name none)."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    parts = arn.split(":", 5)
    return parts[4] if len(parts) > 4 and ACCOUNT_ID.fullmatch(parts[4]) else None


def _is_public_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        aws = principal.get("AWS")
        values = aws if isinstance(aws, list) else [aws]
        return "*" in values
    return False


def _conditions(condition: Any) -> dict[str, list[Any]]:
    """Condition keys (lower case) -> the values any operator gives them; unknown values stay UNKNOWN."""
    out: dict[str, list[Any]] = {}
    if not isinstance(condition, Mapping):
        return out
    for _operator, entries in condition.items():
        if not isinstance(entries, Mapping):
            continue
        for key, value in entries.items():
            out.setdefault(str(key).lower(), []).extend(value if isinstance(value, list) else [value])
    return out


def public_statement(statement: Mapping[str, Any]) -> str | None:
    """Why a policy statement grants public access (as Security Hub Lambda.1 and AWS Config decide), or None.

    Returns :data:`UNKNOWN` when it cannot be told yet (the only restriction is a sourceArn not known during
    preview)."""
    if statement.get("Effect", "Allow") != "Allow" or not _is_public_principal(statement.get("Principal")):
        return None
    conditions = _conditions(statement.get("Condition"))
    for key in RESTRICTING_KEYS:
        if any(v for v in conditions.get(key, []) if v is UNKNOWN or (isinstance(v, str) and v)):
            return None
    arns = conditions.get("aws:sourcearn", [])
    if any(arn_account(a) for a in arns):
        return None
    if any(a is UNKNOWN for a in arns):
        return UNKNOWN
    if arns:
        return (
            f"principal '*' is limited only by sourceArn {arns[0]}, which names no account (an S3 bucket ARN "
            "carries none), so a resource of that name in any account can invoke it"
        )
    return (
        "principal '*' without sourceAccount, sourceArn of an account's resource or principalOrgId lets any AWS "
        "account invoke the function"
    )


def permission_statement(props: Any) -> dict[str, Any]:
    """A lambda.Permission as the function policy statement AWS writes for it."""
    condition: dict[str, dict[str, Any]] = {}
    for prop, operator, key in (
        ("sourceAccount", "StringEquals", "AWS:SourceAccount"),
        ("principalOrgId", "StringEquals", "aws:PrincipalOrgID"),
        ("sourceArn", "ArnLike", "AWS:SourceArn"),
    ):
        value = props.get(prop)
        if value is not None and value != "":
            condition.setdefault(operator, {})[key] = value
    return {"Effect": "Allow", "Principal": props.get("principal"), "Condition": condition}


def _function_name(value: Any) -> str | None:
    """A function name from a name, a partial ARN (123456789012:function:name) or a full ARN, qualified or not."""
    if not isinstance(value, str) or not value:
        return None
    parts = value.split(":")
    if "function" in parts:
        i = parts.index("function")
        return parts[i + 1] if i + 1 < len(parts) else None
    return value


def _allowed(ctx: ResourceContext, key: str, *names: object) -> bool:
    listed = set(cfg_strings(ctx.cfg, key))
    return any(isinstance(n, str) and n in listed for n in (ctx.name, *names))


def allow_public(ctx: ResourceContext, function: Any, legacy_key: str, why: str) -> bool:
    """Whether a public function is allow-listed; says why in a note when it is. ``allowPublicFunctions`` maps
    function names to the reason; the older list ``legacy_key`` names without a reason."""
    name = _function_name(function)
    reasons = ctx.cfg.get("allowPublicFunctions")
    reasons = reasons if isinstance(reasons, Mapping) else {}
    for candidate in (name, ctx.name):
        if isinstance(candidate, str) and candidate in reasons:
            reason = reasons[candidate]
            if not (isinstance(reason, str) and reason.strip()):
                ctx.violation(
                    f"allowPublicFunctions lists {candidate} without a reason; say why it must be public "
                    '(e.g. "webhook for the payment provider; requests are signed").'
                )
                return True
            ctx.warn(f"public access allowed by allowPublicFunctions: {reason.strip()} ({why})")
            return True
    if _allowed(ctx, legacy_key, name, function):
        ctx.warn(
            f"public access allowed by {legacy_key} without a reason ({why}); move it to allowPublicFunctions "
            "with the reason"
        )
        return True
    return False


def check_function_url(ctx: ResourceContext) -> None:
    function = ctx.props.get("functionName")
    auth = ctx.props.get("authorizationType")
    if auth is UNKNOWN:
        ctx.skip("authorizationType")
    elif auth != "AWS_IAM" and not allow_public(ctx, function, "allowPublicUrls", f"URL auth {auth}"):
        ctx.violation(
            f"function URL authorizationType is {auth!r}, so anyone on the internet can invoke it (public access, "
            "Security Hub Lambda.1); use AWS_IAM, or allow-list the function in allowPublicFunctions with a reason."
        )
    origins = ctx.props.get("cors", "allowOrigins")
    if origins is UNKNOWN:
        ctx.skip("cors.allowOrigins")
    elif isinstance(origins, list) and "*" in origins and not _allowed(ctx, "allowWildcardOrigins", function):
        ctx.violation(
            "CORS allowOrigins contains '*'; list the exact origins (or allow-list the URL in allowWildcardOrigins)."
        )


# Service principals whose permission cannot carry a source ARN.
NO_SOURCE_ARN_PRINCIPALS = ["alexa-appkit.amazon.com", "alexa-connectedhome.amazon.com"]


def check_permission(ctx: ResourceContext) -> None:
    principal = ctx.props.get("principal")
    if principal is UNKNOWN:
        ctx.skip("principal")
        return
    if not isinstance(principal, str):
        ctx.violation(f"principal must be a string, got {principal!r}.")
        return
    has_arn = ctx.props.has("sourceArn")
    has_account = ctx.props.has("sourceAccount")
    if principal == "*":
        function = ctx.props.get("function")
        url_auth = ctx.props.get("functionUrlAuthType")
        if url_auth == "NONE":
            why: Any = "principal '*' with functionUrlAuthType NONE makes the function URL public"
        elif ctx.props.get("invokedViaFunctionUrl") is True:
            why = "principal '*' invoking through the function URL makes the function public"
        else:
            why = public_statement(permission_statement(ctx.props))
        if why is UNKNOWN:
            ctx.skip("sourceArn (whether it names an account)")
        elif why and not allow_public(ctx, function, "allowPublicFor", why):
            ctx.violation(
                f"{why} (public access, Security Hub Lambda.1); name the principal, add sourceAccount or "
                "principalOrgId, or allow-list the function in allowPublicFunctions with a reason."
            )
        return
    if principal.endswith(".amazonaws.com") or principal.endswith(".amazon.com"):
        exempt = cfg_strings(ctx.cfg, "principalsWithoutSourceArn", NO_SOURCE_ARN_PRINCIPALS)
        if not has_arn and principal not in exempt:
            ctx.violation(
                f"service principal {principal} has no sourceArn, so any {principal} resource in any "
                "account can invoke the function (confused deputy); set sourceArn."
            )
        source_arn = ctx.props.get("sourceArn")
        if principal == "s3.amazonaws.com" and not has_account:
            ctx.violation(
                "s3.amazonaws.com needs sourceAccount too: bucket ARNs carry no account, so a bucket of "
                "the same name in another account could invoke the function."
            )
        elif isinstance(source_arn, str) and source_arn and not has_account and arn_account(source_arn) is None:
            ctx.violation(
                f"sourceArn {source_arn} names no account, so the same resource name in another account could "
                f"invoke the function through {principal}; set sourceAccount."
            )


def public_allow_list() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "default": {},
        "description": "Function names that may be public, each with the reason (shown in the report).",
    }


FUNCTION_URL_RULE = Rule(
    name="lambda-function-url-auth",
    description="Lambda function URLs must use AWS_IAM auth and must not allow every CORS origin.",
    checks="`authorizationType` is `AWS_IAM` (auth `NONE` is public access) unless the function is allow-listed with a "
    "reason, and `cors.allowOrigins` has no `*`.",
    severity=Severity.CRITICAL,
    remediation="Set authorizationType = 'AWS_IAM' (sign requests with SigV4, or front the URL with CloudFront "
    "OAC) and list exact CORS origins.",
    url=f"{DOCS}/urls-auth.html",
    anchors=[
        "Security Hub Lambda.1",
        "AWS Config lambda-function-public-access-prohibited",
        "CKV_AWS_258",
        "CKV2_AWS_75",
    ],
    resource_types=(FUNCTION_URL,),
    config={
        "allowPublicFunctions": public_allow_list(),
        "allowPublicUrls": strings(
            [], "Resource or function names whose URL may use auth NONE (no reason; prefer allowPublicFunctions)."
        ),
        "allowWildcardOrigins": strings([], "Resource or function names whose URL may allow CORS origin '*'."),
    },
    default_level=EnforcementLevel.MANDATORY,
    resource_check=check_function_url,
)

PERMISSION_RULE = Rule(
    name="lambda-permission-scoped",
    description="Lambda permissions must name who may invoke: no bare '*', and service principals carry a source.",
    checks="Principal `*` is public unless tied to an account or organization (`sourceAccount`, `principalOrgId`, or a "
    "`sourceArn` that names an account) or allow-listed with a reason; service principals have `sourceArn`, and "
    "`sourceAccount` when that ARN names no account (S3).",
    severity=Severity.CRITICAL,
    remediation="Set sourceArn to the invoking resource's ARN (and sourceAccount for S3), or name the principal.",
    url=f"{DOCS}/permissions-function-services.html",
    anchors=[
        "Security Hub Lambda.1",
        "AWS Config lambda-function-public-access-prohibited",
        "CKV_AWS_301",
        "CKV_AWS_364",
        "AVD-AWS-0067",
        "cdk-nag Serverless LambdaStarPermissions",
    ],
    resource_types=(PERMISSION,),
    config={
        "principalsWithoutSourceArn": strings(
            NO_SOURCE_ARN_PRINCIPALS, "Service principals that cannot carry a sourceArn (they use a token)."
        ),
        "allowPublicFunctions": public_allow_list(),
        "allowPublicFor": strings(
            [], "Permission or function names that may grant principal '*' (no reason; prefer allowPublicFunctions)."
        ),
    },
    default_level=EnforcementLevel.MANDATORY,
    resource_check=check_permission,
)

RULES = [FUNCTION_URL_RULE, PERMISSION_RULE]

"""Who can invoke: function URLs (AWS_IAM auth, no wildcard CORS origin) and resource-based permissions."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Severity

from ._common import FUNCTION_URL, PERMISSION, UNKNOWN, ResourceContext, Rule, cfg_strings, strings

DOCS = "https://docs.aws.amazon.com/lambda/latest/dg"


def _allowed(ctx: ResourceContext, key: str, *names: object) -> bool:
    listed = set(cfg_strings(ctx.cfg, key))
    return any(isinstance(n, str) and n in listed for n in (ctx.name, *names))


def check_function_url(ctx: ResourceContext) -> None:
    function = ctx.props.get("functionName")
    auth = ctx.props.get("authorizationType")
    if auth is UNKNOWN:
        ctx.skip("authorizationType")
    elif auth != "AWS_IAM" and not _allowed(ctx, "allowPublicUrls", function):
        ctx.violation(
            f"function URL authorizationType is {auth!r}, so anyone on the internet can invoke it; "
            "use AWS_IAM (or allow-list the URL in allowPublicUrls)."
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
    has_org = ctx.props.has("principalOrgId")
    if principal == "*":
        if _allowed(ctx, "allowPublicFor", ctx.props.get("function")):
            return
        if not (has_arn or has_account or has_org):
            ctx.violation(
                "principal '*' without sourceArn, sourceAccount or principalOrgId lets any AWS account "
                "invoke the function; name the principal or add a source condition."
            )
        elif ctx.props.get("functionUrlAuthType") == "NONE":
            ctx.violation("principal '*' with functionUrlAuthType NONE makes the function URL public.")
        return
    if principal.endswith(".amazonaws.com") or principal.endswith(".amazon.com"):
        exempt = cfg_strings(ctx.cfg, "principalsWithoutSourceArn", NO_SOURCE_ARN_PRINCIPALS)
        if not has_arn and principal not in exempt:
            ctx.violation(
                f"service principal {principal} has no sourceArn, so any {principal} resource in any "
                "account can invoke the function (confused deputy); set sourceArn."
            )
        if principal == "s3.amazonaws.com" and not has_account:
            ctx.violation(
                "s3.amazonaws.com needs sourceAccount too: bucket ARNs carry no account, so a bucket of "
                "the same name in another account could invoke the function."
            )


FUNCTION_URL_RULE = Rule(
    name="lambda-function-url-auth",
    description="Lambda function URLs must use AWS_IAM auth and must not allow every CORS origin.",
    checks="`authorizationType` is `AWS_IAM` and `cors.allowOrigins` has no `*`, unless the URL is allow-listed.",
    severity=Severity.CRITICAL,
    remediation="Set authorizationType = 'AWS_IAM' (sign requests with SigV4, or front the URL with CloudFront "
    "OAC) and list exact CORS origins.",
    url=f"{DOCS}/urls-auth.html",
    anchors=["Security Hub Lambda.1", "CKV_AWS_258", "CKV2_AWS_75"],
    resource_types=(FUNCTION_URL,),
    config={
        "allowPublicUrls": strings([], "Resource or function names whose URL may use auth NONE."),
        "allowWildcardOrigins": strings([], "Resource or function names whose URL may allow CORS origin '*'."),
    },
    default_level=EnforcementLevel.MANDATORY,
    resource_check=check_function_url,
)

PERMISSION_RULE = Rule(
    name="lambda-permission-scoped",
    description="Lambda permissions must name who may invoke: no bare '*', and service principals carry a source.",
    checks="Principal `*` has a source condition; service principals have `sourceArn`; S3 also `sourceAccount`.",
    severity=Severity.CRITICAL,
    remediation="Set sourceArn to the invoking resource's ARN (and sourceAccount for S3), or name the principal.",
    url=f"{DOCS}/permissions-function-services.html",
    anchors=[
        "Security Hub Lambda.1",
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
        "allowPublicFor": strings([], "Permission or function names that may grant principal '*' (public URLs)."),
    },
    default_level=EnforcementLevel.MANDATORY,
    resource_check=check_permission,
)

RULES = [FUNCTION_URL_RULE, PERMISSION_RULE]

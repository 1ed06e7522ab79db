"""Function settings: timeout, memory, tracing, reserved concurrency, VPC, environment (encryption, secrets),
code signing, architecture, tags and description; plus log group retention."""

from __future__ import annotations

import json
import math
import re
from collections import Counter

from pulumi_policy import EnforcementLevel, Severity

from ._common import (
    FUNCTION,
    LOG_GROUP,
    UNKNOWN,
    ResourceContext,
    Rule,
    as_int,
    boolean,
    cfg_strings,
    integer,
    matches_any,
    strings,
)
from .facts import MEMORY_MAX_MB, MEMORY_MIN_MB, RESERVABLE_CONCURRENCY, RETENTION_DAYS, TIMEOUT_MAX_S

DOCS = "https://docs.aws.amazon.com/lambda/latest/dg"


def _number(ctx: ResourceContext, prop: str) -> tuple[bool, int | None]:
    """(present, value) for an integer property; a present-but-unknown value is reported as skipped."""
    raw = ctx.props.get(prop)
    if raw is None:
        return False, None
    if raw is UNKNOWN:
        ctx.skip(prop)
        return True, None
    value = as_int(raw)
    if value is None:
        ctx.violation(f"{prop} must be a number, got {raw!r}.")
        return True, None
    return True, value


def check_timeout(ctx: ResourceContext) -> None:
    present, timeout = _number(ctx, "timeout")
    maximum = as_int(ctx.cfg.get("maxSeconds")) or TIMEOUT_MAX_S
    if not present:
        ctx.violation(f"timeout is not set (AWS default 3 s); set it explicitly to at most {maximum} s (maxSeconds).")
        return
    if timeout is not None and not 1 <= timeout <= maximum:
        ctx.violation(f"timeout must be 1-{maximum} seconds (maxSeconds), got {timeout}.")


def check_memory(ctx: ResourceContext) -> None:
    present, memory = _number(ctx, "memorySize")
    if not present:
        ctx.violation(
            f"memorySize is not set (AWS default {MEMORY_MIN_MB} MB); set it explicitly "
            f"({MEMORY_MIN_MB}-{MEMORY_MAX_MB} MB)."
        )
        return
    minimum = as_int(ctx.cfg.get("minMb")) or MEMORY_MIN_MB
    maximum = as_int(ctx.cfg.get("maxMb")) or MEMORY_MAX_MB
    if memory is not None and not minimum <= memory <= maximum:
        ctx.violation(f"memorySize must be {minimum}-{maximum} MB (minMb/maxMb), got {memory}.")


def check_tracing(ctx: ResourceContext) -> None:
    mode = ctx.props.get("tracingConfig", "mode")
    if mode is UNKNOWN:
        ctx.skip("tracingConfig.mode")
        return
    if mode != "Active":
        ctx.violation(f"X-Ray tracing mode must be Active, got {mode!r}; set tracingConfig.mode = 'Active'.")


def check_reserved_concurrency(ctx: ResourceContext) -> None:
    present, value = _number(ctx, "reservedConcurrentExecutions")
    minimum = as_int(ctx.cfg.get("min"))
    minimum = 1 if minimum is None else minimum
    maximum = as_int(ctx.cfg.get("max")) or RESERVABLE_CONCURRENCY
    if not present or (value is not None and value == -1):
        # -1 is the provider's "no reservation" value.
        ctx.violation(f"reservedConcurrentExecutions is not set; reserve {minimum}-{maximum} executions.")
        return
    if value is not None and not minimum <= value <= maximum:
        ctx.violation(f"reservedConcurrentExecutions must be {minimum}-{maximum} (min/max), got {value}.")


def check_vpc(ctx: ResourceContext) -> None:
    subnets = ctx.props.get("vpcConfig", "subnetIds")
    if subnets is UNKNOWN:
        ctx.skip("vpcConfig.subnetIds")
        return
    if not isinstance(subnets, list) or not subnets:
        ctx.violation("function is not attached to a VPC; set vpcConfig.subnetIds and vpcConfig.securityGroupIds.")
        return
    groups = ctx.props.get("vpcConfig", "securityGroupIds")
    if groups is not UNKNOWN and (not isinstance(groups, list) or not groups):
        ctx.violation("vpcConfig has subnets but no securityGroupIds.")


def check_env_kms(ctx: ResourceContext) -> None:
    variables = ctx.props.get("environment", "variables")
    if variables is None or variables == {} or not (isinstance(variables, dict) or variables is UNKNOWN):
        return
    key = ctx.props.get("kmsKeyArn")
    if key is None or key == "":
        ctx.violation(
            "environment variables are encrypted with the AWS managed key; set kmsKeyArn to a customer managed KMS key."
        )


# Names that say "this holds a secret", and names that say "this only points at one".
SECRET_NAME_PATTERNS = [
    r".*(PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?|AUTH).*",
]
REFERENCE_NAME_PATTERNS = [r".*_(ARN|NAME|ID|PARAM|PARAMETER|PATH|REF|URL|ENDPOINT|HOST|REGION|TTL|TIMEOUT)"]
SECRET_VALUE_PATTERNS = [
    r"(AKIA|ASIA)[0-9A-Z]{16}",  # AWS access key id
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*",
    r"gh[pousr]_[A-Za-z0-9]{30,}",  # GitHub token
    r"xox[abposr]-[A-Za-z0-9-]{10,}",  # Slack token
    r"sk_(live|test)_[A-Za-z0-9]{16,}",  # Stripe key
    r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",  # JWT
    r"[a-z]+://[^/\s:@]+:[^/\s@]+@.+",  # URL with inline credentials
]
_REFERENCE_VALUE = re.compile(r"^(arn:aws[a-z-]*:|/|\{\{resolve:|\$\{)")


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())


def check_env_secrets(ctx: ResourceContext) -> None:
    variables = ctx.props.get("environment", "variables")
    if variables is UNKNOWN:
        ctx.skip("environment.variables")
        return
    if not isinstance(variables, dict):
        return
    allowed = cfg_strings(ctx.cfg, "allowedNames")
    name_patterns = cfg_strings(ctx.cfg, "secretNamePatterns", SECRET_NAME_PATTERNS)
    min_entropy_len = as_int(ctx.cfg.get("highEntropyMinLength")) or 32
    for name, value in sorted(variables.items()):
        if matches_any(name, allowed):
            continue
        if value is UNKNOWN:
            ctx.skip(f"environment variable {name}")
            continue
        text = value if isinstance(value, str) else ""
        if text and _REFERENCE_VALUE.match(text):
            continue  # an ARN, an SSM parameter path or a dynamic reference is not the secret itself
        reason = None
        if matches_any(name, name_patterns) and not matches_any(name, REFERENCE_NAME_PATTERNS) and text:
            reason = "its name says it holds a secret"
        elif any(matches_any(text, [p]) for p in SECRET_VALUE_PATTERNS):
            reason = "its value looks like a credential"
        elif len(text) >= min_entropy_len and " " not in text and _entropy(text) >= 4.5:
            reason = f"its value is a high-entropy string of {len(text)} characters"
        if reason:
            ctx.violation(
                f"environment variable {name} looks like a secret ({reason}); keep secrets in Secrets Manager or "
                "SSM Parameter Store and pass only their ARN or name (or allow-list the name in allowedNames)."
            )


def check_code_signing(ctx: ResourceContext) -> None:
    if ctx.props.get("packageType") == "Image":
        return  # code signing applies to zip packages only
    if not ctx.props.has("codeSigningConfigArn"):
        ctx.violation("no code signing configuration; set codeSigningConfigArn.")


def check_arm64(ctx: ResourceContext) -> None:
    arch = ctx.props.get("architectures")
    if arch is UNKNOWN:
        ctx.skip("architectures")
        return
    if not isinstance(arch, list) or "arm64" not in arch:
        ctx.violation(f"architectures is {arch!r} (x86_64 by default); arm64 (Graviton) costs about 20% less.")


def check_tags_description(ctx: ResourceContext) -> None:
    required = cfg_strings(ctx.cfg, "requiredTags")
    tags = ctx.props.get("tags")
    if tags is UNKNOWN:
        ctx.skip("tags")
    else:
        # The provider's default tags land on the function too (a default provider gets them from stack config as
        # a JSON string).
        defaults = ctx.provider_props.get("defaultTags")
        if isinstance(defaults, str):
            try:
                defaults = json.loads(defaults)
            except ValueError:
                defaults = None
        defaults = defaults.get("tags") if isinstance(defaults, dict) else None
        present = set(tags) if isinstance(tags, dict) else set()
        present |= set(defaults) if isinstance(defaults, dict) else set()
        missing = [t for t in required if t not in present]
        if missing:
            ctx.violation(f"missing required tags {missing} (requiredTags); tags present: {sorted(present)}.")
    if ctx.cfg.get("requireDescription", True) is not False and ctx.type == FUNCTION:
        description = ctx.props.get("description")
        if description is not UNKNOWN and not (isinstance(description, str) and description.strip()):
            ctx.violation("no description; say what the function does and who owns it.")


def check_log_retention(ctx: ResourceContext) -> None:
    name = ctx.props.get("name")
    if (
        ctx.cfg.get("onlyLambdaLogGroups", True) is not False
        and isinstance(name, str)
        and not name.startswith("/aws/lambda/")
    ):
        return
    present, days = _number(ctx, "retentionInDays")
    minimum = as_int(ctx.cfg.get("minDays")) or 1
    maximum = as_int(ctx.cfg.get("maxDays")) or RETENTION_DAYS[-1]
    if not present or days == 0:
        ctx.violation(f"retentionInDays is not set (logs never expire); set {minimum}-{maximum} days.")
        return
    if days is not None and not minimum <= days <= maximum:
        ctx.violation(f"retentionInDays must be {minimum}-{maximum} days (minDays/maxDays), got {days}.")
    elif days is not None and days not in RETENTION_DAYS:
        ctx.violation(f"retentionInDays {days} is not a value CloudWatch Logs accepts; use one of {RETENTION_DAYS}.")


TIMEOUT = Rule(
    name="lambda-timeout",
    description="Lambda functions must set a timeout no longer than the configured maximum.",
    checks="`timeout` is set explicitly and is 1..`maxSeconds`.",
    severity=Severity.MEDIUM,
    remediation="Set `timeout` to the longest time the handler legitimately needs, at most `maxSeconds`.",
    url=f"{DOCS}/configuration-timeout.html",
    anchors=["cdk-nag Serverless LambdaDefaultTimeout", "AWS Config lambda-function-settings-check"],
    resource_types=(FUNCTION,),
    config={
        "maxSeconds": integer(
            TIMEOUT_MAX_S, f"Longest timeout allowed, in seconds (AWS maximum {TIMEOUT_MAX_S}).", 1, TIMEOUT_MAX_S
        )
    },
    default_level=EnforcementLevel.MANDATORY,
    resource_check=check_timeout,
)

MEMORY = Rule(
    name="lambda-memory",
    description="Lambda functions must set their memory size explicitly.",
    checks="`memorySize` is set explicitly and is `minMb`..`maxMb`.",
    severity=Severity.LOW,
    remediation=f"Set `memorySize` ({MEMORY_MIN_MB}-{MEMORY_MAX_MB} MB); power-tune it rather than keeping the "
    f"{MEMORY_MIN_MB} MB default.",
    url=f"{DOCS}/configuration-memory.html",
    anchors=["cdk-nag Serverless LambdaDefaultMemorySize", "AWS Config lambda-function-settings-check"],
    resource_types=(FUNCTION,),
    config={
        "minMb": integer(MEMORY_MIN_MB, "Smallest memory size allowed, in MB.", MEMORY_MIN_MB, MEMORY_MAX_MB),
        "maxMb": integer(MEMORY_MAX_MB, "Largest memory size allowed, in MB.", MEMORY_MIN_MB, MEMORY_MAX_MB),
    },
    default_level=EnforcementLevel.MANDATORY,
    resource_check=check_memory,
)

TRACING = Rule(
    name="lambda-tracing-active",
    description="Lambda functions must have X-Ray tracing set to Active.",
    checks="`tracingConfig.mode` is `Active`.",
    severity=Severity.MEDIUM,
    remediation="Set `tracingConfig = {mode: 'Active'}` and allow xray:PutTraceSegments/PutTelemetryRecords.",
    url=f"{DOCS}/services-xray.html",
    anchors=["Security Hub Lambda.7", "CKV_AWS_50", "AVD-AWS-0066", "cdk-nag Serverless LambdaTracing"],
    resource_types=(FUNCTION,),
    default_level=EnforcementLevel.MANDATORY,
    resource_check=check_tracing,
)

RESERVED_CONCURRENCY = Rule(
    name="lambda-reserved-concurrency",
    description="Lambda functions should reserve concurrency within bounds.",
    checks="`reservedConcurrentExecutions` is set and is `min`..`max`.",
    severity=Severity.MEDIUM,
    remediation="Set `reservedConcurrentExecutions` so one function cannot starve the others in the account.",
    url=f"{DOCS}/configuration-concurrency.html",
    anchors=["CKV_AWS_115", "AWS Config lambda-concurrency-check"],
    resource_types=(FUNCTION,),
    config={
        "min": integer(
            1, "Smallest reservation allowed (0 would throttle every invocation).", 0, RESERVABLE_CONCURRENCY
        ),
        "max": integer(RESERVABLE_CONCURRENCY, "Largest reservation allowed for one function.", 0),
    },
    resource_check=check_reserved_concurrency,
)

VPC = Rule(
    name="lambda-in-vpc",
    description="Lambda functions must run inside a VPC (opt-in).",
    checks="`vpcConfig.subnetIds` and `vpcConfig.securityGroupIds` are set.",
    severity=Severity.MEDIUM,
    remediation="Set `vpcConfig` with private subnets in at least two AZs and a security group.",
    url=f"{DOCS}/configuration-vpc.html",
    anchors=["Security Hub Lambda.3", "CKV_AWS_117", "AWS Config lambda-inside-vpc"],
    resource_types=(FUNCTION,),
    default_level=EnforcementLevel.DISABLED,
    opt_in=True,
    resource_check=check_vpc,
)

ENV_KMS = Rule(
    name="lambda-environment-kms",
    description="Lambda environment variables must be encrypted with a customer managed KMS key (opt-in).",
    checks="A function with environment variables sets `kmsKeyArn`.",
    severity=Severity.MEDIUM,
    remediation="Set `kmsKeyArn` to a customer managed key and allow the role kms:Decrypt on it.",
    url=f"{DOCS}/configuration-envvars-encryption.html",
    anchors=["CKV_AWS_173"],
    resource_types=(FUNCTION,),
    default_level=EnforcementLevel.DISABLED,
    opt_in=True,
    resource_check=check_env_kms,
)

ENV_SECRETS = Rule(
    name="lambda-no-secrets-in-environment",
    description="Lambda environment variables must not hold secrets.",
    checks="No environment variable whose name says secret (password, token, api key, ...) holds a literal, and no "
    "value looks like a credential (AWS key, private key, token, JWT, URL with password, high-entropy string).",
    severity=Severity.CRITICAL,
    remediation="Store the secret in Secrets Manager or SSM Parameter Store, pass its ARN/name in the environment "
    "and read it at runtime (e.g. with the Parameters and Secrets Lambda extension).",
    url=f"{DOCS}/configuration-envvars.html",
    anchors=["CKV_AWS_45"],
    resource_types=(FUNCTION,),
    config={
        "allowedNames": strings([], "Variable names (regular expressions) never reported.", regex=True),
        "secretNamePatterns": strings(
            SECRET_NAME_PATTERNS, "Regular expressions for names that hold secrets.", regex=True
        ),
        "highEntropyMinLength": integer(32, "Report random-looking values at least this long.", 8),
    },
    default_level=EnforcementLevel.MANDATORY,
    resource_check=check_env_secrets,
)

CODE_SIGNING = Rule(
    name="lambda-code-signing",
    description="Lambda functions must verify code signatures (opt-in).",
    checks="Zip-packaged functions set `codeSigningConfigArn`.",
    severity=Severity.MEDIUM,
    remediation="Create an `aws.lambda_.CodeSigningConfig` with your signing profile and set `codeSigningConfigArn`.",
    url=f"{DOCS}/configuration-codesigning.html",
    anchors=["CKV_AWS_272"],
    resource_types=(FUNCTION,),
    default_level=EnforcementLevel.DISABLED,
    opt_in=True,
    resource_check=check_code_signing,
)

ARM64 = Rule(
    name="lambda-arm64",
    description="Lambda functions should run on arm64 (Graviton).",
    checks="`architectures` contains `arm64`.",
    severity=Severity.LOW,
    remediation="Set `architectures = ['arm64']` after checking native dependencies are built for arm64.",
    url=f"{DOCS}/foundation-arch.html",
    anchors=["AWS Well-Architected (cost)"],
    resource_types=(FUNCTION,),
    resource_check=check_arm64,
)

TAGS_DESCRIPTION = Rule(
    name="lambda-tags-description",
    description="Lambda functions must carry the required tags and a description.",
    checks="Every tag in `requiredTags` is present; `description` is set (when `requireDescription`).",
    severity=Severity.LOW,
    remediation="Add the missing tags (or the stack's default tags on the provider) and a `description`.",
    url=f"{DOCS}/configuration-tags.html",
    anchors=["Security Hub Lambda.6", "Pulumi compliance-policies (description)"],
    resource_types=(FUNCTION,),
    config={
        "requiredTags": strings([], "Tag keys every function must carry."),
        "requireDescription": boolean(True, "Require a non-empty description."),
    },
    resource_check=check_tags_description,
)

LOG_RETENTION = Rule(
    name="lambda-log-retention",
    description="Lambda log groups must keep logs for a bounded time.",
    checks="`retentionInDays` of log groups under /aws/lambda/ is set and is `minDays`..`maxDays`.",
    severity=Severity.MEDIUM,
    remediation="Set `retentionInDays` on the function's log group (one of CloudWatch's allowed values).",
    url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html",
    anchors=["cdk-nag Serverless CloudWatchLogGroupRetentionPeriod"],
    resource_types=(LOG_GROUP,),
    config={
        "minDays": integer(1, "Shortest retention allowed, in days.", 1, RETENTION_DAYS[-1]),
        "maxDays": integer(RETENTION_DAYS[-1], "Longest retention allowed, in days.", 1, RETENTION_DAYS[-1]),
        "onlyLambdaLogGroups": boolean(True, "Check only log groups whose name starts with /aws/lambda/."),
    },
    default_level=EnforcementLevel.MANDATORY,
    resource_check=check_log_retention,
)

RULES = [
    TIMEOUT,
    MEMORY,
    TRACING,
    RESERVED_CONCURRENCY,
    VPC,
    ENV_KMS,
    ENV_SECRETS,
    CODE_SIGNING,
    ARM64,
    TAGS_DESCRIPTION,
    LOG_RETENTION,
]

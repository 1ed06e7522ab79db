"""Stack rules: checks across resources, matched through property dependencies (never by parsing ARN strings)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._common import (
    ALIAS,
    EVENT_INVOKE_CONFIG,
    EVENT_SOURCE_MAPPING,
    FUNCTION,
    LOG_GROUP,
    PERMISSION,
    PROVISIONED_CONCURRENCY,
    QUEUE,
    QUEUE_REDRIVE_POLICY,
    SUBNET,
    UNKNOWN,
    Rule,
    StackContext,
    StackResource,
    as_float,
    as_int,
    cfg_strings,
    integer,
    num,
    strings,
    truthy,
)
from .dependencies import queue_uses
from .facts import ACCOUNT_CONCURRENCY_DEFAULT, UNRESERVED_MINIMUM

DOCS = "https://docs.aws.amazon.com/lambda/latest/dg"


def _reserved(fn: StackResource) -> int | Any | None:
    raw = fn.props.get("reservedConcurrentExecutions")
    if raw is UNKNOWN:
        return UNKNOWN
    value = as_int(raw)
    return value if value is not None and value >= 0 else None


def check_unreserved(ctx: StackContext) -> None:
    limit = as_int(ctx.cfg.get("accountConcurrencyLimit")) or ACCOUNT_CONCURRENCY_DEFAULT
    minimum = as_int(ctx.cfg.get("minimumUnreserved"))
    minimum = UNRESERVED_MINIMUM if minimum is None else minimum
    groups: dict[tuple[str, str], list[tuple[StackResource, int]]] = defaultdict(list)
    for fn in ctx.of_type(FUNCTION):
        value = _reserved(fn)
        if value is UNKNOWN:
            ctx.skip(fn, "reservedConcurrentExecutions is not known during preview; left out of the sum")
        elif value:
            groups[(fn.account_key(), fn.region())].append((fn, value))
    for (account, region), members in sorted(groups.items()):
        total = sum(v for _, v in members)
        if limit - total < minimum:
            top = ", ".join(f"{fn.name}={v}" for fn, v in sorted(members, key=lambda m: -m[1])[:5])
            ctx.violation(
                None,
                f"reserved concurrency for provider {account} in region {region} sums to {total}, leaving "
                f"{limit - total} of the {limit} account limit unreserved; at least {minimum} must stay unreserved "
                f"(minimumUnreserved). Largest reservations: {top}.",
            )


def check_sqs_queues(ctx: StackContext) -> None:
    multiplier = as_float(ctx.cfg.get("visibilityTimeoutMultiplier")) or 6.0
    redrive_links = {urn for r in ctx.of_type(QUEUE_REDRIVE_POLICY) for urn in r.linked("queueUrl")}
    uses = queue_uses(ctx)

    def needs_redrive(queue: StackResource) -> bool:
        # A queue that is itself a dead-letter queue needs none (cdk-nag AwsSolutions-SQS3).
        use = uses.get(queue.urn)
        dead_letter = use is not None and use.is_dead_letter
        return not dead_letter and not queue.props.has("redrivePolicy") and queue.urn not in redrive_links

    for esm in ctx.of_type(EVENT_SOURCE_MAPPING):
        queues = ctx.linked(esm, "eventSourceArn", QUEUE)
        if not queues:
            arn = esm.props.get("eventSourceArn")
            if isinstance(arn, str) and ":sqs:" in arn:
                ctx.skip(esm, f"queue {arn} is not created in this stack")
            continue
        fn = ctx.function_of(esm)
        for queue in queues:
            vis_raw = queue.props.get("visibilityTimeoutSeconds")
            visibility = 30 if vis_raw is None else as_int(vis_raw)  # SQS default 30 s
            timeout_raw = fn.props.get("timeout") if fn is not None else UNKNOWN
            timeout = 3 if timeout_raw is None else as_int(timeout_raw)  # Lambda default 3 s
            if fn is None:
                ctx.skip(esm, "the function this mapping feeds is not created in this stack")
            elif vis_raw is UNKNOWN or timeout_raw is UNKNOWN or visibility is None or timeout is None:
                ctx.skip(queue, "visibility timeout or function timeout is not known")
            elif visibility < multiplier * timeout:
                ctx.violation(
                    queue,
                    f"visibilityTimeoutSeconds is {visibility} but feeds {fn.name} (timeout {timeout} s); it must be "
                    f"at least {multiplier:g} x {timeout} = {multiplier * timeout:g} s or messages are redelivered "
                    "while still being processed.",
                )
            if needs_redrive(queue):
                ctx.violation(
                    queue,
                    "queue feeding a function has no redrivePolicy; poison messages would be "
                    "retried until they expire. Add a dead-letter queue with maxReceiveCount.",
                )
    for use in uses.values():
        if use.destinations and not use.sources and needs_redrive(use.queue):
            ctx.violation(
                use.queue,
                f"queue receives the results of {', '.join(use.destinations)} (on-success destination) but has no "
                "redrivePolicy; a message its consumer cannot process would be retried until it expires. Add a "
                "dead-letter queue with maxReceiveCount.",
            )


def _qualifier_key(ctx: StackContext, res: StackResource) -> str | None:
    aliases = ctx.linked(res, "qualifier", ALIAS)
    if aliases:
        return aliases[0].urn
    value = res.props.get("qualifier")
    return value if isinstance(value, str) else None


def check_provisioned(ctx: StackContext) -> None:
    per_target: dict[tuple[str, str], list[StackResource]] = defaultdict(list)
    per_function: dict[str, list[tuple[StackResource, int]]] = defaultdict(list)
    for pc in ctx.of_type(PROVISIONED_CONCURRENCY):
        qualifier = pc.props.get("qualifier")
        if qualifier == "$LATEST":
            ctx.violation(
                pc,
                "provisioned concurrency targets $LATEST; AWS only allows it on a published version "
                "or an alias. Point qualifier at the alias.",
            )
        for alias in ctx.linked(pc, "qualifier", ALIAS):
            if alias.props.get("functionVersion") == "$LATEST":
                ctx.violation(pc, f"provisioned concurrency targets alias {alias.name}, which points at $LATEST.")
        fn = ctx.function_of(pc)
        if fn is None:
            ctx.skip(pc, "the function is not created in this stack")
            continue
        key = _qualifier_key(ctx, pc)
        if key is None:
            ctx.skip(pc, "qualifier is not known")
        else:
            per_target[(fn.urn, key)].append(pc)
        count = as_int(pc.props.get("provisionedConcurrentExecutions"))
        if count is not None:
            per_function[fn.urn].append((pc, count))
    for (_fn_urn, _key), configs in per_target.items():
        if len(configs) > 1:
            ctx.violation(
                configs[1],
                f"{len(configs)} provisioned concurrency configs target the same function and "
                f"qualifier ({', '.join(c.name for c in configs)}); AWS keeps one per qualifier.",
            )
    for fn_urn, counts in per_function.items():
        fn = ctx.by_urn[fn_urn]
        reserved = _reserved(fn)
        total = sum(c for _, c in counts)
        if reserved is UNKNOWN:
            ctx.skip(fn, "reservedConcurrentExecutions is not known; provisioned total not compared")
        elif reserved is not None and total > reserved:
            ctx.violation(
                fn,
                f"provisioned concurrency totals {total} ({', '.join(c.name for c, _ in counts)}) "
                f"but reservedConcurrentExecutions is {reserved}; provisioned must fit in the reservation.",
            )


def check_aliases(ctx: StackContext) -> None:
    for alias in ctx.of_type(ALIAS):
        version = alias.props.get("functionVersion")
        if version == "$LATEST":
            ctx.violation(
                alias,
                "alias points at $LATEST; point it at a published version so deploys are "
                "immutable and can be rolled back.",
            )
        weights = alias.props.get("routingConfig", "additionalVersionWeights")
        if weights is UNKNOWN:
            ctx.skip(alias, "routingConfig.additionalVersionWeights is not known")
        elif isinstance(weights, dict) and weights:
            if len(weights) > 1:
                ctx.violation(
                    alias, f"alias routes to {len(weights)} additional versions {sorted(weights)}; AWS allows one."
                )
            for target, weight in weights.items():
                if target == "$LATEST":
                    ctx.violation(alias, "alias routes traffic to $LATEST; AWS rejects routing on $LATEST.")
                if isinstance(version, str) and target == version:
                    ctx.violation(alias, f"alias routes to version {target}, the version it already points at.")
                w = as_float(weight)
                if weight is not UNKNOWN and (w is None or not 0 < w < 1):
                    ctx.violation(
                        alias, f"routing weight for version {target} must be between 0 and 1, got {weight!r}."
                    )
        functions = ctx.linked(alias, "functionName", FUNCTION)
        if not functions:
            ctx.skip(alias, "the aliased function is not created in this stack")
        for fn in functions:
            publish = fn.props.get("publish")
            if publish is UNKNOWN:
                ctx.skip(fn, "publish is not known")
            elif truthy(publish) is not True:
                ctx.violation(
                    fn,
                    f"function has alias {alias.name} but does not publish versions (publish is "
                    f"{publish!r}); set publish = true so the alias can move between versions.",
                )


def check_log_groups(ctx: StackContext) -> None:
    groups = ctx.of_type(LOG_GROUP)
    names = {g.props.get("name"): g for g in groups if isinstance(g.props.get("name"), str)}
    for fn in ctx.of_type(FUNCTION):
        linked = {g.urn for g in groups if fn.urn in g.linked("name")}
        linked.update(urn for urn in fn.linked("loggingConfig") if ctx.by_urn.get(urn, fn).type == LOG_GROUP)
        linked.update(urn for urn in fn.dependencies if urn in ctx.by_urn and ctx.by_urn[urn].type == LOG_GROUP)
        if linked:
            continue
        custom = fn.props.get("loggingConfig", "logGroup")
        fn_name = fn.props.get("name")
        wanted = custom if isinstance(custom, str) and custom else None
        if wanted is None and isinstance(fn_name, str):
            wanted = f"/aws/lambda/{fn_name}"
        if wanted is not None and wanted in names:
            continue
        if custom is UNKNOWN or fn_name is UNKNOWN:
            ctx.skip(fn, "the function or log group name is not known, so its log group could not be matched")
            continue
        ctx.violation(
            fn,
            f"no log group for this function in the stack (expected {wanted or 'one linked to it'}); "
            "Lambda would create one on first invoke with logs kept forever and outside the stack.",
        )


def check_vpc_azs(ctx: StackContext) -> None:
    minimum = as_int(ctx.cfg.get("minAvailabilityZones")) or 2
    for fn in ctx.of_type(FUNCTION):
        ids = fn.props.get("vpcConfig", "subnetIds")
        if ids is UNKNOWN:
            ctx.skip(fn, "vpcConfig.subnetIds is not known")
            continue
        if not isinstance(ids, list) or not ids:
            continue
        if len(ids) < minimum:
            ctx.violation(
                fn,
                f"VPC function uses {len(ids)} subnet(s), so it spans fewer than {minimum} availability "
                "zones (minAvailabilityZones).",
            )
            continue
        subnets = ctx.linked(fn, "vpcConfig", SUBNET)
        azs = set()
        unknown = 0
        for subnet in subnets:
            az = subnet.props.get("availabilityZone") or subnet.props.get("availabilityZoneId")
            if isinstance(az, str) and az:
                azs.add(az)
            else:
                unknown += 1
        if len(azs) >= minimum:
            continue
        if not subnets or unknown or len(subnets) < len(ids):
            ctx.skip(fn, "some subnets are not in this stack or have no known availability zone")
            continue
        ctx.violation(
            fn,
            f"VPC function's subnets span {len(azs)} availability zone(s) {sorted(azs)}; at least "
            f"{minimum} are required (minAvailabilityZones).",
        )


ASYNC_PRINCIPALS = [
    "s3.amazonaws.com",
    "sns.amazonaws.com",
    "events.amazonaws.com",
    "ses.amazonaws.com",
    "iot.amazonaws.com",
    "logs.amazonaws.com",
    "config.amazonaws.com",
    "codecommit.amazonaws.com",
]


def check_async_failures(ctx: StackContext) -> None:
    principals = set(cfg_strings(ctx.cfg, "asyncPrincipals", ASYNC_PRINCIPALS))
    reasons: dict[str, list[str]] = defaultdict(list)
    destinations: dict[str, bool] = defaultdict(bool)
    for cfg in ctx.of_type(EVENT_INVOKE_CONFIG):
        fn = ctx.function_of(cfg)
        if fn is None:
            ctx.skip(cfg, "the function is not created in this stack")
            continue
        reasons[fn.urn].append(f"invoke config {cfg.name}")
        if cfg.props.has("destinationConfig", "onFailure", "destination"):
            destinations[fn.urn] = True
    for perm in ctx.of_type(PERMISSION):
        principal = perm.props.get("principal")
        if isinstance(principal, str) and principal in principals:
            fn = ctx.function_of(perm, "function")
            if fn is not None:
                reasons[fn.urn].append(f"{principal} permission {perm.name}")
    for fn_urn, why in reasons.items():
        fn = ctx.by_urn[fn_urn]
        if destinations[fn_urn] or fn.props.has("deadLetterConfig", "targetArn"):
            continue
        ctx.violation(
            fn,
            f"function is invoked asynchronously ({'; '.join(why)}) but has neither a dead-letter "
            "queue (deadLetterConfig.targetArn) nor an on-failure destination; failed events would be "
            "dropped after retries.",
        )


UNRESERVED = Rule(
    name="lambda-unreserved-concurrency",
    description="Reserved concurrency must leave the configured minimum unreserved per account and region.",
    checks="Sum of `reservedConcurrentExecutions` per account (provider) and region leaves at least "
    "`minimumUnreserved` of `accountConcurrencyLimit`.",
    severity=Severity.HIGH,
    remediation="Lower reservations or raise the account's concurrency quota (Service Quotas) and set "
    "accountConcurrencyLimit to match.",
    url=f"{DOCS}/lambda-concurrency.html",
    anchors=[f"AWS quota ({UNRESERVED_MINIMUM} unreserved minimum)"],
    resource_types=(FUNCTION,),
    config={
        "accountConcurrencyLimit": integer(
            ACCOUNT_CONCURRENCY_DEFAULT, "The account's concurrent executions quota in the region.", 1
        ),
        "minimumUnreserved": integer(UNRESERVED_MINIMUM, "Executions that must stay unreserved.", 0),
    },
    default_level=EnforcementLevel.MANDATORY,
    stack_check=check_unreserved,
)

SQS_QUEUES = Rule(
    name="lambda-sqs-queue-settings",
    description="SQS queues feeding a function need a visibility timeout of 6x the function timeout and a DLQ.",
    checks="Each queue linked to a mapping has `visibilityTimeoutSeconds` >= multiplier x the function's timeout; "
    "source queues and on-success destinations have a redrive policy unless they are themselves a dead-letter queue.",
    severity=Severity.HIGH,
    remediation="Raise visibilityTimeoutSeconds to at least 6x the function timeout and add redrivePolicy "
    "{deadLetterTargetArn, maxReceiveCount}.",
    url=f"{DOCS}/services-sqs-configure.html",
    anchors=["cdk-nag Serverless SQSRedrivePolicy", "cdk-nag AwsSolutions-SQS3", "AWS Lambda SQS guide (6x timeout)"],
    resource_types=(QUEUE, EVENT_SOURCE_MAPPING),
    config={"visibilityTimeoutMultiplier": num(6, "Visibility timeout must be this many times the timeout.", 1)},
    default_level=EnforcementLevel.MANDATORY,
    stack_check=check_sqs_queues,
)

PROVISIONED = Rule(
    name="lambda-provisioned-concurrency",
    description="Provisioned concurrency must target an alias or version, once per qualifier, within the reservation.",
    checks="No config on `$LATEST` (or an alias on it); at most one per function and qualifier; total <= reserved "
    "concurrency.",
    severity=Severity.HIGH,
    remediation="Put provisioned concurrency on the alias, keep one config per qualifier and raise "
    "reservedConcurrentExecutions to at least the provisioned total.",
    url=f"{DOCS}/provisioned-concurrency.html",
    anchors=["AWS Lambda API (no provisioned concurrency on $LATEST)"],
    resource_types=(PROVISIONED_CONCURRENCY,),
    default_level=EnforcementLevel.MANDATORY,
    stack_check=check_provisioned,
)

ALIASES = Rule(
    name="lambda-alias-versions",
    description="Aliases must point at published versions and route to at most one other version.",
    checks="`functionVersion` is not `$LATEST`; at most one additional version, not `$LATEST`, weight in (0, 1); "
    "the aliased function has `publish = true`.",
    severity=Severity.HIGH,
    remediation="Set publish = true on the function and point the alias at its version output; keep one canary "
    "version in routingConfig.",
    url=f"{DOCS}/configuring-alias-routing.html",
    anchors=["AWS Lambda API (alias routing)", "terraform-aws-lambda (alias $LATEST note)"],
    resource_types=(ALIAS, FUNCTION),
    default_level=EnforcementLevel.MANDATORY,
    stack_check=check_aliases,
)

LOG_GROUPS = Rule(
    name="lambda-log-group",
    description="Every function must have its log group in the stack.",
    checks="A log group is linked to the function (dependency, property dependency or loggingConfig) or named "
    "`/aws/lambda/<function name>`.",
    severity=Severity.MEDIUM,
    remediation="Create an aws.cloudwatch.LogGroup named /aws/lambda/<function name> with a retention and make the "
    "function depend on it (LambdaService does).",
    url=f"{DOCS}/monitoring-cloudwatchlogs.html",
    anchors=["cdk-nag Serverless CloudWatchLogGroupRetentionPeriod"],
    resource_types=(FUNCTION, LOG_GROUP),
    default_level=EnforcementLevel.MANDATORY,
    stack_check=check_log_groups,
)

VPC_AZS = Rule(
    name="lambda-vpc-multi-az",
    description="VPC functions must span at least the configured number of availability zones.",
    checks="Subnets of `vpcConfig` (linked Subnet resources) cover `minAvailabilityZones` zones.",
    severity=Severity.MEDIUM,
    remediation="Add private subnets in more availability zones to vpcConfig.subnetIds.",
    url=f"{DOCS}/configuration-vpc.html",
    anchors=["Security Hub Lambda.5", "AWS Config lambda-vpc-multi-az-check"],
    resource_types=(FUNCTION, SUBNET),
    config={"minAvailabilityZones": integer(2, "Fewest availability zones a VPC function may span.", 1)},
    default_level=EnforcementLevel.MANDATORY,
    stack_check=check_vpc_azs,
)

ASYNC_FAILURES = Rule(
    name="lambda-async-failure-destination",
    description="Asynchronously invoked functions must keep failed events (DLQ or on-failure destination).",
    checks="Functions with an event invoke config or an async service permission (S3, SNS, EventBridge, ...) have "
    "`deadLetterConfig.targetArn` or an invoke config with `destinationConfig.onFailure`.",
    severity=Severity.HIGH,
    remediation="Add an on-failure destination (FunctionEventInvokeConfig destinationConfig.onFailure) or a "
    "dead-letter queue (deadLetterConfig.targetArn).",
    url=f"{DOCS}/invocation-async-retain-records.html",
    anchors=["CKV_AWS_116", "AWS Config lambda-dlq-check", "cdk-nag Serverless LambdaAsyncFailureDestination"],
    resource_types=(FUNCTION, EVENT_INVOKE_CONFIG, PERMISSION),
    config={"asyncPrincipals": strings(ASYNC_PRINCIPALS, "Service principals that invoke asynchronously.")},
    default_level=EnforcementLevel.MANDATORY,
    stack_check=check_async_failures,
)

RULES = [ASYNC_FAILURES, UNRESERVED, SQS_QUEUES, PROVISIONED, ALIASES, LOG_GROUPS, VPC_AZS]

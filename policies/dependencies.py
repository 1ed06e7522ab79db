"""The resources a function depends on, where a weakness breaks the production checklist: the SNS topics that
trigger it or receive its alarms, the SQS queues it reads, fails to or sends results to, its log groups, and the
DynamoDB tables whose streams feed it. Resources are tied to functions through property dependencies (never by
parsing names), so a topic or queue no function uses is not judged here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from . import iam_data
from ._common import (
    ALIAS,
    EVENT_INVOKE_CONFIG,
    EVENT_SOURCE_MAPPING,
    EVENT_TARGET,
    FUNCTION,
    KMS_KEY,
    LOG_GROUP,
    METRIC_ALARM,
    PERMISSION,
    QUEUE,
    QUEUE_REDRIVE_POLICY,
    SCHEDULE,
    TABLE,
    TOPIC,
    TOPIC_SUBSCRIPTION,
    UNKNOWN,
    Rule,
    StackContext,
    StackResource,
    truthy,
)

DOCS = "https://docs.aws.amazon.com"
AWS_MANAGED_SNS_KEY = "alias/aws/sns"


def _links_function(ctx: StackContext, res: StackResource) -> bool:
    return any(
        ctx.by_urn[u].type in (FUNCTION, ALIAS) for urns in res.linked_props().values() for u in urns if u in ctx.by_urn
    )


# --- which queues a function uses, and how ---------------------------------------------------------------------


@dataclass
class QueueUse:
    queue: StackResource
    sources: list[str] = field(default_factory=list)
    """Functions (names) that consume the queue through a mapping."""
    dead_letter: list[str] = field(default_factory=list)
    """Why the queue is a dead-letter queue (a DLQ, an on-failure destination, another queue's redrive target)."""
    destinations: list[str] = field(default_factory=list)
    """Functions that send results to it (on-success destinations)."""
    unclear: list[str] = field(default_factory=list)
    """Invoke configs that send to it on success or failure (which one could not be told)."""

    @property
    def is_dead_letter(self) -> bool:
        return bool(self.dead_letter)

    def roles(self) -> str:
        parts = [f"source of {', '.join(self.sources)}"] if self.sources else []
        parts += self.dead_letter
        parts += [f"on-success destination of {', '.join(self.destinations)}"] if self.destinations else []
        parts += [f"destination of {', '.join(self.unclear)}"] if self.unclear else []
        return "; ".join(parts)


def _queue_named_in(queue: StackResource, arn: Any) -> bool | None:
    """Whether a destination ARN names this queue (by its name input), or None when that cannot be told."""
    name = queue.props.get("name")
    if not isinstance(arn, str) or not isinstance(name, str) or not name:
        return None
    return arn.rsplit(":", 1)[-1] == name


def queue_uses(ctx: StackContext) -> dict[str, QueueUse]:
    """Every queue that is a source, a dead-letter queue or a destination of a function in the stack."""
    uses: dict[str, QueueUse] = {}

    def use(queue: StackResource) -> QueueUse:
        return uses.setdefault(queue.urn, QueueUse(queue))

    for esm in ctx.of_type(EVENT_SOURCE_MAPPING):
        fn = ctx.function_of(esm)
        label = fn.name if fn is not None else esm.name
        for queue in ctx.linked(esm, "eventSourceArn", QUEUE):
            use(queue).sources.append(label)
        for queue in ctx.linked(esm, "destinationConfig", QUEUE):
            use(queue).dead_letter.append(f"on-failure destination of mapping {esm.name}")
    for fn in ctx.of_type(FUNCTION):
        for queue in ctx.linked(fn, "deadLetterConfig", QUEUE):
            use(queue).dead_letter.append(f"dead-letter queue of {fn.name}")
    for cfg in ctx.of_type(EVENT_INVOKE_CONFIG):
        fn = ctx.function_of(cfg)
        label = fn.name if fn is not None else cfg.name
        success = cfg.props.get("destinationConfig", "onSuccess", "destination")
        failure = cfg.props.get("destinationConfig", "onFailure", "destination")
        for queue in ctx.linked(cfg, "destinationConfig", QUEUE):
            on_success, on_failure = _queue_named_in(queue, success), _queue_named_in(queue, failure)
            if on_failure or (failure is not None and success is None):
                use(queue).dead_letter.append(f"on-failure destination of {label}")
            if on_success or (success is not None and failure is None):
                use(queue).destinations.append(label)
            if on_success is None and on_failure is None and success is not None and failure is not None:
                use(queue).unclear.append(f"invoke config {cfg.name}")
    for res in ctx.of_type(TOPIC_SUBSCRIPTION, EVENT_TARGET, SCHEDULE):
        if not _links_function(ctx, res):
            continue
        for prop in ("redrivePolicy", "deadLetterConfig", "target"):
            for queue in ctx.linked(res, prop, QUEUE):
                use(queue).dead_letter.append(f"dead-letter queue of {res.name}")
    # A queue's own dead-letter queue (redrivePolicy on the queue, or a RedrivePolicy resource).
    for queue in list(ctx.of_type(QUEUE)):
        if queue.urn in uses:
            for dlq in ctx.linked(queue, "redrivePolicy", QUEUE):
                use(dlq).dead_letter.append(f"dead-letter queue of {queue.name}")
    for policy in ctx.of_type(QUEUE_REDRIVE_POLICY):
        if any(u in uses for u in policy.linked("queueUrl")):
            for dlq in ctx.linked(policy, "redrivePolicy", QUEUE):
                use(dlq).dead_letter.append(f"dead-letter queue of {policy.name}")
    return uses


def check_sqs_encrypted(ctx: StackContext) -> None:
    for found in queue_uses(ctx).values():
        queue = found.queue
        key = queue.props.get("kmsMasterKeyId")
        sse = queue.props.get("sqsManagedSseEnabled")
        if (isinstance(key, str) and key) or truthy(sse) is True:
            continue
        if key is UNKNOWN or sse is UNKNOWN:
            ctx.skip(queue, "kmsMasterKeyId or sqsManagedSseEnabled is not known during preview")
            continue
        said = "sets sqsManagedSseEnabled = false" if truthy(sse) is False else "sets no encryption"
        ctx.violation(
            queue,
            f"queue ({found.roles()}) {said}, so the events it holds are not encrypted at rest under a setting the "
            "program controls; set sqsManagedSseEnabled = true or kmsMasterKeyId.",
        )


# --- SNS -------------------------------------------------------------------------------------------------------


def _alarm_is_lambdas(ctx: StackContext, alarm: StackResource, lambda_queues: set[str]) -> bool:
    if alarm.props.get("namespace") == "AWS/Lambda":
        return True
    queries = alarm.props.get("metricQueries")
    if isinstance(queries, list) and any(
        isinstance(q, dict) and isinstance(q.get("metric"), dict) and q["metric"].get("namespace") == "AWS/Lambda"
        for q in queries
    ):
        return True
    linked = {u for urns in alarm.linked_props().values() for u in urns}
    return _links_function(ctx, alarm) or bool(linked & lambda_queues)


def _key_lets_cloudwatch_publish(policy: Any) -> bool | None:
    """Whether a key policy lets CloudWatch alarms use the key (kms:Decrypt and kms:GenerateDataKey*)."""
    if policy is UNKNOWN:
        return None
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return False
    if not isinstance(policy, Mapping):
        return False  # no policy: AWS's default key policy trusts only the account
    granted: set[str] = set()
    statements = policy.get("Statement")
    for stmt in statements if isinstance(statements, list) else [statements]:
        if not isinstance(stmt, Mapping) or stmt.get("Effect") != "Allow":
            continue
        principal = stmt.get("Principal")
        services = principal.get("Service") if isinstance(principal, Mapping) else None
        services = services if isinstance(services, list) else [services]
        if "cloudwatch.amazonaws.com" not in services and principal != "*":
            continue
        actions = stmt.get("Action")
        for action in actions if isinstance(actions, list) else [actions]:
            if action == "*" or action == "kms:*":
                granted.update({"kms:decrypt", "kms:generatedatakey"})
            elif isinstance(action, str):
                granted.update(f.key.lower() for f in iam_data.facts().expand(action))
    return {"kms:decrypt", "kms:generatedatakey"} <= granted


def check_sns_encrypted(ctx: StackContext) -> None:
    triggers: dict[str, list[str]] = {}
    alarms: dict[str, list[str]] = {}
    for sub in ctx.of_type(TOPIC_SUBSCRIPTION):
        if sub.props.get("protocol") == "lambda" or _links_function(ctx, sub):
            for topic in ctx.linked(sub, "topic", TOPIC):
                triggers.setdefault(topic.urn, []).append(f"subscription {sub.name}")
    for perm in ctx.of_type(PERMISSION):
        if perm.props.get("principal") == "sns.amazonaws.com":
            for topic in ctx.linked(perm, "sourceArn", TOPIC):
                triggers.setdefault(topic.urn, []).append(f"permission {perm.name}")
    lambda_queues = set(queue_uses(ctx))
    for alarm in ctx.of_type(METRIC_ALARM):
        if not _alarm_is_lambdas(ctx, alarm, lambda_queues):
            continue
        for prop in ("alarmActions", "okActions", "insufficientDataActions"):
            for topic in ctx.linked(alarm, prop, TOPIC):
                alarms.setdefault(topic.urn, []).append(alarm.name)
    for urn in sorted(set(triggers) | set(alarms)):
        topic = ctx.by_urn[urn]
        why = []
        if urn in triggers:
            why.append(f"triggers a function ({', '.join(triggers[urn])})")
        if urn in alarms:
            why.append(f"receives {len(alarms[urn])} function alarm(s)")
        role = " and ".join(why)
        key = topic.props.get("kmsMasterKeyId")
        if key is UNKNOWN:
            ctx.skip(topic, "kmsMasterKeyId is not known during preview")
            continue
        if not (isinstance(key, str) and key):
            ctx.violation(
                topic,
                f"topic {role} but is not encrypted at rest; set kmsMasterKeyId (a customer managed key, or "
                f"{AWS_MANAGED_SNS_KEY} at least for a topic that does not receive alarms).",
            )
            continue
        if urn not in alarms:
            continue
        if key == AWS_MANAGED_SNS_KEY or key.endswith(f":{AWS_MANAGED_SNS_KEY}"):
            ctx.violation(
                topic,
                f"topic receives function alarms but is encrypted with the AWS managed key {AWS_MANAGED_SNS_KEY}, "
                "whose key policy does not let CloudWatch use it: the alarms would never be delivered. Use a "
                "customer managed key that allows cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*.",
            )
            continue
        keys = ctx.linked(topic, "kmsMasterKeyId", KMS_KEY)
        if not keys:
            ctx.skip(topic, "its KMS key is not created in this stack, so its key policy was not checked")
            continue
        for kms_key in keys:
            allowed = _key_lets_cloudwatch_publish(kms_key.props.get("policy"))
            if allowed is None:
                ctx.skip(kms_key, "the key policy is not known during preview")
            elif not allowed:
                ctx.violation(
                    topic,
                    f"topic receives function alarms but its key {kms_key.name} does not let "
                    "cloudwatch.amazonaws.com use it (kms:Decrypt and kms:GenerateDataKey*): the alarms would never "
                    "be delivered. Add that statement to the key policy.",
                )


# --- log groups and tables -------------------------------------------------------------------------------------


def function_log_groups(ctx: StackContext, fn: StackResource) -> list[StackResource]:
    """The function's log groups in the stack: linked to it (dependency, property dependency, loggingConfig) or
    named /aws/lambda/<function name> (or its loggingConfig.logGroup)."""
    groups = ctx.of_type(LOG_GROUP)
    linked = [g for g in groups if fn.urn in g.linked("name")]
    linked += [ctx.by_urn[u] for u in fn.linked("loggingConfig") if ctx.by_urn.get(u, fn).type == LOG_GROUP]
    linked += [ctx.by_urn[u] for u in fn.dependencies if u in ctx.by_urn and ctx.by_urn[u].type == LOG_GROUP]
    if linked:
        return list({g.urn: g for g in linked}.values())
    custom = fn.props.get("loggingConfig", "logGroup")
    name = fn.props.get("name")
    wanted = custom if isinstance(custom, str) and custom else None
    if wanted is None and isinstance(name, str):
        wanted = f"/aws/lambda/{name}"
    return [g for g in groups if wanted is not None and g.props.get("name") == wanted]


def check_log_group_kms(ctx: StackContext) -> None:
    for fn in ctx.of_type(FUNCTION):
        for group in function_log_groups(ctx, fn):
            key = group.props.get("kmsKeyId")
            if key is UNKNOWN:
                ctx.skip(group, "kmsKeyId is not known during preview")
            elif not (isinstance(key, str) and key):
                ctx.violation(
                    group,
                    f"log group of {fn.name} is not encrypted with a KMS key; set kmsKeyId to a customer managed key "
                    "whose policy allows logs.<region>.amazonaws.com (LambdaService: log_kms_key_id).",
                )


def check_stream_tables(ctx: StackContext) -> None:
    for esm in ctx.of_type(EVENT_SOURCE_MAPPING):
        fn = ctx.function_of(esm)
        for table in ctx.linked(esm, "eventSourceArn", TABLE):
            enabled = table.props.get("pointInTimeRecovery", "enabled")
            if enabled is UNKNOWN:
                ctx.skip(table, "pointInTimeRecovery.enabled is not known during preview")
            elif truthy(enabled) is not True:
                feeds = f" feeds {fn.name} through its stream" if fn is not None else "'s stream feeds a function"
                ctx.violation(
                    table,
                    f"table{feeds} but has no point-in-time recovery; a bad deploy of the consumer (or anything "
                    "else) cannot be rolled back past the stream's 24 hours. Set pointInTimeRecovery.enabled = true.",
                )


SNS_ENCRYPTED = Rule(
    name="lambda-sns-encrypted",
    description="SNS topics that trigger a function or receive its alarms must be encrypted with KMS.",
    checks="Topics linked to a function (lambda subscription, sns.amazonaws.com permission) or to its alarms set "
    "`kmsMasterKeyId`; alarm topics use a customer managed key whose policy lets CloudWatch use it (the AWS managed "
    "key alias/aws/sns does not).",
    severity=Severity.MEDIUM,
    remediation="Set kmsMasterKeyId on the topic: alias/aws/sns at least; for alarm topics a customer managed key "
    "whose policy allows cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*.",
    url=f"{DOCS}/sns/latest/dg/sns-server-side-encryption.html",
    anchors=["Security Hub SNS.1", "AWS Config sns-encrypted-kms", "CKV_AWS_26", "cdk-nag AwsSolutions-SNS2"],
    resource_types=(TOPIC, TOPIC_SUBSCRIPTION, METRIC_ALARM, PERMISSION),
    default_level=EnforcementLevel.MANDATORY,
    stack_check=check_sns_encrypted,
)

SQS_ENCRYPTED = Rule(
    name="lambda-sqs-encrypted",
    description="SQS queues a function reads, fails to or sends results to must be encrypted at rest.",
    checks="Queues linked as a mapping's source, a dead-letter queue, an on-failure or on-success destination, or the "
    "redrive target of such a queue set `sqsManagedSseEnabled = true` or `kmsMasterKeyId`.",
    severity=Severity.MEDIUM,
    remediation="Set sqsManagedSseEnabled = true (SSE-SQS) or kmsMasterKeyId (SSE-KMS) on the queue.",
    url=f"{DOCS}/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html",
    anchors=["Security Hub SQS.1", "CKV_AWS_27", "cdk-nag AwsSolutions-SQS2"],
    resource_types=(QUEUE, EVENT_SOURCE_MAPPING, FUNCTION, EVENT_INVOKE_CONFIG),
    default_level=EnforcementLevel.MANDATORY,
    stack_check=check_sqs_encrypted,
)

LOG_GROUP_KMS = Rule(
    name="lambda-log-group-kms",
    description="Function log groups should be encrypted with a customer managed KMS key.",
    checks="Every log group of a function (linked to it, or named /aws/lambda/<name>) sets `kmsKeyId`.",
    severity=Severity.LOW,
    remediation="Create a KMS key whose policy allows logs.<region>.amazonaws.com and set the log group's kmsKeyId "
    "(LambdaService: log_kms_key_id).",
    url=f"{DOCS}/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
    anchors=["CKV_AWS_158", "cdk-nag NIST.800.53.R5-CloudWatchLogGroupEncrypted"],
    resource_types=(FUNCTION, LOG_GROUP),
    default_level=EnforcementLevel.ADVISORY,
    stack_check=check_log_group_kms,
)

STREAM_TABLE_PITR = Rule(
    name="lambda-dynamodb-stream-pitr",
    description="DynamoDB tables whose streams feed a function should have point-in-time recovery.",
    checks="A table linked to a mapping's `eventSourceArn` sets `pointInTimeRecovery.enabled = true`.",
    severity=Severity.LOW,
    remediation="Set pointInTimeRecovery = {enabled: true} on the table.",
    url=f"{DOCS}/amazondynamodb/latest/developerguide/PointInTimeRecovery.html",
    anchors=["Security Hub DynamoDB.2", "AWS Config dynamodb-pitr-enabled", "CKV_AWS_28", "cdk-nag AwsSolutions-DDB3"],
    resource_types=(TABLE, EVENT_SOURCE_MAPPING),
    default_level=EnforcementLevel.ADVISORY,
    stack_check=check_stream_tables,
)

RULES = [SNS_ENCRYPTED, SQS_ENCRYPTED, LOG_GROUP_KMS, STREAM_TABLE_PITR]

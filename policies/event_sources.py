"""Event source mappings: stream mappings fail to a destination with bounded retries and bisect on error;
SQS mappings report partial batch failures."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Severity

from ._common import EVENT_SOURCE_MAPPING, UNKNOWN, ResourceContext, Rule, as_int, integer, truthy

DOCS = "https://docs.aws.amazon.com/lambda/latest/dg"


def source_kind(ctx: ResourceContext) -> str | None:
    """'stream', 'sqs', 'other', or None when it cannot be told yet."""
    arn = ctx.props.get("eventSourceArn")
    if isinstance(arn, str):
        service = arn.split(":")[2] if arn.count(":") >= 2 else ""
        if service in ("kinesis", "dynamodb"):
            return "stream"
        if service == "sqs":
            return "sqs"
        return "other" if service else None
    # When the ARN is not known yet: Amazon MQ, Kafka and DocumentDB mappings carry their own blocks; Kinesis,
    # DynamoDB, Kafka and DocumentDB require a starting position and SQS refuses one. So a mapping with none of
    # those is SQS.
    other = (
        "selfManagedEventSource",
        "amazonManagedKafkaEventSourceConfig",
        "selfManagedKafkaEventSourceConfig",
        "documentDbEventSourceConfig",
        "queues",
        "topics",
    )
    if any(ctx.props.has(k) for k in other):
        return "other"
    position = ctx.props.get("startingPosition")
    if position is UNKNOWN:
        return None
    if position is not None:
        return "stream"
    return "sqs" if arn is UNKNOWN else "other"


def _source_is(ctx: ResourceContext, kind: str, what: str) -> bool:
    """Whether the mapping reads from a ``kind`` source; a source not known yet is reported as skipped."""
    found = source_kind(ctx)
    if found is None:
        ctx.skip(f"eventSourceArn (whether the source is {what})")
    return found == kind


def check_stream(ctx: ResourceContext) -> None:
    if not _source_is(ctx, "stream", "a stream"):
        return
    destination = ctx.props.get("destinationConfig", "onFailure", "destinationArn")
    if destination is None or destination == "":
        ctx.violation(
            "stream mapping has no on-failure destination; set destinationConfig.onFailure.destinationArn "
            "(SQS queue, SNS topic or S3 bucket) so failed batches are not lost."
        )
    max_retries = as_int(ctx.cfg.get("maxRetries"))
    max_retries = 10 if max_retries is None else max_retries
    retries = ctx.props.get("maximumRetryAttempts")
    if retries is UNKNOWN:
        ctx.skip("maximumRetryAttempts")
    else:
        value = as_int(retries)
        if retries is None or value is None or value < 0 or value > max_retries:
            shown = "unset (AWS retries until the record expires)" if retries is None else repr(retries)
            ctx.violation(f"maximumRetryAttempts must be 0-{max_retries} (maxRetries), got {shown}.")
    bisect = ctx.props.get("bisectBatchOnFunctionError")
    if bisect is UNKNOWN:
        ctx.skip("bisectBatchOnFunctionError")
    elif truthy(bisect) is not True:
        ctx.violation("bisectBatchOnFunctionError is not true; one bad record would block its shard.")


def check_sqs(ctx: ResourceContext) -> None:
    if not _source_is(ctx, "sqs", "an SQS queue"):
        return
    types = ctx.props.get("functionResponseTypes")
    if types is UNKNOWN:
        ctx.skip("functionResponseTypes")
        return
    if not isinstance(types, list) or "ReportBatchItemFailures" not in types:
        ctx.violation(
            "SQS mapping does not report partial batch failures; set functionResponseTypes = "
            "['ReportBatchItemFailures'] and return batchItemFailures from the handler."
        )


STREAM_FAILURES = Rule(
    name="lambda-stream-failure-handling",
    description="Stream event source mappings must bound retries, bisect failing batches and keep failed records.",
    checks="Kinesis/DynamoDB mappings set an on-failure destination, `maximumRetryAttempts` 0..`maxRetries` and "
    "`bisectBatchOnFunctionError`.",
    severity=Severity.HIGH,
    remediation="Set destinationConfig.onFailure.destinationArn, maximumRetryAttempts (e.g. 3) and "
    "bisectBatchOnFunctionError = true on the mapping.",
    url=f"{DOCS}/with-kinesis.html#services-kinesis-errors",
    anchors=["cdk-nag Serverless LambdaEventSourceMappingDestination"],
    resource_types=(EVENT_SOURCE_MAPPING,),
    config={"maxRetries": integer(10, "Largest maximumRetryAttempts allowed.", 0)},
    default_level=EnforcementLevel.MANDATORY,
    resource_check=check_stream,
)

SQS_PARTIAL_BATCH = Rule(
    name="lambda-sqs-partial-batch",
    description="SQS event source mappings must report partial batch failures.",
    checks="SQS mappings set `functionResponseTypes` to include `ReportBatchItemFailures`.",
    severity=Severity.MEDIUM,
    remediation="Set functionResponseTypes = ['ReportBatchItemFailures'] and return the failed message ids.",
    url=f"{DOCS}/services-sqs-errorhandling.html",
    anchors=["AWS Lambda best practices (SQS partial batch response)"],
    resource_types=(EVENT_SOURCE_MAPPING,),
    default_level=EnforcementLevel.MANDATORY,
    resource_check=check_sqs,
)

RULES = [STREAM_FAILURES, SQS_PARTIAL_BATCH]

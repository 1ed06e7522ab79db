"""Event source mappings (SQS queues, DynamoDB and Kinesis streams), bound to the alias ARN.

Each kind of source is a TypedDict of inputs, a frozen plan of checked, defaulted values (``validate_*``) and a
``create_*`` that registers the mapping from the plan alone. A new kind of source is a new trio beside these.
"""

# No `from __future__ import annotations` here: Pulumi's component schema inference reads these TypedDicts'
# annotations at run time and does not resolve string annotations.
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits
from .validation import Field, is_unknown, optional


class SqsSourceArgs(TypedDict):
    """An SQS queue that the function consumes (the mapping targets the alias)."""

    queue_arn: pulumi.Input[str]
    """The queue's ARN. In Python an `aws.sqs.Queue` may be passed instead; its visibility timeout is then checked
    against the function timeout (at least 6x, as AWS advises)."""
    batch_size: NotRequired[pulumi.Input[int]]
    """Records per batch: 1-10, or up to 10,000 for a standard queue with a batching window. Defaults to 10."""
    maximum_batching_window: NotRequired[pulumi.Input[int]]
    """Seconds to gather records before invoking, 0-300. Defaults to 0 (no window)."""
    report_batch_item_failures: NotRequired[pulumi.Input[bool]]
    """Report partial batch failures (`ReportBatchItemFailures`), so one bad message does not retry the batch.
    Defaults to true."""
    maximum_concurrency: NotRequired[pulumi.Input[int]]
    """Most concurrent invocations the queue may drive, 2-1,000. Defaults to unset (no cap)."""
    filters: NotRequired[Sequence[pulumi.Input[str]]]
    """Event filter patterns (JSON strings), at most 5. Defaults to none."""
    enabled: NotRequired[pulumi.Input[bool]]
    """Whether the mapping polls. Defaults to true."""


class StreamSourceArgs(TypedDict):
    """A DynamoDB or Kinesis stream that the function consumes (the mapping targets the alias)."""

    stream_arn: pulumi.Input[str]
    """The stream's ARN (a DynamoDB stream ARN or a Kinesis stream ARN). In Python an `aws.dynamodb.Table` (its
    stream) or an `aws.kinesis.Stream` may be passed instead."""
    starting_position: pulumi.Input[str]
    """Where to start reading: TRIM_HORIZON, LATEST or AT_TIMESTAMP (Kinesis). Required for streams."""
    starting_position_timestamp: NotRequired[pulumi.Input[str]]
    """RFC 3339 timestamp, required with AT_TIMESTAMP. Defaults to unset."""
    batch_size: NotRequired[pulumi.Input[int]]
    """Records per batch, 1-10,000. Defaults to 100."""
    maximum_batching_window: NotRequired[pulumi.Input[int]]
    """Seconds to gather records before invoking, 0-300. Defaults to 0."""
    bisect_batch_on_error: NotRequired[pulumi.Input[bool]]
    """Split a failing batch in two and retry each half. Defaults to true."""
    maximum_retry_attempts: NotRequired[pulumi.Input[int]]
    """Retries of a failing batch, 0-10,000 (unbounded retries are not offered). Defaults to 3."""
    maximum_record_age: NotRequired[pulumi.Input[int]]
    """Discard records older than this many seconds, 60-604,800. Defaults to 86,400 (one day)."""
    on_failure_destination_arn: NotRequired[pulumi.Input[str]]
    """SQS queue, SNS topic or S3 bucket ARN that receives records that failed all retries. Defaults to unset
    (the policy pack requires one in production)."""
    parallelization_factor: NotRequired[pulumi.Input[int]]
    """Concurrent batches per shard, 1-10. Defaults to 1."""
    tumbling_window: NotRequired[pulumi.Input[int]]
    """Tumbling window for aggregation, 0-900 seconds. Defaults to unset."""
    report_batch_item_failures: NotRequired[pulumi.Input[bool]]
    """Report the failing record's sequence number so only the rest of the batch is retried. Defaults to true."""
    filters: NotRequired[Sequence[pulumi.Input[str]]]
    """Event filter patterns (JSON strings), at most 5. Defaults to none."""
    enabled: NotRequired[pulumi.Input[bool]]
    """Whether the mapping polls. Defaults to true."""


@dataclass(frozen=True)
class SqsSourcePlan:
    """An SQS source, checked and defaulted. Output fields carry their checks (they fail the deployment)."""

    index: int
    queue_arn: Any
    batch_size: Any
    maximum_batching_window: Any
    report_batch_item_failures: Any
    maximum_concurrency: Any
    filters: tuple[Any, ...]
    enabled: Any
    #: The ``aws.sqs.Queue`` given as ``queue_arn``, whose visibility timeout is compared with the function timeout.
    queue: Any = None


@dataclass(frozen=True)
class StreamSourcePlan:
    """A DynamoDB or Kinesis stream source, checked and defaulted."""

    index: int
    stream_arn: Any
    starting_position: Any
    starting_position_timestamp: Any
    batch_size: Any
    maximum_batching_window: Any
    bisect_batch_on_error: Any
    maximum_retry_attempts: Any
    maximum_record_age: Any
    on_failure_destination_arn: Any
    parallelization_factor: Any
    tumbling_window: Any
    report_batch_item_failures: Any
    filters: tuple[Any, ...]
    enabled: Any


SourcePlan = SqsSourcePlan | StreamSourcePlan
DESTINATION_SERVICES = ("sqs", "sns", "s3")


def _filter(field: Field, value: Any) -> Any:
    def pattern(parsed: Any) -> None:
        if not isinstance(parsed, dict):
            raise field.fail(f"must be a JSON object pattern, got {parsed!r}")

    return field.json_text(value, check=pattern)


def _filters(field: Field, value: Any) -> tuple[Any, ...]:
    items = field.sequence([] if value is None else value, max_len=limits.MAX_FILTERS, what="a list of JSON patterns")
    return tuple(_filter(field.index(i), item) for i, item in enumerate(items))


def _sqs_batch(field: Field, batch: Any, arn: Any, window: Any) -> Any:
    """The batch size, checked against the queue kind (FIFO: 1-10) and the window (1-10,000 with one)."""

    def check(values: list[Any]) -> Any:
        size, queue, seconds = values
        if isinstance(size, bool) or not isinstance(size, int):
            raise field.wrong("an integer (1-10 or, with a batching window, 1-10000)", size)
        if isinstance(queue, str) and queue.endswith(".fifo"):
            rng, why = limits.SQS_FIFO_BATCH, " for a FIFO queue"
        elif seconds:
            rng, why = limits.SQS_BATCH_WITH_WINDOW, " with a batching window"
        else:
            rng, why = limits.SQS_BATCH, " without a batching window (set maximum_batching_window for up to 10,000)"
        if size not in rng:
            raise field.fail(f"must be {rng.describe()}{why}, got {size}")
        return size

    if any(is_unknown(v) for v in (batch, arn, window)):
        return pulumi.Output.all(batch, arn, window).apply(check)
    return check([batch, arn, window])


def validate_sqs_source(owner: str, index: int, raw: Any) -> SqsSourcePlan:
    """``sqs_sources[index]`` -> its plan; plain values are checked now, Outputs when they resolve."""
    field = Field(owner, f"sqs_sources[{index}]")
    src = field.mapping(raw, SqsSourceArgs)
    given = src["queue_arn"]
    queue = given if isinstance(given, aws.sqs.Queue) else None
    arn = field.key("queue_arn").arn(queue.arn if queue is not None else given, ("sqs",), what="SQS queue ARN")
    window = field.key("maximum_batching_window").integer(
        optional(src, "maximum_batching_window", 0), limits.BATCHING_WINDOW_S
    )
    concurrency = src.get("maximum_concurrency")
    return SqsSourcePlan(
        index=index,
        queue_arn=arn,
        batch_size=_sqs_batch(field.key("batch_size"), optional(src, "batch_size", 10), arn, window),
        maximum_batching_window=window,
        report_batch_item_failures=field.key("report_batch_item_failures").boolean(
            optional(src, "report_batch_item_failures", True), plain=False
        ),
        maximum_concurrency=None
        if concurrency is None
        else field.key("maximum_concurrency").integer(concurrency, limits.SQS_MAX_CONCURRENCY),
        filters=_filters(field.key("filters"), src.get("filters")),
        enabled=field.key("enabled").boolean(optional(src, "enabled", True), plain=False),
        queue=queue,
    )


def _stream_arn(field: Field, given: Any) -> Any:
    if isinstance(given, aws.dynamodb.Table):
        given = given.stream_arn
    elif isinstance(given, aws.kinesis.Stream):
        given = given.arn

    def check(arn: Any) -> Any:
        field.arn(arn, ("dynamodb", "kinesis"), what="DynamoDB stream or Kinesis stream ARN", plain=True)
        resource = arn.split(":", 5)[5]
        if not (resource.startswith("table/") and "/stream/" in resource) and not resource.startswith("stream/"):
            raise field.fail(f"must be a DynamoDB stream or Kinesis stream ARN, got {arn!r}")
        return arn

    return field.later(given, check)


def _timestamp(field: Field, value: Any, position: Any) -> Any:
    if value is None:
        if position == "AT_TIMESTAMP":
            raise field.fail("is required with AT_TIMESTAMP")
        return None
    if not is_unknown(position) and position != "AT_TIMESTAMP":
        raise field.fail(f"only applies with starting_position AT_TIMESTAMP, got starting_position {position!r}")

    def check(text: Any) -> Any:
        field.string(text, what="an RFC 3339 timestamp", plain=True)
        try:
            dt.datetime.fromisoformat(text)
        except ValueError:
            raise field.fail(f"must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z, got {text!r}") from None
        return text

    return field.later(value, check)


def validate_stream_source(owner: str, index: int, raw: Any) -> StreamSourcePlan:
    """``stream_sources[index]`` -> its plan; plain values are checked now, Outputs when they resolve."""
    field = Field(owner, f"stream_sources[{index}]")
    src = field.mapping(raw, StreamSourceArgs)
    if src.get("starting_position") is None:
        raise field.key("starting_position").fail(
            f"is required for streams: one of {', '.join(limits.STARTING_POSITIONS)}"
        )
    position = field.key("starting_position").choice(src["starting_position"], limits.STARTING_POSITIONS)
    destination = src.get("on_failure_destination_arn")
    tumbling = src.get("tumbling_window")

    def integer(key: str, default: int, rng: limits.Range) -> Any:
        return field.key(key).integer(optional(src, key, default), rng)

    def boolean(key: str) -> Any:
        return field.key(key).boolean(optional(src, key, True), plain=False)

    return StreamSourcePlan(
        index=index,
        stream_arn=_stream_arn(field.key("stream_arn"), src["stream_arn"]),
        starting_position=position,
        starting_position_timestamp=_timestamp(
            field.key("starting_position_timestamp"), src.get("starting_position_timestamp"), position
        ),
        batch_size=integer("batch_size", 100, limits.STREAM_BATCH),
        maximum_batching_window=integer("maximum_batching_window", 0, limits.BATCHING_WINDOW_S),
        bisect_batch_on_error=boolean("bisect_batch_on_error"),
        maximum_retry_attempts=integer("maximum_retry_attempts", 3, limits.STREAM_RETRIES),
        maximum_record_age=integer("maximum_record_age", 86_400, limits.STREAM_RECORD_AGE_S),
        on_failure_destination_arn=None
        if destination is None
        else field.key("on_failure_destination_arn").arn(
            destination, DESTINATION_SERVICES, what="SQS queue, SNS topic or S3 bucket ARN"
        ),
        parallelization_factor=integer("parallelization_factor", 1, limits.PARALLELIZATION_FACTOR),
        tumbling_window=None
        if tumbling is None
        else field.key("tumbling_window").integer(tumbling, limits.TUMBLING_WINDOW_S),
        report_batch_item_failures=boolean("report_batch_item_failures"),
        filters=_filters(field.key("filters"), src.get("filters")),
        enabled=boolean("enabled"),
    )


def validate_sources(owner: str, sqs: Any, streams: Any) -> tuple[SourcePlan, ...]:
    """Every event source of a service (``sqs_sources`` then ``stream_sources``), each as its plan."""
    root = Field(owner)
    queues = root.key("sqs_sources").sequence([] if sqs is None else sqs, what="a list of settings")
    plans: list[SourcePlan] = [validate_sqs_source(owner, i, raw) for i, raw in enumerate(queues)]
    for i, raw in enumerate(root.key("stream_sources").sequence([] if streams is None else streams, what="a list")):
        plans.append(validate_stream_source(owner, i, raw))
    return tuple(plans)


def _visibility_checked(service: str, plan: SqsSourcePlan, function_timeout: Any) -> Any:
    """The queue ARN, held back until the queue's visibility timeout is known to be >= 6x the function timeout."""
    if plan.queue is None:
        return plan.queue_arn
    field = Field(service, f"sqs_sources[{plan.index}].queue_arn")

    def check(values: list[Any]) -> Any:
        arn, visibility, timeout = values
        visibility = limits.SQS_DEFAULT_VISIBILITY_TIMEOUT_S if visibility is None else visibility
        need = limits.SQS_VISIBILITY_TIMEOUT_FACTOR * timeout
        if isinstance(visibility, int) and visibility < need:
            raise field.fail(
                f"queue visibility timeout must be at least {limits.SQS_VISIBILITY_TIMEOUT_FACTOR}x the function "
                f"timeout ({need} s), got {visibility} s"
            )
        return arn

    return pulumi.Output.all(plan.queue_arn, plan.queue.visibility_timeout_seconds, function_timeout).apply(check)


def _filter_criteria(filters: tuple[Any, ...]) -> Any:
    if not filters:
        return None
    return aws.lambda_.EventSourceMappingFilterCriteriaArgs(
        filters=[aws.lambda_.EventSourceMappingFilterCriteriaFilterArgs(pattern=p) for p in filters]
    )


def _window(seconds: Any) -> Any:
    # 0 means "no window": leave the property unset rather than sending 0 (what the provider diff expects).
    return None if not is_unknown(seconds) and not seconds else seconds


def create_sqs_mapping(
    service: str, plan: SqsSourcePlan, alias_arn: pulumi.Input[str], function_timeout: Any, opts: pulumi.ResourceOptions
) -> "aws.lambda_.EventSourceMapping":
    """The SQS mapping ``<service>-sqs-<i>`` on the alias."""
    scaling = (
        aws.lambda_.EventSourceMappingScalingConfigArgs(maximum_concurrency=plan.maximum_concurrency)
        if plan.maximum_concurrency is not None
        else None
    )
    return aws.lambda_.EventSourceMapping(
        f"{service}-sqs-{plan.index}",
        function_name=alias_arn,
        event_source_arn=_visibility_checked(service, plan, function_timeout),
        batch_size=plan.batch_size,
        maximum_batching_window_in_seconds=_window(plan.maximum_batching_window),
        function_response_types=_response_types(plan.report_batch_item_failures),
        filter_criteria=_filter_criteria(plan.filters),
        enabled=plan.enabled,
        scaling_config=scaling,
        opts=opts,
    )


def _response_types(report: Any) -> Any:
    if is_unknown(report):
        return pulumi.Output.from_input(report).apply(lambda on: ["ReportBatchItemFailures"] if on else None)
    return ["ReportBatchItemFailures"] if report else None


def create_stream_mapping(
    service: str, plan: StreamSourcePlan, alias_arn: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> "aws.lambda_.EventSourceMapping":
    """The stream mapping ``<service>-stream-<i>`` on the alias, with its on-failure destination."""
    destination = (
        aws.lambda_.EventSourceMappingDestinationConfigArgs(
            on_failure=aws.lambda_.EventSourceMappingDestinationConfigOnFailureArgs(
                destination_arn=plan.on_failure_destination_arn
            )
        )
        if plan.on_failure_destination_arn is not None
        else None
    )
    return aws.lambda_.EventSourceMapping(
        f"{service}-stream-{plan.index}",
        function_name=alias_arn,
        event_source_arn=plan.stream_arn,
        batch_size=plan.batch_size,
        maximum_batching_window_in_seconds=_window(plan.maximum_batching_window),
        function_response_types=_response_types(plan.report_batch_item_failures),
        filter_criteria=_filter_criteria(plan.filters),
        enabled=plan.enabled,
        starting_position=plan.starting_position,
        starting_position_timestamp=plan.starting_position_timestamp,
        bisect_batch_on_function_error=plan.bisect_batch_on_error,
        maximum_retry_attempts=plan.maximum_retry_attempts,
        maximum_record_age_in_seconds=plan.maximum_record_age,
        parallelization_factor=plan.parallelization_factor,
        tumbling_window_in_seconds=plan.tumbling_window,
        destination_config=destination,
        opts=opts,
    )


def create_mappings(
    service: str,
    sources: Sequence[SourcePlan],
    alias_arn: pulumi.Input[str],
    function_timeout: Any,
    opts: pulumi.ResourceOptions,
) -> "list[aws.lambda_.EventSourceMapping]":
    """One mapping per source plan, in order."""
    created = []
    for plan in sources:
        if isinstance(plan, SqsSourcePlan):
            created.append(create_sqs_mapping(service, plan, alias_arn, function_timeout, opts))
        else:
            created.append(create_stream_mapping(service, plan, alias_arn, opts))
    return created

"""Event source mappings (SQS queues, DynamoDB and Kinesis streams), bound to the alias ARN."""

# No `from __future__ import annotations` here: Pulumi's component schema inference reads these TypedDicts'
# annotations at run time and does not resolve string annotations.
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits
from .validation import (
    as_list,
    as_mapping,
    check_choice,
    check_int_range,
    check_known_keys,
    check_later,
    fail,
    is_unknown,
    require_type,
)


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


SQS_KEYS = tuple(SqsSourceArgs.__annotations__)
STREAM_KEYS = tuple(StreamSourceArgs.__annotations__)


@dataclass
class ResolvedSource:
    """A source after defaults and duck-typed resource arguments are resolved."""

    kind: str  # "sqs" or "stream"
    index: int
    arn: Any
    settings: dict[str, Any]
    queue: Any = None  # an aws.sqs.Queue passed as queue_arn, for the visibility timeout check


def _arn_of(value: Any, attr: str) -> Any:
    """`aws.sqs.Queue` -> arn, `aws.dynamodb.Table` -> stream_arn, anything else unchanged."""
    if isinstance(value, pulumi.Resource):
        return getattr(value, attr)
    return value


def _check_filters(service: str, field: str, filters: Any) -> None:
    items = as_list(service, field, filters)
    if len(items) > limits.MAX_FILTERS:
        raise fail(service, field, f"may hold at most {limits.MAX_FILTERS} patterns, got {len(items)}")
    for i, pattern in enumerate(items):

        def check(p: Any, i: int = i) -> None:
            try:
                parsed = json.loads(p)
            except (TypeError, ValueError) as exc:
                raise fail(service, f"{field}[{i}]", f"must be a JSON object pattern, got {p!r} ({exc})") from None
            if not isinstance(parsed, dict):
                raise fail(service, f"{field}[{i}]", f"must be a JSON object pattern, got {p!r}")

        check_later(pattern, check)


def validate_sqs(service: str, index: int, raw: Any, function_timeout: Any) -> ResolvedSource:
    field = f"sqs_sources[{index}]"
    src = as_mapping(service, field, raw)
    check_known_keys(service, field, src, SQS_KEYS)
    if "queue_arn" not in src or src["queue_arn"] is None:
        raise fail(service, f"{field}.queue_arn", "is required")
    queue = src["queue_arn"] if isinstance(src["queue_arn"], aws.sqs.Queue) else None
    arn = _arn_of(src["queue_arn"], "arn")
    require_type(service, f"{field}.queue_arn", arn, str, "an SQS queue ARN")
    settings = {
        "batch_size": src.get("batch_size", 10),
        "maximum_batching_window": src.get("maximum_batching_window", 0),
        "report_batch_item_failures": src.get("report_batch_item_failures", True),
        "maximum_concurrency": src.get("maximum_concurrency"),
        "filters": as_list(service, f"{field}.filters", src.get("filters")),
        "enabled": src.get("enabled", True),
    }
    window = settings["maximum_batching_window"]
    check_int_range(service, f"{field}.maximum_batching_window", window, limits.BATCHING_WINDOW_S)
    batch = settings["batch_size"]

    def check_batch(resolved_arn: Any) -> None:
        fifo = isinstance(resolved_arn, str) and resolved_arn.endswith(".fifo")
        if is_unknown(batch):
            return
        if fifo:
            rng, why = limits.SQS_FIFO_BATCH, " for a FIFO queue"
        elif not is_unknown(window) and window:
            rng, why = limits.SQS_BATCH_WITH_WINDOW, " with a batching window"
        else:
            rng, why = limits.SQS_BATCH, " without a batching window (set maximum_batching_window for up to 10,000)"
        if isinstance(batch, bool) or not isinstance(batch, int):
            raise TypeError(f"{service}: {field}.batch_size must be an integer, got {batch!r}")
        if batch not in rng:
            raise fail(service, f"{field}.batch_size", f"must be {rng.describe()}{why}, got {batch}")

    if is_unknown(arn):
        if is_unknown(batch) or not (isinstance(batch, int) and batch in limits.SQS_FIFO_BATCH):
            # Only a batch over 10 depends on the queue being FIFO; wait for the ARN to say.
            arn = check_later(arn, check_batch)
        else:
            check_batch(None)
    else:
        if not arn.startswith("arn:") or ":sqs:" not in arn:
            raise fail(service, f"{field}.queue_arn", f"must be an SQS queue ARN (arn:aws:sqs:...), got {arn!r}")
        check_batch(arn)
    if settings["maximum_concurrency"] is not None:
        check_int_range(
            service, f"{field}.maximum_concurrency", settings["maximum_concurrency"], limits.SQS_MAX_CONCURRENCY
        )
    _check_filters(service, f"{field}.filters", settings["filters"])
    return ResolvedSource("sqs", index, arn, settings, queue)


def validate_stream(service: str, index: int, raw: Any) -> ResolvedSource:
    field = f"stream_sources[{index}]"
    src = as_mapping(service, field, raw)
    check_known_keys(service, field, src, STREAM_KEYS)
    if src.get("stream_arn") is None:
        raise fail(service, f"{field}.stream_arn", "is required")
    arn = _arn_of(src["stream_arn"], "stream_arn" if isinstance(src["stream_arn"], aws.dynamodb.Table) else "arn")
    require_type(service, f"{field}.stream_arn", arn, str, "a DynamoDB or Kinesis stream ARN")
    if src.get("starting_position") is None:
        raise fail(
            service,
            f"{field}.starting_position",
            f"is required for streams: one of {', '.join(limits.STARTING_POSITIONS)}",
        )

    def check_arn(a: Any) -> None:
        if not isinstance(a, str) or not (
            (":dynamodb:" in a and "/stream/" in a) or (":kinesis:" in a and ":stream/" in a)
        ):
            raise fail(service, f"{field}.stream_arn", f"must be a DynamoDB stream or Kinesis stream ARN, got {a!r}")

    arn = check_later(arn, check_arn)
    settings = {
        "starting_position": src["starting_position"],
        "starting_position_timestamp": src.get("starting_position_timestamp"),
        "batch_size": src.get("batch_size", 100),
        "maximum_batching_window": src.get("maximum_batching_window", 0),
        "bisect_batch_on_error": src.get("bisect_batch_on_error", True),
        "maximum_retry_attempts": src.get("maximum_retry_attempts", 3),
        "maximum_record_age": src.get("maximum_record_age", 86_400),
        "on_failure_destination_arn": src.get("on_failure_destination_arn"),
        "parallelization_factor": src.get("parallelization_factor", 1),
        "tumbling_window": src.get("tumbling_window"),
        "report_batch_item_failures": src.get("report_batch_item_failures", True),
        "filters": as_list(service, f"{field}.filters", src.get("filters")),
        "enabled": src.get("enabled", True),
    }
    check_choice(service, f"{field}.starting_position", settings["starting_position"], limits.STARTING_POSITIONS)
    if settings["starting_position"] == "AT_TIMESTAMP" and settings["starting_position_timestamp"] is None:
        raise fail(service, f"{field}.starting_position_timestamp", "is required with AT_TIMESTAMP")
    check_int_range(service, f"{field}.batch_size", settings["batch_size"], limits.STREAM_BATCH)
    check_int_range(
        service, f"{field}.maximum_batching_window", settings["maximum_batching_window"], limits.BATCHING_WINDOW_S
    )
    check_int_range(
        service, f"{field}.maximum_retry_attempts", settings["maximum_retry_attempts"], limits.STREAM_RETRIES
    )
    check_int_range(service, f"{field}.maximum_record_age", settings["maximum_record_age"], limits.STREAM_RECORD_AGE_S)
    check_int_range(
        service, f"{field}.parallelization_factor", settings["parallelization_factor"], limits.PARALLELIZATION_FACTOR
    )
    if settings["tumbling_window"] is not None:
        check_int_range(service, f"{field}.tumbling_window", settings["tumbling_window"], limits.TUMBLING_WINDOW_S)
    dest = settings["on_failure_destination_arn"]
    if dest is not None:
        check_later(
            dest, lambda d: _check_destination(service, f"{field}.on_failure_destination_arn", d, ("sqs", "sns", "s3"))
        )
    _check_filters(service, f"{field}.filters", settings["filters"])
    return ResolvedSource("stream", index, arn, settings)


def _check_destination(service: str, field: str, arn: Any, services: tuple[str, ...]) -> None:
    kind = destination_service(arn)
    if kind not in services:
        raise fail(service, field, f"must be the ARN of one of: {', '.join(services)}; got {arn!r}")


def destination_service(arn: Any) -> str | None:
    """'sqs', 'sns', 'lambda', 'events', 's3' for an ARN string, else None."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    parts = arn.split(":")
    return parts[2] if len(parts) > 2 else None


def check_visibility_timeout(service: str, source: ResolvedSource, function_timeout: Any) -> None:
    """SQS visibility timeout must be at least 6x the function timeout (Lambda's SQS guidance)."""
    if source.queue is None:
        return
    field = f"sqs_sources[{source.index}].queue_arn"

    def check(values: list[Any]) -> None:
        visibility, timeout = values
        visibility = 30 if visibility is None else visibility  # SQS's default visibility timeout
        if isinstance(timeout, int) and isinstance(visibility, int):
            need = limits.SQS_VISIBILITY_TIMEOUT_FACTOR * timeout
            if visibility < need:
                raise fail(
                    service,
                    field,
                    f"queue visibility timeout must be at least {limits.SQS_VISIBILITY_TIMEOUT_FACTOR}x the function "
                    f"timeout ({need} s), got {visibility} s",
                )

    pulumi.Output.all(source.queue.visibility_timeout_seconds, function_timeout).apply(check)


def create_mapping(
    service: str,
    source: ResolvedSource,
    alias_arn: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> "aws.lambda_.EventSourceMapping":
    s = source.settings
    filters = (
        aws.lambda_.EventSourceMappingFilterCriteriaArgs(
            filters=[aws.lambda_.EventSourceMappingFilterCriteriaFilterArgs(pattern=p) for p in s["filters"]]
        )
        if s["filters"]
        else None
    )
    common: dict[str, Any] = {
        "function_name": alias_arn,
        "event_source_arn": source.arn,
        "batch_size": s["batch_size"],
        "maximum_batching_window_in_seconds": s["maximum_batching_window"] or None,
        "function_response_types": ["ReportBatchItemFailures"] if s["report_batch_item_failures"] else None,
        "filter_criteria": filters,
        "enabled": s["enabled"],
    }
    if source.kind == "sqs":
        scaling = (
            aws.lambda_.EventSourceMappingScalingConfigArgs(maximum_concurrency=s["maximum_concurrency"])
            if s["maximum_concurrency"] is not None
            else None
        )
        return aws.lambda_.EventSourceMapping(
            f"{service}-sqs-{source.index}", scaling_config=scaling, **common, opts=opts
        )
    destination = (
        aws.lambda_.EventSourceMappingDestinationConfigArgs(
            on_failure=aws.lambda_.EventSourceMappingDestinationConfigOnFailureArgs(
                destination_arn=s["on_failure_destination_arn"]
            )
        )
        if s["on_failure_destination_arn"] is not None
        else None
    )
    return aws.lambda_.EventSourceMapping(
        f"{service}-stream-{source.index}",
        starting_position=s["starting_position"],
        starting_position_timestamp=s["starting_position_timestamp"],
        bisect_batch_on_function_error=s["bisect_batch_on_error"],
        maximum_retry_attempts=s["maximum_retry_attempts"],
        maximum_record_age_in_seconds=s["maximum_record_age"],
        parallelization_factor=s["parallelization_factor"],
        tumbling_window_in_seconds=s["tumbling_window"],
        destination_config=destination,
        **common,
        opts=opts,
    )


def settings_summary(source: ResolvedSource) -> Mapping[str, Any]:
    return {"kind": source.kind, **source.settings}

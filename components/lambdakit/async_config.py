"""Asynchronous invocation: retries, event age and destinations on the alias, and an optional DLQ."""

# No `from __future__ import annotations`: the TypedDicts below are read by Pulumi's schema inference at run time.
from typing import Any, NotRequired, TypedDict

import pulumi

from . import limits
from .event_sources import _check_destination
from .validation import as_mapping, check_int_range, check_known_keys, check_later


class AsyncInvokeArgs(TypedDict):
    """How Lambda handles asynchronous (Event) invocations of the alias."""

    maximum_retry_attempts: NotRequired[pulumi.Input[int]]
    """Retries after a failed asynchronous invocation, 0-2. Defaults to 2."""
    maximum_event_age: NotRequired[pulumi.Input[int]]
    """Seconds an event may wait in the internal queue, 60-21,600. Defaults to 21,600 (6 hours)."""
    on_success_destination_arn: NotRequired[pulumi.Input[str]]
    """SQS, SNS, Lambda or EventBridge ARN for successful results. Defaults to unset."""
    on_failure_destination_arn: NotRequired[pulumi.Input[str]]
    """SQS, SNS, Lambda or EventBridge ARN for events that failed all retries. Defaults to unset (use
    `dead_letter_queue` or set this; the policy pack requires one of them)."""


class DeadLetterQueueArgs(TypedDict):
    """An SQS dead-letter queue that the component creates and wires as the function's DLQ."""

    enabled: NotRequired[bool]
    """Create the DLQ. Defaults to true when `dead_letter_queue` is given."""
    message_retention_seconds: NotRequired[pulumi.Input[int]]
    """How long failed events are kept, 60-1,209,600 seconds. Defaults to 1,209,600 (14 days, the SQS maximum)."""
    kms_master_key_id: NotRequired[pulumi.Input[str]]
    """KMS key for the queue. Defaults to SQS-managed encryption (SSE-SQS)."""


ASYNC_KEYS = tuple(AsyncInvokeArgs.__annotations__)
DLQ_KEYS = tuple(DeadLetterQueueArgs.__annotations__)
ASYNC_DESTINATIONS = ("sqs", "sns", "lambda", "events")


def _check_async_destination(service: str, field: str, arn: Any) -> None:
    def check(a: Any) -> None:
        _check_destination(service, field, a, ASYNC_DESTINATIONS)

    check_later(arn, check)


def validate_async(service: str, raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    cfg = as_mapping(service, "async_invoke", raw)
    check_known_keys(service, "async_invoke", cfg, ASYNC_KEYS)
    out = {
        "maximum_retry_attempts": cfg.get("maximum_retry_attempts", 2),
        "maximum_event_age": cfg.get("maximum_event_age", 21_600),
        "on_success_destination_arn": cfg.get("on_success_destination_arn"),
        "on_failure_destination_arn": cfg.get("on_failure_destination_arn"),
    }
    check_int_range(service, "async_invoke.maximum_retry_attempts", out["maximum_retry_attempts"], limits.ASYNC_RETRIES)
    check_int_range(service, "async_invoke.maximum_event_age", out["maximum_event_age"], limits.ASYNC_EVENT_AGE_S)
    for key in ("on_success_destination_arn", "on_failure_destination_arn"):
        if out[key] is not None:
            _check_async_destination(service, f"async_invoke.{key}", out[key])
    return out


def validate_dlq(service: str, raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    cfg = as_mapping(service, "dead_letter_queue", raw)
    check_known_keys(service, "dead_letter_queue", cfg, DLQ_KEYS)
    if not cfg.get("enabled", True):
        return None
    out = {
        "message_retention_seconds": cfg.get("message_retention_seconds", 1_209_600),
        "kms_master_key_id": cfg.get("kms_master_key_id"),
    }
    check_int_range(
        service,
        "dead_letter_queue.message_retention_seconds",
        out["message_retention_seconds"],
        limits.SQS_MESSAGE_RETENTION_S,
    )
    return out

"""Asynchronous invocation: retries, event age and destinations on the alias, and an optional DLQ."""

# No `from __future__ import annotations`: the TypedDicts below are read by Pulumi's schema inference at run time.
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits
from .validation import Field, optional


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


ASYNC_DESTINATIONS = ("sqs", "sns", "lambda", "events")


@dataclass(frozen=True)
class AsyncPlan:
    """Asynchronous invocation settings of the alias, checked and defaulted."""

    maximum_retry_attempts: Any
    maximum_event_age: Any
    on_success_destination_arn: Any
    on_failure_destination_arn: Any


@dataclass(frozen=True)
class DeadLetterQueuePlan:
    """The dead-letter queue the component creates."""

    message_retention_seconds: Any
    kms_master_key_id: Any


def validate_async(owner: str, raw: Any) -> AsyncPlan | None:
    """``async_invoke`` -> its plan (None when not given)."""
    if raw is None:
        return None
    field = Field(owner, "async_invoke")
    cfg = field.mapping(raw, AsyncInvokeArgs)

    def destination(key: str) -> Any:
        value = cfg.get(key)
        what = "SQS, SNS, Lambda or EventBridge ARN"
        return None if value is None else field.key(key).arn(value, ASYNC_DESTINATIONS, what=what)

    return AsyncPlan(
        maximum_retry_attempts=field.key("maximum_retry_attempts").integer(
            optional(cfg, "maximum_retry_attempts", 2), limits.ASYNC_RETRIES
        ),
        maximum_event_age=field.key("maximum_event_age").integer(
            optional(cfg, "maximum_event_age", 21_600), limits.ASYNC_EVENT_AGE_S
        ),
        on_success_destination_arn=destination("on_success_destination_arn"),
        on_failure_destination_arn=destination("on_failure_destination_arn"),
    )


def validate_dlq(owner: str, raw: Any) -> DeadLetterQueuePlan | None:
    """``dead_letter_queue`` -> its plan (None when not given or not enabled)."""
    if raw is None:
        return None
    field = Field(owner, "dead_letter_queue")
    cfg = field.mapping(raw, DeadLetterQueueArgs)
    if not field.key("enabled").boolean(optional(cfg, "enabled", True)):
        return None
    key = cfg.get("kms_master_key_id")
    return DeadLetterQueuePlan(
        message_retention_seconds=field.key("message_retention_seconds").integer(
            optional(cfg, "message_retention_seconds", 1_209_600), limits.SQS_MESSAGE_RETENTION_S
        ),
        # A key id, alias or ARN; never "*".
        kms_master_key_id=None
        if key is None
        else field.key("kms_master_key_id").string(
            key, max_len=2048, pattern=limits.KMS_KEY_REF_RE, what="a KMS key id, alias or ARN"
        ),
    )


def create_dlq(
    service: str, plan: DeadLetterQueuePlan, queue_name: str, tags: Any, opts: pulumi.ResourceOptions
) -> "aws.sqs.Queue":
    """The dead-letter queue ``<service>-dlq``, encrypted with SSE-SQS unless a KMS key is given."""
    return aws.sqs.Queue(
        f"{service}-dlq",
        name=queue_name,
        message_retention_seconds=plan.message_retention_seconds,
        kms_master_key_id=plan.kms_master_key_id,
        sqs_managed_sse_enabled=None if plan.kms_master_key_id else True,
        tags=tags,
        opts=opts,
    )


def create_async_config(
    service: str, plan: AsyncPlan, function_name: Any, alias_name: Any, opts: pulumi.ResourceOptions
) -> "aws.lambda_.FunctionEventInvokeConfig":
    """The alias's ``FunctionEventInvokeConfig`` ``<service>-async``."""
    success, failure = plan.on_success_destination_arn, plan.on_failure_destination_arn
    destinations = None
    if success is not None or failure is not None:
        destinations = aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
            on_success=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnSuccessArgs(destination=success)
            if success is not None
            else None,
            on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(destination=failure)
            if failure is not None
            else None,
        )
    return aws.lambda_.FunctionEventInvokeConfig(
        f"{service}-async",
        function_name=function_name,
        qualifier=alias_name,
        maximum_retry_attempts=plan.maximum_retry_attempts,
        maximum_event_age_in_seconds=plan.maximum_event_age,
        destination_config=destinations,
        opts=opts,
    )

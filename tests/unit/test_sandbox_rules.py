"""automation/sandbox/rules.py: the Lambda API rules the emulator does not enforce, checked by the sandbox.

Each rule refuses what AWS refuses, with a message naming the resource, the field, the rule and the value.
"""

from __future__ import annotations

from typing import Any

import pytest

from lambdakit.sandbox.exceptions import RuleViolationError
from lambdakit.sandbox.rules import (
    allowed,
    check_alias,
    check_event_source_mapping,
    check_function,
    check_lambda_scaling_resource,
    check_provisioned_concurrency,
)

QUEUE = "arn:aws:sqs:us-east-1:123456789012:orders"
STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/users/stream/2026-01-01T00:00:00.000"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"memorySize": 64}, r"function f: memorySize must be 128-10240 MB, got 64"),
        ({"timeout": 901}, r"function f: timeout must be 1-900 seconds, got 901"),
        ({"ephemeralStorage": {"size": 20000}}, r"ephemeralStorage.size must be 512-10240 MB, got 20000"),
        ({"layers": [f"arn:layer:{i}" for i in range(6)]}, r"layers must be at most 5, got 6"),
        ({"environment": {"variables": {"AWS_REGION": "eu-west-1"}}}, r"\['AWS_REGION'\] are reserved by Lambda"),
        ({"environment": {"variables": {"BIG": "x" * 5000}}}, r"must total at most 4096 bytes, got 50\d\d"),
    ],
)
def test_function_settings_aws_refuses(inputs: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleViolationError, match=message):
        check_function("f", inputs)


def test_function_within_limits_passes() -> None:
    check_function("f", {"memorySize": 512, "timeout": 30, "environment": {"variables": {"DB_HOST": "db"}}})


@pytest.mark.parametrize(
    ("version", "weights", "message"),
    [
        ("9", {}, r"functionVersion 9 does not exist \(published: 1, 2, 3\)"),
        ("$LATEST", {"2": 0.1}, r"\$LATEST is not supported for an alias pointing to more than 1 version"),
        ("1", {"2": 0.1, "3": 0.1}, r"routingConfig may route to at most one additional version, got \['2', '3'\]"),
        ("1", {"1": 0.1}, r"additional version 1 must differ from functionVersion 1"),
        ("1", {"7": 0.1}, r"additional version 7 must be an existing published version"),
        ("1", {"2": 1.5}, r"additional version weight must be between 0 and 1 \(exclusive\), got 1.5"),
    ],
)
def test_alias_routing_aws_refuses(version: str, weights: dict[str, float], message: str) -> None:
    with pytest.raises(RuleViolationError, match=rf"alias f:live: {message}"):
        check_alias("f", "live", version, weights, ["1", "2", "3"])


def test_alias_with_one_weighted_published_version_passes() -> None:
    check_alias("f", "live", "2", {"3": 0.1}, ["1", "2", "3"])


@pytest.mark.parametrize(
    ("source", "inputs", "visibility", "message"),
    [
        (QUEUE, {"batchSize": 11}, 180, r"batchSize must be 1-10 \(up to 10000 with maximumBatchingWindowInSeconds"),
        (QUEUE + ".fifo", {"batchSize": 20, "maximumBatchingWindowInSeconds": 5}, 180, r"batchSize must be 1-10,"),
        (QUEUE, {"batchSize": 10}, 20, r"Queue visibility timeout: 20 seconds is less than Function timeout: 30"),
        (QUEUE, {"startingPosition": "LATEST"}, 180, r"startingPosition is not supported for SQS"),
        (STREAM, {"batchSize": 100}, None, r"startingPosition is required for a stream source"),
        (STREAM, {"batchSize": 20000, "startingPosition": "LATEST"}, None, r"batchSize must be 1-10000, got 20000"),
    ],
)
def test_event_source_mapping_settings_aws_refuses(
    source: str, inputs: dict[str, Any], visibility: int | None, message: str
) -> None:
    with pytest.raises(RuleViolationError, match=message):
        check_event_source_mapping("f:live", source, inputs, 30, visibility)


def test_sqs_batch_above_10_passes_with_a_batching_window() -> None:
    check_event_source_mapping("f:live", QUEUE, {"batchSize": 100, "maximumBatchingWindowInSeconds": 1}, 30, 180)


ALIASES: dict[str, dict[str, Any]] = {
    "live": {"Name": "live"},
    "canary": {"Name": "canary", "RoutingConfig": {"AdditionalVersionWeights": {"3": 0.1}}},
}


@pytest.mark.parametrize(
    ("qualifier", "count", "reserved", "message"),
    [
        ("$LATEST", 2, None, r"never \$LATEST or empty \(got '\$LATEST'\)"),
        (None, 2, None, r"never \$LATEST or empty \(got None\)"),
        ("staging", 2, None, r"alias staging does not exist"),
        ("9", 2, None, r"version 9 does not exist"),
        ("live", 0, None, r"must be at least 1, got 0"),
        ("live", 30, 20, r"provisionedConcurrentExecutions 30 exceeds the function's reserved concurrency 20"),
        ("canary", 2, None, r"Alias with weights can not be used with Provisioned Concurrency"),
    ],
)
def test_provisioned_concurrency_aws_refuses(
    qualifier: str | None, count: int, reserved: int | None, message: str
) -> None:
    with pytest.raises(RuleViolationError, match=message):
        check_provisioned_concurrency("f", qualifier, count, ["1", "2", "3"], ALIASES, reserved)


def test_provisioned_concurrency_on_a_weighted_alias_predating_the_canary_passes_with_a_note() -> None:
    notes = check_provisioned_concurrency("f", "canary", 2, ["1", "2", "3"], ALIASES, 20, existed_before_canary=True)
    assert notes and "created by an earlier deploy, before the canary" in notes[0], f"notes: {notes}"
    assert check_provisioned_concurrency("f", "live", 2, ["1", "2", "3"], ALIASES, 20) == []


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"resourceId": "function:f:$LATEST"}, r"never \$LATEST"),
        ({"resourceId": "function:f"}, r"resourceId must be function:<name>:<alias or version>"),
        ({"resourceId": "function:f:live", "scalableDimension": "ecs:service:DesiredCount"}, r"scalableDimension must"),
    ],
)
def test_lambda_scaling_targets_must_name_an_alias_or_version(inputs: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleViolationError, match=message):
        check_lambda_scaling_resource("f-pc-target", {"serviceNamespace": "lambda", **inputs})


def test_iam_matching_honours_wildcards_and_explicit_deny() -> None:
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": ["sqs:Receive*", "sqs:DeleteMessage"], "Resource": "arn:aws:sqs:*:*:orders"},
        {"Effect": "Deny", "Action": "sqs:DeleteMessage", "Resource": QUEUE},
    ]
    assert allowed(statements, "sqs:ReceiveMessage", QUEUE), "sqs:Receive* on the queue allows ReceiveMessage"
    assert allowed(statements, "SQS:receivemessage", QUEUE), "IAM actions are case-insensitive"
    assert not allowed(statements, "sqs:DeleteMessage", QUEUE), "an explicit Deny wins"
    assert not allowed(statements, "sqs:ReceiveMessage", QUEUE + "-dlq"), "another queue is not covered"

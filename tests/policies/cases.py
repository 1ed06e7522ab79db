"""Passing and failing properties for every resource rule, shared by the direct and the protocol tests."""

from __future__ import annotations

import copy
from typing import Any

from lambdakit.policies._common import (
    EVENT_SOURCE_MAPPING,
    FUNCTION,
    FUNCTION_URL,
    LOG_GROUP,
    PERMISSION,
)

GOOD_FUNCTION: dict[str, Any] = {
    "name": "orders-prod",
    "runtime": "python3.14",
    "handler": "app.handler",
    "role": "arn:aws:iam::123456789012:role/orders",
    "timeout": 30,
    "memorySize": 512,
    "publish": True,
    "description": "Processes orders",
    "architectures": ["arm64"],
    "tracingConfig": {"mode": "Active"},
    "reservedConcurrentExecutions": 20,
    "environment": {
        "variables": {
            "DB_HOST": "db.internal",
            "LOG_LEVEL": "INFO",
            "API_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:x",
        }
    },
    "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/abc",
    "codeSigningConfigArn": "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-1",
    "vpcConfig": {"subnetIds": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-1"]},
    "tags": {"Owner": "team", "Environment": "prod"},
}
GOOD_STREAM_ESM: dict[str, Any] = {
    "eventSourceArn": "arn:aws:kinesis:us-east-1:123456789012:stream/clicks",
    "functionName": "arn:aws:lambda:us-east-1:123456789012:function:f:live",
    "startingPosition": "LATEST",
    "maximumRetryAttempts": 3,
    "bisectBatchOnFunctionError": True,
    "destinationConfig": {"onFailure": {"destinationArn": "arn:aws:sqs:us-east-1:123456789012:failures"}},
}
GOOD_SQS_ESM: dict[str, Any] = {
    "eventSourceArn": "arn:aws:sqs:us-east-1:123456789012:orders",
    "functionName": "arn:aws:lambda:us-east-1:123456789012:function:f:live",
    "functionResponseTypes": ["ReportBatchItemFailures"],
    "batchSize": 10,
}
GOOD_URL: dict[str, Any] = {
    "functionName": "api-prod",
    "qualifier": "live",
    "authorizationType": "AWS_IAM",
    "cors": {"allowOrigins": ["https://app.example.com"]},
}
GOOD_PERMISSION: dict[str, Any] = {
    "action": "lambda:InvokeFunction",
    "function": "api-prod",
    "principal": "events.amazonaws.com",
    "sourceArn": "arn:aws:events:us-east-1:123456789012:rule/warmup",
}
GOOD_LOG_GROUP: dict[str, Any] = {"name": "/aws/lambda/orders-prod", "retentionInDays": 30}
GOOD_KAFKA_ESM: dict[str, Any] = {
    "selfManagedEventSource": {"endpoints": {"KAFKA_BOOTSTRAP_SERVERS": "kafka.example.com:9096"}},
    "functionName": "arn:aws:lambda:us-east-1:123456789012:function:f:live",
    "topics": ["clicks"],
    "startingPosition": "LATEST",
    "destinationConfig": {"onFailure": {"destinationArn": "arn:aws:sqs:us-east-1:123456789012:kafka-failures"}},
}
GOOD_ORG_GRANT: dict[str, Any] = {
    "action": "lambda:InvokeFunction",
    "function": "api-prod",
    "qualifier": "live",
    "principal": "*",
    "principalOrgId": "o-a1b2c3d4e5",
}


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with top-level keys replaced (None removes the key)."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


# (rule, resource type, passing props, failing props, words the failure message must contain)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], str]] = [
    ("lambda-runtime-deprecated", FUNCTION, GOOD_FUNCTION, with_(GOOD_FUNCTION, runtime="python3.9"), "deprecated"),
    ("lambda-runtime-latest", FUNCTION, GOOD_FUNCTION, with_(GOOD_FUNCTION, runtime="python3.12"), "python3.14"),
    ("lambda-timeout", FUNCTION, GOOD_FUNCTION, with_(GOOD_FUNCTION, timeout=None), "timeout is not set"),
    ("lambda-memory", FUNCTION, GOOD_FUNCTION, with_(GOOD_FUNCTION, memorySize=None), "memorySize is not set"),
    (
        "lambda-tracing-active",
        FUNCTION,
        GOOD_FUNCTION,
        with_(GOOD_FUNCTION, tracingConfig={"mode": "PassThrough"}),
        "Active",
    ),
    (
        "lambda-reserved-concurrency",
        FUNCTION,
        GOOD_FUNCTION,
        with_(GOOD_FUNCTION, reservedConcurrentExecutions=-1),
        "reservedConcurrentExecutions is not set",
    ),
    ("lambda-in-vpc", FUNCTION, GOOD_FUNCTION, with_(GOOD_FUNCTION, vpcConfig=None), "VPC"),
    ("lambda-environment-kms", FUNCTION, GOOD_FUNCTION, with_(GOOD_FUNCTION, kmsKeyArn=None), "kmsKeyArn"),
    (
        "lambda-no-secrets-in-environment",
        FUNCTION,
        GOOD_FUNCTION,
        with_(GOOD_FUNCTION, environment={"variables": {"DB_PASSWORD": "hunter2-hunter2"}}),
        "DB_PASSWORD",
    ),
    (
        "lambda-code-signing",
        FUNCTION,
        GOOD_FUNCTION,
        with_(GOOD_FUNCTION, codeSigningConfigArn=None),
        "codeSigningConfigArn",
    ),
    ("lambda-arm64", FUNCTION, GOOD_FUNCTION, with_(GOOD_FUNCTION, architectures=["x86_64"]), "arm64"),
    ("lambda-tags-description", FUNCTION, GOOD_FUNCTION, with_(GOOD_FUNCTION, description=""), "description"),
    (
        "lambda-log-retention",
        LOG_GROUP,
        GOOD_LOG_GROUP,
        with_(GOOD_LOG_GROUP, retentionInDays=None),
        "retentionInDays is not set",
    ),
    (
        "lambda-stream-failure-handling",
        EVENT_SOURCE_MAPPING,
        GOOD_STREAM_ESM,
        with_(GOOD_STREAM_ESM, destinationConfig=None),
        "on-failure destination",
    ),
    (
        "lambda-sqs-partial-batch",
        EVENT_SOURCE_MAPPING,
        GOOD_SQS_ESM,
        with_(GOOD_SQS_ESM, functionResponseTypes=None),
        "ReportBatchItemFailures",
    ),
    ("lambda-function-url-auth", FUNCTION_URL, GOOD_URL, with_(GOOD_URL, authorizationType="NONE"), "NONE"),
    ("lambda-permission-scoped", PERMISSION, GOOD_PERMISSION, with_(GOOD_PERMISSION, sourceArn=None), "sourceArn"),
    (
        "lambda-kafka-failure-destination",
        EVENT_SOURCE_MAPPING,
        GOOD_KAFKA_ESM,
        with_(GOOD_KAFKA_ESM, destinationConfig=None),
        "Kafka mapping has no on-failure destination",
    ),
    (
        "lambda-cross-account-grant",
        PERMISSION,
        GOOD_ORG_GRANT,
        with_(GOOD_ORG_GRANT, qualifier=None),
        "the grant to organization o-a1b2c3d4e5 is on the unqualified function",
    ),
]

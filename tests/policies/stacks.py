"""Small stacks for the stack-rule tests: a well-formed service, and ways to break it."""

from __future__ import annotations

import json
from typing import Any

from lambdakit.policies._common import (
    ALIAS,
    EVENT_INVOKE_CONFIG,
    EVENT_SOURCE_MAPPING,
    FUNCTION,
    LOG_GROUP,
    PERMISSION,
    PROVISIONED_CONCURRENCY,
    QUEUE,
    ROLE,
    ROLE_POLICY,
    ROLE_POLICY_ATTACHMENT,
    SUBNET,
)
from tests.policies.helpers import Res

LEAST_PRIVILEGE = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"], "Resource": "arn:aws:sqs:::q"},
        {"Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": "*"},
    ],
}


def service(
    name: str = "orders",
    *,
    timeout: Any = 30,
    reserved: Any = 50,
    visibility: Any = 180,
    redrive: bool = True,
    policy: Any = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Res]:
    """A service wired like LambdaService does it, keyed by role in the service."""
    role = Res(ROLE, f"{name}-role", {"assumeRolePolicy": "{}"})
    doc = json.dumps(LEAST_PRIVILEGE) if policy is None else policy
    role_policy = Res(ROLE_POLICY, f"{name}-policy", {"role": f"{name}-role", "policy": doc}, links={"role": [role]})
    logs = Res(
        LOG_GROUP,
        f"{name}-logs",
        {"name": f"/aws/lambda/{name}-prod", "retentionInDays": 30, "kmsKeyId": "arn:aws:kms:us-east-1:1:key/logs"},
    )
    # LambdaService's queues are encrypted with SSE-SQS.
    dlq = Res(QUEUE, f"{name}-dlq", {"name": f"{name}-dlq", "sqsManagedSseEnabled": True})
    queue_props: dict[str, Any] = {
        "name": f"{name}-queue",
        "visibilityTimeoutSeconds": visibility,
        "sqsManagedSseEnabled": True,
    }
    if redrive:
        queue_props["redrivePolicy"] = json.dumps({"deadLetterTargetArn": "arn:aws:sqs:::dlq", "maxReceiveCount": 5})
    queue = Res(QUEUE, f"{name}-queue", queue_props, links={"redrivePolicy": [dlq]})
    fn_props: dict[str, Any] = {
        "name": f"{name}-prod",
        "timeout": timeout,
        "publish": True,
        "role": "arn:role",
        "reservedConcurrentExecutions": reserved,
        **(extra or {}),
    }
    fn = Res(FUNCTION, name, fn_props, links={"role": [role]}, depends_on=[logs, role_policy])
    alias = Res(
        ALIAS,
        f"{name}-alias",
        {"name": "live", "functionName": f"{name}-prod", "functionVersion": "3"},
        links={"functionName": [fn]},
    )
    pc = Res(
        PROVISIONED_CONCURRENCY,
        f"{name}-pc",
        {"functionName": f"{name}-prod", "qualifier": "live", "provisionedConcurrentExecutions": 5},
        links={"functionName": [alias], "qualifier": [alias]},
    )
    esm = Res(
        EVENT_SOURCE_MAPPING,
        f"{name}-sqs-0",
        {"eventSourceArn": "arn:aws:sqs:us-east-1:1:q", "functionName": "arn:fn:live"},
        links={"eventSourceArn": [queue], "functionName": [alias]},
    )
    invoke = Res(
        EVENT_INVOKE_CONFIG,
        f"{name}-async",
        {
            "functionName": f"{name}-prod",
            "qualifier": "live",
            "destinationConfig": {"onFailure": {"destination": "arn:aws:sqs:::dlq"}},
        },
        links={"functionName": [fn], "qualifier": [alias], "destinationConfig": [dlq]},
    )
    return {
        "role": role,
        "policy": role_policy,
        "logs": logs,
        "dlq": dlq,
        "queue": queue,
        "fn": fn,
        "alias": alias,
        "pc": pc,
        "esm": esm,
        "invoke": invoke,
    }


def subnet(name: str, az: Any) -> Res:
    return Res(SUBNET, name, {"availabilityZone": az, "cidrBlock": "10.0.0.0/24"})


def permission(name: str, fn: Res, principal: str) -> Res:
    return Res(
        PERMISSION,
        name,
        {"function": "x", "principal": principal, "sourceArn": "arn:aws:s3:::b", "sourceAccount": "1"},
        links={"function": [fn]},
    )


def attachment(name: str, role: Res, arn: str) -> Res:
    return Res(ROLE_POLICY_ATTACHMENT, name, {"role": role.name, "policyArn": arn}, links={"role": [role]})

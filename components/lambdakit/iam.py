"""Least-privilege IAM for a Lambda service, generated from what the service uses."""

# No `from __future__ import annotations`: the TypedDict below is read by Pulumi's schema inference at run time.
import json
from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict

import pulumi

from .event_sources import destination_service
from .validation import as_list, as_mapping, check_known_keys, fail, is_unknown


class PolicyStatementArgs(TypedDict):
    """An extra IAM statement for the function's role."""

    actions: Sequence[pulumi.Input[str]]
    """IAM actions, e.g. `dynamodb:GetItem`. A bare `*` is rejected; service wildcards like `s3:Get*` are allowed."""
    resources: Sequence[pulumi.Input[str]]
    """Exact resource ARNs. A bare `*` is rejected unless `allow_wildcard_resource` is true."""
    effect: NotRequired[pulumi.Input[str]]
    """Allow or Deny. Defaults to Allow."""
    allow_wildcard_resource: NotRequired[bool]
    """Acknowledge a `*` resource for actions that support no resource-level permissions. Defaults to false."""


STATEMENT_KEYS = tuple(PolicyStatementArgs.__annotations__)

LAMBDA_ASSUME_ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)

# Actions a destination needs, by the destination's service.
DESTINATION_ACTIONS = {
    "sqs": ["sqs:SendMessage"],
    "sns": ["sns:Publish"],
    "lambda": ["lambda:InvokeFunction"],
    "events": ["events:PutEvents"],
    "s3": ["s3:PutObject"],
}

SQS_CONSUMER_ACTIONS = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
]
DYNAMODB_STREAM_ACTIONS = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
]
# No dynamodb:ListStreams: it supports no resource-level permissions (IAM's service authorization reference), so on
# the stream ARNs it granted nothing, and the mapping reads the one stream it is given (what Lambda checks when the
# mapping is created is DescribeStream, GetRecords and GetShardIterator).
KINESIS_STREAM_ACTIONS = [
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
    "kinesis:SubscribeToShard",
]
# X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions: "*" is the narrowest resource.
XRAY_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
VPC_MANAGED_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaENIManagementAccess"


def statement(sid: str, actions: Sequence[str], resources: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": resources}


def validate_statements(service: str, raw: Any) -> list[dict[str, Any]]:
    """User statements -> IAM statement dicts; rejects `*` actions and unacknowledged `*` resources."""
    out = []
    for i, item in enumerate(as_list(service, "policy_statements", raw)):
        field = f"policy_statements[{i}]"
        st = as_mapping(service, field, item)
        check_known_keys(service, field, st, STATEMENT_KEYS)
        actions = as_list(service, f"{field}.actions", st.get("actions"))
        resources = as_list(service, f"{field}.resources", st.get("resources"))
        if not actions:
            raise fail(service, f"{field}.actions", "must name at least one action")
        if not resources:
            raise fail(service, f"{field}.resources", "must name at least one resource ARN")
        for a in actions:
            if not is_unknown(a) and (not isinstance(a, str) or a.strip() in ("*", "*:*") or ":" not in a):
                raise fail(
                    service, f"{field}.actions", f"must be service-scoped actions like 's3:GetObject', got {a!r}"
                )
        for r in resources:
            if not is_unknown(r) and r == "*" and not st.get("allow_wildcard_resource", False):
                raise fail(
                    service,
                    f"{field}.resources",
                    "must be exact ARNs; '*' needs allow_wildcard_resource=True (only for actions without "
                    "resource-level permissions)",
                )
        effect = st.get("effect", "Allow")
        if not is_unknown(effect) and effect not in ("Allow", "Deny"):
            raise fail(service, f"{field}.effect", f"must be Allow or Deny, got {effect!r}")
        out.append({"Sid": f"User{i}", "Effect": effect, "Action": actions, "Resource": resources})
    return out


def destination_statement(sid: str, arn: Any) -> Any:
    """Send-to-destination permission on exactly that ARN; the action depends on the destination's service."""

    def build(a: str) -> dict[str, Any]:
        kind = destination_service(a)
        actions = DESTINATION_ACTIONS.get(kind or "")
        if actions is None:
            raise ValueError(f"destination {a!r} is not an SQS, SNS, Lambda, EventBridge or S3 ARN")
        resource = f"{a}/*" if kind == "s3" else a
        return statement(sid, actions, resource)

    return pulumi.Output.from_input(arn).apply(build) if is_unknown(arn) else build(arn)


def stream_statement(sid: str, arn: Any) -> Any:
    def build(a: str) -> dict[str, Any]:
        if ":dynamodb:" in a:
            # The table's stream/* as well: a new stream label (the stream re-enabled) keeps working.
            table_streams = a.split("/stream/")[0] + "/stream/*"
            return statement(sid, DYNAMODB_STREAM_ACTIONS, sorted({a, table_streams}))
        # SubscribeToShard applies to the stream's consumers (enhanced fan-out), not to the stream itself.
        return statement(sid, KINESIS_STREAM_ACTIONS, [a, f"{a}/consumer/*"])

    return pulumi.Output.from_input(arn).apply(build) if is_unknown(arn) else build(arn)


def policy_document(statements: list[Any]) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements})

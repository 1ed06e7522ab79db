"""Default smoke-test events, shaped like what each trigger delivers to the function.

The event is derived from how the function is wired (its event source mappings, permissions and URL): an SQS batch
for a queue consumer, a stream record keyed like the table for a DynamoDB consumer, a Function URL (HTTP API v2)
request for an HTTP handler, a scheduled event for an EventBridge rule, and a plain JSON document otherwise. The
documents inside are a sample order, the reference program's domain object; ``--payload`` overrides any of them.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from lambdakit.program import MOCK_ACCOUNT, MOCK_REGION

#: A sample document: a valid message for the reference program's order-processor and email-sender, and, by its
#: `id`, for the job handler `lambdakit init` writes.
SAMPLE_ORDER: dict[str, Any] = {
    "id": "sandbox-0001",
    "order_id": "sandbox-0001",
    "customer_id": "customer-42",
    "currency": "USD",
    "items": [{"sku": "SKU-RED-MUG", "quantity": 2, "unit_price": 12.5}],
    "to": "customer@example.com",
    "template": "order_confirmation",
}


def _now() -> datetime:
    return datetime.now(UTC)


def sqs_event(queue_arn: str, body: Any = None) -> dict[str, Any]:
    text = json.dumps(SAMPLE_ORDER if body is None else body)
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "sandbox-receipt-handle",
                "body": text,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(int(_now().timestamp() * 1000)),
                    "SenderId": MOCK_ACCOUNT,
                    "ApproximateFirstReceiveTimestamp": str(int(_now().timestamp() * 1000)),
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": MOCK_REGION,
            }
        ]
    }


def dynamodb_event(stream_arn: str, keys: dict[str, str] | None = None) -> dict[str, Any]:
    """An INSERT record; ``keys`` maps the table's key attribute names to their types (S/N/B)."""
    key_image: dict[str, Any] = {}
    for name, kind in (keys or {"id": "S"}).items():
        key_image[name] = {kind: "1" if kind == "N" else f"sandbox-{name}"}
    new_image = {**key_image, "email": {"S": "customer@example.com"}}
    return {
        "Records": [
            {
                "eventID": uuid.uuid4().hex,
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": MOCK_REGION,
                "dynamodb": {
                    "ApproximateCreationDateTime": int(_now().timestamp()),
                    "Keys": key_image,
                    "NewImage": new_image,
                    "SequenceNumber": "100000000000000000001",
                    "SizeBytes": 64,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": stream_arn,
            }
        ]
    }


def kinesis_event(stream_arn: str) -> dict[str, Any]:
    data = base64.b64encode(json.dumps(SAMPLE_ORDER).encode()).decode()
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "sandbox",
                    "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
                    "data": data,
                    "approximateArrivalTimestamp": _now().timestamp(),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": "shardId-000000000000:1",
                "eventName": "aws:kinesis:record",
                "awsRegion": MOCK_REGION,
                "eventSourceARN": stream_arn,
            }
        ]
    }


def http_event(path: str = "/health", method: str = "GET", body: Any = None) -> dict[str, Any]:
    """A Function URL / API Gateway HTTP API (payload format 2.0) request."""
    now = _now()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "sandbox.lambda-url.us-east-1.on.aws"},
        "requestContext": {
            "accountId": MOCK_ACCOUNT,
            "apiId": "sandbox",
            "domainName": "sandbox.lambda-url.us-east-1.on.aws",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "lambdakit-sandbox",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def alb_event(target_group_arn: str, path: str = "/health", multi_value: bool = False) -> dict[str, Any]:
    """An Application Load Balancer request to a Lambda target group (with ``multiValueHeaders`` and
    ``multiValueQueryStringParameters`` instead of the single-value maps when the target group enables them)."""
    headers = {"host": "sandbox.elb.amazonaws.com", "user-agent": "lambdakit-sandbox", "x-forwarded-for": "127.0.0.1"}
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": target_group_arn}},
        "httpMethod": "GET",
        "path": path,
        "body": "",
        "isBase64Encoded": False,
    }
    if multi_value:
        event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
        event["multiValueQueryStringParameters"] = {}
    else:
        event["headers"] = headers
        event["queryStringParameters"] = {}
    return event


def scheduled_event(rule_arn: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": MOCK_ACCOUNT,
        "time": _now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": MOCK_REGION,
        "resources": [rule_arn],
        "detail": {},
    }


def s3_event(bucket: str, key: str = "incoming/sandbox.json") -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": MOCK_REGION,
                "eventTime": _now().strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": key, "size": 128, "eTag": "0123456789abcdef"},
                },
            }
        ]
    }


def sns_event(topic_arn: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": str(uuid.uuid4()),
                    "TopicArn": topic_arn,
                    "Subject": "sandbox",
                    "Message": json.dumps(SAMPLE_ORDER),
                    "Timestamp": _now().strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                },
            }
        ]
    }


def plain_event() -> dict[str, Any]:
    return dict(SAMPLE_ORDER)

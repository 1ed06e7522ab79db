"""order-processor: consumes the orders queue (SQS, batches of up to 10) with partial batch failures.

A malformed order is reported in ``batchItemFailures`` so that only that message returns to the queue (and, after the
queue's maxReceiveCount, moves to its dead-letter queue) while the rest of the batch is deleted. Any other exception
fails the whole batch, which is what a transient error (the database being down) should do. The event source mapping
must have ``function_response_types = ["ReportBatchItemFailures"]`` for Lambda to read the response.
"""

from __future__ import annotations

import os
from typing import Any

from shared_utils import InvalidPayloadError, Order, bind_lambda_context, get_logger, parse_json, validate_order

logger = get_logger("order-processor")


def store_order(order: Order, db_host: str) -> dict[str, Any]:
    """Where the write to the orders database goes; returns what was stored (the reference program has no DB)."""
    return {
        "order_id": order.order_id,
        "customer_id": order.customer_id,
        "item_count": sum(item.quantity for item in order.items),
        "total": str(order.total),
        "currency": order.currency,
        "db_host": db_host,
    }


def import_files(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Order files dropped into the uploads bucket (S3 ObjectCreated notifications).

    The import (GetObject, then one stored order per line) goes here; the reference program records what arrived.
    S3 invokes asynchronously, so an exception here is retried and then lands in the function's DLQ.
    """
    files = []
    for record in records:
        s3 = record.get("s3") or {}
        bucket, key = (s3.get("bucket") or {}).get("name"), (s3.get("object") or {}).get("key")
        if not bucket or not key:
            raise InvalidPayloadError(f"S3 record without bucket and key: {sorted(record)}")
        files.append(f"s3://{bucket}/{key}")
        logger.info("order file received", extra={"bucket": bucket, "key": key, "event": record.get("eventName")})
    return {"files": files}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    bind_lambda_context(context)
    db_host = os.environ.get("DB_HOST", "")
    records = event.get("Records")
    if not isinstance(records, list):
        # Not an SQS batch: a wiring mistake, not a bad message. Failing loudly keeps it out of the happy path.
        raise InvalidPayloadError(f"expected an SQS or S3 event with Records, got keys {sorted(event)}")
    if records and all(isinstance(r, dict) and r.get("eventSource") == "aws:s3" for r in records):
        return import_files(records)
    failures: list[dict[str, str]] = []
    stored = 0
    for record in records:
        message_id = record["messageId"]
        try:
            order = validate_order(parse_json(record.get("body"), what="message body"))
        except InvalidPayloadError as exc:
            logger.warning("invalid order message", extra={"message_id": message_id, "error": str(exc)})
            failures.append({"itemIdentifier": message_id})
            continue
        summary = store_order(order, db_host)
        stored += 1
        logger.info("order stored", extra={"message_id": message_id, **summary})
    logger.info("batch done", extra={"received": len(records), "stored": stored, "failed": len(failures)})
    return {"batchItemFailures": failures}

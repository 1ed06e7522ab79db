"""user-analytics: aggregates the users table's DynamoDB stream (INSERT / MODIFY / REMOVE counts).

Streams are ordered: when a record cannot be processed, the handler stops and reports that record's sequence number
in ``batchItemFailures``. Lambda then checkpoints everything before it and retries from it (with bisect-on-error the
batch is split around it), and after the mapping's retries sends it to the on-failure destination. A record without a
sequence number cannot be reported, so it fails the whole batch instead.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from shared_utils import InvalidPayloadError, bind_lambda_context, get_logger

logger = get_logger("user-analytics")

EVENT_NAMES = ("INSERT", "MODIFY", "REMOVE")


def user_id(record: dict[str, Any]) -> str | None:
    """The changed item's ``user_id`` key (string or number attribute), if the table is keyed on it."""
    key = (record.get("dynamodb") or {}).get("Keys", {}).get("user_id") or {}
    value = key.get("S", key.get("N"))
    return str(value) if value is not None else None


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    bind_lambda_context(context)
    records = event.get("Records")
    if not isinstance(records, list):
        raise InvalidPayloadError(f"expected a DynamoDB stream event with Records, got keys {sorted(event)}")
    counts: Counter[str] = Counter()
    users: set[str] = set()
    failures: list[dict[str, str]] = []
    for record in records:
        sequence_number = (record.get("dynamodb") or {}).get("SequenceNumber")
        if not sequence_number:
            raise InvalidPayloadError(f"stream record {record.get('eventID')!r} has no dynamodb.SequenceNumber")
        name = record.get("eventName")
        if name not in EVENT_NAMES:
            logger.error("unprocessable stream record", extra={"sequence_number": sequence_number, "event_name": name})
            failures.append({"itemIdentifier": sequence_number})
            break  # later records are retried after this one: order matters on a stream
        counts[name] += 1
        uid = user_id(record)
        if uid is not None:
            users.add(uid)
    logger.info(
        "stream batch aggregated",
        extra={"counts": {n: counts[n] for n in EVENT_NAMES}, "distinct_users": len(users), "failed": len(failures)},
    )
    return {"batchItemFailures": failures}

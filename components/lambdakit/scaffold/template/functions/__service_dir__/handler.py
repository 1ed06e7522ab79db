"""@@service@@'s handler: one SQS batch in, the ids of the messages that failed out (partial batch response)."""

import json
import logging
import os
from typing import Any

logger = logging.getLogger()
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))


def process(job: dict[str, Any]) -> None:
    """Do the work for one job; raise to have the message retried (and, after 5 tries, moved to the DLQ)."""
    if "id" not in job:
        raise ValueError(f"job without an id: {job!r}")
    logger.info("processed job %s", job["id"])


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record in event.get("Records", []):
        try:
            process(json.loads(record["body"]))
        except Exception:
            logger.exception("message %s failed", record.get("messageId"))
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}

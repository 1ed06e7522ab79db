"""email-sender: invoked asynchronously (InvocationType=Event) to build and send an order email.

An invalid payload raises `InvalidPayloadError`: the invocation fails, Lambda retries it (up to the configured retry
count) and then hands the event to the on-failure destination, where it can be inspected and replayed. Retrying a
malformed event cannot succeed, so the error message says exactly what is wrong with it.
"""

from __future__ import annotations

import os
import re
from typing import Any

from shared_utils import InvalidPayloadError, bind_lambda_context, get_logger, parse_json

logger = get_logger("email-sender")

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
TEMPLATES: dict[str, tuple[str, str]] = {
    "order_confirmation": ("Your order {order_id} is confirmed", "Thanks! We received order {order_id}."),
    "order_shipped": ("Your order {order_id} has shipped", "Order {order_id} is on its way."),
    "order_cancelled": ("Your order {order_id} was cancelled", "Order {order_id} was cancelled. No charge was made."),
}


def build_email(event: Any, sender: str) -> dict[str, Any]:
    """The message to send, from ``{"to", "template", "order_id", "reply_to"?}``."""
    if not isinstance(event, dict):
        raise InvalidPayloadError(f"event must be a JSON object, got {type(event).__name__}")
    to = event.get("to")
    if not isinstance(to, str) or not _EMAIL_RE.match(to):
        raise InvalidPayloadError(f"to must be an email address, got {to!r}")
    template = event.get("template")
    if template not in TEMPLATES:
        raise InvalidPayloadError(f"template must be one of {', '.join(sorted(TEMPLATES))}; got {template!r}")
    order_id = event.get("order_id")
    if not isinstance(order_id, str) or not order_id:
        raise InvalidPayloadError(f"order_id must be a non-empty string, got {order_id!r}")
    subject, body = TEMPLATES[template]
    message: dict[str, Any] = {
        "from": sender,
        "to": [to],
        "subject": subject.format(order_id=order_id),
        "text": body.format(order_id=order_id),
        "template": template,
    }
    reply_to = event.get("reply_to")
    if reply_to is not None:
        if not isinstance(reply_to, str) or not _EMAIL_RE.match(reply_to):
            raise InvalidPayloadError(f"reply_to must be an email address, got {reply_to!r}")
        message["reply_to"] = [reply_to]
    return message


# EventBridge detail-types and what they send (the rule in the reference program matches OrderShipped).
DETAIL_TEMPLATES = {
    "OrderPlaced": "order_confirmation",
    "OrderShipped": "order_shipped",
    "OrderCancelled": "order_cancelled",
}


def email_requests(event: Any) -> list[Any]:
    """The email requests in an event: a direct async invocation, an SNS delivery, or an EventBridge event."""
    if isinstance(event, dict):
        records = event.get("Records")
        if (
            isinstance(records, list)
            and records
            and all(isinstance(r, dict) and r.get("EventSource") == "aws:sns" for r in records)
        ):
            return [parse_json((r.get("Sns") or {}).get("Message"), what="SNS message") for r in records]
        if "detail-type" in event and isinstance(event.get("detail"), dict):
            detail = dict(event["detail"])
            template = DETAIL_TEMPLATES.get(str(event["detail-type"]))
            if template is not None:
                detail["template"] = template
            return [detail]
    return [event]


def handler(event: Any, context: Any) -> dict[str, Any]:
    bind_lambda_context(context)
    sender = os.environ.get("SENDER_ADDRESS", "no-reply@example.com")
    try:
        messages = [build_email(request, sender) for request in email_requests(event)]
    except InvalidPayloadError as exc:
        logger.error("invalid email event", extra={"error": str(exc)})
        raise
    for message in messages:
        # The delivery call (SES SendEmail) goes here; the reference program records what it would send.
        logger.info("email prepared", extra={"template": message["template"], "subject": message["subject"]})
    return {
        "status": "prepared",
        "subject": messages[0]["subject"] if len(messages) == 1 else f"{len(messages)} emails",
        "recipients": sum(len(m["to"]) for m in messages),
    }

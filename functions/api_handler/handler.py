"""api-handler: HTTP API / Function URL requests (payload format 2.0), ALB requests and EventBridge warm-ups.

Routes: ``GET /health``, ``POST /orders`` (validates the order and returns its total), anything else 404/405.
A scheduled event (``source: aws.events``, ``detail-type: Scheduled Event``) only warms the execution environment
and returns at once, before any request parsing.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from shared_utils import InvalidPayloadError, bind_lambda_context, get_logger, json_response, parse_json, validate_order

logger = get_logger("api-handler")


def is_warmup(event: Any) -> bool:
    if not isinstance(event, dict):
        return False
    return event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event"


def _body(event: dict[str, Any]) -> str:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidPayloadError("body is not valid base64-encoded UTF-8") from exc
    return str(body)


def route(method: str, path: str, event: dict[str, Any]) -> dict[str, Any]:
    if path == "/health":
        if method != "GET":
            return json_response(405, {"error": f"{method} is not allowed on {path}"}, {"allow": "GET"})
        return json_response(200, {"status": "ok", "environment": os.environ.get("ENVIRONMENT", "unknown")})
    if path == "/orders":
        if method != "POST":
            return json_response(405, {"error": f"{method} is not allowed on {path}"}, {"allow": "POST"})
        try:
            order = validate_order(parse_json(_body(event)))
        except InvalidPayloadError as exc:
            return json_response(400, {"error": str(exc)})
        logger.info("order accepted", extra={"order_id": order.order_id, "total": str(order.total)})
        return json_response(202, {"order_id": order.order_id, "total": order.total, "currency": order.currency})
    return json_response(404, {"error": f"no route for {method} {path}"})


def handler(event: Any, context: Any) -> dict[str, Any]:
    if is_warmup(event):
        # Keep this path free of work: it runs on a schedule only to keep an environment initialised.
        return json_response(200, {"status": "warm"})
    bind_lambda_context(context)
    context_info = (event.get("requestContext") or {}) if isinstance(event, dict) else {}
    http = context_info.get("http")
    if "elb" in context_info and isinstance(event, dict):
        # An Application Load Balancer request: method and path at the top level (the target group's event).
        http = {"method": event.get("httpMethod", "GET"), "path": event.get("path") or "/"}
    if not isinstance(http, dict):
        logger.warning("unsupported event", extra={"keys": sorted(event) if isinstance(event, dict) else None})
        return json_response(400, {"error": "expected an HTTP API (payload 2.0) or Function URL request"})
    method = str(http.get("method", "GET")).upper()
    path = str(event.get("rawPath") or http.get("path") or "/")
    response = route(method, path, event)
    logger.info("request", extra={"method": method, "path": path, "status": response["statusCode"]})
    return response

"""Responses in the shape API Gateway HTTP APIs and Function URLs (payload format 2.0) expect."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # money stays exact on the wire
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """``{statusCode, headers, body}`` with a JSON body; ``cache-control: no-store`` unless a header says otherwise."""
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", "cache-control": "no-store", **(headers or {})},
        "body": json.dumps(body, default=_default, separators=(",", ":")),
    }

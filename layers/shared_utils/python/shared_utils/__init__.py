"""shared-utils layer: structured JSON logging and payload helpers for the order pipeline's functions.

Lambda puts a layer's ``python/`` folder on ``sys.path`` (``/opt/python``), so functions ``import shared_utils``.
Standard library only: the layer needs no dependency install and runs on every Python runtime and architecture.
"""

from __future__ import annotations

from .http import json_response
from .log import JsonFormatter, bind_lambda_context, get_logger
from .payloads import InvalidPayloadError, Order, OrderItem, parse_json, validate_order

__all__ = [
    "InvalidPayloadError",
    "JsonFormatter",
    "Order",
    "OrderItem",
    "bind_lambda_context",
    "get_logger",
    "json_response",
    "parse_json",
    "validate_order",
]

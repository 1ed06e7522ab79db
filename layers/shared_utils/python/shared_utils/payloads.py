"""Payload parsing and the order schema shared by the order processor and the API."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_ITEMS = 100


class InvalidPayloadError(ValueError):
    """The event or message is malformed. Raised for bad input only, never for transient failures, so callers can
    tell a poison message (send it to the DLQ) from something worth retrying."""


@dataclass(frozen=True)
class OrderItem:
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class Order:
    order_id: str
    customer_id: str
    currency: str
    items: tuple[OrderItem, ...]

    @property
    def total(self) -> Decimal:
        return sum((item.unit_price * item.quantity for item in self.items), Decimal("0"))


def parse_json(body: Any, *, what: str = "body") -> dict[str, Any]:
    """Parse a JSON object from a string (or pass a dict through); InvalidPayloadError names what was wrong."""
    if isinstance(body, dict):
        return body
    if not isinstance(body, str | bytes) or not body:
        raise InvalidPayloadError(f"{what} must be a JSON object, got {type(body).__name__}")
    try:
        value = json.loads(body, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise InvalidPayloadError(f"{what} is not valid JSON: {exc.msg} at position {exc.pos}") from exc
    if not isinstance(value, dict):
        raise InvalidPayloadError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def _identifier(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise InvalidPayloadError(f"{key} must be 1-64 letters, digits, '-' or '_', got {value!r}")
    return value


def validate_order(data: dict[str, Any]) -> Order:
    """Check an order document and return it typed. Money is Decimal: floats would round prices."""
    order_id = _identifier(data, "order_id")
    customer_id = _identifier(data, "customer_id")
    currency = data.get("currency", "USD")
    if not isinstance(currency, str) or not _CURRENCY_RE.match(currency):
        raise InvalidPayloadError(f"currency must be an ISO 4217 code such as USD, got {currency!r}")
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not 1 <= len(raw_items) <= MAX_ITEMS:
        count = len(raw_items) if isinstance(raw_items, list) else type(raw_items).__name__
        raise InvalidPayloadError(f"items must be a list of 1-{MAX_ITEMS} items, got {count}")
    items = []
    for i, raw in enumerate(raw_items):
        if not isinstance(raw, dict):
            raise InvalidPayloadError(f"items[{i}] must be an object, got {type(raw).__name__}")
        sku = raw.get("sku")
        if not isinstance(sku, str) or not sku:
            raise InvalidPayloadError(f"items[{i}].sku must be a non-empty string, got {sku!r}")
        quantity = raw.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise InvalidPayloadError(f"items[{i}].quantity must be a positive integer, got {quantity!r}")
        try:
            price = Decimal(str(raw.get("unit_price")))
        except InvalidOperation:
            price = Decimal("NaN")
        if isinstance(raw.get("unit_price"), bool) or not price.is_finite() or price < 0:
            raise InvalidPayloadError(f"items[{i}].unit_price must be a number >= 0, got {raw.get('unit_price')!r}")
        items.append(OrderItem(sku=sku, quantity=quantity, unit_price=price))
    return Order(order_id=order_id, customer_id=customer_id, currency=currency, items=tuple(items))

"""Validation helpers: clear errors that name the service, the field, the limit and the value.

Plain values are checked at once, before any child resource is registered. A value that is a ``pulumi.Output`` is
not known yet; `check_later` runs the same check when it resolves, failing the deployment with the same message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import pulumi

from . import limits

T = TypeVar("T")


class ValidationError(ValueError):
    """An input is out of range or malformed. Subclasses ValueError so callers can catch either."""


def is_unknown(value: Any) -> bool:
    """True for values only known at deploy time (Outputs and awaitables)."""
    return isinstance(value, pulumi.Output) or hasattr(value, "__await__")


def fail(service: str, field: str, message: str) -> ValidationError:
    return ValidationError(f"{service}: {field} {message}")


def check_later(value: Any, check: Callable[[Any], None]) -> Any:
    """Run ``check`` now for a plain value, or when an Output resolves. Returns the value (an Output stays one)."""
    if isinstance(value, pulumi.Output):

        def _checked(resolved: Any) -> Any:
            check(resolved)
            return resolved

        return value.apply(_checked)
    if not is_unknown(value):
        check(value)
    return value


def require_type(service: str, field: str, value: Any, types: type | tuple[type, ...], what: str) -> None:
    if is_unknown(value):
        return
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise TypeError(f"{service}: {field} must be {what}, got {value!r}")
    if not isinstance(value, types):
        raise TypeError(f"{service}: {field} must be {what}, got {type(value).__name__} {value!r}")


def check_int_range(service: str, field: str, value: Any, rng: limits.Range) -> None:
    """Integer within an inclusive range; Outputs are checked when they resolve."""

    def check(v: Any) -> None:
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{service}: {field} must be an integer ({rng.describe()}), got {v!r}")
        if v not in rng:
            raise fail(service, field, f"must be {rng.describe()}, got {v}")

    check_later(value, check)


def check_number_range(service: str, field: str, value: Any, rng: limits.Range) -> None:
    def check(v: Any) -> None:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise TypeError(f"{service}: {field} must be a number ({rng.describe()}), got {v!r}")
        if v not in rng:
            raise fail(service, field, f"must be {rng.describe()}, got {v}")

    check_later(value, check)


def check_choice(service: str, field: str, value: Any, choices: Iterable[Any]) -> None:
    options = tuple(choices)

    def check(v: Any) -> None:
        if v not in options:
            raise fail(service, field, f"must be one of {', '.join(map(str, options))}; got {v!r}")

    check_later(value, check)


def check_name(service: str, field: str, value: Any, max_len: int, pattern: Any, what: str) -> None:
    def check(v: Any) -> None:
        if not isinstance(v, str) or not v:
            raise TypeError(f"{service}: {field} must be a non-empty string, got {v!r}")
        if len(v) > max_len:
            raise fail(service, field, f"must be at most {max_len} characters, got {len(v)} ({v!r})")
        if not pattern.match(v):
            raise fail(service, field, f"must contain only {what}, got {v!r}")

    check_later(value, check)


def check_known_keys(service: str, field: str, value: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Reject misspelt keys in an args dict, suggesting the closest valid name."""
    import difflib

    allowed_set = set(allowed)
    for key in value:
        if key not in allowed_set:
            close = difflib.get_close_matches(str(key), sorted(allowed_set), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(sorted(allowed_set))}"
            raise fail(service, field, f"has an unknown setting {key!r}{hint}")


def as_mapping(service: str, field: str, value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{service}: {field} must be a mapping, got {type(value).__name__} {value!r}")
    return value


def as_list(service: str, field: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise TypeError(f"{service}: {field} must be a list, got {type(value).__name__} {value!r}")
    return list(value)

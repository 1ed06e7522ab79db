"""Schedule expressions and time zones, checked the way AWS reads them, for every part that takes a schedule:
EventBridge rules (``rate``, ``cron``), EventBridge Scheduler and Application Auto Scaling (``rate``, ``cron``,
``at``).

- ``rate(<n> minute|minutes|hour|hours|day|days)``: a positive whole number of ASCII digits, the singular unit only
  for 1;
- ``cron(minutes hours day-of-month month day-of-week year)``: six fields, ``?`` in exactly one of day-of-month and
  day-of-week, names (JAN, MON) and ``L``, ``W``, ``#`` where AWS takes them;
- ``at(yyyy-mm-ddThh:mm:ss)``: one date and time.

A time zone is an IANA name; a misspelt one is answered with the nearest names, not the whole list.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import zoneinfo
from typing import Any

from . import limits
from .validation import Field

__all__ = ["RATE_AND_CRON", "WITH_AT", "check_expression", "check_time_zone", "time_zones"]

#: The expression kinds an EventBridge rule accepts, and those Scheduler and Application Auto Scaling accept.
RATE_AND_CRON = ("rate", "cron")
WITH_AT = ("rate", "cron", "at")

_RATE = re.compile(r"rate\((?P<value>\S+) (?P<unit>\S+)\)")
_RATE_UNITS = {"minute": "minutes", "hour": "hours", "day": "days"}
_CRON = re.compile(r"cron\((?P<body>.*)\)", re.DOTALL)
_AT = re.compile(r"at\((?P<when>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})\)", re.ASCII)
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
#: (name, low, high, names for low..high)
_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minutes", 0, 59, ()),
    ("hours", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, ()),
)


def _digits(token: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts other scripts' digits, which AWS does not."""
    return token.isascii() and token.isdigit()


def _cron_number(token: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    if token.upper() in names:
        return True
    return _digits(token) and low <= int(token) <= high


def _cron_item_ok(item: str, name: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    if name == "day-of-month" and (item in ("L", "LW") or (item.endswith("W") and _cron_number(item[:-1], 1, 31, ()))):
        return True
    if name == "day-of-week":
        if item == "L" or (item.endswith("L") and _cron_number(item[:-1], low, high, names)):
            return True
        if "#" in item:
            day, _, nth = item.partition("#")
            return _cron_number(day, low, high, names) and nth in ("1", "2", "3", "4", "5")
    base, slash, step = item.partition("/")
    if slash and not (_digits(step) and int(step) >= 1):
        return False
    if base == "*":
        return True
    start, dash, end = base.partition("-")
    if dash:
        return _cron_number(start, low, high, names) and _cron_number(end, low, high, names)
    return _cron_number(base, low, high, names)


def _check_rate(field: Field, text: str, value: str, unit: str) -> None:
    if not _digits(value) or int(value) < 1:
        raise field.fail(f"rate value must be a positive whole number, got {value!r} in {text!r}")
    singular = unit in _RATE_UNITS
    if not singular and unit not in _RATE_UNITS.values():
        raise field.fail(f"rate unit must be minute(s), hour(s) or day(s), got {unit!r} in {text!r}")
    if int(value) == 1 and not singular:
        raise field.fail(f"must use the singular unit for 1, e.g. rate(1 minute), got {text!r}")
    if int(value) != 1 and singular:
        raise field.fail(f"must use the plural unit for {value}, e.g. rate({value} {_RATE_UNITS[unit]}), got {text!r}")


def _check_cron(field: Field, text: str, body: str) -> None:
    parts = body.split(" ")
    if len(parts) != len(_CRON_FIELDS) or any(not p for p in parts):
        raise field.fail(
            f"cron needs 6 fields separated by single spaces (minutes hours day-of-month month day-of-week year), "
            f"got {len(body.split())} in {text!r}"
        )
    for part, (name, low, high, names) in zip(parts, _CRON_FIELDS, strict=True):
        if part == "?" and name in ("day-of-month", "day-of-week"):
            continue
        if not all(_cron_item_ok(item, name, low, high, names) for item in part.split(",")):
            extra = f" or {names[0]}-{names[-1]}" if names else ""
            raise field.fail(f"cron {name} must be {low}-{high}{extra} (with , - * /), got {part!r} in {text!r}")
    dom, dow = parts[2], parts[4]
    if (dom == "?") == (dow == "?"):
        raise field.fail(
            f"cron needs '?' in exactly one of day-of-month and day-of-week (AWS cannot combine them), got "
            f"day-of-month {dom!r} and day-of-week {dow!r} in {text!r}"
        )


def _check_at(field: Field, text: str) -> None:
    match = _AT.fullmatch(text)
    if match is None:
        raise field.fail(f"at() must hold one date and time, at(yyyy-mm-ddThh:mm:ss), got {text!r}")
    try:
        dt.datetime.fromisoformat(match["when"])
    except ValueError as exc:
        raise field.fail(f"at() must hold a real date and time, got {text!r} ({exc})") from None


def check_expression(field: Field, value: Any, kinds: tuple[str, ...] = RATE_AND_CRON, *, plain: bool = False) -> Any:
    """A ``rate(...)``, ``cron(...)`` or (when ``kinds`` includes it) ``at(...)`` expression, as AWS accepts it."""
    shapes = {
        "rate": "rate(<n> <unit>)",
        "cron": "cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)",
        "at": "at(yyyy-mm-ddThh:mm:ss)",
    }

    def check(text: Any) -> Any:
        field.string(text, max_len=limits.SCHEDULE_EXPRESSION_MAX, what="a schedule expression", plain=True)
        if rate := _RATE.fullmatch(text):
            _check_rate(field, text, rate["value"], rate["unit"])
        elif cron := _CRON.fullmatch(text):
            _check_cron(field, text, cron["body"])
        elif "at" in kinds and text.startswith("at("):
            _check_at(field, text)
        else:
            raise field.fail(f"must be {' or '.join(shapes[k] for k in kinds)}, got {text!r}")
        return text

    if plain:
        field.known(value, "a schedule expression")
    return field.later(value, check)


@functools.cache
def time_zones() -> frozenset[str]:
    """Every IANA time zone name this machine's tz database knows."""
    return frozenset(zoneinfo.available_timezones())


def check_time_zone(field: Field, value: Any, *, plain: bool = False) -> Any:
    """An IANA time zone name; a misspelt one gets the nearest names (case is forgiven when suggesting)."""

    def check(text: Any) -> Any:
        field.string(text, what="an IANA time zone such as Europe/Berlin or UTC", plain=True)
        zones = time_zones()
        if text in zones:
            return text
        by_case = {z.casefold(): z for z in zones}
        close = [by_case[text.casefold()]] if text.casefold() in by_case else []
        close = close or difflib.get_close_matches(text, sorted(zones), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise field.fail(f"must be an IANA time zone such as Europe/Berlin or UTC, got {text!r}{hint}")

    if plain:
        field.known(value, "an IANA time zone")
    return field.later(value, check)

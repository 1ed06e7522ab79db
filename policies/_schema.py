"""The one definition of what a policy config may say, owned by the pack and shared with the gate.

A policy config file is ``{"all": LEVEL | {"enforcementLevel": LEVEL}, "<policy>": LEVEL | {"enforcementLevel":
LEVEL, "<setting>": value, ...}}``. Each rule's settings are described by a small JSON Schema subset (the rule's
``config``: ``type`` integer/number/boolean/string/array/object, ``items``, ``additionalProperties``, ``minimum``,
``maximum``, ``format: regex``). A wrong type used to quietly switch a mandatory rule off (``"lambda-timeout":
null``, ``maxSeconds: [1]``, a regular expression that does not compile); here every such setting is a problem
naming the policy and the setting, and only ``"enforcementLevel": "disabled"`` switches a rule off.

This module imports nothing from the pack or from lambdakit, so the pack (run alone by ``pulumi preview
--policy-pack``) checks its Configure request with it and ``lambdakit gate`` checks the file before the pack runs.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
LEVEL_KEY = "enforcementLevel"
#: Deeper than any real config; json.loads itself gives up (RecursionError) far deeper than this.
MAX_DEPTH = 32


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a policy config: where (policy, setting) and what."""

    policy: str | None
    setting: str | None
    message: str

    def line(self, source: str = "policy config") -> str:
        where = [source]
        if self.policy:
            where.append(f"policy {self.policy}")
        if self.setting:
            where.append(f"setting {self.setting}")
        return f"{': '.join(where)}: {self.message}"


class PolicyConfigError(ValueError):
    """A policy config that cannot be used; ``problems`` says each thing wrong, ``str()`` is one line."""

    def __init__(self, problems: Sequence[ConfigProblem], source: str = "policy config") -> None:
        self.problems = list(problems)
        self.source = source
        first = self.problems[0].line(source) if self.problems else f"{source}: invalid"
        more = f" (and {len(self.problems) - 1} more problem(s))" if len(self.problems) > 1 else ""
        super().__init__(first + more)


def _did_you_mean(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deep ``value`` nests (stops counting past ``limit``)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > limit:
            return depth
        if isinstance(item, Mapping):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list | tuple):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def parse_config_text(data: bytes | str, source: str = "policy config") -> dict[str, Any]:
    """The JSON object of a config file's bytes; a :class:`PolicyConfigError` for an empty file, a byte-order mark
    (the Pulumi CLI's JSON reader rejects it too), text that is not JSON, NaN/Infinity, ``null`` or another
    non-object, and nesting deeper than any config needs."""

    def bad(message: str) -> PolicyConfigError:
        return PolicyConfigError([ConfigProblem(None, None, message)], source)

    raw = data.encode() if isinstance(data, str) else data
    if raw.startswith(b"\xef\xbb\xbf"):
        raise bad("starts with a UTF-8 byte-order mark (BOM); save it as UTF-8 without a BOM")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad(f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise bad('is empty; it must hold a JSON object such as {"all": "advisory"}')

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON (write a number)")

    try:
        value = json.loads(text, parse_constant=no_constant)
    except RecursionError:
        raise bad(f"nests deeper than {MAX_DEPTH} levels; a policy config is two levels deep") from None
    except ValueError as exc:
        raise bad(f"is not JSON: {exc}") from None
    if not isinstance(value, dict):
        kind = "null" if value is None else type(value).__name__
        raise bad(f'must hold a JSON object such as {{"all": "advisory"}}, got {kind}')
    if _depth(value) > MAX_DEPTH:
        raise bad(f"nests deeper than {MAX_DEPTH} levels; a policy config is two levels deep")
    return value


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _short(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_value(spec: Mapping[str, Any], value: Any, path: str = "") -> str | None:
    """What is wrong with ``value`` under the setting's schema ``spec``, or ``None``."""
    expected = spec.get("type")
    at = f" at {path}" if path else ""
    if expected == "integer":
        whole_float = isinstance(value, float) and math.isfinite(value) and value.is_integer()
        if isinstance(value, bool) or not (isinstance(value, int) or whole_float):
            return f"must be a whole number{at}, got {_type_name(value)} {_short(value)}"
    elif expected == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a number{at}, got {_type_name(value)} {_short(value)}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be a finite number{at}, got {value}"
    elif expected == "boolean":
        if not isinstance(value, bool):
            return f"must be true or false{at}, got {_type_name(value)} {_short(value)}"
    elif expected == "string":
        if not isinstance(value, str):
            return f"must be a string{at}, got {_type_name(value)} {_short(value)}"
    elif expected == "array":
        if not isinstance(value, list | tuple):
            return f"must be a list{at}, got {_type_name(value)} {_short(value)}"
        items = spec.get("items")
        if isinstance(items, Mapping):
            for i, item in enumerate(value):
                problem = check_value(items, item, f"{path}[{i}]")
                if problem:
                    return problem
    elif expected == "object":
        if not isinstance(value, Mapping):
            return f"must be an object{at}, got {_type_name(value)} {_short(value)}"
        extra = spec.get("additionalProperties")
        if isinstance(extra, Mapping):
            for key, item in value.items():
                problem = check_value(extra, item, f"{path}.{key}" if path else str(key))
                if problem:
                    return problem
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = spec.get("minimum"), spec.get("maximum")
        if isinstance(low, int | float) and value < low:
            return f"must be at least {low:g}{at}, got {value:g}"
        if isinstance(high, int | float) and value > high:
            return f"must be at most {high:g}{at}, got {value:g}"
    if spec.get("format") == "regex" and isinstance(value, str):
        try:
            re.compile(value)
        except re.error as exc:
            return f"is not a valid regular expression{at}: {_short(value)} ({exc})"
    return None


def check_settings(
    policy: str, schema: Mapping[str, Any], settings: Mapping[str, Any], *, unknown_ok: bool = False
) -> list[ConfigProblem]:
    """Problems with one policy's settings (``enforcementLevel`` excluded) under its schema properties.
    ``unknown_ok`` passes settings the schema does not name (the pack's own check: JSON Schema lets them through
    the CLI, and they change nothing; the gate rejects them with a "did you mean")."""
    problems = []
    for key, value in settings.items():
        if key == LEVEL_KEY:
            continue
        spec = schema.get(key)
        if not isinstance(spec, Mapping):
            if unknown_ok:
                continue
            known = sorted(schema)
            if known:
                hint = f"; its settings are {', '.join(known)}{_did_you_mean(key, known)}"
            else:
                hint = f"; it has no settings (only {LEVEL_KEY})"
            problems.append(ConfigProblem(policy, key, f"unknown setting{hint}"))
            continue
        problem = check_value(spec, value)
        if problem:
            problems.append(ConfigProblem(policy, key, problem))
    return problems


def _check_level(policy: str, value: Any) -> ConfigProblem | None:
    if isinstance(value, str) and value in LEVELS:
        return None
    return ConfigProblem(policy, LEVEL_KEY, f"must be one of {', '.join(LEVELS)}, got {_short(value)}")


def check_config(config: Any, schemas: Mapping[str, Mapping[str, Any]]) -> list[ConfigProblem]:
    """Every problem of a whole config file against the pack's policies (name -> settings schema)."""
    if not isinstance(config, Mapping):
        return [ConfigProblem(None, None, f"must be a JSON object, got {_type_name(config)}")]
    if _depth(config) > MAX_DEPTH:
        return [ConfigProblem(None, None, f"nests deeper than {MAX_DEPTH} levels")]
    names = sorted(schemas)
    problems: list[ConfigProblem] = []
    for policy, entry in config.items():
        if policy == "all":
            if isinstance(entry, Mapping):
                extra = sorted(set(entry) - {LEVEL_KEY})
                if extra:
                    problems.append(ConfigProblem("all", extra[0], f"only {LEVEL_KEY} may be set for all policies"))
                if LEVEL_KEY in entry:
                    level = _check_level("all", entry[LEVEL_KEY])
                    problems.extend([level] if level else [])
            else:
                level = _check_level("all", entry)
                problems.extend([level] if level else [])
            continue
        if policy not in schemas:
            problems.append(ConfigProblem(policy, None, f"unknown policy{_did_you_mean(str(policy), names)}"))
            continue
        if isinstance(entry, str):
            level = _check_level(policy, entry)
            problems.extend([level] if level else [])
        elif isinstance(entry, Mapping):
            if LEVEL_KEY in entry:
                level = _check_level(policy, entry[LEVEL_KEY])
                problems.extend([level] if level else [])
            problems.extend(check_settings(policy, schemas[policy], entry))
        else:
            problems.append(
                ConfigProblem(
                    policy,
                    None,
                    f"must be an enforcement level ({', '.join(LEVELS)}) or an object of settings, "
                    f"got {_type_name(entry)} {_short(entry)}",
                )
            )
    return problems


def validate_config(config: Any, schemas: Mapping[str, Mapping[str, Any]], source: str = "policy config") -> None:
    """Raise :class:`PolicyConfigError` when ``config`` has any problem."""
    problems = check_config(config, schemas)
    if problems:
        raise PolicyConfigError(problems, source)

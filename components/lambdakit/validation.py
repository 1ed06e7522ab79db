"""The validation toolkit every component uses: types, ranges, choices, names, known keys, ARNs, JSON text.

A :class:`Field` is where a value sits (the component's name and the field path, ``sqs_sources[0].batch_size``);
every message it raises starts with both, says what was expected and shows the value. Each check returns the value it
checked: a plain value is checked at once; a value known only at deploy time (a ``pulumi.Output`` or an awaitable) is
returned as an Output that runs the same check, with the same message, when it resolves, so a deployment cannot slip
past a rule that a plain value would fail. Pass ``plain=True`` where the component must know the value while the
program runs (it decides which resources exist).

Patterns are matched with ``fullmatch`` (``"live\\n"`` is not a name), booleans are ``True`` or ``False`` only,
integers are ``int`` and not ``bool``, and digits are ASCII.
"""

from __future__ import annotations

import difflib
import inspect
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, ForwardRef, NotRequired, get_origin

import pulumi

from .limits import Range

__all__ = ["Field", "InputTypeError", "ValidationError", "is_unknown", "typed_dict_fields"]


class ValidationError(ValueError):
    """An input is out of range or malformed. Subclasses ValueError so callers can catch either."""


class InputTypeError(TypeError):
    """An input has the wrong type (a list where a string belongs, ``"no"`` for a boolean)."""


def is_unknown(value: Any) -> bool:
    """True for values only known at deploy time (Outputs and awaitables)."""
    return isinstance(value, pulumi.Output) or inspect.isawaitable(value)


def shown(value: Any) -> str:
    """A value for a message, with its type (``str 'yes'``, ``int 3``); None as it is."""
    text = repr(value)
    if len(text) > 120:
        text = text[:117] + "..."
    return text if value is None else f"{type(value).__name__} {text}"


def did_you_mean(value: Any, options: Iterable[Any]) -> str:
    """``" (did you mean 'x'?)"`` for the closest option to a string, else ``""``."""
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, [str(o) for o in options], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def with_article(phrase: str) -> str:
    """``"an SQS ARN"``, ``"a code signing config ARN"``: acronyms are read by their letters' names."""
    word = phrase.split(" ", 1)[0].rstrip(",")
    spoken_vowel = word[:1] in "AEFHILMNORSX" if word.isupper() else word[:1].lower() in "aeiou"
    return f"{'an' if spoken_vowel else 'a'} {phrase}"


@cache
def typed_dict_fields(cls: type) -> tuple[tuple[str, ...], frozenset[str]]:
    """(every field in order, the required ones) of a TypedDict.

    ``__required_keys__`` is wrong under ``from __future__ import annotations`` (annotations are strings, so
    ``NotRequired`` is not seen), and resolving the hints trips over ``pulumi.Input``'s forward reference.
    """
    annotations: dict[str, Any] = dict(cls.__annotations__)

    def optional(hint: Any) -> bool:
        if isinstance(hint, ForwardRef):
            hint = hint.__forward_arg__
        if isinstance(hint, str):
            return hint.startswith(("NotRequired[", "typing.NotRequired[", "typing_extensions.NotRequired["))
        return get_origin(hint) is NotRequired

    return tuple(annotations), frozenset(k for k, v in annotations.items() if not optional(v))


_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>[0-9]{12}|aws|):"
    r"(?P<resource>[!-~]+)",
    re.ASCII,
)


def parse_arn(text: str) -> re.Match[str] | None:
    """The parts of an ARN (partition, service, region, account, resource), or None for anything else."""
    return _ARN.fullmatch(text)


def is_wildcard_resource(resource: str) -> bool:
    """``*`` and ARNs that stand for every resource of a service (``arn:*``, ``arn:aws:s3:::*``, ``arn:aws:*:...``)."""
    text = resource.strip()
    if text == "*" or not text.startswith("arn:"):
        return text.startswith("*")
    parts = text.split(":", 5)
    if any("*" in part for part in parts[1:3]):  # partition or service
        return True
    if len(parts) < 6:  # arn:*, arn:aws:s3:*: cut short by a wildcard
        return "*" in parts[-1]
    return parts[5].startswith("*")


@dataclass(frozen=True)
class Field:
    """Where a value sits: ``owner`` (the component's name) and ``path`` (``""`` for the args themselves)."""

    owner: str
    path: str = ""

    def __str__(self) -> str:
        return self.path or "args"

    def key(self, name: str) -> Field:
        return Field(self.owner, f"{self.path}.{name}" if self.path else name)

    def index(self, i: int) -> Field:
        return Field(self.owner, f"{self}[{i}]")

    def entry(self, key: Any) -> Field:
        return Field(self.owner, f"{self}[{key!r}]")

    # --- errors -----------------------------------------------------------------------------------------------------

    def fail(self, message: str) -> ValidationError:
        return ValidationError(f"{self.owner}: {self} {message}")

    def wrong(self, expected: str, value: Any) -> InputTypeError:
        return InputTypeError(f"{self.owner}: {self} must be {expected}, got {shown(value)}")

    # --- plain values and values known at deploy time ---------------------------------------------------------------

    def later(self, value: Any, check: Callable[[Any], Any]) -> Any:
        """``check(value)`` now for a plain value, or inside ``apply`` when the value resolves (an Output back)."""
        if isinstance(value, pulumi.Output):
            return value.apply(check)
        if is_unknown(value):
            return pulumi.Output.from_input(value).apply(check)
        return check(value)

    def known(self, value: Any, expected: str) -> Any:
        """Refuse a value known only at deploy time where the component needs it while the program runs."""
        if is_unknown(value):
            raise InputTypeError(
                f"{self.owner}: {self} must be {expected} known when the program runs (a plain value), not a value "
                f"known only at deploy time ({type(value).__name__})"
            )
        return value

    def _run(self, value: Any, check: Callable[[Any], Any], plain: bool, expected: str) -> Any:
        if plain:
            self.known(value, expected)
        return self.later(value, check)

    # --- scalars ----------------------------------------------------------------------------------------------------

    def string(
        self,
        value: Any,
        *,
        max_len: int | None = None,
        pattern: re.Pattern[str] | None = None,
        what: str = "a string",
        must: str | None = None,
        empty: bool = False,
        plain: bool = False,
    ) -> Any:
        """A string (non-empty unless ``empty``), at most ``max_len`` long, matching ``pattern`` entirely; a mismatch
        says the value ``must <must>`` (default: ``must be <what>``)."""

        def check(v: Any) -> Any:
            if not isinstance(v, str):
                raise self.wrong(what, v)
            if not v and not empty:
                raise self.fail("must not be empty, got ''")
            if max_len is not None and len(v) > max_len:
                raise self.fail(f"must be at most {max_len} characters, got {len(v)}: {v[:80]!r}")
            if pattern is not None and not pattern.fullmatch(v):
                raise self.fail(f"must {must or 'be ' + what}, got {v!r}")
            return v

        return self._run(value, check, plain, what)

    def integer(self, value: Any, rng: Range, *, plain: bool = False) -> Any:
        """An ``int`` (not a bool, not a float) within ``rng``."""

        def check(v: Any) -> Any:
            if isinstance(v, bool) or not isinstance(v, int):
                raise InputTypeError(f"{self.owner}: {self} must be an integer ({rng.describe()}), got {v!r}")
            if v not in rng:
                raise self.fail(f"must be {rng.describe()}, got {v}")
            return v

        return self._run(value, check, plain, "an integer")

    def number(self, value: Any, rng: Range, *, plain: bool = False, what: str | None = None) -> Any:
        """A finite ``int`` or ``float`` (not a bool) within ``rng``; ``what`` replaces the range in messages."""
        bounds = what or rng.describe()

        def check(v: Any) -> Any:
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise InputTypeError(f"{self.owner}: {self} must be a number {bounds}, got {v!r}")
            if v not in rng:
                raise self.fail(f"must be {bounds}, got {v!r}")
            return v

        return self._run(value, check, plain, "a number")

    def boolean(self, value: Any, *, plain: bool = True) -> Any:
        """``True`` or ``False``: no ``"no"``, ``0`` or ``None`` standing in for one."""

        def check(v: Any) -> Any:
            if v is not True and v is not False:
                raise self.wrong("true or false", v)
            return v

        return self._run(value, check, plain, "true or false")

    def choice(self, value: Any, options: Sequence[Any], *, plain: bool = False) -> Any:
        """One of ``options`` (of the same type: ``True`` is not the choice ``1``)."""

        def check(v: Any) -> Any:
            if not any(type(v) is type(o) and v == o for o in options):
                raise self.fail(f"must be one of {', '.join(map(str, options))}; got {v!r}{did_you_mean(v, options)}")
            return v

        return self._run(value, check, plain, f"one of {', '.join(map(str, options))}")

    def arn(self, value: Any, services: Sequence[str], *, what: str | None = None, plain: bool = False) -> Any:
        """The ARN of a resource of one of ``services`` (``sqs``, ``sns``...), never a wildcard."""
        kind = with_article(what or " or ".join(s.upper() for s in services) + " ARN")

        def check(v: Any) -> Any:
            if not isinstance(v, str):
                raise self.wrong(kind, v)
            match = parse_arn(v)
            if match is None or match["service"] not in services:
                raise self.fail(f"must be {kind} (arn:aws:{services[0]}:...), got {v!r}")
            if "*" in v:
                raise self.fail(f"must name one resource, not a wildcard, got {v!r}")
            return v

        return self._run(value, check, plain, kind)

    def json_text(
        self, value: Any, *, max_len: int | None = None, check: Callable[[Any], None] | None = None, plain: bool = False
    ) -> Any:
        """JSON text (parsed and passed to ``check`` when given); the text itself is returned."""

        def parse(v: Any) -> Any:
            if not isinstance(v, str):
                raise self.wrong("JSON text", v)
            if max_len is not None and len(v) > max_len:
                raise self.fail(f"must be at most {max_len} characters, got {len(v)}: {v[:80]!r}")
            try:
                parsed = json.loads(v)
            except json.JSONDecodeError as exc:
                raise self.fail(f"must be valid JSON ({exc.msg} at character {exc.pos}), got {v!r}") from None
            if check is not None:
                check(parsed)
            return v

        return self._run(value, parse, plain, "JSON text")

    # --- collections ------------------------------------------------------------------------------------------------

    def mapping(self, value: Any, fields: type | Sequence[str], *, what: str | None = None) -> Mapping[str, Any]:
        """A plain mapping with only known keys (a misspelt one gets "did you mean") and every required one."""
        if isinstance(fields, type):
            allowed, required = typed_dict_fields(fields)
            name = what or f"a mapping ({fields.__name__})"
        else:
            allowed, required, name = tuple(fields), frozenset(), what or "a mapping"
        if is_unknown(value) or not isinstance(value, Mapping):
            raise self.wrong(name, value)
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"valid settings: {', '.join(sorted(allowed))}"
                raise self.fail(f"has an unknown setting {key!r}; {hint}")
        for key in allowed:
            if key in required and value.get(key) is None:
                raise self.key(key).fail("is required")
        return value

    def dictionary(self, value: Any) -> dict[str, Any]:
        """A plain mapping with string keys (environment variables, tags); None is an empty one."""
        if value is None:
            return {}
        if is_unknown(value) or not isinstance(value, Mapping):
            raise self.wrong("a mapping of names to values", value)
        for key in value:
            if not isinstance(key, str):
                raise InputTypeError(f"{self.owner}: {self} keys must be strings, got {shown(key)}")
        return dict(value)

    def sequence(self, value: Any, *, min_len: int = 0, max_len: int | None = None, what: str = "a list") -> list[Any]:
        """A plain list (or tuple); not a string, a mapping or an Output."""
        if is_unknown(value) or isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
            raise self.wrong(what, value)
        if len(value) < min_len:
            raise self.fail(f"must list at least {min_len}, got {len(value)}")
        if max_len is not None and len(value) > max_len:
            raise self.fail(f"may hold at most {max_len}, got {len(value)}")
        return list(value)

    def items(
        self, value: Any, item: Callable[[Field, Any], Any], *, min_len: int = 0, max_len: int | None = None
    ) -> Any:
        """A list whose items are checked by ``item(field, value)``; the list itself may be an Output."""

        def check(v: Any) -> list[Any]:
            items = self.sequence(v, min_len=min_len, max_len=max_len)
            return [item(self.index(i), x) for i, x in enumerate(items)]

        return self.later(value, check)

    def entries(self, value: Any, cls: type) -> list[tuple[int, Field, Mapping[str, Any]]]:
        """A plain list of settings mappings of type ``cls``: (index, field, mapping) for each."""
        items = self.sequence(value, what=f"a list of {cls.__name__} settings")
        return [(i, self.index(i), self.index(i).mapping(x, cls)) for i, x in enumerate(items)]


def optional(mapping: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """``mapping[key]``, or ``default`` when the key is absent or None (None means "not set", as in the schema)."""
    value = mapping.get(key)
    return default if value is None else value

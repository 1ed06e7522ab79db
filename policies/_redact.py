"""Secrets never reach a report: every string a request marks secret shows as ``[secret]`` in what the pack says.

pulumi_policy 1.21 hands rules plain values (``Analyze`` deserializes without keeping the secret markers), so a rule
message quoting a value (an IAM resource, a managed policy ARN, a tag) would print a secret in the CLI's output, the
gate's console, SARIF and JUnit. :func:`install` wraps the analyzer's ``Analyze`` and ``AnalyzeStack``: it collects
the strings inside secret-marked values of the request and replaces them in every diagnostic of the response.

The engine marks a whole input secret when any part of it is (a policy document built from one secret ARN is one
secret string), so the strings collected are the secret values' leaves and, for JSON text, the leaves inside it.
Words that are plainly not secrets (IAM actions, ``Allow``, ``*``, policy versions, short tokens) are left readable.

Standard library only, and nothing from lambdakit: the gate and the sandbox import the same functions from here.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

SECRET_TEXT = "[secret]"
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
#: Shorter strings are not redacted: replacing "1" or "dev" everywhere would garble every message.
MIN_LENGTH = 4
_NOT_SECRET = re.compile(
    r"^(\*|Allow|Deny|true|false|null|none|\d{4}-\d{2}-\d{2}|[a-z0-9-]+:[A-Za-z0-9*?]+|"
    r"Version|Statement|Effect|Action|Resource|Principal|Condition|Sid|Service|AWS|Federated)$"
)


def _worth_hiding(text: str) -> bool:
    return len(text) >= MIN_LENGTH and not _NOT_SECRET.match(text)


def leaves(value: Any, found: set[str]) -> None:
    """Every string inside ``value`` (and inside JSON text it holds) into ``found``."""
    if isinstance(value, str):
        if _worth_hiding(value):
            found.add(value)
        stripped = value.strip()
        if stripped[:1] in ("{", "[") and len(stripped) > 1:
            with contextlib.suppress(ValueError):
                leaves(json.loads(stripped), found)
        return
    if isinstance(value, Mapping):
        for item in value.values():
            leaves(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            leaves(item, found)
    elif value is not None and not isinstance(value, bool | int | float):
        inner = getattr(value, "value", None)  # pulumi_policy's Secret, or a similar wrapper
        if inner is not None:
            leaves(inner, found)


def secret_strings(value: Any, found: set[str] | None = None) -> set[str]:
    """The strings of every secret-marked part of an engine value (``{SIG_KEY: SECRET_SIG, "value": ...}``)."""
    found = set() if found is None else found
    if isinstance(value, Mapping):
        if value.get(SIG_KEY) == SECRET_SIG:
            leaves(value.get("value"), found)
            return found
        for item in value.values():
            secret_strings(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            secret_strings(item, found)
    return found


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``[secret]`` (longest first, so a secret inside another goes too)."""
    if not text:
        return text
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, SECRET_TEXT)
    return text


def redact_value(value: Any, secrets: Iterable[str]) -> Any:
    """A JSON-like value with every string redacted (keys too)."""
    hidden = set(secrets)
    if not hidden:
        return value
    if isinstance(value, str):
        return redact(value, hidden)
    if isinstance(value, Mapping):
        return {redact(str(k), hidden): redact_value(v, hidden) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v, hidden) for v in value]
    return value


def _struct_secrets(struct: Any, found: set[str]) -> None:
    try:
        from google.protobuf import json_format

        secret_strings(json_format.MessageToDict(struct), found)
    except Exception:  # never let redaction break an analysis
        return


def _redacting(method: Callable[..., Any], secrets_of: Callable[[Any], set[str]]) -> Callable[..., Any]:
    def wrapped(self: Any, request: Any, context: Any) -> Any:
        response = method(self, request, context)
        secrets = secrets_of(request)
        if secrets:
            for diagnostic in response.diagnostics:
                diagnostic.message = redact(diagnostic.message, secrets)
                diagnostic.description = redact(diagnostic.description, secrets)
        return response

    wrapped._lambdakit_redacting = True  # type: ignore[attr-defined]
    return wrapped


def _request_secrets(request: Any) -> set[str]:
    found: set[str] = set()
    _struct_secrets(request.properties, found)
    return found


def _stack_request_secrets(request: Any) -> set[str]:
    found: set[str] = set()
    for resource in request.resources:
        _struct_secrets(resource.properties, found)
    return found


def install() -> bool:
    """Wrap the analyzer servicer's Analyze and AnalyzeStack (patched or not) so responses carry no secret."""
    try:
        from pulumi_policy import policy as m
    except ImportError:
        return False
    servicer = getattr(m, "_PolicyAnalyzerServicer", None)
    if servicer is None:
        return False
    for name, secrets_of in (("Analyze", _request_secrets), ("AnalyzeStack", _stack_request_secrets)):
        method = getattr(servicer, name, None)
        if method is None or getattr(method, "_lambdakit_redacting", False):
            continue
        setattr(servicer, name, _redacting(method, secrets_of))
    return True

"""One redaction for every lambdakit output: known secret values show as ``[secret]``.

The rules are the pack's (:mod:`lambdakit.policies._redact`: which strings of a secret value count, how text and
values are redacted), so the gate, the sandbox, the plan, the canary and the release driver hide exactly what the
pack hides. Tools :func:`remember` the secrets they meet (a program's secret inputs and exports, a stack's secret
outputs, what the sandbox unwraps) in one process-wide set, and pass what they print through :func:`redact`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from lambdakit.policies._redact import SECRET_TEXT, leaves, redact_value, secret_strings
from lambdakit.policies._redact import redact as redact_with

__all__ = [
    "SECRET_TEXT",
    "forget_all",
    "known",
    "leaves",
    "redact",
    "redact_obj",
    "redact_with",
    "remember",
    "remember_run",
    "scrub_gate_result",
    "secret_strings",
    "unwrap_secrets",
]

_KNOWN: set[str] = set()
_LOCK = threading.Lock()


def remember(value: Any) -> None:
    """Every string inside ``value`` (a secret's plaintext: a string, or a structure holding strings) is secret."""
    found: set[str] = set()
    leaves(value, found)
    if found:
        with _LOCK:
            _KNOWN.update(found)


def remember_run(run: Any) -> None:
    """The secrets of a program run (``lambdakit.program.ProgramRun``): secret inputs of every resource and secret
    stack exports."""
    for reg in getattr(run, "registrations", []):
        for key in getattr(reg, "secret_inputs", ()):
            remember(reg.inputs.get(key))
    exports = getattr(run, "exports", {}) or {}
    for key in getattr(run, "secret_exports", ()):
        remember(exports.get(key))


def known() -> set[str]:
    with _LOCK:
        return set(_KNOWN)


def forget_all() -> None:
    with _LOCK:
        _KNOWN.clear()


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every remembered secret (and ``extra``) shown as ``[secret]``."""
    return redact_with(text, known() | set(extra))


def redact_obj(value: Any, extra: Iterable[str] = ()) -> Any:
    """A JSON-like value with every remembered secret (and ``extra``) redacted in its strings."""
    return redact_value(value, known() | set(extra))


def unwrap_secrets(value: Any) -> Any:
    """``value`` with the engine's secret wrappers (``{SIG: SECRET_SIG, "value": ...}``) replaced by their plaintext,
    which is remembered as secret: the sandbox deploys real values into the emulator and prints ``[secret]``."""
    from lambdakit.policies._redact import SECRET_SIG, SIG_KEY

    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            inner = value.get("value")
            remember(inner)
            return unwrap_secrets(inner)
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


def scrub_gate_result(result: Any, run: Any) -> None:
    """Redact a gate result's violation messages and notes with the run's secrets (the pack redacts what it says;
    notes reach the gate through the engine log, and a pack run from another folder may predate that)."""
    remember_run(run)
    secrets = known()
    if not secrets:
        return
    for violation in getattr(result, "violations", []):
        violation.message = redact_with(violation.message, secrets)
    for note in getattr(result, "notes", []):
        note.message = redact_with(note.message, secrets)

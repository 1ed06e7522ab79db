"""Every private part of the Pulumi SDK that lambdakit uses, checked once when this module is imported.

The offline runs (``program.py``: plan, gate, sandbox, benchmarks) and the component plugin (``plugin.py``) need the
SDK's internals: the mock monitor's event-loop helper, the RPC secret signature, the runtime's root-stack and
outstanding-output state, ``run_pulumi_func`` and ``_sync_await``, the experimental component provider, and (for
speed under mocks, :func:`fast_mocked_evaluation`) the per-resource stack trace, ``rpc.contains_unknowns`` and the
SDK's debug log. Nothing else in lambdakit names them.

Import-time checks (see ``lambdakit.policies._compat``): the installed pulumi is in :data:`PULUMI`'s range (else one
line saying what to pin; ``LAMBDAKIT_ALLOW_UNTESTED_VERSIONS=1`` makes it a warning), and each internal is there (else
an error naming it). pyproject.toml declares the same range (a unit test compares them).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pulumi.log as _log
from pulumi.provider.experimental import analyzer as _analyzer
from pulumi.provider.experimental import component as _component
from pulumi.runtime import mocks as _mocks
from pulumi.runtime import resource as _resource
from pulumi.runtime import rpc as _rpc
from pulumi.runtime import settings as _settings
from pulumi.runtime import stack as _stack
from pulumi.runtime import sync_await as _sync_await_module
from pulumi.runtime.proto import source_pb2

from lambdakit.policies._compat import (
    ALLOW_UNTESTED_ENV,
    Supported,
    UnsupportedDependencyError,
    check_version,
    require,
    require_instance_attributes,
)

__all__ = [
    "ALLOW_UNTESTED_ENV",
    "PULUMI",
    "UnsupportedDependencyError",
    "check",
]

PULUMI = Supported("pulumi", "3.272.0", "3.273", "lambdakit (its offline runs under mocks and its component plugin)")

#: Module -> the private (or experimental) names lambdakit reads from it.
INTERNALS: dict[Any, tuple[str, ...]] = {
    _mocks: ("_ensure_event_loop", "MockMonitor.RegisterResource", "MockMonitor.RegisterResourceOutputs"),
    _rpc: ("_special_sig_key", "_special_secret_sig", "contains_unknowns", "deserialize_properties"),
    _settings: ("ROOT", "SETTINGS.outputs", "get_root_resource"),
    _stack: ("run_pulumi_func",),
    _sync_await_module: ("_sync_await",),
    _resource: ("_get_stack_trace",),
    _log: ("debug",),
    _component: ("ComponentProvider.map_input_properties",),
    _analyzer: ("PropertyDefinition", "PropertyType.INTEGER"),
}


def check() -> bool:
    """The start-up check; returns False when an untested version was allowed (after a warning)."""
    in_range = check_version(PULUMI)
    for module, names in INTERNALS.items():
        for name in names:
            require(PULUMI, module, name)
    # MockMonitor's registrations (read by program.RecordingMonitor) are set in its __init__.
    require_instance_attributes(PULUMI, _mocks.MockMonitor, ("resources", "mocks"))
    return in_range


check()

# ----- the internals, under names of lambdakit's own ----------------------------------------------------------------

ensure_event_loop = _mocks._ensure_event_loop
"""Give the calling (executor) thread an event loop: deserializing resource references needs one."""
SECRET_SIG_KEY: str = _rpc._special_sig_key
SECRET_SIG: str = _rpc._special_secret_sig
sync_await = _sync_await_module._sync_await
run_pulumi_func = _stack.run_pulumi_func
get_root_resource = _settings.get_root_resource
ComponentProvider = _component.ComponentProvider
PropertyDefinition = _analyzer.PropertyDefinition
PropertyType = _analyzer.PropertyType


def forget_root_stack() -> None:
    """Forget the previous run's root stack (several runs share one process); ``set_mocks`` then makes a new one."""
    _settings.ROOT.set(None)


def forget_outstanding_outputs() -> None:
    """Drop the outputs an earlier run left unresolved (the runtime waits for them at the end of a run)."""
    _settings.SETTINGS.outputs.clear()


# ----- speed under mocks --------------------------------------------------------------------------------------------


def _no_stack_trace() -> Any:
    # What the SDK itself returns when it finds no user frame; the mock monitor ignores stack traces.
    return source_pb2.StackTrace()


def _contains_unknowns(val: Any) -> bool:
    """``rpc.contains_unknowns`` without the self-referencing closure the SDK's builds on every call.

    Same answer (the SDK's walk: dicts and lists, each object once); the SDK's nested ``impl`` refers to itself, so
    each call leaves a reference cycle for the cyclic collector (643,050 of them for 2,800 resources)."""
    is_unknown = _rpc.known_types.is_unknown
    seen: set[int] = set()
    stack = [val]
    while stack:
        item = stack.pop()
        if is_unknown(item):
            return True
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            stack.extend(reversed([item[k] for k in item]))  # not .values(): input types may have a `values` field
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return False


def _no_debug(*_args: Any, **_kwargs: Any) -> None:
    return None


_lock = threading.Lock()
_depth = 0
_saved: dict[str, Any] = {}


@contextlib.contextmanager
def fast_mocked_evaluation() -> Iterator[None]:
    """For a program evaluated under mocks: what only costs time there, switched off until the block ends.

    - the cyclic garbage collector (the SDK's Outputs, futures and tasks are long-lived; collecting while they pile up
      is a third of the CPU time and grows faster than linearly); its previous state is restored afterwards;
    - the SDK's stack trace per resource (``traceback.extract_stack`` with source lines; only a real engine reads it);
    - ``rpc.contains_unknowns`` replaced by an equivalent that leaves no garbage cycles;
    - the SDK's debug log messages, when Python's logging would drop them anyway (the mock engine sends them to the
      root logger at DEBUG level).

    Re-entrant and safe across threads (the first block in patches, the last out restores)."""
    global _depth
    with _lock:
        if _depth == 0:
            _saved.update(
                gc=gc.isenabled(),
                stack_trace=_resource._get_stack_trace,
                contains_unknowns=_rpc.contains_unknowns,
                debug=_log.debug,
            )
            gc.disable()
            _resource._get_stack_trace = _no_stack_trace
            _rpc.contains_unknowns = _contains_unknowns
            if not logging.getLogger().isEnabledFor(logging.DEBUG):
                _log.debug = _no_debug
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _resource._get_stack_trace = _saved["stack_trace"]
                _rpc.contains_unknowns = _saved["contains_unknowns"]
                _log.debug = _saved["debug"]
                if _saved["gc"]:
                    gc.enable()
                _saved.clear()

"""A sandbox stack with state: the next ``up`` is an update, as ``pulumi up`` would be.

``up()`` evaluates the program twice. First under :class:`PreviewMocks` (nothing is called): each resource is
compared with the stack's record (:mod:`lambdakit.sandbox.state`) and classified as create, update, replace or same
(:mod:`lambdakit.sandbox.diff`); records the program no longer declares are deletes. That is the preview. Then under
:class:`StatefulMocks`, which creates new resources in moto as ``MotoMocks`` does, applies updates through the AWS
API (function code and configuration then ``PublishVersion``, ``UpdateAlias`` for version and routing, queue
attributes, log retention, mappings, async config, alarms, ...), replaces what cannot change in place (delete, then
create), returns the recorded outputs of unchanged resources without a call, and finally deletes what is gone, in
reverse creation order. Every AWS call the ``up`` makes is counted by operation.

``destroy()`` deletes every recorded resource, newest first, and removes the record.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError
from pulumi.runtime import mocks as pulumi_mocks

from lambdakit.program import ProgramRun, run_program

from . import diff
from .deleters import DELETERS, Deleter, delete_record  # noqa: F401  (re-exported)
from .deploy import (
    SERVICE_COMPONENT,
    Deployment,
    PlanMocks,
    _attach_urns,
    _collect_failed_futures,
    _post_checks,
    describe_services,
    plan_history,
    unknown_types,
)
from .emulator import Sandbox, exported_env
from .exceptions import DeployError, RuleViolationError, SandboxError, UnknownResourceTypeError
from .mocks import Deployed
from .state import ResourceRecord, StackState, StateStore, normalise, without_secrets
from .stateful_updates import FUNCTION, UPDATERS, StatefulUpdates, Updater  # noqa: F401  (re-exported)

# ---------------------------------------------------------------------------------------------------------------
# Counting AWS calls
# ---------------------------------------------------------------------------------------------------------------

_COUNT_LOCK = threading.Lock()
_COUNTERS: list[Counter[str]] = []


def _count_call(model: Any = None, **_: Any) -> None:
    if model is None or not _COUNTERS:
        return
    with _COUNT_LOCK:
        for counter in _COUNTERS:
            counter[f"{model.service_model.service_name}:{model.name}"] += 1


def watch_client(client: Any) -> Any:
    """Make ``client`` report its calls to the active :func:`counting` blocks (once per client)."""
    client.meta.events.register("before-call", _count_call, unique_id="lambdakit-sandbox-call-count")
    return client


@contextmanager
def counting() -> Iterator[Counter[str]]:
    """Count the AWS calls made through watched clients while the block runs (``service:Operation`` -> n)."""
    counter: Counter[str] = Counter()
    with _COUNT_LOCK:
        _COUNTERS.append(counter)
    try:
        yield counter
    finally:
        with _COUNT_LOCK:
            _COUNTERS.remove(counter)


# ---------------------------------------------------------------------------------------------------------------
# Matching the program's resources with the record
# ---------------------------------------------------------------------------------------------------------------


class _Matcher:
    """(type, name, occurrence) of each resource as the mocks see it, matched with the record."""

    def __init__(self, state: StackState) -> None:
        self.records = state.by_key()
        self.seen: Counter[tuple[str, str]] = Counter()
        self.used: set[int] = set()

    def match(self, type_: str, name: str) -> ResourceRecord | None:
        n = self.seen[(type_, name)]
        self.seen[(type_, name)] += 1
        record = self.records.get((type_, name, n))
        if record is not None:
            self.used.add(id(record))
        return record

    def gone(self, state: StackState) -> list[ResourceRecord]:
        return [r for r in state.resources if id(r) not in self.used]


def _function_version_bump(record: ResourceRecord, inputs: Mapping[str, Any], outputs: dict[str, Any]) -> None:
    if not inputs.get("publish"):
        return
    old = str(record.outputs.get("version", "0"))
    version = str(int(old) + 1) if old.isdigit() else "1"
    outputs["version"] = version
    arn = str(record.outputs.get("arn", ""))
    outputs["qualifiedArn"] = f"{arn}:{version}"


class PreviewMocks(PlanMocks):
    """Evaluates the program against the record without calling AWS: each resource's fate is kept in ``changes``.

    Unchanged and updated resources answer with their recorded outputs (an updated, published function with the
    next version number, as the update will publish it), new ones as the plain mocks would.
    """

    def __init__(self, state: StackState) -> None:
        super().__init__()
        self.state = state
        self.matcher = _Matcher(state)
        self.changes: list[diff.Change] = []
        self._lock = threading.Lock()

    def new_resource(self, args: Any) -> tuple[str | None, dict]:
        with self._lock:
            record = self.matcher.match(args.typ, args.name)
            if record is None or not args.custom:
                rid, state = super().new_resource(args)
                if args.custom:
                    self.changes.append(diff.Change("create", args.typ, args.name))
                return rid, state
            changed = diff.changed_properties(record.inputs, normalise(_ints(dict(args.inputs))))
            op = diff.classify(args.typ, changed, args.typ in UPDATERS)
            outputs = {**record.outputs, **dict(args.inputs)}
            if args.typ == FUNCTION and op != "same":
                _function_version_bump(record, args.inputs, outputs)
                if op == "replace":
                    outputs["version"] = "1"
            self.changes.append(diff.Change(op, args.typ, args.name, record.urn, changed if op != "same" else []))
            return record.id, outputs

    def call(self, args: Any) -> tuple[dict, list[tuple[str, str]]]:
        """A data source read the last `up` answered (a vendor's SSM parameter) answers the same; others as planned."""
        recorded = _recorded_answer(self.state, args)
        return (dict(recorded.outputs), []) if recorded is not None else super().call(args)

    def deletes(self) -> list[diff.Change]:
        return [
            diff.Change("delete", r.type, r.name, r.urn) for r in reversed(self.matcher.gone(self.state)) if r.custom
        ]


def _ints(value: Any) -> Any:
    from .mocks import _ints as ints

    return ints(value)


# ---------------------------------------------------------------------------------------------------------------
# Applying the changes
# ---------------------------------------------------------------------------------------------------------------


class StatefulMocks(StatefulUpdates):
    """``MotoMocks`` that compare each resource with the stack's record and create, update, replace or keep it."""

    def __init__(self, sandbox: Sandbox, state: StackState, *, history: Mapping[str, int] | None = None) -> None:
        super().__init__(sandbox, history=history, stack=state.stack)
        self.state = state
        self.matcher = _Matcher(state)
        self.changes: list[diff.Change] = []
        self.inputs: dict[int, dict[str, Any]] = {}
        self._state_lock = threading.Lock()

    def client(self, service: str) -> Any:
        return watch_client(self.sandbox.client(service))

    def call(self, args: Any) -> tuple[dict, list[tuple[str, str]]]:
        """A data source read that an earlier `up` answered with a sandbox stand-in (a vendor's SSM parameter)
        answers the same, with no AWS call, and stays in the record; others are answered by the emulator."""
        recorded = _recorded_answer(self.state, args)
        if recorded is None:
            return super().call(args)
        from .mocks import Deployed

        with self._state_lock:
            self.deployed.append(Deployed(args.token, recorded.name, recorded.id, emulated=False))
        return dict(recorded.outputs), []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict]:
        with self._state_lock:
            record = self.matcher.match(args.typ, args.name)
            normalised = normalise(_ints(dict(args.inputs)))
            if record is not None and args.custom:
                changed = diff.changed_properties(record.inputs, normalised)
                op = diff.classify(args.typ, changed, args.typ in UPDATERS)
                if op == "same":
                    # Outputs as recorded, over the inputs as given (the SDK wants its archives back, not digests).
                    outputs = {**record.outputs, **_ints(dict(args.inputs))}
                    self._keep(args, record, outputs, normalised)
                    self.changes.append(diff.Change("same", args.typ, args.name, record.urn))
                    return record.id, outputs
                if op == "update":
                    inputs = _ints(dict(args.inputs))
                    extra = self._guard(args, lambda: UPDATERS[args.typ](self, args.name, inputs, record, changed))
                    outputs = {**record.outputs, **inputs, **extra}
                    self._keep(args, record, outputs, normalised)
                    self.changes.append(diff.Change("update", args.typ, args.name, record.urn, changed))
                    return record.id, outputs
                self._guard(args, lambda: delete_record(self, record))
                self.changes.append(diff.Change("replace", args.typ, args.name, record.urn, changed))
            elif args.custom:
                self.changes.append(diff.Change("create", args.typ, args.name))
            rid, state = super().new_resource(args)
            self.inputs[id(self.deployed[-1])] = normalised
            return rid, state

    def _keep(self, args: Any, record: ResourceRecord, outputs: dict[str, Any], normalised: dict[str, Any]) -> None:
        deployed = Deployed(args.typ, args.name, record.id, emulated=record.emulated, state=dict(outputs))
        self.deployed.append(deployed)
        self.inputs[id(deployed)] = normalised

    def _guard(self, args: Any, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except ClientError as exc:
            info = exc.response.get("Error", {})
            error: BaseException = DeployError(args.typ, args.name, f"{info.get('Code')}: {info.get('Message')}")
        except ParamValidationError as exc:
            error = DeployError(args.typ, args.name, str(exc))
        except (SandboxError, RuleViolationError) as exc:
            error = exc if isinstance(exc, DeployError) else DeployError(args.typ, args.name, str(exc))
        self.errors.append(error)
        raise error


# ---------------------------------------------------------------------------------------------------------------
# up / destroy
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class UpResult:
    """What one ``up`` of a sandbox stack planned, did and cost."""

    stack: str
    preview: list[diff.Change]
    applied: list[diff.Change] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    deployment: Deployment | None = None
    seconds: float = 0.0
    state_file: str = ""

    @property
    def call_count(self) -> int:
        return sum(self.calls.values())

    def preview_text(self) -> str:
        return diff.render(self.preview, title=f"Preview of stack {self.stack!r}:")

    def summary(self) -> str:
        by_service: Counter[str] = Counter()
        for key, n in self.calls.items():
            by_service[key.split(":")[0]] += n
        services = ", ".join(f"{s} {n}" for s, n in sorted(by_service.items())) or "none"
        return (
            f"Stack {self.stack!r}: {diff.summary(self.applied)} in {self.seconds:.1f} s; "
            f"{self.call_count} AWS call(s) ({services})"
        )


def preview(
    program_dir: str | Path, state: StackState, *, config_overrides: Mapping[str, str] | None = None
) -> tuple[ProgramRun, list[diff.Change]]:
    """Evaluate the program against the record, calling nothing: (the evaluation, the changes incl. deletes)."""
    mocks = PreviewMocks(state)
    run = run_program(str(Path(program_dir).resolve()), state.stack, mocks, config_overrides=config_overrides)
    unknown = unknown_types(run)
    if unknown:
        raise UnknownResourceTypeError(unknown)
    return run, mocks.changes + mocks.deletes()


def up(
    sandbox: Sandbox,
    store: StateStore,
    program_dir: str | Path,
    stack: str,
    *,
    config_overrides: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> UpResult:
    """Preview, then apply the program's ``stack`` to the sandbox as an update of its record; saves the record."""
    program_dir = str(Path(program_dir).resolve())
    state = store.load(stack)
    overrides = {**state.config, **dict(config_overrides or {})}
    plan, changes = preview(program_dir, state, config_overrides=overrides)
    result = UpResult(stack, changes)
    if progress is not None:
        progress(result.preview_text())
    # Stand-ins for earlier versions only for functions this up creates (an alias pinned to "3" on a first up).
    created = {c.name for c in changes if c.op in ("create", "replace") and c.type == FUNCTION}
    history = {
        fname: n
        for fname, n in plan_history(plan).items()
        if any(r.outputs.get("name") == fname and r.name in created for r in plan.by_type(FUNCTION))
    }
    mocks = StatefulMocks(sandbox, state, history=history)
    started = time.perf_counter()
    with counting() as calls, exported_env(sandbox):
        try:
            run = run_program(program_dir, stack, mocks, config_overrides=overrides)
        except Exception:
            _collect_failed_futures()
            _save_partial(store, state, mocks)
            if mocks.errors:
                raise mocks.errors[0].with_traceback(None) from None
            raise
        if mocks.errors:
            _collect_failed_futures()
            _save_partial(store, state, mocks)
            raise mocks.errors[0].with_traceback(None) from None
        gone = mocks.matcher.gone(state)
        for record in reversed(gone):
            delete_record(mocks, record)
            if record.custom:
                mocks.changes.append(diff.Change("delete", record.type, record.name, record.urn))
    result.seconds = time.perf_counter() - started
    result.calls = calls
    result.applied = mocks.changes
    _attach_urns(mocks.deployed, run)
    state.project = run.project
    state.program_dir = program_dir
    state.ups += 1
    state.resources = _records(mocks, run)
    result.state_file = str(store.save(state))
    deployment = Deployment(
        program_dir=program_dir,
        stack=stack,
        project=run.project,
        run=run,
        deployed=mocks.deployed,
        seconds=result.seconds,
        history=history,
    )
    deployment.warnings = _post_checks(sandbox, deployment)
    deployment.services = describe_services(sandbox, deployment)
    result.deployment = deployment
    return result


def _recorded_answer(state: StackState, args: Any) -> ResourceRecord | None:
    name = str(dict(args.args or {}).get("name", ""))
    for record in state.resources:
        if record.type == args.token and record.name == name and not record.custom:
            return record
    return None


def _is_invoke(token: str) -> bool:
    """A function call's token (``aws:ssm/getParameter:getParameter``), not a resource type (``...:Function``)."""
    return not token.startswith("pulumi:") and token.rsplit(":", 1)[-1][:1].islower()


def _records(mocks: StatefulMocks, run: ProgramRun) -> list[ResourceRecord]:
    registrations = run.by_urn()
    records = []
    for d in mocks.deployed:
        if _is_invoke(d.type):
            # A data source read (a vendor's SSM parameter answered by a stand-in): kept, not a resource, so that the
            # next preview answers the same value without calling AWS.
            answer = {"name": d.name, "type": "String", "value": d.id, "version": 1}
            records.append(
                ResourceRecord(
                    urn="", type=d.type, name=d.name, custom=False, inputs={}, id=d.id, outputs=answer, emulated=False
                )
            )
            continue
        outputs = d.state
        if not d.custom and d.urn in registrations:
            outputs = registrations[d.urn].outputs
        records.append(
            ResourceRecord(
                urn=d.urn,
                type=d.type,
                name=d.name,
                custom=d.custom,
                inputs=mocks.inputs.get(id(d), without_secrets(d.state) if not d.custom else {}),
                id=d.id,
                outputs=without_secrets(outputs),
                parent=d.parent,
                emulated=d.emulated,
            )
        )
    return records


def _save_partial(store: StateStore, state: StackState, mocks: StatefulMocks) -> None:
    """A failed up keeps what it did: records of resources it created or kept, plus the untouched old ones (as
    Pulumi keeps a partial state), so that the next up or destroy knows about them."""
    kept = {id(r) for r in state.resources}
    done = [
        ResourceRecord(
            urn=d.urn or f"{d.type}::{d.name}",
            type=d.type,
            name=d.name,
            custom=d.custom,
            inputs=mocks.inputs.get(id(d), {}),
            id=d.id,
            outputs=without_secrets(d.state),
            emulated=d.emulated,
        )
        for d in mocks.deployed
        if not _is_invoke(d.type)
    ]
    matched = {(r.type, r.name) for r in done}
    old = [r for r in state.resources if id(r) in kept and (r.type, r.name) not in matched]
    state.resources = old + done
    store.save(state)


def destroy(sandbox: Sandbox, store: StateStore, stack: str) -> UpResult:
    """Delete every resource of the stack's record, newest first, and remove the record."""
    state = store.load(stack)
    mocks = StatefulMocks(sandbox, state)
    changes = [diff.Change("delete", r.type, r.name, r.urn) for r in reversed(state.resources) if r.custom]
    result = UpResult(stack, changes)
    started = time.perf_counter()
    with counting() as calls:
        for record in reversed(state.resources):
            delete_record(mocks, record)
    result.seconds = time.perf_counter() - started
    result.calls = calls
    result.applied = changes
    store.remove(stack)
    return result


def service_components(state: StackState) -> dict[str, dict[str, Any]]:
    """Each LambdaService's recorded outputs by name."""
    return {r.name: r.outputs for r in state.resources if r.type == SERVICE_COMPONENT}

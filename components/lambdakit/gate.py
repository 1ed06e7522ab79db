"""Offline policy gate: the verdict of ``pulumi preview --policy-pack policies`` without the CLI or credentials.

It evaluates a Pulumi program folder under the SDK mocks with a stack's config (``lambdakit.program``), starts
the policy pack exactly as the CLI does (``python -u -m pulumi.policy <engine-address> .`` in the pack folder),
and speaks the analyzer protocol to it: GetAnalyzerInfo, Configure, ConfigureStack, one Analyze per resource and
one AnalyzeStack with every resource, its parent, dependencies and property dependencies. A tiny Engine gRPC
server receives the pack's log calls (the notes rules write when they skip something).

This is a pre-flight check: values the provider computes (ARNs, ids, versions) are mock values offline, where a
real preview would see them as unknown or as AWS's values. Run ``pulumi preview --policy-pack`` where credentials
exist for the authoritative verdict.

    lambdakit gate --stack prod [--program .] [--policy-config FILE] [--sarif FILE] [--junit FILE]
                   [--config KEY=VALUE ...] [--unknown-dependents] [--workers N]

Exit codes: 0 no mandatory violation, 1 at least one mandatory violation, 2 the gate itself could not run.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pulumi
from google.protobuf import empty_pb2, struct_pb2
from pulumi.output import Unknown
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2_grpc

from lambdakit.cliutil import command
from lambdakit.program import ProgramRun, Registration, load_stack_config, run_program


def default_pack() -> Path:
    """The installed policy pack's folder (``policies/`` of a source tree)."""
    from lambdakit.packdir import pack_dir

    return pack_dir()


def pack_version(pack: Path) -> str:
    """The ``version`` in the pack's ``PulumiPolicy.yaml`` (what ``pulumi policy publish`` uploads)."""
    import yaml

    try:
        data = yaml.safe_load((pack / "PulumiPolicy.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return "unknown"
    return str(data.get("version", "unknown"))


# How the engine encodes values in analyzer requests (sdk/go/common/resource/properties.go).
SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

_LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
_LEVEL_VALUES = {v: k for k, v in _LEVELS.items()}
_SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}

PREFLIGHT_NOTICE = (
    "Pre-flight check: the program ran offline under Pulumi mocks. Values the provider computes (ARNs, ids, "
    "versions, URLs) are mock values here, not what AWS returns, and a real preview may see some of them as "
    'unknown. Run `pulumi preview --policy-pack "$(lambdakit policy-pack)" --policy-pack-config <config>.json` where '
    "credentials exist for the authoritative verdict."
)


class GateError(RuntimeError):
    """The gate could not run (bad arguments, the pack failed to start, the program raised)."""


@dataclass
class PolicyMeta:
    name: str
    description: str
    level: str
    severity: str
    url: str
    remediation: str
    tags: list[str]
    kind: str
    schema: dict[str, Any]


@dataclass
class Violation:
    policy: str
    level: str
    severity: str
    message: str
    urn: str
    resource_type: str
    resource_name: str


@dataclass
class Note:
    message: str
    urn: str
    severity: str


@dataclass
class GateResult:
    stack: str
    program: str
    policy_config: str
    pack: str
    resources: int
    policies: list[PolicyMeta]
    levels: dict[str, str]
    violations: list[Violation] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    pack_version: str = "unknown"
    unknown_dependents: bool = False
    program_seconds: float = 0.0
    policy_seconds: float = 0.0
    total_seconds: float = 0.0

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.level != "mandatory"]

    @property
    def passed(self) -> bool:
        return not self.mandatory


# --- encoding registrations the way the engine does -------------------------------------------------------


def engine_value(value: Any) -> Any:
    """A Python value from a Registration as the JSON-like value the engine puts in a Struct."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Unknown):
        return UNKNOWN_VALUE
    if isinstance(value, Mapping):
        return {str(k): engine_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [engine_value(v) for v in value]
    if isinstance(value, pulumi.FileArchive):
        return {SIG: ARCHIVE_SIG, "path": str(value.path)}
    if isinstance(value, pulumi.RemoteArchive):
        return {SIG: ARCHIVE_SIG, "uri": str(value.uri)}
    if isinstance(value, pulumi.AssetArchive):
        return {SIG: ARCHIVE_SIG, "assets": {k: engine_value(v) for k, v in value.assets.items()}}
    if isinstance(value, pulumi.FileAsset):
        return {SIG: ASSET_SIG, "path": str(value.path)}
    if isinstance(value, pulumi.StringAsset):
        return {SIG: ASSET_SIG, "text": str(value.text)}
    if isinstance(value, pulumi.RemoteAsset):
        return {SIG: ASSET_SIG, "uri": str(value.uri)}
    if isinstance(value, pulumi.Output):
        return UNKNOWN_VALUE
    urn = getattr(value, "urn", None)
    if isinstance(value, pulumi.Resource) and urn is not None:
        return UNKNOWN_VALUE  # a resource reference; its URN is only known asynchronously
    return str(value)


def _struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update({str(k): engine_value(v) for k, v in props.items() if v is not None})
    return s


def _options(reg: Registration) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(parent=reg.parent or "", protect=reg.protect, aliases=reg.aliases)


class _Providers:
    """Provider resources as the engine describes them: explicit providers from the program, or the package's
    default provider configured from the stack's ``<package>:*`` config."""

    def __init__(self, run: ProgramRun) -> None:
        self._run = run
        self._regs = {r.urn: r for r in run.registrations if r.type.startswith("pulumi:providers:")}
        self._cache: dict[str, analyzer_pb2.AnalyzerProviderResource] = {}

    def for_resource(self, reg: Registration) -> analyzer_pb2.AnalyzerProviderResource | None:
        if reg.type.startswith("pulumi:providers:") or not reg.custom:
            return None
        ref = reg.provider or ""
        urn = ref.rsplit("::", 1)[0] if ref else ""  # a provider reference is "<urn>::<id>"
        key = urn or reg.type.split(":", 1)[0]
        if key in self._cache:
            return self._cache[key]
        explicit = self._regs.get(urn)
        if explicit is not None:
            provider = analyzer_pb2.AnalyzerProviderResource(
                type=explicit.type, properties=_struct(explicit.inputs), urn=explicit.urn, name=explicit.name
            )
        else:
            package = reg.type.split(":", 1)[0]
            props = {k.split(":", 1)[1]: v for k, v in self._run.config.items() if k.startswith(f"{package}:")}
            provider = analyzer_pb2.AnalyzerProviderResource(
                type=f"pulumi:providers:{package}",
                properties=_struct(props),
                urn=f"urn:pulumi:{self._run.stack}::{self._run.project}::pulumi:providers:{package}::default",
                name="default",
            )
        self._cache[key] = provider
        return provider


def _as_first_preview(reg: Registration, custom: set[str]) -> dict[str, Any]:
    """The inputs with every top-level property computed from another custom resource made unknown: roughly what
    the first preview of a new stack sees (pessimistic: a real preview still knows echoed inputs such as names)."""
    inputs = dict(reg.inputs)
    for key, urns in reg.property_dependencies.items():
        if key in inputs and any(u in custom for u in urns):
            inputs[key] = Unknown()
    return inputs


def analyze_requests(
    run: ProgramRun, *, unknown_dependents: bool = False
) -> tuple[list[analyzer_pb2.AnalyzeRequest], analyzer_pb2.AnalyzeStackRequest]:
    """One AnalyzeRequest per registered resource and the AnalyzeStackRequest with all of them.

    With ``unknown_dependents``, inputs computed from other resources are sent as unknown (see _as_first_preview)."""
    providers = _Providers(run)
    custom = {r.urn for r in run.registrations if r.custom}
    requests: list[analyzer_pb2.AnalyzeRequest] = []
    resources: list[analyzer_pb2.AnalyzerResource] = []
    for reg in run.registrations:
        props = _struct(_as_first_preview(reg, custom) if unknown_dependents else reg.inputs)
        opts = _options(reg)
        provider = providers.for_resource(reg)
        requests.append(
            analyzer_pb2.AnalyzeRequest(
                type=reg.type, properties=props, urn=reg.urn, name=reg.name, options=opts, provider=provider
            )
        )
        resources.append(
            analyzer_pb2.AnalyzerResource(
                type=reg.type,
                properties=props,
                urn=reg.urn,
                name=reg.name,
                options=opts,
                provider=provider,
                parent=reg.parent or "",
                dependencies=reg.dependencies,
                propertyDependencies={
                    k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v) for k, v in reg.property_dependencies.items()
                },
            )
        )
    return requests, analyzer_pb2.AnalyzeStackRequest(resources=resources)


# --- the engine side: a log sink for the pack ---------------------------------------------------------------


class _EngineLog(engine_pb2_grpc.EngineServicer):
    def __init__(self) -> None:
        self.notes: list[Note] = []
        self._lock = threading.Lock()

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:  # noqa: N802 (gRPC method name)
        severity = {0: "debug", 1: "info", 2: "warning", 3: "error"}.get(int(request.severity), "info")
        with self._lock:
            self.notes.append(Note(message=request.message, urn=request.urn, severity=severity))
        return empty_pb2.Empty()


class EngineServer:
    """The Engine gRPC service the pack logs to, on 127.0.0.1 with a free port."""

    def __init__(self) -> None:
        self.log = _EngineLog()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self.log, self._server)
        port = self._server.add_insecure_port("127.0.0.1:0")
        self.address = f"127.0.0.1:{port}"
        self._server.start()

    def stop(self) -> None:
        self._server.stop(0)


# --- the analyzer side: the pack as the CLI runs it ---------------------------------------------------------

_CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 400 * 1024 * 1024),
    ("grpc.max_send_message_length", 400 * 1024 * 1024),
]


class PolicyPackProcess:
    """``python -u -m pulumi.policy <engine-address> .`` in the pack folder, and a stub on the port it prints."""

    def __init__(
        self,
        pack_dir: Path,
        engine_address: str,
        *,
        project: str = "",
        stack: str = "",
        config: Mapping[str, str] | None = None,
        python: str | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        env = dict(os.environ)
        env.update({"PULUMI_PROJECT": project, "PULUMI_STACK": stack, "PULUMI_DRY_RUN": "true"})
        env["PULUMI_CONFIG"] = json.dumps(dict(config or {}))
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(
            [python or sys.executable, "-u", "-m", "pulumi.policy", engine_address, "."],
            cwd=str(pack_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self._stderr: list[bytes] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        port = self._read_port(start_timeout)
        self.address = f"127.0.0.1:{port}"
        self.channel = grpc.insecure_channel(self.address, options=_CHANNEL_OPTIONS)
        grpc.channel_ready_future(self.channel).result(timeout=start_timeout)
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr.append(line)

    @property
    def stderr(self) -> str:
        return b"".join(self._stderr).decode(errors="replace")

    def _read_port(self, timeout: float) -> int:
        assert self.proc.stdout is not None
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(self.proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout)
        line = result[0].strip() if result else b""
        if not line.isdigit():
            self.close()
            raise GateError(f"policy pack did not print its port (got {line!r}); stderr:\n{self.stderr}")
        return int(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        channel = getattr(self, "channel", None)
        if channel is not None:
            channel.close()


def policy_metadata(info: analyzer_pb2.AnalyzerInfo) -> list[PolicyMeta]:
    from google.protobuf import json_format

    out = []
    for p in info.policies:
        kind = "stack" if p.policy_type == analyzer_pb2.POLICY_TYPE_STACK else "resource"
        out.append(
            PolicyMeta(
                name=p.name,
                description=p.description,
                level=_LEVELS.get(p.enforcementLevel, "advisory"),
                severity=_SEVERITIES.get(p.severity, "unspecified"),
                url=p.url,
                remediation=p.remediation_steps,
                tags=list(p.tags),
                kind=kind,
                schema=json_format.MessageToDict(p.configSchema.properties) if p.HasField("configSchema") else {},
            )
        )
    return out


def resolve_policy_config(
    policies: Sequence[PolicyMeta], config: Mapping[str, Any]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """What the CLI sends in Configure for ``--policy-pack-config``: per policy its level (policy default, then
    ``all``, then its own entry) and its settings over the schema defaults. Unknown policy names and settings are
    errors: a typo would otherwise fall back to a default without a word."""
    names = {p.name for p in policies}
    unknown = sorted(set(config) - names - {"all"})
    if unknown:
        raise GateError(f"policy config names policies the pack does not have: {unknown}; known: {sorted(names)}")
    resolved: dict[str, tuple[str, dict[str, Any]]] = {}
    everyone = config.get("all")
    for p in policies:
        level = p.level
        if isinstance(everyone, str):
            level = everyone
        elif isinstance(everyone, Mapping) and isinstance(everyone.get("enforcementLevel"), str):
            level = everyone["enforcementLevel"]
        settings = {k: v["default"] for k, v in p.schema.items() if isinstance(v, Mapping) and "default" in v}
        entry = config.get(p.name)
        if isinstance(entry, str):
            level = entry
        elif isinstance(entry, Mapping):
            level = str(entry.get("enforcementLevel", level))
            extra = sorted(set(entry) - set(p.schema) - {"enforcementLevel"})
            if extra:
                raise GateError(f"policy {p.name}: unknown settings {extra}; its settings are {sorted(p.schema)}")
            settings.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
        if level not in _LEVEL_VALUES:
            raise GateError(f"policy {p.name}: enforcementLevel must be one of {sorted(_LEVEL_VALUES)}, got {level!r}")
        resolved[p.name] = (level, settings)
    return resolved


def _configure_request(resolved: Mapping[str, tuple[str, dict[str, Any]]]) -> analyzer_pb2.ConfigureAnalyzerRequest:
    req = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, (level, settings) in resolved.items():
        cfg = analyzer_pb2.PolicyConfig(enforcementLevel=_LEVEL_VALUES[level])
        cfg.properties.update(json.loads(json.dumps(settings)))
        req.policyConfig[name].CopyFrom(cfg)
    return req


def _collect(
    response: analyzer_pb2.AnalyzeResponse, default_urn: str, types: Mapping[str, tuple[str, str]]
) -> list[Violation]:
    out = []
    for d in response.diagnostics:
        urn = d.urn or default_urn
        rtype, rname = types.get(urn, ("", urn.rsplit("::", 1)[-1] if urn else ""))
        out.append(
            Violation(
                policy=d.policyName,
                level=_LEVELS.get(d.enforcementLevel, "advisory"),
                severity=_SEVERITIES.get(d.severity, "unspecified"),
                message=d.message,
                urn=urn,
                resource_type=rtype,
                resource_name=rname,
            )
        )
    return out


def _dispatch(
    packs: Sequence[PolicyPackProcess],
    requests: Sequence[analyzer_pb2.AnalyzeRequest],
    stack_request: analyzer_pb2.AnalyzeStackRequest,
    types: Mapping[str, tuple[str, str]],
    out: list[Violation],
    window: int = 8,
) -> None:
    """AnalyzeStack on the first pack; Analyze requests pulled from a shared queue by ``window`` callers per pack.

    A pack's callers take the next request as soon as their last one is answered, so the pack busy with the stack
    takes fewer resources and every CPU stays busy. Runs on asyncio gRPC in its own thread (so it works whether or
    not the caller has an event loop); many calls in flight cost far less per call than one at a time.
    """
    todo = collections.deque(requests)

    async def run() -> None:
        channels = [grpc.aio.insecure_channel(p.address, options=_CHANNEL_OPTIONS) for p in packs]
        try:
            stubs = [analyzer_pb2_grpc.AnalyzerStub(c) for c in channels]

            async def stack() -> None:
                out.extend(_collect(await stubs[0].AnalyzeStack(stack_request, timeout=600), "", types))

            async def caller(stub: Any) -> None:
                while todo:
                    req = todo.popleft()
                    out.extend(_collect(await stub.Analyze(req, timeout=600), req.urn, types))

            await asyncio.gather(stack(), *(caller(stub) for stub in stubs for _ in range(window)))
        finally:
            for channel in channels:
                await channel.close()

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target, name="policy-gate-dispatch")
    thread.start()
    thread.join()
    if errors:
        raise GateError(f"analyzer call failed: {errors[0]!r}") from errors[0]


class PackPool:
    """The engine log server and ``workers`` pack processes, started in the background so that start-up can
    overlap the program's evaluation; :meth:`ready` waits for them."""

    def __init__(
        self,
        pack_dir: Path,
        workers: int | None = None,
        *,
        project: str = "",
        stack: str = "",
        config: Mapping[str, str] | None = None,
    ) -> None:
        self.engine = EngineServer()
        self.packs: list[PolicyPackProcess] = []
        self._errors: list[BaseException] = []
        count = max(1, workers or min(2, os.cpu_count() or 1))

        def start() -> None:
            try:
                pack = PolicyPackProcess(pack_dir, self.engine.address, project=project, stack=stack, config=config)
            except BaseException as exc:
                self._errors.append(exc)
                return
            self.packs.append(pack)

        self._threads = [threading.Thread(target=start, daemon=True) for _ in range(count)]
        for t in self._threads:
            t.start()

    def ready(self) -> list[PolicyPackProcess]:
        for t in self._threads:
            t.join()
        if self._errors:
            raise GateError(f"policy pack failed to start: {self._errors[0]}") from self._errors[0]
        return self.packs

    def close(self) -> None:
        for t in self._threads:
            t.join()
        for pack in self.packs:
            pack.close()
        self.engine.stop()

    def __enter__(self) -> PackPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def analyze(
    run: ProgramRun,
    policy_config: Mapping[str, Any],
    *,
    pack_dir: Path | None = None,
    workers: int | None = None,
    pool: PackPool | None = None,
    unknown_dependents: bool = False,
) -> GateResult:
    """Send a program run through the pack over the analyzer protocol; the policy part of the gate.

    Starts its own packs unless given a ``pool`` (started with the run's project, stack and config)."""
    pack_dir = Path(pack_dir) if pack_dir is not None else default_pack()
    owned = pool is None
    pool = pool or PackPool(pack_dir, workers, project=run.project, stack=run.stack, config=run.config)
    try:
        requests, stack_request = analyze_requests(run, unknown_dependents=unknown_dependents)
        types = {r.urn: (r.type, r.name) for r in run.registrations}
        packs = pool.ready()
        info = packs[0].stub.GetAnalyzerInfo(empty_pb2.Empty())
        policies = policy_metadata(info)
        resolved = resolve_policy_config(policies, policy_config)
        configure = _configure_request(resolved)
        stack_cfg = analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=run.stack, project=run.project, organization="organization", dry_run=True, config=run.config
        )
        for pack in packs:
            pack.stub.Configure(configure)
            pack.stub.ConfigureStack(stack_cfg)
        result = GateResult(
            stack=run.stack,
            program="",
            policy_config="",
            pack=str(pack_dir),
            pack_version=pack_version(pack_dir),
            resources=len(requests),
            policies=policies,
            levels={k: v[0] for k, v in resolved.items()},
            unknown_dependents=unknown_dependents,
        )
        mark = len(pool.engine.log.notes)
        _dispatch(packs, requests, stack_request, types, result.violations)
        result.notes = list(pool.engine.log.notes[mark:])
        result.violations.sort(key=lambda v: (v.level != "mandatory", v.policy, v.urn))
        return result
    finally:
        if owned:
            pool.close()


def run_gate(
    program_dir: str | os.PathLike[str],
    stack: str,
    policy_config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    *,
    pack_dir: Path | None = None,
    config_overrides: Mapping[str, str] | None = None,
    program: Callable[[], None] | None = None,
    workers: int | None = None,
    unknown_dependents: bool = False,
) -> GateResult:
    """Run a program folder under mocks with a stack's config, then the pack over its resources.

    ``policy_config`` defaults to the first of the program's ``policy-config/<stack>.json``, its
    ``policies/config/<stack>.json`` and the pack's ``config/<stack>.json``. ``program`` replaces the folder's
    ``__main__.py`` (as in ``run_program``), e.g. to add resources to it. The packs start while the program runs;
    ``policy_seconds`` is the time from the program's end to the verdict."""
    from lambdakit.packdir import default_policy_config, policy_config_candidates
    from lambdakit.program import StackConfigError, describe_failure

    pack_dir = Path(pack_dir) if pack_dir is not None else default_pack()
    started = time.perf_counter()
    config_path = ""
    if policy_config is None:
        found = default_policy_config(Path(program_dir), stack, pack_dir)
        if found is None:
            tried = ", ".join(str(c) for c in policy_config_candidates(Path(program_dir), stack, pack_dir))
            raise GateError(f"no policy config for stack {stack!r} (looked for {tried}); pass --policy-config FILE")
        policy_config = found
    if isinstance(policy_config, Mapping):
        config_data: Mapping[str, Any] = policy_config
    else:
        config_path = str(policy_config)
        try:
            config_data = json.loads(Path(policy_config).read_text())
        except OSError as exc:
            raise GateError(f"policy config {config_path}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise GateError(f"policy config {config_path} is not JSON: {exc}") from None
    try:
        project, config, _ = load_stack_config(program_dir, stack)
    except (OSError, KeyError, ValueError) as exc:
        raise GateError(f"cannot read the stack config of {program_dir} for stack {stack}: {exc}") from exc
    for key, value in (config_overrides or {}).items():
        config[key if ":" in key else f"{project}:{key}"] = value
    with PackPool(Path(pack_dir), workers, project=project, stack=stack, config=config) as pool:
        try:
            run = run_program(program_dir, stack, config_overrides=config_overrides, program=program)
        except StackConfigError as exc:
            raise GateError(str(exc)) from exc
        except Exception as exc:
            from lambdakit.cliutil import debugging

            if debugging():
                raise
            why = describe_failure(exc, program_dir)
            raise GateError(f"the program in {program_dir} failed under mocks for stack {stack}: {why}") from exc
        program_done = time.perf_counter()
        result = analyze(run, config_data, pack_dir=Path(pack_dir), pool=pool, unknown_dependents=unknown_dependents)
    finished = time.perf_counter()
    result.program = str(program_dir)
    result.policy_config = config_path or "<inline>"
    result.program_seconds = program_done - started
    result.policy_seconds = finished - program_done
    result.total_seconds = finished - started
    return result


# --- reports ------------------------------------------------------------------------------------------------


def format_report(result: GateResult, *, show_notes: int = 50) -> str:
    lines = [
        f"lambdakit offline policy gate: stack {result.stack}, program {result.program}, "
        f"policy config {result.policy_config}, pack {result.pack} (version {result.pack_version})",
        PREFLIGHT_NOTICE,
        *(
            ["Inputs computed from other resources were sent as unknown (--unknown-dependents), as in a first preview."]
            if result.unknown_dependents
            else []
        ),
        f"{result.resources} resources, {len(result.policies)} policies "
        f"({sum(1 for v in result.levels.values() if v == 'mandatory')} mandatory, "
        f"{sum(1 for v in result.levels.values() if v == 'advisory')} advisory, "
        f"{sum(1 for v in result.levels.values() if v == 'disabled')} disabled).",
        "",
    ]
    for title, items in (("Mandatory violations", result.mandatory), ("Advisory violations", result.advisory)):
        lines.append(f"{title}: {len(items)}")
        for v in items:
            text = v.message.split("\n", 1)[-1]
            lines.append(f"  [{v.level}] {v.policy} ({v.severity}) {v.resource_type} {v.resource_name}")
            lines.append(f"      {text}")
        lines.append("")
    if result.notes:
        lines.append(f"Notes from the pack (skipped checks and early warnings): {len(result.notes)}")
        for n in result.notes[:show_notes]:
            lines.append(f"  - {n.message}")
        if len(result.notes) > show_notes:
            lines.append(f"  ... and {len(result.notes) - show_notes} more")
        lines.append("")
    lines.append(
        f"Timing: program under mocks {result.program_seconds:.2f} s, policy pack {result.policy_seconds:.2f} s, "
        f"total {result.total_seconds:.2f} s."
    )
    verdict = "FAILED" if result.mandatory else "PASSED"
    lines.append(f"Verdict: {verdict} ({len(result.mandatory)} mandatory, {len(result.advisory)} advisory violations).")
    return "\n".join(lines)


def _relative_uri(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def sarif(result: GateResult) -> dict[str, Any]:
    """SARIF 2.1.0 for code-scanning annotations; results point at the program's __main__.py."""
    program_file = _relative_uri(Path(result.program or ".") / "__main__.py")
    rules = []
    index = {}
    for i, p in enumerate(result.policies):
        index[p.name] = i
        level = result.levels.get(p.name, p.level)
        rules.append(
            {
                "id": p.name,
                "name": p.name,
                "shortDescription": {"text": p.description},
                "fullDescription": {"text": p.description},
                "helpUri": p.url,
                "help": {"text": p.remediation or p.description},
                "defaultConfiguration": {
                    "level": "error" if level == "mandatory" else "none" if level == "disabled" else "warning"
                },
                "properties": {"tags": p.tags, "kind": p.kind, "severity": p.severity, "enforcementLevel": level},
            }
        )
    results = []
    for v in result.violations:
        results.append(
            {
                "ruleId": v.policy,
                "ruleIndex": index.get(v.policy, 0),
                "level": "error" if v.level == "mandatory" else "warning",
                "message": {"text": v.message.replace("\n", " ")},
                "locations": [
                    {
                        "physicalLocation": {"artifactLocation": {"uri": program_file}},
                        "logicalLocations": [
                            {"fullyQualifiedName": v.urn, "name": v.resource_name, "kind": "resource"}
                        ],
                    }
                ],
                "properties": {"urn": v.urn, "resourceType": v.resource_type, "severity": v.severity},
            }
        )
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "lambdakit-policy-gate",
                        "version": result.pack_version,
                        "semanticVersion": result.pack_version,
                        "informationUri": "https://www.pulumi.com/docs/using-pulumi/crossguard/",
                        "rules": rules,
                    }
                },
                "results": results,
                "properties": {"stack": result.stack, "preflight": PREFLIGHT_NOTICE},
            }
        ],
    }


def junit_xml(result: GateResult) -> str:
    """JUnit XML: one test case per policy; a mandatory violation fails it, advisory ones are printed."""
    by_policy: dict[str, list[Violation]] = {}
    for v in result.violations:
        by_policy.setdefault(v.policy, []).append(v)
    suite = ET.Element(
        "testsuite",
        name=f"lambdakit policy gate ({result.stack})",
        tests=str(len(result.policies)),
        failures=str(len({v.policy for v in result.mandatory})),
        skipped=str(sum(1 for p in result.policies if result.levels.get(p.name) == "disabled")),
        time=f"{result.policy_seconds:.3f}",
    )
    for p in result.policies:
        case = ET.SubElement(suite, "testcase", classname=f"policies.{result.stack}", name=p.name)
        level = result.levels.get(p.name, p.level)
        found = by_policy.get(p.name, [])
        if level == "disabled":
            ET.SubElement(case, "skipped", message="disabled in this environment")
            continue
        mandatory = [v for v in found if v.level == "mandatory"]
        if mandatory:
            failure = ET.SubElement(case, "failure", message=f"{len(mandatory)} mandatory violation(s)", type=p.name)
            failure.text = "\n".join(f"{v.urn}: {v.message}" for v in mandatory)
        advisory = [v for v in found if v.level != "mandatory"]
        if advisory:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(f"[advisory] {v.urn}: {v.message}" for v in advisory)
    suites = ET.Element("testsuites")
    suites.append(suite)
    return ET.tostring(suites, encoding="unicode")


@command("gate")
def main(argv: Iterable[str] | None = None) -> int:
    from lambdakit.cliutil import caller_path, key_value, parser, program_dir, stack_file

    p = parser(
        "gate",
        "Offline pre-flight policy gate: run a Pulumi program under mocks and check it with the lambdakit policy "
        "pack over the analyzer protocol (no Pulumi CLI, no cloud credentials). Exit 0 pass, 1 a mandatory "
        "violation, 2 the gate could not run.",
    )
    p.add_argument("--stack", required=True, help="stack name; reads Pulumi.<stack>.yaml")
    p.add_argument("--program", help="Pulumi program folder (default: .)")
    p.add_argument(
        "--policy-config",
        help="policy config JSON (default: policy-config/<stack>.json of the program, else the pack's "
        "config/<stack>.json)",
    )
    p.add_argument("--pack", help="policy pack folder (default: the installed pack, `lambdakit policy-pack`)")
    p.add_argument("--sarif", help="write SARIF 2.1.0 results to this file")
    p.add_argument("--junit", help="write JUnit XML results to this file")
    p.add_argument("--workers", type=int, default=None, help="policy pack processes (default: up to 2)")
    p.add_argument("--config", action="append", default=[], metavar="KEY=VALUE", help="override stack config")
    p.add_argument(
        "--unknown-dependents",
        action="store_true",
        help="send inputs computed from other resources as unknown, roughly as a new stack's first preview sees them",
    )
    args = p.parse_args(list(argv) if argv is not None else None)
    program = program_dir(args.program)
    stack_file(program, args.stack)
    overrides = key_value(args.config, "--config")
    sarif_path = caller_path(args.sarif) if args.sarif else None
    junit_path = caller_path(args.junit) if args.junit else None
    try:
        result = run_gate(
            program,
            args.stack,
            caller_path(args.policy_config) if args.policy_config else None,
            pack_dir=caller_path(args.pack) if args.pack else None,
            config_overrides=overrides or None,
            workers=args.workers,
            unknown_dependents=args.unknown_dependents,
        )
    except GateError as exc:
        print(f"lambdakit gate: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    print(format_report(result))
    for path, text in (
        (sarif_path, lambda: json.dumps(sarif(result), indent=2)),
        (junit_path, lambda: junit_xml(result)),
    ):
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text())
            except OSError as exc:
                print(f"lambdakit gate: error: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
                return 2
    return 1 if result.mandatory else 0

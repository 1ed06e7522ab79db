"""Run a Pulumi program folder in process under Pulumi's SDK mocks, with a stack's config.

This is the engine behind the offline plan, the offline policy gate, the sandbox and the benchmarks: it needs
no Pulumi CLI. Every ``RegisterResource`` call is recorded with what the engine would see (parent, explicit and
property dependencies, protect, aliases), and the stack's exports are captured.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import os
import runpy
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.config import set_all_config

from . import _pulumi_compat as sdk

#: The account and region the default mocks pretend to deploy into.
MOCK_ACCOUNT = "123456789012"
MOCK_REGION = "us-east-1"

#: What a ``secure:`` config value reads as offline: it cannot be decrypted without the stack's secrets provider.
SECRET_PLACEHOLDER = "offline-secret-placeholder"


@dataclass
class Registration:
    """One resource as the engine saw it being registered."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str | None
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    aliases: list[str]
    provider: str
    ignore_changes: list[str] = field(default_factory=list)
    secret_inputs: set[str] = field(default_factory=set)
    """Top-level input names whose value is, or contains, a Pulumi secret."""


@dataclass
class ProgramRun:
    """What one evaluation of a program registered and exported."""

    project: str
    stack: str
    config: dict[str, str]
    registrations: list[Registration] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    secret_exports: set[str] = field(default_factory=set)

    def by_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.registrations}


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that keeps each registration request's engine-side details."""

    def __init__(self, mocks: pulumi_mocks.Mocks, run: ProgramRun) -> None:
        super().__init__(mocks)
        self.run = run
        # urn -> its registration, for RegisterResourceOutputs (a list scan per component grew as N^2); the first
        # `_indexed` registrations are in it.
        self._by_urn: dict[str, Registration] = {}
        self._indexed = 0
        self._index_lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        sdk.ensure_event_loop()
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        state = self.resources[response.urn].state
        self.run.registrations.append(
            Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent,
                inputs=dict(inputs),
                outputs=dict(state),
                id=response.id or None,
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                protect=bool(request.protect),
                aliases=[str(a) for a in request.aliasURNs],
                provider=request.provider,
                ignore_changes=list(request.ignoreChanges),
                secret_inputs={k for k, v in request.object.fields.items() if _contains_secret(v)},
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        # A component's register_outputs: keep them on its registration, as the engine keeps them in the state.
        outputs = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        with self._index_lock:  # the SDK calls the monitor from several executor threads
            new = self.run.registrations[self._indexed :]
            for added in new:
                self._by_urn[added.urn] = added  # a later registration of a URN wins, as the scan from the end did
            self._indexed += len(new)
            reg = self._by_urn.get(request.urn)
        if reg is not None:
            reg.outputs = dict(outputs)
        return super().RegisterResourceOutputs(request)


def _contains_secret(value: Any) -> bool:
    """Whether a protobuf Value carries Pulumi's secret signature anywhere inside it."""
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        fields = value.struct_value.fields
        sig = fields.get(sdk.SECRET_SIG_KEY)
        if sig is not None and sig.string_value == sdk.SECRET_SIG:
            return True
        return any(_contains_secret(v) for v in fields.values())
    if kind == "list_value":
        return any(_contains_secret(v) for v in value.list_value.values)
    return False


def _arn(service: str, resource: str, region: bool = True) -> str:
    return f"arn:aws:{service}:{MOCK_REGION if region else ''}:{MOCK_ACCOUNT}:{resource}"


class DefaultMocks(pulumi_mocks.Mocks):
    """Plausible provider outputs (ids, ARNs, versions) for the resource types lambdakit uses.

    Inputs are echoed as outputs, as the provider does, plus the computed attributes a program reads.
    """

    def __init__(self) -> None:
        self._versions: dict[str, int] = {}

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict]:
        if not args.custom:
            return None, dict(args.inputs)
        state: dict[str, Any] = dict(args.inputs)
        name = str(state.get("name") or args.name)
        rid = self._lambda_attributes(args.typ, name, state)
        if rid is None:
            rid = _service_attributes(args.typ, name, state)
        return f"{rid}-id" if rid == name else rid, state

    def _lambda_attributes(self, t: str, name: str, state: dict[str, Any]) -> str | None:
        """The attributes the provider computes for Lambda's own types; the id, or None for another type."""
        rid = name
        if t == "aws:lambda/function:Function":
            state.setdefault("name", name)
            state["arn"] = _arn("lambda", f"function:{name}")
            state["invokeArn"] = (
                f"arn:aws:apigateway:{MOCK_REGION}:lambda:path/2015-03-31/functions/{state['arn']}/invocations"
            )
            n = self._versions.get(name, 0) + 1
            self._versions[name] = n
            state["version"] = str(n) if state.get("publish") else "$LATEST"
            state["qualifiedArn"] = f"{state['arn']}:{state['version']}"
            state["sourceCodeHash"] = state.get("sourceCodeHash") or "mock-hash"
        elif t == "aws:lambda/alias:Alias":
            fn = str(state.get("functionName", "fn")).split(":")[-1]
            state["arn"] = _arn("lambda", f"function:{fn}:{name}")
            state["invokeArn"] = (
                f"arn:aws:apigateway:{MOCK_REGION}:lambda:path/2015-03-31/functions/{state['arn']}/invocations"
            )
            rid = state["arn"]
        elif t == "aws:lambda/layerVersion:LayerVersion":
            layer = str(state.get("layerName", name))
            state["layerArn"] = _arn("lambda", f"layer:{layer}")
            state["arn"] = f"{state['layerArn']}:1"
            state["version"] = "1"
            rid = state["arn"]
        elif t == "aws:lambda/functionUrl:FunctionUrl":
            state["functionUrl"] = f"https://{name}.lambda-url.{MOCK_REGION}.on.aws/"
        else:
            return None
        return rid

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict, list[tuple[str, str]]]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": MOCK_ACCOUNT, "arn": _arn("iam", "user/mock", region=False), "userId": "mock"}, []
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": MOCK_REGION, "region": MOCK_REGION, "id": MOCK_REGION}, []
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com"}, []
        if args.token == "aws:ssm/getParameter:getParameter":
            name = str(args.args.get("name", ""))
            return {"name": name, "type": "String", "value": mock_parameter(name), "version": 1}, []
        if args.token == "aws:iam/getPolicyDocument:getPolicyDocument":
            # The provider renders real IAM JSON from the camelCase statements.
            statements = [iam_statement(s) for s in args.args.get("statements") or []]
            return {"json": json.dumps({"Version": "2012-10-17", "Statement": statements})}, []
        if args.token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            return {"userName": "AWS", "password": "mock-token", "proxyEndpoint": "", "authorizationToken": ""}, []
        return {}, []


def _efs_mock(typ: str, name: str, state: dict[str, Any]) -> str:
    """Fill in an EFS file system's, access point's or mount target's computed outputs; return its id."""
    digest = hashlib.sha256(f"{typ}/{name}".encode()).hexdigest()[:17]
    kind = typ.split(":")[-1]
    prefix = {"FileSystem": "fs", "AccessPoint": "fsap", "MountTarget": "fsmt"}.get(kind, "efs")
    rid = f"{prefix}-{digest}"
    fs_id = str(state.get("fileSystemId") or rid)
    state["fileSystemArn"] = _arn("elasticfilesystem", f"file-system/{fs_id}")
    if kind == "FileSystem":
        state["arn"] = state["fileSystemArn"]
    elif kind == "AccessPoint":
        state["arn"] = _arn("elasticfilesystem", f"access-point/{rid}")
        state.setdefault("rootDirectory", {"path": "/"})
    return rid


def mock_parameter(name: str) -> str:
    """A plausible value for a public SSM parameter read by the components (offline): the ARN shape of the Powertools
    layer a ``/aws/service/powertools/...`` parameter names, version 1; ``mock-value`` for anything else."""
    parts = name.strip("/").split("/")
    if parts[:3] == ["aws", "service", "powertools"] and len(parts) >= 7:
        if parts[3] == "python":
            runtime = parts[5].replace(".", "")
            return _arn("lambda", f"layer:AWSLambdaPowertoolsPythonV3-{runtime}-{parts[4]}:1").replace(
                MOCK_ACCOUNT, "017000801446"
            )
        return _arn("lambda", "layer:AWSLambdaPowertoolsTypeScriptV2:1").replace(MOCK_ACCOUNT, "094274105915")
    return "mock-value"


def iam_statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    """A ``getPolicyDocument`` statement (camelCase lists) -> an IAM policy statement."""
    out: dict[str, Any] = {"Effect": statement.get("effect") or "Allow"}
    if statement.get("sid"):
        out["Sid"] = statement["sid"]
    for key, iam_key in (
        ("actions", "Action"),
        ("notActions", "NotAction"),
        ("resources", "Resource"),
        ("notResources", "NotResource"),
    ):
        if statement.get(key):
            out[iam_key] = list(statement[key])
    for key, iam_key in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
        if statement.get(key):
            out[iam_key] = {p["type"]: list(p["identifiers"]) for p in statement[key]}
    conditions: dict[str, dict[str, Any]] = {}
    for c in statement.get("conditions") or []:
        conditions.setdefault(c["test"], {})[c["variable"]] = list(c["values"])
    if conditions:
        out["Condition"] = conditions
    return out


class StackConfigError(ValueError):
    """A program's ``Pulumi.yaml`` or ``Pulumi.<stack>.yaml`` cannot be read or holds a value of the wrong type; the
    message names the file and the key."""


def _config_value(value: Any) -> tuple[str, bool]:
    """Stack-file config value -> (the string Pulumi hands the program, is secret)."""
    if isinstance(value, Mapping) and set(value) == {"secure"}:
        return SECRET_PLACEHOLDER, True
    if isinstance(value, str):
        return value, False
    return json.dumps(value), False


#: Pulumi.yaml config ``type`` -> Python types a stack value of that type may have (YAML-decoded).
_DECLARED_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
}


def _check_declared_type(key: str, decl: Mapping[str, Any], value: Any, where: Path) -> None:
    """Refuse a stack value whose type differs from the one ``Pulumi.yaml`` declares, as the Pulumi CLI does."""
    declared = decl.get("type")
    if not isinstance(declared, str) or declared not in _DECLARED_TYPES:
        return
    if isinstance(value, Mapping) and set(value) == {"secure"}:
        return  # encrypted: its type is only known once decrypted
    allowed = _DECLARED_TYPES[declared]
    ok = isinstance(value, allowed) and not (declared == "integer" and isinstance(value, bool))
    if declared == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        ok = True  # YAML reads `version: 3` as a number; Pulumi hands it to the program as the string "3"
    if not ok:
        raise StackConfigError(
            f"{where}: config {key} must be of type {declared} (as Pulumi.yaml declares), got {value!r}"
        )


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise StackConfigError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StackConfigError(f"{path} cannot be read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise StackConfigError(f"{path} is not valid YAML{at}: {getattr(exc, 'problem', None) or exc}") from None


def project_name(program_dir: str | os.PathLike[str]) -> str:
    """The ``name`` in a program's ``Pulumi.yaml``: the project, and the namespace of its own config keys."""
    path = Path(program_dir) / "Pulumi.yaml"
    data = _read_yaml(path)
    name = data.get("name") if isinstance(data, Mapping) else None
    if not isinstance(name, str) or not name:
        raise StackConfigError(f"{path} has no project name (a `name:` line)")
    return name


def load_stack_config(program_dir: str | os.PathLike[str], stack: str) -> tuple[str, dict[str, str], list[str]]:
    """Read ``Pulumi.yaml`` defaults and ``Pulumi.<stack>.yaml`` as the CLI would hand them to the program.

    Returns the project name, the config map (``"<namespace>:<key>" -> string``) and the secret keys. A missing
    file, invalid YAML or a value whose type differs from the declared one raises :class:`StackConfigError`.
    """
    root = Path(program_dir)
    project = project_name(root)
    project_file = _read_yaml(root / "Pulumi.yaml")
    config: dict[str, str] = {}
    secret_keys: list[str] = []

    def full(key: str) -> str:
        return key if ":" in key else f"{project}:{key}"

    declared = project_file.get("config") or {}
    if not isinstance(declared, Mapping):
        raise StackConfigError(f"{root / 'Pulumi.yaml'}: `config` must be a mapping of key -> declaration")
    for key, decl in declared.items():
        default = decl.get("default") if isinstance(decl, Mapping) and "type" in decl else decl
        if isinstance(decl, Mapping) and "value" in decl:
            default = decl["value"]
        if isinstance(decl, Mapping) and "default" in decl and "type" not in decl:
            default = decl["default"]
        if default is not None:
            config[full(key)], _ = _config_value(default)
    stack_path = root / f"Pulumi.{stack}.yaml"
    if not stack_path.exists():
        raise StackConfigError(f"stack {stack!r}: {stack_path} does not exist")
    stack_data = _read_yaml(stack_path) or {}
    if not isinstance(stack_data, Mapping):
        raise StackConfigError(f"{stack_path} must hold a mapping (with a `config:` block)")
    stack_config = stack_data.get("config") or {}
    if not isinstance(stack_config, Mapping):
        raise StackConfigError(f"{stack_path}: `config` must be a mapping of key -> value")
    for key, value in stack_config.items():
        key = str(key)
        short = key.split(":", 1)[1] if key.startswith(f"{project}:") else key
        decl = declared.get(short)
        if isinstance(decl, Mapping) and ":" not in short:
            _check_declared_type(full(key), decl, value, stack_path)
        config[full(key)], secret = _config_value(value)
        if secret:
            secret_keys.append(full(key))
    return project, config, secret_keys


def run_program(
    program_dir: str | os.PathLike[str],
    stack: str,
    mocks: pulumi_mocks.Mocks | None = None,
    *,
    config_overrides: Mapping[str, str] | None = None,
    preview: bool = False,
    program: Callable[[], None] | None = None,
    into: ProgramRun | None = None,
) -> ProgramRun:
    """Evaluate a program folder (its ``__main__.py``, or ``program`` when given) under mocks.

    Runs in a fresh ``contextvars`` context so that several runs in one process do not share the Pulumi runtime's
    root stack, config or outstanding outputs. Exceptions raised by the program propagate unchanged; pass ``into``
    to keep what was registered before the exception (tests use it to check that nothing was half-created).
    """
    root = Path(program_dir).resolve()
    project, config, secret_keys = load_stack_config(root, stack)
    entry = main_file(root) if program is None else root / "__main__.py"
    main_dir = entry.parent
    for key, value in (config_overrides or {}).items():
        config[key if ":" in key else f"{project}:{key}"] = value
    run = into if into is not None else ProgramRun(project=project, stack=stack, config=config)
    run.project, run.stack, run.config = project, stack, config
    mocks = mocks or DefaultMocks()

    def evaluate() -> None:
        monitor = RecordingMonitor(mocks, run)
        sdk.forget_root_stack()
        set_all_config(dict(config), secret_keys)
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)
        sdk.forget_outstanding_outputs()
        body = program or (lambda: runpy.run_path(str(entry), run_name="__main__"))

        async def main() -> None:
            body()
            stack_resource = sdk.get_root_resource()
            for key, value in dict(getattr(stack_resource, "outputs", {})).items():
                out = pulumi.Output.from_input(value)
                run.exports[key] = await out.future(with_unknowns=True)
                if await out.is_secret():
                    run.secret_exports.add(key)

        sdk.sync_await(sdk.run_pulumi_func(main))

    old_cwd = os.getcwd()
    sys.path.insert(0, str(main_dir))
    try:
        os.chdir(root)
        with sdk.fast_mocked_evaluation():
            contextvars.Context().run(evaluate)
    finally:
        os.chdir(old_cwd)
        sys.path.remove(str(main_dir))
    return run


def main_file(program_dir: str | os.PathLike[str]) -> Path:
    """The program's entry point: ``__main__.py``, or what ``main:`` in ``Pulumi.yaml`` names (a folder holding
    ``__main__.py``, or a file)."""
    root = Path(program_dir)
    data = _read_yaml(root / "Pulumi.yaml")
    main = data.get("main") if isinstance(data, Mapping) else None
    path = root / main if isinstance(main, str) and main else root
    if path.is_dir():
        path = path / "__main__.py"
    if not path.is_file():
        raise StackConfigError(f"{root / 'Pulumi.yaml'}: the program's entry point {path} does not exist")
    return path


def _program_frame(exc: BaseException, main_dir: Path) -> str:
    """``file:line`` of the innermost traceback frame inside the program folder (not lambdakit or the SDK)."""
    import traceback

    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        if path.is_relative_to(main_dir) and ".venv" not in path.parts and "site-packages" not in path.parts:
            where = f"{path.relative_to(main_dir)}:{frame.lineno}"
    return where


def describe_failure(exc: BaseException, program_dir: str | os.PathLike[str]) -> str:
    """One line for an exception the program raised under mocks, with the program's own frame (``__main__.py:42``).

    Input errors (the components' validation, config of the wrong type) already say what is wrong and where; other
    exceptions are named by type."""
    main_dir = Path(program_dir).resolve()
    where = _program_frame(exc, main_dir)
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, ValueError | TypeError) or type(exc).__name__ in {"ConfigTypeError", "ConfigMissingError"}:
        return text + (f" ({where})" if where else "")
    return f"{type(exc).__name__}: {text}" + (f" (at {where})" if where else "")


def _service_attributes(t: str, name: str, state: dict[str, Any]) -> str:
    """The attributes the provider computes for the other types the components create; the id."""
    rid = name
    if t == "aws:iam/role:Role":
        state.setdefault("name", name)
        state["arn"] = _arn("iam", f"role/{name}", region=False)
    elif t == "aws:iam/policy:Policy":
        state["arn"] = _arn("iam", f"policy/{name}", region=False)
    elif t == "aws:cloudwatch/logGroup:LogGroup":
        state.setdefault("name", name)
        state["arn"] = _arn("logs", f"log-group:{state['name']}")
    elif t == "aws:sqs/queue:Queue":
        qname = str(state.get("name") or name)
        state["name"] = qname
        state["arn"] = _arn("sqs", qname)
        state["url"] = f"https://sqs.{MOCK_REGION}.amazonaws.com/{MOCK_ACCOUNT}/{qname}"
        rid = state["url"]
    elif t == "aws:dynamodb/table:Table":
        state["arn"] = _arn("dynamodb", f"table/{name}")
        if state.get("streamEnabled"):
            state["streamArn"] = f"{state['arn']}/stream/2026-01-01T00:00:00.000"
            state["streamLabel"] = "2026-01-01T00:00:00.000"
    elif t == "aws:kinesis/stream:Stream":
        state["arn"] = _arn("kinesis", f"stream/{name}")
    elif t == "aws:sns/topic:Topic":
        state["arn"] = _arn("sns", name)
        rid = state["arn"]
    elif t == "aws:s3/bucket:Bucket" or t == "aws:s3/bucketV2:BucketV2":
        state.setdefault("bucket", name)
        state["arn"] = f"arn:aws:s3:::{state['bucket']}"
        rid = state["bucket"]
    elif t == "aws:cloudwatch/eventRule:EventRule":
        bus = state.get("eventBusName") or "default"
        prefix = "" if bus == "default" else f"{bus}/"
        state["arn"] = _arn("events", f"rule/{prefix}{name}")
    elif t == "aws:cloudwatch/metricAlarm:MetricAlarm":
        state["arn"] = _arn("cloudwatch", f"alarm:{name}")
    elif t == "aws:cloudwatch/eventBus:EventBus":
        state["arn"] = _arn("events", f"event-bus/{name}")
    elif t == "aws:ecr/repository:Repository":
        state.setdefault("name", name)
        state["arn"] = _arn("ecr", f"repository/{state['name']}")
        state["registryId"] = MOCK_ACCOUNT
        state["repositoryUrl"] = f"{MOCK_ACCOUNT}.dkr.ecr.{MOCK_REGION}.amazonaws.com/{state['name']}"
    elif t == "docker-build:index:Image":
        # What a push returns: the digest of the content (here: of the inputs that name it).
        content = json.dumps({k: state.get(k) for k in ("context", "tags", "platforms")}, sort_keys=True)
        state["digest"] = "sha256:" + hashlib.sha256(content.encode()).hexdigest()
        state["ref"] = f"{(state.get('tags') or [name])[0]}@{state['digest']}"
    elif t == "aws:apigatewayv2/api:Api":
        state["executionArn"] = f"arn:aws:execute-api:{MOCK_REGION}:{MOCK_ACCOUNT}:{name}"
        state["apiEndpoint"] = f"https://{name}.execute-api.{MOCK_REGION}.amazonaws.com"  # i13-httpapi
    elif t == "aws:apigatewayv2/stage:Stage":  # i13-httpapi: what the stage's URL looks like
        stage = str(state.get("name") or "$default")
        path = "" if stage == "$default" else f"/{stage}"
        state["invokeUrl"] = f"https://{state.get('apiId')}.execute-api.{MOCK_REGION}.amazonaws.com{path}"
        state["arn"] = f"arn:aws:apigateway:{MOCK_REGION}::/apis/{state.get('apiId')}/stages/{stage}"
    elif t.startswith("aws:efs/"):  # issue 13: EFS ids and ARNs have their own shapes
        rid = _efs_mock(t, name, state)
    elif "arn" not in state:
        state["arn"] = _arn(t.split(":")[1].split("/")[0], f"{name}")
    return rid

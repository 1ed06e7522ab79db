"""Fixtures for the operations, canary and driver tests: in-process moto with fake credentials, functions with
versions, a fake clock and a traffic simulator that writes Lambda's CloudWatch metrics the way AWS would for a
weighted alias. Tests reach the helpers through fixtures (no imports from conftest)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

REGION = "us-east-1"
START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


def code_zip(marker: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", f"def handler(event, context):\n    return {marker!r}\n")
    return buffer.getvalue()


_CLIENTS: dict[tuple[int, str], tuple[boto3.session.Session, Any]] = {}

#: One botocore data loader for every test's session. A fresh Session reads (JSON-decodes) the service model of each
#: client it creates again, which cost more than all the moto calls of a test; the loader caches what it read.
_LOADER = botocore.loaders.create_loader()


def new_session() -> boto3.session.Session:
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    session = boto3.session.Session(botocore_session=core, region_name=REGION)
    # boto3 adds its own data folder to the loader's search path for each Session; once is enough.
    _LOADER.search_paths[:] = list(dict.fromkeys(_LOADER.search_paths))
    return session


def client(session: boto3.session.Session, service: str) -> Any:
    """One client per session and service: creating a boto3 client costs more than a moto call."""
    key = (id(session), service)
    if key not in _CLIENTS:
        # The session is held with its client so that its id cannot be reused by another session.
        _CLIENTS[key] = (session, session.client(service))
    return _CLIENTS[key][1]


def role_arn(session: boto3.session.Session) -> str:
    iam = client(session, "iam")
    try:
        return str(iam.get_role(RoleName="lambdakit-test")["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        return str(iam.create_role(RoleName="lambdakit-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"])


def _make_function(
    session: boto3.session.Session,
    name: str,
    *,
    versions: int,
    alias: str | None = "live",
    alias_version: str | None = None,
    weights: dict[str, float] | None = None,
) -> None:
    """A function with ``versions`` published versions (1..n) and optionally an alias."""
    lam = session.client("lambda")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn(session),
        Handler="index.handler",
        Code={"ZipFile": code_zip("v1")},
        Publish=True,
    )
    for number in range(2, versions + 1):
        lam.update_function_code(FunctionName=name, ZipFile=code_zip(f"v{number}"), Publish=True)
    if alias:
        kwargs: dict[str, Any] = {}
        if weights:
            kwargs["RoutingConfig"] = {"AdditionalVersionWeights": weights}
        lam.create_alias(FunctionName=name, Name=alias, FunctionVersion=alias_version or str(versions), **kwargs)


@dataclass
class FakeClock:
    """``now()`` and ``sleep()`` that move time forward without waiting; hooks run after each sleep."""

    now_value: dt.datetime = START
    slept: list[float] = field(default_factory=list)
    on_sleep: list[Callable[[dt.datetime, dt.datetime], None]] = field(default_factory=list)

    def now(self) -> dt.datetime:
        return self.now_value

    def sleep(self, seconds: float) -> None:
        before = self.now_value
        self.now_value = before + dt.timedelta(seconds=seconds)
        self.slept.append(seconds)
        for hook in self.on_sleep:
            hook(before, self.now_value)


@dataclass
class Traffic:
    """Simulates requests on weighted aliases: for each elapsed interval it reads the alias's routing from moto
    and puts ``AWS/Lambda`` Invocations/Errors/Throttles per executed version, as Lambda does."""

    session: boto3.session.Session
    rate_per_minute: float = 100.0
    #: (function, version) -> error rate; a callable gets the interval end to inject a spike at a given time.
    error_rate: dict[tuple[str, str], float | Callable[[dt.datetime], float]] = field(default_factory=dict)
    throttle_rate: dict[tuple[str, str], float] = field(default_factory=dict)
    functions: list[tuple[str, str]] = field(default_factory=list)  # (function, alias)
    #: Put metrics only for versions an alias routes weight to (fewer moto calls where stable figures don't matter).
    only_canary: bool = False
    #: (time, function, primary version, routing) observed at every interval, to check the stable kept serving.
    observed: list[tuple[dt.datetime, str, str, dict[str, float]]] = field(default_factory=list)

    def __call__(self, start: dt.datetime, end: dt.datetime) -> None:
        lam = client(self.session, "lambda")
        cloudwatch = client(self.session, "cloudwatch")
        minutes = (end - start).total_seconds() / 60.0
        for function, alias_name in self.functions:
            try:
                alias = lam.get_alias(FunctionName=function, Name=alias_name)
            except lam.exceptions.ResourceNotFoundException:
                continue
            primary = str(alias["FunctionVersion"])
            routing = {
                k: float(v) for k, v in (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights", {}).items()
            }
            self.observed.append((end, function, primary, routing))
            shares = dict(routing) if self.only_canary else {primary: 1.0 - sum(routing.values()), **routing}
            for version, share in shares.items():
                invocations = round(self.rate_per_minute * minutes * share)
                rate = self.error_rate.get((function, version), 0.0)
                rate = rate(end) if callable(rate) else rate
                figures = {
                    "Invocations": invocations,
                    "Errors": round(invocations * rate),
                    "Throttles": round(invocations * self.throttle_rate.get((function, version), 0.0)),
                }
                cloudwatch.put_metric_data(
                    Namespace="AWS/Lambda",
                    MetricData=[
                        {
                            "MetricName": name,
                            "Dimensions": [
                                {"Name": "FunctionName", "Value": function},
                                {"Name": "Resource", "Value": f"{function}:{alias_name}"},
                                {"Name": "ExecutedVersion", "Value": version},
                            ],
                            # Just inside the interval, so a window [step start, now] sees it.
                            "Timestamp": end - dt.timedelta(seconds=1),
                            "Value": float(value),
                            "Unit": "Count",
                        }
                        for name, value in figures.items()
                    ],
                )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.session.Session]:
    """In-process moto with fake credentials; Lambda echoes payloads instead of needing docker."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws(config={"lambda": {"use_docker": False}}):
        session = new_session()
        yield session
        for key in [k for k in _CLIENTS if k[0] == id(session)]:
            del _CLIENTS[key]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_function() -> Callable[..., None]:
    """``make_function(session, name, versions=n, alias="live", alias_version=None, weights=None)``."""
    return _make_function


@pytest.fixture
def traffic(aws: boto3.session.Session) -> Traffic:
    return Traffic(aws)


# ---------------------------------------------------------------------------------------------------------------
# A fake Pulumi stack that deploys into moto what the reference program would, driven by the same config keys
# ---------------------------------------------------------------------------------------------------------------


def config_path(key: str) -> list[str]:
    """``ns:key["a-b"].c[0]`` -> ``["ns:key", "a-b", "c", "0"]``, as ``pulumi config set --path`` reads a key."""
    parts: list[str] = []
    for match in re.finditer(r'\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|([^.\[]+)', key):
        quoted, index, plain = match.groups()
        parts.append(json.loads(f'"{quoted}"') if quoted is not None else index if index is not None else plain)
    return parts


class FakeStack:
    """Simulates a lambdakit program's stack for the driver: ``up`` publishes a version when a service's code
    changed and sets its alias from the stack config ``lambdakit:release["<service>"]`` {stableVersion,
    canaryWeight} exactly as ``LambdaService`` does, in moto; its provisioned concurrency comes from the program's
    own per-service config object (``lambdakit:<configKey>.provisionedConcurrency``). ``services()`` answers as the
    state would, from each component's outputs. Preview returns the violations it was given; ``up`` can be told to
    fail. Like AWS, an ``up`` that changes provisioned concurrency on an alias that carries (or gets) weights
    fails."""

    def __init__(
        self,
        name: str,
        session: boto3.session.Session,
        code: dict[str, str],
        *,
        config_keys: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.session = session
        self.code = code  # service -> code revision; shared with the test, which bumps it to release
        self.config_keys = config_keys or {s: _camel(s) for s in code}
        self.config: dict[str, Any] = {}
        self.log: list[str] = []
        self.violations: list[Any] = []
        self.fail_up: str | None = None
        self.ups: list[dict[str, Any]] = []  # config snapshot at each up
        self.previews: list[tuple[list[str], list[str]]] = []
        self._deployed_code: dict[str, str] = {}
        self._pc: dict[str, Any] = {}
        self._outputs: dict[str, Any] = {}
        self._services: dict[str, Any] = {}
        # service -> {"pre_traffic_hook": ..., "post_traffic_hook": ...}: the hooks its component outputs.
        self.hooks: dict[str, dict[str, str]] = {}

    # -- config -----------------------------------------------------------------------------------------------
    def set_config(self, key: str, value: str, *, path: bool = False) -> None:
        self.log.append(f"set {key}={value}")
        *parents, leaf = config_path(key) if path else [key]
        target = self.config
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value

    def remove_config(self, key: str, *, path: bool = False) -> None:
        *parents, leaf = config_path(key) if path else [key]
        target: Any = self.config
        for part in parents:
            target = target.get(part) if isinstance(target, dict) else None
            if target is None:
                return
        if isinstance(target, dict) and leaf in target:
            self.log.append(f"remove {key}")
            del target[leaf]

    def service_config(self, service: str) -> dict[str, Any]:
        """The program's own config object of a service (``lambdakit:orderProcessor``)."""
        return dict(self.config.get(f"lambdakit:{self.config_keys[service]}", {}))

    def release_config(self, service: str) -> dict[str, Any]:
        """What the driver set for a service in ``lambdakit:release``."""
        return dict(self.config.get("lambdakit:release", {}).get(service, {}))

    # -- operations ---------------------------------------------------------------------------------------------
    def preview(self, *, policy_packs: Any, policy_pack_configs: Any) -> Any:
        from lambdakit.driver import PreviewOutcome

        self.log.append("preview")
        self.previews.append((list(policy_packs), list(policy_pack_configs)))
        changed = sum(1 for s, rev in self.code.items() if self._deployed_code.get(s) != rev)
        return PreviewOutcome(violations=list(self.violations), changes={"update": changed, "same": 10})

    def up(self) -> dict[str, Any]:
        import copy

        self.log.append("up")
        self.ups.append(copy.deepcopy(self.config))
        if self.fail_up:
            raise RuntimeError(self.fail_up)
        lam = client(self.session, "lambda")
        services: dict[str, Any] = {}
        for service, revision in self.code.items():
            function = f"{service}-{self.name}"
            if service not in self._deployed_code:
                lam.create_function(
                    FunctionName=function,
                    Runtime="python3.12",
                    Role=role_arn(self.session),
                    Handler="index.handler",
                    Code={"ZipFile": code_zip(revision)},
                    Publish=True,
                )
            elif self._deployed_code[service] != revision:
                lam.update_function_code(FunctionName=function, ZipFile=code_zip(revision), Publish=True)
            self._deployed_code[service] = revision
            versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=function)["Versions"]]
            newest = max((v for v in versions if v.isdigit()), key=int)
            release = self.release_config(service)
            stable = str(release["stableVersion"]) if release.get("stableVersion") else None
            weight = float(release["canaryWeight"]) if release.get("canaryWeight") else None
            primary = stable or newest
            routing = {newest: weight} if stable and weight and newest != stable else {}
            try:
                before = lam.get_alias(FunctionName=function, Name="live")
                had_weights = bool((before.get("RoutingConfig") or {}).get("AdditionalVersionWeights"))
            except lam.exceptions.ResourceNotFoundException:
                before, had_weights = None, False
            pc = self.service_config(service).get("provisionedConcurrency")
            if pc != self._pc.get(service) and (routing or had_weights):
                raise RuntimeError(
                    f"{function}: InvalidParameterValueException: Alias with weights can not be used with "
                    "Provisioned Concurrency"
                )
            self._pc[service] = pc
            if before is None:
                lam.create_alias(
                    FunctionName=function,
                    Name="live",
                    FunctionVersion=primary,
                    RoutingConfig={"AdditionalVersionWeights": routing},
                )
            else:
                lam.update_alias(
                    FunctionName=function,
                    Name="live",
                    FunctionVersion=primary,
                    RoutingConfig={"AdditionalVersionWeights": routing},
                )
            # What LambdaService registers as its outputs (and the state keeps).
            services[service] = {
                "function_name": function,
                "function_arn": f"arn:aws:lambda:{REGION}:123456789012:function:{function}",
                "alias_name": "live",
                "alias_arn": f"arn:aws:lambda:{REGION}:123456789012:function:{function}:live",
                "version": newest,
                "log_group_name": f"/aws/lambda/{function}",
                "dlq_arn": None,
                "alarm_arns": [],
                "smoke_event": json.dumps({"Records": []}),
                **self.hooks.get(service, {}),
            }
        self._services = services
        self._outputs = {"table_name": f"orders-{self.name}"}
        return copy.deepcopy(self._outputs)

    def state(self) -> dict[str, Any]:
        """The stack as ``pulumi stack export`` would show it (only the LambdaService components)."""
        return {
            "version": 3,
            "deployment": {
                "resources": [
                    {
                        "urn": f"urn:pulumi:{self.name}::lambdakit::lambdakit:index:LambdaService::{service}",
                        "type": "lambdakit:index:LambdaService",
                        "outputs": outputs,
                    }
                    for service, outputs in self._services.items()
                ]
            },
        }

    def services(self) -> dict[str, Any]:
        from lambdakit.ops import services_from_state

        return services_from_state(self.state())


def _camel(service: str) -> str:
    first, *rest = service.split("-")
    return first + "".join(part.title() for part in rest)


class FakeBackend:
    """Creates a :class:`FakeStack` per stack name on first selection and remembers the order of selection."""

    def __init__(self, session: boto3.session.Session, code: dict[str, str]) -> None:
        self.session = session
        self.code = code
        self.stacks: dict[str, FakeStack] = {}
        self.selected: list[str] = []

    def stack(self, name: str) -> FakeStack:
        if name not in self.stacks:
            self.stacks[name] = FakeStack(name, self.session, self.code)
        return self.stacks[name]

    def select_or_create(self, stack_name: str) -> FakeStack:
        self.selected.append(stack_name)
        return self.stack(stack_name)


@pytest.fixture
def fake_backend(aws: boto3.session.Session) -> FakeBackend:
    """Two services of the reference program; bump ``backend.code[service]`` to release new code."""
    return FakeBackend(aws, {"order-processor": "r1", "email-sender": "r1"})

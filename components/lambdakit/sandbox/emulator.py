"""The local AWS emulator: a moto server on 127.0.0.1 whose Lambda really runs Python handlers.

One ``Sandbox`` at a time per process (moto keeps its state in module-level backends). While it runs:
- any boto3 client pointed at ``sandbox.endpoint_url`` (or with ``sandbox.env()`` exported) talks to it, including
  handler code that calls AWS, and tools such as ``automation/ops.py``;
- moto's Lambda ``Invoke`` (boto3 ``invoke``, SQS and DynamoDB stream event source mappings) runs the handler from
  the deployed zip through ``runner.HandlerRunner``, honours alias routing weights (seeded) and reports
  ``ExecutedVersion``, ``FunctionError`` and the log tail;
- event source mappings keep the alias-qualified function ARN they were created with, as AWS does, and
  ``Event`` invocations apply the function's async invoke config (retries, destinations).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config

from lambdakit.program import MOCK_ACCOUNT, MOCK_REGION

from . import aws_rules, push_triggers
from .exceptions import SandboxError
from .runner import FunctionCode, HandlerRunner, InvokeResult

#: Fake credentials: moto accepts anything, and real AWS would reject these, so nothing can leak to an account.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}

#: Lambda's default for asynchronous invocations when no event invoke config says otherwise.
DEFAULT_ASYNC_RETRIES = 2

_ACTIVE: Sandbox | None = None
_ACTIVE_LOCK = threading.Lock()

#: The ``Qualifier`` of the Invoke request being served (moto's handler reads a lower-case ``qualifier`` parameter
#: and so drops it: boto3's ``invoke(..., Qualifier="live")`` would run $LATEST).
_REQUEST = threading.local()


@dataclass
class FunctionMeta:
    """What the emulator's Lambda model does not keep but the runner needs (set by the mocks on create)."""

    log_group_name: str = ""
    log_format: str = "Text"
    application_log_level: str = ""
    system_log_level: str = ""
    dead_letter_target: str = ""

    def configuration(self) -> dict[str, Any]:
        """The ``GetFunctionConfiguration`` fields moto leaves out."""
        logging_config: dict[str, Any] = {"LogFormat": self.log_format, "LogGroup": self.log_group_name}
        if self.application_log_level:
            logging_config["ApplicationLogLevel"] = self.application_log_level
        if self.system_log_level:
            logging_config["SystemLogLevel"] = self.system_log_level
        extra: dict[str, Any] = {"LoggingConfig": logging_config}
        if self.dead_letter_target:
            extra["DeadLetterConfig"] = {"TargetArn": self.dead_letter_target}
        return extra


@dataclass
class AsyncConfig:
    """A function event invoke config, keyed by function name and qualifier (moto ignores the qualifier)."""

    function_name: str
    qualifier: str
    maximum_retry_attempts: int | None = None
    maximum_event_age_in_seconds: int | None = None
    on_success: str | None = None
    on_failure: str | None = None
    last_modified: float = field(default_factory=time.time)

    def function_arn(self) -> str:
        base = f"arn:aws:lambda:{MOCK_REGION}:{MOCK_ACCOUNT}:function:{self.function_name}"
        return f"{base}:{self.qualifier}" if self.qualifier else base

    def response(self) -> dict[str, Any]:
        body: dict[str, Any] = {"FunctionArn": self.function_arn(), "LastModified": self.last_modified}
        if self.maximum_retry_attempts is not None:
            body["MaximumRetryAttempts"] = self.maximum_retry_attempts
        if self.maximum_event_age_in_seconds is not None:
            body["MaximumEventAgeInSeconds"] = self.maximum_event_age_in_seconds
        dest: dict[str, Any] = {}
        if self.on_success:
            dest["OnSuccess"] = {"Destination": self.on_success}
        if self.on_failure:
            dest["OnFailure"] = {"Destination": self.on_failure}
        body["DestinationConfig"] = dest
        return body


def split_function(name_or_arn: str, qualifier: str | None = None) -> tuple[str, str | None]:
    """``name``, ``name:qualifier`` or a (qualified) function ARN -> (function name, qualifier)."""
    if name_or_arn.startswith("arn:"):
        parts = name_or_arn.split(":")
        name = parts[6]
        return name, (parts[7] if len(parts) > 7 else None) or qualifier
    if ":" in name_or_arn:
        name, _, q = name_or_arn.partition(":")
        return name, q or qualifier
    return name_or_arn, qualifier


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    for key in (name, name.lower()):
        with contextlib.suppress(Exception):
            value = headers.get(key)
            if value:
                return str(value)
    for key, value in dict(headers).items():
        if str(key).lower() == name.lower():
            return str(value)
    return None


class Sandbox:
    """A moto server with a Lambda that runs handlers. Use as a context manager.

    ``seed`` makes alias routing reproducible: each invocation of a weighted alias draws from one seeded RNG.
    """

    def __init__(
        self, *, port: int = 0, seed: int | None = 0, workdir: str | None = None, concurrency_quota: int = 1000
    ) -> None:
        self.port = port
        self.concurrency_quota = concurrency_quota
        self._saved_config: tuple[bool, str | None] | None = None
        self.region = MOCK_REGION
        self.account_id = MOCK_ACCOUNT
        self.rng = random.Random(seed)
        self._server: Any = None
        self._patches: list[tuple[Any, str, Any]] = []
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()
        self.function_meta: dict[str, FunctionMeta] = {}
        self.async_configs: dict[tuple[str, str], AsyncConfig] = {}
        self.invocations: list[InvokeResult] = []
        #: Called with each invocation's result (the metrics of ``lambdakit.sandbox.metrics`` listen here).
        self.invoke_listeners: list[Callable[[InvokeResult], None]] = []
        self.deploy_counts: dict[str, int] = {}
        self._workdir = workdir
        self.runner: HandlerRunner | None = None
        self.endpoint_url = ""

    # ----- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> Sandbox:
        global _ACTIVE
        if self.port:
            # ThreadedMotoServer waits forever for a server that failed to bind: check the port first.
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                # As the server binds (werkzeug sets SO_REUSEADDR): connections of a previous run still in
                # TIME_WAIT must not stop a restart on the same port.
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(("127.0.0.1", self.port))
                except OSError as exc:
                    raise SandboxError(
                        f"port {self.port} on 127.0.0.1 is not free ({exc.strerror}): pick another"
                    ) from exc
        from . import _moto_compat

        try:
            _moto_compat.check()
        except _moto_compat.UnsupportedDependencyError as exc:
            raise SandboxError(str(exc)) from None
        with _ACTIVE_LOCK:
            if _ACTIVE is not None:
                raise RuntimeError("a sandbox is already running in this process; stop it first")
            _ACTIVE = self
        from moto.core.config import default_user_config
        from moto.moto_api._internal.models import moto_api_backend
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        moto_api_backend.reset()
        # The werkzeug server logs every request to stderr; the report is the sandbox's output.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # The components attach AWS managed policies (AWSLambdaBasicExecutionRole, ...): moto only knows them
        # when asked to load them, and AWS would reject an attachment of a policy that does not exist.
        self._saved_config = (
            default_user_config["iam"].get("load_aws_managed_policies", False),
            os.environ.get("MOTO_LAMBDA_CONCURRENCY_QUOTA"),
        )
        default_user_config["iam"]["load_aws_managed_policies"] = True
        # AWS keeps at least 100 of the account's (default 1000) concurrency unreserved; moto checks it only when
        # told the quota.
        os.environ["MOTO_LAMBDA_CONCURRENCY_QUOTA"] = str(self.concurrency_quota)
        try:
            self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
            self._server.start()
            host, port = self._server.get_host_and_port()
            self.port = port
            self.endpoint_url = f"http://{host}:{port}"
            self.runner = HandlerRunner(
                self._workdir, extra_env={**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint_url}
            )
            self._install_patches()
        except BaseException:
            # Interrupted or failed while starting: release the port and the folders at once.
            self.stop()
            raise
        return self

    def stop(self) -> None:
        global _ACTIVE
        for owner, name, original in reversed(self._patches):
            if original is None:  # the patch added a name the owner did not have: take it away again
                if name in vars(owner):
                    delattr(owner, name)
            else:
                setattr(owner, name, original)
        self._patches.clear()
        if self.runner is not None:
            self.runner.kill_all()
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self.runner is not None and self._workdir is None:
            # The unpacked code and layers of this session (a workdir given by the caller is the caller's to keep).
            shutil.rmtree(self.runner.workdir, ignore_errors=True)
        # moto's state is left in place (resetting takes seconds); the next sandbox resets it when it starts.
        if self._saved_config is not None:
            from moto.core.config import default_user_config

            managed, quota = self._saved_config
            default_user_config["iam"]["load_aws_managed_policies"] = managed
            if quota is None:
                os.environ.pop("MOTO_LAMBDA_CONCURRENCY_QUOTA", None)
            else:
                os.environ["MOTO_LAMBDA_CONCURRENCY_QUOTA"] = quota
            self._saved_config = None
        with _ACTIVE_LOCK:
            if _ACTIVE is self:
                _ACTIVE = None

    def close(self) -> None:
        """Same as ``stop`` (for ``contextlib.closing``)."""
        self.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----- clients -------------------------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """Environment variables that point boto3 (and the AWS CLI) at this sandbox."""
        return {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` against the sandbox (cached; boto3 clients are thread-safe)."""
        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = boto3.session.Session().client(
                    service,
                    endpoint_url=self.endpoint_url,
                    region_name=self.region,
                    aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                    aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                    aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
                    config=Config(retries={"max_attempts": 1}, read_timeout=960),
                )
            return self._clients[service]

    # ----- moto internals -------------------------------------------------------------------------------------
    def lambda_backend(self) -> Any:
        # The backend moto's request handlers use: it depends on moto's process-wide `use_docker` setting.
        from moto.awslambda.utils import get_backend

        return get_backend(self.account_id, self.region)

    def function_model(self, name_or_arn: str, qualifier: str | None = None) -> Any:
        """moto's model of the function version ``qualifier`` names ($LATEST, a version or an alias)."""
        return self.lambda_backend().get_function(name_or_arn, qualifier)

    def _resolve(self, name_or_arn: str, qualifier: str | None) -> tuple[Any, str | None, str]:
        """-> (function version model, qualifier, invoked ARN), picking the version by weight for a routed alias."""
        name, qualifier = split_function(name_or_arn, qualifier)
        backend = self.lambda_backend()
        base_arn = f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"
        invoked_arn = f"{base_arn}:{qualifier}" if qualifier else base_arn
        if qualifier and not qualifier.isdigit() and qualifier != "$LATEST":
            aliases = {a.name: a for a in backend.list_aliases(name)}
            alias = aliases.get(qualifier)
            if alias is not None:
                version = str(alias.function_version)
                weights = ((alias.routing_config or {}).get("AdditionalVersionWeights")) or {}
                draw = self.rng.random()
                cumulative = 0.0
                for extra, weight in sorted(weights.items()):
                    cumulative += float(weight)
                    if draw < cumulative:
                        version = str(extra)
                        break
                return backend.get_function(name, version), qualifier, invoked_arn
        return backend.get_function(name, qualifier), qualifier, invoked_arn

    def pick_version(self, function_name: str, qualifier: str | None) -> str:
        """The version an invocation of ``function_name:qualifier`` would run now (draws from the routing RNG)."""
        return str(self._resolve(function_name, qualifier)[0].version)

    def _function_code(self, fn: Any) -> FunctionCode:
        backend = self.lambda_backend()
        layer_zips = []
        for layer in fn.layers or []:
            lv = backend.layers_versions_by_arn(layer["Arn"])
            if lv is not None:
                layer_zips.append(lv.code_bytes)
        meta = self.function_meta.get(fn.function_name, FunctionMeta())
        return FunctionCode(
            function_name=fn.function_name,
            version=str(fn.version),
            runtime=str(fn.run_time or ""),
            handler=str(fn.handler or ""),
            timeout=int(fn.timeout),
            memory_size=int(fn.memory_size),
            code_zip=getattr(fn, "code_bytes", b""),  # an image function has no zip
            layer_zips=layer_zips,
            environment={str(k): str(v) for k, v in (fn.environment_vars or {}).items()},
            log_group_name=meta.log_group_name or f"/aws/lambda/{fn.function_name}",
            log_format=meta.log_format,
            application_log_level=meta.application_log_level,
            region=self.region,
        )

    def _save_logs(self, result: InvokeResult, log_group: str) -> None:
        from moto.logs.models import logs_backends

        logs = logs_backends[self.account_id][self.region]
        now = datetime.now(UTC)
        stream = f"{now:%Y/%m/%d}/[{result.executed_version}]{uuid.uuid4().hex}"
        with contextlib.suppress(Exception):
            logs.ensure_log_group(log_group)
            logs.create_log_stream(log_group, stream)
            stamp = int(time.time() * 1000)
            events = [{"timestamp": stamp, "message": line} for line in result.log.splitlines() if line]
            if events:
                logs.put_log_events(log_group, stream, events)

    # ----- invoke ----------------------------------------------------------------------------------------------
    def invoke(
        self,
        function_name: str,
        qualifier: str | None = None,
        payload: Any = None,
        *,
        invocation_type: str = "RequestResponse",
    ) -> InvokeResult:
        """Invoke a deployed function: the handler runs from its zip and layers in a separate Python process.

        ``payload`` is bytes/str (sent as is) or any JSON-serialisable value. With ``invocation_type="Event"`` the
        function's async invoke config applies (retries, on-success/on-failure destinations) and the result is
        that of the last attempt, with status 202.
        """
        if self.runner is None:
            raise RuntimeError("the sandbox is not running: use `with Sandbox() as sandbox:`")
        body = payload if isinstance(payload, bytes | str) or payload is None else json.dumps(payload)
        fn, qualifier, invoked_arn = self._resolve(function_name, qualifier)
        code = self._function_code(fn)
        if invocation_type == "DryRun":
            return InvokeResult(fn.function_name, qualifier, str(fn.version), 204, "")
        result = self.runner.run(code, body, qualifier=qualifier, invoked_function_arn=invoked_arn)
        self._save_logs(result, code.log_group_name)
        if invocation_type == "Event":
            result = self._async_attempts(result, code, body, qualifier, invoked_arn)
        self.invocations.append(result)
        for listener in list(self.invoke_listeners):
            listener(result)
        return result

    def _async_attempts(
        self, first: InvokeResult, code: FunctionCode, body: Any, qualifier: str | None, invoked_arn: str
    ) -> InvokeResult:
        assert self.runner is not None
        config = self.async_configs.get((code.function_name, qualifier or ""))
        retries = DEFAULT_ASYNC_RETRIES
        if config is not None and config.maximum_retry_attempts is not None:
            retries = config.maximum_retry_attempts
        result, attempts = first, 1
        while not result.ok and attempts <= retries:
            result = self.runner.run(code, body, qualifier=qualifier, invoked_function_arn=invoked_arn)
            self._save_logs(result, code.log_group_name)
            attempts += 1
        destination = None
        if config is not None:
            destination = config.on_success if result.ok else config.on_failure
        if destination:
            record = {
                "version": "1.0",
                "timestamp": datetime.now(UTC).isoformat(),
                "requestContext": {
                    "requestId": result.request_id,
                    "functionArn": invoked_arn,
                    "condition": "Success" if result.ok else "RetriesExhausted",
                    "approximateInvokeCount": attempts,
                },
                "requestPayload": _maybe_json(body),
                "responseContext": {
                    "statusCode": 200,
                    "executedVersion": result.executed_version,
                    **({"functionError": result.function_error} if result.function_error else {}),
                },
                "responsePayload": _maybe_json(result.payload),
            }
            self._deliver(destination, record)
        elif not result.ok:
            meta = self.function_meta.get(code.function_name)
            if meta is not None and meta.dead_letter_target:
                self._deliver(meta.dead_letter_target, _maybe_json(body))
        result.status_code = 202
        return result

    def _deliver(self, destination_arn: str, message: Any) -> None:
        service = destination_arn.split(":")[2]
        body = json.dumps(message)
        if service == "sqs":
            from moto.sqs.models import sqs_backends

            sqs_backends[self.account_id][self.region].send_message(destination_arn.split(":")[5], body)
        elif service == "sns":
            from moto.sns.models import sns_backends

            sns_backends[self.account_id][self.region].publish(body, arn=destination_arn)
        elif service == "lambda":
            self.invoke(destination_arn, payload=body)

    # ----- patches ---------------------------------------------------------------------------------------------
    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        self._patches.append((owner, name, owner.__dict__[name]))
        setattr(owner, name, replacement)

    def _install_patches(self) -> None:
        from moto.awslambda.models import LambdaBackend, LambdaFunction
        from moto.awslambda.responses import LambdaResponse
        from moto.awslambda_simple.models import LambdaSimpleBackend

        sandbox = self

        def backend_invoke(
            backend: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
        ) -> bytes:
            invocation_type = _header(headers, "X-Amz-Invocation-Type") or "RequestResponse"
            qualifier = qualifier or getattr(_REQUEST, "qualifier", None)
            result = sandbox.invoke(function_name, qualifier, body or None, invocation_type=invocation_type)
            response_headers["x-amz-executed-version"] = result.executed_version
            if result.function_error and invocation_type == "RequestResponse":
                response_headers["x-amz-function-error"] = result.function_error
            if invocation_type == "RequestResponse":
                response_headers["x-amz-log-result"] = result.log_result
            payload = result.payload.encode() if invocation_type == "RequestResponse" else b""
            response_headers["Content-Length"] = str(len(payload))
            return payload

        def function_invoke(fn: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
            # Direct model calls (DynamoDB/Kinesis/SNS deliveries, InvokeAsync) name the version they hold.
            return backend_invoke(None, fn.function_name, str(fn.version), body, request_headers, response_headers)

        original_create_esm = LambdaBackend.create_event_source_mapping

        def create_event_source_mapping(backend: Any, spec: dict[str, Any]) -> Any:
            requested = str(spec.get("FunctionName", ""))
            esm = original_create_esm(backend, spec)
            name, qualifier = split_function(requested)
            if qualifier:
                # AWS keeps the alias in FunctionArn and invokes the alias; moto drops it and would invoke $LATEST.
                qualified = f"arn:aws:lambda:{sandbox.region}:{sandbox.account_id}:function:{name}:{qualifier}"
                _rekey_esm(sandbox, esm, qualified)
            return esm

        def send_dynamodb_items(backend: Any, function_arn: str, items: list[Any], source: str) -> bytes:
            records = []
            for item in items:
                record = item.to_json()
                dynamodb = dict(record["dynamodb"])
                stamp = dynamodb.get("ApproximateCreationDateTime")
                if isinstance(stamp, datetime):
                    dynamodb["ApproximateCreationDateTime"] = stamp.timestamp()
                records.append(
                    {
                        "eventID": record["eventID"],
                        "eventName": record["eventName"],
                        "eventVersion": record["eventVersion"],
                        "eventSource": record["eventSource"],
                        "awsRegion": sandbox.region,
                        "dynamodb": dynamodb,
                        "eventSourceARN": source,
                    }
                )
            result = sandbox.invoke(function_arn, payload={"Records": records})
            return result.payload.encode()

        def put_event_invoke_config(response: Any) -> str:
            return json.dumps(_store_async_config(sandbox, response, replace=True))

        def update_event_invoke_config(response: Any) -> str:
            return json.dumps(_store_async_config(sandbox, response, replace=False))

        def get_event_invoke_config(response: Any) -> Any:
            name, qualifier = _async_key(response)
            config = sandbox.async_configs.get((name, qualifier or ""))
            if config is None:
                arn = AsyncConfig(name, qualifier or "").function_arn()
                body = {"Type": "User", "Message": f"The function {arn} doesn't have an EventInvokeConfig"}
                return 404, {"x-amzn-errortype": "ResourceNotFoundException"}, json.dumps(body)
            return 200, {}, json.dumps(config.response())

        def delete_event_invoke_config(response: Any) -> Any:
            name, qualifier = _async_key(response)
            sandbox.async_configs.pop((name, qualifier or ""), None)
            return 204, {"status": 204}, "{}"

        def list_event_invoke_configs(response: Any) -> str:
            from urllib.parse import unquote

            name, _ = split_function(unquote(response.path.rsplit("/", 3)[1]))
            configs = [c.response() for (n, _q), c in sorted(sandbox.async_configs.items()) if n == name]
            return json.dumps({"FunctionEventInvokeConfigs": configs})

        original_get_configuration = LambdaFunction.get_configuration

        def get_configuration(fn: Any, on_create: bool = False) -> dict[str, Any]:
            config = original_get_configuration(fn, on_create)
            meta = sandbox.function_meta.get(fn.function_name)
            if meta is not None:
                config.update(meta.configuration())
            return dict(config)

        original_response_invoke = LambdaResponse.invoke

        def response_invoke(response: Any) -> Any:
            _REQUEST.qualifier = (response.querystring.get("Qualifier") or [None])[0]
            try:
                return original_response_invoke(response)
            finally:
                _REQUEST.qualifier = None

        self._patch(LambdaResponse, "invoke", response_invoke)
        self._patch(LambdaFunction, "get_configuration", get_configuration)
        self._patch(LambdaBackend, "invoke", backend_invoke)
        self._patch(LambdaSimpleBackend, "invoke", backend_invoke)
        self._patch(LambdaFunction, "invoke", function_invoke)
        self._patch(LambdaBackend, "create_event_source_mapping", create_event_source_mapping)
        self._patch(LambdaBackend, "send_dynamodb_items", send_dynamodb_items)
        self._patch(LambdaResponse, "put_function_event_invoke_config", put_event_invoke_config)
        self._patch(LambdaResponse, "update_function_event_invoke_config", update_event_invoke_config)
        self._patch(LambdaResponse, "get_function_event_invoke_config", get_event_invoke_config)
        self._patch(LambdaResponse, "delete_function_event_invoke_config", delete_event_invoke_config)
        self._patch(LambdaResponse, "list_function_event_invoke_configs", list_event_invoke_configs)
        aws_rules.install(self._patch)
        push_triggers.install(self, self._patch)  # i13-logsiot: log deliveries to the subscribed alias
        from .account import install_account_settings

        install_account_settings(self)


def _maybe_json(value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _async_key(response: Any) -> tuple[str, str | None]:
    from urllib.parse import unquote

    raw = unquote(response.path.rsplit("/", 2)[1])
    qualifier = response.querystring.get("Qualifier", [None])[0]
    return split_function(raw, qualifier)


def _store_async_config(sandbox: Sandbox, response: Any, *, replace: bool) -> dict[str, Any]:
    from moto.awslambda.exceptions import InvalidParameterValueException

    name, qualifier = _async_key(response)
    # Validates that the function (and the alias or version) exists, as AWS does.
    sandbox.function_model(name, qualifier)
    body: Mapping[str, Any] = response.json_body or {}
    key = (name, qualifier or "")
    config = sandbox.async_configs.get(key) if not replace else None
    config = config or AsyncConfig(name, qualifier or "")
    if "MaximumRetryAttempts" in body:
        value = int(body["MaximumRetryAttempts"])
        if not 0 <= value <= 2:
            raise InvalidParameterValueException(f"MaximumRetryAttempts must be 0-2, got {value}")
        config.maximum_retry_attempts = value
    if "MaximumEventAgeInSeconds" in body:
        value = int(body["MaximumEventAgeInSeconds"])
        if not 60 <= value <= 21600:
            raise InvalidParameterValueException(f"MaximumEventAgeInSeconds must be 60-21600, got {value}")
        config.maximum_event_age_in_seconds = value
    dest = body.get("DestinationConfig") or {}
    if "OnSuccess" in dest or replace:
        config.on_success = (dest.get("OnSuccess") or {}).get("Destination") or None
    if "OnFailure" in dest or replace:
        config.on_failure = (dest.get("OnFailure") or {}).get("Destination") or None
    config.last_modified = time.time()
    sandbox.async_configs[key] = config
    return config.response()


def _rekey_esm(sandbox: Sandbox, esm: Any, qualified_arn: str) -> None:
    from moto.dynamodb.models import dynamodb_backends
    from moto.sqs.models import sqs_backends

    old = esm.function_arn
    esm.function_arn = qualified_arn
    owners: list[Any] = [
        *sqs_backends[sandbox.account_id][sandbox.region].queues.values(),
        *dynamodb_backends[sandbox.account_id][sandbox.region].tables.values(),
    ]
    for owner in owners:
        mappings: dict[str, Any] = getattr(owner, "lambda_event_source_mappings", {})
        if mappings.get(old) is esm:
            del mappings[old]
            mappings[qualified_arn] = esm


def active() -> Sandbox | None:
    """The sandbox running in this process, if any."""
    return _ACTIVE


@contextlib.contextmanager
def exported_env(sandbox: Sandbox) -> Iterator[None]:
    """Temporarily export ``sandbox.env()`` so that code creating its own boto3 clients reaches the sandbox."""
    saved = {k: os.environ.get(k) for k in sandbox.env()}
    os.environ.update(sandbox.env())
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

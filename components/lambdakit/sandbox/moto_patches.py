"""The moto patches that make the sandbox's Lambda behave as AWS's (installed by ``Sandbox.start``).

- invoke: moto's ``Invoke`` (the API, the simple backend and direct model calls from SNS/DynamoDB/Kinesis
  deliveries) runs the handler through ``Sandbox.invoke``, keeps the request's ``Qualifier`` and answers with
  AWS's headers;
- event source mappings keep the alias-qualified function ARN they were created with; DynamoDB stream records
  reach the handler in AWS's shape;
- event invoke configs (retries, destinations) are stored by the sandbox, which applies them to ``Event``
  invocations;
- a function's configuration carries what moto does not keep (``FunctionMeta``);
- the refusals of :mod:`.aws_rules` and ``GetAccountSettings`` (:mod:`.account`).

Each ``_install_*`` takes the running sandbox and its ``patch(owner, name, replacement)``, which records the
original so that ``Sandbox.stop`` puts it back. The moto internals used here are checked by :mod:`._moto_compat`.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from . import aws_rules, push_triggers
from .account import install_account_settings
from .emulator import AsyncConfig, Sandbox, split_function

Patch = Callable[[Any, str, Any], None]

#: The ``Qualifier`` of the Invoke request being served (moto's handler reads a lower-case ``qualifier`` parameter
#: and so drops it: boto3's ``invoke(..., Qualifier="live")`` would run $LATEST).
_REQUEST = threading.local()


def install(sandbox: Sandbox, patch: Patch) -> None:
    """Install every patch on moto for ``sandbox`` (undone by ``sandbox.stop``)."""
    _install_invoke(sandbox, patch)
    _install_configuration(sandbox, patch)
    _install_event_source_mappings(sandbox, patch)
    _install_event_invoke_configs(sandbox, patch)
    aws_rules.install(patch)
    push_triggers.install(sandbox, patch)  # i13-logsiot: log deliveries to the subscribed alias
    install_account_settings(sandbox)


def _install_invoke(sandbox: Sandbox, patch: Patch) -> None:
    from moto.awslambda.models import LambdaBackend, LambdaFunction
    from moto.awslambda.responses import LambdaResponse
    from moto.awslambda_simple.models import LambdaSimpleBackend

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

    original_response_invoke = LambdaResponse.invoke

    def response_invoke(response: Any) -> Any:
        _REQUEST.qualifier = (response.querystring.get("Qualifier") or [None])[0]
        try:
            return original_response_invoke(response)
        finally:
            _REQUEST.qualifier = None

    patch(LambdaResponse, "invoke", response_invoke)
    patch(LambdaBackend, "invoke", backend_invoke)
    patch(LambdaSimpleBackend, "invoke", backend_invoke)
    patch(LambdaFunction, "invoke", function_invoke)


def _install_configuration(sandbox: Sandbox, patch: Patch) -> None:
    from moto.awslambda.models import LambdaFunction

    original_get_configuration = LambdaFunction.get_configuration

    def get_configuration(fn: Any, on_create: bool = False) -> dict[str, Any]:
        config = original_get_configuration(fn, on_create)
        meta = sandbox.function_meta.get(fn.function_name)
        if meta is not None:
            config.update(meta.configuration())
        return dict(config)

    patch(LambdaFunction, "get_configuration", get_configuration)


def _install_event_source_mappings(sandbox: Sandbox, patch: Patch) -> None:
    from moto.awslambda.models import LambdaBackend

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

    patch(LambdaBackend, "create_event_source_mapping", create_event_source_mapping)
    patch(LambdaBackend, "send_dynamodb_items", send_dynamodb_items)


def _install_event_invoke_configs(sandbox: Sandbox, patch: Patch) -> None:
    from moto.awslambda.responses import LambdaResponse

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

    patch(LambdaResponse, "put_function_event_invoke_config", put_event_invoke_config)
    patch(LambdaResponse, "update_function_event_invoke_config", update_event_invoke_config)
    patch(LambdaResponse, "get_function_event_invoke_config", get_event_invoke_config)
    patch(LambdaResponse, "delete_function_event_invoke_config", delete_event_invoke_config)
    patch(LambdaResponse, "list_function_event_invoke_configs", list_event_invoke_configs)


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

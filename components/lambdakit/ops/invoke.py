"""Invoking an alias or a version, with errors that tell a missing function from a missing alias."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from .errors import AliasNotFoundError, FunctionNotFoundError, OpsError, _denied, _error_code, _is_access_denied

InvocationType = Literal["RequestResponse", "Event", "DryRun"]
INVOCATION_TYPES: tuple[InvocationType, ...] = ("RequestResponse", "Event", "DryRun")


@dataclass
class InvokeResult:
    """What one invocation returned."""

    function_name: str
    qualifier: str
    invocation_type: InvocationType
    status_code: int
    request_id: str
    executed_version: str | None = None
    function_error: str | None = None
    payload: Any = None
    log_tail: str | None = None

    @property
    def ok(self) -> bool:
        """True for a 2xx status without a function error (handled or unhandled)."""
        return 200 <= self.status_code < 300 and not self.function_error

    def describe(self) -> str:
        """A few lines for a terminal: target, status, request id, then the payload and the log tail."""
        head = f"{self.invocation_type} {self.function_name}:{self.qualifier} -> {self.status_code}"
        if self.executed_version:
            head += f" (version {self.executed_version})"
        lines = [head, f"request id: {self.request_id}"]
        if self.invocation_type == "DryRun":
            lines.append("permission check passed: the caller may invoke this alias")
        if self.function_error:
            lines.append(f"function error: {self.function_error}")
        if self.payload is not None and self.invocation_type == "RequestResponse":
            body = self.payload if isinstance(self.payload, str) else json.dumps(self.payload, indent=2)
            lines += ["payload:", body]
        if self.log_tail:
            lines += ["log tail:", self.log_tail.rstrip("\n")]
        return "\n".join(lines)


def _not_found(lambda_client: Any, function_name: str, qualifier: str, cause: ClientError) -> OpsError:
    """Tell a missing function from a missing alias: Lambda answers ResourceNotFoundException for both."""
    try:
        lambda_client.get_function(FunctionName=function_name)
    except ClientError as exc:
        if _error_code(exc) == "ResourceNotFoundException":
            return FunctionNotFoundError(
                f"function {function_name!r} does not exist in {lambda_client.meta.region_name}; "
                "check the stack/service name, the region and the endpoint"
            )
        return OpsError(
            f"{function_name}:{qualifier} was not found ({cause}); could not tell whether the function or the "
            f"alias is missing: GetFunction failed with {_error_code(exc) or exc}"
        )
    return AliasNotFoundError(
        f"function {function_name!r} has no alias or version {qualifier!r}; list them with "
        f"`aws lambda list-aliases --function-name {function_name}`"
    )


def check_target(lambda_client: Any, function_name: str, qualifier: str) -> None:
    """Raise :class:`FunctionNotFoundError` / :class:`AliasNotFoundError` when the target does not exist.

    Skipped quietly when the caller may not read aliases (an on-call role may hold only lambda:InvokeFunction).
    """
    try:
        if qualifier.isdigit() or qualifier == "$LATEST":
            lambda_client.get_function(FunctionName=function_name, Qualifier=qualifier)
        else:
            lambda_client.get_alias(FunctionName=function_name, Name=qualifier)
    except ClientError as exc:
        if _error_code(exc) == "ResourceNotFoundException":
            raise _not_found(lambda_client, function_name, qualifier, exc) from None
        if not _is_access_denied(exc):
            raise


def invoke(
    lambda_client: Any,
    function_name: str,
    qualifier: str,
    payload: Any = None,
    *,
    invocation_type: InvocationType = "RequestResponse",
    preflight: bool = True,
) -> InvokeResult:
    """Invoke ``function_name:qualifier`` (an alias or a version).

    - ``RequestResponse``: returns the decoded result payload and the decoded log tail (``LogType=Tail``, the
      last 4 KB of the invocation's log).
    - ``Event``: queues the event; returns the request id to find it in the logs.
    - ``DryRun``: checks that the caller may invoke the alias; nothing runs.

    ``payload`` is JSON-encoded unless it is already ``bytes`` or ``str``. ``preflight`` first checks that the
    function and alias exist, which gives a clear error everywhere: moto 5.2.5 (without docker) answers an
    invoke of a missing function or alias with 200 and an echo instead of ResourceNotFoundException.
    """
    if invocation_type not in INVOCATION_TYPES:
        raise ValueError(f"invocation_type must be one of {', '.join(INVOCATION_TYPES)}, got {invocation_type!r}")
    if not qualifier:
        raise ValueError(f"{function_name}: qualifier (alias name or version) is required, got {qualifier!r}")
    if payload is None:
        body = b"{}"
    elif isinstance(payload, bytes):
        body = payload
    elif isinstance(payload, str):
        body = payload.encode()
    else:
        body = json.dumps(payload).encode()
    if preflight:
        check_target(lambda_client, function_name, qualifier)
    kwargs: dict[str, Any] = {
        "FunctionName": function_name,
        "Qualifier": qualifier,
        "InvocationType": invocation_type,
        "Payload": body,
    }
    if invocation_type == "RequestResponse":
        kwargs["LogType"] = "Tail"
    try:
        response = lambda_client.invoke(**kwargs)
    except ClientError as exc:
        if _error_code(exc) == "ResourceNotFoundException":
            raise _not_found(lambda_client, function_name, qualifier, exc) from None
        if _is_access_denied(exc):
            raise _denied("lambda:InvokeFunction", function_name, qualifier, exc) from None
        raise OpsError(f"invoke of {function_name}:{qualifier} failed: {exc}") from None
    result = InvokeResult(
        function_name=function_name,
        qualifier=qualifier,
        invocation_type=invocation_type,
        status_code=int(response.get("StatusCode", 0)),
        # For Event invocations the request id (x-amzn-RequestId) is the only handle on the queued event.
        request_id=str(response.get("ResponseMetadata", {}).get("RequestId", "")),
        executed_version=response.get("ExecutedVersion"),
        function_error=response.get("FunctionError"),
    )
    if invocation_type == "RequestResponse":
        raw = response["Payload"].read() if "Payload" in response else b""
        result.payload = decode_payload(raw)
        if response.get("LogResult"):
            result.log_tail = decode_log_tail(response["LogResult"])
    return result


def decode_payload(raw: bytes) -> Any:
    """The response payload as JSON when it is JSON, else as text."""
    text = raw.decode("utf-8", errors="replace")
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def decode_log_tail(log_result: str) -> str:
    """``LogResult`` is the base64 of the last 4 KB of the invocation's log."""
    return base64.b64decode(log_result).decode("utf-8", errors="replace")

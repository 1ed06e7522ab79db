"""One Lambda invocation in a fresh interpreter, as the Python runtime's bootstrap does it.

Run as ``python -I _bootstrap.py <spec.json> <result.json>`` by ``lambdakit.sandbox.runner``. Standard library only:
it must not import anything from the project, because the handler may only see its own code and its layers.
The log output (START/END/REPORT lines, the handler's prints and log records) goes to stdout; the outcome goes to
the result file so that a handler printing to stdout cannot corrupt it.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import resource
import signal
import sys
import time
import traceback
from datetime import UTC, datetime
from typing import Any

#: Lambda's largest synchronous response: ``lambdakit.limits.RESPONSE_MAX_BYTES``, passed in the spec by the runner
#: (this file imports nothing from the project); this default only serves a spec without it.
RESPONSE_MAX_BYTES = 6 * 1024 * 1024 + 100


class _Timeout(BaseException):
    """Raised in the handler's frame when the function timeout expires (BaseException: handlers catch Exception)."""


class LambdaContext:
    """The attributes and method of the Python runtime's context object that handlers use."""

    def __init__(self, spec: dict[str, Any], deadline: float) -> None:
        self.function_name: str = spec["function_name"]
        self.function_version: str = spec["function_version"]
        self.invoked_function_arn: str = spec["invoked_function_arn"]
        self.memory_limit_in_mb: int = int(spec["memory_size"])
        self.aws_request_id: str = spec["request_id"]
        self.log_group_name: str = spec["log_group_name"]
        self.log_stream_name: str = spec["log_stream_name"]
        self.identity = None
        self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _TextFormatter(logging.Formatter):
    def __init__(self, request_id: str) -> None:
        super().__init__()
        self.request_id = request_id

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        text = f"[{record.levelname}]\t{stamp}\t{self.request_id}\t{record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


class _JsonFormatter(_TextFormatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body: dict[str, Any] = {
            "timestamp": stamp,
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": self.request_id,
        }
        if record.exc_info:
            body["stackTrace"] = traceback.format_exception(*record.exc_info)
        return json.dumps(body)


def _configure_logging(spec: dict[str, Any]) -> None:
    # The Python runtime installs one handler on the root logger. In text format the root level stays at WARNING
    # (handlers must raise it themselves); in JSON format the function's application log level applies.
    handler = logging.StreamHandler(sys.stdout)
    root = logging.getLogger()
    if spec.get("log_format") == "JSON":
        handler.setFormatter(_JsonFormatter(spec["request_id"]))
        root.setLevel(spec.get("application_log_level") or "INFO")
    else:
        handler.setFormatter(_TextFormatter(spec["request_id"]))
    root.addHandler(handler)


def _error(exc: BaseException, error_type: str | None = None, message: str | None = None) -> dict[str, Any]:
    # Drop this bootstrap's own frames, as the runtime does.
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.endswith("_bootstrap.py")]
    return {
        "errorMessage": message if message is not None else str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": [line for line in traceback.format_list(frames)],
    }


def _load_handler(handler: str) -> Any:
    module_path, _, attr = handler.rpartition(".")
    if not module_path or not attr:
        raise _RuntimeError("Runtime.MalformedHandlerName", f"Bad handler '{handler}': not enough values to unpack")
    try:
        module = importlib.import_module(module_path.replace("/", "."))
    except ImportError as exc:
        raise _RuntimeError("Runtime.ImportModuleError", f"Unable to import module '{module_path}': {exc}") from exc
    except SyntaxError as exc:
        raise _RuntimeError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_path}': {exc}") from exc
    fn = getattr(module, attr, None)
    if fn is None:
        raise _RuntimeError("Runtime.HandlerNotFound", f"Handler '{attr}' missing on module '{module_path}'")
    return fn


class _RuntimeError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def main() -> int:
    spec_path, result_path = sys.argv[1], sys.argv[2]
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    sys.path[:0] = spec["sys_path"]
    os.chdir(spec["task_root"])
    request_id = spec["request_id"]
    timeout = float(spec["timeout"])
    outcome: dict[str, Any] = {}

    def on_alarm(signum: int, frame: Any) -> None:
        raise _Timeout()

    print(f"START RequestId: {request_id} Version: {spec['function_version']}", flush=True)
    started = time.monotonic()
    deadline = started + timeout
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    init_ms = 0.0
    invoked = started
    try:
        _configure_logging(spec)
        fn = _load_handler(spec["handler"])
        init_ms = (time.monotonic() - started) * 1000
        invoked = time.monotonic()
        event = json.loads(spec["payload"]) if spec["payload"] else {}
        result = fn(event, LambdaContext(spec, deadline))
        signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            payload = json.dumps(result)
        except (TypeError, ValueError) as exc:
            outcome["error"] = _error(exc, "Runtime.MarshalError", f"Unable to marshal response: {exc}")
        else:
            size = len(payload.encode())
            limit = int(spec.get("response_max_bytes", RESPONSE_MAX_BYTES))
            if size > limit:
                outcome["error"] = {
                    "errorMessage": f"Response payload size ({size} bytes) exceeded maximum allowed payload size "
                    f"({limit} bytes).",
                    "errorType": "Function.ResponseSizeTooLarge",
                }
            else:
                outcome["payload"] = payload
    except _Timeout:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        outcome["error"] = {
            "errorMessage": f"{stamp} {request_id} Task timed out after {timeout:.2f} seconds",
            "errorType": "Sandbox.Timedout",
        }
        print(outcome["error"]["errorMessage"], flush=True)
    except _RuntimeError as exc:
        signal.setitimer(signal.ITIMER_REAL, 0)
        outcome["error"] = _error(exc, exc.error_type)
        outcome["error"]["stackTrace"] = []
        print(f"[ERROR] {exc.error_type}: {exc}", flush=True)
    except Exception as exc:
        signal.setitimer(signal.ITIMER_REAL, 0)
        outcome["error"] = _error(exc)
        print(f"[ERROR] {type(exc).__name__}: {exc}", flush=True)
        print("Traceback (most recent call last):", flush=True)
        for line in outcome["error"]["stackTrace"]:
            print(line.rstrip("\n"), flush=True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    ended = time.monotonic()
    duration_ms = (ended - invoked) * 1000
    max_memory_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    outcome.update({"duration_ms": duration_ms, "init_duration_ms": init_ms, "max_memory_mb": max_memory_mb})
    sys.stdout.flush()
    sys.stderr.flush()
    print(f"END RequestId: {request_id}", flush=True)
    print(
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {int(duration_ms) + 1} ms\t"
        f"Memory Size: {spec['memory_size']} MB\tMax Memory Used: {max_memory_mb} MB\tInit Duration: {init_ms:.2f} ms",
        flush=True,
    )
    with open(result_path, "w", encoding="utf-8") as fh:
        json.dump(outcome, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())

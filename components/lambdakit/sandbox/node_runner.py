"""Run a deployed Node.js function's handler with the local ``node``: the same unpacked code and layers, the same
environment, result shape, error types and log tail as the Python runner (:mod:`lambdakit.sandbox.runner`).

The zip is unpacked as the task root, the layers into ``opt`` (``NODE_PATH`` lists ``opt/nodejs/node<major>/
node_modules`` and ``opt/nodejs/node_modules`` as Lambda does), and ``_node_bootstrap.js`` runs one invocation in a
fresh process. The local ``node`` is whatever is installed: when its major version differs from the runtime the
function declares, :func:`version_note` says so (the report shows it beside the service); without ``node`` the
invocation is reported as not emulated. Custom runtimes and container images are never run: they are reported as not
emulated.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runner import FunctionCode, HandlerRunner, InvokeResult

__all__ = ["local_node_version", "not_emulated", "run_node", "version_note"]

_BOOTSTRAP = Path(__file__).with_name("_node_bootstrap.js")


@functools.cache
def local_node_version() -> str | None:
    """``"v20.20.2"`` for the ``node`` on PATH, or None."""
    node = shutil.which("node")
    if node is None:
        return None
    result = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip() or None


def _major(runtime: str) -> str:
    return runtime.removeprefix("nodejs").removesuffix(".x")


def version_note(runtime: str) -> str:
    """What runs a Node.js function here, and whether it matches the declared runtime."""
    version = local_node_version()
    if version is None:
        return f"not run: no node on PATH (the function declares {runtime})"
    local_major = version.lstrip("v").split(".", 1)[0]
    if local_major != _major(runtime):
        return f"local node {version}; the function declares {runtime}: versions differ, behaviour may too"
    return f"local node {version} (matches {runtime})"


def not_emulated(code: FunctionCode, qualifier: str | None, request_id: str, why: str) -> InvokeResult:
    """The result of an invocation the sandbox does not run, shaped like Lambda's error."""
    from .runner import InvokeResult

    message = f"{why} (function {code.function_name})"
    return InvokeResult(
        function_name=code.function_name,
        qualifier=qualifier,
        executed_version=code.version,
        status_code=200,
        payload=json.dumps({"errorMessage": message, "errorType": "Sandbox.RuntimeNotEmulated"}),
        function_error="Unhandled",
        request_id=request_id,
        emulated=False,
    )


def run_node(
    runner: HandlerRunner,
    code: FunctionCode,
    body: str,
    *,
    qualifier: str | None,
    invoked_function_arn: str,
    request_id: str,
) -> InvokeResult:
    """One invocation of a Node.js handler in a fresh ``node`` process."""
    from .runner import InvokeResult

    node = shutil.which("node")
    if node is None:
        return not_emulated(code, qualifier, request_id, f"runtime {code.runtime} is not emulated: no node on PATH")
    task_root = runner._unpacked("task", [code.code_zip])
    opt = runner._unpacked("opt", list(code.layer_zips)) if code.layer_zips else None
    now = datetime.now(UTC)
    stream = f"{now:%Y/%m/%d}/[{code.version}]{uuid.uuid4().hex}"
    spec: dict[str, Any] = {
        "function_name": code.function_name,
        "function_version": code.version,
        "invoked_function_arn": invoked_function_arn,
        "memory_size": code.memory_size,
        "timeout": code.timeout,
        "handler": code.handler,
        "request_id": request_id,
        "log_group_name": code.log_group_name,
        "log_stream_name": stream,
        "log_format": code.log_format,
        "application_log_level": code.application_log_level,
        "task_root": str(task_root),
        "payload": body,
    }
    node_path = []
    if opt is not None:
        node_path = [
            str(opt / "nodejs" / f"node{_major(code.runtime)}" / "node_modules"),
            str(opt / "nodejs" / "node_modules"),
        ]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "NODE_PATH": os.pathsep.join(node_path),
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(_BOOTSTRAP.parent),
        "_HANDLER": code.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{code.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": code.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": code.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(code.memory_size),
        "AWS_LAMBDA_LOG_GROUP_NAME": code.log_group_name,
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "AWS_REGION": code.region,
        "AWS_DEFAULT_REGION": code.region,
        **runner.extra_env,
        **dict(code.environment),
    }
    if code.log_format == "JSON":
        env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
        if code.application_log_level:
            env["AWS_LAMBDA_LOG_LEVEL"] = code.application_log_level
    log, outcome = runner.execute([node, str(_BOOTSTRAP)], env, spec, code, request_id)
    log = log.replace(str(task_root), "/var/task")
    if opt is not None:
        log = log.replace(str(opt), "/opt")
    error = outcome.get("error")
    if error:
        error["stackTrace"] = [
            line.replace(str(task_root), "/var/task").replace(str(opt) if opt else "\0", "/opt")
            for line in error.get("stackTrace", [])
        ]
    return InvokeResult(
        function_name=code.function_name,
        qualifier=qualifier,
        executed_version=code.version,
        status_code=200,
        payload=json.dumps(error) if error else outcome.get("payload", "null"),
        function_error="Unhandled" if error else None,
        log=log,
        duration_ms=float(outcome.get("duration_ms", 0.0)),
        init_duration_ms=float(outcome.get("init_duration_ms", 0.0)),
        request_id=request_id,
    )

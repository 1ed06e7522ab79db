"""Run a deployed function's handler for real: its zip and its layers, in a separate Python process.

moto cannot run handlers without docker, so the sandbox unpacks what was deployed (the function version's zip into a
task root, its layers in order into an ``opt`` folder, as Lambda does under ``/var/task`` and ``/opt``) and runs
``_bootstrap.py`` in a fresh interpreter with the Lambda environment variables set. The result is what Lambda's
``Invoke`` would return: the payload, or ``FunctionError: Unhandled`` with ``errorType``/``errorMessage``, plus the
log tail (START/END/REPORT lines included).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lambdakit.limits import LOG_TAIL_BYTES, RESPONSE_MAX_BYTES

from .native import host_packages

_BOOTSTRAP = Path(__file__).with_name("_bootstrap.py")


#: Wall-clock allowed on top of the function timeout before the handler's process group is killed. The handler's
#: timeout is first raised inside the process (SIGALRM); a handler that ignores it, or hangs in native code, is
#: killed here and reported as Lambda reports it (``Sandbox.Timedout``), within the timeout plus a second.
KILL_GRACE_S = 0.75

#: How much of a handler's log the runner keeps (the tail): enough for CloudWatch Logs and the 4 KB log tail, without
#: holding a handler's megabytes of prints in memory.
LOG_KEEP_BYTES = 256 * 1024


@dataclass
class FunctionCode:
    """What the runner needs from one published function version (read from the emulator)."""

    function_name: str
    version: str
    runtime: str
    handler: str
    timeout: int
    memory_size: int
    code_zip: bytes
    layer_zips: Sequence[bytes] = ()
    environment: Mapping[str, str] = field(default_factory=dict)
    log_group_name: str = ""
    log_format: str = "Text"
    application_log_level: str = ""
    region: str = "us-east-1"


@dataclass
class InvokeResult:
    """The outcome of one invocation, shaped like Lambda's ``Invoke`` response."""

    function_name: str
    qualifier: str | None
    executed_version: str
    status_code: int
    payload: str
    function_error: str | None = None
    log: str = ""
    duration_ms: float = 0.0
    init_duration_ms: float = 0.0
    request_id: str = ""
    emulated: bool = True

    @property
    def ok(self) -> bool:
        return self.function_error is None and self.status_code < 300

    @property
    def error(self) -> dict[str, Any]:
        """``{"errorType", "errorMessage", ...}`` when the function failed, else ``{}``."""
        if not self.function_error:
            return {}
        try:
            body = json.loads(self.payload)
        except ValueError:
            return {"errorType": "Unknown", "errorMessage": self.payload}
        return body if isinstance(body, dict) else {"errorType": "Unknown", "errorMessage": str(body)}

    @property
    def log_tail(self) -> str:
        """The last 4 KB of the log, as ``LogType=Tail`` returns it (decoded)."""
        return self.log.encode()[-LOG_TAIL_BYTES:].decode(errors="replace")

    @property
    def log_result(self) -> str:
        """The ``x-amz-log-result`` header value: base64 of the log tail."""
        return base64.b64encode(self.log.encode()[-LOG_TAIL_BYTES:]).decode()

    def first_log_line(self) -> str:
        """The first line the handler itself wrote (START/END/REPORT lines skipped), or ``""``."""
        for line in self.log.splitlines():
            if line.strip() and not line.startswith(("START RequestId", "END RequestId", "REPORT RequestId")):
                return line.strip()
        return ""

    def to_json(self) -> dict[str, Any]:
        try:
            payload: Any = json.loads(self.payload) if self.payload else None
        except ValueError:
            payload = self.payload
        return {
            "function_name": self.function_name,
            "qualifier": self.qualifier,
            "executed_version": self.executed_version,
            "status_code": self.status_code,
            "function_error": self.function_error,
            "payload": payload,
            "duration_ms": round(self.duration_ms, 2),
            "init_duration_ms": round(self.init_duration_ms, 2),
            "request_id": self.request_id,
            "log_tail": self.log_tail,
            "emulated": self.emulated,
        }


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _too_large(size: int) -> dict[str, Any]:
    return {
        "errorMessage": f"Response payload size ({size} bytes) exceeded maximum allowed payload size "
        f"({RESPONSE_MAX_BYTES} bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }


class _TailReader:
    """Reads a process's output on a thread as it comes, keeping only the last ``keep`` bytes (a handler printing
    megabytes per call must not grow the emulator)."""

    def __init__(self, proc: subprocess.Popen[bytes], keep: int) -> None:
        self.keep = keep
        self.buffer = bytearray()
        self.dropped = 0
        self._thread = threading.Thread(target=self._pump, args=(proc,), daemon=True)
        self._thread.start()

    def _pump(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        with proc.stdout:
            stream: Any = proc.stdout
            for chunk in iter(lambda: stream.read1(65536), b""):
                self.buffer += chunk
                extra = len(self.buffer) - self.keep
                if extra > 0:
                    del self.buffer[:extra]
                    self.dropped += extra

    def text(self) -> str:
        self._thread.join(timeout=5)
        text = bytes(self.buffer).decode(errors="replace")
        if self.dropped:
            # Cut at a line start so the kept part reads as whole lines.
            text = text.split("\n", 1)[-1] if "\n" in text else text
            dropped = self.dropped + len(self.buffer) - len(text.encode())
            text = f"[sandbox: {dropped} earlier bytes of log dropped]\n{text}"
        return text


def _extract(zip_bytes: bytes, dest: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        zf.extractall(dest)


class HandlerRunner:
    """Unpacks code once per (code, layers) and runs invocations in fresh interpreters."""

    def __init__(self, workdir: str | os.PathLike[str] | None = None, extra_env: Mapping[str, str] | None = None):
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="lambdakit-sandbox-"))
        self.extra_env = dict(extra_env or {})
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        #: Processes of invocations running now, killed by :meth:`kill_all` when the sandbox stops.
        self._running: set[subprocess.Popen[bytes]] = set()

    def _unpacked(self, kind: str, parts: Sequence[bytes]) -> Path:
        """The folder holding ``parts`` extracted in order; safe under concurrent first invocations: one thread
        extracts into its own temporary folder and renames it into place, the others wait for it."""
        digest = hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).hexdigest()[:16]
        dest = self.workdir / kind / digest
        if dest.is_dir():
            return dest
        with self._locks_guard:
            lock = self._locks.setdefault(f"{kind}/{digest}", threading.Lock())
        with lock:
            if dest.is_dir():
                return dest
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{digest}-", dir=dest.parent))
            try:
                # Lambda extracts layers in order into /opt: a later layer overwrites files of an earlier one.
                for part in parts:
                    _extract(part, tmp)
                try:
                    os.rename(tmp, dest)
                except OSError:
                    # Another process sharing the workdir won the race: its copy is the same code.
                    if not dest.is_dir():
                        raise
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
        return dest

    def kill_all(self) -> None:
        """Kill every invocation still running (the sandbox is stopping)."""
        for proc in list(self._running):
            _kill_group(proc)

    def execute(
        self, argv: Sequence[str], env: Mapping[str, str], spec: Mapping[str, Any], code: FunctionCode, request_id: str
    ) -> tuple[str, dict[str, Any]]:
        """(log, outcome) of one handler process: ``argv`` + the spec and result files, in its own process group,
        its output kept as a bounded tail, killed past the timeout (``Sandbox.Timedout``) and its result capped as
        Lambda caps a response. Shared by every runtime the sandbox runs."""
        timed_out = False
        with tempfile.TemporaryDirectory(dir=self.workdir) as tmp:
            spec_file, result_file = Path(tmp, "spec.json"), Path(tmp, "result.json")
            spec_file.write_text(json.dumps(spec))
            # Its own process group, so a handler's children die with it.
            proc = subprocess.Popen(
                [*argv, str(spec_file), str(result_file)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self._running.add(proc)
            try:
                tail = _TailReader(proc, LOG_KEEP_BYTES)
                try:
                    proc.wait(timeout=code.timeout + KILL_GRACE_S)
                except subprocess.TimeoutExpired:
                    timed_out = True
                _kill_group(proc)
                proc.wait()
                log = tail.text()
            finally:
                _kill_group(proc)
                self._running.discard(proc)
            if timed_out:
                outcome: dict[str, Any] = {}
            elif result_file.exists() and result_file.stat().st_size > RESPONSE_MAX_BYTES + 64 * 1024:
                outcome = {"error": _too_large(result_file.stat().st_size)}
            else:
                outcome = json.loads(result_file.read_text()) if result_file.exists() else {}
        if timed_out:
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            message = f"{stamp} {request_id} Task timed out after {code.timeout:.2f} seconds"
            log += f"\n{message}\n"
            outcome = {"error": {"errorMessage": message, "errorType": "Sandbox.Timedout"}}
        if not outcome:
            # The interpreter died before writing a result (killed, crashed in native code): Lambda reports this
            # as a runtime exit error.
            outcome = {
                "error": {
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited without providing a reason",
                    "errorType": "Runtime.ExitError",
                }
            }
        return log, outcome

    def run(
        self,
        code: FunctionCode,
        payload: bytes | str | None,
        *,
        qualifier: str | None,
        invoked_function_arn: str,
    ) -> InvokeResult:
        request_id = str(uuid.uuid4())
        body = payload.decode() if isinstance(payload, bytes) else (payload or "")
        if not code.runtime.startswith("python"):
            # Node.js runs on the local node; images and every other runtime are reported as not emulated.
            from . import node_runner

            if code.runtime.startswith("nodejs"):
                return node_runner.run_node(
                    self,
                    code,
                    body,
                    qualifier=qualifier,
                    invoked_function_arn=invoked_function_arn,
                    request_id=request_id,
                )
            why = (
                "container images are not emulated: the sandbox runs Python and Node.js handlers from zips"
                if not code.runtime
                else f"runtime {code.runtime} is not emulated: the sandbox runs Python and Node.js handlers only"
            )
            return node_runner.not_emulated(code, qualifier, request_id, why)
        task_root = self._unpacked("task", [code.code_zip])
        opt = self._unpacked("opt", list(code.layer_zips)) if code.layer_zips else None
        py = f"python{sys.version_info.major}.{sys.version_info.minor}"
        host = host_packages(task_root, self.workdir)
        if host.error:
            return InvokeResult(
                function_name=code.function_name,
                qualifier=qualifier,
                executed_version=code.version,
                status_code=200,
                payload=json.dumps({"errorMessage": host.error, "errorType": "Sandbox.NativePackagesForAnotherHost"}),
                function_error="Unhandled",
                log=f"[sandbox] {host.error}\n",
                request_id=request_id,
            )
        sys_path = [str(host.path)] if host.path is not None else []
        sys_path.append(str(task_root))
        if opt is not None:
            sys_path += [str(opt / "python" / "lib" / py / "site-packages"), str(opt / "python")]
        now = datetime.now(UTC)
        stream = f"{now:%Y/%m/%d}/[{code.version}]{uuid.uuid4().hex}"
        spec = {
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
            "sys_path": sys_path,
            "task_root": str(task_root),
            "payload": body,
            "response_max_bytes": RESPONSE_MAX_BYTES,
        }
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
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
            **self.extra_env,
            **dict(code.environment),
        }
        if code.log_format == "JSON":
            env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            if code.application_log_level:
                env["AWS_LAMBDA_LOG_LEVEL"] = code.application_log_level
        log, outcome = self.execute([sys.executable, "-I", str(_BOOTSTRAP)], env, spec, code, request_id)
        log = "".join(f"{note}\n" for note in host.notes) + log
        # Show paths as Lambda does (/var/task, /opt) so stack traces read like CloudWatch's.
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

"""The sandbox as a background process: one emulator that keeps its stacks between commands and shells.

``lambdakit sandbox up`` starts it when it is not running (``python -m lambdakit.sandbox.server --state-dir D``,
detached, its output in ``D/server.log``) and sends it the ``up``; ``destroy``, ``traffic``, ``status`` and ``stop``
go to the same process. It listens on two loopback ports chosen by the system: the emulator's (any boto3 client, the
AWS CLI or ``lambdakit invoke --endpoint-url`` reaches it from any shell) and a control port that takes JSON requests
carrying the token written, with both addresses and the pid, to ``D/server.json`` (mode 0600). The stacks' records
are in ``D/stacks/<stack>.json``.

Requests run one at a time on the process's main thread (the Pulumi program runs there). SIGTERM or SIGINT stops it:
the emulator and ports are closed and ``server.json`` is removed. When ``destroy`` removes the last stack the process
exits by itself. Records left by a process that is gone describe resources that no longer exist: the next server moves
them aside (``<stack>.json.stale``) and says so; the next ``up`` of such a stack creates it afresh.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

SERVER_FILE = "server.json"
LOG_FILE = "server.log"
STACKS_DIR = "stacks"
#: How long a starting server may take to write its server.json.
START_TIMEOUT_S = 90.0
#: The longest a request may take (an up of a large program, traffic for --duration).
REQUEST_TIMEOUT_S = 3600.0


class ServerError(Exception):
    """The background sandbox cannot be reached or refused the request; the message says why."""


# ---------------------------------------------------------------------------------------------------------------
# The server process
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class _Job:
    op: str
    body: dict[str, Any]
    done: queue.Queue[tuple[int, dict[str, Any]]]


def _handler_class(token: str, jobs: queue.Queue[_Job]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            if self.headers.get("Authorization") != f"Bearer {token}":
                self._reply(403, {"error": "wrong or missing token (read it from server.json)"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError as exc:
                self._reply(400, {"error": f"the request is not JSON: {exc}"})
                return
            done: queue.Queue[tuple[int, dict[str, Any]]] = queue.Queue()
            jobs.put(_Job(self.path.strip("/"), body, done))
            status, reply = done.get()
            self._reply(status, reply)

        def _reply(self, status: int, body: Mapping[str, Any]) -> None:
            data = json.dumps(body, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _move_stale(stacks: Path) -> list[str]:
    moved = []
    for record in sorted(stacks.glob("*.json")) if stacks.is_dir() else []:
        record.replace(record.with_suffix(".json.stale"))
        moved.append(record.stem)
    return moved


def serve(state_dir: Path, *, seed: int = 0, account_limit: int = 1000) -> int:
    """Run the background sandbox until stopped (the ``python -m lambdakit.sandbox.server`` entry point)."""
    from .emulator import Sandbox
    from .metrics import SandboxClock
    from .rehearsal import SandboxSession
    from .report import render
    from .state import StateStore

    state_dir.mkdir(parents=True, exist_ok=True)
    stale = _move_stale(state_dir / STACKS_DIR)
    if stale:
        print(f"records of {', '.join(stale)} were left by a sandbox that is gone: moved to *.json.stale", flush=True)
    token = secrets.token_urlsafe(24)
    jobs: queue.Queue[_Job] = queue.Queue()
    stopping = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server_file = state_dir / SERVER_FILE
    http = HTTPServer(("127.0.0.1", 0), _handler_class(token, jobs))
    thread = threading.Thread(target=http.serve_forever, name="sandbox-control", daemon=True)
    sandbox = Sandbox(seed=seed, concurrency_quota=account_limit).start()
    session = SandboxSession(sandbox, StateStore(state_dir / STACKS_DIR), clock=SandboxClock())
    try:
        thread.start()
        info = {
            "pid": os.getpid(),
            "endpoint": sandbox.endpoint_url,
            "control": f"http://127.0.0.1:{http.server_address[1]}",
            "token": token,
            "accountLimit": account_limit,
            "started": time.time(),
        }
        fd = os.open(server_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(info, out)
        print(f"sandbox serving at {sandbox.endpoint_url} (pid {os.getpid()})", flush=True)
        ops: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "up": lambda body: _up(session, render, body),
            "destroy": lambda body: _destroy(session, body),
            "traffic": lambda body: _traffic(session, body),
            "status": lambda body: _status(session, info),
            "stop": lambda body: {"stopped": True},
        }
        while not stopping.is_set():
            try:
                job = jobs.get(timeout=0.5)
            except queue.Empty:
                continue
            handler = ops.get(job.op)
            if handler is None:
                job.done.put((404, {"error": f"unknown request {job.op!r}; known: {', '.join(ops)}"}))
                continue
            try:
                reply = handler(job.body)
                job.done.put((200, reply))
            except Exception as exc:  # the request fails, the server stays up: the message goes to the caller
                job.done.put((422, {"error": f"{type(exc).__name__}: {exc}"}))
                continue
            if job.op == "stop" or (job.op == "destroy" and not session.store.stacks()):
                break
    finally:
        http.shutdown()
        http.server_close()
        session.close()
        sandbox.stop()
        server_file.unlink(missing_ok=True)
        print("sandbox stopped", flush=True)
    return 0


def _up(session: Any, render: Callable[..., str], body: Mapping[str, Any]) -> dict[str, Any]:
    result = session.up(body["program"], body["stack"], config_overrides=body.get("config") or {})
    deployment = result.deployment
    text = render(deployment, endpoint=session.sandbox.endpoint_url) if deployment else ""
    return {
        "preview": result.preview_text(),
        "summary": result.summary(),
        "calls": dict(result.calls),
        "report": text,
        "stateFile": result.state_file,
        "services": [
            {"name": v.name, "function": v.function_name, "alias": v.alias, "version": v.alias_version}
            for v in (deployment.services if deployment else [])
        ],
    }


def _destroy(session: Any, body: Mapping[str, Any]) -> dict[str, Any]:
    stack = str(body["stack"])
    if stack not in session.store.stacks():
        raise ValueError(f"the sandbox has no stack {stack!r}; it has: {', '.join(session.store.stacks()) or 'none'}")
    result = session.destroy(stack)
    return {"summary": result.summary(), "left": session.store.stacks()}


def _traffic(session: Any, body: Mapping[str, Any]) -> dict[str, Any]:
    stack = str(body["stack"])
    if stack not in session.results:
        raise ValueError(
            f"the sandbox has no stack {stack!r} deployed; run `lambdakit sandbox up --stack {stack}` first"
        )
    services = body.get("services") or None
    report = session.send(stack, float(body["rate"]), float(body["duration"]), services)
    return {"table": report.table(), "report": report.to_json()}


def _status(session: Any, info: Mapping[str, Any]) -> dict[str, Any]:
    stacks = {}
    for stack in session.store.stacks():
        state = session.store.load(stack)
        stacks[stack] = {"resources": sum(1 for r in state.resources if r.custom), "ups": state.ups}
    return {"endpoint": info["endpoint"], "pid": info["pid"], "stacks": stacks}


# ---------------------------------------------------------------------------------------------------------------
# The client side
# ---------------------------------------------------------------------------------------------------------------


def read_info(state_dir: Path) -> dict[str, Any] | None:
    """The running server's server.json, or None when there is none or its process is gone."""
    path = state_dir / SERVER_FILE
    try:
        info = json.loads(path.read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return dict(info)


def start(state_dir: Path, *, seed: int = 0, account_limit: int = 1000, echo: Callable[[str], None] = print) -> dict:
    """Start the background server (detached from this process) and wait for its server.json."""
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / SERVER_FILE).unlink(missing_ok=True)
    log = open(state_dir / LOG_FILE, "a")  # noqa: SIM115 (handed to the child, closed below)
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lambdakit.sandbox.server",
                "--state-dir",
                str(state_dir),
                "--seed",
                str(seed),
                "--account-limit",
                str(account_limit),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log.close()
    echo(f"Starting the background sandbox (pid {process.pid}, log {state_dir / LOG_FILE}) ...")
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = (state_dir / LOG_FILE).read_text()[-2000:]
            raise ServerError(f"the background sandbox exited with status {process.returncode}:\n{tail}")
        info = read_info(state_dir)
        if info is not None:
            return info
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    raise ServerError(f"the background sandbox did not start within {START_TIMEOUT_S:g} s; see {state_dir / LOG_FILE}")


def request(info: Mapping[str, Any], op: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Send one request to the server; an error reply raises :class:`ServerError` with the server's message."""
    data = json.dumps(dict(body or {})).encode()
    req = urllib.request.Request(
        f"{info['control']}/{op}",
        data=data,
        headers={"Authorization": f"Bearer {info['token']}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT_S) as response:
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error", str(exc))
        except ValueError:
            message = str(exc)
        raise ServerError(message) from None
    except OSError as exc:
        raise ServerError(f"the background sandbox at {info['control']} did not answer: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lambdakit.sandbox.server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--account-limit", type=int, default=1000)
    args = parser.parse_args(argv)
    return serve(args.state_dir, seed=args.seed, account_limit=args.account_limit)


if __name__ == "__main__":
    sys.exit(main())

"""`lambdakit sandbox up|traffic|destroy|status|stop`: stacks that live on in a background sandbox.

Each command is a new process (the installed `lambdakit`), as a user in a shell runs it; a second "shell" (this test,
with boto3) invokes against the same emulator. The second `up` is an update of what the first created.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from emulated_helpers import ROOT

LAMBDAKIT = str(Path(sys.executable).with_name("lambdakit"))


def run(program: Path, *args: str) -> tuple[int, str]:
    done = subprocess.run(
        [LAMBDAKIT, "sandbox", *args], cwd=program, capture_output=True, text=True, timeout=600, check=False
    )
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def program(tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "program"
    ignore = shutil.ignore_patterns(".venv", ".git", "tests", "benchmarks", "__pycache__", ".*cache")
    shutil.copytree(ROOT, target, ignore=ignore)
    yield target
    server = target / ".lambdakit" / "sandbox" / "server.json"
    if server.exists():  # a failed test must not leave the background sandbox running
        pid = int(json.loads(server.read_text())["pid"])
        os.kill(pid, signal.SIGTERM)
        _wait_gone(pid)


def _wait_gone(pid: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def _lambda(endpoint: str) -> object:
    return boto3.client(
        "lambda", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )


def test_up_again_is_an_update_and_another_shell_can_invoke(program: Path) -> None:
    status, out = run(program, "up", "--stack", "dev")
    assert status == 0, out
    assert "57 to create" in out and "Starting the background sandbox" in out
    info = json.loads((program / ".lambdakit" / "sandbox" / "server.json").read_text())
    assert oct((program / ".lambdakit" / "sandbox" / "server.json").stat().st_mode & 0o777) == "0o600"

    handler = program / "functions" / "api_handler" / "handler.py"
    handler.write_text(handler.read_text() + "\n# changed\n")
    status, out = run(program, "up", "--stack", "dev")
    assert status == 0, out
    assert "Starting the background sandbox" not in out, "the second up must reuse the running sandbox"
    assert "~  Function                     api-handler [code, sourceCodeHash]" in out
    assert "2 to update; 55 unchanged" in out
    assert "5 AWS call(s) (lambda 5)" in out

    # Another shell: plain boto3 against the endpoint the up printed.
    assert f"--endpoint-url {info['endpoint']}" in out
    lam = _lambda(info["endpoint"])
    response = lam.invoke(FunctionName="api-handler-dev", Qualifier="live", Payload=b"{}")  # type: ignore[attr-defined]
    assert response["ExecutedVersion"] == "2"

    status, out = run(program, "traffic", "--stack", "dev", "--rate", "2/s", "--duration", "2s")
    assert status == 0, out
    assert "api-handler      api-handler-dev:live" in out and "v2: 4 (0)" in out, out
    status, out = run(program, "status")
    assert status == 0 and "dev: 57 resources, 2 up(s)" in out, out

    status, out = run(program, "destroy", "--stack", "dev")
    assert status == 0, out
    assert "57 to delete" in out and "the background sandbox has stopped" in out
    assert _wait_gone(int(info["pid"])), "the sandbox process must end with its last stack"
    assert not (program / ".lambdakit" / "sandbox" / "server.json").exists()
    status, out = run(program, "status")
    assert status == 2 and "no sandbox is running" in out


def test_records_of_a_stopped_sandbox_are_moved_aside_and_the_next_up_creates_afresh(program: Path) -> None:
    status, out = run(program, "up", "--stack", "dev")
    assert status == 0, out
    info = json.loads((program / ".lambdakit" / "sandbox" / "server.json").read_text())
    os.kill(int(info["pid"]), signal.SIGTERM)
    assert _wait_gone(int(info["pid"]))
    assert not (program / ".lambdakit" / "sandbox" / "server.json").exists(), "SIGTERM removes server.json"
    status, out = run(program, "up", "--stack", "dev")
    assert status == 0, out
    assert "57 to create" in out
    assert (program / ".lambdakit" / "sandbox" / "stacks" / "dev.json.stale").exists()
    assert "were left by a sandbox that is gone" in (program / ".lambdakit" / "sandbox" / "server.log").read_text()
    status, out = run(program, "stop")
    assert status == 0 and "stopped" in out, out


def test_bad_arguments_are_one_line_errors(program: Path) -> None:
    status, out = run(program, "traffic", "--stack", "dev", "--rate", "fast")
    assert status == 2 and "--rate must be requests per second like 5/s" in out, out
    status, out = run(program, "destroy", "--stack", "dev")
    assert status == 2 and "no sandbox is running" in out, out

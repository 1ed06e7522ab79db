"""The sandbox under faults: timeouts, floods of output, huge responses, concurrent first invocations, signals,
restarts on the same port and a stable version no deploy has published."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

import boto3
import pytest
from emulated_helpers import FIXTURE_PROGRAM

from lambdakit.sandbox import Sandbox
from lambdakit.sandbox.__main__ import main
from lambdakit.sandbox.runner import LOG_KEEP_BYTES, FunctionCode, HandlerRunner

REPO = Path(__file__).resolve().parents[2]


def _code(source: str, *, timeout: int = 3, name: str = "fn") -> FunctionCode:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("app.py", source)
    return FunctionCode(
        function_name=name,
        version="1",
        runtime="python3.12",
        handler="app.handler",
        timeout=timeout,
        memory_size=128,
        code_zip=buf.getvalue(),
    )


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.fixture
def runner(tmp_path: Path) -> HandlerRunner:
    return HandlerRunner(tmp_path / "work")


def test_a_handler_that_ignores_sigalrm_is_killed_and_reported_as_timed_out(runner: HandlerRunner) -> None:
    source = (
        "import signal, subprocess, sys, time\n"
        "def handler(event, context):\n"
        "    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
        "    time.sleep(12)\n"
    )
    started = time.monotonic()
    result = runner.run(_code(source, timeout=2), "{}", qualifier=None, invoked_function_arn="arn")
    took = time.monotonic() - started
    assert result.error["errorType"] == "Sandbox.Timedout", result.payload
    assert "Task timed out after 2.00 seconds" in result.error["errorMessage"]
    assert took < 3.0, f"reported after {took:.2f} s; Lambda's timeout is 2 s (+1 s allowed)"


def test_a_handler_printing_megabytes_keeps_the_emulator_small(runner: HandlerRunner) -> None:
    source = "import sys\ndef handler(event, context):\n    sys.stdout.write('x' * 10_000_000 + '\\nlast line\\n')\n"
    code = _code(source)
    runner.run(code, "{}", qualifier=None, invoked_function_arn="arn")  # warm up (unpack, threads)
    before = _rss_mb()
    for _ in range(10):
        result = runner.run(code, "{}", qualifier=None, invoked_function_arn="arn")
    grown = _rss_mb() - before
    assert result.ok, result.payload
    assert len(result.log.encode()) <= LOG_KEEP_BYTES + 1024, len(result.log)
    assert len(result.log_tail.encode()) <= 4096 and "REPORT RequestId" in result.log_tail
    assert "earlier bytes of log dropped" in result.log
    assert grown < 40, f"the runner grew {grown:.0f} MB over 10 calls printing 10 MB each"


def test_a_response_over_6_mb_is_refused_as_lambda_refuses_it(runner: HandlerRunner) -> None:
    result = runner.run(
        _code("def handler(event, context):\n    return 'x' * 7_000_000\n"),
        "{}",
        qualifier=None,
        invoked_function_arn="arn",
    )
    assert result.error["errorType"] == "Function.ResponseSizeTooLarge", result.error
    assert len(result.payload) < 1000


def test_concurrent_first_unpacks_of_the_same_code_all_succeed(runner: HandlerRunner) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for i in range(200):
            archive.writestr(f"pkg/m{i}.py", "x = 1\n" * 50)
    blob = buf.getvalue()
    results: list[Path] = []
    errors: list[BaseException] = []
    gate = threading.Barrier(64)

    def unpack() -> None:
        try:
            gate.wait()
            results.append(runner._unpacked("task", [blob]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=unpack) for _ in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert len(set(results)) == 1 and len(list(results[0].rglob("*.py"))) == 200
    assert [p.name for p in results[0].parent.iterdir()] == [results[0].name], "temporary unpack folders left"


def test_serve_can_restart_at_once_on_the_same_port() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with Sandbox(port=port) as first:
        # A client connection leaves the port in TIME_WAIT after the server closes it.
        urllib.request.urlopen(f"{first.endpoint_url}/moto-api/data.json", timeout=10).read()
    with Sandbox(port=port) as second:
        assert second.port == port


def test_sandbox_stop_removes_its_work_folder() -> None:
    with Sandbox() as sandbox:
        assert sandbox.runner is not None
        work = sandbox.runner.workdir
        assert work.is_dir()
    assert not work.exists(), f"{work} left behind"


def test_fresh_refuses_a_stable_version_no_deploy_has_published(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--program", str(FIXTURE_PROGRAM), "--stack", "canary", "--fresh", "--config", "stableVersion=7"])
    err = capsys.readouterr().err
    assert status == 2, err
    assert "ResourceNotFoundException: Function not found" in err and ":7." in err, err
    assert "no deploy has published version 7" in err and err.count("\n") == 1, err
    status = main(["--program", str(FIXTURE_PROGRAM), "--stack", "canary", "--fresh"])
    err = capsys.readouterr().err
    assert status == 2 and "Function version 1 is already included in routing configuration" in err, err


def _sandbox_cmd(tmp: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(REPO / "components")}
    return subprocess.Popen(
        [sys.executable, "-m", "lambdakit", "sandbox", "--program", str(FIXTURE_PROGRAM), "--stack", "dev", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _left(tmp: Path) -> list[str]:
    # The fixture program itself caches its built zips in the temp folder (lambdakit-sandbox-fixture-*.zip).
    return sorted(p.name for p in tmp.iterdir() if not p.name.startswith("lambdakit-sandbox-fixture-"))


def _wait_for(proc: subprocess.Popen[str], words: str, timeout: float = 120) -> str:
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
        if words in line:
            return seen
    raise AssertionError(f"never saw {words!r}:\n{seen}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_a_signal_during_the_deploy_stops_in_one_line_and_leaves_no_temp_files(tmp_path: Path, sig: int) -> None:
    proc = _sandbox_cmd(tmp_path)
    _wait_for(proc, "Starting the local AWS emulator")
    time.sleep(0.5)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, out, err)
    assert "Traceback" not in err, err
    assert err.strip().splitlines()[-1].startswith("lambdakit sandbox: interrupted"), err
    assert _left(tmp_path) == [], "temporary files left behind"


def test_serve_stops_on_sigterm_removes_its_events_folder_and_restarts_on_the_port(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for _ in range(2):
        proc = _sandbox_cmd(tmp_path, "--serve", str(port), "--no-invoke")
        assert proc.stdout is not None
        seen = ""
        while "lambdakit-sandbox-events-" not in seen:
            line = proc.stdout.readline()
            assert line, f"the sandbox ended early: {seen}\n{proc.stderr.read() if proc.stderr else ''}"
            seen += line
        assert list(tmp_path.glob("lambdakit-sandbox-events-*")), "the events folder exists while serving"
        lam = boto3.client(
            "lambda",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["fixture-fn-dev"]
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, (out, err)
        assert _left(tmp_path) == [], "temporary files left behind"


def _bundle_with_foreign_wheel(name: str, version: str, handler: str) -> FunctionCode:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("app.py", handler)
        info = f"{name}-{version}.dist-info"
        archive.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nTag: cp312-cp312-manylinux_2_17_aarch64\n")
        archive.writestr(f"{info}/METADATA", f"Name: {name}\nVersion: {version}\n")
        # What an aarch64 wheel leaves: a package whose native module the host cannot load.
        archive.writestr(f"{name}/__init__.py", f"from .{name} import *\n")
    code = _code("")
    code.code_zip = buf.getvalue()
    return code


def test_native_wheels_for_another_machine_run_with_host_wheels_from_a_side_cache(runner: HandlerRunner) -> None:
    handler = "import six\ndef handler(event, context):\n    return six.__version__\n"
    code = _bundle_with_foreign_wheel("six", "1.16.0", handler)
    result = runner.run(code, "{}", qualifier=None, invoked_function_arn="arn")
    if not result.ok and "failed" in result.payload and "six==1.16.0" in result.payload:
        pytest.skip(f"PyPI unreachable from here: {result.error['errorMessage'][-200:]}")
    assert result.ok and result.payload == '"1.16.0"', result.payload
    assert "native wheels for another machine" in result.log and "six 1.16.0" in result.log, result.log


def test_native_wheels_that_cannot_be_replaced_name_the_package_and_the_reason(runner: HandlerRunner) -> None:
    code = _bundle_with_foreign_wheel("orjson", "0.0.0.999", "import orjson\ndef handler(e, c):\n    return 1\n")
    result = runner.run(code, "{}", qualifier=None, invoked_function_arn="arn")
    assert result.error["errorType"] == "Sandbox.NativePackagesForAnotherHost", result.payload
    message = result.error["errorMessage"]
    assert "orjson 0.0.0.999 (cp312-cp312-manylinux_2_17_aarch64)" in message and "orjson==0.0.0.999" in message
    assert "No module named" not in message

"""Fault injection: the canary runs in its own process against the emulator and is sent SIGTERM at every step; the
alias must end without weights every time. Also the command line: SIGTERM mid-bake, and ``--abort`` after a crash."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdakit.sandbox import Sandbox

FUNCTION = "faulty-svc"
REPO = Path(__file__).resolve().parents[2]

CONTROLLER = textwrap.dedent(
    """
    import sys
    import boto3
    from lambdakit.canary import (AliasShifter, AliasTarget, CanaryInterrupted, CanaryPlan, CanaryTarget,
                                  HealthThresholds, evaluate, run_canary, signals_interrupt)

    endpoint, function = sys.argv[1:3]
    lam = boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")

    class Healthy:
        def read(self, start, end):
            return evaluate(100, 0, 0, [], HealthThresholds())

    def echo(line):
        print(line, flush=True)

    plan = CanaryPlan(steps=(0.1, 0.5, 1.0), bake_seconds=0.4, poll_seconds=0.2, missing_data_deadline_seconds=5,
                      delivery_delay_seconds=0)
    shifter = AliasShifter(lam, {"svc": AliasTarget(function, "live", "1", "2")}, echo=echo)
    try:
        with signals_interrupt():
            print("READY", flush=True)
            run_canary([CanaryTarget("svc", "1", "2", Healthy())], shifter, plan, echo=echo)
    except CanaryInterrupted as exc:
        print(f"INTERRUPTED {exc.signame}", flush=True)
        sys.exit(130)
    """
)


def _zip(marker: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("index.py", f"def handler(event, context):\n    return {marker!r}\n")
    return buf.getvalue()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=3) as running:
        lam = running.client("lambda")
        role = running.client("iam").create_role(RoleName="faults", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam.create_function(
            FunctionName=FUNCTION,
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": _zip("v1")},
            Publish=True,
        )
        lam.update_function_code(FunctionName=FUNCTION, ZipFile=_zip("v2"), Publish=True)
        lam.create_alias(FunctionName=FUNCTION, Name="live", FunctionVersion="1")
        yield running


def _env(sandbox: Sandbox) -> dict[str, str]:
    return {**os.environ, **sandbox.env(), "PYTHONPATH": str(REPO / "components")}


def _reset(sandbox: Sandbox) -> None:
    sandbox.client("lambda").update_alias(
        FunctionName=FUNCTION, Name="live", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {}}
    )


def _alias(sandbox: Sandbox) -> tuple[str, dict[str, Any]]:
    alias = sandbox.client("lambda").get_alias(FunctionName=FUNCTION, Name="live")
    return str(alias["FunctionVersion"]), dict((alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {})


def _controller(sandbox: Sandbox, script: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(script), sandbox.endpoint_url, FUNCTION],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(sandbox),
    )


def test_sigterm_at_every_step_leaves_the_alias_without_weights(sandbox: Sandbox, tmp_path: Path) -> None:
    script = tmp_path / "controller.py"
    script.write_text(CONTROLLER)
    # A full run first: how many lines (steps, readings, promotion) the controller prints.
    _reset(sandbox)
    full = subprocess.run(
        [sys.executable, str(script), sandbox.endpoint_url, FUNCTION],
        capture_output=True,
        text=True,
        env=_env(sandbox),
        timeout=60,
        check=False,
    )
    assert full.returncode == 0, full.stderr
    lines = full.stdout.splitlines()[1:]  # after READY
    assert lines[-1] == "[svc] PROMOTED version 2 to 100%", full.stdout
    interrupted_with_weights = 0
    for cut in range(len(lines)):
        _reset(sandbox)
        proc = _controller(sandbox, script)
        assert proc.stdout is not None
        seen = [proc.stdout.readline() for _ in range(cut + 1)]  # READY + `cut` lines
        weights_before = _alias(sandbox)[1]
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        version, weights = _alias(sandbox)
        assert weights == {}, (
            f"SIGTERM after line {cut} ({seen[-1].strip()!r}): alias {version} routes {weights}\n{out}"
        )
        assert "Traceback" not in err, err
        if proc.returncode == 130:
            assert "rolled back to its stable version" in out, out
            assert version == "1", f"rolled back, yet on version {version}"
            interrupted_with_weights += bool(weights_before)
        else:
            # Past the promotion the controller no longer holds the signal: it ends as SIGTERM ends any process.
            assert proc.returncode in (0, -signal.SIGTERM) and "PROMOTED" in out, (proc.returncode, out, err)
            assert version == "2"
    assert interrupted_with_weights >= 2, "some cuts must have landed while the alias routed weights"


def _cli(sandbox: Sandbox, *args: str) -> list[str]:
    return [sys.executable, "-m", "lambdakit", "canary", "--function", FUNCTION, "--endpoint-url", sandbox.endpoint_url]


def test_command_line_sigterm_mid_bake_rolls_back_in_one_line_and_exit_130(sandbox: Sandbox) -> None:
    _reset(sandbox)
    argv = [*_cli(sandbox), "--new-version", "2", "--bake", "60", "--poll", "0.5", "--delivery-delay", "0"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(sandbox))
    deadline = time.monotonic() + 30
    while _alias(sandbox)[1] == {} and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert _alias(sandbox)[1] == {"2": 0.1}, "the canary never shifted"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, (out, err)
    assert _alias(sandbox) == ("1", {})
    assert "Traceback" not in err and "interrupted by SIGTERM" in out, (out, err)
    assert (
        out.strip().splitlines()[-1]
        == f"{FUNCTION}: canary interrupted by SIGTERM; the alias was rolled back to stable"
    )


def test_command_line_abort_restores_an_alias_a_crashed_canary_left_weighted(sandbox: Sandbox) -> None:
    sandbox.client("lambda").update_alias(
        FunctionName=FUNCTION, Name="live", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}}
    )
    done = subprocess.run(
        [*_cli(sandbox), "--abort"], capture_output=True, text=True, env=_env(sandbox), timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert _alias(sandbox) == ("1", {})
    assert "removed the canary's routing (50% to version 2); 100% on stable version 1" in done.stdout, done.stdout

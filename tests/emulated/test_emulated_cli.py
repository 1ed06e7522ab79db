"""`lambdakit sandbox`: the README's first command, end to end (its own emulator per call).

Given the fixture program, when the command runs, then it prints what was deployed and how each function answered,
writes the JSON report, and its exit status says whether every function answered (0), one failed (1) or the deploy
itself failed (2).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from emulated_helpers import FIXTURE_PROGRAM

from lambdakit.sandbox.__main__ import main


def test_deploys_reports_and_invokes_then_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"
    status = main(["--program", str(FIXTURE_PROGRAM), "--stack", "dev", "--json", str(report)])
    out = capsys.readouterr().out
    assert status == 0, f"sandbox exit status {status}; output:\n{out}"
    for expected in (
        "stack 'dev' of project 'sandbox-fixture', deployed locally",
        "alias      live -> version 1",
        "trigger    SQS fixture-orders-dev (batch 5, partial batch failures) -> live",
        "aws:lambda:ProvisionedConcurrencyConfig fixture-pc: 2 on fixture-fn-dev:live",
        "1 of 1 functions answered through their aliases without an error.",
    ):
        assert expected in out, f"missing {expected!r} in the report:\n{out}"
    body = json.loads(report.read_text())
    assert body["ok"] is True and body["stack"] == "dev", f"JSON report: {body['ok']}, {body['stack']}"
    [service] = body["services"]
    assert service["smoke"]["executed_version"] == "1" and service["smoke"]["qualifier"] == "live", service["smoke"]
    assert [r["name"] for r in body["not_emulated"]] == ["fixture-pc"], f"JSON not_emulated: {body['not_emulated']}"


def test_failing_function_is_shown_with_its_error_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    payload = 'fixture-fn={"fail": "on purpose"}'
    status = main(["--program", str(FIXTURE_PROGRAM), "--stack", "dev", "--payload", payload])
    out = capsys.readouterr().out
    assert status == 1, f"sandbox exit status {status}; output:\n{out}"
    assert "RuntimeError: asked to fail: on purpose" in out and "ERROR" in out, f"report:\n{out}"
    assert "0 of 1 functions answered" in out, f"report:\n{out}"


def test_deploy_refused_as_aws_would_exits_2_naming_the_resource(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--program", str(FIXTURE_PROGRAM), "--stack", "dev", "--config", "visibilityTimeout=2"])
    err = capsys.readouterr().err
    assert status == 2, f"sandbox exit status {status}; stderr:\n{err}"
    assert "error: the dev stack did not deploy:" in err and "'fixture-sqs'" in err, f"stderr:\n{err}"
    assert "Queue visibility timeout: 2 seconds is less than Function timeout: 5 seconds" in err, f"stderr:\n{err}"

"""The account's real concurrency budget: GetAccountSettings answered by the sandbox, checked by the driver."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from emulated_helpers import ROOT

from lambdakit.budget import plan_budget
from lambdakit.sandbox import Sandbox

LAMBDAKIT = str(Path(sys.executable).with_name("lambdakit"))


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


def test_get_account_settings_reports_the_sandboxs_limit_and_what_is_reserved() -> None:
    with Sandbox(concurrency_quota=400) as sandbox:
        lam, iam = sandbox.client("lambda"), sandbox.client("iam")
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        for name, reserved in (("a", 150), ("b", 50)):
            lam.create_function(
                FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler", Code={"ZipFile": _zip()}
            )
            lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)
        limit = lam.get_account_settings()["AccountLimit"]
        assert (limit["ConcurrentExecutions"], limit["UnreservedConcurrentExecutions"]) == (400, 200)

        # a: 150 -> 200 and a new function c with 20: 200 - 50 - 20 = 130 left, enough.
        budget = plan_budget(lam, {"a": 200, "b": 50, "c": 20})
        assert (budget.unreserved_now, budget.unreserved_after, budget.ok) == (200, 130, True)
        assert budget.changes == {"a": (150, 200), "c": (0, 20)}
        # Releasing b's reservation gives it back; taking 160 more leaves 90: refused.
        assert plan_budget(lam, {"b": None}).unreserved_after == 250
        refused = plan_budget(lam, {"c": 110})
        assert not refused.ok and "unreserved 200 now, 90 after" in refused.describe()


def test_release_is_refused_before_up_when_the_account_cannot_afford_its_reservations(tmp_path: Path) -> None:
    program = tmp_path / "program"
    shutil.copytree(ROOT, program, ignore=shutil.ignore_patterns(".venv", ".git", "tests", "benchmarks", "__pycache__"))
    # prod reserves 100 + 20 + 20 + 20 + 50 = 210; an account of 250 would keep 40 unreserved.
    args = [LAMBDAKIT, "release", "--sandbox", "--stacks", "prod", "--account-limit", "250"]
    done = subprocess.run(args, cwd=program, capture_output=True, text=True, timeout=600, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "failed at budget" in out, out
    assert "account concurrency 250, unreserved 250 now, 40 after this release" in out, out
    assert "pulumi up" not in out, "nothing may be deployed once the budget says no"


def test_a_stopped_sandbox_leaves_moto_without_its_account_settings_route() -> None:
    """The sandbox answers GetAccountSettings only while it runs: an in-process moto started after it answers as
    moto always has (the driver then says the endpoint cannot tell), never NotImplementedError."""
    import moto.awslambda.urls as urls
    from moto.awslambda.responses import LambdaResponse

    from lambdakit.sandbox.account import ROUTE

    before = dict(urls.url_paths)
    with Sandbox() as sandbox:
        assert ROUTE in urls.url_paths
        assert sandbox.client("lambda").get_account_settings()["AccountLimit"]["ConcurrentExecutions"] > 0
    assert urls.url_paths == before and ROUTE not in urls.url_paths
    assert "get_account_settings" not in vars(LambdaResponse)

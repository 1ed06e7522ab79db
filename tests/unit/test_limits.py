"""lambdakit/limits.py is the one home of the Lambda facts: its runtime table matches AWS's schedule (via cfn-lint)
and the Lambda API (botocore), the policy pack's JSON copies are not stale, and every layer refuses an unknown
runtime the same way."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from lambdakit import LambdaLayer, LambdaService, limits
from lambdakit.policies import facts, runtimes
from lambdakit.sandbox.exceptions import RuleViolationError
from lambdakit.sandbox.rules import check_function
from tests.policies.helpers import check_resource

FUNCTION = "aws:lambda/function:Function"
TODAY = dt.date(2026, 12, 4)


def test_the_policy_packs_fact_files_are_generated_from_limits() -> None:
    for path, text in limits.generated_files().items():
        assert path.read_text() == text, f"{path.name} is stale: run python -m lambdakit.limits --write"
    assert limits.main(["--check"]) == 0


def test_the_runtime_table_matches_the_aws_schedule_in_cfn_lint() -> None:
    spec = importlib.util.find_spec("cfnlint")
    assert spec is not None and spec.origin is not None, "cfn-lint (pinned in requirements-dev.txt) is not installed"
    source = Path(spec.origin).parent / "data" / "AdditionalSpecs" / "LmbdRuntimeLifecycle.json"
    theirs = json.loads(source.read_text())
    assert set(theirs) == set(limits.RUNTIMES), set(theirs) ^ set(limits.RUNTIMES)
    for name, entry in theirs.items():
        ours = limits.RUNTIMES[name]
        iso = {k: (d.isoformat() if d else None) for k, d in vars(ours).items() if isinstance(d, dt.date | None)}
        assert (iso["deprecated"], iso["create_block"], iso["update_block"]) == (
            entry["deprecated"],
            entry["create-block"],
            entry["update-block"],
        ), name
        assert ours.successor == entry["successor"], name


def test_every_zip_runtime_is_one_the_lambda_api_knows() -> None:
    api = set(botocore.session.get_session().get_service_model("lambda").shape_for("Runtime").enum)
    assert set(limits.ZIP_RUNTIMES) <= api, sorted(set(limits.ZIP_RUNTIMES) - api)
    assert "dotnet9" not in limits.ZIP_RUNTIMES and limits.RUNTIMES["dotnet9"].image_only


def test_snap_start_runtimes_and_architectures_are_known_runtimes() -> None:
    assert set(limits.ZIP_RUNTIMES) >= limits.SNAP_START_RUNTIMES
    assert limits.DEFAULT_RUNTIME in limits.ZIP_RUNTIMES


@pytest.mark.parametrize(
    ("runtime", "problem"),
    [
        ("python3.12", None),
        ("python3.9", None),  # deprecated, but AWS still accepts updates until 2027-03-03
        ("python9.99", r"must be a Lambda runtime such as python3.12; got 'python9.99' .*current runtimes: .*3\.14"),
        ("python2.7", r"'python2.7' was deprecated on 2021-07-15 and AWS refuses .* since 2022-05-30; use python3.14"),
        ("dotnet9", r"runs only as a container image"),
    ],
)
def test_runtime_problems(runtime: str, problem: str | None) -> None:
    found = limits.runtime_problem(runtime, TODAY)
    if problem is None:
        assert found is None, found
    else:
        assert found is not None and re.search(problem, found), found


def test_the_policy_pack_reads_the_same_numbers() -> None:
    assert list(limits.LOG_RETENTION_DAYS) == facts.RETENTION_DAYS
    assert (limits.MEMORY_MB.low, limits.MEMORY_MB.high) == (facts.MEMORY_MIN_MB, facts.MEMORY_MAX_MB)
    assert limits.TIMEOUT_S.high == facts.TIMEOUT_MAX_S
    assert facts.RESERVABLE_CONCURRENCY == limits.ACCOUNT_CONCURRENCY_DEFAULT - limits.UNRESERVED_MINIMUM
    assert set(runtimes.lifecycle()) == set(limits.RUNTIMES)


# --- an unknown runtime is refused everywhere, with the valid ones -------------------------------------------------


def test_lambda_service_refuses_an_unknown_runtime(deploy_error: Any) -> None:
    error, deployed = deploy_error(lambda: LambdaService("orders", {"code_path": "src", "runtime": "python9.99"}))
    assert isinstance(error, ValueError)
    assert re.search(r"orders: runtime must be a Lambda runtime such as python3.12; got 'python9.99'", str(error))
    assert "current runtimes: " in str(error) and "python3.14" in str(error)
    assert deployed.run.registrations == []


def test_lambda_layer_refuses_an_unknown_runtime(deploy_error: Any) -> None:
    error, deployed = deploy_error(
        lambda: LambdaLayer("shared", {"source_path": "src", "compatible_runtimes": ["python9.99"]})
    )
    assert re.search(r"shared: compatible_runtimes\[0\] must be a Lambda runtime such as python3.12", str(error))
    assert "python3.14" in str(error) and deployed.run.registrations == []


def test_the_policy_pack_refuses_an_unknown_runtime() -> None:
    out = check_resource("lambda-runtime-deprecated", FUNCTION, {"runtime": "python9.99"}, {"asOf": "2026-12-04"})
    assert len(out.violations) == 1, out
    assert "runtime 'python9.99' is not a Lambda runtime" in out.violations[0]
    assert "python3.14" in out.violations[0] and "python3.9," not in out.violations[0], "only current ones"


def test_the_sandbox_refuses_an_unknown_runtime() -> None:
    with pytest.raises(RuleViolationError, match=r"function f: runtime must be a Lambda runtime such as python3.12"):
        check_function("f", {"runtime": "python9.99", "memorySize": 128})
    check_function("f", {"runtime": "python3.12", "memorySize": 128})

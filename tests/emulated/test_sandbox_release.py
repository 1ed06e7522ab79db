"""`lambdakit release --sandbox`: the release driver, unchanged, rehearsing dev -> staging -> prod in the sandbox.

The reference program is released twice from its baseline (a copy of the repository's program): a good change of
order-processor promotes in every environment; a change that makes order-processor fail 30% of its orders rolls
back in dev (the first environment with a canary), leaves the alias on the stable version with no routing, and
stops before staging and prod. Each run is the installed command in its own process, as a user runs it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from emulated_helpers import ROOT

from lambdakit.sandbox import events
from lambdakit.sandbox.traffic import vary

LAMBDAKIT = str(Path(sys.executable).with_name("lambdakit"))
HANDLER = Path("functions") / "order_processor" / "handler.py"
#: Fails 3 of every 10 orders of the traffic (their message ids end in the request's number, see
#: ``lambdakit.sandbox.traffic.vary``), but not the smoke event's order: a change that breaks a kind of order the smoke
#: event does not cover, which only the canary's traffic finds.
BREAK = """        number = message_id.rsplit("-", 1)[-1]
        if len(number) == 6 and number.isdigit() and int(number) % 10 < 3:
            raise RuntimeError(f"order {message_id}: broken by this change")
"""


def _copy(tmp: Path, name: str) -> Path:
    target = tmp / name
    ignore = shutil.ignore_patterns(".venv", ".git", "tests", "benchmarks", "__pycache__", ".*cache")
    shutil.copytree(ROOT, target, ignore=ignore)
    return target


def _broken(program: Path) -> None:
    handler = program / HANDLER
    text = handler.read_text()
    anchor = '        message_id = record["messageId"]\n'
    assert anchor in text, "the reference handler changed: update the rehearsal test's breaking change"
    handler.write_text(text.replace(anchor, anchor + BREAK, 1))


def _release(program: Path, baseline: Path) -> tuple[int, str]:
    args = [LAMBDAKIT, "release", "--sandbox", "--baseline", str(baseline), "--bake", "120", "--poll", "60"]
    args += ["--traffic-rate", "0.5"]
    done = subprocess.run(args, cwd=program, capture_output=True, text=True, timeout=900, check=False)
    return done.returncode, done.stdout + done.stderr


def _row(out: str, stack: str) -> str:
    match = re.search(rf"^{stack}\s{{2,}}(.*)$", out, re.M)
    assert match, f"no summary row for {stack}:\n{out}"
    return match.group(1)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy(tmp_path_factory.mktemp("baseline"), "main")


def _fails(message_id: str) -> bool:
    number = message_id.rsplit("-", 1)[-1]
    return len(number) == 6 and number.isdigit() and int(number) % 10 < 3


def test_the_broken_change_fails_30_percent_of_traffic_and_not_the_smoke_event() -> None:
    # The driver smoke-invokes the new version first; the rehearsal is about the canary catching what smoke missed.
    smoke = events.sqs_event("arn:aws:sqs:us-east-1:123456789012:q")
    assert not _fails(smoke["Records"][0]["messageId"])
    traffic = [vary(smoke, n)["Records"][0]["messageId"] for n in range(1, 1001)]
    assert sum(map(_fails, traffic)) == 300


def test_a_good_change_promotes_in_every_environment(baseline: Path, tmp_path: Path) -> None:
    program = _copy(tmp_path, "feature")
    handler = program / HANDLER
    handler.write_text(handler.read_text() + "\n# a good change: same behaviour, new code\n")
    status, out = _release(program, baseline)
    assert status == 0, out
    for stack in ("dev", "staging", "prod"):
        row = _row(out, stack)
        assert row.startswith("deployed") and "order-processor 1->2" in row and "order-processor promoted" in row, row
        assert re.search(rf"^    {stack}: .*order-processor -> 2 \(no routing\)", out, re.M), out
    # Step by step: each environment shifted 10%, then 50%, read health with traffic, and promoted.
    assert out.count("[order-processor] step 1/2: 10% -> version 2") == 3
    assert out.count("[order-processor] PROMOTED version 2 to 100%") == 3
    assert "ROLLBACK" not in out
    # A code-only change is one function update (3 calls) and each shift is one alias update (2 calls).
    assert re.search(r"^    dev\s+3 calls .* up: 1 to update$", out, re.M), out
    assert re.search(r"^    dev\s+2 calls .* up \(order-processor 10% to new\): 1 to update$", out, re.M), out
    assert re.search(r"^    prod\s+2 calls .* up \(promote order-processor\): 1 to update$", out, re.M), out


def test_a_change_failing_30_percent_rolls_back_in_dev_and_stops(baseline: Path, tmp_path: Path) -> None:
    program = _copy(tmp_path, "broken")
    _broken(program)
    status, out = _release(program, baseline)
    assert status == 1, out
    assert "smoke order-processor (order-processor-dev:2): ok" in out, out
    assert _row(out, "dev").startswith("rolled-back at canary"), out
    assert _row(out, "staging").startswith("not run") and _row(out, "prod").startswith("not run"), out
    assert "stopping: staging, prod not touched" in out
    assert re.search(
        r"\[order-processor\] ROLLBACK to stable version 1 at 100%: step [12]/2 at (10|50)%: error rate", out
    )
    # The alias is back on the stable version with no routing; staging and prod were never deployed.
    assert re.search(r"^    dev: .*order-processor -> 1 \(no routing\)", out, re.M), out
    assert not re.search(r"^    (staging|prod): ", out, re.M), out
    assert re.search(r"^    dev\s+2 calls .* up \(roll back order-processor\): 1 to update$", out, re.M), out
    counts = re.search(r"traffic in dev .*\n    order-processor: v1 (\d+) \(0\), v2 (\d+) \((\d+)\)", out)
    assert counts, out
    stable, new, errors = map(int, counts.groups())
    assert new > 0 and errors > 0 and stable > new

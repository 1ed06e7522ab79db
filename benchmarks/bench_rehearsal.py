"""Benchmark: `lambdakit release --sandbox` on the reference program, a good change and a 30%-failing one.

Copies the program twice into a temp folder (the baseline, and the change), runs the installed command as a user
would and prints, per rehearsal: the exit status, the wall time (the whole process, and the rehearsal's own figure
against its sandbox time), the AWS calls of every `up`, and the invocations per version with errors. The temp folder
is removed on every exit path.

    python benchmarks/bench_rehearsal.py [--bake 120] [--poll 60] [--traffic-rate 0.5]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAMBDAKIT = str(Path(sys.executable).with_name("lambdakit"))
HANDLER = Path("functions") / "order_processor" / "handler.py"
ANCHOR = '        message_id = record["messageId"]\n'
#: 3 in 10 of the traffic's orders fail (their ids end in the request's number); the smoke event's never does.
BREAK = """        number = message_id.rsplit("-", 1)[-1]
        if len(number) == 6 and number.isdigit() and int(number) % 10 < 3:
            raise RuntimeError(f"order {message_id}: broken by this change")
"""


def copy(target: Path) -> Path:
    ignore = shutil.ignore_patterns(".venv", ".git", "tests", "benchmarks", "__pycache__", ".*cache", ".lambdakit")
    shutil.copytree(ROOT, target, ignore=ignore)
    return target


def rehearse(program: Path, baseline: Path, args: argparse.Namespace) -> tuple[int, float, str]:
    command = [LAMBDAKIT, "release", "--sandbox", "--baseline", str(baseline), "--bake", str(args.bake)]
    command += ["--poll", str(args.poll), "--traffic-rate", str(args.traffic_rate)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=program, capture_output=True, text=True, check=False)
    return done.returncode, time.perf_counter() - started, done.stdout + done.stderr


def figures(out: str) -> str:
    """The rehearsal's own figures block and its summary rows."""
    rows = [line for line in out.splitlines() if re.match(r"^(dev|staging|prod)\s{2,}", line)]
    block = out[out.find("Rehearsal figures:") :].split("\nRehearsing", 1)[0]
    return "\n".join(["  " + r for r in rows] + ["  " + line for line in block.splitlines()])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bake", type=float, default=120.0)
    parser.add_argument("--poll", type=float, default=60.0)
    parser.add_argument("--traffic-rate", type=float, default=0.5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lambdakit-bench-rehearsal-"))
    try:
        baseline = copy(folder / "main")
        good = copy(folder / "good")
        (good / HANDLER).write_text((good / HANDLER).read_text() + "\n# a good change\n")
        bad = copy(folder / "bad")
        text = (bad / HANDLER).read_text()
        if ANCHOR not in text:
            raise SystemExit("the reference handler changed: update the benchmark's breaking change")
        (bad / HANDLER).write_text(text.replace(ANCHOR, ANCHOR + BREAK, 1))
        for label, program in (("good change", good), ("30%-failing change", bad)):
            status, seconds, out = rehearse(program, baseline, args)
            print(f"{label}: exit {status}, {seconds:.1f} s for the whole command")
            print(figures(out))
            print()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

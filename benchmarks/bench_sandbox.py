"""Benchmark: the sandbox deploy of a stack of the reference program (default: prod).

Prints seconds for:
- cold: the first deploy in a fresh process (includes moto's one-off service imports and backend set-up, which is
  what `lambdakit sandbox` pays once);
- warm: further deploys into fresh sandboxes in the same process (median of --repeat);
- each phase of a warm deploy: the planning pass (program under default mocks), the deploy pass (program under
  MotoMocks, every resource created in moto), reading the services back, and the smoke invocations;
- the whole command, `lambdakit sandbox --stack <stack>`, as a subprocess (wall clock).

    python benchmarks/bench_sandbox.py [--stack prod] [--repeat 3] [--program .]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lambdakit.sandbox import Sandbox, deploy, smoke  # noqa: E402


def one(program: Path, stack: str) -> dict[str, float]:
    started = time.perf_counter()
    with Sandbox() as sandbox:
        ready = time.perf_counter()
        deployment = deploy(sandbox, program, stack)
        deployed = time.perf_counter()
        smoke(sandbox, deployment)
        smoked = time.perf_counter()
        failed = [v.name for v in deployment.services if v.smoke is None or not v.smoke.ok]
        if failed:
            raise SystemExit(f"{stack}: functions failed their smoke invocation: {failed}")
        resources = sum(1 for d in deployment.deployed if d.custom)
    return {
        "start": ready - started,
        "deploy_total": deployed - ready,
        "deploy_pass": deployment.seconds,
        "plan_and_describe": (deployed - ready) - deployment.seconds,
        "smoke": smoked - deployed,
        "total": smoked - started,
        "resources": float(resources),
        "functions": float(len(deployment.services)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--program", default=str(ROOT))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    program = Path(args.program).resolve()

    cold = one(program, args.stack)
    warm = [one(program, args.stack) for _ in range(args.repeat)]

    def median(key: str) -> float:
        return statistics.median(run[key] for run in warm)

    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "lambdakit", "sandbox", "--stack", args.stack, "--program", str(program)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    command = time.perf_counter() - started

    print(
        f"sandbox deploy of stack {args.stack!r} ({program}): {int(cold['resources'])} resources, "
        f"{int(cold['functions'])} functions"
    )
    print(
        f"  cold (first in a process):  deploy {cold['deploy_total']:.2f} s  "
        f"(resources created in moto {cold['deploy_pass']:.2f} s), smoke {cold['smoke']:.2f} s"
    )
    print(
        f"  warm (median of {args.repeat}):       deploy {median('deploy_total'):.2f} s  "
        f"(resources created in moto {median('deploy_pass'):.2f} s, plan + read-back "
        f"{median('plan_and_describe'):.2f} s), smoke {median('smoke'):.2f} s, emulator start {median('start'):.2f} s"
    )
    print(f"  per resource (warm):        {1000 * median('deploy_pass') / cold['resources']:.1f} ms")
    print(
        f"  whole command `lambdakit sandbox --stack {args.stack}`: {command:.2f} s wall clock "
        f"(exit status {proc.returncode})"
    )


if __name__ == "__main__":
    main()

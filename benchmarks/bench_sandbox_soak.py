"""Soak: many concurrent invocations through `lambdakit sandbox --serve` on loopback.

Starts `lambdakit sandbox --serve PORT` on a small program (one function behind an alias) as its own process with
its own TMPDIR, sends N invocations (C at a time) with boto3 through the alias, samples the emulator's resident
memory while they run, stops it with SIGTERM and prints:
- invocations answered / sent (and how many returned a function error), wall time and rate;
- the emulator's memory (RSS) when serving began, at its peak and at the end, and the growth past the start;
- temporary files left in its TMPDIR after it stopped.

    python benchmarks/bench_sandbox_soak.py [--invocations 1000] [--concurrency 200]

Exit status 1 when an invocation went unanswered, memory grew past --max-growth-mb (150) or files were left.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent

PROGRAM = """
import json
import pulumi
import pulumi_aws as aws

role = aws.iam.Role("soak-role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
logs = aws.cloudwatch.LogGroup("soak-logs", name="/aws/lambda/soak-fn", retention_in_days=7)
fn = aws.lambda_.Function("soak-fn", name="soak-fn", role=role.arn, runtime="python3.12", handler="app.handler",
                          code=pulumi.FileArchive("code.zip"), timeout=30, memory_size=128, publish=True,
                          opts=pulumi.ResourceOptions(depends_on=[logs]))
aws.lambda_.Alias("soak-alias", name="live", function_name=fn.name, function_version=fn.version)
"""

HANDLER = """
def handler(event, context):
    print("soak", event.get("n"))
    return {"n": event.get("n"), "version": context.function_version}
"""


def write_program(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text("name: soak\nruntime: python\n")
    (folder / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (folder / "__main__.py").write_text(PROGRAM)
    with zipfile.ZipFile(folder / "code.zip", "w") as archive:
        archive.writestr("app.py", HANDLER)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def soak(invocations: int, concurrency: int, workdir: Path) -> dict[str, Any]:
    program = write_program(workdir / "program")
    tmp = workdir / "tmp"
    tmp.mkdir()
    port = free_port()
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(ROOT / "components")}
    argv = [sys.executable, "-m", "lambdakit", "sandbox", "--program", str(program), "--stack", "dev"]
    proc = subprocess.Popen(
        [*argv, "--serve", str(port), "--no-invoke"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        seen = ""
        while "lambdakit-sandbox-events-" not in seen:
            line = proc.stdout.readline()
            if not line:
                raise SystemExit(
                    f"the sandbox ended before serving:\n{seen}\n{proc.stderr.read() if proc.stderr else ''}"
                )
            seen += line
        threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep its pipe drained
        client = boto3.client(
            "lambda",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(max_pool_connections=concurrency, read_timeout=300, retries={"max_attempts": 1}),
        )
        start_rss = rss_mb(proc.pid)
        peak = [start_rss]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], rss_mb(proc.pid))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()

        def one(n: int) -> tuple[bool, bool]:
            try:
                response = client.invoke(FunctionName="soak-fn", Qualifier="live", Payload=json.dumps({"n": n}))
                body = json.loads(response["Payload"].read())
                return body.get("n") == n, "FunctionError" in response
            except Exception:
                return False, False

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            results = list(pool.map(one, range(invocations)))
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        end_rss = rss_mb(proc.pid)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    left = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*"))
    return {
        "invocations": invocations,
        "concurrency": concurrency,
        "answered": sum(1 for ok, _ in results if ok),
        "function_errors": sum(1 for _, error in results if error),
        "seconds": seconds,
        "rate_per_s": invocations / seconds if seconds else 0.0,
        "rss_start_mb": start_rss,
        "rss_peak_mb": peak[0],
        "rss_end_mb": end_rss,
        "growth_mb": max(peak[0], end_rss) - start_rss,
        "temp_files_left": left,
        "exit_code": proc.returncode,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--invocations", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=200)
    p.add_argument("--max-growth-mb", type=float, default=150.0)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lambdakit-soak-") as work:
        figures = soak(args.invocations, args.concurrency, Path(work))
    print(
        f"soak: {figures['answered']}/{figures['invocations']} answered ({figures['function_errors']} function "
        f"errors), {figures['concurrency']} concurrent, {figures['seconds']:.1f} s ({figures['rate_per_s']:.1f}/s)"
    )
    print(
        f"emulator RSS: start {figures['rss_start_mb']:.0f} MB, peak {figures['rss_peak_mb']:.0f} MB, end "
        f"{figures['rss_end_mb']:.0f} MB; growth {figures['growth_mb']:.0f} MB (limit {args.max_growth_mb:g} MB)"
    )
    print(f"temporary files left: {len(figures['temp_files_left'])}; emulator exit code {figures['exit_code']}")
    ok = (
        figures["answered"] == figures["invocations"]
        and figures["growth_mb"] < args.max_growth_mb
        and not figures["temp_files_left"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

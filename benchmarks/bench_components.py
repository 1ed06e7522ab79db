"""Benchmark: evaluate N services of the reference shape under Pulumi mocks, with LambdaService and without it.

For N = 1, 50 and 200, each measurement runs in its own process (so peak RSS is that run's own) and prints seconds,
milliseconds per service, peak RSS and resource count, for the component and for the same resources registered
directly with pulumi-aws. Targets at N = 200: component time at most 1.3x direct, peak RSS at most 400 MB.

    python benchmarks/bench_components.py [--sizes 1 50 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


def _component_program(n: int) -> None:
    import pulumi_aws as aws

    from lambdakit import LambdaService

    for i in range(n):
        dlq = aws.sqs.Queue(f"q{i}-dlq", message_retention_seconds=1_209_600)
        queue = aws.sqs.Queue(
            f"q{i}",
            visibility_timeout_seconds=180,
            redrive_policy=dlq.arn.apply(lambda a: json.dumps({"deadLetterTargetArn": a, "maxReceiveCount": 5})),
        )
        LambdaService(
            f"svc{i}",
            {
                "code_path": "src",
                "memory_size": 512,
                "timeout": 30,
                "reserved_concurrency": 2,
                "environment": {"DB_HOST": "db", "LOG_LEVEL": "INFO"},
                "sqs_sources": [{"queue_arn": queue.arn, "batch_size": 10}],
                "async_invoke": {"maximum_retry_attempts": 2, "on_failure_destination_arn": dlq.arn},
                # The direct program registers no alarms; keep the resource sets identical.
                "alarms": {"enabled": False},
            },
        )


def _direct_program(n: int) -> None:
    import pulumi
    import pulumi_aws as aws

    assume = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
            ],
        }
    )
    for i in range(n):
        dlq = aws.sqs.Queue(f"q{i}-dlq", message_retention_seconds=1_209_600)
        queue = aws.sqs.Queue(
            f"q{i}",
            visibility_timeout_seconds=180,
            redrive_policy=dlq.arn.apply(lambda a: json.dumps({"deadLetterTargetArn": a, "maxReceiveCount": 5})),
        )
        logs = aws.cloudwatch.LogGroup(f"svc{i}-logs", name=f"/aws/lambda/svc{i}", retention_in_days=30)
        role = aws.iam.Role(f"svc{i}-role", assume_role_policy=assume)
        policy = aws.iam.RolePolicy(
            f"svc{i}-policy",
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": pulumi.Output.concat(logs.arn, ":*"),
                        },
                        {
                            "Effect": "Allow",
                            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                            "Resource": queue.arn,
                        },
                        {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": dlq.arn},
                    ],
                }
            ),
        )
        fn = aws.lambda_.Function(
            f"svc{i}",
            name=f"svc{i}",
            role=role.arn,
            code=pulumi.FileArchive("src"),
            handler="handler.handler",
            runtime="python3.12",
            architectures=["arm64"],
            memory_size=512,
            timeout=30,
            reserved_concurrent_executions=2,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables={"DB_HOST": "db", "LOG_LEVEL": "INFO"}),
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="JSON", log_group=logs.name),
            publish=True,
            opts=pulumi.ResourceOptions(depends_on=[logs, policy]),
        )
        alias = aws.lambda_.Alias(f"svc{i}-alias", name="live", function_name=fn.name, function_version=fn.version)
        aws.lambda_.EventSourceMapping(
            f"svc{i}-sqs-0",
            function_name=alias.arn,
            event_source_arn=queue.arn,
            batch_size=10,
            function_response_types=["ReportBatchItemFailures"],
        )
        aws.lambda_.FunctionEventInvokeConfig(
            f"svc{i}-async",
            function_name=fn.name,
            qualifier=alias.name,
            maximum_retry_attempts=2,
            destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
                on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(destination=dlq.arn)
            ),
        )


def measure(mode: str, n: int) -> dict[str, float]:
    """Run one evaluation in this process and return its figures."""
    sys.path.insert(0, str(ROOT))
    from lambdakit.program import run_program

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "Pulumi.yaml").write_text("name: bench\nruntime: python\n")
        (folder / "Pulumi.bench.yaml").write_text("config: {}\n")
        (folder / "src").mkdir()
        (folder / "src" / "handler.py").write_text(HANDLER)
        program = _component_program if mode == "component" else _direct_program
        start = time.perf_counter()
        run = run_program(folder, "bench", program=lambda: program(n))
        seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "resources": len(run.registrations), "peak_rss_mb": peak_mb}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 50, 200])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the fastest is reported")
    parser.add_argument("--one", nargs=2, metavar=("MODE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]))))
        return 0
    print(f"{'N':>5} {'mode':>10} {'seconds':>9} {'ms/service':>11} {'peak RSS MB':>12} {'resources':>10}")
    results: dict[tuple[str, int], dict[str, float]] = {}
    for n in args.sizes:
        runs: dict[str, list[dict[str, float]]] = {"direct": [], "component": []}
        # Interleave the two modes so that load from other processes on a shared machine hits both alike.
        for _ in range(args.repeat):
            for mode in ("direct", "component"):
                out = subprocess.run(
                    [sys.executable, __file__, "--one", mode, str(n)],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=ROOT,
                )
                runs[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))
        for mode in ("direct", "component"):
            best = dict(min(runs[mode], key=lambda r: r["seconds"]))
            best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs[mode])
            results[(mode, n)] = best
            print(
                f"{n:>5} {mode:>10} {best['seconds']:>9.2f} {1000 * best['seconds'] / n:>11.1f} "
                f"{best['peak_rss_mb']:>12.0f} {int(best['resources']):>10}"
            )
    for n in args.sizes:
        ratio = results[("component", n)]["seconds"] / results[("direct", n)]["seconds"]
        print(f"N={n}: component/direct time ratio {ratio:.2f}x")
    top = max(args.sizes)
    ratio = results[("component", top)]["seconds"] / results[("direct", top)]["seconds"]
    rss = results[("component", top)]["peak_rss_mb"]
    print(
        f"target at N={top}: ratio {ratio:.2f}x (<= 1.3x: {'met' if ratio <= 1.3 else 'NOT met'}), "
        f"peak RSS {rss:.0f} MB (<= 400 MB: {'met' if rss <= 400 else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

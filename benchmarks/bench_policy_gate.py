"""Benchmark: the offline policy gate over a synthetic stack of N services (about 10 resources each).

Each service has the reference shape, built from raw pulumi-aws resources: role, inline policy, log group,
function (published), alias, provisioned concurrency, SQS queue + DLQ, SQS mapping, async invoke config with an
on-failure destination, S3 permission and a function URL. Prints seconds for the program under mocks, for the
policy part alone (pack start-up, Configure, Analyze x N, AnalyzeStack) and for the whole run.

    python benchmarks/bench_policy_gate.py [--services 200] [--repeat 3] [--workers 2]

Recorded 2026-11-26 on the project machine (2 CPUs, shared with other test suites: load average 3.5-4.5 during
the runs), 200 services = 2,400 resources, 5 runs, medians (min-max):
  program under mocks                      9.96 s  (9.24-14.65)
  policy part alone, incl. pack start-up   2.65 s  (2.27-3.92);  3.05 CPU-seconds over the gate and both packs
  whole run (lambdakit gate)   13.18 s  (12.61-17.40)
    of which after the program             1.43 s  (1.31-1.89);  the packs start while the program runs
Before the pack's per-request conversion (policies/_speedups.py) the policy part took 4.2-6.4 s on the same stack.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lambdakit.gate import analyze, run_gate  # noqa: E402
from lambdakit.policies.pack import load_config  # noqa: E402
from lambdakit.program import run_program  # noqa: E402

PROGRAM = """
import json

import pulumi
import pulumi_aws as aws

config = pulumi.Config()
count = config.require_int("services")
assume = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                     "Principal": {"Service": "lambda.amazonaws.com"}}]})
for i in range(count):
    name = f"svc-{i:03d}"
    fn_name = f"{name}-prod"
    opts = pulumi.ResourceOptions()
    dlq = aws.sqs.Queue(f"{name}-dlq", message_retention_seconds=1209600)
    queue = aws.sqs.Queue(f"{name}-queue", visibility_timeout_seconds=180,
                          redrive_policy=dlq.arn.apply(lambda arn: json.dumps(
                              {"deadLetterTargetArn": arn, "maxReceiveCount": 5})))
    role = aws.iam.Role(f"{name}-role", assume_role_policy=assume)
    log_group = aws.cloudwatch.LogGroup(f"{name}-logs", name=f"/aws/lambda/{fn_name}", retention_in_days=30)
    policy = aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=pulumi.Output.all(queue.arn, dlq.arn).apply(
        lambda arns: json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
             "Resource": arns[0]},
            {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": arns[1]},
            {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"},
        ]})))
    fn = aws.lambda_.Function(
        name, name=fn_name, role=role.arn, runtime="python3.13", handler="app.handler",
        code=pulumi.AssetArchive({}), architectures=["arm64"], memory_size=512, timeout=30, publish=True,
        description=f"benchmark service {i}", tracing_config={"mode": "Active"},
        environment={"variables": {"DB_HOST": "db.internal", "LOG_LEVEL": "INFO"}},
        logging_config={"log_format": "JSON", "log_group": log_group.name},
        reserved_concurrent_executions=4, tags={"service": name, "environment": "prod"},
        opts=pulumi.ResourceOptions(depends_on=[log_group, policy]))
    alias = aws.lambda_.Alias(f"{name}-alias", name="live", function_name=fn.name, function_version=fn.version)
    aws.lambda_.ProvisionedConcurrencyConfig(f"{name}-pc", function_name=alias.function_name,
                                             qualifier=alias.name, provisioned_concurrent_executions=1)
    aws.lambda_.EventSourceMapping(f"{name}-sqs-0", event_source_arn=queue.arn, function_name=alias.arn,
                                   batch_size=10, function_response_types=["ReportBatchItemFailures"])
    aws.lambda_.FunctionEventInvokeConfig(f"{name}-async", function_name=fn.name, qualifier=alias.name,
                                          maximum_retry_attempts=2,
                                          destination_config={"on_failure": {"destination": dlq.arn}})
    aws.lambda_.Permission(f"{name}-s3", action="lambda:InvokeFunction", function=fn.name, qualifier=alias.name,
                           principal="s3.amazonaws.com", source_arn=f"arn:aws:s3:::{name}-bucket",
                           source_account="123456789012")
    aws.lambda_.FunctionUrl(f"{name}-url", function_name=fn.name, qualifier=alias.name,
                            authorization_type="AWS_IAM")
"""


def write_program(folder: Path, services: int) -> Path:
    (folder / "Pulumi.yaml").write_text("name: bench\nruntime: python\n")
    (folder / "Pulumi.prod.yaml").write_text(f"config:\n  aws:region: us-east-1\n  bench:services: {services}\n")
    (folder / "__main__.py").write_text(PROGRAM)
    return folder


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    policy_config = load_config("prod")
    rows: dict[str, list[float]] = {"program": [], "policy": [], "policy_cpu": [], "whole": [], "whole_policy": []}
    resources = mandatory = 0
    with tempfile.TemporaryDirectory() as tmp:
        program = write_program(Path(tmp), args.services)
        for _ in range(args.repeat):
            # The program and the policy part alone, one after the other.
            t0 = time.perf_counter()
            run = run_program(program, "prod")
            t1 = time.perf_counter()
            cpu0, child0 = time.process_time(), _children_cpu()
            result = analyze(run, policy_config, workers=args.workers)
            t2 = time.perf_counter()
            rows["program"].append(t1 - t0)
            rows["policy"].append(t2 - t1)
            rows["policy_cpu"].append(time.process_time() - cpu0 + _children_cpu() - child0)
            resources, mandatory = result.resources, len(result.mandatory)
            # The whole gate as the command runs it (pack start-up overlaps the program).
            t3 = time.perf_counter()
            whole = run_gate(program, "prod", policy_config, workers=args.workers)
            rows["whole"].append(time.perf_counter() - t3)
            rows["whole_policy"].append(whole.policy_seconds)
    load = os.getloadavg()[0]
    print(
        f"offline policy gate, {args.services} services, {resources} resources, {args.repeat} runs "
        f"(workers={args.workers or 'default'}, {os.cpu_count()} CPUs, load average {load:.1f} at the end)"
    )
    labels = {
        "program": "program under mocks",
        "policy": "policy part alone (pack start-up, Configure, Analyze x N, AnalyzeStack)",
        "policy_cpu": "policy part, CPU seconds (gate + pack processes)",
        "whole": "whole run (lambdakit gate)",
        "whole_policy": "  of which after the program (packs already started)",
    }
    for key, label in labels.items():
        values = rows[key]
        print(
            f"  {label:<74} median {statistics.median(values):6.2f} s   min {min(values):6.2f} s   "
            f"max {max(values):6.2f} s"
        )
    print(f"  mandatory violations: {mandatory} (expected 0 for the well-formed synthetic stack)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

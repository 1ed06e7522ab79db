"""Benchmark: lambdakit's gate against AWS CDK's synth and Checkov, on the same N-service production shape.

Per service: the function (arm64, python3.12, X-Ray, JSON logs, reserved concurrency 10) with its own code folder,
log group and least-privilege role; the alias `live` with provisioned concurrency 2, autoscaled 2-10 on utilization
0.7; an SQS queue with a dead-letter queue, consumed through the alias; async invocations with 2 retries and the DLQ
as on-failure destination; an error-rate alarm on the alias. Built three ways from one generated workspace:

- lambdakit: a program folder using ``LambdaService``, checked by ``lambdakit gate --stack prod`` (the program under
  Pulumi's mocks plus the policy pack over the analyzer protocol); also that program alone under mocks and the same
  resources registered directly with pulumi-aws (the component overhead);
- AWS CDK: ``app.synth()`` of the same shape with aws-cdk-lib (``benchmarks/peers/cdk_app.js``), with its built-in
  template validation (CloudFormation Validate, on by default since aws-cdk-lib 2.262) on and off;
- Checkov: ``checkov -f <the synthesized template> --framework cloudformation``.

Every run is a child process of this one (one process tree), the kinds interleaved round by round (gate, CDK, CDK
without validation, Checkov, component, direct, then again) so that load from other work on a shared machine falls
on all of them alike. Figures are medians over the rounds; memory is the peak of the summed RSS of a run's process
tree (the gate's process and its policy pack processes), sampled every 50 ms.

    python benchmarks/bench_peers.py --setup                   # install the pinned peers (npm ci + a Checkov venv)
    python benchmarks/bench_peers.py [--services 200 1000] [--repeat 3]

Run it with the project's interpreter (``.venv/bin/python``, as ``./run tests`` creates it). The peers live in
``benchmarks/peers/``: package.json + package-lock.json (aws-cdk-lib, constructs) and requirements-checkov.txt are
committed; node_modules/ and .venv/ (Checkov, apart from the project's environment) are git-ignored. Without them the
benchmark says which peer is missing and how to install it, and still measures lambdakit.

Targets (issue 9) at N = 200: the gate at most half of (CDK synth without validation + Checkov); the component at
most 1.15x the same resources registered directly; the gate's peak memory at most 300 MB; at N = 1,000 time and
memory grow no faster than linearly (at most 5x the N = 200 figures).

Recorded 2026-12-07 after issue 9 phase 2 (the program under mocks without the cyclic GC, the SDK's stack traces
and debug log; the gate's process exits with os._exit; one pack process), same machine (load average 1.9-4.0 during
the run), N = 200, 3 rounds, medians (min-max):
                                                          wall s                CPU s   peak RSS MB (tree)
  lambdakit gate --stack prod                     9.23 (8.38-9.71)      8.85   416 (gate 331 + 1 pack)
    its own timing: program under mocks           6.22 (5.64-6.67)
                    policy pack after it          2.67 (2.45-2.72)     verdict: pass
  CDK app.synth(), template validation on        15.33 (11.38-16.00)   16.91   531
  CDK app.synth(), template validation off        3.59 (2.89-4.30)      4.42   178
  Checkov on the template                        21.80 (20.10-23.73)   21.58   509 (4,000 passed, 1,200 failed)
  lambdakit program under mocks (LambdaService)   6.52 (6.36-7.45)      6.59   297
  the same resources directly (pulumi-aws)        5.34 (5.04-5.57)      5.15   276
  gate / (CDK without validation + Checkov) = 0.36x wall, 0.34x CPU   (target <= 0.50x: met; was 0.64x)
  component overhead                        = 1.22x wall, 1.28x CPU   (target <= 1.15x: NOT met; was 1.18x)
  gate peak memory (process tree)           = 416 MB                  (target <= 300 MB: NOT met; was 470 MB)
The component's ratio grew because the SDK's share shrank for both programs while the component's own work did not:
its validation, the code bundle it zips per service (the direct program passes a folder), the component resources
and their outputs, and importing lambdakit (botocore's Lambda model for limits.py). The evaluation alone, from the
child's own figures: 5.9 CPU-s against 4.9. Memory is the SDK's objects (about 100 KB per resource); the gate
process alone is 331 MB.
N = 1,000 the same day, 1 round, while other work kept the load average at 7.5-10 (wall times mean little; CPU
seconds of the process trees are steadier), against the N = 200 medians above:
                                    CPU s N=200 -> 1,000       peak RSS MB          wall s at N = 1,000
  lambdakit gate                     8.85 -> 51.76 (5.85x)     416 -> 1,563 (3.76x)   127.58
  program under mocks (component)    6.59 -> 33.02 (5.01x)     297 -> 1,181 (3.98x)    32.71
  direct pulumi-aws                  5.15 -> 31.98 (6.21x)     276 -> 1,118 (4.05x)    31.44
  CDK synth, validation on          16.91 -> 115.62            531 ->   996           320.48
  CDK synth, validation off          4.42 -> 18.08             178 ->   428            26.10
  Checkov                           21.58 -> 106.32            509 -> 1,328           107.33
  gate / (CDK without validation + Checkov) at N = 1,000: 0.42x CPU (0.96x wall under that load);
  component overhead at N = 1,000: 1.04x wall, 1.03x CPU. Memory grows less than linearly; CPU about linearly for
  the component program and a little faster for the gate and the direct program (one noisy round: to be re-measured
  on a quiet machine).

Recorded 2026-12-04 on the project machine (2 CPUs shared with other engineers' test suites: load average 3.7-4.2
during this run), aws-cdk-lib 2.276.0 on Node.js 20.20.2, checkov 3.3.30, Python 3.11.7; N = 200 (2,800 Pulumi
resources incl. 200 components; 2,600 CloudFormation resources), 3 rounds, medians (min-max):
                                                          wall s                CPU s   peak RSS MB (tree)
  lambdakit gate --stack prod                    32.33 (20.92-36.20)   23.65   470 (gate 330 + 2 packs)
    its own timing: program under mocks          28.19 (17.28-30.02)
                    policy pack after it          2.44 (2.10-3.00)     verdict: pass
  CDK app.synth(), template validation on        31.85 (30.27-45.56)   23.09   525
  CDK app.synth(), template validation off        9.26 (6.44-13.88)     6.06   174
  Checkov on the template                        41.62 (37.16-42.34)   26.51   510 (4,000 passed, 1,200 failed)
  lambdakit program under mocks (LambdaService)  24.18 (23.21-28.27)   16.43   306
  the same resources directly (pulumi-aws)       20.40 (15.66-21.01)   14.37   292
  gate / (CDK without validation + Checkov) = 0.64x wall, 0.73x CPU   (target <= 0.50x: NOT met)
  gate / (CDK with validation + Checkov)    = 0.44x wall, 0.48x CPU
  component overhead                        = 1.18x wall, 1.14x CPU   (target <= 1.15x: NOT met on wall time)
  gate peak memory (process tree)           = 470 MB                  (target <= 300 MB: NOT met)
N = 1,000 against N = 200, from one run of `--services 200 1000 --repeat 3` the same day (load average 3.1-6.7, so
the wall times are noisy; CPU seconds of the tree are steadier; that run's component/direct CPU includes imports):
                                    wall s N=200 -> 1,000      CPU s N=200 -> 1,000      peak RSS MB
  lambdakit gate                    39.19 -> 190.21 (4.85x)    27.28 -> 138.36 (5.07x)   474 -> 1,593 (3.36x)
  program under mocks (component)   31.80 -> 147.58 (4.64x)    21.26 -> 107.12 (5.04x)   308 -> 1,207 (3.92x)
  direct pulumi-aws                 20.00 -> 146.59 (7.33x)    18.25 ->  88.99 (4.88x)   294 -> 1,188 (4.04x)
  CDK synth, validation on          28.86 -> 274.29 (9.50x)    25.23 -> 159.85 (6.34x)   538 ->   965
  CDK synth, validation off          9.57 ->  41.43 (4.33x)     6.80 ->  25.98 (3.82x)   175 ->   366
  Checkov                           40.83 -> 159.48 (3.91x)    30.25 -> 123.84 (4.09x)   510 -> 1,329
  gate / (CDK without validation + Checkov) at N = 1,000: 0.95x wall, 0.92x CPU.
  Time and memory grow about linearly (memory less than linearly); the gate's CPU grows a little faster than
  linearly (5.07x), which the profile traces to Python's cyclic garbage collector (see profile_gate.py).
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PEERS = Path(__file__).resolve().parent / "peers"
CDK_APP = PEERS / "cdk_app.js"
CHECKOV_VENV = PEERS / ".venv"
CHECKOV_REQUIREMENTS = PEERS / "requirements-checkov.txt"
STACK = "prod"
PROJECT = "bench-peers"
#: Per-run limit; a run that takes longer is stopped (its whole process group) and the benchmark fails.
RUN_TIMEOUT_S = 3600
SAMPLE_INTERVAL_S = 0.05

# --- the shape, as a lambdakit program and as the same resources registered directly ----------------------------
# Both functions are written verbatim (inspect.getsource) into the generated programs' __main__.py, so they import
# what they use and read the service count from stack config, as a user's program would.


def lambdakit_program() -> None:
    """N services of the benchmark's shape with LambdaService (the program `lambdakit gate` checks)."""
    import json

    import pulumi
    import pulumi_aws as aws

    from lambdakit import LambdaService

    config = pulumi.Config()
    services = config.require_int("services")
    account_limit = config.require_int("accountConcurrencyLimit")
    for i in range(services):
        name = f"svc-{i:03d}"
        dlq = aws.sqs.Queue(f"{name}-dlq", message_retention_seconds=1_209_600, sqs_managed_sse_enabled=True)
        queue = aws.sqs.Queue(
            f"{name}-queue",
            visibility_timeout_seconds=180,
            sqs_managed_sse_enabled=True,
            redrive_policy=dlq.arn.apply(lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 5})),
        )
        LambdaService(
            name,
            {
                "code_path": f"services/{name}",
                "memory_size": 512,
                "timeout": 30,
                "reserved_concurrency": 10,
                "account_concurrency_limit": account_limit,
                "environment": {"DB_HOST": "db.internal", "LOG_LEVEL": "INFO"},
                "tags": {"Owner": "platform", "Environment": "prod"},
                "provisioned_concurrency": {"count": 2, "autoscaling": {"min_capacity": 2, "max_capacity": 10}},
                # In Python the queue itself may be given (its visibility timeout is then checked).
                "sqs_sources": [{"queue_arn": queue, "batch_size": 10}],  # type: ignore[typeddict-item]
                "async_invoke": {"maximum_retry_attempts": 2, "on_failure_destination_arn": dlq.arn},
                # The shape has one alarm per service, on the error rate (as the CDK app builds it).
                "alarms": {
                    "throttles": {"enabled": False},
                    "duration": {"enabled": False},
                    "concurrency": {"enabled": False},
                    "spillover": {"enabled": False},
                },
            },
        )


def direct_program() -> None:
    """The resources LambdaService registers for the same shape, registered directly with pulumi-aws.

    The inputs are those the component sends (compare `lambdakit plan`), so the difference in evaluation time is the
    component's own work: validation, bundling (the direct program hands the folder to Pulumi unzipped), the
    component resource and its outputs."""
    import json

    import pulumi
    import pulumi_aws as aws

    config = pulumi.Config()
    services = config.require_int("services")
    stack, project = pulumi.get_stack(), pulumi.get_project()
    assume = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    error_rate = "IF(FILL(m_invocations, 0) > 0, FILL(m_errors, 0) / FILL(m_invocations, 0), 0)"
    for i in range(services):
        name = f"svc-{i:03d}"
        fn_name = f"{name}-{stack}"
        tags = {"Owner": "platform", "Environment": "prod", "lambdakit:service": name}
        dlq = aws.sqs.Queue(f"{name}-dlq", message_retention_seconds=1_209_600, sqs_managed_sse_enabled=True)
        queue = aws.sqs.Queue(
            f"{name}-queue",
            visibility_timeout_seconds=180,
            sqs_managed_sse_enabled=True,
            redrive_policy=dlq.arn.apply(lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 5})),
        )
        logs = aws.cloudwatch.LogGroup(f"{name}-logs", name=f"/aws/lambda/{fn_name}", retention_in_days=30, tags=tags)
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=assume,
            description=f"Execution role of lambdakit service {name}",
            tags=tags,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "Logs",
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": pulumi.Output.concat(logs.arn, ":*"),
                        },
                        {
                            "Sid": "XRay",
                            "Effect": "Allow",
                            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                            "Resource": "*",
                        },
                        {
                            "Sid": "SqsSource0",
                            "Effect": "Allow",
                            "Action": [
                                "sqs:ReceiveMessage",
                                "sqs:DeleteMessage",
                                "sqs:GetQueueAttributes",
                                "sqs:ChangeMessageVisibility",
                            ],
                            "Resource": queue.arn,
                        },
                        {"Sid": "AsyncFailure", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": dlq.arn},
                    ],
                }
            ),
        )
        fn = aws.lambda_.Function(
            name,
            name=fn_name,
            role=role.arn,
            code=pulumi.FileArchive(f"services/{name}"),
            handler="handler.handler",
            runtime="python3.12",
            architectures=["arm64"],
            memory_size=512,
            timeout=30,
            ephemeral_storage=aws.lambda_.FunctionEphemeralStorageArgs(size=512),
            description=f"lambdakit service {name}",
            environment=aws.lambda_.FunctionEnvironmentArgs(variables={"DB_HOST": "db.internal", "LOG_LEVEL": "INFO"}),
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON", log_group=logs.name, application_log_level="INFO", system_log_level="WARN"
            ),
            reserved_concurrent_executions=10,
            publish=True,
            tags={**tags, "lambdakit:stack": stack, "lambdakit:project": project},
            opts=pulumi.ResourceOptions(depends_on=[logs, policy]),
        )
        alias = aws.lambda_.Alias(
            f"{name}-alias",
            name="live",
            function_name=fn.name,
            function_version=fn.version,
            description=f"lambdakit alias of {name}",
        )
        pc = aws.lambda_.ProvisionedConcurrencyConfig(
            f"{name}-pc",
            function_name=fn.name,
            qualifier=alias.name,
            provisioned_concurrent_executions=2,
            opts=pulumi.ResourceOptions(depends_on=[alias], ignore_changes=["provisionedConcurrentExecutions"]),
        )
        target = aws.appautoscaling.Target(
            f"{name}-pc-target",
            service_namespace="lambda",
            scalable_dimension="lambda:function:ProvisionedConcurrency",
            resource_id=pulumi.Output.concat("function:", fn.name, ":", alias.name),
            min_capacity=2,
            max_capacity=10,
            opts=pulumi.ResourceOptions(depends_on=[pc]),
        )
        aws.appautoscaling.Policy(
            f"{name}-pc-utilization",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration={
                "target_value": 0.7,
                "predefined_metric_specification": {
                    "predefined_metric_type": "LambdaProvisionedConcurrencyUtilization"
                },
            },
            opts=pulumi.ResourceOptions(depends_on=[target]),
        )
        aws.lambda_.EventSourceMapping(
            f"{name}-sqs-0",
            event_source_arn=queue.arn,
            function_name=alias.arn,
            batch_size=10,
            enabled=True,
            function_response_types=["ReportBatchItemFailures"],
        )
        aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-async",
            function_name=fn.name,
            qualifier=alias.name,
            maximum_retry_attempts=2,
            maximum_event_age_in_seconds=21_600,
            destination_config={"on_failure": {"destination": dlq.arn}},
        )
        resource_dim = pulumi.Output.concat(fn.name, ":", alias.name)
        dims = {"FunctionName": fn.name, "Resource": resource_dim}
        aws.cloudwatch.MetricAlarm(
            f"{name}-alarm-error-rate",
            name=pulumi.Output.concat(resource_dim.apply(lambda r: r.replace(":", "-")), "-error-rate"),
            comparison_operator="GreaterThanThreshold",
            evaluation_periods=3,
            datapoints_to_alarm=3,
            treat_missing_data="notBreaching",
            alarm_actions=[],
            ok_actions=[],
            tags=tags,
            alarm_description=pulumi.Output.concat("More than 1.00% of invocations of ", resource_dim, " failed"),
            threshold=0.01,
            metric_queries=[
                *(
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id=metric_id,
                        return_data=False,
                        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                            namespace="AWS/Lambda", metric_name=metric, stat="Sum", period=60, dimensions=dims
                        ),
                    )
                    for metric_id, metric in (("m_errors", "Errors"), ("m_invocations", "Invocations"))
                ),
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="e_error_rate", expression=error_rate, label="Error rate", return_data=True
                ),
            ],
        )


#: Each part of the shape: (Pulumi type, CloudFormation type). Provisioned concurrency is its own resource in
#: Pulumi and a property of the alias in CloudFormation; a published version is the function's `publish` in Pulumi
#: and an AWS::Lambda::Version in CloudFormation. Both are counted per concept below.
CONCEPTS: dict[str, tuple[str, str]] = {
    "function": ("aws:lambda/function:Function", "AWS::Lambda::Function"),
    "log group": ("aws:cloudwatch/logGroup:LogGroup", "AWS::Logs::LogGroup"),
    "role": ("aws:iam/role:Role", "AWS::IAM::Role"),
    "role policy": ("aws:iam/rolePolicy:RolePolicy", "AWS::IAM::Policy"),
    "alias": ("aws:lambda/alias:Alias", "AWS::Lambda::Alias"),
    "scalable target": ("aws:appautoscaling/target:Target", "AWS::ApplicationAutoScaling::ScalableTarget"),
    "scaling policy": ("aws:appautoscaling/policy:Policy", "AWS::ApplicationAutoScaling::ScalingPolicy"),
    "queue": ("aws:sqs/queue:Queue", "AWS::SQS::Queue"),
    "event source mapping": ("aws:lambda/eventSourceMapping:EventSourceMapping", "AWS::Lambda::EventSourceMapping"),
    "async invoke config": (
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
        "AWS::Lambda::EventInvokeConfig",
    ),
    "alarm": ("aws:cloudwatch/metricAlarm:MetricAlarm", "AWS::CloudWatch::Alarm"),
}


def pulumi_concepts(registrations: Sequence[Any]) -> dict[str, int]:
    """Counts per concept of a program run's registrations (lambdakit.program.Registration)."""
    by_type: dict[str, int] = {}
    for reg in registrations:
        by_type[reg.type] = by_type.get(reg.type, 0) + 1
    counts = {concept: by_type.get(pulumi_type, 0) for concept, (pulumi_type, _) in CONCEPTS.items()}
    counts["provisioned concurrency"] = by_type.get(
        "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig", 0
    )
    counts["published version"] = sum(
        1 for r in registrations if r.type == CONCEPTS["function"][0] and r.inputs.get("publish") is True
    )
    return counts


def cloudformation_concepts(template: Mapping[str, Any]) -> dict[str, int]:
    """Counts per concept of a CloudFormation template's resources."""
    resources = list((template.get("Resources") or {}).values())
    counts = {concept: sum(1 for r in resources if r.get("Type") == cfn) for concept, (_, cfn) in CONCEPTS.items()}
    counts["provisioned concurrency"] = sum(
        1
        for r in resources
        if r.get("Type") == "AWS::Lambda::Alias" and "ProvisionedConcurrencyConfig" in (r.get("Properties") or {})
    )
    counts["published version"] = sum(1 for r in resources if r.get("Type") == "AWS::Lambda::Version")
    return counts


@dataclass(frozen=True)
class Workspace:
    """A generated workspace: the lambdakit program, the direct program and the code folders they share with CDK."""

    root: Path
    services: int

    @property
    def program(self) -> Path:
        return self.root / "program"

    @property
    def direct(self) -> Path:
        return self.root / "direct"

    @property
    def code_root(self) -> Path:
        return self.program / "services"


def account_concurrency_limit(services: int) -> int:
    """A raised regional concurrency quota that leaves 1,000 unreserved with reserved concurrency 10 per service
    (the default quota of 1,000 cannot hold 200 such services; large accounts raise it)."""
    return 10 * services + 1000


HANDLER = 'SERVICE = "{name}"\n\n\ndef handler(event, context):\n    return {{"service": SERVICE, "ok": True}}\n'


def _program_source(func: Callable[[], None]) -> str:
    body = textwrap.dedent(inspect.getsource(func))
    return f'"""Generated by benchmarks/bench_peers.py."""\n\n\n{body}\n\n{func.__name__}()\n'


def write_workspace(root: Path, services: int) -> Workspace:
    """Write the programs, their stack files, the prod policy config and one code folder per service."""
    from lambdakit.packdir import pack_dir

    ws = Workspace(root, services)
    limit = account_concurrency_limit(services)
    policy_config = json.loads((pack_dir() / "config" / f"{STACK}.json").read_text())
    unreserved = policy_config["lambda-unreserved-concurrency"]
    if not isinstance(unreserved, dict):
        raise SystemExit(f"the pack's config/{STACK}.json: lambda-unreserved-concurrency must be an object")
    unreserved["accountConcurrencyLimit"] = limit
    for folder, func in ((ws.program, lambdakit_program), (ws.direct, direct_program)):
        folder.mkdir(parents=True)
        (folder / "Pulumi.yaml").write_text(f"name: {PROJECT}\nruntime: python\n")
        (folder / f"Pulumi.{STACK}.yaml").write_text(
            f"config:\n  aws:region: us-east-1\n  {PROJECT}:services: {services}\n"
            f"  {PROJECT}:accountConcurrencyLimit: {limit}\n"
        )
        (folder / "__main__.py").write_text(_program_source(func))
    (ws.program / "policy-config").mkdir()
    (ws.program / "policy-config" / f"{STACK}.json").write_text(json.dumps(policy_config, indent=2) + "\n")
    for i in range(services):
        code = ws.code_root / f"svc-{i:03d}"
        code.mkdir(parents=True)
        (code / "handler.py").write_text(HANDLER.format(name=f"svc-{i:03d}"))
    # The direct program reads the same code folders (Pulumi zips a FileArchive folder itself at deploy).
    (ws.direct / "services").symlink_to(ws.code_root, target_is_directory=True)
    return ws


# --- the peers: where they are, whether they are installed, how to install them --------------------------------


def _pinned_cdk_version() -> str:
    return str(json.loads((PEERS / "package.json").read_text())["dependencies"]["aws-cdk-lib"])


def _pinned_checkov_version() -> str:
    for line in CHECKOV_REQUIREMENTS.read_text().splitlines():
        if line.lower().startswith("checkov=="):
            return line.split("==", 1)[1].strip()
    raise SystemExit(f"{CHECKOV_REQUIREMENTS} does not pin checkov (a `checkov==X.Y.Z` line)")


def _checkov_bin() -> Path:
    return CHECKOV_VENV / "bin" / "checkov"


SETUP_HINT = "run `python benchmarks/bench_peers.py --setup`"


def cdk_missing() -> str | None:
    """Why the CDK side cannot run, or None when it can."""
    if shutil.which("node") is None:
        return (
            "AWS CDK: `node` is not on PATH; install Node.js 20+ and npm (e.g. `apt-get install nodejs npm`), then "
            + (SETUP_HINT)
        )
    installed = PEERS / "node_modules" / "aws-cdk-lib" / "package.json"
    if not installed.is_file():
        return f"AWS CDK: aws-cdk-lib is not installed in {PEERS / 'node_modules'}; {SETUP_HINT} (npm ci, pinned)"
    version = json.loads(installed.read_text()).get("version")
    if version != _pinned_cdk_version():
        return f"AWS CDK: aws-cdk-lib {version} is installed but {_pinned_cdk_version()} is pinned; {SETUP_HINT}"
    return None


def checkov_missing() -> str | None:
    """Why Checkov cannot run, or None when it can."""
    if not _checkov_bin().is_file():
        return f"Checkov: not installed in {CHECKOV_VENV}; {SETUP_HINT} (a venv of its own, pinned)"
    metadata = list((CHECKOV_VENV / "lib").glob("python3*/site-packages/checkov-*.dist-info"))
    versions = {m.name.removesuffix(".dist-info").split("-", 1)[1] for m in metadata}
    if versions != {_pinned_checkov_version()}:
        return f"Checkov: {', '.join(sorted(versions)) or 'an unknown version'} is installed but " + (
            f"{_pinned_checkov_version()} is pinned; {SETUP_HINT}"
        )
    return None


def setup() -> int:
    """Install the pinned peers: `npm ci` in benchmarks/peers and a Checkov venv in benchmarks/peers/.venv."""
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        print("bench_peers --setup: Node.js 20+ and npm are needed for AWS CDK (e.g. `apt-get install nodejs npm`)")
        return 2
    print(f"installing aws-cdk-lib {_pinned_cdk_version()} (npm ci, from {PEERS / 'package-lock.json'}) ...")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PEERS, check=True)
    print(f"installing checkov {_pinned_checkov_version()} into {CHECKOV_VENV} (from {CHECKOV_REQUIREMENTS.name}) ...")
    if not (CHECKOV_VENV / "bin" / "python").is_file():
        subprocess.run([sys.executable, "-m", "venv", str(CHECKOV_VENV)], check=True)
    subprocess.run(
        [str(CHECKOV_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r", str(CHECKOV_REQUIREMENTS)],
        check=True,
    )
    for why in (cdk_missing(), checkov_missing()):
        if why is not None:
            print(f"bench_peers --setup: still missing after the install: {why}")
            return 1
    print("peers installed: AWS CDK and Checkov")
    return 0


# --- running one measured process tree ------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return out


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


class TreeSampler:
    """Samples the summed RSS of a process and all its descendants until stopped; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_tree = 0
        self.peak_process = 0
        self.processes: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(SAMPLE_INTERVAL_S)

    def sample(self) -> None:
        todo, total = [self.pid], 0
        while todo:
            pid = todo.pop()
            rss = _rss_bytes(pid)
            if rss:
                self.processes.add(pid)
            total += rss
            self.peak_process = max(self.peak_process, rss)
            todo.extend(_children(pid))
        self.peak_tree = max(self.peak_tree, total)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Measurement:
    seconds: float
    cpu_seconds: float
    peak_tree_mb: float
    peak_process_mb: float
    processes: int
    returncode: int
    stdout: str
    stderr: str
    details: dict[str, Any] = field(default_factory=dict)


_RUNNING: list[subprocess.Popen[bytes]] = []


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop a run and everything it started (it leads its own process group)."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def measure(cmd: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None, label: str) -> Measurement:
    """Run ``cmd`` as a child process tree; wall time, CPU time of the tree, peak RSS of the tree."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        _RUNNING.append(proc)
        sampler = TreeSampler(proc.pid)
        try:
            proc.wait(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            _stop_group(proc)
            raise SystemExit(f"bench_peers: {label} took more than {RUN_TIMEOUT_S} s; stopped it") from None
        finally:
            seconds = time.perf_counter() - start
            sampler.stop()
            _stop_group(proc)  # anything the run left behind in its group
            _RUNNING.remove(proc)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out.seek(0)
        err.seek(0)
        return Measurement(
            seconds=seconds,
            cpu_seconds=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            peak_tree_mb=sampler.peak_tree / 2**20,
            peak_process_mb=sampler.peak_process / 2**20,
            processes=len(sampler.processes),
            returncode=proc.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


def _failed(label: str, m: Measurement) -> SystemExit:
    tail = "\n".join((m.stderr or m.stdout).strip().splitlines()[-20:])
    return SystemExit(f"bench_peers: {label} failed with exit code {m.returncode}:\n{tail}")


_TIMING = re.compile(r"Timing: program under mocks ([\d.]+) s, policy pack ([\d.]+) s, total ([\d.]+) s")


def run_gate(ws: Workspace) -> Measurement:
    """`lambdakit gate --stack prod` on the generated program, as a user runs it."""
    m = measure(
        [sys.executable, "-m", "lambdakit", "gate", "--stack", STACK, "--program", str(ws.program)],
        cwd=ws.program,
        label="lambdakit gate",
    )
    timing = _TIMING.search(m.stdout)
    if m.returncode not in (0, 1) or timing is None:
        raise _failed("lambdakit gate", m)
    m.details = {
        "program_seconds": float(timing.group(1)),
        "policy_seconds": float(timing.group(2)),
        "gate_seconds": float(timing.group(3)),
        "verdict": "pass" if m.returncode == 0 else "mandatory violations",
    }
    return m


def run_evaluation(folder: Path) -> Measurement:
    """The program in ``folder`` under mocks alone (lambdakit.program.run_program), in a fresh process."""
    m = measure([sys.executable, __file__, "--evaluate", str(folder)], cwd=ROOT, label=f"evaluation of {folder.name}")
    if m.returncode != 0:
        raise _failed(f"evaluation of {folder}", m)
    m.details = json.loads(m.stdout.strip().splitlines()[-1])
    return m


def evaluate(folder: Path) -> dict[str, Any]:
    """(In the child process) run one program under mocks and report its own figures."""
    started = time.perf_counter()
    from lambdakit.program import run_program

    imported, cpu = time.perf_counter(), time.process_time()
    run = run_program(folder, STACK)
    done = time.perf_counter()
    return {
        "import_seconds": imported - started,
        "evaluation_seconds": done - imported,
        "evaluation_cpu_seconds": time.process_time() - cpu,
        "resources": len(run.registrations),
        "concepts": pulumi_concepts(run.registrations),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_cdk(ws: Workspace, outdir: Path, *, validation: bool) -> Measurement:
    cmd = ["node", str(CDK_APP), "--services", str(ws.services), "--code-root", str(ws.code_root)]
    cmd += ["--outdir", str(outdir)] + ([] if validation else ["--no-validation"])
    env = {k: v for k, v in os.environ.items() if k != "CDK_VALIDATION"}
    label = f"CDK synth (template validation {'on' if validation else 'off'})"
    m = measure(cmd, cwd=PEERS, env=env, label=label)
    if m.returncode != 0:
        raise _failed(label, m)
    m.details = json.loads(m.stdout.strip().splitlines()[-1])
    return m


def run_checkov(template: Path) -> Measurement:
    env = dict(os.environ, CKV_SKIP_PACKAGE_UPDATE_CHECK="true", BC_SKIP_MAPPING="TRUE")
    cmd = [str(_checkov_bin()), "-f", str(template), "--framework", "cloudformation", "--skip-download"]
    cmd += ["--quiet", "--compact", "--soft-fail", "-o", "json"]
    m = measure(cmd, cwd=template.parent, env=env, label="Checkov")
    if m.returncode != 0:
        raise _failed("Checkov", m)
    report = json.loads(m.stdout)
    reports = report if isinstance(report, list) else [report]
    summary = [r.get("summary", {}) for r in reports]
    m.details = {
        "passed": sum(s.get("passed", 0) for s in summary),
        "failed": sum(s.get("failed", 0) for s in summary),
        "resources": sum(s.get("resource_count", 0) for s in summary),
    }
    return m


# --- the rounds and the report ---------------------------------------------------------------------------------

KINDS = {
    "gate": "lambdakit gate --stack prod (program under mocks + pack)",
    "cdk": "CDK app.synth(), template validation on",
    "cdk_noval": "CDK app.synth(), template validation off",
    "checkov": "Checkov on the synthesized template",
    "component": "lambdakit program under mocks (LambdaService)",
    "direct": "same resources registered directly (pulumi-aws)",
}


def run_rounds(n: int, repeat: int, *, cdk: bool, checkov: bool) -> dict[str, list[Measurement]]:
    runs: dict[str, list[Measurement]] = {k: [] for k in KINDS}
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        ws = write_workspace(Path(tmp) / "ws", n)
        for r in range(repeat):
            print(f"  N={n} round {r + 1}/{repeat} (load average {os.getloadavg()[0]:.1f}):", end="", flush=True)
            runs["gate"].append(run_gate(ws))
            print(f" gate {runs['gate'][-1].seconds:.1f} s", end="", flush=True)
            template = None
            if cdk:
                for kind, validation in (("cdk", True), ("cdk_noval", False)):
                    outdir = Path(tmp) / f"cdk.out-{r}-{kind}"
                    runs[kind].append(run_cdk(ws, outdir, validation=validation))
                    print(f", {kind} {runs[kind][-1].seconds:.1f} s", end="", flush=True)
                    template = Path(runs[kind][-1].details["template"])
                    if not template.is_absolute():
                        template = PEERS / template
            if checkov and template is not None:
                runs["checkov"].append(run_checkov(template))
                print(f", checkov {runs['checkov'][-1].seconds:.1f} s", end="", flush=True)
            for kind, folder in (("component", ws.program), ("direct", ws.direct)):
                runs[kind].append(run_evaluation(folder))
                print(f", {kind} {runs[kind][-1].details['evaluation_seconds']:.1f} s", end="", flush=True)
            print()
        if cdk and runs["cdk_noval"]:
            template = json.loads(Path(_absolute(runs["cdk_noval"][-1].details["template"])).read_text())
            cfn, pulumi_counts = cloudformation_concepts(template), runs["component"][-1].details["concepts"]
            if cfn != pulumi_counts:
                print(f"  WARNING: the shapes differ (lambdakit {pulumi_counts}, CDK {cfn})")
    return runs


def _absolute(path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else PEERS / p


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _spread(values: Sequence[float]) -> str:
    return f"{median(values):7.2f} ({min(values):.2f}-{max(values):.2f})" if values else "    n/a"


@dataclass
class Figures:
    """The medians a report and the targets are computed from, for one N."""

    n: int
    wall: dict[str, float]
    cpu: dict[str, float]
    memory: dict[str, float]


def report(n: int, runs: dict[str, list[Measurement]]) -> Figures:
    rounds = max(len(v) for v in runs.values())
    print(f"\nN = {n} services, {rounds} rounds, medians (min-max); {os.cpu_count()} CPUs")
    print(f"  {'':<58} {'wall s':>21} {'CPU s':>8} {'peak RSS MB':>12} {'largest':>8} {'procs':>6}")
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    memory: dict[str, float] = {}
    for kind, label in KINDS.items():
        ms = runs[kind]
        if not ms:
            continue
        if kind in ("component", "direct"):
            # The evaluation itself, without the interpreter's start-up and imports (as bench_components reports).
            seconds = [m.details["evaluation_seconds"] for m in ms]
            cpu_seconds = [m.details.get("evaluation_cpu_seconds", m.cpu_seconds) for m in ms]
        else:
            seconds = [m.seconds for m in ms]
            cpu_seconds = [m.cpu_seconds for m in ms]
        wall[kind], cpu[kind] = median(seconds), median(cpu_seconds)
        memory[kind] = median([m.peak_tree_mb for m in ms])
        print(
            f"  {label:<58} {_spread(seconds):>21} {cpu[kind]:>8.2f} {memory[kind]:>12.0f} "
            f"{median([m.peak_process_mb for m in ms]):>8.0f} {ms[0].processes:>6}"
        )
        if kind == "gate":
            d = [m.details for m in ms]
            print(
                f"    {'its own timing: program under mocks':<56} {_spread([x['program_seconds'] for x in d]):>21}\n"
                f"    {'              policy pack after the program':<56} "
                f"{_spread([x['policy_seconds'] for x in d]):>21}\n"
                f"    {'              verdict':<56} {d[-1]['verdict']:>21}"
            )
        if kind in ("cdk", "cdk_noval"):
            d = [m.details for m in ms]
            print(
                f"    {'in node: construct':<56} {_spread([x['construct_seconds'] for x in d]):>21}\n"
                f"    {'         app.synth()':<56} {_spread([x['synth_seconds'] for x in d]):>21}"
            )
        if kind == "checkov":
            last = ms[-1].details
            print(f"    {'checks passed / failed':<56} {last['passed']:>10} / {last['failed']:<8}")
    resources = runs["component"][-1].details["resources"] if runs["component"] else 0
    cfn = runs["cdk_noval"][-1].details["resources"] if runs["cdk_noval"] else 0
    print(f"  resources: lambdakit {resources} (incl. {n} component resources), CloudFormation {cfn or 'n/a'}")
    return Figures(n, wall, cpu, memory)


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def targets(figures: Sequence[Figures]) -> None:
    """The issue's targets, each as a ratio of figures from this run: wall time, and CPU time of the process trees
    (steadier than wall time on a machine shared with other work)."""
    base = next((f for f in figures if f.n == 200), figures[0])
    w, c, mem = base.wall, base.cpu, base.memory
    print(f"\nTargets at N = {base.n} (wall time; CPU time of the process trees in brackets):")
    if "cdk_noval" in w and "checkov" in w:
        ratio, cpu_ratio = w["gate"] / (w["cdk_noval"] + w["checkov"]), c["gate"] / (c["cdk_noval"] + c["checkov"])
        print(
            f"  gate / (CDK synth without validation + Checkov) = {w['gate']:.2f} / ({w['cdk_noval']:.2f} + "
            f"{w['checkov']:.2f}) = {ratio:.2f}x [{cpu_ratio:.2f}x]  (<= 0.50x: {_verdict(ratio <= 0.5)})"
        )
        with_val, cpu_with_val = w["gate"] / (w["cdk"] + w["checkov"]), c["gate"] / (c["cdk"] + c["checkov"])
        print(f"  gate / (CDK synth with validation + Checkov)    = {with_val:.2f}x [{cpu_with_val:.2f}x]")
    else:
        print("  gate vs CDK + Checkov: not measured (peers missing, see above)")
    overhead, cpu_overhead = w["component"] / w["direct"], c["component"] / c["direct"]
    print(
        f"  component overhead: LambdaService {w['component']:.2f} s / direct {w['direct']:.2f} s = {overhead:.2f}x "
        f"[{cpu_overhead:.2f}x]  (<= 1.15x: {_verdict(overhead <= 1.15)})"
    )
    print(f"  gate peak memory (process tree): {mem['gate']:.0f} MB  (<= 300 MB: {_verdict(mem['gate'] <= 300)})")
    for big in figures:
        if big.n <= base.n:
            continue
        scale = big.n / base.n
        print(
            f"Growth from N = {base.n} to N = {big.n} ({scale:g}x the services; linear or better means <= {scale:g}x):"
        )
        for kind in ("gate", "component", "direct", "cdk", "cdk_noval", "checkov"):
            if kind not in big.wall or kind not in w:
                continue
            t, tc, m = big.wall[kind] / w[kind], big.cpu[kind] / c[kind], big.memory[kind] / mem[kind]
            marginal = 1000 * (big.cpu[kind] - c[kind]) / (big.n - base.n)
            print(
                f"  {KINDS[kind]:<58} time {t:5.2f}x [{tc:5.2f}x] ({_verdict(t <= scale)}), memory {m:5.2f}x "
                f"({_verdict(m <= scale)}); {marginal:.0f} CPU-ms per added service vs {1000 * c[kind] / base.n:.0f} "
                f"per service at N = {base.n}"
            )


@contextlib.contextmanager
def _stop_children_on_exit() -> Iterator[None]:
    """Ctrl-C or SIGTERM stops the running measurement's whole process group; temp folders are removed on the way
    out (TemporaryDirectory)."""

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        for proc in list(_RUNNING):
            _stop_group(proc)
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, nargs="+", default=[200], help="N values (default: 200)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per N (default: 3); medians are reported")
    parser.add_argument("--setup", action="store_true", help="install the pinned peers and exit")
    parser.add_argument("--evaluate", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.setup:
        return setup()
    if args.evaluate:
        print(json.dumps(evaluate(Path(args.evaluate))))
        return 0
    if any(n < 1 for n in args.services) or args.repeat < 1:
        parser.error(f"--services and --repeat must be positive, got {args.services} and {args.repeat}")
    missing = {"cdk": cdk_missing(), "checkov": checkov_missing()}
    for why in missing.values():
        if why is not None:
            print(f"peer missing: {why}")
    if missing["cdk"] is not None and missing["checkov"] is None:
        print("peer skipped: Checkov scans the template CDK synthesizes, so it needs CDK too")
    print(
        f"bench_peers: N = {', '.join(map(str, args.services))}, {args.repeat} rounds each; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    figures = []
    try:
        with _stop_children_on_exit():
            for n in args.services:
                runs = run_rounds(n, args.repeat, cdk=missing["cdk"] is None, checkov=not any(missing.values()))
                figures.append(report(n, runs))
    except KeyboardInterrupt:
        print("\nbench_peers: interrupted; the running measurement was stopped and its temp folder removed")
        return 130
    targets(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

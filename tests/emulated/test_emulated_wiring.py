"""Issue 13's wiring deployed into the sandbox: callers in other accounts and organizations, role controls, Kafka and
MQ sources (checked, recorded as not emulated: moto's Lambda accepts only SQS and stream sources) and an ALB target
group on the alias, invoked with the event a load balancer delivers."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from emulated_helpers import policy_statements

from lambdakit.sandbox import DeployError, Deployment, Sandbox, deploy, trigger_checks

ACCOUNT = "123456789012"
OTHER = "210987654321"
ORG = "o-a1b2c3d4e5"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:kafka-orders-AbCdEf"
MSK = f"arn:aws:kafka:us-east-1:{ACCOUNT}:cluster/orders/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-2"
BROKER = f"arn:aws:mq:us-east-1:{ACCOUNT}:broker:orders:b-0123abcd-4567-89ef-0123-456789abcdef"

PROGRAM = '''
import pulumi
import pulumi_aws as aws

from lambdakit import LambdaService

config = pulumi.Config()
boundary = aws.iam.Policy(
    "boundary",
    policy="""{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}""",
)
failures = aws.sqs.Queue("kafka-failures")
svc = LambdaService(
    "wired",
    {
        "code_path": "src",
        "role_permissions_boundary_arn": boundary.arn,
        "role_path": "/lambdakit/",
        "allowed_invokers": [{"principal": "__OTHER__"}, {"principal_org_id": "__ORG__"}],
        "kafka_sources": [
            {
                "cluster_arn": "__MSK__",
                "topic": "orders",
                "starting_position": "LATEST",
                "on_failure_destination_arn": failures.arn,
            },
            {
                "bootstrap_servers": ["kafka.example.com:9096"],
                "topic": "clicks",
                "starting_position": "LATEST",
                "authentication": "SASL_SCRAM_512",
                "secret_arn": "__SECRET__",
            },
        ],
        "mq_sources": [{"broker_arn": "__BROKER__", "queue": "orders", "secret_arn": "__SECRET__"}],
        "alb_targets": [{"multi_value_headers": config.get_bool("multiValue") or False}],
        "runtime_management": {"update_runtime_on": "FunctionUpdate"},
        "recursive_loop": "Terminate",
    },
)
pulumi.export("function_name", svc.function_name)
pulumi.export("role_arn", svc.role_arn)
'''
for _key, _value in {
    "__OTHER__": OTHER,
    "__ORG__": ORG,
    "__MSK__": MSK,
    "__SECRET__": SECRET,
    "__BROKER__": BROKER,
}.items():
    PROGRAM = PROGRAM.replace(_key, _value)

HANDLER = """
import json


def handler(event, context):
    elb = (event.get("requestContext") or {}).get("elb")
    if elb:
        headers = event.get("multiValueHeaders") or event.get("headers") or {}
        shape = "multi" if "multiValueHeaders" in event else "single"
        body = {"alb": elb["targetGroupArn"], "headers": sorted(headers), "shape": shape}
        return {"statusCode": 200, "body": json.dumps(body)}
    return {"ok": True}
"""


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wired")
    (root / "Pulumi.yaml").write_text("name: wired\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config:\n  wired:multiValue: true\n")
    (root / "__main__.py").write_text(textwrap.dedent(PROGRAM))
    (root / "src").mkdir()
    (root / "src" / "handler.py").write_text(HANDLER)
    return root


@pytest.fixture(scope="module")
def dev(sandbox: Sandbox, program: Path) -> Deployment:
    return deploy(sandbox, program, "dev")


def function_name(dev: Deployment) -> str:
    return str(dev.exports["function_name"])


def test_account_and_org_callers_are_granted_on_the_alias(sandbox: Sandbox, dev: Deployment) -> None:
    statements = policy_statements(sandbox, function_name(dev), "live")
    principals = {json.dumps(s["Principal"], sort_keys=True): s for s in statements}
    by_account = [s for s in statements if OTHER in json.dumps(s["Principal"])]
    assert by_account, f"no statement for account {OTHER}: {statements}"
    org = [s for s in statements if ORG in json.dumps(s.get("Condition", {}))]
    assert org and org[0]["Principal"] in ("*", {"AWS": "*"}), f"org grant: {principals}"
    assert all(s["Resource"].endswith(":live") for s in by_account + org), "grants are on the alias"


def test_role_has_the_boundary_and_path(sandbox: Sandbox, dev: Deployment) -> None:
    role_name = str(dev.exports["role_arn"]).rsplit("/", 1)[-1]
    role = sandbox.client("iam").get_role(RoleName=role_name)["Role"]
    assert role["Path"] == "/lambdakit/"
    boundary = dev.by_type("aws:iam/policy:Policy")[0].state["arn"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary


def test_kafka_and_mq_mappings_are_checked_and_reported_as_not_emulated(dev: Deployment) -> None:
    mappings = [d for d in dev.by_type("aws:lambda/eventSourceMapping:EventSourceMapping")]
    assert sorted(m.name for m in mappings) == ["wired-kafka-0", "wired-kafka-1", "wired-mq-0"]
    assert all(not m.emulated and "not emulated" in m.notes[0] for m in mappings), [(m.name, m.notes) for m in mappings]
    assert {m.name for m in dev.not_emulated()} >= {"wired-kafka-0", "wired-kafka-1", "wired-mq-0"}


def test_alb_target_group_has_the_alias_and_the_alb_event_reaches_it(sandbox: Sandbox, dev: Deployment) -> None:
    group = dev.by_type("aws:lb/targetGroup:TargetGroup")[0]
    health = sandbox.client("elbv2").describe_target_health(TargetGroupArn=group.id)["TargetHealthDescriptions"]
    assert [t["Target"]["Id"] for t in health] == [
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{function_name(dev)}:live"
    ]
    checks = {c.trigger.kind: c for c in trigger_checks(sandbox, dev)}
    alb = checks["alb"]
    assert alb.event_kind == "ALB request" and alb.result.ok and alb.result.qualifier == "live", alb
    body = json.loads(json.loads(alb.result.payload)["body"])
    assert body["alb"] == group.id and "host" in body["headers"]
    assert body["shape"] == "multi", "the target group enables multi-value headers, so the event carries lists"
    assert checks["invoke"].result.ok, "a cross-account caller's invocation reaches the alias"


BROKEN = """
import json

import pulumi_aws as aws

from lambdakit import LambdaService

assume = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
own = aws.iam.Role("own", assume_role_policy=assume)
LambdaService(
    "unread",
    {
        "code_path": "src",
        "role_arn": own.arn,
        "kafka_sources": [{"cluster_arn": "__MSK__", "topic": "orders", "starting_position": "LATEST"}],
    },
)
""".replace("__MSK__", MSK)


def test_a_mapping_whose_role_cannot_describe_the_cluster_is_refused(sandbox: Sandbox, program: Path) -> None:
    broken = program.parent / "unread"
    (broken / "src").mkdir(parents=True, exist_ok=True)
    (broken / "Pulumi.yaml").write_text("name: unread\nruntime: python\n")
    (broken / "Pulumi.dev.yaml").write_text("config: {}\n")
    (broken / "__main__.py").write_text(BROKEN)
    (broken / "src" / "handler.py").write_text(HANDLER)
    with pytest.raises(DeployError) as info:
        deploy(sandbox, broken, "dev")
    message = str(info.value)
    assert "unread-kafka-0" in message and "kafka:DescribeClusterV2" in message, message


def test_runtime_management_and_recursion_are_checked_and_reported_as_not_emulated(dev: Deployment) -> None:
    recorded = {d.name: d for d in dev.not_emulated()}
    for name in ("wired-runtime", "wired-runtime-version", "wired-recursion"):
        assert name in recorded and "not emulated" in recorded[name].notes[0], sorted(recorded)
    assert recorded["wired-runtime-version"].id.endswith(":1"), "pinned on the version this deploy published"

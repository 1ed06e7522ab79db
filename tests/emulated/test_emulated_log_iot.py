"""CloudWatch Logs subscription filters and IoT topic rules (issue 13, i13-logsiot) deployed into the sandbox: the
filter in moto's Logs on the alias, moto's delivery of another function's log lines to the subscribed alias (only the
lines the filter pattern matches, as the gzip+base64 ``awslogs`` event), the rule in moto's IoT with its lambda action
and error action, each trigger invoked with the event it delivers, and a filter without its permission refused."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from emulated_helpers import policy_statements

from lambdakit.sandbox import DeployError, Deployment, Sandbox, deploy, trigger_checks

ACCOUNT = "123456789012"

PROGRAM = """
import pulumi
import pulumi_aws as aws

from lambdakit import LambdaService

billing = LambdaService("billing", {"code_path": "billing"})
errors = aws.sqs.Queue("telemetry-errors")
watcher = LambdaService(
    "watcher",
    {
        "code_path": "watcher",
        "log_subscriptions": [{"log_group": billing.log_group_name, "filter_pattern": "?ERROR ?Exception"}],
        "iot_rules": [
            {"sql": "SELECT * FROM 'sensors/+/telemetry' WHERE temperature > 50", "error_queue_arn": errors.arn}
        ],
    },
)
pulumi.export("billing", billing.function_name)
pulumi.export("watcher", watcher.function_name)
"""

BILLING = """
def handler(event, context):
    print(event.get("line", "INFO all good"))
    return {"ok": True}
"""

WATCHER = """
import base64
import gzip
import json


def handler(event, context):
    if "awslogs" in event:
        data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
        return {
            "source": "logs",
            "group": data["logGroup"],
            "filters": data["subscriptionFilters"],
            "messages": [e["message"] for e in data["logEvents"]],
            "arn": context.invoked_function_arn,
        }
    if "device_id" in event:
        return {"source": "iot", "device": event["device_id"], "topic": event["topic"]}
    return {"source": "other"}
"""


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("logiot")
    (root / "Pulumi.yaml").write_text("name: logiot\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config: {}\n")
    (root / "__main__.py").write_text(textwrap.dedent(PROGRAM))
    for folder, code in (("billing", BILLING), ("watcher", WATCHER)):
        (root / folder).mkdir()
        (root / folder / "handler.py").write_text(code)
    return root


@pytest.fixture(scope="module")
def dev(sandbox: Sandbox, program: Path) -> Deployment:
    return deploy(sandbox, program, "dev")


def names(dev: Deployment) -> tuple[str, str]:
    return str(dev.exports["billing"]), str(dev.exports["watcher"])


def test_the_subscription_filter_is_on_the_alias_with_its_permission(sandbox: Sandbox, dev: Deployment) -> None:
    billing, watcher = names(dev)
    group = f"/aws/lambda/{billing}"
    filters = sandbox.client("logs").describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    assert [(f["destinationArn"], f["filterPattern"]) for f in filters] == [
        (f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{watcher}:live", "?ERROR ?Exception")
    ]
    logs = [
        s for s in policy_statements(sandbox, watcher, "live") if s["Principal"] == {"Service": "logs.amazonaws.com"}
    ]
    assert len(logs) == 1, logs
    assert logs[0]["Condition"]["ArnLike"]["AWS:SourceArn"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group}:*"
    assert logs[0]["Condition"]["StringEquals"]["AWS:SourceAccount"] == ACCOUNT


def test_moto_delivers_matching_log_lines_to_the_alias_as_an_awslogs_event(sandbox: Sandbox, dev: Deployment) -> None:
    billing, watcher = names(dev)
    before = len(sandbox.invocations)
    assert sandbox.invoke(billing, "live", {"line": "INFO payment accepted"}).ok
    quiet = [r for r in sandbox.invocations[before:] if r.function_name == watcher]
    assert quiet == [], "no line matched ?ERROR ?Exception, so nothing is delivered"

    assert sandbox.invoke(billing, "live", {"line": "ERROR payment declined for order 42"}).ok
    delivered = [r for r in sandbox.invocations[before:] if r.function_name == watcher]
    assert len(delivered) == 1, [(r.function_name, r.qualifier) for r in sandbox.invocations[before:]]
    result = delivered[0]
    assert result.ok and result.qualifier == "live", result
    body = json.loads(result.payload)
    assert body["source"] == "logs" and body["group"] == f"/aws/lambda/{billing}"
    assert body["messages"] == ["ERROR payment declined for order 42"], "only the matching line, decoded"
    assert body["arn"].endswith(f":function:{watcher}:live"), "invoked through the alias"
    assert len(body["filters"]) == 1 and body["filters"][0].startswith("watcher-log-subscription-0")


def test_the_topic_rule_invokes_the_alias_and_errors_go_to_the_queue(sandbox: Sandbox, dev: Deployment) -> None:
    _, watcher = names(dev)
    rule_name = f"{watcher.replace('-', '_')}_0"
    found = sandbox.client("iot").get_topic_rule(ruleName=rule_name)
    assert found["ruleArn"] == f"arn:aws:iot:us-east-1:{ACCOUNT}:rule/{rule_name}"
    rule = found["rule"]
    assert rule["sql"].startswith("SELECT * FROM 'sensors/+/telemetry'")
    assert rule["actions"] == [
        {"lambda": {"functionArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{watcher}:live"}}
    ]
    sqs = rule["errorAction"]["sqs"]
    assert sqs["queueUrl"].endswith(f"/{ACCOUNT}/" + sqs["queueUrl"].rsplit("/", 1)[-1])
    role = sandbox.client("iam").get_role(RoleName=sqs["roleArn"].rsplit("/", 1)[-1])["Role"]
    trust = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "iot.amazonaws.com"}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"] == found["ruleArn"]
    iot = [s for s in policy_statements(sandbox, watcher, "live") if s["Principal"] == {"Service": "iot.amazonaws.com"}]
    assert [s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in iot] == [found["ruleArn"]]


def test_each_trigger_is_invoked_with_the_event_it_delivers(sandbox: Sandbox, dev: Deployment) -> None:
    checks = {c.trigger.kind: c for c in trigger_checks(sandbox, dev) if c.service == "watcher"}
    assert set(checks) == {"logs", "iot"}, sorted(checks)
    logs, iot = checks["logs"], checks["iot"]
    assert logs.event_kind == "CloudWatch Logs subscription" and logs.result.ok and logs.result.qualifier == "live"
    body = json.loads(logs.result.payload)
    assert body["source"] == "logs" and "ERROR" in body["messages"][0], body
    assert logs.trigger.source.startswith("/aws/lambda/"), "the report names the log group"
    assert iot.event_kind == "IoT message" and iot.result.ok and iot.result.qualifier == "live"
    assert json.loads(iot.result.payload) == {
        "source": "iot",
        "device": "sandbox-device-1",
        "topic": "sensors/sandbox-device-1/telemetry",
    }


UNPERMITTED = """
import pulumi_aws as aws

from lambdakit import LambdaService

svc = LambdaService("lonely", {"code_path": "src"})
group = aws.cloudwatch.LogGroup("app", name="/app/unpermitted")
aws.cloudwatch.LogSubscriptionFilter(
    "raw-filter", log_group=group.name, filter_pattern="", destination_arn=svc.alias_arn
)
"""


def test_a_filter_without_the_permission_is_refused(sandbox: Sandbox, program: Path) -> None:
    broken = program.parent / "unpermitted"
    (broken / "src").mkdir(parents=True, exist_ok=True)
    (broken / "Pulumi.yaml").write_text("name: unpermitted\nruntime: python\n")
    (broken / "Pulumi.dev.yaml").write_text("config: {}\n")
    (broken / "__main__.py").write_text(UNPERMITTED)
    (broken / "src" / "handler.py").write_text(BILLING)
    with pytest.raises(DeployError) as info:
        deploy(sandbox, broken, "dev")
    message = str(info.value)
    assert "raw-filter" in message and "CloudWatch Logs is not allowed to invoke" in message, message

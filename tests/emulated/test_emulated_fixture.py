"""The sandbox engine against a program of raw pulumi-aws resources (tests/emulated/fixtures/program).

Given the fixture program deployed into the sandbox, when it is inspected with boto3, then every piece of wiring is
what the program asked for, each function answers through its alias, and triggers (SQS, DynamoDB stream, async
destinations) reach the handler as they would in AWS. Deploys that AWS would refuse fail with the resource named.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from emulated_helpers import FIXTURE_PROGRAM, inline_policy, mappings_of, policy_statements

from lambdakit.sandbox import (
    DeployError,
    Deployment,
    Sandbox,
    UnknownResourceTypeError,
    deploy,
    smoke,
    trigger_checks,
)

ACCOUNT = "123456789012"


def fn_arn(name: str, qualifier: str | None = None) -> str:
    base = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"
    return f"{base}:{qualifier}" if qualifier else base


@pytest.fixture(scope="module")
def dev(sandbox: Sandbox) -> Deployment:
    return deploy(sandbox, FIXTURE_PROGRAM, "dev")


@pytest.fixture(scope="module")
def canary(sandbox: Sandbox) -> Deployment:
    return deploy(sandbox, FIXTURE_PROGRAM, "canary")


def invoke(sandbox: Sandbox, function: str, payload: Any, **kwargs: Any) -> dict[str, Any]:
    response = sandbox.client("lambda").invoke(
        FunctionName=function, Qualifier="live", Payload=json.dumps(payload), LogType="Tail", **kwargs
    )
    response["Body"] = json.loads(response["Payload"].read() or b"null")
    response["Log"] = base64.b64decode(response.get("LogResult", "")).decode()
    return response


# ----- wiring ---------------------------------------------------------------------------------------------------------


def test_alias_serves_the_version_this_deploy_published(sandbox: Sandbox, dev: Deployment) -> None:
    alias = sandbox.client("lambda").get_alias(FunctionName="fixture-fn-dev", Name="live")
    assert alias["FunctionVersion"] == dev.exports["version"] == "1", f"alias fixture-fn-dev:live: {alias}"
    assert not alias.get("RoutingConfig"), f"alias fixture-fn-dev:live should not route: {alias}"
    assert dev.exports["alias_arn"] == fn_arn("fixture-fn-dev", "live")


def test_canary_alias_keeps_the_earlier_version_and_routes_the_weight_to_the_new_one(
    sandbox: Sandbox, canary: Deployment
) -> None:
    lam = sandbox.client("lambda")
    alias = lam.get_alias(FunctionName="fixture-fn-canary", Name="live")
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName="fixture-fn-canary")["Versions"]]
    assert canary.history == {"fixture-fn-canary": 1}, "version 1 stands in for the earlier deploy"
    assert versions == ["$LATEST", "1", "2"], f"fixture-fn-canary versions: {versions}"
    assert alias["FunctionVersion"] == "1", f"alias fixture-fn-canary:live: {alias}"
    assert alias["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.25}, f"alias fixture-fn-canary:live: {alias}"


def test_weighted_alias_invocations_reach_both_versions(sandbox: Sandbox, canary: Deployment) -> None:
    executed = [sandbox.invoke("fixture-fn-canary", "live", {}).executed_version for _ in range(12)]
    assert set(executed) == {"1", "2"}, f"fixture-fn-canary:live executed versions: {executed}"
    picks = [sandbox.pick_version("fixture-fn-canary", "live") for _ in range(2000)]
    share = picks.count("2") / len(picks)
    assert 0.2 < share < 0.3, f"fixture-fn-canary:live should send 25% to version 2, sent {share:.1%}"


def test_event_source_mappings_invoke_the_alias(sandbox: Sandbox, dev: Deployment) -> None:
    by_source = {m["EventSourceArn"].split(":")[2]: m for m in mappings_of(sandbox, "fixture-fn-dev")}
    assert set(by_source) == {"sqs", "dynamodb"}, f"fixture-fn-dev mappings: {list(by_source)}"
    sqs, stream = by_source["sqs"], by_source["dynamodb"]
    assert sqs["FunctionArn"] == fn_arn("fixture-fn-dev", "live"), f"SQS mapping: {sqs}"
    assert sqs["BatchSize"] == 5 and sqs["FunctionResponseTypes"] == ["ReportBatchItemFailures"], f"SQS: {sqs}"
    assert sqs["EventSourceArn"].endswith(":fixture-orders-dev"), f"SQS mapping source: {sqs}"
    assert stream["FunctionArn"] == fn_arn("fixture-fn-dev", "live"), f"stream mapping: {stream}"
    assert stream["StartingPosition"] == "LATEST" and stream["BatchSize"] == 100, f"stream mapping: {stream}"
    assert stream["BisectBatchOnFunctionError"] is True and stream["MaximumRetryAttempts"] == 2, f"{stream}"
    assert stream["DestinationConfig"]["OnFailure"]["Destination"].endswith(":fixture-dlq-dev"), f"{stream}"


def test_permissions_are_on_the_alias_and_scoped_to_their_source(sandbox: Sandbox, dev: Deployment) -> None:
    statements = {s["Principal"]["Service"]: s for s in policy_statements(sandbox, "fixture-fn-dev", "live")}
    assert set(statements) == {"events.amazonaws.com", "s3.amazonaws.com"}, f"fixture-fn-dev:live: {statements}"
    for service, statement in statements.items():
        assert statement["Resource"] == fn_arn("fixture-fn-dev", "live"), f"{service} permission: {statement}"
    assert statements["s3.amazonaws.com"]["Condition"]["ArnLike"]["AWS:SourceArn"] == "arn:aws:s3:::fixture-uploads-dev"
    events_source = statements["events.amazonaws.com"]["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert events_source.endswith(":rule/fixture-warmup-dev"), f"events permission source: {events_source}"
    assert dev.warnings == [], f"the EventBridge target has its permission: {dev.warnings}"


def test_async_invoke_config_is_on_the_alias(sandbox: Sandbox, dev: Deployment) -> None:
    config = sandbox.client("lambda").get_function_event_invoke_config(FunctionName="fixture-fn-dev", Qualifier="live")
    assert config["FunctionArn"] == fn_arn("fixture-fn-dev", "live"), f"async config: {config}"
    assert config["MaximumRetryAttempts"] == 1 and config["MaximumEventAgeInSeconds"] == 600, f"{config}"
    destinations = config["DestinationConfig"]
    assert destinations["OnFailure"]["Destination"].endswith(":fixture-dlq-dev"), f"async config: {config}"
    assert destinations["OnSuccess"]["Destination"].endswith(":fixture-successes-dev"), f"async config: {config}"


def test_role_has_the_managed_and_inline_policies(sandbox: Sandbox, dev: Deployment) -> None:
    role = sandbox.client("lambda").get_function_configuration(FunctionName="fixture-fn-dev")["Role"].split("/")[-1]
    trust = sandbox.client("iam").get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"] == [
        {"Effect": "Allow", "Action": ["sts:AssumeRole"], "Principal": {"Service": ["lambda.amazonaws.com"]}}
    ], f"role {role} trust policy: {trust}"
    attached = sandbox.client("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AWSLambdaBasicExecutionRole"], f"role {role}: {attached}"
    actions = {
        a for s in inline_policy(sandbox, role)["Statement"] for a in s["Action"] if isinstance(s["Action"], list)
    }
    assert "sqs:ReceiveMessage" in actions and "dynamodb:GetRecords" in actions, f"role {role} actions: {actions}"


def test_function_configuration_is_what_the_program_asked_for(sandbox: Sandbox, dev: Deployment) -> None:
    lam = sandbox.client("lambda")
    config = lam.get_function_configuration(FunctionName="fixture-fn-dev")
    assert (config["MemorySize"], config["Timeout"], config["Runtime"]) == (256, 5, "python3.12"), f"{config}"
    assert config["Environment"]["Variables"] == {"GREETING": "hello from dev"}, f"fixture-fn-dev: {config}"
    assert [layer["Arn"].split(":")[6] for layer in config["Layers"]] == ["fixture-helpers-dev"], f"{config}"
    assert config["DeadLetterConfig"]["TargetArn"].endswith(":fixture-dlq-dev"), f"fixture-fn-dev: {config}"
    assert config["LoggingConfig"]["LogGroup"] == "/aws/lambda/fixture-fn-dev", f"fixture-fn-dev: {config}"
    assert lam.get_function_concurrency(FunctionName="fixture-fn-dev")["ReservedConcurrentExecutions"] == 10


def test_provisioned_concurrency_is_checked_and_reported_as_not_emulated(dev: Deployment) -> None:
    [pc] = dev.not_emulated()
    assert pc.name == "fixture-pc" and pc.state["qualifier"] == "live", f"not emulated: {pc}"
    assert "rules passed" in pc.notes[0], f"fixture-pc notes: {pc.notes}"
    assert dev.service("fixture-fn").provisioned_concurrency == "2 on live (checked, not emulated)"


def test_service_view_describes_triggers_and_picks_an_sqs_smoke_event(dev: Deployment) -> None:
    view = dev.service("fixture-fn-dev")
    kinds = sorted(t.kind for t in view.triggers)
    assert kinds == ["dynamodb", "s3", "schedule", "sqs", "url"], f"fixture-fn triggers: {kinds}"
    assert all(t.qualifier == "live" for t in view.triggers), f"every trigger targets the alias: {view.triggers}"
    assert view.smoke_kind == "SQS batch", f"fixture-fn smoke event: {view.smoke_kind}"


# ----- invocations ----------------------------------------------------------------------------------------------------


def test_function_answers_through_its_alias_running_the_deployed_code_and_layer(
    sandbox: Sandbox, dev: Deployment
) -> None:
    response = invoke(sandbox, "fixture-fn-dev", {})
    body = response["Body"]
    assert "FunctionError" not in response, f"fixture-fn-dev:live failed: {body}"
    assert response["ExecutedVersion"] == "1", f"fixture-fn-dev:live: {response['ExecutedVersion']}"
    assert body["helper"] == "from the layer" and body["greeting"] == "hello from dev", f"fixture-fn-dev: {body}"
    assert body["arn"] == fn_arn("fixture-fn-dev", "live") and body["remaining_ok"], f"context: {body}"
    assert body["region"] == "us-east-1", f"fixture-fn-dev environment: {body}"
    lines = response["Log"].splitlines()
    assert lines[0].startswith("START RequestId: ") and lines[0].endswith("Version: 1"), f"log: {lines}"
    assert "fixture handler fixture-fn-dev version 1" in lines, f"log: {lines}"
    assert any(line.startswith("REPORT RequestId: ") for line in lines), f"log: {lines}"


def test_handler_exception_is_reported_as_lambda_reports_it(sandbox: Sandbox, dev: Deployment) -> None:
    response = invoke(sandbox, "fixture-fn-dev", {"fail": "boom"})
    body = response["Body"]
    assert response["FunctionError"] == "Unhandled", f"fixture-fn-dev: {response}"
    assert (body["errorType"], body["errorMessage"]) == ("RuntimeError", "asked to fail: boom"), f"{body}"
    assert any('File "/var/task/handler.py"' in frame for frame in body["stackTrace"]), f"{body['stackTrace']}"
    assert "[ERROR] RuntimeError: asked to fail: boom" in response["Log"], f"log: {response['Log']}"


def test_invocation_logs_reach_the_function_log_group(sandbox: Sandbox, dev: Deployment) -> None:
    invoke(sandbox, "fixture-fn-dev", {"note": "to the logs"})
    found = sandbox.client("logs").filter_log_events(logGroupName="/aws/lambda/fixture-fn-dev")["events"]
    assert any("fixture handler fixture-fn-dev" in e["message"] for e in found), f"log events: {found[:5]}"


def test_message_sent_to_the_queue_is_consumed_by_the_function_through_its_mapping(
    sandbox: Sandbox, dev: Deployment
) -> None:
    before = len(sandbox.invocations)
    sqs = sandbox.client("sqs")
    sqs.send_message(QueueUrl=dev.exports["queue_url"], MessageBody=json.dumps({"order_id": "o-1"}))
    delivered = sandbox.invocations[before:]
    assert [(r.qualifier, r.ok) for r in delivered] == [("live", True)], f"SQS deliveries: {delivered}"
    assert json.loads(delivered[0].payload) == {"batchItemFailures": [], "records": 1}, f"{delivered[0].payload}"
    left = sqs.receive_message(QueueUrl=dev.exports["queue_url"], WaitTimeSeconds=0).get("Messages", [])
    assert left == [], f"the processed message should be deleted from fixture-orders-dev: {left}"


def test_table_write_reaches_the_function_through_the_stream_mapping(sandbox: Sandbox, dev: Deployment) -> None:
    before = len(sandbox.invocations)
    sandbox.client("dynamodb").put_item(TableName=dev.exports["table_name"], Item={"user_id": {"S": "u-1"}})
    delivered = sandbox.invocations[before:]
    assert [(r.qualifier, r.executed_version, r.ok) for r in delivered] == [("live", "1", True)], f"{delivered}"


def test_failed_async_event_is_retried_then_sent_to_the_on_failure_destination(
    sandbox: Sandbox, dev: Deployment
) -> None:
    lam, sqs = sandbox.client("lambda"), sandbox.client("sqs")
    response = lam.invoke(
        FunctionName="fixture-fn-dev", Qualifier="live", InvocationType="Event", Payload=b'{"fail": "async"}'
    )
    assert response["StatusCode"] == 202, f"async invoke: {response}"
    messages = sqs.receive_message(QueueUrl=dev.exports["dlq_url"], MaxNumberOfMessages=10)["Messages"]
    records = [json.loads(m["Body"]) for m in messages]
    failure = next(r for r in records if r.get("requestPayload") == {"fail": "async"})
    assert failure["requestContext"]["condition"] == "RetriesExhausted", f"destination record: {failure}"
    assert failure["requestContext"]["approximateInvokeCount"] == 2, "1 attempt + MaximumRetryAttempts 1"
    assert failure["responsePayload"]["errorMessage"] == "asked to fail: async", f"destination record: {failure}"


def test_successful_async_event_goes_to_the_on_success_destination(sandbox: Sandbox, dev: Deployment) -> None:
    sandbox.client("lambda").invoke(
        FunctionName="fixture-fn-dev", Qualifier="live", InvocationType="Event", Payload=b'{"hello": "async"}'
    )
    messages = sandbox.client("sqs").receive_message(QueueUrl=dev.exports["successes_url"])["Messages"]
    record = json.loads(messages[0]["Body"])
    assert record["requestContext"]["condition"] == "Success", f"on-success record: {record}"
    assert record["responsePayload"]["ok"] is True, f"on-success record: {record}"


def test_smoke_invokes_every_service_through_its_alias(sandbox: Sandbox, dev: Deployment) -> None:
    [view] = smoke(sandbox, dev)
    assert view.smoke is not None and view.smoke.ok, f"fixture-fn smoke: {view.smoke}"
    assert view.smoke.qualifier == "live" and view.smoke.executed_version == "1", f"fixture-fn smoke: {view.smoke}"
    assert json.loads(view.smoke.payload) == {"batchItemFailures": [], "records": 1}, f"{view.smoke.payload}"


def test_each_trigger_event_reaches_the_alias_shaped_as_its_trigger_delivers_it(
    sandbox: Sandbox, dev: Deployment
) -> None:
    checks = trigger_checks(sandbox, dev)
    by_kind = {c.trigger.kind: c for c in checks}
    assert sorted(by_kind) == ["dynamodb", "s3", "schedule", "sqs", "url"], f"fixture-fn trigger checks: {by_kind}"
    assert by_kind["schedule"].event_kind == "EventBridge scheduled event", f"{by_kind['schedule']}"
    for kind, check in by_kind.items():
        assert check.result.ok and check.result.qualifier == "live", f"fixture-fn {kind} event: {check.result}"
    assert json.loads(by_kind["s3"].result.payload) == {"batchItemFailures": [], "records": 1}, by_kind["s3"]


# ----- deploys AWS would refuse ---------------------------------------------------------------------------------------


def test_unknown_resource_type_fails_before_anything_is_deployed(sandbox: Sandbox) -> None:
    overrides = {"unknownType": "true", "suffix": "unknown"}
    with pytest.raises(UnknownResourceTypeError, match=r"aws:ec2/vpc:Vpc \(fixture-vpc\)"):
        deploy(sandbox, FIXTURE_PROGRAM, "dev", config_overrides=overrides)
    names = [f["FunctionName"] for f in sandbox.client("lambda").list_functions()["Functions"]]
    assert "fixture-fn-unknown" not in names, f"nothing should be deployed: {names}"


def test_provisioned_concurrency_on_latest_is_refused(sandbox: Sandbox) -> None:
    overrides = {"pcQualifier": "$LATEST", "suffix": "pclatest"}
    with pytest.raises(DeployError, match=r"fixture-pc.*never \$LATEST"):
        deploy(sandbox, FIXTURE_PROGRAM, "dev", config_overrides=overrides)


def test_provisioned_concurrency_on_a_weighted_alias_is_refused_unless_it_predates_the_canary(sandbox: Sandbox) -> None:
    overrides = {"provisionedConcurrency": "1", "suffix": "pcweights"}
    # With no earlier deploy standing in, the config would be created on a weighted alias: AWS refuses.
    with pytest.raises(DeployError, match="Alias with weights can not be used with Provisioned Concurrency"):
        deploy(sandbox, FIXTURE_PROGRAM, "canary", config_overrides=overrides, fresh=True)
    # Mid-canary update of a stack whose earlier deploy created it: accepted, and the report says why.
    overrides["suffix"] = "pcbefore"
    deployment = deploy(sandbox, FIXTURE_PROGRAM, "canary", config_overrides=overrides)
    [pc] = deployment.not_emulated()
    assert any("created by an earlier deploy, before the canary" in n for n in pc.notes), f"fixture-pc: {pc.notes}"


def test_queue_visibility_shorter_than_the_function_timeout_is_refused(sandbox: Sandbox) -> None:
    overrides = {"visibilityTimeout": "3", "suffix": "visibility"}
    with pytest.raises(DeployError, match="Queue visibility timeout: 3 seconds is less than Function timeout: 5"):
        deploy(sandbox, FIXTURE_PROGRAM, "dev", config_overrides=overrides)


def test_mapping_whose_role_cannot_read_the_queue_is_refused(sandbox: Sandbox) -> None:
    overrides = {"withoutQueueAccess": "true", "suffix": "noaccess"}
    expected = (
        r"fixture-sqs.*does not have permissions to call sqs:ReceiveMessage, sqs:DeleteMessage on .*fixture-orders"
    )
    with pytest.raises(DeployError, match=expected):
        deploy(sandbox, FIXTURE_PROGRAM, "dev", config_overrides=overrides)


# ----- the operations helper, unchanged, against the sandbox ---------------------------------------------------------


def test_ops_invoke_runs_the_handler_through_the_alias_and_decodes_the_log_tail(
    sandbox: Sandbox, dev: Deployment
) -> None:
    from lambdakit import ops

    result = ops.invoke(sandbox.client("lambda"), "fixture-fn-dev", "live", {"from": "ops"})
    assert result.ok and result.executed_version == "1", f"ops.invoke fixture-fn-dev:live: {result.describe()}"
    assert result.payload["helper"] == "from the layer", f"ops.invoke payload: {result.payload}"
    assert result.log_tail and "fixture handler fixture-fn-dev version 1" in result.log_tail, result.describe()
    with pytest.raises(ops.OpsError, match="fixture-fn-dev"):
        ops.invoke(sandbox.client("lambda"), "fixture-fn-dev", "no-such-alias", {})


def test_ops_prune_keeps_every_version_the_canary_alias_uses(sandbox: Sandbox, canary: Deployment) -> None:
    from lambdakit import ops

    report = ops.prune_versions(sandbox.client("lambda"), "fixture-fn-canary", keep=0, dry_run=True)
    assert {"1", "2"} <= set(report.kept), f"alias version 1 and canary version 2 are in use:\n{report.describe()}"
    assert report.deleted == [], f"nothing else to prune:\n{report.describe()}"

"""Operations against in-process moto: invoking an alias (RequestResponse, Event, DryRun) with clear errors, and
pruning versions without touching any version an alias uses."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from lambdakit import ops

OUTPUTS = {
    "services": {
        "order-processor": {
            "config_key": "orderProcessor",
            "function_name": "order-processor-prod",
            "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:order-processor-prod",
            "alias_name": "live",
            "alias_arn": "arn:aws:lambda:us-east-1:123456789012:function:order-processor-prod:live",
            "version": "3",
            "log_group_name": "/aws/lambda/order-processor-prod",
            "dlq_arn": None,
            "alarm_arns": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:order-processor-prod-errors"],
        }
    }
}


def versions_of(session: boto3.session.Session, name: str) -> list[str]:
    found = session.client("lambda").list_versions_by_function(FunctionName=name)["Versions"]
    return [v["Version"] for v in found]


# --- services export -------------------------------------------------------------------------------------------


def test_services_export_resolves_a_service_with_its_alarm_names() -> None:
    services = ops.load_services(OUTPUTS)
    ref = ops.find_service(services, "order-processor")
    assert (ref.function_name, ref.alias_name, ref.config_key) == ("order-processor-prod", "live", "orderProcessor")
    assert ref.alarm_names == ["order-processor-prod-errors"], "alarm name is the part of the ARN after ':alarm:'"


def test_unknown_service_error_lists_the_valid_services() -> None:
    with pytest.raises(ops.ServiceNotFoundError, match=r"'billing' is not in .* valid services: order-processor"):
        ops.find_service(ops.load_services(OUTPUTS), "billing")


def test_outputs_without_services_export_say_what_was_found() -> None:
    with pytest.raises(ops.OpsError, match=r"no 'services' export \(found: \['table_name'\]\)"):
        ops.load_services({"table_name": "orders"})


def test_automation_api_output_values_are_unwrapped() -> None:
    class OutputValue:  # the shape of pulumi.automation.OutputValue
        def __init__(self, value: Any) -> None:
            self.value, self.secret = value, False

    services = ops.load_services({"services": OutputValue(OUTPUTS["services"])})
    assert services["order-processor"].version == "3"


def test_outputs_file_is_read(tmp_path: Any) -> None:
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(OUTPUTS))
    assert "order-processor" in ops.load_services(ops.load_outputs_file(path))
    with pytest.raises(ops.OpsError, match="does not exist"):
        ops.load_outputs_file(tmp_path / "missing.json")


def test_sandbox_report_exports_are_the_outputs(tmp_path: Any) -> None:
    # lambdakit sandbox --json FILE: a list of service views plus the stack's exports
    report = tmp_path / "sandbox.json"
    report.write_text(json.dumps({"services": [{"name": "order-processor"}], "exports": OUTPUTS, "ok": True}))
    assert ops.load_services(ops.load_outputs_file(report))["order-processor"].function_name == "order-processor-prod"


# --- invoke ----------------------------------------------------------------------------------------------------


def test_request_response_returns_the_payload_through_the_alias(
    aws: boto3.session.Session, make_function: Callable[..., None]
) -> None:
    # Given a function whose alias serves version 2
    make_function(aws, "order-processor-prod", versions=2)
    # When invoked with a payload
    result = ops.invoke(aws.client("lambda"), "order-processor-prod", "live", {"orderId": "o-1"})
    # Then the decoded result comes back (moto without docker echoes the event)
    assert result.ok, f"invoke of order-processor-prod:live failed: {result.describe()}"
    assert result.status_code == 200
    assert result.payload == {"orderId": "o-1"}
    assert result.request_id, "the request id identifies the invocation in the logs"


def test_log_tail_is_decoded_from_base64() -> None:
    # moto does not return LogResult without docker, so the decoding is pinned with botocore's Stubber.
    client = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    log = "START RequestId: 1\nprocessing o-1\nEND RequestId: 1\n"
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {
                "StatusCode": 200,
                "ExecutedVersion": "3",
                "LogResult": base64.b64encode(log.encode()).decode(),
                "Payload": StreamingBody(io.BytesIO(b'{"ok": true}'), 12),
            },
            {
                "FunctionName": "f",
                "Qualifier": "live",
                "InvocationType": "RequestResponse",
                "Payload": b"{}",
                "LogType": "Tail",
            },
        )
        result = ops.invoke(client, "f", "live", preflight=False)
    assert result.log_tail == log
    assert result.executed_version == "3"
    assert "processing o-1" in result.describe(), "describe() shows the log tail"


def test_event_invocation_returns_the_request_id(
    aws: boto3.session.Session, make_function: Callable[..., None]
) -> None:
    make_function(aws, "email-sender-prod", versions=1)
    result = ops.invoke(
        aws.client("lambda"), "email-sender-prod", "live", {"to": "a@example.com"}, invocation_type="Event"
    )
    assert result.status_code == 202, f"Event invoke of email-sender-prod:live answered {result.status_code}"
    assert result.request_id
    assert result.payload is None


def test_dry_run_checks_permission_without_running(
    aws: boto3.session.Session, make_function: Callable[..., None]
) -> None:
    make_function(aws, "api-handler-prod", versions=1)
    result = ops.invoke(aws.client("lambda"), "api-handler-prod", "live", invocation_type="DryRun")
    assert result.status_code == 204, f"DryRun of api-handler-prod:live answered {result.status_code}"
    assert "permission check passed" in result.describe()


def test_missing_function_is_named(aws: boto3.session.Session) -> None:
    with pytest.raises(ops.FunctionNotFoundError, match=r"function 'nope-prod' does not exist in us-east-1"):
        ops.invoke(aws.client("lambda"), "nope-prod", "live")


def test_missing_alias_is_told_apart_from_a_missing_function(
    aws: boto3.session.Session, make_function: Callable[..., None]
) -> None:
    make_function(aws, "order-processor-prod", versions=1)
    with pytest.raises(ops.AliasNotFoundError, match=r"'order-processor-prod' has no alias or version 'canary'"):
        ops.invoke(aws.client("lambda"), "order-processor-prod", "canary")


def test_missing_alias_from_the_invoke_itself_is_disambiguated(
    aws: boto3.session.Session, make_function: Callable[..., None]
) -> None:
    # Given AWS's answer to an invoke of a missing alias (moto does not give it, so it is stubbed)
    make_function(aws, "order-processor-prod", versions=1)
    client = aws.client("lambda")
    error = ClientError(
        {"Error": {"Code": "ResourceNotFoundException", "Message": "Function not found: ...:blue"}}, "Invoke"
    )
    real_invoke = client.invoke

    def invoke(**kwargs: Any) -> Any:
        if kwargs["Qualifier"] == "blue":
            raise error
        return real_invoke(**kwargs)

    client.invoke = invoke
    # When invoked without the preflight check
    with pytest.raises(ops.AliasNotFoundError, match="no alias or version 'blue'"):
        ops.invoke(client, "order-processor-prod", "blue", preflight=False)


def test_access_denied_names_the_action_and_the_alias() -> None:
    client = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_client_error(
            "invoke",
            service_error_code="AccessDeniedException",
            service_message="User: arn:aws:iam::1:user/oncall is not authorized",
            http_status_code=403,
        )
        with pytest.raises(ops.PermissionDeniedError, match=r"lambda:InvokeFunction on f:live: User: .*oncall"):
            ops.invoke(client, "f", "live", invocation_type="DryRun", preflight=False)


def test_bad_invocation_type_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="RequestResponse, Event, DryRun, got 'Async'"):
        ops.invoke(None, "f", "live", invocation_type="Async")  # type: ignore[arg-type]


# --- prune -----------------------------------------------------------------------------------------------------


def test_prune_keeps_newest_and_every_version_an_alias_points_or_routes_to(
    aws: boto3.session.Session, make_function: Callable[..., None]
) -> None:
    # Given versions 1..8, alias live on 2 routing 10% to 4, and alias old on 1
    make_function(aws, "order-processor-prod", versions=8, alias_version="2", weights={"4": 0.1})
    aws.client("lambda").create_alias(FunctionName="order-processor-prod", Name="old", FunctionVersion="1")
    # When pruning to the newest 2 (forced: the alias carries weights)
    report = ops.prune_versions(aws.client("lambda"), "order-processor-prod", keep=2, force=True)
    # Then only unused old versions go
    assert report.deleted == ["3", "5", "6"], report.describe()
    assert versions_of(aws, "order-processor-prod") == ["$LATEST", "1", "2", "4", "7", "8"]
    assert "alias live routes 10% to it" in report.kept["4"], report.describe()
    assert "alias old points to it" in report.kept["1"], report.describe()


def test_prune_dry_run_deletes_nothing(aws: boto3.session.Session, make_function: Callable[..., None]) -> None:
    make_function(aws, "email-sender-prod", versions=5)
    report = ops.prune_versions(aws.client("lambda"), "email-sender-prod", keep=1, dry_run=True)
    assert report.deleted == ["1", "2", "3", "4"]
    assert versions_of(aws, "email-sender-prod") == ["$LATEST", "1", "2", "3", "4", "5"], "dry run deleted versions"
    assert "would delete 1" in report.describe()


def test_prune_keep_zero_still_keeps_the_alias_version(
    aws: boto3.session.Session, make_function: Callable[..., None]
) -> None:
    make_function(aws, "user-analytics-prod", versions=3, alias_version="2")
    report = ops.prune_versions(aws.client("lambda"), "user-analytics-prod", keep=0)
    assert versions_of(aws, "user-analytics-prod") == ["$LATEST", "2"], report.describe()


def test_prune_keeps_a_version_an_event_source_mapping_targets(
    aws: boto3.session.Session, make_function: Callable[..., None]
) -> None:
    make_function(aws, "order-processor-prod", versions=3)
    queue = aws.client("sqs").create_queue(QueueName="orders")["QueueUrl"]
    queue_arn = aws.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    aws.client("lambda").create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="order-processor-prod:1")
    report = ops.prune_versions(aws.client("lambda"), "order-processor-prod", keep=1)
    assert "1" in report.kept, f"version 1 is an event source mapping's target: {report.describe()}"
    assert report.deleted == ["2"]


def test_prune_of_missing_function_is_named(aws: boto3.session.Session) -> None:
    with pytest.raises(ops.FunctionNotFoundError, match="'ghost' does not exist"):
        ops.prune_versions(aws.client("lambda"), "ghost")


def test_plan_prune_never_lists_latest_and_rejects_negative_keep() -> None:
    kept, delete = ops.plan_prune(["$LATEST", "1", "2", "10"], {}, keep=1)
    assert kept == {"10": ["among the newest 1"]}
    assert delete == ["1", "2"], "versions sort numerically (10 is newer than 2)"
    with pytest.raises(ValueError, match=r"keep must be >= 0 .* got -1"):
        ops.plan_prune([], {}, keep=-1)


def test_prune_skips_a_version_aws_refuses_to_delete(
    aws: boto3.session.Session, make_function: Callable[..., None]
) -> None:
    # Given AWS refusing a delete because an alias started using the version after the listing
    make_function(aws, "order-processor-prod", versions=3)
    client = aws.client("lambda")
    conflict = ClientError(
        {
            "Error": {
                "Code": "ResourceConflictException",
                "Message": "Unable to delete version because alias x references it",
            }
        },
        "DeleteFunction",
    )

    def delete_function(**kwargs: Any) -> Any:
        raise conflict

    client.delete_function = delete_function
    report = ops.prune_versions(client, "order-processor-prod", keep=1)
    assert report.deleted == []
    assert set(report.skipped) == {"1", "2"}, report.describe()


def test_prune_refuses_a_function_whose_alias_carries_weights_unless_forced(
    aws: boto3.session.Session, make_function: Callable[..., None]
) -> None:
    make_function(aws, "order-processor-prod", versions=5, alias_version="4", weights={"5": 0.1})
    with pytest.raises(ops.PruneRefusedError, match=r"live routes 10% to version 5.*--abort.*--force"):
        ops.prune_versions(aws.client("lambda"), "order-processor-prod", keep=0)
    assert versions_of(aws, "order-processor-prod") == ["$LATEST", "1", "2", "3", "4", "5"], "refused, yet deleted"


@pytest.mark.parametrize("moved_to", ["1", "2", "3"])
def test_prune_rechecks_the_aliases_at_the_moment_of_deletion(
    aws: boto3.session.Session, make_function: Callable[..., None], moved_to: str
) -> None:
    # Given an alias on version 5, and the alias moved to an old version between the listing and its delete
    make_function(aws, "order-processor-prod", versions=5, alias_version="5")
    client = aws.client("lambda")

    def move_alias(version: str) -> None:
        if version == moved_to:
            client.update_alias(FunctionName="order-processor-prod", Name="live", FunctionVersion=moved_to)

    report = ops.prune_versions(client, "order-processor-prod", keep=1, before_delete=move_alias)
    # Then the version the alias was just moved to survives, skipped with the reason
    assert moved_to in versions_of(aws, "order-processor-prod"), report.describe()
    assert "alias live points to it" in report.skipped[moved_to], report.describe()
    assert moved_to not in report.deleted

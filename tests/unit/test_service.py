"""LambdaService under Pulumi mocks: resources, properties, parents, ordering, alias targeting and validation."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from lambdakit import LambdaService
from lambdakit.program import DefaultMocks, run_program

FN = "aws:lambda/function:Function"
ALIAS = "aws:lambda/alias:Alias"
LOGS = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/rolePolicy:RolePolicy"
ESM = "aws:lambda/eventSourceMapping:EventSourceMapping"
PC = "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"
ASYNC = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:orders"
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/users/stream/2026-01-01T00:00:00.000"
FAILURE_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:failures"


def service(**extra: Any) -> LambdaService:
    return LambdaService("orders", {"code_path": "src", **extra})  # type: ignore[typeddict-item]


def statements(deployed: Any) -> list[dict[str, Any]]:
    return json.loads(deployed.one(POLICY).inputs["policy"])["Statement"]


# --- what a default service registers -------------------------------------------------------------------------------


def test_defaults_register_role_policy_logs_function_and_alias_under_the_component(deploy: Any) -> None:
    deployed = deploy(service)
    component = deployed.one("lambdakit:index:LambdaService", "orders")
    for type_ in (ROLE, POLICY, LOGS, FN, ALIAS):
        child = deployed.one(type_)
        assert child.parent == component.urn, f"{child.urn} should be parented to the component"
    fn = deployed.one(FN).inputs
    assert fn["name"] == "orders-test"
    assert fn["runtime"] == "python3.12"
    assert fn["architectures"] == ["arm64"]
    assert fn["memorySize"] == 256 and fn["timeout"] == 30
    assert fn["tracingConfig"] == {"mode": "Active"}
    assert fn["publish"] is True, "every change must publish a version"
    assert fn["loggingConfig"]["logFormat"] == "JSON"
    assert fn["loggingConfig"]["logGroup"] == "/aws/lambda/orders-test"
    assert fn["handler"] == "handler.handler"
    assert fn["sourceCodeHash"], "the deterministic bundle's hash is passed so unchanged code gives no diff"
    logs = deployed.one(LOGS).inputs
    assert logs["name"] == "/aws/lambda/orders-test" and logs["retentionInDays"] == 30


def test_log_group_and_role_policy_exist_before_the_function(deploy: Any) -> None:
    deployed = deploy(service)
    fn = deployed.one(FN)
    assert deployed.urn(LOGS) in fn.dependencies, "the log group must be created before the function"
    assert deployed.urn(POLICY) in fn.dependencies, "the role policy must exist before the function runs"


def test_outputs_are_registered_on_the_component(deploy: Any) -> None:
    captured: dict[str, Any] = {}

    def build() -> None:
        svc = service()
        for key in ("function_name", "alias_name", "alias_arn", "log_group_name", "version"):
            getattr(svc, key).apply(lambda v, key=key: captured.__setitem__(key, v))

    deploy(build)
    assert captured["function_name"] == "orders-test"
    assert captured["alias_name"] == "live"
    assert captured["alias_arn"].endswith(":function:orders-test:live")
    assert captured["log_group_name"] == "/aws/lambda/orders-test"
    assert captured["version"] == "1"


# --- IAM -------------------------------------------------------------------------------------------------------------


def test_role_policy_names_exact_arns_for_logs_sources_destinations_and_dlq(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            sqs_sources=[{"queue_arn": QUEUE_ARN}],
            stream_sources=[
                {
                    "stream_arn": STREAM_ARN,
                    "starting_position": "LATEST",
                    "on_failure_destination_arn": FAILURE_QUEUE_ARN,
                }
            ],
            async_invoke={"on_failure_destination_arn": FAILURE_QUEUE_ARN},
            dead_letter_queue={},
        )
    )
    by_sid = {s["Sid"]: s for s in statements(deployed)}
    assert by_sid["Logs"]["Resource"].endswith("log-group:/aws/lambda/orders-test:*")
    assert "logs:CreateLogGroup" not in by_sid["Logs"]["Action"], "the component creates the log group itself"
    assert by_sid["SqsSource0"]["Resource"] == QUEUE_ARN
    assert set(by_sid["SqsSource0"]["Action"]) >= {"sqs:ReceiveMessage", "sqs:DeleteMessage"}
    assert STREAM_ARN in by_sid["StreamSource0"]["Resource"]
    assert by_sid["StreamFailure0"] == {
        "Sid": "StreamFailure0",
        "Effect": "Allow",
        "Action": ["sqs:SendMessage"],
        "Resource": FAILURE_QUEUE_ARN,
    }
    assert by_sid["AsyncFailure"]["Resource"] == FAILURE_QUEUE_ARN
    dlq_arn = deployed.one(QUEUE, "orders-dlq").outputs["arn"]
    assert by_sid["DeadLetterQueue"]["Resource"] == dlq_arn
    wildcard = [s["Sid"] for s in statements(deployed) if s["Resource"] == "*"]
    assert wildcard == ["XRay"], f"only X-Ray (no resource-level permissions) may use '*', got {wildcard}"


def test_brought_role_creates_no_role_or_policy(deploy: Any) -> None:
    deployed = deploy(lambda: service(role_arn="arn:aws:iam::123456789012:role/mine"))
    assert deployed.of_type(ROLE) == [] and deployed.of_type(POLICY) == []
    assert deployed.one(FN).inputs["role"] == "arn:aws:iam::123456789012:role/mine"


def test_user_statements_and_managed_policies_are_added(deploy: Any) -> None:
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
    deployed = deploy(
        lambda: service(
            policy_statements=[{"actions": ["dynamodb:GetItem"], "resources": [table]}],
            managed_policy_arns=["arn:aws:iam::aws:policy/AWSXrayReadOnlyAccess"],
        )
    )
    user = [s for s in statements(deployed) if s["Sid"] == "User0"]
    assert user and user[0]["Resource"] == [table]
    attachment = deployed.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/AWSXrayReadOnlyAccess"


# --- alias, canary, concurrency --------------------------------------------------------------------------------------


def test_alias_follows_newest_version_without_stable_version(deploy: Any) -> None:
    alias = deploy(service).one(ALIAS).inputs
    assert alias["name"] == "live" and alias["functionVersion"] == "1"
    assert "routingConfig" not in alias


class PublishesVersion5(DefaultMocks):
    """The provider published version 5 of every function (as after several deploys)."""

    def new_resource(self, args: Any) -> tuple[str | None, dict]:
        rid, state = super().new_resource(args)
        if args.typ == FN:
            state["version"] = "5"
        return rid, state


def test_canary_keeps_stable_version_and_routes_weight_to_new_version(program_dir: Any) -> None:
    run = run_program(
        program_dir,
        "test",
        PublishesVersion5(),
        program=lambda: service(stable_version="4", canary_weight=0.25) and None,
    )
    alias = next(r for r in run.registrations if r.type == ALIAS).inputs
    assert alias["functionVersion"] == "4", "the stable version keeps serving"
    assert alias["routingConfig"] == {"additionalVersionWeights": {"5": 0.25}}


def test_routing_is_dropped_when_the_new_version_is_the_stable_one(program_dir: Any) -> None:
    run = run_program(
        program_dir,
        "test",
        PublishesVersion5(),
        program=lambda: service(stable_version="5", canary_weight=0.25) and None,
    )
    alias = next(r for r in run.registrations if r.type == ALIAS).inputs
    assert alias["functionVersion"] == "5" and "routingConfig" not in alias


def test_stable_version_without_weight_pins_the_alias(deploy: Any) -> None:
    alias = deploy(lambda: service(stable_version="7")).one(ALIAS).inputs
    assert alias["functionVersion"] == "7" and "routingConfig" not in alias


def test_provisioned_concurrency_targets_the_alias_after_it_exists(deploy: Any) -> None:
    deployed = deploy(lambda: service(reserved_concurrency=20, provisioned_concurrency={"count": 3}))
    pc = deployed.one(PC)
    assert pc.inputs["qualifier"] == "live" and pc.inputs["provisionedConcurrentExecutions"] == 3
    assert deployed.urn(ALIAS) in pc.dependencies, "provisioned concurrency must come after the alias"
    assert pc.ignore_changes == [], "a fixed count without a canary is managed by Pulumi"
    assert deployed.one(FN).inputs["reservedConcurrentExecutions"] == 20


def test_provisioned_concurrency_is_left_alone_during_a_canary(deploy: Any) -> None:
    deployed = deploy(lambda: service(provisioned_concurrency={"count": 2}, stable_version="1", canary_weight=0.1))
    assert deployed.one(PC).ignore_changes == ["provisionedConcurrentExecutions"], (
        "AWS refuses to change provisioned concurrency while the alias carries weights"
    )


def test_autoscaling_registers_target_policy_and_schedules_on_the_alias(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            reserved_concurrency=50,
            provisioned_concurrency={
                "count": 5,
                "autoscaling": {
                    "min_capacity": 5,
                    "max_capacity": 40,
                    "scheduled_actions": [
                        {
                            "name": "peak",
                            "schedule": "cron(0 8 * * ? *)",
                            "min_capacity": 20,
                            "timezone": "Europe/London",
                        }
                    ],
                },
            },
        )
    )
    target = deployed.one("aws:appautoscaling/target:Target")
    assert target.inputs["resourceId"] == "function:orders-test:live"
    assert target.inputs["scalableDimension"] == "lambda:function:ProvisionedConcurrency"
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (5, 40)
    assert deployed.urn(PC) in target.dependencies
    policy = deployed.one("aws:appautoscaling/policy:Policy").inputs
    tracking = policy["targetTrackingScalingPolicyConfiguration"]
    assert tracking["targetValue"] == 0.7
    assert (
        tracking["predefinedMetricSpecification"]["predefinedMetricType"] == "LambdaProvisionedConcurrencyUtilization"
    )
    schedule = deployed.one("aws:appautoscaling/scheduledAction:ScheduledAction").inputs
    assert schedule["timezone"] == "Europe/London" and schedule["scalableTargetAction"]["minCapacity"] == 20
    assert deployed.one(PC).ignore_changes == ["provisionedConcurrentExecutions"], "autoscaling owns the count"


# --- event sources and async -----------------------------------------------------------------------------------------


def test_sqs_mapping_targets_the_alias_with_partial_batch_failures(deploy: Any) -> None:
    deployed = deploy(lambda: service(sqs_sources=[{"queue_arn": QUEUE_ARN, "maximum_concurrency": 5}]))
    esm = deployed.one(ESM).inputs
    alias_arn = deployed.one(ALIAS).outputs["arn"]
    assert esm["functionName"] == alias_arn, "event source mappings must target the alias, never the function"
    assert esm["eventSourceArn"] == QUEUE_ARN and esm["batchSize"] == 10
    assert esm["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert esm["scalingConfig"] == {"maximumConcurrency": 5}


def test_stream_mapping_has_position_bisect_bounded_retries_and_destination(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            stream_sources=[
                {
                    "stream_arn": STREAM_ARN,
                    "starting_position": "TRIM_HORIZON",
                    "on_failure_destination_arn": FAILURE_QUEUE_ARN,
                    "filters": ['{"eventName": ["INSERT"]}'],
                }
            ]
        )
    )
    esm = deployed.one(ESM).inputs
    assert esm["functionName"].endswith(":live")
    assert esm["startingPosition"] == "TRIM_HORIZON" and esm["batchSize"] == 100
    assert esm["bisectBatchOnFunctionError"] is True and esm["maximumRetryAttempts"] == 3
    assert esm["destinationConfig"]["onFailure"]["destinationArn"] == FAILURE_QUEUE_ARN
    assert esm["filterCriteria"]["filters"][0]["pattern"] == '{"eventName": ["INSERT"]}'


def test_queue_resource_source_uses_its_arn(deploy: Any) -> None:
    def build() -> None:
        queue = aws.sqs.Queue("orders-q", visibility_timeout_seconds=180)
        service(sqs_sources=[{"queue_arn": queue}])

    deployed = deploy(build)
    assert deployed.one(ESM).inputs["eventSourceArn"] == deployed.one(QUEUE, "orders-q").outputs["arn"]


def test_async_config_and_dlq_are_on_the_alias(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            async_invoke={
                "maximum_retry_attempts": 1,
                "maximum_event_age": 600,
                "on_failure_destination_arn": FAILURE_QUEUE_ARN,
            },
            dead_letter_queue={"message_retention_seconds": 86_400},
        )
    )
    cfg = deployed.one(ASYNC).inputs
    assert cfg["qualifier"] == "live"
    assert cfg["maximumRetryAttempts"] == 1 and cfg["maximumEventAgeInSeconds"] == 600
    assert cfg["destinationConfig"]["onFailure"]["destination"] == FAILURE_QUEUE_ARN
    dlq = deployed.one(QUEUE, "orders-dlq")
    assert dlq.inputs["messageRetentionSeconds"] == 86_400 and dlq.inputs["sqsManagedSseEnabled"] is True
    assert deployed.one(FN).inputs["deadLetterConfig"]["targetArn"] == dlq.outputs["arn"]


def test_secret_environment_values_stay_secret(deploy: Any) -> None:
    deployed = deploy(lambda: service(environment={"API_TOKEN": pulumi.Output.secret("s3cr3t"), "MODE": "x"}))
    fn = deployed.one(FN)
    assert "environment" in fn.secret_inputs, "a secret environment value must reach the engine as a secret"


def test_layers_accept_arns(deploy: Any) -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:layer:utils:3"
    assert deploy(lambda: service(layers=[arn])).one(FN).inputs["layers"] == [arn]


# --- validation: a clear error and nothing registered ----------------------------------------------------------------

INVALID = [
    ({"memory_size": 64}, r"orders: memory_size must be 128-10240 MB, got 64"),
    ({"memory_size": 20_000}, r"memory_size must be 128-10240 MB, got 20000"),
    ({"timeout": 1200}, r"orders: timeout must be 1-900 seconds, got 1200"),
    ({"timeout": 0}, r"timeout must be 1-900 seconds, got 0"),
    ({"ephemeral_storage": 100}, r"ephemeral_storage must be 512-10240 MB, got 100"),
    (
        {"layers": [f"arn:aws:lambda:us-east-1:123456789012:layer:l{i}:1" for i in range(6)]},
        r"layers may hold at most 5 layers, got 6",
    ),
    ({"environment": {"BIG": "x" * 5000}}, r"environment must total at most 4096 bytes, got 5003"),
    ({"environment": {"AWS_REGION": "eu-west-1"}}, r"environment\['AWS_REGION'\] is reserved"),
    ({"environment": {"1BAD": "x"}}, r"environment\['1BAD'\] must be a name"),
    ({"stable_version": "1", "canary_weight": 1.0}, r"canary_weight must be strictly between 0 and 1, got 1.0"),
    ({"stable_version": "1", "canary_weight": 0}, r"canary_weight must be strictly between 0 and 1, got 0"),
    ({"canary_weight": 0.1}, r"canary_weight needs stable_version"),
    ({"stable_version": "$LATEST"}, r"stable_version must be a published version number, never \$LATEST"),
    ({"stable_version": "v2"}, r"stable_version must be a published version number such as '3', got 'v2'"),
    (
        {"sqs_sources": [{"queue_arn": QUEUE_ARN, "batch_size": 11}]},
        r"sqs_sources\[0\].batch_size must be 1-10 without a batching window",
    ),
    (
        {"sqs_sources": [{"queue_arn": QUEUE_ARN + ".fifo", "batch_size": 20, "maximum_batching_window": 5}]},
        r"batch_size must be 1-10 for a FIFO queue, got 20",
    ),
    (
        {"sqs_sources": [{"queue_arn": QUEUE_ARN, "batch_size": 20_000, "maximum_batching_window": 5}]},
        r"batch_size must be 1-10000 with a batching window, got 20000",
    ),
    ({"stream_sources": [{"stream_arn": STREAM_ARN}]}, r"stream_sources\[0\].starting_position is required"),
    (
        {"stream_sources": [{"stream_arn": STREAM_ARN, "starting_position": "LATEST", "batch_size": 10_001}]},
        r"stream_sources\[0\].batch_size must be 1-10000, got 10001",
    ),
    (
        {"stream_sources": [{"stream_arn": STREAM_ARN, "starting_position": "LATEST", "maximum_retry_attempts": -1}]},
        r"maximum_retry_attempts must be 0-10000, got -1",
    ),
    ({"provisioned_concurrency": {"count": 0}}, r"provisioned_concurrency.count must be 1-900, got 0"),
    (
        {"reserved_concurrency": 5, "provisioned_concurrency": {"count": 6}},
        r"provisioned_concurrency.count must be 1-5, got 6",
    ),
    ({"reserved_concurrency": 950}, r"reserved_concurrency must be 0-900, got 950"),
    (
        {"account_concurrency_limit": 3000, "provisioned_concurrency": {"count": 2901}},
        r"provisioned_concurrency.count must be 1-2900, got 2901",
    ),
    ({"function_name": "x" * 65}, r"function_name must be at most 64 characters, got 65"),
    ({"function_name": "bad name!"}, r"function_name must contain only letters, digits"),
    ({"alias_name": "123"}, r"alias_name must contain only"),
    ({"architecture": "arm"}, r"architecture must be one of arm64, x86_64; got 'arm'"),
    ({"tracing_mode": "On"}, r"tracing_mode must be one of Active, PassThrough"),
    ({"log_retention_days": 10}, r"log_retention_days must be one of 1, 3, 5, 7, 14, 30"),
    ({"memroy_size": 512}, r"args has an unknown setting 'memroy_size'; did you mean 'memory_size'\?"),
    ({"async_invoke": {"maximum_retry_attempts": 3}}, r"async_invoke.maximum_retry_attempts must be 0-2, got 3"),
    ({"async_invoke": {"maximum_event_age": 30}}, r"async_invoke.maximum_event_age must be 60-21600 seconds, got 30"),
    (
        {"policy_statements": [{"actions": ["*"], "resources": ["arn:aws:s3:::b"]}]},
        r"policy_statements\[0\].actions must be service-scoped",
    ),
    (
        {"policy_statements": [{"actions": ["s3:GetObject"], "resources": ["*"]}]},
        r"policy_statements\[0\].resources must be exact ARNs",
    ),
    ({"log_format": "Text", "application_log_level": "INFO"}, r"application_log_level needs log_format JSON"),
    ({"code_zip": "x.zip"}, r"code_path and code_zip are mutually exclusive"),
    ({"code_path": "nope"}, r"orders: code_path .*'nope'.* does not exist"),
]


@pytest.mark.parametrize(("extra", "message"), INVALID, ids=[m[:40] for _, m in INVALID])
def test_invalid_input_fails_with_a_clear_message_and_registers_nothing(
    deploy_error: Any, extra: dict[str, Any], message: str
) -> None:
    error, deployed = deploy_error(lambda: service(**extra))
    assert isinstance(error, ValueError | TypeError), f"unexpected {type(error).__name__}: {error}"
    assert re.search(message, str(error)), f"{message!r} not in {error}"
    assert deployed.run.registrations == [], (
        f"nothing may be registered, got {[r.urn for r in deployed.run.registrations]}"
    )


def test_missing_code_names_both_fields(deploy_error: Any) -> None:
    error, deployed = deploy_error(lambda: LambdaService("orders", {}))
    assert "code_path or code_zip is required" in str(error)
    assert deployed.run.registrations == []


def test_output_values_are_checked_when_they_resolve(deploy_error: Any) -> None:
    error, _ = deploy_error(lambda: service(memory_size=pulumi.Output.from_input(50_000)))
    assert "orders: memory_size must be 128-10240 MB, got 50000" in str(error)


def test_queue_visibility_timeout_is_checked_against_six_times_the_timeout(deploy_error: Any) -> None:
    def build() -> None:
        queue = aws.sqs.Queue("short", visibility_timeout_seconds=60)
        service(timeout=30, sqs_sources=[{"queue_arn": queue}])

    error, _ = deploy_error(build)
    assert "queue visibility timeout must be at least 6x the function timeout (180 s), got 60 s" in str(error)


# --- push triggers and alarms through the service ------------------------------------------------------------------


def test_triggers_and_alarms_are_wired_to_the_alias_and_exposed_as_outputs(deploy: Any) -> None:
    captured: dict[str, Any] = {}

    def build() -> None:
        svc = service(
            reserved_concurrency=10,
            function_url={},
            schedules=[{"expression": "rate(5 minutes)"}],
            alarms={"alarm_topic_arn": "arn:aws:sns:us-east-1:123456789012:alarms"},
        )
        svc.function_url.apply(lambda v: captured.__setitem__("url", v))
        svc.alarm_arns.apply(lambda v: captured.__setitem__("alarms", v))

    deployed = deploy(build)
    url = deployed.one("aws:lambda/functionUrl:FunctionUrl").inputs
    assert url["qualifier"] == "live" and url["authorizationType"] == "AWS_IAM"
    permission = deployed.one("aws:lambda/permission:Permission").inputs
    assert permission["qualifier"] == "live" and permission["sourceAccount"] == "123456789012"
    assert permission["principal"] == "events.amazonaws.com" and permission["sourceArn"].startswith("arn:aws:events:")
    alarms = deployed.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert {a.name.rsplit("-", 1)[-1] for a in alarms} >= {"rate", "throttles", "duration", "concurrency"}
    assert all(a.inputs["alarmActions"] == ["arn:aws:sns:us-east-1:123456789012:alarms"] for a in alarms)
    assert captured["url"].startswith("https://") and len(captured["alarms"]) == len(alarms)


def test_alarms_can_be_switched_off(deploy: Any) -> None:
    deployed = deploy(lambda: service(alarms={"enabled": False}))
    assert deployed.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") == []


def test_an_invalid_trigger_fails_before_anything_is_registered(deploy_error: Any) -> None:
    error, deployed = deploy_error(lambda: service(schedules=[{"expression": "rate(5 minute)"}]))
    assert "orders: schedules[0].expression" in str(error) and "rate(5 minute)" in str(error)
    assert deployed.run.registrations == []

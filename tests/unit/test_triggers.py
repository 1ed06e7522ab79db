"""Push triggers under Pulumi mocks: properties, permission scope, ordering, alias targeting and validation."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdakit.triggers import (
    ApiGatewayTriggerArgs,
    EventRuleArgs,
    FunctionUrlArgs,
    FunctionUrlCorsArgs,
    S3TriggerArgs,
    ScheduleArgs,
    SnsTriggerArgs,
    TriggerOutputs,
    TriggerTarget,
    create_triggers,
    validate_triggers,
)

PARENT = "lambdakit:test:Parent"
PERMISSION = "aws:lambda/permission:Permission"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
SCHEDULE = "aws:scheduler/schedule:Schedule"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
URL = "aws:lambda/functionUrl:FunctionUrl"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ALIAS = "aws:lambda/alias:Alias"
TRIGGER_TYPES = {PERMISSION, NOTIFICATION, RULE, TARGET, SCHEDULE, ROLE, ROLE_POLICY, URL, SUBSCRIPTION}

ACCOUNT = "123456789012"
FUNCTION = "orders-test"
ALIAS_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{FUNCTION}:live"
TOPIC_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:order-events"
DLQ_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders-trigger-dlq"


@pytest.fixture(autouse=True, scope="module")
def _collect_failed_futures() -> Iterator[None]:
    """Finalise the futures that failed evaluations leave behind here, not inside a later ``ast.parse``.

    asyncio logs "Future exception was never retrieved" from ``__del__``; on CPython 3.11 that running inside
    pytest's assertion rewriting of a later import fails with "AST constructor recursion depth mismatch".
    """
    yield
    gc.collect()


class Parent(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__(PARENT, name, None, None)


def build(args: dict[str, Any], captured: dict[str, Any] | None = None) -> TriggerOutputs:
    """A parent component with a function and its ``live`` alias, and the triggers under the parent."""
    parent = Parent("orders")
    child = pulumi.ResourceOptions(parent=parent)
    fn = aws.lambda_.Function(
        "orders",
        name=FUNCTION,
        role=f"arn:aws:iam::{ACCOUNT}:role/orders",
        runtime="python3.12",
        handler="handler.handler",
        code=pulumi.AssetArchive({"handler.py": pulumi.StringAsset("def handler(e, c): return e\n")}),
        publish=True,
        opts=child,
    )
    alias = aws.lambda_.Alias(
        "orders-alias", name="live", function_name=fn.name, function_version=fn.version, opts=child
    )
    target = TriggerTarget(
        function_name=fn.name, function_arn=fn.arn, alias_name="live", alias_arn=alias.arn, depends_on=[alias]
    )
    out = create_triggers(validate_triggers("orders", args), target, parent)
    if captured is not None and out.function_url is not None:
        out.function_url.apply(lambda url: captured.__setitem__("function_url", url))
    return out


def permissions(deployed: Any) -> dict[str, dict[str, Any]]:
    return {r.name: r.inputs for r in deployed.of_type(PERMISSION)}


# --- S3 --------------------------------------------------------------------------------------------------------------


def test_s3_trigger_permission_is_scoped_to_the_bucket_and_account_on_the_alias(deploy: Any) -> None:
    deployed = deploy(lambda: build({"s3_triggers": [{"bucket": "uploads", "filter_prefix": "in/"}]}))
    permission = deployed.one(PERMISSION, "orders-s3-0-permission").inputs
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["principal"] == "s3.amazonaws.com"
    assert permission["function"] == FUNCTION and permission["qualifier"] == "live", "the alias, never $LATEST"
    assert permission["sourceArn"] == "arn:aws:s3:::uploads"
    assert permission["sourceAccount"] == ACCOUNT, "bucket ARNs carry no account: the account must be pinned"


def test_s3_notification_targets_the_alias_and_waits_for_its_permission(deploy: Any) -> None:
    deployed = deploy(
        lambda: build({"s3_triggers": [{"bucket": "uploads", "filter_prefix": "in/", "filter_suffix": ".csv"}]})
    )
    notification = deployed.one(NOTIFICATION, "orders-s3-0-notification")
    assert notification.inputs["bucket"] == "uploads"
    assert notification.inputs["lambdaFunctions"] == [
        {
            "lambdaFunctionArn": ALIAS_ARN,
            "events": ["s3:ObjectCreated:*"],
            "filterPrefix": "in/",
            "filterSuffix": ".csv",
        }
    ]
    permission_urn = deployed.urn(PERMISSION, "orders-s3-0-permission")
    assert permission_urn in notification.dependencies, (
        f"{notification.urn} must depend on {permission_urn}: S3 validates the destination when it is saved"
    )


def test_s3_triggers_on_one_bucket_share_one_notification(deploy: Any) -> None:
    deployed = deploy(
        lambda: build(
            {
                "s3_triggers": [
                    {"bucket": "uploads", "filter_prefix": "in/"},
                    {"bucket": "uploads", "events": ["s3:ObjectRemoved:*"], "filter_prefix": "in/"},
                    {"bucket": "archive"},
                ]
            }
        )
    )
    notifications = {r.inputs["bucket"]: r for r in deployed.of_type(NOTIFICATION)}
    assert set(notifications) == {"uploads", "archive"}, "S3 keeps one notification configuration per bucket"
    uploads = notifications["uploads"].inputs["lambdaFunctions"]
    assert [c["events"] for c in uploads] == [["s3:ObjectCreated:*"], ["s3:ObjectRemoved:*"]]
    sources = sorted(p["sourceArn"] for p in permissions(deployed).values())
    assert sources == ["arn:aws:s3:::archive", "arn:aws:s3:::uploads"], "one permission per bucket"


def test_s3_triggers_with_disjoint_prefixes_on_one_bucket_are_accepted() -> None:
    validate_triggers(
        "orders",
        {
            "s3_triggers": [
                {"bucket": "uploads", "filter_prefix": "in/"},
                {"bucket": "uploads", "filter_prefix": "out/"},
                {
                    "bucket": "uploads",
                    "filter_prefix": "in/",
                    "filter_suffix": ".csv",
                    "events": ["s3:ObjectRemoved:*"],
                },
                {"bucket": "other", "filter_prefix": "in/"},
            ]
        },
    )


# --- EventBridge schedules -------------------------------------------------------------------------------------------


def test_schedule_without_time_zone_is_an_eventbridge_rule_invoking_the_alias(deploy: Any) -> None:
    deployed = deploy(
        lambda: build({"schedules": [{"expression": "rate(5 minutes)", "input": '{"warm": true}', "dlq_arn": DLQ_ARN}]})
    )
    rule = deployed.one(RULE, "orders-schedule-0")
    assert rule.inputs["scheduleExpression"] == "rate(5 minutes)"
    assert rule.inputs["state"] == "ENABLED"
    target = deployed.one(TARGET, "orders-schedule-0-target").inputs
    assert target["arn"] == ALIAS_ARN
    assert target["input"] == '{"warm": true}'
    assert target["retryPolicy"] == {"maximumRetryAttempts": 2, "maximumEventAgeInSeconds": 3600}
    assert target["deadLetterConfig"] == {"arn": DLQ_ARN}
    permission = deployed.one(PERMISSION, "orders-schedule-0-permission").inputs
    assert permission["principal"] == "events.amazonaws.com"
    assert permission["sourceArn"] == rule.outputs["arn"], "the permission is scoped to this rule"
    assert permission["sourceAccount"] == ACCOUNT and permission["qualifier"] == "live"
    assert deployed.urn(PERMISSION, "orders-schedule-0-permission") in deployed.one(TARGET).dependencies
    assert deployed.of_type(SCHEDULE) == [] and deployed.of_type(ROLE) == []


def test_schedule_with_time_zone_uses_scheduler_with_a_role_that_may_invoke_only_the_alias(deploy: Any) -> None:
    deployed = deploy(
        lambda: build(
            {
                "schedules": [
                    {
                        "expression": "cron(0 8 ? * MON-FRI *)",
                        "time_zone": "Europe/Berlin",
                        "flexible_time_window_minutes": 15,
                        "max_retry_attempts": 5,
                        "dlq_arn": DLQ_ARN,
                        "enabled": False,
                    }
                ]
            }
        )
    )
    schedule = deployed.one(SCHEDULE, "orders-schedule-0")
    inputs = schedule.inputs
    assert inputs["scheduleExpression"] == "cron(0 8 ? * MON-FRI *)"
    assert inputs["scheduleExpressionTimezone"] == "Europe/Berlin"
    assert inputs["flexibleTimeWindow"] == {"mode": "FLEXIBLE", "maximumWindowInMinutes": 15}
    assert inputs["state"] == "DISABLED"
    role = deployed.one(ROLE, "orders-scheduler-role")
    assert inputs["target"]["arn"] == ALIAS_ARN
    assert inputs["target"]["roleArn"] == role.outputs["arn"]
    assert inputs["target"]["retryPolicy"] == {"maximumRetryAttempts": 5, "maximumEventAgeInSeconds": 3600}
    assert inputs["target"]["deadLetterConfig"] == {"arn": DLQ_ARN}
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    policy = json.loads(deployed.one(ROLE_POLICY, "orders-scheduler-policy").inputs["policy"])["Statement"]
    assert policy[0] == {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": ALIAS_ARN}
    assert policy[1] == {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": [DLQ_ARN]}
    assert deployed.urn(ROLE_POLICY) in schedule.dependencies, "the schedule must not fire before its role may invoke"
    assert deployed.of_type(PERMISSION) == [], "Scheduler invokes through its role, not the resource policy"
    assert deployed.of_type(RULE) == []


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(7 days)",
        "cron(0 8 ? * MON-FRI *)",
        "cron(0/15 * * * ? *)",
        "cron(0 18 L * ? *)",
        "cron(0 9 15W * ? *)",
        "cron(0 10 ? * 6#3 *)",
        "cron(15 10 ? * 6L 2026-2030)",
        "cron(0 0 1,15 JAN,JUL ? *)",
        "cron(30 2 * * ? *)",
    ],
)
def test_valid_schedule_expressions_are_accepted(expression: str) -> None:
    validate_triggers("orders", {"schedules": [{"expression": expression}]})


# --- EventBridge event-pattern rules ---------------------------------------------------------------------------------


def test_event_rule_on_a_custom_bus_targets_the_alias_with_aws_retry_defaults(deploy: Any) -> None:
    pattern = '{"source": ["orders"], "detail": {"amount": [{"numeric": [">", 100]}]}}'
    deployed = deploy(lambda: build({"event_rules": [{"event_pattern": pattern, "event_bus_name": "orders-bus"}]}))
    rule = deployed.one(RULE, "orders-rule-0")
    assert json.loads(rule.inputs["eventPattern"]) == json.loads(pattern)
    assert rule.inputs["eventBusName"] == "orders-bus"
    target = deployed.one(TARGET, "orders-rule-0-target").inputs
    assert target["eventBusName"] == "orders-bus", "a target on a custom bus must name the bus"
    assert target["arn"] == ALIAS_ARN
    assert target["retryPolicy"] == {"maximumRetryAttempts": 185, "maximumEventAgeInSeconds": 86400}
    assert "deadLetterConfig" not in target
    permission = deployed.one(PERMISSION, "orders-rule-0-permission").inputs
    assert permission["sourceArn"] == rule.outputs["arn"] and "rule/orders-bus/" in permission["sourceArn"]
    assert permission["sourceAccount"] == ACCOUNT and permission["qualifier"] == "live"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"sns_triggers": [{"topic_arn": TOPIC_ARN}, {"topic_arn": pulumi.Output.from_input(f"{TOPIC_ARN}.fifo")}]},
            r"orders: sns_triggers\[1\]\.topic_arn is a FIFO topic",
        ),
        (
            {"s3_triggers": [{"bucket": pulumi.Output.from_input("arn:aws:s3:::uploads")}]},
            r"orders: s3_triggers\[0\]\.bucket must be a bucket name",
        ),
        (
            {"api_gateway_triggers": [{"api_id": pulumi.Output.from_input("not an id")}]},
            r"orders: api_gateway_triggers\[0\]\.api_id must be the API's id",
        ),
        (
            {"schedules": [{"expression": "rate(1 hour)", "input": pulumi.Output.from_input("{warm}")}]},
            r"orders: schedules\[0\]\.input must be valid JSON",
        ),
    ],
)
def test_output_fields_are_checked_when_they_resolve(deploy_error: Any, args: dict[str, Any], message: str) -> None:
    error, _ = deploy_error(lambda: build(args))
    assert re.search(message, str(error)), f"{message!r} not in {error}"


def test_event_pattern_output_is_checked_when_it_resolves(deploy_error: Any) -> None:
    error, _ = deploy_error(lambda: build({"event_rules": [{"event_pattern": pulumi.Output.from_input('{"a": "b"}')}]}))
    assert "orders: event_rules[0].event_pattern pattern.a must be a list" in str(error)


# --- API Gateway -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "tail"),
    [
        ({"api_id": "a1b2c3d4e5"}, "a1b2c3d4e5/*/*"),
        ({"api_id": "a1b2c3d4e5", "stage": "prod"}, "a1b2c3d4e5/prod/*"),
        ({"api_id": "a1b2c3d4e5", "stage": "prod", "route": "GET /orders/{id}"}, "a1b2c3d4e5/prod/GET/orders/*"),
        ({"api_id": "a1b2c3d4e5", "route": "ANY /{proxy+}"}, "a1b2c3d4e5/*/*/*"),
        ({"api_id": "a1b2c3d4e5", "stage": "$default", "route": "$default"}, "a1b2c3d4e5/$default/$default"),
    ],
)
def test_api_gateway_permission_is_narrowed_to_the_api_stage_and_route(
    deploy: Any, trigger: dict[str, Any], tail: str
) -> None:
    deployed = deploy(lambda: build({"api_gateway_triggers": [trigger]}))
    permission = deployed.one(PERMISSION, "orders-apigw-0-permission").inputs
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["sourceArn"] == f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{tail}"
    assert permission["sourceAccount"] == ACCOUNT and permission["qualifier"] == "live"


# --- Function URL ----------------------------------------------------------------------------------------------------


def test_function_url_defaults_to_iam_auth_on_the_alias_and_outputs_the_url(deploy: Any) -> None:
    captured: dict[str, Any] = {}
    deployed = deploy(lambda: build({"function_url": {}}, captured))
    url = deployed.one(URL, "orders-url").inputs
    assert url["qualifier"] == "live", "the URL must be on the alias"
    assert url["functionName"] == FUNCTION
    assert url["authorizationType"] == "AWS_IAM"
    assert url["invokeMode"] == "BUFFERED"
    assert "cors" not in url
    assert captured["function_url"].startswith("https://"), f"function_url output: {captured}"
    assert deployed.of_type(PERMISSION) == [], "an IAM-auth URL needs no public resource policy"


def test_public_function_url_needs_both_url_and_invoke_permissions(deploy: Any) -> None:
    deployed = deploy(
        lambda: build(
            {
                "function_url": {
                    "auth_type": "NONE",
                    "allow_public": True,
                    "invoke_mode": "RESPONSE_STREAM",
                    "cors": {"allow_origins": ["https://shop.example.com"], "allow_methods": ["GET", "POST"]},
                }
            }
        )
    )
    url = deployed.one(URL).inputs
    assert url["authorizationType"] == "NONE" and url["invokeMode"] == "RESPONSE_STREAM"
    assert url["cors"]["allowOrigins"] == ["https://shop.example.com"]
    assert url["cors"]["allowMethods"] == ["GET", "POST"]
    perms = permissions(deployed)
    assert perms["orders-url-public-permission"]["action"] == "lambda:InvokeFunctionUrl"
    assert perms["orders-url-public-permission"]["functionUrlAuthType"] == "NONE"
    assert perms["orders-url-public-invoke-permission"]["action"] == "lambda:InvokeFunction"
    assert perms["orders-url-public-invoke-permission"]["invokedViaFunctionUrl"] is True
    for name, permission in perms.items():
        assert permission["principal"] == "*" and permission["qualifier"] == "live", name


# --- SNS -------------------------------------------------------------------------------------------------------------


def test_sns_subscription_targets_the_alias_after_its_permission(deploy: Any) -> None:
    policy = '{"store": ["berlin"]}'
    deployed = deploy(
        lambda: build({"sns_triggers": [{"topic_arn": TOPIC_ARN, "filter_policy": policy, "dlq_arn": DLQ_ARN}]})
    )
    subscription = deployed.one(SUBSCRIPTION, "orders-sns-0")
    assert subscription.inputs["protocol"] == "lambda"
    assert subscription.inputs["endpoint"] == ALIAS_ARN
    assert subscription.inputs["topic"] == TOPIC_ARN
    assert subscription.inputs["filterPolicy"] == policy
    assert subscription.inputs["filterPolicyScope"] == "MessageAttributes"
    assert json.loads(subscription.inputs["redrivePolicy"]) == {"deadLetterTargetArn": DLQ_ARN}
    permission = deployed.one(PERMISSION, "orders-sns-0-permission")
    assert permission.inputs["principal"] == "sns.amazonaws.com"
    assert permission.inputs["sourceArn"] == TOPIC_ARN and permission.inputs["sourceAccount"] == ACCOUNT
    assert permission.urn in subscription.dependencies, "SNS delivers as soon as the subscription exists"


def test_triggers_accept_other_resources_outputs_and_check_them_when_they_resolve(deploy: Any) -> None:
    def program() -> None:
        bucket = aws.s3.Bucket("order-uploads")
        topic = aws.sns.Topic("order-events")
        api = aws.apigatewayv2.Api("http-api", protocol_type="HTTP")
        build(
            {
                "s3_triggers": [{"bucket": bucket.bucket, "filter_prefix": "orders/"}],
                "sns_triggers": [{"topic_arn": topic.arn}],
                "api_gateway_triggers": [{"api_id": api.id, "stage": "$default"}],
            }
        )

    deployed = deploy(program)
    api_id = deployed.one("aws:apigatewayv2/api:Api").id
    sources = {name: p["sourceArn"] for name, p in permissions(deployed).items()}
    assert sources == {
        "orders-s3-0-permission": "arn:aws:s3:::order-uploads",
        "orders-sns-0-permission": deployed.one("aws:sns/topic:Topic").outputs["arn"],
        "orders-apigw-0-permission": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/$default/*",
    }
    assert deployed.one(NOTIFICATION).inputs["bucket"] == "order-uploads"


# --- every trigger --------------------------------------------------------------------------------------------------

EVERY_TRIGGER: dict[str, Any] = {
    "s3_triggers": [{"bucket": "uploads"}],
    "schedules": [{"expression": "rate(1 hour)"}, {"expression": "cron(0 6 * * ? *)", "time_zone": "UTC"}],
    "event_rules": [{"event_pattern": '{"source": ["orders"]}'}],
    "api_gateway_triggers": [{"api_id": "a1b2c3d4e5"}],
    "function_url": {},
    "sns_triggers": [{"topic_arn": TOPIC_ARN}],
}


def test_every_permission_is_on_the_alias_scoped_by_source_arn_and_account_and_waits_for_the_alias(deploy: Any) -> None:
    deployed = deploy(lambda: build(EVERY_TRIGGER))
    alias_urn = deployed.urn(ALIAS)
    found = deployed.of_type(PERMISSION)
    assert len(found) == 5, [r.name for r in found]
    for permission in found:
        assert permission.inputs["qualifier"] == "live", f"{permission.urn} must be qualified with the alias"
        assert permission.inputs["sourceArn"], f"{permission.urn} has no source ARN"
        assert permission.inputs["sourceAccount"] == ACCOUNT, f"{permission.urn} has no source account"
        assert alias_urn in permission.dependencies, f"{permission.urn} must wait for the alias it is qualified with"


def test_every_trigger_resource_is_a_child_of_the_component(deploy: Any) -> None:
    deployed = deploy(lambda: build(EVERY_TRIGGER))
    parent = deployed.urn(PARENT)
    children = [r for r in deployed.run.registrations if r.type in TRIGGER_TYPES]
    assert {r.type for r in children} == TRIGGER_TYPES
    for child in children:
        assert child.parent == parent, f"{child.urn} should be parented to the component"


def test_trigger_outputs_list_what_was_created(deploy: Any) -> None:
    captured: dict[str, TriggerOutputs] = {}

    def program() -> None:
        captured["out"] = build(EVERY_TRIGGER)

    deployed = deploy(program)
    out = captured["out"]
    assert len(out.resources) == len([r for r in deployed.run.registrations if r.type in TRIGGER_TYPES])
    assert out.function_url is not None and out.function_url_resource is not None
    assert len(out.schedules) == 1 and len(out.event_rules) == 2 and len(out.subscriptions) == 1


# --- bad input fails before anything is registered -------------------------------------------------------------------

INVALID: list[tuple[dict[str, Any], str]] = [
    ({"schedules": [{"expression": "rate(5 minute)"}]}, r"schedules\[0\]\.expression must use the plural unit for 5"),
    ({"schedules": [{"expression": "rate(1 minutes)"}]}, r"schedules\[0\]\.expression must use the singular unit"),
    ({"schedules": [{"expression": "rate(0 minutes)"}]}, r"rate value must be a positive whole number, got '0'"),
    (
        {"schedules": [{"expression": "rate(5 weeks)"}]},
        r"rate unit must be minute\(s\), hour\(s\) or day\(s\), got 'weeks'",
    ),
    (
        {"schedules": [{"expression": "every 5 minutes"}]},
        r"schedules\[0\]\.expression must be rate.*got 'every 5 minutes'",
    ),
    ({"schedules": [{"expression": "cron(0 8 * * ?)"}]}, r"cron needs 6 fields .*got 5 in 'cron\(0 8 \* \* \?\)'"),
    ({"schedules": [{"expression": "cron(0 8 * * * *)"}]}, r"'\?' in exactly one of day-of-month and day-of-week"),
    (
        {"schedules": [{"expression": "cron(0 8 ? * ? *)"}]},
        r"'\?' in exactly one .*got day-of-month '\?' and day-of-week '\?'",
    ),
    ({"schedules": [{"expression": "cron(60 8 * * ? *)"}]}, r"cron minutes must be 0-59 .*got '60'"),
    (
        {"schedules": [{"expression": "cron(0 8 ? * FUNDAY *)"}]},
        r"cron day-of-week must be 1-7 or SUN-SAT .*got 'FUNDAY'",
    ),
    ({"schedules": [{"expression": "cron(0 8 ? 13 MON *)"}]}, r"cron month must be 1-12 .*got '13'"),
    (
        {"schedules": [{"expression": "rate(1 hour)", "time_zone": "Mars/Olympus"}]},
        r"schedules\[0\]\.time_zone must be an IANA time zone .*got 'Mars/Olympus'",
    ),
    (
        {"schedules": [{"expression": "rate(1 hour)", "flexible_time_window_minutes": 0}]},
        r"schedules\[0\]\.flexible_time_window_minutes must be 1-1440 minutes, got 0",
    ),
    (
        {"schedules": [{"expression": "rate(1 hour)", "max_retry_attempts": 200}]},
        r"schedules\[0\]\.max_retry_attempts must be 0-185, got 200",
    ),
    (
        {"schedules": [{"expression": "rate(1 hour)", "max_event_age_seconds": 30}]},
        r"max_event_age_seconds must be 60-86400 seconds, got 30",
    ),
    ({"schedules": [{"expression": "rate(1 hour)", "input": "{warm}"}]}, r"schedules\[0\]\.input must be valid JSON"),
    (
        {"schedules": [{"expression": "rate(1 hour)", "dlq_arn": TOPIC_ARN}]},
        r"schedules\[0\]\.dlq_arn must be an SQS ARN",
    ),
    (
        {"schedules": [{"expresion": "rate(1 hour)"}]},
        r"schedules\[0\] has an unknown setting 'expresion'; did you mean 'expression'\?",
    ),
    ({"schedules": [{}]}, r"schedules\[0\]\.expression is required"),
    ({"event_rules": [{"event_pattern": "{source: orders}"}]}, r"event_rules\[0\]\.event_pattern must be valid JSON"),
    (
        {"event_rules": [{"event_pattern": '["orders"]'}]},
        r"event_pattern pattern must be a non-empty JSON object, got \[\"orders\"\]",
    ),
    ({"event_rules": [{"event_pattern": "{}"}]}, r"event_pattern pattern must be a non-empty JSON object, got \{\}"),
    (
        {"event_rules": [{"event_pattern": '{"source": "orders"}'}]},
        r"event_pattern pattern\.source must be a list .*got \"orders\"",
    ),
    ({"event_rules": [{"event_pattern": '{"detail": {"state": "ok"}}'}]}, r"pattern\.detail\.state must be a list"),
    (
        {"event_rules": [{"event_pattern": '{"source": []}'}]},
        r"pattern\.source is an empty list, which matches nothing",
    ),
    (
        {"s3_triggers": [{"bucket": "uploads"}, {"bucket": "uploads", "filter_prefix": "in/"}]},
        r"s3_triggers\[0\] and s3_triggers\[1\] overlap on bucket 'uploads'",
    ),
    (
        {
            "s3_triggers": [
                {"bucket": "uploads", "filter_prefix": "in/", "events": ["s3:ObjectCreated:Put"]},
                {"bucket": "uploads", "filter_prefix": "in/2026/", "filter_suffix": ".csv"},
            ]
        },
        r"overlap on bucket 'uploads': both match s3:ObjectCreated:Put with prefixes 'in/'/'in/2026/'",
    ),
    (
        {
            "s3_triggers": [
                {"bucket": "uploads", "filter_suffix": "data.csv"},
                {"bucket": "uploads", "filter_suffix": ".csv"},
            ]
        },
        r"suffixes 'data\.csv'/'\.csv'",
    ),
    (
        {"s3_triggers": [{"bucket": "arn:aws:s3:::uploads"}]},
        r"s3_triggers\[0\]\.bucket must be a bucket name .*got 'arn:aws:s3:::uploads'",
    ),
    (
        {"s3_triggers": [{"bucket": "uploads", "events": ["s3:ObjectCreated"]}]},
        r"s3_triggers\[0\]\.events\[0\] must be one of .*got 's3:ObjectCreated'",
    ),
    (
        {"s3_triggers": [{"bucket": "uploads", "events": []}]},
        r"s3_triggers\[0\]\.events must list at least one event type",
    ),
    ({"function_url": {"auth_type": "IAM"}}, r"function_url\.auth_type must be one of AWS_IAM, NONE; got 'IAM'"),
    (
        {"function_url": {"auth_type": "NONE"}},
        r"function_url\.auth_type 'NONE' .*set function_url\.allow_public to True",
    ),
    (
        {"function_url": {"allow_public": True}},
        r"function_url\.allow_public True only applies with auth_type 'NONE', got auth_type 'AWS_IAM'",
    ),
    (
        {"function_url": {"invoke_mode": "STREAM"}},
        r"function_url\.invoke_mode must be one of BUFFERED, RESPONSE_STREAM; got 'STREAM'",
    ),
    (
        {"function_url": {"cors": {"allow_origins": ["https://a.example.com/path"]}}},
        r"function_url\.cors\.allow_origins\[0\] must be \* or scheme://host\[:port\]",
    ),
    (
        {"function_url": {"cors": {"allow_origins": ["*"], "allow_credentials": True}}},
        r"allow_credentials True cannot be combined with the origin '\*'",
    ),
    (
        {"function_url": {"cors": {"allow_origins": ["*"], "allow_methods": ["FETCH"]}}},
        r"cors\.allow_methods\[0\] must be one of .*got 'FETCH'",
    ),
    (
        {"function_url": {"cors": {"allow_origins": ["*"], "max_age_seconds": 100000}}},
        r"cors\.max_age_seconds must be 0-86400 seconds, got 100000",
    ),
    (
        {"api_gateway_triggers": [{"api_id": "arn:aws:execute-api:us-east-1:1:x"}]},
        r"api_gateway_triggers\[0\]\.api_id must be the API's id",
    ),
    (
        {"api_gateway_triggers": [{"api_id": "a1b2c3d4e5", "route": "/orders"}]},
        r"api_gateway_triggers\[0\]\.route must be 'METHOD /path'.*got '/orders'",
    ),
    ({"sns_triggers": [{"topic_arn": f"{TOPIC_ARN}.fifo"}]}, r"sns_triggers\[0\]\.topic_arn is a FIFO topic"),
    (
        {"sns_triggers": [{"topic_arn": "order-events"}]},
        r"sns_triggers\[0\]\.topic_arn must be an SNS ARN .*got 'order-events'",
    ),
    (
        {"sns_triggers": [{"topic_arn": TOPIC_ARN, "filter_policy": '{"a": {"b": ["c"]}}'}]},
        r"policy\.a must be a list: nested objects need filter_policy_scope MessageBody",
    ),
    (
        {"sns_triggers": [{"topic_arn": TOPIC_ARN, "filter_policy_scope": "MessageBody"}]},
        r"filter_policy_scope needs a filter_policy",
    ),
    ({"s3_triggers": {"bucket": "uploads"}}, r"orders: s3_triggers must be a list"),
]


@pytest.mark.parametrize(("args", "message"), INVALID)
def test_invalid_trigger_input_fails_before_anything_is_registered(
    deploy_error: Any, args: dict[str, Any], message: str
) -> None:
    def program() -> None:
        validate_triggers("orders", args)  # what LambdaService does before its first child
        build(args)

    error, deployed = deploy_error(program)
    assert isinstance(error, ValueError | TypeError), f"unexpected {type(error).__name__}: {error}"
    assert str(error).startswith("orders: "), f"the message must name the service: {error}"
    assert re.search(message, str(error)), f"{message!r} not in {error}"
    registered = [r.urn for r in deployed.run.registrations]
    assert registered == [], f"nothing may be registered, got {registered}"


@pytest.mark.parametrize(("args", "message"), INVALID[:3])
def test_create_triggers_validates_before_registering_any_trigger(
    deploy_error: Any, args: dict[str, Any], message: str
) -> None:
    error, deployed = deploy_error(lambda: build(args))
    assert re.search(message, str(error)), f"{message!r} not in {error}"
    triggers = [r.urn for r in deployed.run.registrations if r.type in TRIGGER_TYPES]
    assert triggers == [], f"no trigger may be registered, got {triggers}"


def test_a_service_name_too_long_for_eventbridge_names_is_rejected() -> None:
    service = "a-very-long-service-name-that-leaves-no-room-for-suffixes"
    with pytest.raises(ValueError, match=r"schedules\[0\] gives the EventBridge rule the generated name .* at most 64"):
        validate_triggers(service, {"schedules": [{"expression": "rate(1 hour)"}]})


def test_a_service_name_too_long_for_the_scheduler_role_name_is_rejected() -> None:
    service = "a-service-name-of-forty-five-characters-xxxxx"
    validate_triggers(service, {"schedules": [{"expression": "rate(1 hour)"}]})  # a rule's name still fits
    with pytest.raises(ValueError, match=r"gives the Scheduler's IAM role the generated name .* at most 64"):
        validate_triggers(service, {"schedules": [{"expression": "rate(1 hour)", "time_zone": "UTC"}]})


def test_output_values_are_not_checked_eagerly() -> None:
    validate_triggers(
        "orders",
        {
            "s3_triggers": [{"bucket": pulumi.Output.from_input("ARN-looking-but-unknown")}],
            "api_gateway_triggers": [{"api_id": pulumi.Output.from_input("x")}],
            "sns_triggers": [{"topic_arn": pulumi.Output.from_input("unknown")}],
        },
    )


# --- any input either passes or fails with ValueError/TypeError ------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 100_000),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(
        ["rate(5 minutes)", "cron(0 8 ? * MON *)", "uploads", "in/", "*", "NONE", TOPIC_ARN, DLQ_ARN, '{"a": ["b"]}']
    ),
)
_values = st.one_of(_scalars, st.lists(_scalars, max_size=3))
_KIND_ARGS: dict[str, type] = {
    "s3_triggers": S3TriggerArgs,
    "schedules": ScheduleArgs,
    "event_rules": EventRuleArgs,
    "api_gateway_triggers": ApiGatewayTriggerArgs,
    "sns_triggers": SnsTriggerArgs,
}


_VALID: dict[str, dict[str, Any]] = {
    "s3_triggers": {
        "bucket": "uploads",
        "events": ["s3:ObjectCreated:*"],
        "filter_prefix": "in/",
        "filter_suffix": ".csv",
    },
    "schedules": {"expression": "cron(0 8 ? * MON *)", "time_zone": "UTC", "input": "{}", "max_retry_attempts": 1},
    "event_rules": {"event_pattern": '{"source": ["orders"]}', "event_bus_name": "orders", "dlq_arn": DLQ_ARN},
    "api_gateway_triggers": {"api_id": "a1b2c3d4e5", "stage": "prod", "route": "GET /orders/{id}"},
    "sns_triggers": {"topic_arn": TOPIC_ARN, "filter_policy": '{"a": ["b"]}', "filter_policy_scope": "MessageBody"},
}


def _entry(cls: type) -> st.SearchStrategy[dict[str, Any]]:
    """A valid entry of the kind with up to two fields replaced by arbitrary values (or a misspelt field added)."""
    kind = next(k for k, c in _KIND_ARGS.items() if c is cls)
    fields = [*sorted(cls.__annotations__), "typo"]
    changes = st.dictionaries(st.sampled_from(fields), _values, max_size=2)
    return changes.map(lambda change: {**_VALID[kind], **change})


_cors = st.dictionaries(st.sampled_from(sorted(FunctionUrlCorsArgs.__annotations__)), _values, max_size=4)
_url = st.dictionaries(st.sampled_from(sorted(FunctionUrlArgs.__annotations__)), st.one_of(_values, _cors), max_size=4)
_args = st.fixed_dictionaries(
    {},
    optional={
        **{kind: st.one_of(st.lists(_entry(cls), max_size=3), _values) for kind, cls in _KIND_ARGS.items()},
        "function_url": st.one_of(_url, _values),
    },
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(args=_args)
def test_any_trigger_settings_pass_or_fail_with_value_or_type_error(args: dict[str, Any]) -> None:
    try:
        validate_triggers("orders", args)
    except (ValueError, TypeError) as error:
        assert str(error).startswith("orders: "), f"the message must name the service: {error}"

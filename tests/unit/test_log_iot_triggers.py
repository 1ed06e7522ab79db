"""CloudWatch Logs subscription filters and AWS IoT topic rules on a LambdaService (issue 13, item 3), under Pulumi
mocks: properties, the alias as destination, the permission's principal, source ARN and account, ordering (the wiring
resource after the permission) and the failing inputs, before anything is registered or when a value resolves."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from lambdakit import LambdaService

ACCOUNT = "123456789012"  # the mocks' deploying account
REGION = "us-east-1"  # the mocks' region
OTHER = "210987654321"
PERMISSION = "aws:lambda/permission:Permission"
FILTER = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
RULE = "aws:iot/topicRule:TopicRule"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/rolePolicy:RolePolicy"
ALIAS_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders-test:live"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:telemetry-errors"


@pytest.fixture(autouse=True, scope="module")
def _collect_failed_futures() -> Iterator[None]:
    # Failed evaluations leave futures whose finalisers log from a later test's import otherwise (see test_triggers).
    yield
    gc.collect()


def service(name: str = "orders", **extra: Any) -> LambdaService:
    return LambdaService(name, {"code_path": "src", **extra})  # type: ignore[typeddict-item]


def assert_fails_before_anything(deploy_error: Any, message: str, **extra: Any) -> None:
    error, deployed = deploy_error(lambda: service(**extra))
    assert isinstance(error, ValueError | TypeError), f"unexpected {type(error).__name__}: {error}"
    assert re.search(message, str(error)), f"{message!r} not in {error}"
    assert deployed.run.registrations == [], [r.urn for r in deployed.run.registrations]


# --- CloudWatch Logs subscription filters ---------------------------------------------------------------------------


def test_a_log_subscription_delivers_to_the_alias_after_the_permission(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            log_subscriptions=[
                {
                    "log_group": "/aws/lambda/billing-prod",
                    "filter_pattern": "?ERROR ?Exception",
                    "filter_name": "errors",
                }
            ]
        )
    )
    permission = deployed.one(PERMISSION, "orders-log-subscription-0-permission")
    assert permission.inputs["principal"] == "logs.amazonaws.com"
    assert permission.inputs["action"] == "lambda:InvokeFunction"
    assert permission.inputs["qualifier"] == "live", "granted on the alias, not the function"
    assert permission.inputs["sourceArn"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/billing-prod:*"
    assert permission.inputs["sourceAccount"] == ACCOUNT
    subscription = deployed.one(FILTER, "orders-log-subscription-0")
    assert subscription.inputs["logGroup"] == "/aws/lambda/billing-prod"
    assert subscription.inputs["destinationArn"] == ALIAS_ARN, "the alias is the destination"
    assert subscription.inputs["filterPattern"] == "?ERROR ?Exception"
    assert subscription.inputs["name"] == "errors"
    assert "roleArn" not in subscription.inputs, "a Lambda destination needs no role"
    assert permission.urn in subscription.dependencies, "PutSubscriptionFilter test-invokes the destination"


def test_a_log_group_arn_and_another_services_log_group_output(deploy: Any) -> None:
    def program() -> None:
        billing = service("billing")
        service(
            log_subscriptions=[
                {"log_group": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app/audit:*"},
                {"log_group": billing.log_group_name, "filter_pattern": '{ $.level = "error" }'},
            ]
        )

    deployed = deploy(program)
    first = deployed.one(FILTER, "orders-log-subscription-0")
    assert first.inputs["logGroup"] == "/app/audit", "the name, from the ARN"
    assert first.inputs["filterPattern"] == "", "every event by default"
    assert "name" not in first.inputs, "auto-named by the provider (<logical name>-<hex>)"
    assert deployed.one(PERMISSION, "orders-log-subscription-0-permission").inputs["sourceArn"] == (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app/audit:*"
    )
    second = deployed.one(FILTER, "orders-log-subscription-1")
    assert second.inputs["logGroup"] == "/aws/lambda/billing-test"
    assert deployed.one(PERMISSION, "orders-log-subscription-1-permission").inputs["sourceArn"] == (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/billing-test:*"
    )


@pytest.mark.parametrize(
    ("subscriptions", "message"),
    [
        (
            [{"log_group": "/aws/lambda/orders-test"}],
            r"log_subscriptions\[0\].log_group is the function's own log group '/aws/lambda/orders-test': "
            r"every delivery writes log lines that would be delivered again, in a loop",
        ),
        (
            [{"log_group": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/orders-test:*"}],
            r"log_subscriptions\[0\].log_group is the function's own log group",
        ),
        (
            [{"log_group": "/app/audit"}, {"log_group": "/app/audit"}, {"log_group": "/app/audit"}],
            r"log_subscriptions\[2\].log_group would be subscription filter 3 on '/app/audit': CloudWatch Logs allows "
            r"at most 2 per log group",
        ),
        (
            [
                {"log_group": "/app/audit", "filter_name": "errors"},
                {"log_group": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app/audit", "filter_name": "errors"},
            ],
            r"log_subscriptions\[1\].filter_name is used twice on '/app/audit', got 'errors'",
        ),
        (
            [{"log_group": "/app/audit", "filter_pattern": "x" * 1025}],
            r"log_subscriptions\[0\].filter_pattern must be at most 1024 characters, got 1025",
        ),
        (
            [{"log_group": "/app/audit", "filter_name": "errors:*"}],
            r"log_subscriptions\[0\].filter_name must be a subscription filter name \(no ':' or '\*'\), "
            r"got 'errors:\*'",
        ),
        (
            [{"log_group": "app audit!"}],
            r"log_subscriptions\[0\].log_group must be a log group name \(letters, digits and \. - _ / #\), "
            r"got 'app audit!'",
        ),
        (
            [{"log_group": "/" + "a" * 512}],
            r"log_subscriptions\[0\].log_group must be at most 512 characters, got 513",
        ),
        (
            [{"log_group": f"arn:aws:logs:{REGION}:{ACCOUNT}:stream/x"}],
            r"log_subscriptions\[0\].log_group must be a log group ARN \(arn:aws:logs:<region>:<account>:log-group:"
            r"<name>\) or a name",
        ),
        ([{"log_group": 42}], r"log_subscriptions\[0\].log_group must be a log group name or ARN"),
        ([{"filter_pattern": "ERROR"}], r"log_subscriptions\[0\].*log_group"),
        ([{"log_group": "/app/audit", "filter": "ERROR"}], r"log_subscriptions\[0\].*filter"),
    ],
)
def test_bad_log_subscriptions_fail_before_anything_is_registered(
    deploy_error: Any, subscriptions: Any, message: str
) -> None:
    assert_fails_before_anything(deploy_error, message, log_subscriptions=subscriptions)


def test_the_own_log_group_known_at_deploy_time_is_refused_when_it_resolves(deploy_error: Any) -> None:
    error, deployed = deploy_error(
        lambda: service(log_subscriptions=[{"log_group": pulumi.Output.from_input("/aws/lambda/orders-test")}])
    )
    assert "log_subscriptions[0].log_group is the function's own log group '/aws/lambda/orders-test'" in str(error)
    assert deployed.of_type(FILTER) == [], "no subscription filter on the own log group"


def test_a_log_group_in_another_account_is_refused_when_the_account_resolves(deploy_error: Any) -> None:
    error, deployed = deploy_error(
        lambda: service(log_subscriptions=[{"log_group": f"arn:aws:logs:{REGION}:{OTHER}:log-group:/app/audit"}])
    )
    assert (
        f"log_subscriptions[0].log_group is in account {OTHER}, region {REGION}: CloudWatch Logs delivers only to "
        f"functions in the log group's own account and region ({ACCOUNT}, {REGION})"
    ) in str(error)
    assert deployed.of_type(FILTER) == []


# --- AWS IoT topic rules ----------------------------------------------------------------------------------------------


def test_an_iot_rule_invokes_the_alias_after_the_permission_on_its_arn(deploy: Any) -> None:
    sql = "SELECT *, topic(2) AS device FROM 'sensors/+/telemetry' WHERE temperature > 50"
    deployed = deploy(lambda: service(iot_rules=[{"sql": sql}]))
    permission = deployed.one(PERMISSION, "orders-iot-0-permission")
    assert permission.inputs["principal"] == "iot.amazonaws.com"
    assert permission.inputs["qualifier"] == "live"
    assert permission.inputs["sourceArn"] == f"arn:aws:iot:{REGION}:{ACCOUNT}:rule/orders_test_0"
    assert permission.inputs["sourceAccount"] == ACCOUNT
    rule = deployed.one(RULE, "orders-iot-0")
    assert rule.inputs["name"] == "orders_test_0", "the function's name, hyphens written as underscores"
    assert rule.inputs["sql"] == sql
    assert rule.inputs["sqlVersion"] == "2016-03-23"
    assert rule.inputs["enabled"] is True
    assert rule.inputs["lambdas"] == [{"functionArn": ALIAS_ARN}], "one action, on the alias"
    assert "errorAction" not in rule.inputs
    assert permission.urn in rule.dependencies, "a message matched before the permission exists fails to invoke"
    assert deployed.of_type(ROLE) and all(not r.name.startswith("orders-iot") for r in deployed.of_type(ROLE))


def test_an_iot_error_action_sends_to_the_queue_through_a_role_of_this_rule_only(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            role_permissions_boundary_arn=f"arn:aws:iam::{ACCOUNT}:policy/boundary",
            iot_rules=[
                {
                    "rule_name": "telemetry_alerts",
                    "sql": "SELECT * FROM 'sensors/#'",
                    "sql_version": "2015-10-08",
                    "description": "alerts",
                    "enabled": False,
                    "error_queue_arn": QUEUE,
                }
            ],
        )
    )
    rule = deployed.one(RULE, "orders-iot-0")
    rule_arn = f"arn:aws:iot:{REGION}:{ACCOUNT}:rule/telemetry_alerts"
    assert deployed.one(PERMISSION, "orders-iot-0-permission").inputs["sourceArn"] == rule_arn
    assert (rule.inputs["name"], rule.inputs["sqlVersion"], rule.inputs["enabled"]) == (
        "telemetry_alerts",
        "2015-10-08",
        False,
    )
    assert rule.inputs["description"] == "alerts"
    role = deployed.one(ROLE, "orders-iot-0-error-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "iot.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": rule_arn}},
        }
    ]
    assert role.inputs["permissionsBoundary"] == f"arn:aws:iam::{ACCOUNT}:policy/boundary"
    policy = deployed.one(POLICY, "orders-iot-0-error-policy")
    assert json.loads(policy.inputs["policy"])["Statement"] == [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": QUEUE}
    ]
    assert rule.inputs["errorAction"] == {
        "sqs": {
            "queueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/telemetry-errors",
            "roleArn": role.outputs["arn"],
            "useBase64": False,
        }
    }
    assert policy.urn in rule.dependencies, "the error action can send from the first error"


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            [{"sql": "SELECT * FROM 't'", "rule_name": "telemetry-alerts"}],
            r"iot_rules\[0\].rule_name must be a topic rule name \(letters, digits and underscores; no hyphens\), "
            r"got 'telemetry-alerts'",
        ),
        (
            [{"sql": "SELECT * FROM 't'", "rule_name": "r" * 129}],
            r"iot_rules\[0\].rule_name must be at most 128 characters, got 129",
        ),
        (
            [{"sql": "SELECT * WHERE temperature > 50"}],
            r"iot_rules\[0\].sql must be an IoT SQL statement SELECT <fields> FROM '<topic filter>'",
        ),
        ([{"sql": "SELECT * FROM sensors/#"}], r"iot_rules\[0\].sql must be an IoT SQL statement"),
        ([{"sql": 42}], r"iot_rules\[0\].sql must be an IoT SQL statement, got int 42"),
        (
            [{"sql": "SELECT * FROM 't'", "sql_version": "2017-01-01"}],
            r"iot_rules\[0\].sql_version must be one of .*2016-03-23.*got '2017-01-01'",
        ),
        (
            [{"sql": "SELECT * FROM 'a'", "rule_name": "alerts"}, {"sql": "SELECT * FROM 'b'", "rule_name": "alerts"}],
            r"iot_rules\[1\].rule_name is the name of iot_rules\[0\] too, got 'alerts'",
        ),
        (
            [{"sql": "SELECT * FROM 't'", "error_queue_arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:errors"}],
            r"iot_rules\[0\].error_queue_arn must be an SQS ARN",
        ),
        ([{"sql": "SELECT * FROM 't'", "enabled": "yes"}], r"iot_rules\[0\].enabled must be true or false"),
        ([{"rule_name": "alerts"}], r"iot_rules\[0\].*sql"),
    ],
)
def test_bad_iot_rules_fail_before_anything_is_registered(deploy_error: Any, rules: Any, message: str) -> None:
    assert_fails_before_anything(deploy_error, message, iot_rules=rules)


def test_an_iot_sql_known_at_deploy_time_is_checked_when_it_resolves(deploy_error: Any) -> None:
    error, deployed = deploy_error(lambda: service(iot_rules=[{"sql": pulumi.Output.from_input("SELECT *")}]))
    assert "iot_rules[0].sql must be an IoT SQL statement" in str(error)
    assert deployed.of_type(RULE) == [], "no rule with a statement IoT would refuse"

"""LambdaService's `code_deploy` under Pulumi mocks: application, group, config, role, alarms, outputs, validation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambdakit import LambdaService
from lambdakit.limits import CODEDEPLOY_LAMBDA_CONFIGS, CODEDEPLOY_LAMBDA_POLICY

APP = "aws:codedeploy/application:Application"
GROUP = "aws:codedeploy/deploymentGroup:DeploymentGroup"
CONFIG = "aws:codedeploy/deploymentConfig:DeploymentConfig"
ROLE = "aws:iam/role:Role"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY = "aws:iam/rolePolicy:RolePolicy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ALIAS = "aws:lambda/alias:Alias"
HOOK_ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders-pre-traffic"


def service(code_deploy: Any, **extra: Any) -> LambdaService:
    return LambdaService("orders", {"code_path": "src", "code_deploy": code_deploy, **extra})  # type: ignore[typeddict-item]


def test_a_default_code_deploy_creates_the_application_group_and_role_for_the_alias(deploy: Any) -> None:
    deployed = deploy(lambda: service({}))
    component = deployed.one("lambdakit:index:LambdaService", "orders")
    app = deployed.one(APP)
    assert app.inputs["computePlatform"] == "Lambda" and app.inputs["name"] == "orders-test"
    group = deployed.one(GROUP)
    assert group.parent == component.urn and app.parent == component.urn
    g = group.inputs
    assert g["appName"] == "orders-test"
    assert g["deploymentGroupName"] == "orders-test-live"
    assert g["deploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    assert g["deploymentStyle"] == {"deploymentOption": "WITH_TRAFFIC_CONTROL", "deploymentType": "BLUE_GREEN"}
    assert g["autoRollbackConfiguration"] == {
        "enabled": True,
        "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"],
    }
    # Every alarm the component creates, by name, and nothing else.
    alarm_names = sorted(a.inputs["name"] for a in deployed.of_type(ALARM))
    assert alarm_names and sorted(g["alarmConfiguration"]["alarms"]) == alarm_names
    assert g["alarmConfiguration"]["enabled"] is True
    # The group exists only after the alias it shifts.
    assert deployed.urn(ALIAS) in group.dependencies
    assert not deployed.of_type(CONFIG), "a predefined config needs no DeploymentConfig"


def test_the_service_role_is_codedeploys_with_the_limited_managed_policy_only(deploy: Any) -> None:
    deployed = deploy(lambda: service({}))
    role = deployed.one(ROLE, "orders-codedeploy-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust == [
        {"Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    attachments = [a for a in deployed.of_type(ATTACH) if a.name.startswith("orders-codedeploy")]
    assert [a.inputs["policyArn"] for a in attachments] == [CODEDEPLOY_LAMBDA_POLICY]
    assert CODEDEPLOY_LAMBDA_POLICY.endswith("service-role/AWSCodeDeployRoleForLambdaLimited")
    assert not [p for p in deployed.of_type(POLICY) if p.name.startswith("orders-codedeploy")], "no hooks, no inline"
    group = deployed.one(GROUP)
    assert deployed.urn(ATTACH, "orders-codedeploy-managed") in group.dependencies


def test_hooks_get_invoke_on_their_exact_arns_and_are_output_for_the_appspec(deploy: Any) -> None:
    captured: dict[str, Any] = {}
    post = "arn:aws:lambda:us-east-1:123456789012:function:orders-post-traffic"

    def build() -> None:
        svc = service({"pre_traffic_hook": HOOK_ARN, "post_traffic_hook": post})
        for key in ("codedeploy_application", "codedeploy_deployment_group", "codedeploy_hooks"):
            getattr(svc, key).apply(lambda v, key=key: captured.__setitem__(key, v))

    deployed = deploy(build)
    policy = json.loads(deployed.one(POLICY, "orders-codedeploy-hooks").inputs["policy"])
    assert policy["Statement"] == [
        {"Sid": "Hooks", "Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [HOOK_ARN, post]}
    ]
    assert captured["codedeploy_application"] == "orders-test"
    assert captured["codedeploy_deployment_group"] == "orders-test-live"
    assert json.loads(captured["codedeploy_hooks"]) == {
        "BeforeAllowTraffic": "orders-pre-traffic",
        "AfterAllowTraffic": "orders-post-traffic",
    }


@pytest.mark.parametrize(
    ("custom", "routing"),
    [
        (
            {"type": "canary", "percentage": 20, "interval_minutes": 15},
            {"type": "TimeBasedCanary", "timeBasedCanary": {"interval": 15, "percentage": 20}},
        ),
        (
            {"type": "linear", "percentage": 25, "interval_minutes": 2},
            {"type": "TimeBasedLinear", "timeBasedLinear": {"interval": 2, "percentage": 25}},
        ),
    ],
)
def test_a_custom_config_is_created_and_used_by_the_group(deploy: Any, custom: Any, routing: Any) -> None:
    deployed = deploy(lambda: service({"custom_config": custom}))
    config = deployed.one(CONFIG).inputs
    assert config["computePlatform"] == "Lambda"
    assert config["trafficRoutingConfig"] == routing
    kind = custom["type"].title()
    name = f"orders-test-{kind}{custom['percentage']}PercentEvery{custom['interval_minutes']}Minutes"
    assert config["deploymentConfigName"] == name
    assert deployed.one(GROUP).inputs["deploymentConfigName"] == name


def test_without_rollback_on_alarm_the_group_watches_no_alarm(deploy: Any) -> None:
    deployed = deploy(lambda: service({"rollback_on_alarm": False, "deployment_config": CODEDEPLOY_LAMBDA_CONFIGS[0]}))
    g = deployed.one(GROUP).inputs
    assert "alarmConfiguration" not in g or not g["alarmConfiguration"]
    assert g["autoRollbackConfiguration"]["events"] == ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"]
    assert g["deploymentConfigName"] == "CodeDeployDefault.LambdaAllAtOnce"


def test_without_code_deploy_nothing_of_codedeploy_is_registered(deploy: Any) -> None:
    captured: dict[str, Any] = {}

    def build() -> None:
        svc = LambdaService("orders", {"code_path": "src"})
        svc.codedeploy_application.apply(lambda v: captured.__setitem__("app", v))

    deployed = deploy(build)
    assert not deployed.of_type(APP) and not deployed.of_type(GROUP)
    assert captured.get("app") is None


@pytest.mark.parametrize(
    ("code_deploy", "message"),
    [
        (
            {"deployment_config": "CodeDeployDefault.LambdaCanary10Percent6Minutes"},
            "orders: code_deploy.deployment_config must be one of",
        ),
        (
            {"custom_config": {"type": "canary", "percentage": 100, "interval_minutes": 5}},
            "orders: code_deploy.custom_config.percentage",
        ),
        (
            {"custom_config": {"type": "linear", "percentage": 10, "interval_minutes": 0}},
            "orders: code_deploy.custom_config.interval_minutes",
        ),
        (
            {"custom_config": {"type": "allatonce", "percentage": 10, "interval_minutes": 1}},
            "orders: code_deploy.custom_config.type",
        ),
        (
            {"custom_config": {"type": "linear", "percentage": 10}},
            "orders: code_deploy.custom_config.interval_minutes is required",
        ),
        (
            {
                "deployment_config": "CodeDeployDefault.LambdaAllAtOnce",
                "custom_config": {"type": "linear", "percentage": 10, "interval_minutes": 1},
            },
            "orders: code_deploy.custom_config cannot be combined with deployment_config",
        ),
        ({"pre_traffic_hook": "arn:aws:sqs:us-east-1:123456789012:q"}, "orders: code_deploy.pre_traffic_hook"),
        ({"rollback_on_alarm": "yes"}, "orders: code_deploy.rollback_on_alarm"),
        ({"rollbak_on_alarm": True}, "did you mean 'rollback_on_alarm'"),
    ],
)
def test_bad_code_deploy_input_is_refused_before_anything_is_registered(
    deploy_error: Any, code_deploy: Any, message: str
) -> None:
    error, deployed = deploy_error(lambda: service(code_deploy))
    assert message in str(error)
    assert not deployed.of_type(APP) and not deployed.of_type("aws:lambda/function:Function")


def test_the_predefined_list_is_awss_lambda_configs() -> None:
    assert len(CODEDEPLOY_LAMBDA_CONFIGS) == 9
    assert all(c.startswith("CodeDeployDefault.Lambda") for c in CODEDEPLOY_LAMBDA_CONFIGS)
    for name in (
        "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
        "CodeDeployDefault.LambdaAllAtOnce",
    ):
        assert name in CODEDEPLOY_LAMBDA_CONFIGS

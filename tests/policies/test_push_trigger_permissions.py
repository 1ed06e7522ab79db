"""The permissions that CloudWatch Logs subscription filters and IoT topic rules need (issue 13, i13-logsiot), as the
policy pack sees them: `lambda-permission-scoped` already reports each principal without a source ARN, and passes
what `log_subscriptions` and `iot_rules` create (source ARN, account, alias qualifier). No new rule was needed."""

from __future__ import annotations

from typing import Any

import pytest

from lambdakit.policies._common import PERMISSION
from tests.policies.helpers import check_resource

ACCOUNT = "123456789012"
LOG_GROUP = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/billing-prod:*"
RULE_ARN = f"arn:aws:iot:us-east-1:{ACCOUNT}:rule/orders_prod_0"

#: (principal, the source ARN lambdakit gives it)
PRINCIPALS = [
    ("logs.amazonaws.com", LOG_GROUP),
    ("logs.us-east-1.amazonaws.com", LOG_GROUP),  # the regional form older docs and tools still use
    ("iot.amazonaws.com", RULE_ARN),
]


def permission(principal: str, **props: Any) -> dict[str, Any]:
    return {
        "action": "lambda:InvokeFunction",
        "function": "orders-prod",
        "qualifier": "live",
        "principal": principal,
        **props,
    }


@pytest.mark.parametrize(("principal", "source_arn"), PRINCIPALS)
def test_what_the_components_create_passes(principal: str, source_arn: str) -> None:
    props = permission(principal, sourceArn=source_arn, sourceAccount=ACCOUNT)
    for rule in ("lambda-permission-scoped", "lambda-cross-account-grant"):
        assert check_resource(rule, PERMISSION, props).violations == [], rule


@pytest.mark.parametrize(("principal", "source_arn"), PRINCIPALS)
def test_a_permission_without_source_arn_is_reported(principal: str, source_arn: str) -> None:
    out = check_resource("lambda-permission-scoped", PERMISSION, permission(principal, sourceAccount=ACCOUNT))
    assert len(out.violations) == 1, out
    assert f"service principal {principal} has no sourceArn" in out.violations[0]
    assert "confused deputy" in out.violations[0]


@pytest.mark.parametrize(("principal", "source_arn"), PRINCIPALS)
def test_a_source_arn_that_names_its_account_needs_no_source_account(principal: str, source_arn: str) -> None:
    # Log group and rule ARNs carry the account (unlike bucket ARNs), so sourceArn alone is scoped.
    props = permission(principal, sourceArn=source_arn)
    assert check_resource("lambda-permission-scoped", PERMISSION, props).violations == []


def test_a_wildcard_log_group_arn_without_an_account_is_reported() -> None:
    props = permission("logs.amazonaws.com", sourceArn="arn:aws:logs:us-east-1::log-group:*")
    out = check_resource("lambda-permission-scoped", PERMISSION, props)
    assert any("names no account" in v for v in out.violations), out

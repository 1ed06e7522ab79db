"""Issue 13's rules called directly: Kafka mappings keep failed batches, grants to other accounts and organizations
stay qualified and trusted, and Lambda targets behind an internet-facing ALB authenticate (the pass/fail pairs also
run through the analyzer protocol in test_protocol and test_explain)."""

from __future__ import annotations

from typing import Any

import pytest

from lambdakit.policies._common import EVENT_SOURCE_MAPPING, PERMISSION
from tests.policies.cases import GOOD_KAFKA_ESM, GOOD_ORG_GRANT, GOOD_SQS_ESM, with_
from tests.policies.helpers import UNKNOWN, Res, check_resource, check_stack

MSK = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/0a1b2c3d-2"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/orders-alb-0/0123456789abcdef"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"


# --- lambda-kafka-failure-destination ---------------------------------------------------------------------------------


def test_an_msk_mapping_without_a_destination_is_reported() -> None:
    msk = {"eventSourceArn": MSK, "functionName": "f:live", "topics": ["orders"], "startingPosition": "LATEST"}
    out = check_resource("lambda-kafka-failure-destination", EVENT_SOURCE_MAPPING, msk, name="orders-kafka-0")
    assert out.violations == [
        "orders-kafka-0: Kafka mapping has no on-failure destination; set destinationConfig.onFailure.destinationArn "
        "(SQS queue, SNS topic or S3 bucket) so a batch that fails every retry is kept instead of blocking or being "
        "lost."
    ]


def test_other_mappings_are_left_to_their_own_rules() -> None:
    assert check_resource("lambda-kafka-failure-destination", EVENT_SOURCE_MAPPING, GOOD_SQS_ESM).violations == []
    stream = {"eventSourceArn": "arn:aws:kinesis:us-east-1:1:stream/s", "startingPosition": "LATEST"}
    assert check_resource("lambda-kafka-failure-destination", EVENT_SOURCE_MAPPING, stream).violations == []


def test_a_source_not_known_yet_is_skipped_with_a_note() -> None:
    out = check_resource(
        "lambda-kafka-failure-destination", EVENT_SOURCE_MAPPING, {"eventSourceArn": UNKNOWN, "functionName": "f"}
    )
    assert out.violations == [] and any("whether the source is Kafka" in n for n in out.notes), out


def test_a_destination_not_known_yet_is_not_a_violation() -> None:
    kafka = with_(GOOD_KAFKA_ESM, destinationConfig={"onFailure": {"destinationArn": UNKNOWN}})
    assert check_resource("lambda-kafka-failure-destination", EVENT_SOURCE_MAPPING, kafka).violations == []


# --- lambda-cross-account-grant ---------------------------------------------------------------------------------------


def grant(**changes: Any) -> dict[str, Any]:
    return with_(GOOD_ORG_GRANT, **changes)


@pytest.mark.parametrize(
    ("props", "config", "words"),
    [
        (grant(principal="210987654321", principalOrgId=None, qualifier=None), {}, "account 210987654321 is on the "),
        (grant(qualifier="$LATEST"), {}, "on the unqualified function"),
        (
            grant(principal="arn:aws:iam::210987654321:role/x", principalOrgId=None),
            {"trustedAccounts": ["1" * 12]},
            "account 210987654321 is not in trustedAccounts",
        ),
        (
            grant(),
            {"trustedOrganizations": ["o-zzzzzzzzzz"]},
            "organization o-a1b2c3d4e5 is not in trustedOrganizations",
        ),
        (grant(principal="s3.amazonaws.com"), {}, "an organization grant names principal '*'"),
    ],
)
def test_grants_to_other_accounts_and_organizations_that_are_reported(
    props: dict[str, Any], config: dict[str, Any], words: str
) -> None:
    out = check_resource("lambda-cross-account-grant", PERMISSION, props, config)
    assert words in out.text(), out


@pytest.mark.parametrize(
    ("props", "config"),
    [
        (grant(), {"trustedOrganizations": ["o-a1b2c3d4e5"]}),
        (grant(principal="210987654321", principalOrgId=None), {"trustedAccounts": ["210987654321"]}),
        # a qualified function ARN carries the qualifier itself
        (grant(qualifier=None, function="arn:aws:lambda:us-east-1:123456789012:function:api-prod:live"), {}),
        # service principals and bare '*' are lambda-permission-scoped's business
        (grant(principal="events.amazonaws.com", principalOrgId=None, qualifier=None), {}),
        (grant(principal="*", principalOrgId=None, qualifier=None), {}),
    ],
)
def test_grants_that_pass(props: dict[str, Any], config: dict[str, Any]) -> None:
    assert check_resource("lambda-cross-account-grant", PERMISSION, props, config).violations == []


def test_an_org_grant_without_its_condition_is_public_access() -> None:
    # '*' without principalOrgId is no organization grant at all: the public-access rule refuses it.
    out = check_resource("lambda-permission-scoped", PERMISSION, grant(principalOrgId=None))
    assert "lets any AWS account invoke the function" in out.text(), out


# --- lambda-alb-target-authenticated ----------------------------------------------------------------------------------


def alb(*, internal: Any = False, actions: list[dict[str, Any]] | None = None, on: str = "rule") -> list[Res]:
    lb = Res(LOAD_BALANCER, "edge", {"internal": internal})
    listener = Res(LISTENER, "https", {"port": 443}, links={"loadBalancerArn": [lb]})
    group = Res(TARGET_GROUP, "orders-alb-0", {"targetType": "lambda", "arn": TG_ARN})
    forward = actions if actions is not None else [{"type": "forward", "order": 1, "targetGroupArn": TG_ARN}]
    if on == "listener":
        listener.props["defaultActions"] = forward
        listener.links["defaultActions"] = [group]
        return [lb, listener, group]
    rule = Res(
        LISTENER_RULE, "orders-alb-0-rule", {"actions": forward}, links={"listenerArn": [listener], "actions": [group]}
    )
    return [lb, listener, group, rule]


def test_an_internet_facing_rule_without_authentication_is_reported_on_the_rule() -> None:
    resources = alb()
    out = check_stack("lambda-alb-target-authenticated", resources)
    assert len(out.violations) == 1 and out.urns == [resources[-1].urn], out
    assert (
        "orders-alb-0-rule: forwards to Lambda target group orders-alb-0 on internet-facing load balancer edge"
        in (out.violations[0])
    )


def test_a_listener_default_action_is_checked_too() -> None:
    out = check_stack("lambda-alb-target-authenticated", alb(on="listener"))
    assert [v.split(":")[0] for v in out.violations] == ["https"], out


def test_authentication_or_an_internal_load_balancer_passes() -> None:
    oidc = [{"type": "authenticate-oidc", "order": 1}, {"type": "forward", "order": 2, "targetGroupArn": TG_ARN}]
    assert check_stack("lambda-alb-target-authenticated", alb(actions=oidc)).violations == []
    assert check_stack("lambda-alb-target-authenticated", alb(internal=True)).violations == []


def test_a_load_balancer_outside_the_stack_counts_as_internet_facing_unless_allow_listed() -> None:
    resources = [r for r in alb() if r.type != LOAD_BALANCER]
    out = check_stack("lambda-alb-target-authenticated", resources)
    assert "a load balancer not in this stack" in out.text(), out
    config = {"allowUnauthenticatedTargets": {"orders-alb-0-rule": "internal platform ALB; the handler checks mTLS"}}
    allowed = check_stack("lambda-alb-target-authenticated", resources, config)
    assert allowed.violations == [] and any("internal platform ALB" in n for n in allowed.notes), allowed


def test_instance_target_groups_are_not_lambda_targets() -> None:
    resources = alb()
    resources[2].props["targetType"] = "instance"
    assert check_stack("lambda-alb-target-authenticated", resources).violations == []

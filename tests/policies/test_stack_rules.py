"""Every stack rule called directly on small stacks linked by property dependencies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambdakit.policies.pack import RULES
from tests.policies.helpers import UNKNOWN, Res, check_stack
from tests.policies.stacks import attachment, permission, service, subnet

STACK_RULES = [r.name for r in RULES if r.kind == "stack"]


def all_of(*services: dict[str, Res], extra: list[Res] | None = None) -> list[Res]:
    return [r for s in services for r in s.values()] + list(extra or [])


@pytest.mark.parametrize("rule", STACK_RULES)
def test_a_well_formed_service_passes_every_stack_rule(rule: str) -> None:
    out = check_stack(rule, all_of(service("orders"), service("emails")))
    assert out.violations == [], f"{rule}: {out.violations}"
    assert not [n for n in out.notes if "unexpected error" in n], out.notes


# --- concurrency ------------------------------------------------------------------------------------------


def test_reserved_concurrency_must_leave_the_unreserved_minimum() -> None:
    # given two functions reserving 450 each of a 1000 limit: 100 left, exactly the minimum
    ok = check_stack("lambda-unreserved-concurrency", all_of(service("a", reserved=450), service("b", reserved=450)))
    over = check_stack("lambda-unreserved-concurrency", all_of(service("a", reserved=450), service("b", reserved=451)))
    assert ok.violations == [], ok.violations
    assert len(over.violations) == 1 and "sums to 901" in over.text() and "at least 100" in over.text(), over


def test_unreserved_minimum_and_account_limit_come_from_config() -> None:
    stack = all_of(service("a", reserved=50))
    out = check_stack("lambda-unreserved-concurrency", stack, {"accountConcurrencyLimit": 100, "minimumUnreserved": 60})
    assert "leaving 50 of the 100" in out.text(), out


def test_reservations_in_other_regions_are_summed_separately() -> None:
    a, b = service("a", reserved=450), service("b", reserved=451)
    b["fn"].props["region"] = "eu-west-1"
    assert check_stack("lambda-unreserved-concurrency", all_of(a, b)).violations == []


def test_unknown_reservation_is_left_out_of_the_sum_and_said() -> None:
    out = check_stack(
        "lambda-unreserved-concurrency", all_of(service("a", reserved=UNKNOWN), service("b", reserved=950))
    )
    assert "sums to 950" in out.text(), out
    assert any("left out of the sum" in n for n in out.notes), out.notes


# --- SQS queues -------------------------------------------------------------------------------------------


def test_queue_visibility_must_be_six_times_the_function_timeout() -> None:
    out = check_stack("lambda-sqs-queue-settings", all_of(service("orders", timeout=30, visibility=179)))
    assert out.violations == [
        "orders-queue: visibilityTimeoutSeconds is 179 but feeds orders (timeout 30 s); it must be at least "
        "6 x 30 = 180 s or messages are redelivered while still being processed."
    ]


def test_queue_default_visibility_is_thirty_seconds() -> None:
    out = check_stack("lambda-sqs-queue-settings", all_of(service("orders", timeout=10, visibility=None)))
    assert "visibilityTimeoutSeconds is 30" in out.text(), out


def test_queue_feeding_a_function_needs_a_redrive_policy() -> None:
    out = check_stack("lambda-sqs-queue-settings", all_of(service("orders", redrive=False)))
    assert "redrivePolicy" in out.text(), out


def test_queue_with_unknown_visibility_is_skipped_but_redrive_still_checked() -> None:
    out = check_stack("lambda-sqs-queue-settings", all_of(service("orders", visibility=UNKNOWN, redrive=False)))
    assert len(out.violations) == 1 and "redrivePolicy" in out.text(), out
    assert out.notes, "the skipped visibility check is not said"


def test_queues_are_matched_by_property_dependency_not_by_arn() -> None:
    s = service("orders", visibility=10)
    s["esm"].links = {"functionName": [s["alias"]]}  # same ARN string, but no dependency on the queue
    assert check_stack("lambda-sqs-queue-settings", all_of(s)).violations == []


# --- provisioned concurrency ------------------------------------------------------------------------------


def test_provisioned_concurrency_on_latest_is_reported() -> None:
    s = service("orders")
    s["pc"].props["qualifier"] = "$LATEST"
    s["pc"].links = {"functionName": [s["fn"]]}
    out = check_stack("lambda-provisioned-concurrency", all_of(s))
    assert "targets $LATEST" in out.text(), out


def test_provisioned_concurrency_on_an_alias_pointing_at_latest_is_reported() -> None:
    s = service("orders")
    s["alias"].props["functionVersion"] = "$LATEST"
    assert "points at $LATEST" in check_stack("lambda-provisioned-concurrency", all_of(s)).text()


def test_two_provisioned_configs_on_one_qualifier_are_reported() -> None:
    s = service("orders")
    twin = Res(s["pc"].type, "orders-pc-2", dict(s["pc"].props), links=dict(s["pc"].links))
    out = check_stack("lambda-provisioned-concurrency", all_of(s, extra=[twin]))
    assert "2 provisioned concurrency configs" in out.text(), out


def test_provisioned_total_must_fit_in_the_reservation() -> None:
    s = service("orders", reserved=4)
    out = check_stack("lambda-provisioned-concurrency", all_of(s))
    assert "totals 5" in out.text() and "reservedConcurrentExecutions is 4" in out.text(), out


# --- aliases ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "weights", "words"),
    [
        ("$LATEST", None, "points at $LATEST"),
        ("3", {"4": 0.1, "5": 0.1}, "2 additional versions"),
        ("3", {"$LATEST": 0.1}, "routes traffic to $LATEST"),
        ("3", {"3": 0.1}, "already points at"),
        ("3", {"4": 1.5}, "between 0 and 1"),
        ("3", {"4": 0}, "between 0 and 1"),
    ],
)
def test_alias_routing_rules(version: str, weights: dict[str, float] | None, words: str) -> None:
    s = service("orders")
    s["alias"].props["functionVersion"] = version
    if weights is not None:
        s["alias"].props["routingConfig"] = {"additionalVersionWeights": weights}
    out = check_stack("lambda-alias-versions", all_of(s))
    assert words in out.text(), out


def test_canary_alias_with_one_weighted_version_passes() -> None:
    s = service("orders")
    s["alias"].props["routingConfig"] = {"additionalVersionWeights": {"4": 0.1}}
    assert check_stack("lambda-alias-versions", all_of(s)).violations == []


def test_aliased_function_must_publish_versions() -> None:
    s = service("orders")
    s["fn"].props["publish"] = False
    out = check_stack("lambda-alias-versions", all_of(s))
    assert out.violations == [
        "orders: function has alias orders-alias but does not publish versions (publish is "
        "False); set publish = true so the alias can move between versions."
    ]
    assert out.urns == [s["fn"].urn], "the violation is not attached to the function"


# --- log groups -------------------------------------------------------------------------------------------


def test_function_without_log_group_is_reported() -> None:
    s = service("orders")
    s["fn"].depends_on = [s["policy"]]
    stack = [r for r in all_of(s) if r is not s["logs"]]
    out = check_stack("lambda-log-group", stack)
    assert "/aws/lambda/orders-prod" in out.text(), out


@pytest.mark.parametrize("how", ["dependency", "property", "name", "loggingConfig"])
def test_log_group_is_matched_several_ways(how: str) -> None:
    s = service("orders")
    s["fn"].depends_on = [s["policy"]]
    if how == "dependency":
        s["fn"].depends_on.append(s["logs"])
    elif how == "property":
        s["logs"].props["name"] = "/aws/lambda/renamed"
        s["logs"].links = {"name": [s["fn"]]}
    elif how == "loggingConfig":
        s["logs"].props["name"] = "/custom/orders"
        s["fn"].props["loggingConfig"] = {"logGroup": "/custom/orders"}
    out = check_stack("lambda-log-group", all_of(s))
    assert out.violations == [], f"{how}: {out.violations}"


def test_log_group_match_is_skipped_when_the_function_name_is_unknown() -> None:
    s = service("orders")
    s["fn"].depends_on = []
    s["fn"].props["name"] = UNKNOWN
    out = check_stack("lambda-log-group", all_of(s))
    assert out.violations == [] and out.notes, out


# --- VPC availability zones -------------------------------------------------------------------------------


def vpc_service(*azs: Any) -> list[Res]:
    s = service("orders")
    subnets = [subnet(f"subnet-{i}", az) for i, az in enumerate(azs)]
    s["fn"].props["vpcConfig"] = {"subnetIds": [f"subnet-{i}" for i in range(len(azs))], "securityGroupIds": ["sg"]}
    s["fn"].links["vpcConfig"] = subnets
    return all_of(s, extra=subnets)


def test_vpc_function_spanning_two_zones_passes() -> None:
    assert check_stack("lambda-vpc-multi-az", vpc_service("us-east-1a", "us-east-1b")).violations == []


def test_vpc_function_in_one_zone_is_reported() -> None:
    out = check_stack("lambda-vpc-multi-az", vpc_service("us-east-1a", "us-east-1a"))
    assert "span 1 availability zone" in out.text(), out


def test_vpc_function_with_one_subnet_is_reported_even_without_subnet_resources() -> None:
    s = service("orders")
    s["fn"].props["vpcConfig"] = {"subnetIds": ["subnet-external"], "securityGroupIds": ["sg"]}
    assert "1 subnet(s)" in check_stack("lambda-vpc-multi-az", all_of(s)).text()


def test_vpc_zones_unknown_are_skipped() -> None:
    out = check_stack("lambda-vpc-multi-az", vpc_service("us-east-1a", UNKNOWN), {"minAvailabilityZones": 2})
    assert out.violations == [] and out.notes, out


def test_minimum_zones_come_from_config() -> None:
    out = check_stack("lambda-vpc-multi-az", vpc_service("a", "b"), {"minAvailabilityZones": 3})
    assert "fewer than 3" in out.text(), out


# --- async failure destinations ---------------------------------------------------------------------------


def test_async_function_without_destination_or_dlq_is_reported() -> None:
    s = service("emails")
    s["invoke"].props.pop("destinationConfig")
    out = check_stack("lambda-async-failure-destination", all_of(s))
    assert "invoke config emails-async" in out.text(), out


def test_async_function_with_a_dlq_passes() -> None:
    s = service("emails", extra={"deadLetterConfig": {"targetArn": UNKNOWN}})
    s["invoke"].props.pop("destinationConfig")
    assert check_stack("lambda-async-failure-destination", all_of(s)).violations == []


def test_function_invoked_by_s3_counts_as_asynchronous() -> None:
    s = service("thumbs")
    stack = [r for r in all_of(s) if r is not s["invoke"]] + [permission("thumbs-s3", s["fn"], "s3.amazonaws.com")]
    out = check_stack("lambda-async-failure-destination", stack)
    assert "s3.amazonaws.com permission thumbs-s3" in out.text(), out


def test_function_invoked_synchronously_needs_no_destination() -> None:
    s = service("api")
    stack = [r for r in all_of(s) if r is not s["invoke"]] + [permission("api-gw", s["fn"], "apigateway.amazonaws.com")]
    assert check_stack("lambda-async-failure-destination", stack).violations == []


# --- execution role ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "words"),
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, "administrator access"),
        ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"}, "Action '*'"),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}, "every action of a service"),
        ({"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"}, "accept narrower resources"),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "NotAction"),
    ],
)
def test_role_policy_wildcards_are_reported(statement: dict[str, Any], words: str) -> None:
    s = service("orders", policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    out = check_stack("lambda-role-least-privilege", all_of(s))
    assert words in out.text(), out


def test_wildcard_resource_is_fine_for_actions_without_resource_level_permissions() -> None:
    doc = {
        "Statement": [
            {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "cloudwatch:PutMetricData"], "Resource": "*"}
        ]
    }
    assert check_stack("lambda-role-least-privilege", all_of(service("orders", policy=doc))).violations == []


def test_deny_statements_may_use_wildcards() -> None:
    doc = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    assert check_stack("lambda-role-least-privilege", all_of(service("orders", policy=doc))).violations == []


def test_admin_managed_policy_on_the_function_role_is_reported() -> None:
    s = service("orders")
    admin = attachment("orders-admin", s["role"], "arn:aws:iam::aws:policy/AdministratorAccess")
    out = check_stack("lambda-role-least-privilege", all_of(s, extra=[admin]))
    assert "AdministratorAccess" in out.text(), out


def test_roles_not_used_by_a_function_are_not_checked() -> None:
    s = service("orders")
    other = Res(s["role"].type, "ci-role", {})
    admin = attachment("ci-admin", other, "arn:aws:iam::aws:policy/AdministratorAccess")
    assert check_stack("lambda-role-least-privilege", all_of(s, extra=[other, admin])).violations == []


def test_unknown_policy_document_is_skipped_and_said() -> None:
    out = check_stack("lambda-role-least-privilege", all_of(service("orders", policy=UNKNOWN)))
    assert out.violations == [] and any("not known" in n for n in out.notes), out


# --- malformed --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", STACK_RULES)
def test_stack_rules_survive_odd_properties(rule: str) -> None:
    s = service("orders", timeout="thirty", reserved={"x": 1}, visibility=[1], policy="{not json")
    s["alias"].props["routingConfig"] = {"additionalVersionWeights": ["4"]}
    s["pc"].props["provisionedConcurrentExecutions"] = None
    s["fn"].props["vpcConfig"] = {"subnetIds": "subnet-1"}
    s["fn"].props["deadLetterConfig"] = "arn"
    out = check_stack(rule, all_of(s))
    assert not [n for n in out.notes if "unexpected error" in n], f"{rule}: {out.notes}"

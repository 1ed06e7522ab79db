"""What a LambdaService is wired to (issue 13) under Pulumi mocks: cross-account and organization callers, source
accounts of triggers in other accounts, execution role controls, Kafka/MQ/DocumentDB sources, ALB targets and the
helpers; each with its properties, alias qualifier, IAM on exact ARNs, permission scope, ordering and failing inputs."""

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
OTHER = "210987654321"
ORG = "o-a1b2c3d4e5"
FN = "aws:lambda/function:Function"
ALIAS = "aws:lambda/alias:Alias"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/rolePolicy:RolePolicy"
PERMISSION = "aws:lambda/permission:Permission"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
ESM = "aws:lambda/eventSourceMapping:EventSourceMapping"


@pytest.fixture(autouse=True, scope="module")
def _collect_failed_futures() -> Iterator[None]:
    # Failed evaluations leave futures whose finalisers log from a later test's import otherwise (see test_triggers).
    yield
    gc.collect()


def service(**extra: Any) -> LambdaService:
    return LambdaService("orders", {"code_path": "src", **extra})  # type: ignore[typeddict-item]


def statements(deployed: Any) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(deployed.one(POLICY).inputs["policy"])["Statement"]}


def assert_fails_before_anything(deploy_error: Any, message: str, **extra: Any) -> None:
    error, deployed = deploy_error(lambda: service(**extra))
    assert isinstance(error, ValueError | TypeError), f"unexpected {type(error).__name__}: {error}"
    assert re.search(message, str(error)), f"{message!r} not in {error}"
    assert deployed.run.registrations == [], [r.urn for r in deployed.run.registrations]


# --- (1) callers in other accounts and organizations ----------------------------------------------------------------


def test_account_and_org_invokers_are_permissions_on_the_alias(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            allowed_invokers=[
                {"principal": OTHER},
                {"principal": f"arn:aws:iam::{OTHER}:role/billing"},
                {"principal_org_id": ORG},
            ]
        )
    )
    alias = deployed.one(ALIAS)
    by_name = {r.name: r for r in deployed.of_type(PERMISSION)}
    assert set(by_name) == {"orders-invoker-0", "orders-invoker-1", "orders-invoker-2"}
    for name, permission in by_name.items():
        assert permission.inputs["qualifier"] == "live", f"{name}: the alias, never $LATEST"
        assert permission.inputs["function"] == "orders-test"
        assert permission.inputs["action"] == "lambda:InvokeFunction"
        assert alias.urn in permission.dependencies, f"{name} must wait for the alias it is qualified with"
    assert by_name["orders-invoker-0"].inputs["principal"] == OTHER
    assert "principalOrgId" not in by_name["orders-invoker-0"].inputs
    assert by_name["orders-invoker-1"].inputs["principal"] == f"arn:aws:iam::{OTHER}:role/billing"
    org = by_name["orders-invoker-2"].inputs
    assert org["principal"] == "*" and org["principalOrgId"] == ORG, "an org grant is '*' bound to the org"


def test_star_with_org_is_an_org_grant(deploy: Any) -> None:
    deployed = deploy(lambda: service(allowed_invokers=[{"principal": "*", "principal_org_id": ORG}]))
    inputs = deployed.one(PERMISSION).inputs
    assert (inputs["principal"], inputs["principalOrgId"]) == ("*", ORG)


@pytest.mark.parametrize(
    ("invokers", "message"),
    [
        ([{"principal": "*"}], r"orders: allowed_invokers\[0\].principal is '\*' without principal_org_id"),
        ([{}], r"allowed_invokers\[0\].principal is required unless principal_org_id is set"),
        ([{"principal": "12345"}], r"allowed_invokers\[0\].principal must be a 12-digit account id .* got '12345'"),
        (
            [{"principal": "arn:aws:iam::*:root"}],
            r"allowed_invokers\[0\].principal must be a 12-digit account id or an IAM principal ARN",
        ),
        ([{"principal": "s3.amazonaws.com"}], r"principal must be a 12-digit account id"),
        ([{"principal_org_id": "org-1"}], r"allowed_invokers\[0\].principal_org_id must be an AWS Organization id"),
        ([{"principal": OTHER, "source_arn": "x"}], r"allowed_invokers\[0\] has an unknown setting 'source_arn'"),
    ],
)
def test_bad_invokers_fail_before_anything_is_registered(deploy_error: Any, invokers: Any, message: str) -> None:
    assert_fails_before_anything(deploy_error, message, allowed_invokers=invokers)


def test_an_invoker_known_at_deploy_time_is_checked_when_it_resolves(deploy_error: Any) -> None:
    error, _ = deploy_error(lambda: service(allowed_invokers=[{"principal": pulumi.Output.from_input("*")}]))
    assert "allowed_invokers[0].principal is '*' without principal_org_id" in str(error)


def test_bucket_in_another_account_scopes_the_permission_to_it_and_leaves_the_notification_to_its_owner(
    deploy: Any,
) -> None:
    deployed = deploy(
        lambda: service(
            s3_triggers=[
                {"bucket": "partner-drop", "source_account": OTHER},
                {"bucket": "uploads"},
            ]
        )
    )
    permissions = {r.name: r.inputs for r in deployed.of_type(PERMISSION)}
    assert permissions["orders-s3-0-permission"]["sourceAccount"] == OTHER
    assert permissions["orders-s3-0-permission"]["sourceArn"] == "arn:aws:s3:::partner-drop"
    assert permissions["orders-s3-0-permission"]["qualifier"] == "live"
    assert permissions["orders-s3-1-permission"]["sourceAccount"] == ACCOUNT, "own buckets stay on this account"
    notifications = [r.inputs["bucket"] for r in deployed.of_type(NOTIFICATION)]
    assert notifications == ["uploads"], "another account's bucket configuration cannot be written from here"


def test_sns_topic_in_another_account_is_scoped_to_the_account_its_arn_names(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            sns_triggers=[
                {"topic_arn": f"arn:aws:sns:us-east-1:{OTHER}:partner-events"},
                {"topic_arn": f"arn:aws:sns:us-east-1:{ACCOUNT}:own-events"},
            ]
        )
    )
    permissions = {r.name: r.inputs for r in deployed.of_type(PERMISSION)}
    assert permissions["orders-sns-0-permission"]["sourceAccount"] == OTHER
    assert permissions["orders-sns-1-permission"]["sourceAccount"] == ACCOUNT


@pytest.mark.parametrize(
    ("triggers", "message"),
    [
        ([{"bucket": "bkt1", "source_account": "abc"}], r"s3_triggers\[0\].source_account must be a 12-digit"),
        (
            [
                {"bucket": "bkt1", "source_account": OTHER, "filter_prefix": "a/"},
                {"bucket": "bkt1", "filter_prefix": "b/"},
            ],
            r"s3_triggers\[1\].source_account must be the same for every trigger on bucket 'bkt1'",
        ),
    ],
)
def test_bad_source_accounts_fail_before_anything_is_registered(deploy_error: Any, triggers: Any, message: str) -> None:
    assert_fails_before_anything(deploy_error, message, s3_triggers=triggers)


# --- (4) execution role controls -------------------------------------------------------------------------------------

BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/team-boundary"


def test_role_controls_shape_the_generated_role_and_the_schedulers(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            role_permissions_boundary_arn=BOUNDARY,
            role_path="/lambdakit/orders/",
            role_name_prefix="orders-exec-",
            schedules=[{"expression": "cron(0 8 * * ? *)", "time_zone": "Europe/Berlin"}],
        )
    )
    role = deployed.one(ROLE, "orders-role").inputs
    assert role["permissionsBoundary"] == BOUNDARY
    assert role["path"] == "/lambdakit/orders/"
    assert role["namePrefix"] == "orders-exec-"
    scheduler = deployed.one(ROLE, "orders-scheduler-role").inputs
    assert scheduler["permissionsBoundary"] == BOUNDARY, "every role the service creates carries the boundary"
    assert scheduler["path"] == "/lambdakit/orders/"


def test_without_controls_the_role_has_no_boundary_path_or_prefix(deploy: Any) -> None:
    role = deploy(lambda: service()).one(ROLE, "orders-role").inputs
    assert not {"permissionsBoundary", "path", "namePrefix"} & set(role), role


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"role_permissions_boundary_arn": "team-boundary"}, r"role_permissions_boundary_arn must be an IAM managed"),
        (
            {"role_permissions_boundary_arn": f"arn:aws:iam::{ACCOUNT}:role/x"},
            r"role_permissions_boundary_arn must be a managed policy ARN .* got 'arn:aws:iam::123456789012:role/x'",
        ),
        ({"role_path": "lambdakit"}, r"role_path must be an IAM path: '/' or '/segment/.../'.*got 'lambdakit'"),
        ({"role_path": "/lambdakit"}, r"role_path must be an IAM path"),
        ({"role_name_prefix": "x" * 39}, r"role_name_prefix must be at most 38 characters, got 39"),
        ({"role_name_prefix": "orders exec"}, r"role_name_prefix must be a role name prefix"),
        (
            {"role_arn": f"arn:aws:iam::{ACCOUNT}:role/mine", "role_path": "/a/"},
            r"role_arn cannot be combined with role_path: those shape the generated role",
        ),
    ],
)
def test_bad_role_controls_fail_before_anything_is_registered(
    deploy_error: Any, extra: dict[str, Any], message: str
) -> None:
    assert_fails_before_anything(deploy_error, message, **extra)

"""Every class of input the fuzzer slipped past the components, one test each, and every security or correctness rule
applied to a value known only at deploy time with the same message as to a plain one."""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from lambdakit import LambdaService

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
PERMISSION = "aws:lambda/permission:Permission"
BUCKET_OBJECTS = "arn:aws:s3:::orders/*"


@pytest.fixture(autouse=True, scope="module")
def _collect_failed_futures() -> Iterator[None]:
    """Finalise the futures failed deployments leave behind here (see tests/unit/test_triggers.py), without asyncio
    formatting a traceback for each of them: every resource that waited on the failing value leaves one."""
    asyncio_log = logging.getLogger("asyncio")
    was = asyncio_log.disabled
    asyncio_log.disabled = True
    yield
    gc.collect()
    asyncio_log.disabled = was


def service(**extra: Any) -> LambdaService:
    return LambdaService("orders", {"code_path": "src", **extra})  # type: ignore[typeddict-item]


_queues = iter(range(10**6))


def late(value: Any) -> pulumi.Output[Any]:
    """An Output that resolves only once another resource exists, as a real deploy-time value does."""
    return aws.sqs.Queue(f"late-{next(_queues)}").arn.apply(lambda _: value)


# --- the fuzzer's classes: refused before anything is registered -----------------------------------------------------

PLAIN: list[tuple[str, dict[str, Any], type[Exception], str]] = [
    ("tag key not a string", {"tags": {1: "x"}}, TypeError, r"orders: tags keys must be strings, got int 1"),
    ("tag value a list", {"tags": {"team": ["a"]}}, TypeError, r"orders: tags\['team'\] must be a string, got list"),
    (
        "managed policy None",
        {"managed_policy_arns": [None]},
        TypeError,
        r"orders: managed_policy_arns\[0\] must be an IAM managed policy ARN, got None",
    ),
    (
        "kms key a map",
        {"kms_key_arn": {"arn": "x"}},
        TypeError,
        r"orders: kms_key_arn must be a KMS key ARN .*got dict \{'arn': 'x'\}",
    ),
    ("handler a list", {"handler": ["handler.handler"]}, TypeError, r"orders: handler must be a handler such as"),
    ("description a list", {"description": ["about"]}, TypeError, r"orders: description must be a string, got list"),
    (
        "queue ARN a list",
        {"sqs_sources": [{"queue_arn": ["arn:aws:sqs:us-east-1:123456789012:q"]}]},
        TypeError,
        r"orders: sqs_sources\[0\]\.queue_arn must be an SQS queue ARN, got list",
    ),
    (
        "scheduled action name a list",
        {
            "reserved_concurrency": 10,
            "provisioned_concurrency": {
                "count": 2,
                "autoscaling": {
                    "min_capacity": 2,
                    "max_capacity": 5,
                    "scheduled_actions": [{"name": ["peak"], "schedule": "cron(0 8 * * ? *)"}],
                },
            },
        },
        TypeError,
        r"orders: provisioned_concurrency\.autoscaling\.scheduled_actions\[0\]\.name must be a scheduled action name",
    ),
    ("alias name with a newline", {"alias_name": "live\n"}, ValueError, r"orders: alias_name must contain only"),
    (
        "version with a newline",
        {"stable_version": "3\n"},
        ValueError,
        r"orders: stable_version must be a published version number such as '3', got '3\\n'",
    ),
    (
        "non-ASCII digits in rate()",
        {"schedules": [{"expression": "rate(\u0663 minutes)"}]},
        ValueError,
        r"orders: schedules\[0\]\.expression rate value must be a positive whole number, got '\u0663'",
    ),
    (
        "allow_wildcard_resource 'no'",
        {
            "policy_statements": [
                {"actions": ["xray:GetSamplingRules"], "resources": ["*"], "allow_wildcard_resource": "no"}
            ]
        },
        TypeError,
        r"orders: policy_statements\[0\]\.allow_wildcard_resource must be true or false, got str 'no'",
    ),
    *[
        (
            f"{policy} attached",
            {"managed_policy_arns": [f"arn:aws:iam::aws:policy/{policy}"]},
            ValueError,
            rf"orders: managed_policy_arns\[0\] must not grant administrator or power-user access, got .*{policy}",
        )
        for policy in ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
    ],
    *[
        (
            f"resource {resource}",
            {"policy_statements": [{"actions": ["s3:GetObject"], "resources": [resource]}]},
            ValueError,
            rf"orders: policy_statements\[0\]\.resources must be exact ARNs; '{re.escape(resource)}' is a wildcard",
        )
        for resource in ("*", "arn:*", "arn:aws:*:*:*:*", "arn:aws:s3:::*")
    ],
    *[
        (
            f"action {action}",
            {"policy_statements": [{"actions": [action], "resources": [BUCKET_OBJECTS]}]},
            ValueError,
            r"orders: policy_statements\[0\]\.actions must be service-scoped actions",
        )
        for action in ("*", "*:*", "s3:*", "s3:GetObject\n")
    ],
    (
        "kms key '*'",
        {"kms_key_arn": "*"},
        ValueError,
        r"orders: kms_key_arn must be a KMS key ARN \(arn:aws:kms:<region>:<account>:key/<id>\), got '\*'",
    ),
    (
        "public URL without allow_public",
        {"function_url": {"auth_type": "NONE"}},
        ValueError,
        r"orders: function_url\.auth_type 'NONE' makes the URL callable by anyone",
    ),
    (
        "unknown runtime",
        {"runtime": "python9.99"},
        ValueError,
        r"orders: runtime must be a Lambda runtime such as python3\.12; got 'python9\.99'",
    ),
    (
        "code path too long for the file system",
        {"code_path": "x" * 5000},
        ValueError,
        r"orders: code_path must be at most 4096 characters",
    ),
    (
        "code path whose folder name is too long",
        {"code_path": "x" * 300},
        ValueError,
        r"orders: code_path could not be packaged: .*File name too long",
    ),
    (
        "code path with a NUL byte",
        {"code_path": "src\x00"},
        ValueError,
        r"orders: code_path folder 'src\\x00' does not exist",
    ),
]


@pytest.mark.parametrize(("case", "extra", "error", "message"), PLAIN, ids=[c[0] for c in PLAIN])
def test_bad_input_is_refused_before_anything_is_registered(
    deploy_error: Callable[..., Any], case: str, extra: dict[str, Any], error: type[Exception], message: str
) -> None:
    raised, deployed = deploy_error(lambda: service(**extra))
    assert isinstance(raised, error), f"{case}: expected {error.__name__}, got {type(raised).__name__}: {raised}"
    assert re.search(message, str(raised)), f"{case}: {message!r} not in {raised}"
    assert deployed.run.registrations == [], f"{case}: registered {[r.urn for r in deployed.run.registrations]}"


# --- the same rules when the value is known only at deploy time ------------------------------------------------------

#: (case, args with the bad value, args with the bad value as an Output, resource type the value must never reach)
LATE: list[tuple[str, Callable[[Callable[[Any], Any]], dict[str, Any]], str | None]] = [
    (
        "actions ['*']",
        lambda v: {"policy_statements": [{"actions": v(["*"]), "resources": [BUCKET_OBJECTS]}]},
        ROLE_POLICY,
    ),
    (
        "one action '*'",
        lambda v: {"policy_statements": [{"actions": [v("*")], "resources": [BUCKET_OBJECTS]}]},
        ROLE_POLICY,
    ),
    (
        "resource arn:*",
        lambda v: {"policy_statements": [{"actions": ["s3:GetObject"], "resources": [v("arn:*")]}]},
        ROLE_POLICY,
    ),
    (
        "AdministratorAccess",
        lambda v: {"managed_policy_arns": [v("arn:aws:iam::aws:policy/AdministratorAccess")]},
        ATTACHMENT,
    ),
    ("PowerUserAccess", lambda v: {"managed_policy_arns": [v("arn:aws:iam::aws:policy/PowerUserAccess")]}, ATTACHMENT),
    ("kms key '*'", lambda v: {"kms_key_arn": v("*")}, ROLE_POLICY),
    ("public URL auth", lambda v: {"function_url": {"auth_type": v("NONE")}}, "aws:lambda/functionUrl:FunctionUrl"),
    (
        "allow_public with IAM auth",
        lambda v: {"function_url": {"auth_type": v("AWS_IAM"), "allow_public": True}},
        PERMISSION,
    ),
    ("canary weight 1.5", lambda v: {"stable_version": "1", "canary_weight": v(1.5)}, None),
    ("stable version $LATEST", lambda v: {"stable_version": v("$LATEST")}, None),
    ("memory 50000", lambda v: {"memory_size": v(50_000)}, None),
    ("reserved concurrency 950", lambda v: {"reserved_concurrency": v(950)}, None),
    ("layer not an ARN", lambda v: {"layers": [v("utils")]}, None),
    (
        "event bus name",
        lambda v: {"event_rules": [{"event_pattern": '{"a": ["b"]}', "event_bus_name": v("bad bus")}]},
        None,
    ),
    ("environment total", lambda v: {"environment": {"BIG": v("x" * 5000)}}, None),
    (
        "schedule in scaling",
        lambda v: {
            "provisioned_concurrency": {
                "count": 1,
                "autoscaling": {
                    "min_capacity": 1,
                    "max_capacity": 2,
                    "scheduled_actions": [{"name": "peak", "schedule": v("cron(garbage)")}],
                },
            }
        },
        None,
    ),
]


@pytest.mark.parametrize(("case", "args", "guarded"), LATE, ids=[c[0] for c in LATE])
def test_a_deploy_time_value_fails_the_deployment_with_the_plain_values_message(
    deploy_error: Callable[..., Any],
    case: str,
    args: Callable[[Callable[[Any], Any]], dict[str, Any]],
    guarded: str | None,
) -> None:
    plain, registered = deploy_error(lambda: service(**args(lambda value: value)))
    assert isinstance(plain, ValueError | TypeError) and str(plain).startswith("orders: "), f"{case}: {plain!r}"
    assert registered.run.registrations == [], f"{case}: a plain value must fail before registration"

    def program() -> None:
        service(**args(late))

    deployed_error, deployed = deploy_error(program)
    assert str(plain) in str(deployed_error), f"{case}: the deployment failed with {deployed_error}, not {plain}"
    if guarded is not None:
        reached = [r.urn for r in deployed.of_type(guarded) if r.name.startswith("orders")]
        assert reached == [], f"{case}: {guarded} was registered with the bad value: {reached}"

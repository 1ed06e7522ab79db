"""Fuzz: random property dictionaries never make a rule raise (resource rules and stack rules)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdakit.policies import _common as c
from lambdakit.policies.pack import RULES
from tests.policies.helpers import UNKNOWN, Res, check_resource, check_stack

TYPES = [
    c.FUNCTION,
    c.ALIAS,
    c.EVENT_SOURCE_MAPPING,
    c.PERMISSION,
    c.FUNCTION_URL,
    c.PROVISIONED_CONCURRENCY,
    c.EVENT_INVOKE_CONFIG,
    c.QUEUE,
    c.LOG_GROUP,
    c.ROLE,
    c.ROLE_POLICY,
    c.ROLE_POLICY_ATTACHMENT,
    c.SUBNET,
    c.TOPIC,
    c.TOPIC_SUBSCRIPTION,
    c.METRIC_ALARM,
    c.KMS_KEY,
    c.TABLE,
]
KEYS = [
    "name",
    "runtime",
    "timeout",
    "memorySize",
    "tracingConfig",
    "mode",
    "environment",
    "variables",
    "reservedConcurrentExecutions",
    "vpcConfig",
    "subnetIds",
    "securityGroupIds",
    "kmsKeyArn",
    "tags",
    "description",
    "architectures",
    "codeSigningConfigArn",
    "packageType",
    "retentionInDays",
    "eventSourceArn",
    "startingPosition",
    "destinationConfig",
    "onFailure",
    "destinationArn",
    "destination",
    "maximumRetryAttempts",
    "bisectBatchOnFunctionError",
    "functionResponseTypes",
    "authorizationType",
    "cors",
    "allowOrigins",
    "principal",
    "sourceArn",
    "sourceAccount",
    "principalOrgId",
    "functionUrlAuthType",
    "qualifier",
    "functionVersion",
    "routingConfig",
    "additionalVersionWeights",
    "publish",
    "visibilityTimeoutSeconds",
    "redrivePolicy",
    "provisionedConcurrentExecutions",
    "policy",
    "inlinePolicies",
    "managedPolicyArns",
    "policyArn",
    "loggingConfig",
    "logGroup",
    "deadLetterConfig",
    "targetArn",
    "availabilityZone",
    "region",
    "Statement",
    "Action",
    "Resource",
    "Effect",
    "kmsMasterKeyId",
    "sqsManagedSseEnabled",
    "kmsKeyId",
    "pointInTimeRecovery",
    "enabled",
    "protocol",
    "topic",
    "alarmActions",
    "namespace",
    "Principal",
    "Condition",
    "NotAction",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            UNKNOWN,
            "*",
            "$LATEST",
            "Active",
            "AWS_IAM",
            "NONE",
            "arm64",
            "python3.9",
            "python3.14",
            "s3.amazonaws.com",
            "arn:aws:sqs:us-east-1:1:q",
            "arn:aws:kinesis:us-east-1:1:stream/s",
            '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}',
            '{"Statement": [{"Effect": "Allow", "Action": ["sqs:Recieve*", "iam:PassRole"], "Resource": "*"}]}',
            "alias/aws/sns",
            "lambda",
            "AWS/Lambda",
            "LATEST",
        ]
    ),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=6))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=20,
)
props = st.dictionaries(keys, values, max_size=10)
CONFIGS = st.one_of(
    st.just({}),
    st.dictionaries(
        st.sampled_from(
            [
                "maxSeconds",
                "min",
                "max",
                "requiredTags",
                "allowedNames",
                "minDays",
                "maxRetries",
                "warnDaysAhead",
                "asOf",
                "accountConcurrencyLimit",
                "minimumUnreserved",
                "visibilityTimeoutMultiplier",
                "minAvailabilityZones",
                "asyncPrincipals",
                "wildcardResourceActions",
                "allowedRuntimes",
                "secretNamePatterns",
                "allowPublicFunctions",
                "allowedActions",
            ]
        ),
        values,
        max_size=3,
    ),
)

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Each stack example runs the eight stack rules over up to eight resources; fewer examples keep the suite quick
# (a 1,500-example run found nothing more).
FUZZ_STACK = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _no_crash(notes: list[str], what: str) -> None:
    crashed = [n for n in notes if "unexpected error" in n]
    assert not crashed, f"{what}: {crashed}"


@FUZZ
@given(type_=st.sampled_from(TYPES), data=props, config=CONFIGS)
def test_resource_rules_never_raise(type_: str, data: dict[str, Any], config: dict[str, Any]) -> None:
    for rule in RULES:
        if rule.kind == "resource":
            out = check_resource(rule.name, type_, data, config)
            _no_crash(out.notes, f"{rule.name} on {type_} {data!r} with {config!r}")


@st.composite
def stacks(draw: st.DrawFn) -> list[Res]:
    resources = [Res(draw(st.sampled_from(TYPES)), f"r{i}", draw(props)) for i in range(draw(st.integers(1, 8)))]
    for r in resources:
        for key in draw(
            st.lists(st.sampled_from([*KEYS[:40], "role", "functionName", "function", "qualifier"]), max_size=3)
        ):
            r.links[key] = draw(st.lists(st.sampled_from(resources), max_size=2))
        r.depends_on = draw(st.lists(st.sampled_from(resources), max_size=2))
    return resources


@pytest.mark.slow  # 3-4 CPU-seconds, nearly all of it Hypothesis generating stacks (the rules take 0.05 s)
@FUZZ_STACK
@given(resources=stacks(), config=CONFIGS)
def test_stack_rules_never_raise(resources: list[Res], config: dict[str, Any]) -> None:
    for rule in RULES:
        if rule.kind == "stack":
            out = check_stack(rule.name, resources, config)
            _no_crash(out.notes, f"{rule.name} on {[(r.type, r.props) for r in resources]!r} with {config!r}")

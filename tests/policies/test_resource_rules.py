"""Every resource rule called directly: passing and failing properties, thresholds, unknowns, malformed values."""

from __future__ import annotations

from typing import Any

import pytest

from lambdakit.policies._common import EVENT_SOURCE_MAPPING, FUNCTION, FUNCTION_URL, LOG_GROUP, PERMISSION
from lambdakit.policies.pack import RULES
from tests.policies.cases import (
    CASES,
    GOOD_FUNCTION,
    GOOD_LOG_GROUP,
    GOOD_SQS_ESM,
    GOOD_STREAM_ESM,
    GOOD_URL,
    with_,
)
from tests.policies.helpers import UNKNOWN, check_resource

ASOF = {"asOf": "2026-11-26"}


def test_every_resource_rule_has_a_pass_and_fail_case() -> None:
    resource_rules = {r.name for r in RULES if r.kind == "resource"}
    covered = {c[0] for c in CASES}
    assert resource_rules == covered, f"rules without cases: {sorted(resource_rules - covered)}"


@pytest.mark.parametrize(("rule", "type_", "good", "bad", "words"), CASES, ids=[c[0] for c in CASES])
def test_rule_passes_good_and_reports_bad(rule: str, type_: str, good: dict, bad: dict, words: str) -> None:
    # given a well-configured resource and one with the single problem the rule looks for
    # when the rule runs on each
    passed = check_resource(rule, type_, good, ASOF, name="good")
    failed = check_resource(rule, type_, bad, ASOF, name="bad")
    # then only the bad one is reported, by name, with a message that says what is wrong
    assert passed.violations == [], f"{rule} on good {type_}: {passed.violations}"
    assert failed.violations, f"{rule} did not report bad {type_}"
    assert all(v.startswith("bad: ") for v in failed.violations), failed.violations
    assert words in failed.text(), f"{rule}: {failed.violations}"


def test_rules_ignore_other_resource_types() -> None:
    for rule in RULES:
        if rule.kind == "resource":
            out = check_resource(rule.name, "aws:s3/bucket:Bucket", {"bucket": "x"}, ASOF)
            assert out.violations == [] and out.notes == [], f"{rule.name} looked at an S3 bucket"


# --- runtimes ---------------------------------------------------------------------------------------------


def test_deprecated_runtime_message_names_dates_and_successor() -> None:
    out = check_resource("lambda-runtime-deprecated", FUNCTION, with_(GOOD_FUNCTION, runtime="nodejs20.x"), ASOF)
    assert out.violations == [
        "res: runtime nodejs20.x was deprecated on 2026-04-30 (today is 2026-11-26; create blocked from "
        "2027-02-01, update blocked from 2027-03-03); move to nodejs24.x."
    ]


def test_upcoming_deprecation_warns_within_the_window_without_a_violation() -> None:
    fn = with_(GOOD_FUNCTION, runtime="python3.11")  # deprecated 2027-06-30
    inside = check_resource("lambda-runtime-deprecated", FUNCTION, fn, {**ASOF, "warnDaysAhead": 365})
    outside = check_resource("lambda-runtime-deprecated", FUNCTION, fn, {**ASOF, "warnDaysAhead": 30})
    assert inside.violations == [] and any("2027-06-30" in n for n in inside.notes), inside
    assert outside.violations == [] and outside.notes == [], outside


def test_deprecation_compares_with_the_configured_date() -> None:
    fn = with_(GOOD_FUNCTION, runtime="python3.12")  # deprecated 2028-10-31
    assert check_resource("lambda-runtime-deprecated", FUNCTION, fn, {"asOf": "2028-11-01"}).violations
    assert not check_resource("lambda-runtime-deprecated", FUNCTION, fn, {"asOf": "2028-10-30"}).violations


def test_container_image_functions_have_no_runtime_to_check() -> None:
    image = with_(GOOD_FUNCTION, runtime=None, packageType="Image")
    for rule in ("lambda-runtime-deprecated", "lambda-runtime-latest"):
        assert check_resource(rule, FUNCTION, image, ASOF).violations == []


def test_allow_listed_runtime_is_not_reported_as_old() -> None:
    fn = with_(GOOD_FUNCTION, runtime="python3.12")
    out = check_resource("lambda-runtime-latest", FUNCTION, fn, {"allowedRuntimes": ["python3.12"]})
    assert out.violations == []


# --- thresholds -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("timeout", "bad"), [(300, False), (301, True), (0, True), (900, True)])
def test_timeout_maximum_comes_from_config(timeout: int, bad: bool) -> None:
    out = check_resource("lambda-timeout", FUNCTION, with_(GOOD_FUNCTION, timeout=timeout), {"maxSeconds": 300})
    assert bool(out.violations) is bad, f"timeout {timeout}: {out.violations}"
    if bad:
        assert f"got {timeout}" in out.text() and "1-300" in out.text()


@pytest.mark.parametrize(("reserved", "bad"), [(1, False), (500, False), (501, True), (0, True), (None, True)])
def test_reserved_concurrency_bounds(reserved: int | None, bad: bool) -> None:
    fn = with_(GOOD_FUNCTION, reservedConcurrentExecutions=reserved)
    out = check_resource("lambda-reserved-concurrency", FUNCTION, fn, {"min": 1, "max": 500})
    assert bool(out.violations) is bad, f"reserved {reserved}: {out.violations}"


@pytest.mark.parametrize(("days", "bad"), [(30, False), (3653, False), (14, True), (None, True), (0, True)])
def test_log_retention_bounds(days: int | None, bad: bool) -> None:
    out = check_resource(
        "lambda-log-retention", LOG_GROUP, with_(GOOD_LOG_GROUP, retentionInDays=days), {"minDays": 30, "maxDays": 3653}
    )
    assert bool(out.violations) is bad, f"retention {days}: {out.violations}"


def test_log_retention_skips_log_groups_of_other_services_by_default() -> None:
    other = {"name": "/ecs/web", "retentionInDays": None}
    assert check_resource("lambda-log-retention", LOG_GROUP, other).violations == []
    assert check_resource("lambda-log-retention", LOG_GROUP, other, {"onlyLambdaLogGroups": False}).violations


def test_required_tags_are_listed_when_missing() -> None:
    out = check_resource("lambda-tags-description", FUNCTION, GOOD_FUNCTION, {"requiredTags": ["Owner", "CostCenter"]})
    assert out.violations == [
        "res: missing required tags ['CostCenter'] (requiredTags); tags present: ['Environment', 'Owner']."
    ]


# --- event sources ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"maximumRetryAttempts": None}, "unset"),
        ({"maximumRetryAttempts": -1}, "got -1"),
        ({"maximumRetryAttempts": 50}, "0-10"),
        ({"bisectBatchOnFunctionError": False}, "bisectBatchOnFunctionError"),
    ],
)
def test_stream_mapping_needs_bounded_retries_and_bisect(change: dict[str, Any], words: str) -> None:
    out = check_resource("lambda-stream-failure-handling", EVENT_SOURCE_MAPPING, with_(GOOD_STREAM_ESM, **change))
    assert words in out.text(), out.violations


def test_stream_rule_recognises_dynamodb_streams_and_leaves_sqs_alone() -> None:
    ddb = with_(
        GOOD_STREAM_ESM, eventSourceArn="arn:aws:dynamodb:us-east-1:1:table/t/stream/2026", destinationConfig=None
    )
    assert check_resource("lambda-stream-failure-handling", EVENT_SOURCE_MAPPING, ddb).violations
    assert check_resource("lambda-stream-failure-handling", EVENT_SOURCE_MAPPING, GOOD_SQS_ESM).violations == []
    assert check_resource("lambda-sqs-partial-batch", EVENT_SOURCE_MAPPING, GOOD_STREAM_ESM).violations == []


def test_unknown_source_arn_with_a_starting_position_is_still_checked_as_a_stream() -> None:
    esm = with_(GOOD_STREAM_ESM, eventSourceArn=UNKNOWN, bisectBatchOnFunctionError=None)
    out = check_resource("lambda-stream-failure-handling", EVENT_SOURCE_MAPPING, esm)
    assert "bisectBatchOnFunctionError" in out.text(), out


def test_unknown_source_arn_without_a_starting_position_is_sqs() -> None:
    esm = with_(GOOD_SQS_ESM, eventSourceArn=UNKNOWN, functionResponseTypes=None)
    out = check_resource("lambda-sqs-partial-batch", EVENT_SOURCE_MAPPING, esm)
    assert "ReportBatchItemFailures" in out.text(), out
    assert check_resource("lambda-stream-failure-handling", EVENT_SOURCE_MAPPING, esm).violations == []


def test_unknown_source_kind_is_skipped_and_said() -> None:
    esm = with_(GOOD_SQS_ESM, eventSourceArn=UNKNOWN, startingPosition=UNKNOWN, functionResponseTypes=None)
    out = check_resource("lambda-sqs-partial-batch", EVENT_SOURCE_MAPPING, esm)
    assert out.violations == [] and any("eventSourceArn" in n for n in out.notes), out


def test_kafka_and_mq_mappings_are_neither_streams_nor_sqs() -> None:
    for extra in ({"queues": ["orders"]}, {"selfManagedEventSource": {"endpoints": {}}, "startingPosition": "LATEST"}):
        esm = {"functionName": "f", "eventSourceArn": UNKNOWN, **extra}
        for rule in ("lambda-sqs-partial-batch", "lambda-stream-failure-handling"):
            out = check_resource(rule, EVENT_SOURCE_MAPPING, esm)
            assert out.violations == [] and out.notes == [], f"{rule} {extra}: {out}"


# --- access -----------------------------------------------------------------------------------------------


def test_function_url_wildcard_cors_is_reported_unless_allow_listed() -> None:
    url = with_(GOOD_URL, cors={"allowOrigins": ["*"]})
    assert "allowOrigins" in check_resource("lambda-function-url-auth", FUNCTION_URL, url, name="api-url").text()
    allowed = check_resource(
        "lambda-function-url-auth", FUNCTION_URL, url, {"allowWildcardOrigins": ["api-url"]}, name="api-url"
    )
    assert allowed.violations == []


def test_public_function_url_can_be_allow_listed_by_function_name() -> None:
    url = with_(GOOD_URL, authorizationType="NONE")
    out = check_resource("lambda-function-url-auth", FUNCTION_URL, url, {"allowPublicUrls": ["api-prod"]})
    assert out.violations == []


@pytest.mark.parametrize(
    ("props", "words"),
    [
        ({"principal": "*"}, "principal '*'"),
        ({"principal": "s3.amazonaws.com", "sourceArn": "arn:aws:s3:::b"}, "sourceAccount"),
        ({"principal": "sns.amazonaws.com"}, "sourceArn"),
    ],
)
def test_permission_needs_a_source(props: dict[str, Any], words: str) -> None:
    out = check_resource("lambda-permission-scoped", PERMISSION, {"action": "lambda:InvokeFunction", **props})
    assert words in out.text(), out.violations


@pytest.mark.parametrize(
    "props",
    [
        {"principal": "*", "sourceAccount": "123456789012"},
        {"principal": "*", "principalOrgId": "o-abc"},
        {"principal": "s3.amazonaws.com", "sourceArn": "arn:aws:s3:::b", "sourceAccount": "123456789012"},
        {"principal": "123456789012"},
        {"principal": "alexa-appkit.amazon.com", "eventSourceToken": "amzn1.ask.skill.x"},
        {"principal": "sns.amazonaws.com", "sourceArn": UNKNOWN},
    ],
)
def test_scoped_permissions_pass(props: dict[str, Any]) -> None:
    out = check_resource("lambda-permission-scoped", PERMISSION, {"action": "lambda:InvokeFunction", **props})
    assert out.violations == [], f"{props}: {out.violations}"


# --- secrets ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STRIPE", "sk_live_abcdefghijklmnopqrstuvwx"),
        ("CONFIG", "AKIAABCDEFGHIJKLMNOP"),
        ("DATABASE_URL", "postgres://app:s3cret@db.internal/app"),
        ("GITHUB", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
        ("BLOB", "q8Zr3kLx9Pw2Vn7Tb5Hy1Jc6Mf4Gd0Sa"),
        ("API_TOKEN", "plain-token-value"),
    ],
)
def test_secret_like_environment_variables_are_reported(name: str, value: str) -> None:
    fn = with_(GOOD_FUNCTION, environment={"variables": {name: value}})
    out = check_resource("lambda-no-secrets-in-environment", FUNCTION, fn)
    assert name in out.text(), f"{name}={value!r} not reported"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DB_PASSWORD_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:db"),
        ("API_TOKEN_PARAM", "/prod/api/token"),
        ("TOKEN_TTL", "300"),
        ("LOG_LEVEL", "INFO"),
        ("SENDER_ADDRESS", "orders@example.com"),
    ],
)
def test_references_to_secrets_are_fine(name: str, value: str) -> None:
    fn = with_(GOOD_FUNCTION, environment={"variables": {name: value}})
    assert check_resource("lambda-no-secrets-in-environment", FUNCTION, fn).violations == []


def test_secret_name_can_be_allow_listed() -> None:
    fn = with_(GOOD_FUNCTION, environment={"variables": {"DB_PASSWORD": "hunter2"}})
    out = check_resource("lambda-no-secrets-in-environment", FUNCTION, fn, {"allowedNames": ["DB_PASS.*"]})
    assert out.violations == []


# --- unknown values during preview ------------------------------------------------------------------------


def test_unknown_values_are_skipped_with_a_note_and_known_parts_still_checked() -> None:
    # given a function whose environment variables are known but whose tracing mode is unknown
    fn = with_(
        GOOD_FUNCTION,
        tracingConfig={"mode": UNKNOWN},
        timeout=UNKNOWN,
        environment={"variables": {"DB_PASSWORD": "hunter2", "LATER": UNKNOWN}},
    )
    # when the rules run
    tracing = check_resource("lambda-tracing-active", FUNCTION, fn)
    timeout = check_resource("lambda-timeout", FUNCTION, fn)
    secrets = check_resource("lambda-no-secrets-in-environment", FUNCTION, fn)
    # then the unknown parts are skipped and said, and the known secret is still a violation
    assert tracing.violations == [] and any("tracingConfig.mode" in n for n in tracing.notes), tracing
    assert timeout.violations == [] and any("timeout" in n for n in timeout.notes), timeout
    assert [v for v in secrets.violations if "DB_PASSWORD" in v], secrets
    assert any("LATER" in n for n in secrets.notes), secrets


def test_unknown_whole_objects_are_skipped() -> None:
    fn = with_(GOOD_FUNCTION, environment=UNKNOWN, vpcConfig=UNKNOWN, architectures=UNKNOWN, tags=UNKNOWN)
    for rule in ("lambda-no-secrets-in-environment", "lambda-in-vpc", "lambda-arm64", "lambda-tags-description"):
        out = check_resource(rule, FUNCTION, fn, {"requiredTags": ["Owner"]})
        assert out.violations == [], f"{rule}: {out.violations}"


# --- malformed properties ---------------------------------------------------------------------------------


MALFORMED: list[dict[str, Any]] = [
    {},
    {"runtime": 3, "timeout": "abc", "memorySize": [], "tracingConfig": "Active", "environment": "x"},
    {"runtime": None, "timeout": None, "environment": {"variables": ["A", "B"]}, "tags": "x", "vpcConfig": 5},
    {"timeout": True, "memorySize": {"a": 1}, "reservedConcurrentExecutions": "many", "architectures": "arm64"},
    {"environment": {"variables": {"A": 1, "B": None, "C": {"x": 1}}}, "description": 7},
    {"timeout": float("nan"), "memorySize": 1e308, "retentionInDays": -5},
]


@pytest.mark.parametrize("props", MALFORMED)
def test_malformed_properties_never_crash_a_rule(props: dict[str, Any]) -> None:
    types = [FUNCTION, LOG_GROUP, EVENT_SOURCE_MAPPING, FUNCTION_URL, PERMISSION]
    for rule in RULES:
        if rule.kind != "resource":
            continue
        for type_ in types:
            out = check_resource(rule.name, type_, props)
            assert not [n for n in out.notes if "unexpected error" in n], f"{rule.name} on {type_} {props}: {out}"


def test_non_numeric_timeout_is_reported_with_the_value() -> None:
    out = check_resource("lambda-timeout", FUNCTION, with_(GOOD_FUNCTION, timeout="abc"))
    assert out.violations == ["res: timeout must be a number, got 'abc'."]


def test_stream_retries_given_as_a_string_number_are_read() -> None:
    esm = with_(GOOD_STREAM_ESM, maximumRetryAttempts="3")
    assert check_resource("lambda-stream-failure-handling", EVENT_SOURCE_MAPPING, esm).violations == []


def test_public_permission_can_be_allow_listed_by_function() -> None:
    props = {"action": "lambda:InvokeFunction", "function": "api-prod", "principal": "*", "functionUrlAuthType": "NONE"}
    assert check_resource("lambda-permission-scoped", PERMISSION, props).violations
    assert (
        check_resource("lambda-permission-scoped", PERMISSION, props, {"allowPublicFor": ["api-prod"]}).violations == []
    )


def test_retention_must_be_a_value_cloudwatch_accepts() -> None:
    out = check_resource("lambda-log-retention", LOG_GROUP, with_(GOOD_LOG_GROUP, retentionInDays=45))
    assert "not a value CloudWatch Logs accepts" in out.text(), out


@pytest.mark.parametrize("default_tags", [{"tags": {"Owner": "team"}}, '{"tags": {"Owner": "team"}}'])
def test_provider_default_tags_count_as_tags(default_tags: object) -> None:
    from pulumi_policy import PolicyProviderResource, ResourceValidationArgs
    from pulumi_policy.proxy import unknown_checking_proxy

    from lambdakit.policies.pack import RULES_BY_NAME
    from tests.policies.helpers import _opts

    provider = PolicyProviderResource(
        "pulumi:providers:aws", unknown_checking_proxy({"defaultTags": default_tags}), "urn:p", "default"
    )
    found: list[str] = []
    args = ResourceValidationArgs(
        FUNCTION,
        unknown_checking_proxy(with_(GOOD_FUNCTION, tags={})),
        "urn:f",
        "f",
        _opts(),
        provider,
        {"requiredTags": ["Owner", "CostCenter"]},
    )
    RULES_BY_NAME["lambda-tags-description"].validate_resource(args, lambda m, u=None: found.append(m))
    assert found == ["f: missing required tags ['CostCenter'] (requiredTags); tags present: ['Owner']."]


def test_a_rule_that_breaks_reports_instead_of_passing_silently(monkeypatch: pytest.MonkeyPatch) -> None:
    from lambdakit.policies.pack import RULES_BY_NAME

    def broken(ctx: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(RULES_BY_NAME["lambda-timeout"], "resource_check", broken)
    out = check_resource("lambda-timeout", FUNCTION, GOOD_FUNCTION)
    assert out.violations == [
        "res: the rule could not be evaluated (KeyError('boom')); this is a bug in the policy pack."
    ]
    assert any("unexpected error" in n for n in out.notes)

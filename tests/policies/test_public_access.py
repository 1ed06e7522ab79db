"""Public access as AWS Security Hub (Lambda.1) and AWS Config define it, directly and through the protocol."""

from __future__ import annotations

from typing import Any

import pytest

from lambdakit.policies._common import FUNCTION_URL, PERMISSION
from lambdakit.policies.access import permission_statement, public_statement
from lambdakit.policies.pack import load_config
from tests.policies.cases import GOOD_URL, with_
from tests.policies.helpers import UNKNOWN, Analyzer, check_resource

ACCOUNT = "123456789012"
BASE = {"action": "lambda:InvokeFunction", "function": "arn:aws:lambda:us-east-1:123456789012:function:api-prod:live"}


def permission(**props: Any) -> dict[str, Any]:
    return {**BASE, **props}


@pytest.mark.parametrize(
    ("props", "words"),
    [
        ({"principal": "*"}, "lets any AWS account invoke"),
        ({"principal": "*", "sourceArn": "arn:aws:s3:::uploads"}, "names no account"),
        ({"principal": "*", "functionUrlAuthType": "NONE"}, "makes the function URL public"),
        ({"principal": "*", "invokedViaFunctionUrl": True}, "through the function URL"),
        ({"principal": "*", "sourceAccount": ""}, "lets any AWS account invoke"),
    ],
)
def test_public_permissions_are_reported(props: dict[str, Any], words: str) -> None:
    out = check_resource("lambda-permission-scoped", PERMISSION, permission(**props))
    assert out.violations and words in out.text() and "Security Hub Lambda.1" in out.text(), out.violations


@pytest.mark.parametrize(
    "props",
    [
        {"principal": "*", "sourceAccount": ACCOUNT},
        {"principal": "*", "principalOrgId": "o-abc123"},
        {"principal": "*", "sourceArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:orders"},
        {"principal": ACCOUNT},
        {"principal": f"arn:aws:iam::{ACCOUNT}:role/caller"},
    ],
)
def test_permissions_tied_to_an_account_or_organization_are_not_public(props: dict[str, Any]) -> None:
    out = check_resource("lambda-permission-scoped", PERMISSION, permission(**props))
    assert out.violations == [], out.violations


def test_an_unknown_source_arn_is_skipped_and_said() -> None:
    out = check_resource("lambda-permission-scoped", PERMISSION, permission(principal="*", sourceArn=UNKNOWN))
    assert out.violations == [] and any("names an account" in n for n in out.notes), out


def test_a_service_principal_with_an_accountless_source_arn_needs_source_account() -> None:
    props = permission(principal="s3.amazonaws.com", sourceArn="arn:aws:s3:::uploads")
    assert "sourceAccount" in check_resource("lambda-permission-scoped", PERMISSION, props).text()
    assert check_resource("lambda-permission-scoped", PERMISSION, {**props, "sourceAccount": ACCOUNT}).violations == []


@pytest.mark.parametrize(
    ("statement", "public"),
    [
        ({"Effect": "Allow", "Principal": "*"}, True),
        ({"Effect": "Allow", "Principal": {"AWS": "*"}}, True),
        ({"Effect": "Allow", "Principal": {"AWS": ["*"]}}, True),
        (
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Condition": {"StringEquals": {"aws:SourceOwner": ACCOUNT}}},
            False,
        ),
        ({"Effect": "Allow", "Principal": "*", "Condition": {"StringEquals": {"AWS:SourceAccount": ACCOUNT}}}, False),
        ({"Effect": "Allow", "Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}, False),
        ({"Effect": "Allow", "Principal": "*", "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::b"}}}, True),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:sqs:r:{ACCOUNT}:q"}},
            },
            False,
        ),
        ({"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}}, False),
        ({"Effect": "Deny", "Principal": "*"}, False),
    ],
)
def test_policy_statements_are_public_as_aws_decides(statement: dict[str, Any], public: bool) -> None:
    assert bool(public_statement(statement)) is public, statement


def test_a_permission_becomes_the_statement_aws_writes() -> None:
    statement = permission_statement({"principal": "*", "sourceAccount": ACCOUNT, "sourceArn": "arn:aws:s3:::b"})
    assert statement["Condition"] == {
        "StringEquals": {"AWS:SourceAccount": ACCOUNT},
        "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"},
    }


def test_a_public_function_passes_when_allow_listed_with_a_reason_which_is_said() -> None:
    reason = "Stripe webhook; the handler verifies the signature"
    config = {"allowPublicFunctions": {"api-prod": reason}}
    public = permission(principal="*", functionUrlAuthType="NONE")
    out = check_resource("lambda-permission-scoped", PERMISSION, public, config)
    assert out.violations == [] and any(reason in n and "allowPublicFunctions" in n for n in out.notes), out
    url = check_resource("lambda-function-url-auth", FUNCTION_URL, with_(GOOD_URL, authorizationType="NONE"), config)
    assert url.violations == [] and any(reason in n for n in url.notes), url


def test_an_allow_list_entry_without_a_reason_is_a_violation() -> None:
    config = {"allowPublicFunctions": {"api-prod": " "}}
    out = check_resource("lambda-permission-scoped", PERMISSION, permission(principal="*"), config)
    assert len(out.violations) == 1 and "without a reason" in out.text(), out.violations


def test_allow_listing_another_function_does_not_help() -> None:
    config = {"allowPublicFunctions": {"billing-prod": "public billing webhook"}}
    out = check_resource("lambda-permission-scoped", PERMISSION, permission(principal="*"), config)
    assert out.violations, out


def test_the_older_name_lists_still_allow_but_say_there_is_no_reason() -> None:
    out = check_resource(
        "lambda-permission-scoped", PERMISSION, permission(principal="*"), {"allowPublicFor": ["api-prod"]}
    )
    assert out.violations == [] and any("without a reason" in n for n in out.notes), out


def test_public_access_is_mandatory_in_prod_and_the_reason_reaches_the_engine_log(analyzer: Analyzer) -> None:
    # given prod levels
    config = load_config("prod")
    analyzer.configure(config)
    public = permission(principal="*", sourceArn="arn:aws:s3:::uploads")
    found = [v for v in analyzer.analyze(PERMISSION, public, name="public") if v.policy == "lambda-permission-scoped"]
    assert found and all(v.level == "mandatory" for v in found), found
    # when the function is allow-listed with a reason
    config["lambda-permission-scoped"] = {
        "enforcementLevel": "mandatory",
        "allowPublicFunctions": {"api-prod": "partner uploads from any account, verified in the handler"},
    }
    analyzer.configure(config)
    mark = len(analyzer.engine.log.notes)
    found = [v for v in analyzer.analyze(PERMISSION, public, name="public") if v.policy == "lambda-permission-scoped"]
    # then it passes, and the reason is written where the CLI shows it (the engine log, the gate's report)
    assert found == []
    assert any("partner uploads from any account" in n for n in analyzer.notes_since(mark))

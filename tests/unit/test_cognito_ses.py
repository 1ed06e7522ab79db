"""Cognito user pool triggers and SES receipt rules (issue 13, item 3) under Pulumi mocks: the permission on the alias
(principal, source ARN, source account), the lambda_config handed to the pool's owner and the order it imposes, the
receipt rule's properties and its order after the permission, and the failing inputs."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from lambdakit import LambdaService
from lambdakit.triggers.cognito import canonical_trigger, trigger_fields

ACCOUNT = "123456789012"  # the mocks' deploying account
OTHER = "210987654321"
REGION = "us-east-1"
PERMISSION = "aws:lambda/permission:Permission"
ALIAS = "aws:lambda/alias:Alias"
POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POOL = "aws:cognito/userPool:UserPool"
RECEIPT_RULE = "aws:ses/receiptRule:ReceiptRule"
POOL_ID = f"{REGION}_AbCdEf123"
POOL = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{POOL_ID}"
OTHER_POOL = f"arn:aws:cognito-idp:{REGION}:{OTHER}:userpool/{REGION}_Other42"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(autouse=True, scope="module")
def _collect_failed_futures() -> Iterator[None]:
    # Failed evaluations leave futures whose finalisers log from a later test's import otherwise (see test_triggers).
    yield
    gc.collect()


def service(**extra: Any) -> LambdaService:
    return LambdaService("orders", {"code_path": "src", **extra})  # type: ignore[typeddict-item]


def assert_fails_before_anything(deploy_error: Any, message: str, **extra: Any) -> None:
    error, deployed = deploy_error(lambda: service(**extra))
    assert isinstance(error, ValueError | TypeError), f"unexpected {type(error).__name__}: {error}"
    assert re.search(message, str(error)), f"{message!r} not in {error}"
    assert deployed.run.registrations == [], [r.urn for r in deployed.run.registrations]


# --- Cognito user pool triggers ---------------------------------------------------------------------------------------


def test_trigger_names_come_from_the_providers_lambda_config_args() -> None:
    names = trigger_fields()
    for expected in ("pre_sign_up", "post_confirmation", "pre_token_generation", "custom_message"):
        assert expected in names
    assert "define_auth_challenge" in names and "custom_sms_sender" in names
    assert "kms_key_id" not in names, "the key names no function"
    assert "pre_token_generation_config" not in names, "only versions pre_token_generation"
    assert canonical_trigger("PreSignUp") == "pre_sign_up"
    assert canonical_trigger("CustomSMSSender") == "custom_sms_sender", "CloudFormation's spelling"
    assert canonical_trigger("pre_signup_typo") is None


def test_cognito_pool_gets_a_permission_on_the_alias_and_its_lambda_config_waits_for_it(deploy: Any) -> None:
    def program() -> None:
        svc = service(cognito_triggers=[{"user_pool_arn": POOL, "triggers": ["PreSignUp", "post_confirmation"]}])
        # What the pool's owner writes: the mapping as the pool's lambda_config.
        aws.cognito.UserPool("users", lambda_config=svc.cognito_lambda_config(POOL))

    deployed = deploy(program)
    permission = deployed.one(PERMISSION, "orders-cognito-0-permission")
    assert permission.inputs["principal"] == "cognito-idp.amazonaws.com"
    assert permission.inputs["qualifier"] == "live", "the alias, never $LATEST"
    assert permission.inputs["function"] == "orders-test"
    assert permission.inputs["sourceArn"] == POOL
    assert permission.inputs["sourceAccount"] == ACCOUNT
    assert deployed.one(ALIAS).urn in permission.dependencies
    pool = deployed.one(USER_POOL, "users")
    config = pool.inputs["lambdaConfig"]
    assert set(config) == {"preSignUp", "postConfirmation"}
    assert config["preSignUp"].endswith(":function:orders-test:live")
    assert config["postConfirmation"] == config["preSignUp"]
    assert permission.urn in pool.dependencies, "the pool is created after it may invoke the alias"


def test_pool_by_id_builds_its_arn_and_versions_and_senders_fill_the_config(deploy: Any) -> None:
    holder: dict[str, Any] = {}

    def program() -> None:
        svc = service(
            cognito_triggers=[
                {
                    "user_pool_id": POOL_ID,
                    "triggers": ["pre_token_generation", "custom_email_sender"],
                    "pre_token_generation_version": "V2_0",
                    "kms_key_arn": KEY,
                }
            ]
        )
        config = svc.cognito_lambda_config()  # the only pool: no need to name it
        holder["keys"] = sorted(config)
        aws.cognito.UserPool("users", lambda_config=config)

    deployed = deploy(program)
    expected = ["custom_email_sender", "kms_key_id", "pre_token_generation", "pre_token_generation_config"]
    assert holder["keys"] == expected
    permission = deployed.one(PERMISSION, "orders-cognito-0-permission")
    assert permission.inputs["sourceArn"] == POOL, "the pool id becomes the ARN in this account and its region"
    config = deployed.one(USER_POOL).inputs["lambdaConfig"]
    alias_arn = config["preTokenGeneration"]
    assert config["preTokenGenerationConfig"] == {"lambdaArn": alias_arn, "lambdaVersion": "V2_0"}
    assert config["customEmailSender"] == {"lambdaArn": alias_arn, "lambdaVersion": "V1_0"}
    assert config["kmsKeyId"] == KEY
    decrypt = {s["Sid"]: s for s in json.loads(deployed.one(POLICY).inputs["policy"])["Statement"]}
    assert decrypt["CognitoSenderKey0"]["Action"] == ["kms:Decrypt"]
    assert decrypt["CognitoSenderKey0"]["Resource"] == KEY, "the exact key, not *"


def test_a_pool_of_another_account_scopes_the_permission_to_that_account(deploy: Any) -> None:
    deployed = deploy(lambda: service(cognito_triggers=[{"user_pool_arn": OTHER_POOL, "triggers": ["user_migration"]}]))
    permission = deployed.one(PERMISSION, "orders-cognito-0-permission")
    assert permission.inputs["sourceAccount"] == OTHER
    assert permission.inputs["sourceArn"] == OTHER_POOL


def test_cognito_lambda_config_names_the_pool_when_several_are_listed(deploy: Any) -> None:
    errors: list[str] = []

    def program() -> None:
        svc = service(
            cognito_triggers=[
                {"user_pool_arn": POOL, "triggers": ["pre_sign_up"]},
                {"user_pool_arn": OTHER_POOL, "triggers": ["custom_message"]},
            ]
        )
        assert list(svc.cognito_lambda_config(OTHER_POOL)) == ["custom_message"]
        for call in (lambda: svc.cognito_lambda_config(), lambda: svc.cognito_lambda_config("eu-west-1_Nope")):
            try:
                call()
            except ValueError as exc:
                errors.append(str(exc))
        plain = service_without_triggers()
        try:
            plain.cognito_lambda_config()
        except ValueError as exc:
            errors.append(str(exc))

    deploy(program)
    assert errors[0] == "orders: cognito_lambda_config() needs the user pool: cognito_triggers lists 2 pools"
    assert errors[1].startswith("orders: cognito_lambda_config('eu-west-1_Nope') names no pool of cognito_triggers")
    assert POOL in errors[1]
    assert errors[2] == "plain: cognito_lambda_config() needs cognito_triggers, and none is set"


def service_without_triggers() -> LambdaService:
    return LambdaService("plain", {"code_path": "src"})


def test_a_pool_arn_known_at_deploy_time_is_checked_when_it_resolves(deploy_error: Any) -> None:
    error, _ = deploy_error(
        lambda: service(
            cognito_triggers=[{"user_pool_arn": pulumi.Output.from_input("arn:aws:sns:x"), "triggers": ["pre_sign_up"]}]
        )
    )
    assert "cognito_triggers[0].user_pool_arn must be a user pool ARN" in str(error)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"triggers": ["pre_sign_up"]}, r"cognito_triggers\[0\] needs exactly one of user_pool_arn and user_pool_id$"),
        (
            {"user_pool_arn": POOL, "user_pool_id": POOL_ID, "triggers": ["pre_sign_up"]},
            r"needs exactly one of user_pool_arn and user_pool_id, got both",
        ),
        ({"user_pool_arn": POOL}, r"cognito_triggers\[0\].triggers is required"),
        ({"user_pool_arn": POOL, "triggers": []}, r"cognito_triggers\[0\].triggers must list at least 1, got 0"),
        (
            {"user_pool_arn": POOL, "triggers": ["pre_signup_hook"]},
            r"cognito_triggers\[0\].triggers\[0\] must be a user pool trigger \(.*pre_sign_up.*\); "
            r"got 'pre_signup_hook'",
        ),
        (
            {"user_pool_arn": POOL, "triggers": ["PreSignUp", "pre_sign_up"]},
            r"triggers\[1\] names the trigger 'pre_sign_up' twice",
        ),
        ({"user_pool_arn": POOL, "triggers": "pre_sign_up"}, r"triggers must be a list of trigger names"),
        (
            {"user_pool_arn": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:identitypool/x", "triggers": ["pre_sign_up"]},
            r"user_pool_arn must be a user pool ARN",
        ),
        ({"user_pool_id": "AbCdEf123", "triggers": ["pre_sign_up"]}, r"user_pool_id must be a user pool id"),
        (
            {"user_pool_arn": POOL, "triggers": ["pre_token_generation"], "pre_token_generation_version": "V4_0"},
            r"pre_token_generation_version must be one of V1_0, V2_0, V3_0; got 'V4_0'",
        ),
        (
            {"user_pool_arn": POOL, "triggers": ["pre_sign_up"], "pre_token_generation_version": "V2_0"},
            r"pre_token_generation_version needs the pre_token_generation trigger",
        ),
        (
            {"user_pool_arn": POOL, "triggers": ["custom_sms_sender"]},
            r"kms_key_arn is required with custom_sms_sender: Cognito encrypts the codes",
        ),
        (
            {"user_pool_arn": POOL, "triggers": ["pre_sign_up"], "kms_key_arn": KEY},
            r"kms_key_arn is only for custom_email_sender or custom_sms_sender",
        ),
        (
            {"user_pool_arn": POOL, "triggers": ["custom_sms_sender"], "kms_key_arn": "arn:aws:sqs:us-east-1:1:q"},
            r"kms_key_arn must be a KMS key ARN",
        ),
        ({"user_pool_arn": POOL, "trigger": ["pre_sign_up"]}, r"unknown setting 'trigger'; did you mean 'triggers'"),
    ],
    ids=lambda v: v[:50] if isinstance(v, str) else None,
)
def test_bad_cognito_triggers_fail_before_anything_is_registered(deploy_error: Any, entry: Any, message: str) -> None:
    assert_fails_before_anything(deploy_error, message, cognito_triggers=[entry])


def test_one_pool_listed_twice_is_refused(deploy_error: Any) -> None:
    assert_fails_before_anything(
        deploy_error,
        r"cognito_triggers\[1\] names the user pool .* again \(already cognito_triggers\[0\]\)",
        cognito_triggers=[
            {"user_pool_arn": POOL, "triggers": ["pre_sign_up"]},
            {"user_pool_arn": POOL, "triggers": ["post_confirmation"]},
        ],
    )


# --- SES receipt rules ------------------------------------------------------------------------------------------------


def test_ses_rule_invokes_the_alias_after_its_permission(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            ses_rules=[
                {
                    "rule_set_name": "inbound",
                    "rule_name": "orders-mail",
                    "recipients": ["orders@example.com", "example.org"],
                    "invocation_type": "RequestResponse",
                    "after": "spam-filter",
                    "scan_enabled": True,
                    "tls_policy": "Require",
                }
            ]
        )
    )
    permission = deployed.one(PERMISSION, "orders-ses-0-permission")
    assert permission.inputs["principal"] == "ses.amazonaws.com"
    assert permission.inputs["qualifier"] == "live"
    assert permission.inputs["function"] == "orders-test"
    assert permission.inputs["sourceArn"] == (
        f"arn:aws:ses:{REGION}:{ACCOUNT}:receipt-rule-set/inbound:receipt-rule/orders-mail"
    )
    assert permission.inputs["sourceAccount"] == ACCOUNT
    rule = deployed.one(RECEIPT_RULE, "orders-ses-0")
    assert rule.inputs["name"] == "orders-mail" and rule.inputs["ruleSetName"] == "inbound"
    assert rule.inputs["recipients"] == ["orders@example.com", "example.org"]
    assert rule.inputs["after"] == "spam-filter"
    assert rule.inputs["scanEnabled"] is True and rule.inputs["tlsPolicy"] == "Require" and rule.inputs["enabled"]
    [action] = rule.inputs["lambdaActions"]
    assert action["functionArn"].endswith(":function:orders-test:live"), "the alias is invoked"
    assert action["invocationType"] == "RequestResponse" and action["position"] == 1
    assert permission.urn in rule.dependencies, "SES checks it may invoke the function when the rule is created"


def test_ses_rule_defaults(deploy: Any) -> None:
    deployed = deploy(lambda: service(ses_rules=[{"rule_set_name": "inbound", "rule_name": "all-mail"}]))
    rule = deployed.one(RECEIPT_RULE)
    assert "recipients" not in rule.inputs, "no recipients: every verified domain"
    assert rule.inputs["tlsPolicy"] == "Optional" and rule.inputs["scanEnabled"] is False
    assert "after" not in rule.inputs
    assert rule.inputs["lambdaActions"][0]["invocationType"] == "Event"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"rule_name": "r"}, r"ses_rules\[0\].rule_set_name is required"),
        ({"rule_set_name": "inbound"}, r"ses_rules\[0\].rule_name is required"),
        ({"rule_set_name": "inbound", "rule_name": "-bad"}, r"ses_rules\[0\].rule_name must be a name \(letters"),
        ({"rule_set_name": "in bound", "rule_name": "r"}, r"ses_rules\[0\].rule_set_name must be a name"),
        ({"rule_set_name": "inbound", "rule_name": "r" * 65}, r"rule_name must be at most 64 characters, got 65"),
        (
            {"rule_set_name": "inbound", "rule_name": "r", "invocation_type": "Sync"},
            r"ses_rules\[0\].invocation_type must be one of Event, RequestResponse; got 'Sync'",
        ),
        (
            {"rule_set_name": "inbound", "rule_name": "r", "tls_policy": "required"},
            r"tls_policy must be one of Require, Optional; got 'required'",
        ),
        ({"rule_set_name": "inbound", "rule_name": "r", "after": "r"}, r"ses_rules\[0\].after names the rule itself"),
        (
            {"rule_set_name": "inbound", "rule_name": "r", "recipients": ["@example.com"]},
            r"recipients\[0\] must be an email address or a domain such as example.com, got '@example.com'",
        ),
        (
            {"rule_set_name": "inbound", "rule_name": "r", "recipients": ["localhost"]},
            r"recipients\[0\] must be an email address or a domain",
        ),
        (
            {"rule_set_name": "inbound", "rule_name": "r", "recipients": ["a@example.com", "A@example.com"]},
            r"recipients\[1\] lists 'A@example.com' twice",
        ),
        (
            {"rule_set_name": "inbound", "rule_name": "r", "recipients": [f"u{i}@example.com" for i in range(101)]},
            r"ses_rules\[0\].recipients may hold at most 100, got 101",
        ),
        ({"rule_set_name": "inbound", "rule_name": "r", "scan_enabled": "yes"}, r"scan_enabled must be true or false"),
        ({"rule_set_name": "inbound", "rule_name": "r", "rule": "x"}, r"ses_rules\[0\] has an unknown setting 'rule'"),
    ],
    ids=lambda v: v[:50] if isinstance(v, str) else None,
)
def test_bad_ses_rules_fail_before_anything_is_registered(deploy_error: Any, entry: Any, message: str) -> None:
    assert_fails_before_anything(deploy_error, message, ses_rules=[entry])


def test_a_rule_named_twice_in_one_set_is_refused(deploy_error: Any) -> None:
    assert_fails_before_anything(
        deploy_error,
        r"ses_rules\[1\].rule_name names the rule 'r' of rule set 'inbound' again \(already ses_rules\[0\]\)",
        ses_rules=[{"rule_set_name": "inbound", "rule_name": "r"}, {"rule_set_name": "inbound", "rule_name": "r"}],
    )

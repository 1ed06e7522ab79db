"""The pack as the Pulumi CLI runs it: ``python -u -m pulumi.policy <engine> .`` in policies/, over gRPC.

One pack subprocess per module (fixture ``analyzer``); each test sends the Configure it needs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambdakit.policies._common import EVENT_SOURCE_MAPPING, FUNCTION, TABLE, TOPIC, TOPIC_SUBSCRIPTION
from lambdakit.policies.pack import ENVIRONMENTS, RULES, load_config, resolve
from tests.policies.cases import CASES, GOOD_FUNCTION, with_
from tests.policies.helpers import UNKNOWN, Analyzer, Res, urn_of
from tests.policies.stacks import service

ALL_MANDATORY: dict[str, Any] = {"all": "mandatory", "lambda-runtime-deprecated": {"asOf": "2026-11-26"}}


def test_analyzer_info_describes_every_rule(analyzer: Analyzer) -> None:
    # given the pack started as the CLI starts it, when asked for its info
    info = {p.name: p for p in analyzer.policies}
    # then every rule is there with its metadata and schema
    assert analyzer.info.name == "lambdakit"
    assert set(info) == {r.name for r in RULES}
    for rule in RULES:
        p = info[rule.name]
        assert p.kind == rule.kind, rule.name
        assert p.severity != "unspecified" and p.remediation and p.url.startswith("https://"), rule.name
        assert set(p.schema) == set(rule.config), rule.name
        assert p.level == rule.default_level.value, rule.name


@pytest.mark.parametrize(("rule", "type_", "good", "bad", "words"), CASES, ids=[c[0] for c in CASES])
def test_resource_rule_through_the_protocol(
    analyzer: Analyzer, rule: str, type_: str, good: dict, bad: dict, words: str
) -> None:
    analyzer.configure(ALL_MANDATORY)
    passed = [v for v in analyzer.analyze(type_, good, name="good") if v.policy == rule]
    failed = [v for v in analyzer.analyze(type_, bad, name="bad") if v.policy == rule]
    assert passed == [], f"{rule} on good {type_}: {passed}"
    assert failed, f"{rule} did not report bad {type_}"
    assert all(v.level == "mandatory" and v.urn == urn_of(type_, "bad") for v in failed), failed
    assert words in failed[0].message, failed[0].message


def _stack(*services: dict[str, Res]) -> list[Res]:
    return [r for s in services for r in s.values()]


def test_stack_rules_through_the_protocol(analyzer: Analyzer) -> None:
    analyzer.configure(ALL_MANDATORY)
    # given a well-formed stack, then no stack rule reports
    assert analyzer.analyze_stack(_stack(service("orders"), service("emails"))) == []
    # given a broken one, then each broken rule reports against the resource at fault
    broken = service("orders", reserved=950, visibility=10, redrive=False)
    broken["fn"].props["publish"] = False
    broken["invoke"].props.pop("destinationConfig")
    found = analyzer.analyze_stack(_stack(broken))
    names = {v.policy for v in found}
    assert names == {
        "lambda-unreserved-concurrency",
        "lambda-sqs-queue-settings",
        "lambda-alias-versions",
        "lambda-async-failure-destination",
    }, found
    by_policy = {v.policy: v for v in found}
    assert by_policy["lambda-alias-versions"].urn == broken["fn"].urn
    assert by_policy["lambda-sqs-queue-settings"].urn == broken["queue"].urn


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_enforcement_levels_follow_each_environment_file(analyzer: Analyzer, env: str) -> None:
    # given the environment's config file, and a function and stack that break many rules
    expected = resolve(load_config(env))
    analyzer.configure(load_config(env))
    bad_fn = {
        "name": "f",
        "runtime": "python3.9",
        "environment": {"variables": {"DB_PASSWORD": "hunter2"}},
        "architectures": ["x86_64"],
    }
    broken = service("orders", reserved=950, redrive=False)
    broken["fn"].props["publish"] = False
    # when the pack analyzes them
    found = analyzer.analyze(FUNCTION, bad_fn, name="f") + analyzer.analyze_stack(_stack(broken))
    # then every diagnostic carries the level the file gives its rule, and disabled rules say nothing
    assert found
    for v in found:
        assert v.level == expected[v.policy][0].value, f"{env}: {v.policy} reported as {v.level}"
    reported = {v.policy for v in found}
    for name, (level, _) in expected.items():
        if level.value == "disabled":
            assert name not in reported, f"{env}: disabled {name} reported"
    for must in ("lambda-no-secrets-in-environment", "lambda-alias-versions"):
        assert must in reported, f"{env}: {must} missing from {sorted(reported)}"


def test_unknown_values_keep_mandatory_rules_mandatory_and_are_said(analyzer: Analyzer) -> None:
    # given prod, and a function whose tracing mode and one variable are unknown during preview
    analyzer.configure(load_config("prod"))
    mark = len(analyzer.engine.log.notes)
    fn = with_(
        GOOD_FUNCTION,
        tracingConfig={"mode": UNKNOWN},
        memorySize=UNKNOWN,
        environment={"variables": {"DB_PASSWORD": "hunter2", "LATER": UNKNOWN}},
    )
    found = analyzer.analyze(FUNCTION, fn, name="preview-fn")
    # then no rule gave up with the advisory "can't run policy during preview" diagnostic
    assert not [v for v in found if "during preview" in v.message], found
    # and the known secret is still a mandatory violation
    secrets = [v for v in found if v.policy == "lambda-no-secrets-in-environment"]
    assert secrets and secrets[0].level == "mandatory", found
    # and what was skipped reached the engine's log, attached to the resource
    notes = analyzer.notes_since(mark)
    assert any("tracingConfig.mode" in n for n in notes), notes
    assert any("LATER" in n for n in notes), notes
    assert all(n.urn == urn_of(FUNCTION, "preview-fn") for n in analyzer.engine.log.notes[mark:])


def test_unknown_values_in_the_stack_are_skipped_not_crashed(analyzer: Analyzer) -> None:
    analyzer.configure(load_config("prod"))
    s = service("orders", timeout=UNKNOWN, visibility=UNKNOWN, reserved=UNKNOWN, policy=UNKNOWN)
    s["alias"].props["routingConfig"] = UNKNOWN
    found = analyzer.analyze_stack(_stack(s))
    assert not [v for v in found if "during preview" in v.message], found


@pytest.mark.parametrize(
    "props",
    [
        {},
        {"runtime": 12, "timeout": "x", "environment": ["a"], "tracingConfig": "Active", "tags": 3},
        {"vpcConfig": {"subnetIds": "s"}, "reservedConcurrentExecutions": "many", "architectures": {"a": 1}},
    ],
)
def test_malformed_properties_through_the_protocol(analyzer: Analyzer, props: dict[str, Any]) -> None:
    analyzer.configure(ALL_MANDATORY)
    mark = len(analyzer.engine.log.notes)
    found = analyzer.analyze(FUNCTION, props, name="odd")
    assert not [v for v in found if "during preview" in v.message], found
    assert not [n for n in analyzer.notes_since(mark) if "unexpected error" in n]


def test_unknown_policy_in_config_is_rejected(analyzer: Analyzer) -> None:
    from lambdakit.gate import GateError

    with pytest.raises(GateError, match="lambda-nope"):
        analyzer.configure({"lambda-nope": "mandatory"})


def _break_unreserved(s: dict[str, Res]) -> None:
    s["fn"].props["reservedConcurrentExecutions"] = 950


def _break_queue(s: dict[str, Res]) -> None:
    s["queue"].props["visibilityTimeoutSeconds"] = 10


def _break_provisioned(s: dict[str, Res]) -> None:
    s["pc"].props["provisionedConcurrentExecutions"] = 500


def _break_alias(s: dict[str, Res]) -> None:
    s["alias"].props["routingConfig"] = {"additionalVersionWeights": {"4": 0.1, "5": 0.1}}


def _break_log_group(s: dict[str, Res]) -> None:
    s["logs"].props["name"] = "/aws/lambda/someone-else"
    s["fn"].depends_on = [s["policy"]]


def _break_vpc(s: dict[str, Res]) -> None:
    s["fn"].props["vpcConfig"] = {"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]}


def _break_async(s: dict[str, Res]) -> None:
    s["invoke"].props.pop("destinationConfig")


def _break_role(s: dict[str, Res]) -> None:
    s["policy"].props["policy"] = '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'


def _break_known_actions(s: dict[str, Res]) -> None:
    s["policy"].props["policy"] = json.dumps(
        {"Statement": [{"Effect": "Allow", "Action": "sqs:RecieveMessage", "Resource": "arn:aws:sqs:::q"}]}
    )


def _break_escalation(s: dict[str, Res]) -> None:
    s["policy"].props["policy"] = json.dumps(
        {"Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/*"}]}
    )


def _break_sns(s: dict[str, Res]) -> None:
    s["topic"] = Res(TOPIC, "orders-events", {"name": "orders-events"})
    s["subscription"] = Res(
        TOPIC_SUBSCRIPTION,
        "orders-sns-0",
        {"protocol": "lambda", "topic": "arn:aws:sns:us-east-1:1:orders-events", "endpoint": "arn:fn:live"},
        links={"topic": [s["topic"]], "endpoint": [s["alias"]]},
    )


def _break_sqs_encryption(s: dict[str, Res]) -> None:
    s["dlq"].props["sqsManagedSseEnabled"] = False


def _break_log_group_kms(s: dict[str, Res]) -> None:
    s["logs"].props.pop("kmsKeyId")


def _break_stream_table(s: dict[str, Res]) -> None:
    s["table"] = Res(TABLE, "orders-table", {"name": "orders", "streamEnabled": True})
    s["stream"] = Res(
        EVENT_SOURCE_MAPPING,
        "orders-stream-0",
        {"eventSourceArn": "arn:aws:dynamodb:us-east-1:1:table/orders/stream/x", "functionName": "arn:fn:live"},
        links={"eventSourceArn": [s["table"]], "functionName": [s["alias"]]},
    )


def _break_alb(s: dict[str, Res]) -> None:
    arn = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/orders-alb-0/0123456789abcdef"
    s["target_group"] = Res("aws:lb/targetGroup:TargetGroup", "orders-alb-0", {"targetType": "lambda", "arn": arn})
    s["alb_rule"] = Res(
        "aws:lb/listenerRule:ListenerRule",
        "orders-alb-0-rule",
        {
            "listenerArn": "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/shared/1/2",
            "actions": [{"type": "forward", "order": 1, "targetGroupArn": arn}],
        },
        links={"actions": [s["target_group"]]},
    )


STACK_BREAKS = {
    "lambda-unreserved-concurrency": (_break_unreserved, None),
    "lambda-sqs-queue-settings": (_break_queue, "queue"),
    "lambda-provisioned-concurrency": (_break_provisioned, "fn"),
    "lambda-alias-versions": (_break_alias, "alias"),
    "lambda-log-group": (_break_log_group, "fn"),
    "lambda-vpc-multi-az": (_break_vpc, "fn"),
    "lambda-async-failure-destination": (_break_async, "fn"),
    "lambda-role-least-privilege": (_break_role, "fn"),
    "lambda-role-known-actions": (_break_known_actions, "fn"),
    "lambda-role-privilege-escalation": (_break_escalation, "fn"),
    "lambda-sns-encrypted": (_break_sns, "topic"),
    "lambda-sqs-encrypted": (_break_sqs_encryption, "dlq"),
    "lambda-log-group-kms": (_break_log_group_kms, "logs"),
    "lambda-dynamodb-stream-pitr": (_break_stream_table, "table"),
    "lambda-alb-target-authenticated": (_break_alb, "alb_rule"),
}


def test_every_stack_rule_has_a_protocol_case() -> None:
    assert set(STACK_BREAKS) == {r.name for r in RULES if r.kind == "stack"}


@pytest.mark.parametrize("rule", sorted(STACK_BREAKS))
def test_each_stack_rule_fails_its_broken_stack_through_the_protocol(analyzer: Analyzer, rule: str) -> None:
    # given prod levels, and a service broken in exactly the way the rule looks for
    analyzer.configure(load_config("prod"))
    broken = service("orders")
    breaker, at_fault = STACK_BREAKS[rule]
    breaker(broken)
    # when the stack is analyzed
    found = analyzer.analyze_stack(_stack(broken, service("emails")))
    # then only that rule reports, at its prod level (mandatory, or advisory for the advisory-by-default rules),
    # against the resource at fault
    assert {v.policy for v in found} == {rule}, found
    prod_level = resolve(load_config("prod"))[rule][0].value
    assert prod_level == "mandatory" or rule in ("lambda-log-group-kms", "lambda-dynamodb-stream-pitr"), prod_level
    assert all(v.level == prod_level for v in found), found
    expected_urn = broken[at_fault].urn if at_fault else ""
    assert found[0].urn == expected_urn, found[0]


def test_unknown_setting_in_config_is_rejected(analyzer: Analyzer) -> None:
    from lambdakit.gate import GateError

    with pytest.raises(GateError, match="maxSecs"):
        analyzer.configure({"lambda-timeout": {"enforcementLevel": "mandatory", "maxSecs": 60}})

"""The resources a function depends on: SNS topics, SQS queues, log groups and stream tables, linked by property
dependencies; directly and through the analyzer protocol."""

from __future__ import annotations

import json
from typing import Any

from lambdakit.policies._common import (
    EVENT_SOURCE_MAPPING,
    FUNCTION,
    KMS_KEY,
    METRIC_ALARM,
    PERMISSION,
    QUEUE,
    TABLE,
    TOPIC,
    TOPIC_SUBSCRIPTION,
)
from lambdakit.policies.examples import alarm_topic_examples, evaluate
from lambdakit.policies.pack import load_config
from tests.policies.helpers import UNKNOWN, Analyzer, Res, check_stack
from tests.policies.stacks import service


def stack_of(s: dict[str, Res], *extra: Res) -> list[Res]:
    return [*s.values(), *extra]


def topic_triggering(s: dict[str, Res], **topic_props: Any) -> tuple[Res, Res]:
    topic = Res(TOPIC, "order-events", {"name": "order-events", **topic_props})
    sub = Res(
        TOPIC_SUBSCRIPTION,
        "orders-sns-0",
        {"protocol": "lambda", "topic": "arn:aws:sns:us-east-1:1:order-events", "endpoint": "arn:fn:live"},
        links={"topic": [topic], "endpoint": [s["alias"]]},
    )
    return topic, sub


def alarm_on(s: dict[str, Res], topic: Res, **props: Any) -> Res:
    return Res(
        METRIC_ALARM,
        "orders-errors",
        {"metricName": "Errors", "alarmActions": ["arn:aws:sns:us-east-1:1:alarms"], **props},
        links={"alarmActions": [topic], "dimensions": [s["fn"]]},
    )


# --- SNS -------------------------------------------------------------------------------------------------------


def test_a_topic_that_triggers_a_function_must_be_encrypted() -> None:
    s = service("orders")
    topic, sub = topic_triggering(s)
    out = check_stack("lambda-sns-encrypted", stack_of(s, topic, sub))
    assert out.urns == [topic.urn] and "triggers a function (subscription orders-sns-0)" in out.text(), out
    topic.props["kmsMasterKeyId"] = "alias/aws/sns"
    assert check_stack("lambda-sns-encrypted", stack_of(s, topic, sub)).violations == []


def test_a_topic_linked_through_an_sns_permission_counts_as_a_trigger() -> None:
    s = service("orders")
    topic = Res(TOPIC, "order-events", {"name": "order-events"})
    perm = Res(
        PERMISSION,
        "orders-sns-permission",
        {"principal": "sns.amazonaws.com", "function": "orders-prod", "sourceArn": "arn:aws:sns:r:1:order-events"},
        links={"sourceArn": [topic], "function": [s["fn"]]},
    )
    out = check_stack("lambda-sns-encrypted", stack_of(s, topic, perm))
    assert "permission orders-sns-permission" in out.text(), out


def test_a_topic_no_function_uses_is_not_judged() -> None:
    s = service("orders")
    assert check_stack("lambda-sns-encrypted", stack_of(s, Res(TOPIC, "marketing", {"name": "m"}))).violations == []


def test_an_alarm_topic_needs_a_key_cloudwatch_may_use() -> None:
    s = service("orders")
    # the AWS managed key: CloudWatch cannot use it, so alarms are never delivered
    managed = Res(TOPIC, "alarms", {"name": "alarms", "kmsMasterKeyId": "alias/aws/sns"})
    out = check_stack("lambda-sns-encrypted", stack_of(s, managed, alarm_on(s, managed)))
    assert "AWS managed key alias/aws/sns" in out.text() and "never be delivered" in out.text(), out
    # a customer managed key whose policy does not name CloudWatch
    key = Res(
        KMS_KEY,
        "alarms-key",
        {
            "policy": json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "arn:aws:iam::1:root"},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ]
                }
            )
        },
    )
    cmk = Res(
        TOPIC, "alarms", {"name": "alarms", "kmsMasterKeyId": "arn:aws:kms:r:1:key/k"}, links={"kmsMasterKeyId": [key]}
    )
    out = check_stack("lambda-sns-encrypted", stack_of(s, key, cmk, alarm_on(s, cmk)))
    assert "does not let cloudwatch.amazonaws.com use it" in out.text(), out
    # one that does, with a pattern the dataset expands (kms:GenerateDataKey* covers kms:GenerateDataKey)
    key.props["policy"] = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                }
            ]
        }
    )
    assert check_stack("lambda-sns-encrypted", stack_of(s, key, cmk, alarm_on(s, cmk))).violations == []


def test_alarms_of_other_services_do_not_make_an_alarm_topic() -> None:
    s = service("orders")
    topic = Res(TOPIC, "ops", {"name": "ops", "kmsMasterKeyId": "alias/aws/sns"})
    alarm = Res(METRIC_ALARM, "rds-cpu", {"namespace": "AWS/RDS"}, links={"alarmActions": [topic]})
    assert check_stack("lambda-sns-encrypted", stack_of(s, topic, alarm)).violations == []


def test_the_alarm_topic_examples_pass_and_fail() -> None:
    good, bad = alarm_topic_examples()
    assert evaluate("lambda-sns-encrypted", good)[0] == []
    assert evaluate("lambda-sns-encrypted", bad)[0]


def test_unknown_topic_key_is_skipped_and_said() -> None:
    s = service("orders")
    topic, sub = topic_triggering(s, kmsMasterKeyId=UNKNOWN)
    out = check_stack("lambda-sns-encrypted", stack_of(s, topic, sub))
    assert out.violations == [] and any("kmsMasterKeyId is not known" in n for n in out.notes), out


# --- SQS -------------------------------------------------------------------------------------------------------


def test_every_queue_role_must_be_encrypted() -> None:
    s = service("orders")
    for queue in (s["queue"], s["dlq"]):
        queue.props.pop("sqsManagedSseEnabled")
    out = check_stack("lambda-sqs-encrypted", stack_of(s))
    by_urn = dict(zip(out.urns, out.violations, strict=True))
    assert "source of orders" in by_urn[s["queue"].urn], out
    assert "dead-letter queue of orders-queue" in by_urn[s["dlq"].urn], out


def test_kms_encryption_counts_and_unrelated_queues_are_not_judged() -> None:
    s = service("orders")
    s["dlq"].props = {"name": "orders-dlq", "kmsMasterKeyId": "alias/aws/sqs"}
    other = Res(QUEUE, "reports", {"name": "reports"})
    assert check_stack("lambda-sqs-encrypted", stack_of(s, other)).violations == []


def test_a_function_dead_letter_queue_and_an_on_success_destination_are_judged() -> None:
    s = service("orders")
    fn_dlq = Res(QUEUE, "orders-fn-dlq", {"name": "orders-fn-dlq"})
    results = Res(QUEUE, "orders-results", {"name": "orders-results", "sqsManagedSseEnabled": True})
    s["fn"].links["deadLetterConfig"] = [fn_dlq]
    s["invoke"].props["destinationConfig"] = {
        "onFailure": {"destination": "arn:aws:sqs:us-east-1:1:orders-dlq"},
        "onSuccess": {"destination": "arn:aws:sqs:us-east-1:1:orders-results"},
    }
    s["invoke"].links["destinationConfig"] = [s["dlq"], results]
    out = check_stack("lambda-sqs-encrypted", stack_of(s, fn_dlq, results))
    assert out.urns == [fn_dlq.urn] and "dead-letter queue of orders" in out.text(), out
    # the on-success destination is no dead-letter queue: it needs a redrive policy of its own
    settings = check_stack("lambda-sqs-queue-settings", stack_of(s, fn_dlq, results))
    assert settings.urns == [results.urn] and "on-success destination" in settings.text(), settings


def test_a_source_queue_that_is_itself_a_dead_letter_queue_needs_no_redrive() -> None:
    # given a redrive worker consuming another queue's DLQ
    s = service("orders")
    worker = service("redrive-worker", redrive=False)
    worker["queue"].links.pop("redrivePolicy")
    s["queue"].links["redrivePolicy"] = [worker["queue"]]
    out = check_stack("lambda-sqs-queue-settings", [*stack_of(s), *worker.values()])
    assert out.violations == [], out


# --- log groups and tables -------------------------------------------------------------------------------------


def test_a_function_log_group_without_a_key_is_reported_advisory_in_prod(analyzer: Analyzer) -> None:
    s = service("orders")
    s["logs"].props.pop("kmsKeyId")
    assert "log group of orders" in check_stack("lambda-log-group-kms", stack_of(s)).text()
    analyzer.configure(load_config("prod"))
    found = [v for v in analyzer.analyze_stack(stack_of(s)) if v.policy == "lambda-log-group-kms"]
    assert [v.level for v in found] == ["advisory"], found


def test_a_log_group_found_by_name_is_judged_too() -> None:
    s = service("orders")
    s["fn"].depends_on = [s["policy"]]
    s["logs"].props.pop("kmsKeyId")
    assert check_stack("lambda-log-group-kms", stack_of(s)).urns == [s["logs"].urn]


def stream_table(pitr: Any) -> tuple[Res, Res]:
    table = Res(TABLE, "users", {"name": "users", "pointInTimeRecovery": {"enabled": pitr}})
    esm = Res(
        EVENT_SOURCE_MAPPING,
        "analytics-stream",
        {"eventSourceArn": "arn:aws:dynamodb:r:1:table/users/stream/x", "startingPosition": "LATEST"},
        links={"eventSourceArn": [table]},
    )
    return table, esm


def test_a_table_whose_stream_feeds_a_function_needs_point_in_time_recovery() -> None:
    s = service("orders")
    table, esm = stream_table(False)
    out = check_stack("lambda-dynamodb-stream-pitr", stack_of(s, table, esm))
    assert out.urns == [table.urn] and "point-in-time recovery" in out.text(), out
    table.props["pointInTimeRecovery"]["enabled"] = True
    assert check_stack("lambda-dynamodb-stream-pitr", stack_of(s, table, esm)).violations == []
    unused = Res(TABLE, "sessions", {"name": "sessions"})
    assert check_stack("lambda-dynamodb-stream-pitr", stack_of(s, unused)).violations == []


def test_dependency_rules_through_the_protocol_at_prod_levels(analyzer: Analyzer) -> None:
    # given an unencrypted trigger topic, an unencrypted DLQ and a stream table without PITR
    s = service("orders")
    s["dlq"].props["sqsManagedSseEnabled"] = False
    topic, sub = topic_triggering(s)
    table, esm = stream_table(False)
    analyzer.configure(load_config("prod"))
    found = {(v.policy, v.urn, v.level) for v in analyzer.analyze_stack(stack_of(s, topic, sub, table, esm))}
    # then each is reported against the resource at fault, mandatory or advisory as prod.json says
    assert found == {
        ("lambda-sns-encrypted", topic.urn, "mandatory"),
        ("lambda-sqs-encrypted", s["dlq"].urn, "mandatory"),
        ("lambda-dynamodb-stream-pitr", table.urn, "advisory"),
    }, found


def test_functions_outside_lambdakit_are_judged_the_same() -> None:
    # a hand-written function with a DLQ through deadLetterConfig, no LambdaService involved
    dlq = Res(QUEUE, "legacy-dlq", {"name": "legacy-dlq"})
    fn = Res(FUNCTION, "legacy", {"name": "legacy"}, links={"deadLetterConfig": [dlq]})
    out = check_stack("lambda-sqs-encrypted", [dlq, fn])
    assert out.urns == [dlq.urn], out

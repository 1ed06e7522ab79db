"""The sandbox's CloudWatch Logs subscription filters and AWS IoT topic rules (issue 13, ``log_subscriptions`` and
``iot_rules``).

- Subscription filters are created in moto's Logs after the check PutSubscriptionFilter makes (the function's policy
  lets CloudWatch Logs invoke the destination for that log group). moto delivers what is written to a subscribed log
  group, so a function invoked in the sandbox, whose log lines the sandbox writes to its log group, invokes the
  subscribed alias with the gzip+base64 ``awslogs`` event. The sandbox routes that delivery through the alias (moto
  would invoke ``$LATEST``), asynchronously as CloudWatch Logs does, applies simple filter patterns (terms, ``?term``,
  ``-term``; JSON and space-delimited patterns deliver every event, with a note) and stops a chain of deliveries
  that loops.
- Topic rules are created in moto's IoT (it keeps the rule, its SQL and actions; it routes no MQTT messages), so the
  trigger check invokes the alias with a message payload, as the rule's lambda action would.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import shlex
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from . import rules
from .exceptions import RuleViolationError

FILTER_TYPE = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
TOPIC_RULE_TYPE = "aws:iot/topicRule:TopicRule"
#: Trigger kinds (deploy.Trigger.kind) of what these permissions let invoke.
KINDS = ("logs", "iot")
#: How many deliveries may follow from one another (A's log lines invoke B, whose log lines invoke C, ...) before the
#: sandbox stops the chain: a loop of subscriptions would otherwise never end here (AWS would bill it forever).
MAX_DELIVERY_DEPTH = 4

_DEPTH = threading.local()


def _logs_principal(principal: str) -> bool:
    """``logs.amazonaws.com``, or the regional ``logs.<region>.amazonaws.com`` of older docs."""
    return principal == "logs.amazonaws.com" or re.fullmatch(r"logs\.[a-z0-9-]+\.amazonaws\.com", principal) is not None


def trigger_kind(principal: str) -> str | None:
    """The trigger kind of a permission's service principal, or None for other principals."""
    if _logs_principal(principal):
        return "logs"
    return "iot" if principal == "iot.amazonaws.com" else None


def trigger_label(kind: str, source_arn: str) -> str:
    """A short name for the report: the log group (``log-group:<name>:*``) or the rule (``rule/<name>``)."""
    if kind == "logs" and ":log-group:" in source_arn:
        return source_arn.split(":log-group:", 1)[1].removesuffix(":*")
    return source_arn.rsplit("/", 1)[-1]


# --- CloudWatch Logs subscription filters ---------------------------------------------------------------------------


def subscription_filter(mocks: Any, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any], bool, list[str]]:
    group, destination = str(inputs["logGroup"]), str(inputs["destinationArn"])
    filter_name = str(inputs.get("name") or mocks.autoname(name))
    region, account = mocks.sandbox.region, mocks.sandbox.account_id
    source = f"arn:aws:logs:{region}:{account}:log-group:{group}:*"
    if ":lambda:" in destination and not rules.function_policy_allows(mocks, destination, _logs_principal, source):
        # What PutSubscriptionFilter answers when its test invocation of the function is refused.
        raise RuleViolationError(
            f"log subscription filter {name}: CloudWatch Logs is not allowed to invoke {destination} for {source} "
            "(InvalidParameterException: Could not execute the lambda function; add the permission for "
            "logs.amazonaws.com on that qualifier first, and make the filter depend on it)"
        )
    params = {
        "logGroupName": group,
        "filterName": filter_name,
        "filterPattern": str(inputs.get("filterPattern") or ""),
        "destinationArn": destination,
    }
    if inputs.get("distribution"):
        params["distribution"] = str(inputs["distribution"])
    # moto refuses a missing log group and a third filter on one group, as AWS does.
    mocks.client("logs").put_subscription_filter(**params)
    notes = ["moto delivers what the sandbox writes to the log group; the sandbox invokes the alias with it"]
    if not _pattern_terms(params["filterPattern"]):
        notes.append("JSON or space-delimited filter pattern: every event is delivered here (AWS filters them)")
    return f"cwlsf-{group}-{filter_name}", {"name": filter_name}, True, notes


def _pattern_terms(pattern: str) -> list[str] | None:
    """The terms of a plain filter pattern (``ERROR``, ``?ERROR ?WARN``, ``ERROR -health``, ``"a phrase"``); [] for the
    empty pattern (every event); None for JSON (``{...}``) and space-delimited (``[...]``) patterns."""
    text = pattern.strip()
    if text.startswith(("{", "[")):
        return None
    try:
        return shlex.split(text)
    except ValueError:
        return None


def pattern_matches(pattern: str, message: str) -> bool:
    """Whether a plain filter pattern matches ``message`` (terms all present, any ``?term`` present, no ``-term``
    present; case-sensitive, as CloudWatch Logs matches). JSON and space-delimited patterns match everything here."""
    terms = _pattern_terms(pattern)
    if not terms:
        return True
    required = [t for t in terms if not t.startswith(("?", "-"))]
    optional = [t[1:] for t in terms if t.startswith("?")]
    excluded = [t[1:] for t in terms if t.startswith("-")]
    return (
        all(t in message for t in required)
        and (not optional or any(t in message for t in optional))
        and not any(t in message for t in excluded)
    )


def awslogs_event(
    log_group: str,
    filter_name: str,
    messages: list[str],
    *,
    owner: str,
    log_stream: str = "2026/01/01/[$LATEST]sandbox",
) -> dict[str, Any]:
    """What CloudWatch Logs sends a subscribed function: ``{"awslogs": {"data": base64(gzip(json))}}``."""
    stamp = int(time.time() * 1000)
    data = {
        "messageType": "DATA_MESSAGE",
        "owner": owner,
        "logGroup": log_group,
        "logStream": log_stream,
        "subscriptionFilters": [filter_name],
        "logEvents": [
            {"id": f"{stamp}{i:06d}".ljust(56, "0"), "timestamp": stamp, "message": m} for i, m in enumerate(messages)
        ],
    }
    packed = gzip.compress(json.dumps(data, separators=(",", ":")).encode())
    return {"awslogs": {"data": base64.b64encode(packed).decode()}}


def decode_awslogs(event: dict[str, Any]) -> dict[str, Any]:
    """The document inside an ``awslogs`` event (what a handler does first)."""
    return dict(json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"]))))


def _filters_to(deployment: Any, function_arn: str) -> list[Any]:
    return [d for d in deployment.by_type(FILTER_TYPE) if d.state.get("destinationArn") == function_arn]


def install(sandbox: Any, patch: Callable[[Any, str, Any], None]) -> None:
    """Route moto's delivery to a subscribed function through the alias the filter names (moto would invoke
    ``$LATEST``), asynchronously and only the events the filter pattern matches."""
    from moto.awslambda.models import LambdaBackend
    from moto.logs.models import logs_backends

    def send_log_event(
        backend: Any, function_arn: str, filter_name: str, log_group: str, log_stream: str, log_events: Any
    ) -> None:
        group = logs_backends[sandbox.account_id][sandbox.region].groups.get(log_group)
        found = group.subscription_filters.get(filter_name) if group is not None else None
        pattern = str(getattr(found, "filter_pattern", "") or "")
        messages = [str(e["message"]) for e in log_events if pattern_matches(pattern, str(e["message"]))]
        if not messages:
            return
        depth = getattr(_DEPTH, "value", 0)
        if depth >= MAX_DELIVERY_DEPTH:
            sandbox.__dict__.setdefault("stopped_log_deliveries", []).append((log_group, filter_name, function_arn))
            return
        event = awslogs_event(log_group, filter_name, messages, owner=sandbox.account_id, log_stream=log_stream)
        _DEPTH.value = depth + 1
        try:
            sandbox.invoke(function_arn, payload=event, invocation_type="Event")
        finally:
            _DEPTH.value = depth

    patch(LambdaBackend, "send_log_event", send_log_event)


# --- AWS IoT topic rules ----------------------------------------------------------------------------------------------

#: A device message, as a rule ``SELECT *`` passes it to the function.
SAMPLE_TELEMETRY: dict[str, Any] = {"device_id": "sandbox-device-1", "temperature": 61.5, "humidity": 40}


def topic_rule(mocks: Any, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any], bool, list[str]]:
    rule_name = str(inputs.get("name") or mocks.autoname(name))
    actions = [{"lambda": {"functionArn": str(a["functionArn"])}} for a in inputs.get("lambdas") or []]
    payload: dict[str, Any] = {
        "sql": str(inputs["sql"]),
        "actions": actions,
        "ruleDisabled": not inputs.get("enabled", True),
        "awsIotSqlVersion": str(inputs.get("sqlVersion") or "2015-10-08"),
    }
    if inputs.get("description"):
        payload["description"] = str(inputs["description"])
    sqs = (inputs.get("errorAction") or {}).get("sqs")
    if sqs:
        payload["errorAction"] = {
            "sqs": {"queueUrl": sqs["queueUrl"], "roleArn": sqs["roleArn"], "useBase64": bool(sqs.get("useBase64"))}
        }
    iot = mocks.client("iot")
    iot.create_topic_rule(ruleName=rule_name, topicRulePayload=payload)
    arn = iot.get_topic_rule(ruleName=rule_name)["ruleArn"]
    notes = ["rule kept in moto's IoT (no MQTT routing): the trigger check invokes the alias with a message"]
    for action in actions:
        target = action["lambda"]["functionArn"]
        if not rules.function_policy_allows(mocks, target, lambda p: p == "iot.amazonaws.com", arn):
            notes.append(f"the policy of {target} does not let this rule invoke it: AWS IoT's invocations would fail")
    return arn, {"arn": arn, "name": rule_name}, True, notes


def rule_topic(sql: str) -> str:
    """The topic filter a rule's statement reads (``FROM 'sensors/+/telemetry'``)."""
    found = re.search(r"\sFROM\s+'([^']+)'", sql, re.IGNORECASE)
    return found.group(1) if found else "sandbox/topic"


# --- trigger checks ---------------------------------------------------------------------------------------------------


def trigger_event(sandbox: Any, deployment: Any, kind: str, source_arn: str, target_arn: str) -> tuple[str, Any]:
    """The event a log subscription or a topic rule delivers to ``target_arn``: a log line that matches the filter
    pattern, packed as CloudWatch Logs packs it; or a device message on the rule's topic."""
    if kind == "logs":
        group = trigger_label("logs", source_arn)
        filters = [f for f in _filters_to(deployment, target_arn) if f.state.get("logGroup") == group]
        filter_name = str(filters[0].state.get("name")) if filters else "sandbox-filter"
        pattern = str(filters[0].state.get("filterPattern") or "") if filters else ""
        terms = _pattern_terms(pattern) or []
        required = [t for t in terms if not t.startswith(("?", "-"))]
        wanted = required + [t[1:] for t in terms if t.startswith("?")][:1]
        line = " ".join(wanted or ["ERROR"]) + " sandbox: order sandbox-0001 failed"
        return "CloudWatch Logs subscription", awslogs_event(group, filter_name, [line], owner=sandbox.account_id)
    rules = [r for r in deployment.by_type(TOPIC_RULE_TYPE) if r.state.get("arn") == source_arn]
    topic = rule_topic(str(rules[0].state.get("sql", ""))) if rules else "sandbox/topic"
    message = dict(SAMPLE_TELEMETRY)
    # A '+' or '#' level of the topic filter becomes the device's name, as a device would publish it.
    message["topic"] = topic.replace("+", "sandbox-device-1").replace("#", "telemetry")
    message["message_id"] = str(uuid.uuid4())
    return "IoT message", message


HANDLERS = {FILTER_TYPE: subscription_filter, TOPIC_RULE_TYPE: topic_rule}

"""The sandbox's handling of what issue 13 wires to a function where moto has no emulation: event source mappings on
Amazon MSK, self-managed Kafka, Amazon MQ and DocumentDB (moto's Lambda accepts only SQS, DynamoDB and Kinesis
sources). Each is checked as AWS checks it when the mapping is created (the function exists, the execution role may
do what the poller needs on the source), recorded, and reported as not emulated."""

from __future__ import annotations

import hashlib
from typing import Any

from . import rules

#: What Lambda checks on the execution role when a mapping of each kind is created.
BROKER_SOURCE_ACTIONS = {
    "kafka": ["kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers"],
    "mq": ["mq:DescribeBroker"],
    "rds": ["rds:DescribeDBClusters"],
}
SECRET_ACTION = "secretsmanager:GetSecretValue"
NOT_EMULATED_NOTE = "moto's Lambda accepts only SQS, DynamoDB and Kinesis sources: checked and recorded, not emulated"


def is_broker_mapping(inputs: dict[str, Any]) -> bool:
    source = inputs.get("eventSourceArn")
    return not source or str(source).split(":")[2] in BROKER_SOURCE_ACTIONS


def broker_mapping(mocks: Any, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any], bool, list[str]]:
    """Check and record a Kafka, MQ or DocumentDB mapping: (id, state, emulated=False, notes)."""
    lam, iam = mocks.client("lambda"), mocks.client("iam")
    function = str(inputs["functionName"])
    role = lam.get_function_configuration(FunctionName=function)["Role"]
    source = str(inputs.get("eventSourceArn") or "")
    what = f"event source mapping {name} ({function} <- {source or 'self-managed Kafka'})"
    if source:
        rules.check_role_allows(iam, role, BROKER_SOURCE_ACTIONS[source.split(":")[2]], source, what)
    for access in inputs.get("sourceAccessConfigurations") or []:
        uri = str(access.get("uri", ""))
        if uri.startswith("arn:aws:secretsmanager:"):
            rules.check_role_allows(iam, role, [SECRET_ACTION], uri, what)
    uuid = hashlib.sha1(f"{mocks.stack}/{name}".encode()).hexdigest()
    uuid = f"{uuid[:8]}-{uuid[8:12]}-{uuid[12:16]}-{uuid[16:20]}-{uuid[20:32]}"
    state = {"uuid": uuid, "state": "Enabled" if inputs.get("enabled", True) else "Disabled"}
    return uuid, state, False, [NOT_EMULATED_NOTE]

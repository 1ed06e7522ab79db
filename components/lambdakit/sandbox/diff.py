"""Compare a program's resources with a sandbox stack's record: create, update, replace, delete, as Pulumi would.

A changed resource is an update when the sandbox can apply every changed property in place through the AWS API
(``lambdakit.sandbox.stateful.UPDATERS``), and a replacement when one of them is a property the provider forces a
new resource for (a function's name, a queue's FIFO flag, a permission's principal, every input of a layer version),
or when the sandbox has no in-place update for the type.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Op = Literal["create", "update", "replace", "delete", "same"]

#: Properties whose change forces a replacement (pulumi-aws's ForceNew), by type. ``*`` means every property.
REPLACE_ON: dict[str, frozenset[str]] = {
    "aws:iam/role:Role": frozenset({"name", "namePrefix", "path"}),
    "aws:iam/rolePolicy:RolePolicy": frozenset({"name", "namePrefix", "role"}),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": frozenset({"*"}),
    "aws:iam/policy:Policy": frozenset({"*"}),
    "aws:cloudwatch/logGroup:LogGroup": frozenset({"name", "namePrefix", "kmsKeyId", "logGroupClass"}),
    "aws:lambda/layerVersion:LayerVersion": frozenset({"*"}),
    "aws:lambda/function:Function": frozenset({"name", "packageType"}),
    "aws:lambda/alias:Alias": frozenset({"name", "functionName"}),
    "aws:lambda/eventSourceMapping:EventSourceMapping": frozenset(
        {"eventSourceArn", "startingPosition", "startingPositionTimestamp", "selfManagedEventSource"}
    ),
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": frozenset({"functionName", "qualifier"}),
    "aws:lambda/permission:Permission": frozenset({"*"}),
    "aws:lambda/functionUrl:FunctionUrl": frozenset({"functionName", "qualifier"}),
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": frozenset({"functionName", "qualifier"}),
    "aws:sqs/queue:Queue": frozenset({"name", "namePrefix", "fifoQueue"}),
    "aws:sqs/queuePolicy:QueuePolicy": frozenset({"queueUrl"}),
    "aws:sqs/redrivePolicy:RedrivePolicy": frozenset({"queueUrl"}),
    "aws:sns/topic:Topic": frozenset({"name", "namePrefix", "fifoTopic"}),
    "aws:sns/topicSubscription:TopicSubscription": frozenset({"*"}),
    "aws:dynamodb/table:Table": frozenset({"*"}),
    "aws:kinesis/stream:Stream": frozenset({"*"}),
    "aws:kms/key:Key": frozenset({"*"}),
    "aws:s3/bucket:Bucket": frozenset({"*"}),
    "aws:s3/bucketV2:BucketV2": frozenset({"*"}),
    "aws:cloudwatch/eventRule:EventRule": frozenset({"name", "namePrefix", "eventBusName"}),
    "aws:cloudwatch/eventTarget:EventTarget": frozenset({"rule", "targetId", "eventBusName"}),
    "aws:cloudwatch/metricAlarm:MetricAlarm": frozenset({"name"}),
    "aws:cloudwatch/dashboard:Dashboard": frozenset({"dashboardName"}),
    "aws:appautoscaling/target:Target": frozenset({"resourceId", "scalableDimension", "serviceNamespace"}),
    "aws:appautoscaling/policy:Policy": frozenset({"name", "resourceId", "scalableDimension", "serviceNamespace"}),
    "aws:appautoscaling/scheduledAction:ScheduledAction": frozenset({"name", "resourceId", "serviceNamespace"}),
    "aws:apigatewayv2/api:Api": frozenset({"*"}),
    "aws:apigatewayv2/integration:Integration": frozenset({"*"}),
    "aws:apigatewayv2/route:Route": frozenset({"*"}),
    "aws:apigatewayv2/stage:Stage": frozenset({"*"}),
}

#: Input keys that are bookkeeping of the SDK, not properties of the resource.
IGNORED = frozenset({"__defaults"})


def changed_properties(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Top-level input names whose (normalised) values differ, added or removed included."""
    keys = (set(old) | set(new)) - IGNORED
    return sorted(k for k in keys if old.get(k) != new.get(k))


def classify(type_: str, changed: Sequence[str], can_update: bool) -> Op:
    """The operation for a resource of ``type_`` whose ``changed`` properties differ from its record."""
    if not changed:
        return "same"
    forced = REPLACE_ON.get(type_, frozenset({"*"}))
    if "*" in forced or not can_update or forced.intersection(changed):
        return "replace"
    return "update"


@dataclass
class Change:
    """One resource's fate in an ``up``."""

    op: Op
    type: str
    name: str
    urn: str = ""
    properties: list[str] = field(default_factory=list)
    detail: str = ""

    @property
    def short_type(self) -> str:
        return self.type.split(":")[-1] if self.type.count(":") == 2 else self.type

    def line(self) -> str:
        sign = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "same": " "}[self.op]
        props = f" [{', '.join(self.properties)}]" if self.properties else ""
        detail = f" ({self.detail})" if self.detail else ""
        return f"  {sign:<2} {self.short_type:<28} {self.name}{props}{detail}"


def counts(changes: Iterable[Change]) -> dict[str, int]:
    """Changes by operation (``same`` included), in Pulumi's order."""
    found = Counter(c.op for c in changes)
    return {op: found[op] for op in ("create", "update", "replace", "delete", "same") if found[op]}


def summary(changes: Iterable[Change]) -> str:
    shown = {k: v for k, v in counts(changes).items() if k != "same"}
    return ", ".join(f"{n} to {op}" for op, n in shown.items()) or "no changes"


def render(changes: Sequence[Change], *, title: str) -> str:
    """Pulumi-preview-like text: one line per resource that changes, then the counts."""
    lines = [title]
    lines += [c.line() for c in changes if c.op != "same"]
    same = sum(1 for c in changes if c.op == "same")
    lines.append(f"  {summary(changes)}; {same} unchanged")
    return "\n".join(lines)

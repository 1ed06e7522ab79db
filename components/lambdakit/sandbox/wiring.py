"""The sandbox's handling of what issue 13 wires to a function where moto has no emulation: event source mappings on
Amazon MSK, self-managed Kafka, Amazon MQ and DocumentDB (moto's Lambda accepts only SQS, DynamoDB and Kinesis
sources). Each is checked as AWS checks it when the mapping is created (the function exists, the execution role may
do what the poller needs on the source), recorded, and reported as not emulated."""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any

from . import rules
from .exceptions import RuleViolationError

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


# --- Application Load Balancer targets (moto's elbv2 keeps target groups, targets and rules; it routes no traffic) ---


def target_group(mocks: Any, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any], bool, list[str]]:
    elbv2 = mocks.client("elbv2")
    group_name = inputs.get("name") or mocks.prefixed(inputs, name)
    health = inputs.get("healthCheck") or {}
    params = {
        "Name": group_name,
        "TargetType": inputs.get("targetType", "instance"),
        "HealthCheckEnabled": health.get("enabled"),
        "HealthCheckPath": health.get("path"),
        "HealthCheckIntervalSeconds": health.get("interval"),
        "HealthCheckTimeoutSeconds": health.get("timeout"),
        "HealthyThresholdCount": health.get("healthyThreshold"),
        "UnhealthyThresholdCount": health.get("unhealthyThreshold"),
        "Matcher": {"HttpCode": health["matcher"]} if health.get("matcher") else None,
    }
    group = elbv2.create_target_group(**{k: v for k, v in params.items() if v is not None})["TargetGroups"][0]
    arn = group["TargetGroupArn"]
    if inputs.get("lambdaMultiValueHeadersEnabled") is not None:
        value = "true" if inputs["lambdaMultiValueHeadersEnabled"] else "false"
        elbv2.modify_target_group_attributes(
            TargetGroupArn=arn, Attributes=[{"Key": "lambda.multi_value_headers.enabled", "Value": value}]
        )
    state = {"arn": arn, "arnSuffix": arn.split(":", 5)[5], "name": group_name}
    return arn, state, True, ["registered in moto; load balancer traffic is not routed (invoked with an ALB event)"]


def target_group_attachment(
    mocks: Any, name: str, inputs: dict[str, Any]
) -> tuple[str, dict[str, Any], bool, list[str]]:
    group, target = str(inputs["targetGroupArn"]), str(inputs["targetId"])
    if ":lambda:" in target and not rules.function_policy_allows(
        mocks, target, lambda p: p == "elasticloadbalancing.amazonaws.com", group
    ):
        # What RegisterTargets answers when the function's policy does not let this target group invoke it.
        raise RuleViolationError(
            f"target group attachment {name}: elasticloadbalancing.amazonaws.com is not allowed to invoke {target} "
            f"for {group} (add the permission on that qualifier first, and make the attachment depend on it)"
        )
    mocks.client("elbv2").register_targets(TargetGroupArn=group, Targets=[{"Id": target}])
    return f"{group}-{target}", {"targetGroupArn": group, "targetId": target}, True, []


def listener_rule(mocks: Any, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any], bool, list[str]]:
    elbv2 = mocks.client("elbv2")
    listener = str(inputs["listenerArn"])
    try:
        elbv2.describe_listeners(ListenerArns=[listener])
    except elbv2.exceptions.ListenerNotFoundException:
        rid = f"{listener}/rule-{name}"
        return rid, {"arn": rid}, False, [f"listener {listener} is not in the emulator (another stack's): recorded"]
    conditions = []
    for c in inputs.get("conditions") or []:
        if c.get("pathPattern"):
            conditions.append({"Field": "path-pattern", "PathPatternConfig": {"Values": c["pathPattern"]["values"]}})
        if c.get("hostHeader"):
            conditions.append({"Field": "host-header", "HostHeaderConfig": {"Values": c["hostHeader"]["values"]}})
    actions = [
        {"Type": a["type"], "Order": a.get("order", 1), "TargetGroupArn": a.get("targetGroupArn")}
        for a in inputs.get("actions") or []
        if a.get("type") == "forward"
    ]
    rule = elbv2.create_rule(
        ListenerArn=listener, Priority=int(inputs["priority"]), Conditions=conditions, Actions=actions
    )["Rules"][0]
    return rule["RuleArn"], {"arn": rule["RuleArn"]}, True, ["authenticate actions are not emulated"]


# --- runtime management and recursion (moto has neither API) ---------------------------------------------------------


def runtime_management(mocks: Any, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any], bool, list[str]]:
    function, qualifier = str(inputs["functionName"]), inputs.get("qualifier")
    # What PutRuntimeManagementConfig checks first: the function (and version) exist; Manual names a version.
    kwargs = {"FunctionName": function, **({"Qualifier": qualifier} if qualifier else {})}
    config = mocks.client("lambda").get_function_configuration(**kwargs)
    if inputs.get("updateRuntimeOn") == "Manual" and not inputs.get("runtimeVersionArn"):
        raise RuleViolationError(f"runtime management config {name}: Manual needs a RuntimeVersionArn")
    rid = f"{function}:{qualifier or '$LATEST'}"
    state = {"functionArn": config["FunctionArn"]}
    return rid, state, False, ["moto has no runtime management API: checked and recorded, not emulated"]


def recursion_config(mocks: Any, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any], bool, list[str]]:
    function = str(inputs["functionName"])
    mocks.client("lambda").get_function_configuration(FunctionName=function)
    return function, {}, False, ["moto has no recursion configuration API: recorded, not emulated"]


HANDLERS = {
    "aws:lambda/runtimeManagementConfig:RuntimeManagementConfig": runtime_management,
    "aws:lambda/functionRecursionConfig:FunctionRecursionConfig": recursion_config,
    "aws:lb/targetGroup:TargetGroup": target_group,
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": target_group_attachment,
    "aws:lb/listenerRule:ListenerRule": listener_rule,
}


# --- vendor layers read from public SSM parameters (managed_layers) --------------------------------------------------


def vendor_parameter(mocks: Any, token: str, args: dict[str, Any]) -> tuple[dict[str, Any], list[Any]] | None:
    """Answer ``aws.ssm.get_parameter`` for the Powertools parameters: the parameter from moto when it was seeded,
    otherwise a stand-in layer published in the sandbox under the vendor's layer name (its content is a placeholder:
    handlers that import Powertools need it in their own requirements to run here). None for other calls."""
    if token != "aws:ssm/getParameter:getParameter":
        return None
    name = str(args.get("name", ""))
    ssm = mocks.client("ssm")
    try:
        value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
        return {"name": name, "type": "String", "value": value, "version": 1}, []
    except ssm.exceptions.ParameterNotFound:
        if not name.startswith("/aws/service/powertools/"):
            raise
    cache = mocks.__dict__.setdefault("_vendor_layers", {})
    if name not in cache:
        from lambdakit.program import mock_parameter

        from .mocks import Deployed

        layer_name = mock_parameter(name).split(":")[6]
        description = f"sandbox stand-in for {name}"
        lam = mocks.client("lambda")
        # A stand-in published by an earlier `sandbox up` against the same emulator is reused (no new version).
        earlier = [
            v["LayerVersionArn"]
            for v in lam.list_layer_versions(LayerName=layer_name).get("LayerVersions", [])
            if v.get("Description") == description
        ]
        if earlier:
            cache[name] = earlier[0]
        else:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                archive.writestr("python/lambdakit_sandbox_stand_in.txt", f"stand-in for the layer {name} names\n")
            published = lam.publish_layer_version(
                LayerName=layer_name, Content={"ZipFile": buffer.getvalue()}, Description=description
            )
            cache[name] = published["LayerVersionArn"]
        mocks.deployed.append(
            Deployed(
                "aws:ssm/getParameter:getParameter",
                name,
                cache[name],
                emulated=False,
                notes=[f"public parameter {name} is not in moto: a stand-in layer {layer_name} was published"],
            )
        )
    return {"name": name, "type": "String", "value": cache[name], "version": 1}, []

"""A passing and a failing example for every rule, as engine properties (camelCase) and property dependencies:
what ``lambdakit gate --explain RULE`` prints, and what the tests run through each rule (directly and over the
analyzer protocol) to prove that the passing one passes and the failing one fails."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._common import (
    ALIAS,
    EVENT_INVOKE_CONFIG,
    EVENT_SOURCE_MAPPING,
    FUNCTION,
    FUNCTION_URL,
    KMS_KEY,
    LOG_GROUP,
    METRIC_ALARM,
    PERMISSION,
    PROVISIONED_CONCURRENCY,
    QUEUE,
    ROLE,
    ROLE_POLICY,
    SUBNET,
    TABLE,
    TOPIC,
    TOPIC_SUBSCRIPTION,
)

ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass
class ExampleResource:
    type: str
    name: str
    props: dict[str, Any]
    links: dict[str, list[str]] = field(default_factory=dict)
    """Property dependencies: property -> names of the example resources it was computed from."""
    depends_on: list[str] = field(default_factory=list)


@dataclass
class Example:
    shows: str
    """What the example shows, in a few words."""
    resources: list[ExampleResource]
    settings: dict[str, Any] = field(default_factory=dict)
    """Rule settings the example is evaluated with (the rule's defaults otherwise)."""

    def resource(self, name: str) -> ExampleResource:
        return next(r for r in self.resources if r.name == name)


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


FUNCTION_PROPS: dict[str, Any] = {
    "name": "orders-prod",
    "runtime": "python3.14",
    "handler": "app.handler",
    "role": f"arn:aws:iam::{ACCOUNT}:role/orders",
    "timeout": 30,
    "memorySize": 512,
    "publish": True,
    "description": "Processes orders",
    "architectures": ["arm64"],
    "tracingConfig": {"mode": "Active"},
    "reservedConcurrentExecutions": 20,
    "environment": {"variables": {"LOG_LEVEL": "INFO", "API_KEY_SECRET_ARN": _arn("secretsmanager", "secret:api")}},
    "kmsKeyArn": _arn("kms", "key/1234abcd"),
    "codeSigningConfigArn": _arn("lambda", "code-signing-config:csc-1"),
    "vpcConfig": {"subnetIds": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-1"]},
    "tags": {"Owner": "team", "Environment": "prod"},
}


def _fn(**changes: Any) -> ExampleResource:
    props = copy.deepcopy(FUNCTION_PROPS)
    for key, value in changes.items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return ExampleResource(FUNCTION, "orders", props)


def _one(resource: ExampleResource, shows: str, **settings: Any) -> Example:
    return Example(shows, [resource], dict(settings))


STREAM_ESM = {
    "eventSourceArn": _arn("kinesis", "stream/clicks"),
    "functionName": _arn("lambda", "function:orders-prod:live"),
    "startingPosition": "LATEST",
    "maximumRetryAttempts": 3,
    "bisectBatchOnFunctionError": True,
    "destinationConfig": {"onFailure": {"destinationArn": _arn("sqs", "failures")}},
}
SQS_ESM = {
    "eventSourceArn": _arn("sqs", "orders"),
    "functionName": _arn("lambda", "function:orders-prod:live"),
    "functionResponseTypes": ["ReportBatchItemFailures"],
    "batchSize": 10,
}
URL = {"functionName": "orders-prod", "qualifier": "live", "authorizationType": "AWS_IAM"}


def _without(props: Mapping[str, Any], *keys: str, **changes: Any) -> dict[str, Any]:
    out = {k: copy.deepcopy(v) for k, v in props.items() if k not in keys}
    out.update(changes)
    return out


def policy_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


LEAST_PRIVILEGE_POLICY = policy_document(
    {
        "Sid": "Logs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": _arn("logs", "log-group:/aws/lambda/orders-prod:*"),
    },
    {
        "Sid": "Queue",
        "Effect": "Allow",
        "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        "Resource": _arn("sqs", "orders"),
    },
    {
        "Sid": "XRay",
        "Effect": "Allow",
        "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
        "Resource": "*",
    },
    {"Sid": "Images", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
)


def service(
    *,
    policy: str = LEAST_PRIVILEGE_POLICY,
    function: dict[str, Any] | None = None,
    queue: dict[str, Any] | None = None,
    dlq: dict[str, Any] | None = None,
    logs: dict[str, Any] | None = None,
) -> list[ExampleResource]:
    """A function wired as LambdaService wires it: role and policy, log group, queue with a DLQ, alias, mapping,
    async invoke config with an on-failure destination."""
    fn_props = {
        "name": "orders-prod",
        "timeout": 30,
        "publish": True,
        "role": f"arn:aws:iam::{ACCOUNT}:role/orders",
        "reservedConcurrentExecutions": 50,
        **(function or {}),
    }
    return [
        ExampleResource(ROLE, "orders-role", {"assumeRolePolicy": "{}"}),
        ExampleResource(
            ROLE_POLICY, "orders-policy", {"role": "orders-role", "policy": policy}, {"role": ["orders-role"]}
        ),
        ExampleResource(
            LOG_GROUP,
            "orders-logs",
            {
                "name": "/aws/lambda/orders-prod",
                "retentionInDays": 30,
                "kmsKeyId": _arn("kms", "key/logs"),
                **(logs or {}),
            },
        ),
        ExampleResource(QUEUE, "orders-dlq", {"name": "orders-dlq", "sqsManagedSseEnabled": True, **(dlq or {})}),
        ExampleResource(
            QUEUE,
            "orders-queue",
            {
                "name": "orders",
                "visibilityTimeoutSeconds": 180,
                "sqsManagedSseEnabled": True,
                "redrivePolicy": json.dumps({"deadLetterTargetArn": _arn("sqs", "orders-dlq"), "maxReceiveCount": 5}),
                **(queue or {}),
            },
            {"redrivePolicy": ["orders-dlq"]},
        ),
        ExampleResource(FUNCTION, "orders", fn_props, {"role": ["orders-role"]}, ["orders-logs", "orders-policy"]),
        ExampleResource(
            ALIAS,
            "orders-alias",
            {"name": "live", "functionName": "orders-prod", "functionVersion": "3"},
            {"functionName": ["orders"]},
        ),
        ExampleResource(
            EVENT_SOURCE_MAPPING,
            "orders-sqs-0",
            {"eventSourceArn": _arn("sqs", "orders"), "functionName": _arn("lambda", "function:orders-prod:live")},
            {"eventSourceArn": ["orders-queue"], "functionName": ["orders-alias"]},
        ),
        ExampleResource(
            EVENT_INVOKE_CONFIG,
            "orders-async",
            {
                "functionName": "orders-prod",
                "qualifier": "live",
                "destinationConfig": {"onFailure": {"destination": _arn("sqs", "orders-dlq")}},
            },
            {"functionName": ["orders"], "qualifier": ["orders-alias"], "destinationConfig": ["orders-dlq"]},
        ),
    ]


def _edit(resources: list[ExampleResource], name: str, **changes: Any) -> list[ExampleResource]:
    for r in resources:
        if r.name == name:
            for key, value in changes.items():
                if value is None:
                    r.props.pop(key, None)
                else:
                    r.props[key] = value
    return resources


def _stack(shows: str, resources: list[ExampleResource], **settings: Any) -> Example:
    return Example(shows, resources, dict(settings))


def _pc(count: int) -> ExampleResource:
    return ExampleResource(
        PROVISIONED_CONCURRENCY,
        "orders-pc",
        {"functionName": "orders-prod", "qualifier": "live", "provisionedConcurrentExecutions": count},
        {"functionName": ["orders-alias"], "qualifier": ["orders-alias"]},
    )


def _subnets(*azs: str) -> list[ExampleResource]:
    return [ExampleResource(SUBNET, f"private-{i}", {"availabilityZone": az}) for i, az in enumerate(azs)]


def _vpc_function(count: int) -> list[ExampleResource]:
    subnets = _subnets(*[f"{REGION}{c}" for c in "ab"[:count]])
    resources = service(
        function={"vpcConfig": {"subnetIds": [f"subnet-{i}" for i in range(count)], "securityGroupIds": ["sg-1"]}}
    )
    next(r for r in resources if r.name == "orders").links["vpcConfig"] = [s.name for s in subnets]
    return subnets + resources


def _sns_trigger(key: str | None) -> list[ExampleResource]:
    topic_props = {"name": "order-events"} if key is None else {"name": "order-events", "kmsMasterKeyId": key}
    return [
        *service(),
        ExampleResource(TOPIC, "order-events", topic_props),
        ExampleResource(
            TOPIC_SUBSCRIPTION,
            "orders-sns-0",
            {
                "protocol": "lambda",
                "topic": _arn("sns", "order-events"),
                "endpoint": _arn("lambda", "function:orders-prod:live"),
            },
            {"topic": ["order-events"], "endpoint": ["orders-alias"]},
        ),
    ]


ALARM_KEY_POLICY = policy_document(
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
    {
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
    },
)


def _alarm_topic(key: str) -> list[ExampleResource]:
    resources = service()
    topic = ExampleResource(TOPIC, "alarms", {"name": "alarms", "kmsMasterKeyId": key})
    if key == "alarms-key":
        resources.append(ExampleResource(KMS_KEY, "alarms-key", {"policy": ALARM_KEY_POLICY}))
        topic.props["kmsMasterKeyId"] = _arn("kms", "key/alarms")
        topic.links["kmsMasterKeyId"] = ["alarms-key"]
    alarm = ExampleResource(
        METRIC_ALARM,
        "orders-errors",
        {"namespace": "AWS/Lambda", "metricName": "Errors", "alarmActions": [_arn("sns", "alarms")]},
        {"alarmActions": ["alarms"], "dimensions": ["orders"]},
    )
    return [*resources, topic, alarm]


def _stream_table(pitr: bool) -> list[ExampleResource]:
    return [
        *service(),
        ExampleResource(
            TABLE, "users", {"name": "users", "streamEnabled": True, "pointInTimeRecovery": {"enabled": pitr}}
        ),
        ExampleResource(
            EVENT_SOURCE_MAPPING,
            "orders-stream-0",
            {
                "eventSourceArn": _arn("dynamodb", "table/users/stream/2026-01-01T00:00:00.000"),
                "functionName": _arn("lambda", "function:orders-prod:live"),
                "startingPosition": "LATEST",
            },
            {"eventSourceArn": ["users"], "functionName": ["orders-alias"]},
        ),
    ]


def _async_without_destination() -> list[ExampleResource]:
    resources = service()
    invoke = next(r for r in resources if r.name == "orders-async")
    invoke.props.pop("destinationConfig")
    invoke.links.pop("destinationConfig")
    return resources


def _without_log_group() -> list[ExampleResource]:
    resources = [r for r in service() if r.name != "orders-logs"]
    next(r for r in resources if r.name == "orders").depends_on = ["orders-policy"]
    return resources


def examples() -> dict[str, tuple[Example, Example]]:
    """Rule name -> (passing example, failing example).

    Why one function of this length: it is declarative data (one entry per rule, built from a few shared values), not
    logic; a function rather than a constant so that the shared values stay local and every call gets fresh dicts.
    """
    permission = {"action": "lambda:InvokeFunction", "function": "orders-prod", "qualifier": "live"}
    return {
        "lambda-runtime-deprecated": (
            _one(_fn(), "a supported runtime"),
            _one(_fn(runtime="python3.9"), "a runtime AWS has deprecated"),
        ),
        "lambda-runtime-latest": (
            _one(_fn(), "the newest runtime of its family"),
            _one(_fn(runtime="python3.12"), "an older runtime of the family"),
        ),
        "lambda-timeout": (
            _one(_fn(), "an explicit timeout within the maximum"),
            _one(_fn(timeout=None), "no timeout (AWS's 3 s default)"),
        ),
        "lambda-memory": (_one(_fn(), "an explicit memory size"), _one(_fn(memorySize=None), "the 128 MB default")),
        "lambda-tracing-active": (
            _one(_fn(), "X-Ray tracing Active"),
            _one(_fn(tracingConfig={"mode": "PassThrough"}), "tracing PassThrough"),
        ),
        "lambda-reserved-concurrency": (
            _one(_fn(), "a reservation within bounds"),
            _one(_fn(reservedConcurrentExecutions=None), "no reservation"),
        ),
        "lambda-in-vpc": (_one(_fn(), "subnets and security groups"), _one(_fn(vpcConfig=None), "no VPC")),
        "lambda-environment-kms": (
            _one(_fn(), "environment encrypted with a customer managed key"),
            _one(_fn(kmsKeyArn=None), "variables under the AWS managed key"),
        ),
        "lambda-no-secrets-in-environment": (
            _one(_fn(), "a secret passed by its ARN"),
            _one(_fn(environment={"variables": {"DB_PASSWORD": "hunter2-hunter2"}}), "a password in a variable"),
        ),
        "lambda-code-signing": (
            _one(_fn(), "a code signing configuration"),
            _one(_fn(codeSigningConfigArn=None), "no code signing"),
        ),
        "lambda-arm64": (_one(_fn(), "arm64"), _one(_fn(architectures=["x86_64"]), "x86_64")),
        "lambda-tags-description": (
            _one(_fn(), "the required tags and a description", requiredTags=["Owner"]),
            _one(_fn(tags={"Environment": "prod"}), "a missing Owner tag", requiredTags=["Owner"]),
        ),
        "lambda-log-retention": (
            _one(
                ExampleResource(LOG_GROUP, "orders-logs", {"name": "/aws/lambda/orders-prod", "retentionInDays": 30}),
                "30 days",
            ),
            _one(ExampleResource(LOG_GROUP, "orders-logs", {"name": "/aws/lambda/orders-prod"}), "logs kept forever"),
        ),
        "lambda-stream-failure-handling": (
            _one(ExampleResource(EVENT_SOURCE_MAPPING, "clicks", STREAM_ESM), "bounded retries, bisect, destination"),
            _one(
                ExampleResource(EVENT_SOURCE_MAPPING, "clicks", _without(STREAM_ESM, "destinationConfig")),
                "no on-failure destination",
            ),
        ),
        "lambda-sqs-partial-batch": (
            _one(ExampleResource(EVENT_SOURCE_MAPPING, "orders-sqs", SQS_ESM), "ReportBatchItemFailures"),
            _one(
                ExampleResource(EVENT_SOURCE_MAPPING, "orders-sqs", _without(SQS_ESM, "functionResponseTypes")),
                "the whole batch retried for one bad message",
            ),
        ),
        "lambda-function-url-auth": (
            _one(ExampleResource(FUNCTION_URL, "orders-url", URL), "AWS_IAM auth"),
            _one(
                ExampleResource(FUNCTION_URL, "orders-url", {**URL, "authorizationType": "NONE"}),
                "auth NONE: anyone on the internet may invoke",
            ),
        ),
        "lambda-permission-scoped": (
            _one(
                ExampleResource(
                    PERMISSION,
                    "orders-s3",
                    {
                        **permission,
                        "principal": "s3.amazonaws.com",
                        "sourceArn": "arn:aws:s3:::uploads",
                        "sourceAccount": ACCOUNT,
                    },
                ),
                "S3 scoped by bucket and account",
            ),
            _one(
                ExampleResource(
                    PERMISSION, "orders-public", {**permission, "principal": "*", "sourceArn": "arn:aws:s3:::uploads"}
                ),
                "principal '*' limited by a bucket ARN only (bucket ARNs name no account: public)",
            ),
        ),
        "lambda-role-least-privilege": (
            _stack("exact ARNs; '*' only for actions without resource types (X-Ray, ECR token)", service()),
            _stack(
                "sqs:SendMessage on '*' (queues have ARNs)",
                service(policy=policy_document({"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"})),
            ),
        ),
        "lambda-role-known-actions": (
            _stack("actions IAM has", service()),
            _stack(
                "a misspelt action IAM would silently ignore",
                service(
                    policy=policy_document(
                        {"Effect": "Allow", "Action": ["sqs:RecieveMessage"], "Resource": _arn("sqs", "orders")}
                    )
                ),
            ),
        ),
        "lambda-role-privilege-escalation": (
            _stack("no permission management", service()),
            _stack(
                "iam:PassRole on every role",
                service(
                    policy=policy_document(
                        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/*"}
                    )
                ),
            ),
        ),
        "lambda-async-failure-destination": (
            _stack("an on-failure destination", service()),
            _stack("async invocations with nowhere to fail to", _async_without_destination()),
        ),
        "lambda-unreserved-concurrency": (
            _stack("100 of 1000 left unreserved", service(function={"reservedConcurrentExecutions": 900})),
            _stack("only 50 left unreserved", service(function={"reservedConcurrentExecutions": 950})),
        ),
        "lambda-sqs-queue-settings": (
            _stack("visibility 6x the timeout, a DLQ", service()),
            _stack("visibility shorter than 6x the timeout", service(queue={"visibilityTimeoutSeconds": 60})),
        ),
        "lambda-provisioned-concurrency": (
            _stack("provisioned within the reservation", [*service(), _pc(5)]),
            _stack("provisioned above the reservation", [*service(), _pc(80)]),
        ),
        "lambda-alias-versions": (
            _stack("an alias on a published version", service()),
            _stack("an alias on $LATEST", _edit(service(), "orders-alias", functionVersion="$LATEST")),
        ),
        "lambda-log-group": (
            _stack("the function's log group in the stack", service()),
            _stack("no log group (Lambda creates one that keeps logs forever)", _without_log_group()),
        ),
        "lambda-vpc-multi-az": (
            _stack("subnets in two availability zones", _vpc_function(2)),
            _stack("one subnet", _vpc_function(1)),
        ),
        "lambda-sns-encrypted": (
            _stack("a trigger topic under alias/aws/sns", _sns_trigger("alias/aws/sns")),
            _stack("an unencrypted trigger topic", _sns_trigger(None)),
        ),
        "lambda-sqs-encrypted": (
            _stack("source queue and DLQ encrypted", service()),
            _stack("an unencrypted DLQ", service(dlq={"sqsManagedSseEnabled": False})),
        ),
        "lambda-log-group-kms": (
            _stack("a log group with a KMS key", service()),
            _stack("a log group without one", service(logs={"kmsKeyId": None})),
        ),
        "lambda-dynamodb-stream-pitr": (
            _stack("point-in-time recovery on", _stream_table(True)),
            _stack("point-in-time recovery off", _stream_table(False)),
        ),
    }


KAFKA_ESM = {
    "eventSourceArn": _arn("kafka", "cluster/orders/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-2"),
    "functionName": _arn("lambda", "function:orders-prod:live"),
    "topics": ["orders"],
    "startingPosition": "LATEST",
    "destinationConfig": {"onFailure": {"destinationArn": _arn("sqs", "kafka-failures")}},
}
TARGET_GROUP_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/orders-alb-0/0123456789abcdef"


def _alb(*, internal: bool, authenticate: bool) -> list[ExampleResource]:
    """A load balancer, its listener, and a rule forwarding to a Lambda target group (after Cognito, if asked)."""
    actions: list[dict[str, Any]] = []
    if authenticate:
        actions.append(
            {
                "type": "authenticate-cognito",
                "order": 1,
                "authenticateCognito": {
                    "userPoolArn": _arn("cognito-idp", "userpool/us-east-1_AbCdEf"),
                    "userPoolClientId": "client",
                    "userPoolDomain": "orders-auth",
                },
            }
        )
    actions.append({"type": "forward", "order": len(actions) + 1, "targetGroupArn": TARGET_GROUP_ARN})
    return [
        ExampleResource("aws:lb/loadBalancer:LoadBalancer", "public-alb", {"internal": internal}),
        ExampleResource("aws:lb/listener:Listener", "https", {"port": 443}, {"loadBalancerArn": ["public-alb"]}),
        ExampleResource(
            "aws:lb/targetGroup:TargetGroup", "orders-alb-0", {"targetType": "lambda", "arn": TARGET_GROUP_ARN}
        ),
        ExampleResource(
            "aws:lb/listenerRule:ListenerRule",
            "orders-alb-0-rule",
            {"priority": 10, "actions": actions},
            {"listenerArn": ["https"], "actions": ["orders-alb-0"]},
        ),
    ]


def wiring_examples() -> dict[str, tuple[Example, Example]]:
    """Issue 13's rules: Kafka failures, grants to other accounts and organizations, ALB targets."""
    grant = {"action": "lambda:InvokeFunction", "function": "orders-prod"}
    return {
        "lambda-kafka-failure-destination": (
            _one(ExampleResource(EVENT_SOURCE_MAPPING, "orders-kafka-0", KAFKA_ESM), "an on-failure destination"),
            _one(
                ExampleResource(EVENT_SOURCE_MAPPING, "orders-kafka-0", _without(KAFKA_ESM, "destinationConfig")),
                "no on-failure destination",
            ),
        ),
        "lambda-cross-account-grant": (
            _one(
                ExampleResource(
                    PERMISSION,
                    "orders-org",
                    {**grant, "qualifier": "live", "principal": "*", "principalOrgId": "o-a1b2c3d4e5"},
                ),
                "an organization grant on the alias",
            ),
            _one(
                ExampleResource(
                    PERMISSION, "orders-org", {**grant, "principal": "*", "principalOrgId": "o-a1b2c3d4e5"}
                ),
                "an organization grant on the unqualified function",
            ),
        ),
        "lambda-alb-target-authenticated": (
            _stack("Cognito before forwarding", _alb(internal=False, authenticate=True)),
            _stack("an internet-facing rule without authentication", _alb(internal=False, authenticate=False)),
        ),
    }


def _clean(resources: list[ExampleResource]) -> list[ExampleResource]:
    for r in resources:
        r.props = {k: v for k, v in r.props.items() if v is not None}
    return resources


def example_pair(rule: str) -> tuple[Example, Example] | None:
    pair = {**examples(), **wiring_examples()}.get(rule)
    if pair is None:
        return None
    for example in pair:
        _clean(example.resources)
    return pair


# The alarm-topic variants, used by the tests of lambda-sns-encrypted (an extra pair the README does not show).
def alarm_topic_examples() -> tuple[Example, Example]:
    return (
        _stack("an alarm topic on a key CloudWatch may use", _alarm_topic("alarms-key")),
        _stack("an alarm topic on alias/aws/sns (CloudWatch cannot use it)", _alarm_topic("alias/aws/sns")),
    )


# --- evaluating an example ---------------------------------------------------------------------------------------


def evaluate(rule_name: str, example: Example) -> tuple[list[str], list[str]]:
    """(violations, notes) of one rule on an example, called as the analyzer calls it."""
    from pulumi_policy import (
        PolicyCustomTimeouts,
        PolicyResource,
        PolicyResourceOptions,
        ResourceValidationArgs,
        StackValidationArgs,
    )
    from pulumi_policy.proxy import unknown_checking_proxy

    from ._common import capture_notes
    from .pack import RULES_BY_NAME

    rule = RULES_BY_NAME[rule_name]
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    def urn(r: ExampleResource) -> str:
        return f"urn:pulumi:example::example::{r.type}::{r.name}"

    def opts() -> PolicyResourceOptions:
        return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)

    with capture_notes() as notes:
        if rule.kind == "resource":
            for r in example.resources:
                args = ResourceValidationArgs(
                    r.type,
                    unknown_checking_proxy(copy.deepcopy(r.props)),
                    urn(r),
                    r.name,
                    opts(),
                    None,
                    dict(example.settings),
                )
                rule.validate_resource(args, report)
        else:
            built = {
                r.name: PolicyResource(
                    r.type, unknown_checking_proxy(copy.deepcopy(r.props)), urn(r), r.name, opts(), None, None, [], {}
                )
                for r in example.resources
            }
            for r in example.resources:
                built[r.name].dependencies = [built[d] for d in r.depends_on if d in built]
                built[r.name].property_dependencies = {
                    k: [built[n] for n in v if n in built] for k, v in r.links.items()
                }
            rule.validate_stack(StackValidationArgs(list(built.values()), dict(example.settings)), report)
    return found, [n[2] for n in notes]

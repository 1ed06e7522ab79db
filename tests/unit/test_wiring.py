"""What a LambdaService is wired to (issue 13) under Pulumi mocks: cross-account and organization callers, source
accounts of triggers in other accounts, execution role controls, Kafka/MQ/DocumentDB sources, ALB targets and the
helpers; each with its properties, alias qualifier, IAM on exact ARNs, permission scope, ordering and failing inputs."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

from lambdakit import LambdaService

ACCOUNT = "123456789012"  # the mocks' deploying account
OTHER = "210987654321"
ORG = "o-a1b2c3d4e5"
FN = "aws:lambda/function:Function"
ALIAS = "aws:lambda/alias:Alias"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/rolePolicy:RolePolicy"
PERMISSION = "aws:lambda/permission:Permission"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
ESM = "aws:lambda/eventSourceMapping:EventSourceMapping"


@pytest.fixture(autouse=True, scope="module")
def _collect_failed_futures() -> Iterator[None]:
    # Failed evaluations leave futures whose finalisers log from a later test's import otherwise (see test_triggers).
    yield
    gc.collect()


def service(**extra: Any) -> LambdaService:
    return LambdaService("orders", {"code_path": "src", **extra})  # type: ignore[typeddict-item]


def statements(deployed: Any) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(deployed.one(POLICY).inputs["policy"])["Statement"]}


def assert_fails_before_anything(deploy_error: Any, message: str, **extra: Any) -> None:
    error, deployed = deploy_error(lambda: service(**extra))
    assert isinstance(error, ValueError | TypeError), f"unexpected {type(error).__name__}: {error}"
    assert re.search(message, str(error)), f"{message!r} not in {error}"
    assert deployed.run.registrations == [], [r.urn for r in deployed.run.registrations]


# --- (1) callers in other accounts and organizations ----------------------------------------------------------------


def test_account_and_org_invokers_are_permissions_on_the_alias(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            allowed_invokers=[
                {"principal": OTHER},
                {"principal": f"arn:aws:iam::{OTHER}:role/billing"},
                {"principal_org_id": ORG},
            ]
        )
    )
    alias = deployed.one(ALIAS)
    by_name = {r.name: r for r in deployed.of_type(PERMISSION)}
    assert set(by_name) == {"orders-invoker-0", "orders-invoker-1", "orders-invoker-2"}
    for name, permission in by_name.items():
        assert permission.inputs["qualifier"] == "live", f"{name}: the alias, never $LATEST"
        assert permission.inputs["function"] == "orders-test"
        assert permission.inputs["action"] == "lambda:InvokeFunction"
        assert alias.urn in permission.dependencies, f"{name} must wait for the alias it is qualified with"
    assert by_name["orders-invoker-0"].inputs["principal"] == OTHER
    assert "principalOrgId" not in by_name["orders-invoker-0"].inputs
    assert by_name["orders-invoker-1"].inputs["principal"] == f"arn:aws:iam::{OTHER}:role/billing"
    org = by_name["orders-invoker-2"].inputs
    assert org["principal"] == "*" and org["principalOrgId"] == ORG, "an org grant is '*' bound to the org"


def test_star_with_org_is_an_org_grant(deploy: Any) -> None:
    deployed = deploy(lambda: service(allowed_invokers=[{"principal": "*", "principal_org_id": ORG}]))
    inputs = deployed.one(PERMISSION).inputs
    assert (inputs["principal"], inputs["principalOrgId"]) == ("*", ORG)


@pytest.mark.parametrize(
    ("invokers", "message"),
    [
        ([{"principal": "*"}], r"orders: allowed_invokers\[0\].principal is '\*' without principal_org_id"),
        ([{}], r"allowed_invokers\[0\].principal is required unless principal_org_id is set"),
        ([{"principal": "12345"}], r"allowed_invokers\[0\].principal must be a 12-digit account id .* got '12345'"),
        (
            [{"principal": "arn:aws:iam::*:root"}],
            r"allowed_invokers\[0\].principal must be a 12-digit account id or an IAM principal ARN",
        ),
        ([{"principal": "s3.amazonaws.com"}], r"principal must be a 12-digit account id"),
        ([{"principal_org_id": "org-1"}], r"allowed_invokers\[0\].principal_org_id must be an AWS Organization id"),
        ([{"principal": OTHER, "source_arn": "x"}], r"allowed_invokers\[0\] has an unknown setting 'source_arn'"),
    ],
)
def test_bad_invokers_fail_before_anything_is_registered(deploy_error: Any, invokers: Any, message: str) -> None:
    assert_fails_before_anything(deploy_error, message, allowed_invokers=invokers)


def test_an_invoker_known_at_deploy_time_is_checked_when_it_resolves(deploy_error: Any) -> None:
    error, _ = deploy_error(lambda: service(allowed_invokers=[{"principal": pulumi.Output.from_input("*")}]))
    assert "allowed_invokers[0].principal is '*' without principal_org_id" in str(error)


def test_bucket_in_another_account_scopes_the_permission_to_it_and_leaves_the_notification_to_its_owner(
    deploy: Any,
) -> None:
    deployed = deploy(
        lambda: service(
            s3_triggers=[
                {"bucket": "partner-drop", "source_account": OTHER},
                {"bucket": "uploads"},
            ]
        )
    )
    permissions = {r.name: r.inputs for r in deployed.of_type(PERMISSION)}
    assert permissions["orders-s3-0-permission"]["sourceAccount"] == OTHER
    assert permissions["orders-s3-0-permission"]["sourceArn"] == "arn:aws:s3:::partner-drop"
    assert permissions["orders-s3-0-permission"]["qualifier"] == "live"
    assert permissions["orders-s3-1-permission"]["sourceAccount"] == ACCOUNT, "own buckets stay on this account"
    notifications = [r.inputs["bucket"] for r in deployed.of_type(NOTIFICATION)]
    assert notifications == ["uploads"], "another account's bucket configuration cannot be written from here"


def test_sns_topic_in_another_account_is_scoped_to_the_account_its_arn_names(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            sns_triggers=[
                {"topic_arn": f"arn:aws:sns:us-east-1:{OTHER}:partner-events"},
                {"topic_arn": f"arn:aws:sns:us-east-1:{ACCOUNT}:own-events"},
            ]
        )
    )
    permissions = {r.name: r.inputs for r in deployed.of_type(PERMISSION)}
    assert permissions["orders-sns-0-permission"]["sourceAccount"] == OTHER
    assert permissions["orders-sns-1-permission"]["sourceAccount"] == ACCOUNT


@pytest.mark.parametrize(
    ("triggers", "message"),
    [
        ([{"bucket": "bkt1", "source_account": "abc"}], r"s3_triggers\[0\].source_account must be a 12-digit"),
        (
            [
                {"bucket": "bkt1", "source_account": OTHER, "filter_prefix": "a/"},
                {"bucket": "bkt1", "filter_prefix": "b/"},
            ],
            r"s3_triggers\[1\].source_account must be the same for every trigger on bucket 'bkt1'",
        ),
    ],
)
def test_bad_source_accounts_fail_before_anything_is_registered(deploy_error: Any, triggers: Any, message: str) -> None:
    assert_fails_before_anything(deploy_error, message, s3_triggers=triggers)


# --- (4) execution role controls -------------------------------------------------------------------------------------

BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/team-boundary"


def test_role_controls_shape_the_generated_role_and_the_schedulers(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            role_permissions_boundary_arn=BOUNDARY,
            role_path="/lambdakit/orders/",
            role_name_prefix="orders-exec-",
            schedules=[{"expression": "cron(0 8 * * ? *)", "time_zone": "Europe/Berlin"}],
        )
    )
    role = deployed.one(ROLE, "orders-role").inputs
    assert role["permissionsBoundary"] == BOUNDARY
    assert role["path"] == "/lambdakit/orders/"
    assert role["namePrefix"] == "orders-exec-"
    scheduler = deployed.one(ROLE, "orders-scheduler-role").inputs
    assert scheduler["permissionsBoundary"] == BOUNDARY, "every role the service creates carries the boundary"
    assert scheduler["path"] == "/lambdakit/orders/"


def test_without_controls_the_role_has_no_boundary_path_or_prefix(deploy: Any) -> None:
    role = deploy(lambda: service()).one(ROLE, "orders-role").inputs
    assert not {"permissionsBoundary", "path", "namePrefix"} & set(role), role


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"role_permissions_boundary_arn": "team-boundary"}, r"role_permissions_boundary_arn must be an IAM managed"),
        (
            {"role_permissions_boundary_arn": f"arn:aws:iam::{ACCOUNT}:role/x"},
            r"role_permissions_boundary_arn must be a managed policy ARN .* got 'arn:aws:iam::123456789012:role/x'",
        ),
        ({"role_path": "lambdakit"}, r"role_path must be an IAM path: '/' or '/segment/.../'.*got 'lambdakit'"),
        ({"role_path": "/lambdakit"}, r"role_path must be an IAM path"),
        ({"role_name_prefix": "x" * 39}, r"role_name_prefix must be at most 38 characters, got 39"),
        ({"role_name_prefix": "orders exec"}, r"role_name_prefix must be a role name prefix"),
        (
            {"role_arn": f"arn:aws:iam::{ACCOUNT}:role/mine", "role_path": "/a/"},
            r"role_arn cannot be combined with role_path: those shape the generated role",
        ),
    ],
)
def test_bad_role_controls_fail_before_anything_is_registered(
    deploy_error: Any, extra: dict[str, Any], message: str
) -> None:
    assert_fails_before_anything(deploy_error, message, **extra)


# --- (2) Kafka, Amazon MQ and DocumentDB sources ----------------------------------------------------------------------

MSK = f"arn:aws:kafka:us-east-1:{ACCOUNT}:cluster/orders/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-2"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:AmazonMSK_orders-AbCdEf"
CA_SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:kafka-root-ca-AbCdEf"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
FAILURES = f"arn:aws:sqs:us-east-1:{ACCOUNT}:kafka-failures"
BROKER = f"arn:aws:mq:us-east-1:{ACCOUNT}:broker:orders:b-0123abcd-4567-89ef-0123-456789abcdef"
DOCDB = f"arn:aws:rds:us-east-1:{ACCOUNT}:cluster:orders-docdb"
ENI_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaENIManagementAccess"


def managed_policies(deployed: Any) -> list[str]:
    return [r.inputs["policyArn"] for r in deployed.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")]


def test_msk_with_iam_auth_needs_no_secret_and_grants_the_cluster_topic_and_group(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            kafka_sources=[
                {
                    "cluster_arn": MSK,
                    "topic": "orders",
                    "starting_position": "TRIM_HORIZON",
                    "consumer_group_id": "orders-consumer",
                    "batch_size": 500,
                    "maximum_batching_window": 5,
                    "on_failure_destination_arn": FAILURES,
                }
            ]
        )
    )
    mapping = deployed.one(ESM, "orders-kafka-0")
    inputs = mapping.inputs
    assert inputs["functionName"].endswith(":function:orders-test:live"), "the mapping targets the alias"
    assert inputs["eventSourceArn"] == MSK and inputs["topics"] == ["orders"]
    assert inputs["startingPosition"] == "TRIM_HORIZON"
    assert inputs["amazonManagedKafkaEventSourceConfig"] == {"consumerGroupId": "orders-consumer"}
    assert "sourceAccessConfigurations" not in inputs, "IAM auth: no secret (aws-cdk #14038)"
    assert (inputs["batchSize"], inputs["maximumBatchingWindowInSeconds"]) == (500, 5)
    assert inputs["destinationConfig"] == {"onFailure": {"destinationArn": FAILURES}}
    # The alias depends on the function, which waits for the role policy: AWS checks the role when the mapping is made.
    assert deployed.one(ALIAS).urn in mapping.dependencies
    assert deployed.one(POLICY).urn in deployed.one(FN).dependencies
    by_sid = statements(deployed)
    assert by_sid["Kafka0Cluster"]["Resource"] == MSK
    assert by_sid["Kafka0Connect"]["Resource"] == MSK
    topic = MSK.replace(":cluster/", ":topic/") + "/orders"
    group = MSK.replace(":cluster/", ":group/") + "/orders-consumer"
    assert by_sid["Kafka0Topic"] == {
        "Sid": "Kafka0Topic",
        "Effect": "Allow",
        "Action": ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
        "Resource": topic,
    }
    assert by_sid["Kafka0Group"]["Resource"] == group
    assert by_sid["Kafka0Failure"]["Action"] == ["sqs:SendMessage"] and by_sid["Kafka0Failure"]["Resource"] == FAILURES
    assert "Kafka0Secret" not in by_sid
    assert by_sid["BrokerNetwork"]["Resource"] == "*"
    assert by_sid["BrokerNetwork"]["Action"] == [
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
    ]
    assert ENI_POLICY in managed_policies(deployed), "the poller creates interfaces in the cluster's VPC"


def test_msk_with_sasl_scram_sends_the_secret_and_may_read_only_it(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            kafka_sources=[
                {
                    "cluster_arn": MSK,
                    "topic": "orders",
                    "starting_position": "LATEST",
                    "authentication": "SASL_SCRAM_512",
                    "secret_arn": SECRET,
                    "secret_kms_key_arn": KEY,
                }
            ]
        )
    )
    inputs = deployed.one(ESM, "orders-kafka-0").inputs
    assert inputs["sourceAccessConfigurations"] == [{"type": "SASL_SCRAM_512_AUTH", "uri": SECRET}]
    by_sid = statements(deployed)
    assert by_sid["Kafka0Secret"]["Resource"] == [SECRET]
    assert by_sid["Kafka0Secret"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert by_sid["Kafka0SecretKey"]["Resource"] == KEY
    assert "Kafka0Connect" not in by_sid, "kafka-cluster:* actions are for IAM auth only"


def test_self_managed_kafka_with_mtls_in_a_vpc(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            kafka_sources=[
                {
                    "bootstrap_servers": ["b-1.kafka.internal:9094", "b-2.kafka.internal:9094"],
                    "topic": "clicks",
                    "starting_position": "LATEST",
                    "authentication": "MTLS",
                    "secret_arn": SECRET,
                    "server_root_ca_secret_arn": CA_SECRET,
                    "network": {"subnet_ids": ["subnet-a", "subnet-b"], "security_group_ids": ["sg-1"]},
                    "consumer_group_id": "clicks",
                }
            ]
        )
    )
    inputs = deployed.one(ESM, "orders-kafka-0").inputs
    assert "eventSourceArn" not in inputs
    assert inputs["selfManagedEventSource"] == {
        "endpoints": {"KAFKA_BOOTSTRAP_SERVERS": "b-1.kafka.internal:9094,b-2.kafka.internal:9094"}
    }
    assert inputs["selfManagedKafkaEventSourceConfig"] == {"consumerGroupId": "clicks"}
    assert inputs["sourceAccessConfigurations"] == [
        {"type": "CLIENT_CERTIFICATE_TLS_AUTH", "uri": SECRET},
        {"type": "SERVER_ROOT_CA_CERTIFICATE", "uri": CA_SECRET},
        {"type": "VPC_SUBNET", "uri": "subnet:subnet-a"},
        {"type": "VPC_SUBNET", "uri": "subnet:subnet-b"},
        {"type": "VPC_SECURITY_GROUP", "uri": "security_group:sg-1"},
    ]
    assert statements(deployed)["Kafka0Secret"]["Resource"] == [SECRET, CA_SECRET]
    assert ENI_POLICY in managed_policies(deployed)


def test_self_managed_kafka_on_the_internet_needs_no_network_permissions(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            kafka_sources=[
                {
                    "bootstrap_servers": ["kafka.example.com:9096"],
                    "topic": "clicks",
                    "starting_position": "LATEST",
                    "authentication": "SASL_SCRAM_256",
                    "secret_arn": SECRET,
                }
            ]
        )
    )
    assert "BrokerNetwork" not in statements(deployed)
    assert ENI_POLICY not in managed_policies(deployed)
    assert deployed.one(ESM).inputs["sourceAccessConfigurations"] == [{"type": "SASL_SCRAM_256_AUTH", "uri": SECRET}]


def test_mq_and_documentdb_sources_with_their_credentials_and_role(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            mq_sources=[
                {
                    "broker_arn": BROKER,
                    "queue": "orders",
                    "secret_arn": SECRET,
                    "engine": "RabbitMQ",
                    "virtual_host": "/prod",
                }
            ],
            documentdb_sources=[
                {
                    "cluster_arn": DOCDB,
                    "database_name": "shop",
                    "collection_name": "orders",
                    "full_document": "UpdateLookup",
                    "secret_arn": SECRET,
                    "starting_position": "LATEST",
                    "batch_size": 50,
                }
            ],
        )
    )
    mq = deployed.one(ESM, "orders-mq-0").inputs
    assert mq["eventSourceArn"] == BROKER and mq["queues"] == "orders"
    assert mq["sourceAccessConfigurations"] == [
        {"type": "BASIC_AUTH", "uri": SECRET},
        {"type": "VIRTUAL_HOST", "uri": "/prod"},
    ]
    assert mq["functionName"].endswith(":live") and mq["batchSize"] == 100
    docdb = deployed.one(ESM, "orders-docdb-0").inputs
    assert docdb["documentDbEventSourceConfig"] == {
        "databaseName": "shop",
        "collectionName": "orders",
        "fullDocument": "UpdateLookup",
    }
    assert docdb["sourceAccessConfigurations"] == [{"type": "BASIC_AUTH", "uri": SECRET}]
    assert (docdb["startingPosition"], docdb["batchSize"]) == ("LATEST", 50)
    by_sid = statements(deployed)
    assert by_sid["Mq0Broker"] == {
        "Sid": "Mq0Broker",
        "Effect": "Allow",
        "Action": ["mq:DescribeBroker"],
        "Resource": BROKER,
    }
    assert by_sid["Mq0Secret"]["Resource"] == [SECRET]
    assert by_sid["DocumentDb0Cluster"]["Resource"] == DOCDB
    assert by_sid["DocumentDb0Lookup"]["Resource"] == [
        f"arn:aws:rds:us-east-1:{ACCOUNT}:cluster-pg:*",
        f"arn:aws:rds:us-east-1:{ACCOUNT}:subgrp:*",
    ]


KAFKA = {"cluster_arn": MSK, "topic": "orders", "starting_position": "LATEST"}
SELF = {"bootstrap_servers": ["kafka.example.com:9096"], "topic": "clicks", "starting_position": "LATEST"}
MQ = {"broker_arn": BROKER, "queue": "orders", "secret_arn": SECRET}
DOC = {"cluster_arn": DOCDB, "database_name": "shop", "secret_arn": SECRET, "starting_position": "LATEST"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"kafka_sources": [{"topic": "t1", "starting_position": "LATEST"}]},
            r"kafka_sources\[0\] needs exactly one of cluster_arn .* got neither",
        ),
        ({"kafka_sources": [{**KAFKA, **SELF}]}, r"kafka_sources\[0\] needs exactly one of .* got both"),
        (
            {"kafka_sources": [{**KAFKA, "secret_arn": SECRET}]},
            r"kafka_sources\[0\].secret_arn must not be set with authentication IAM: the role authenticates",
        ),
        (
            {"kafka_sources": [{**KAFKA, "authentication": "SASL_SCRAM_512"}]},
            r"kafka_sources\[0\].secret_arn is required with authentication SASL_SCRAM_512",
        ),
        (
            {"kafka_sources": [{**KAFKA, "authentication": "SASL_PLAIN", "secret_arn": SECRET}]},
            r"kafka_sources\[0\].authentication must be one of IAM, SASL_SCRAM_512, MTLS, NONE; got 'SASL_PLAIN'",
        ),
        ({"kafka_sources": [SELF]}, r"kafka_sources\[0\].authentication is required for a self-managed cluster"),
        (
            {"kafka_sources": [{**SELF, "authentication": "IAM"}]},
            r"kafka_sources\[0\].authentication must be one of SASL_SCRAM_512",
        ),
        (
            {"kafka_sources": [{**KAFKA, "network": {"subnet_ids": ["s"], "security_group_ids": ["g"]}}]},
            r"kafka_sources\[0\].network applies to self-managed clusters only",
        ),
        (
            {"kafka_sources": [{**KAFKA, "starting_position": "AT_TIMESTAMP"}]},
            r"kafka_sources\[0\].starting_position must be one of TRIM_HORIZON, LATEST",
        ),
        (
            {"kafka_sources": [{**KAFKA, "starting_position": None}]},
            r"kafka_sources\[0\].starting_position is required",
        ),
        (
            {"kafka_sources": [{**KAFKA, "batch_size": 10_001}]},
            r"kafka_sources\[0\].batch_size must be 1-10000, got 10001",
        ),
        (
            {"kafka_sources": [{**KAFKA, "maximum_batching_window": 301}]},
            r"kafka_sources\[0\].maximum_batching_window must be 0-300",
        ),
        (
            {"kafka_sources": [{**KAFKA, "cluster_arn": "arn:aws:kafka:us-east-1:123456789012:cluster/*"}]},
            r"kafka_sources\[0\].cluster_arn must be an MSK cluster ARN",
        ),
        ({"kafka_sources": [{**KAFKA, "topic": ".hidden"}]}, r"kafka_sources\[0\].topic must be a Kafka topic name"),
        (
            {"kafka_sources": [{**SELF, "authentication": "NONE", "bootstrap_servers": ["kafka.example.com"]}]},
            r"bootstrap_servers\[0\] must be a broker as host:port",
        ),
        (
            {
                "kafka_sources": [
                    {**SELF, "authentication": "NONE", "bootstrap_servers": [f"k{i}.x:1" for i in range(11)]}
                ]
            },
            r"bootstrap_servers may hold at most 10, got 11",
        ),
        (
            {
                "kafka_sources": [
                    {**KAFKA, "on_failure_destination_arn": "arn:aws:lambda:us-east-1:123456789012:function:x"}
                ]
            },
            r"on_failure_destination_arn must be an SQS queue, SNS topic or S3 bucket ARN",
        ),
        (
            {"mq_sources": [{**MQ, "virtual_host": "/v"}]},
            r"mq_sources\[0\].virtual_host applies to RabbitMQ brokers only",
        ),
        (
            {"mq_sources": [{**MQ, "secret_arn": "hunter2"}]},
            r"mq_sources\[0\].secret_arn must be a Secrets Manager secret ARN",
        ),
        (
            {"mq_sources": [{k: v for k, v in MQ.items() if k != "secret_arn"}]},
            r"mq_sources\[0\].secret_arn is required",
        ),
        ({"mq_sources": [{**MQ, "engine": "Kafka"}]}, r"mq_sources\[0\].engine must be one of ActiveMQ, RabbitMQ"),
        (
            {"documentdb_sources": [{**DOC, "full_document": "Full"}]},
            r"documentdb_sources\[0\].full_document must be one of UpdateLookup, Default",
        ),
        (
            {"documentdb_sources": [{**DOC, "collection_name": "system.views"}]},
            r"documentdb_sources\[0\].collection_name must be a name",
        ),
        (
            {"documentdb_sources": [{**DOC, "starting_position": "AT_TIMESTAMP"}]},
            r"documentdb_sources\[0\].starting_position_timestamp is required with AT_TIMESTAMP",
        ),
        (
            {"documentdb_sources": [{**DOC, "cluster_arn": BROKER}]},
            r"documentdb_sources\[0\].cluster_arn must be a DocumentDB cluster ARN",
        ),
    ],
    ids=lambda v: v[:50] if isinstance(v, str) else None,
)
def test_bad_broker_sources_fail_before_anything_is_registered(
    deploy_error: Any, extra: dict[str, Any], message: str
) -> None:
    assert_fails_before_anything(deploy_error, message, **extra)


# --- (3) Application Load Balancer targets ---------------------------------------------------------------------------

TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
ATTACHMENT = "aws:lb/targetGroupAttachment:TargetGroupAttachment"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
LISTENER = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:listener/app/orders/50dc6c495c0c9188/f2f7dc8efc522ab2"
POOL = f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/us-east-1_AbCdEf"


def test_alb_target_group_attaches_the_alias_after_its_permission(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            alb_targets=[
                {
                    "multi_value_headers": True,
                    "health_check": {"enabled": True, "path": "/health", "interval_seconds": 60, "timeout_seconds": 10},
                }
            ]
        )
    )
    group = deployed.one(TARGET_GROUP, "orders-alb-0")
    assert group.inputs["targetType"] == "lambda"
    assert group.inputs["lambdaMultiValueHeadersEnabled"] is True
    assert group.inputs["healthCheck"] == {
        "enabled": True,
        "path": "/health",
        "interval": 60,
        "timeout": 10,
        "healthyThreshold": 5,
        "unhealthyThreshold": 2,
        "matcher": "200",
    }
    permission = deployed.one(PERMISSION, "orders-alb-0-permission")
    assert permission.inputs["principal"] == "elasticloadbalancing.amazonaws.com"
    assert permission.inputs["qualifier"] == "live"
    assert permission.inputs["sourceArn"] == group.outputs["arn"], "scoped to this target group"
    assert permission.inputs["sourceAccount"] == ACCOUNT
    attachment = deployed.one(ATTACHMENT, "orders-alb-0-attachment")
    assert attachment.inputs["targetId"].endswith(":function:orders-test:live"), "the alias is the target"
    assert attachment.inputs["targetGroupArn"] == group.outputs["arn"]
    assert permission.urn in attachment.dependencies, "ELB invokes the target when it is registered"
    assert deployed.of_type(LISTENER_RULE) == []


def test_alb_listener_rule_authenticates_with_cognito_then_forwards(deploy: Any) -> None:
    cognito = {"user_pool_arn": POOL, "user_pool_client_id": "client", "user_pool_domain": "orders-auth"}
    deployed = deploy(
        lambda: service(
            alb_targets=[
                {
                    "listener_arn": LISTENER,
                    "priority": 10,
                    "path_patterns": ["/orders/*"],
                    "host_headers": ["api.example.com"],
                    "authenticate_cognito": cognito,
                }
            ]
        )
    )
    rule = deployed.one(LISTENER_RULE, "orders-alb-0-rule")
    group_arn = deployed.one(TARGET_GROUP).outputs["arn"]
    assert rule.inputs["listenerArn"] == LISTENER and rule.inputs["priority"] == 10
    assert rule.inputs["conditions"] == [
        {"pathPattern": {"values": ["/orders/*"]}},
        {"hostHeader": {"values": ["api.example.com"]}},
    ]
    assert rule.inputs["actions"] == [
        {
            "type": "authenticate-cognito",
            "order": 1,
            "authenticateCognito": {"userPoolArn": POOL, "userPoolClientId": "client", "userPoolDomain": "orders-auth"},
        },
        {"type": "forward", "order": 2, "targetGroupArn": group_arn},
    ]
    assert deployed.one(ATTACHMENT).urn in rule.dependencies, "no forwarding before the alias is attached"


def test_an_acknowledged_unauthenticated_rule_only_forwards(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            alb_targets=[
                {"listener_arn": LISTENER, "priority": 5, "path_patterns": ["/*"], "allow_unauthenticated": True}
            ]
        )
    )
    assert [a["type"] for a in deployed.one(LISTENER_RULE).inputs["actions"]] == ["forward"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            {"listener_arn": LISTENER, "priority": 5, "path_patterns": ["/*"]},
            r"alb_targets\[0\].listener_arn forwards requests without authentication",
        ),
        (
            {"listener_arn": LISTENER, "path_patterns": ["/*"], "allow_unauthenticated": True},
            r"alb_targets\[0\].priority is required with listener_arn",
        ),
        (
            {"listener_arn": LISTENER, "priority": 0, "path_patterns": ["/*"], "allow_unauthenticated": True},
            r"alb_targets\[0\].priority must be 1-50000, got 0",
        ),
        (
            {"listener_arn": LISTENER, "priority": 5, "allow_unauthenticated": True},
            r"alb_targets\[0\] needs path_patterns or host_headers",
        ),
        (
            {
                "listener_arn": LISTENER,
                "priority": 5,
                "path_patterns": [f"/{i}" for i in range(6)],
                "allow_unauthenticated": True,
            },
            r"may match at most 5 paths and hosts in one rule, got 6",
        ),
        (
            {
                "listener_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1",
                "priority": 5,
                "path_patterns": ["/*"],
                "allow_unauthenticated": True,
            },
            r"alb_targets\[0\].listener_arn must be an ELB listener ARN",
        ),
        ({"path_patterns": ["/*"]}, r"alb_targets\[0\].path_patterns needs listener_arn"),
        ({"allow_unauthenticated": True}, r"alb_targets\[0\].allow_unauthenticated needs listener_arn"),
        (
            {"health_check": {"interval_seconds": 10, "timeout_seconds": 10}},
            r"alb_targets\[0\].health_check.timeout_seconds must be less than interval_seconds \(10\), got 10",
        ),
        ({"health_check": {"interval_seconds": 4}}, r"health_check.interval_seconds must be 5-300 seconds, got 4"),
        ({"health_check": {"healthy_threshold": 11}}, r"health_check.healthy_threshold must be 2-10, got 11"),
        ({"health_check": {"matcher": "ok"}}, r"health_check.matcher must be HTTP codes such as 200"),
        ({"target_group_name": "orders_tg"}, r"alb_targets\[0\].target_group_name must be a target group name"),
        ({"multi_value_headers": "yes"}, r"alb_targets\[0\].multi_value_headers must be true or false"),
    ],
    ids=lambda v: v[:50] if isinstance(v, str) else None,
)
def test_bad_alb_targets_fail_before_anything_is_registered(deploy_error: Any, target: Any, message: str) -> None:
    assert_fails_before_anything(deploy_error, message, alb_targets=[target])


def test_a_long_service_name_needs_a_target_group_name(deploy_error: Any) -> None:
    error, deployed = deploy_error(
        lambda: LambdaService("order-processor-eu-west", {"code_path": "src", "alb_targets": [{}]})  # type: ignore[typeddict-item]
    )
    assert "alb_targets[0] gives the target group the generated name 'order-processor-eu-west-alb-0'" in str(error)
    assert deployed.run.registrations == []


# --- (6) runtime management, recursive loop, tenancy ------------------------------------------------------------------

RUNTIME = "aws:lambda/runtimeManagementConfig:RuntimeManagementConfig"
RECURSION = "aws:lambda/functionRecursionConfig:FunctionRecursionConfig"
RUNTIME_VERSION = "arn:aws:lambda:us-east-1::runtime:0cdcfbdefbc5e7d3343f73c2e2dd3cba17d61dea0686b404502a0c9ce83931b9"


def test_manual_runtime_is_pinned_on_latest_and_on_the_published_version(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            runtime_management={"update_runtime_on": "Manual", "runtime_version_arn": RUNTIME_VERSION},
            recursive_loop="Allow",
            tenant_isolation_mode="PER_TENANT",
        )
    )
    configs = {r.name: r.inputs for r in deployed.of_type(RUNTIME)}
    assert set(configs) == {"orders-runtime", "orders-runtime-version"}
    assert "qualifier" not in configs["orders-runtime"], "$LATEST: later versions inherit it when published"
    assert configs["orders-runtime-version"]["qualifier"] == deployed.one(FN).outputs["version"]
    for inputs in configs.values():
        assert inputs["functionName"] == "orders-test"
        assert (inputs["updateRuntimeOn"], inputs["runtimeVersionArn"]) == ("Manual", RUNTIME_VERSION)
    assert deployed.one(RECURSION).inputs == {"functionName": "orders-test", "recursiveLoop": "Allow"}
    assert deployed.one(FN).inputs["tenancyConfig"] == {"tenantIsolationMode": "PER_TENANT"}


def test_lambda_defaults_create_no_runtime_or_recursion_resources(deploy: Any) -> None:
    deployed = deploy(lambda: service())
    assert deployed.of_type(RUNTIME) == [] and deployed.of_type(RECURSION) == []
    assert "tenancyConfig" not in deployed.one(FN).inputs


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"runtime_management": {"update_runtime_on": "Manual"}},
            r"runtime_management.runtime_version_arn is required with update_runtime_on Manual",
        ),
        (
            {"runtime_management": {"update_runtime_on": "Auto", "runtime_version_arn": RUNTIME_VERSION}},
            r"runtime_version_arn applies only with update_runtime_on Manual, got Auto",
        ),
        (
            {"runtime_management": {"update_runtime_on": "auto"}},
            r"update_runtime_on must be one of Auto, Manual, FunctionUpdate; got 'auto' \(did you mean 'Auto'\?\)",
        ),
        (
            {"runtime_management": {"update_runtime_on": "Manual", "runtime_version_arn": "python3.12"}},
            r"runtime_version_arn must be a runtime version ARN",
        ),
        ({"recursive_loop": "Stop"}, r"recursive_loop must be one of Allow, Terminate; got 'Stop'"),
        ({"tenant_isolation_mode": "SHARED"}, r"tenant_isolation_mode must be one of PER_TENANT; got 'SHARED'"),
    ],
    ids=lambda v: v[:50] if isinstance(v, str) else None,
)
def test_bad_runtime_settings_fail_before_anything_is_registered(
    deploy_error: Any, extra: dict[str, Any], message: str
) -> None:
    assert_fails_before_anything(deploy_error, message, **extra)


# --- (8) grant_invoke, metric, from_existing --------------------------------------------------------------------------


def test_grant_invoke_to_a_role_is_an_inline_statement_on_the_alias_arn(deploy: Any) -> None:
    def program() -> None:
        import pulumi_aws as aws

        caller = aws.iam.Role("billing", assume_role_policy="{}")
        svc = service()
        svc.grant_invoke(caller)

    deployed = deploy(program)
    policy = deployed.one(POLICY, "orders-invoke-billing")
    document = json.loads(policy.inputs["policy"])
    alias_arn = deployed.one(ALIAS).outputs["arn"]
    assert document["Statement"] == [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": alias_arn}]
    assert policy.inputs["role"] == deployed.one(ROLE, "billing").outputs.get("id", "billing-id")
    assert deployed.one(PERMISSION if False else POLICY, "orders-invoke-billing").parent.endswith(
        "LambdaService::orders"
    )


def test_grant_invoke_to_an_account_or_a_service_is_a_permission_on_the_alias(deploy: Any) -> None:
    rule = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/nightly"

    def program() -> None:
        svc = service()
        svc.grant_invoke(OTHER)
        svc.grant_invoke("events.amazonaws.com", name="nightly", source_arn=rule)

    by_name = {r.name: r.inputs for r in deploy(program).of_type(PERMISSION)}
    assert by_name["orders-invoke-210987654321"]["principal"] == OTHER
    assert by_name["orders-invoke-210987654321"]["qualifier"] == "live"
    nightly = by_name["orders-invoke-nightly"]
    assert (nightly["principal"], nightly["sourceArn"], nightly["sourceAccount"]) == (
        "events.amazonaws.com",
        rule,
        ACCOUNT,
    )
    assert nightly["qualifier"] == "live"


@pytest.mark.parametrize(
    ("grantee", "kwargs", "message"),
    [
        ("*", {}, r"orders: grant_invoke.grantee is '\*'"),
        (
            "sns.amazonaws.com",
            {},
            r"grant_invoke.grantee is the service principal sns.amazonaws.com, which needs source_arn",
        ),
        (OTHER, {"source_arn": "arn:aws:sns:us-east-1:1:t"}, r"source_arn applies to service principals only"),
        ("billing", {}, r"grant_invoke.grantee must be an aws.iam.Role, a 12-digit account id"),
        (42, {}, r"grant_invoke.grantee must be an aws.iam.Role"),
        (OTHER, {"name": "has space"}, r"grant_invoke.name must be a name of letters"),
    ],
)
def test_bad_grants_fail_with_the_service_and_the_grantee(
    deploy_error: Any, grantee: Any, kwargs: dict[str, Any], message: str
) -> None:
    error, deployed = deploy_error(lambda: service().grant_invoke(grantee, **kwargs))
    assert re.search(message, str(error)), str(error)
    assert PERMISSION not in {r.type for r in deployed.run.registrations}


def test_metric_is_the_alias_metric_for_alarms_and_dashboards(deploy: Any) -> None:
    import pulumi_aws as aws

    seen: dict[str, Any] = {}

    def program() -> None:
        svc = service()
        errors = svc.metric("Errors")
        p99 = svc.metric("Duration", "p99", 300)
        aws.cloudwatch.MetricAlarm(
            "orders-errors",
            comparison_operator="GreaterThanThreshold",
            threshold=5,
            evaluation_periods=1,
            **errors.alarm_args(),
        )
        aws.cloudwatch.MetricAlarm(
            "orders-p99",
            comparison_operator="GreaterThanThreshold",
            threshold=1000,
            evaluation_periods=3,
            **p99.alarm_args(),
        )
        p99.widget_metric().apply(lambda m: seen.__setitem__("widget", m))

    deployed = deploy(program)
    errors = deployed.one("aws:cloudwatch/metricAlarm:MetricAlarm", "orders-errors").inputs
    assert (errors["namespace"], errors["metricName"], errors["statistic"], errors["period"]) == (
        "AWS/Lambda",
        "Errors",
        "Sum",
        60,
    )
    assert errors["dimensions"] == {"FunctionName": "orders-test", "Resource": "orders-test:live"}, "the alias"
    p99 = deployed.one("aws:cloudwatch/metricAlarm:MetricAlarm", "orders-p99").inputs
    assert p99["extendedStatistic"] == "p99" and "statistic" not in p99 and p99["period"] == 300
    assert seen["widget"] == [
        "AWS/Lambda",
        "Duration",
        "FunctionName",
        "orders-test",
        "Resource",
        "orders-test:live",
        {"stat": "p99", "period": 300},
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Errrors",), r"orders: metric.name must be one of .*; got 'Errrors' \(did you mean 'Errors'\?\)"),
        (("Errors", "Total"), r"metric.statistic must be one of Sum, Average, Minimum, Maximum, SampleCount or a pe"),
        (("Errors", "Sum", 90), r"metric.period must be a multiple of 60 seconds, got 90"),
        (("Errors", "Sum", 30), r"metric.period must be 60-86400 seconds, got 30"),
    ],
)
def test_bad_metrics_fail_with_the_service(deploy_error: Any, args: tuple[Any, ...], message: str) -> None:
    error, _ = deploy_error(lambda: service().metric(*args))
    assert re.search(message, str(error)), str(error)


def test_from_existing_references_a_function_elsewhere_for_triggers_and_grants(deploy: Any) -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        elsewhere = LambdaService.from_existing("billing", f"arn:aws:lambda:eu-west-1:{OTHER}:function:billing-prod")
        local = LambdaService.from_existing("reports", "reports-prod", alias_name="stable")
        elsewhere.alias_arn.apply(lambda arn: seen.__setitem__("elsewhere", arn))
        local.alias_arn.apply(lambda arn: seen.__setitem__("local", arn))
        local.grant_invoke(
            "events.amazonaws.com", name="nightly", source_arn=f"arn:aws:events:us-east-1:{ACCOUNT}:rule/n"
        )
        seen["metric"] = local.metric("Throttles").dimensions["FunctionName"]

    deployed = deploy(program)
    assert seen["elsewhere"] == f"arn:aws:lambda:eu-west-1:{OTHER}:function:billing-prod:live"
    assert seen["local"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:reports-prod:stable"
    permission = deployed.one(PERMISSION, "reports-invoke-nightly").inputs
    assert permission["qualifier"] == "stable"
    assert permission["function"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:reports-prod"
    assert [r.type for r in deployed.run.registrations if r.type != "pulumi:pulumi:Stack"] == [PERMISSION], (
        "referencing creates nothing; only the grant does"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("billing", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:billing:live"),
            r"billing: function must be the unqualified function ARN",
        ),
        (("billing", "not a name"), r"billing: function must be a function name or an unqualified function ARN"),
        (("billing", "billing-prod", "$LATEST"), r"billing: alias_name must be an alias name"),
    ],
)
def test_from_existing_refuses_what_it_cannot_reference(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LambdaService.from_existing(*args)


# --- (7) well-known layers resolved at deploy time --------------------------------------------------------------------


def test_powertools_and_insights_layers_are_resolved_for_the_runtime_architecture_and_region(deploy: Any) -> None:
    deployed = deploy(
        lambda: service(
            runtime="python3.12",
            architecture="arm64",
            application_log_level="WARN",
            managed_layers={"powertools": {"metrics_namespace": "Orders"}, "lambda_insights": {"version": 53}},
        )
    )
    fn = deployed.one(FN).inputs
    assert fn["layers"] == [
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:1",
        "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension-Arm64:53",
    ], "the Powertools ARN comes from /aws/service/powertools/python/arm64/python3.12/latest (mocked offline)"
    variables = fn["environment"]["variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == "orders"
    assert variables["POWERTOOLS_LOG_LEVEL"] == "WARN"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Orders"
    by_sid = statements(deployed)
    assert (
        by_sid["LambdaInsightsGroup"]["Resource"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda-insights"
    )
    assert by_sid["LambdaInsightsEvents"]["Resource"].endswith(":log-group:/aws/lambda-insights:*")


def test_adot_layer_sets_the_exec_wrapper_for_node(deploy: Any, program_dir: Path) -> None:
    (program_dir / "src" / "handler.js").write_text("exports.handler = async () => ({});\n")
    deployed = deploy(
        lambda: service(runtime="nodejs22.x", architecture="x86_64", managed_layers={"adot": {"version": "1-30-1:4"}})
    )
    fn = deployed.one(FN).inputs
    assert fn["layers"] == ["arn:aws:lambda:us-east-1:901920570463:layer:aws-otel-nodejs-amd64-ver-1-30-1:4"]
    assert fn["environment"]["variables"]["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/otel-instrument"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"runtime": "java21", "managed_layers": {"powertools": {}}},
            r"managed_layers.powertools is published as a layer for Python and Node.js",
        ),
        (
            {"managed_layers": {"powertools": {"version": "v3"}}},
            r"managed_layers.powertools.version must be a release such as 3.4.0, or latest",
        ),
        (
            {"managed_layers": {"lambda_insights": {"version": 0}}},
            r"managed_layers.lambda_insights.version must be 1-1000000",
        ),
        (
            {"managed_layers": {"adot": {"version": "latest"}}},
            r"managed_layers.adot.version must be a release and layer version",
        ),
        (
            {"managed_layers": {"powertools": {}}, "environment": {"POWERTOOLS_LOG_LEVEL": "DEBUG"}},
            r"environment\['POWERTOOLS_LOG_LEVEL'\] is set by managed_layers",
        ),
        (
            {
                "managed_layers": {"powertools": {}},
                "layers": [f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:l{i}:1" for i in range(5)],
            },
            r"managed_layers adds 1 layer\(s\) to the 5 in layers; a function has at most 5",
        ),
        ({"managed_layers": {"x_ray": {}}}, r"managed_layers has an unknown setting 'x_ray'"),
    ],
    ids=lambda v: v[:50] if isinstance(v, str) else None,
)
def test_bad_managed_layers_fail_before_anything_is_registered(
    deploy_error: Any, extra: dict[str, Any], message: str
) -> None:
    assert_fails_before_anything(deploy_error, message, **extra)


ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def test_a_kafka_source_gets_an_offset_lag_alarm_on_the_alias_and_mq_does_not(deploy: Any) -> None:
    deployed = deploy(lambda: service(kafka_sources=[KAFKA]))
    alarm = deployed.one(ALARM, "orders-alarm-offset-lag").inputs
    assert alarm["namespace"] == "AWS/Lambda" and alarm["metricName"] == "OffsetLag"
    assert alarm["statistic"] == "Maximum" and alarm["threshold"] == 1000
    assert alarm["dimensions"] == {"FunctionName": "orders-test", "Resource": "orders-test:live"}
    without = deploy(lambda: service(mq_sources=[MQ]))
    names = {r.name for r in without.of_type(ALARM)}
    assert "orders-alarm-offset-lag" not in names and "orders-alarm-error-rate" in names, names

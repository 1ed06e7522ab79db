"""Event source mappings on brokers and clusters, bound to the alias: Amazon MSK and self-managed Apache Kafka,
Amazon MQ (ActiveMQ, RabbitMQ) and Amazon DocumentDB change streams.

Like :mod:`lambdakit.event_sources`, each kind is a TypedDict of inputs, a frozen plan (``validate_*``) and a
``create_*`` that registers the mapping from the plan alone; :func:`broker_statements` gives the execution role
exactly what each source needs, on the source's ARNs (Lambda's pollers for these sources run in the source's VPC, so
the role also gets the network-interface permissions, see :data:`NETWORK_DESCRIBE_ACTIONS`).

An MSK cluster with IAM authentication needs no secret: the mapping carries no source access configuration and the
role is granted ``kafka-cluster:*`` actions on the cluster, topic and group (CDK required a secret here, aws-cdk
#14038).
"""

# No `from __future__ import annotations`: Pulumi's component schema inference reads these TypedDicts at run time.
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits
from .event_sources import DESTINATION_SERVICES, _filter_criteria, _filters, _timestamp
from .iam import destination_statement, statement
from .validation import Field, is_unknown, optional

__all__ = [
    "BrokerNetworkArgs",
    "BrokerSourcesPlan",
    "DocumentDbSourceArgs",
    "KafkaSourceArgs",
    "MqSourceArgs",
    "broker_statements",
    "create_broker_mappings",
    "validate_broker_sources",
]


class BrokerNetworkArgs(TypedDict):
    """Where Lambda's poller reaches a self-managed Kafka cluster."""

    subnet_ids: Sequence[pulumi.Input[str]]
    """Subnets with a route to the brokers (and a NAT gateway or VPC endpoints for Lambda and STS). Required."""
    security_group_ids: Sequence[pulumi.Input[str]]
    """Security groups the brokers accept. Required."""


class KafkaSourceArgs(TypedDict):
    """An Amazon MSK cluster or a self-managed Apache Kafka cluster the function consumes (the mapping targets the
    alias). Exactly one of `cluster_arn` and `bootstrap_servers`."""

    cluster_arn: NotRequired[pulumi.Input[str]]
    """ARN of the Amazon MSK cluster (`arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>`)."""
    bootstrap_servers: NotRequired[Sequence[str]]
    """Self-managed Kafka: 1-10 brokers as `host:port`."""
    topic: pulumi.Input[str]
    """The topic to consume (a mapping reads one topic). Required; no default."""
    starting_position: str
    """`TRIM_HORIZON` (the whole topic) or `LATEST`. Required, as for streams: a new consumer group otherwise reads
    from a position you did not choose."""
    consumer_group_id: NotRequired[pulumi.Input[str]]
    """Consumer group to join, at most 200 characters; cannot be changed later. Defaults to the mapping's id."""
    authentication: NotRequired[str]
    """`IAM` (MSK only; no secret), `SASL_SCRAM_512`, `SASL_SCRAM_256`, `SASL_PLAIN` (self-managed only), `MTLS`
    (client certificate) or `NONE` (an unauthenticated listener). Defaults to `IAM` for MSK; required for
    self-managed clusters."""
    secret_arn: NotRequired[pulumi.Input[str]]
    """Secrets Manager secret with the SASL credentials or the mTLS client certificate and key; required with
    `SASL_*` and `MTLS`, refused with `IAM` and `NONE`. Defaults to none."""
    server_root_ca_secret_arn: NotRequired[pulumi.Input[str]]
    """Self-managed Kafka: secret with the root CA certificate the brokers' TLS certificates chain to. Defaults to
    none (a public CA)."""
    secret_kms_key_arn: NotRequired[pulumi.Input[str]]
    """Customer-managed KMS key that encrypts the secrets; the role may decrypt with it. Defaults to none."""
    network: NotRequired[BrokerNetworkArgs]
    """Self-managed Kafka in a VPC: subnets and security groups for the poller. Defaults to none (brokers reachable
    from the internet)."""
    batch_size: NotRequired[pulumi.Input[int]]
    """Records per batch, 1-10,000. Defaults to 100."""
    maximum_batching_window: NotRequired[pulumi.Input[int]]
    """Seconds to gather records before invoking, 0-300. Defaults to unset (Lambda's 500 ms)."""
    on_failure_destination_arn: NotRequired[pulumi.Input[str]]
    """SQS queue, SNS topic or S3 bucket ARN that receives batches that failed every retry. Defaults to unset (the
    policy pack asks for one)."""
    filters: NotRequired[Sequence[pulumi.Input[str]]]
    """Event filter patterns (JSON strings), at most 5. Defaults to none."""
    enabled: NotRequired[pulumi.Input[bool]]
    """Whether the mapping polls. Defaults to true."""


class MqSourceArgs(TypedDict):
    """An Amazon MQ broker queue the function consumes (the mapping targets the alias)."""

    broker_arn: pulumi.Input[str]
    """ARN of the broker (`arn:aws:mq:<region>:<account>:broker:<name>:<id>`). Required; no default."""
    queue: pulumi.Input[str]
    """Name of the queue to consume (a mapping reads one queue). Required; no default."""
    secret_arn: pulumi.Input[str]
    """Secrets Manager secret with the broker user's `username` and `password`. Required; no default."""
    engine: NotRequired[str]
    """`ActiveMQ` or `RabbitMQ`. Defaults to `ActiveMQ`."""
    virtual_host: NotRequired[pulumi.Input[str]]
    """RabbitMQ virtual host of the queue. Defaults to `/`."""
    secret_kms_key_arn: NotRequired[pulumi.Input[str]]
    """Customer-managed KMS key that encrypts the secret; the role may decrypt with it. Defaults to none."""
    batch_size: NotRequired[pulumi.Input[int]]
    """Messages per batch, 1-10,000. Defaults to 100."""
    maximum_batching_window: NotRequired[pulumi.Input[int]]
    """Seconds to gather messages before invoking, 0-300. Defaults to unset (Lambda's 500 ms)."""
    filters: NotRequired[Sequence[pulumi.Input[str]]]
    """Event filter patterns (JSON strings), at most 5. Defaults to none."""
    enabled: NotRequired[pulumi.Input[bool]]
    """Whether the mapping polls. Defaults to true."""


class DocumentDbSourceArgs(TypedDict):
    """An Amazon DocumentDB change stream the function consumes (the mapping targets the alias)."""

    cluster_arn: pulumi.Input[str]
    """ARN of the DocumentDB cluster (`arn:aws:rds:<region>:<account>:cluster:<name>`), with change streams enabled
    on the collection. Required; no default."""
    database_name: pulumi.Input[str]
    """Database to consume. Required; no default."""
    secret_arn: pulumi.Input[str]
    """Secrets Manager secret with the cluster user's `username` and `password`. Required; no default."""
    starting_position: str
    """`TRIM_HORIZON`, `LATEST` or `AT_TIMESTAMP`. Required."""
    starting_position_timestamp: NotRequired[pulumi.Input[str]]
    """RFC 3339 timestamp, required with `AT_TIMESTAMP`. Defaults to unset."""
    collection_name: NotRequired[pulumi.Input[str]]
    """Collection to consume. Defaults to every collection of the database."""
    full_document: NotRequired[str]
    """`UpdateLookup` (updates carry the whole document) or `Default` (only the change). Defaults to `Default`."""
    secret_kms_key_arn: NotRequired[pulumi.Input[str]]
    """Customer-managed KMS key that encrypts the secret; the role may decrypt with it. Defaults to none."""
    batch_size: NotRequired[pulumi.Input[int]]
    """Records per batch, 1-10,000. Defaults to 100."""
    maximum_batching_window: NotRequired[pulumi.Input[int]]
    """Seconds to gather records before invoking, 0-300. Defaults to unset (Lambda's 500 ms)."""
    filters: NotRequired[Sequence[pulumi.Input[str]]]
    """Event filter patterns (JSON strings), at most 5. Defaults to none."""
    enabled: NotRequired[pulumi.Input[bool]]
    """Whether the mapping polls. Defaults to true."""


# --- plans ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KafkaSourcePlan:
    index: int
    #: The MSK cluster ARN, or None for a self-managed cluster.
    cluster_arn: Any
    #: ``host:port`` brokers of a self-managed cluster (empty for MSK).
    bootstrap_servers: tuple[str, ...]
    topic: Any
    starting_position: str
    consumer_group_id: Any
    authentication: str
    secret_arn: Any
    server_root_ca_secret_arn: Any
    secret_kms_key_arn: Any
    subnet_ids: tuple[Any, ...]
    security_group_ids: tuple[Any, ...]
    batch_size: Any
    maximum_batching_window: Any
    on_failure_destination_arn: Any
    filters: tuple[Any, ...]
    enabled: Any

    @property
    def managed(self) -> bool:
        return self.cluster_arn is not None


@dataclass(frozen=True)
class MqSourcePlan:
    index: int
    broker_arn: Any
    queue: Any
    secret_arn: Any
    engine: str
    virtual_host: Any
    secret_kms_key_arn: Any
    batch_size: Any
    maximum_batching_window: Any
    filters: tuple[Any, ...]
    enabled: Any


@dataclass(frozen=True)
class DocumentDbSourcePlan:
    index: int
    cluster_arn: Any
    database_name: Any
    collection_name: Any
    full_document: str
    secret_arn: Any
    starting_position: str
    starting_position_timestamp: Any
    secret_kms_key_arn: Any
    batch_size: Any
    maximum_batching_window: Any
    filters: tuple[Any, ...]
    enabled: Any


@dataclass(frozen=True)
class BrokerSourcesPlan:
    """Every Kafka, MQ and DocumentDB source of one service."""

    kafka: tuple[KafkaSourcePlan, ...] = ()
    mq: tuple[MqSourcePlan, ...] = ()
    documentdb: tuple[DocumentDbSourcePlan, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.kafka or self.mq or self.documentdb)


# --- validation -------------------------------------------------------------------------------------------------------

_MSK_CLUSTER = re.compile(r"arn:aws[a-z-]*:kafka:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9-]+/[A-Za-z0-9-]+", re.ASCII)
_MQ_BROKER = re.compile(r"arn:aws[a-z-]*:mq:[a-z0-9-]+:[0-9]{12}:broker:[A-Za-z0-9_-]+:b-[A-Za-z0-9-]+", re.ASCII)
_DOCDB_CLUSTER = re.compile(r"arn:aws[a-z-]*:rds:[a-z0-9-]+:[0-9]{12}:cluster:[A-Za-z][A-Za-z0-9-]*", re.ASCII)
_SECRET = re.compile(r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+", re.ASCII)


def _matching(field: Field, value: Any, pattern: re.Pattern[str], what: str, example: str) -> Any:
    return field.string(value, pattern=pattern, what=f"{what} ({example})")


def _secret(field: Field, value: Any) -> Any:
    return _matching(field, value, _SECRET, "a Secrets Manager secret ARN", "arn:aws:secretsmanager:...:secret:...")


def _key(field: Field, value: Any) -> Any:
    return None if value is None else field.string(value, pattern=limits.KMS_KEY_ARN_RE, what="a KMS key ARN")


def _common(field: Field, src: Any) -> dict[str, Any]:
    window = src.get("maximum_batching_window")
    return {
        "batch_size": field.key("batch_size").integer(optional(src, "batch_size", 100), limits.BROKER_BATCH),
        "maximum_batching_window": None
        if window is None
        else field.key("maximum_batching_window").integer(window, limits.BATCHING_WINDOW_S),
        "filters": _filters(field.key("filters"), src.get("filters")),
        "enabled": field.key("enabled").boolean(optional(src, "enabled", True), plain=False),
        "secret_kms_key_arn": _key(field.key("secret_kms_key_arn"), src.get("secret_kms_key_arn")),
    }


def _kafka(owner: str, index: int, raw: Any) -> KafkaSourcePlan:
    field = Field(owner, f"kafka_sources[{index}]")
    src = field.mapping(raw, KafkaSourceArgs)
    cluster, servers = src.get("cluster_arn"), src.get("bootstrap_servers")
    if (cluster is None) == (servers is None):
        raise field.fail(
            "needs exactly one of cluster_arn (Amazon MSK) and bootstrap_servers (self-managed Kafka), got "
            + ("both" if cluster is not None else "neither")
        )
    managed = cluster is not None
    kind = "an MSK cluster" if managed else "a self-managed cluster"
    if managed:
        cluster = _matching(
            field.key("cluster_arn"), cluster, _MSK_CLUSTER, "an MSK cluster ARN", "arn:aws:kafka:...:cluster/<n>/<id>"
        )
        brokers: tuple[str, ...] = ()
    else:
        listed = field.key("bootstrap_servers")
        items = listed.sequence(servers, min_len=1, max_len=limits.KAFKA_BOOTSTRAP_SERVERS_MAX, what="a list")
        brokers = tuple(
            listed.index(i).string(s, pattern=limits.KAFKA_ENDPOINT_RE, what="a broker as host:port", plain=True)
            for i, s in enumerate(items)
        )
    auth_field = field.key("authentication")
    if src.get("authentication") is None and not managed:
        raise auth_field.fail(f"is required for a self-managed cluster: one of {', '.join(limits.KAFKA_SELF_AUTH)}")
    options = limits.KAFKA_MSK_AUTH if managed else limits.KAFKA_SELF_AUTH
    auth = auth_field.choice(optional(src, "authentication", "IAM"), options, plain=True)
    secret = src.get("secret_arn")
    needs_secret = auth not in ("IAM", "NONE")
    if needs_secret and secret is None:
        raise field.key("secret_arn").fail(f"is required with authentication {auth} (the credentials' secret)")
    if not needs_secret and secret is not None:
        raise field.key("secret_arn").fail(
            f"must not be set with authentication {auth}: "
            + ("the role authenticates to MSK, no secret is needed" if auth == "IAM" else "no credentials are sent")
        )
    root_ca = src.get("server_root_ca_secret_arn")
    network = src.get("network")
    for key, value in (("server_root_ca_secret_arn", root_ca), ("network", network)):
        if managed and value is not None:
            raise field.key(key).fail(f"applies to self-managed clusters only; {kind} brings its own (got {value!r})")
    subnets: tuple[Any, ...] = ()
    groups: tuple[Any, ...] = ()
    if network is not None:
        net = field.key("network")
        n = net.mapping(network, BrokerNetworkArgs)
        subnets = tuple(net.key("subnet_ids").sequence(n["subnet_ids"], min_len=1, what="a list of subnet ids"))
        groups = tuple(net.key("security_group_ids").sequence(n["security_group_ids"], min_len=1, what="a list"))
    group_id = src.get("consumer_group_id")
    destination = src.get("on_failure_destination_arn")
    if src.get("starting_position") is None:
        raise field.key("starting_position").fail(f"is required: one of {', '.join(limits.KAFKA_STARTING_POSITIONS)}")
    return KafkaSourcePlan(
        index=index,
        cluster_arn=cluster if managed else None,
        bootstrap_servers=brokers,
        topic=field.key("topic").string(src["topic"], pattern=limits.KAFKA_TOPIC_RE, what="a Kafka topic name"),
        starting_position=field.key("starting_position").choice(
            src["starting_position"], limits.KAFKA_STARTING_POSITIONS, plain=True
        ),
        consumer_group_id=None
        if group_id is None
        else field.key("consumer_group_id").string(
            group_id, max_len=limits.KAFKA_GROUP_ID_MAX, pattern=limits.KAFKA_GROUP_ID_RE, what="a consumer group id"
        ),
        authentication=auth,
        secret_arn=None if secret is None else _secret(field.key("secret_arn"), secret),
        server_root_ca_secret_arn=None if root_ca is None else _secret(field.key("server_root_ca_secret_arn"), root_ca),
        subnet_ids=subnets,
        security_group_ids=groups,
        on_failure_destination_arn=None
        if destination is None
        else field.key("on_failure_destination_arn").arn(
            destination, DESTINATION_SERVICES, what="SQS queue, SNS topic or S3 bucket ARN"
        ),
        **_common(field, src),
    )


def _mq(owner: str, index: int, raw: Any) -> MqSourcePlan:
    field = Field(owner, f"mq_sources[{index}]")
    src = field.mapping(raw, MqSourceArgs)
    engine = field.key("engine").choice(optional(src, "engine", "ActiveMQ"), limits.MQ_ENGINES, plain=True)
    vhost = src.get("virtual_host")
    if vhost is not None and engine != "RabbitMQ":
        raise field.key("virtual_host").fail(f"applies to RabbitMQ brokers only, got engine {engine!r}")
    return MqSourcePlan(
        index=index,
        broker_arn=_matching(
            field.key("broker_arn"), src["broker_arn"], _MQ_BROKER, "an Amazon MQ broker ARN", "arn:aws:mq:...:broker:"
        ),
        queue=field.key("queue").string(src["queue"], max_len=limits.MQ_QUEUE_MAX),
        secret_arn=_secret(field.key("secret_arn"), src["secret_arn"]),
        engine=engine,
        virtual_host=None if vhost is None else field.key("virtual_host").string(vhost, max_len=limits.MQ_QUEUE_MAX),
        **_common(field, src),
    )


def _documentdb(owner: str, index: int, raw: Any) -> DocumentDbSourcePlan:
    field = Field(owner, f"documentdb_sources[{index}]")
    src = field.mapping(raw, DocumentDbSourceArgs)
    position = field.key("starting_position").choice(src["starting_position"], limits.STARTING_POSITIONS, plain=True)
    collection = src.get("collection_name")
    return DocumentDbSourcePlan(
        index=index,
        cluster_arn=_matching(
            field.key("cluster_arn"), src["cluster_arn"], _DOCDB_CLUSTER, "a DocumentDB cluster ARN", "arn:aws:rds:"
        ),
        database_name=field.key("database_name").string(
            src["database_name"], max_len=limits.DOCDB_DATABASE_MAX, pattern=limits.DOCDB_DATABASE_RE, what="a name"
        ),
        collection_name=None
        if collection is None
        else field.key("collection_name").string(
            collection, max_len=limits.DOCDB_COLLECTION_MAX, pattern=limits.DOCDB_COLLECTION_RE, what="a name"
        ),
        full_document=field.key("full_document").choice(
            optional(src, "full_document", "Default"), limits.DOCDB_FULL_DOCUMENT, plain=True
        ),
        secret_arn=_secret(field.key("secret_arn"), src["secret_arn"]),
        starting_position=position,
        starting_position_timestamp=_timestamp(
            field.key("starting_position_timestamp"), src.get("starting_position_timestamp"), position
        ),
        **_common(field, src),
    )


def validate_broker_sources(owner: str, kafka: Any, mq: Any, documentdb: Any) -> BrokerSourcesPlan:
    """``kafka_sources``, ``mq_sources`` and ``documentdb_sources`` -> their plans."""
    root = Field(owner)

    def listed(key: str, value: Any) -> list[Any]:
        return root.key(key).sequence([] if value is None else value, what="a list of settings")

    return BrokerSourcesPlan(
        kafka=tuple(_kafka(owner, i, raw) for i, raw in enumerate(listed("kafka_sources", kafka))),
        mq=tuple(_mq(owner, i, raw) for i, raw in enumerate(listed("mq_sources", mq))),
        documentdb=tuple(_documentdb(owner, i, r) for i, r in enumerate(listed("documentdb_sources", documentdb))),
    )


# --- the role ---------------------------------------------------------------------------------------------------------

MSK_CLUSTER_ACTIONS = ["kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers"]
MSK_IAM_CLUSTER_ACTIONS = ["kafka-cluster:Connect", "kafka-cluster:DescribeClusterDynamicConfiguration"]
MSK_IAM_TOPIC_ACTIONS = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
MSK_IAM_GROUP_ACTIONS = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"]
MQ_ACTIONS = ["mq:DescribeBroker"]
DOCDB_CLUSTER_ACTIONS = ["rds:DescribeDBClusters"]
DOCDB_LOOKUP_ACTIONS = ["rds:DescribeDBClusterParameters", "rds:DescribeDBSubnetGroups"]
SECRET_ACTIONS = ["secretsmanager:GetSecretValue"]
#: Lambda's pollers for MSK, MQ, DocumentDB and self-managed Kafka in a VPC look up the network before they create
#: their interfaces. Describe* actions support no resource-level permissions, so "*" is the narrowest resource; the
#: interface actions come from the AWSLambdaENIManagementAccess managed policy, as for a function in a VPC.
NETWORK_DESCRIBE_ACTIONS = ["ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"]


def _kafka_resource(cluster_arn: Any, kind: str, name: Any) -> Any:
    """``arn:...:cluster/<name>/<uuid>`` -> ``arn:...:<kind>/<name>/<uuid>/<name>`` (topic and group ARNs)."""

    def build(values: list[Any]) -> str:
        arn, leaf = values
        return arn.replace(":cluster/", f":{kind}/", 1) + f"/{leaf}"

    if is_unknown(cluster_arn) or is_unknown(name):
        return pulumi.Output.all(cluster_arn, name).apply(build)
    return build([cluster_arn, name])


def _secrets(sid: str, plan: Any, secrets: Sequence[Any]) -> list[Any]:
    out = []
    present = [s for s in secrets if s is not None]
    if present:
        out.append(statement(f"{sid}Secret", SECRET_ACTIONS, present))
    if plan.secret_kms_key_arn is not None:
        out.append(statement(f"{sid}SecretKey", ["kms:Decrypt"], plan.secret_kms_key_arn))
    return out


def broker_statements(plan: BrokerSourcesPlan) -> tuple[list[Any], bool]:
    """(the role statements the sources need, whether their pollers create network interfaces)."""
    out: list[Any] = []
    network = False
    for k in plan.kafka:
        sid = f"Kafka{k.index}"
        if k.managed:
            network = True
            out.append(statement(f"{sid}Cluster", MSK_CLUSTER_ACTIONS, k.cluster_arn))
            if k.authentication == "IAM":
                # Without a consumer group id Lambda joins a group named after the mapping's id, unknown until then.
                group = "*" if k.consumer_group_id is None else k.consumer_group_id
                out.append(statement(f"{sid}Connect", MSK_IAM_CLUSTER_ACTIONS, k.cluster_arn))
                out.append(
                    statement(f"{sid}Topic", MSK_IAM_TOPIC_ACTIONS, _kafka_resource(k.cluster_arn, "topic", k.topic))
                )
                out.append(
                    statement(f"{sid}Group", MSK_IAM_GROUP_ACTIONS, _kafka_resource(k.cluster_arn, "group", group))
                )
        elif k.subnet_ids:
            network = True
        out += _secrets(sid, k, [k.secret_arn, k.server_root_ca_secret_arn])
        if k.on_failure_destination_arn is not None:
            out.append(destination_statement(f"{sid}Failure", k.on_failure_destination_arn))
    for m in plan.mq:
        network = True
        out.append(statement(f"Mq{m.index}Broker", MQ_ACTIONS, m.broker_arn))
        out += _secrets(f"Mq{m.index}", m, [m.secret_arn])
    for d in plan.documentdb:
        network = True
        out.append(statement(f"DocumentDb{d.index}Cluster", DOCDB_CLUSTER_ACTIONS, d.cluster_arn))
        out.append(statement(f"DocumentDb{d.index}Lookup", DOCDB_LOOKUP_ACTIONS, _rds_lookups(d.cluster_arn)))
        out += _secrets(f"DocumentDb{d.index}", d, [d.secret_arn])
    if network:
        out.append(statement("BrokerNetwork", NETWORK_DESCRIBE_ACTIONS, "*"))
    return out, network


def _rds_lookups(cluster_arn: Any) -> Any:
    """The cluster's account and region: its parameter groups and subnet groups (their names are not known here)."""

    def build(arn: str) -> list[str]:
        prefix = arn.split(":cluster:", 1)[0]
        return [f"{prefix}:cluster-pg:*", f"{prefix}:subgrp:*"]

    return pulumi.Output.from_input(cluster_arn).apply(build) if is_unknown(cluster_arn) else build(cluster_arn)


# --- the mappings -----------------------------------------------------------------------------------------------------

_AUTH_TYPES = {
    "SASL_SCRAM_512": "SASL_SCRAM_512_AUTH",
    "SASL_SCRAM_256": "SASL_SCRAM_256_AUTH",
    "SASL_PLAIN": "BASIC_AUTH",
    "MTLS": "CLIENT_CERTIFICATE_TLS_AUTH",
}


def _access(pairs: Sequence[tuple[str, Any]]) -> list[aws.lambda_.EventSourceMappingSourceAccessConfigurationArgs]:
    return [aws.lambda_.EventSourceMappingSourceAccessConfigurationArgs(type=t, uri=u) for t, u in pairs]


def create_kafka_mapping(
    service: str, plan: KafkaSourcePlan, alias_arn: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> aws.lambda_.EventSourceMapping:
    """The Kafka mapping ``<service>-kafka-<i>`` on the alias."""
    access: list[tuple[str, Any]] = []
    if plan.secret_arn is not None:
        access.append((_AUTH_TYPES[plan.authentication], plan.secret_arn))
    if plan.server_root_ca_secret_arn is not None:
        access.append(("SERVER_ROOT_CA_CERTIFICATE", plan.server_root_ca_secret_arn))
    access += [("VPC_SUBNET", pulumi.Output.concat("subnet:", s)) for s in plan.subnet_ids]
    access += [("VPC_SECURITY_GROUP", pulumi.Output.concat("security_group:", g)) for g in plan.security_group_ids]
    group = plan.consumer_group_id
    destination = (
        aws.lambda_.EventSourceMappingDestinationConfigArgs(
            on_failure=aws.lambda_.EventSourceMappingDestinationConfigOnFailureArgs(
                destination_arn=plan.on_failure_destination_arn
            )
        )
        if plan.on_failure_destination_arn is not None
        else None
    )
    return aws.lambda_.EventSourceMapping(
        f"{service}-kafka-{plan.index}",
        function_name=alias_arn,
        event_source_arn=plan.cluster_arn,
        self_managed_event_source=None
        if plan.managed
        else aws.lambda_.EventSourceMappingSelfManagedEventSourceArgs(
            endpoints={"KAFKA_BOOTSTRAP_SERVERS": ",".join(plan.bootstrap_servers)}
        ),
        amazon_managed_kafka_event_source_config=aws.lambda_.EventSourceMappingAmazonManagedKafkaEventSourceConfigArgs(
            consumer_group_id=group
        )
        if plan.managed and group is not None
        else None,
        self_managed_kafka_event_source_config=aws.lambda_.EventSourceMappingSelfManagedKafkaEventSourceConfigArgs(
            consumer_group_id=group
        )
        if not plan.managed and group is not None
        else None,
        topics=[plan.topic],
        starting_position=plan.starting_position,
        source_access_configurations=_access(access) or None,
        batch_size=plan.batch_size,
        maximum_batching_window_in_seconds=plan.maximum_batching_window,
        destination_config=destination,
        filter_criteria=_filter_criteria(plan.filters),
        enabled=plan.enabled,
        opts=opts,
    )


def create_mq_mapping(
    service: str, plan: MqSourcePlan, alias_arn: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> aws.lambda_.EventSourceMapping:
    """The Amazon MQ mapping ``<service>-mq-<i>`` on the alias."""
    access: list[tuple[str, Any]] = [("BASIC_AUTH", plan.secret_arn)]
    if plan.virtual_host is not None:
        access.append(("VIRTUAL_HOST", plan.virtual_host))
    return aws.lambda_.EventSourceMapping(
        f"{service}-mq-{plan.index}",
        function_name=alias_arn,
        event_source_arn=plan.broker_arn,
        queues=plan.queue,
        source_access_configurations=_access(access),
        batch_size=plan.batch_size,
        maximum_batching_window_in_seconds=plan.maximum_batching_window,
        filter_criteria=_filter_criteria(plan.filters),
        enabled=plan.enabled,
        opts=opts,
    )


def create_documentdb_mapping(
    service: str, plan: DocumentDbSourcePlan, alias_arn: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> aws.lambda_.EventSourceMapping:
    """The DocumentDB change stream mapping ``<service>-docdb-<i>`` on the alias."""
    return aws.lambda_.EventSourceMapping(
        f"{service}-docdb-{plan.index}",
        function_name=alias_arn,
        event_source_arn=plan.cluster_arn,
        document_db_event_source_config=aws.lambda_.EventSourceMappingDocumentDbEventSourceConfigArgs(
            database_name=plan.database_name,
            collection_name=plan.collection_name,
            full_document=plan.full_document,
        ),
        source_access_configurations=_access([("BASIC_AUTH", plan.secret_arn)]),
        starting_position=plan.starting_position,
        starting_position_timestamp=plan.starting_position_timestamp,
        batch_size=plan.batch_size,
        maximum_batching_window_in_seconds=plan.maximum_batching_window,
        filter_criteria=_filter_criteria(plan.filters),
        enabled=plan.enabled,
        opts=opts,
    )


def create_broker_mappings(
    service: str, plan: BrokerSourcesPlan, alias_arn: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> list[aws.lambda_.EventSourceMapping]:
    """Every planned Kafka, MQ and DocumentDB mapping, in that order. ``opts`` must order them after the role policy
    (AWS checks the role's permissions on the source when the mapping is created)."""
    return [
        *(create_kafka_mapping(service, k, alias_arn, opts) for k in plan.kafka),
        *(create_mq_mapping(service, m, alias_arn, opts) for m in plan.mq),
        *(create_documentdb_mapping(service, d, alias_arn, opts) for d in plan.documentdb),
    ]

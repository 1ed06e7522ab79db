"""The function itself and its log group: names, runtime, sizes, environment, layers, network, logging, tags."""

# No `from __future__ import annotations`: the TypedDict below is read by Pulumi's schema inference at run time.
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits
from .validation import Field, is_unknown, optional


class VpcArgs(TypedDict):
    """Network placement of the function."""

    subnet_ids: Sequence[pulumi.Input[str]]
    """Subnets, ideally in at least two availability zones."""
    security_group_ids: Sequence[pulumi.Input[str]]
    """Security groups for the function's network interfaces."""
    ipv6_allowed_for_dual_stack: NotRequired[pulumi.Input[bool]]
    """Allow outbound IPv6 in dual-stack subnets. Defaults to false."""


_LAYER_ARN = re.compile(r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+", re.ASCII)
_HANDLER = re.compile(r"\S+")
_RESOURCE_ID = re.compile(r"[A-Za-z0-9-]+", re.ASCII)
_TAG_KEY_MAX, _TAG_VALUE_MAX = 128, 256


@dataclass(frozen=True)
class VpcPlan:
    subnet_ids: Any
    security_group_ids: Any
    ipv6_allowed_for_dual_stack: Any


@dataclass(frozen=True)
class LogPlan:
    """The log group and the function's logging configuration."""

    log_format: str
    application_log_level: str | None
    system_log_level: str | None
    retention_days: int
    kms_key_id: Any


@dataclass(frozen=True)
class FunctionPlan:
    """The function's configuration, checked and defaulted (the code is planned on its own, last)."""

    function_name: str
    handler: str
    runtime: str
    architecture: str
    memory_size: Any
    timeout: Any
    ephemeral_storage: Any
    description: Any
    environment: Any
    kms_key_arn: Any
    layers: Any
    tracing_mode: str
    vpc: VpcPlan | None
    snap_start: bool
    code_signing_config_arn: Any
    logs: LogPlan
    reserved_concurrency: Any
    tags: Mapping[str, Any]


def _env_size(env: Mapping[str, Any]) -> int:
    # Lambda counts the JSON-ish size of keys and values; UTF-8 length of each is the faithful measure.
    return sum(len(str(k).encode()) + len(str(v).encode()) for k, v in env.items())


def _environment(root: Field, raw: Any) -> Any:
    field = root.key("environment")
    env = field.dictionary(raw)
    checked: dict[str, Any] = {}
    for key, value in env.items():
        entry = field.entry(key)
        if not limits.ENV_NAME_RE.fullmatch(key):
            raise entry.fail("must be a name of letters, digits and '_' starting with a letter")
        if key in limits.RESERVED_ENVIRONMENT_NAMES:
            raise entry.fail("is reserved by the Lambda runtime and cannot be set")
        checked[key] = entry.string(value, empty=True)

    def total(values: Mapping[str, Any]) -> Mapping[str, Any]:
        size = _env_size(values)
        if size > limits.ENVIRONMENT_MAX_BYTES:
            raise field.fail(f"must total at most {limits.ENVIRONMENT_MAX_BYTES} bytes, got {size}")
        return values

    if any(is_unknown(v) for v in checked.values()):
        # Values known only at deploy time (secrets, other resources' outputs): the total is checked when they
        # resolve, and the variables wait for it.
        return pulumi.Output.all(**checked).apply(total)
    return total(checked)


def _tags(root: Field, raw: Any) -> dict[str, Any]:
    field = root.key("tags")
    tags = field.dictionary(raw)
    checked = {}
    for key, value in tags.items():
        entry = field.entry(key)
        entry.string(key, max_len=_TAG_KEY_MAX, what="a tag key", plain=True)
        if key.lower().startswith("aws:"):
            raise entry.fail("uses the prefix 'aws:', which AWS reserves for its own tags")
        checked[key] = entry.string(value, max_len=_TAG_VALUE_MAX, empty=True)
    return checked


def _layer(field: Field, layer: Any) -> Any:
    arn = layer.arn if isinstance(layer, pulumi.Resource) and hasattr(layer, "arn") else layer
    return field.string(
        arn, pattern=_LAYER_ARN, what="a layer version ARN (arn:aws:lambda:...:layer:name:N) or a LambdaLayer"
    )


def _layers(root: Field, raw: Any) -> Any:
    field = root.key("layers")
    checked = field.items([] if raw is None else raw, _layer, max_len=None)

    def count(layers: list[Any]) -> list[Any]:
        if len(layers) > limits.MAX_LAYERS:
            raise field.fail(f"may hold at most {limits.MAX_LAYERS} layers, got {len(layers)}")
        return layers

    return field.later(checked, count)


def _vpc(root: Field, raw: Any) -> VpcPlan | None:
    if raw is None:
        return None
    field = root.key("vpc")
    vpc = field.mapping(raw, VpcArgs)

    def ids(key: str) -> Any:
        def one(f: Field, v: Any) -> Any:
            return f.string(v, max_len=64, pattern=_RESOURCE_ID, what="an id such as subnet-0abc or sg-0abc")

        listed = field.key(key)

        def at_least_one(values: list[Any]) -> list[Any]:
            if not values:
                raise listed.fail("must name at least one id")
            return values

        return listed.later(listed.items(vpc[key], one), at_least_one)

    return VpcPlan(
        subnet_ids=ids("subnet_ids"),
        security_group_ids=ids("security_group_ids"),
        ipv6_allowed_for_dual_stack=None
        if vpc.get("ipv6_allowed_for_dual_stack") is None
        else field.key("ipv6_allowed_for_dual_stack").boolean(vpc["ipv6_allowed_for_dual_stack"], plain=False),
    )


def _logs(root: Field, a: Mapping[str, Any]) -> LogPlan:
    log_format = root.key("log_format").choice(optional(a, "log_format", "JSON"), limits.LOG_FORMATS, plain=True)
    levels: dict[str, str | None] = {}
    for key, default, choices in (
        ("application_log_level", "INFO", limits.APPLICATION_LOG_LEVELS),
        ("system_log_level", "WARN", limits.SYSTEM_LOG_LEVELS),
    ):
        if a.get(key) is not None and log_format != "JSON":
            raise root.key(key).fail(
                f"needs log_format JSON (AWS applies log levels to JSON logs only), got log_format {log_format!r}"
            )
        levels[key] = (
            root.key(key).choice(optional(a, key, default), choices, plain=True) if log_format == "JSON" else None
        )
    kms = a.get("log_kms_key_id")
    return LogPlan(
        log_format=log_format,
        application_log_level=levels["application_log_level"],
        system_log_level=levels["system_log_level"],
        retention_days=root.key("log_retention_days").choice(
            optional(a, "log_retention_days", 30), limits.LOG_RETENTION_DAYS, plain=True
        ),
        kms_key_id=None if kms is None else _kms(root.key("log_kms_key_id"), kms),
    )


def _kms(field: Field, value: Any) -> Any:
    # A customer-managed key ARN, never "*" (the role is granted kms:Decrypt on exactly this key).
    return field.string(
        value, pattern=limits.KMS_KEY_ARN_RE, what="a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)"
    )


def validate_function(owner: str, a: Mapping[str, Any], *, reservable: int) -> FunctionPlan:
    """The function's settings in the service args -> its plan (every field type- and range-checked)."""
    root = Field(owner)
    runtime = root.key("runtime").string(optional(a, "runtime", limits.DEFAULT_RUNTIME), plain=True)
    problem = limits.runtime_problem(runtime)
    if problem is not None:
        raise root.key("runtime").fail(problem)
    snap_start = root.key("snap_start").boolean(optional(a, "snap_start", False))
    if snap_start and runtime not in limits.SNAP_START_RUNTIMES:
        raise root.key("snap_start").fail(
            f"is supported for Java 11+, Python 3.12+ and .NET 8+ runtimes "
            f"({', '.join(sorted(limits.SNAP_START_RUNTIMES))}), not {runtime!r}"
        )
    reserved = a.get("reserved_concurrency")
    signing = a.get("code_signing_config_arn")
    kms = a.get("kms_key_arn")
    return FunctionPlan(
        function_name=root.key("function_name").string(
            optional(a, "function_name", f"{owner}-{pulumi.get_stack()}"),
            max_len=limits.FUNCTION_NAME_MAX,
            pattern=limits.FUNCTION_NAME_RE,
            must="contain only letters, digits, '-' and '_'",
            plain=True,
        ),
        handler=root.key("handler").string(
            optional(a, "handler", "handler.handler"),
            max_len=limits.HANDLER_MAX,
            pattern=_HANDLER,
            what="a handler such as handler.handler",
            must=f"be 1-{limits.HANDLER_MAX} characters without spaces",
            plain=True,
        ),
        runtime=runtime,
        architecture=root.key("architecture").choice(
            optional(a, "architecture", "arm64"), limits.ARCHITECTURES, plain=True
        ),
        memory_size=root.key("memory_size").integer(optional(a, "memory_size", 256), limits.MEMORY_MB),
        timeout=root.key("timeout").integer(optional(a, "timeout", 30), limits.TIMEOUT_S),
        ephemeral_storage=root.key("ephemeral_storage").integer(
            optional(a, "ephemeral_storage", 512), limits.EPHEMERAL_STORAGE_MB
        ),
        description=root.key("description").string(
            optional(a, "description", f"lambdakit service {owner}"), max_len=limits.DESCRIPTION_MAX, empty=True
        ),
        environment=_environment(root, a.get("environment")),
        kms_key_arn=None if kms is None else _kms(root.key("kms_key_arn"), kms),
        layers=_layers(root, a.get("layers")),
        tracing_mode=root.key("tracing_mode").choice(
            optional(a, "tracing_mode", "Active"), limits.TRACING_MODES, plain=True
        ),
        vpc=_vpc(root, a.get("vpc")),
        snap_start=snap_start,
        code_signing_config_arn=None
        if signing is None
        else root.key("code_signing_config_arn").arn(signing, ("lambda",), what="code signing config ARN"),
        logs=_logs(root, a),
        reserved_concurrency=None
        if reserved is None
        else root.key("reserved_concurrency").integer(reserved, limits.Range(0, reservable)),
        tags=_tags(root, a.get("tags")),
    )


def create_log_group(
    service: str, plan: FunctionPlan, tags: Mapping[str, Any], opts: pulumi.ResourceOptions
) -> "aws.cloudwatch.LogGroup":
    """``/aws/lambda/<function name>``, created by the component so the role needs no logs:CreateLogGroup."""
    return aws.cloudwatch.LogGroup(
        f"{service}-logs",
        name=f"/aws/lambda/{plan.function_name}",
        retention_in_days=plan.logs.retention_days,
        kms_key_id=plan.logs.kms_key_id,
        tags=dict(tags),
        opts=opts,
    )


def create_function(
    service: str,
    plan: FunctionPlan,
    code: Mapping[str, Any],
    *,
    role_arn: pulumi.Input[str],
    log_group: "aws.cloudwatch.LogGroup",
    dlq_arn: Any,
    tags: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
    extra: Mapping[str, Any] | None = None,
) -> "aws.lambda_.Function":
    """The function ``<service>`` with its code's arguments (:func:`lambdakit.code.create_code`), publishing a
    version on every change (what the alias points at). ``extra`` holds further ``aws.lambda_.Function`` arguments
    planned elsewhere (tenancy, file systems)."""
    vpc, logs = plan.vpc, plan.logs
    return aws.lambda_.Function(
        service,
        name=plan.function_name,
        role=role_arn,
        # The code's arguments (zip, S3 object or image) come last: an image sets no handler or runtime.
        **{"handler": plan.handler, "runtime": plan.runtime, **code},
        architectures=[plan.architecture],
        memory_size=plan.memory_size,
        timeout=plan.timeout,
        ephemeral_storage=aws.lambda_.FunctionEphemeralStorageArgs(size=plan.ephemeral_storage),
        description=plan.description,
        environment=aws.lambda_.FunctionEnvironmentArgs(variables=plan.environment) if plan.environment else None,
        kms_key_arn=plan.kms_key_arn,
        layers=plan.layers or None,
        tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode=plan.tracing_mode),
        logging_config=aws.lambda_.FunctionLoggingConfigArgs(
            log_format=logs.log_format,
            log_group=log_group.name,
            application_log_level=logs.application_log_level,
            system_log_level=logs.system_log_level,
        ),
        dead_letter_config=aws.lambda_.FunctionDeadLetterConfigArgs(target_arn=dlq_arn)
        if dlq_arn is not None
        else None,
        reserved_concurrent_executions=plan.reserved_concurrency,
        vpc_config=aws.lambda_.FunctionVpcConfigArgs(
            subnet_ids=vpc.subnet_ids,
            security_group_ids=vpc.security_group_ids,
            ipv6_allowed_for_dual_stack=vpc.ipv6_allowed_for_dual_stack,
        )
        if vpc
        else None,
        snap_start=aws.lambda_.FunctionSnapStartArgs(apply_on="PublishedVersions") if plan.snap_start else None,
        code_signing_config_arn=plan.code_signing_config_arn,
        # Every change to code or configuration publishes an immutable version that the alias can point at.
        publish=True,
        tags=dict(tags),
        opts=opts,
        **dict(extra or {}),
    )

"""LambdaService: one production Lambda function with everything around it."""

# No `from __future__ import annotations`: Pulumi's component schema inference reads LambdaServiceArgs and the
# output annotations at run time and does not resolve string annotations.
import json
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits, traffic
from .alarms import AlarmContext, AlarmsArgs, alarm_arns, create_alarms, validate_alarms
from .alias import ProvisionedConcurrencyArgs, create_provisioned_concurrency, routing_for, validate_alias
from .async_config import AsyncInvokeArgs, DeadLetterQueueArgs, validate_async, validate_dlq
from .event_sources import (
    SqsSourceArgs,
    StreamSourceArgs,
    check_visibility_timeout,
    create_mapping,
    validate_sqs,
    validate_stream,
)
from .iam import (
    LAMBDA_ASSUME_ROLE_POLICY,
    SQS_CONSUMER_ACTIONS,
    VPC_MANAGED_POLICY,
    XRAY_ACTIONS,
    PolicyStatementArgs,
    destination_statement,
    policy_document,
    statement,
    stream_statement,
    validate_statements,
)
from .triggers import (
    ApiGatewayTriggerArgs,
    EventRuleArgs,
    FunctionUrlArgs,
    S3TriggerArgs,
    ScheduleArgs,
    SnsTriggerArgs,
    TriggerTarget,
    create_triggers,
    validate_triggers,
)
from .validation import (
    as_list,
    as_mapping,
    check_choice,
    check_int_range,
    check_known_keys,
    check_name,
    fail,
    is_unknown,
    require_type,
)


class VpcArgs(TypedDict):
    """Network placement of the function."""

    subnet_ids: Sequence[pulumi.Input[str]]
    """Subnets, ideally in at least two availability zones."""
    security_group_ids: Sequence[pulumi.Input[str]]
    """Security groups for the function's network interfaces."""
    ipv6_allowed_for_dual_stack: NotRequired[pulumi.Input[bool]]
    """Allow outbound IPv6 in dual-stack subnets. Defaults to false."""


class LambdaServiceArgs(TypedDict):
    """Inputs of a LambdaService. Only the code is required; everything else has a production default."""

    code_path: NotRequired[str]
    """Folder with the handler's source (and an optional requirements.txt installed for the target architecture).
    Exactly one of `code_path` and `code_zip` is required."""
    code_zip: NotRequired[str]
    """A prebuilt deployment zip, used as is."""
    function_name: NotRequired[str]
    """Physical function name, at most 64 letters, digits, '-' or '_'. Defaults to `<name>-<stack>`."""
    handler: NotRequired[str]
    """Module and function, e.g. `handler.handler`. Defaults to `handler.handler`."""
    runtime: NotRequired[str]
    """Lambda runtime identifier. Defaults to `python3.12`."""
    architecture: NotRequired[str]
    """`arm64` or `x86_64`. Defaults to `arm64` (Graviton: cheaper per GB-second)."""
    memory_size: NotRequired[pulumi.Input[int]]
    """Memory in MB, 128-10,240. Defaults to 256."""
    timeout: NotRequired[pulumi.Input[int]]
    """Timeout in seconds, 1-900. Defaults to 30."""
    ephemeral_storage: NotRequired[pulumi.Input[int]]
    """/tmp size in MB, 512-10,240. Defaults to 512."""
    description: NotRequired[pulumi.Input[str]]
    """Function description, at most 256 characters. Defaults to `lambdakit service <name>`."""
    environment: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Environment variables; at most 4 KB in total, reserved names such as AWS_REGION are refused. Values that are
    Pulumi secrets stay secret. Defaults to none."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Customer-managed KMS key that encrypts the environment; the role may decrypt with it. Defaults to the
    AWS-managed key."""
    layers: NotRequired[Sequence[pulumi.Input[str]]]
    """Up to 5 layer version ARNs (in Python, `LambdaLayer` objects are accepted too). Defaults to none."""
    tracing_mode: NotRequired[str]
    """X-Ray tracing, `Active` or `PassThrough`. Defaults to `Active`."""
    vpc: NotRequired[VpcArgs]
    """Run inside a VPC. Defaults to no VPC."""
    snap_start: NotRequired[bool]
    """SnapStart on published versions (Java and Python 3.12+). Defaults to false."""
    code_signing_config_arn: NotRequired[pulumi.Input[str]]
    """Code signing configuration to enforce. Defaults to none."""
    tags: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Tags for every taggable resource; `lambdakit:service` is always added. Defaults to none."""
    log_format: NotRequired[str]
    """`JSON` or `Text`. Defaults to `JSON`."""
    application_log_level: NotRequired[str]
    """TRACE, DEBUG, INFO, WARN, ERROR or FATAL (JSON format only). Defaults to `INFO`."""
    system_log_level: NotRequired[str]
    """DEBUG, INFO or WARN (JSON format only). Defaults to `WARN`."""
    log_retention_days: NotRequired[int]
    """Log retention in days, one of CloudWatch's allowed values (1, 3, 5, 7, 14, 30, ...). Defaults to 30."""
    log_kms_key_id: NotRequired[pulumi.Input[str]]
    """KMS key ARN for the log group. Defaults to CloudWatch's own encryption."""
    role_arn: NotRequired[pulumi.Input[str]]
    """Bring your own execution role; then no role or policy is created. Defaults to a generated least-privilege
    role."""
    policy_statements: NotRequired[Sequence[PolicyStatementArgs]]
    """Extra statements for the generated role, on exact ARNs. Defaults to none."""
    managed_policy_arns: NotRequired[Sequence[pulumi.Input[str]]]
    """Managed policies to attach to the generated role. Defaults to none."""
    alias_name: NotRequired[str]
    """Alias that every trigger, URL, permission and provisioned concurrency targets. Defaults to `live`."""
    stable_version: NotRequired[pulumi.Input[str]]
    """Published version the alias keeps serving during a canary. Defaults to unset (the alias follows the newest
    version)."""
    canary_weight: NotRequired[pulumi.Input[float]]
    """Share of traffic, strictly between 0 and 1, routed to the newly published version while the alias stays on
    `stable_version`. Defaults to unset (no canary)."""
    reserved_concurrency: NotRequired[pulumi.Input[int]]
    """Concurrency reserved for the function, leaving at least 100 unreserved in the account. Defaults to unset
    (shared pool)."""
    account_concurrency_limit: NotRequired[int]
    """The account's regional concurrency quota, for the reserved concurrency check. Defaults to 1,000."""
    provisioned_concurrency: NotRequired[ProvisionedConcurrencyArgs]
    """Provisioned concurrency on the alias, optionally autoscaled. Defaults to none."""
    sqs_sources: NotRequired[Sequence[SqsSourceArgs]]
    """SQS queues the function consumes. Defaults to none."""
    stream_sources: NotRequired[Sequence[StreamSourceArgs]]
    """DynamoDB or Kinesis streams the function consumes. Defaults to none."""
    async_invoke: NotRequired[AsyncInvokeArgs]
    """Retries, event age and destinations for asynchronous invocations of the alias. Defaults to none (Lambda's
    defaults: 2 retries, 6 hours)."""
    dead_letter_queue: NotRequired[DeadLetterQueueArgs]
    """Create an SQS dead-letter queue for failed asynchronous events. Defaults to none."""
    s3_triggers: NotRequired[Sequence[S3TriggerArgs]]
    """S3 object events that invoke the alias. Defaults to none."""
    schedules: NotRequired[Sequence[ScheduleArgs]]
    """Rate/cron schedules that invoke the alias. Defaults to none."""
    event_rules: NotRequired[Sequence[EventRuleArgs]]
    """EventBridge event-pattern rules that invoke the alias. Defaults to none."""
    api_gateway_triggers: NotRequired[Sequence[ApiGatewayTriggerArgs]]
    """REST/HTTP APIs allowed to invoke the alias. Defaults to none."""
    function_url: NotRequired[FunctionUrlArgs]
    """A Function URL on the alias (AWS_IAM auth unless public access is asked for explicitly). Defaults to none."""
    sns_triggers: NotRequired[Sequence[SnsTriggerArgs]]
    """SNS subscriptions that invoke the alias. Defaults to none."""
    alarms: NotRequired[AlarmsArgs]
    """CloudWatch alarms on the alias. Defaults to every alarm that applies, without notifications."""
    smoke_event: NotRequired[Any]
    """An event the handler accepts without side effects (JSON-serialisable, at most 256 KB), which
    `lambdakit release` sends to each new version before shifting traffic and `lambdakit sandbox` sends to services
    without a trigger. Defaults to an empty batch `{"Records": []}` for queue and stream consumers, `{}` otherwise."""


ARG_KEYS = tuple(LambdaServiceArgs.__annotations__)


def _env_size(env: Mapping[str, Any]) -> int:
    # Lambda counts the JSON-ish size of keys and values; UTF-8 length of each is the faithful measure.
    return sum(len(str(k).encode()) + len(str(v).encode()) for k, v in env.items())


class LambdaService(pulumi.ComponentResource):
    """A production AWS Lambda function: least-privilege role, log group, published versions, a weighted alias,
    concurrency, event sources and async-invoke configuration, all bound to the alias."""

    function_name: pulumi.Output[str]
    """The function's physical name."""
    function_arn: pulumi.Output[str]
    """The function's unqualified ARN."""
    role_arn: pulumi.Output[str]
    """The execution role's ARN."""
    log_group_name: pulumi.Output[str]
    """`/aws/lambda/<function name>`."""
    version: pulumi.Output[str]
    """The newest published version."""
    alias_name: pulumi.Output[str]
    """The alias name."""
    alias_arn: pulumi.Output[str]
    """The alias ARN: what callers and triggers use."""
    alias_invoke_arn: pulumi.Output[str]
    """The alias invoke ARN, for API Gateway integrations."""
    dlq_arn: pulumi.Output[str]
    """The dead-letter queue's ARN, when one was created."""
    function_url: pulumi.Output[str]
    """The Function URL of the alias, when one was asked for."""
    alarm_arns: pulumi.Output[list[str]]
    """ARNs of the service's CloudWatch alarms (read by the canary controller)."""
    smoke_event: pulumi.Output[str]
    """The smoke event as JSON text (`smoke_event`, or its default), read by `lambdakit release`."""

    def __init__(self, name: str, args: LambdaServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # Everything is validated before the component registers itself, so bad input leaves nothing behind.
        plan = _validate(name, args)
        super().__init__("lambdakit:index:LambdaService", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = {**plan["tags"], "lambdakit:service": name}
        fn_name = plan["function_name"]
        # The function also names its stack and project, so the tools find a service by name in AWS (and in the
        # sandbox) with nothing exported for them.
        function_tags = {**tags, "lambdakit:stack": pulumi.get_stack(), "lambdakit:project": pulumi.get_project()}

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{fn_name}",
            retention_in_days=plan["log_retention_days"],
            kms_key_id=plan["log_kms_key_id"],
            tags=tags,
            opts=child,
        )

        dlq = None
        if plan["dlq"] is not None:
            dlq = aws.sqs.Queue(
                f"{name}-dlq",
                name=f"{fn_name}-dlq",
                message_retention_seconds=plan["dlq"]["message_retention_seconds"],
                kms_master_key_id=plan["dlq"]["kms_master_key_id"],
                sqs_managed_sse_enabled=None if plan["dlq"]["kms_master_key_id"] else True,
                tags=tags,
                opts=child,
            )

        depends: list[pulumi.Resource] = [log_group]
        if plan["role_arn"] is not None:
            role_arn: pulumi.Input[str] = plan["role_arn"]
        else:
            role = aws.iam.Role(
                f"{name}-role",
                assume_role_policy=LAMBDA_ASSUME_ROLE_POLICY,
                description=f"Execution role of lambdakit service {name}",
                tags=tags,
                opts=child,
            )
            role_arn = role.arn
            statements = self._statements(plan, log_group, dlq)
            policy = aws.iam.RolePolicy(
                f"{name}-policy",
                role=role.id,
                policy=policy_document(statements),
                opts=child,
            )
            depends.append(policy)
            managed = list(plan["managed_policy_arns"])
            if plan["vpc"] is not None:
                managed.append(VPC_MANAGED_POLICY)
            for i, arn in enumerate(managed):
                depends.append(
                    aws.iam.RolePolicyAttachment(f"{name}-managed-{i}", role=role.name, policy_arn=arn, opts=child)
                )

        vpc = plan["vpc"]
        function = aws.lambda_.Function(
            name,
            name=fn_name,
            role=role_arn,
            code=pulumi.FileArchive(plan["bundle"].path),
            source_code_hash=plan["bundle"].source_code_hash,
            handler=plan["handler"],
            runtime=plan["runtime"],
            architectures=[plan["architecture"]],
            memory_size=plan["memory_size"],
            timeout=plan["timeout"],
            ephemeral_storage=aws.lambda_.FunctionEphemeralStorageArgs(size=plan["ephemeral_storage"]),
            description=plan["description"],
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=plan["environment"])
            if plan["environment"]
            else None,
            kms_key_arn=plan["kms_key_arn"],
            layers=plan["layers"] or None,
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode=plan["tracing_mode"]),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format=plan["log_format"],
                log_group=log_group.name,
                application_log_level=plan["application_log_level"],
                system_log_level=plan["system_log_level"],
            ),
            dead_letter_config=aws.lambda_.FunctionDeadLetterConfigArgs(target_arn=dlq.arn) if dlq else None,
            reserved_concurrent_executions=plan["reserved_concurrency"],
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=vpc["subnet_ids"],
                security_group_ids=vpc["security_group_ids"],
                ipv6_allowed_for_dual_stack=vpc.get("ipv6_allowed_for_dual_stack"),
            )
            if vpc
            else None,
            snap_start=aws.lambda_.FunctionSnapStartArgs(apply_on="PublishedVersions") if plan["snap_start"] else None,
            code_signing_config_arn=plan["code_signing_config_arn"],
            # Every change to code or configuration publishes an immutable version that the alias can point at.
            publish=True,
            tags=function_tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
        )

        alias_plan = plan["alias"]
        function_version, routing = routing_for(alias_plan, function.version)
        alias = aws.lambda_.Alias(
            f"{name}-alias",
            name=alias_plan.name,
            function_name=function.name,
            function_version=function_version,
            routing_config=routing,
            description=f"lambdakit alias of {name}",
            opts=child,
        )
        create_provisioned_concurrency(name, alias_plan, function.name, alias, self)

        for source in plan["sources"]:
            if source.kind == "sqs":
                check_visibility_timeout(name, source, plan["timeout"])
            # The alias ARN input already orders the mapping after the function and its role policy (AWS checks the
            # role's permissions on the source when the mapping is created).
            create_mapping(name, source, alias.arn, child)

        async_cfg = plan["async_invoke"]
        if async_cfg is not None:
            success, failure = async_cfg["on_success_destination_arn"], async_cfg["on_failure_destination_arn"]
            aws.lambda_.FunctionEventInvokeConfig(
                f"{name}-async",
                function_name=function.name,
                qualifier=alias.name,
                maximum_retry_attempts=async_cfg["maximum_retry_attempts"],
                maximum_event_age_in_seconds=async_cfg["maximum_event_age"],
                destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
                    on_success=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnSuccessArgs(destination=success)
                    if success is not None
                    else None,
                    on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(destination=failure)
                    if failure is not None
                    else None,
                )
                if success is not None or failure is not None
                else None,
                opts=child,
            )

        triggers = create_triggers(
            name,
            args,
            TriggerTarget(
                function_name=function.name,
                function_arn=function.arn,
                alias_name=alias.name,
                alias_arn=alias.arn,
                depends_on=[alias],
            ),
            self,
            validated=True,  # _validate ran validate_triggers before anything was registered
        )
        alarms = create_alarms(
            name,
            {"alarms": args.get("alarms") or {}},
            AlarmContext(
                function_name=function.name,
                alias_name=alias.name,
                timeout=plan["timeout"],
                reserved_concurrency=plan["reserved_concurrency"],
                stream_source_count=sum(s.kind == "stream" for s in plan["sources"]),
                dlq_queue_name=dlq.name if dlq is not None else None,
                has_provisioned_concurrency=plan["alias"].provisioned is not None,
                tags=tags,
            ),
            self,
        )

        self.function_name = function.name
        self.function_arn = function.arn
        self.role_arn = pulumi.Output.from_input(role_arn)
        self.log_group_name = log_group.name
        self.version = function.version
        self.alias_name = alias.name
        self.alias_arn = alias.arn
        self.alias_invoke_arn = alias.invoke_arn
        self.dlq_arn = dlq.arn if dlq is not None else pulumi.Output.from_input(None)  # type: ignore[arg-type]
        self.function_url = (
            triggers.function_url if triggers.function_url is not None else pulumi.Output.from_input(None)  # type: ignore[arg-type]
        )
        self.alarm_arns = alarm_arns(alarms)
        self.smoke_event = pulumi.Output.from_input(plan["smoke_event"])
        self.register_outputs(
            {
                "function_name": self.function_name,
                "function_arn": self.function_arn,
                "role_arn": self.role_arn,
                "log_group_name": self.log_group_name,
                "version": self.version,
                "alias_name": self.alias_name,
                "alias_arn": self.alias_arn,
                "alias_invoke_arn": self.alias_invoke_arn,
                "dlq_arn": self.dlq_arn,
                "function_url": self.function_url,
                "alarm_arns": self.alarm_arns,
                "smoke_event": self.smoke_event,
            }
        )

    @staticmethod
    def _statements(plan: dict[str, Any], log_group: aws.cloudwatch.LogGroup, dlq: aws.sqs.Queue | None) -> list[Any]:
        statements: list[Any] = [
            # The component creates the log group, so the role needs no logs:CreateLogGroup.
            statement("Logs", ["logs:CreateLogStream", "logs:PutLogEvents"], pulumi.Output.concat(log_group.arn, ":*")),
        ]
        if plan["tracing_mode"] == "Active":
            statements.append(statement("XRay", XRAY_ACTIONS, "*"))
        for source in plan["sources"]:
            sid = f"Source{source.index}"
            if source.kind == "sqs":
                statements.append(statement(f"Sqs{sid}", SQS_CONSUMER_ACTIONS, source.arn))
            else:
                statements.append(stream_statement(f"Stream{sid}", source.arn))
                dest = source.settings["on_failure_destination_arn"]
                if dest is not None:
                    statements.append(destination_statement(f"StreamFailure{source.index}", dest))
        if dlq is not None:
            statements.append(statement("DeadLetterQueue", ["sqs:SendMessage"], dlq.arn))
        async_cfg = plan["async_invoke"]
        if async_cfg is not None:
            for key, sid in (
                ("on_success_destination_arn", "AsyncSuccess"),
                ("on_failure_destination_arn", "AsyncFailure"),
            ):
                if async_cfg[key] is not None:
                    statements.append(destination_statement(sid, async_cfg[key]))
        if plan["kms_key_arn"] is not None:
            statements.append(statement("EnvironmentKey", ["kms:Decrypt"], plan["kms_key_arn"]))
        statements.extend(plan["user_statements"])
        return statements


def _validate(name: str, args: Any) -> dict[str, Any]:
    """Resolve defaults and validate every input. Raises before anything is registered."""
    from .bundling import ZIPPED_DIRECT_UPLOAD_MAX_BYTES, build_function_bundle, bundle_from_zip

    if not isinstance(name, str) or not name:
        raise TypeError(f"LambdaService name must be a non-empty string, got {name!r}")
    a = as_mapping(name, "args", args)
    check_known_keys(name, "args", a, ARG_KEYS)
    svc = name
    plan: dict[str, Any] = {}

    fn_name = a.get("function_name", f"{name}-{pulumi.get_stack()}")
    check_name(
        svc, "function_name", fn_name, limits.FUNCTION_NAME_MAX, limits.FUNCTION_NAME_RE, "letters, digits, '-' and '_'"
    )
    plan["function_name"] = fn_name

    runtime = a.get("runtime", "python3.12")
    require_type(svc, "runtime", runtime, str, "a Lambda runtime identifier such as python3.12")
    plan["runtime"] = runtime
    architecture = a.get("architecture", "arm64")
    check_choice(svc, "architecture", architecture, limits.ARCHITECTURES)
    plan["architecture"] = architecture
    handler = a.get("handler", "handler.handler")
    require_type(svc, "handler", handler, str, "a handler such as handler.handler")
    if len(handler) > limits.HANDLER_MAX or not handler.strip() or any(c.isspace() for c in handler):
        raise fail(svc, "handler", f"must be 1-{limits.HANDLER_MAX} characters without spaces, got {handler!r}")
    plan["handler"] = handler

    plan["memory_size"] = a.get("memory_size", 256)
    check_int_range(svc, "memory_size", plan["memory_size"], limits.MEMORY_MB)
    plan["timeout"] = a.get("timeout", 30)
    check_int_range(svc, "timeout", plan["timeout"], limits.TIMEOUT_S)
    plan["ephemeral_storage"] = a.get("ephemeral_storage", 512)
    check_int_range(svc, "ephemeral_storage", plan["ephemeral_storage"], limits.EPHEMERAL_STORAGE_MB)

    description = a.get("description", f"lambdakit service {name}")
    if not is_unknown(description):
        require_type(svc, "description", description, str, "a string")
        if len(description) > limits.DESCRIPTION_MAX:
            raise fail(
                svc, "description", f"must be at most {limits.DESCRIPTION_MAX} characters, got {len(description)}"
            )
    plan["description"] = description

    env = dict(as_mapping(svc, "environment", a.get("environment")))
    for key in env:
        if not isinstance(key, str) or not limits.ENV_NAME_RE.match(key):
            raise fail(svc, f"environment[{key!r}]", "must be a name of letters, digits and '_' starting with a letter")
        if key in limits.RESERVED_ENVIRONMENT_NAMES:
            raise fail(svc, f"environment[{key!r}]", "is reserved by the Lambda runtime and cannot be set")
    known = {k: v for k, v in env.items() if not is_unknown(v)}
    for k, v in known.items():
        require_type(svc, f"environment[{k!r}]", v, str, "a string")
    if _env_size(known) > limits.ENVIRONMENT_MAX_BYTES:
        raise fail(
            svc, "environment", f"must total at most {limits.ENVIRONMENT_MAX_BYTES} bytes, got {_env_size(known)}"
        )
    if len(known) < len(env):
        # Values known only at deploy time (secrets, other resources' outputs): check the total when they resolve.
        def check_env(values: list[Any]) -> None:
            size = _env_size(dict(zip(env.keys(), values, strict=True)))
            if size > limits.ENVIRONMENT_MAX_BYTES:
                raise fail(svc, "environment", f"must total at most {limits.ENVIRONMENT_MAX_BYTES} bytes, got {size}")

        pulumi.Output.all(*env.values()).apply(check_env)
    plan["environment"] = env

    layers = []
    for i, layer in enumerate(as_list(svc, "layers", a.get("layers"))):
        arn = getattr(layer, "arn", layer) if isinstance(layer, pulumi.Resource) else layer
        require_type(svc, f"layers[{i}]", arn, str, "a layer version ARN or a LambdaLayer")
        if isinstance(arn, str) and not (arn.startswith("arn:") and ":layer:" in arn):
            raise fail(
                svc, f"layers[{i}]", f"must be a layer version ARN (arn:aws:lambda:...:layer:name:N), got {arn!r}"
            )
        layers.append(arn)
    if len(layers) > limits.MAX_LAYERS:
        raise fail(svc, "layers", f"may hold at most {limits.MAX_LAYERS} layers, got {len(layers)}")
    plan["layers"] = layers

    plan["tracing_mode"] = a.get("tracing_mode", "Active")
    check_choice(svc, "tracing_mode", plan["tracing_mode"], limits.TRACING_MODES)
    plan["log_format"] = a.get("log_format", "JSON")
    check_choice(svc, "log_format", plan["log_format"], limits.LOG_FORMATS)
    json_logs = plan["log_format"] == "JSON"
    for key, default, choices in (
        ("application_log_level", "INFO", limits.APPLICATION_LOG_LEVELS),
        ("system_log_level", "WARN", limits.SYSTEM_LOG_LEVELS),
    ):
        if key in a and not json_logs:
            raise fail(
                svc,
                key,
                f"needs log_format JSON (AWS applies log levels to JSON logs only), got "
                f"log_format {plan['log_format']!r}",
            )
        plan[key] = a.get(key, default) if json_logs else None
        if plan[key] is not None:
            check_choice(svc, key, plan[key], choices)
    plan["log_retention_days"] = a.get("log_retention_days", 30)
    check_choice(svc, "log_retention_days", plan["log_retention_days"], limits.LOG_RETENTION_DAYS)
    plan["log_kms_key_id"] = a.get("log_kms_key_id")
    plan["kms_key_arn"] = a.get("kms_key_arn")
    plan["code_signing_config_arn"] = a.get("code_signing_config_arn")
    snap = a.get("snap_start", False)
    require_type(svc, "snap_start", snap, bool, "true or false")
    if snap and not (
        runtime.startswith("java")
        or runtime in ("python3.12", "python3.13", "python3.14")
        or runtime.startswith("dotnet")
    ):
        raise fail(svc, "snap_start", f"is supported for Java, Python 3.12+ and .NET runtimes, not {runtime!r}")
    plan["snap_start"] = snap
    plan["tags"] = dict(as_mapping(svc, "tags", a.get("tags")))

    vpc = a.get("vpc")
    if vpc is not None:
        vpc = as_mapping(svc, "vpc", vpc)
        check_known_keys(svc, "vpc", vpc, tuple(VpcArgs.__annotations__))
        for key in ("subnet_ids", "security_group_ids"):
            if not as_list(svc, f"vpc.{key}", vpc.get(key)):
                raise fail(svc, f"vpc.{key}", "must name at least one id")
    plan["vpc"] = vpc

    plan["role_arn"] = a.get("role_arn")
    if plan["role_arn"] is not None and (a.get("policy_statements") or a.get("managed_policy_arns")):
        raise fail(
            svc,
            "role_arn",
            "cannot be combined with policy_statements or managed_policy_arns: those extend the "
            "generated role; add them to your own role instead",
        )
    plan["user_statements"] = validate_statements(svc, a.get("policy_statements"))
    plan["managed_policy_arns"] = as_list(svc, "managed_policy_arns", a.get("managed_policy_arns"))
    for i, arn in enumerate(plan["managed_policy_arns"]):
        if isinstance(arn, str) and arn.endswith(":policy/AdministratorAccess"):
            raise fail(svc, f"managed_policy_arns[{i}]", f"must not grant administrator access, got {arn!r}")

    account_limit = a.get("account_concurrency_limit", limits.ACCOUNT_CONCURRENCY_DEFAULT)
    check_int_range(svc, "account_concurrency_limit", account_limit, limits.Range(limits.UNRESERVED_MINIMUM, 10**7))
    reserved = a.get("reserved_concurrency")
    if reserved is not None:
        check_int_range(
            svc, "reserved_concurrency", reserved, limits.Range(0, account_limit - limits.UNRESERVED_MINIMUM)
        )
    plan["reserved_concurrency"] = reserved

    stable_version, canary_weight = _traffic(svc, a)
    plan["alias"] = validate_alias(
        svc,
        a.get("alias_name", "live"),
        stable_version,
        canary_weight,
        a.get("provisioned_concurrency"),
        reserved,
        reservable=account_limit - limits.UNRESERVED_MINIMUM,
    )

    sources = [
        validate_sqs(svc, i, s, plan["timeout"])
        for i, s in enumerate(as_list(svc, "sqs_sources", a.get("sqs_sources")))
    ]
    sources += [
        validate_stream(svc, i, s) for i, s in enumerate(as_list(svc, "stream_sources", a.get("stream_sources")))
    ]
    plan["sources"] = sources
    plan["async_invoke"] = validate_async(svc, a.get("async_invoke"))
    plan["dlq"] = validate_dlq(svc, a.get("dead_letter_queue"))
    validate_triggers(svc, a)
    validate_alarms(
        svc,
        {"alarms": a.get("alarms") or {}},
        timeout=plan["timeout"],
        reserved_concurrency=reserved,
        has_streams=any(s.kind == "stream" for s in sources),
        has_dlq=plan["dlq"] is not None,
        has_provisioned_concurrency=plan["alias"].provisioned is not None,
    )

    plan["smoke_event"] = _smoke_event(svc, a.get("smoke_event"), consumes=bool(sources))

    has_zip, has_path = a.get("code_zip") is not None, a.get("code_path") is not None
    if has_zip == has_path:
        raise fail(
            svc,
            "code_path",
            "or code_zip is required (exactly one of them)"
            if not has_zip
            else "and code_zip are mutually exclusive; give one",
        )
    if has_zip:
        zip_path = a["code_zip"]
        require_type(svc, "code_zip", zip_path, str, "a path to a .zip file")
        try:
            plan["bundle"] = bundle_from_zip(zip_path)
        except ValueError as exc:
            raise fail(svc, "code_zip", f"{zip_path!r} is not usable: {exc}") from exc
    else:
        # Packaging errors already name the service and the field.
        plan["bundle"] = build_function_bundle(
            a["code_path"], runtime=runtime, architecture=architecture, name=name, field="code_path"
        )
    if plan["bundle"].size > ZIPPED_DIRECT_UPLOAD_MAX_BYTES:
        field = "code_zip" if has_zip else "code_path"
        raise fail(
            svc,
            field,
            f"bundle must be at most {ZIPPED_DIRECT_UPLOAD_MAX_BYTES // (1024 * 1024)} MB zipped to upload directly "
            f"(larger code belongs in a container image or a layer), got {plan['bundle'].size / 1048576:.1f} MB",
        )
    return plan


def _traffic(svc: str, a: Mapping[str, Any]) -> tuple[Any, Any]:
    """``stable_version`` and ``canary_weight`` from the args, or from the ``release`` stack config the release
    driver writes (see :mod:`lambdakit.traffic`); setting one in both places is refused."""
    stable, weight = a.get("stable_version"), a.get("canary_weight")
    try:
        override = traffic.override_for(svc)
    except ValueError as exc:
        raise fail(svc, "stable_version", f"cannot be read from stack config: {exc}") from None
    if override is None:
        return stable, weight
    key = traffic.config_path(pulumi.get_project(), svc, traffic.STABLE_VERSION).rsplit(".", 1)[0]
    for field, given, configured in (
        ("stable_version", stable, override.stable_version),
        ("canary_weight", weight, override.canary_weight),
    ):
        if given is not None and configured is not None:
            raise fail(
                svc,
                field,
                f"is set both in the program ({given!r}) and in stack config {key} ({configured!r}); keep one "
                "(`lambdakit release` writes the stack config)",
            )
    return (
        override.stable_version if override.stable_version is not None else stable,
        override.canary_weight if override.canary_weight is not None else weight,
    )


SMOKE_EVENT_MAX_BYTES = 256 * 1024


def _smoke_event(svc: str, value: Any, *, consumes: bool) -> str:
    if value is None:
        return json.dumps({"Records": []} if consumes else {})
    if is_unknown(value):
        raise fail(svc, "smoke_event", "must be a plain JSON value in the program, not a value known only at deploy")
    try:
        text = json.dumps(value, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise fail(svc, "smoke_event", f"must be JSON-serialisable, got {value!r} ({exc})") from None
    if len(text.encode()) > SMOKE_EVENT_MAX_BYTES:
        raise fail(
            svc, "smoke_event", f"must be at most {SMOKE_EVENT_MAX_BYTES} bytes as JSON, got {len(text.encode())}"
        )
    return text


def describe(args: Mapping[str, Any]) -> str:
    """A one-line summary of a service's key settings (for plans and reports)."""
    return json.dumps({k: args[k] for k in ("memory_size", "timeout", "reserved_concurrency") if k in args})

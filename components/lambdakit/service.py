"""LambdaService: one production Lambda function with everything around it.

``LambdaService.__init__`` reads as: ``plan = validate_service(name, args)`` (every input checked, defaults resolved,
the bundle built), then register the children from the plan. Each concept has its own module with its inputs, its
plan and its ``create_*``: the function and its log group (``function``), the code (``code``), the role (``iam``),
the alias and concurrency (``alias``), event sources (``event_sources``), async invocation and the DLQ
(``async_config``), push triggers (``triggers``) and alarms (``alarms``).
"""

# No `from __future__ import annotations`: Pulumi's component schema inference reads LambdaServiceArgs and the
# output annotations at run time and does not resolve string annotations.
import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict, cast

import pulumi
import pulumi_aws as aws

from . import limits, traffic
from .alarms import AlarmsArgs, AlarmsPlan, AlarmTarget, alarm_arns, create_alarms, validate_alarms
from .alias import (
    AliasPlan,
    ProvisionedConcurrencyArgs,
    create_alias,
    create_provisioned_concurrency,
    validate_alias,
)
from .async_config import (
    AsyncInvokeArgs,
    AsyncPlan,
    DeadLetterQueueArgs,
    DeadLetterQueuePlan,
    create_async_config,
    create_dlq,
    validate_async,
    validate_dlq,
)
from .brokers import (
    BrokerSourcesPlan,
    DocumentDbSourceArgs,
    KafkaSourceArgs,
    MqSourceArgs,
    broker_statements,
    create_broker_mappings,
    validate_broker_sources,
)
from .code import CodePlan, NodeBundleArgs, create_code, validate_code
from .code_image import ImageArgs
from .codedeploy import CodeDeployArgs, CodeDeployPlan, create_codedeploy, hook_names, validate_codedeploy
from .event_sources import (
    SourcePlan,
    SqsSourceArgs,
    SqsSourcePlan,
    StreamSourceArgs,
    create_mappings,
    validate_sources,
)
from .file_systems import (
    FileSystemArgs,
    FileSystemPlan,
    file_system_function_args,
    file_system_statements,
    file_system_waits,
    validate_file_system,
)
from .function import FunctionPlan, VpcArgs, create_function, create_log_group, validate_function
from .helpers import AliasMetric, ExistingLambdaService, alias_metric, grant_invoke
from .hooks import HooksPlan, TrafficHooksArgs, create_hook_permission, validate_hooks
from .iam import (
    SQS_CONSUMER_ACTIONS,
    VPC_MANAGED_POLICY,
    XRAY_ACTIONS,
    PolicyStatementArgs,
    RolePlan,
    create_role,
    destination_statement,
    statement,
    stream_statement,
    validate_role,
)
from .managed_layers import (
    ManagedLayersArgs,
    ManagedLayersPlan,
    insights_statements,
    validate_managed_layers,
    with_managed_layers,
)
from .runtime_settings import (
    RuntimeManagementArgs,
    RuntimeSettingsPlan,
    create_runtime_settings,
    validate_runtime_settings,
)
from .triggers import (
    AlbTargetArgs,
    ApiGatewayTriggerArgs,
    CognitoTriggerArgs,
    EventRuleArgs,
    FunctionUrlArgs,
    InvokerArgs,
    IotRuleArgs,  # i13-logsiot
    LogSubscriptionArgs,  # i13-logsiot
    S3TriggerArgs,
    ScheduleArgs,
    SesRuleArgs,
    SnsTriggerArgs,
    TriggersPlan,
    TriggerTarget,
    create_triggers,
    validate_triggers,
)
from .triggers.cognito import cognito_lambda_config, cognito_statements  # i13-cogses
from .triggers.common import Context
from .triggers.http_api import HttpApiArgs, HttpApiPlan, create_http_api, validate_http_api  # i13-httpapi
from .validation import Field, optional

__all__ = ["LambdaService", "LambdaServiceArgs", "ServicePlan", "VpcArgs", "validate_service"]


class LambdaServiceArgs(TypedDict):
    """Inputs of a LambdaService. Only the code is required; everything else has a production default."""

    code_path: NotRequired[str]
    """Folder with the handler's source: Python (an optional requirements.txt, uv.lock or poetry.lock installed for
    the target architecture), Node.js (package.json and package-lock.json: production dependencies for the target
    architecture), or a custom runtime's `bootstrap`. Exactly one of `code_path`, `code_zip` and `image` is
    required."""
    code_zip: NotRequired[str]
    """A prebuilt deployment zip (or a Java jar), used as is."""
    image: NotRequired[ImageArgs]
    """Container image code instead of `code_path`/`code_zip`: an ECR image by digest, or a folder with a Dockerfile
    built and pushed to an ECR repository the service creates; `runtime` and `handler` are then not set."""
    bundle: NotRequired[NodeBundleArgs]
    """Bundle a Node.js or TypeScript `code_path` with esbuild into one file for the handler (`{}` or `true` for the
    defaults). Defaults to no bundling: production dependencies are installed from the lockfile."""
    build_command: NotRequired[Sequence[str]]
    """A command (argument list, no shell) run in `code_path` before it is zipped, with `GOOS`/`GOARCH` set for the
    architecture, e.g. `["make", "bootstrap"]` for a custom runtime. Defaults to none."""
    artifact_bucket: NotRequired[pulumi.Input[str]]
    """Upload the zip to this S3 bucket (keyed by its content hash) instead of with the function. Defaults to
    uploading directly, or, for a zip over 50 MB, to a versioned, encrypted, private bucket the service creates."""
    function_name: NotRequired[str]
    """Physical function name, at most 64 letters, digits, '-' or '_'. Defaults to `<name>-<stack>`."""
    handler: NotRequired[str]
    """Module and function, e.g. `handler.handler`. Defaults to `handler.handler`."""
    runtime: NotRequired[str]
    """Lambda runtime identifier; an unknown one, or one AWS no longer accepts updates on, is refused. Defaults to
    `python3.12`."""
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
    # --- issue 13: cross-account callers, execution role controls, more sources and triggers ----------------------
    allowed_invokers: NotRequired[Sequence[InvokerArgs]]
    """Principals of other accounts, or of an AWS Organization, allowed to invoke the alias (a bare `*` is refused).
    Defaults to none."""
    role_permissions_boundary_arn: NotRequired[pulumi.Input[str]]
    """Managed policy ARN set as the permissions boundary of the generated role (and of the Scheduler's role), for
    accounts that require one. Defaults to none."""
    role_path: NotRequired[pulumi.Input[str]]
    """Path of the generated role (and of the Scheduler's role), `/` or `/segment/.../`. Defaults to `/`."""
    role_name_prefix: NotRequired[str]
    """Prefix of the generated role's name, at most 38 characters (the provider adds a 26-character suffix).
    Defaults to the auto-name `<name>-role-<hex>`."""
    kafka_sources: NotRequired[Sequence[KafkaSourceArgs]]
    """Amazon MSK or self-managed Kafka topics the function consumes. Defaults to none."""
    mq_sources: NotRequired[Sequence[MqSourceArgs]]
    """Amazon MQ (ActiveMQ or RabbitMQ) queues the function consumes. Defaults to none."""
    documentdb_sources: NotRequired[Sequence[DocumentDbSourceArgs]]
    """Amazon DocumentDB change streams the function consumes. Defaults to none."""
    alb_targets: NotRequired[Sequence[AlbTargetArgs]]
    """Application Load Balancer target groups whose target is the alias, optionally with a listener rule. Defaults to
    none."""
    runtime_management: NotRequired[RuntimeManagementArgs]
    """When the runtime is updated: `Auto`, `FunctionUpdate`, or `Manual` with a runtime version ARN. Defaults to
    Lambda's `Auto`."""
    recursive_loop: NotRequired[str]
    """`Terminate` (Lambda stops a loop through SQS, SNS or S3 after about 16 invocations) or `Allow`. Defaults to
    Lambda's `Terminate`."""
    tenant_isolation_mode: NotRequired[str]
    """`PER_TENANT`: execution environments are not shared between tenants (callers pass a tenant id); set when the
    function is created (changing it replaces the function). Defaults to none."""
    managed_layers: NotRequired[ManagedLayersArgs]
    """Powertools, Lambda Insights and ADOT layers for the runtime, architecture and region, resolved when the
    program deploys (Powertools from its public SSM parameters), with the environment and permissions they need;
    counted in the 5-layer limit. Defaults to none."""
    file_system: NotRequired[FileSystemArgs]
    """An Amazon EFS access point mounted at `/mnt/<name>` (one per function, as Lambda allows; needs `vpc`), the
    function created after the mount targets, the role allowed to mount only through that access point. Defaults to
    none."""
    # --- i13-httpapi
    http_api: NotRequired[HttpApiArgs]
    """An API Gateway HTTP API created with the function: routes to the alias (`AWS_IAM` unless they name a JWT or
    Lambda authorizer; `NONE` only with `allow_unauthenticated`), CORS, a stage with throttling and access logs.
    Defaults to none (see `api_gateway_triggers` for an API created elsewhere)."""
    # --- i13-cogses: Cognito user pool triggers and SES receipt rules
    cognito_triggers: NotRequired[Sequence[CognitoTriggerArgs]]
    """Amazon Cognito user pools allowed to invoke the alias as their triggers (`pre_sign_up`, ...). The pool's
    `lambda_config` is a property of the pool: pass `service.cognito_lambda_config(pool)` as the pool's
    `lambda_config`. Defaults to none."""
    ses_rules: NotRequired[Sequence[SesRuleArgs]]
    """Amazon SES receipt rules, added to an existing rule set, whose Lambda action invokes the alias. Defaults to
    none."""
    # --- i13-logsiot: CloudWatch Logs subscription filters and IoT topic rules
    log_subscriptions: NotRequired[Sequence[LogSubscriptionArgs]]
    """CloudWatch Logs subscription filters that deliver a log group's matching events to the alias (at most 2 per log
    group; never the function's own). Defaults to none."""
    iot_rules: NotRequired[Sequence[IotRuleArgs]]
    """AWS IoT topic rules whose action invokes the alias with the selected message. Defaults to none."""
    # --- end issue 13 -----------------------------------------------------------------------------------------------
    code_deploy: NotRequired[CodeDeployArgs]
    """Shift traffic to new versions with CodeDeploy (server side, rolled back on the service's alarms):
    `lambdakit release` starts a deployment instead of moving the alias's weights itself. Defaults to none."""
    smoke_event: NotRequired[Any]
    """An event the handler accepts without side effects (JSON-serialisable, at most 256 KB), which
    `lambdakit release` sends to each new version before shifting traffic and `lambdakit sandbox` sends to services
    without a trigger. Defaults to an empty batch `{"Records": []}` for queue and stream consumers, `{}` otherwise."""
    traffic_hooks: NotRequired[TrafficHooksArgs]
    """Pre-traffic and post-traffic hook functions the canary invokes with the new version (as SAM's
    DeploymentPreference Hooks); their role may invoke only that version. Defaults to none."""


@dataclass(frozen=True)
class ServicePlan:
    """Everything a LambdaService registers, checked and defaulted: what ``LambdaService.__init__`` builds from."""

    name: str
    function: FunctionPlan
    code: CodePlan
    role: RolePlan
    alias: AliasPlan
    sources: tuple[SourcePlan, ...]
    async_invoke: AsyncPlan | None
    dlq: DeadLetterQueuePlan | None
    triggers: TriggersPlan
    alarms: AlarmsPlan
    #: The smoke event as JSON text.
    smoke_event: str
    # --- issue 13 ---
    brokers: BrokerSourcesPlan = dataclasses.field(default_factory=BrokerSourcesPlan)
    runtime: RuntimeSettingsPlan = dataclasses.field(default_factory=RuntimeSettingsPlan)
    managed_layers: ManagedLayersPlan = dataclasses.field(default_factory=ManagedLayersPlan)
    codedeploy: CodeDeployPlan | None = None
    file_system: FileSystemPlan | None = None  # issue 13
    http_api: HttpApiPlan | None = None  # i13-httpapi
    hooks: HooksPlan | None = None

    @property
    def tags(self) -> dict[str, Any]:
        """Tags for every taggable resource: the user's and ``lambdakit:service``."""
        return {**self.function.tags, "lambdakit:service": self.name}


def validate_service(name: str, args: Any) -> ServicePlan:
    """Resolve defaults and validate every input, then build the bundle. Raises ``ValueError``/``TypeError`` naming
    the service and the field before anything is registered; values known only at deploy time are checked, with the
    same messages, when they resolve."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"LambdaService name must be a non-empty string, got {name!r}")
    root = Field(name)
    a = root.mapping(args, LambdaServiceArgs)
    managed_layers = validate_managed_layers(name, a)  # issue 13: their layers and environment join the function's
    a = with_managed_layers(a, managed_layers)
    account_limit = root.key("account_concurrency_limit").integer(
        optional(a, "account_concurrency_limit", limits.ACCOUNT_CONCURRENCY_DEFAULT),
        limits.ACCOUNT_CONCURRENCY,
        plain=True,
    )
    reservable = account_limit - limits.UNRESERVED_MINIMUM
    function = validate_function(name, a, reservable=reservable)
    role = validate_role(name, a.get("role_arn"), a.get("policy_statements"), a.get("managed_policy_arns"), a)
    stable_version, canary_weight = _traffic(root, a)
    alias = validate_alias(
        name,
        alias_name=optional(a, "alias_name", "live"),
        stable_version=stable_version,
        canary_weight=canary_weight,
        provisioned=a.get("provisioned_concurrency"),
        reserved=function.reserved_concurrency,
        reservable=reservable,
    )
    sources = validate_sources(name, a.get("sqs_sources"), a.get("stream_sources"))
    dlq = validate_dlq(name, a.get("dead_letter_queue"))
    brokers = validate_broker_sources(name, a.get("kafka_sources"), a.get("mq_sources"), a.get("documentdb_sources"))
    alarms = validate_alarms(
        name,
        {"alarms": a.get("alarms")},
        timeout=function.timeout,
        reserved_concurrency=function.reserved_concurrency,
        has_streams=any(not isinstance(s, SqsSourcePlan) for s in sources),
        has_dlq=dlq is not None,
        has_provisioned_concurrency=alias.provisioned is not None,
        has_kafka=bool(brokers.kafka),
    )
    return ServicePlan(
        name=name,
        function=function,
        role=role,
        alias=alias,
        sources=sources,
        async_invoke=validate_async(name, a.get("async_invoke")),
        dlq=dlq,
        triggers=validate_triggers(name, a, function.function_name),
        runtime=validate_runtime_settings(name, a),
        managed_layers=managed_layers,
        brokers=brokers,
        alarms=alarms,
        smoke_event=_smoke_event(root.key("smoke_event"), a.get("smoke_event"), consumes=bool(sources)),
        codedeploy=validate_codedeploy(
            name,
            a.get("code_deploy"),
            function_name=function.function_name,
            alias_name=alias.name,
            alarm_count=len(alarms.alarms),
        ),
        hooks=validate_hooks(name, a.get("traffic_hooks"), service_function=function.function_name),
        file_system=validate_file_system(name, a, has_vpc=function.vpc is not None, snap_start=function.snap_start),
        # --- i13-httpapi: the access-log group takes the function's log retention and KMS key
        http_api=validate_http_api(
            name,
            a.get("http_api"),
            function_name=function.function_name,
            log_retention_days=function.logs.retention_days,
            log_kms_key_id=function.logs.kms_key_id,
        ),
        # The bundle is built last: a typo elsewhere should not cost a dependency install first.
        code=validate_code(
            name,
            a.get("code_path"),
            a.get("code_zip"),
            runtime=function.runtime,
            architecture=function.architecture,
            args=a,
            handler=function.handler,
        ),
    )


def _traffic(root: Field, a: Mapping[str, Any]) -> tuple[Any, Any]:
    """``stable_version`` and ``canary_weight`` from the args, or from the ``release`` stack config the release
    driver writes (see :mod:`lambdakit.traffic`); setting one in both places is refused."""
    stable, weight = a.get("stable_version"), a.get("canary_weight")
    try:
        override = traffic.override_for(root.owner)
    except ValueError as exc:
        raise root.key("stable_version").fail(f"cannot be read from stack config: {exc}") from None
    if override is None:
        return stable, weight
    key = traffic.config_path(pulumi.get_project(), root.owner, traffic.STABLE_VERSION).rsplit(".", 1)[0]
    for field, given, configured in (
        ("stable_version", stable, override.stable_version),
        ("canary_weight", weight, override.canary_weight),
    ):
        if given is not None and configured is not None:
            raise root.key(field).fail(
                f"is set both in the program ({given!r}) and in stack config {key} ({configured!r}); keep one "
                "(`lambdakit release` writes the stack config)"
            )
    return (
        override.stable_version if override.stable_version is not None else stable,
        override.canary_weight if override.canary_weight is not None else weight,
    )


def _smoke_event(field: Field, value: Any, *, consumes: bool) -> str:
    if value is None:
        return json.dumps({"Records": []} if consumes else {})
    field.known(value, "a JSON value")
    try:
        text = json.dumps(value, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise field.fail(f"must be JSON-serialisable, got {value!r} ({exc})") from None
    size = len(text.encode())
    if size > limits.EVENT_PAYLOAD_MAX_BYTES:
        raise field.fail(f"must be at most {limits.EVENT_PAYLOAD_MAX_BYTES} bytes as JSON, got {size}")
    return text


def _statements(plan: ServicePlan, log_group: aws.cloudwatch.LogGroup, dlq: aws.sqs.Queue | None) -> list[Any]:
    """The generated role's statements: exactly what the service uses, on exact ARNs."""
    statements: list[Any] = [
        # The component creates the log group, so the role needs no logs:CreateLogGroup.
        statement("Logs", ["logs:CreateLogStream", "logs:PutLogEvents"], pulumi.Output.concat(log_group.arn, ":*")),
    ]
    if plan.function.tracing_mode == "Active":
        statements.append(statement("XRay", XRAY_ACTIONS, "*"))
    for source in plan.sources:
        sid = f"Source{source.index}"
        if isinstance(source, SqsSourcePlan):
            statements.append(statement(f"Sqs{sid}", SQS_CONSUMER_ACTIONS, source.queue_arn))
        else:
            statements.append(stream_statement(f"Stream{sid}", source.stream_arn))
            if source.on_failure_destination_arn is not None:
                statements.append(
                    destination_statement(f"StreamFailure{source.index}", source.on_failure_destination_arn)
                )
    if dlq is not None:
        statements.append(statement("DeadLetterQueue", ["sqs:SendMessage"], dlq.arn))
    if plan.async_invoke is not None:
        for arn, sid in (
            (plan.async_invoke.on_success_destination_arn, "AsyncSuccess"),
            (plan.async_invoke.on_failure_destination_arn, "AsyncFailure"),
        ):
            if arn is not None:
                statements.append(destination_statement(sid, arn))
    if plan.function.kms_key_arn is not None:
        statements.append(statement("EnvironmentKey", ["kms:Decrypt"], plan.function.kms_key_arn))
    statements += broker_statements(plan.brokers)[0]  # issue 13
    statements += insights_statements(plan.managed_layers, log_group.arn)  # issue 13
    statements += file_system_statements(plan.file_system)  # issue 13
    statements += cognito_statements(plan.triggers.cognito)  # i13-cogses
    return statements


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
    codedeploy_application: pulumi.Output[str]
    """The CodeDeploy application's name, when `code_deploy` is set (read by `lambdakit release`)."""
    codedeploy_deployment_group: pulumi.Output[str]
    """The CodeDeploy deployment group's name, when `code_deploy` is set."""
    codedeploy_hooks: pulumi.Output[str]
    """The AppSpec hooks as JSON text (`{"BeforeAllowTraffic": <function name>, ...}`), when `code_deploy` is set."""

    http_api_url: pulumi.Output[str]
    """The HTTP API's invoke URL (`https://<id>.execute-api.<region>.amazonaws.com[/<stage>]`), when `http_api` is
    set."""
    http_api_id: pulumi.Output[str]
    """The HTTP API's id, when `http_api` is set."""

    # --- issue 13: the helpers a CDK user expects (see lambdakit.helpers) -----------------------------------------
    def grant_invoke(self, grantee: Any, *, name: str | None = None, source_arn: Any = None) -> pulumi.Resource:
        """Let ``grantee`` invoke the alias: an ``aws.iam.Role`` gets an inline policy on the alias ARN; an account id
        or IAM principal ARN a permission on the alias; a service principal a permission scoped to ``source_arn``
        and the account. ``name`` names the resource (``<service>-invoke-<name>``); defaults to the grantee's."""
        return grant_invoke(
            self._name,
            function_name=self.function_name,
            alias_name=self.alias_name,
            alias_arn=self.alias_arn,
            grantee=grantee,
            name=name,
            source_arn=source_arn,
            parent=self,
        )

    def metric(self, name: str, statistic: str = "Sum", period: int = 60) -> AliasMetric:
        """The alias's CloudWatch metric ``name`` (``Errors``, ``Duration``, ...) with ``statistic`` (``Sum``,
        ``Average``, ``p99``, ...) over ``period`` seconds, for your own alarms (``metric.alarm_args()``) and
        dashboards (``metric.widget_metric()``)."""
        return alias_metric(self._name, self.function_name, self.alias_name, name, statistic, period)

    @staticmethod
    def from_existing(name: str, function: str, alias_name: str = "live") -> ExistingLambdaService:
        """A function deployed elsewhere, by name (this account and region) or unqualified ARN, and its alias: for
        triggers (``alias_arn``), ``grant_invoke`` and ``metric``. Creates nothing by itself."""
        return ExistingLambdaService(name, function, alias_name)

    # --- i13-cogses
    def cognito_lambda_config(self, user_pool: Any = None) -> aws.cognito.UserPoolLambdaConfigArgsDict:
        """The ``lambda_config`` to set on the ``aws.cognito.UserPool`` named in ``cognito_triggers`` (by its
        ``user_pool_arn`` or ``user_pool_id``; may be left out when only one pool is listed): the alias ARN per
        trigger, plus ``pre_token_generation_config`` and ``kms_key_id`` where they apply. Its values wait for the
        permission, so a pool created from it is created after the pool may invoke the alias."""
        return cast(
            aws.cognito.UserPoolLambdaConfigArgsDict,
            cognito_lambda_config(self._name, self._cognito_configs, user_pool),
        )

    # --- end issue 13 ---------------------------------------------------------------------------------------------
    pre_traffic_hook: pulumi.Output[str]
    """The pre-traffic hook function, when one was named (read by `lambdakit release`)."""
    post_traffic_hook: pulumi.Output[str]
    """The post-traffic hook function, when one was named (read by `lambdakit release`)."""

    def __init__(self, name: str, args: LambdaServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # Everything is validated before the component registers itself, so bad input leaves nothing behind.
        plan = validate_service(name, args)
        super().__init__("lambdakit:index:LambdaService", name, None, opts)
        self._register(plan)

    def _register(self, plan: ServicePlan) -> None:
        """Register every child from the plan, in the order AWS needs them."""
        name, fn = plan.name, plan.function
        child = pulumi.ResourceOptions(parent=self)
        tags = plan.tags
        log_group = create_log_group(name, fn, tags, child)
        dlq = create_dlq(name, plan.dlq, f"{fn.function_name}-dlq", tags, child) if plan.dlq is not None else None
        code = create_code(name, plan.code, tags, self)
        role_arn, waits = create_role(
            name,
            plan.role,
            [*_statements(plan, log_group, dlq), *code.statements],
            tags,
            [VPC_MANAGED_POLICY] if fn.vpc is not None or broker_statements(plan.brokers)[1] else [],
            self,
        )
        function = create_function(
            name,
            fn,
            code.function_args,
            role_arn=role_arn,
            log_group=log_group,
            dlq_arn=dlq.arn if dlq is not None else None,
            # The function also names its stack and project, so the tools find a service by name in AWS (and in
            # the sandbox) with nothing exported for them.
            tags={**tags, "lambdakit:stack": pulumi.get_stack(), "lambdakit:project": pulumi.get_project()},
            # issue 13: created after the file system's mount targets (terraform-aws-lambda #620)
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[log_group, *waits, *file_system_waits(plan.file_system)]
            ),
            extra={**plan.runtime.function_args(), **file_system_function_args(plan.file_system)},  # issue 13
        )
        create_runtime_settings(name, plan.runtime, function, self)  # issue 13
        alias = create_alias(name, plan.alias, function, self)
        if plan.hooks is not None:
            create_hook_permission(name, plan.hooks, function, child)
        create_provisioned_concurrency(name, plan.alias, function.name, alias, self)
        # The alias ARN input already orders each mapping after the function and its role policy (AWS checks the
        # role's permissions on the source when the mapping is created).
        create_mappings(name, plan.sources, alias.arn, fn.timeout, child)
        create_broker_mappings(name, plan.brokers, alias.arn, child)  # issue 13
        if plan.async_invoke is not None:
            create_async_config(name, plan.async_invoke, function.name, alias.name, child)
        target = TriggerTarget(
            function.name,
            function.arn,
            alias.name,
            alias.arn,
            depends_on=[alias],
            role_permissions_boundary=plan.role.permissions_boundary,
            role_path=plan.role.path,
        )
        triggers = create_triggers(plan.triggers, target, self)
        # --- i13-httpapi
        http_api = None if plan.http_api is None else create_http_api(Context(name, target, self), plan.http_api, tags)
        self._cognito_configs = triggers.cognito_lambda_configs  # i13-cogses
        alarms = create_alarms(
            plan.alarms, AlarmTarget(function.name, alias.name, dlq.name if dlq is not None else None, tags), self
        )
        self._outputs(plan, function, alias, role_arn, log_group, dlq, triggers.function_url, alarms)
        none: Any = pulumi.Output.from_input(None)  # i13-httpapi
        self.http_api_url = none if http_api is None else http_api.url
        self.http_api_id = none if http_api is None else http_api.api.id
        self._codedeploy(plan, alias, alarms)

    def _outputs(
        self,
        plan: ServicePlan,
        function: aws.lambda_.Function,
        alias: aws.lambda_.Alias,
        role_arn: pulumi.Input[str],
        log_group: aws.cloudwatch.LogGroup,
        dlq: aws.sqs.Queue | None,
        function_url: pulumi.Output[str] | None,
        alarms: list[aws.cloudwatch.MetricAlarm],
    ) -> None:
        none: Any = pulumi.Output.from_input(None)
        self.function_name = function.name
        self.function_arn = function.arn
        self.role_arn = pulumi.Output.from_input(role_arn)
        self.log_group_name = log_group.name
        self.version = function.version
        self.alias_name = alias.name
        self.alias_arn = alias.arn
        self.alias_invoke_arn = alias.invoke_arn
        self.dlq_arn = dlq.arn if dlq is not None else none
        self.function_url = function_url if function_url is not None else none
        self.alarm_arns = alarm_arns(alarms)
        self.smoke_event = pulumi.Output.from_input(plan.smoke_event)
        hooks = plan.hooks
        self.pre_traffic_hook = none if hooks is None else pulumi.Output.from_input(hooks.pre_traffic)
        self.post_traffic_hook = none if hooks is None else pulumi.Output.from_input(hooks.post_traffic)

    def _codedeploy(
        self, plan: ServicePlan, alias: aws.lambda_.Alias, alarms: list[aws.cloudwatch.MetricAlarm]
    ) -> None:
        """The CodeDeploy application and group (``code_deploy``), their outputs, then every output registered."""
        none: Any = pulumi.Output.from_input(None)
        self.codedeploy_application = self.codedeploy_deployment_group = self.codedeploy_hooks = none
        if plan.codedeploy is not None:
            created = create_codedeploy(plan.codedeploy, [a.name for a in alarms], plan.tags, self, [alias])
            pre, post = hook_names(plan.codedeploy)
            self.codedeploy_application = created.application.name
            self.codedeploy_deployment_group = created.deployment_group.deployment_group_name
            self.codedeploy_hooks = pulumi.Output.json_dumps(
                {k: v for k, v in (("BeforeAllowTraffic", pre), ("AfterAllowTraffic", post)) if v is not None}
            )
        self.register_outputs({key: getattr(self, key) for key in OUTPUT_KEYS})


OUTPUT_KEYS = (
    "function_name",
    "function_arn",
    "role_arn",
    "log_group_name",
    "version",
    "alias_name",
    "alias_arn",
    "alias_invoke_arn",
    "dlq_arn",
    "function_url",
    "alarm_arns",
    "smoke_event",
    "codedeploy_application",
    "codedeploy_deployment_group",
    "codedeploy_hooks",
    "pre_traffic_hook",
    "post_traffic_hook",
    "http_api_url",  # i13-httpapi
    "http_api_id",
)

"""Deploy a program's stack into a running sandbox, describe what was deployed, and smoke-invoke it.

``deploy()`` first evaluates the program with the default mocks (cheap, nothing created) to refuse unknown resource
types before anything is deployed and to learn which published versions the aliases expect from earlier deploys;
then it evaluates it again with ``MotoMocks``, which creates every resource in moto. ``describe_services()`` reads the
deployed state back with boto3, as a user inspecting the sandbox would, and ``smoke()`` invokes each function through
its alias with an event shaped like its trigger's.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import logging
import re
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambdakit.program import MOCK_ACCOUNT, MOCK_REGION, DefaultMocks, ProgramRun, run_program

from . import events, push_triggers, rules
from .emulator import Sandbox, exported_env, split_function
from .exceptions import DeployError, UnknownResourceTypeError
from .mocks import HANDLERS, Deployed, MotoMocks, provider_call
from .runner import InvokeResult

SERVICE_COMPONENT = "lambdakit:index:LambdaService"


@dataclass
class Trigger:
    """One way the function is invoked, as wired in the emulator."""

    kind: str  # sqs | dynamodb | kinesis | url | http | schedule | s3 | sns | alb | logs | iot | invoke
    source: str  # short name of the source (queue, table, rule, bucket, principal)
    source_arn: str
    qualifier: str | None
    detail: str = ""


@dataclass
class ServiceView:
    """A deployed function and its wiring, read back from the emulator."""

    name: str
    function_name: str
    runtime: str
    handler: str
    memory_size: int
    timeout: int
    architectures: list[str]
    reserved_concurrency: int | None
    versions: list[str]
    alias: str | None
    alias_version: str | None
    routing: dict[str, float]
    triggers: list[Trigger] = field(default_factory=list)
    async_config: dict[str, Any] | None = None
    provisioned_concurrency: str | None = None
    dead_letter_target: str | None = None
    log_group: str = ""
    layers: list[str] = field(default_factory=list)
    function_url: str | None = None
    smoke_kind: str = "plain"
    smoke_payload: Any = None
    smoke: InvokeResult | None = None

    def to_json(self) -> dict[str, Any]:
        body = {k: v for k, v in self.__dict__.items() if k not in ("smoke", "triggers", "smoke_payload")}
        body["triggers"] = [t.__dict__ for t in self.triggers]
        body["smoke"] = self.smoke.to_json() if self.smoke else None
        return body


@dataclass
class Deployment:
    """The outcome of one sandbox deploy."""

    program_dir: str
    stack: str
    project: str
    run: ProgramRun
    deployed: list[Deployed]
    seconds: float
    history: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    services: list[ServiceView] = field(default_factory=list)

    @property
    def exports(self) -> dict[str, Any]:
        return self.run.exports

    def by_type(self, type_: str) -> list[Deployed]:
        return [d for d in self.deployed if d.type == type_]

    def not_emulated(self) -> list[Deployed]:
        return [d for d in self.deployed if d.custom and not d.emulated]

    def component_outputs(self) -> dict[str, dict[str, Any]]:
        """Each LambdaService's registered outputs by service name, as Pulumi state would record them."""
        return {r.name: dict(r.outputs) for r in self.run.registrations if r.type == SERVICE_COMPONENT}

    def service(self, name: str) -> ServiceView:
        for view in self.services:
            if name in (view.name, view.function_name):
                return view
        raise KeyError(f"no service {name!r} in the {self.stack} deployment: {[s.name for s in self.services]}")


#: The version the planning pass gives every published function: no real history reaches it, so an alias naming any
#: other version must mean one published by an earlier deploy.
PLAN_VERSION = "1000000"


class PlanMocks(DefaultMocks):
    """Default mocks, except that each published function's new version is ``PLAN_VERSION``."""

    def new_resource(self, args: Any) -> tuple[str | None, dict]:
        rid, state = super().new_resource(args)
        if args.typ == "aws:lambda/function:Function" and state.get("publish"):
            state["version"] = PLAN_VERSION
            state["qualifiedArn"] = f"{state['arn']}:{PLAN_VERSION}"
        return rid, state

    def call(self, args: Any) -> tuple[dict, list[tuple[str, str]]]:
        return provider_call(DefaultMocks(), args)


def plan_history(plan: ProgramRun) -> dict[str, int]:
    """How many versions each function needs published before this deploy's own, from a default-mocks plan.

    An alias that names a version other than the one this deploy publishes (``stableVersion: "3"`` while the new
    code becomes a new version) refers to an earlier deploy's version: the sandbox publishes stand-ins up to it.
    """
    history: dict[str, int] = {}
    for _resource, _alias, fname, version in unpublished_aliases(plan):
        history[fname] = max(history.get(fname, 0), int(version))
    return history


def unpublished_aliases(plan: ProgramRun) -> list[tuple[str, str, str, str]]:
    """(alias resource, alias name, function, version) for every alias naming a version a first deploy would not
    have: a first ``pulumi up`` publishes version 1 only, so ``stableVersion: "7"`` there has nothing to point at."""
    published = {
        str(r.outputs.get("name")): str(r.outputs.get("version"))
        for r in plan.by_type("aws:lambda/function:Function")
        if r.outputs.get("name")
    }
    found = []
    for alias in plan.by_type("aws:lambda/alias:Alias"):
        fname, _ = split_function(str(alias.inputs.get("functionName", "")))
        new = published.get(fname)
        weights = ((alias.inputs.get("routingConfig") or {}).get("additionalVersionWeights")) or {}
        for version in [str(alias.inputs.get("functionVersion", "")), *map(str, weights)]:
            if version.isdigit() and version != new:
                found.append((alias.name, str(alias.inputs.get("name", "")), fname, version))
    return found


def refuse_unpublished(plan: ProgramRun) -> None:
    """Raise :class:`DeployError` worded as a real first ``pulumi up`` fails when an alias names a version no deploy
    has published. That deploy publishes version 1 only: an alias on version 7 is CreateAlias's 404 "Function not
    found"; an alias on version 1 that routes weight to the new version (also 1) routes to its own version."""
    for resource, alias, fname, version in unpublished_aliases(plan):
        if int(version) > 1:
            arn = f"arn:aws:lambda:{MOCK_REGION}:{MOCK_ACCOUNT}:function:{fname}:{version}"
            raise DeployError(
                "aws:lambda/alias:Alias",
                resource,
                f"creating Lambda Alias ({alias}): operation error Lambda: CreateAlias, https response error "
                f"StatusCode: 404, ResourceNotFoundException: Function not found: {arn}. A first deploy of this "
                f"stack publishes version 1 only and no deploy has published version {version}: drop stableVersion "
                "(and canaryWeight) for the first deploy, or deploy without --fresh to stand in for earlier deploys",
            )
    for alias_res in plan.by_type("aws:lambda/alias:Alias"):
        weights = ((alias_res.inputs.get("routingConfig") or {}).get("additionalVersionWeights")) or {}
        if weights and str(alias_res.inputs.get("functionVersion", "")) == "1":
            raise DeployError(
                "aws:lambda/alias:Alias",
                alias_res.name,
                f"creating Lambda Alias ({alias_res.inputs.get('name', '')}): operation error Lambda: CreateAlias, "
                "https response error StatusCode: 400, InvalidParameterValueException: Invalid function version 1. "
                "Function version 1 is already included in routing configuration. A first deploy publishes version "
                "1 only, so a canary has no stable version to keep: drop stableVersion and canaryWeight for the "
                "first deploy",
            )


def unknown_types(plan: ProgramRun) -> dict[str, list[str]]:
    unknown: dict[str, list[str]] = defaultdict(list)
    for r in plan.registrations:
        if r.custom and r.type not in HANDLERS:
            unknown[r.type].append(r.name)
    return dict(unknown)


def plan_deploy(
    program_dir: str | Path, stack: str, *, config_overrides: Mapping[str, str] | None = None
) -> ProgramRun:
    """Evaluate the program with the default mocks (cheap, nothing created): input errors surface here, before an
    emulator starts, and resource types the sandbox cannot create are refused."""
    plan = run_program(str(Path(program_dir).resolve()), stack, PlanMocks(), config_overrides=config_overrides)
    unknown = unknown_types(plan)
    if unknown:
        raise UnknownResourceTypeError(unknown)
    return plan


def deploy(
    sandbox: Sandbox,
    program_dir: str | Path = ".",
    stack: str = "dev",
    *,
    config_overrides: Mapping[str, str] | None = None,
    history: Mapping[str, int] | None = None,
    fresh: bool = False,
    progress: Callable[[str], None] | None = None,
    plan: ProgramRun | None = None,
    first_deploy: bool = False,
) -> Deployment:
    """Deploy ``stack`` of the program in ``program_dir`` into ``sandbox`` and read its services back.

    ``history`` overrides how many earlier versions each function gets (default: what the aliases refer to);
    ``fresh`` makes every resource count as created by this deploy (see ``MotoMocks``). ``progress`` receives a
    line per phase (the command prints them while the first deploy warms the emulator up). ``plan`` is the result
    of :func:`plan_deploy` when the caller ran it already. ``first_deploy`` (``lambdakit sandbox --fresh``) is a
    first ``pulumi up`` of a stack with no earlier state: implies ``fresh``, publishes no stand-in versions and
    refuses, before creating anything, an alias naming a version no deploy has published (:func:`refuse_unpublished`).
    """
    program_dir = str(Path(program_dir).resolve())
    if plan is None:
        plan = plan_deploy(program_dir, stack, config_overrides=config_overrides)
    if first_deploy:
        refuse_unpublished(plan)
        fresh = True
    resolved_history = dict(history) if history is not None else plan_history(plan)
    if progress is not None:
        custom = [r for r in plan.registrations if r.custom]
        functions = sum(1 for r in custom if r.type == "aws:lambda/function:Function")
        progress(f"  program evaluated: {len(custom)} resources ({functions} functions) to create in the emulator")
    # Auto-names are deterministic per stack; a stack deployed again into the same sandbox is a new stack (the
    # sandbox does not update), so it gets fresh names as `pulumi up` of a new stack would.
    count = sandbox.deploy_counts.get(stack, 0) + 1
    sandbox.deploy_counts[stack] = count
    mocks = MotoMocks(sandbox, history=resolved_history, stack=stack if count == 1 else f"{stack}#{count}", fresh=fresh)
    started = time.perf_counter()
    with exported_env(sandbox):
        try:
            run = run_program(program_dir, stack, mocks, config_overrides=config_overrides)
        except Exception:
            _collect_failed_futures()
            # The SDK reports a failed registration in its own words; the sandbox's error names the resource.
            if mocks.errors:
                raise mocks.errors[0].with_traceback(None) from None
            raise
    if mocks.errors:
        _collect_failed_futures()
        raise mocks.errors[0].with_traceback(None) from None
    seconds = time.perf_counter() - started
    if progress is not None:
        progress(f"  created in {seconds:.1f} s; reading the services back")
    _attach_urns(mocks.deployed, run)
    deployment = Deployment(
        program_dir=program_dir,
        stack=stack,
        project=run.project,
        run=run,
        deployed=mocks.deployed,
        seconds=seconds,
        history=resolved_history,
    )
    deployment.warnings = _post_checks(sandbox, deployment)
    deployment.services = describe_services(sandbox, deployment)
    return deployment


def _collect_failed_futures() -> None:
    """Collect the SDK's abandoned futures now, quietly.

    A failed registration leaves futures holding the exception; asyncio logs each one ("Future exception was never
    retrieved", with the whole traceback) whenever the garbage collector gets to it. Besides the noise, that can
    happen in the middle of CPython 3.11 building an AST (an import) and break it with "AST constructor recursion
    depth mismatch". Collecting here, with asyncio's logger silenced, keeps both from happening.
    """
    logger = logging.getLogger("asyncio")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        for obj in gc.get_objects():
            if isinstance(obj, asyncio.Future) and obj.done() and not obj.cancelled():
                obj.exception()  # marks the exception as retrieved: asyncio will not log it later
        gc.collect()
    finally:
        logger.setLevel(level)


def _attach_urns(deployed: list[Deployed], run: ProgramRun) -> None:
    queues: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for r in run.registrations:
        queues[(r.type, r.name)].append(r)
    for d in deployed:
        candidates = queues.get((d.type, d.name))
        if candidates:
            r = candidates.pop(0)
            d.urn, d.parent = r.urn, r.parent


def _post_checks(sandbox: Sandbox, deployment: Deployment) -> list[str]:
    warnings: list[str] = []
    lam = sandbox.client("lambda")
    events_client = sandbox.client("events")
    for d in deployment.by_type("aws:cloudwatch/eventTarget:EventTarget"):
        target = str(d.state.get("arn", ""))
        if target.startswith("arn:aws:lambda:"):
            rule = events_client.describe_rule(
                Name=d.state["rule"],
                **({"EventBusName": d.state["eventBusName"]} if d.state.get("eventBusName") else {}),
            )
            warnings += rules.events_invoke_warnings(lam, rule["Arn"], target)
    return warnings


def _service_names(deployment: Deployment) -> dict[str, str]:
    """function name -> service name (the LambdaService component's name, else the function resource's)."""
    components = {d.urn: d.name for d in deployment.deployed if d.type == SERVICE_COMPONENT and d.urn}
    names = {}
    for d in deployment.by_type("aws:lambda/function:Function"):
        names[str(d.state["name"])] = components.get(d.parent, d.name)
    return names


def _short(arn: str) -> str:
    tail = arn.split(":")[-1]
    return tail.split("/")[-1] if "/" in tail else tail


def describe_services(sandbox: Sandbox, deployment: Deployment) -> list[ServiceView]:
    lam = sandbox.client("lambda")
    all_esms = lam.list_event_source_mappings()["EventSourceMappings"]
    views = []
    for fname, service in _service_names(deployment).items():
        config = lam.get_function_configuration(FunctionName=fname)
        versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=fname)["Versions"]]
        aliases = lam.list_aliases(FunctionName=fname)["Aliases"]
        alias = next((a for a in aliases if a["Name"] == "live"), aliases[0] if aliases else None)
        reserved = lam.get_function_concurrency(FunctionName=fname).get("ReservedConcurrentExecutions")
        view = ServiceView(
            name=service,
            function_name=fname,
            runtime=config.get("Runtime", ""),
            handler=config.get("Handler", ""),
            memory_size=int(config.get("MemorySize", 128)),
            timeout=int(config.get("Timeout", 3)),
            architectures=list(config.get("Architectures", [])),
            reserved_concurrency=reserved,
            versions=[v for v in versions if v != "$LATEST"],
            alias=alias["Name"] if alias else None,
            alias_version=alias["FunctionVersion"] if alias else None,
            routing={
                str(k): float(v)
                for k, v in ((alias or {}).get("RoutingConfig") or {}).get("AdditionalVersionWeights", {}).items()
            },
            dead_letter_target=(config.get("DeadLetterConfig") or {}).get("TargetArn"),
            log_group=(config.get("LoggingConfig") or {}).get("LogGroup", f"/aws/lambda/{fname}"),
            layers=[_short_layer(layer["Arn"]) for layer in config.get("Layers", [])],
        )
        for esm in all_esms:
            arn_fn, qualifier = split_function(esm["FunctionArn"])
            if arn_fn != fname:
                continue
            source_arn = esm["EventSourceArn"]
            kind = source_arn.split(":")[2]
            detail = [f"batch {esm.get('BatchSize')}"]
            if esm.get("MaximumBatchingWindowInSeconds"):
                detail.append(f"window {esm['MaximumBatchingWindowInSeconds']} s")
            if esm.get("StartingPosition"):
                detail.append(esm["StartingPosition"])
            if esm.get("FunctionResponseTypes"):
                detail.append("partial batch failures")
            if esm.get("BisectBatchOnFunctionError"):
                detail.append("bisect on error")
            if esm.get("MaximumRetryAttempts") is not None:
                detail.append(f"retries {esm['MaximumRetryAttempts']}")
            on_failure = ((esm.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            if on_failure:
                detail.append(f"on failure -> {_short(on_failure)}")
            source = source_arn.split(":")[5].split("/")[1] if kind == "dynamodb" else _short(source_arn)
            view.triggers.append(Trigger(kind, source, source_arn, qualifier, ", ".join(detail)))
        for qualifier in [None, *[a["Name"] for a in aliases]]:
            view.triggers += _permission_triggers(lam, fname, qualifier)
        try:
            url = lam.get_function_url_config(FunctionName=fname)
            view.function_url = url["FunctionUrl"]
            view.triggers.append(
                Trigger("url", url["FunctionUrl"], url["FunctionUrl"], view.alias, f"auth {url.get('AuthType', '')}")
            )
        except lam.exceptions.ResourceNotFoundException:
            pass
        for qualifier in [a["Name"] for a in aliases] + [None]:
            key = (fname, qualifier or "")
            if key in sandbox.async_configs:
                view.async_config = sandbox.async_configs[key].response()
                break
        for d in deployment.by_type("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"):
            if d.state.get("functionName") == fname:
                count = d.state.get("provisionedConcurrentExecutions")
                view.provisioned_concurrency = f"{count} on {d.state.get('qualifier')} (checked, not emulated)"
        view.smoke_kind, view.smoke_payload = _default_event(sandbox, view)
        views.append(view)
    return views


def _short_layer(arn: str) -> str:
    parts = arn.split(":")
    return f"{parts[6]}:{parts[7]}" if len(parts) > 7 else arn


def _permission_triggers(lam: Any, fname: str, qualifier: str | None) -> list[Trigger]:
    try:
        kwargs = {"FunctionName": fname, **({"Qualifier": qualifier} if qualifier else {})}
        statements = json.loads(lam.get_policy(**kwargs)["Policy"]).get("Statement", [])
    except lam.exceptions.ResourceNotFoundException:
        return []
    found = []
    for s in statements:
        resource = str(s.get("Resource", ""))
        _, res_qualifier = split_function(resource)
        if res_qualifier != qualifier:
            continue
        principal = s.get("Principal")
        service = principal.get("Service") if isinstance(principal, dict) else str(principal)
        condition = s.get("Condition") or {}
        source = (condition.get("ArnLike") or {}).get("AWS:SourceArn") or (condition.get("ArnEquals") or {}).get(
            "AWS:SourceArn", ""
        )
        kind = {
            "events.amazonaws.com": "schedule",
            "s3.amazonaws.com": "s3",
            "sns.amazonaws.com": "sns",
            "apigateway.amazonaws.com": "http",
            "elasticloadbalancing.amazonaws.com": "alb",
        }.get(str(service), "invoke")
        kind = push_triggers.trigger_kind(str(service)) or kind  # i13-logsiot: logs, iot
        label = _short(source) if source else str(service)
        if kind in push_triggers.KINDS:  # i13-logsiot
            label = push_triggers.trigger_label(kind, source)
        found.append(Trigger(kind, label, source, qualifier, "" if kind != "invoke" else f"principal {service}"))
    return found


def _table_keys(sandbox: Sandbox, stream_arn: str) -> dict[str, str]:
    table = stream_arn.split(":")[5].split("/")[1]
    described = sandbox.client("dynamodb").describe_table(TableName=table)["Table"]
    types = {a["AttributeName"]: a["AttributeType"] for a in described["AttributeDefinitions"]}
    return {k["AttributeName"]: types.get(k["AttributeName"], "S") for k in described["KeySchema"]}


def _default_event(sandbox: Sandbox, view: ServiceView) -> tuple[str, Any]:
    kinds = {t.kind: t for t in view.triggers}
    if "sqs" in kinds:
        return "SQS batch", events.sqs_event(kinds["sqs"].source_arn)
    if "dynamodb" in kinds:
        arn = kinds["dynamodb"].source_arn
        return "DynamoDB stream", events.dynamodb_event(arn, _table_keys(sandbox, arn))
    if "kinesis" in kinds:
        return "Kinesis record", events.kinesis_event(kinds["kinesis"].source_arn)
    if "url" in kinds or "http" in kinds:
        return "HTTP GET /health", events.http_event()
    # A function with an async invoke config is meant to be invoked with its own JSON document (InvocationType
    # Event); its push triggers, if any, come second.
    if view.async_config is not None:
        return "async JSON", events.plain_event()
    if "s3" in kinds:
        bucket = kinds["s3"].source_arn.split(":::")[-1] or "sandbox-bucket"
        return "S3 put", events.s3_event(bucket)
    if "sns" in kinds:
        return "SNS message", events.sns_event(kinds["sns"].source_arn)
    if "schedule" in kinds:
        return "scheduled event", events.scheduled_event(kinds["schedule"].source_arn)
    if view.async_config is not None:
        return "async JSON", events.plain_event()
    return "JSON", events.plain_event()


_DURATION = re.compile(r"Duration: ([0-9.]+) ms")


def invoke_with_boto3(sandbox: Sandbox, function: str, qualifier: str | None, payload: Any) -> InvokeResult:
    """``lambda.invoke`` (RequestResponse, LogType=Tail) against the sandbox, read back into an ``InvokeResult``."""
    body = payload if isinstance(payload, bytes | str) else json.dumps(payload)
    kwargs: dict[str, Any] = {"FunctionName": function, "Payload": body, "LogType": "Tail"}
    if qualifier:
        kwargs["Qualifier"] = qualifier
    response = sandbox.client("lambda").invoke(**kwargs)
    log = base64.b64decode(response.get("LogResult", "")).decode(errors="replace")
    match = _DURATION.search(log)
    request = re.search(r"START RequestId: (\S+)", log)
    text = response["Payload"].read().decode(errors="replace")
    return InvokeResult(
        function_name=function,
        qualifier=qualifier,
        executed_version=str(response.get("ExecutedVersion", "")),
        status_code=int(response["StatusCode"]),
        payload=text,
        function_error=response.get("FunctionError"),
        log=log,
        duration_ms=float(match.group(1)) if match else 0.0,
        request_id=request.group(1) if request else "",
        emulated="Sandbox.RuntimeNotEmulated" not in text,
    )


def smoke(sandbox: Sandbox, deployment: Deployment, overrides: Mapping[str, Any] | None = None) -> list[ServiceView]:
    """Invoke every service through its alias with boto3 (as a user would) and keep each result on its view.

    ``overrides`` maps a service or function name to the payload to send instead of the default event.
    """
    overrides = dict(overrides or {})
    for view in deployment.services:
        payload = view.smoke_payload
        for key in (view.name, view.function_name):
            if key in overrides:
                payload, view.smoke_kind = overrides[key], "--payload"
        view.smoke = invoke_with_boto3(sandbox, view.function_name, view.alias, payload)
    return deployment.services


@dataclass
class TriggerCheck:
    """One trigger's event, shaped as that trigger delivers it, sent through the alias it targets."""

    service: str
    trigger: Trigger
    event_kind: str
    result: InvokeResult


def _rule_event(deployment: Deployment, rule_arn: str, function_arn: str) -> tuple[str, Any]:
    """What EventBridge sends for the rule: the target's constant input, or an event matching the rule's pattern."""
    rule_name = rule_arn.split("/")[-1]
    for target in deployment.by_type("aws:cloudwatch/eventTarget:EventTarget"):
        state = target.state
        if state.get("rule") == rule_name and state.get("arn") == function_arn and state.get("input"):
            return "EventBridge target input", json.loads(str(target.state["input"]))
    for rule in deployment.by_type("aws:cloudwatch/eventRule:EventRule"):
        if rule.state.get("arn") == rule_arn and rule.state.get("eventPattern"):
            pattern = json.loads(str(rule.state["eventPattern"]))
            event = events.scheduled_event(rule_arn)
            event["source"] = (pattern.get("source") or ["lambdakit.sandbox"])[0]
            event["detail-type"] = (pattern.get("detail-type") or ["Sandbox Event"])[0]
            event["detail"] = dict(events.SAMPLE_ORDER)
            return "EventBridge event (rule pattern)", event
    return "EventBridge scheduled event", events.scheduled_event(rule_arn)


def _s3_key(deployment: Deployment, bucket: str, function_arn: str) -> str:
    """An object key that passes the bucket notification's prefix/suffix filter for this function."""
    for notification in deployment.by_type("aws:s3/bucketNotification:BucketNotification"):
        if notification.state.get("bucket") != bucket:
            continue
        for config in notification.state.get("lambdaFunctions") or []:
            if config.get("lambdaFunctionArn") == function_arn:
                return f"{config.get('filterPrefix') or ''}sandbox-0001{config.get('filterSuffix') or '.json'}"
    return "incoming/sandbox-0001.json"


def _trigger_event(sandbox: Sandbox, deployment: Deployment, trigger: Trigger, target_arn: str) -> tuple[str, Any]:
    source = trigger.source_arn
    if trigger.kind == "sqs":
        return "SQS batch", events.sqs_event(source)
    if trigger.kind == "dynamodb":
        return "DynamoDB stream", events.dynamodb_event(source, _table_keys(sandbox, source))
    if trigger.kind == "kinesis":
        return "Kinesis record", events.kinesis_event(source)
    if trigger.kind == "url":
        return "Function URL request", events.http_event()
    if trigger.kind == "http":
        return "API Gateway request", events.http_event()
    if trigger.kind == "s3":
        bucket = source.split(":::")[-1] or "bucket"
        return "S3 notification", events.s3_event(bucket, _s3_key(deployment, bucket, target_arn))
    if trigger.kind == "sns":
        return "SNS notification", events.sns_event(source)
    if trigger.kind == "schedule":
        return _rule_event(deployment, source, target_arn)
    if trigger.kind in push_triggers.KINDS:  # i13-logsiot: a log subscription's awslogs event, an IoT message
        return push_triggers.trigger_event(sandbox, deployment, trigger.kind, source, target_arn)
    if trigger.kind == "alb":  # issue 13
        attributes = sandbox.client("elbv2").describe_target_group_attributes(TargetGroupArn=source)["Attributes"]
        multi = any(a["Key"] == "lambda.multi_value_headers.enabled" and a["Value"] == "true" for a in attributes)
        return "ALB request", events.alb_event(source, multi_value=multi)
    return "JSON", events.plain_event()


def trigger_checks(sandbox: Sandbox, deployment: Deployment) -> list[TriggerCheck]:
    """Invoke each service once per trigger with the event that trigger would deliver (SQS batch, stream record,
    S3/SNS notification, EventBridge event or target input, HTTP request), through the qualifier it targets.

    This is what catches a handler that only understands one of the ways it is wired to be called.
    """
    checks = []
    for view in deployment.services:
        seen: set[tuple[str, str]] = set()
        for trigger in view.triggers:
            key = (trigger.kind, trigger.source_arn)
            if key in seen:
                continue
            seen.add(key)
            target_arn = f"arn:aws:lambda:{sandbox.region}:{sandbox.account_id}:function:{view.function_name}"
            if trigger.qualifier:
                target_arn += f":{trigger.qualifier}"
            kind, event = _trigger_event(sandbox, deployment, trigger, target_arn)
            result = invoke_with_boto3(sandbox, view.function_name, trigger.qualifier, event)
            checks.append(TriggerCheck(view.name, trigger, kind, result))
    return checks

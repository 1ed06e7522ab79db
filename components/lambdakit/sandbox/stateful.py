"""A sandbox stack with state: the next ``up`` is an update, as ``pulumi up`` would be.

``up()`` evaluates the program twice. First under :class:`PreviewMocks` (nothing is called): each resource is
compared with the stack's record (:mod:`lambdakit.sandbox.state`) and classified as create, update, replace or same
(:mod:`lambdakit.sandbox.diff`); records the program no longer declares are deletes. That is the preview. Then under
:class:`StatefulMocks`, which creates new resources in moto as ``MotoMocks`` does, applies updates through the AWS
API (function code and configuration then ``PublishVersion``, ``UpdateAlias`` for version and routing, queue
attributes, log retention, mappings, async config, alarms, ...), replaces what cannot change in place (delete, then
create), returns the recorded outputs of unchanged resources without a call, and finally deletes what is gone, in
reverse creation order. Every AWS call the ``up`` makes is counted by operation.

``destroy()`` deletes every recorded resource, newest first, and removes the record.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError
from pulumi.runtime import mocks as pulumi_mocks

from lambdakit.program import ProgramRun, run_program

from . import diff, rules
from .deploy import (
    SERVICE_COMPONENT,
    Deployment,
    PlanMocks,
    _attach_urns,
    _collect_failed_futures,
    _post_checks,
    describe_services,
    plan_history,
    unknown_types,
)
from .emulator import FunctionMeta, Sandbox, exported_env, split_function
from .exceptions import DeployError, RuleViolationError, SandboxError, UnknownResourceTypeError
from .mocks import HANDLERS, Deployed, MotoMocks, _drop_none, _json_text, _role_name, _tags, queue_attributes
from .state import ResourceRecord, StackState, StateStore, normalise

# ---------------------------------------------------------------------------------------------------------------
# Counting AWS calls
# ---------------------------------------------------------------------------------------------------------------

_COUNT_LOCK = threading.Lock()
_COUNTERS: list[Counter[str]] = []


def _count_call(model: Any = None, **_: Any) -> None:
    if model is None or not _COUNTERS:
        return
    with _COUNT_LOCK:
        for counter in _COUNTERS:
            counter[f"{model.service_model.service_name}:{model.name}"] += 1


def watch_client(client: Any) -> Any:
    """Make ``client`` report its calls to the active :func:`counting` blocks (once per client)."""
    client.meta.events.register("before-call", _count_call, unique_id="lambdakit-sandbox-call-count")
    return client


@contextmanager
def counting() -> Iterator[Counter[str]]:
    """Count the AWS calls made through watched clients while the block runs (``service:Operation`` -> n)."""
    counter: Counter[str] = Counter()
    with _COUNT_LOCK:
        _COUNTERS.append(counter)
    try:
        yield counter
    finally:
        with _COUNT_LOCK:
            _COUNTERS.remove(counter)


# ---------------------------------------------------------------------------------------------------------------
# Matching the program's resources with the record
# ---------------------------------------------------------------------------------------------------------------


class _Matcher:
    """(type, name, occurrence) of each resource as the mocks see it, matched with the record."""

    def __init__(self, state: StackState) -> None:
        self.records = state.by_key()
        self.seen: Counter[tuple[str, str]] = Counter()
        self.used: set[int] = set()

    def match(self, type_: str, name: str) -> ResourceRecord | None:
        n = self.seen[(type_, name)]
        self.seen[(type_, name)] += 1
        record = self.records.get((type_, name, n))
        if record is not None:
            self.used.add(id(record))
        return record

    def gone(self, state: StackState) -> list[ResourceRecord]:
        return [r for r in state.resources if id(r) not in self.used]


def _function_version_bump(record: ResourceRecord, inputs: Mapping[str, Any], outputs: dict[str, Any]) -> None:
    if not inputs.get("publish"):
        return
    old = str(record.outputs.get("version", "0"))
    version = str(int(old) + 1) if old.isdigit() else "1"
    outputs["version"] = version
    arn = str(record.outputs.get("arn", ""))
    outputs["qualifiedArn"] = f"{arn}:{version}"


class PreviewMocks(PlanMocks):
    """Evaluates the program against the record without calling AWS: each resource's fate is kept in ``changes``.

    Unchanged and updated resources answer with their recorded outputs (an updated, published function with the
    next version number, as the update will publish it), new ones as the plain mocks would.
    """

    def __init__(self, state: StackState) -> None:
        super().__init__()
        self.state = state
        self.matcher = _Matcher(state)
        self.changes: list[diff.Change] = []
        self._lock = threading.Lock()

    def new_resource(self, args: Any) -> tuple[str | None, dict]:
        with self._lock:
            record = self.matcher.match(args.typ, args.name)
            if record is None or not args.custom:
                rid, state = super().new_resource(args)
                if args.custom:
                    self.changes.append(diff.Change("create", args.typ, args.name))
                return rid, state
            changed = diff.changed_properties(record.inputs, normalise(_ints(dict(args.inputs))))
            op = diff.classify(args.typ, changed, args.typ in UPDATERS)
            outputs = {**record.outputs, **dict(args.inputs)}
            if args.typ == FUNCTION and op != "same":
                _function_version_bump(record, args.inputs, outputs)
                if op == "replace":
                    outputs["version"] = "1"
            self.changes.append(diff.Change(op, args.typ, args.name, record.urn, changed if op != "same" else []))
            return record.id, outputs

    def call(self, args: Any) -> tuple[dict, list[tuple[str, str]]]:
        """A data source read the last `up` answered (a vendor's SSM parameter) answers the same; others as planned."""
        recorded = _recorded_answer(self.state, args)
        return (dict(recorded.outputs), []) if recorded is not None else super().call(args)

    def deletes(self) -> list[diff.Change]:
        return [
            diff.Change("delete", r.type, r.name, r.urn) for r in reversed(self.matcher.gone(self.state)) if r.custom
        ]


def _ints(value: Any) -> Any:
    from .mocks import _ints as ints

    return ints(value)


# ---------------------------------------------------------------------------------------------------------------
# Applying the changes
# ---------------------------------------------------------------------------------------------------------------

FUNCTION = "aws:lambda/function:Function"

Updater = Callable[["StatefulMocks", str, dict[str, Any], ResourceRecord, list[str]], dict[str, Any]]
Deleter = Callable[[MotoMocks, ResourceRecord], None]


class StatefulMocks(MotoMocks):
    """``MotoMocks`` that compare each resource with the stack's record and create, update, replace or keep it."""

    def __init__(self, sandbox: Sandbox, state: StackState, *, history: Mapping[str, int] | None = None) -> None:
        super().__init__(sandbox, history=history, stack=state.stack)
        self.state = state
        self.matcher = _Matcher(state)
        self.changes: list[diff.Change] = []
        self.inputs: dict[int, dict[str, Any]] = {}
        self._state_lock = threading.Lock()

    def client(self, service: str) -> Any:
        return watch_client(self.sandbox.client(service))

    def call(self, args: Any) -> tuple[dict, list[tuple[str, str]]]:
        """A data source read that an earlier `up` answered with a sandbox stand-in (a vendor's SSM parameter)
        answers the same, with no AWS call, and stays in the record; others are answered by the emulator."""
        recorded = _recorded_answer(self.state, args)
        if recorded is None:
            return super().call(args)
        from .mocks import Deployed

        with self._state_lock:
            self.deployed.append(Deployed(args.token, recorded.name, recorded.id, emulated=False))
        return dict(recorded.outputs), []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict]:
        with self._state_lock:
            record = self.matcher.match(args.typ, args.name)
            normalised = normalise(_ints(dict(args.inputs)))
            if record is not None and args.custom:
                changed = diff.changed_properties(record.inputs, normalised)
                op = diff.classify(args.typ, changed, args.typ in UPDATERS)
                if op == "same":
                    # Outputs as recorded, over the inputs as given (the SDK wants its archives back, not digests).
                    outputs = {**record.outputs, **_ints(dict(args.inputs))}
                    self._keep(args, record, outputs, normalised)
                    self.changes.append(diff.Change("same", args.typ, args.name, record.urn))
                    return record.id, outputs
                if op == "update":
                    inputs = _ints(dict(args.inputs))
                    extra = self._guard(args, lambda: UPDATERS[args.typ](self, args.name, inputs, record, changed))
                    outputs = {**record.outputs, **inputs, **extra}
                    self._keep(args, record, outputs, normalised)
                    self.changes.append(diff.Change("update", args.typ, args.name, record.urn, changed))
                    return record.id, outputs
                self._guard(args, lambda: delete_record(self, record))
                self.changes.append(diff.Change("replace", args.typ, args.name, record.urn, changed))
            elif args.custom:
                self.changes.append(diff.Change("create", args.typ, args.name))
            rid, state = super().new_resource(args)
            self.inputs[id(self.deployed[-1])] = normalised
            return rid, state

    def _keep(self, args: Any, record: ResourceRecord, outputs: dict[str, Any], normalised: dict[str, Any]) -> None:
        deployed = Deployed(args.typ, args.name, record.id, emulated=record.emulated, state=dict(outputs))
        self.deployed.append(deployed)
        self.inputs[id(deployed)] = normalised

    def _guard(self, args: Any, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except ClientError as exc:
            info = exc.response.get("Error", {})
            error: BaseException = DeployError(args.typ, args.name, f"{info.get('Code')}: {info.get('Message')}")
        except ParamValidationError as exc:
            error = DeployError(args.typ, args.name, str(exc))
        except (SandboxError, RuleViolationError) as exc:
            error = exc if isinstance(exc, DeployError) else DeployError(args.typ, args.name, str(exc))
        self.errors.append(error)
        raise error

    # ----- updates -------------------------------------------------------------------------------------------
    def _update_function(self, name: str, inp: dict[str, Any], record: ResourceRecord, changed: list[str]) -> dict:
        lam = self.client("lambda")
        fname = record.id
        rules.check_function(fname, inp)
        params = self.function_params(fname, inp)
        code_keys = {"code", "sourceCodeHash", "architectures"}
        config_keys = set(changed) - code_keys - {"publish", "tags", "tagsAll", "reservedConcurrentExecutions"}
        if code_keys.intersection(changed):
            lam.update_function_code(
                **_drop_none(
                    {
                        "FunctionName": fname,
                        "ZipFile": params["Code"]["ZipFile"],
                        "Architectures": params.get("Architectures"),
                    }
                )
            )
        if config_keys:
            update = {k: v for k, v in params.items() if k not in ("Code", "Publish", "Tags", "Architectures")}
            update.setdefault("Layers", [])
            lam.update_function_configuration(**update)
            logging_config = inp.get("loggingConfig") or {}
            self.sandbox.function_meta[fname] = FunctionMeta(
                log_group_name=logging_config.get("logGroup") or f"/aws/lambda/{fname}",
                log_format=logging_config.get("logFormat") or "Text",
                application_log_level=logging_config.get("applicationLogLevel") or "",
                system_log_level=logging_config.get("systemLogLevel") or "",
                dead_letter_target=(inp.get("deadLetterConfig") or {}).get("targetArn") or "",
            )
        if "tags" in changed and inp.get("tags"):
            lam.tag_resource(Resource=record.outputs["arn"], Tags=inp["tags"])
        if "reservedConcurrentExecutions" in changed:
            reserved = inp.get("reservedConcurrentExecutions")
            if reserved is not None and int(reserved) >= 0:
                lam.put_function_concurrency(FunctionName=fname, ReservedConcurrentExecutions=int(reserved))
            else:
                lam.delete_function_concurrency(FunctionName=fname)
        out: dict[str, Any] = {}
        if inp.get("publish") and (code_keys.intersection(changed) or config_keys):
            version = str(lam.publish_version(FunctionName=fname)["Version"])
            arn = str(record.outputs["arn"])
            prefix = f"arn:aws:apigateway:{self.sandbox.region}:lambda:path/2015-03-31/functions/"
            out = {
                "version": version,
                "qualifiedArn": f"{arn}:{version}",
                "qualifiedInvokeArn": f"{prefix}{arn}:{version}/invocations",
            }
        config = lam.get_function_configuration(FunctionName=fname)
        out.update({"codeSha256": config["CodeSha256"], "lastModified": config["LastModified"]})
        return out

    def _update_alias(self, name: str, inp: dict[str, Any], record: ResourceRecord, changed: list[str]) -> dict:
        lam = self.client("lambda")
        fname, _ = split_function(str(inp["functionName"]))
        alias_name = inp.get("name") or name
        weights = {
            str(k): float(v)
            for k, v in ((inp.get("routingConfig") or {}).get("additionalVersionWeights") or {}).items()
        }
        versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=fname)["Versions"]]
        rules.check_alias(fname, alias_name, str(inp["functionVersion"]), weights, versions)
        lam.update_alias(
            FunctionName=fname,
            Name=alias_name,
            FunctionVersion=str(inp["functionVersion"]),
            Description=inp.get("description") or "",
            RoutingConfig={"AdditionalVersionWeights": weights},
        )
        return {}

    def _update_event_source_mapping(
        self, name: str, inp: dict[str, Any], record: ResourceRecord, changed: list[str]
    ) -> dict:
        destination = ((inp.get("destinationConfig") or {}).get("onFailure") or {}).get("destinationArn")
        filters = [{"Pattern": f["pattern"]} for f in ((inp.get("filterCriteria") or {}).get("filters") or [])]
        scaling = (inp.get("scalingConfig") or {}).get("maximumConcurrency")
        esm = self.client("lambda").update_event_source_mapping(
            **_drop_none(
                {
                    "UUID": record.id,
                    "FunctionName": str(inp["functionName"]),
                    "Enabled": inp.get("enabled", True),
                    "BatchSize": inp.get("batchSize"),
                    "MaximumBatchingWindowInSeconds": inp.get("maximumBatchingWindowInSeconds"),
                    "FunctionResponseTypes": inp.get("functionResponseTypes"),
                    "BisectBatchOnFunctionError": inp.get("bisectBatchOnFunctionError"),
                    "MaximumRetryAttempts": inp.get("maximumRetryAttempts"),
                    "MaximumRecordAgeInSeconds": inp.get("maximumRecordAgeInSeconds"),
                    "ParallelizationFactor": inp.get("parallelizationFactor"),
                    "DestinationConfig": {"OnFailure": {"Destination": destination}} if destination else None,
                    "FilterCriteria": {"Filters": filters} if filters else None,
                    "ScalingConfig": {"MaximumConcurrency": scaling} if scaling else None,
                }
            )
        )
        return {"batchSize": esm.get("BatchSize"), "lastModified": str(esm.get("LastModified", ""))}

    def _update_log_group(self, name: str, inp: dict[str, Any], record: ResourceRecord, changed: list[str]) -> dict:
        logs = self.client("logs")
        if inp.get("retentionInDays"):
            logs.put_retention_policy(logGroupName=record.id, retentionInDays=int(inp["retentionInDays"]))
        else:
            logs.delete_retention_policy(logGroupName=record.id)
        if "tags" in changed and inp.get("tags"):
            logs.tag_log_group(logGroupName=record.id, tags=inp["tags"])
        return {}

    def _update_queue(self, name: str, inp: dict[str, Any], record: ResourceRecord, changed: list[str]) -> dict:
        sqs = self.client("sqs")
        attributes = queue_attributes(inp)
        attributes.pop("FifoQueue", None)
        if attributes:
            sqs.set_queue_attributes(QueueUrl=record.id, Attributes=attributes)
        if "tags" in changed and inp.get("tags"):
            sqs.tag_queue(QueueUrl=record.id, Tags=inp["tags"])
        return {}

    def _update_role(self, name: str, inp: dict[str, Any], record: ResourceRecord, changed: list[str]) -> dict:
        iam = self.client("iam")
        role = record.id
        if "assumeRolePolicy" in changed:
            iam.update_assume_role_policy(RoleName=role, PolicyDocument=_json_text(inp["assumeRolePolicy"]))
        if "inlinePolicies" in changed:
            wanted = {p["name"]: p["policy"] for p in inp.get("inlinePolicies") or [] if p.get("name")}
            for existing in iam.list_role_policies(RoleName=role)["PolicyNames"]:
                if existing not in wanted:
                    iam.delete_role_policy(RoleName=role, PolicyName=existing)
            for policy_name, document in wanted.items():
                iam.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=_json_text(document))
        if "managedPolicyArns" in changed:
            wanted_arns = set(inp.get("managedPolicyArns") or [])
            attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}
            for arn in attached - wanted_arns:
                iam.detach_role_policy(RoleName=role, PolicyArn=arn)
            for arn in wanted_arns - attached:
                iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        if "description" in changed or "maxSessionDuration" in changed:
            iam.update_role(
                **_drop_none(
                    {
                        "RoleName": role,
                        "Description": inp.get("description"),
                        "MaxSessionDuration": inp.get("maxSessionDuration"),
                    }
                )
            )
        if "tags" in changed and inp.get("tags"):
            iam.tag_role(RoleName=role, Tags=_tags(inp.get("tags")))
        return {}

    def _update_function_url(self, name: str, inp: dict[str, Any], record: ResourceRecord, changed: list[str]) -> dict:
        fname, qualifier = split_function(str(inp["functionName"]), inp.get("qualifier"))
        cors = inp.get("cors") or {}
        self.client("lambda").update_function_url_config(
            **_drop_none(
                {
                    "FunctionName": fname,
                    "Qualifier": qualifier,
                    "AuthType": inp["authorizationType"],
                    "InvokeMode": inp.get("invokeMode"),
                    "Cors": _drop_none(
                        {
                            "AllowCredentials": cors.get("allowCredentials"),
                            "AllowHeaders": cors.get("allowHeaders"),
                            "AllowMethods": cors.get("allowMethods"),
                            "AllowOrigins": cors.get("allowOrigins"),
                            "ExposeHeaders": cors.get("exposeHeaders"),
                            "MaxAge": cors.get("maxAge"),
                        }
                    )
                    or None,
                }
            )
        )
        return {}

    def _put_again(self, name: str, inp: dict[str, Any], record: ResourceRecord, changed: list[str]) -> dict:
        """Types whose create is a put (PutMetricAlarm, PutRule, PutTargets, PutRolePolicy, ...): put again."""
        _, extra, _, _ = HANDLERS[_type_of(record)](self, name, inp)
        return extra


def _type_of(record: ResourceRecord) -> str:
    return record.type


#: In-place updates by type; a changed resource of another type is replaced.
UPDATERS: dict[str, Updater] = {
    FUNCTION: StatefulMocks._update_function,
    "aws:lambda/alias:Alias": StatefulMocks._update_alias,
    "aws:lambda/eventSourceMapping:EventSourceMapping": StatefulMocks._update_event_source_mapping,
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": StatefulMocks._put_again,
    "aws:lambda/functionUrl:FunctionUrl": StatefulMocks._update_function_url,
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": StatefulMocks._put_again,
    "aws:iam/role:Role": StatefulMocks._update_role,
    "aws:iam/rolePolicy:RolePolicy": StatefulMocks._put_again,
    "aws:cloudwatch/logGroup:LogGroup": StatefulMocks._update_log_group,
    "aws:sqs/queue:Queue": StatefulMocks._update_queue,
    "aws:sqs/queuePolicy:QueuePolicy": StatefulMocks._put_again,
    "aws:sqs/redrivePolicy:RedrivePolicy": StatefulMocks._put_again,
    "aws:cloudwatch/metricAlarm:MetricAlarm": StatefulMocks._put_again,
    "aws:cloudwatch/dashboard:Dashboard": StatefulMocks._put_again,
    "aws:cloudwatch/eventRule:EventRule": StatefulMocks._put_again,
    "aws:cloudwatch/eventTarget:EventTarget": StatefulMocks._put_again,
    "aws:s3/bucketNotification:BucketNotification": StatefulMocks._put_again,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": StatefulMocks._put_again,
    "aws:appautoscaling/target:Target": StatefulMocks._put_again,
    "aws:appautoscaling/policy:Policy": StatefulMocks._put_again,
    "aws:appautoscaling/scheduledAction:ScheduledAction": StatefulMocks._put_again,
    "pulumi:providers:aws": StatefulMocks._put_again,
}


# ---------------------------------------------------------------------------------------------------------------
# Deletes
# ---------------------------------------------------------------------------------------------------------------


def _ignore_missing(action: Callable[[], Any]) -> None:
    try:
        action()
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if "NotFound" not in code and "NoSuchEntity" not in code and code not in ("ResourceNotFound", "404"):
            raise


def _delete_role(m: MotoMocks, r: ResourceRecord) -> None:
    iam = m.client("iam")
    for policy in iam.list_role_policies(RoleName=r.id)["PolicyNames"]:
        iam.delete_role_policy(RoleName=r.id, PolicyName=policy)
    for attached in iam.list_attached_role_policies(RoleName=r.id)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=r.id, PolicyArn=attached["PolicyArn"])
    iam.delete_role(RoleName=r.id)


def _delete_function(m: MotoMocks, r: ResourceRecord) -> None:
    m.client("lambda").delete_function(FunctionName=r.id)
    m.sandbox.function_meta.pop(r.id, None)
    for key in [k for k in m.sandbox.async_configs if k[0] == r.id]:
        del m.sandbox.async_configs[key]


def _delete_async_config(m: MotoMocks, r: ResourceRecord) -> None:
    fname, qualifier = split_function(r.id)
    kwargs = {"FunctionName": fname, **({"Qualifier": qualifier} if qualifier else {})}
    m.client("lambda").delete_function_event_invoke_config(**kwargs)


def _delete_permission(m: MotoMocks, r: ResourceRecord) -> None:
    fname, qualifier = split_function(str(r.inputs.get("function", "")), r.outputs.get("qualifier"))
    kwargs = {"FunctionName": fname, "StatementId": r.id, **({"Qualifier": qualifier} if qualifier else {})}
    m.client("lambda").remove_permission(**kwargs)


def _delete_function_url(m: MotoMocks, r: ResourceRecord) -> None:
    fname, _, qualifier = r.id.partition("/")
    m.client("lambda").delete_function_url_config(FunctionName=fname, **({"Qualifier": qualifier} if qualifier else {}))


def _delete_event_target(m: MotoMocks, r: ResourceRecord) -> None:
    bus = r.inputs.get("eventBusName")
    m.client("events").remove_targets(
        Rule=r.inputs["rule"], Ids=[r.outputs.get("targetId", "")], **({"EventBusName": bus} if bus else {})
    )


def _delete_event_rule(m: MotoMocks, r: ResourceRecord) -> None:
    bus = r.inputs.get("eventBusName")
    m.client("events").delete_rule(Name=r.outputs.get("name", r.id), **({"EventBusName": bus} if bus else {}))


def _delete_scaling(m: MotoMocks, r: ResourceRecord) -> None:
    aas, inp = m.client("application-autoscaling"), r.inputs
    keys = {"ServiceNamespace": inp["serviceNamespace"], "ResourceId": inp["resourceId"]}
    if r.type.endswith("target:Target"):
        aas.deregister_scalable_target(**keys, ScalableDimension=inp["scalableDimension"])
    elif r.type.endswith("policy:Policy"):
        aas.delete_scaling_policy(**keys, ScalableDimension=inp["scalableDimension"], PolicyName=r.id)
    else:
        aas.delete_scheduled_action(
            **keys, ScalableDimension=inp.get("scalableDimension"), ScheduledActionName=r.outputs.get("name", r.id)
        )


def _delete_bucket(m: MotoMocks, r: ResourceRecord) -> None:
    s3 = m.client("s3")
    for obj in s3.list_objects_v2(Bucket=r.id).get("Contents", []):
        s3.delete_object(Bucket=r.id, Key=obj["Key"])
    s3.delete_bucket(Bucket=r.id)


def _nothing(m: MotoMocks, r: ResourceRecord) -> None:
    """Recorded, not emulated: nothing to delete in moto."""


DELETERS: dict[str, Deleter] = {
    # moto's CodeDeploy has no DeleteApplication or DeleteDeploymentGroup; the emulator forgets them when it stops.
    "aws:codedeploy/application:Application": _nothing,
    "aws:codedeploy/deploymentGroup:DeploymentGroup": _nothing,
    "aws:codedeploy/deploymentConfig:DeploymentConfig": _nothing,
    "aws:iam/role:Role": _delete_role,
    "aws:iam/rolePolicy:RolePolicy": lambda m, r: m.client("iam").delete_role_policy(
        RoleName=r.outputs.get("role", r.id.split(":")[0]), PolicyName=r.outputs.get("name", r.id.split(":")[-1])
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": lambda m, r: m.client("iam").detach_role_policy(
        RoleName=_role_name(str(r.inputs["role"])), PolicyArn=r.inputs["policyArn"]
    ),
    "aws:iam/policy:Policy": lambda m, r: m.client("iam").delete_policy(PolicyArn=r.id),
    "aws:cloudwatch/logGroup:LogGroup": lambda m, r: m.client("logs").delete_log_group(logGroupName=r.id),
    "aws:lambda/layerVersion:LayerVersion": lambda m, r: m.client("lambda").delete_layer_version(
        LayerName=r.inputs["layerName"], VersionNumber=int(r.outputs["version"])
    ),
    FUNCTION: _delete_function,
    "aws:lambda/alias:Alias": lambda m, r: m.client("lambda").delete_alias(
        FunctionName=split_function(str(r.inputs["functionName"]))[0], Name=r.outputs.get("name", "")
    ),
    "aws:lambda/eventSourceMapping:EventSourceMapping": lambda m, r: m.client("lambda").delete_event_source_mapping(
        UUID=r.id
    ),
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": _delete_async_config,
    "aws:lambda/permission:Permission": _delete_permission,
    "aws:lambda/functionUrl:FunctionUrl": _delete_function_url,
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": _nothing,
    "aws:appautoscaling/target:Target": _delete_scaling,
    "aws:appautoscaling/policy:Policy": _delete_scaling,
    "aws:appautoscaling/scheduledAction:ScheduledAction": _delete_scaling,
    "aws:sqs/queue:Queue": lambda m, r: m.client("sqs").delete_queue(QueueUrl=r.id),
    "aws:sqs/queuePolicy:QueuePolicy": lambda m, r: m.client("sqs").set_queue_attributes(
        QueueUrl=r.id, Attributes={"Policy": ""}
    ),
    "aws:sqs/redrivePolicy:RedrivePolicy": lambda m, r: m.client("sqs").set_queue_attributes(
        QueueUrl=r.id, Attributes={"RedrivePolicy": ""}
    ),
    "aws:kms/key:Key": lambda m, r: m.client("kms").schedule_key_deletion(KeyId=r.id, PendingWindowInDays=7),
    "aws:sns/topic:Topic": lambda m, r: m.client("sns").delete_topic(TopicArn=r.id),
    "aws:sns/topicSubscription:TopicSubscription": lambda m, r: m.client("sns").unsubscribe(SubscriptionArn=r.id),
    "aws:dynamodb/table:Table": lambda m, r: m.client("dynamodb").delete_table(TableName=r.id),
    "aws:kinesis/stream:Stream": lambda m, r: m.client("kinesis").delete_stream(
        StreamName=r.outputs.get("name", r.id.split("/")[-1])
    ),
    "aws:s3/bucket:Bucket": _delete_bucket,
    "aws:s3/bucketV2:BucketV2": _delete_bucket,
    "aws:s3/bucketNotification:BucketNotification": lambda m, r: m.client("s3").put_bucket_notification_configuration(
        Bucket=r.id, NotificationConfiguration={}
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": lambda m, r: m.client("s3").delete_public_access_block(
        Bucket=r.id
    ),
    "aws:cloudwatch/eventRule:EventRule": _delete_event_rule,
    "aws:cloudwatch/eventTarget:EventTarget": _delete_event_target,
    "aws:cloudwatch/metricAlarm:MetricAlarm": lambda m, r: m.client("cloudwatch").delete_alarms(AlarmNames=[r.id]),
    "aws:cloudwatch/dashboard:Dashboard": lambda m, r: m.client("cloudwatch").delete_dashboards(DashboardNames=[r.id]),
    "aws:apigatewayv2/api:Api": lambda m, r: m.client("apigatewayv2").delete_api(ApiId=r.id),
    "aws:apigatewayv2/integration:Integration": lambda m, r: m.client("apigatewayv2").delete_integration(
        ApiId=r.inputs["apiId"], IntegrationId=r.id
    ),
    "aws:apigatewayv2/route:Route": lambda m, r: m.client("apigatewayv2").delete_route(
        ApiId=r.inputs["apiId"], RouteId=r.id
    ),
    "aws:apigatewayv2/stage:Stage": lambda m, r: m.client("apigatewayv2").delete_stage(
        ApiId=r.inputs["apiId"], StageName=r.id
    ),
    "pulumi:providers:aws": _nothing,
    # issue 13: ALB target groups (the attachment goes with its group; runtime settings go with the function)
    "aws:lb/targetGroup:TargetGroup": lambda m, r: m.client("elbv2").delete_target_group(TargetGroupArn=r.id),
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": lambda m, r: m.client("elbv2").deregister_targets(
        TargetGroupArn=r.inputs["targetGroupArn"], Targets=[{"Id": r.inputs["targetId"]}]
    ),
    "aws:lb/listenerRule:ListenerRule": lambda m, r: m.client("elbv2").delete_rule(RuleArn=r.id),
    "aws:lambda/runtimeManagementConfig:RuntimeManagementConfig": _nothing,
    "aws:lambda/functionRecursionConfig:FunctionRecursionConfig": _nothing,
}


def delete_record(m: MotoMocks, record: ResourceRecord) -> None:
    """Delete one recorded resource from the emulator (a resource already gone is not an error)."""
    if not record.custom:
        return
    deleter = DELETERS.get(record.type)
    if deleter is None:
        raise SandboxError(f"the sandbox cannot delete resource type {record.type} ({record.name!r})")
    _ignore_missing(lambda: deleter(m, record))


# ---------------------------------------------------------------------------------------------------------------
# up / destroy
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class UpResult:
    """What one ``up`` of a sandbox stack planned, did and cost."""

    stack: str
    preview: list[diff.Change]
    applied: list[diff.Change] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    deployment: Deployment | None = None
    seconds: float = 0.0
    state_file: str = ""

    @property
    def call_count(self) -> int:
        return sum(self.calls.values())

    def preview_text(self) -> str:
        return diff.render(self.preview, title=f"Preview of stack {self.stack!r}:")

    def summary(self) -> str:
        by_service: Counter[str] = Counter()
        for key, n in self.calls.items():
            by_service[key.split(":")[0]] += n
        services = ", ".join(f"{s} {n}" for s, n in sorted(by_service.items())) or "none"
        return (
            f"Stack {self.stack!r}: {diff.summary(self.applied)} in {self.seconds:.1f} s; "
            f"{self.call_count} AWS call(s) ({services})"
        )


def preview(
    program_dir: str | Path, state: StackState, *, config_overrides: Mapping[str, str] | None = None
) -> tuple[ProgramRun, list[diff.Change]]:
    """Evaluate the program against the record, calling nothing: (the evaluation, the changes incl. deletes)."""
    mocks = PreviewMocks(state)
    run = run_program(str(Path(program_dir).resolve()), state.stack, mocks, config_overrides=config_overrides)
    unknown = unknown_types(run)
    if unknown:
        raise UnknownResourceTypeError(unknown)
    return run, mocks.changes + mocks.deletes()


def up(
    sandbox: Sandbox,
    store: StateStore,
    program_dir: str | Path,
    stack: str,
    *,
    config_overrides: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> UpResult:
    """Preview, then apply the program's ``stack`` to the sandbox as an update of its record; saves the record."""
    program_dir = str(Path(program_dir).resolve())
    state = store.load(stack)
    overrides = {**state.config, **dict(config_overrides or {})}
    plan, changes = preview(program_dir, state, config_overrides=overrides)
    result = UpResult(stack, changes)
    if progress is not None:
        progress(result.preview_text())
    # Stand-ins for earlier versions only for functions this up creates (an alias pinned to "3" on a first up).
    created = {c.name for c in changes if c.op in ("create", "replace") and c.type == FUNCTION}
    history = {
        fname: n
        for fname, n in plan_history(plan).items()
        if any(r.outputs.get("name") == fname and r.name in created for r in plan.by_type(FUNCTION))
    }
    mocks = StatefulMocks(sandbox, state, history=history)
    started = time.perf_counter()
    with counting() as calls, exported_env(sandbox):
        try:
            run = run_program(program_dir, stack, mocks, config_overrides=overrides)
        except Exception:
            _collect_failed_futures()
            _save_partial(store, state, mocks)
            if mocks.errors:
                raise mocks.errors[0].with_traceback(None) from None
            raise
        if mocks.errors:
            _collect_failed_futures()
            _save_partial(store, state, mocks)
            raise mocks.errors[0].with_traceback(None) from None
        gone = mocks.matcher.gone(state)
        for record in reversed(gone):
            delete_record(mocks, record)
            if record.custom:
                mocks.changes.append(diff.Change("delete", record.type, record.name, record.urn))
    result.seconds = time.perf_counter() - started
    result.calls = calls
    result.applied = mocks.changes
    _attach_urns(mocks.deployed, run)
    state.project = run.project
    state.program_dir = program_dir
    state.ups += 1
    state.resources = _records(mocks, run)
    result.state_file = str(store.save(state))
    deployment = Deployment(
        program_dir=program_dir,
        stack=stack,
        project=run.project,
        run=run,
        deployed=mocks.deployed,
        seconds=result.seconds,
        history=history,
    )
    deployment.warnings = _post_checks(sandbox, deployment)
    deployment.services = describe_services(sandbox, deployment)
    result.deployment = deployment
    return result


def _recorded_answer(state: StackState, args: Any) -> ResourceRecord | None:
    name = str(dict(args.args or {}).get("name", ""))
    for record in state.resources:
        if record.type == args.token and record.name == name and not record.custom:
            return record
    return None


def _is_invoke(token: str) -> bool:
    """A function call's token (``aws:ssm/getParameter:getParameter``), not a resource type (``...:Function``)."""
    return not token.startswith("pulumi:") and token.rsplit(":", 1)[-1][:1].islower()


def _records(mocks: StatefulMocks, run: ProgramRun) -> list[ResourceRecord]:
    registrations = run.by_urn()
    records = []
    for d in mocks.deployed:
        if _is_invoke(d.type):
            # A data source read (a vendor's SSM parameter answered by a stand-in): kept, not a resource, so that the
            # next preview answers the same value without calling AWS.
            answer = {"name": d.name, "type": "String", "value": d.id, "version": 1}
            records.append(
                ResourceRecord(
                    urn="", type=d.type, name=d.name, custom=False, inputs={}, id=d.id, outputs=answer, emulated=False
                )
            )
            continue
        outputs = d.state
        if not d.custom and d.urn in registrations:
            outputs = registrations[d.urn].outputs
        records.append(
            ResourceRecord(
                urn=d.urn,
                type=d.type,
                name=d.name,
                custom=d.custom,
                inputs=mocks.inputs.get(id(d), normalise(d.state) if not d.custom else {}),
                id=d.id,
                outputs=normalise(outputs),
                parent=d.parent,
                emulated=d.emulated,
            )
        )
    return records


def _save_partial(store: StateStore, state: StackState, mocks: StatefulMocks) -> None:
    """A failed up keeps what it did: records of resources it created or kept, plus the untouched old ones (as
    Pulumi keeps a partial state), so that the next up or destroy knows about them."""
    kept = {id(r) for r in state.resources}
    done = [
        ResourceRecord(
            urn=d.urn or f"{d.type}::{d.name}",
            type=d.type,
            name=d.name,
            custom=d.custom,
            inputs=mocks.inputs.get(id(d), {}),
            id=d.id,
            outputs=normalise(d.state),
            emulated=d.emulated,
        )
        for d in mocks.deployed
        if not _is_invoke(d.type)
    ]
    matched = {(r.type, r.name) for r in done}
    old = [r for r in state.resources if id(r) in kept and (r.type, r.name) not in matched]
    state.resources = old + done
    store.save(state)


def destroy(sandbox: Sandbox, store: StateStore, stack: str) -> UpResult:
    """Delete every resource of the stack's record, newest first, and remove the record."""
    state = store.load(stack)
    mocks = StatefulMocks(sandbox, state)
    changes = [diff.Change("delete", r.type, r.name, r.urn) for r in reversed(state.resources) if r.custom]
    result = UpResult(stack, changes)
    started = time.perf_counter()
    with counting() as calls:
        for record in reversed(state.resources):
            delete_record(mocks, record)
    result.seconds = time.perf_counter() - started
    result.calls = calls
    result.applied = changes
    store.remove(stack)
    return result


def service_components(state: StackState) -> dict[str, dict[str, Any]]:
    """Each LambdaService's recorded outputs by name."""
    return {r.name: r.outputs for r in state.resources if r.type == SERVICE_COMPONENT}

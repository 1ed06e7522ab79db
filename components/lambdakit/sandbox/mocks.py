"""Pulumi SDK mocks that deploy each resource into the sandbox's moto with boto3 and return moto's attributes.

``MotoMocks.new_resource`` is called once per resource, in dependency order, with the inputs the program gave
(camelCase engine names, outputs of earlier resources already resolved). Each handler creates the resource the way
the pulumi-aws provider would (same API calls, same auto-naming shape ``<name>-<7 hex>``) and returns the state the
provider would: inputs plus computed attributes (``arn``, ``version``, ``qualifiedArn``, ``url``, ``streamArn``...).
Because moto answers with real ARNs and versions and rejects what AWS rejects (a missing role, an unknown queue), a
wiring mistake fails here as it would in ``pulumi up``.

Types moto does not emulate (``NOT_EMULATED``) are checked against the Lambda rules (``rules.py``), recorded and
reported as not emulated. Any other type fails with its name.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from botocore.exceptions import ClientError, ParamValidationError
from pulumi.runtime import mocks as pulumi_mocks

from lambdakit.program import DefaultMocks
from lambdakit.redact import unwrap_secrets

from . import codedeploy, rules, wiring
from ._moto_compat import latest_function
from .emulator import FunctionMeta, Sandbox, split_function
from .exceptions import DeployError, RuleViolationError, SandboxError
from .mocks_code import CODE_HANDLERS, CODE_NOT_EMULATED, function_code_params


@dataclass
class Deployed:
    """One resource as the sandbox deployed (or recorded) it."""

    type: str
    name: str
    id: str
    urn: str = ""
    custom: bool = True
    emulated: bool = True
    parent: str = ""
    state: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def short_type(self) -> str:
        return self.type.split(":")[-1] if self.type.count(":") == 2 else self.type


def autoname(name: str, stack: str = "") -> str:
    """The provider's auto-name shape (``<name>-<7 hex>``), deterministic per stack so that runs are repeatable and
    several stacks can share one emulator, as they share an AWS account."""
    return f"{name}-{hashlib.sha1(f'{stack}/{name}'.encode()).hexdigest()[:7]}"


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _tags(value: Any) -> list[dict[str, str]]:
    return [{"Key": str(k), "Value": str(v)} for k, v in (value or {}).items()]


def _drop_none(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None and v != {} and v != []}


def _zip_dir(path: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            zf.write(file, file.relative_to(path).as_posix())
    return buf.getvalue()


def archive_bytes(archive: Any, what: str) -> bytes:
    """A pulumi ``FileArchive`` (zip file or folder) or ``AssetArchive`` -> zip bytes."""
    if isinstance(archive, pulumi.FileArchive):
        path = Path(archive.path)
        if path.is_dir():
            return _zip_dir(path)
        if not path.exists():
            raise SandboxError(f"{what}: the code archive {path} does not exist")
        if path.suffix.lower() not in (".zip", ".jar"):
            raise SandboxError(f"{what}: only .zip archives and folders are supported as code, got {path}")
        return path.read_bytes()
    if isinstance(archive, pulumi.AssetArchive):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, asset in sorted(archive.assets.items()):
                if isinstance(asset, pulumi.StringAsset):
                    zf.writestr(name, asset.text)
                elif isinstance(asset, pulumi.FileAsset):
                    zf.write(asset.path, name)
                elif isinstance(asset, pulumi.FileArchive):
                    with zipfile.ZipFile(io.BytesIO(archive_bytes(asset, what))) as inner:
                        for info in inner.infolist():
                            zf.writestr(f"{name}/{info.filename}", inner.read(info))
                else:
                    raise SandboxError(f"{what}: unsupported asset {type(asset).__name__} for {name!r}")
        return buf.getvalue()
    raise SandboxError(f"{what}: code must be a pulumi.FileArchive or AssetArchive, got {type(archive).__name__}")


def _ints(value: Any) -> Any:
    """Whole floats -> ints: the engine's property values carry every number as a float (1209600.0), which AWS
    APIs taking integer strings reject."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def provider_call(fallback: pulumi_mocks.Mocks, args: pulumi_mocks.MockCallArgs) -> tuple[dict, list[tuple[str, str]]]:
    """Provider functions (invokes) under the sandbox's mocks: ``fallback`` answers, except for policy documents.

    The failures list is never ``None``: the SDK's mock monitor iterates it.
    """
    # DefaultMocks renders getPolicyDocument as the provider does (real IAM JSON, which moto validates).
    result = fallback.call(args)
    if isinstance(result, dict):
        return result, []
    return result[0], list(result[1] or [])


def queue_attributes(inp: Mapping[str, Any]) -> dict[str, str]:
    """CreateQueue/SetQueueAttributes attributes from a queue's inputs."""
    mapping = {
        "VisibilityTimeout": "visibilityTimeoutSeconds",
        "MessageRetentionPeriod": "messageRetentionSeconds",
        "DelaySeconds": "delaySeconds",
        "MaximumMessageSize": "maxMessageSize",
        "ReceiveMessageWaitTimeSeconds": "receiveWaitTimeSeconds",
        "RedrivePolicy": "redrivePolicy",
        "RedriveAllowPolicy": "redriveAllowPolicy",
        "Policy": "policy",
        "KmsMasterKeyId": "kmsMasterKeyId",
        "KmsDataKeyReusePeriodSeconds": "kmsDataKeyReusePeriodSeconds",
        "SqsManagedSseEnabled": "sqsManagedSseEnabled",
        "FifoQueue": "fifoQueue",
        "ContentBasedDeduplication": "contentBasedDeduplication",
    }
    attributes = {}
    for attr, key in mapping.items():
        value = inp.get(key)
        if value is None or value == "" or (key in ("fifoQueue", "contentBasedDeduplication") and not value):
            continue
        attributes[attr] = (
            str(value).lower() if isinstance(value, bool) else (_json_text(value) if attr.endswith("y") else str(value))
        )
    return attributes


def _role_name(value: str) -> str:
    return value.split("/")[-1] if value.startswith("arn:") else value


def _queue_name(arn: str) -> str:
    return arn.split(":")[5]


class MotoMocks(pulumi_mocks.Mocks):
    """Creates every custom resource in the sandbox's moto; records components and not-emulated types.

    ``history`` maps a function name to how many versions to publish before this deploy's own (stand-ins for
    earlier deploys, so that an alias can keep serving ``stableVersion: "3"`` while the new code is version 4).
    ``fresh`` treats every resource as created by this deploy (a first ``pulumi up``) even where history is seeded:
    then provisioned concurrency on a weighted alias is refused, as AWS refuses to create it.
    """

    def __init__(
        self, sandbox: Sandbox, *, history: Mapping[str, int] | None = None, stack: str = "", fresh: bool = False
    ) -> None:
        self.sandbox = sandbox
        self.stack = stack
        self.fresh = fresh
        self.history = dict(history or {})
        self.deployed: list[Deployed] = []
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._fallback = DefaultMocks()

    def client(self, service: str) -> Any:
        return self.sandbox.client(service)

    def autoname(self, name: str) -> str:
        return autoname(name, self.stack)

    def prefixed(self, inp: Mapping[str, Any], name: str) -> str:
        prefix = inp.get("namePrefix")
        return f"{prefix}{self.autoname(name)[-7:]}" if prefix else self.autoname(name)

    # ----- pulumi.runtime.Mocks --------------------------------------------------------------------------------
    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict]:
        # The SDK registers resources from executor threads: serialise so that moto sees them in program order.
        with self._lock:
            # Secrets are deployed as their values (AWS gets plaintext too) and remembered, so reports hide them.
            inputs = _ints(unwrap_secrets(dict(args.inputs)))
            if not args.custom:
                self.deployed.append(Deployed(args.typ, args.name, "", urn=_urn(args), custom=False, state=inputs))
                return None, inputs
            handler = HANDLERS.get(args.typ)
            if handler is None:
                error: BaseException = SandboxError(
                    f"the sandbox does not know how to deploy resource type {args.typ} ({args.name!r})"
                )
                self.errors.append(error)
                raise error
            try:
                rid, extra, emulated, notes = handler(self, args.name, inputs)
            except ClientError as exc:
                info = exc.response.get("Error", {})
                error = DeployError(args.typ, args.name, f"{info.get('Code')}: {info.get('Message')}")
                self.errors.append(error)
                raise error from exc
            except ParamValidationError as exc:
                error = DeployError(args.typ, args.name, str(exc))
                self.errors.append(error)
                raise error from exc
            except (SandboxError, RuleViolationError) as exc:
                error = exc if isinstance(exc, DeployError) else DeployError(args.typ, args.name, str(exc))
                self.errors.append(error)
                raise error from exc
            state = {**inputs, **extra}
            self.deployed.append(
                Deployed(args.typ, args.name, rid, urn=_urn(args), emulated=emulated, state=state, notes=notes)
            )
            return rid, state

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict, list[tuple[str, str]]]:
        with self._lock:  # issue 13: public SSM parameters of vendor layers
            answered = wiring.vendor_parameter(self, args.token, dict(args.args))
        if answered is not None:
            return answered
        return provider_call(self._fallback, args)

    # ----- IAM ---------------------------------------------------------------------------------------------------
    def _role(self, name: str, inp: dict[str, Any]) -> Result:
        iam = self.client("iam")
        role_name = inp.get("name") or self.prefixed(inp, name)
        role = iam.create_role(
            **_drop_none(
                {
                    "RoleName": role_name,
                    "AssumeRolePolicyDocument": _json_text(inp["assumeRolePolicy"]),
                    "Path": inp.get("path"),
                    "Description": inp.get("description"),
                    "MaxSessionDuration": inp.get("maxSessionDuration"),
                    "PermissionsBoundary": inp.get("permissionsBoundary"),
                    "Tags": _tags(inp.get("tags")),
                }
            )
        )["Role"]
        for policy in inp.get("inlinePolicies") or []:
            if policy.get("name") and policy.get("policy"):
                iam.put_role_policy(RoleName=role_name, PolicyName=policy["name"], PolicyDocument=policy["policy"])
        for arn in inp.get("managedPolicyArns") or []:
            iam.attach_role_policy(RoleName=role_name, PolicyArn=arn)
        state = {
            "name": role_name,
            "arn": role["Arn"],
            "uniqueId": role["RoleId"],
            "createDate": str(role["CreateDate"]),
        }
        return role_name, state, True, []

    def _role_policy(self, name: str, inp: dict[str, Any]) -> Result:
        role = _role_name(str(inp["role"]))
        policy_name = inp.get("name") or self.prefixed(inp, name)
        self.client("iam").put_role_policy(
            RoleName=role, PolicyName=policy_name, PolicyDocument=_json_text(inp["policy"])
        )
        return f"{role}:{policy_name}", {"name": policy_name, "role": role}, True, []

    def _role_policy_attachment(self, name: str, inp: dict[str, Any]) -> Result:
        role = _role_name(str(inp["role"]))
        self.client("iam").attach_role_policy(RoleName=role, PolicyArn=inp["policyArn"])
        return f"{role}-{self.autoname(name).rsplit('-', 1)[1]}", {"role": role}, True, []

    def _policy(self, name: str, inp: dict[str, Any]) -> Result:
        policy_name = inp.get("name") or self.prefixed(inp, name)
        policy = self.client("iam").create_policy(
            **_drop_none(
                {
                    "PolicyName": policy_name,
                    "PolicyDocument": _json_text(inp["policy"]),
                    "Path": inp.get("path"),
                    "Description": inp.get("description"),
                }
            )
        )["Policy"]
        return policy["Arn"], {"name": policy_name, "arn": policy["Arn"], "policyId": policy["PolicyId"]}, True, []

    # ----- CloudWatch Logs ---------------------------------------------------------------------------------------
    def _log_group(self, name: str, inp: dict[str, Any]) -> Result:
        logs = self.client("logs")
        group = inp.get("name") or self.prefixed(inp, name)
        logs.create_log_group(
            **_drop_none({"logGroupName": group, "kmsKeyId": inp.get("kmsKeyId"), "tags": inp.get("tags") or None})
        )
        if inp.get("retentionInDays"):
            logs.put_retention_policy(logGroupName=group, retentionInDays=int(inp["retentionInDays"]))
        arn = f"arn:aws:logs:{self.sandbox.region}:{self.sandbox.account_id}:log-group:{group}"
        return group, {"name": group, "arn": arn}, True, []

    # ----- Lambda ------------------------------------------------------------------------------------------------
    def _layer_version(self, name: str, inp: dict[str, Any]) -> Result:
        if inp.get("code") is None:
            raise SandboxError("layers from S3 (s3Bucket/s3Key) are not supported by the sandbox; use code")
        layer = self.client("lambda").publish_layer_version(
            **_drop_none(
                {
                    "LayerName": inp["layerName"],
                    "Content": {"ZipFile": archive_bytes(inp["code"], f"layer {name}")},
                    "Description": inp.get("description"),
                    "CompatibleRuntimes": inp.get("compatibleRuntimes"),
                    "CompatibleArchitectures": inp.get("compatibleArchitectures"),
                    "LicenseInfo": inp.get("licenseInfo"),
                }
            )
        )
        state = {
            "arn": layer["LayerVersionArn"],
            "layerArn": layer["LayerArn"],
            "version": str(layer["Version"]),
            "createdDate": layer["CreatedDate"],
            "codeSha256": layer["Content"]["CodeSha256"],
            "sourceCodeSize": layer["Content"]["CodeSize"],
        }
        return layer["LayerVersionArn"], state, True, []

    def function_params(self, fname: str, inp: dict[str, Any]) -> dict[str, Any]:
        """CreateFunction's parameters from the resource's inputs (also what an update compares and applies)."""
        # A zip inline or in the sandbox's S3, or an image by digest (created, not run): see mocks_code.
        _, code_params = function_code_params(self, inp, fname)
        vpc = inp.get("vpcConfig") or {}
        return _drop_none(
            {
                "FunctionName": fname,
                "Role": inp["role"],
                **code_params,
                "Runtime": inp.get("runtime"),
                "Handler": inp.get("handler"),
                "Description": inp.get("description"),
                "Timeout": inp.get("timeout"),
                "MemorySize": inp.get("memorySize"),
                "Publish": False,
                "Environment": {"Variables": (inp.get("environment") or {}).get("variables") or {}},
                "TracingConfig": {"Mode": (inp.get("tracingConfig") or {}).get("mode")}
                if (inp.get("tracingConfig") or {}).get("mode")
                else None,
                "Layers": inp.get("layers"),
                "Architectures": inp.get("architectures"),
                "EphemeralStorage": {"Size": (inp.get("ephemeralStorage") or {}).get("size")}
                if (inp.get("ephemeralStorage") or {}).get("size")
                else None,
                "KMSKeyArn": inp.get("kmsKeyArn"),
                "VpcConfig": _drop_none(
                    {"SubnetIds": vpc.get("subnetIds"), "SecurityGroupIds": vpc.get("securityGroupIds")}
                )
                or None,
                "Tags": inp.get("tags") or None,
            }
        )

    def _function(self, name: str, inp: dict[str, Any]) -> Result:
        lam = self.client("lambda")
        fname = inp.get("name") or self.autoname(name)
        params = self.function_params(fname, inp)
        code = params["Code"].get("ZipFile", b"")
        logging_config = inp.get("loggingConfig") or {}
        rules.check_function(fname, inp)
        dlq = (inp.get("deadLetterConfig") or {}).get("targetArn")
        if dlq:
            action = rules.SEND_ACTIONS.get(dlq.split(":")[2], "sqs:SendMessage")
            rules.check_role_allows(
                self.client("iam"), inp["role"], [action], dlq, f"function {fname} DeadLetterConfig"
            )
        created = lam.create_function(**params)
        meta = FunctionMeta(
            log_group_name=logging_config.get("logGroup") or f"/aws/lambda/{fname}",
            log_format=logging_config.get("logFormat") or "Text",
            application_log_level=logging_config.get("applicationLogLevel") or "",
            system_log_level=logging_config.get("systemLogLevel") or "",
            dead_letter_target=(inp.get("deadLetterConfig") or {}).get("targetArn") or "",
        )
        self.sandbox.function_meta[fname] = meta
        notes: list[str] = []
        version = "$LATEST"
        if inp.get("publish"):
            prior = int(self.history.get(fname, 0))
            for i in range(prior):
                # Stand-ins for versions published by earlier deploys (same code): the alias may keep serving one.
                latest_function(self.sandbox.lambda_backend(), fname).code_or_config_updated = True
                lam.publish_version(
                    FunctionName=fname, Description=f"sandbox: stands in for an earlier deploy ({i + 1})"
                )
            if prior:
                notes.append(f"versions 1-{prior} stand in for earlier deploys (same code)")
            latest_function(self.sandbox.lambda_backend(), fname).code_or_config_updated = True
            version = lam.publish_version(FunctionName=fname)["Version"]
        reserved = inp.get("reservedConcurrentExecutions")
        if reserved is not None and int(reserved) >= 0:
            lam.put_function_concurrency(FunctionName=fname, ReservedConcurrentExecutions=int(reserved))
        arn = created["FunctionArn"]
        region = self.sandbox.region
        invoke_prefix = f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/"
        state = {
            "name": fname,
            "arn": arn,
            "invokeArn": f"{invoke_prefix}{arn}/invocations",
            "version": version,
            "qualifiedArn": f"{arn}:{version}",
            "qualifiedInvokeArn": f"{invoke_prefix}{arn}:{version}/invocations",
            "lastModified": created["LastModified"],
            "codeSha256": created["CodeSha256"],
            "sourceCodeHash": inp.get("sourceCodeHash") or base64.b64encode(hashlib.sha256(code).digest()).decode(),
            "sourceCodeSize": created["CodeSize"],
            "loggingConfig": {
                "logFormat": meta.log_format,
                "logGroup": meta.log_group_name,
                **({"applicationLogLevel": meta.application_log_level} if meta.application_log_level else {}),
                **({"systemLogLevel": meta.system_log_level} if meta.system_log_level else {}),
            },
            "tagsAll": inp.get("tags") or {},
        }
        return fname, state, True, notes

    def _alias(self, name: str, inp: dict[str, Any]) -> Result:
        lam = self.client("lambda")
        fname, _ = split_function(str(inp["functionName"]))
        alias_name = inp.get("name") or name
        weights = {
            str(k): float(v)
            for k, v in ((inp.get("routingConfig") or {}).get("additionalVersionWeights") or {}).items()
        }
        versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=fname)["Versions"]]
        rules.check_alias(fname, alias_name, str(inp["functionVersion"]), weights, versions)
        alias = lam.create_alias(
            **_drop_none(
                {
                    "FunctionName": fname,
                    "Name": alias_name,
                    "FunctionVersion": str(inp["functionVersion"]),
                    "Description": inp.get("description"),
                    "RoutingConfig": {"AdditionalVersionWeights": weights} if weights else None,
                }
            )
        )
        arn = alias["AliasArn"]
        invoke_arn = f"arn:aws:apigateway:{self.sandbox.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
        return arn, {"name": alias_name, "arn": arn, "invokeArn": invoke_arn}, True, []

    def _event_source_mapping(self, name: str, inp: dict[str, Any]) -> Result:
        if wiring.is_broker_mapping(inp):  # issue 13: Kafka, MQ and DocumentDB are checked, not emulated
            return wiring.broker_mapping(self, name, inp)
        lam = self.client("lambda")
        function = str(inp["functionName"])
        source = str(inp["eventSourceArn"])
        config = lam.get_function_configuration(FunctionName=function)
        queue_visibility = None
        if source.startswith("arn:aws:sqs:"):
            sqs = self.client("sqs")
            url = sqs.get_queue_url(QueueName=_queue_name(source))["QueueUrl"]
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
            queue_visibility = int(attrs.get("VisibilityTimeout", 30))
        rules.check_event_source_mapping(function, source, inp, int(config.get("Timeout", 3)), queue_visibility)
        needed = {"sqs": rules.SQS_SOURCE_ACTIONS, "dynamodb": rules.STREAM_SOURCE_ACTIONS}.get(
            source.split(":")[2], rules.KINESIS_SOURCE_ACTIONS
        )
        what = f"event source mapping {name} ({function} <- {source})"
        rules.check_role_allows(self.client("iam"), config["Role"], needed, source, what)
        destination = ((inp.get("destinationConfig") or {}).get("onFailure") or {}).get("destinationArn")
        filters = [{"Pattern": f["pattern"]} for f in ((inp.get("filterCriteria") or {}).get("filters") or [])]
        scaling = (inp.get("scalingConfig") or {}).get("maximumConcurrency")
        esm = lam.create_event_source_mapping(
            **_drop_none(
                {
                    "EventSourceArn": source,
                    "FunctionName": function,
                    "Enabled": inp.get("enabled", True),
                    "BatchSize": inp.get("batchSize"),
                    "MaximumBatchingWindowInSeconds": inp.get("maximumBatchingWindowInSeconds"),
                    "StartingPosition": inp.get("startingPosition"),
                    "FunctionResponseTypes": inp.get("functionResponseTypes"),
                    "BisectBatchOnFunctionError": inp.get("bisectBatchOnFunctionError"),
                    "MaximumRetryAttempts": inp.get("maximumRetryAttempts"),
                    "MaximumRecordAgeInSeconds": inp.get("maximumRecordAgeInSeconds"),
                    "ParallelizationFactor": inp.get("parallelizationFactor"),
                    "TumblingWindowInSeconds": inp.get("tumblingWindowInSeconds"),
                    "DestinationConfig": {"OnFailure": {"Destination": destination}} if destination else None,
                    "FilterCriteria": {"Filters": filters} if filters else None,
                    "ScalingConfig": {"MaximumConcurrency": scaling} if scaling else None,
                }
            )
        )
        state = {
            "uuid": esm["UUID"],
            "arn": esm.get("EventSourceMappingArn", ""),
            "functionArn": esm["FunctionArn"],
            "state": esm.get("State", "Enabled"),
            "stateTransitionReason": esm.get("StateTransitionReason", ""),
            "lastModified": str(esm.get("LastModified", "")),
            "batchSize": esm.get("BatchSize"),
            "startingPosition": esm.get("StartingPosition") or inp.get("startingPosition"),
        }
        return esm["UUID"], state, True, []

    def _event_invoke_config(self, name: str, inp: dict[str, Any]) -> Result:
        fname, qualifier = split_function(str(inp["functionName"]), inp.get("qualifier"))
        dest = inp.get("destinationConfig") or {}
        on_success = (dest.get("onSuccess") or {}).get("destination")
        on_failure = (dest.get("onFailure") or {}).get("destination")
        role = self.client("lambda").get_function_configuration(FunctionName=fname)["Role"]
        for destination in (on_success, on_failure):
            if destination:
                action = rules.SEND_ACTIONS.get(destination.split(":")[2], "sqs:SendMessage")
                what = f"async invoke config {name} ({fname}:{qualifier})"
                rules.check_role_allows(self.client("iam"), role, [action], destination, what)
        self.client("lambda").put_function_event_invoke_config(
            **_drop_none(
                {
                    "FunctionName": fname,
                    "Qualifier": qualifier,
                    "MaximumRetryAttempts": inp.get("maximumRetryAttempts"),
                    "MaximumEventAgeInSeconds": inp.get("maximumEventAgeInSeconds"),
                    "DestinationConfig": _drop_none(
                        {
                            "OnSuccess": {"Destination": on_success} if on_success else None,
                            "OnFailure": {"Destination": on_failure} if on_failure else None,
                        }
                    )
                    or None,
                }
            )
        )
        rid = f"{fname}:{qualifier}" if qualifier else fname
        return rid, {"functionName": fname, "qualifier": qualifier}, True, []

    def _permission(self, name: str, inp: dict[str, Any]) -> Result:
        fname, qualifier = split_function(str(inp["function"]), inp.get("qualifier"))
        statement_id = inp.get("statementId") or self.prefixed({"namePrefix": inp.get("statementIdPrefix")}, name)
        self.client("lambda").add_permission(
            **_drop_none(
                {
                    "FunctionName": fname,
                    "StatementId": statement_id,
                    "Action": inp["action"],
                    "Principal": inp["principal"],
                    "SourceArn": inp.get("sourceArn"),
                    "SourceAccount": inp.get("sourceAccount"),
                    "Qualifier": qualifier,
                    "EventSourceToken": inp.get("eventSourceToken"),
                    "PrincipalOrgID": inp.get("principalOrgId"),
                    "FunctionUrlAuthType": inp.get("functionUrlAuthType"),
                }
            )
        )
        return statement_id, {"statementId": statement_id, "qualifier": qualifier}, True, []

    def _function_url(self, name: str, inp: dict[str, Any]) -> Result:
        fname, qualifier = split_function(str(inp["functionName"]), inp.get("qualifier"))
        rules.check_qualified("FunctionUrl", name, fname, qualifier, self._aliases(fname))
        cors = inp.get("cors") or {}
        url = self.client("lambda").create_function_url_config(
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
        function_url = url["FunctionUrl"]
        url_id = function_url.split("//", 1)[-1].split(".", 1)[0]
        state = {"functionUrl": function_url, "functionArn": url["FunctionArn"], "urlId": url_id}
        notes = ["URL recorded, not served (moto does not serve function URLs); invoke through the alias instead"]
        return f"{fname}/{qualifier}" if qualifier else fname, state, True, notes

    def _provisioned_concurrency(self, name: str, inp: dict[str, Any]) -> Result:
        lam = self.client("lambda")
        fname, qualifier = split_function(str(inp["functionName"]), inp.get("qualifier"))
        count = int(inp["provisionedConcurrentExecutions"])
        versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=fname)["Versions"]]
        aliases = {a["Name"]: a for a in lam.list_aliases(FunctionName=fname)["Aliases"]}
        reserved = lam.get_function_concurrency(FunctionName=fname).get("ReservedConcurrentExecutions")
        extra = rules.check_provisioned_concurrency(
            fname,
            qualifier,
            count,
            versions,
            aliases,
            reserved,
            existed_before_canary=not self.fresh and self.history.get(fname, 0) > 0,
        )
        note = f"{count} on {fname}:{qualifier}, rules passed (qualifier, alias weights, reserved concurrency)"
        return f"{fname},{qualifier}", {"functionName": fname, "qualifier": qualifier}, False, [note, *extra]

    def _aliases(self, fname: str) -> list[str]:
        return [a["Name"] for a in self.client("lambda").list_aliases(FunctionName=fname)["Aliases"]]

    # ----- Application Auto Scaling ----------------------------------------------------------------------------
    def _scalable_target(self, name: str, inp: dict[str, Any]) -> Result:
        rules.check_lambda_scaling_resource(name, inp)
        aas = self.client("application-autoscaling")
        aas.register_scalable_target(
            **_drop_none(
                {
                    "ServiceNamespace": inp["serviceNamespace"],
                    "ResourceId": inp["resourceId"],
                    "ScalableDimension": inp["scalableDimension"],
                    "MinCapacity": inp.get("minCapacity"),
                    "MaxCapacity": inp.get("maxCapacity"),
                    "RoleARN": inp.get("roleArn"),
                }
            )
        )
        found = aas.describe_scalable_targets(ServiceNamespace=inp["serviceNamespace"], ResourceIds=[inp["resourceId"]])
        arn = next((t.get("ScalableTargetARN", "") for t in found["ScalableTargets"]), "")
        notes = ["registered in moto; scaling of provisioned concurrency is not emulated"]
        return inp["resourceId"], {"arn": arn}, True, notes

    def _scaling_policy(self, name: str, inp: dict[str, Any]) -> Result:
        rules.check_lambda_scaling_resource(name, inp)
        tt = inp.get("targetTrackingScalingPolicyConfiguration") or {}
        predefined = tt.get("predefinedMetricSpecification") or {}
        config = _drop_none(
            {
                "TargetValue": tt.get("targetValue"),
                "PredefinedMetricSpecification": _drop_none(
                    {
                        "PredefinedMetricType": predefined.get("predefinedMetricType"),
                        "ResourceLabel": predefined.get("resourceLabel"),
                    }
                )
                or None,
                "ScaleInCooldown": tt.get("scaleInCooldown"),
                "ScaleOutCooldown": tt.get("scaleOutCooldown"),
                "DisableScaleIn": tt.get("disableScaleIn"),
            }
        )
        policy_name = inp.get("name") or self.autoname(name)
        result = self.client("application-autoscaling").put_scaling_policy(
            **_drop_none(
                {
                    "PolicyName": policy_name,
                    "ServiceNamespace": inp["serviceNamespace"],
                    "ResourceId": inp["resourceId"],
                    "ScalableDimension": inp["scalableDimension"],
                    "PolicyType": inp.get("policyType") or "StepScaling",
                    "TargetTrackingScalingPolicyConfiguration": config or None,
                }
            )
        )
        state = {
            "name": policy_name,
            "arn": result["PolicyARN"],
            "alarmArns": [a["AlarmARN"] for a in result.get("Alarms", [])],
        }
        return policy_name, state, True, ["registered in moto; scaling is not emulated"]

    def _scheduled_action(self, name: str, inp: dict[str, Any]) -> Result:
        rules.check_lambda_scaling_resource(name, inp)
        action = inp.get("scalableTargetAction") or {}
        action_name = inp.get("name") or self.autoname(name)
        aas = self.client("application-autoscaling")
        aas.put_scheduled_action(
            **_drop_none(
                {
                    "ServiceNamespace": inp["serviceNamespace"],
                    "ScheduledActionName": action_name,
                    "ResourceId": inp["resourceId"],
                    "ScalableDimension": inp["scalableDimension"],
                    "Schedule": inp.get("schedule"),
                    "Timezone": inp.get("timezone"),
                    "ScalableTargetAction": _drop_none(
                        {"MinCapacity": action.get("minCapacity"), "MaxCapacity": action.get("maxCapacity")}
                    )
                    or None,
                }
            )
        )
        found = aas.describe_scheduled_actions(
            ServiceNamespace=inp["serviceNamespace"], ScheduledActionNames=[action_name]
        )["ScheduledActions"]
        arn = found[0].get("ScheduledActionARN", "") if found else ""
        return action_name, {"name": action_name, "arn": arn}, True, ["registered in moto; schedule not emulated"]

    # ----- SQS / SNS / DynamoDB / Kinesis / S3 ------------------------------------------------------------------
    def _queue(self, name: str, inp: dict[str, Any]) -> Result:
        sqs = self.client("sqs")
        qname = inp.get("name") or self.prefixed(inp, name)
        if inp.get("fifoQueue") and not qname.endswith(".fifo"):
            qname += ".fifo"
        attributes = queue_attributes(inp)
        url = sqs.create_queue(**_drop_none({"QueueName": qname, "Attributes": attributes, "tags": inp.get("tags")}))[
            "QueueUrl"
        ]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, {"name": qname, "arn": arn, "url": url}, True, []

    def _queue_policy(self, name: str, inp: dict[str, Any]) -> Result:
        self.client("sqs").set_queue_attributes(
            QueueUrl=inp["queueUrl"], Attributes={"Policy": _json_text(inp["policy"])}
        )
        return inp["queueUrl"], {}, True, []

    def _redrive_policy(self, name: str, inp: dict[str, Any]) -> Result:
        self.client("sqs").set_queue_attributes(
            QueueUrl=inp["queueUrl"], Attributes={"RedrivePolicy": _json_text(inp["redrivePolicy"])}
        )
        return inp["queueUrl"], {}, True, []

    def _kms_key(self, name: str, inp: dict[str, Any]) -> Result:
        kms = self.client("kms")
        meta = kms.create_key(
            **_drop_none(
                {
                    "Description": inp.get("description"),
                    "KeyUsage": inp.get("keyUsage"),
                    "Policy": _json_text(inp["policy"]) if inp.get("policy") else None,
                    "Tags": [{"TagKey": k, "TagValue": str(v)} for k, v in (inp.get("tags") or {}).items()] or None,
                }
            )
        )["KeyMetadata"]
        if inp.get("enableKeyRotation"):
            kms.enable_key_rotation(KeyId=meta["KeyId"])
        return meta["KeyId"], {"arn": meta["Arn"], "keyId": meta["KeyId"]}, True, []

    def _topic(self, name: str, inp: dict[str, Any]) -> Result:
        tname = inp.get("name") or self.prefixed(inp, name)
        if inp.get("fifoTopic") and not tname.endswith(".fifo"):
            tname += ".fifo"
        attributes = _drop_none(
            {
                "DisplayName": inp.get("displayName"),
                "KmsMasterKeyId": inp.get("kmsMasterKeyId"),
                "Policy": _json_text(inp["policy"]) if inp.get("policy") else None,
                "FifoTopic": "true" if inp.get("fifoTopic") else None,
            }
        )
        arn = self.client("sns").create_topic(
            **_drop_none({"Name": tname, "Attributes": attributes, "Tags": _tags(inp.get("tags"))})
        )["TopicArn"]
        return arn, {"name": tname, "arn": arn, "owner": self.sandbox.account_id}, True, []

    def _topic_subscription(self, name: str, inp: dict[str, Any]) -> Result:
        attributes = _drop_none(
            {
                "FilterPolicy": _json_text(inp["filterPolicy"]) if inp.get("filterPolicy") else None,
                "FilterPolicyScope": inp.get("filterPolicyScope"),
                "RawMessageDelivery": str(inp["rawMessageDelivery"]).lower() if "rawMessageDelivery" in inp else None,
                "RedrivePolicy": _json_text(inp["redrivePolicy"]) if inp.get("redrivePolicy") else None,
            }
        )
        result = self.client("sns").subscribe(
            **_drop_none(
                {
                    "TopicArn": inp["topic"],
                    "Protocol": inp["protocol"],
                    "Endpoint": inp["endpoint"],
                    "Attributes": attributes or None,
                    "ReturnSubscriptionArn": True,
                }
            )
        )
        arn = result["SubscriptionArn"]
        return arn, {"arn": arn, "ownerId": self.sandbox.account_id, "pendingConfirmation": False}, True, []

    def _table(self, name: str, inp: dict[str, Any]) -> Result:
        ddb = self.client("dynamodb")
        tname = inp.get("name") or self.autoname(name)
        keys = [{"AttributeName": inp["hashKey"], "KeyType": "HASH"}]
        if inp.get("rangeKey"):
            keys.append({"AttributeName": inp["rangeKey"], "KeyType": "RANGE"})
        billing = inp.get("billingMode") or "PROVISIONED"
        params: dict[str, Any] = {
            "TableName": tname,
            "AttributeDefinitions": [
                {"AttributeName": a["name"], "AttributeType": a["type"]} for a in inp.get("attributes") or []
            ],
            "KeySchema": keys,
            "BillingMode": billing,
        }
        if billing == "PROVISIONED":
            params["ProvisionedThroughput"] = {
                "ReadCapacityUnits": int(inp.get("readCapacity") or 1),
                "WriteCapacityUnits": int(inp.get("writeCapacity") or 1),
            }
        if inp.get("streamEnabled"):
            params["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": inp.get("streamViewType") or "NEW_AND_OLD_IMAGES",
            }
        gsis = []
        for gsi in inp.get("globalSecondaryIndexes") or []:
            schema = [{"AttributeName": gsi["hashKey"], "KeyType": "HASH"}]
            if gsi.get("rangeKey"):
                schema.append({"AttributeName": gsi["rangeKey"], "KeyType": "RANGE"})
            index = {
                "IndexName": gsi["name"],
                "KeySchema": schema,
                "Projection": _drop_none(
                    {
                        "ProjectionType": gsi.get("projectionType", "ALL"),
                        "NonKeyAttributes": gsi.get("nonKeyAttributes"),
                    }
                ),
            }
            if billing == "PROVISIONED":
                index["ProvisionedThroughput"] = {
                    "ReadCapacityUnits": int(gsi.get("readCapacity") or 1),
                    "WriteCapacityUnits": int(gsi.get("writeCapacity") or 1),
                }
            gsis.append(index)
        if gsis:
            params["GlobalSecondaryIndexes"] = gsis
        if inp.get("tags"):
            params["Tags"] = _tags(inp["tags"])
        table = ddb.create_table(**params)["TableDescription"]
        ttl = inp.get("ttl") or {}
        if ttl.get("enabled") and ttl.get("attributeName"):
            ddb.update_time_to_live(
                TableName=tname, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attributeName"]}
            )
        state = {"name": tname, "arn": table["TableArn"], "billingMode": billing}
        if table.get("LatestStreamArn"):
            state["streamArn"] = table["LatestStreamArn"]
            state["streamLabel"] = table.get("LatestStreamLabel", "")
        return tname, state, True, []

    def _kinesis_stream(self, name: str, inp: dict[str, Any]) -> Result:
        kinesis = self.client("kinesis")
        sname = inp.get("name") or self.autoname(name)
        mode = (inp.get("streamModeDetails") or {}).get("streamMode")
        kinesis.create_stream(
            **_drop_none(
                {
                    "StreamName": sname,
                    "ShardCount": inp.get("shardCount") if mode != "ON_DEMAND" else None,
                    "StreamModeDetails": {"StreamMode": mode} if mode else None,
                }
            )
        )
        arn = kinesis.describe_stream_summary(StreamName=sname)["StreamDescriptionSummary"]["StreamARN"]
        return arn, {"name": sname, "arn": arn}, True, []

    def _bucket(self, name: str, inp: dict[str, Any]) -> Result:
        if inp.get("bucket"):
            bucket = str(inp["bucket"])
        elif inp.get("bucketPrefix"):
            bucket = f"{inp['bucketPrefix']}{self.autoname(name)[-7:]}"
        else:
            bucket = self.autoname(name).lower()
        self.client("s3").create_bucket(Bucket=bucket)
        state = {
            "bucket": bucket,
            "arn": f"arn:aws:s3:::{bucket}",
            "bucketDomainName": f"{bucket}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{bucket}.s3.{self.sandbox.region}.amazonaws.com",
            "bucketRegion": self.sandbox.region,
            "region": self.sandbox.region,
            "hostedZoneId": "Z3AQBSTGFYJSTF",
        }
        return bucket, state, True, []

    def _bucket_notification(self, name: str, inp: dict[str, Any]) -> Result:
        bucket = str(inp["bucket"])
        lambdas = []
        for i, fn in enumerate(inp.get("lambdaFunctions") or []):
            arn = str(fn["lambdaFunctionArn"])
            rules.check_s3_can_invoke(self.client("lambda"), bucket, arn)
            rules_list = []
            if fn.get("filterPrefix"):
                rules_list.append({"Name": "prefix", "Value": fn["filterPrefix"]})
            if fn.get("filterSuffix"):
                rules_list.append({"Name": "suffix", "Value": fn["filterSuffix"]})
            config: dict[str, Any] = {
                "Id": fn.get("id") or f"{name}-{i}",
                "LambdaFunctionArn": arn,
                "Events": fn["events"],
            }
            if rules_list:
                config["Filter"] = {"Key": {"FilterRules": rules_list}}
            lambdas.append(config)
        queues = [
            {"Id": q.get("id") or f"{name}-q{i}", "QueueArn": q["queueArn"], "Events": q["events"]}
            for i, q in enumerate(inp.get("queues") or [])
        ]
        topics = [
            {"Id": t.get("id") or f"{name}-t{i}", "TopicArn": t["topicArn"], "Events": t["events"]}
            for i, t in enumerate(inp.get("topics") or [])
        ]
        self.client("s3").put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration=_drop_none(
                {
                    "LambdaFunctionConfigurations": lambdas,
                    "QueueConfigurations": queues,
                    "TopicConfigurations": topics,
                    "EventBridgeConfiguration": {} if inp.get("eventbridge") else None,
                }
            ),
        )
        return bucket, {}, True, []

    def _bucket_public_access_block(self, name: str, inp: dict[str, Any]) -> Result:
        self.client("s3").put_public_access_block(
            Bucket=inp["bucket"],
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": bool(inp.get("blockPublicAcls")),
                "IgnorePublicAcls": bool(inp.get("ignorePublicAcls")),
                "BlockPublicPolicy": bool(inp.get("blockPublicPolicy")),
                "RestrictPublicBuckets": bool(inp.get("restrictPublicBuckets")),
            },
        )
        return str(inp["bucket"]), {}, True, []

    # ----- EventBridge / CloudWatch ---------------------------------------------------------------------------
    def _event_rule(self, name: str, inp: dict[str, Any]) -> Result:
        rname = inp.get("name") or self.prefixed(inp, name)
        state_value = inp.get("state") or ("DISABLED" if inp.get("isEnabled") is False else "ENABLED")
        arn = self.client("events").put_rule(
            **_drop_none(
                {
                    "Name": rname,
                    "ScheduleExpression": inp.get("scheduleExpression"),
                    "EventPattern": inp.get("eventPattern"),
                    "State": state_value,
                    "Description": inp.get("description"),
                    "EventBusName": inp.get("eventBusName"),
                    "RoleArn": inp.get("roleArn"),
                    "Tags": _tags(inp.get("tags")),
                }
            )
        )["RuleArn"]
        bus = inp.get("eventBusName") or "default"
        rid = rname if bus == "default" else f"{bus}/{rname}"
        return rid, {"name": rname, "arn": arn}, True, []

    def _event_target(self, name: str, inp: dict[str, Any]) -> Result:
        target_id = inp.get("targetId") or self.autoname(name)
        retry = inp.get("retryPolicy") or {}
        dlq = (inp.get("deadLetterConfig") or {}).get("arn")
        target = _drop_none(
            {
                "Id": target_id,
                "Arn": inp["arn"],
                "Input": inp.get("input"),
                "InputPath": inp.get("inputPath"),
                "RoleArn": inp.get("roleArn"),
                "DeadLetterConfig": {"Arn": dlq} if dlq else None,
                "RetryPolicy": _drop_none(
                    {
                        "MaximumRetryAttempts": retry.get("maximumRetryAttempts"),
                        "MaximumEventAgeInSeconds": retry.get("maximumEventAgeInSeconds"),
                    }
                )
                or None,
            }
        )
        # Whether EventBridge may invoke a Lambda target is checked after the deploy (see deploy._post_checks):
        # AWS accepts the target either way and the permission may be registered later in the program.
        result = self.client("events").put_targets(
            **_drop_none({"Rule": inp["rule"], "EventBusName": inp.get("eventBusName"), "Targets": [target]})
        )
        if result.get("FailedEntryCount"):
            raise SandboxError(f"put_targets failed: {result.get('FailedEntries')}")
        return f"{inp['rule']}-{target_id}", {"targetId": target_id}, True, []

    def _metric_alarm(self, name: str, inp: dict[str, Any]) -> Result:
        alarm = inp.get("name") or self.autoname(name)
        queries = []
        for q in inp.get("metricQueries") or []:
            metric = q.get("metric") or {}
            queries.append(
                _drop_none(
                    {
                        "Id": q["id"],
                        "Expression": q.get("expression"),
                        "Label": q.get("label"),
                        "ReturnData": q.get("returnData"),
                        "MetricStat": _drop_none(
                            {
                                "Metric": _drop_none(
                                    {
                                        "MetricName": metric.get("metricName"),
                                        "Namespace": metric.get("namespace"),
                                        "Dimensions": [
                                            {"Name": k, "Value": str(v)}
                                            for k, v in (metric.get("dimensions") or {}).items()
                                        ],
                                    }
                                ),
                                "Period": metric.get("period"),
                                "Stat": metric.get("stat"),
                                "Unit": metric.get("unit"),
                            }
                        )
                        if metric
                        else None,
                    }
                )
            )
        self.client("cloudwatch").put_metric_alarm(
            **_drop_none(
                {
                    "AlarmName": alarm,
                    "ComparisonOperator": inp["comparisonOperator"],
                    "EvaluationPeriods": int(inp["evaluationPeriods"]),
                    "MetricName": inp.get("metricName"),
                    "Namespace": inp.get("namespace"),
                    "Period": int(inp["period"]) if inp.get("period") else None,
                    "Statistic": inp.get("statistic"),
                    "ExtendedStatistic": inp.get("extendedStatistic"),
                    "Threshold": float(inp["threshold"]) if inp.get("threshold") is not None else None,
                    "ThresholdMetricId": inp.get("thresholdMetricId"),
                    "Dimensions": [{"Name": k, "Value": str(v)} for k, v in (inp.get("dimensions") or {}).items()],
                    "AlarmActions": inp.get("alarmActions"),
                    "OKActions": inp.get("okActions"),
                    "InsufficientDataActions": inp.get("insufficientDataActions"),
                    "AlarmDescription": inp.get("alarmDescription"),
                    "DatapointsToAlarm": inp.get("datapointsToAlarm"),
                    "TreatMissingData": inp.get("treatMissingData"),
                    "ActionsEnabled": inp.get("actionsEnabled"),
                    "Unit": inp.get("unit"),
                    "Metrics": queries,
                    "Tags": _tags(inp.get("tags")),
                }
            )
        )
        arn = f"arn:aws:cloudwatch:{self.sandbox.region}:{self.sandbox.account_id}:alarm:{alarm}"
        return alarm, {"name": alarm, "arn": arn}, True, []

    def _dashboard(self, name: str, inp: dict[str, Any]) -> Result:
        dashboard = inp["dashboardName"]
        self.client("cloudwatch").put_dashboard(DashboardName=dashboard, DashboardBody=_json_text(inp["dashboardBody"]))
        arn = f"arn:aws:cloudwatch::{self.sandbox.account_id}:dashboard/{dashboard}"
        return dashboard, {"dashboardArn": arn}, True, []

    # ----- API Gateway v2 (HTTP APIs) ----------------------------------------------------------------------------
    def _http_api(self, name: str, inp: dict[str, Any]) -> Result:
        cors = inp.get("corsConfiguration") or {}
        api = self.client("apigatewayv2").create_api(
            **_drop_none(
                {
                    "Name": inp.get("name") or self.autoname(name),
                    "ProtocolType": inp["protocolType"],
                    "Description": inp.get("description"),
                    "RouteSelectionExpression": inp.get("routeSelectionExpression"),
                    "CorsConfiguration": _drop_none(
                        {
                            "AllowOrigins": cors.get("allowOrigins"),
                            "AllowMethods": cors.get("allowMethods"),
                            "AllowHeaders": cors.get("allowHeaders"),
                            "MaxAge": cors.get("maxAge"),
                        }
                    )
                    or None,
                    "Tags": inp.get("tags") or None,
                }
            )
        )
        api_id = api["ApiId"]
        region, account = self.sandbox.region, self.sandbox.account_id
        state = {
            "name": api["Name"],
            "apiEndpoint": api.get("ApiEndpoint", f"https://{api_id}.execute-api.{region}.amazonaws.com"),
            "arn": f"arn:aws:apigateway:{region}::/apis/{api_id}",
            "executionArn": f"arn:aws:execute-api:{region}:{account}:{api_id}",
        }
        return api_id, state, True, ["API recorded, not served (the sandbox invokes functions through their alias)"]

    def _http_integration(self, name: str, inp: dict[str, Any]) -> Result:
        integration = self.client("apigatewayv2").create_integration(
            **_drop_none(
                {
                    "ApiId": inp["apiId"],
                    "IntegrationType": inp["integrationType"],
                    "IntegrationUri": inp.get("integrationUri"),
                    "IntegrationMethod": inp.get("integrationMethod"),
                    "PayloadFormatVersion": inp.get("payloadFormatVersion"),
                    "TimeoutInMillis": inp.get("timeoutMilliseconds"),
                    "Description": inp.get("description"),
                }
            )
        )
        return integration["IntegrationId"], {}, True, []

    def _http_route(self, name: str, inp: dict[str, Any]) -> Result:
        route = self.client("apigatewayv2").create_route(
            **_drop_none(
                {
                    "ApiId": inp["apiId"],
                    "RouteKey": inp["routeKey"],
                    "Target": inp.get("target"),
                    "AuthorizationType": inp.get("authorizationType"),
                    "AuthorizerId": inp.get("authorizerId"),
                }
            )
        )
        return route["RouteId"], {}, True, []

    def _http_stage(self, name: str, inp: dict[str, Any]) -> Result:
        stage_name = inp.get("name") or "$default"
        self.client("apigatewayv2").create_stage(
            **_drop_none(
                {
                    "ApiId": inp["apiId"],
                    "StageName": stage_name,
                    "AutoDeploy": inp.get("autoDeploy"),
                    "Description": inp.get("description"),
                }
            )
        )
        region, account = self.sandbox.region, self.sandbox.account_id
        path = "" if stage_name == "$default" else f"/{stage_name}"
        state = {
            "name": stage_name,
            "arn": f"arn:aws:apigateway:{region}::/apis/{inp['apiId']}/stages/{stage_name}",
            "executionArn": f"arn:aws:execute-api:{region}:{account}:{inp['apiId']}/{stage_name}",
            "invokeUrl": f"https://{inp['apiId']}.execute-api.{region}.amazonaws.com{path}",
        }
        return stage_name, state, True, []

    def _provider(self, name: str, inp: dict[str, Any]) -> Result:
        return f"{name}-provider", {}, False, ["provider settings ignored: every resource goes to the sandbox"]


Result = tuple[str, dict[str, Any], bool, list[str]]


def _urn(args: pulumi_mocks.MockResourceArgs) -> str:
    return str(getattr(args, "urn", "") or "")


HANDLERS: dict[str, Callable[[MotoMocks, str, dict[str, Any]], Result]] = {
    "aws:iam/role:Role": MotoMocks._role,
    "aws:iam/rolePolicy:RolePolicy": MotoMocks._role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": MotoMocks._role_policy_attachment,
    "aws:iam/policy:Policy": MotoMocks._policy,
    "aws:cloudwatch/logGroup:LogGroup": MotoMocks._log_group,
    "aws:lambda/layerVersion:LayerVersion": MotoMocks._layer_version,
    "aws:lambda/function:Function": MotoMocks._function,
    "aws:lambda/alias:Alias": MotoMocks._alias,
    "aws:lambda/eventSourceMapping:EventSourceMapping": MotoMocks._event_source_mapping,
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": MotoMocks._event_invoke_config,
    "aws:lambda/permission:Permission": MotoMocks._permission,
    "aws:lambda/functionUrl:FunctionUrl": MotoMocks._function_url,
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": MotoMocks._provisioned_concurrency,
    "aws:appautoscaling/target:Target": MotoMocks._scalable_target,
    "aws:appautoscaling/policy:Policy": MotoMocks._scaling_policy,
    "aws:appautoscaling/scheduledAction:ScheduledAction": MotoMocks._scheduled_action,
    "aws:sqs/queue:Queue": MotoMocks._queue,
    "aws:sqs/queuePolicy:QueuePolicy": MotoMocks._queue_policy,
    "aws:sqs/redrivePolicy:RedrivePolicy": MotoMocks._redrive_policy,
    "aws:kms/key:Key": MotoMocks._kms_key,
    "aws:sns/topic:Topic": MotoMocks._topic,
    "aws:sns/topicSubscription:TopicSubscription": MotoMocks._topic_subscription,
    "aws:dynamodb/table:Table": MotoMocks._table,
    "aws:kinesis/stream:Stream": MotoMocks._kinesis_stream,
    "aws:s3/bucket:Bucket": MotoMocks._bucket,
    "aws:s3/bucketV2:BucketV2": MotoMocks._bucket,
    "aws:s3/bucketNotification:BucketNotification": MotoMocks._bucket_notification,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": MotoMocks._bucket_public_access_block,
    "aws:cloudwatch/eventRule:EventRule": MotoMocks._event_rule,
    "aws:cloudwatch/eventTarget:EventTarget": MotoMocks._event_target,
    "aws:cloudwatch/metricAlarm:MetricAlarm": MotoMocks._metric_alarm,
    "aws:cloudwatch/dashboard:Dashboard": MotoMocks._dashboard,
    "aws:apigatewayv2/api:Api": MotoMocks._http_api,
    "aws:apigatewayv2/integration:Integration": MotoMocks._http_integration,
    "aws:apigatewayv2/route:Route": MotoMocks._http_route,
    "aws:apigatewayv2/stage:Stage": MotoMocks._http_stage,
    "pulumi:providers:aws": MotoMocks._provider,
}

HANDLERS.update(wiring.HANDLERS)  # issue 13: ALB target groups, attachments and listener rules

#: Types moto cannot emulate: checked against the Lambda rules, recorded, and reported as not emulated.
NOT_EMULATED = {
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": "moto has no provisioned concurrency API",
    "pulumi:providers:aws": "providers are not resources in the emulator",
    # issue 13
    "aws:lambda/runtimeManagementConfig:RuntimeManagementConfig": "moto has no runtime management API",
    "aws:lambda/functionRecursionConfig:FunctionRecursionConfig": "moto has no recursion configuration API",
}
HANDLERS.update(codedeploy.HANDLERS)
NOT_EMULATED.update(codedeploy.NOT_EMULATED)


# The resources that carry a function's code (S3 artifacts, ECR repositories, image builds): see mocks_code.
HANDLERS.update(CODE_HANDLERS)
NOT_EMULATED.update(CODE_NOT_EMULATED)


def known_types() -> set[str]:
    return set(HANDLERS)

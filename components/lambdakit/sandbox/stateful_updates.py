"""How a stateful sandbox ``up`` changes a resource in place, by type (``UPDATERS``), as the provider would:
function code and configuration then ``PublishVersion``, ``UpdateAlias`` for version and routing, mapping, log
group, queue, role and function URL settings, and "put again" for types whose create is a put. A changed resource of
a type not listed here is replaced (:func:`lambdakit.sandbox.diff.classify`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import rules
from .emulator import FunctionMeta, split_function
from .mocks import HANDLERS, MotoMocks, _drop_none, _json_text, _tags, queue_attributes
from .mocks_lambda import function_url_params
from .state import ResourceRecord

FUNCTION = "aws:lambda/function:Function"


class StatefulUpdates(MotoMocks):
    """The in-place updates of :class:`lambdakit.sandbox.stateful.StatefulMocks`."""

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
        self.client("lambda").update_function_url_config(**function_url_params(inp, fname, qualifier))
        return {}

    def _put_again(self, name: str, inp: dict[str, Any], record: ResourceRecord, changed: list[str]) -> dict:
        """Types whose create is a put (PutMetricAlarm, PutRule, PutTargets, PutRolePolicy, ...): put again."""
        _, extra, _, _ = HANDLERS[_type_of(record)](self, name, inp)
        return extra


Updater = Callable[[StatefulUpdates, str, dict[str, Any], ResourceRecord, list[str]], dict[str, Any]]


def _type_of(record: ResourceRecord) -> str:
    return record.type


#: In-place updates by type; a changed resource of another type is replaced.
UPDATERS: dict[str, Updater] = {
    FUNCTION: StatefulUpdates._update_function,
    "aws:lambda/alias:Alias": StatefulUpdates._update_alias,
    "aws:lambda/eventSourceMapping:EventSourceMapping": StatefulUpdates._update_event_source_mapping,
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": StatefulUpdates._put_again,
    "aws:lambda/functionUrl:FunctionUrl": StatefulUpdates._update_function_url,
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": StatefulUpdates._put_again,
    "aws:iam/role:Role": StatefulUpdates._update_role,
    "aws:iam/rolePolicy:RolePolicy": StatefulUpdates._put_again,
    "aws:cloudwatch/logGroup:LogGroup": StatefulUpdates._update_log_group,
    "aws:sqs/queue:Queue": StatefulUpdates._update_queue,
    "aws:sqs/queuePolicy:QueuePolicy": StatefulUpdates._put_again,
    "aws:sqs/redrivePolicy:RedrivePolicy": StatefulUpdates._put_again,
    "aws:cloudwatch/metricAlarm:MetricAlarm": StatefulUpdates._put_again,
    "aws:cloudwatch/dashboard:Dashboard": StatefulUpdates._put_again,
    "aws:cloudwatch/eventRule:EventRule": StatefulUpdates._put_again,
    "aws:cloudwatch/eventTarget:EventTarget": StatefulUpdates._put_again,
    "aws:s3/bucketNotification:BucketNotification": StatefulUpdates._put_again,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": StatefulUpdates._put_again,
    "aws:appautoscaling/target:Target": StatefulUpdates._put_again,
    "aws:appautoscaling/policy:Policy": StatefulUpdates._put_again,
    "aws:appautoscaling/scheduledAction:ScheduledAction": StatefulUpdates._put_again,
    "pulumi:providers:aws": StatefulUpdates._put_again,
}

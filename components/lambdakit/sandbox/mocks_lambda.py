"""Sandbox handlers for Lambda's own resources: layers, functions, aliases, event source mappings, async
configuration, permissions, function URLs, provisioned concurrency and its Application Auto Scaling."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from . import efs, rules, wiring
from ._moto_compat import latest_function
from .emulator import FunctionMeta, split_function
from .exceptions import SandboxError
from .mocks_base import (
    MocksBase,
    Result,
    _drop_none,
    _queue_name,
    archive_bytes,
)
from .mocks_code import function_code_params


def function_url_params(inp: dict[str, Any], fname: str, qualifier: str | None) -> dict[str, Any]:
    """Create/UpdateFunctionUrlConfig parameters from a function URL's inputs."""
    cors = inp.get("cors") or {}
    return _drop_none(
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


class LambdaHandlers(MocksBase):
    """Creates Lambda resources in moto as the provider would (same calls, same attributes)."""

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
        file_system_notes = efs.check_function_file_system(self, fname, inp)  # issue 13: checked, not mounted
        created = lam.create_function(**params)
        meta = FunctionMeta(
            log_group_name=logging_config.get("logGroup") or f"/aws/lambda/{fname}",
            log_format=logging_config.get("logFormat") or "Text",
            application_log_level=logging_config.get("applicationLogLevel") or "",
            system_log_level=logging_config.get("systemLogLevel") or "",
            dead_letter_target=(inp.get("deadLetterConfig") or {}).get("targetArn") or "",
        )
        self.sandbox.function_meta[fname] = meta
        notes: list[str] = list(file_system_notes)
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
        url = self.client("lambda").create_function_url_config(**function_url_params(inp, fname, qualifier))
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

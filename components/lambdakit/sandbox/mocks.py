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

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError
from pulumi.runtime import mocks as pulumi_mocks

from lambdakit.redact import unwrap_secrets

from . import codedeploy, efs, push_triggers, wiring
from .exceptions import DeployError, RuleViolationError, SandboxError
from .mocks_base import (  # noqa: F401  (re-exported: the sandbox's modules and tests import them from here)
    Deployed,
    MocksBase,
    Result,
    _drop_none,
    _ints,
    _json_text,
    _queue_name,
    _role_name,
    _tags,
    archive_bytes,
    autoname,
    provider_call,
    queue_attributes,
)
from .mocks_code import CODE_HANDLERS, CODE_NOT_EMULATED
from .mocks_lambda import LambdaHandlers
from .mocks_services import ServiceHandlers


class MotoMocks(LambdaHandlers, ServiceHandlers, pulumi_mocks.Mocks):
    """Creates every custom resource in the sandbox's moto; records components and not-emulated types.

    ``history`` maps a function name to how many versions to publish before this deploy's own (stand-ins for
    earlier deploys, so that an alias can keep serving ``stableVersion: "3"`` while the new code is version 4).
    ``fresh`` treats every resource as created by this deploy (a first ``pulumi up``) even where history is seeded:
    then provisioned concurrency on a weighted alias is refused, as AWS refuses to create it.
    """

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

    def _http_authorizer(self, name: str, inp: dict[str, Any]) -> Result:
        jwt = inp.get("jwtConfiguration") or {}
        authorizer = self.client("apigatewayv2").create_authorizer(
            **_drop_none(
                {
                    "ApiId": inp["apiId"],
                    "AuthorizerType": inp["authorizerType"],
                    "IdentitySource": list(inp.get("identitySources") or []),
                    "Name": inp.get("name") or self.autoname(name),
                    "JwtConfiguration": {"Audience": list(jwt.get("audiences") or []), "Issuer": jwt.get("issuer")}
                    if jwt
                    else None,
                    "AuthorizerUri": inp.get("authorizerUri"),
                    "AuthorizerPayloadFormatVersion": inp.get("authorizerPayloadFormatVersion"),
                    "AuthorizerResultTtlInSeconds": inp.get("authorizerResultTtlInSeconds"),
                    "EnableSimpleResponses": inp.get("enableSimpleResponses"),
                }
            )
        )
        return authorizer["AuthorizerId"], {}, True, ["registered in moto; requests are not authorized by it"]

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
    "aws:apigatewayv2/authorizer:Authorizer": MotoMocks._http_authorizer,
    "pulumi:providers:aws": MotoMocks._provider,
}

HANDLERS.update(wiring.HANDLERS)  # issue 13: ALB target groups, attachments and listener rules
HANDLERS.update(efs.HANDLERS)  # issue 13: EFS file systems, access points and mount targets
HANDLERS.update(push_triggers.HANDLERS)  # i13-logsiot: log subscription filters, IoT topic rules

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

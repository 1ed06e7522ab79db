"""How a stateful sandbox deletes a recorded resource from the emulator, by type (``DELETERS``): what the program no
longer declares, what is replaced, and every resource on ``destroy``, newest first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from .emulator import split_function
from .exceptions import SandboxError
from .mocks import MotoMocks, _role_name
from .state import ResourceRecord

FUNCTION = "aws:lambda/function:Function"

Deleter = Callable[[MotoMocks, ResourceRecord], None]


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
    "aws:s3/bucketPolicy:BucketPolicy": lambda m, r: m.client("s3").delete_bucket_policy(Bucket=r.inputs["bucket"]),
    "aws:s3/bucketVersioning:BucketVersioning": _nothing,  # goes with its bucket
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": lambda m, r: m.client(
        "s3"
    ).delete_bucket_encryption(Bucket=r.inputs["bucket"]),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": lambda m, r: m.client(
        "s3"
    ).delete_bucket_lifecycle(Bucket=r.inputs["bucket"]),
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
    "aws:apigatewayv2/authorizer:Authorizer": lambda m, r: m.client("apigatewayv2").delete_authorizer(
        ApiId=r.inputs["apiId"], AuthorizerId=r.id
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
    "aws:efs/fileSystem:FileSystem": lambda m, r: m.client("efs").delete_file_system(FileSystemId=r.id),
    "aws:efs/accessPoint:AccessPoint": lambda m, r: m.client("efs").delete_access_point(AccessPointId=r.id),
    "aws:efs/mountTarget:MountTarget": lambda m, r: (
        m.client("efs").delete_mount_target(MountTargetId=r.id) if r.emulated else None
    ),
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

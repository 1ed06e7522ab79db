"""Sandbox handlers for the services around a function: IAM, CloudWatch Logs, SQS, KMS, SNS, DynamoDB, Kinesis,
S3, EventBridge and CloudWatch alarms and dashboards."""

from __future__ import annotations

from typing import Any

from . import rules
from .exceptions import SandboxError
from .mocks_base import (
    MocksBase,
    Result,
    _drop_none,
    _json_text,
    _role_name,
    _tags,
    queue_attributes,
)


class ServiceHandlers(MocksBase):
    """Creates the resources of the services a function is wired to in moto, as the provider would."""

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

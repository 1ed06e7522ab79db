"""@@service@@: a Lambda service that consumes an SQS queue, with a dead-letter queue, alarms and canaries.

Every setting that differs between environments is stack config (`Pulumi.<stack>.yaml`, declared in
`Pulumi.yaml`). `lambdakit plan`, `lambdakit sandbox` and `lambdakit gate --stack prod` work on this folder as it is.
"""

import json

import pulumi
import pulumi_aws as aws

from lambdakit import LambdaService

config = pulumi.Config()
stack = pulumi.get_stack()
tags = {"Project": pulumi.get_project(), "Environment": stack, "Owner": "@@owner@@"}
timeout = config.get_int("timeout") or 30

# Messages that fail 5 times move to the dead-letter queue instead of blocking the queue.
jobs_dlq = aws.sqs.Queue("jobs-dlq", message_retention_seconds=1_209_600, sqs_managed_sse_enabled=True, tags=tags)
jobs = aws.sqs.Queue(
    "jobs",
    # At least 6x the function timeout, so a batch in flight is not handed to another poller (AWS's advice).
    visibility_timeout_seconds=6 * timeout,
    sqs_managed_sse_enabled=True,
    redrive_policy=jobs_dlq.arn.apply(lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 5})),
    tags=tags,
)


def alarm_key_policy(values: list[str]) -> str:
    # CloudWatch alarms must be able to use the topic's key: the AWS managed key alias/aws/sns does not let them.
    partition, account = values
    statements = [
        {"Sid": "AccountAdministersTheKey", "Effect": "Allow", "Action": "kms:*", "Resource": "*",
         "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"}},
        {"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
         "Resource": "*", "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


alarm_topic = None
if config.get_bool("alarms"):
    identity = [aws.get_partition_output().partition, aws.get_caller_identity_output().account_id]
    alarm_key = aws.kms.Key(
        "alarms-key",
        description="Encrypts the alarm topic",
        enable_key_rotation=True,
        policy=pulumi.Output.all(*identity).apply(alarm_key_policy),
        tags=tags,
    )
    alarm_topic = aws.sns.Topic("alarms", kms_master_key_id=alarm_key.arn, tags=tags)

@@service_var@@ = LambdaService(
    "@@service@@",
    {
        "code_path": "functions/@@service_dir@@",
        "description": "Processes jobs from the jobs queue",
        "memory_size": config.get_int("memorySize") or 256,
        "timeout": timeout,
        "reserved_concurrency": config.get_int("reservedConcurrency"),
        "log_retention_days": config.get_int("logRetentionDays") or 30,
        "environment": {"LOG_LEVEL": "INFO" if stack == "prod" else "DEBUG"},
        # Partial batch failures are on by default: one bad message does not retry the whole batch.
        "sqs_sources": [{"queue_arn": jobs, "batch_size": 10}],
        "alarms": {"alarm_topic_arn": alarm_topic.arn} if alarm_topic is not None else {"enabled": False},
        # What `lambdakit release` sends each new version before it takes traffic: an empty batch.
        "smoke_event": {"Records": []},
        "tags": tags,
    },
)

pulumi.export("queue_url", jobs.url)
pulumi.export("function_name", @@service_var@@.function_name)
pulumi.export("alias_arn", @@service_var@@.alias_arn)

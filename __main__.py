"""The reference program: the order pipeline from the Lambda API guide, every setting from stack config.

- `shared-utils` layer attached to every function;
- `order-processor` consumes the orders queue (batch 10, partial batch failures), with reserved and provisioned
  concurrency and a canary driven by config;
- `email-sender` is invoked asynchronously, with retries, a maximum event age and an on-failure destination;
- `user-analytics` reads the users table's DynamoDB stream (batch 100, bisect on error, 3 retries, on-failure
  destination);
- `api-handler` sits behind a Function URL (AWS_IAM auth) with a scheduled warm-up;
- `order-status` is TypeScript, bundled by esbuild, on the HTTP API's `GET /orders/status` route.

A canary needs nothing here: `lambdakit release` (or `pulumi config set --path 'release["order-processor"]...'`)
sets each service's stable version and canary weight in the stack config object `lambdakit:release`, which every
`LambdaService` reads for itself. Each service names the smoke event its handler accepts without side effects.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast

import pulumi
import pulumi_aws as aws

from lambdakit import LambdaDashboard, LambdaLayer, LambdaService, LambdaServiceArgs

config = pulumi.Config()
env = config.get("environment") or pulumi.get_stack()
retention = config.get_int("logRetentionDays") or 30
architecture = config.get("architecture") or "arm64"
account_limit = config.get_int("accountConcurrencyLimit") or 1000
tags = {"Environment": env, "Project": "order-pipeline", "Owner": "platform-team"}

# Stack-config keys of a service object -> LambdaService argument names.
SERVICE_KEYS = {
    "memorySize": "memory_size",
    "timeout": "timeout",
    "reservedConcurrency": "reserved_concurrency",
    "logLevel": "application_log_level",
    "provisionedConcurrency": "provisioned_concurrency",
    "ephemeralStorage": "ephemeral_storage",
}
EXTRA_KEYS = {"warmupSchedule", "callerAccounts", "clickstreamKafka"}
#: Settings that moved: the release driver now writes them under `release` (see lambdakit.traffic).
MOVED_KEYS = {"stableVersion", "canaryWeight"}


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _snake_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {_snake(k): _snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake_keys(v) for v in value]
    return value


def service_settings(config_key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(LambdaService args, program-level extras) from the `lambdakit:<config_key>` object; misspelt keys fail."""
    raw = config.get_object(config_key) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"lambdakit:{config_key} must be an object, got {raw!r}")
    args: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    for key, value in raw.items():
        if key in EXTRA_KEYS:
            extras[key] = value
        elif key in SERVICE_KEYS:
            args[SERVICE_KEYS[key]] = _snake_keys(value)
        elif key in MOVED_KEYS:
            raise ValueError(
                f"lambdakit:{config_key}.{key} has moved: traffic settings live in the stack config object "
                f"`release`, keyed by service name (pulumi config set --path 'release[\"<service>\"].{key}' ...)"
            )
        else:
            valid = ", ".join(sorted([*SERVICE_KEYS, *EXTRA_KEYS]))
            raise ValueError(f"lambdakit:{config_key}: unknown setting {key!r}; valid settings: {valid}")
    return args, extras


def common(config_key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    args, extras = service_settings(config_key)
    args.setdefault("application_log_level", "INFO")
    return {
        "alarms": alarms,
        "architecture": architecture,
        "log_retention_days": retention,
        "layers": [shared_utils],
        "tags": tags,
        "account_concurrency_limit": account_limit,
        **args,
    }, extras


def lambda_service(name: str, args: dict[str, Any]) -> LambdaService:
    return LambdaService(name, cast(LambdaServiceArgs, args))


def queue_with_dlq(name: str, visibility_timeout: int) -> tuple[aws.sqs.Queue, aws.sqs.Queue]:
    dlq = aws.sqs.Queue(
        f"{name}-dlq",
        name=f"{name}-dlq-{env}",
        message_retention_seconds=1_209_600,
        sqs_managed_sse_enabled=True,
        tags=tags,
    )
    queue = aws.sqs.Queue(
        name,
        name=f"{name}-{env}",
        visibility_timeout_seconds=visibility_timeout,
        sqs_managed_sse_enabled=True,
        redrive_policy=dlq.arn.apply(lambda arn: f'{{"deadLetterTargetArn": "{arn}", "maxReceiveCount": 5}}'),
        tags=tags,
    )
    return queue, dlq


def alarm_key_policy(values: list[str]) -> str:
    """The alarm topic's key: the account administers it; CloudWatch alarms of this account may use it to publish.
    (The AWS managed key alias/aws/sns does not let CloudWatch in, so alarms to a topic encrypted with it are lost.)"""
    partition, account = values
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministersTheKey",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchAlarmsPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                },
            ],
        }
    )


# Alarms notify an SNS topic in the environments that have them (stack config `alarms`), encrypted with a key
# CloudWatch may use.
alarm_topic = None
if config.get_bool("alarms"):
    alarm_key = aws.kms.Key(
        "alarms-key",
        description=f"Encrypts the lambdakit alarm topic ({env})",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=pulumi.Output.all(
            aws.get_partition_output().partition, aws.get_caller_identity_output().account_id
        ).apply(alarm_key_policy),
        tags=tags,
    )
    alarm_topic = aws.sns.Topic("alarms", name=f"lambdakit-alarms-{env}", kms_master_key_id=alarm_key.arn, tags=tags)
alarms: dict[str, Any] = (
    {"enabled": True, "alarm_topic_arn": alarm_topic.arn} if alarm_topic is not None else {"enabled": False}
)

shared_utils = LambdaLayer(
    "shared-utils",
    {
        "source_path": "layers/shared_utils",
        "compatible_runtimes": ["python3.12"],
        "compatible_architectures": [architecture],
        "description": "Structured logging and helpers shared by the order pipeline",
        "license_info": "Apache-2.0",
    },
)

# order-processor: SQS consumer on the orders queue.
order_args, _ = common("orderProcessor")
orders_timeout = int(order_args.get("timeout", 30))
# SQS visibility timeout at least 6x the function timeout, so a batch in flight is not handed to another poller.
orders_queue, orders_dlq = queue_with_dlq("orders", visibility_timeout=6 * orders_timeout)
# Order files dropped into the uploads bucket are imported by order-processor as well.
uploads = aws.s3.Bucket("uploads", bucket=f"lambdakit-uploads-{env}", force_destroy=env != "prod", tags=tags)
aws.s3.BucketPublicAccessBlock(
    "uploads-public-access",
    bucket=uploads.id,
    block_public_acls=True,
    block_public_policy=True,
    ignore_public_acls=True,
    restrict_public_buckets=True,
)
order_processor = lambda_service(
    "order-processor",
    {
        **order_args,
        "code_path": "functions/order_processor",
        "description": "Processes orders from the orders queue",
        "environment": {
            "DB_HOST": config.get("dbHost") or "orders-db.internal",
            "LOG_LEVEL": order_args["application_log_level"],
        },
        "sqs_sources": [{"queue_arn": orders_queue, "batch_size": 10, "report_batch_item_failures": True}],
        "s3_triggers": [{"bucket": uploads.bucket, "filter_prefix": "orders/", "filter_suffix": ".json"}],
        # S3 invokes asynchronously: events that fail every retry land in a DLQ instead of being dropped.
        "dead_letter_queue": {},
        "smoke_event": {"Records": []},  # an empty batch: nothing is processed
    },
)

# email-sender: invoked asynchronously (Event), failures to a queue after retries.
email_failures = aws.sqs.Queue(
    "email-failures",
    name=f"email-failures-{env}",
    message_retention_seconds=1_209_600,
    sqs_managed_sse_enabled=True,
    tags=tags,
)
# Encrypted at rest; its publishers are IAM principals of this account, which the AWS managed key serves.
order_events = aws.sns.Topic("order-events", name=f"order-events-{env}", kms_master_key_id="alias/aws/sns", tags=tags)
email_args, _ = common("emailSender")
email_sender = lambda_service(
    "email-sender",
    {
        **email_args,
        "code_path": "functions/email_sender",
        "description": "Sends order e-mails; invoked asynchronously",
        "environment": {
            "LOG_LEVEL": email_args["application_log_level"],
            "SENDER_ADDRESS": f"orders@{env}.example.com",
        },
        "async_invoke": {
            "maximum_retry_attempts": 2,
            "maximum_event_age": 3600,
            "on_failure_destination_arn": email_failures.arn,
        },
        "dead_letter_queue": {"message_retention_seconds": 1_209_600},
        "sns_triggers": [{"topic_arn": order_events.arn, "filter_policy": json.dumps({"type": ["OrderPlaced"]})}],
        "event_rules": [
            {
                "event_pattern": json.dumps({"source": ["lambdakit.orders"], "detail-type": ["OrderShipped"]}),
                "description": "Shipping notifications from the order service",
            }
        ],
        # A test address: the handler renders the message and records it (the reference program sends no mail).
        "smoke_event": {"to": "smoke-test@example.com", "template": "order_confirmation", "order_id": "smoke-test"},
    },
)

# user-analytics: DynamoDB stream consumer.
users_table = aws.dynamodb.Table(
    "users",
    name=f"users-{env}",
    billing_mode="PAY_PER_REQUEST",
    hash_key="userId",
    attributes=[aws.dynamodb.TableAttributeArgs(name="userId", type="S")],
    stream_enabled=True,
    stream_view_type="NEW_AND_OLD_IMAGES",
    point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
    tags=tags,
)
analytics_failures = aws.sqs.Queue(
    "analytics-failures",
    name=f"analytics-failures-{env}",
    message_retention_seconds=1_209_600,
    sqs_managed_sse_enabled=True,
    tags=tags,
)
analytics_args, analytics_extras = common("userAnalytics")


def clickstream_source(kafka: dict[str, Any]) -> dict[str, Any]:
    """A self-managed Kafka topic (SASL/SCRAM credentials in Secrets Manager); failed batches go to the analytics
    failure queue."""
    return {
        "bootstrap_servers": kafka["bootstrapServers"],
        "topic": kafka["topic"],
        "starting_position": "LATEST",
        "consumer_group_id": f"user-analytics-{env}",
        "authentication": "SASL_SCRAM_512",
        "secret_arn": kafka["secretArn"],
        "batch_size": 100,
        "on_failure_destination_arn": analytics_failures.arn,
    }


user_analytics = lambda_service(
    "user-analytics",
    {
        **analytics_args,
        "code_path": "functions/user_analytics",
        "description": "Aggregates user changes from the users table stream",
        "environment": {"LOG_LEVEL": analytics_args["application_log_level"]},
        # issue 13: the clickstream topic of the data platform's Kafka cluster, where the stack has one.
        "kafka_sources": [clickstream_source(analytics_extras["clickstreamKafka"])]
        if analytics_extras.get("clickstreamKafka")
        else [],
        "stream_sources": [
            {
                "stream_arn": users_table,
                "starting_position": "LATEST",
                "batch_size": 100,
                "bisect_batch_on_error": True,
                "maximum_retry_attempts": 3,
                "on_failure_destination_arn": analytics_failures.arn,
            }
        ],
        "smoke_event": {"Records": []},
    },
)

# api-handler: HTTP entry point.
http_api = aws.apigatewayv2.Api("orders-api", name=f"orders-api-{env}", protocol_type="HTTP", tags=tags)
api_args, api_extras = common("apiHandler")
api_handler = lambda_service(
    "api-handler",
    {
        **api_args,
        "code_path": "functions/api_handler",
        "description": "HTTP API for orders behind a Function URL",
        "environment": {"LOG_LEVEL": api_args["application_log_level"], "ENVIRONMENT": env},
        # IAM-authenticated Function URL on the alias (AWS_IAM is the default; NONE needs an explicit opt-in).
        "function_url": {"invoke_mode": "BUFFERED"},
        # The schedule invokes asynchronously: failed warm-up events land in a DLQ instead of being dropped.
        "dead_letter_queue": {},
        "api_gateway_triggers": [{"api_id": http_api.id, "stage": "$default", "route": "ANY /orders"}],
        # --- issue 13 ---
        # Partner accounts that call the API function directly (stack config `callerAccounts`).
        "allowed_invokers": [{"principal": str(account)} for account in api_extras.get("callerAccounts", [])],
        # A target group for the platform team's internal load balancer, health-checked on /health.
        "alb_targets": [{"health_check": {"enabled": True, "path": "/health"}}],
        # Powertools for AWS Lambda, resolved for python3.12/arm64 in the stack's region when it deploys.
        "managed_layers": {"powertools": {}},
        "schedules": [
            {
                "expression": api_extras.get("warmupSchedule", "rate(5 minutes)"),
                "input": json.dumps({"source": "aws.events", "detail-type": "Scheduled Event", "warmup": True}),
                "description": "Keeps api-handler warm",
            }
        ],
        # The health route answers without touching the database.
        "smoke_event": {
            "version": "2.0",
            "rawPath": "/health",
            "headers": {},
            "requestContext": {"http": {"method": "GET", "path": "/health"}},
        },
    },
)

# order-status: a TypeScript service, bundled by esbuild (one file; the runtime provides the AWS SDK), on the HTTP API.
status_args, _ = common("orderStatus")
status_args.pop("layers")  # the shared layer is Python
order_status = lambda_service(
    "order-status",
    {
        **status_args,
        "code_path": "functions/order_status",
        "runtime": "nodejs24.x",
        "handler": "src/handler.handler",
        "bundle": {"source_map": True},
        "description": "Order status over HTTP (TypeScript)",
        "environment": {"ENVIRONMENT": env, "NODE_OPTIONS": "--enable-source-maps"},
        "api_gateway_triggers": [{"api_id": http_api.id, "stage": "$default", "route": "GET /orders/status"}],
        "smoke_event": {
            "version": "2.0",
            "rawPath": "/orders/status",
            "queryStringParameters": {"id": "smoke-test"},
            "requestContext": {"http": {"method": "GET", "path": "/orders/status"}},
        },
    },
)

services = {
    "order-processor": ("orderProcessor", order_processor),
    "email-sender": ("emailSender", email_sender),
    "user-analytics": ("userAnalytics", user_analytics),
    "api-handler": ("apiHandler", api_handler),
    "order-status": ("orderStatus", order_status),
}
pulumi.export(
    "services",
    {
        name: {
            "config_key": key,
            "function_name": svc.function_name,
            "function_arn": svc.function_arn,
            "alias_name": svc.alias_name,
            "alias_arn": svc.alias_arn,
            "version": svc.version,
            "log_group_name": svc.log_group_name,
            "dlq_arn": svc.dlq_arn,
            "alarm_arns": svc.alarm_arns,
            "function_url": svc.function_url,
        }
        for name, (key, svc) in services.items()
    },
)
if config.get_bool("dashboard"):
    dashboard = LambdaDashboard(
        "order-pipeline",
        {
            "services": [
                {
                    "title": name,
                    "function_name": svc.function_name,
                    "alias_name": svc.alias_name,
                    "has_streams": name == "user-analytics",
                }
                for name, (_, svc) in services.items()
            ]
        },
    )
    pulumi.export("dashboard_name", dashboard.dashboard_name)
pulumi.export(
    "queue_urls",
    {
        "orders": orders_queue.url,
        "orders-dlq": orders_dlq.url,
        "email-failures": email_failures.url,
        "analytics-failures": analytics_failures.url,
    },
)
pulumi.export("table_name", users_table.name)
pulumi.export("layer_arn", shared_utils.arn)
pulumi.export("uploads_bucket", uploads.bucket)
pulumi.export("order_events_topic_arn", order_events.arn)
pulumi.export("http_api_id", http_api.id)
if alarm_topic is not None:
    pulumi.export("alarm_topic_arn", alarm_topic.arn)

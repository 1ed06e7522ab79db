"""The reference program: the order pipeline from the Lambda API guide, every setting from stack config.

- `shared-utils` layer attached to every function;
- `order-processor` consumes the orders queue (batch 10, partial batch failures), with reserved and provisioned
  concurrency and a canary driven by config;
- `email-sender` is invoked asynchronously, with retries, a maximum event age and an on-failure destination;
- `user-analytics` reads the users table's DynamoDB stream (batch 100, bisect on error, 3 retries, on-failure
  destination);
- `api-handler` sits behind a Function URL (AWS_IAM auth) with a scheduled warm-up.
"""

from __future__ import annotations

import re
from typing import Any, cast

import pulumi
import pulumi_aws as aws

from components import LambdaLayer, LambdaService, LambdaServiceArgs

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
    "stableVersion": "stable_version",
    "canaryWeight": "canary_weight",
    "provisionedConcurrency": "provisioned_concurrency",
    "ephemeralStorage": "ephemeral_storage",
}
EXTRA_KEYS = {"warmupSchedule"}


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
        else:
            valid = ", ".join(sorted([*SERVICE_KEYS, *EXTRA_KEYS]))
            raise ValueError(f"lambdakit:{config_key}: unknown setting {key!r}; valid settings: {valid}")
    if "stable_version" in args and args["stable_version"] is not None:
        args["stable_version"] = str(args["stable_version"])
    return args, extras


def common(config_key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    args, extras = service_settings(config_key)
    args.setdefault("application_log_level", "INFO")
    return {
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
analytics_args, _ = common("userAnalytics")
user_analytics = lambda_service(
    "user-analytics",
    {
        **analytics_args,
        "code_path": "functions/user_analytics",
        "description": "Aggregates user changes from the users table stream",
        "environment": {"LOG_LEVEL": analytics_args["application_log_level"]},
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
    },
)

# api-handler: HTTP entry point.
api_args, api_extras = common("apiHandler")
api_handler = lambda_service(
    "api-handler",
    {
        **api_args,
        "code_path": "functions/api_handler",
        "description": "HTTP API for orders behind a Function URL",
        "environment": {"LOG_LEVEL": api_args["application_log_level"], "ENVIRONMENT": env},
    },
)

services = {
    "order-processor": ("orderProcessor", order_processor),
    "email-sender": ("emailSender", email_sender),
    "user-analytics": ("userAnalytics", user_analytics),
    "api-handler": ("apiHandler", api_handler),
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
        }
        for name, (key, svc) in services.items()
    },
)
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

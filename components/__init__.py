"""lambdakit: production-grade Pulumi components for AWS Lambda."""

from .alarms import AlarmsArgs, AlarmTuningArgs
from .alias import AutoscalingArgs, ProvisionedConcurrencyArgs, ScheduledScalingArgs
from .async_config import AsyncInvokeArgs, DeadLetterQueueArgs
from .dashboard import DashboardServiceArgs, LambdaDashboard, LambdaDashboardArgs
from .event_sources import SqsSourceArgs, StreamSourceArgs
from .iam import PolicyStatementArgs
from .layer import LambdaLayer, LambdaLayerArgs
from .service import LambdaService, LambdaServiceArgs, VpcArgs
from .triggers import (
    ApiGatewayTriggerArgs,
    EventRuleArgs,
    FunctionUrlArgs,
    FunctionUrlCorsArgs,
    S3TriggerArgs,
    ScheduleArgs,
    SnsTriggerArgs,
)
from .validation import ValidationError

__all__ = [
    "AlarmTuningArgs",
    "AlarmsArgs",
    "ApiGatewayTriggerArgs",
    "AsyncInvokeArgs",
    "AutoscalingArgs",
    "DashboardServiceArgs",
    "DeadLetterQueueArgs",
    "EventRuleArgs",
    "FunctionUrlArgs",
    "FunctionUrlCorsArgs",
    "LambdaDashboard",
    "LambdaDashboardArgs",
    "LambdaLayer",
    "LambdaLayerArgs",
    "LambdaService",
    "LambdaServiceArgs",
    "PolicyStatementArgs",
    "ProvisionedConcurrencyArgs",
    "S3TriggerArgs",
    "ScheduleArgs",
    "ScheduledScalingArgs",
    "SnsTriggerArgs",
    "SqsSourceArgs",
    "StreamSourceArgs",
    "ValidationError",
    "VpcArgs",
]

"""lambdakit: production-grade Pulumi components for AWS Lambda."""

from .alias import AutoscalingArgs, ProvisionedConcurrencyArgs, ScheduledScalingArgs
from .async_config import AsyncInvokeArgs, DeadLetterQueueArgs
from .event_sources import SqsSourceArgs, StreamSourceArgs
from .iam import PolicyStatementArgs
from .layer import LambdaLayer, LambdaLayerArgs
from .service import LambdaService, LambdaServiceArgs, VpcArgs
from .validation import ValidationError

__all__ = [
    "AsyncInvokeArgs",
    "AutoscalingArgs",
    "DeadLetterQueueArgs",
    "LambdaLayer",
    "LambdaLayerArgs",
    "LambdaService",
    "LambdaServiceArgs",
    "PolicyStatementArgs",
    "ProvisionedConcurrencyArgs",
    "ScheduledScalingArgs",
    "SqsSourceArgs",
    "StreamSourceArgs",
    "ValidationError",
    "VpcArgs",
]

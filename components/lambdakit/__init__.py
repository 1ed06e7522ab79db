"""lambdakit: production-grade Pulumi components for AWS Lambda, a CrossGuard policy pack and the tools around them.

    import pulumi
    from lambdakit import LambdaService

    billing = LambdaService("billing", {"code_path": "functions/billing"})
    pulumi.export("billing_alias_arn", billing.alias_arn)

The components load on first use, so ``lambdakit --version`` and the command line start without importing the AWS
provider SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .alarms import AlarmsArgs, AlarmTuningArgs
    from .alias import AutoscalingArgs, ProvisionedConcurrencyArgs, ScheduledScalingArgs
    from .async_config import AsyncInvokeArgs, DeadLetterQueueArgs
    from .brokers import DocumentDbSourceArgs, KafkaSourceArgs, MqSourceArgs
    from .dashboard import DashboardServiceArgs, LambdaDashboard, LambdaDashboardArgs
    from .event_sources import SqsSourceArgs, StreamSourceArgs
    from .file_systems import FileSystemArgs
    from .helpers import AliasMetric, ExistingLambdaService
    from .iam import PolicyStatementArgs
    from .layer import LambdaLayer, LambdaLayerArgs
    from .service import LambdaService, LambdaServiceArgs, VpcArgs
    from .triggers import (
        AlbCognitoArgs,
        AlbHealthCheckArgs,
        AlbTargetArgs,
        ApiGatewayTriggerArgs,
        EventRuleArgs,
        FunctionUrlArgs,
        FunctionUrlCorsArgs,
        InvokerArgs,
        IotRuleArgs,
        LogSubscriptionArgs,
        S3TriggerArgs,
        ScheduleArgs,
        SnsTriggerArgs,
    )
    from .validation import ValidationError

#: Public name -> the module that defines it.
_EXPORTS = {
    "AliasMetric": "helpers",
    "AlbCognitoArgs": "triggers",
    "AlbHealthCheckArgs": "triggers",
    "AlbTargetArgs": "triggers",
    "AlarmTuningArgs": "alarms",
    "AlarmsArgs": "alarms",
    "ApiGatewayTriggerArgs": "triggers",
    "AsyncInvokeArgs": "async_config",
    "AutoscalingArgs": "alias",
    "DashboardServiceArgs": "dashboard",
    "DeadLetterQueueArgs": "async_config",
    "DocumentDbSourceArgs": "brokers",
    "EventRuleArgs": "triggers",
    "ExistingLambdaService": "helpers",
    "FileSystemArgs": "file_systems",
    "FunctionUrlArgs": "triggers",
    "FunctionUrlCorsArgs": "triggers",
    "KafkaSourceArgs": "brokers",
    "InvokerArgs": "triggers",
    "IotRuleArgs": "triggers",
    "LambdaDashboard": "dashboard",
    "LambdaDashboardArgs": "dashboard",
    "LambdaLayer": "layer",
    "LambdaLayerArgs": "layer",
    "LambdaService": "service",
    "LambdaServiceArgs": "service",
    "LogSubscriptionArgs": "triggers",
    "MqSourceArgs": "brokers",
    "PolicyStatementArgs": "iam",
    "ProvisionedConcurrencyArgs": "alias",
    "S3TriggerArgs": "triggers",
    "ScheduleArgs": "triggers",
    "ScheduledScalingArgs": "alias",
    "SnsTriggerArgs": "triggers",
    "SqsSourceArgs": "event_sources",
    "StreamSourceArgs": "event_sources",
    "ValidationError": "validation",
    "VpcArgs": "service",
}

__all__ = [
    "AlarmTuningArgs",
    "AlarmsArgs",
    "AlbCognitoArgs",
    "AlbHealthCheckArgs",
    "AlbTargetArgs",
    "AliasMetric",
    "ApiGatewayTriggerArgs",
    "AsyncInvokeArgs",
    "AutoscalingArgs",
    "DashboardServiceArgs",
    "DeadLetterQueueArgs",
    "DocumentDbSourceArgs",
    "EventRuleArgs",
    "ExistingLambdaService",
    "FileSystemArgs",
    "FunctionUrlArgs",
    "FunctionUrlCorsArgs",
    "InvokerArgs",
    "IotRuleArgs",
    "KafkaSourceArgs",
    "LambdaDashboard",
    "LambdaDashboardArgs",
    "LambdaLayer",
    "LambdaLayerArgs",
    "LambdaService",
    "LambdaServiceArgs",
    "LogSubscriptionArgs",
    "MqSourceArgs",
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
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lambdakit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})

"""The sandbox: deploy a stack of a lambdakit program into a local AWS emulator (moto), with no AWS account and no
Pulumi CLI, and invoke its functions for real.

    from lambdakit.sandbox import Sandbox, deploy, smoke

    with Sandbox() as sandbox:
        deployment = deploy(sandbox, ".", "dev")
        result = sandbox.invoke("order-processor-dev", "live", {"Records": []})
        boto3_lambda = sandbox.client("lambda")  # or export sandbox.env() for any boto3 code

Command line: ``lambdakit sandbox --stack dev [--program .] [--json FILE] [--serve PORT]``.
"""

from __future__ import annotations

from .deploy import (
    Deployment,
    ServiceView,
    Trigger,
    TriggerCheck,
    deploy,
    describe_services,
    invoke_with_boto3,
    smoke,
    trigger_checks,
)
from .emulator import FAKE_CREDENTIALS, Sandbox, active, exported_env
from .exceptions import DeployError, RuleViolationError, SandboxError, UnknownResourceTypeError
from .mocks import HANDLERS, NOT_EMULATED, Deployed, MotoMocks
from .runner import FunctionCode, HandlerRunner, InvokeResult

__all__ = [
    "FAKE_CREDENTIALS",
    "HANDLERS",
    "NOT_EMULATED",
    "DeployError",
    "Deployed",
    "Deployment",
    "FunctionCode",
    "HandlerRunner",
    "InvokeResult",
    "MotoMocks",
    "RuleViolationError",
    "Sandbox",
    "SandboxError",
    "ServiceView",
    "Trigger",
    "TriggerCheck",
    "UnknownResourceTypeError",
    "active",
    "deploy",
    "describe_services",
    "exported_env",
    "invoke_with_boto3",
    "smoke",
    "trigger_checks",
]

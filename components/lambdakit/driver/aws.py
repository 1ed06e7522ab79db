"""The AWS side of the release driver: what it does to a deployed service (:class:`ServiceOps`) and its boto3
implementation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from botocore.exceptions import ClientError

from lambdakit.budget import Budget, plan_budget
from lambdakit.canary import (
    Clock,
    CloudWatchHealth,
    Echo,
    HealthSource,
    HealthThresholds,
    Sleep,
)
from lambdakit.codedeploy_release import DeploymentResult, run_deployment
from lambdakit.hooks import invoke_hook
from lambdakit.ops import (
    Clients,
    InvokeResult,
    PruneReport,
    ServiceRef,
    check_target,
    invoke,
    prune_versions,
)

from .stacks import (
    DriverError,
)


class ServiceOps(Protocol):
    """What the driver does to a deployed service through the AWS API."""

    def alias_state(self, ref: ServiceRef) -> tuple[str, dict[str, float]] | None:
        """(primary version, routing weights) of the service's alias, or None when it does not exist."""

    def smoke(self, ref: ServiceRef, qualifier: str, payload: Any) -> InvokeResult: ...

    def health(self, ref: ServiceRef, new_version: str) -> HealthSource: ...

    def prune(self, ref: ServiceRef, keep: int) -> PruneReport: ...

    def traffic_hook(self, ref: ServiceRef, hook: str, version: str) -> str | None:
        """Invoke a traffic hook of ``ref`` for its new ``version``; -> why it failed, or None when it passed."""

    def concurrency_budget(self, planned: Mapping[str, int | None]) -> Budget | None:
        """The account's concurrency after ``planned`` (GetAccountSettings); None when the endpoint cannot say."""

    def code_deploy(
        self, ref: ServiceRef, current: str, target: str, *, timeout: float, clock: Clock, sleep: Sleep, echo: Echo
    ) -> DeploymentResult:
        """Run a CodeDeploy deployment of the service's alias from ``current`` to ``target`` and wait for it."""


class Boto3ServiceOps:
    """:class:`ServiceOps` with boto3 clients (AWS, a moto server or in-process moto)."""

    def __init__(
        self, clients: Clients, *, thresholds: HealthThresholds | None = None, codedeploy_refusal: str | None = None
    ) -> None:
        self.clients = clients
        self.thresholds = thresholds or HealthThresholds()
        #: Set where CodeDeploy deployments cannot run (the sandbox): the reason, raised instead of deploying.
        self.codedeploy_refusal = codedeploy_refusal

    def alias_state(self, ref: ServiceRef) -> tuple[str, dict[str, float]] | None:
        lam = self.clients.lambda_
        try:
            alias = lam.get_alias(FunctionName=ref.function_name, Name=ref.alias_name)
        except lam.exceptions.ResourceNotFoundException:
            return None
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        return str(alias["FunctionVersion"]), {str(k): float(v) for k, v in weights.items()}

    def smoke(self, ref: ServiceRef, qualifier: str, payload: Any) -> InvokeResult:
        check_target(self.clients.lambda_, ref.function_name, qualifier)
        return invoke(self.clients.lambda_, ref.function_name, qualifier, payload, preflight=False)

    def health(self, ref: ServiceRef, new_version: str) -> HealthSource:
        return CloudWatchHealth(
            self.clients.cloudwatch,
            function_name=ref.function_name,
            alias_name=ref.alias_name,
            version=new_version,
            alarm_names=ref.alarm_names,
            thresholds=self.thresholds,
        )

    def prune(self, ref: ServiceRef, keep: int) -> PruneReport:
        return prune_versions(self.clients.lambda_, ref.function_name, keep=keep)

    def traffic_hook(self, ref: ServiceRef, hook: str, version: str) -> str | None:
        return invoke_hook(self.clients.lambda_, hook, ref.function_name, version)

    def concurrency_budget(self, planned: Mapping[str, int | None]) -> Budget | None:
        try:
            return plan_budget(self.clients.lambda_, planned)
        except ClientError as exc:
            # An emulator without the API (plain moto) answers 404; AWS always has it.
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (404, 501):
                return None
            raise

    def code_deploy(
        self, ref: ServiceRef, current: str, target: str, *, timeout: float, clock: Clock, sleep: Sleep, echo: Echo
    ) -> DeploymentResult:
        if self.codedeploy_refusal is not None:
            raise DriverError(f"{ref.service}: {self.codedeploy_refusal}")
        return run_deployment(
            self.clients.client("codedeploy"),
            ref,
            current,
            target,
            timeout=timeout,
            clock=clock,
            sleep=sleep,
            echo=echo,
        )

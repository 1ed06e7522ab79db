"""Moving an alias's traffic: the :class:`TrafficShifter` interface and :class:`AliasShifter`, which calls
``lambda:UpdateAlias`` directly with retries."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError

from .clock import Echo, Sleep


def update_alias_with_retry(
    lambda_client: Any,
    function_name: str,
    alias_name: str,
    version: str,
    weights: Mapping[str, float],
    *,
    attempts: int = 8,
    backoff_seconds: float = 0.5,
    max_backoff_seconds: float = 8.0,
    sleep: Sleep = time.sleep,
    echo: Echo | None = None,
) -> None:
    """``UpdateAlias`` to ``version`` routing ``weights`` (``{}``: none), retried on :data:`RETRYABLE_CODES`."""
    wait = backoff_seconds
    for attempt in range(1, attempts + 1):
        try:
            lambda_client.update_alias(
                FunctionName=function_name,
                Name=alias_name,
                FunctionVersion=version,
                RoutingConfig={"AdditionalVersionWeights": dict(weights)},
            )
            return
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code not in RETRYABLE_CODES or attempt == attempts:
                raise
            if echo is not None:
                echo(f"UpdateAlias {function_name}:{alias_name}: {code}, retrying in {wait:g}s ({attempt}/{attempts})")
            sleep(wait)
            wait = min(wait * 2, max_backoff_seconds)


class TrafficShifter(Protocol):
    """Moves traffic of services' aliases between their stable and new versions."""

    def shift(self, weights: Mapping[str, float]) -> None:
        """Route ``weight`` (0 < w < 1) of each service's alias to its new version; the rest stays on stable."""

    def promote(self, services: Sequence[str]) -> None:
        """Point each service's alias at its new version with no routing."""

    def rollback(self, services: Sequence[str]) -> None:
        """Point each service's alias at its stable version with no routing."""


@dataclass(frozen=True)
class AliasTarget:
    """An alias and the two versions a canary moves traffic between."""

    function_name: str
    alias_name: str
    stable_version: str
    new_version: str

    def __post_init__(self) -> None:
        for field_name in ("stable_version", "new_version"):
            value = getattr(self, field_name)
            # AWS rejects routing configuration on $LATEST: both ends must be published versions.
            if not str(value).isdigit():
                raise ValueError(
                    f"{self.function_name}:{self.alias_name}: {field_name} must be a published version number, "
                    f"got {value!r}"
                )
        if self.stable_version == self.new_version:
            raise ValueError(
                f"{self.function_name}:{self.alias_name}: new_version must differ from stable_version, "
                f"both are {self.new_version!r}"
            )


#: Error codes of UpdateAlias worth another try: throttling, and a conflict while another update is in flight.
RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "ResourceConflictException",
        "ServiceException",
        "RequestLimitExceeded",
    }
)


class AliasShifter:
    """A :class:`TrafficShifter` that calls ``lambda:UpdateAlias`` directly, retrying throttles and conflicts with
    exponential backoff (``attempts`` tries, waits ``backoff_seconds`` doubling up to ``max_backoff_seconds``)."""

    def __init__(
        self,
        lambda_client: Any,
        targets: Mapping[str, AliasTarget],
        *,
        attempts: int = 8,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 8.0,
        sleep: Sleep = time.sleep,
        echo: Echo | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError(f"AliasShifter.attempts must be >= 1, got {attempts}")
        self.lambda_client = lambda_client
        self.targets = dict(targets)
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.sleep = sleep
        self.echo = echo

    def check(self) -> None:
        """Refuse to start unless each alias currently serves its stable version (at 100% or with a canary)."""
        for service, target in self.targets.items():
            try:
                alias = self.lambda_client.get_alias(FunctionName=target.function_name, Name=target.alias_name)
            except ClientError as exc:
                raise ValueError(
                    f"{service}: cannot read alias {target.function_name}:{target.alias_name}: {exc}"
                ) from None
            if str(alias["FunctionVersion"]) != target.stable_version:
                raise ValueError(
                    f"{service}: alias {target.function_name}:{target.alias_name} points to version "
                    f"{alias['FunctionVersion']}, not the stable version {target.stable_version}; pass "
                    f"--stable-version {alias['FunctionVersion']} or fix the alias first"
                )

    def _update(self, target: AliasTarget, version: str, weights: dict[str, float]) -> None:
        update_alias_with_retry(
            self.lambda_client,
            target.function_name,
            target.alias_name,
            version,
            weights,
            attempts=self.attempts,
            backoff_seconds=self.backoff_seconds,
            max_backoff_seconds=self.max_backoff_seconds,
            sleep=self.sleep,
            echo=self.echo,
        )

    def shift(self, weights: Mapping[str, float]) -> None:
        for service, weight in weights.items():
            target = self.targets[service]
            # AWS accepts weights in (0, 1) only; moto accepts anything, so validate here.
            if not 0.0 < weight < 1.0:
                raise ValueError(f"{service}: canary weight must be within (0, 1), got {weight}")
            self._update(target, target.stable_version, {target.new_version: weight})

    def promote(self, services: Sequence[str]) -> None:
        for service in services:
            target = self.targets[service]
            self._update(target, target.new_version, {})

    def rollback(self, services: Sequence[str]) -> None:
        for service in services:
            target = self.targets[service]
            self._update(target, target.stable_version, {})

"""What AWS Lambda refuses and moto (5.2.5) accepts, where accepting it would hide an unsafe operation.

Installed by :class:`lambdakit.sandbox.emulator.Sandbox` over moto's Lambda storage, so every caller of the emulator
(boto3, ``lambdakit prune``, the canary, the Pulumi mocks) meets the same refusals as on AWS:

- ``DeleteFunction`` of a version that an alias points to or routes weight to: ``ResourceConflictException``
  (moto deletes it and leaves the alias dangling);
- alias routing weights outside (0, 1), more than one additional version, routing to the alias's own version, and
  routing on ``$LATEST``: ``InvalidParameterValueException`` / ``ValidationException``;
- provisioned concurrency on an alias that routes weights: "Alias with weights can not be used with Provisioned
  Concurrency" (moto has no provisioned-concurrency API; :func:`check_provisioned_concurrency` is what the sandbox
  runs where it would create one).

Alias changes and version deletes are serialised with one lock, so a check and the change it guards are atomic
(AWS is atomic here; moto's threaded server is not).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

_LOCK = threading.RLock()

PC_WITH_WEIGHTS = "Alias with weights can not be used with Provisioned Concurrency"


def _error(code: str, message: str, status: int = 400) -> Exception:
    from moto.awslambda.exceptions import LambdaClientError

    error = LambdaClientError(code, message)
    error.code = status
    return error


def _weights(routing_config: Any) -> dict[str, Any] | None:
    """The ``AdditionalVersionWeights`` of a routing config as moto receives it (dict or JSON text), or None."""
    if routing_config is None:
        return None
    if isinstance(routing_config, str):
        try:
            routing_config = json.loads(routing_config) if routing_config else {}
        except ValueError:
            return None
    if not isinstance(routing_config, Mapping):
        return None
    weights = routing_config.get("AdditionalVersionWeights")
    return dict(weights) if isinstance(weights, Mapping) else {}


def check_routing(function_name: str, alias: str, version: str, routing_config: Any) -> None:
    """Refuse a routing config AWS refuses (raises moto's Lambda client error)."""
    weights = _weights(routing_config)
    if not weights:
        return
    shown = "{" + ", ".join(f"{k}={v}" for k, v in weights.items()) + "}"
    for extra, weight in weights.items():
        try:
            value = float(weight)
        except (TypeError, ValueError):
            value = float("nan")
        if not 0.0 < value < 1.0:
            raise _error(
                "ValidationException",
                f"1 validation error detected: Value '{shown}' at 'routingConfig.additionalVersionWeights' failed to "
                "satisfy constraint: Map value must satisfy constraint: [Member must have value less than 1.0, "
                "Member must have value greater than 0.0]",
            )
        if str(extra) == "$LATEST" or not str(extra).isdigit():
            raise _error(
                "InvalidParameterValueException",
                f"Invalid function version {extra} in routing config: it must be a published version number",
            )
        if str(extra) == str(version):
            raise _error(
                "InvalidParameterValueException",
                f"Invalid function version {extra}: Function version {extra} is already included in routing "
                "configuration",
            )
    if len(weights) > 1:
        raise _error("InvalidParameterValueException", "Only one additional version is allowed in routing config")
    if str(version) == "$LATEST":
        raise _error(
            "InvalidParameterValueException", "$LATEST is not supported for an alias pointing to more than 1 version"
        )


def check_provisioned_concurrency(storage: Any, function_name: str, qualifier: str) -> None:
    """Refuse provisioned concurrency on an alias that routes weights (as PutProvisionedConcurrencyConfig does)."""
    with _LOCK:
        alias = storage._get_function_aliases(function_name).get(qualifier)
        if alias is not None and _weights(alias.routing_config):
            raise _error("ResourceConflictException", f"{PC_WITH_WEIGHTS} ({function_name}:{qualifier})", 409)


def referencing_aliases(storage: Any, function_name: str, version: str) -> list[str]:
    """Aliases of the function whose version or routing names ``version``."""
    try:
        aliases = storage._get_function_aliases(function_name)
    except Exception:
        return []
    found = []
    for name, alias in sorted(aliases.items()):
        routed = _weights(alias.routing_config) or {}
        if str(alias.function_version) == str(version) or str(version) in {str(k) for k in routed}:
            found.append(name)
    return found


def _qualifier(name_or_arn: str, qualifier: str | None) -> tuple[str, str | None]:
    if name_or_arn.startswith("arn:"):
        parts = name_or_arn.split(":")
        return parts[6], (parts[7] if len(parts) > 7 else None) or qualifier
    if ":" in name_or_arn:
        name, _, q = name_or_arn.partition(":")
        return name, q or qualifier
    return name_or_arn, qualifier


def install(patch: Callable[[Any, str, Any], None]) -> None:
    """Wrap moto's Lambda storage with the refusals above; ``patch(owner, name, replacement)`` records the original
    so the sandbox restores it when it stops."""
    from moto.awslambda.models import LambdaStorage

    original_delete = LambdaStorage.del_function
    original_put_alias = LambdaStorage.put_alias
    original_update_alias = LambdaStorage.update_alias

    def del_function(storage: Any, name_or_arn: str, qualifier: str | None = None) -> None:
        name, version = _qualifier(name_or_arn, qualifier)
        with _LOCK:
            if version and version != "$LATEST" and not version.isdigit():
                raise _error("InvalidParameterValueException", f"Deletion of aliases is not supported: {version}")
            if version and version.isdigit():
                users = referencing_aliases(storage, name, version)
                if users:
                    raise _error(
                        "ResourceConflictException",
                        f"Unable to delete version because the following aliases reference it: {users}",
                        409,
                    )
            original_delete(storage, name_or_arn, qualifier)

    def put_alias(
        storage: Any, name: str, function_name: str, function_version: str, description: str, routing_config: Any
    ) -> Any:
        with _LOCK:
            check_routing(_qualifier(function_name, None)[0], name, function_version, routing_config)
            return original_put_alias(storage, name, function_name, function_version, description, routing_config)

    def update_alias(
        storage: Any, name: str, function_name: str, function_version: str, description: str, routing_config: Any
    ) -> Any:
        with _LOCK:
            version = function_version
            if not version:
                version = str(storage.get_alias(name, function_name).function_version)
            check_routing(_qualifier(function_name, None)[0], name, version, routing_config)
            return original_update_alias(storage, name, function_name, function_version, description, routing_config)

    patch(LambdaStorage, "del_function", del_function)
    patch(LambdaStorage, "put_alias", put_alias)
    patch(LambdaStorage, "update_alias", update_alias)

"""Traffic settings a release sets in stack config, read by every ``LambdaService`` of the program.

``lambdakit release`` moves an alias's traffic the way Pulumi state stays the source of truth: it writes the stack
config object ``<project>:release`` (the project namespace is the ``name`` in ``Pulumi.yaml``) and runs ``up``::

    release:
      billing:                # the LambdaService's name
        stableVersion: "7"    # the alias stays on version 7 ...
        canaryWeight: 0.1     # ... and routes 10% to the version this deploy publishes

Each ``LambdaService`` reads its own entry, so any program gets canaries from the driver with nothing written for
them. By hand: ``pulumi config set --path 'release["billing"].canaryWeight' 0.1``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The stack config key (in the project's namespace) that holds every service's traffic settings.
RELEASE_KEY = "release"
STABLE_VERSION = "stableVersion"
CANARY_WEIGHT = "canaryWeight"
FIELDS = (STABLE_VERSION, CANARY_WEIGHT)


def config_path(project: str, service: str, field: str) -> str:
    """The ``pulumi config set --path`` key of one service's field: ``<project>:release["<service>"].<field>``."""
    if field not in FIELDS:
        raise ValueError(f"release config field must be one of {', '.join(FIELDS)}, got {field!r}")
    return f"{project}:{RELEASE_KEY}[{json.dumps(service)}].{field}"


@dataclass(frozen=True)
class TrafficOverride:
    """One service's entry of the ``release`` config object, normalised."""

    stable_version: str | None = None
    canary_weight: float | None = None


def parse_release_config(project: str, raw: Any) -> dict[str, TrafficOverride]:
    """The ``release`` config object -> service name -> override; a malformed entry names the key and the value."""
    key = f"{project}:{RELEASE_KEY}"
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ValueError(f"config {key} must be an object of service name -> settings, got {raw!r}")
    out: dict[str, TrafficOverride] = {}
    for service, entry in raw.items():
        where = f"config {key}[{json.dumps(service)}]"
        if entry is None:
            continue
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where} must be an object with {' and/or '.join(FIELDS)}, got {entry!r}")
        unknown = sorted(set(entry) - set(FIELDS))
        if unknown:
            raise ValueError(f"{where} has unknown settings {unknown}; valid settings: {', '.join(FIELDS)}")
        stable = entry.get(STABLE_VERSION)
        if stable is not None:
            # `pulumi config set --path ... 7` stores a number; a version is its decimal text.
            if isinstance(stable, bool) or not isinstance(stable, str | int):
                raise ValueError(f"{where}.{STABLE_VERSION} must be a published version number, got {stable!r}")
            stable = str(stable)
        weight = entry.get(CANARY_WEIGHT)
        if weight is not None:
            if isinstance(weight, str):
                try:
                    weight = float(weight)
                except ValueError:
                    raise ValueError(
                        f"{where}.{CANARY_WEIGHT} must be a number strictly between 0 and 1, got {weight!r}"
                    ) from None
            if isinstance(weight, bool) or not isinstance(weight, int | float):
                raise ValueError(f"{where}.{CANARY_WEIGHT} must be a number strictly between 0 and 1, got {weight!r}")
            weight = float(weight)
        out[str(service)] = TrafficOverride(stable_version=stable, canary_weight=weight)
    return out


def override_for(service: str) -> TrafficOverride | None:
    """This program's ``release`` entry for ``service``, read from the running Pulumi program's config."""
    import pulumi

    project = pulumi.get_project()
    raw = pulumi.Config(project).get_object(RELEASE_KEY)
    return parse_release_config(project, raw).get(service)

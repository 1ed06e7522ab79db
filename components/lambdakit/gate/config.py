"""The policy config a stack is gated with: read from its file and resolved per policy into what the CLI sends in
``Configure`` (enforcement level and settings)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi.runtime.proto import analyzer_pb2

from .model import LEVEL_VALUES, GateError, PolicyMeta


def load_policy_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A policy config file (``{"all": ..., "<policy>": ...}``); a missing or malformed file is a GateError."""
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise GateError(f"policy config {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise GateError(f"policy config {path} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise GateError(f"policy config {path} must hold a JSON object, got {type(data).__name__}")
    return data


def resolve_policy_config(
    policies: Sequence[PolicyMeta], config: Mapping[str, Any]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """What the CLI sends in Configure for ``--policy-pack-config``: per policy its level (policy default, then
    ``all``, then its own entry) and its settings over the schema defaults. Unknown policy names and settings are
    errors: a typo would otherwise fall back to a default without a word."""
    names = {p.name for p in policies}
    unknown = sorted(set(config) - names - {"all"})
    if unknown:
        raise GateError(f"policy config names policies the pack does not have: {unknown}; known: {sorted(names)}")
    resolved: dict[str, tuple[str, dict[str, Any]]] = {}
    everyone = config.get("all")
    for p in policies:
        level = p.level
        if isinstance(everyone, str):
            level = everyone
        elif isinstance(everyone, Mapping) and isinstance(everyone.get("enforcementLevel"), str):
            level = everyone["enforcementLevel"]
        settings = {k: v["default"] for k, v in p.schema.items() if isinstance(v, Mapping) and "default" in v}
        entry = config.get(p.name)
        if isinstance(entry, str):
            level = entry
        elif isinstance(entry, Mapping):
            level = str(entry.get("enforcementLevel", level))
            extra = sorted(set(entry) - set(p.schema) - {"enforcementLevel"})
            if extra:
                raise GateError(f"policy {p.name}: unknown settings {extra}; its settings are {sorted(p.schema)}")
            settings.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
        if level not in LEVEL_VALUES:
            raise GateError(f"policy {p.name}: enforcementLevel must be one of {sorted(LEVEL_VALUES)}, got {level!r}")
        resolved[p.name] = (level, settings)
    return resolved


def configure_request(resolved: Mapping[str, tuple[str, dict[str, Any]]]) -> analyzer_pb2.ConfigureAnalyzerRequest:
    req = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, (level, settings) in resolved.items():
        cfg = analyzer_pb2.PolicyConfig(enforcementLevel=LEVEL_VALUES[level])
        cfg.properties.update(json.loads(json.dumps(settings)))
        req.policyConfig[name].CopyFrom(cfg)
    return req

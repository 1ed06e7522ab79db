"""The policy config a stack is gated with: read from its file and resolved per policy into what the CLI sends in
``Configure`` (enforcement level and settings)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi.runtime.proto import analyzer_pb2

from lambdakit.policies._schema import PolicyConfigError, parse_config_text, validate_config

from .model import LEVEL_VALUES, GateError, PolicyMeta


class PolicyConfigGateError(GateError):
    """The policy config breaks the pack's schema (exit 2): one line naming the file, the policy and the setting."""


def load_policy_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A policy config file (``{"all": ..., "<policy>": ...}``); a missing, empty, BOM-prefixed, non-JSON,
    non-object or absurdly nested file is a GateError (the same reader as the pack's ``load_config``)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise PolicyConfigGateError(f"policy config {path}: {exc.strerror or exc}") from None
    try:
        return parse_config_text(raw, f"policy config {path}")
    except PolicyConfigError as exc:
        raise PolicyConfigGateError(str(exc)) from None


def resolve_policy_config(
    policies: Sequence[PolicyMeta], config: Mapping[str, Any], source: str = "policy config"
) -> dict[str, tuple[str, dict[str, Any]]]:
    """What the CLI sends in Configure for ``--policy-pack-config``: per policy its level (policy default, then
    ``all``, then its own entry) and its settings over the schema defaults. The config is first checked against
    the schema each policy reports (unknown policies and settings with a "did you mean", wrong types, ranges,
    regular expressions): a typo or a wrong type would otherwise fall back to a default without a word."""
    try:
        validate_config(config, {p.name: p.schema for p in policies}, source)
    except PolicyConfigError as exc:
        raise PolicyConfigGateError(str(exc)) from None
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

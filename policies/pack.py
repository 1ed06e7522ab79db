"""The lambdakit policy pack: every rule, and how an environment file resolves to levels and settings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

from . import access, dependencies, event_sources, iam, lambda_function, runtimes, stack, wiring
from ._common import PACK_NAME, Rule
from ._schema import parse_config_text, validate_config

PACK_DIR = Path(__file__).resolve().parent
CONFIG_DIR = PACK_DIR / "config"
ENVIRONMENTS = ("dev", "staging", "prod")

RULES: list[Rule] = [
    *runtimes.RULES,
    *lambda_function.RULES,
    *event_sources.RULES,
    *access.RULES,
    *iam.RULES,
    *stack.RULES,
    *dependencies.RULES,
    *wiring.RULES,
]
RULES_BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}

DESCRIPTION = (
    "lambdakit: CrossGuard rules for AWS Lambda on pulumi-aws (runtimes, limits, tracing, failure handling, "
    "access, IAM, concurrency, aliases, logs); protects Lambda resources whether or not lambdakit built them."
)


def policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [rule.to_policy() for rule in RULES]


def load_config(env_or_path: str | Path) -> dict[str, Any]:
    """An environment's policy config (``dev``/``staging``/``prod`` or a path to a JSON file)."""
    path = Path(env_or_path)
    if str(env_or_path) in ENVIRONMENTS:
        path = CONFIG_DIR / f"{env_or_path}.json"
    return parse_config_text(path.read_bytes(), str(path))


def schemas() -> dict[str, dict[str, Any]]:
    """Each policy's settings schema (what ``config_schema`` declares), for :func:`validate_config`."""
    return {rule.name: rule.config for rule in RULES}


def resolve(config: Mapping[str, Any]) -> dict[str, tuple[EnforcementLevel, dict[str, Any]]]:
    """Per rule, the enforcement level and settings the CLI would send in Configure for this config file:
    the rule's default, overridden by ``all``, overridden by the rule's own entry; settings over schema defaults."""
    validate_config(config, schemas())
    resolved: dict[str, tuple[EnforcementLevel, dict[str, Any]]] = {}
    everyone = config.get("all")
    for rule in RULES:
        level = rule.default_level
        if isinstance(everyone, str):
            level = EnforcementLevel(everyone)
        elif isinstance(everyone, Mapping) and "enforcementLevel" in everyone:
            level = EnforcementLevel(everyone["enforcementLevel"])
        entry = config.get(rule.name)
        settings = rule.defaults()
        if isinstance(entry, str):
            level = EnforcementLevel(entry)
        elif isinstance(entry, Mapping):
            if "enforcementLevel" in entry:
                level = EnforcementLevel(entry["enforcementLevel"])
            settings.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
        resolved[rule.name] = (level, settings)
    return resolved


def pack_kwargs() -> dict[str, Any]:
    return {
        "name": PACK_NAME,
        "description": DESCRIPTION,
        "policies": policies(),
        "enforcement_level": EnforcementLevel.ADVISORY,
    }

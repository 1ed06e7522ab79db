"""Where the policy pack and a program's policy config are, for the gate, the release driver and the CLI."""

from __future__ import annotations

from pathlib import Path

#: The folder a program keeps its per-environment policy config in (`lambdakit init` writes it).
PROGRAM_POLICY_DIR = "policy-config"


def pack_dir() -> Path:
    """The policy pack's folder: ``policies/`` of a source tree, or ``lambdakit/policies`` in site-packages.

    Found through the import system without importing the pack (importing it needs pulumi_policy's server)."""
    import importlib.util

    spec = importlib.util.find_spec("lambdakit.policies")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the lambdakit policy pack is not installed (lambdakit.policies not found)")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def policy_config_candidates(program: Path, stack: str, pack: Path) -> list[Path]:
    """Where a stack's policy config is looked for, first match wins: the program's ``policy-config/<stack>.json``,
    its ``policies/config/<stack>.json`` (a program that carries the pack, like lambdakit's own repository), then
    the pack's own ``config/<stack>.json``."""
    return [
        program / PROGRAM_POLICY_DIR / f"{stack}.json",
        program / "policies" / "config" / f"{stack}.json",
        pack / "config" / f"{stack}.json",
    ]


def default_policy_config(program: Path, stack: str, pack: Path) -> Path | None:
    """The first existing candidate of :func:`policy_config_candidates`, or None."""
    return next((p for p in policy_config_candidates(program, stack, pack) if p.is_file()), None)

"""Offline policy gate: the verdict of ``pulumi preview --policy-pack policies`` without the CLI or credentials.

It evaluates a Pulumi program folder under the SDK mocks with a stack's config (``lambdakit.program``), starts
the policy pack exactly as the CLI does (``python -u -m pulumi.policy <engine-address> .`` in the pack folder),
and speaks the analyzer protocol to it: GetAnalyzerInfo, Configure, ConfigureStack, one Analyze per resource and
one AnalyzeStack with every resource, its parent, dependencies and property dependencies. A tiny Engine gRPC
server receives the pack's log calls (the notes rules write when they skip something).

This is a pre-flight check: values the provider computes (ARNs, ids, versions) are mock values offline, where a
real preview would see them as unknown or as AWS's values. Run ``pulumi preview --policy-pack`` where credentials
exist for the authoritative verdict.

    lambdakit gate --stack prod [--program .] [--policy-config FILE] [--sarif FILE] [--junit FILE]
                   [--config KEY=VALUE ...] [--unknown-dependents] [--workers N]

Exit codes: 0 no mandatory violation, 1 at least one mandatory violation, 2 the gate itself could not run.
"""

from __future__ import annotations

from .config import configure_request, load_policy_config, resolve_policy_config
from .model import (
    ARCHIVE_SIG,
    ASSET_SIG,
    PREFLIGHT_NOTICE,
    SECRET_SIG,
    SIG,
    UNKNOWN_VALUE,
    GateError,
    GateResult,
    Note,
    PolicyMeta,
    Violation,
)
from .protocol import (
    EngineServer,
    PackPool,
    PolicyPackProcess,
    analyze_requests,
    collect_violations,
    default_pack,
    engine_value,
    pack_version,
    policy_metadata,
    to_struct,
)
from .reports import format_report, junit_xml, sarif
from .run import analyze, run_gate

__all__ = [
    "ARCHIVE_SIG",
    "ASSET_SIG",
    "PREFLIGHT_NOTICE",
    "SECRET_SIG",
    "SIG",
    "UNKNOWN_VALUE",
    "EngineServer",
    "GateError",
    "GateResult",
    "Note",
    "PackPool",
    "PolicyMeta",
    "PolicyPackProcess",
    "Violation",
    "analyze",
    "analyze_requests",
    "collect_violations",
    "configure_request",
    "default_pack",
    "engine_value",
    "format_report",
    "junit_xml",
    "load_policy_config",
    "pack_version",
    "policy_metadata",
    "resolve_policy_config",
    "run_gate",
    "sarif",
    "to_struct",
]

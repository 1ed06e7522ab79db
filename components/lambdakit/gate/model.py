"""What the gate works with and reports: policy metadata, violations, notes, the result, and the engine's enums."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime.proto import analyzer_pb2

# How the engine encodes values in analyzer requests (sdk/go/common/resource/properties.go).
SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
LEVEL_VALUES = {v: k for k, v in LEVELS.items()}
SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}

PREFLIGHT_NOTICE = (
    "Pre-flight check: the program ran offline under Pulumi mocks. Values the provider computes (ARNs, ids, "
    "versions, URLs) are mock values here, not what AWS returns, and a real preview may see some of them as "
    'unknown. Run `pulumi preview --policy-pack "$(lambdakit policy-pack)" --policy-pack-config <config>.json` where '
    "credentials exist for the authoritative verdict."
)


class GateError(RuntimeError):
    """The gate could not run (bad arguments, the pack failed to start, the program raised)."""


@dataclass
class PolicyMeta:
    name: str
    description: str
    level: str
    severity: str
    url: str
    remediation: str
    tags: list[str]
    kind: str
    schema: dict[str, Any]


@dataclass
class Violation:
    policy: str
    level: str
    severity: str
    message: str
    urn: str
    resource_type: str
    resource_name: str


@dataclass
class Note:
    message: str
    urn: str
    severity: str


@dataclass
class GateResult:
    stack: str
    program: str
    policy_config: str
    pack: str
    resources: int
    policies: list[PolicyMeta]
    levels: dict[str, str]
    violations: list[Violation] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    pack_version: str = "unknown"
    iam_data: dict[str, str] = field(default_factory=dict)
    """The IAM dataset the pack's IAM rules read: name, version, updated (date of AWS's data)."""
    unknown_dependents: bool = False
    program_seconds: float = 0.0
    policy_seconds: float = 0.0
    total_seconds: float = 0.0

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.level != "mandatory"]

    @property
    def passed(self) -> bool:
        return not self.mandatory

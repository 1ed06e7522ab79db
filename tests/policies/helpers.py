"""Helpers for the policy tests: call a rule directly, or through the analyzer protocol."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from lambdakit import gate
from lambdakit.policies._common import Rule, capture_notes
from lambdakit.policies.pack import RULES_BY_NAME

UNKNOWN = UNKNOWN_STRING_VALUE  # how the engine sends a value unknown during preview


def urn_of(type_: str, name: str) -> str:
    return f"urn:pulumi:test::proj::{type_}::{name}"


def _opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


@dataclass
class Outcome:
    violations: list[str]
    notes: list[str]
    urns: list[str | None] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.violations)


def check_resource(
    rule_name: str, type_: str, props: Mapping[str, Any], config: Mapping[str, Any] | None = None, name: str = "res"
) -> Outcome:
    """Run one resource rule directly, with props wrapped in pulumi_policy's unknown-checking proxy."""
    rule: Rule = RULES_BY_NAME[rule_name]
    found: list[str] = []
    args = ResourceValidationArgs(
        type_, unknown_checking_proxy(dict(props)), urn_of(type_, name), name, _opts(), None, dict(config or {})
    )

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    with capture_notes() as notes:
        rule.validate_resource(args, report)
    return Outcome(found, [n[2] for n in notes])


@dataclass
class Res:
    """A stack resource for direct stack-rule tests; ``links`` are property dependencies."""

    type: str
    name: str
    props: dict[str, Any] = field(default_factory=dict)
    links: dict[str, list[Res]] = field(default_factory=dict)
    depends_on: list[Res] = field(default_factory=list)
    region: str | None = None

    @property
    def urn(self) -> str:
        return urn_of(self.type, self.name)


def check_stack(rule_name: str, resources: Sequence[Res], config: Mapping[str, Any] | None = None) -> Outcome:
    rule: Rule = RULES_BY_NAME[rule_name]
    built: dict[str, PolicyResource] = {}
    for r in resources:
        built[r.urn] = PolicyResource(
            r.type, unknown_checking_proxy(dict(r.props)), r.urn, r.name, _opts(), None, None, [], {}
        )
    for r in resources:
        pr = built[r.urn]
        pr.dependencies = [built[d.urn] for d in r.depends_on if d.urn in built]
        pr.property_dependencies = {k: [built[d.urn] for d in v if d.urn in built] for k, v in r.links.items()}
    found: list[str] = []
    urns: list[str | None] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)
        urns.append(urn)

    with capture_notes() as notes:
        rule.validate_stack(StackValidationArgs(list(built.values()), dict(config or {})), report)
    return Outcome(found, [n[2] for n in notes], urns)


# --- the pack through the analyzer protocol ----------------------------------------------------------------


class Analyzer:
    """One pack subprocess spoken to as the CLI does, plus the engine log it writes notes to."""

    def __init__(self) -> None:
        self.engine = gate.EngineServer()
        self.pack = gate.PolicyPackProcess(gate.default_pack(), self.engine.address, project="proj", stack="test")
        self.info = self.pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
        self.policies = gate.policy_metadata(self.info)

    def configure(self, config: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
        resolved = gate.resolve_policy_config(self.policies, config)
        self.pack.stub.Configure(gate.configure_request(resolved))
        return resolved

    def analyze(self, type_: str, props: Mapping[str, Any], name: str = "res") -> list[gate.Violation]:
        req = analyzer_pb2.AnalyzeRequest(
            type=type_, properties=gate.to_struct(props), urn=urn_of(type_, name), name=name
        )
        return gate.collect_violations(self.pack.stub.Analyze(req), req.urn, {req.urn: (type_, name)})

    def analyze_stack(self, resources: Sequence[Res]) -> list[gate.Violation]:
        req = analyzer_pb2.AnalyzeStackRequest()
        for r in resources:
            req.resources.append(
                analyzer_pb2.AnalyzerResource(
                    type=r.type,
                    properties=gate.to_struct(r.props),
                    urn=r.urn,
                    name=r.name,
                    dependencies=[d.urn for d in r.depends_on],
                    propertyDependencies={
                        k: analyzer_pb2.AnalyzerPropertyDependencies(urns=[d.urn for d in v])
                        for k, v in r.links.items()
                    },
                )
            )
        return gate.collect_violations(
            self.pack.stub.AnalyzeStack(req), "", {r.urn: (r.type, r.name) for r in resources}
        )

    def notes_since(self, mark: int) -> list[str]:
        return [n.message for n in self.engine.log.notes[mark:]]

    def close(self) -> None:
        self.pack.close()
        self.engine.stop()

"""The pack's analyzer speedups answer exactly as pulumi_policy 1.21's own Analyze and AnalyzeStack do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy import policy as analyzer_module

from lambdakit import gate
from lambdakit.policies import _speedups
from lambdakit.policies._common import FUNCTION
from lambdakit.policies.pack import load_config, policies
from tests.policies.cases import GOOD_FUNCTION, with_
from tests.policies.helpers import UNKNOWN, Res
from tests.policies.stacks import service

SERVICER = analyzer_module._PolicyAnalyzerServicer


def _reads_unknown(args: Any, report: Any) -> None:
    if args.props.get("timeout") is not None:
        report(f"timeout {args.props['timeout']}")


def _stack_reads_unknown(args: Any, report: Any) -> None:
    for r in args.resources:
        if r.resource_type == FUNCTION:
            report(f"{r.name} reserved {r.props.get('reservedConcurrentExecutions')}", r.urn)


def _not_applicable(args: Any, report: Any) -> None:
    args.not_applicable("never applies")


EXTRA = [
    ResourceValidationPolicy(name="raw-unknown-reader", description="reads props blindly", validate=_reads_unknown),
    ResourceValidationPolicy(name="raw-not-applicable", description="not applicable", validate=_not_applicable),
    StackValidationPolicy(name="raw-stack-reader", description="reads props blindly", validate=_stack_reads_unknown),
]


@pytest.fixture
def originals() -> Iterator[tuple[Any, Any]]:
    saved = (SERVICER.Analyze, SERVICER.AnalyzeStack, SERVICER._configure_runtime_settings)
    patched = getattr(SERVICER, "_lambdakit_patched", False)
    yield saved[0], saved[1]
    SERVICER.Analyze, SERVICER.AnalyzeStack, SERVICER._configure_runtime_settings = saved  # type: ignore[method-assign]
    if not patched and hasattr(SERVICER, "_lambdakit_patched"):
        delattr(SERVICER, "_lambdakit_patched")


def _servicer() -> Any:
    srv = SERVICER("lambdakit", "0.1.0", [*policies(), *EXTRA], EnforcementLevel.ADVISORY, None)
    pols = gate.policy_metadata(srv.GetAnalyzerInfo(None, None))
    config = {**load_config("prod"), "lambda-in-vpc": "mandatory"}
    srv.Configure(gate.configure_request(gate.resolve_policy_config(pols, config)), None)
    return srv


def test_patched_analyzer_answers_like_the_library(originals: tuple[Any, Any]) -> None:
    # given requests with known, unknown and odd values, and a stack
    functions = [
        with_(GOOD_FUNCTION, runtime="python3.9"),
        with_(GOOD_FUNCTION, timeout=UNKNOWN, tracingConfig={"mode": UNKNOWN}),
        {"timeout": "x", "environment": ["a"]},
    ]
    requests = [
        analyzer_pb2.AnalyzeRequest(type=FUNCTION, properties=gate.to_struct(p), urn=f"urn:{i}", name=f"f{i}")
        for i, p in enumerate(functions)
    ]
    s = service("orders", reserved=UNKNOWN, visibility=10)
    stack = analyzer_pb2.AnalyzeStackRequest()
    for r in [*s.values(), Res(FUNCTION, "odd", {"reservedConcurrentExecutions": UNKNOWN})]:
        stack.resources.append(
            analyzer_pb2.AnalyzerResource(
                type=r.type,
                properties=gate.to_struct(r.props),
                urn=r.urn,
                name=r.name,
                dependencies=[d.urn for d in r.depends_on],
                propertyDependencies={
                    k: analyzer_pb2.AnalyzerPropertyDependencies(urns=[d.urn for d in v]) for k, v in r.links.items()
                },
            )
        )
    srv = _servicer()
    # when the library's methods and the patched ones answer them
    before = [originals[0](srv, r, None).SerializeToString(deterministic=True) for r in requests]
    before_stack = originals[1](srv, stack, None).SerializeToString(deterministic=True)
    assert _speedups.install() is True
    after = [SERVICER.Analyze(srv, r, None).SerializeToString(deterministic=True) for r in requests]
    after_stack = SERVICER.AnalyzeStack(srv, stack, None).SerializeToString(deterministic=True)
    # then the responses are byte for byte the same, unknown-value diagnostics included
    assert after == before
    assert after_stack == before_stack
    assert b"during preview" in before[1] and b"during preview" in before_stack


def test_install_is_skipped_for_other_pulumi_policy_versions(
    originals: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pulumi_policy.version

    if getattr(SERVICER, "_lambdakit_patched", False):
        pytest.skip("already patched in this process")
    monkeypatch.setattr(pulumi_policy.version, "VERSION", "2.0.0")
    assert _speedups.install() is False
    assert SERVICER.Analyze is originals[0]

"""The peer benchmark's generated shape: lambdakit, the direct pulumi-aws program and CDK build the same resources.

benchmarks/bench_peers.py compares times of three builds of one shape; these tests keep the builds comparable."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from benchmarks import bench_peers
from lambdakit.program import run_program

SERVICES = 2
#: Inputs that differ by design: the component uploads its own deterministic zip with its hash; the direct program
#: hands Pulumi the folder.
BUNDLE_INPUTS = {"code", "sourceCodeHash"}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> bench_peers.Workspace:
    return bench_peers.write_workspace(tmp_path_factory.mktemp("bench-peers") / "ws", SERVICES)


@pytest.fixture(scope="module")
def lambdakit_run(workspace: bench_peers.Workspace):  # type: ignore[no-untyped-def]
    return run_program(workspace.program, bench_peers.STACK)


def test_lambdakit_program_builds_the_shape_once_per_service(lambdakit_run) -> None:  # type: ignore[no-untyped-def]
    counts = bench_peers.pulumi_concepts(lambdakit_run.registrations)
    expected = {concept: SERVICES for concept in counts}
    expected["queue"] = 2 * SERVICES  # the source queue and its DLQ
    assert counts == expected
    components = lambdakit_run.by_type("lambdakit:index:LambdaService")
    # Components register from the SDK's executor threads: their order is not the program's.
    assert sorted(c.name for c in components) == [f"svc-{i:03d}" for i in range(SERVICES)]


def test_direct_program_registers_what_the_component_registers(workspace, lambdakit_run) -> None:  # type: ignore[no-untyped-def]
    direct = run_program(workspace.direct, bench_peers.STACK)
    component = {(r.type, r.name): r for r in lambdakit_run.registrations if r.custom}
    plain = {(r.type, r.name): r for r in direct.registrations if r.custom}
    assert sorted(plain) == sorted(component), "the direct program must register the same resources"
    for key, reg in component.items():
        got = set(plain[key].inputs) - BUNDLE_INPUTS
        want = set(reg.inputs) - BUNDLE_INPUTS
        assert got == want, f"{key}: direct inputs {sorted(got)} differ from the component's {sorted(want)}"


def test_program_passes_the_prod_gate(workspace: bench_peers.Workspace) -> None:
    # The benchmark times a passing gate: a violation found on the well-formed shape means the shape or a rule
    # changed, and the timing would no longer be of the production path.
    from lambdakit.gate import run_gate

    result = run_gate(workspace.program, bench_peers.STACK)
    assert result.mandatory == [], [f"{v.policy}: {v.message}" for v in result.mandatory]


@pytest.mark.slow  # node synthesizes the CDK app in a subprocess
def test_cdk_app_builds_the_same_shape(workspace, lambdakit_run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    why = bench_peers.cdk_missing()
    if why is not None:
        pytest.skip(why)
    out = subprocess.run(
        [
            "node",
            str(bench_peers.CDK_APP),
            *("--services", str(SERVICES), "--code-root", str(workspace.code_root)),
            *("--outdir", str(tmp_path / "cdk.out"), "--no-validation"),
        ],
        cwd=bench_peers.PEERS,
        capture_output=True,
        text=True,
        check=True,
    )
    details = json.loads(out.stdout.strip().splitlines()[-1])
    template = json.loads((tmp_path / "cdk.out" / Path(details["template"]).name).read_text())
    assert bench_peers.cloudformation_concepts(template) == bench_peers.pulumi_concepts(lambdakit_run.registrations)


def test_profile_report_splits_samples_by_process_and_phase() -> None:
    from benchmarks import profile_gate

    gate = 'process 1:"python -m lambdakit gate";thread (1): MainThread'
    pack = 'process 1:"python -m lambdakit gate";process 2:"python -u -m pulumi.policy 127.0.0.1:1 .";thread (2): T'
    raw = [
        f"{gate};run_program (lambdakit/program.py:10);_get_stack_trace (pulumi/runtime/resource.py:741) 30",
        f"{gate};run_program (lambdakit/program.py:10);serialize_property (pulumi/runtime/rpc.py:700) 10",
        f"{gate};_find_and_load (<frozen importlib._bootstrap>:1176) 10",
        f"{pack};install.<locals>.analyze (policies/_speedups.py:80);check (policies/iam.py:5) 50",
    ]
    samples = profile_gate.parse_raw(raw)
    assert [(kind, count) for kind, _, _, count in samples] == [("gate", 30), ("gate", 10), ("gate", 10), ("pack", 50)]
    text = profile_gate.report(samples)
    assert " 80.0%  program under mocks (event loop, main thread)" in text
    assert " 60.0%    _get_stack_trace (traceback.extract_stack per resource)" in text
    assert " 20.0%  imports (module loading, anywhere)" in text
    assert "100.0%  pack: Analyze (per resource)" in text
    assert "100.0%  policy rules (policies/*.py)" in text

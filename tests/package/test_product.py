"""lambdakit as another team adopts it: the wheel, installed into a fresh virtual environment outside the checkout,
used through the installed `lambdakit` command only, on programs of the team's own.

The fresh environment gets the wheel with `pip install --no-deps`; its dependencies come from this repository's
pinned environment through a `.pth` line (the same versions `requirements*.txt` pin), so the test checks what the
wheel carries without downloading 600 MB per run. `pip install` with dependencies and from a git tag are measured
and exercised in the closing note of the package issue and in `test_install_from_a_git_tag`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import lambdakit

ROOT = Path(__file__).resolve().parents[2]
#: This environment's pip (recent, pinned by ./run) installing into another environment (`pip --python`).
PIP = [sys.executable, "-m", "pip"]
pytestmark = pytest.mark.slow


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "AWS_", "VIRTUAL_ENV"))}
    env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", **extra})
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # A copy of the checkout (what `git clone` gives), so the build leaves nothing in this one (setuptools writes
    # build/ and *.egg-info into the source tree).
    source = tmp_path_factory.mktemp("source") / "lambdakit"
    shutil.copytree(
        ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__", ".lambdakit")
    )
    # pip builds the wheel in an isolated build environment from pyproject.toml, as `pip install .` would.
    subprocess.run(
        [*PIP, "wheel", "--no-deps", "--quiet", "--disable-pip-version-check", "-w", out, source],
        check=True,
        env=clean_env(PYTHONWARNINGS="ignore"),
        cwd=out,
    )
    [built] = list(out.glob("lambdakit-*.whl"))
    return built


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    home = tmp_path_factory.mktemp("team")
    env_dir = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", env_dir], check=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [*PIP, "--python", python, "install", "--quiet", "--disable-pip-version-check", "--no-deps", wheel],
        check=True,
        env=clean_env(),
    )
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # The pinned dependencies, after the venv's own packages (so only the wheel's lambdakit can be imported).
    Path(site, "zz-pinned-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env_dir


def run(venv: Path, *args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "lambdakit"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"),
    )


def test_the_wheel_carries_the_package_the_pack_and_the_scaffold(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "lambdakit/__init__.py",
        "lambdakit/py.typed",
        "lambdakit/sandbox/_bootstrap.py",
        "lambdakit/policies/__main__.py",
        "lambdakit/policies/PulumiPolicy.yaml",
        "lambdakit/policies/requirements.txt",
        "lambdakit/policies/config/prod.json",
        "lambdakit/policies/runtime_lifecycle.json",
        "lambdakit/scaffold/template/__main__.py",
        "lambdakit/scaffold/template/_github/workflows/lambdakit.yml",
    ):
        assert needed in names, f"{wheel.name} lacks {needed}"
    assert not [n for n in names if n.startswith(("tests/", "functions/", "components/", "automation/"))], names
    # Every package of the source tree is in the wheel (pyproject.toml lists them; a new one is easy to forget).
    source = ROOT / "components"
    packages = {str(p.parent.relative_to(source)) for p in source.glob("lambdakit/**/__init__.py")}
    packages -= {p for p in packages if "/template" in p}
    missing = sorted(p for p in packages if f"{p}/__init__.py" not in names)
    assert not missing, f"packages missing from the wheel (add them to pyproject.toml's packages): {missing}"
    assert not [n for n in names if n.endswith(".py") and n[: -len(".py")] + "/__init__.py" in names], (
        "a module and a package of the same name (a stale module left beside its package)"
    )
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert f"Version: {lambdakit.__version__}" in text
    assert "Requires-Dist: pulumi-aws<8,>=7.0" in text and "Requires-Dist: botocore" in text, text
    assert "Provides-Extra: sandbox" in text and 'Requires-Dist: moto[server]<5.3,>=5.2.5; extra == "sandbox"' in text
    assert "License-Expression: Apache-2.0" in text, text


def test_installed_outside_the_checkout_it_imports_and_reports_its_version(venv: Path) -> None:
    python = venv / "bin" / "python"
    where = subprocess.run(
        [python, "-c", "import lambdakit, lambdakit.service; print(lambdakit.__file__, lambdakit.__version__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=venv.parent,
    ).stdout.split()
    assert Path(where[0]).is_relative_to(venv), f"lambdakit imported from {where[0]}, not the fresh venv"
    assert where[1] == lambdakit.__version__
    version = run(venv, "--version", cwd=venv.parent)
    assert version.returncode == 0 and version.stdout.strip() == f"lambdakit {lambdakit.__version__}"
    pack = run(venv, "policy-pack", cwd=venv.parent).stdout.strip()
    assert Path(pack).is_relative_to(venv) and (Path(pack) / "PulumiPolicy.yaml").is_file(), pack


def test_init_then_plan_gate_and_sandbox_pass_with_no_edits(venv: Path) -> None:
    home = venv.parent
    created = run(venv, "init", "billing", cwd=home)
    assert created.returncode == 0, created.stderr
    program = home / "billing"
    for path in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml", "__main__.py"):
        assert (program / path).is_file(), f"scaffold lacks {path}"
    assert (program / "policy-config" / "prod.json").is_file() and (
        program / ".github/workflows/lambdakit.yml"
    ).exists()

    plan = run(venv, "plan", cwd=program)
    assert plan.returncode == 0, plan.stderr
    assert "stack prod:" in plan.stdout and "billing-prod" in plan.stdout, plan.stdout

    gate = run(venv, "gate", "--stack", "prod", "--sarif", "out.sarif", cwd=program)
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert (
        "Mandatory violations: 0" in gate.stdout and f"policy config {program}/policy-config/prod.json" in gate.stdout
    )
    sarif = json.loads((program / "out.sarif").read_text())  # written where the command ran
    assert sarif["runs"][0]["tool"]["driver"]["version"] == lambdakit.__version__

    sandbox = run(venv, "sandbox", cwd=program)
    assert sandbox.returncode == 0, sandbox.stdout + sandbox.stderr
    assert "1 of 1 functions answered through their aliases without an error." in sandbox.stdout, sandbox.stdout

    tests = subprocess.run(
        [venv / "bin" / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=program,
        capture_output=True,
        text=True,
        env=clean_env(),
    )
    assert tests.returncode == 0 and "2 passed" in tests.stdout, tests.stdout + tests.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inventory(venv: Path) -> Path:
    """A program written by hand: other service names, a handler module of its own, another alias, no exports."""
    program = venv.parent / "inventory"
    (program / "src" / "stock").mkdir(parents=True)
    (program / "src" / "audit").mkdir(parents=True)
    (program / "Pulumi.yaml").write_text("name: inventory\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (program / "__main__.py").write_text(
        "import pulumi_aws as aws\n\nfrom lambdakit import LambdaService\n\n"
        'events = aws.sqs.Queue("stock-events", visibility_timeout_seconds=180)\n'
        'LambdaService("stock-level", {"code_path": "src/stock", "handler": "app.main", '
        '"sqs_sources": [{"queue_arn": events}]})\n'
        'LambdaService("audit-trail", {"code_path": "src/audit", "alias_name": "current", "timeout": 5})\n'
    )
    (program / "src" / "stock" / "app.py").write_text(
        "def main(event, context):\n    return {'records': len(event.get('Records', []))}\n"
    )
    (program / "src" / "audit" / "handler.py").write_text(
        "def handler(event, context):\n    return {'audited': event}\n"
    )
    return program


@pytest.fixture
def serving(venv: Path, inventory: Path) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [str(venv / "bin" / "lambdakit"), "sandbox", "--serve", str(port)],
        cwd=inventory,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=clean_env(),
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 180
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            if "keeps running at" in line:
                break
        assert any("keeps running at" in line for line in output), "".join(output)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_hand_written_program_answers_lambdakit_invoke_by_service_name(
    venv: Path, inventory: Path, serving: str
) -> None:
    invoked = run(
        venv,
        "invoke",
        "audit-trail",
        "--stack",
        "dev",
        "--endpoint-url",
        serving,
        "--payload",
        '{"who": "me"}',
        cwd=inventory,
    )
    assert invoked.returncode == 0, invoked.stderr
    assert invoked.stdout.startswith("RequestResponse audit-trail-dev:current -> 200"), invoked.stdout
    assert '"who": "me"' in invoked.stdout
    stock = run(
        venv,
        "invoke",
        "stock-level",
        "--stack",
        "dev",
        "--endpoint-url",
        serving,
        "--payload",
        '{"Records": [{}, {}]}',
        cwd=inventory,
    )
    assert stock.returncode == 0 and '"records": 2' in stock.stdout, stock.stdout + stock.stderr
    missing = run(venv, "invoke", "billing", "--stack", "dev", "--endpoint-url", serving, cwd=inventory)
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "lambdakit invoke: error: service 'billing' is not in the stack; valid services: audit-trail, stock-level"
    )


def test_install_from_a_git_tag(tmp_path: Path) -> None:
    """`pip install "lambdakit @ git+<url>@<tag>"`, from a clone of this repository's HEAD."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to clone")
    repo = tmp_path / "lambdakit.git"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", ROOT, repo], check=True)
    subprocess.run(["git", "-C", repo, "tag", "v0.0.0-test"], check=True)
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", env_dir], check=True)
    subprocess.run(
        [
            *PIP,
            "--python",
            env_dir / "bin" / "python",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            f"lambdakit @ git+file://{repo}@v0.0.0-test",
        ],
        check=True,
        env=clean_env(PYTHONWARNINGS="ignore"),
    )
    shown = subprocess.run(
        [*PIP, "--python", env_dir / "bin" / "python", "show", "lambdakit"], capture_output=True, text=True, check=True
    )
    assert f"Version: {lambdakit.__version__}" in shown.stdout
    assert shutil.which("lambdakit", path=str(env_dir / "bin")), "the console script is installed"

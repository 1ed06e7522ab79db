"""The guards around the libraries whose internals lambdakit uses: versions, attributes, the override, the pins."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

from lambdakit import _pulumi_compat
from lambdakit.policies import _compat
from lambdakit.sandbox import _moto_compat

ROOT = Path(__file__).resolve().parents[2]
GUARDS = {
    "pulumi": _pulumi_compat.PULUMI,
    "pulumi-policy": _compat.PULUMI_POLICY,
    "moto": _moto_compat.MOTO,
}


def _pyproject_requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = [*project["dependencies"], *project["optional-dependencies"]["sandbox"]]
    return {Requirement(r).name: Requirement(r) for r in listed}


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^\s;#]+)", line.strip())
        if m:
            pins[m.group(1).lower()] = m.group(3)
    return pins


@pytest.mark.parametrize("name", sorted(GUARDS))
def test_pyproject_declares_exactly_the_range_the_guard_supports(name: str) -> None:
    guard = GUARDS[name]
    declared = _pyproject_requirements()[name].specifier
    assert set(str(declared).split(",")) == set(guard.specifier.split(",")), (
        f"pyproject.toml says {name}{declared}, {guard.used_by} supports {guard.specifier}"
    )


@pytest.mark.parametrize("name", sorted(GUARDS))
def test_every_requirements_file_pins_the_tested_version(name: str) -> None:
    guard = GUARDS[name]
    files = [*ROOT.glob("requirements*.txt"), ROOT / "policies" / "requirements.txt"]
    pinned = {f.name if f.parent == ROOT else f"policies/{f.name}": _pins(f).get(name) for f in files}
    pinned = {f: v for f, v in pinned.items() if v is not None}
    assert pinned, f"no requirements file pins {name}"
    assert all(v == guard.minimum for v in pinned.values()), (
        f"{name} pins {pinned}; the guard is tested from {guard.minimum}"
    )
    assert guard.installed() == guard.minimum


def test_installed_versions_pass_every_guard() -> None:
    assert _pulumi_compat.check() is True
    assert _compat.check_pulumi_policy() is True
    assert _moto_compat.check() is True


@pytest.mark.parametrize(
    ("guard", "version"),
    [
        (_pulumi_compat.PULUMI, "3.273.0"),
        (_pulumi_compat.PULUMI, "3.200.1"),
        (_pulumi_compat.PULUMI, "4.0.0"),
        (_compat.PULUMI_POLICY, "1.22.0"),
        (_compat.PULUMI_POLICY, "1.20.9"),
        (_moto_compat.MOTO, "5.3.0.dev1"),
        (_moto_compat.MOTO, "5.2.4"),
    ],
)
def test_a_version_out_of_range_says_what_to_pin(
    guard: _compat.Supported, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(_compat.ALLOW_UNTESTED_ENV, raising=False)
    with pytest.raises(_compat.UnsupportedDependencyError) as err:
        _compat.check_version(guard, version)
    message = str(err.value)
    assert "\n" not in message
    assert f"{guard.distribution} {version} is installed" in message, message
    assert guard.specifier in message and f"pip install '{guard.distribution}=={guard.minimum}'" in message, message
    assert _compat.ALLOW_UNTESTED_ENV in message, message


@pytest.mark.parametrize("version", ["3.272.0", "3.272.9", "3.272.10.post1"])
def test_patch_releases_of_the_tested_minor_are_accepted(version: str) -> None:
    assert _compat.check_version(_pulumi_compat.PULUMI, version) is True


def test_the_override_turns_the_error_into_one_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(_compat.ALLOW_UNTESTED_ENV, "1")
    monkeypatch.setattr(_compat, "_warned", set())
    assert _compat.check_version(_moto_compat.MOTO, "5.9.0") is False
    assert _compat.check_version(_moto_compat.MOTO, "5.9.0") is False
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("lambdakit: warning: moto 5.9.0 is outside") and "moto==5.2.5" in err[0], err


def test_a_missing_sdk_internal_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi.runtime import rpc

    monkeypatch.delattr(rpc, "_special_sig_key")
    with pytest.raises(
        _compat.UnsupportedDependencyError,
        match=r"pulumi 3\.272\.0 has no "
        r"pulumi\.runtime\.rpc\._special_sig_key, which lambdakit .* uses: pip install 'pulumi==3\.272\.0'",
    ):
        _pulumi_compat.check()


def test_missing_instance_state_of_the_mock_monitor_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi.runtime.mocks import MockMonitor

    def init(self: Any, mocks: Any) -> None:
        self.mocks = mocks
        self._registered = {}

    monkeypatch.setattr(MockMonitor, "__init__", init)
    with pytest.raises(_compat.UnsupportedDependencyError, match=r"MockMonitor\(\)\.resources"):
        _pulumi_compat.check()


def test_a_missing_pulumi_policy_internal_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi_policy import policy

    monkeypatch.delattr(policy._PolicyAnalyzerServicer, "_get_resource_options")
    with pytest.raises(
        _compat.UnsupportedDependencyError,
        match=r"pulumi_policy\.policy\._PolicyAnalyzerServicer\._get_resource_options, which the lambdakit policy "
        r"pack \(its analyzer speedups\) uses: pip install 'pulumi-policy==1\.21\.0'",
    ):
        _compat.check_pulumi_policy()


def test_a_moto_method_the_sandbox_patches_must_be_moto_s_own(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.awslambda.models import LambdaBackend

    monkeypatch.delattr(LambdaBackend, "send_dynamodb_items")
    with pytest.raises(
        _compat.UnsupportedDependencyError,
        match=r"moto\.awslambda\.models\.LambdaBackend\."
        r"send_dynamodb_items, which lambdakit's sandbox",
    ):
        _moto_compat.check()


def test_the_sandbox_refuses_to_start_with_an_untested_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    from lambdakit.sandbox import Sandbox, SandboxError, active

    real = _compat.metadata.version
    monkeypatch.setattr(_compat.metadata, "version", lambda d: "6.0.0" if d == "moto" else real(d))
    monkeypatch.delenv(_compat.ALLOW_UNTESTED_ENV, raising=False)
    with pytest.raises(SandboxError, match=r"moto 6\.0\.0 is installed, .*pip install 'moto==5\.2\.5'"):
        Sandbox().start()
    assert active() is None


def _fake_dist(tmp_path: Path, name: str, version: str) -> Path:
    """A folder that, first on PYTHONPATH, makes importlib.metadata report ``name`` at ``version``."""
    dist = tmp_path / f"{name.replace('-', '_')}-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return tmp_path


def _run(args: list[str], fake: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != _compat.ALLOW_UNTESTED_ENV}
    environ.update(PYTHONPATH=str(fake), **env)
    return subprocess.run(args, capture_output=True, text=True, env=environ, timeout=120, cwd=fake)


def test_the_cli_stops_with_one_line_and_exit_2_unless_overridden(tmp_path: Path) -> None:
    fake = _fake_dist(tmp_path, "pulumi", "3.999.0")
    cmd = [sys.executable, "-m", "lambdakit", "gate", "--help"]
    refused = _run(cmd, fake)
    assert refused.returncode == 2, refused
    assert refused.stderr.splitlines() == [
        "lambdakit gate: error: pulumi 3.999.0 is installed, but lambdakit (its offline runs under mocks and its "
        "component plugin) is tested with >=3.272.0,<3.273 only (it uses the library's internals): pip install "
        "'pulumi==3.272.0' (or set LAMBDAKIT_ALLOW_UNTESTED_VERSIONS=1 to try this version anyway)"
    ], refused.stderr
    allowed = _run(cmd, fake, **{_compat.ALLOW_UNTESTED_ENV: "1"})
    assert allowed.returncode == 0, allowed.stderr
    assert "usage: lambdakit gate" in allowed.stdout
    assert allowed.stderr.startswith("lambdakit: warning: pulumi 3.999.0 is outside"), allowed.stderr


def test_the_policy_pack_refuses_to_start_with_an_untested_pulumi_policy(tmp_path: Path) -> None:
    fake = _fake_dist(tmp_path, "pulumi-policy", "1.30.0")
    done = _run([sys.executable, str(ROOT / "policies" / "__main__.py")], fake)
    assert done.returncode == 2, done
    assert done.stderr.strip().splitlines() == [
        "lambdakit policy pack: error: pulumi-policy 1.30.0 is installed, but the lambdakit policy pack (its analyzer "
        "speedups) is tested with >=1.21.0,<1.22 only (it uses the library's internals): pip install "
        "'pulumi-policy==1.21.0' (or set LAMBDAKIT_ALLOW_UNTESTED_VERSIONS=1 to try this version anyway)"
    ], done.stderr

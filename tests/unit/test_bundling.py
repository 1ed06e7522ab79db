"""Deterministic packaging: same inputs -> byte-identical zip and hash, in any folder; exclusions; requirements."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import socket
import subprocess
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from lambdakit import bundling
from lambdakit.bundling import (
    build_function_bundle,
    build_layer_bundle,
    bundle_from_zip,
    deps_cache_key,
    module_exists,
    pip_platforms,
)


def write(root: Path, files: Mapping[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


SOURCE: dict[str, str | bytes] = {
    "handler.py": "from lib.util import add\n\ndef handler(event, context):\n    return add(1, 2)\n",
    "lib/__init__.py": "",
    "lib/util.py": "def add(a, b):\n    return a + b\n",
    "config/settings.json": '{"feature": true}\n',
    "bin/run.sh": "#!/bin/sh\necho hi\n",
}

NOISE: dict[str, str | bytes] = {
    "__pycache__/handler.cpython-312.pyc": b"\x00bytecode",
    "lib/__pycache__/util.cpython-311.pyc": b"\x00bytecode",
    "lib/old.pyc": b"\x00",
    "lib/old.pyo": b"\x00",
    "tests/test_handler.py": "def test_x():\n    pass\n",
    "tests/fixtures/event.json": "{}",
    "test_local.py": "",
    "lib/util_test.py": "",
    "conftest.py": "",
    ".pytest_cache/v/cache/lastfailed": "{}",
    ".git/config": "[core]\n",
    ".DS_Store": b"\x00\x00",
    "lib/.DS_Store": b"\x00\x00",
    ".env": "DB_PASSWORD=local-secret\n",
    "requirements.txt": "# nothing to install: comments only\n\n",
}


def entries(bundle_path: str) -> list[str]:
    with zipfile.ZipFile(bundle_path) as zf:
        return zf.namelist()


@pytest.fixture
def build_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Build from a given program folder (cwd), as a Pulumi program would."""

    def _build(program_dir: Path, source: Path, **kwargs: Any) -> bundling.Bundle:
        program_dir.mkdir(parents=True, exist_ok=True)
        monkeypatch.chdir(program_dir)
        return build_function_bundle(
            str(source), runtime=kwargs.pop("runtime", "python3.12"), architecture="arm64", name="orders", **kwargs
        )

    return _build


def test_two_builds_in_two_folders_are_byte_identical(tmp_path: Path, build_in) -> None:
    # given the same source copied into two unrelated folders, with different mtimes and file modes
    first = write(tmp_path / "checkout-a" / "src", {**SOURCE, **NOISE})
    second = tmp_path / "elsewhere" / "deeper" / "checkout-b" / "src"
    shutil.copytree(first, second)
    for path in second.rglob("*"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
        if path.is_file():
            path.chmod(0o600)
    (first / "bin" / "run.sh").chmod(0o755)  # exec bit on one machine only (a Windows checkout has none)

    # when each is built from its own program folder
    a = build_in(tmp_path / "program-a", first)
    b = build_in(tmp_path / "program-b", second)

    # then the zips are byte-identical, with the same hash and the same content-addressed file name
    assert Path(a.path).read_bytes() == Path(b.path).read_bytes(), f"{a.path} and {b.path} differ"
    assert a.source_code_hash == b.source_code_hash
    assert Path(a.path).name == Path(b.path).name
    assert Path(a.path).parent == tmp_path / "program-a" / ".lambdakit" / "build"
    assert a.size == b.size == Path(a.path).stat().st_size


def test_hash_is_base64_sha256_of_the_zip_bytes(tmp_path: Path, build_in) -> None:
    bundle = build_in(tmp_path / "program", write(tmp_path / "src", SOURCE))
    data = Path(bundle.path).read_bytes()
    assert bundle.source_code_hash == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert Path(bundle.path).name == f"orders-{hashlib.sha256(data).hexdigest()[:16]}.zip"


def test_excluded_files_are_left_out(tmp_path: Path, build_in) -> None:
    bundle = build_in(tmp_path / "program", write(tmp_path / "src", {**SOURCE, **NOISE}))
    assert entries(bundle.path) == sorted(SOURCE), f"unexpected entries in {bundle.path}"


def test_entries_have_fixed_metadata(tmp_path: Path, build_in) -> None:
    bundle = build_in(tmp_path / "program", write(tmp_path / "src", SOURCE))
    with zipfile.ZipFile(bundle.path) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos), "entries must be sorted by path"
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0), info.filename
        assert info.create_system == 3, info.filename
        assert info.compress_type == zipfile.ZIP_DEFLATED, info.filename
        assert info.extra == b"" and info.comment == b"", info.filename
        expected = 0o100755 if info.filename == "bin/run.sh" else 0o100644
        assert info.external_attr >> 16 == expected, f"{info.filename}: mode {oct(info.external_attr >> 16)}"


def test_changing_a_file_changes_the_hash_and_reverting_rewrites_nothing(tmp_path: Path, build_in) -> None:
    src = write(tmp_path / "src", SOURCE)
    program = tmp_path / "program"
    original = build_in(program, src)
    before = os.stat(original.path)

    (src / "lib" / "util.py").write_text("def add(a, b):\n    return b + a\n")
    changed = build_in(program, src)
    assert changed.source_code_hash != original.source_code_hash
    assert changed.path != original.path

    (src / "lib" / "util.py").write_text(str(SOURCE["lib/util.py"]))
    reverted = build_in(program, src)
    after = os.stat(reverted.path)
    assert reverted == original
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), "an unchanged bundle was rewritten"
    assert not [p.name for p in (program / ".lambdakit" / "build").iterdir() if p.name.startswith(".partial")]


def test_adding_an_excluded_file_does_not_change_the_hash(tmp_path: Path, build_in) -> None:
    src = write(tmp_path / "src", SOURCE)
    before = build_in(tmp_path / "program", src)
    write(src, {"tests/test_new.py": "", "__pycache__/x.pyc": b"\x01"})
    assert build_in(tmp_path / "program", src).source_code_hash == before.source_code_hash


def test_symlinks_are_packaged_as_their_content_without_looping(tmp_path: Path, build_in) -> None:
    shared = write(tmp_path / "shared", {"common.py": "COMMON = 1\n"})
    src = write(tmp_path / "src", {"handler.py": "import common\n"})
    (src / "common.py").symlink_to(shared / "common.py")
    (src / "loop").symlink_to(src, target_is_directory=True)
    bundle = build_in(tmp_path / "program", src)
    with zipfile.ZipFile(bundle.path) as zf:
        assert zf.read("common.py") == b"COMMON = 1\n"
        assert sorted(zf.namelist()) == ["common.py", "handler.py"], "a folder seen already is not packaged again"


def test_entry_names_are_nfc_normalised(tmp_path: Path, build_in) -> None:
    # macOS file systems may hand back decomposed names; a Linux checkout has them composed
    decomposed = write(tmp_path / "nfd", {"cafe\u0301.txt": "x"})
    composed = write(tmp_path / "nfc", {"caf\u00e9.txt": "x"})
    a = build_in(tmp_path / "program", decomposed)
    b = build_in(tmp_path / "program", composed)
    assert entries(a.path) == ["caf\u00e9.txt"]
    assert a.source_code_hash == b.source_code_hash


def test_layer_places_files_under_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    flat = write(tmp_path / "flat", {"shared/__init__.py": "X = 1\n", "tests/test_shared.py": ""})
    laid_out = write(tmp_path / "laid-out", {"python/shared/__init__.py": "X = 1\n"})

    flat_bundle = build_layer_bundle(str(flat), runtime="python3.12", architecture="arm64", name="shared")
    laid_out_bundle = build_layer_bundle(str(laid_out), runtime="python3.12", architecture="arm64", name="shared")

    assert entries(flat_bundle.path) == ["python/shared/__init__.py"]
    assert laid_out_bundle.source_code_hash == flat_bundle.source_code_hash, "both layouts are the same layer"


def test_non_python_layer_is_zipped_as_laid_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    src = write(tmp_path / "node", {"nodejs/node_modules/x/index.js": "module.exports = 1\n"})
    bundle = build_layer_bundle(str(src), runtime="nodejs22.x", architecture="x86_64", name="node")
    assert entries(bundle.path) == ["nodejs/node_modules/x/index.js"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"architecture": "amd64"}, r"orders: architecture must be one of arm64, x86_64; got 'amd64'"),
        ({"runtime": ""}, r"orders: runtime must be a non-empty string"),
        ({"name": ""}, r"name must be a non-empty string"),
    ],
)
def test_bad_target_is_rejected(tmp_path: Path, kwargs: dict[str, str], message: str) -> None:
    args = {"runtime": "python3.12", "architecture": "arm64", "name": "orders", **kwargs}
    with pytest.raises(ValueError, match=message):
        build_function_bundle(str(write(tmp_path / "src", SOURCE)), build_dir=tmp_path / "out", **args)


def test_missing_source_folder_names_the_field_and_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ValueError, match=re.escape(f"orders: code_path folder '{missing}' does not exist")):
        build_function_bundle(
            str(missing), runtime="python3.12", architecture="arm64", name="orders", field="code_path"
        )


def test_a_file_is_not_a_source_folder(tmp_path: Path) -> None:
    file = write(tmp_path, {"app.zip": b"PK"}) / "app.zip"
    with pytest.raises(ValueError, match=r"is not a folder \(use bundle_from_zip"):
        build_function_bundle(str(file), runtime="python3.12", architecture="arm64", name="orders")


def test_folder_with_only_excluded_files_is_rejected(tmp_path: Path) -> None:
    src = write(tmp_path / "src", {"tests/test_a.py": "", ".env": "X=1"})
    with pytest.raises(ValueError, match="orders: the bundle would be empty"):
        build_function_bundle(str(src), runtime="python3.12", architecture="arm64", name="orders", build_dir=tmp_path)


def test_requirements_with_a_non_python_runtime_are_rejected(tmp_path: Path) -> None:
    src = write(tmp_path / "src", {"index.js": "exports.handler = async () => 1;\n", "requirements.txt": "requests\n"})
    with pytest.raises(ValueError, match=r"orders: runtime 'nodejs22.x' cannot install .*requirements.txt"):
        build_function_bundle(str(src), runtime="nodejs22.x", architecture="arm64", name="orders", build_dir=tmp_path)


def test_bundle_from_zip_hashes_the_given_bytes(tmp_path: Path) -> None:
    path = tmp_path / "prebuilt.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("handler.py", "def handler(e, c):\n    return 1\n")
    bundle = bundle_from_zip(str(path))
    assert bundle.path == str(path)
    assert bundle.source_code_hash == base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()
    assert bundle.size == path.stat().st_size


@pytest.mark.parametrize("content", [None, b"not a zip"])
def test_bundle_from_zip_rejects_missing_or_non_zip_files(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "bad.zip"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=r"zip_path '.*bad.zip' (does not exist|is not a zip archive)"):
        bundle_from_zip(str(path))


def test_module_exists(tmp_path: Path) -> None:
    write(tmp_path, {"handler.py": "", "pkg/__init__.py": "", "pkg/app.py": "", "svc/__init__.py": ""})
    assert module_exists(tmp_path, "handler.handler")
    assert module_exists(tmp_path, "pkg.app.main")
    assert module_exists(tmp_path, "pkg/app.main")
    assert module_exists(tmp_path, "svc.handler")
    assert not module_exists(tmp_path, "missing.handler")
    assert not module_exists(tmp_path, "handler")
    assert not module_exists(tmp_path, "../handler.handler")


def test_pip_platforms_follow_the_runtime_os_and_architecture() -> None:
    al2023_arm = pip_platforms("python3.12", "arm64")
    assert al2023_arm[0] == "manylinux_2_34_aarch64"
    assert "manylinux_2_28_aarch64" in al2023_arm and al2023_arm[-1] == "manylinux2014_aarch64"
    assert all("aarch64" in tag for tag in al2023_arm)
    al2_x86 = pip_platforms("python3.11", "x86_64")
    assert al2_x86[0] == "manylinux_2_26_x86_64", "python3.11 runs on Amazon Linux 2 (glibc 2.26)"
    with pytest.raises(ValueError, match=r"'nodejs22\.x' is not a Python runtime"):
        pip_platforms("nodejs22.x", "arm64")


def test_cache_key_depends_on_requirements_runtime_and_architecture(tmp_path: Path) -> None:
    req = write(tmp_path, {"requirements.txt": "markupsafe==3.0.2\n"}) / "requirements.txt"
    crlf = write(tmp_path / "crlf", {"requirements.txt": b"markupsafe==3.0.2\r\n"}) / "requirements.txt"
    key = deps_cache_key(req, runtime="python3.12", architecture="arm64")
    assert key == deps_cache_key(crlf, runtime="python3.12", architecture="arm64"), "line endings must not matter"
    assert key != deps_cache_key(req, runtime="python3.12", architecture="x86_64")
    assert key != deps_cache_key(req, runtime="python3.13", architecture="arm64")
    req.write_text("markupsafe==3.0.1\n")
    assert key != deps_cache_key(req, runtime="python3.12", architecture="arm64")


def test_nested_requirements_files_are_part_of_the_cache_key(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "-r base.txt\n", "base.txt": "markupsafe==3.0.2\n"})
    key = deps_cache_key(tmp_path / "requirements.txt", runtime="python3.12", architecture="arm64")
    (tmp_path / "base.txt").write_text("markupsafe==3.0.1\n")
    assert key != deps_cache_key(tmp_path / "requirements.txt", runtime="python3.12", architecture="arm64")


class FakePip:
    """Stands in for `python -m pip install --target ...`: records the command and writes what pip would."""

    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    def __call__(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.commands.append(command)
        target = Path(command[command.index("--target") + 1])
        write(
            target,
            {
                "fakepkg/__init__.py": "VALUE = 1\n",
                "fakepkg/__pycache__/__init__.cpython-312.pyc": b"\x00",
                "fakepkg/.libs/libfake.so": b"\x7fELF-fake",
                "fakepkg-1.0.dist-info/METADATA": "Name: fakepkg\nVersion: 1.0\n",
                "fakepkg-1.0.dist-info/RECORD": f"fakepkg/__init__.py,sha256=x,10\n# {target}\n",
                "fakepkg-1.0.dist-info/INSTALLER": "pip\n",
                "fakepkg-1.0.dist-info/REQUESTED": "",
                "fakepkg-1.0.dist-info/direct_url.json": f'{{"url": "file://{target}"}}',
                "bin/fake": f"#!{target}/python\n",
            },
        )
        return subprocess.CompletedProcess(command, 0, "", "")


def test_requirements_install_command_targets_the_lambda_platform(tmp_path: Path, monkeypatch) -> None:
    fake = FakePip()
    monkeypatch.setattr(bundling.subprocess, "run", fake)
    src = write(tmp_path / "src", {**SOURCE, "requirements.txt": "fakepkg==1.0\n"})
    bundle = build_function_bundle(
        str(src), runtime="python3.12", architecture="arm64", name="orders", build_dir=tmp_path / "out",
        cache_dir=tmp_path / "cache",
    )  # fmt: skip

    (command,) = fake.commands
    assert command[1:4] == ["-m", "pip", "install"]
    flags = " ".join(command)
    for expected in ("--implementation cp", "--python-version 3.12", "--platform manylinux2014_aarch64",
                     "--platform manylinux_2_34_aarch64", "--only-binary=:all:", "--no-compile"):  # fmt: skip
        assert expected in flags, f"pip command lacks {expected}: {flags}"
    assert "x86_64" not in flags
    assert command[-2:] == ["-r", str(src / "requirements.txt")]
    # pip's nondeterministic files are stripped; the package (and its hidden .libs) is kept
    assert entries(bundle.path) == sorted(
        [*SOURCE, "fakepkg/__init__.py", "fakepkg/.libs/libfake.so", "fakepkg-1.0.dist-info/METADATA"]
    )


def test_requirements_install_is_cached(tmp_path: Path, monkeypatch) -> None:
    fake = FakePip()
    monkeypatch.setattr(bundling.subprocess, "run", fake)
    src = write(tmp_path / "src", {**SOURCE, "requirements.txt": "fakepkg==1.0\n"})
    args: dict[str, Any] = {"runtime": "python3.12", "architecture": "arm64", "name": "orders"}
    first = build_function_bundle(str(src), build_dir=tmp_path / "a", cache_dir=tmp_path / "cache", **args)
    second = build_function_bundle(str(src), build_dir=tmp_path / "b", cache_dir=tmp_path / "cache", **args)
    layer = build_layer_bundle(str(src), build_dir=tmp_path / "c", cache_dir=tmp_path / "cache", **args)
    assert len(fake.commands) == 1, "the second build and the layer must reuse the cached install"
    assert first.source_code_hash == second.source_code_hash
    assert "python/fakepkg/__init__.py" in entries(layer.path)
    build_function_bundle(
        str(src), runtime="python3.12", architecture="x86_64", name="orders", build_dir=tmp_path / "d",
        cache_dir=tmp_path / "cache",
    )  # fmt: skip
    assert len(fake.commands) == 2, "another architecture needs its own install"
    assert "--platform manylinux2014_x86_64" in " ".join(fake.commands[1])


def test_a_relative_cache_dir_is_resolved_against_the_program_folder(tmp_path: Path, monkeypatch) -> None:
    # pip runs in the requirements file's folder: a relative --target must not be resolved there
    fake = FakePip()
    monkeypatch.setattr(bundling.subprocess, "run", fake)
    monkeypatch.chdir(tmp_path)
    src = write(tmp_path / "src", {**SOURCE, "requirements.txt": "fakepkg==1.0\n"})
    bundle = build_function_bundle(
        "src", runtime="python3.12", architecture="arm64", name="orders", cache_dir="cache", build_dir="out"
    )
    target = fake.commands[0][fake.commands[0].index("--target") + 1]
    assert Path(target).is_absolute() and Path(target).parent == tmp_path / "cache" / "deps", target
    assert "fakepkg/__init__.py" in entries(bundle.path)
    assert not (src / "cache").exists()
    assert Path(bundle.path).parent == tmp_path / "out"


def test_pip_failure_names_the_target_and_keeps_no_partial_cache(tmp_path: Path, monkeypatch) -> None:
    def failing(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution found for nopkg")

    monkeypatch.setattr(bundling.subprocess, "run", failing)
    src = write(tmp_path / "src", {**SOURCE, "requirements.txt": "nopkg==0.0.1\n"})
    with pytest.raises(bundling.PackagingError, match=r"orders: pip could not install .* python3.12/arm64.*nopkg"):
        build_function_bundle(
            str(src), runtime="python3.12", architecture="arm64", name="orders", build_dir=tmp_path / "out",
            cache_dir=tmp_path / "cache",
        )  # fmt: skip
    assert list((tmp_path / "cache" / "deps").iterdir()) == [], "a failed install must not leave a cache entry"


def _pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
    except OSError:
        return False
    return True


ELF_MACHINE_AARCH64 = 183  # e_machine of an ELF file built for arm64


@pytest.mark.slow  # pip downloads and installs wheels in a subprocess
@pytest.mark.skipif(not _pypi_reachable(), reason="pip cannot reach the package index (pypi.org:443)")
def test_arm64_requirements_are_installed_as_aarch64_wheels(tmp_path: Path, monkeypatch) -> None:
    # given a function that needs a package with compiled wheels, built on this (x86_64) machine for arm64
    src = write(tmp_path / "src", {**SOURCE, "requirements.txt": "markupsafe==3.0.2\n"})
    cache = tmp_path / "cache"
    args: dict[str, Any] = {"runtime": "python3.12", "architecture": "arm64", "name": "orders", "cache_dir": cache}

    bundle = build_function_bundle(str(src), build_dir=tmp_path / "a", **args)

    # then the zip carries the cp312 aarch64 extension module, and no pip bookkeeping
    with zipfile.ZipFile(bundle.path) as zf:
        names = zf.namelist()
        (speedups,) = [n for n in names if n.startswith("markupsafe/_speedups.") and n.endswith(".so")]
        elf = zf.read(speedups)
    assert speedups == "markupsafe/_speedups.cpython-312-aarch64-linux-gnu.so", names
    assert int.from_bytes(elf[18:20], "little") == ELF_MACHINE_AARCH64, f"{speedups} is not an aarch64 binary"
    assert not [n for n in names if n.endswith(("/RECORD", "/INSTALLER", "/REQUESTED", ".pyc"))], names

    # and a second build, elsewhere, reuses the cache without calling pip and gives the same zip
    def no_pip(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("pip was called although the install is cached")

    monkeypatch.setattr(bundling.subprocess, "run", no_pip)
    again = build_function_bundle(str(shutil.copytree(src, tmp_path / "copy")), build_dir=tmp_path / "b", **args)
    assert Path(again.path).read_bytes() == Path(bundle.path).read_bytes()


# Built with CPython 3.11, 3.12 and 3.13 (zlib 1.2.13) on x86_64 Linux: all gave this hash.
GOLDEN_SOURCE: dict[str, str | bytes] = {
    "handler.py": "def handler(e, c):\n    return 1\n",
    "lib/__init__.py": 'X = "\u00e9t\u00e9"\n',
    "run.sh": "#!/bin/sh\necho hi\n",
}
GOLDEN_HASH = "Tv1QKECm0uglnNmsm/jkNA5uZq+ZvL2uz58vO6KNaAs="


def test_zip_bytes_match_the_recorded_build(tmp_path: Path) -> None:
    # A different hash here means this machine's Python or zlib writes different zip bytes than the recorded build:
    # functions would publish new versions when deployed from here.
    src = write(tmp_path / "src", GOLDEN_SOURCE)
    bundle = build_function_bundle(str(src), runtime="python3.12", architecture="arm64", name="x", build_dir=tmp_path)
    assert bundle.source_code_hash == GOLDEN_HASH, (
        f"zip bytes differ from the recorded build (zlib {zlib.ZLIB_RUNTIME_VERSION})"
    )

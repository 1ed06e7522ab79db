"""Deterministic Lambda deployment packages: the same inputs give a byte-identical zip on any machine, in any folder.

Why it matters: Lambda publishes a new version whenever the code's SHA-256 changes, and Pulumi shows a diff whenever
``source_code_hash`` changes. A zip that embeds timestamps, file modes, the checkout path or the order the file system
happens to list files in would publish a new version on every machine and every CI run. So the zip written here holds:

- entries sorted by their POSIX relative path (Unicode NFC, so macOS and Linux checkouts agree), no directory entries;
- a fixed timestamp (1980-01-01 00:00:00, the earliest a zip can hold) and ``create_system`` fixed to Unix;
- permissions 0644, or 0755 for files that are executable by content (``#!`` scripts, ELF binaries, ``bootstrap``).
  The mode is read from the content, not the file system, so a Windows checkout (no exec bits) gives the same zip;
  every entry is world-readable because Lambda runs the code as a different user than the one that owns the files;
- ZIP_DEFLATED at a fixed level, no extra fields, no comment.

The bytes also depend on the deflate implementation: stock zlib (1.2.x/1.3.x, what CPython ships on Linux and macOS)
gives identical output; a Python linked against zlib-ng compresses differently. That is the one machine dependence left.

What goes in (the folder's own files, after these exclusions):
- ``__pycache__/``, ``*.pyc``, ``*.pyo``: bytecode is machine- and interpreter-specific and Lambda compiles on import.
- tests: ``tests/`` folders, ``test_*.py``, ``*_test.py``, ``conftest.py``.
- hidden files and folders (any path part starting with ``.``: ``.git``, ``.venv``, ``.pytest_cache``, ``.DS_Store``,
  ``.env``...). Decision: they are tool state, editor files or local secrets, and a function never needs them; a file
  the code reads at run time must have a visible name. Dependencies installed from requirements are not filtered this
  way (some wheels keep shared libraries in ``<pkg>/.libs``).
- the folder's own ``requirements.txt`` (or, without one, ``uv.lock``/``poetry.lock`` with their ``pyproject.toml``,
  exported to pinned requirements with hashes by :mod:`lambdakit.bundling_locks`): it is installed (for the runtime's
  Python version and the function's
  architecture, from binary wheels only) and the installed packages go in instead. A file with the same path in the
  folder and in the installed dependencies is taken from the folder.

Installed dependencies are cached under ``~/.cache/lambdakit/deps/<key>`` (``LAMBDAKIT_CACHE_DIR`` overrides the root),
keyed by the requirements' contents, the Python version and the architecture, so repeated builds and test runs do not
call pip. Pin versions in ``requirements.txt``: an unpinned requirement is resolved once and then served from the cache
(delete the cache folder to resolve again). pip's own nondeterminism is stripped from the install: ``RECORD``,
``INSTALLER``, ``REQUESTED`` and ``direct_url.json`` in ``*.dist-info``, bytecode, and the ``bin/`` folder of console
scripts (their ``#!`` line names the builder's interpreter, which does not exist in Lambda anyway).

Zips are written to ``<cwd>/.lambdakit/build/<name>-<sha256 prefix>.zip`` (cwd is the Pulumi program folder), so the
file name says what is in it, nothing in it depends on where the checkout lives, and rebuilding unchanged inputs
leaves the existing file untouched.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, Unpack

from . import limits

__all__ = [
    "ARCHITECTURES",
    "BuildOptions",
    "Bundle",
    "PackagingError",
    "build_function_bundle",
    "build_layer_bundle",
    "bundle_from_zip",
    "deps_cache_key",
    "install_requirements",
    "module_exists",
    "pip_platforms",
    "python_version",
    "source_files",
]

ARCHITECTURES = limits.ARCHITECTURES
# The machine name wheels use for each Lambda architecture.
_WHEEL_MACHINE = {"arm64": "aarch64", "x86_64": "x86_64"}

# glibc of the OS under each Python runtime: python3.8-3.11 run on Amazon Linux 2 (glibc 2.26), python3.12 and later
# on Amazon Linux 2023 (glibc 2.34), the retired python3.7 and earlier on Amazon Linux 1 (glibc 2.17). A manylinux_2_X
# wheel runs where glibc >= 2.X. Source: https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
_LAST_AL1_PYTHON_MINOR = 7
_LAST_AL2_PYTHON_MINOR = 11
_GLIBC_AL1 = 17
_GLIBC_AL2 = 26
_GLIBC_AL2023 = 34
_MANYLINUX_FLOOR = 17  # manylinux2014 == manylinux_2_17; older wheels come in through pip's manylinux2014 aliases

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
COMPRESS_LEVEL = 6
_UNIX = 3  # ZipInfo.create_system for Unix: external_attr then carries the POSIX mode
# Lambda rejects a deployment package (function or layer) that unzips to more than 250 MB; a zip uploaded directly
# may be at most 50 MB, which is not enforced here: the caller knows how the bundle is uploaded.
UNZIPPED_MAX_BYTES = limits.UNZIPPED_MAX_BYTES
ZIPPED_DIRECT_UPLOAD_MAX_BYTES = limits.ZIPPED_DIRECT_UPLOAD_MAX_BYTES

BUILD_SUBDIR = Path(".lambdakit") / "build"
# Bump when the install command or the normalisation below changes, so old cache entries are not reused.
_CACHE_FORMAT = "1"

_EXCLUDED_DIRS = frozenset({"__pycache__", "tests"})
_EXCLUDED_SUFFIXES = (".pyc", ".pyo")
_PIP_NOISE = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
_PYTHON_RUNTIME_RE = re.compile(r"^python3\.(\d+)$")
_NAME_UNSAFE_RE = re.compile(r"[^A-Za-z0-9._-]+")
_NESTED_REQUIREMENTS_RE = re.compile(r"^\s*(?:-r|-c|--requirement|--constraint)[\s=]+(\S+)")


@dataclass(frozen=True)
class Bundle:
    """A deployment package on disk.

    ``source_code_hash`` is base64(SHA-256(zip bytes)): what Lambda reports as ``CodeSha256`` and what pulumi-aws's
    ``source_code_hash`` expects. Pulumi hands a ``FileArchive`` that already is a zip to the provider unchanged, so
    this is also the hash of what gets uploaded.
    """

    path: str
    source_code_hash: str
    size: int


class PackagingError(RuntimeError):
    """Installing a bundle's requirements failed (pip's own message is included)."""


# --------------------------------------------------------------------------------------------------- validation


def python_version(runtime: str) -> str | None:
    """``"python3.12"`` -> ``"3.12"``; ``None`` for a runtime that is not Python."""
    match = _PYTHON_RUNTIME_RE.match(runtime) if isinstance(runtime, str) else None
    return f"3.{match.group(1)}" if match else None


def _check_target(name: str, runtime: object, architecture: object) -> None:
    if not isinstance(name, str) or not _NAME_UNSAFE_RE.sub("", name):
        raise ValueError(f"packaging: name must be a non-empty string, got {name!r}")
    if not isinstance(runtime, str) or not runtime:
        raise ValueError(f"{name}: runtime must be a non-empty string such as 'python3.12', got {runtime!r}")
    if architecture not in ARCHITECTURES:
        raise ValueError(f"{name}: architecture must be one of {', '.join(ARCHITECTURES)}; got {architecture!r}")


def _check_source_dir(name: str, field: str, source_dir: object) -> Path:
    if not isinstance(source_dir, str | os.PathLike) or not str(source_dir):
        raise ValueError(f"{name}: {field} must be a folder path, got {source_dir!r}")
    path = Path(source_dir)
    if not path.exists():
        raise ValueError(f"{name}: {field} folder {str(source_dir)!r} does not exist")
    if not path.is_dir():
        raise ValueError(f"{name}: {field} {str(source_dir)!r} is not a folder (use bundle_from_zip for a zip)")
    return path.resolve()


def module_exists(source_dir: str | os.PathLike[str], handler: str) -> bool:
    """Whether the module named by a Python handler string (``"handler.handler"``, ``"pkg/app.main"``) is in the folder.

    Lambda's Python bootstrap accepts ``/`` or ``.`` between package parts; the last ``.`` separates the function.
    A module that only a layer provides is not in the folder: the caller decides whether that is an error.
    """
    if not isinstance(handler, str) or "." not in handler:
        return False
    module = handler.rsplit(".", 1)[0].replace(".", "/")
    if not module or module.startswith("/") or ".." in module.split("/"):
        return False
    root = Path(source_dir)
    return (root / f"{module}.py").is_file() or (root / module / "__init__.py").is_file()


# --------------------------------------------------------------------------------------------------- source files


def _excluded(parts: tuple[str, ...]) -> bool:
    *folders, filename = parts
    for part in folders:
        if part.startswith(".") or part in _EXCLUDED_DIRS:
            return True
    if filename.startswith(".") or filename.endswith(_EXCLUDED_SUFFIXES) or filename == "conftest.py":
        return True
    return filename.endswith(".py") and (filename.startswith("test_") or filename.endswith("_test.py"))


def _walk(root: Path, *, apply_exclusions: bool) -> dict[str, Path]:
    """Relative POSIX path (NFC) -> file, following symlinks (their content is packaged) without looping."""
    found: dict[str, Path] = {}
    seen_dirs: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen_dirs:  # a symlink cycle
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        rel_dir = Path(dirpath).relative_to(root).parts
        if apply_exclusions:
            dirnames[:] = [d for d in dirnames if not (d.startswith(".") or d in _EXCLUDED_DIRS)]
        else:
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for filename in filenames:
            parts = (*rel_dir, filename)
            if apply_exclusions and _excluded(parts):
                continue
            if not apply_exclusions and filename.endswith(_EXCLUDED_SUFFIXES):
                continue
            full = Path(dirpath, filename)
            if not full.is_file():  # a dangling symlink, a socket
                continue
            found[unicodedata.normalize("NFC", "/".join(parts))] = full
    return found


def source_files(source_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """The files a bundle takes from a source folder (exclusions applied, ``requirements.txt`` included)."""
    return dict(sorted(_walk(Path(source_dir), apply_exclusions=True).items()))


# --------------------------------------------------------------------------------------------------- requirements


def _requirements_text(path: Path) -> str:
    # CRLF and LF checkouts of the same file must give the same cache key.
    return path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")


def _has_requirements(path: Path) -> bool:
    if not path.is_file():
        return False
    lines = (line.split("#", 1)[0].strip() for line in _requirements_text(path).splitlines())
    return any(lines)


def pip_platforms(runtime: str, architecture: str) -> list[str]:
    """The ``--platform`` tags whose wheels run on a Python runtime's OS, newest glibc first."""
    version = python_version(runtime)
    if version is None:
        raise ValueError(f"runtime {runtime!r} is not a Python runtime; only Python runtimes install requirements")
    minor = int(version.split(".")[1])
    if minor <= _LAST_AL1_PYTHON_MINOR:
        glibc = _GLIBC_AL1
    elif minor <= _LAST_AL2_PYTHON_MINOR:
        glibc = _GLIBC_AL2
    else:
        glibc = _GLIBC_AL2023
    machine = _WHEEL_MACHINE[architecture]
    tags = [f"manylinux_2_{g}_{machine}" for g in range(glibc, _MANYLINUX_FLOOR - 1, -1)]
    return [*tags, f"manylinux2014_{machine}"]


def _requirements_inputs(requirements: Path, depth: int = 0) -> list[str]:
    """The requirements text plus any ``-r``/``-c`` files it includes, so an edit to those changes the cache key."""
    text = _requirements_text(requirements)
    parts = [text]
    if depth < 5:
        for line in text.splitlines():
            match = _NESTED_REQUIREMENTS_RE.match(line)
            if match and (requirements.parent / match.group(1)).is_file():
                parts.append(f"--- {match.group(1)}")
                parts.extend(_requirements_inputs(requirements.parent / match.group(1), depth + 1))
    return parts


def deps_cache_key(requirements: str | os.PathLike[str], *, runtime: str, architecture: str) -> str:
    """Hex SHA-256 of (cache format, requirements contents, Python version, architecture, platform tags)."""
    path = Path(requirements)
    digest = hashlib.sha256()
    for part in (
        _CACHE_FORMAT,
        str(python_version(runtime)),
        architecture,
        " ".join(pip_platforms(runtime, architecture)),
        *_requirements_inputs(path),
    ):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def _cache_root(cache_dir: str | os.PathLike[str] | None) -> Path:
    # Absolute: pip runs in the requirements file's folder, so a relative --target would land there.
    if cache_dir is not None:
        return Path(cache_dir).resolve()
    if os.environ.get("LAMBDAKIT_CACHE_DIR"):
        return Path(os.environ["LAMBDAKIT_CACHE_DIR"]).resolve()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return (Path(base) / "lambdakit").resolve()


def _strip_pip_noise(target: Path) -> None:
    shutil.rmtree(target / "bin", ignore_errors=True)
    for path in sorted(target.rglob("*"), reverse=True):
        if path.is_dir() and path.name == "__pycache__":
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and (
            path.suffix in _EXCLUDED_SUFFIXES or (path.parent.name.endswith(".dist-info") and path.name in _PIP_NOISE)
        ):
            path.unlink()


def install_requirements(
    requirements: str | os.PathLike[str],
    *,
    runtime: str,
    architecture: str,
    name: str = "packaging",
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Install a requirements file for a Lambda runtime and architecture; returns the (cached) install folder.

    Binary wheels only (``--only-binary=:all:``): a wheel built for the builder's machine would not run in Lambda,
    and an sdist would be compiled for the builder's machine. A requirement without a Linux wheel for the target fails
    with pip's message.
    """
    req = Path(requirements).resolve()
    version = python_version(runtime)
    if version is None:
        raise ValueError(
            f"{name}: runtime {runtime!r} cannot install {req}: requirements.txt is installed only for Python "
            "runtimes (python3.x); remove the file or vendor the dependencies into the folder"
        )
    if architecture not in ARCHITECTURES:
        raise ValueError(f"{name}: architecture must be one of {', '.join(ARCHITECTURES)}; got {architecture!r}")
    root = _cache_root(cache_dir) / "deps"
    final = root / deps_cache_key(req, runtime=runtime, architecture=architecture)
    if final.is_dir():
        return final
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name[:12]}-", dir=root))
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--target",
        str(staging),
        "--implementation",
        "cp",
        "--python-version",
        version,
        *(arg for tag in pip_platforms(runtime, architecture) for arg in ("--platform", tag)),
        "--only-binary=:all:",
        "--no-compile",
        "--no-input",
        "--disable-pip-version-check",
        "--quiet",
        "-r",
        str(req),
    ]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        result = subprocess.run(command, cwd=req.parent, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()[-2000:]
            raise PackagingError(
                f"{name}: pip could not install {req} for {runtime}/{architecture} "
                f"(binary wheels for {pip_platforms(runtime, architecture)[-1]} only): {detail}"
            )
        _strip_pip_noise(staging)
        try:
            staging.rename(final)
        except OSError:
            if not final.is_dir():  # not a concurrent build that got there first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


# --------------------------------------------------------------------------------------------------- the zip


def _executable(arcname: str, data: bytes) -> bool:
    return data.startswith((b"#!", b"\x7fELF")) or arcname.rsplit("/", 1)[-1] == "bootstrap"


def _write_zip(entries: Mapping[str, Path], dest: Path) -> int:
    """Write the deterministic zip; returns the total uncompressed size."""
    total = 0
    with zipfile.ZipFile(dest, "w") as archive:
        for arcname in sorted(entries, key=lambda n: n.encode("utf-8")):
            data = entries[arcname].read_bytes()
            total += len(data)
            info = zipfile.ZipInfo(arcname, date_time=ZIP_EPOCH)
            info.create_system = _UNIX
            info.external_attr = (stat.S_IFREG | (0o755 if _executable(arcname, data) else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)
    return total


def _digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.digest()


def _build_dir(build_dir: str | os.PathLike[str] | None) -> Path:
    return Path(build_dir).resolve() if build_dir is not None else Path.cwd() / BUILD_SUBDIR


def _finish(name: str, entries: Mapping[str, Path], build_dir: str | os.PathLike[str] | None) -> Bundle:
    if not entries:
        raise ValueError(f"{name}: the bundle would be empty (every file in the source folder is excluded)")
    out_dir = _build_dir(build_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".partial-", suffix=".zip", dir=out_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        unzipped = _write_zip(entries, tmp)
        if unzipped > UNZIPPED_MAX_BYTES:
            raise ValueError(
                f"{name}: the bundle unzips to {unzipped} bytes; Lambda allows at most {UNZIPPED_MAX_BYTES} "
                "(250 MB) for a function or layer package"
            )
        digest = _digest(tmp)
        final = out_dir / f"{_NAME_UNSAFE_RE.sub('-', name)}-{digest.hex()[:16]}.zip"
        if final.is_file() and _digest(final) == digest:
            tmp.unlink()  # unchanged inputs: leave the existing file (and its mtime) alone
        else:
            tmp.chmod(0o644)  # mkstemp creates 0600; the zip is a build product others (and CI caches) read
            os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
    return Bundle(
        path=str(final),
        source_code_hash=base64.b64encode(digest).decode("ascii"),
        size=final.stat().st_size,
    )


def _dependencies(
    root: Path, name: str, field: str, runtime: str, architecture: str, cache_dir: str | os.PathLike[str] | None
) -> dict[str, Path]:
    requirements = root / "requirements.txt"
    if not _has_requirements(requirements):
        from .bundling_locks import export_lockfile, find_lockfile

        lockfile = find_lockfile(root)
        if lockfile is None:
            return {}
        if python_version(runtime) is None:
            raise ValueError(
                f"{name}: runtime {runtime!r} cannot install {field} {lockfile.name} ({lockfile}): Python lockfiles "
                "are installed only for Python runtimes (python3.x)"
            )
        exported = export_lockfile(lockfile, name=name, cache_dir=cache_dir)
        if exported is None:
            return {}
        requirements = exported
    if python_version(runtime) is None:
        raise ValueError(
            f"{name}: runtime {runtime!r} cannot install {field} requirements.txt ({requirements}): requirements "
            "are installed only for Python runtimes (python3.x); remove the file or vendor the dependencies"
        )
    installed = install_requirements(
        requirements, runtime=runtime, architecture=architecture, name=name, cache_dir=cache_dir
    )
    return _walk(installed, apply_exclusions=False)


def _merge(deps: Iterable[tuple[str, Path]], source: Iterable[tuple[str, Path]]) -> dict[str, Path]:
    merged = dict(deps)
    merged.update(source)  # the folder's own file wins over an installed one at the same path
    return merged


class BuildOptions(TypedDict, total=False):
    """Where a bundle is written and cached, and how its folder setting is named in messages."""

    build_dir: str | os.PathLike[str] | None
    """Folder of the zips; defaults to ``<cwd>/.lambdakit/build``."""
    cache_dir: str | os.PathLike[str] | None
    """Root of the dependency cache; defaults to ``$LAMBDAKIT_CACHE_DIR`` or ``~/.cache/lambdakit``."""
    field: str
    """The caller's name for the folder setting, used in error messages; defaults to ``source_path``."""


def _gather(
    source_dir: str, runtime: str, architecture: str, name: str, options: BuildOptions
) -> tuple[Path, dict[str, Path], dict[str, Path]]:
    """(the folder, its own files but requirements.txt, the installed requirements), every input checked."""
    field = options.get("field", "source_path")
    _check_target(name, runtime, architecture)
    root = _check_source_dir(name, field, source_dir)
    from .bundling_locks import lock_inputs

    build_inputs = {"requirements.txt", *lock_inputs(root)}
    files = {k: v for k, v in source_files(root).items() if k not in build_inputs}
    return root, files, _dependencies(root, name, field, runtime, architecture, options.get("cache_dir"))


def build_function_bundle(
    source_dir: str, *, runtime: str, architecture: str, name: str, **options: Unpack[BuildOptions]
) -> Bundle:
    """Zip a function's source folder, with its ``requirements.txt`` installed at the zip's root.

    ``name`` names the bundle file and prefixes error messages; see :class:`BuildOptions` for the rest.
    """
    _, files, deps = _gather(source_dir, runtime, architecture, name, options)
    return _finish(name, _merge(deps.items(), files.items()), options.get("build_dir"))


def build_layer_bundle(
    source_dir: str, *, runtime: str, architecture: str, name: str, **options: Unpack[BuildOptions]
) -> Bundle:
    """Zip a layer folder. For a Python runtime, everything lands under ``python/`` (what Lambda puts on
    ``sys.path`` from ``/opt``): a folder already laid out as ``python/...`` is kept as is, otherwise its files are
    placed under ``python/``; ``requirements.txt`` is installed into ``python/``. Other runtimes' layers are zipped as
    they are laid out (e.g. ``nodejs/node_modules/...``).
    """
    root, files, deps = _gather(source_dir, runtime, architecture, name, options)
    if python_version(runtime) is not None and not (root / "python").is_dir():
        files = {f"python/{k}": v for k, v in files.items()}
    deps = {f"python/{k}": v for k, v in deps.items()}
    return _finish(name, _merge(deps.items(), files.items()), options.get("build_dir"))


def bundle_from_zip(zip_path: str) -> Bundle:
    """A prebuilt zip, used as it is (its bytes are what Lambda gets, so its hash is theirs)."""
    if not isinstance(zip_path, str | os.PathLike) or not str(zip_path):
        raise ValueError(f"zip_path must be a path to a .zip file, got {zip_path!r}")
    path = Path(zip_path).resolve()
    if not path.is_file():
        raise ValueError(f"zip_path {str(zip_path)!r} does not exist or is not a file")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"zip_path {str(zip_path)!r} is not a zip archive")
    digest = _digest(path)
    return Bundle(path=str(path), source_code_hash=base64.b64encode(digest).decode("ascii"), size=path.stat().st_size)

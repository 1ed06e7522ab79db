"""Python lockfiles: ``uv.lock`` and ``poetry.lock`` exported to pinned requirements with hashes, which then go
through the same cross-architecture install as ``requirements.txt`` (:func:`lambdakit.bundling.install_requirements`:
binary wheels for the runtime's Python and the function's architecture, cached by the exported text).

- ``uv.lock``: ``uv export --frozen --no-dev --no-emit-project`` (uv from PyPI, the ``uv`` package pinned in the
  requirements; its ``find_uv_bin`` is used, else ``uv`` on PATH). ``--frozen`` reads the lockfile as it is, without
  resolving or reaching an index, and fails when ``pyproject.toml`` and the lockfile disagree.
- ``poetry.lock``: read with :mod:`tomllib` (no Poetry install needed; poetry-plugin-export would pull in Poetry
  itself). The main dependencies of ``pyproject.toml`` (``[project].dependencies`` or
  ``[tool.poetry.dependencies]``) are followed through the lock's dependency graph, extras included where asked for;
  dev groups are never reached from them. Each package is written as ``name==version`` with every file hash the lock
  records (so pip checks the wheel it picks for the target platform) and its environment markers.

The exported text is written to ``<cache>/lock-exports/<sha256>.txt``; the install cache is keyed by that text, so an
edit to the lockfile that changes no pin does not reinstall.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import bundling
from .bundling import PackagingError

__all__ = ["LOCKFILES", "export_lockfile", "find_lockfile", "poetry_requirements", "uv_requirements"]

LOCKFILES = ("uv.lock", "poetry.lock")
_NAME_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def find_lockfile(folder: Path) -> Path | None:
    """The folder's ``uv.lock`` or ``poetry.lock`` (both at once is ambiguous and refused)."""
    found = [folder / name for name in LOCKFILES if (folder / name).is_file()]
    if len(found) > 1:
        raise ValueError(f"{folder} has both uv.lock and poetry.lock; keep the one the project uses")
    return found[0] if found else None


def _uv_bin(name: str) -> str:
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found,unused-ignore]

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("uv")
    if found is None:
        raise PackagingError(
            f"{name}: exporting uv.lock needs uv, which is neither installed in this Python (pip install uv) nor on "
            "PATH"
        )
    return found


def uv_requirements(folder: Path, *, name: str = "packaging") -> str:
    """The production requirements of a uv project, pinned with hashes, from its ``uv.lock``."""
    if not (folder / "pyproject.toml").is_file():
        raise ValueError(f"{name}: {folder} has a uv.lock but no pyproject.toml; uv exports a lock with its project")
    command = [
        _uv_bin(name),
        "export",
        "--frozen",
        "--no-dev",
        "--no-emit-project",
        "--no-header",
        "--no-annotate",
        "--format",
        "requirements-txt",
        "--project",
        str(folder),
    ]
    env = {**os.environ, "UV_NO_PROGRESS": "1", "NO_COLOR": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False, cwd=folder)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()[-2000:]
        raise PackagingError(f"{name}: uv could not export {folder / 'uv.lock'}: {detail}")
    return result.stdout


def _roots(pyproject: dict[str, Any]) -> list[tuple[str, frozenset[str]]]:
    roots: list[tuple[str, frozenset[str]]] = []
    for spec in pyproject.get("project", {}).get("dependencies", []) or []:
        match = _NAME_RE.match(str(spec))
        if match:
            extras = frozenset(e.strip() for e in (match.group(2) or "").split(",") if e.strip())
            roots.append((_normal(match.group(1)), extras))
    for key, spec in (pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}) or {}).items():
        if key.lower() == "python":
            continue
        extras = frozenset(spec.get("extras", [])) if isinstance(spec, dict) else frozenset()
        if isinstance(spec, dict) and spec.get("optional"):
            continue
        roots.append((_normal(key), extras))
    return roots


def _markers(package: dict[str, Any]) -> str:
    markers = package.get("markers")
    if isinstance(markers, dict):
        markers = markers.get("main")
    return f" ; {markers}" if isinstance(markers, str) and markers.strip() else ""


def _hashes(package: dict[str, Any], metadata_files: dict[str, Any]) -> list[str]:
    files = package.get("files") or metadata_files.get(package["name"]) or []
    return sorted({f["hash"] for f in files if isinstance(f, dict) and str(f.get("hash", "")).startswith("sha256:")})


def poetry_requirements(folder: Path, *, name: str = "packaging") -> str:
    """The main dependencies of a Poetry project, pinned with hashes, from its ``poetry.lock``."""
    pyproject_path, lock_path = folder / "pyproject.toml", folder / "poetry.lock"
    if not pyproject_path.is_file():
        raise ValueError(f"{name}: {folder} has a poetry.lock but no pyproject.toml naming the main dependencies")
    try:
        pyproject = tomllib.loads(pyproject_path.read_text(encoding="utf-8"))
        lock = tomllib.loads(lock_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{name}: cannot read {folder}'s pyproject.toml or poetry.lock: {exc}") from None
    packages = {_normal(p["name"]): p for p in lock.get("package", []) if isinstance(p, dict) and "name" in p}
    metadata_files = lock.get("metadata", {}).get("files", {}) or {}
    wanted: dict[str, set[str]] = {}
    queue: list[tuple[str, frozenset[str]]] = list(_roots(pyproject))
    while queue:
        dep, extras = queue.pop()
        if dep not in packages:
            raise ValueError(
                f"{name}: {lock_path} has no package {dep!r} that pyproject.toml needs; run `poetry lock` there"
            )
        seen = wanted.get(dep)
        if seen is not None and extras <= seen:
            continue
        wanted[dep] = (seen or set()) | set(extras)
        package = packages[dep]
        optional_by_extra = package.get("extras", {}) or {}
        for child, spec in (package.get("dependencies", {}) or {}).items():
            specs = spec if isinstance(spec, list) else [spec]
            if all(isinstance(s, dict) and s.get("optional") for s in specs):
                continue
            child_extras = frozenset(e for s in specs if isinstance(s, dict) for e in s.get("extras", []))
            queue.append((_normal(child), child_extras))
        for extra in extras:
            for requirement in optional_by_extra.get(extra, []):
                match = _NAME_RE.match(str(requirement))
                if match:
                    queue.append((_normal(match.group(1)), frozenset()))
    lines = []
    for dep in sorted(wanted):
        package = packages[dep]
        hashes = _hashes(package, metadata_files)
        if not hashes:
            raise ValueError(f"{name}: {lock_path} records no file hashes for {package['name']}; run `poetry lock`")
        line = f"{package['name']}=={package['version']}{_markers(package)}"
        lines.append(" \\\n    ".join([line, *(f"--hash={h}" for h in hashes)]))
    return "\n".join(lines) + "\n"


def export_lockfile(
    lockfile: Path, *, name: str = "packaging", cache_dir: str | os.PathLike[str] | None = None
) -> Path | None:
    """The lockfile's production requirements (with hashes) as a file in the cache; None when it pins nothing."""
    folder = lockfile.parent
    text = uv_requirements(folder, name=name) if lockfile.name == "uv.lock" else poetry_requirements(folder, name=name)
    if not any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        return None
    root = bundling._cache_root(cache_dir) / "lock-exports"
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{hashlib.sha256(text.encode()).hexdigest()}.txt"
    if not path.is_file():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    return path


def lock_inputs(folder: Path) -> Iterable[str]:
    """Files of a locked project that are build inputs, not code (left out of the zip)."""
    return ("pyproject.toml", *LOCKFILES) if find_lockfile(folder) is not None else ()

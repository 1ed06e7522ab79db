"""Bundles with native wheels built for another machine or Python than the host's.

Handlers run on the host's Python and CPU, so a bundle built for Lambda's arm64 (``orjson`` for
``manylinux_2_17_aarch64``) fails with a bare ``No module named 'orjson.orjson'``. Before an invocation the runner
asks :func:`host_packages`: the wheels in the unpacked bundle whose tags the host cannot run are installed again, the
same name and pinned version, for the host into a side cache (``pip install --no-deps --only-binary :all:
--target``), which goes first on ``sys.path``. The deployed zip is unchanged. Where that is impossible (no wheel of
that version for the host, no network) the invocation fails naming the package and the reason.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

_LOCK = threading.Lock()
_CACHE: dict[str, HostPackages] = {}


@dataclass
class ForeignWheel:
    name: str
    version: str
    tags: list[str]


@dataclass
class HostPackages:
    """What the runner adds for one bundle: a side cache path (or None), notes for the log, an error (or None)."""

    path: Path | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def _host_tags() -> set[str] | None:
    try:
        from packaging.tags import sys_tags
    except ImportError:  # without packaging the check is skipped rather than guessed
        return None
    return {str(t) for t in sys_tags()}


def foreign_wheels(task_root: Path) -> list[ForeignWheel]:
    """Installed wheels (``*.dist-info/WHEEL``) in the bundle with no tag the host's Python supports."""
    host = _host_tags()
    if host is None:
        return []
    found = []
    for wheel in sorted(task_root.glob("*.dist-info/WHEEL")):
        tags: list[str] = []
        for line in wheel.read_text(errors="replace").splitlines():
            if line.startswith("Tag:"):
                tags.append(line.split(":", 1)[1].strip())
        if not tags or any(t.endswith("-none-any") for t in tags):
            continue
        expanded = set()
        for tag in tags:
            interpreter, abi, platforms = tag.split("-", 2) if tag.count("-") >= 2 else (tag, "", "")
            for i in interpreter.split("."):
                for p in platforms.split("."):
                    expanded.add(f"{i}-{abi}-{p}")
        if expanded & host:
            continue
        stem = wheel.parent.name[: -len(".dist-info")]
        name, _, version = stem.partition("-")
        found.append(ForeignWheel(name, version, tags))
    return found


def host_packages(task_root: Path, cache_root: Path) -> HostPackages:
    """The host's wheels for the bundle's foreign ones (installed once per bundle and cached)."""
    key = str(task_root)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        foreign = foreign_wheels(task_root)
        result = HostPackages()
        if foreign:
            digest = hashlib.sha256(key.encode()).hexdigest()[:16]
            target = cache_root / "host-wheels" / digest
            pins = [f"{w.name}=={w.version}" for w in foreign]
            pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps"]
            done = subprocess.run(
                [*pip, "--only-binary", ":all:", "--target", str(target), *pins],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            shown = ", ".join(f"{w.name} {w.version} ({w.tags[0]})" for w in foreign)
            if done.returncode == 0:
                result.path = target
                result.notes.append(
                    f"[sandbox] the bundle holds native wheels for another machine or Python: {shown}; running with "
                    f"the same versions installed for this host into a side cache (the deployed zip is unchanged)"
                )
            else:
                reason = " ".join((done.stderr or done.stdout).split())[-400:] or f"pip exited {done.returncode}"
                result.error = (
                    f"the bundle holds native wheels this host cannot run: {shown}; installing "
                    f"{', '.join(pins)} for this host failed: {reason}"
                )
        _CACHE[key] = result
        return result

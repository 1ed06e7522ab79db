"""The package version, from one source: the ``version`` in ``pyproject.toml``, which becomes the package metadata.

Installed from a wheel, it is read from the package metadata. Run from a source tree (an editable install, or the
Pulumi plugin host in ``components/``, which Pulumi runs from a clone of the repository), it is read from that
tree's ``pyproject.toml``, the file the metadata is built from, so the two cannot disagree.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_SOURCE_ROOT = _PACKAGE_DIR.parent.parent


def _from_source_tree() -> str | None:
    if _PACKAGE_DIR != _SOURCE_ROOT / "components" / "lambdakit":
        return None
    try:
        project = tomllib.loads((_SOURCE_ROOT / "pyproject.toml").read_text()).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None
    version = project.get("version")
    return version if project.get("name") == "lambdakit" and isinstance(version, str) else None


def _version() -> str:
    found = _from_source_tree()
    if found is not None:
        return found
    try:
        return metadata.version("lambdakit")
    except metadata.PackageNotFoundError:
        raise RuntimeError(
            f"lambdakit cannot tell its own version: {_PACKAGE_DIR} is neither an installed package (pip install "
            "lambdakit) nor part of a source tree with its pyproject.toml"
        ) from None


__version__: str = _version()

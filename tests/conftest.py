"""Shared pytest configuration: the repository root is importable (tests, tools); lambdakit is installed."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Folders whose tests deploy into an emulator, build and install wheels or run the Pulumi CLI: seconds each.
SLOW_FOLDERS = ("emulated", "package", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under a slow folder is marked `slow`, so `./run tests -m "not slow"` is the fast inner loop."""
    for item in items:
        parts = Path(str(item.fspath)).relative_to(ROOT).parts
        if len(parts) > 1 and parts[0] == "tests" and parts[1] in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move everything loaded so far (the libraries' modules and classes, the collected tests) out of the cyclic
    garbage collector's sight: it lives for the whole session, and each full collection would scan it again (the
    pulumi-aws modules alone are hundreds of thousands of objects)."""
    gc.freeze()

"""Fixtures for the emulated tests: programs deployed into the sandbox (moto + handlers run for real).

One sandbox per test module (module scope), because moto keeps its state per process and the sandbox patches moto's
Lambda while it runs: other test packages must never see it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lambdakit.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=7) as running:
        yield running

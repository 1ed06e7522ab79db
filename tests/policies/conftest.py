"""Policy-test fixtures: one pack subprocess per test module, spoken to as the Pulumi CLI does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.policies.helpers import Analyzer


@pytest.fixture(scope="module")
def analyzer() -> Iterator[Analyzer]:
    a = Analyzer()
    try:
        yield a
    finally:
        a.close()

"""A small soak through `lambdakit sandbox --serve` (the full 1,000 x 200 run is benchmarks/bench_sandbox_soak.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from bench_sandbox_soak import soak


@pytest.mark.slow
def test_every_invocation_is_answered_memory_stays_flat_and_no_temp_file_is_left(tmp_path: Path) -> None:
    figures = soak(invocations=120, concurrency=40, workdir=tmp_path)
    assert figures["answered"] == 120 and figures["function_errors"] == 0, figures
    assert figures["growth_mb"] < 150, figures
    assert figures["temp_files_left"] == [], figures
    assert figures["exit_code"] == 0, figures

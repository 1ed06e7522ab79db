"""Fixtures for component tests under Pulumi mocks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lambdakit.program import ProgramRun, Registration, run_program

HANDLER = """import json


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""


class Deployed:
    """What one evaluation registered, with lookups that name what is missing."""

    def __init__(self, run: ProgramRun) -> None:
        self.run = run

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.run.registrations if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Registration:
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        names = [r.name for r in self.of_type(type_)]
        assert len(found) == 1, f"expected one {type_} named {name!r}, registered: {names}"
        return found[0]

    def urn(self, type_: str, name: str | None = None) -> str:
        return self.one(type_, name).urn


@pytest.fixture
def program_dir(tmp_path: Path) -> Path:
    """A minimal Pulumi program folder with a stack `test` and a handler source folder."""
    (tmp_path / "Pulumi.yaml").write_text("name: unit\nruntime: python\n")
    (tmp_path / "Pulumi.test.yaml").write_text("config: {}\n")
    src = tmp_path / "src"
    src.mkdir()
    (src / "handler.py").write_text(HANDLER)
    return tmp_path


@pytest.fixture
def deploy(program_dir: Path) -> Callable[[Callable[[], Any]], Deployed]:
    def _deploy(build: Callable[[], Any]) -> Deployed:
        return Deployed(run_program(program_dir, "test", program=lambda: build() and None))

    return _deploy


@pytest.fixture
def deploy_error(program_dir: Path) -> Callable[[Callable[[], Any]], tuple[BaseException, Deployed]]:
    """Evaluate a program that must fail; return the error and what was registered before it."""

    def _deploy(build: Callable[[], Any]) -> tuple[BaseException, Deployed]:
        run = ProgramRun("", "", {})
        with pytest.raises(BaseException) as info:
            run_program(program_dir, "test", program=lambda: build() and None, into=run)
        return info.value, Deployed(run)

    return _deploy

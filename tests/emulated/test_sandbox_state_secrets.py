"""The stateful sandbox's record keeps no secret: a secret input is its digest (so a change is still an update), a
secret in the outputs is ``[secret]``, and the file is readable by its owner only."""

from __future__ import annotations

import json
import stat
import textwrap
from pathlib import Path

import pytest

from lambdakit.sandbox import Sandbox
from lambdakit.sandbox.state import StateStore
from lambdakit.sandbox.stateful import destroy, up

SECRET = "s3cr3t-token-do-not-store"

PROGRAM = """
import pulumi
from lambdakit import LambdaService

config = pulumi.Config()
LambdaService("vault", {
    "code_path": "src",
    "alarms": {"enabled": False},
    "environment": {"API_TOKEN": config.require_secret("apiToken"), "MODE": "plain"},
})
"""


@pytest.fixture
def program(tmp_path: Path) -> Path:
    root = tmp_path / "vaulted"
    (root / "src").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: vaulted\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config: {}\n")
    (root / "__main__.py").write_text(textwrap.dedent(PROGRAM))
    (root / "src" / "handler.py").write_text("import os\n\ndef handler(event, context):\n    return {'ok': True}\n")
    return root


def test_the_state_file_holds_no_secret_and_a_changed_secret_is_still_an_update(
    sandbox: Sandbox, program: Path, tmp_path: Path
) -> None:
    store = StateStore(tmp_path / "state")
    try:
        first = up(sandbox, store, program, "dev", config_overrides={"vaulted:apiToken": SECRET})
        assert first.deployment is not None
        [svc] = first.deployment.services
        env = sandbox.client("lambda").get_function_configuration(FunctionName=svc.function_name)["Environment"]
        assert env["Variables"]["API_TOKEN"] == SECRET, "the emulator gets the real value, as AWS would"

        text = Path(first.state_file).read_text()
        assert SECRET not in text
        [function] = [r for r in json.loads(text)["resources"] if r["type"] == "aws:lambda/function:Function"]
        # The engine marks the whole environment secret (one secret value in a map makes the map secret).
        assert set(function["inputs"]["environment"]) == {"__secret"}
        assert function["outputs"]["environment"]["variables"]["API_TOKEN"] == "[secret]"
        assert stat.S_IMODE(Path(first.state_file).stat().st_mode) == 0o600

        same = up(sandbox, store, program, "dev", config_overrides={"vaulted:apiToken": SECRET})
        assert [c for c in same.applied if c.op != "same"] == []

        changed = up(sandbox, store, program, "dev", config_overrides={"vaulted:apiToken": SECRET + "-2"})
        functions = [(c.op, c.properties) for c in changed.applied if c.short_type == "Function" and c.op != "same"]
        assert functions == [("update", ["environment"])], changed.applied
        assert SECRET not in Path(changed.state_file).read_text()
        record = json.loads(Path(changed.state_file).read_text())
        assert all(SECRET not in json.dumps(r) for r in record["resources"])
    finally:
        for stack in store.stacks():
            destroy(sandbox, store, stack)

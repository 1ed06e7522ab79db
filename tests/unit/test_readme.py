"""The README's reference tables are generated from the code and must not go stale; its examples run as pasted."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from lambdakit.program import run_program
from tools import readme


def test_component_reference_in_readme_matches_the_code() -> None:
    text = readme.README.read_text()
    match = readme._pattern("component-reference").search(text)
    assert match is not None, "README.md lacks the component-reference markers"
    assert match.group(2) == readme.components_markdown(), (
        "README.md's component reference is stale: run `./run readme` (python -m tools.readme --write)"
    )


def test_component_reference_lists_every_input_with_its_default() -> None:
    table = readme.components_markdown()
    for row in (
        "| `memorySize` | `integer` | no | Memory in MB, 128-10,240. Defaults to 256. |",
        "| `sourcePath` |",
        "### LambdaService (`lambdakit:index:LambdaService`)",
        "#### SqsSourceArgs",
    ):
        assert row in table, f"{row!r} missing from the generated reference"


# --- every Python example of the README runs as pasted -----------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def python_examples() -> list[str]:
    return PYTHON_BLOCK.findall(readme.README.read_text())


def test_the_readme_has_python_examples() -> None:
    assert python_examples(), "README.md has no ```python blocks"


@pytest.mark.parametrize("index", range(len(python_examples())))
def test_each_python_example_of_the_readme_runs_under_mocks(index: int, tmp_path: Path) -> None:
    # Given a new program folder holding exactly the example as its __main__.py, and the folders it names
    code = python_examples()[index]
    program = tmp_path / "example"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: example\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config: {}\n")
    (program / "__main__.py").write_text(code)
    for folder in sorted(set(re.findall(r'"(functions/[\w/-]+)"', code))):
        (program / folder).mkdir(parents=True)
        (program / folder / "handler.py").write_text("def handler(event, context):\n    return event\n")
    for folder in sorted(set(re.findall(r'"(layers/[\w/-]+)"', code))):
        shutil.copytree(ROOT / folder, program / folder)
    # When it runs as `pulumi up` would run it (under mocks)
    run = run_program(program, "dev")
    # Then it registers resources and its exports
    assert run.registrations, f"README example {index} registered nothing:\n{code}"
    for name in re.findall(r'pulumi\.export\("([\w-]+)"', code):
        assert name in run.exports, f"README example {index}: export {name!r} missing"

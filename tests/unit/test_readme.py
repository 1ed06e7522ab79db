"""The README's component reference is generated from the code and must not go stale."""

from __future__ import annotations

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

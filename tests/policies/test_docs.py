"""The README's policy table is generated from the pack's metadata; this fails when it is stale."""

from __future__ import annotations

from pathlib import Path

from lambdakit.policies.docs import END_MARKER, START_MARKER, readme_block, rule_table_markdown
from lambdakit.policies.pack import RULES

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_policy_table_is_current() -> None:
    text = README.read_text() if README.exists() else ""
    block = readme_block(text)
    assert block is not None, f"README.md has no {START_MARKER} ... {END_MARKER} markers"
    assert block.strip() == rule_table_markdown().strip(), (
        "README.md's policy table is stale; regenerate it with: python -m policies.docs --write README.md"
    )


def test_table_has_a_row_per_rule_with_levels_and_anchors() -> None:
    lines = rule_table_markdown().splitlines()
    assert lines[0] == "| Rule | Kind | What it checks | dev | staging | prod | Anchors |"
    rows = lines[2:]
    assert len(rows) == len(RULES)
    for rule, row in zip(RULES, rows, strict=True):
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert cells[0] == f"`{rule.name}`", row
        assert all(level in {"mandatory", "advisory", "disabled", "disabled (opt-in)"} for level in cells[3:6]), row
        assert cells[6], f"{rule.name} has no anchors"


def test_security_hub_anchors_are_present() -> None:
    table = rule_table_markdown()
    for anchor in ("Security Hub Lambda.1", "Security Hub Lambda.2", "Security Hub Lambda.7", "CKV_AWS_45"):
        assert anchor in table, anchor

"""The README's policy table, rendered from the pack's metadata and the environment files."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel

from .pack import ENVIRONMENTS, RULES, load_config, resolve

START_MARKER = "<!-- policy-table:start -->"
END_MARKER = "<!-- policy-table:end -->"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _level(level: EnforcementLevel, opt_in: bool) -> str:
    if level == EnforcementLevel.DISABLED and opt_in:
        return "disabled (opt-in)"
    return level.value


def rule_table_markdown() -> str:
    """A Markdown table of every rule: name, kind, what it checks, level per environment, anchors."""
    levels = {env: resolve(load_config(env)) for env in ENVIRONMENTS}
    header = ["Rule", "Kind", "What it checks", *ENVIRONMENTS, "Anchors"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for rule in RULES:
        row = [
            f"`{rule.name}`",
            rule.kind,
            _cell(rule.checks),
            *(_level(levels[env][rule.name][0], rule.opt_in) for env in ENVIRONMENTS),
            _cell(", ".join(rule.anchors)),
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def readme_block(readme: str) -> str | None:
    """The text between the README's policy-table markers, or None when the markers are absent."""
    start = readme.find(START_MARKER)
    end = readme.find(END_MARKER)
    if start < 0 or end < 0 or end < start:
        return None
    return readme[start + len(START_MARKER) : end]


def update_readme(path: str) -> bool:
    """Rewrite the README's policy-table block in place; returns whether anything changed."""
    from pathlib import Path

    file = Path(path)
    text = file.read_text()
    block = readme_block(text)
    if block is None:
        raise SystemExit(f"{path}: no {START_MARKER} ... {END_MARKER} markers")
    wanted = "\n" + rule_table_markdown()
    if block == wanted:
        return False
    start = text.index(START_MARKER) + len(START_MARKER)
    file.write_text(text[:start] + wanted + text[text.index(END_MARKER, start) :])
    return True


if __name__ == "__main__":
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        print("updated" if update_readme(sys.argv[2]) else "up to date")
    else:
        sys.stdout.write(rule_table_markdown())

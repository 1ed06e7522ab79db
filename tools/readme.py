"""Generate the README's reference sections from the code: component inputs/outputs and the policy table.

The component tables come from the same schema that Pulumi's multi-language host infers (types and docstrings), so
the README, the Python API and the TypeScript/Go/C# SDKs cannot drift apart. `python -m tools.readme --write`
rewrites the generated blocks in README.md; `--check` exits 1 when they are stale (a test runs the same check).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def component_schema() -> dict[str, Any]:
    """The plugin's inferred Pulumi package schema."""
    from pulumi.provider.experimental.component import ComponentProvider

    from lambdakit.plugin import PACKAGE_NAME, PLUGIN_COMPONENTS, __version__

    provider = ComponentProvider(PLUGIN_COMPONENTS, PACKAGE_NAME, PACKAGE_NAME, __version__)
    assert provider.schema is not None
    return json.loads(provider.schema)


def _type_name(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return prop["$ref"].rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list[{_type_name(prop.get('items', {}))}]"
    if kind == "object":
        return f"map[{_type_name(prop.get('additionalProperties', {'type': 'string'}))}]"
    return str(kind)


def _cell(text: str | None) -> str:
    return " ".join((text or "").split()).replace("|", "\\|")


def _table(props: dict[str, Any], required: list[str], *, with_required: bool) -> list[str]:
    head = "| name | type | required | description |" if with_required else "| name | type | description |"
    rule = "|---|---|---|---|" if with_required else "|---|---|---|"
    rows = [head, rule]
    for name in sorted(props):
        p = props[name]
        cells = [f"`{name}`", f"`{_type_name(p)}`"]
        if with_required:
            cells.append("yes" if name in required else "no")
        cells.append(_cell(p.get("description")))
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def components_markdown() -> str:
    schema = component_schema()
    out: list[str] = []
    for token, res in schema["resources"].items():
        name = token.rsplit(":", 1)[-1]
        out += [f"### {name} (`{token}`)", "", _cell(res.get("description")), "", "Inputs:", ""]
        out += _table(res.get("inputProperties", {}), res.get("requiredInputs", []), with_required=True)
        out += ["", "Outputs:", ""]
        out += _table(res.get("properties", {}), [], with_required=False)
        out.append("")
    out += ["### Nested input types", ""]
    for token, typ in sorted(schema.get("types", {}).items()):
        out += [f"#### {token.rsplit(':', 1)[-1]}", "", _cell(typ.get("description")), ""]
        out += _table(typ.get("properties", {}), typ.get("required", []), with_required=True)
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def policies_markdown() -> str:
    from lambdakit.policies.docs import rule_table_markdown

    return rule_table_markdown().rstrip() + "\n"


BLOCKS: dict[str, Callable[[], str]] = {
    "component-reference": components_markdown,
    "policy-table": policies_markdown,
}


def _pattern(block: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- {block}:start -->\n)(.*?)(<!-- {block}:end -->)", re.S)


def render(text: str) -> str:
    for block, generate in BLOCKS.items():
        pattern = _pattern(block)
        if pattern.search(text):
            body = generate()

            def replace(m: re.Match[str], body: str = body) -> str:
                return m.group(1) + body + m.group(3)

            text = pattern.sub(replace, text)
    return text


def stale_blocks(text: str) -> list[str]:
    """Names of generated blocks whose content differs from what the code generates now."""
    stale = []
    for block, generate in BLOCKS.items():
        match = _pattern(block).search(text)
        if match is None or match.group(2) != generate():
            stale.append(block)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help="rewrite the generated blocks in README.md")
    group.add_argument("--check", action="store_true", help="exit 1 when a generated block is stale")
    args = parser.parse_args(argv)
    text = README.read_text()
    if args.write:
        README.write_text(render(text))
        return 0
    stale = stale_blocks(text)
    if stale:
        print(f"README.md is stale in: {', '.join(stale)}; run `python -m tools.readme --write`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

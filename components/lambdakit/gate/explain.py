"""``lambdakit gate --explain RULE``: what a rule checks, its anchors, its level and settings per environment (the
pack's ``config/<env>.json``), and a passing and a failing example, each run through the rule as it is printed."""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from .model import GateError


def _pack_modules(pack_dir: Path | None) -> tuple[ModuleType, ModuleType, ModuleType]:
    """(pack, examples, iam_data) of the installed pack, or of the pack folder given."""
    import lambdakit.policies as installed

    base = "lambdakit.policies"
    if pack_dir is not None and Path(pack_dir).resolve() != Path(installed.__file__).resolve().parent:
        folder = Path(pack_dir).resolve()
        if not (folder / "pack.py").is_file():
            raise GateError(f"{folder} is not a lambdakit policy pack folder (no pack.py)")
        base = f"lambdakit_explained_pack_{abs(hash(str(folder)))}"
        if base not in sys.modules:
            spec = importlib.util.spec_from_file_location(
                base, folder / "__init__.py", submodule_search_locations=[str(folder)]
            )
            if spec is None or spec.loader is None:
                raise GateError(f"cannot load the policy pack from {folder}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[base] = module
            spec.loader.exec_module(module)
    return (
        importlib.import_module(f"{base}.pack"),
        importlib.import_module(f"{base}.examples"),
        importlib.import_module(f"{base}.iam_data"),
    )


def _wrap(text: str, indent: str = "  ", width: int = 116) -> list[str]:
    import textwrap

    return textwrap.wrap(" ".join(text.split()), width=width, initial_indent=indent, subsequent_indent=indent)


def _shown(value: Any) -> Any:
    """A value as a reader wants it: a JSON document held in a string (a policy) is shown as the document."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _dump(value: Any) -> str:
    return json.dumps(_shown(value), sort_keys=True)


def _example_lines(example: Any, base: Any = None) -> list[str]:
    """The example's resources, one property per line; with `base` (the passing example), only what differs."""
    before = {(r.type, r.name): r for r in base.resources} if base is not None else {}
    lines = []
    for r in example.resources:
        old = before.pop((r.type, r.name), None)
        if old is not None and old.props == r.props and old.links == r.links and old.depends_on == r.depends_on:
            continue
        lines.append(f"    {r.type} {r.name!r}" + (" (as above, except)" if old is not None else ""))
        for key in sorted(set(r.props) | set(old.props if old is not None else ())):
            if old is None:
                lines.append(f"      {key}: {_dump(r.props[key])}")
            elif key not in r.props:
                lines.append(f"      {key}: removed (was {_dump(old.props[key])})")
            elif key not in old.props:
                lines.append(f"      {key}: {_dump(r.props[key])} (added)")
            elif old.props[key] != r.props[key]:
                lines.append(f"      {key}: {_dump(r.props[key])} (was {_dump(old.props[key])})")
        links = ", ".join(f"{k} <- {', '.join(v)}" for k, v in r.links.items())
        if links:
            lines.append(f"      computed from: {links}")
        if r.depends_on:
            lines.append(f"      depends on: {', '.join(r.depends_on)}")
    lines += [f"    {t} {n!r}: not in this example" for t, n in before]
    if example.settings:
        lines.append(f"    settings: {json.dumps(example.settings, sort_keys=True)}")
    return lines


def explain(rule_name: str, pack_dir: Path | None = None) -> str:
    """The explanation of one rule; a GateError naming the nearest rule when there is no such rule."""
    pack, examples, iam_data = _pack_modules(pack_dir)
    rule = pack.RULES_BY_NAME.get(rule_name)
    if rule is None:
        close = difflib.get_close_matches(rule_name, list(pack.RULES_BY_NAME), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise GateError(f"--explain: no rule {rule_name!r} in the pack{hint} (rules: {', '.join(pack.RULES_BY_NAME)})")
    lines = [
        f"{rule.name}: {rule.kind} rule, severity {rule.severity.value}, default level {rule.default_level.value}",
        *_wrap(rule.description),
        "",
        "What it checks:",
        *_wrap(rule.checks),
        "How to fix it:",
        *_wrap(rule.remediation),
        f"Anchors: {', '.join(rule.anchors) or '-'}",
        f"Docs: {rule.url}",
    ]
    check = rule.stack_check or rule.resource_check
    if str(getattr(check, "__module__", "")).endswith(".iam"):
        info = iam_data.dataset_info()
        lines.append(f"IAM facts: {info['name']} {info['version']} (AWS data of {info['updated']})")
    lines += ["", f"Level and settings per environment ({pack.CONFIG_DIR}/<env>.json):"]
    for env in pack.ENVIRONMENTS:
        level, settings = pack.resolve(pack.load_config(env))[rule.name]
        shown = ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(settings.items()))
        lines.append(f"  {env:<8} {level.value:<9} {shown}".rstrip())
    if rule.config:
        lines.append("Settings (default):")
        for key, spec in rule.config.items():
            lines.append(f"  {key}: {spec.get('description', '')} (default {json.dumps(spec.get('default'))})")
    pair = examples.example_pair(rule.name)
    if pair is None:
        lines += ["", "No examples for this rule."]
        return "\n".join(lines)
    for label, example, should_fail in (("Passing", pair[0], False), ("Failing", pair[1], True)):
        violations, _ = examples.evaluate(rule.name, example)
        example_lines = _example_lines(example, pair[0] if should_fail else None)
        lines += ["", f"{label} example: {example.shows}", *example_lines]
        if should_fail and violations:
            lines.append("  -> the rule reports:")
            lines += [w for v in violations for w in _wrap(v, indent="     ")]
        elif not should_fail and not violations:
            lines.append("  -> the rule reports nothing.")
        else:  # an example that no longer shows what it says is a bug in the pack: say so, never hide it
            lines.append(f"  -> UNEXPECTED: {violations or 'no violation'}")
    return "\n".join(lines)

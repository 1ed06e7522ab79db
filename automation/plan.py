"""Offline plan: evaluate stacks of a program under mocks and print each stack's resources and key settings.

    python -m automation.plan [--program .] [--stack dev --stack prod]

No AWS account and no Pulumi CLI: provider-computed values (ARNs, versions) are mock values.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from automation.program import ProgramRun, run_program

FN = "aws:lambda/function:Function"


def _stacks(program: Path) -> list[str]:
    order = {"dev": 0, "staging": 1, "prod": 2}
    names = [p.name[len("Pulumi.") : -len(".yaml")] for p in program.glob("Pulumi.*.yaml")]
    return sorted(names, key=lambda n: (order.get(n, 9), n))


def _n(value: Any) -> str:
    """Engine numbers arrive as floats; print whole numbers as integers."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "-" if value is None else str(value)


def describe(run: ProgramRun) -> list[str]:
    lines = [f"stack {run.stack}: {len(run.registrations)} resources"]
    for type_, count in sorted(Counter(r.type for r in run.registrations).items()):
        lines.append(f"  {count:>3} x {type_}")
    children: dict[str, list[Any]] = {}
    for r in run.registrations:
        children.setdefault(r.parent, []).append(r)
    header = (
        f"  {'function':<28} {'memory':>6} {'timeout':>7} {'reserved':>8} {'provisioned':>11} {'alias -> version':<22}"
    )
    lines += ["", header]
    for fn in run.by_type(FN):
        siblings = children.get(fn.parent, [])
        pc = next(
            (s for s in siblings if s.type.endswith("provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")), None
        )
        alias = next((s for s in siblings if s.type == "aws:lambda/alias:Alias"), None)
        route = ""
        if alias is not None:
            route = f"{alias.inputs.get('name')} -> {alias.inputs.get('functionVersion')}"
            weights = (alias.inputs.get("routingConfig") or {}).get("additionalVersionWeights") or {}
            route += "".join(f" (+{v}: {w:.0%})" for v, w in weights.items())
        lines.append(
            f"  {fn.inputs.get('name', fn.name):<28} {_n(fn.inputs.get('memorySize')):>6} "
            f"{_n(fn.inputs.get('timeout')):>7} {_n(fn.inputs.get('reservedConcurrentExecutions')):>8} "
            f"{_n(pc.inputs.get('provisionedConcurrentExecutions') if pc else None):>11} {route}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--program", default=".", help="Pulumi program folder (default: .)")
    parser.add_argument("--stack", action="append", help="stack(s) to plan (default: every Pulumi.<stack>.yaml)")
    args = parser.parse_args(argv)
    program = Path(args.program)
    print("Offline plan under Pulumi mocks: no AWS calls; ARNs and versions are placeholders.\n")
    for stack in args.stack or _stacks(program):
        try:
            run = run_program(program, stack)
        except (ValueError, TypeError) as exc:
            print(f"stack {stack}: invalid configuration: {exc}", file=sys.stderr)
            return 1
        print("\n".join(describe(run)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

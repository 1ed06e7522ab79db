"""Offline plan: evaluate stacks of a program under mocks and print each stack's resources and key settings.

    lambdakit plan [--program .] [--stack dev --stack prod]

No AWS account and no Pulumi CLI: provider-computed values (ARNs, versions) are mock values.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from lambdakit.cliutil import EXIT_USAGE, command, debugging, fail, parser, program_dir, stack_file, stacks_of
from lambdakit.program import ProgramRun, StackConfigError, describe_failure, run_program
from lambdakit.redact import redact, remember_run

FN = "aws:lambda/function:Function"


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


@command("plan")
def main(argv: list[str] | None = None) -> int:
    p = parser("plan", __doc__.split("\n\n")[0] + " No AWS account, no Pulumi CLI.")
    p.add_argument("--program", help="Pulumi program folder (default: .)")
    p.add_argument("--stack", action="append", help="stack(s) to plan (default: every Pulumi.<stack>.yaml)")
    args = p.parse_args(argv)
    program = program_dir(args.program)
    stacks = args.stack or stacks_of(program)
    if not stacks:
        return fail("lambdakit plan", f"{program} has no stack files (Pulumi.<stack>.yaml)")
    for stack in stacks:
        stack_file(program, stack)
    print("Offline plan under Pulumi mocks: no AWS calls; ARNs and versions are placeholders.\n")
    for stack in stacks:
        try:
            run = run_program(program, stack)
        except StackConfigError as exc:
            return fail("lambdakit plan", str(exc))
        except Exception as exc:
            if debugging():
                raise
            return fail("lambdakit plan", f"stack {stack}: {describe_failure(exc, program)}", EXIT_USAGE)
        remember_run(run)
        print(redact("\n".join(describe(run))) + "\n", flush=True)
    return 0

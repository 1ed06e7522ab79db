"""``lambdakit gate``: the offline policy gate on the command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from lambdakit.cliutil import command
from lambdakit.redact import redact, redact_obj

from .model import GateError
from .reports import format_report, junit_error, junit_xml, sarif, sarif_error
from .run import run_gate


@command("gate")
def main(argv: Iterable[str] | None = None) -> int:
    from lambdakit.cliutil import caller_path, key_value, parser, program_dir, stack_file

    p = parser(
        "gate",
        "Offline pre-flight policy gate: run a Pulumi program under mocks and check it with the lambdakit policy "
        "pack over the analyzer protocol (no Pulumi CLI, no cloud credentials). Exit 0 pass, 1 a mandatory "
        "violation, 2 the gate could not run.",
    )
    p.add_argument("--stack", help="stack name; reads Pulumi.<stack>.yaml (required unless --explain)")
    p.add_argument(
        "--explain",
        metavar="RULE",
        help="print what RULE checks, its anchors, its level and settings per environment, and a passing and a "
        "failing example (run through the rule), then exit",
    )
    p.add_argument("--program", help="Pulumi program folder (default: .)")
    p.add_argument(
        "--policy-config",
        help="policy config JSON (default: policy-config/<stack>.json of the program, else the pack's "
        "config/<stack>.json)",
    )
    p.add_argument("--pack", help="policy pack folder (default: the installed pack, `lambdakit policy-pack`)")
    p.add_argument("--sarif", help="write SARIF 2.1.0 results to this file")
    p.add_argument("--junit", help="write JUnit XML results to this file")
    p.add_argument("--workers", type=int, default=None, help="policy pack processes (default: 1)")
    p.add_argument("--config", action="append", default=[], metavar="KEY=VALUE", help="override stack config")
    p.add_argument(
        "--unknown-dependents",
        action="store_true",
        help="send inputs computed from other resources as unknown, roughly as a new stack's first preview sees them",
    )
    args = p.parse_args(list(argv) if argv is not None else None)
    if args.explain:
        from .explain import explain

        try:
            print(explain(args.explain, caller_path(args.pack) if args.pack else None))
        except GateError as exc:
            print(f"lambdakit gate: error: {' '.join(str(exc).split())}", file=sys.stderr)
            return 2
        return 0
    if not args.stack:
        p.error("the following arguments are required: --stack")
    program = program_dir(args.program)
    stack_file(program, args.stack)
    overrides = key_value(args.config, "--config")
    sarif_path = caller_path(args.sarif) if args.sarif else None
    junit_path = caller_path(args.junit) if args.junit else None
    try:
        result = run_gate(
            program,
            args.stack,
            caller_path(args.policy_config) if args.policy_config else None,
            pack_dir=caller_path(args.pack) if args.pack else None,
            config_overrides=overrides or None,
            workers=args.workers,
            unknown_dependents=args.unknown_dependents,
        )
    except GateError as exc:
        message = redact(" ".join(str(exc).split()))
        print(f"lambdakit gate: error: {message}", file=sys.stderr)
        # CI still gets its files, saying why the gate could not run (not an empty, passing-looking report).
        _write_reports(
            sarif_path,
            junit_path,
            lambda: json.dumps(sarif_error(args.stack, message), indent=2),
            lambda: junit_error(args.stack, message),
        )
        return 2
    print(redact(format_report(result)))
    if not _write_reports(
        sarif_path, junit_path, lambda: json.dumps(redact_obj(sarif(result)), indent=2), lambda: junit_xml(result)
    ):
        return 2
    return 1 if result.mandatory else 0


def _write_reports(sarif_path: Any, junit_path: Any, sarif_text: Any, junit_text: Any) -> bool:
    for path, text in ((sarif_path, sarif_text), (junit_path, junit_text)):
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text())
            except OSError as exc:
                print(f"lambdakit gate: error: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
                return False
    return True

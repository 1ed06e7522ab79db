"""``lambdakit sandbox --stack dev``: deploy a stack into a local AWS emulator and smoke-invoke it.

Exit status: 0 when every function answered through its alias without an error, 1 when one did not, 2 when the
deploy itself failed (the message names the resource and what AWS would have said).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from lambdakit.cliutil import caller_path, command, debugging, fail, program_dir, stack_file
from lambdakit.cliutil import parser as cli_parser
from lambdakit.program import StackConfigError, describe_failure
from lambdakit.redact import redact, redact_obj

from .deploy import TriggerCheck, deploy, plan_deploy, refuse_unpublished, smoke, trigger_checks
from .emulator import Sandbox
from .exceptions import SandboxError
from .report import render, to_json


def _payload(spec: str) -> tuple[str, Any]:
    service, sep, value = spec.partition("=")
    if not sep or not service:
        raise argparse.ArgumentTypeError(f"--payload must be SERVICE=JSON or SERVICE=@FILE, got {spec!r}")
    try:
        text = caller_path(value[1:]).read_text() if value.startswith("@") else value
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"--payload {service}: {value[1:]}: {exc.strerror or exc}") from exc
    try:
        return service, json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--payload {service}: not valid JSON ({exc})") from exc


def _config(spec: str) -> tuple[str, str]:
    key, sep, value = spec.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--config must be KEY=VALUE, got {spec!r}")
    return key, value


#: Set by the first SIGINT/SIGTERM. Code under the Pulumi SDK may swallow the KeyboardInterrupt the handler raises
#: (it runs the program on its own event loop); each phase checks this flag after it, so the command still stops.
_STOPPED: list[str] = []


def _interrupt(signum: int, frame: Any) -> None:
    _STOPPED.append(signal.Signals(signum).name)
    raise KeyboardInterrupt


def _quiet_unraisable(unraisable: Any) -> None:
    # An interrupt that lands in a weakref or __del__ callback cannot propagate; Python would print it as
    # "Exception ignored". It is recorded in _STOPPED and raised again at the next checkpoint instead.
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        return
    sys.__unraisablehook__(unraisable)


def _checkpoint() -> None:
    if _STOPPED:
        raise KeyboardInterrupt


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = cli_parser(
        "sandbox",
        "Deploy a stack of a lambdakit Pulumi program into a local AWS emulator (moto) and invoke each function "
        "through its alias. Needs no AWS account and no Pulumi CLI. Exit 0 every function answered, 1 one did not, "
        "2 the deploy failed.",
    )
    parser.add_argument("--stack", default="dev", help="stack to deploy (reads Pulumi.<stack>.yaml). Default: dev")
    parser.add_argument("--program", default=None, help="program folder (with Pulumi.yaml). Default: .")
    parser.add_argument("--json", metavar="FILE", help="also write the report as JSON to FILE")
    parser.add_argument(
        "--payload",
        metavar="SERVICE=JSON",
        type=_payload,
        action="append",
        default=[],
        help="smoke payload for a service (or function name); JSON inline or @file.json. Repeatable",
    )
    parser.add_argument(
        "--config", metavar="KEY=VALUE", type=_config, action="append", default=[], help="override a config value"
    )
    parser.add_argument("--no-invoke", action="store_true", help="deploy and describe only; do not invoke")
    parser.add_argument(
        "--each-trigger",
        action="store_true",
        help="also invoke each function once per trigger, with the event that trigger delivers",
    )
    parser.add_argument(
        "--serve",
        metavar="PORT",
        type=int,
        help="run the emulator on this port and keep it running after the report, for inspection with boto3",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for picking versions on weighted aliases")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="treat the deploy as a first `pulumi up` of the stack: nothing predates it (stricter ordering checks; an "
        "alias naming a version no deploy has published is refused, as `pulumi up` would fail)",
    )
    return parser.parse_args(argv)


def _cannot(stack: str, verb: str, exc: Exception, program: Path) -> int:
    """One line for a plan or deploy that failed (the sandbox's own errors as they are, others described)."""
    if isinstance(exc, SandboxError | StackConfigError):
        return fail("lambdakit sandbox", redact(f"the {stack} stack {verb}: {exc}"))
    if debugging():
        raise exc
    return fail("lambdakit sandbox", redact(f"the {stack} stack {verb}: {describe_failure(exc, program)}"))


@command("sandbox")
def main(argv: list[str] | None = None) -> int:
    from .stateful_cli import SUBCOMMANDS
    from .stateful_cli import main as stateful_main

    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0] in SUBCOMMANDS:
        # `lambdakit sandbox up|destroy|traffic|status|stop`: stacks that live on in a background sandbox.
        return stateful_main(list(argv))
    args = parse_args(argv)
    program = program_dir(args.program)
    stack_file(program, args.stack)
    # Ctrl-C and SIGTERM end every phase the same way: the emulator stops, its port and temporary folders are
    # released (the `with` blocks below unwind), and one line says so. Set explicitly, as a shell starting the
    # command in the background makes the process ignore SIGINT.
    _STOPPED.clear()
    sys.unraisablehook = _quiet_unraisable
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _main(args, program)
    except KeyboardInterrupt:
        print(
            "lambdakit sandbox: interrupted; the emulator stopped and its temporary files were removed", file=sys.stderr
        )
        if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
            # Interrupted inside the Pulumi SDK's event loop, its worker threads wait for futures that will never
            # complete and would hold the interpreter's exit (or print "Task was destroyed" noise). Everything of
            # ours is already released (the emulator, its port, its folders): end here.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        return 130


def _main(args: argparse.Namespace, program: Path) -> int:
    json_path = caller_path(args.json) if args.json else None
    # The program runs once under plain mocks first: input errors end here, before an emulator starts.
    try:
        plan = plan_deploy(program, args.stack, config_overrides=dict(args.config))
        if args.fresh:
            refuse_unpublished(plan)
    except Exception as exc:
        return _cannot(args.stack, "cannot deploy", exc, program)
    print(f"Starting the local AWS emulator and deploying stack {args.stack!r} ...", file=sys.stderr, flush=True)
    _checkpoint()
    sandbox = Sandbox(port=args.serve or 0, seed=args.seed)
    with contextlib.ExitStack() as cleanup:
        # Registered before it starts: an interrupt while it starts still stops it and removes its folders.
        cleanup.callback(sandbox.stop)
        try:
            sandbox.start()
        except SandboxError as exc:
            return fail("lambdakit sandbox", str(exc))
        _checkpoint()
        try:
            deployment = deploy(
                sandbox,
                program,
                args.stack,
                config_overrides=dict(args.config),
                fresh=args.fresh,
                first_deploy=args.fresh,
                progress=lambda line: print(line, file=sys.stderr, flush=True),
                plan=plan,
            )
        except Exception as exc:
            return _cannot(args.stack, "did not deploy", exc, program)
        _checkpoint()
        checks: list[TriggerCheck] = []
        if not args.no_invoke:
            print("Invoking each function through its alias ...", file=sys.stderr, flush=True)
            smoke(sandbox, deployment, dict(args.payload))
            _checkpoint()
            if args.each_trigger:
                checks = trigger_checks(sandbox, deployment)
                _checkpoint()
        payload_dir = None
        if args.serve is not None:
            payload_dir = tempfile.mkdtemp(prefix="lambdakit-sandbox-events-")
            # The sample events are there while the emulator serves; they go with it.
            cleanup.callback(shutil.rmtree, payload_dir, True)
            for view in deployment.services:
                Path(payload_dir, f"{view.name}.json").write_text(json.dumps(view.smoke_payload, indent=2))
        text = render(
            deployment,
            endpoint=sandbox.endpoint_url,
            serving=args.serve is not None,
            payload_dir=payload_dir,
            checks=checks if args.each_trigger else None,
        )
        print(redact(text), flush=True)
        if json_path is not None:
            report = redact_obj(to_json(deployment, endpoint=sandbox.endpoint_url, checks=checks))
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(json.dumps(report, indent=2))
            print(f"\nJSON report written to {args.json}")
        failed = [v.name for v in deployment.services if v.smoke is not None and not v.smoke.ok]
        failed += [c.service for c in checks if not c.result.ok]
        if args.serve is not None:
            try:
                while True:
                    _checkpoint()
                    time.sleep(3600)
            except KeyboardInterrupt:
                print("\nStopping the emulator.", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

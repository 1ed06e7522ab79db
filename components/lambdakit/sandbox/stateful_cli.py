"""``lambdakit sandbox up|destroy|traffic|status|stop``: stacks that live on in a background sandbox.

    lambdakit sandbox up --stack dev            preview, then create or update the stack (an update, as pulumi up)
    lambdakit sandbox traffic --stack dev --rate 5/s --duration 30s
    lambdakit sandbox destroy --stack dev       delete the stack (the background sandbox ends with the last stack)
    lambdakit sandbox status | stop

State lives in ``<program>/.lambdakit/sandbox`` (``--state-dir`` elsewhere): the stacks' records and the running
sandbox's addresses. Exit codes: 0 done, 1 the request failed in the sandbox (a deploy AWS would refuse, an invocation
error in traffic), 2 a usage error or no sandbox to talk to.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from lambdakit.cliutil import EXIT_USAGE, caller_path, command, fail, program_dir, stack_file
from lambdakit.cliutil import parser as cli_parser

from .server import ServerError, read_info, request, start

SUBCOMMANDS = ("up", "destroy", "traffic", "status", "stop")
DEFAULT_STATE_DIR = Path(".lambdakit") / "sandbox"


def _rate(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/s)?\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"--rate must be requests per second like 5/s or 0.5, got {text!r}")
    return float(match.group(1))


def _duration(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|m|min)?\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"--duration must be a time like 30s, 2m or 45, got {text!r}")
    return float(match.group(1)) * (60 if match.group(2) in ("m", "min") else 1)


def _config(spec: str) -> tuple[str, str]:
    key, sep, value = spec.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--config must be KEY=VALUE, got {spec!r}")
    return key, value


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = cli_parser(
        "sandbox",
        "Stacks that live on in a background local sandbox: `up` previews and then creates or updates a stack "
        "(an update of what the last up created, as `pulumi up`), `traffic` sends each service's events through its "
        "alias, `destroy` deletes the stack. No AWS account, no Pulumi CLI.",
    )
    sub = p.add_subparsers(dest="action", required=True)
    for name, help_ in (
        ("up", "preview, then create or update the stack in the background sandbox"),
        ("destroy", "delete every resource of the stack"),
        ("traffic", "send each service's event through its alias at a rate, with per-version counts"),
        ("status", "the background sandbox's address and stacks"),
        ("stop", "stop the background sandbox (its stacks go with it)"),
    ):
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.add_argument("--program", default=None, help="program folder (with Pulumi.yaml). Default: .")
        sp.add_argument(
            "--state-dir", default=None, help=f"sandbox state folder. Default: <program>/{DEFAULT_STATE_DIR}"
        )
        if name in ("up", "destroy", "traffic"):
            sp.add_argument("--stack", default="dev", help="stack (reads Pulumi.<stack>.yaml). Default: dev")
        if name == "up":
            sp.add_argument(
                "--config",
                metavar="KEY=VALUE",
                type=_config,
                action="append",
                default=[],
                help="override a config value",
            )
            sp.add_argument("--seed", type=int, default=0, help="seed for weighted alias routing (a new sandbox only)")
            sp.add_argument(
                "--account-limit",
                type=int,
                default=1000,
                help="the emulated account's concurrency limit (a new sandbox only). Default: 1000",
            )
        if name == "traffic":
            sp.add_argument("--rate", type=_rate, default=1.0, help="requests per second to each service (5/s)")
            sp.add_argument("--duration", type=_duration, default=10.0, help="how long: 30s, 2m (default 10s)")
            sp.add_argument("--service", action="append", help="only this service (repeatable). Default: all")
    return p.parse_args(argv)


@command("sandbox")
def main(argv: list[str]) -> int:
    args = parse_args(argv)
    program = program_dir(args.program)
    state_dir = caller_path(args.state_dir) if args.state_dir else program / DEFAULT_STATE_DIR
    info = read_info(state_dir)
    prog = f"lambdakit sandbox {args.action}"
    if args.action == "up":
        stack_file(program, args.stack)
        if info is None:
            try:
                info = start(state_dir, seed=args.seed, account_limit=args.account_limit, echo=_err)
            except ServerError as exc:
                return fail(prog, str(exc))
        _err(f"Deploying stack {args.stack!r} into the sandbox at {info['endpoint']} ...")
        try:
            reply = request(info, "up", {"program": str(program), "stack": args.stack, "config": dict(args.config)})
        except ServerError as exc:
            return fail(prog, f"the {args.stack} stack did not deploy: {exc}", 1)
        print(reply["preview"])
        print()
        print(reply["report"])
        print()
        print(reply["summary"])
        print(f"State: {reply['stateFile']}. The sandbox keeps running in the background; from another shell:")
        first = next(iter(reply["services"]), None)
        if first:
            print(f"  lambdakit invoke {first['name']} --stack {args.stack} --endpoint-url {info['endpoint']}")
        print(f"  lambdakit sandbox traffic --stack {args.stack} --rate 5/s --duration 30s")
        print(f"  lambdakit sandbox destroy --stack {args.stack}    (or: lambdakit sandbox stop)")
        return 0
    if info is None:
        return fail(prog, f"no sandbox is running for {state_dir}; start one with `lambdakit sandbox up --stack dev`")
    try:
        if args.action == "destroy":
            reply = request(info, "destroy", {"stack": args.stack})
            print(reply["summary"])
            if not reply["left"]:
                print("No stack left: the background sandbox has stopped.")
        elif args.action == "traffic":
            body = {"stack": args.stack, "rate": args.rate, "duration": args.duration, "services": args.service}
            reply = request(info, "traffic", body)
            print(reply["table"])
            errors = sum(sum(s["errorsByVersion"].values()) for s in reply["report"]["services"])
            return 1 if errors else 0
        elif args.action == "status":
            reply = request(info, "status")
            print(f"sandbox at {reply['endpoint']} (pid {reply['pid']}), state in {state_dir}")
            for stack, detail in sorted(reply["stacks"].items()):
                print(f"  {stack}: {detail['resources']} resources, {detail['ups']} up(s)")
            if not reply["stacks"]:
                print("  no stacks")
        else:
            request(info, "stop")
            print("The background sandbox has stopped.")
    except ServerError as exc:
        return fail(prog, str(exc), 1 if args.action in ("destroy", "traffic") else EXIT_USAGE)
    return 0


def _err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)

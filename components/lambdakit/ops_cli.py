"""``lambdakit invoke | prune | canary | release | policy-pack``: operations on a deployed program's services.

A service is named as in the program (``LambdaService("billing", ...)`` is ``billing``) and found with nothing
exported for the tools:

- ``--stack NAME``: by the tags ``LambdaService`` puts on its function (``lambdakit:service``, ``lambdakit:stack``
  and ``lambdakit:project``, the project read from ``Pulumi.yaml`` of ``--program``, default the current folder), in
  the account of the usual boto3 chain (``--profile``, ``--region``) or an emulator (``--endpoint-url``);
- ``--outputs FILE``: a ``pulumi stack export`` state file, the sandbox's ``--json`` report, or stack outputs
  with a ``services`` export;
- ``--function NAME [--alias A]``: directly.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from . import ops
from .canary import (
    AliasTarget,
    CanaryInterrupted,
    CanaryPlan,
    HealthThresholds,
    abort_alias,
    canary_alias,
    signals_interrupt,
)
from .cliutil import EXIT_FAILED, EXIT_OK, UsageError, caller_path, command, parser


def _aws_args(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("AWS")
    group.add_argument("--profile", help="boto3 profile")
    group.add_argument("--region", help="AWS region (default: the profile's, else us-east-1)")
    group.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL") or None,
        help="emulator endpoint, e.g. http://127.0.0.1:5000 (the sandbox's --serve port); default $AWS_ENDPOINT_URL",
    )


def _target_args(p: argparse.ArgumentParser, *, many: bool = False) -> None:
    p.add_argument("service", nargs="?", help="the service's name in the program (its LambdaService name)")
    group = p.add_argument_group("which service")
    group.add_argument("--service", dest="service_opt", metavar="SERVICE", help="same as the positional SERVICE")
    source = group.add_mutually_exclusive_group()
    source.add_argument("--stack", help="find the stack's services by their tags in AWS or the emulator")
    source.add_argument("--outputs", help="a `pulumi stack export` file, the sandbox's --json report or stack outputs")
    source.add_argument("--function", help="a function name, instead of a service")
    group.add_argument("--alias", default=None, help="alias name (default: the service's alias, else live)")
    group.add_argument("--program", help="program folder whose Pulumi.yaml names the project (default: .)")
    if many:
        group.add_argument("--all", action="store_true", help="every service of the stack")


def _clients(args: argparse.Namespace) -> ops.Clients:
    try:
        session = ops.make_session(profile=args.profile, region=args.region, endpoint_url=args.endpoint_url)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except Exception as exc:  # botocore's ProfileNotFound and friends
        raise UsageError(f"cannot set up AWS access: {exc}") from None
    return ops.Clients(session, args.endpoint_url)


def _project(args: argparse.Namespace) -> str | None:
    from .program import StackConfigError, project_name

    folder = caller_path(args.program or ".")
    if args.program is not None and not (folder / "Pulumi.yaml").is_file():
        raise UsageError(f"--program {folder} has no Pulumi.yaml")
    if not (folder / "Pulumi.yaml").is_file():
        return None  # not in a program folder: match by service and stack only
    try:
        return project_name(folder)
    except StackConfigError as exc:
        raise UsageError(str(exc)) from None


def _services(args: argparse.Namespace, clients: ops.Clients) -> dict[str, ops.ServiceRef]:
    if args.outputs:
        return ops.load_services_file(caller_path(args.outputs))
    if args.stack:
        project = _project(args)
        found = ops.find_services(clients, stack=args.stack, project=project)
        if not found:
            where = args.endpoint_url or f"region {clients.session.region_name}"
            raise ops.OpsError(
                f"no lambdakit services of stack {args.stack!r}"
                + (f" (project {project!r})" if project else "")
                + f" in {where}; is the stack deployed there (check --region / --endpoint-url)?"
            )
        return found
    return {}


def _resolve(args: argparse.Namespace, clients: ops.Clients) -> list[ops.ServiceRef]:
    service = args.service or args.service_opt
    if args.service and args.service_opt and args.service != args.service_opt:
        raise UsageError(f"two service names given: {args.service!r} and --service {args.service_opt!r}")
    if args.function:
        if service:
            raise UsageError("give either a service (with --stack or --outputs) or --function, not both")
        return [ops.ServiceRef(service=args.function, function_name=args.function, alias_name=args.alias or "live")]
    if not (args.stack or args.outputs):
        raise UsageError("say where the service is: --stack NAME (found by tags), --outputs FILE or --function NAME")
    services = _services(args, clients)
    if getattr(args, "all", False):
        if service:
            raise UsageError("give either a service or --all, not both")
        return [services[name] for name in sorted(services)]
    if not service:
        raise UsageError(f"name a service; the stack has: {', '.join(sorted(services)) or 'none'}")
    ref = ops.find_service(services, service)
    if args.alias and args.alias != ref.alias_name:
        ref = dataclasses.replace(ref, alias_name=args.alias)
    return [ref]


def _payload(args: argparse.Namespace) -> Any:
    if args.payload_file:
        path = caller_path(args.payload_file)
        try:
            return path.read_bytes()
        except OSError as exc:
            raise UsageError(f"--payload-file {path}: {exc.strerror or exc}") from None
    if args.payload is None:
        return None
    text = args.payload
    if text.startswith("@"):
        path = caller_path(text[1:])
        try:
            text = path.read_text()
        except OSError as exc:
            raise UsageError(f"--payload {text}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--payload must be JSON (or @FILE), got {args.payload!r}: {exc}") from None


def _run(func: Any, args: argparse.Namespace) -> int:
    from .driver import DriverError

    try:
        return int(func(args))
    except (ops.OpsError, DriverError, ValueError) as exc:
        raise UsageError(str(exc)) from None


# --- invoke ------------------------------------------------------------------------------------------------------


def cmd_invoke(args: argparse.Namespace) -> int:
    clients = _clients(args)
    ref = _resolve(args, clients)[0]
    qualifier = args.qualifier or ref.alias_name
    result = ops.invoke(clients.lambda_, ref.function_name, qualifier, _payload(args), invocation_type=args.type)
    print(result.describe())
    return EXIT_OK if result.ok else EXIT_FAILED


@command("invoke")
def invoke_main(argv: list[str]) -> int:
    p = parser("invoke", "Invoke a service's alias: RequestResponse (result and decoded log tail), Event or DryRun.")
    _target_args(p)
    p.add_argument("--type", choices=ops.INVOCATION_TYPES, default="RequestResponse", help="invocation type")
    p.add_argument("--payload", help="JSON event, or @FILE (default {})")
    p.add_argument("--payload-file", help="file holding the event, sent as is")
    p.add_argument("--qualifier", help="a version or another alias instead of the service's alias")
    _aws_args(p)
    return _run(cmd_invoke, p.parse_args(argv))


# --- prune -------------------------------------------------------------------------------------------------------


def cmd_prune(args: argparse.Namespace) -> int:
    clients = _clients(args)
    for ref in _resolve(args, clients):
        report = ops.prune_versions(
            clients.lambda_, ref.function_name, keep=args.keep, dry_run=args.dry_run, force=args.force
        )
        print(report.describe())
    return EXIT_OK


@command("prune")
def prune_main(argv: list[str]) -> int:
    p = parser("prune", "Delete old published versions, keeping the newest N and every version an alias uses.")
    _target_args(p, many=True)
    p.add_argument("--keep", type=int, default=ops.DEFAULT_KEEP, help="newest versions to keep (3)")
    p.add_argument("--dry-run", action="store_true", help="list what would be deleted")
    p.add_argument(
        "--force", action="store_true", help="prune even while an alias routes weights (a canary in progress)"
    )
    _aws_args(p)
    return _run(cmd_prune, p.parse_args(argv))


# --- canary ------------------------------------------------------------------------------------------------------


def _canary_args(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("canary")
    group.add_argument("--steps", default="10,50,100", help="weights in %% or fractions (default 10,50,100)")
    group.add_argument("--bake", type=float, default=300.0, help="seconds each step must stay healthy (300)")
    group.add_argument("--poll", type=float, default=60.0, help="seconds between health readings (60)")
    group.add_argument(
        "--deadline", type=float, help="roll back after this many seconds without data (2 x bake + delivery delay)"
    )
    group.add_argument(
        "--delivery-delay",
        type=float,
        default=180.0,
        help="seconds CloudWatch may deliver metrics late; each step waits this long past its bake (180)",
    )
    group.add_argument("--max-error-rate", type=float, default=0.01, help="errors/invocations limit (0.01)")
    group.add_argument("--max-throttle-rate", type=float, default=0.0, help="throttles/requests limit (0)")
    group.add_argument("--min-invocations", type=int, default=1, help="invocations needed to judge a step (1)")


def _plan(args: argparse.Namespace) -> CanaryPlan:
    try:
        return CanaryPlan(
            steps=CanaryPlan.parse_steps(args.steps),
            bake_seconds=args.bake,
            poll_seconds=args.poll,
            missing_data_deadline_seconds=args.deadline
            if args.deadline is not None
            else max(args.bake * 2 + args.delivery_delay, args.poll),
            delivery_delay_seconds=args.delivery_delay,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _thresholds(args: argparse.Namespace) -> HealthThresholds:
    try:
        return HealthThresholds(
            max_error_rate=args.max_error_rate,
            max_throttle_rate=args.max_throttle_rate,
            min_invocations=args.min_invocations,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _existing_alias(clients: Any, function_name: str, alias_name: str) -> dict[str, Any]:
    """The alias, or a usage error naming it when the function or the alias does not exist where we looked."""
    from botocore.exceptions import ClientError

    try:
        return dict(clients.lambda_.get_alias(FunctionName=function_name, Name=alias_name))
    except ClientError as exc:
        info = exc.response.get("Error", {})
        if info.get("Code") != "ResourceNotFoundException":
            raise
        raise UsageError(
            f"{function_name}:{alias_name}: no such function or alias ({info.get('Message')}); "
            "check the function and alias names, the region and the endpoint"
        ) from None


def cmd_canary(args: argparse.Namespace) -> int:
    clients = _clients(args)
    ref = _resolve(args, clients)[0]
    alias = _existing_alias(clients, ref.function_name, ref.alias_name)
    if args.abort:
        abort_alias(clients.lambda_, ref.function_name, ref.alias_name)
        return EXIT_OK
    if not args.new_version:
        raise UsageError("--new-version is required (or --abort to undo a canary left half-way)")
    plan, thresholds = _plan(args), _thresholds(args)
    stable = args.stable_version
    if stable is None:
        stable = str(alias["FunctionVersion"])
    target = AliasTarget(ref.function_name, ref.alias_name, stable_version=stable, new_version=args.new_version)
    try:
        with signals_interrupt():
            outcome = canary_alias(
                clients.lambda_,
                clients.cloudwatch,
                target,
                plan,
                service=ref.service,
                alarm_names=ref.alarm_names + list(args.alarm or []),
                thresholds=thresholds,
            )
    except CanaryInterrupted as exc:
        print(f"{ref.service}: canary interrupted by {exc.signame}; the alias was rolled back to stable", flush=True)
        return 130
    print(f"{ref.service}: {outcome.result} ({outcome.reason})")
    return EXIT_OK if outcome.result == "promoted" else EXIT_FAILED


@command("canary")
def canary_main(argv: list[str]) -> int:
    p = parser("canary", "Shift a service's alias to a new version step by step with boto3; promote or roll back.")
    _target_args(p)
    p.add_argument("--new-version", help="the published version to shift traffic to (required unless --abort)")
    p.add_argument(
        "--abort",
        action="store_true",
        help="put the service's alias back on its stable (primary) version at 100%%, removing any canary weights "
        "(also after a crash: the weights are read from the alias)",
    )
    p.add_argument("--stable-version", help="the version serving now (default: the alias's version)")
    p.add_argument("--alarm", action="append", help="another alarm name to watch (repeatable)")
    _canary_args(p)
    _aws_args(p)
    return _run(cmd_canary, p.parse_args(argv))


# --- release -----------------------------------------------------------------------------------------------------


def cmd_release(args: argparse.Namespace) -> int:
    from .cliutil import program_dir, stack_file
    from .driver import AutomationBackend, Driver, DriverError, Environment, boto3_ops_for
    from .packdir import default_policy_config, pack_dir
    from .program import StackConfigError, project_name

    program = program_dir(args.program)
    try:
        project = project_name(program)
    except StackConfigError as exc:
        raise UsageError(str(exc)) from None
    stacks = [s for s in args.stacks.split(",") if s]
    if not stacks:
        raise UsageError(f"--stacks names no stack: {args.stacks!r}")
    for name in stacks:
        stack_file(program, name)
    plan = _plan(args)
    no_canary = set(args.no_canary or [])
    packs = [str(caller_path(p)) for p in args.policy_pack] if args.policy_pack else [str(pack_dir())]
    environments = []
    for name in stacks:
        config = default_policy_config(program, name, Path(packs[0]))
        environments.append(
            Environment(
                name,
                canary=None if name in no_canary else plan,
                keep_versions=args.keep,
                policy_pack_config=str(config) if config is not None else None,
            )
        )
    if args.sandbox:
        from .sandbox.rehearsal import release_in_sandbox

        return release_in_sandbox(args, program, project, environments, packs, _thresholds(args))
    profiles: dict[str, str] = {}
    for item in args.env_profile or []:
        stack, sep, profile = item.partition("=")
        if not sep or not stack or not profile:
            raise UsageError(f"--env-profile must be STACK=PROFILE, got {item!r}")
        profiles[stack] = profile
    cache: dict[str | None, ops.Clients] = {}

    def clients_for(env: Environment) -> ops.Clients:
        profile = profiles.get(env.stack, args.profile)
        if profile not in cache:
            session = ops.make_session(profile=profile, region=args.region, endpoint_url=args.endpoint_url)
            cache[profile] = ops.Clients(session, args.endpoint_url)
        return cache[profile]

    try:
        driver = Driver(
            AutomationBackend(program),
            boto3_ops_for(clients_for, _thresholds(args)),
            project=project,
            policy_packs=packs,
            policy_config_dir=program / "policy-config",
        )
    except DriverError as exc:
        raise UsageError(str(exc)) from None
    return EXIT_OK if driver.run(environments).ok else EXIT_FAILED


@command("release")
def release_main(argv: list[str]) -> int:
    p = parser(
        "release",
        "dev -> staging -> prod with the Automation API (needs the Pulumi CLI): per stack, preview with the policy "
        "pack, up, smoke-invoke the new versions, shift traffic by stack config with a health reading at each step, "
        "promote or roll back, prune.",
    )
    p.add_argument("--stacks", default="dev,staging,prod", help="stacks in order (dev,staging,prod)")
    p.add_argument("--program", help="the Pulumi program folder (default: .)")
    p.add_argument("--policy-pack", action="append", help="policy pack folder (default: the installed pack)")
    p.add_argument("--no-canary", action="append", help="stack that promotes without a canary (repeatable)")
    p.add_argument("--keep", type=int, default=ops.DEFAULT_KEEP, help="versions to keep when pruning (3)")
    p.add_argument("--env-profile", action="append", help="STACK=PROFILE: boto3 profile for one stack (repeatable)")
    rehearsal = p.add_argument_group("rehearsal in the local sandbox (no AWS account, no Pulumi CLI)")
    rehearsal.add_argument(
        "--sandbox",
        action="store_true",
        help="rehearse the whole release in a local emulator with the same driver; bake times run on a compressed "
        "sandbox clock with traffic during each bake",
    )
    rehearsal.add_argument(
        "--baseline",
        metavar="DIR",
        help="with --sandbox: the program folder each stack is first deployed from (e.g. a checkout of main), so "
        "the release canaries against its versions",
    )
    rehearsal.add_argument(
        "--traffic-rate",
        type=float,
        default=1.0,
        help="with --sandbox: requests per second of sandbox time to each service under a canary (default 1)",
    )
    rehearsal.add_argument(
        "--account-limit",
        type=int,
        default=1000,
        help="with --sandbox: the emulated account's concurrency limit, as GetAccountSettings reports it (1000)",
    )
    _canary_args(p)
    _aws_args(p)
    return _run(cmd_release, p.parse_args(argv))


# --- policy-pack -------------------------------------------------------------------------------------------------


@command("policy-pack")
def policy_pack_main(argv: list[str]) -> int:
    p = parser(
        "policy-pack",
        'Print the folder of the installed policy pack: pulumi preview --policy-pack "$(lambdakit policy-pack)" '
        "--policy-pack-config policy-config/prod.json",
    )
    p.add_argument("--config", metavar="ENV", help="print the pack's own policy config file for ENV instead")
    args = p.parse_args(argv)
    from .packdir import pack_dir

    folder = pack_dir()
    if args.config:
        path = folder / "config" / f"{args.config}.json"
        if not path.is_file():
            known = sorted(c.stem for c in (folder / "config").glob("*.json"))
            raise UsageError(f"the pack has no config for {args.config!r}; it has: {', '.join(known)}")
        print(path)
    else:
        print(folder)
    return EXIT_OK

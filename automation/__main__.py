"""Command line for lambdakit operations: ``python -m automation <command> ...``.

    invoke   invoke a service's alias (RequestResponse with the decoded log tail, Event, DryRun)
    prune    delete old versions, keeping the newest N and every version an alias uses
    canary   shift an alias's traffic to a new version step by step with boto3, promote or roll back
    release  dev -> staging -> prod with the Automation API: preview+policies, up, smoke, canary, prune
    local    the `local` stack: moto server + `pulumi up --stack local` with a file backend

Services are named as in the stack's ``services`` export, read from ``--outputs FILE`` (``pulumi stack output
--json --show-secrets > FILE``) or from ``--stack NAME`` (needs the Pulumi CLI); or give ``--function`` and
``--alias`` directly. AWS access comes from the usual boto3 chain (``--profile``, ``--region``); ``--endpoint-url``
(or ``AWS_ENDPOINT_URL``) points it at moto or another emulator.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from automation import ops
from automation.canary import AliasTarget, CanaryPlan, HealthThresholds, canary_alias

ROOT = Path(__file__).resolve().parent.parent


def _aws_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("AWS")
    group.add_argument("--profile", help="boto3 profile")
    group.add_argument("--region", help="AWS region (default: the profile's, else us-east-1)")
    group.add_argument("--endpoint-url", help="emulator endpoint, e.g. http://127.0.0.1:5000 (moto server)")


def _target_args(parser: argparse.ArgumentParser, *, service_required: bool = False) -> None:
    group = parser.add_argument_group("target")
    source = group.add_mutually_exclusive_group()
    source.add_argument("--outputs", type=Path, help="stack outputs JSON (pulumi stack output --json)")
    source.add_argument("--stack", help="read the outputs of this stack through the Automation API (needs the CLI)")
    group.add_argument("--program-dir", type=Path, default=ROOT, help="Pulumi program folder for --stack")
    group.add_argument("--service", help="service name in the services export, e.g. order-processor")
    group.add_argument("--function", help="function name (instead of --service)")
    group.add_argument("--alias", default=None, help="alias name with --function (default live)")


def _clients(args: argparse.Namespace) -> ops.Clients:
    session = ops.make_session(profile=args.profile, region=args.region, endpoint_url=args.endpoint_url)
    return ops.Clients(session, args.endpoint_url)


def _stack_outputs(stack_name: str, program_dir: Path) -> dict[str, Any]:
    from automation.driver import AutomationBackend

    return AutomationBackend(program_dir).select(stack_name).outputs()


def _services(args: argparse.Namespace) -> dict[str, ops.ServiceRef]:
    if args.outputs:
        return ops.load_services(ops.load_outputs_file(args.outputs))
    if args.stack:
        return ops.load_services(_stack_outputs(args.stack, args.program_dir))
    return {}


def _resolve(args: argparse.Namespace) -> list[ops.ServiceRef]:
    if args.function:
        if args.service:
            raise ops.OpsError("give either --service (with --outputs/--stack) or --function, not both")
        return [ops.ServiceRef(service=args.function, function_name=args.function, alias_name=args.alias or "live")]
    services = _services(args)
    if not services:
        raise ops.OpsError("say which function: --service NAME with --outputs FILE or --stack NAME, or --function")
    if getattr(args, "all", False):
        return [services[name] for name in sorted(services)]
    if not args.service:
        raise ops.OpsError(f"--service is required; the stack has: {', '.join(sorted(services))}")
    ref = ops.find_service(services, args.service)
    if args.alias and args.alias != ref.alias_name:
        ref = dataclasses.replace(ref, alias_name=args.alias)
    return [ref]


def _payload(args: argparse.Namespace) -> Any:
    if args.payload_file:
        return Path(args.payload_file).read_bytes()
    if args.payload is None:
        return None
    try:
        return json.loads(args.payload)
    except json.JSONDecodeError as exc:
        raise ops.OpsError(f"--payload must be JSON, got {args.payload!r}: {exc}") from None


def cmd_invoke(args: argparse.Namespace) -> int:
    ref = _resolve(args)[0]
    qualifier = args.qualifier or ref.alias_name
    result = ops.invoke(_clients(args).lambda_, ref.function_name, qualifier, _payload(args), invocation_type=args.type)
    print(result.describe())
    return 0 if result.ok else 1


def cmd_prune(args: argparse.Namespace) -> int:
    clients = _clients(args)
    for ref in _resolve(args):
        print(ops.prune_versions(clients.lambda_, ref.function_name, keep=args.keep, dry_run=args.dry_run).describe())
    return 0


def _plan(args: argparse.Namespace) -> CanaryPlan:
    return CanaryPlan(
        steps=CanaryPlan.parse_steps(args.steps),
        bake_seconds=args.bake,
        poll_seconds=args.poll,
        missing_data_deadline_seconds=args.deadline if args.deadline is not None else max(args.bake * 2, args.poll),
    )


def _thresholds(args: argparse.Namespace) -> HealthThresholds:
    return HealthThresholds(
        max_error_rate=args.max_error_rate,
        max_throttle_rate=args.max_throttle_rate,
        min_invocations=args.min_invocations,
    )


def _canary_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("canary")
    group.add_argument("--steps", default="10,50,100", help="weights in %% or fractions (default 10,50,100)")
    group.add_argument("--bake", type=float, default=300.0, help="seconds each step must stay healthy (300)")
    group.add_argument("--poll", type=float, default=60.0, help="seconds between health readings (60)")
    group.add_argument("--deadline", type=float, help="roll back after this many seconds without data (2 x bake)")
    group.add_argument("--max-error-rate", type=float, default=0.01, help="errors/invocations limit (0.01)")
    group.add_argument("--max-throttle-rate", type=float, default=0.0, help="throttles/requests limit (0)")
    group.add_argument("--min-invocations", type=int, default=1, help="invocations needed to judge a step (1)")


def cmd_canary(args: argparse.Namespace) -> int:
    ref = _resolve(args)[0]
    clients = _clients(args)
    stable = args.stable_version
    if stable is None:
        alias = clients.lambda_.get_alias(FunctionName=ref.function_name, Name=ref.alias_name)
        stable = str(alias["FunctionVersion"])
    target = AliasTarget(ref.function_name, ref.alias_name, stable_version=stable, new_version=args.new_version)
    outcome = canary_alias(
        clients.lambda_,
        clients.cloudwatch,
        target,
        _plan(args),
        service=ref.service,
        alarm_names=ref.alarm_names + list(args.alarm or []),
        thresholds=_thresholds(args),
    )
    print(f"{ref.service}: {outcome.result} ({outcome.reason})")
    return 0 if outcome.result == "promoted" else 1


def cmd_release(args: argparse.Namespace) -> int:
    from automation.driver import AutomationBackend, Driver, Environment, boto3_ops_for

    plan = _plan(args)
    no_canary = set(args.no_canary or [])
    environments = [
        Environment(name, canary=None if name in no_canary else plan, keep_versions=args.keep)
        for name in args.stacks.split(",")
        if name
    ]
    profiles: dict[str, str] = {}
    for item in args.env_profile or []:
        stack, sep, profile = item.partition("=")
        if not sep or not stack or not profile:
            raise ValueError(f"--env-profile must be STACK=PROFILE, got {item!r}")
        profiles[stack] = profile
    cache: dict[str | None, ops.Clients] = {}

    def clients_for(env: Environment) -> ops.Clients:
        profile = profiles.get(env.stack, args.profile)
        if profile not in cache:
            session = ops.make_session(profile=profile, region=args.region, endpoint_url=args.endpoint_url)
            cache[profile] = ops.Clients(session, args.endpoint_url)
        return cache[profile]

    driver = Driver(
        AutomationBackend(args.program_dir),
        boto3_ops_for(clients_for, _thresholds(args)),
        policy_packs=args.policy_pack if args.policy_pack is not None else [str(args.program_dir / "policies")],
        policy_config_dir=args.program_dir / "policies" / "config",
    )
    return 0 if driver.run(environments).ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m automation", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    invoke = sub.add_parser("invoke", help="invoke a service's alias")
    _target_args(invoke)
    invoke.add_argument("--type", choices=ops.INVOCATION_TYPES, default="RequestResponse", help="invocation type")
    invoke.add_argument("--payload", help="JSON event")
    invoke.add_argument("--payload-file", help="file holding the event")
    invoke.add_argument("--qualifier", help="a version or another alias instead of the service's alias")
    _aws_args(invoke)
    invoke.set_defaults(func=cmd_invoke)

    prune = sub.add_parser("prune", help="delete old versions not in use")
    _target_args(prune)
    prune.add_argument("--all", action="store_true", help="every service of the stack")
    prune.add_argument("--keep", type=int, default=ops.DEFAULT_KEEP, help="newest versions to keep (3)")
    prune.add_argument("--dry-run", action="store_true", help="list what would be deleted")
    _aws_args(prune)
    prune.set_defaults(func=cmd_prune)

    canary = sub.add_parser("canary", help="shift traffic to a new version with health checks (boto3)")
    _target_args(canary)
    canary.add_argument("--new-version", required=True, help="the published version to shift traffic to")
    canary.add_argument("--stable-version", help="the version serving now (default: the alias's version)")
    canary.add_argument("--alarm", action="append", help="another alarm name to watch (repeatable)")
    _canary_args(canary)
    _aws_args(canary)
    canary.set_defaults(func=cmd_canary)

    release = sub.add_parser("release", help="dev -> staging -> prod through the Automation API")
    release.add_argument("--stacks", default="dev,staging,prod", help="stacks in order (dev,staging,prod)")
    release.add_argument("--program-dir", type=Path, default=ROOT, help="the Pulumi program (the repository)")
    release.add_argument("--policy-pack", action="append", help="policy pack folder (default: policies)")
    release.add_argument("--no-canary", action="append", help="stack that promotes without a canary (repeatable)")
    release.add_argument("--keep", type=int, default=ops.DEFAULT_KEEP, help="versions to keep when pruning (3)")
    release.add_argument(
        "--env-profile", action="append", help="STACK=PROFILE: boto3 profile for one stack's account (repeatable)"
    )
    _canary_args(release)
    _aws_args(release)
    release.set_defaults(func=cmd_release)

    local = sub.add_parser("local", help="the local stack on a moto server (needs the Pulumi CLI)", add_help=False)
    local.add_argument("rest", nargs=argparse.REMAINDER)
    local.set_defaults(func=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["local"]:
        from automation import local

        return local.main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (ops.OpsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from automation.driver import DriverError

        if isinstance(exc, DriverError):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    raise SystemExit(main())

"""The gate end to end: a program run under mocks, sent through the pack, into a GateResult."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2

from lambdakit.program import ProgramRun, load_stack_config, run_program
from lambdakit.redact import scrub_gate_result

from .config import configure_request, load_policy_config, resolve_policy_config
from .model import GateError, GateResult
from .protocol import PackPool, analyze_requests, default_pack, dispatch, iam_data_info, pack_version, policy_metadata


def analyze(
    run: ProgramRun,
    policy_config: Mapping[str, Any],
    *,
    pack_dir: Path | None = None,
    workers: int | None = None,
    pool: PackPool | None = None,
    unknown_dependents: bool = False,
    config_source: str = "policy config",
) -> GateResult:
    """Send a program run through the pack over the analyzer protocol; the policy part of the gate.

    Starts its own packs unless given a ``pool`` (started with the run's project, stack and config)."""
    pack_dir = Path(pack_dir) if pack_dir is not None else default_pack()
    owned = pool is None
    pool = pool or PackPool(pack_dir, workers, project=run.project, stack=run.stack, config=run.config)
    try:
        requests, stack_request = analyze_requests(run, unknown_dependents=unknown_dependents)
        types = {r.urn: (r.type, r.name) for r in run.registrations}
        packs = pool.ready()
        info = packs[0].stub.GetAnalyzerInfo(empty_pb2.Empty())
        policies = policy_metadata(info)
        resolved = resolve_policy_config(policies, policy_config, config_source)
        configure = configure_request(resolved)
        stack_cfg = analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=run.stack, project=run.project, organization="organization", dry_run=True, config=run.config
        )
        for pack in packs:
            pack.stub.Configure(configure)
            pack.stub.ConfigureStack(stack_cfg)
        result = GateResult(
            stack=run.stack,
            program="",
            policy_config="",
            pack=str(pack_dir),
            pack_version=pack_version(pack_dir),
            iam_data=iam_data_info(),
            resources=len(requests),
            policies=policies,
            levels={k: v[0] for k, v in resolved.items()},
            unknown_dependents=unknown_dependents,
        )
        mark = len(pool.engine.log.notes)
        dispatch(packs, requests, stack_request, types, result.violations)
        result.notes = list(pool.engine.log.notes[mark:])
        scrub_gate_result(result, run)
        result.violations.sort(key=lambda v: (v.level != "mandatory", v.policy, v.urn))
        return result
    finally:
        if owned:
            pool.close()


def run_gate(
    program_dir: str | os.PathLike[str],
    stack: str,
    policy_config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    *,
    pack_dir: Path | None = None,
    config_overrides: Mapping[str, str] | None = None,
    program: Callable[[], None] | None = None,
    workers: int | None = None,
    unknown_dependents: bool = False,
) -> GateResult:
    """Run a program folder under mocks with a stack's config, then the pack over its resources.

    ``policy_config`` defaults to the first of the program's ``policy-config/<stack>.json``, its
    ``policies/config/<stack>.json`` and the pack's ``config/<stack>.json``. ``program`` replaces the folder's
    ``__main__.py`` (as in ``run_program``), e.g. to add resources to it. The packs start while the program runs;
    ``policy_seconds`` is the time from the program's end to the verdict."""
    from lambdakit.packdir import default_policy_config, policy_config_candidates
    from lambdakit.program import StackConfigError, describe_failure

    pack_dir = Path(pack_dir) if pack_dir is not None else default_pack()
    started = time.perf_counter()
    config_path = ""
    if policy_config is None:
        found = default_policy_config(Path(program_dir), stack, pack_dir)
        if found is None:
            tried = ", ".join(str(c) for c in policy_config_candidates(Path(program_dir), stack, pack_dir))
            raise GateError(f"no policy config for stack {stack!r} (looked for {tried}); pass --policy-config FILE")
        policy_config = found
    if isinstance(policy_config, Mapping):
        config_data: Mapping[str, Any] = policy_config
    else:
        config_path = str(policy_config)
        config_data = load_policy_config(policy_config)
    try:
        project, config, _ = load_stack_config(program_dir, stack)
    except (OSError, KeyError, ValueError) as exc:
        raise GateError(f"cannot read the stack config of {program_dir} for stack {stack}: {exc}") from exc
    for key, value in (config_overrides or {}).items():
        config[key if ":" in key else f"{project}:{key}"] = value
    with PackPool(Path(pack_dir), workers, project=project, stack=stack, config=config) as pool:
        try:
            run = run_program(program_dir, stack, config_overrides=config_overrides, program=program)
        except StackConfigError as exc:
            raise GateError(str(exc)) from exc
        except Exception as exc:
            from lambdakit.cliutil import debugging

            if debugging():
                raise
            why = describe_failure(exc, program_dir)
            raise GateError(f"the program in {program_dir} failed under mocks for stack {stack}: {why}") from exc
        program_done = time.perf_counter()
        result = analyze(
            run,
            config_data,
            pack_dir=Path(pack_dir),
            pool=pool,
            unknown_dependents=unknown_dependents,
            config_source=f"policy config {config_path}" if config_path else "policy config",
        )
    finished = time.perf_counter()
    result.program = str(program_dir)
    result.policy_config = config_path or "<inline>"
    result.program_seconds = program_done - started
    result.policy_seconds = finished - program_done
    result.total_seconds = finished - started
    return result

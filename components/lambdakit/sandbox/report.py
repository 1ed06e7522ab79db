"""The sandbox's report: what was deployed, how each service is wired, and how each answered. Text and JSON."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from .deploy import Deployment, ServiceView, TriggerCheck
from .node_runner import version_note
from .runner import InvokeResult

WIDTH = 120


def _table(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


def display_type(type_: str) -> str:
    """``aws:lambda/function:Function`` -> ``aws:lambda:Function``, as ``pulumi up`` displays types."""
    parts = type_.split(":")
    if len(parts) == 3 and "/" in parts[1]:
        return f"{parts[0]}:{parts[1].split('/')[0]}:{parts[2]}"
    return type_


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def log_summary(line: str) -> str:
    """A log line made readable: JSON log records become ``LEVEL message {extra keys}``."""
    if line.startswith("{"):
        try:
            record = json.loads(line)
        except ValueError:
            return line
        if isinstance(record, dict) and "message" in record:
            skip = {"timestamp", "level", "message", "logger", "requestId", "request_id", "cold_start", "function_name"}
            skip |= {"function_version", "function_arn", "function_request_id", "xray_trace_id", "service", "location"}
            extra = {k: v for k, v in record.items() if k not in skip}
            level = str(record.get("level", "")).upper()
            tail = f" {json.dumps(extra, separators=(',', ':'))}" if extra else ""
            return f"{level} {record['message']}{tail}".strip()
    return line


def outcome(result: InvokeResult) -> str:
    """``ok``, ``ok (HTTP 200)``, ``ok (1 item failed)``, ``ERROR`` or ``not run``."""
    if not result.emulated:
        return "not run"
    if result.function_error:
        return "ERROR"
    try:
        body = json.loads(result.payload)
    except ValueError:
        return "ok"
    if isinstance(body, dict):
        if "statusCode" in body:
            return f"ok (HTTP {body['statusCode']})"
        failures = body.get("batchItemFailures")
        if isinstance(failures, list) and failures:
            return f"ok ({len(failures)} item(s) failed)"
    return "ok"


def smoke_note(result: InvokeResult) -> str:
    if not result.emulated:
        return str(result.error.get("errorMessage", ""))
    if result.function_error:
        error = result.error
        return f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"
    # Nothing logged at the function's log level: show what it returned instead.
    return log_summary(result.first_log_line()) or f"returned {result.payload}"


def _service_lines(view: ServiceView) -> list[str]:
    head = f"{view.runtime} {'/'.join(view.architectures)}  {view.memory_size} MB  {view.timeout} s" + (
        f"  reserved {view.reserved_concurrency}" if view.reserved_concurrency is not None else ""
    )
    lines = [f"  {view.name}  ({view.function_name}: {head})"]
    if view.alias:
        alias = f"{view.alias} -> version {view.alias_version}"
        for version, weight in view.routing.items():
            alias += f", {weight:.0%} to version {version} (canary)"
        lines.append(f"    alias      {alias}   [published: {', '.join(view.versions) or 'none'}]")
    else:
        lines.append("    alias      none (invoked unqualified)")
    for t in view.triggers:
        target = f" -> {t.qualifier}" if t.qualifier else " -> unqualified function"
        label = TRIGGER_LABELS.get(t.kind, t.kind)
        detail = f" ({t.detail})" if t.detail else ""
        lines.append(f"    trigger    {label} {t.source}{detail}{target}")
    if view.async_config is not None:
        cfg = view.async_config
        parts = [f"retries {cfg.get('MaximumRetryAttempts', 2)}"]
        if cfg.get("MaximumEventAgeInSeconds"):
            parts.append(f"max age {cfg['MaximumEventAgeInSeconds']} s")
        for key, label in (("OnSuccess", "on success"), ("OnFailure", "on failure")):
            dest = (cfg.get("DestinationConfig") or {}).get(key, {}).get("Destination")
            if dest:
                parts.append(f"{label} -> {dest.split(':')[-1]}")
        qualifier = cfg["FunctionArn"].split(":")[7] if cfg["FunctionArn"].count(":") >= 7 else "unqualified"
        lines.append(f"    async      {', '.join(parts)} (on {qualifier})")
    if view.provisioned_concurrency:
        lines.append(f"    prov. conc {view.provisioned_concurrency}")
    if view.dead_letter_target:
        lines.append(f"    DLQ        {view.dead_letter_target.split(':')[-1]}")
    if view.layers:
        lines.append(f"    layers     {', '.join(view.layers)}")
    if view.runtime.startswith("nodejs"):
        lines.append(f"    runs on    {version_note(view.runtime)}")
    elif not view.runtime:
        lines.append("    code       container image: created by digest, invocations not emulated")
    elif not view.runtime.startswith("python"):
        lines.append(f"    runs on    nothing here: {view.runtime} is not emulated (Python and Node.js are)")
    lines.append(f"    logs       {view.log_group}")
    return lines


TRIGGER_LABELS = {
    "sqs": "SQS",
    "dynamodb": "DynamoDB stream",
    "kinesis": "Kinesis",
    "url": "Function URL",
    "http": "API Gateway",
    "schedule": "EventBridge",
    "s3": "S3",
    "sns": "SNS",
}


def render(
    deployment: Deployment,
    *,
    endpoint: str,
    serving: bool = False,
    payload_dir: str | None = None,
    checks: Sequence[TriggerCheck] | None = None,
) -> str:
    import moto

    out: list[str] = []
    resources = [d for d in deployment.deployed if d.custom]
    components = [d for d in deployment.deployed if not d.custom]
    py = f"{sys.version_info.major}.{sys.version_info.minor}"
    out.append(f"lambdakit sandbox: stack {deployment.stack!r} of project {deployment.project!r}, deployed locally")
    out.append(f"  program   {deployment.program_dir}  (evaluated under Pulumi SDK mocks: no Pulumi CLI)")
    out.append(f"  emulator  moto {moto.__version__} at {endpoint}  (account 123456789012, us-east-1: no AWS account)")
    out.append(
        f"  deployed  {len(resources)} resources and {len(components)} components in {deployment.seconds:.1f} s; "
        f"handlers run on the local Python {py}"
    )
    out.append("")
    out.append("Resources")
    by_type: dict[str, list[str]] = defaultdict(list)
    # Components first, then resource types alphabetically.
    for d in sorted(deployment.deployed, key=lambda d: (d.custom, d.type)):
        by_type[d.type].append(d.name)
    rows = [["TYPE", "COUNT", "NAMES"]]
    for type_, names in by_type.items():
        emulated = all(d.emulated for d in deployment.deployed if d.type == type_)
        label = display_type(type_) + ("" if emulated else " *")
        rows.append([label, str(len(names)), _clip(", ".join(names), 70)])
    out += _table(rows)
    if deployment.not_emulated():
        out.append("  * not emulated by moto: checked against the Lambda rules and recorded (see below)")
    if deployment.history:
        seeded = ", ".join(f"{fn} 1-{n}" for fn, n in sorted(deployment.history.items()))
        out.append(f"  versions published first to stand in for earlier deploys (same code): {seeded}")
    out.append("")
    out.append("Services")
    for view in deployment.services:
        out += _service_lines(view)
    not_emulated = deployment.not_emulated()
    if not_emulated:
        out.append("")
        out.append("Not emulated (moto has no API for these): checked against the Lambda rules, then recorded")
        for d in not_emulated:
            out.append(f"  {display_type(d.type)} {d.name}: " + "; ".join(d.notes or ["recorded"]))
    if deployment.warnings:
        out.append("")
        out.append("Warnings")
        out += [f"  {w}" for w in deployment.warnings]
    smoked = [v for v in deployment.services if v.smoke is not None]
    if smoked:
        out.append("")
        out.append(
            "Smoke invocations through each alias (boto3 invoke; the handler runs from the deployed zip + layers)"
        )
        rows = [["SERVICE", "QUALIFIER", "VERSION", "RESULT", "TIME", "EVENT", "FIRST LOG LINE / ERROR"]]
        for v in smoked:
            assert v.smoke is not None
            rows.append(
                [
                    v.name,
                    v.alias or "-",
                    v.smoke.executed_version,
                    outcome(v.smoke),
                    _ms(v.smoke.duration_ms),
                    v.smoke_kind,
                    _clip(smoke_note(v.smoke), 70),
                ]
            )
        out += _table(rows)
        answered = sum(1 for v in smoked if v.smoke and v.smoke.ok)
        out.append("")
        out.append(f"{answered} of {len(smoked)} functions answered through their aliases without an error.")
        if not serving and checks is None:
            out.append(
                "More: --stack prod, --each-trigger (send each trigger's own event), --payload SERVICE=JSON, "
                "--serve PORT (keep the emulator up for boto3), --json FILE; see --help."
            )
    if checks:
        out.append("")
        out.append("Each trigger's event, shaped as that trigger delivers it, through the qualifier it targets")
        rows = [["SERVICE", "TRIGGER", "EVENT", "RESULT", "FIRST LOG LINE / ERROR"]]
        for check in checks:
            trigger = f"{TRIGGER_LABELS.get(check.trigger.kind, check.trigger.kind)} {_clip(check.trigger.source, 28)}"
            rows.append(
                [check.service, trigger, check.event_kind, outcome(check.result), _clip(smoke_note(check.result), 60)]
            )
        out += _table(rows)
        failed = [c for c in checks if not c.result.ok]
        out.append("")
        out.append(f"{len(checks) - len(failed)} of {len(checks)} trigger events handled without an error.")
    if serving:
        out.append("")
        out.append(f"The emulator keeps running at {endpoint} until Ctrl-C. From another shell:")
        if deployment.services:
            first = deployment.services[0]
            target = f"{first.name} --stack {deployment.stack} --endpoint-url {endpoint}"
            out.append(
                f"  lambdakit invoke {target}" + (f" --payload @{payload_dir}/{first.name}.json" if payload_dir else "")
            )
            if payload_dir:
                out.append(f"  (each service's smoke event is in {payload_dir}/<service>.json: edit one and invoke it)")
        out.append("Or with any AWS SDK or CLI:")
        out.append(f"  export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing")
        out.append("  export AWS_DEFAULT_REGION=us-east-1")
        out.append("  python -c \"import boto3; print(boto3.client('lambda').list_functions()['Functions'])\"")
    return "\n".join(out)


def to_json(deployment: Deployment, *, endpoint: str, checks: Sequence[TriggerCheck] | None = None) -> dict[str, Any]:
    smoked = [v for v in deployment.services if v.smoke is not None]
    return {
        "trigger_checks": [
            {
                "service": c.service,
                "trigger": c.trigger.__dict__,
                "event": c.event_kind,
                "result": c.result.to_json(),
            }
            for c in checks or []
        ],
        "project": deployment.project,
        "stack": deployment.stack,
        "program_dir": deployment.program_dir,
        "endpoint": endpoint,
        "deploy_seconds": round(deployment.seconds, 3),
        "history": deployment.history,
        "resources": [
            {
                "type": d.type,
                "name": d.name,
                "id": d.id,
                "urn": d.urn,
                "custom": d.custom,
                "emulated": d.emulated,
                "notes": d.notes,
            }
            for d in deployment.deployed
        ],
        "services": [v.to_json() for v in deployment.services],
        # What `lambdakit invoke --outputs FILE` and the release driver read: each LambdaService's outputs.
        "lambdakit_services": deployment.component_outputs(),
        "not_emulated": [{"type": d.type, "name": d.name, "notes": d.notes} for d in deployment.not_emulated()],
        "warnings": deployment.warnings,
        "exports": deployment.exports,
        "ok": all(v.smoke.ok for v in smoked if v.smoke) and all(c.result.ok for c in checks or []),
    }

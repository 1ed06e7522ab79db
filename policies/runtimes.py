"""Runtime rules: deprecated runtimes (dates kept as data) and runtimes that are not the newest of their family."""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._common import FUNCTION, UNKNOWN, ResourceContext, Rule, cfg_strings, integer, strings

LIFECYCLE_FILE = Path(__file__).with_name("runtime_lifecycle.json")
RUNTIMES_URL = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"


@cache
def lifecycle() -> dict[str, dict[str, Any]]:
    """Runtime -> {deprecated, createBlock, updateBlock, successor} (ISO dates or None)."""
    data = json.loads(LIFECYCLE_FILE.read_text())
    return dict(data["runtimes"])


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def family(runtime: str) -> str:
    """'python3.12' -> 'python', 'nodejs20.x' -> 'nodejs', 'provided.al2' -> 'provided', 'java8.al2' -> 'java'."""
    match = re.match(r"[a-z]+", runtime)
    name = match.group(0) if match else runtime
    return "dotnet" if name == "dotnetcore" else name


def newest_in_family(runtime: str) -> str | None:
    """The newest runtime of the same family: the one no other runtime of the family lists as a predecessor,
    with the latest deprecation date (ties broken by the natural version order)."""
    fam = family(runtime)
    members = {k: v for k, v in lifecycle().items() if family(k) == fam}
    if not members:
        return None

    def key(name: str) -> tuple[dt.date, list[int]]:
        deprecated = _date(members[name].get("deprecated")) or dt.date.max
        return deprecated, [int(n) for n in re.findall(r"\d+", name)]

    return max(members, key=key)


def today(cfg: dict[str, Any]) -> dt.date:
    return _date(cfg.get("asOf")) or dt.datetime.now(dt.UTC).date()


def _runtime(ctx: ResourceContext) -> str | None:
    runtime = ctx.props.get("runtime")
    if runtime is UNKNOWN:
        ctx.skip("runtime")
        return None
    if not isinstance(runtime, str) or not runtime:
        # Container-image functions have no runtime; the image owns its own lifecycle.
        return None
    return runtime


def check_deprecated(ctx: ResourceContext) -> None:
    runtime = _runtime(ctx)
    if runtime is None:
        return
    info = lifecycle().get(runtime)
    now = today(ctx.cfg)
    if info is None:
        current = sorted(k for k, v in lifecycle().items() if (_date(v.get("deprecated")) or dt.date.max) > now)
        ctx.violation(
            f"runtime {runtime!r} is not a Lambda runtime ({LIFECYCLE_FILE.name} lists every one); use one of "
            f"{', '.join(current)}."
        )
        return
    deprecated = _date(info.get("deprecated"))
    successor = info.get("successor") or newest_in_family(runtime)
    blocks = ", ".join(
        f"{label} blocked from {value}"
        for label, value in (("create", info.get("createBlock")), ("update", info.get("updateBlock")))
        if value
    )
    if deprecated is not None and deprecated <= now:
        ctx.violation(
            f"runtime {runtime} was deprecated on {deprecated.isoformat()} (today is {now.isoformat()}"
            f"{'; ' + blocks if blocks else ''}); move to {successor}."
        )
        return
    warn_days = ctx.cfg.get("warnDaysAhead")
    days = warn_days if isinstance(warn_days, int) and not isinstance(warn_days, bool) else 180
    if deprecated is not None and (deprecated - now).days <= days:
        ctx.warn(
            f"runtime {runtime} will be deprecated on {deprecated.isoformat()} "
            f"(in {(deprecated - now).days} days, within warnDaysAhead={days}); plan the move to {successor}."
        )


def check_latest(ctx: ResourceContext) -> None:
    runtime = _runtime(ctx)
    if runtime is None or runtime not in lifecycle():
        return
    if runtime in cfg_strings(ctx.cfg, "allowedRuntimes"):
        return
    newest = newest_in_family(runtime)
    if newest is not None and newest != runtime:
        ctx.violation(f"runtime {runtime} is not the newest {family(runtime)} runtime; use {newest}.")


RUNTIME_DEPRECATED = Rule(
    name="lambda-runtime-deprecated",
    description="Lambda functions must not use a deprecated runtime.",
    checks="Runtime is a Lambda runtime and not past its AWS deprecation date (lifecycle data generated from "
    "lambdakit's facts); warns `warnDaysAhead` days before.",
    severity=Severity.HIGH,
    remediation="Set `runtime` to a supported runtime of the same family (the message names the successor) and "
    "redeploy; AWS stops patching deprecated runtimes and later blocks creating and updating them.",
    url=RUNTIMES_URL,
    anchors=["Security Hub Lambda.2", "CKV_AWS_363"],
    resource_types=(FUNCTION,),
    config={
        "warnDaysAhead": integer(180, "Warn (without a violation) this many days before a deprecation date.", 0),
        "asOf": {"type": "string", "default": "", "description": "Compare with this ISO date instead of today."},
    },
    default_level=EnforcementLevel.MANDATORY,
    resource_check=check_deprecated,
)

RUNTIME_LATEST = Rule(
    name="lambda-runtime-latest",
    description="Lambda functions should use the newest runtime of their family.",
    checks="Runtime is the newest of its family (python, nodejs, java, ruby, dotnet, provided) unless allow-listed.",
    severity=Severity.LOW,
    remediation="Move `runtime` to the newest runtime of its family, or add the runtime to `allowedRuntimes`.",
    url=RUNTIMES_URL,
    anchors=["cdk-nag AwsSolutions-L1", "cdk-nag Serverless LambdaLatestVersion"],
    resource_types=(FUNCTION,),
    config={"allowedRuntimes": strings([], "Runtimes accepted even though a newer one of the family exists.")},
    resource_check=check_latest,
)

RULES = [RUNTIME_DEPRECATED, RUNTIME_LATEST]

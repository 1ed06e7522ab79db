"""Well-known layers resolved at deploy time: Powertools for AWS Lambda, Lambda Insights and the AWS Distro for
OpenTelemetry (ADOT), for the function's runtime, architecture and region, with the environment and role permissions
each needs.

Nothing here is a table of versions (those go stale: aws-cdk #26615, #36867). Powertools publishes its layer ARNs as
public SSM parameters (``/aws/service/powertools/python/<arch>/<runtime>/<version>``,
``/aws/service/powertools/typescript/generic/all/<version>``), read with ``aws.ssm.get_parameter_output`` when the
program deploys, so ``latest`` is the newest release in the function's region on every deploy. Lambda Insights and
ADOT publish ARN patterns (a publisher account, a layer name per architecture) whose version number differs by region:
the version is yours to give, the ARN is built for the function's region and architecture.
"""

# No `from __future__ import annotations`: Pulumi's component schema inference reads these TypedDicts at run time.
import re
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits
from .validation import Field, optional

__all__ = [
    "AdotLayerArgs",
    "InsightsLayerArgs",
    "ManagedLayersArgs",
    "ManagedLayersPlan",
    "PowertoolsLayerArgs",
    "insights_statements",
    "validate_managed_layers",
]

#: Publisher accounts of the layers built from ARN patterns (the vendors' documentation pages).
INSIGHTS_ACCOUNT = "580247275435"
ADOT_ACCOUNT = "901920570463"
INSIGHTS_DOCS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Lambda-Insights-extension-versions.html"


class PowertoolsLayerArgs(TypedDict):
    """The Powertools for AWS Lambda layer (Python or TypeScript), resolved from its public SSM parameter."""

    version: NotRequired[str]
    """A release such as `3.4.0`, or `latest` (the newest release in the region, read on every deploy). Defaults to
    `latest`."""
    service_name: NotRequired[str]
    """`POWERTOOLS_SERVICE_NAME`. Defaults to the service's name."""
    log_level: NotRequired[str]
    """`POWERTOOLS_LOG_LEVEL`. Defaults to the service's `application_log_level`."""
    metrics_namespace: NotRequired[str]
    """`POWERTOOLS_METRICS_NAMESPACE`. Defaults to none."""


class InsightsLayerArgs(TypedDict):
    """The CloudWatch Lambda Insights extension."""

    version: int
    """The extension's layer version in the function's region (the versions page of the Lambda Insights docs lists
    them per region). Required."""
    account: NotRequired[str]
    """The publisher account in your region. Defaults to `580247275435` (commercial regions)."""


class AdotLayerArgs(TypedDict):
    """The AWS Distro for OpenTelemetry layer for the function's language (Python or Node.js)."""

    version: str
    """The release part of the layer name and the layer version, e.g. `1-32-0:6` for
    `aws-otel-python-arm64-ver-1-32-0:6`. Required."""
    account: NotRequired[str]
    """The publisher account. Defaults to `901920570463`."""


class ManagedLayersArgs(TypedDict):
    """Well-known layers added to the function (counted in the 5-layer limit)."""

    powertools: NotRequired[PowertoolsLayerArgs]
    """Powertools for AWS Lambda. Defaults to none."""
    lambda_insights: NotRequired[InsightsLayerArgs]
    """CloudWatch Lambda Insights (the role may write to `/aws/lambda-insights`). Defaults to none."""
    adot: NotRequired[AdotLayerArgs]
    """AWS Distro for OpenTelemetry (sets `AWS_LAMBDA_EXEC_WRAPPER`). Defaults to none."""


@dataclass(frozen=True)
class ManagedLayersPlan:
    """The layers (ARNs, Outputs where they are read at deploy time) and the environment they need."""

    layers: tuple[Any, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()
    #: SSM parameter names read at deploy time (for messages and the sandbox).
    parameters: tuple[str, ...] = ()
    insights: bool = False


_RELEASE = re.compile(r"latest|[0-9]+\.[0-9]+\.[0-9]+", re.ASCII)
_ADOT_VERSION = re.compile(r"[0-9]+-[0-9]+-[0-9]+:[0-9]+", re.ASCII)


def _family(runtime: str) -> str | None:
    if runtime.startswith("python"):
        return "python"
    if runtime.startswith("nodejs"):
        return "nodejs"
    return None


def _account(field: Field, raw: Any, default: str) -> str:
    value = optional(raw, "account", default)
    return str(
        field.key("account").string(value, pattern=limits.ACCOUNT_ID_RE, what="a 12-digit account id", plain=True)
    )


def validate_managed_layers(owner: str, args: Any) -> ManagedLayersPlan:
    """``managed_layers`` -> the layers and environment, for the runtime and architecture in ``args``."""
    raw = args.get("managed_layers")
    if raw is None:
        return ManagedLayersPlan()
    field = Field(owner, "managed_layers")
    m = field.mapping(raw, ManagedLayersArgs)
    runtime = str(optional(args, "runtime", limits.DEFAULT_RUNTIME))
    architecture = str(optional(args, "architecture", "arm64"))
    family = _family(runtime)
    layers: list[Any] = []
    env: dict[str, str] = {}
    parameters: list[str] = []
    region = aws.get_region_output().region
    partition = aws.get_partition_output().partition

    if m.get("powertools") is not None:
        pf = field.key("powertools")
        p = pf.mapping(m["powertools"], PowertoolsLayerArgs)
        version = pf.key("version").string(
            optional(p, "version", "latest"), pattern=_RELEASE, what="a release such as 3.4.0, or latest", plain=True
        )
        if family == "python":
            parameter = f"/aws/service/powertools/python/{architecture}/{runtime}/{version}"
        elif family == "nodejs":
            parameter = f"/aws/service/powertools/typescript/generic/all/{version}"
        else:
            raise pf.fail(f"is published as a layer for Python and Node.js runtimes only, got runtime {runtime!r}")
        parameters.append(parameter)
        layers.append(aws.ssm.get_parameter_output(name=parameter).value)
        env["POWERTOOLS_SERVICE_NAME"] = pf.key("service_name").string(optional(p, "service_name", owner), plain=True)
        level = optional(p, "log_level", optional(args, "application_log_level", "INFO"))
        env["POWERTOOLS_LOG_LEVEL"] = pf.key("log_level").choice(level, limits.APPLICATION_LOG_LEVELS, plain=True)
        if p.get("metrics_namespace") is not None:
            env["POWERTOOLS_METRICS_NAMESPACE"] = pf.key("metrics_namespace").string(
                p["metrics_namespace"], max_len=255, plain=True
            )

    insights = m.get("lambda_insights") is not None
    if insights:
        inf = field.key("lambda_insights")
        i = inf.mapping(m["lambda_insights"], InsightsLayerArgs)
        number = inf.key("version").integer(i["version"], limits.LAYER_VERSION, plain=True)
        account = _account(inf, i, INSIGHTS_ACCOUNT)
        name = "LambdaInsightsExtension" + ("-Arm64" if architecture == "arm64" else "")
        layers.append(pulumi.Output.concat("arn:", partition, ":lambda:", region, f":{account}:layer:{name}:{number}"))

    if m.get("adot") is not None:
        af = field.key("adot")
        d = af.mapping(m["adot"], AdotLayerArgs)
        if family is None:
            raise af.fail(f"is published for Python and Node.js runtimes here, got runtime {runtime!r}")
        release = af.key("version").string(
            d["version"], pattern=_ADOT_VERSION, what="a release and layer version such as 1-32-0:6", plain=True
        )
        account = _account(af, d, ADOT_ACCOUNT)
        arch = "arm64" if architecture == "arm64" else "amd64"
        layers.append(
            pulumi.Output.concat(
                "arn:", partition, ":lambda:", region, f":{account}:layer:aws-otel-{family}-{arch}-ver-{release}"
            )
        )
        env["AWS_LAMBDA_EXEC_WRAPPER"] = "/opt/otel-instrument"

    given = args.get("layers") or []
    if isinstance(given, list | tuple) and len(given) + len(layers) > limits.MAX_LAYERS:
        raise field.fail(
            f"adds {len(layers)} layer(s) to the {len(given)} in layers; a function has at most {limits.MAX_LAYERS}"
        )
    user_env = args.get("environment") or {}
    for key in env:
        if key in user_env:
            raise (
                Field(owner, "environment")
                .entry(key)
                .fail(f"is set by managed_layers; set it there (or drop the layer), got {user_env[key]!r}")
            )
    return ManagedLayersPlan(tuple(layers), tuple(env.items()), tuple(parameters), insights)


def with_managed_layers(args: Any, plan: ManagedLayersPlan) -> Any:
    """The service's args with the managed layers and their environment added (what the function is built from)."""
    if not plan.layers:
        return args
    return {
        **args,
        "layers": [*(args.get("layers") or []), *plan.layers],
        "environment": {**(args.get("environment") or {}), **dict(plan.environment)},
    }


def insights_statements(plan: ManagedLayersPlan, log_group_arn: Any) -> list[Any]:
    """What the Insights extension writes: its own log group ``/aws/lambda-insights`` in the function's region
    (the AWS managed CloudWatchLambdaInsightsExecutionRolePolicy, on exact ARNs)."""
    if not plan.insights:
        return []
    from .iam import statement

    group = pulumi.Output.from_input(log_group_arn).apply(
        lambda arn: arn.split(":log-group:", 1)[0] + ":log-group:/aws/lambda-insights"
    )
    return [
        statement("LambdaInsightsGroup", ["logs:CreateLogGroup"], group),
        statement(
            "LambdaInsightsEvents", ["logs:CreateLogStream", "logs:PutLogEvents"], pulumi.Output.concat(group, ":*")
        ),
    ]

"""What a CDK user reaches for on a function: ``grant_invoke`` (a permission or an IAM statement on the alias),
``metric`` (the alias's CloudWatch metric for the user's own alarms and dashboards) and ``from_existing`` (a function
deployed elsewhere, referenced for triggers and grants).

``LambdaService.grant_invoke``/``metric`` and :class:`ExistingLambdaService` share the functions here; every grant is
on the alias (never ``$LATEST`` or the unqualified function), checked before anything is registered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from . import limits
from .validation import Field, is_unknown

__all__ = ["AliasMetric", "ExistingLambdaService", "alias_metric", "grant_invoke"]

#: Metrics Lambda publishes per alias (dimensions FunctionName + Resource), by name.
ALIAS_METRICS = (
    "Invocations",
    "Errors",
    "Throttles",
    "Duration",
    "ConcurrentExecutions",
    "DeadLetterErrors",
    "DestinationDeliveryFailures",
    "IteratorAge",
    "OffsetLag",
    "AsyncEventAge",
    "AsyncEventsReceived",
    "AsyncEventsDropped",
    "ProvisionedConcurrentExecutions",
    "ProvisionedConcurrencyInvocations",
    "ProvisionedConcurrencySpilloverInvocations",
    "ProvisionedConcurrencyUtilization",
    "RecursiveInvocationsDropped",
)
STATISTICS = ("Sum", "Average", "Minimum", "Maximum", "SampleCount")
_PERCENTILE = re.compile(r"p(100|[0-9]{1,2}(\.[0-9]{1,2})?)", re.ASCII)
_NAME = re.compile(r"[A-Za-z0-9-]+", re.ASCII)


@dataclass(frozen=True)
class AliasMetric:
    """A CloudWatch metric of the alias: what an alarm or a dashboard widget reads."""

    namespace: str
    metric_name: str
    dimensions: dict[str, Any]
    statistic: str
    period: int

    def alarm_args(self) -> dict[str, Any]:
        """``aws.cloudwatch.MetricAlarm`` arguments for this metric (add threshold, comparison and periods)."""
        stat: dict[str, Any] = (
            {"statistic": self.statistic} if self.statistic in STATISTICS else {"extended_statistic": self.statistic}
        )
        return {
            "namespace": self.namespace,
            "metric_name": self.metric_name,
            "dimensions": self.dimensions,
            "period": self.period,
            **stat,
        }

    def widget_metric(self) -> pulumi.Output[list[Any]]:
        """The ``metrics`` entry of a dashboard widget: ``[namespace, name, dim, value, ..., {stat, period}]``."""
        pairs = [item for key, value in sorted(self.dimensions.items()) for item in (key, value)]
        return pulumi.Output.all(*pairs).apply(
            lambda values: [
                self.namespace,
                self.metric_name,
                *values,
                {"stat": self.statistic, "period": self.period},
            ]
        )


def alias_metric(
    owner: str, function_name: Any, alias_name: Any, name: Any, statistic: Any, period: Any
) -> AliasMetric:
    field = Field(owner, "metric")
    field.key("name").choice(name, ALIAS_METRICS, plain=True)
    if not (isinstance(statistic, str) and (statistic in STATISTICS or _PERCENTILE.fullmatch(statistic))):
        raise field.key("statistic").fail(
            f"must be one of {', '.join(STATISTICS)} or a percentile such as p99, got {statistic!r}"
        )
    field.key("period").integer(period, limits.ALARM_PERIOD_S, plain=True)
    if period % limits.METRIC_PERIOD_S:
        raise field.key("period").fail(f"must be a multiple of {limits.METRIC_PERIOD_S} seconds, got {period}")
    resource = pulumi.Output.concat(function_name, ":", alias_name)
    return AliasMetric("AWS/Lambda", name, {"FunctionName": function_name, "Resource": resource}, statistic, period)


def _role_name_of(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def grant_invoke(
    owner: str,
    *,
    function_name: Any,
    alias_name: Any,
    alias_arn: Any,
    grantee: Any,
    name: str | None,
    source_arn: Any,
    parent: pulumi.Resource | None,
) -> pulumi.Resource:
    """Let ``grantee`` invoke the alias. An ``aws.iam.Role`` of this program gets an inline policy statement on the
    alias ARN; an account id or an IAM principal ARN gets a resource-based permission on the alias; a service
    principal (``events.amazonaws.com``) gets a permission scoped to ``source_arn`` (required) and the account."""
    field = Field(owner, "grant_invoke")
    if name is not None:
        field.key("name").string(name, pattern=_NAME, what="a name of letters, digits and hyphens", plain=True)
    opts = pulumi.ResourceOptions(parent=parent)
    if isinstance(grantee, aws.iam.Role):
        if source_arn is not None:
            raise field.key("source_arn").fail("applies to service principals only, not to a role")
        logical = f"{owner}-invoke-{name or grantee._name}"
        return aws.iam.RolePolicy(
            logical,
            role=grantee.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": alias_arn}],
                }
            ),
            opts=opts,
        )
    if is_unknown(grantee):
        if name is None:
            raise field.key("name").fail("is required when the grantee is known only at deploy time")
        principal = field.key("grantee").later(grantee, lambda p: _principal(field.key("grantee"), p, source_arn))
    else:
        principal = _principal(field.key("grantee"), grantee, source_arn)
    label = name or re.sub(r"[^A-Za-z0-9-]+", "-", str(grantee).split(":")[-1]).strip("-")
    service = isinstance(grantee, str) and grantee.endswith((".amazonaws.com", ".amazon.com"))
    account = None
    if service:
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent)).account_id
    return aws.lambda_.Permission(
        f"{owner}-invoke-{label}",
        action="lambda:InvokeFunction",
        function=function_name,
        qualifier=alias_name,
        principal=principal,
        source_arn=source_arn,
        source_account=account,
        opts=opts,
    )


def _principal(field: Field, value: Any, source_arn: Any) -> Any:
    if not isinstance(value, str) or not value:
        raise field.wrong("an aws.iam.Role, an account id, an IAM principal ARN or a service principal", value)
    if value == "*":
        raise field.fail("is '*', which would let every AWS account invoke the function; name the principal")
    if value.endswith((".amazonaws.com", ".amazon.com")):
        if source_arn is None:
            raise field.fail(f"is the service principal {value}, which needs source_arn (the invoking resource)")
        return value
    if source_arn is not None:
        raise field.fail(f"is {value!r}: source_arn applies to service principals only")
    if limits.ACCOUNT_ID_RE.fullmatch(value) or limits.IAM_PRINCIPAL_ARN_RE.fullmatch(value):
        return value
    raise field.fail(
        f"must be an aws.iam.Role, a 12-digit account id, an IAM principal ARN or a service principal, got {value!r}"
    )


class ExistingLambdaService:
    """A function deployed elsewhere (another stack, another account), referenced by name or ARN and alias, for
    triggers and grants: ``alias_arn``, ``grant_invoke`` and ``metric`` as on a LambdaService. Nothing is created
    until a grant is asked for."""

    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    alias_name: str
    alias_arn: pulumi.Output[str]

    def __init__(self, name: str, function: str, alias_name: str = "live") -> None:
        root = Field(name)
        root.string(name, pattern=_NAME, what="a name of letters, digits and hyphens", plain=True)
        self.name = name
        root.key("alias_name").string(
            alias_name, max_len=limits.ALIAS_NAME_MAX, pattern=limits.ALIAS_NAME_RE, what="an alias name", plain=True
        )
        arn = _FUNCTION_ARN.fullmatch(function) if isinstance(function, str) else None
        if arn is not None:
            if arn["qualifier"]:
                raise root.key("function").fail(
                    f"must be the unqualified function ARN (the alias is alias_name), got {function!r}"
                )
            self.function_arn = pulumi.Output.from_input(function)
            self.function_name = pulumi.Output.from_input(arn["name"])
        else:
            root.key("function").string(
                function,
                max_len=limits.FUNCTION_NAME_MAX,
                pattern=limits.FUNCTION_NAME_RE,
                what="a function name or an unqualified function ARN",
                plain=True,
            )
            partition = aws.get_partition_output().partition
            region = aws.get_region_output().region
            account = aws.get_caller_identity_output().account_id
            self.function_name = pulumi.Output.from_input(function)
            self.function_arn = pulumi.Output.concat(
                "arn:", partition, ":lambda:", region, ":", account, ":function:", function
            )
        self.alias_name = alias_name
        self.alias_arn = pulumi.Output.concat(self.function_arn, ":", alias_name)

    def grant_invoke(self, grantee: Any, *, name: str | None = None, source_arn: Any = None) -> pulumi.Resource:
        """As :meth:`lambdakit.LambdaService.grant_invoke`, on the existing function's alias."""
        return grant_invoke(
            self.name,
            function_name=self.function_arn,
            alias_name=self.alias_name,
            alias_arn=self.alias_arn,
            grantee=grantee,
            name=name,
            source_arn=source_arn,
            parent=None,
        )

    def metric(self, name: str, statistic: str = "Sum", period: int = 60) -> AliasMetric:
        """As :meth:`lambdakit.LambdaService.metric`, for the existing function's alias."""
        return alias_metric(self.name, self.function_name, self.alias_name, name, statistic, period)


_FUNCTION_ARN = re.compile(
    r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:(?P<name>[A-Za-z0-9_-]{1,64})(:(?P<qualifier>[^:]+))?",
    re.ASCII,
)

"""The alias (with canary routing), provisioned concurrency on the alias and its autoscaling.

Ordering constraint (AWS): provisioned concurrency cannot be created or changed while the alias carries routing
weights ("Alias with weights can not be used with Provisioned Concurrency"). The component therefore:
- registers provisioned concurrency after the alias (it depends on it) and targets the alias, never `$LATEST`;
- while a canary is in progress (the alias routes a weight to a new version) it tells Pulumi to ignore changes to the
  provisioned concurrency count, so an `up` that starts, steps or rolls back a canary never asks AWS to change it;
- changes to provisioned concurrency take effect on the next `up` without a canary (after promotion), which is how
  the release driver sequences it: promote first, then resize;
- enabling provisioned concurrency for the first time is a deploy of its own, without `canary_weight` (the
  resource would be created while the alias is weighted, which AWS refuses). The README states this order.
"""

# No `from __future__ import annotations`: the TypedDicts below are read by Pulumi's schema inference at run time.
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits, schedules
from .validation import Field, is_unknown, optional


class ScheduledScalingArgs(TypedDict):
    """A scheduled change of the provisioned concurrency range (Application Auto Scaling scheduled action)."""

    name: str
    """Name of the scheduled action."""
    schedule: pulumi.Input[str]
    """`cron(...)`, `rate(...)` or `at(...)` expression."""
    min_capacity: NotRequired[pulumi.Input[int]]
    """Minimum provisioned concurrency from then on. Defaults to unchanged."""
    max_capacity: NotRequired[pulumi.Input[int]]
    """Maximum provisioned concurrency from then on. Defaults to unchanged."""
    timezone: NotRequired[pulumi.Input[str]]
    """IANA time zone for the schedule. Defaults to UTC."""


class AutoscalingArgs(TypedDict):
    """Application Auto Scaling of provisioned concurrency on the alias (target tracking on utilization)."""

    min_capacity: pulumi.Input[int]
    """Lowest provisioned concurrency, at least 1."""
    max_capacity: pulumi.Input[int]
    """Highest provisioned concurrency, at least `min_capacity` and at most the reserved concurrency."""
    target_utilization: NotRequired[pulumi.Input[float]]
    """Target `LambdaProvisionedConcurrencyUtilization`, 0.1-0.9. Defaults to 0.7."""
    scheduled_actions: NotRequired[Sequence[ScheduledScalingArgs]]
    """Scheduled range changes (e.g. scale up for business hours). Defaults to none."""


class ProvisionedConcurrencyArgs(TypedDict):
    """Provisioned concurrency on the alias."""

    count: pulumi.Input[int]
    """Pre-initialized execution environments, at least 1 and at most the reserved concurrency."""
    autoscaling: NotRequired[AutoscalingArgs]
    """Scale the count with utilization. Defaults to none (a fixed count)."""


@dataclass(frozen=True)
class ScheduledActionPlan:
    name: str
    schedule: Any
    min_capacity: Any
    max_capacity: Any
    timezone: Any


@dataclass(frozen=True)
class AutoscalingPlan:
    min_capacity: Any
    max_capacity: Any
    target_utilization: Any
    scheduled_actions: tuple[ScheduledActionPlan, ...]


@dataclass(frozen=True)
class ProvisionedPlan:
    count: Any
    autoscaling: AutoscalingPlan | None


@dataclass(frozen=True)
class AliasPlan:
    """The alias, its canary routing and its provisioned concurrency, checked."""

    name: str
    stable_version: Any
    canary_weight: Any
    provisioned: ProvisionedPlan | None

    @property
    def canary_requested(self) -> bool:
        return self.stable_version is not None and self.canary_weight is not None


def _version(field: Field, value: Any) -> Any:
    def check(v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):
            v = str(v)  # `pulumi config set ... 7` stores a number; a version is its decimal text
        if v == "$LATEST":
            raise field.fail("must be a published version number, never $LATEST (AWS rejects routing on it)")
        if not isinstance(v, str) or not limits.VERSION_RE.fullmatch(v) or not v.isascii():
            raise field.fail(f"must be a published version number such as '3', got {v!r}")
        return v

    return field.later(value, check)


def _at_most(field: Field, value: Any, ceiling: Any, what: str) -> Any:
    """``value`` (checked 1..reservable already), also at most ``ceiling`` when that is only known at deploy time."""
    if not is_unknown(ceiling):
        return value

    def check(values: list[Any]) -> Any:
        v, high = values
        if isinstance(high, int) and v > max(high, 1):
            raise field.fail(f"must be 1-{max(high, 1)} ({what}), got {v}")
        return v

    return pulumi.Output.all(value, ceiling).apply(check)


def _scheduled_action(field: Field, raw: Any, capacity: limits.Range) -> ScheduledActionPlan:
    action = field.mapping(raw, ScheduledScalingArgs)
    name = field.key("name").string(
        action["name"],
        max_len=limits.SCHEDULED_ACTION_NAME_MAX,
        pattern=limits.SCHEDULED_ACTION_NAME_RE,
        what="a scheduled action name (no ':', '/', '|', control characters or surrounding spaces)",
        plain=True,
    )
    zone = action.get("timezone")
    return ScheduledActionPlan(
        name=name,
        schedule=schedules.check_expression(field.key("schedule"), action["schedule"], schedules.WITH_AT),
        min_capacity=None
        if action.get("min_capacity") is None
        else field.key("min_capacity").integer(action["min_capacity"], capacity),
        max_capacity=None
        if action.get("max_capacity") is None
        else field.key("max_capacity").integer(action["max_capacity"], capacity),
        timezone=None if zone is None else schedules.check_time_zone(field.key("timezone"), zone),
    )


def _autoscaling(field: Field, raw: Any, upper: int, reserved: Any) -> AutoscalingPlan:
    scaling = field.mapping(raw, AutoscalingArgs)
    capacity = limits.Range(1, upper)
    low = field.key("min_capacity").integer(scaling["min_capacity"], capacity)
    high = field.key("max_capacity").integer(scaling["max_capacity"], capacity)
    high = _at_most(field.key("max_capacity"), high, reserved, "the reserved concurrency")

    def ordered(values: list[Any]) -> Any:
        lowest, highest = values
        if highest < lowest:
            raise field.key("max_capacity").fail(f"must be at least min_capacity ({lowest}), got {highest}")
        return highest

    high = pulumi.Output.all(low, high).apply(ordered) if is_unknown(low) or is_unknown(high) else ordered([low, high])
    actions = field.key("scheduled_actions").sequence(optional(scaling, "scheduled_actions", []))
    return AutoscalingPlan(
        min_capacity=low,
        max_capacity=high,
        target_utilization=field.key("target_utilization").number(
            optional(scaling, "target_utilization", 0.7), limits.TARGET_UTILIZATION
        ),
        scheduled_actions=tuple(
            _scheduled_action(field.key("scheduled_actions").index(i), a, capacity) for i, a in enumerate(actions)
        ),
    )


def _provisioned(field: Field, raw: Any, reserved: Any, reservable: int) -> ProvisionedPlan:
    pc = field.mapping(raw, ProvisionedConcurrencyArgs)
    # Provisioned concurrency comes out of the reserved concurrency when there is one, else out of what the account
    # may reserve (its limit less the 100 that must stay unreserved).
    plain_reserved = isinstance(reserved, int) and not isinstance(reserved, bool)
    upper = reserved if plain_reserved else reservable
    count = field.key("count").integer(pc["count"], limits.Range(1, max(upper, 1)))
    count = _at_most(field.key("count"), count, reserved, "the reserved concurrency")
    scaling = pc.get("autoscaling")
    return ProvisionedPlan(
        count=count,
        autoscaling=None if scaling is None else _autoscaling(field.key("autoscaling"), scaling, upper, reserved),
    )


def validate_alias(
    owner: str,
    *,
    alias_name: Any,
    stable_version: Any,
    canary_weight: Any,
    provisioned: Any,
    reserved: Any,
    reservable: int,
) -> AliasPlan:
    """The alias settings -> its plan. ``reserved`` is the (checked) reserved concurrency or None."""
    root = Field(owner)
    name = root.key("alias_name").string(
        alias_name,
        max_len=limits.ALIAS_NAME_MAX,
        pattern=limits.ALIAS_NAME_RE,
        must="contain only letters, digits, '-' and '_' (and not only digits)",
        plain=True,
    )
    if stable_version is not None:
        stable_version = _version(root.key("stable_version"), stable_version)
    if canary_weight is not None:
        if stable_version is None:
            raise root.key("canary_weight").fail(
                f"needs stable_version: the alias keeps the stable version and routes the weight to the new one "
                f"(got canary_weight={canary_weight!r} without stable_version)"
            )
        low, high = limits.WEIGHT_EXCLUSIVE
        canary_weight = root.key("canary_weight").number(
            canary_weight, limits.Range(low, high, low_open=True, high_open=True), what="strictly between 0 and 1"
        )
    return AliasPlan(
        name=name,
        stable_version=stable_version,
        canary_weight=canary_weight,
        provisioned=None
        if provisioned is None
        else _provisioned(root.key("provisioned_concurrency"), provisioned, reserved, reservable),
    )


def routing_for(plan: AliasPlan, new_version: pulumi.Output[str]) -> tuple[Any, Any]:
    """(function_version, routing_config) for the alias.

    Without a stable version the alias follows the newest version at 100%. With one, it stays on the stable version
    and routes `canary_weight` to the new version; the routing is dropped once the new version is the stable one.
    """
    if plan.stable_version is None:
        return new_version, None
    if plan.canary_weight is None:
        return plan.stable_version, None

    def routing(values: list[Any]) -> Any:
        new, stable, weight = values
        if new is None or str(new) == str(stable):
            return None
        return {"additional_version_weights": {str(new): float(weight)}}

    routing_out = pulumi.Output.all(new_version, plan.stable_version, plan.canary_weight).apply(routing)
    return plan.stable_version, routing_out.apply(lambda r: aws.lambda_.AliasRoutingConfigArgs(**r) if r else None)


def create_alias(
    service: str, plan: AliasPlan, function: "aws.lambda_.Function", parent: pulumi.Resource
) -> "aws.lambda_.Alias":
    """The alias ``<service>-alias`` on the stable (or newest) version, routing the canary weight."""
    function_version, routing = routing_for(plan, function.version)
    return aws.lambda_.Alias(
        f"{service}-alias",
        name=plan.name,
        function_name=function.name,
        function_version=function_version,
        routing_config=routing,
        description=f"lambdakit alias of {service}",
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _create_autoscaling(
    service: str,
    scaling: AutoscalingPlan,
    function_name: pulumi.Input[str],
    alias: "aws.lambda_.Alias",
    config: pulumi.Resource,
    parent: pulumi.Resource,
) -> list[pulumi.Resource]:
    resource_id = pulumi.Output.concat("function:", function_name, ":", alias.name)
    target = aws.appautoscaling.Target(
        f"{service}-pc-target",
        service_namespace="lambda",
        scalable_dimension="lambda:function:ProvisionedConcurrency",
        resource_id=resource_id,
        min_capacity=scaling.min_capacity,
        max_capacity=scaling.max_capacity,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[config]),
    )
    tracking = aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs
    metric = aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs
    policy = aws.appautoscaling.Policy(
        f"{service}-pc-utilization",
        policy_type="TargetTrackingScaling",
        service_namespace=target.service_namespace,
        scalable_dimension=target.scalable_dimension,
        resource_id=target.resource_id,
        target_tracking_scaling_policy_configuration=tracking(
            target_value=scaling.target_utilization,
            predefined_metric_specification=metric(predefined_metric_type="LambdaProvisionedConcurrencyUtilization"),
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[target]),
    )
    created: list[pulumi.Resource] = [target, policy]
    for i, action in enumerate(scaling.scheduled_actions):
        created.append(
            aws.appautoscaling.ScheduledAction(
                f"{service}-pc-schedule-{i}",
                name=action.name,
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                schedule=action.schedule,
                timezone=action.timezone,
                scalable_target_action=aws.appautoscaling.ScheduledActionScalableTargetActionArgs(
                    min_capacity=action.min_capacity,
                    max_capacity=action.max_capacity,
                ),
                opts=pulumi.ResourceOptions(parent=parent, depends_on=[target]),
            )
        )
    return created


def create_provisioned_concurrency(
    service: str,
    plan: AliasPlan,
    function_name: pulumi.Input[str],
    alias: "aws.lambda_.Alias",
    parent: pulumi.Resource,
) -> list[pulumi.Resource]:
    """Provisioned concurrency on the alias, and its autoscaling when asked for."""
    if plan.provisioned is None:
        return []
    pc = plan.provisioned
    # Autoscaling owns the count once enabled; a canary in progress must not change it (AWS rejects the call).
    ignore = ["provisionedConcurrentExecutions"] if pc.autoscaling or plan.canary_requested else []
    config = aws.lambda_.ProvisionedConcurrencyConfig(
        f"{service}-pc",
        function_name=function_name,
        qualifier=alias.name,
        provisioned_concurrent_executions=pc.count,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[alias], ignore_changes=ignore),
    )
    if pc.autoscaling is None:
        return [config]
    return [config, *_create_autoscaling(service, pc.autoscaling, function_name, alias, config, parent)]

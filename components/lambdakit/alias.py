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

from . import limits
from .validation import (
    as_list,
    as_mapping,
    check_choice,
    check_int_range,
    check_known_keys,
    check_later,
    check_name,
    check_number_range,
    fail,
    is_unknown,
)


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


PC_KEYS = tuple(ProvisionedConcurrencyArgs.__annotations__)
AUTOSCALING_KEYS = tuple(AutoscalingArgs.__annotations__)
SCHEDULED_KEYS = tuple(ScheduledScalingArgs.__annotations__)


@dataclass
class AliasPlan:
    name: Any
    stable_version: Any
    canary_weight: Any
    provisioned: dict[str, Any] | None

    @property
    def canary_requested(self) -> bool:
        return self.stable_version is not None and self.canary_weight is not None


def _check_version(service: str, field: str, value: Any) -> None:
    def check(v: Any) -> None:
        if v == "$LATEST":
            raise fail(service, field, "must be a published version number, never $LATEST (AWS rejects routing on it)")
        if not isinstance(v, str) or not limits.VERSION_RE.match(v):
            raise fail(service, field, f"must be a published version number such as '3', got {v!r}")

    check_later(value, check)


def _check_weight(service: str, value: Any) -> None:
    def check(v: Any) -> None:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise TypeError(f"{service}: canary_weight must be a number strictly between 0 and 1, got {v!r}")
        low, high = limits.WEIGHT_EXCLUSIVE
        if not low < v < high:
            raise fail(service, "canary_weight", f"must be strictly between 0 and 1, got {v}")

    check_later(value, check)


def validate_alias(
    service: str,
    alias_name: Any,
    stable_version: Any,
    canary_weight: Any,
    provisioned: Any,
    reserved: Any,
    reservable: int,
) -> AliasPlan:
    check_name(
        service,
        "alias_name",
        alias_name,
        limits.ALIAS_NAME_MAX,
        limits.ALIAS_NAME_RE,
        "letters, digits, '-' and '_' (and not only digits)",
    )
    if stable_version is not None:
        if isinstance(stable_version, int) and not isinstance(stable_version, bool):
            stable_version = str(stable_version)
        _check_version(service, "stable_version", stable_version)
    if canary_weight is not None:
        if stable_version is None:
            raise fail(
                service,
                "canary_weight",
                f"needs stable_version: the alias keeps the stable version and routes the weight to the new one "
                f"(got canary_weight={canary_weight!r} without stable_version)",
            )
        _check_weight(service, canary_weight)
    plan = AliasPlan(alias_name, stable_version, canary_weight, None)
    if provisioned is None:
        return plan
    pc = as_mapping(service, "provisioned_concurrency", provisioned)
    check_known_keys(service, "provisioned_concurrency", pc, PC_KEYS)
    if pc.get("count") is None:
        raise fail(service, "provisioned_concurrency.count", "is required (at least 1)")
    count = pc["count"]
    # Provisioned concurrency comes out of the reserved concurrency when there is one, else out of what the account
    # may reserve (its limit less the 100 that must stay unreserved).
    upper = reserved if isinstance(reserved, int) and not isinstance(reserved, bool) else reservable
    check_int_range(service, "provisioned_concurrency.count", count, limits.Range(1, max(upper, 1)))
    autoscaling = None
    if pc.get("autoscaling") is not None:
        a = as_mapping(service, "provisioned_concurrency.autoscaling", pc["autoscaling"])
        check_known_keys(service, "provisioned_concurrency.autoscaling", a, AUTOSCALING_KEYS)
        for key in ("min_capacity", "max_capacity"):
            if a.get(key) is None:
                raise fail(service, f"provisioned_concurrency.autoscaling.{key}", "is required")
        low, high = a["min_capacity"], a["max_capacity"]
        check_int_range(service, "provisioned_concurrency.autoscaling.min_capacity", low, limits.Range(1, upper))
        check_int_range(service, "provisioned_concurrency.autoscaling.max_capacity", high, limits.Range(1, upper))
        if isinstance(low, int) and isinstance(high, int) and high < low:
            raise fail(
                service,
                "provisioned_concurrency.autoscaling.max_capacity",
                f"must be at least min_capacity ({low}), got {high}",
            )
        target = a.get("target_utilization", 0.7)
        check_number_range(
            service, "provisioned_concurrency.autoscaling.target_utilization", target, limits.TARGET_UTILIZATION
        )
        scheduled = []
        for i, item in enumerate(
            as_list(service, "provisioned_concurrency.autoscaling.scheduled_actions", a.get("scheduled_actions"))
        ):
            field = f"provisioned_concurrency.autoscaling.scheduled_actions[{i}]"
            s = as_mapping(service, field, item)
            check_known_keys(service, field, s, SCHEDULED_KEYS)
            if not s.get("name") or not s.get("schedule"):
                raise fail(service, field, f"needs a name and a schedule, got {dict(s)!r}")
            sched = s["schedule"]
            if not is_unknown(sched) and not (
                isinstance(sched, str) and sched.startswith(("cron(", "rate(", "at(")) and sched.endswith(")")
            ):
                raise fail(service, f"{field}.schedule", f"must be cron(...), rate(...) or at(...), got {sched!r}")
            for key in ("min_capacity", "max_capacity"):
                if s.get(key) is not None:
                    check_int_range(service, f"{field}.{key}", s[key], limits.Range(1, upper))
            if s.get("timezone") is not None and not is_unknown(s["timezone"]):
                import zoneinfo

                check_choice(service, f"{field}.timezone", s["timezone"], zoneinfo.available_timezones())
            scheduled.append(dict(s))
        autoscaling = {
            "min_capacity": low,
            "max_capacity": high,
            "target_utilization": target,
            "scheduled_actions": scheduled,
        }
    plan.provisioned = {"count": count, "autoscaling": autoscaling}
    return plan


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


def create_provisioned_concurrency(
    service: str,
    plan: AliasPlan,
    function_name: pulumi.Input[str],
    alias: "aws.lambda_.Alias",
    parent: pulumi.Resource,
) -> list[pulumi.Resource]:
    if plan.provisioned is None:
        return []
    pc = plan.provisioned
    autoscaling = pc["autoscaling"]
    # Autoscaling owns the count once enabled; a canary in progress must not change it (AWS rejects the call).
    ignore = ["provisionedConcurrentExecutions"] if autoscaling or plan.canary_requested else []
    config = aws.lambda_.ProvisionedConcurrencyConfig(
        f"{service}-pc",
        function_name=function_name,
        qualifier=alias.name,
        provisioned_concurrent_executions=pc["count"],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[alias], ignore_changes=ignore),
    )
    created: list[pulumi.Resource] = [config]
    if not autoscaling:
        return created
    resource_id = pulumi.Output.concat("function:", function_name, ":", alias.name)
    dimension = "lambda:function:ProvisionedConcurrency"
    target = aws.appautoscaling.Target(
        f"{service}-pc-target",
        service_namespace="lambda",
        scalable_dimension=dimension,
        resource_id=resource_id,
        min_capacity=autoscaling["min_capacity"],
        max_capacity=autoscaling["max_capacity"],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[config]),
    )
    policy = aws.appautoscaling.Policy(
        f"{service}-pc-utilization",
        policy_type="TargetTrackingScaling",
        service_namespace=target.service_namespace,
        scalable_dimension=target.scalable_dimension,
        resource_id=target.resource_id,
        target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
            target_value=autoscaling["target_utilization"],
            predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                predefined_metric_type="LambdaProvisionedConcurrencyUtilization",
            ),
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[target]),
    )
    created += [target, policy]
    for i, action in enumerate(autoscaling["scheduled_actions"]):
        created.append(
            aws.appautoscaling.ScheduledAction(
                f"{service}-pc-schedule-{i}",
                name=action["name"],
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                schedule=action["schedule"],
                timezone=action.get("timezone"),
                scalable_target_action=aws.appautoscaling.ScheduledActionScalableTargetActionArgs(
                    min_capacity=action.get("min_capacity"),
                    max_capacity=action.get("max_capacity"),
                ),
                opts=pulumi.ResourceOptions(parent=parent, depends_on=[target]),
            )
        )
    return created

"""S3 object events that invoke the alias: one permission and one notification configuration per bucket."""

# No `from __future__ import annotations`: Pulumi's component schema inference reads this TypedDict at run time.
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .. import limits
from ..validation import Field, is_unknown, optional
from .common import Context


class S3TriggerArgs(TypedDict):
    """S3 object events that invoke the alias."""

    bucket: pulumi.Input[str]
    """Name of the bucket (not its ARN). Required; no default. S3 keeps one notification configuration per bucket,
    so lambdakit must be the only thing that configures notifications on it."""
    events: NotRequired[Sequence[str]]
    """S3 event types, e.g. ``s3:ObjectCreated:*`` or ``s3:ObjectRemoved:Delete``. Defaults to
    ``["s3:ObjectCreated:*"]``."""
    filter_prefix: NotRequired[pulumi.Input[str]]
    """Only keys starting with this prefix, e.g. ``uploads/``. Defaults to no prefix filter (every key)."""
    filter_suffix: NotRequired[pulumi.Input[str]]
    """Only keys ending with this suffix, e.g. ``.csv``. Defaults to no suffix filter (every key)."""
    source_account: NotRequired[pulumi.Input[str]]
    """12-digit id of the account that owns the bucket, when that is not the deploying account: the permission is
    scoped to that account and no notification configuration is created (the bucket's owner adds one for the alias
    ARN, `alias_arn`; this account cannot write another account's bucket configuration). Every trigger on one bucket
    names the same account. Defaults to the deploying account."""


DEFAULT_S3_EVENTS: tuple[str, ...] = ("s3:ObjectCreated:*",)


@dataclass(frozen=True)
class S3NotificationPlan:
    """One ``s3_triggers`` entry: the events and key filters of one notification on the bucket."""

    index: int
    events: tuple[str, ...]
    filter_prefix: Any
    filter_suffix: Any


@dataclass(frozen=True)
class S3BucketPlan:
    """Every ``s3_triggers`` entry on one bucket (S3 keeps one notification configuration per bucket)."""

    index: int
    bucket: Any
    notifications: tuple[S3NotificationPlan, ...]
    #: The bucket owner's account when it is another account (then only the permission is created).
    source_account: Any = None


def _bucket(field: Field, value: Any) -> Any:
    return field.string(
        value,
        max_len=63,
        pattern=limits.S3_BUCKET_RE,
        what="a bucket name (3-63 lowercase letters, digits, '.', '-'; not an ARN)",
    )


def _events_intersect(a: tuple[str, ...], b: tuple[str, ...]) -> str | None:
    for x in sorted(a):
        for y in sorted(b):
            if x == y:
                return x
            if x.endswith(":*") and y.startswith(x[:-1]):
                return y
            if y.endswith(":*") and x.startswith(y[:-1]):
                return x
    return None


def _check_overlaps(owner: str, bucket: Any, group: Sequence[S3NotificationPlan]) -> None:
    # S3 refuses a configuration in which two rules share an event type and their key filters can match the
    # same key ("Configurations overlap"), and it refuses it only at deploy time, after the permissions exist.
    plain = [n for n in group if not is_unknown(n.filter_prefix) and not is_unknown(n.filter_suffix)]
    for a, first in enumerate(plain):
        for second in plain[a + 1 :]:
            shared = _events_intersect(first.events, second.events)
            pa, pb = first.filter_prefix or "", second.filter_prefix or ""
            sa, sb = first.filter_suffix or "", second.filter_suffix or ""
            if shared and (pa.startswith(pb) or pb.startswith(pa)) and (sa.endswith(sb) or sb.endswith(sa)):
                raise Field(owner, f"s3_triggers[{first.index}]").fail(
                    f"and s3_triggers[{second.index}] overlap on bucket {bucket!r}: both match {shared} with "
                    f"prefixes {pa!r}/{pb!r} and suffixes {sa!r}/{sb!r}; S3 rejects overlapping notification "
                    "configurations: make the prefixes or suffixes disjoint, or merge the triggers"
                )


def validate_s3_triggers(owner: str, value: Any) -> tuple[S3BucketPlan, ...]:
    """``s3_triggers`` -> one plan per bucket, in order of first appearance."""
    groups: dict[object, tuple[Any, list[S3NotificationPlan], Any]] = {}
    for index, field, trigger in Field(owner, "s3_triggers").entries(value, S3TriggerArgs):
        given = trigger["bucket"]
        events = field.key("events").sequence(optional(trigger, "events", DEFAULT_S3_EVENTS))
        if not events:
            raise field.key("events").fail("must list at least one event type, got []")
        checked = [field.key("events").index(j).choice(e, limits.S3_EVENTS, plain=True) for j, e in enumerate(events)]
        notification = S3NotificationPlan(
            index=index,
            events=tuple(dict.fromkeys(checked)),
            filter_prefix=_filter(field.key("filter_prefix"), trigger.get("filter_prefix")),
            filter_suffix=_filter(field.key("filter_suffix"), trigger.get("filter_suffix")),
        )
        # An Output bucket is compared by identity: the same Output object is the same bucket.
        key = given if isinstance(given, str) else id(given)
        account = source_account(field.key("source_account"), trigger.get("source_account"))
        if key not in groups:
            groups[key] = (_bucket(field.key("bucket"), given), [], account)
        elif groups[key][2] is not account and groups[key][2] != account:
            raise field.key("source_account").fail(
                f"must be the same for every trigger on bucket {given!r} (one bucket has one owner), got {account!r} "
                f"and {groups[key][2]!r}"
            )
        groups[key][1].append(notification)
    plans = []
    for j, (bucket_key, (bucket, notifications, account)) in enumerate(groups.items()):
        _check_overlaps(owner, bucket_key, notifications)
        plans.append(S3BucketPlan(j, bucket, tuple(notifications), account))
    return tuple(plans)


def source_account(field: Field, value: Any) -> Any:
    """A 12-digit account id (or None)."""
    if value is None:
        return None
    return field.string(value, pattern=limits.ACCOUNT_ID_RE, what="a 12-digit AWS account id")


def _filter(field: Field, value: Any) -> Any:
    return None if value is None else field.string(value, max_len=limits.S3_FILTER_MAX)


def create_s3_triggers(ctx: Context, plans: Sequence[S3BucketPlan]) -> None:
    """Per bucket: the permission (scoped to the bucket and the account), then the notification configuration."""
    for plan in plans:
        source_arn = pulumi.Output.concat("arn:", ctx.partition, ":s3:::", plan.bucket)
        permission = ctx.permission(
            f"{ctx.service}-s3-{plan.index}-permission", "s3.amazonaws.com", source_arn, plan.source_account
        )
        if plan.source_account is not None:
            continue  # the bucket's owner configures the notification in its own account
        notification = aws.s3.BucketNotification(
            f"{ctx.service}-s3-{plan.index}-notification",
            bucket=plan.bucket,
            lambda_functions=[
                aws.s3.BucketNotificationLambdaFunctionArgs(
                    lambda_function_arn=ctx.target.alias_arn,
                    events=list(n.events),
                    filter_prefix=n.filter_prefix,
                    filter_suffix=n.filter_suffix,
                )
                for n in plan.notifications
            ],
            # S3 test-invokes the destination when the configuration is saved and fails with "Unable to
            # validate the following destination configurations" unless the permission already exists.
            opts=ctx.opts(permission),
        )
        ctx.out.bucket_notifications.append(notification)

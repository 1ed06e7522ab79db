"""Callers in other AWS accounts or in an AWS Organization allowed to invoke the alias (``allowed_invokers``).

Each grant is one ``aws:lambda/permission:Permission`` qualified with the alias and scoped by the calling account (an
account id or an IAM principal of one account) or by the organization (principal ``*`` with ``principal_org_id``,
which AWS writes as the condition ``aws:PrincipalOrgID``). A bare ``*`` principal, which would let every AWS account
invoke the function, is refused.
"""

# No `from __future__ import annotations`: Pulumi's component schema inference reads this TypedDict at run time.
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .. import limits
from ..validation import Field
from .common import Context


class InvokerArgs(TypedDict):
    """A caller in another account, or every principal of an AWS Organization, allowed to invoke the alias."""

    principal: NotRequired[pulumi.Input[str]]
    """A 12-digit account id or an IAM principal ARN of one account (`arn:aws:iam::<account>:root`, `:role/<name>`,
    `:user/<name>`). `*` only together with `principal_org_id`. Defaults to `*` when `principal_org_id` is set;
    otherwise required."""
    principal_org_id: NotRequired[pulumi.Input[str]]
    """AWS Organization id (`o-` and 10-32 lowercase letters or digits): only principals of that organization may
    invoke (the `aws:PrincipalOrgID` condition). Defaults to none."""


@dataclass(frozen=True)
class InvokerPlan:
    """One grant: a principal (an account, an IAM principal, or ``*`` bound to an organization)."""

    index: int
    principal: Any
    principal_org_id: Any


def _principal(field: Field, value: Any, org: Any) -> Any:
    def check(p: Any) -> Any:
        field.string(p, what="an account id or an IAM principal ARN", plain=True)
        if p == "*":
            if org is None:
                raise field.fail(
                    "is '*' without principal_org_id, which would let every AWS account invoke the function; name "
                    "the account (123456789012), an IAM principal ARN, or set principal_org_id"
                )
            return p
        if not (limits.ACCOUNT_ID_RE.fullmatch(p) or limits.IAM_PRINCIPAL_ARN_RE.fullmatch(p)):
            raise field.fail(
                "must be a 12-digit account id or an IAM principal ARN of one account (arn:aws:iam::<account>:root, "
                f":role/<name> or :user/<name>), got {p!r}"
            )
        return p

    return field.later(value, check)


def _invoker(index: int, field: Field, raw: Any) -> InvokerPlan:
    org = raw.get("principal_org_id")
    principal = raw.get("principal")
    if principal is None and org is None:
        raise field.key("principal").fail("is required unless principal_org_id is set (an organization grant)")
    return InvokerPlan(
        index=index,
        principal="*" if principal is None else _principal(field.key("principal"), principal, org),
        principal_org_id=None
        if org is None
        else field.key("principal_org_id").string(
            org, pattern=limits.ORG_ID_RE, what="an AWS Organization id such as o-a1b2c3d4e5"
        ),
    )


def validate_invokers(owner: str, value: Any) -> tuple[InvokerPlan, ...]:
    """``allowed_invokers`` -> one plan per grant."""
    return tuple(_invoker(i, f, raw) for i, f, raw in Field(owner, "allowed_invokers").entries(value, InvokerArgs))


def invoker_permission(ctx: Context, name: str, principal: Any, principal_org_id: Any = None) -> aws.lambda_.Permission:
    """``lambda:InvokeFunction`` on the alias for a principal of another account or of an organization."""
    permission = aws.lambda_.Permission(
        name,
        action="lambda:InvokeFunction",
        function=ctx.target.function_name,
        qualifier=ctx.target.alias_name,
        principal=principal,
        principal_org_id=principal_org_id,
        opts=ctx.opts(),
    )
    ctx.out.permissions.append(permission)
    return permission


def create_invokers(ctx: Context, plans: Sequence[InvokerPlan]) -> None:
    """One permission per grant, ``<service>-invoker-<i>``."""
    for plan in plans:
        invoker_permission(ctx, f"{ctx.service}-invoker-{plan.index}", plan.principal, plan.principal_org_id)

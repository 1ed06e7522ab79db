"""Permission for a REST or HTTP API (API Gateway) to invoke the alias, narrowed to its stage and route."""

# No `from __future__ import annotations`: Pulumi's component schema inference reads this TypedDict at run time.
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi

from .. import limits
from ..validation import Field, optional
from .common import Context


class ApiGatewayTriggerArgs(TypedDict):
    """Permission for a REST or HTTP API (API Gateway) to invoke the alias."""

    api_id: pulumi.Input[str]
    """Id of the REST API or HTTP API (not its ARN), e.g. ``a1b2c3d4e5``. Required; no default."""
    stage: NotRequired[str]
    """Stage the permission is narrowed to, e.g. ``prod`` or ``$default``. Defaults to ``*`` (every stage)."""
    route: NotRequired[str]
    """Route the permission is narrowed to: ``METHOD /path`` (a REST resource method or an HTTP API route key, e.g.
    ``GET /orders/{id}``; path parameters become ``*``, ``ANY`` becomes ``*``) or ``$default``. Defaults to ``*``
    (every route)."""


# Real ids are 10 lowercase alphanumerics; hyphens are let through so that offline ids ("<name>-id" from the SDK
# mocks) resolve cleanly. What this catches is an ARN, a URL or a name with spaces.
_API_ID = re.compile(r"[A-Za-z0-9-]+", re.ASCII)
_STAGE = re.compile(r"\*|\$default|[A-Za-z0-9_-]{1,128}", re.ASCII)
_RESOURCE_PATH = re.compile(r"/[!-~]*", re.ASCII)


@dataclass(frozen=True)
class ApiGatewayPlan:
    index: int
    api_id: Any
    stage: str
    #: The execute-api ARN's ``<method>/<resource path>`` tail (``GET/orders/*``), ``$default`` or ``*``.
    route: str


def route_arn_part(field: Field, route: str) -> str:
    """``GET /orders/{id}`` -> ``GET/orders/*``; the execute-api ARN's ``<method>/<resource path>`` tail."""
    if route in ("*", "$default"):
        return route
    method, _, resource = route.partition(" ")
    if method.upper() not in limits.API_METHODS or not _RESOURCE_PATH.fullmatch(resource):
        raise field.fail(
            f"must be 'METHOD /path' (METHOD one of {', '.join(limits.API_METHODS)}), $default or *, got {route!r}"
        )
    method = "*" if method.upper() in ("ANY", "*") else method.upper()
    return method + re.sub(r"\{[^}/]+\}", "*", resource)


def _trigger(index: int, field: Field, trigger: Any) -> ApiGatewayPlan:
    route = field.key("route").string(optional(trigger, "route", "*"), plain=True)
    return ApiGatewayPlan(
        index=index,
        api_id=field.key("api_id").string(
            trigger["api_id"], pattern=_API_ID, what="the API's id (letters and digits, not an ARN or URL)"
        ),
        stage=field.key("stage").string(
            optional(trigger, "stage", "*"), pattern=_STAGE, what="a stage name, $default or *", plain=True
        ),
        route=route_arn_part(field.key("route"), route),
    )


def validate_api_gateway_triggers(owner: str, value: Any) -> tuple[ApiGatewayPlan, ...]:
    """``api_gateway_triggers`` -> one plan per API."""
    entries = Field(owner, "api_gateway_triggers").entries(value, ApiGatewayTriggerArgs)
    return tuple(_trigger(i, f, trigger) for i, f, trigger in entries)


def create_api_gateway_triggers(ctx: Context, plans: Sequence[ApiGatewayPlan]) -> None:
    """One permission per API, scoped to ``arn:<partition>:execute-api:<region>:<account>:<api>/<stage>/<route>``."""
    for plan in plans:
        source_arn = pulumi.Output.concat(
            "arn:", ctx.partition, ":execute-api:", ctx.region, ":", ctx.account, ":",
            plan.api_id, "/", plan.stage, "/", plan.route,
        )  # fmt: skip
        permission = ctx.permission(
            f"{ctx.service}-apigw-{plan.index}-permission", "apigateway.amazonaws.com", source_arn
        )
        ctx.out.api_gateway_permissions.append(permission)

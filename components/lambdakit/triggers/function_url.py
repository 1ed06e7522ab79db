"""A Function URL on the alias: AWS_IAM auth unless public access is acknowledged with ``allow_public``."""

# No `from __future__ import annotations`: Pulumi's component schema inference reads these TypedDicts at run time.
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .. import limits
from ..validation import Field, is_unknown, optional
from .common import Context


class FunctionUrlCorsArgs(TypedDict):
    """CORS settings of the Function URL."""

    allow_origins: Sequence[str]
    """Origins allowed to call the URL from a browser, each ``*`` or ``scheme://host[:port]`` (at most 100).
    Required; no default."""
    allow_methods: NotRequired[Sequence[str]]
    """HTTP methods allowed (``GET``, ``PUT``, ``HEAD``, ``POST``, ``PATCH``, ``DELETE`` or ``*``). Defaults to
    ``["*"]``."""
    allow_headers: NotRequired[Sequence[str]]
    """Request headers allowed (at most 100). Defaults to none beyond the CORS-safelisted headers."""
    expose_headers: NotRequired[Sequence[str]]
    """Response headers exposed to the browser (at most 100). Defaults to none."""
    allow_credentials: NotRequired[bool]
    """Whether cookies and credentials are allowed; not allowed together with the origin ``*``. Defaults to
    False."""
    max_age_seconds: NotRequired[int]
    """How long (0-86400 s) browsers may cache the preflight response. Defaults to 0."""


class FunctionUrlArgs(TypedDict):
    """A Function URL on the alias."""

    auth_type: NotRequired[str]
    """``AWS_IAM`` (callers sign requests with SigV4) or ``NONE`` (public; requires ``allow_public: True``).
    Defaults to ``AWS_IAM``."""
    allow_public: NotRequired[bool]
    """Acknowledgement that ``auth_type: NONE`` makes the function callable by anyone on the internet; required
    with ``NONE`` and rejected otherwise. Defaults to False."""
    invoke_mode: NotRequired[str]
    """``BUFFERED`` (the response is returned when complete, at most 6 MB) or ``RESPONSE_STREAM``. Defaults to
    ``BUFFERED``."""
    cors: NotRequired[FunctionUrlCorsArgs]
    """CORS settings for browser callers. Defaults to none (no CORS headers)."""


DEFAULT_URL_AUTH = "AWS_IAM"
DEFAULT_URL_INVOKE_MODE = "BUFFERED"
_ORIGIN = re.compile(r"\*|https?://[^/\s*?#]+(:[0-9]{1,5})?")
_HEADER = re.compile(r"[!-~]+")


@dataclass(frozen=True)
class CorsPlan:
    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    allow_credentials: bool
    max_age_seconds: int


@dataclass(frozen=True)
class FunctionUrlPlan:
    """The URL: its auth type (an Output is checked against ``allow_public`` when it resolves), mode and CORS."""

    auth_type: Any
    #: Whether the URL is public; decides the resource policy for principal "*".
    allow_public: bool
    invoke_mode: Any
    cors: CorsPlan | None


def _auth(field: Field, value: Any, public: bool) -> Any:
    def check(auth: Any) -> Any:
        field.key("auth_type").choice(auth, limits.URL_AUTH_TYPES, plain=True)
        if auth == "NONE" and not public:
            raise field.key("auth_type").fail(
                f"'NONE' makes the URL callable by anyone; set {field}.allow_public to True to confirm, or use "
                f"'AWS_IAM', got auth_type 'NONE' with allow_public {public!r}"
            )
        if public and auth != "NONE":
            raise field.key("allow_public").fail(f"True only applies with auth_type 'NONE', got auth_type {auth!r}")
        return auth

    return field.later(value, check)


def _strings(field: Field, value: Any, max_items: int, pattern: re.Pattern[str], what: str, max_len: int) -> tuple:
    items = field.sequence(value, max_len=max_items)
    return tuple(
        field.index(j).string(v, pattern=pattern, what=what, max_len=max_len, plain=True) for j, v in enumerate(items)
    )


def _cors(field: Field, raw: Any) -> CorsPlan:
    cors = field.mapping(raw, FunctionUrlCorsArgs)
    origins = field.key("allow_origins").sequence(cors["allow_origins"])
    if not origins or len(origins) > limits.CORS_ORIGINS_MAX:
        raise field.key("allow_origins").fail(f"must list 1-{limits.CORS_ORIGINS_MAX} origins, got {len(origins)}")
    origin_what = "* or scheme://host[:port] with no path"
    checked = _strings(
        field.key("allow_origins"), origins, limits.CORS_ORIGINS_MAX, _ORIGIN, origin_what, limits.CORS_ORIGIN_LEN_MAX
    )
    methods = field.key("allow_methods").sequence(
        optional(cors, "allow_methods", ["*"]), max_len=limits.CORS_METHODS_MAX
    )
    headers = {
        key: _strings(field.key(key), optional(cors, key, []), limits.CORS_HEADERS_MAX, _HEADER, "a header name", 1024)
        for key in ("allow_headers", "expose_headers")
    }
    credentials = field.key("allow_credentials").boolean(optional(cors, "allow_credentials", False))
    if credentials and "*" in checked:
        raise field.key("allow_credentials").fail(
            f"True cannot be combined with the origin '*' (browsers refuse credentialed wildcard CORS); list the "
            f"origins, got allow_origins {list(checked)!r}"
        )
    return CorsPlan(
        allow_origins=checked,
        allow_methods=tuple(
            field.key("allow_methods").index(j).choice(m, limits.URL_CORS_METHODS, plain=True)
            for j, m in enumerate(methods)
        ),
        allow_headers=headers["allow_headers"],
        expose_headers=headers["expose_headers"],
        allow_credentials=credentials,
        max_age_seconds=field.key("max_age_seconds").integer(
            optional(cors, "max_age_seconds", 0), limits.CORS_MAX_AGE_S, plain=True
        ),
    )


def validate_function_url(owner: str, value: Any) -> FunctionUrlPlan | None:
    """``function_url`` -> its plan (None when not given)."""
    if value is None:
        return None
    field = Field(owner, "function_url")
    url = field.mapping(value, FunctionUrlArgs)
    public = field.key("allow_public").boolean(optional(url, "allow_public", False))
    return FunctionUrlPlan(
        auth_type=_auth(field, optional(url, "auth_type", DEFAULT_URL_AUTH), public),
        allow_public=public,
        invoke_mode=field.key("invoke_mode").choice(
            optional(url, "invoke_mode", DEFAULT_URL_INVOKE_MODE), limits.URL_INVOKE_MODES
        ),
        cors=None if url.get("cors") is None else _cors(field.key("cors"), url["cors"]),
    )


def create_function_url(ctx: Context, plan: FunctionUrlPlan) -> None:
    """The URL on the alias and, for a public URL, the two resource-policy statements AWS requires."""
    cors = plan.cors
    resource = aws.lambda_.FunctionUrl(
        f"{ctx.service}-url",
        function_name=ctx.target.function_name,
        qualifier=ctx.target.alias_name,
        authorization_type=plan.auth_type,
        invoke_mode=plan.invoke_mode,
        cors=aws.lambda_.FunctionUrlCorsArgs(
            allow_origins=list(cors.allow_origins),
            allow_methods=list(cors.allow_methods),
            allow_headers=list(cors.allow_headers) or None,
            expose_headers=list(cors.expose_headers) or None,
            allow_credentials=cors.allow_credentials,
            max_age=cors.max_age_seconds,
        )
        if cors is not None
        else None,
        opts=ctx.opts(),
    )
    ctx.out.function_url_resource = resource
    ctx.out.function_url = resource.function_url
    if not plan.allow_public:
        return
    # A public URL needs a resource policy for principal "*", which cannot carry a source ARN or account
    # (anonymous callers have neither). Since October 2025 AWS also requires lambda:InvokeFunction
    # restricted to calls made through the URL, next to lambda:InvokeFunctionUrl. An auth type known only at deploy
    # time holds both back until it has passed its check.
    function = ctx.target.function_name
    if is_unknown(plan.auth_type):
        function = pulumi.Output.all(function, plan.auth_type).apply(lambda values: values[0])
    for suffix, extra in (
        ("url-public-permission", {"action": "lambda:InvokeFunctionUrl", "function_url_auth_type": "NONE"}),
        ("url-public-invoke-permission", {"action": "lambda:InvokeFunction", "invoked_via_function_url": True}),
    ):
        ctx.out.permissions.append(
            aws.lambda_.Permission(
                f"{ctx.service}-{suffix}",
                function=function,
                qualifier=ctx.target.alias_name,
                principal="*",
                opts=ctx.opts(),
                **extra,
            )
        )

"""An API Gateway HTTP API created with the function (``http_api``), beside the permission-only form
(``api_gateway_triggers``) for an API that lives elsewhere.

Registers, in the order AWS needs them: the API (CORS optional), one ``AWS_PROXY`` integration to the alias, the
authorizers (JWT, or a ``REQUEST`` Lambda authorizer with its own permission scoped to that authorizer), one route
per route key (after the integration it targets), one invoke permission on the alias per route narrowed to
``<execution arn>/<stage>/<METHOD>/<path>``, the access-log group (the function's log retention and KMS key), then
the stage with its throttling and access logs, after the routes its settings name.

Secure by default: a route is ``AWS_IAM`` unless it names an authorizer; a route without authentication (``NONE``)
is refused unless ``allow_unauthenticated`` acknowledges it, as the ALB trigger's listener rule and the Function
URL's ``allow_public`` do.
"""

# No `from __future__ import annotations`: Pulumi's component schema inference reads these TypedDicts at run time.
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .. import limits
from ..validation import Field, optional, parse_arn
from .api_gateway import route_arn_part
from .common import Context


class HttpApiThrottleArgs(TypedDict):
    """Throttling of a stage or of one route (the account's own quota still applies above it)."""

    burst_limit: NotRequired[int]
    """Requests allowed in a burst, 0-5,000 (the account's default quota). Defaults to the account's."""
    rate_limit: NotRequired[float]
    """Steady requests per second, 0-10,000 (the account's default quota). Defaults to the account's."""


class HttpApiRouteArgs(TypedDict):
    """One route of the HTTP API, sent to the alias."""

    route_key: str
    """`METHOD /path` (METHOD one of ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS; path variables `{id}`, a
    greedy `{proxy+}` as the last segment) or `$default` (every request no other route matches). Required."""
    authorization: NotRequired[str]
    """`AWS_IAM` (SigV4-signed callers), the `name` of one of `authorizers`, or `NONE` (needs
    `allow_unauthenticated`). Defaults to `default_authorization`."""
    scopes: NotRequired[Sequence[str]]
    """OAuth scopes a JWT authorizer requires of the access token (any one of them). Defaults to none."""
    throttle: NotRequired[HttpApiThrottleArgs]
    """Throttling of this route on the stage. Defaults to the stage's."""


class HttpApiAuthorizerArgs(TypedDict):
    """A JWT authorizer or a Lambda (`REQUEST`) authorizer the routes may name."""

    name: str
    """Name the routes refer to, 1-64 letters, digits, `-` and `_`. Required."""
    type: str
    """`JWT` or `REQUEST`. Required."""
    issuer: NotRequired[pulumi.Input[str]]
    """JWT: the token issuer's https URL (e.g. a Cognito user pool's
    `https://cognito-idp.<region>.amazonaws.com/<pool id>`). Required for JWT."""
    audiences: NotRequired[Sequence[pulumi.Input[str]]]
    """JWT: accepted `aud` (or Cognito `client_id`) values, at least one. Required for JWT."""
    identity_sources: NotRequired[Sequence[str]]
    """Where the identity is read, e.g. `$request.header.Authorization` (JWT: exactly one). Defaults to
    `$request.header.Authorization`."""
    function_arn: NotRequired[pulumi.Input[str]]
    """REQUEST: ARN of the authorizer function (a qualified ARN to pin an alias); it gets its own permission scoped
    to this authorizer. Required for REQUEST."""
    result_ttl_seconds: NotRequired[int]
    """REQUEST: seconds API Gateway caches the authorizer's answer per identity, 0-3600. Defaults to 0 (no
    caching)."""
    simple_responses: NotRequired[bool]
    """REQUEST: the authorizer answers `{"isAuthorized": true}` rather than an IAM policy. Defaults to true."""


class HttpApiCorsArgs(TypedDict):
    """CORS answered by API Gateway (preflight requests never reach the function)."""

    allow_origins: Sequence[str]
    """Allowed origins, e.g. `https://app.example.com`; `*` is refused with `allow_credentials`. Required."""
    allow_methods: NotRequired[Sequence[str]]
    """Allowed methods (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or `*`). Defaults to none."""
    allow_headers: NotRequired[Sequence[str]]
    """Allowed request headers. Defaults to none."""
    expose_headers: NotRequired[Sequence[str]]
    """Response headers the browser may read. Defaults to none."""
    max_age_seconds: NotRequired[int]
    """Seconds a browser caches the preflight answer, -1 to 86,400. Defaults to none (the browser's default)."""
    allow_credentials: NotRequired[bool]
    """Allow cookies and authorization headers. Defaults to false."""


class HttpApiArgs(TypedDict):
    """An API Gateway HTTP API created with the function, whose routes invoke the alias."""

    routes: Sequence[HttpApiRouteArgs]
    """Routes sent to the alias, 1-300, each route key once. Required."""
    name: NotRequired[str]
    """Name of the API, 1-128 characters. Defaults to the function's name."""
    payload_format_version: NotRequired[str]
    """Event shape the function receives: `2.0` or `1.0` (the REST API's shape). Defaults to `2.0`."""
    timeout_ms: NotRequired[int]
    """Milliseconds API Gateway waits for the function, 50-30,000. Defaults to 30,000."""
    default_authorization: NotRequired[str]
    """Authorization of routes that name none: `AWS_IAM`, an authorizer's `name`, or `NONE` (needs
    `allow_unauthenticated`). Defaults to `AWS_IAM`."""
    authorizers: NotRequired[Sequence[HttpApiAuthorizerArgs]]
    """JWT and Lambda authorizers the routes may name, at most 10. Defaults to none."""
    allow_unauthenticated: NotRequired[bool]
    """Acknowledge that the routes whose authorization is `NONE` answer anyone (a public API, or authentication in
    the handler); required when one does. Defaults to false."""
    cors: NotRequired[HttpApiCorsArgs]
    """CORS answered by API Gateway. Defaults to none."""
    stage_name: NotRequired[str]
    """Stage name: `$default` (served at the API's root) or 1-128 letters, digits, `-` and `_` (served at
    `/<stage>`). Defaults to `$default`."""
    auto_deploy: NotRequired[bool]
    """Deploy every change of the API to the stage. Defaults to true."""
    throttle: NotRequired[HttpApiThrottleArgs]
    """Throttling of every route on the stage. Defaults to the account's quota."""
    detailed_metrics: NotRequired[bool]
    """Per-route CloudWatch metrics on the stage. Defaults to false."""
    access_logs: NotRequired[bool]
    """Write an access log entry per request to `/aws/apigateway/<function name>-http-api`, created with the
    function's log retention and KMS key. Defaults to true."""
    access_log_format: NotRequired[str]
    """Access log line, at most 1,024 characters, with `$context.requestId` or `$context.extendedRequestId`.
    Defaults to JSON with the request id, source IP, time, method, route, status, protocol, length and the
    integration's latency and error."""


#: The JSON access-log line when ``access_log_format`` is not given: the standard ``$context`` fields.
DEFAULT_ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "routeKey": "$context.routeKey",
        "path": "$context.path",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "integrationLatency": "$context.integrationLatency",
        "integrationError": "$context.integrationErrorMessage",
        "authorizerError": "$context.authorizer.error",
    },
    separators=(",", ":"),
)


@dataclass(frozen=True)
class ThrottlePlan:
    burst_limit: int | None
    rate_limit: float | None

    @property
    def empty(self) -> bool:
        return self.burst_limit is None and self.rate_limit is None


@dataclass(frozen=True)
class HttpApiRoutePlan:
    route_key: str
    #: ``NONE``, ``AWS_IAM``, or the name of an authorizer.
    authorization: str
    scopes: tuple[str, ...]
    throttle: ThrottlePlan
    #: The execute-api ARN's ``<method>/<path>`` tail (``GET/orders/*``) or ``$default``.
    arn_part: str
    #: The route's part of its resources' names (``get-orders-id``).
    slug: str

    @property
    def unauthenticated(self) -> bool:
        return self.authorization == "NONE"


@dataclass(frozen=True)
class HttpApiAuthorizerPlan:
    name: str
    type: str
    identity_sources: tuple[str, ...]
    issuer: Any = None
    audiences: Any = None
    function_arn: Any = None
    result_ttl_seconds: int = 0
    simple_responses: bool = True


@dataclass(frozen=True)
class HttpApiCorsPlan:
    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int | None
    allow_credentials: bool


@dataclass(frozen=True)
class HttpApiPlan:
    """The HTTP API of one service, checked and defaulted."""

    service: str
    name: Any
    routes: tuple[HttpApiRoutePlan, ...]
    authorizers: tuple[HttpApiAuthorizerPlan, ...]
    payload_format_version: str
    timeout_ms: int
    cors: HttpApiCorsPlan | None
    stage_name: str
    auto_deploy: bool
    throttle: ThrottlePlan
    detailed_metrics: bool
    #: The access-log group's name, retention and KMS key (None: no access logs).
    log_group_name: str | None
    log_retention_days: int
    log_kms_key_id: Any
    access_log_format: str

    @property
    def unauthenticated_routes(self) -> tuple[str, ...]:
        return tuple(r.route_key for r in self.routes if r.unauthenticated)


@dataclass
class HttpApiOutputs:
    """What :func:`create_http_api` registered."""

    api: aws.apigatewayv2.Api
    integration: aws.apigatewayv2.Integration
    routes: list[aws.apigatewayv2.Route]
    authorizers: list[aws.apigatewayv2.Authorizer]
    permissions: list[aws.lambda_.Permission]
    stage: aws.apigatewayv2.Stage
    log_group: aws.cloudwatch.LogGroup | None

    @property
    def url(self) -> pulumi.Output[str]:
        """The stage's invoke URL (``https://<api id>.execute-api.<region>.amazonaws.com[/<stage>]``)."""
        return self.stage.invoke_url

    @property
    def resources(self) -> list[pulumi.Resource]:
        created: list[pulumi.Resource] = [self.api, self.integration, *self.authorizers, *self.routes]
        created += [*self.permissions, *([self.log_group] if self.log_group is not None else []), self.stage]
        return created


# --- validation ------------------------------------------------------------------------------------------------------

_STAGE = re.compile(r"\$default|[A-Za-z0-9_-]{1,128}", re.ASCII)
_AUTHORIZER_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
#: A literal path segment: RFC 3986 path characters, without the braces of a variable.
_SEGMENT = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@%-]+", re.ASCII)
_VARIABLE = re.compile(r"\{(?P<name>[A-Za-z0-9._-]+)(?P<greedy>\+?)\}", re.ASCII)
_IDENTITY_SOURCE = re.compile(
    r"\$(request\.(header|querystring)\.[!#-~]+|context\.[A-Za-z0-9._]+|stageVariables\.[A-Za-z0-9_]+)", re.ASCII
)
_HTTPS_URL = re.compile(r"https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[!-~]*)?", re.ASCII)
_SCOPE = re.compile(r"[!-~]{1,64}", re.ASCII)


def _route_key(field: Field, key: Any) -> str:
    """Check ``METHOD /path`` or ``$default`` as API Gateway does; return it unchanged."""
    key = field.string(key, what="a route key ('GET /orders/{id}' or '$default')", plain=True)
    if key == "$default":
        return key
    shape = "must be 'METHOD /path' or '$default'"
    method, space, path = key.partition(" ")
    if not space or " " in path:
        raise field.fail(f"{shape} (one space between method and path), got {key!r}")
    if method not in limits.HTTP_API_METHODS:
        hint = f" (methods are upper case: {method.upper()!r})" if method.upper() in limits.HTTP_API_METHODS else ""
        raise field.fail(f"has the method {method!r}; HTTP APIs accept {', '.join(limits.HTTP_API_METHODS)}{hint}")
    if not path.startswith("/"):
        raise field.fail(f"{shape}: the path must start with '/', got {key!r}")
    if path == "/":
        return key
    segments = path[1:].split("/")
    seen: set[str] = set()
    for i, segment in enumerate(segments):
        if not segment:
            raise field.fail(f"has an empty path segment ('//' or a trailing '/'), got {key!r}")
        variable = _VARIABLE.fullmatch(segment)
        if variable is None:
            if "{" in segment or "}" in segment:
                raise field.fail(
                    f"has the segment {segment!r}: a path variable is a whole segment, '{{name}}' or a last "
                    f"'{{name+}}', got {key!r}"
                )
            if not _SEGMENT.fullmatch(segment):
                raise field.fail(f"has the segment {segment!r} with characters a URL path cannot hold, got {key!r}")
            continue
        if variable["greedy"] and i != len(segments) - 1:
            raise field.fail(f"has the greedy variable {segment!r} before the last segment, got {key!r}")
        if variable["name"] in seen:
            raise field.fail(f"names the path variable {variable['name']!r} twice, got {key!r}")
        seen.add(variable["name"])
    return key


def _slug(route_key: str) -> str:
    if route_key == "$default":
        return "default"
    return re.sub(r"[^a-z0-9]+", "-", route_key.lower()).strip("-") or "root"


def _throttle(field: Field, raw: Any) -> ThrottlePlan:
    if raw is None:
        return ThrottlePlan(None, None)
    t = field.mapping(raw, HttpApiThrottleArgs)
    burst, rate = t.get("burst_limit"), t.get("rate_limit")
    return ThrottlePlan(
        burst_limit=None if burst is None else field.key("burst_limit").integer(burst, limits.HTTP_API_THROTTLE_BURST),
        rate_limit=None if rate is None else field.key("rate_limit").number(rate, limits.HTTP_API_THROTTLE_RATE),
    )


def _strings(
    field: Field, value: Any, *, pattern: re.Pattern[str] | None = None, what: str = "a string"
) -> tuple[str, ...]:
    items = field.sequence([] if value is None else value, what="a list of strings")
    return tuple(field.index(i).string(v, pattern=pattern, what=what, plain=True) for i, v in enumerate(items))


def _issuer(field: Field, value: Any) -> Any:
    return field.string(
        value, pattern=_HTTPS_URL, what="an https URL", must="be the issuer's https URL (https://host/path)"
    )


def _function_arn(field: Field, value: Any) -> Any:
    def check(v: Any) -> Any:
        field.arn(v, ("lambda",), what="Lambda function ARN")
        match = parse_arn(v)
        if match is None or not match["resource"].startswith("function:"):
            raise field.fail(
                f"must be a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:...), got {v!r}"
            )
        return v

    return field.later(value, check)


def _authorizer(field: Field, raw: Any) -> HttpApiAuthorizerPlan:
    name = field.key("name").string(
        raw["name"], pattern=_AUTHORIZER_NAME, what="an authorizer name (1-64 letters, digits, - and _)", plain=True
    )
    kind = field.key("type").choice(raw["type"], ("JWT", "REQUEST"), plain=True)
    sources = _strings(
        field.key("identity_sources"),
        optional(raw, "identity_sources", ["$request.header.Authorization"]),
        pattern=_IDENTITY_SOURCE,
        what="an identity source ($request.header.<name>, $request.querystring.<name>, $context.<name> or "
        "$stageVariables.<name>)",
    )
    jwt_only, request_only = ("issuer", "audiences"), ("function_arn", "result_ttl_seconds", "simple_responses")
    for key in request_only if kind == "JWT" else jwt_only:
        if raw.get(key) is not None:
            raise field.key(key).fail(f"does not apply to a {kind} authorizer, got {raw[key]!r}")
    if kind == "JWT":
        for key in jwt_only:
            if raw.get(key) is None:
                raise field.key(key).fail("is required for a JWT authorizer")
        if len(sources) != 1:
            raise field.key("identity_sources").fail(
                f"must name exactly one source for a JWT authorizer, got {sources}"
            )
        audiences = field.key("audiences").sequence(raw["audiences"], min_len=1, what="a list of audiences")
        return HttpApiAuthorizerPlan(
            name=name,
            type=kind,
            identity_sources=sources,
            issuer=_issuer(field.key("issuer"), raw["issuer"]),
            audiences=tuple(field.key("audiences").index(i).string(a) for i, a in enumerate(audiences)),
        )
    if raw.get("function_arn") is None:
        raise field.key("function_arn").fail("is required for a REQUEST authorizer (the authorizer function's ARN)")
    ttl = field.key("result_ttl_seconds").integer(
        optional(raw, "result_ttl_seconds", 0), limits.HTTP_API_AUTHORIZER_TTL_S, plain=True
    )
    if ttl > 0 and not sources:
        raise field.key("identity_sources").fail("must name a source when result_ttl_seconds caches answers")
    return HttpApiAuthorizerPlan(
        name=name,
        type=kind,
        identity_sources=sources,
        function_arn=_function_arn(field.key("function_arn"), raw["function_arn"]),
        result_ttl_seconds=ttl,
        simple_responses=field.key("simple_responses").boolean(optional(raw, "simple_responses", True)),
    )


def _authorization(field: Field, value: Any, authorizers: dict[str, HttpApiAuthorizerPlan]) -> str:
    options = ["AWS_IAM", "NONE", *authorizers]
    value = field.string(value, what="AWS_IAM, NONE or an authorizer's name", plain=True)
    if value not in options:
        raise field.fail(
            f"must be AWS_IAM, NONE or the name of one of authorizers ({', '.join(authorizers) or 'none given'}); "
            f"got {value!r}"
        )
    return value


def _cors(field: Field, raw: Any) -> HttpApiCorsPlan | None:
    if raw is None:
        return None
    c = field.mapping(raw, HttpApiCorsArgs)
    origins = _strings(field.key("allow_origins"), c["allow_origins"])
    if not origins:
        raise field.key("allow_origins").fail("must list at least one origin")
    credentials = field.key("allow_credentials").boolean(optional(c, "allow_credentials", False))
    if credentials and "*" in origins:
        raise field.key("allow_origins").fail(
            "must name the origins when allow_credentials is true (browsers refuse '*' with credentials, and it "
            "would let any site send your users' cookies), got '*'"
        )
    methods = _strings(field.key("allow_methods"), c.get("allow_methods"))
    for i, method in enumerate(methods):
        field.key("allow_methods").index(i).choice(method, limits.HTTP_API_CORS_METHODS, plain=True)
    max_age = c.get("max_age_seconds")
    return HttpApiCorsPlan(
        allow_origins=origins,
        allow_methods=methods,
        allow_headers=_strings(field.key("allow_headers"), c.get("allow_headers")),
        expose_headers=_strings(field.key("expose_headers"), c.get("expose_headers")),
        max_age=None
        if max_age is None
        else field.key("max_age_seconds").integer(max_age, limits.HTTP_API_CORS_MAX_AGE_S, plain=True),
        allow_credentials=credentials,
    )


def _log_format(field: Field, value: Any) -> str:
    text = field.string(value, max_len=limits.HTTP_API_ACCESS_LOG_FORMAT_MAX, plain=True)
    if "$context.requestId" not in text and "$context.extendedRequestId" not in text:
        raise field.fail(
            f"must contain $context.requestId or $context.extendedRequestId (API Gateway refuses it otherwise), "
            f"got {text[:80]!r}"
        )
    return text


def validate_http_api(
    owner: str, value: Any, *, function_name: str, log_retention_days: int, log_kms_key_id: Any
) -> HttpApiPlan | None:
    """``http_api`` -> its plan (None when not set). The access-log group takes the function's log retention and KMS
    key. Nothing is registered."""
    if value is None:
        return None
    field = Field(owner, "http_api")
    raw = field.mapping(value, HttpApiArgs)

    authorizer_items = field.key("authorizers").sequence(
        optional(raw, "authorizers", []), max_len=limits.HTTP_API_AUTHORIZERS_MAX, what="a list of authorizers"
    )
    authorizers: dict[str, HttpApiAuthorizerPlan] = {}
    for i, item in enumerate(authorizer_items):
        f = field.key("authorizers").index(i)
        plan = _authorizer(f, f.mapping(item, HttpApiAuthorizerArgs))
        if plan.name in authorizers:
            raise f.key("name").fail(f"names the authorizer {plan.name!r} twice")
        authorizers[plan.name] = plan

    default = _authorization(
        field.key("default_authorization"), optional(raw, "default_authorization", "AWS_IAM"), authorizers
    )
    route_items = field.key("routes").sequence(
        raw["routes"], min_len=1, max_len=limits.HTTP_API_ROUTES_MAX, what="a list of routes"
    )
    routes: list[HttpApiRoutePlan] = []
    keys: dict[str, int] = {}
    slugs: set[str] = set()
    for i, item in enumerate(route_items):
        f = field.key("routes").index(i)
        r = f.mapping(item, HttpApiRouteArgs)
        key = _route_key(f.key("route_key"), r["route_key"])
        if key in keys:
            raise f.key("route_key").fail(f"repeats routes[{keys[key]}]'s route key {key!r} (each route once)")
        keys[key] = i
        authorization = (
            default
            if r.get("authorization") is None
            else _authorization(f.key("authorization"), r["authorization"], authorizers)
        )
        scopes = _strings(f.key("scopes"), r.get("scopes"), pattern=_SCOPE, what="an OAuth scope (1-64 characters)")
        if scopes and (authorization not in authorizers or authorizers[authorization].type != "JWT"):
            raise f.key("scopes").fail(f"need a JWT authorizer; the route's authorization is {authorization!r}")
        slug = _slug(key)
        base, n = slug, 2
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        slugs.add(slug)
        routes.append(
            HttpApiRoutePlan(
                route_key=key,
                authorization=authorization,
                scopes=scopes,
                throttle=_throttle(f.key("throttle"), r.get("throttle")),
                arn_part=route_arn_part(f.key("route_key"), key),
                slug=slug,
            )
        )

    acknowledged = field.key("allow_unauthenticated").boolean(optional(raw, "allow_unauthenticated", False))
    open_routes = [r.route_key for r in routes if r.unauthenticated]
    if open_routes and not acknowledged:
        raise field.key("routes").fail(
            f"has routes anyone can call without authentication ({', '.join(open_routes)}): name an authorizer or "
            "AWS_IAM, or set allow_unauthenticated: true for a public API or a handler that authenticates"
        )
    if acknowledged and not open_routes:
        raise field.key("allow_unauthenticated").fail("is set but every route authenticates: remove it")
    used = {r.authorization for r in routes}
    for name in authorizers:
        if name not in used:
            raise field.key("authorizers").fail(f"defines {name!r}, which no route uses")

    access_logs = field.key("access_logs").boolean(optional(raw, "access_logs", True))
    log_format = raw.get("access_log_format")
    if log_format is not None and not access_logs:
        raise field.key("access_log_format").fail("needs access_logs: true")
    return HttpApiPlan(
        service=owner,
        name=field.key("name").string(optional(raw, "name", function_name), max_len=limits.HTTP_API_NAME_MAX),
        routes=tuple(routes),
        authorizers=tuple(authorizers.values()),
        payload_format_version=field.key("payload_format_version").choice(
            optional(raw, "payload_format_version", "2.0"), limits.HTTP_API_PAYLOAD_VERSIONS, plain=True
        ),
        timeout_ms=field.key("timeout_ms").integer(
            optional(raw, "timeout_ms", 30_000), limits.HTTP_API_INTEGRATION_TIMEOUT_MS, plain=True
        ),
        cors=_cors(field.key("cors"), raw.get("cors")),
        stage_name=field.key("stage_name").string(
            optional(raw, "stage_name", "$default"),
            pattern=_STAGE,
            what="$default or a stage name (1-128 letters, digits, - and _)",
            plain=True,
        ),
        auto_deploy=field.key("auto_deploy").boolean(optional(raw, "auto_deploy", True)),
        throttle=_throttle(field.key("throttle"), raw.get("throttle")),
        detailed_metrics=field.key("detailed_metrics").boolean(optional(raw, "detailed_metrics", False)),
        log_group_name=f"/aws/apigateway/{function_name}-http-api" if access_logs else None,
        log_retention_days=log_retention_days,
        log_kms_key_id=log_kms_key_id,
        access_log_format=DEFAULT_ACCESS_LOG_FORMAT
        if log_format is None
        else _log_format(field.key("access_log_format"), log_format),
    )


# --- creation --------------------------------------------------------------------------------------------------------


def _route_settings(plan: HttpApiPlan) -> list[aws.apigatewayv2.StageRouteSettingArgs]:
    return [
        aws.apigatewayv2.StageRouteSettingArgs(
            route_key=r.route_key,
            throttling_burst_limit=r.throttle.burst_limit,
            throttling_rate_limit=r.throttle.rate_limit,
            detailed_metrics_enabled=plan.detailed_metrics or None,
        )
        for r in plan.routes
        if not r.throttle.empty
    ]


def create_http_api(ctx: Context, plan: HttpApiPlan, tags: dict[str, Any] | None = None) -> HttpApiOutputs:
    """Register the HTTP API from ``plan`` as children of ``ctx.parent``, every route invoking ``ctx``'s alias."""
    prefix = f"{ctx.service}-http-api"
    child = pulumi.ResourceOptions(parent=ctx.parent)
    cors = plan.cors
    api = aws.apigatewayv2.Api(
        prefix,
        name=plan.name,
        protocol_type="HTTP",
        cors_configuration=None
        if cors is None
        else aws.apigatewayv2.ApiCorsConfigurationArgs(
            allow_origins=list(cors.allow_origins),
            allow_methods=list(cors.allow_methods) or None,
            allow_headers=list(cors.allow_headers) or None,
            expose_headers=list(cors.expose_headers) or None,
            max_age=cors.max_age,
            allow_credentials=cors.allow_credentials or None,
        ),
        tags=tags or None,
        opts=child,
    )
    integration = aws.apigatewayv2.Integration(
        f"{prefix}-integration",
        api_id=api.id,
        integration_type="AWS_PROXY",
        # The alias, never $LATEST: a canary's traffic split applies to API requests too.
        integration_uri=ctx.target.alias_arn,
        integration_method="POST",
        payload_format_version=plan.payload_format_version,
        timeout_milliseconds=plan.timeout_ms,
        opts=ctx.opts(),
    )
    authorizers: dict[str, aws.apigatewayv2.Authorizer] = {}
    permissions: list[aws.lambda_.Permission] = []
    for a in plan.authorizers:
        name = f"{prefix}-authorizer-{a.name}"
        if a.type == "JWT":
            authorizer = aws.apigatewayv2.Authorizer(
                name,
                api_id=api.id,
                name=a.name,
                authorizer_type="JWT",
                identity_sources=list(a.identity_sources),
                jwt_configuration=aws.apigatewayv2.AuthorizerJwtConfigurationArgs(
                    issuer=a.issuer, audiences=list(a.audiences)
                ),
                opts=child,
            )
        else:
            uri = pulumi.Output.concat(
                "arn:", ctx.partition, ":apigateway:", ctx.region, ":lambda:path/2015-03-31/functions/",
                a.function_arn, "/invocations",
            )  # fmt: skip
            authorizer = aws.apigatewayv2.Authorizer(
                name,
                api_id=api.id,
                name=a.name,
                authorizer_type="REQUEST",
                authorizer_uri=uri,
                authorizer_payload_format_version="2.0",
                enable_simple_responses=a.simple_responses,
                authorizer_result_ttl_in_seconds=a.result_ttl_seconds,
                identity_sources=list(a.identity_sources) or None,
                opts=child,
            )
            # The authorizer function's own permission, scoped to this authorizer of this API and the account.
            permissions.append(
                aws.lambda_.Permission(
                    f"{name}-permission",
                    action="lambda:InvokeFunction",
                    function=a.function_arn,
                    principal="apigateway.amazonaws.com",
                    source_arn=pulumi.Output.concat(api.execution_arn, "/authorizers/", authorizer.id),
                    source_account=ctx.account,
                    opts=child,
                )
            )
        authorizers[a.name] = authorizer

    types = {a.name: "JWT" if a.type == "JWT" else "CUSTOM" for a in plan.authorizers}
    routes: list[aws.apigatewayv2.Route] = []
    for r in plan.routes:
        used = authorizers.get(r.authorization)
        kind = types.get(r.authorization, r.authorization)
        routes.append(
            aws.apigatewayv2.Route(
                f"{prefix}-route-{r.slug}",
                api_id=api.id,
                route_key=r.route_key,
                # The target names the integration, so the route is created after it.
                target=pulumi.Output.concat("integrations/", integration.id),
                authorization_type=kind,
                authorizer_id=None if used is None else used.id,
                authorization_scopes=list(r.scopes) or None,
                opts=child,
            )
        )
        # One permission per route, on the alias, narrowed to this stage, method and path.
        permissions.append(
            ctx.permission(
                f"{prefix}-{r.slug}-permission",
                "apigateway.amazonaws.com",
                pulumi.Output.concat(api.execution_arn, "/", plan.stage_name, "/", r.arn_part),
            )
        )

    log_group = None
    if plan.log_group_name is not None:
        log_group = aws.cloudwatch.LogGroup(
            f"{prefix}-logs",
            name=plan.log_group_name,
            retention_in_days=plan.log_retention_days,
            kms_key_id=plan.log_kms_key_id,
            tags=tags or None,
            opts=child,
        )
    default_settings = None
    if not plan.throttle.empty or plan.detailed_metrics:
        default_settings = aws.apigatewayv2.StageDefaultRouteSettingsArgs(
            throttling_burst_limit=plan.throttle.burst_limit,
            throttling_rate_limit=plan.throttle.rate_limit,
            detailed_metrics_enabled=plan.detailed_metrics or None,
        )
    stage = aws.apigatewayv2.Stage(
        f"{prefix}-stage",
        api_id=api.id,
        name=plan.stage_name,
        auto_deploy=plan.auto_deploy,
        default_route_settings=default_settings,
        route_settings=_route_settings(plan) or None,
        access_log_settings=None
        if log_group is None
        else aws.apigatewayv2.StageAccessLogSettingsArgs(destination_arn=log_group.arn, format=plan.access_log_format),
        tags=tags or None,
        # Route settings name route keys, which must exist; an auto-deployed stage deploys the routes it finds.
        opts=pulumi.ResourceOptions(parent=ctx.parent, depends_on=[*routes, *permissions]),
    )
    return HttpApiOutputs(
        api=api,
        integration=integration,
        routes=routes,
        authorizers=list(authorizers.values()),
        permissions=permissions,
        stage=stage,
        log_group=log_group,
    )


__all__ = [
    "DEFAULT_ACCESS_LOG_FORMAT",
    "HttpApiArgs",
    "HttpApiAuthorizerArgs",
    "HttpApiCorsArgs",
    "HttpApiOutputs",
    "HttpApiPlan",
    "HttpApiRouteArgs",
    "HttpApiThrottleArgs",
    "create_http_api",
    "validate_http_api",
]

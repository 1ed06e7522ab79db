"""An API Gateway HTTP API created with the function (``http_api``, issue 13) under Pulumi mocks: the API, the
integration on the alias, routes and authorizers, the permissions (qualified with the alias, narrowed per route, by
account), the stage's throttling and access logs, the ordering, and every failing input."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from lambdakit import LambdaService
from lambdakit.triggers.http_api import DEFAULT_ACCESS_LOG_FORMAT

ACCOUNT = "123456789012"  # the mocks' deploying account
API = "aws:apigatewayv2/api:Api"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
ROUTE = "aws:apigatewayv2/route:Route"
AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer"
STAGE = "aws:apigatewayv2/stage:Stage"
PERMISSION = "aws:lambda/permission:Permission"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
EXEC = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:orders-test"  # the mocks' execution ARN of the API named orders-test
AUTH_FN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:authorizer:live"
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf"


@pytest.fixture(autouse=True, scope="module")
def _collect_failed_futures() -> Iterator[None]:
    # Failed evaluations leave futures whose finalisers log from a later test's import otherwise (see test_triggers).
    yield
    gc.collect()


def service(http_api: Any, **extra: Any) -> LambdaService:
    return LambdaService("orders", {"code_path": "src", "http_api": http_api, **extra})  # type: ignore[typeddict-item]


def assert_fails_before_anything(deploy_error: Any, message: str, http_api: Any) -> None:
    error, deployed = deploy_error(lambda: service(http_api))
    assert isinstance(error, ValueError | TypeError), f"unexpected {type(error).__name__}: {error}"
    assert re.search(message, str(error)), f"{message!r} not in {error}"
    assert str(error).startswith("orders: http_api"), error
    assert deployed.run.registrations == [], [r.urn for r in deployed.run.registrations]


def test_iam_routes_invoke_the_alias_through_one_proxy_integration(deploy: Any) -> None:
    deployed = deploy(lambda: service({"routes": [{"route_key": "GET /orders/{id}"}, {"route_key": "POST /orders"}]}))
    api = deployed.one(API, "orders-http-api")
    assert api.inputs["protocolType"] == "HTTP"
    assert api.inputs["name"] == "orders-test", "defaults to the function's name"
    assert "corsConfiguration" not in api.inputs
    integration = deployed.one(INTEGRATION, "orders-http-api-integration")
    assert integration.inputs["integrationType"] == "AWS_PROXY"
    assert integration.inputs["integrationUri"].endswith(":function:orders-test:live"), "the alias, not $LATEST"
    assert integration.inputs["payloadFormatVersion"] == "2.0"
    assert integration.inputs["timeoutMilliseconds"] == 30_000
    assert integration.inputs["apiId"] == api.id
    alias = deployed.one("aws:lambda/alias:Alias")
    assert alias.urn in integration.dependencies

    routes = {r.inputs["routeKey"]: r for r in deployed.of_type(ROUTE)}
    assert set(routes) == {"GET /orders/{id}", "POST /orders"}
    for route in routes.values():
        assert route.inputs["authorizationType"] == "AWS_IAM", "secure by default"
        assert route.inputs["target"] == f"integrations/{integration.id}"
        assert integration.urn in route.dependencies, "a route is created after the integration it targets"
    assert deployed.one(ROUTE, "orders-http-api-route-get-orders-id") is routes["GET /orders/{id}"]

    permissions = {p.name: p for p in deployed.of_type(PERMISSION)}
    get = permissions["orders-http-api-get-orders-id-permission"]
    post = permissions["orders-http-api-post-orders-permission"]
    assert get.inputs["sourceArn"] == f"{EXEC}/$default/GET/orders/*", "narrowed to stage, method and path"
    assert post.inputs["sourceArn"] == f"{EXEC}/$default/POST/orders"
    for permission in (get, post):
        assert permission.inputs["qualifier"] == "live"
        assert permission.inputs["principal"] == "apigateway.amazonaws.com"
        assert permission.inputs["sourceAccount"] == ACCOUNT
        assert alias.urn in permission.dependencies

    stage = deployed.one(STAGE, "orders-http-api-stage")
    assert stage.inputs["name"] == "$default"
    assert stage.inputs["autoDeploy"] is True
    for route in routes.values():
        assert route.urn in stage.dependencies, "the stage deploys after the routes it serves"
    logs = deployed.one(LOG_GROUP, "orders-http-api-logs")
    assert logs.inputs["name"] == "/aws/apigateway/orders-test-http-api"
    function_logs = deployed.one(LOG_GROUP, "orders-logs")
    assert logs.inputs["retentionInDays"] == function_logs.inputs["retentionInDays"]
    assert stage.inputs["accessLogSettings"] == {
        "destinationArn": logs.outputs["arn"],
        "format": DEFAULT_ACCESS_LOG_FORMAT,
    }
    fields = json.loads(DEFAULT_ACCESS_LOG_FORMAT)
    assert fields["requestId"] == "$context.requestId" and fields["status"] == "$context.status"
    assert "defaultRouteSettings" not in stage.inputs and "routeSettings" not in stage.inputs

    outputs = deployed.one("lambdakit:index:LambdaService").outputs
    assert outputs["http_api_url"] == f"https://{api.id}.execute-api.us-east-1.amazonaws.com"
    assert outputs["http_api_id"] == api.id


def test_authorizers_scopes_throttling_cors_and_a_named_stage(deploy: Any) -> None:
    key_arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    deployed = deploy(
        lambda: service(
            {
                "name": "orders-public",
                "payload_format_version": "1.0",
                "timeout_ms": 5000,
                "default_authorization": "users",
                "authorizers": [
                    {"name": "users", "type": "JWT", "issuer": ISSUER, "audiences": ["client-1"]},
                    {
                        "name": "partners",
                        "type": "REQUEST",
                        "function_arn": AUTH_FN,
                        "identity_sources": ["$request.header.X-Partner-Key"],
                        "result_ttl_seconds": 300,
                    },
                ],
                "routes": [
                    {"route_key": "GET /orders/{id}", "scopes": ["orders/read"], "throttle": {"burst_limit": 10}},
                    {"route_key": "ANY /partners/{proxy+}", "authorization": "partners"},
                    {"route_key": "GET /health", "authorization": "NONE"},
                    {"route_key": "$default"},
                ],
                "allow_unauthenticated": True,
                "cors": {
                    "allow_origins": ["https://app.example.com"],
                    "allow_methods": ["GET"],
                    "max_age_seconds": 600,
                },
                "stage_name": "v1",
                "throttle": {"burst_limit": 100, "rate_limit": 50.5},
                "detailed_metrics": True,
            },
            log_kms_key_id=key_arn,
        )
    )
    api = deployed.one(API)
    assert api.inputs["name"] == "orders-public"
    assert api.inputs["corsConfiguration"] == {
        "allowOrigins": ["https://app.example.com"],
        "allowMethods": ["GET"],
        "maxAge": 600,
    }
    assert deployed.one(INTEGRATION).inputs["payloadFormatVersion"] == "1.0"
    assert deployed.one(INTEGRATION).inputs["timeoutMilliseconds"] == 5000

    jwt = deployed.one(AUTHORIZER, "orders-http-api-authorizer-users")
    assert jwt.inputs["authorizerType"] == "JWT"
    assert jwt.inputs["jwtConfiguration"] == {"issuer": ISSUER, "audiences": ["client-1"]}
    assert jwt.inputs["identitySources"] == ["$request.header.Authorization"]
    custom = deployed.one(AUTHORIZER, "orders-http-api-authorizer-partners")
    assert custom.inputs["authorizerType"] == "REQUEST"
    assert custom.inputs["authorizerUri"] == (
        f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{AUTH_FN}/invocations"
    )
    assert custom.inputs["authorizerResultTtlInSeconds"] == 300
    assert custom.inputs["enableSimpleResponses"] is True
    assert custom.inputs["identitySources"] == ["$request.header.X-Partner-Key"]
    auth_permission = deployed.one(PERMISSION, "orders-http-api-authorizer-partners-permission")
    assert auth_permission.inputs["function"] == AUTH_FN
    assert auth_permission.inputs["sourceArn"] == f"{EXEC.rsplit(':', 1)[0]}:orders-public/authorizers/{custom.id}"
    assert auth_permission.inputs["sourceAccount"] == ACCOUNT
    assert "qualifier" not in auth_permission.inputs, "the authorizer's own ARN says which version"

    routes = {r.inputs["routeKey"]: r.inputs for r in deployed.of_type(ROUTE)}
    assert routes["GET /orders/{id}"]["authorizationType"] == "JWT"
    assert routes["GET /orders/{id}"]["authorizerId"] == jwt.id
    assert routes["GET /orders/{id}"]["authorizationScopes"] == ["orders/read"]
    assert routes["ANY /partners/{proxy+}"]["authorizationType"] == "CUSTOM"
    assert routes["ANY /partners/{proxy+}"]["authorizerId"] == custom.id
    assert routes["GET /health"]["authorizationType"] == "NONE"
    assert "authorizerId" not in routes["GET /health"]
    assert routes["$default"]["authorizationType"] == "JWT", "default_authorization applies"

    exec_arn = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:orders-public"
    arns = {p.name: p.inputs["sourceArn"] for p in deployed.of_type(PERMISSION)}
    assert arns["orders-http-api-get-orders-id-permission"] == f"{exec_arn}/v1/GET/orders/*"
    assert arns["orders-http-api-any-partners-proxy-permission"] == f"{exec_arn}/v1/*/partners/*"
    assert arns["orders-http-api-get-health-permission"] == f"{exec_arn}/v1/GET/health"
    assert arns["orders-http-api-default-permission"] == f"{exec_arn}/v1/$default"

    stage = deployed.one(STAGE)
    assert stage.inputs["name"] == "v1"
    assert stage.inputs["defaultRouteSettings"] == {
        "throttlingBurstLimit": 100,
        "throttlingRateLimit": 50.5,
        "detailedMetricsEnabled": True,
    }
    assert stage.inputs["routeSettings"] == [
        {"routeKey": "GET /orders/{id}", "throttlingBurstLimit": 10, "detailedMetricsEnabled": True}
    ]
    assert deployed.one(LOG_GROUP, "orders-http-api-logs").inputs["kmsKeyId"] == key_arn, "the function's KMS key"
    outputs = deployed.one("lambdakit:index:LambdaService").outputs
    assert outputs["http_api_url"] == f"https://{api.id}.execute-api.us-east-1.amazonaws.com/v1"


def test_access_logs_can_be_turned_off_or_reformatted(deploy: Any) -> None:
    deployed = deploy(lambda: service({"routes": [{"route_key": "GET /"}], "access_logs": False}))
    assert [g.name for g in deployed.of_type(LOG_GROUP)] == ["orders-logs"]
    assert "accessLogSettings" not in deployed.one(STAGE).inputs
    assert deployed.one(PERMISSION, "orders-http-api-get-permission").inputs["sourceArn"] == f"{EXEC}/$default/GET/"

    text = "$context.requestId $context.status"
    deployed = deploy(lambda: service({"routes": [{"route_key": "$default"}], "access_log_format": text}))
    assert deployed.one(STAGE).inputs["accessLogSettings"]["format"] == text


def test_without_http_api_nothing_is_created_and_the_outputs_are_empty(deploy: Any) -> None:
    deployed = deploy(lambda: LambdaService("orders", {"code_path": "src"}))
    assert deployed.of_type(API) == [] and deployed.of_type(STAGE) == []
    outputs = deployed.one("lambdakit:index:LambdaService").outputs
    assert outputs.get("http_api_url") is None and outputs.get("http_api_id") is None


def test_a_name_known_at_deploy_time_is_passed_through(deploy: Any) -> None:
    deployed = deploy(
        lambda: service({"name": pulumi.Output.from_input("late-name"), "routes": [{"route_key": "$default"}]})
    )
    assert deployed.one(API).inputs["name"] == "late-name"


JWT = {"name": "users", "type": "JWT", "issuer": ISSUER, "audiences": ["client-1"]}
REQUEST = {"name": "partners", "type": "REQUEST", "function_arn": AUTH_FN}


def routes(*keys: str, **extra: Any) -> dict[str, Any]:
    return {"routes": [{"route_key": k} for k in keys], **extra}


@pytest.mark.parametrize(
    ("http_api", "message"),
    [
        ({}, r"http_api.routes is required"),
        ({"routes": []}, r"http_api.routes must list at least 1, got 0"),
        ("GET /", r"http_api must be a mapping \(HttpApiArgs\)"),
        ({"routes": ["GET /"]}, r"http_api.routes\[0\] must be a mapping \(HttpApiRouteArgs\)"),
        (
            {"routes": [{"route_key": "GET /", "authorisation": "NONE"}]},
            r"unknown setting .authorisation.; did you mean 'authorization'",
        ),
        (routes("get /orders"), r"routes\[0\].route_key has the method 'get'.*upper case: 'GET'"),
        (routes("FETCH /orders"), r"routes\[0\].route_key has the method 'FETCH'; HTTP APIs accept ANY, GET"),
        (routes("GET orders"), r"route_key must be 'METHOD /path' or '\$default': the path must start with '/'"),
        (routes("GET"), r"route_key must be 'METHOD /path' or '\$default' \(one space"),
        (routes("GET  /orders"), r"route_key must be 'METHOD /path'"),
        (routes("GET /orders/"), r"route_key has an empty path segment"),
        (routes("GET /orders//x"), r"route_key has an empty path segment"),
        (routes("GET /orders/{id"), r"route_key has the segment '\{id': a path variable is a whole segment"),
        (routes("GET /orders/x{id}"), r"a path variable is a whole segment"),
        (routes("GET /{proxy+}/x"), r"has the greedy variable '\{proxy\+\}' before the last segment"),
        (routes("GET /{id}/{id}"), r"names the path variable 'id' twice"),
        (routes("GET /a b"), r"route_key must be 'METHOD /path'"),
        (routes("GET /caf\u00e9"), r"route_key has the segment 'caf\u00e9' with characters a URL path cannot hold"),
        (routes("GET /orders", "GET /orders"), r"routes\[1\].route_key repeats routes\[0\]'s route key 'GET /orders'"),
        ({"routes": [{"route_key": 3}]}, r"routes\[0\].route_key must be a route key"),
        (
            {"routes": [{"route_key": "GET /", "authorization": "NONE"}]},
            r"http_api.routes has routes anyone can call without authentication \(GET /\).*allow_unauthenticated: true",
        ),
        (
            routes("GET /", "$default", default_authorization="NONE"),
            r"without authentication \(GET /, \$default\)",
        ),
        (routes("GET /", allow_unauthenticated=True), r"allow_unauthenticated is set but every route authenticates"),
        (routes("GET /", allow_unauthenticated="yes"), r"allow_unauthenticated must be true or false"),
        (
            {"routes": [{"route_key": "GET /", "authorization": "cognito"}]},
            r"routes\[0\].authorization must be AWS_IAM, NONE or the name of one of authorizers \(none given\); "
            r"got 'cognito'",
        ),
        (routes("GET /", default_authorization="JWT"), r"default_authorization must be AWS_IAM, NONE or the name"),
        (
            {"routes": [{"route_key": "GET /", "scopes": ["read"]}]},
            r"routes\[0\].scopes need a JWT authorizer; the route's authorization is 'AWS_IAM'",
        ),
        (
            {
                "routes": [{"route_key": "GET /", "authorization": "partners", "scopes": ["read"]}],
                "authorizers": [REQUEST],
            },
            r"scopes need a JWT authorizer; the route's authorization is 'partners'",
        ),
        (routes("GET /", authorizers=[JWT]), r"http_api.authorizers defines 'users', which no route uses"),
        (
            routes("GET /", default_authorization="users", authorizers=[JWT, JWT]),
            r"authorizers\[1\].name names the authorizer 'users' twice",
        ),
        (
            routes("GET /", default_authorization="users", authorizers=[{**JWT, "issuer": "http://idp.example.com"}]),
            r"authorizers\[0\].issuer must be the issuer's https URL \(https://host/path\), got 'http://idp",
        ),
        (
            routes(
                "GET /", default_authorization="users", authorizers=[{k: v for k, v in JWT.items() if k != "audiences"}]
            ),
            r"authorizers\[0\].audiences is required for a JWT authorizer",
        ),
        (
            routes("GET /", default_authorization="users", authorizers=[{**JWT, "audiences": []}]),
            r"authorizers\[0\].audiences must list at least 1",
        ),
        (
            routes("GET /", default_authorization="users", authorizers=[{**JWT, "function_arn": AUTH_FN}]),
            r"authorizers\[0\].function_arn does not apply to a JWT authorizer",
        ),
        (
            routes("GET /", default_authorization="users", authorizers=[{**JWT, "identity_sources": []}]),
            r"identity_sources must name exactly one source for a JWT authorizer",
        ),
        (
            routes(
                "GET /", default_authorization="users", authorizers=[{**JWT, "identity_sources": ["Authorization"]}]
            ),
            r"identity_sources\[0\] must be an identity source \(\$request.header.<name>",
        ),
        (
            routes("GET /", default_authorization="users", authorizers=[{**JWT, "type": "COGNITO"}]),
            r"authorizers\[0\].type must be one of JWT, REQUEST; got 'COGNITO'",
        ),
        (
            routes("GET /", default_authorization="users", authorizers=[{**JWT, "name": "my users"}]),
            r"authorizers\[0\].name must be an authorizer name",
        ),
        (
            routes("GET /", default_authorization="partners", authorizers=[{"name": "partners", "type": "REQUEST"}]),
            r"authorizers\[0\].function_arn is required for a REQUEST authorizer",
        ),
        (
            routes("GET /", default_authorization="partners", authorizers=[{**REQUEST, "function_arn": "authorizer"}]),
            r"authorizers\[0\].function_arn must be a Lambda function ARN",
        ),
        (
            routes(
                "GET /",
                default_authorization="partners",
                authorizers=[{**REQUEST, "function_arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:x:1"}],
            ),
            r"function_arn must be a Lambda function ARN \(arn:aws:lambda:<region>:<account>:function:...\)",
        ),
        (
            routes("GET /", default_authorization="partners", authorizers=[{**REQUEST, "result_ttl_seconds": 3601}]),
            r"authorizers\[0\].result_ttl_seconds must be 0-3600 seconds, got 3601",
        ),
        (
            routes(
                "GET /",
                default_authorization="partners",
                authorizers=[{**REQUEST, "result_ttl_seconds": 60, "identity_sources": []}],
            ),
            r"identity_sources must name a source when result_ttl_seconds caches answers",
        ),
        (
            routes("GET /", default_authorization="partners", authorizers=[{**REQUEST, "audiences": ["a"]}]),
            r"authorizers\[0\].audiences does not apply to a REQUEST authorizer",
        ),
        (
            routes("GET /", throttle={"burst_limit": 5001}),
            r"http_api.throttle.burst_limit must be 0-5000 requests, got 5001",
        ),
        (
            routes("GET /", throttle={"rate_limit": -1}),
            r"throttle.rate_limit must be 0-10000 requests per second, got -1",
        ),
        (routes("GET /", throttle={"rate_limit": "fast"}), r"throttle.rate_limit must be a number"),
        (
            {"routes": [{"route_key": "GET /", "throttle": {"burst_limit": 1.5}}]},
            r"routes\[0\].throttle.burst_limit must be an integer",
        ),
        (
            {"routes": [{"route_key": "GET /", "throttle": {"burst": 1}}]},
            r"routes\[0\].throttle has an unknown setting 'burst'",
        ),
        (
            routes("GET /", cors={"allow_origins": ["*"], "allow_credentials": True}),
            r"cors.allow_origins must name the origins when allow_credentials is true",
        ),
        (routes("GET /", cors={"allow_origins": []}), r"cors.allow_origins must list at least one origin"),
        (
            routes("GET /", cors={"allow_origins": ["*"], "allow_methods": ["FETCH"]}),
            r"cors.allow_methods\[0\] must be one of",
        ),
        (routes("GET /", cors={"allow_origins": ["*"], "max_age_seconds": 86401}), r"max_age_seconds must be -1-86400"),
        (routes("GET /", stage_name="prod stage"), r"http_api.stage_name must be \$default or a stage name"),
        (routes("GET /", stage_name="*"), r"http_api.stage_name must be \$default or a stage name"),
        (routes("GET /", payload_format_version="3.0"), r"payload_format_version must be one of 2.0, 1.0; got '3.0'"),
        (routes("GET /", payload_format_version=2.0), r"payload_format_version must be one of 2.0, 1.0; got 2.0"),
        (routes("GET /", timeout_ms=30001), r"http_api.timeout_ms must be 50-30000 ms, got 30001"),
        (routes("GET /", name="x" * 129), r"http_api.name must be at most 128 characters"),
        (routes("GET /", access_log_format="$context.status"), r"access_log_format must contain \$context.requestId"),
        (routes("GET /", access_log_format="x" * 1025), r"access_log_format must be at most 1024 characters"),
        (
            routes("GET /", access_logs=False, access_log_format="$context.requestId"),
            r"access_log_format needs access_logs: true",
        ),
        (routes(*[f"GET /r{i}" for i in range(301)]), r"http_api.routes may hold at most 300, got 301"),
    ],
)
def test_bad_http_api_fails_before_anything_is_registered(deploy_error: Any, http_api: Any, message: str) -> None:
    assert_fails_before_anything(deploy_error, message, http_api)


def test_values_known_at_deploy_time_are_checked_when_they_resolve(deploy_error: Any) -> None:
    late_issuer = {**JWT, "issuer": pulumi.Output.from_input("http://idp.example.com")}
    error, _ = deploy_error(lambda: service(routes("GET /", default_authorization="users", authorizers=[late_issuer])))
    assert "orders: http_api.authorizers[0].issuer must be the issuer's https URL" in str(error)

    late_fn = {**REQUEST, "function_arn": pulumi.Output.from_input(f"arn:aws:sqs:us-east-1:{ACCOUNT}:q")}
    error, _ = deploy_error(lambda: service(routes("GET /", default_authorization="partners", authorizers=[late_fn])))
    assert "orders: http_api.authorizers[0].function_arn must be a Lambda function ARN" in str(error)

    error, _ = deploy_error(lambda: service(routes("GET /", name=pulumi.Output.from_input(""))))
    assert "orders: http_api.name must not be empty" in str(error)


def test_route_keys_must_be_known_when_the_program_runs(deploy_error: Any) -> None:
    error, deployed = deploy_error(lambda: service({"routes": [{"route_key": pulumi.Output.from_input("GET /")}]}))
    assert "http_api.routes[0].route_key must be a route key" in str(error) and "known when the program runs" in str(
        error
    )
    assert deployed.run.registrations == []


def test_routes_whose_names_collide_get_distinct_resources(deploy: Any) -> None:
    deployed = deploy(lambda: service(routes("GET /a-b", "GET /a/b")))
    names = sorted(r.name for r in deployed.of_type(ROUTE))
    assert names == ["orders-http-api-route-get-a-b", "orders-http-api-route-get-a-b-2"]

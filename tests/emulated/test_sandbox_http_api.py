"""An HTTP API created with the function (``http_api``) deployed into the sandbox: the API, its JWT authorizer,
routes and stage in moto's API Gateway v2 (the authorizer is registered, not enforced)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from lambdakit.sandbox import Sandbox, deploy

PROGRAM = """
import pulumi

from lambdakit import LambdaService

svc = LambdaService(
    "webapi",
    {
        "code_path": "src",
        "http_api": {
            "authorizers": [
                {
                    "name": "users",
                    "type": "JWT",
                    "issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf",
                    "audiences": ["client-1"],
                }
            ],
            "routes": [{"route_key": "GET /orders/{id}", "authorization": "users"}, {"route_key": "POST /orders"}],
        },
    },
)
pulumi.export("api_id", svc.http_api_id)
"""


def test_an_http_api_with_a_jwt_authorizer_deploys_into_moto(sandbox: Sandbox, tmp_path: Path) -> None:
    root = tmp_path / "webapi"
    (root / "src").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: webapi\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config: {}\n")
    (root / "__main__.py").write_text(textwrap.dedent(PROGRAM))
    (root / "src" / "handler.py").write_text("def handler(event, context):\n    return {'statusCode': 200}\n")
    deployed = deploy(sandbox, root, "dev")
    api = sandbox.client("apigatewayv2")
    api_id = str(deployed.exports["api_id"])
    record = deployed.by_type("aws:apigatewayv2/authorizer:Authorizer")[0]
    authorizers = [api.get_authorizer(ApiId=api_id, AuthorizerId=record.id)]  # moto has no GetAuthorizers
    assert [(a["AuthorizerType"], a["JwtConfiguration"]["Audience"]) for a in authorizers] == [("JWT", ["client-1"])]
    routes = {r["RouteKey"]: r for r in api.get_routes(ApiId=api_id)["Items"]}
    assert set(routes) == {"GET /orders/{id}", "POST /orders"}
    assert routes["GET /orders/{id}"]["AuthorizationType"] == "JWT"
    assert routes["GET /orders/{id}"]["AuthorizerId"] == authorizers[0]["AuthorizerId"]
    assert routes["POST /orders"]["AuthorizationType"] == "AWS_IAM"
    assert "not authorized by it" in record.notes[0]

"""``lambda:GetAccountSettings`` in the sandbox: moto has no such API, so the sandbox answers it.

The account limit is the sandbox's ``concurrency_quota`` (``Sandbox(concurrency_quota=...)``, ``lambdakit sandbox
up --account-limit``); the unreserved concurrency is that limit minus every reservation moto holds, as AWS reports.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .emulator import Sandbox

ROUTE = r"{0}/(?P<api_version>[^/]+)/account-settings/?$"


def install_account_settings(sandbox: Sandbox) -> None:
    """Route ``GET /2016-08-19/account-settings/`` to an answer from ``sandbox`` (undone by ``sandbox.stop``: the
    route and the method both go, so moto outside the sandbox answers as it always has).

    Must run before the emulator serves its first Lambda request: moto builds the service's routes then."""
    import moto.awslambda.urls as urls
    from moto.awslambda.responses import LambdaResponse

    # A new route table for as long as the sandbox runs (moto reads the module's table when it builds its routes);
    # stop() puts the original back, so an in-process moto (mock_aws) started later has no such route.
    sandbox._patches.append((urls, "url_paths", urls.url_paths))
    urls.url_paths = {**urls.url_paths, ROUTE: LambdaResponse.dispatch}

    def get_account_settings(response: Any) -> Any:
        backend = sandbox.lambda_backend()
        reserved = 0
        functions = 0
        for fn in backend.list_functions():
            functions += 1
            reserved += int(getattr(fn, "reserved_concurrency", None) or 0)
        body = {
            "AccountLimit": {
                "ConcurrentExecutions": sandbox.concurrency_quota,
                "UnreservedConcurrentExecutions": sandbox.concurrency_quota - reserved,
                "CodeSizeUnzipped": 262144000,
                "CodeSizeZipped": 52428800,
                "TotalCodeSize": 80530636800,
            },
            "AccountUsage": {"FunctionCount": functions, "TotalCodeSize": 0},
        }
        return 200, {}, json.dumps(body)

    sandbox._patches.append(
        (LambdaResponse, "get_account_settings", LambdaResponse.__dict__.get("get_account_settings"))
    )
    LambdaResponse.get_account_settings = get_account_settings  # type: ignore[attr-defined]

"""A canary in prod, deployed into its own sandbox (prod's physical names are fixed, so it cannot share one).

Given prod's config with order-processor's stableVersion "3" and canaryWeight 0.1 in `release` (what the release
driver sets),
when the sandbox deploys it, then versions 1-3 stand in for earlier deploys, this deploy publishes version 4, the alias
keeps serving 3 and routes 10% to 4, and the provisioned concurrency on the alias is taken as predating the canary.
"""

from __future__ import annotations

import json

from emulated_helpers import ROOT, services

from lambdakit.sandbox import Sandbox, deploy, smoke


def test_prod_canary_keeps_the_stable_version_and_routes_the_canary_weight(sandbox: Sandbox) -> None:
    overrides = {"release": json.dumps({"order-processor": {"stableVersion": "3", "canaryWeight": 0.1}})}
    deployment = deploy(sandbox, ROOT, "prod", config_overrides=overrides)
    svc = services(deployment)["order-processor"]
    alias = sandbox.client("lambda").get_alias(FunctionName=svc["function_name"], Name=svc["alias_name"])
    assert deployment.history == {svc["function_name"]: 3}, f"versions 1-3 stand in for earlier deploys: {deployment}"
    assert svc["version"] == "4", f"the canary deploy publishes version 4, got {svc['version']}"
    assert alias["FunctionVersion"] == "3", f"order-processor alias: {alias}"
    assert alias["RoutingConfig"]["AdditionalVersionWeights"] == {"4": 0.1}, f"order-processor alias: {alias}"
    [pc] = [d for d in deployment.not_emulated() if d.state.get("functionName") == svc["function_name"]]
    assert any("before the canary" in note for note in pc.notes), f"order-processor-pc notes: {pc.notes}"
    view = smoke(sandbox, deployment)[0]
    assert all(v.smoke is not None and v.smoke.ok for v in deployment.services), f"smoke: {view}"

"""Every stack of the reference program deployed into the sandbox, then inspected and invoked with boto3.

Given every stack (dev, staging, prod, local) deployed into one emulator (as stacks share an AWS account), when
each is read back with boto3, then every alias, routing, event source mapping, permission, async config and IAM
policy is wired as the stack's config asks, and every function answers through its alias running the deployed code.
"""

from __future__ import annotations

import json
import re

import pytest
from emulated_helpers import (
    ROOT,
    inline_policy,
    mappings_of,
    policy_statements,
    release_config,
    service_config,
    services,
)

from lambdakit.sandbox import Deployment, Sandbox, deploy, smoke
from lambdakit.sandbox.rules import allowed, role_statements

# Every stack file of the reference program (dev, staging, prod, and local where it exists).
STACKS = sorted(path.name.split(".")[1] for path in ROOT.glob("Pulumi.*.yaml"))


@pytest.fixture(scope="module", params=STACKS)
def deployed(request: pytest.FixtureRequest, sandbox: Sandbox) -> Deployment:
    return deploy(sandbox, ROOT, request.param)


def test_every_alias_serves_the_version_its_config_asks_for(sandbox: Sandbox, deployed: Deployment) -> None:
    lam = sandbox.client("lambda")
    for name, svc in services(deployed).items():
        alias = lam.get_alias(FunctionName=svc["function_name"], Name=svc["alias_name"])
        cfg = release_config(deployed.stack, name)
        routing = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        stable = str(cfg["stableVersion"]) if cfg.get("stableVersion") is not None else None
        where = f"{deployed.stack} {name} alias {alias['AliasArn']}"
        assert alias["AliasArn"] == svc["alias_arn"], f"{where}: exported alias_arn {svc['alias_arn']}"
        if stable is None or stable == svc["version"]:
            assert alias["FunctionVersion"] == svc["version"], f"{where} should serve the new version: {alias}"
            assert routing == {}, f"{where} should not route: {routing}"
        else:
            assert alias["FunctionVersion"] == stable, f"{where} should keep serving {stable}: {alias}"
            expected = {svc["version"]: float(cfg["canaryWeight"])} if cfg.get("canaryWeight") else {}
            assert routing == expected, f"{where} routing: {routing}"


def test_event_source_mappings_invoke_the_alias_with_the_documented_settings(
    sandbox: Sandbox, deployed: Deployment
) -> None:
    svcs = services(deployed)
    orders = [m for m in mappings_of(sandbox, svcs["order-processor"]["function_name"])]
    stream = [m for m in mappings_of(sandbox, svcs["user-analytics"]["function_name"])]
    assert len(orders) == 1 and len(stream) == 1, f"{deployed.stack}: mappings {orders} {stream}"
    [sqs], [ddb] = orders, stream
    assert sqs["FunctionArn"] == svcs["order-processor"]["alias_arn"], f"{deployed.stack} orders mapping: {sqs}"
    assert sqs["EventSourceArn"].split(":")[-1] == f"orders-{deployed.stack}", f"{deployed.stack}: {sqs}"
    assert sqs["BatchSize"] == 10 and sqs["FunctionResponseTypes"] == ["ReportBatchItemFailures"], f"{sqs}"
    assert ddb["FunctionArn"] == svcs["user-analytics"]["alias_arn"], f"{deployed.stack} stream mapping: {ddb}"
    table = deployed.exports["table_name"]
    assert f":table/{table}/stream/" in ddb["EventSourceArn"], f"{deployed.stack} stream mapping source: {ddb}"
    assert (ddb["BatchSize"], ddb["BisectBatchOnFunctionError"], ddb["MaximumRetryAttempts"]) == (100, True, 3), ddb
    failure = ddb["DestinationConfig"]["OnFailure"]["Destination"]
    queues = sandbox.client("sqs").list_queues()["QueueUrls"]
    assert any(url.endswith("/" + failure.split(":")[-1]) for url in queues), f"missing destination {failure}"


def test_every_permission_is_on_the_alias_and_names_its_source(sandbox: Sandbox, deployed: Deployment) -> None:
    checked = 0
    for name, svc in services(deployed).items():
        try:
            statements = policy_statements(sandbox, svc["function_name"])
        except sandbox.client("lambda").exceptions.ResourceNotFoundException:
            continue
        for s in statements:
            where = f"{deployed.stack} {name} permission {s.get('Sid')}"
            assert s["Resource"] == svc["alias_arn"], f"{where} must target the alias, not {s['Resource']}"
            principal = s.get("Principal")
            caller = principal.get("AWS") if isinstance(principal, dict) else principal
            if isinstance(caller, str) and re.fullmatch(r"[0-9]{12}|arn:aws:iam::[0-9]{12}:root", caller):
                # A caller in another account (allowed_invokers): the account is the scope, there is no source.
                checked += 1
                continue
            source = (s.get("Condition") or {}).get("ArnLike", {}).get("AWS:SourceArn")
            assert source, f"{where} has no AWS:SourceArn condition: {s}"
            checked += 1
    assert checked > 0, f"{deployed.stack}: no permissions found to check"


def test_email_sender_async_config_is_on_the_alias_with_a_failure_destination(
    sandbox: Sandbox, deployed: Deployment
) -> None:
    svc = services(deployed)["email-sender"]
    config = sandbox.client("lambda").get_function_event_invoke_config(
        FunctionName=svc["function_name"], Qualifier=svc["alias_name"]
    )
    where = f"{deployed.stack} email-sender async config"
    assert config["FunctionArn"] == svc["alias_arn"], f"{where}: {config}"
    assert 0 <= config["MaximumRetryAttempts"] <= 2, f"{where}: {config}"
    destination = config["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination.startswith("arn:aws:sqs:"), f"{where}: on-failure destination {destination}"


def test_iam_policies_grant_what_the_wiring_needs_and_no_wildcard_actions(
    sandbox: Sandbox, deployed: Deployment
) -> None:
    lam, iam = sandbox.client("lambda"), sandbox.client("iam")
    for name, svc in services(deployed).items():
        role = lam.get_function_configuration(FunctionName=svc["function_name"])["Role"].split("/")[-1]
        document = inline_policy(sandbox, role)
        for s in document["Statement"]:
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            assert all("*" not in a for a in actions), f"{deployed.stack} {name} role {role}: wildcard in {actions}"
        statements = role_statements(iam, role)
        log_group = svc["log_group_name"]
        stream = f"arn:aws:logs:us-east-1:123456789012:log-group:{log_group}:log-stream:2026/01/01/x"
        assert allowed(statements, "logs:PutLogEvents", stream), f"{deployed.stack} {name}: cannot write {log_group}"
        if svc.get("dlq_arn"):
            assert allowed(statements, "sqs:SendMessage", svc["dlq_arn"]), f"{deployed.stack} {name}: DLQ send"


def test_provisioned_concurrency_is_checked_on_the_alias_and_reported_not_emulated(deployed: Deployment) -> None:
    recorded = {str(d.state["functionName"]): d for d in deployed.not_emulated() if "functionName" in d.state}
    for name, svc in services(deployed).items():
        cfg = service_config(deployed.stack, svc["config_key"])
        wanted = (cfg.get("provisionedConcurrency") or {}).get("count")
        pc = recorded.get(svc["function_name"])
        if wanted:
            assert pc is not None, f"{deployed.stack} {name}: provisioned concurrency {wanted} not recorded"
            assert pc.state["qualifier"] == svc["alias_name"], f"{deployed.stack} {name}: {pc.state}"
            assert int(pc.state["provisionedConcurrentExecutions"]) == int(wanted), f"{pc.state}"
        else:
            assert pc is None, f"{deployed.stack} {name}: unexpected provisioned concurrency {pc}"


def test_every_function_answers_through_its_alias(sandbox: Sandbox, deployed: Deployment) -> None:
    views = smoke(sandbox, deployed)
    assert {v.name for v in views} == set(services(deployed)), f"{deployed.stack}: smoke covered {views}"
    for view in views:
        result = view.smoke
        assert result is not None and result.qualifier == view.alias, f"{deployed.stack} {view.name}: {result}"
        assert result.ok, f"{deployed.stack} {view.name} failed through {view.alias}: {result.payload}"
        assert result.executed_version in view.versions, f"{deployed.stack} {view.name}: ran {result}"
        body = json.loads(result.payload)
        if isinstance(body, dict) and "statusCode" in body:
            assert body["statusCode"] < 500, f"{deployed.stack} {view.name}: HTTP {body}"

"""Each stack of the reference program evaluates under mocks and differs as the environments should."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from lambdakit.program import ProgramRun, run_program

ROOT = Path(__file__).resolve().parents[2]
PC = "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"
FN = "aws:lambda/function:Function"
LOGS = "aws:cloudwatch/logGroup:LogGroup"


@pytest.fixture(scope="module")
def stacks() -> dict[str, ProgramRun]:
    return {stack: run_program(ROOT, stack) for stack in ("dev", "staging", "prod")}


def functions(run: ProgramRun) -> dict[str, dict]:
    return {r.name: r.inputs for r in run.by_type(FN)}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_stack_builds_the_five_services_and_exports_what_operators_need(
    stacks: dict[str, ProgramRun], stack: str
) -> None:
    run = stacks[stack]
    assert set(functions(run)) == {"order-processor", "email-sender", "user-analytics", "api-handler", "order-status"}
    services = run.exports["services"]
    for name, svc in services.items():
        assert svc["alias_arn"].endswith(f"-{stack}:live"), f"{stack}/{name} alias ARN {svc['alias_arn']}"
        assert svc["log_group_name"] == f"/aws/lambda/{name}-{stack}"
        assert f"lambdakit:{svc['config_key']}" in run.config, f"{name}: config key {svc['config_key']} unknown"
    assert set(run.exports["queue_urls"]) >= {"orders", "orders-dlq"}
    assert run.exports["table_name"] == f"users-{stack}"


def test_dev_is_small_with_short_retention_and_no_provisioned_concurrency(stacks: dict[str, ProgramRun]) -> None:
    dev = stacks["dev"]
    assert dev.by_type(PC) == []
    assert {r.inputs["retentionInDays"] for r in dev.by_type(LOGS)} == {7}
    assert all(fn["memorySize"] <= 256 for fn in functions(dev).values())


def test_prod_has_autoscaled_provisioned_concurrency_reserved_concurrency_and_long_retention(
    stacks: dict[str, ProgramRun],
) -> None:
    prod = stacks["prod"]
    qualifiers = {r.name: r.inputs["qualifier"] for r in prod.by_type(PC)}
    assert qualifiers == {"order-processor-pc": "live", "api-handler-pc": "live"}
    assert len(prod.by_type("aws:appautoscaling/target:Target")) == 2
    assert {r.inputs["retentionInDays"] for r in prod.by_type(LOGS)} == {365}
    fns = functions(prod)
    assert all("reservedConcurrentExecutions" in fn for fn in fns.values()), "prod reserves concurrency everywhere"
    assert fns["order-processor"]["memorySize"] == 1024


def test_staging_is_shaped_like_prod_but_smaller(stacks: dict[str, ProgramRun]) -> None:
    staging, prod = functions(stacks["staging"]), functions(stacks["prod"])
    for name in staging:
        assert staging[name]["memorySize"] <= prod[name]["memorySize"], name
        assert staging[name]["reservedConcurrentExecutions"] <= prod[name]["reservedConcurrentExecutions"], name


def test_orders_queue_visibility_is_six_times_the_consumer_timeout(stacks: dict[str, ProgramRun]) -> None:
    for stack, run in stacks.items():
        queue = next(r for r in run.by_type("aws:sqs/queue:Queue") if r.name == "orders")
        timeout = functions(run)["order-processor"]["timeout"]
        assert queue.inputs["visibilityTimeoutSeconds"] >= 6 * timeout, stack
        assert "deadLetterTargetArn" in queue.inputs["redrivePolicy"], stack


def test_a_canary_is_started_from_stack_config() -> None:
    # What `lambdakit release` writes: the release object, keyed by service name, read by LambdaService itself.
    release = {"order-processor": {"stableVersion": "4", "canaryWeight": 0.1}}
    run = run_program(ROOT, "dev", config_overrides={"release": json.dumps(release)})
    alias = next(r for r in run.by_type("aws:lambda/alias:Alias") if r.name == "order-processor-alias")
    assert alias.inputs["functionVersion"] == "4"
    assert alias.inputs["routingConfig"] == {"additionalVersionWeights": {"1": 0.1}}


def test_canary_settings_written_by_config_set_path_as_strings_or_ints_are_accepted() -> None:
    release = {"order-processor": {"stableVersion": 4, "canaryWeight": "0.5"}}
    run = run_program(ROOT, "dev", config_overrides={"release": json.dumps(release)})
    alias = next(r for r in run.by_type("aws:lambda/alias:Alias") if r.name == "order-processor-alias")
    assert alias.inputs["functionVersion"] == "4"
    assert alias.inputs["routingConfig"] == {"additionalVersionWeights": {"1": 0.5}}


def test_canary_settings_in_the_old_place_say_where_they_moved() -> None:
    with pytest.raises(ValueError, match=r"lambdakit:orderProcessor.stableVersion has moved: .* `release`"):
        run_program(ROOT, "dev", config_overrides={"orderProcessor": json.dumps({"stableVersion": "4"})})


def test_every_service_names_a_smoke_event_its_handler_accepts() -> None:
    run = run_program(ROOT, "dev")
    components = {r.name: r.outputs for r in run.by_type("lambdakit:index:LambdaService")}
    assert set(components) == {"order-processor", "email-sender", "user-analytics", "api-handler", "order-status"}
    for name, outputs in components.items():
        event = json.loads(outputs["smoke_event"])
        assert event, f"{name}: smoke_event output {outputs['smoke_event']!r}"
    assert json.loads(components["api-handler"]["smoke_event"])["rawPath"] == "/health"


def test_order_status_is_typescript_bundled_into_one_file_on_the_http_api(stacks: dict[str, ProgramRun]) -> None:
    for stack, run in stacks.items():
        fn = functions(run)["order-status"]
        assert fn["runtime"] == "nodejs24.x" and fn["handler"] == "src/handler.handler", stack
        assert "layers" not in fn, f"{stack}: the shared layer is Python and stays off the Node.js function"
        permission = next(p for p in run.by_type("aws:lambda/permission:Permission") if p.name.startswith("order-s"))
        assert permission.inputs["sourceArn"].endswith("/$default/GET/orders/status"), stack
        assert permission.inputs["qualifier"] == "live", stack
    bundle = next((ROOT / ".lambdakit" / "build").glob("order-status-*.zip"))
    with zipfile.ZipFile(bundle) as zf:
        assert sorted(zf.namelist()) == ["src/handler.js", "src/handler.js.map"], "one bundled file and its map"


def test_a_misspelt_stack_setting_fails_with_the_key_and_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"lambdakit:orderProcessor: unknown setting 'memory'; valid settings: "):
        run_program(ROOT, "dev", config_overrides={"orderProcessor": json.dumps({"memory": 512})})


def test_an_out_of_range_stack_setting_names_service_field_limit_and_value() -> None:
    with pytest.raises(ValueError, match=r"order-processor: timeout must be 1-900 seconds, got 1200"):
        run_program(ROOT, "dev", config_overrides={"orderProcessor": json.dumps({"timeout": 1200})})

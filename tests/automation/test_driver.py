"""The release driver with a fake stack that deploys into moto: gating (policy, smoke, failures), the canary through
config + up, rollback, pruning and the summary table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from lambdakit.canary import CanaryPlan
from lambdakit.driver import (
    AutomationStack,
    Boto3ServiceOps,
    Driver,
    DriverError,
    Environment,
    PolicyViolation,
    require_pulumi_cli,
)
from lambdakit.ops import Clients, InvokeResult, ServiceRef

ENVS = ("dev", "staging", "prod")
PLAN = CanaryPlan(
    steps=(0.1, 0.5, 1.0),
    bake_seconds=120,
    poll_seconds=60,
    missing_data_deadline_seconds=300,
    delivery_delay_seconds=0,
)


def environments(**overrides: Any) -> list[Environment]:
    return [Environment(name, canary=PLAN, **overrides.get(name, {})) for name in ENVS]


class SmokeFailingOps(Boto3ServiceOps):
    """Boto3 ops whose smoke invoke of one service reports an unhandled error (moto only echoes)."""

    def __init__(self, clients: Clients, failing: str) -> None:
        super().__init__(clients)
        self.failing = failing

    def smoke(self, ref: ServiceRef, qualifier: str, payload: Any) -> InvokeResult:
        result = super().smoke(ref, qualifier, payload)
        if ref.function_name == self.failing:
            result.function_error = "Unhandled"
            result.payload = {"errorMessage": "DB_HOST unreachable", "errorType": "ConnectionError"}
        return result


@pytest.fixture
def driver_for(aws: boto3.session.Session, fake_backend: Any, clock: Any, traffic: Any, tmp_path: Any) -> Any:
    """A driver over the fake backend with boto3 ops on moto, a fake clock, simulated traffic and echo captured."""
    policy_dir = tmp_path / "policies" / "config"
    policy_dir.mkdir(parents=True)
    for name in ENVS:
        (policy_dir / f"{name}.json").write_text("{}")
    traffic.functions.extend((f"{s}-{e}", "live") for e in ENVS for s in fake_backend.code)
    traffic.only_canary = True
    clock.on_sleep.append(traffic)

    shared = Boto3ServiceOps(Clients(aws))

    def make(ops: Callable[[Environment], Any] | None = None) -> tuple[Driver, list[str]]:
        lines: list[str] = []
        driver = Driver(
            fake_backend,
            ops or (lambda env: shared),
            project="lambdakit",
            policy_packs=["policies"],
            policy_config_dir=policy_dir,
            clock=clock.now,
            sleep=clock.sleep,
            echo=lines.append,
            timer=lambda: 0.0,
        )
        return driver, lines

    return make


def alias_of(session: boto3.session.Session, function: str) -> tuple[str, dict[str, float]]:
    alias = session.client("lambda").get_alias(FunctionName=function, Name="live")
    return str(alias["FunctionVersion"]), dict(alias.get("RoutingConfig", {}).get("AdditionalVersionWeights", {}))


def first_release(driver_for: Any) -> None:
    driver, lines = driver_for()
    report = driver.run(environments())
    assert report.ok, "\n".join(lines)


def test_first_release_deploys_dev_staging_prod_in_order(
    aws: boto3.session.Session, driver_for: Any, fake_backend: Any
) -> None:
    # Given three new stacks
    driver, lines = driver_for()
    # When the driver runs
    report = driver.run(environments())
    # Then each environment was previewed with its policy config, deployed and smoke-invoked, in order
    assert report.ok, "\n".join(lines)
    assert fake_backend.selected == ["dev", "staging", "prod"]
    for name in ENVS:
        stack = fake_backend.stacks[name]
        assert stack.log.count("preview") == 1 and stack.log.count("up") == 1, f"{name}: {stack.log}"
        packs, configs = stack.previews[0]
        assert packs == ["policies"] and configs[0].endswith(f"config/{name}.json"), (name, stack.previews)
        assert alias_of(aws, f"order-processor-{name}") == ("1", {})
    assert "  smoke order-processor (order-processor-dev:live): ok" in lines
    assert "  canary: no new versions" in lines


def test_release_with_new_code_canaries_and_promotes_in_every_environment(
    aws: boto3.session.Session, driver_for: Any, fake_backend: Any, traffic: Any
) -> None:
    # Given deployed stacks and new order-processor code
    first_release(driver_for)
    fake_backend.code["order-processor"] = "r2"
    driver, lines = driver_for()
    # When the driver runs again
    report = driver.run(environments())
    # Then version 2 went 10% -> 50% -> 100% in each environment and was promoted
    assert report.ok, "\n".join(lines)
    for name in ENVS:
        stack = fake_backend.stacks[name]
        result = report.results[ENVS.index(name)]
        assert result.versions["order-processor"] == ("1", "2"), result.versions
        assert result.canary["order-processor"].result == "promoted", result.canary
        assert "email-sender" not in result.canary, "unchanged services have no canary"
        assert alias_of(aws, f"order-processor-{name}") == ("2", {}), f"alias order-processor-{name}:live"
        weights = [
            up.get("lambdakit:release", {}).get("order-processor", {}).get("canaryWeight") for up in stack.ups[1:]
        ]
        assert weights == [None, "0.1", "0.5", None], f"{name}: canaryWeight per up {weights}"
        assert stack.release_config("order-processor") == {"stableVersion": "2"}, stack.config
    # And the stable version kept its primary role until each promotion
    prod = [(p, r) for _, f, p, r in traffic.observed if f == "order-processor-prod"]
    assert ("1", {"2": 0.1}) in prod and ("1", {"2": 0.5}) in prod, prod
    assert {primary for primary, _ in prod} == {"1"}, "version 1 stayed the primary through the prod canary"


def test_mandatory_violation_stops_before_up_and_later_stacks_are_not_touched(
    driver_for: Any, fake_backend: Any
) -> None:
    # Given a mandatory violation in staging
    fake_backend.stack("staging").violations = [
        PolicyViolation("lambdakit", "lambda-dlq-required", "mandatory", "order-processor has no DLQ", "urn:x"),
        PolicyViolation("lambdakit", "lambda-tracing", "advisory", "tracing off", None),
    ]
    driver, lines = driver_for()
    report = driver.run(environments())
    # Then staging is blocked without an up and prod is never selected
    assert [r.status for r in report.results] == ["deployed", "blocked", "not run"], "\n".join(lines)
    assert "up" not in fake_backend.stacks["staging"].log, fake_backend.stacks["staging"].log
    assert fake_backend.selected == ["dev", "staging"]
    assert "  [mandatory] lambda-dlq-required (urn:x): order-processor has no DLQ" in lines
    assert report.results[1].detail == "1 mandatory policy violation(s): lambda-dlq-required"


def test_smoke_failure_stops_with_the_alias_still_on_stable(
    aws: boto3.session.Session, driver_for: Any, fake_backend: Any
) -> None:
    # Given new code whose smoke invoke fails in staging
    first_release(driver_for)
    fake_backend.code["order-processor"] = "r2"
    failing = SmokeFailingOps(Clients(aws), "order-processor-staging")
    driver, lines = driver_for(lambda env: failing)
    report = driver.run(environments())
    # Then staging fails at smoke, before any traffic moved, and prod is not touched
    staging = report.results[1]
    assert (staging.status, staging.stage) == ("failed", "smoke"), "\n".join(lines)
    assert "order-processor-staging:2" in staging.detail and "Unhandled" in staging.detail, staging.detail
    assert alias_of(aws, "order-processor-staging") == ("1", {}), "the pinned alias kept serving version 1"
    assert fake_backend.selected.count("prod") == 1, "prod was selected only by the first release"


def test_error_spike_rolls_prod_back_through_config_and_up(
    aws: boto3.session.Session, driver_for: Any, fake_backend: Any, traffic: Any, clock: Any
) -> None:
    # Given new code that fails 30% of requests in prod only
    first_release(driver_for)
    fake_backend.code["order-processor"] = "r2"
    traffic.error_rate[("order-processor-prod", "2")] = 0.3
    driver, lines = driver_for()
    report = driver.run(environments())
    # Then dev and staging promote, prod rolls back at the first unhealthy reading
    prod = report.results[2]
    assert [r.status for r in report.results] == ["deployed", "deployed", "rolled-back"], "\n".join(lines)
    assert prod.canary["order-processor"].reason.startswith("step 1/2 at 10%: error rate 3"), prod.canary
    assert alias_of(aws, "order-processor-prod") == ("1", {}), "alias order-processor-prod:live after rollback"
    stack = fake_backend.stacks["prod"]
    assert stack.release_config("order-processor") == {"stableVersion": "1"}, "canaryWeight removed, stable pinned"
    weights = [up.get("lambdakit:release", {}).get("order-processor", {}).get("canaryWeight") for up in stack.ups[1:]]
    assert weights == [None, "0.1", None], weights
    assert not prod.pruned, "no pruning after a rollback"
    assert "[order-processor] ROLLBACK to stable version 1 at 100%" in "\n".join(lines)


def test_missing_canary_data_rolls_back_after_the_deadline(
    aws: boto3.session.Session, driver_for: Any, fake_backend: Any, traffic: Any, clock: Any
) -> None:
    first_release(driver_for)
    fake_backend.code["email-sender"] = "r2"
    traffic.rate_per_minute = 0
    driver, lines = driver_for()
    report = driver.run(environments()[:1])
    dev = report.results[0]
    assert dev.status == "rolled-back", "\n".join(lines)
    assert "no data for version 2 300s after the step began" in dev.detail, dev.detail
    assert alias_of(aws, "email-sender-dev") == ("1", {})


def test_old_versions_are_pruned_at_the_end(aws: boto3.session.Session, driver_for: Any, fake_backend: Any) -> None:
    # Given four releases of order-processor to dev that keep 10 versions, then a fifth that keeps 1.
    # (Pruning between releases would trip a moto 5.2.5 gap: after a delete it numbers the next version
    # len(versions) + 1, reusing a number, which AWS never does.)
    first_release(driver_for)
    for revision, keep in (("r2", 10), ("r3", 10), ("r4", 10), ("r5", 1)):
        fake_backend.code["order-processor"] = revision
        driver, lines = driver_for()
        report = driver.run([Environment("dev", canary=PLAN, keep_versions=keep)])
        assert report.ok, "\n".join(lines)
    # Then only the promoted version remains
    versions = aws.client("lambda").list_versions_by_function(FunctionName="order-processor-dev")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "5"]
    assert report.results[0].pruned == {"order-processor": 4, "email-sender": 0}
    assert "  prune order-processor-dev: deleted ['1', '2', '3', '4'], kept ['5']" in lines


def test_config_may_change_provisioned_concurrency_after_an_interrupted_canary(
    aws: boto3.session.Session, driver_for: Any, fake_backend: Any
) -> None:
    # Given prod left with a canary weight by an interrupted run, and new config raising provisioned concurrency
    first_release(driver_for)
    fake_backend.code["order-processor"] = "r2"
    prod = fake_backend.stack("prod")
    prod.set_config('lambdakit:release["order-processor"].canaryWeight', "0.1", path=True)
    env = Environment("prod", canary=PLAN, config={"lambdakit:orderProcessor.provisionedConcurrency.count": "5"})
    driver, lines = driver_for()
    # When the driver runs (the fake stack fails like AWS if one up changes PC with weights present)
    report = driver.run([env])
    # Then the weight was dropped before the up that changed PC, and the canary ran on unchanged PC
    assert report.ok, "\n".join(lines)
    publish = prod.ups[1]
    release = publish.get("lambdakit:release", {}).get("order-processor", {})
    assert "canaryWeight" not in release, publish
    assert publish["lambdakit:orderProcessor"]["provisionedConcurrency"] == {"count": "5"}, publish


def test_up_failure_stops_the_run(driver_for: Any, fake_backend: Any) -> None:
    fake_backend.stack("dev").fail_up = "aws:lambda/function:Function order-processor: AccessDenied"
    driver, _ = driver_for()
    report = driver.run(environments())
    assert (report.results[0].status, report.results[0].stage) == ("failed", "up")
    assert fake_backend.selected == ["dev"]
    assert "RuntimeError: aws:lambda/function:Function order-processor: AccessDenied" in report.results[0].detail


def test_summary_table_has_a_row_per_environment(
    aws: boto3.session.Session, driver_for: Any, fake_backend: Any, traffic: Any
) -> None:
    first_release(driver_for)
    fake_backend.code["order-processor"] = "r2"
    traffic.error_rate[("order-processor-prod", "2")] = 0.3
    driver, lines = driver_for()
    driver.run(environments())
    table = "\n".join(lines[lines.index("") + 1 :])
    rows = table.splitlines()
    assert rows[0].split() == [
        "stack",
        "status",
        "changes",
        "policy",
        "(mandatory/advisory)",
        "versions",
        "canary",
        "pruned",
        "time",
    ], rows[0]
    assert rows[2].split()[:2] == ["dev", "deployed"], rows[2]
    assert "order-processor 1->2" in rows[3] and "order-processor promoted" in rows[3], rows[3]
    assert rows[4].startswith("prod") and "rolled-back at canary" in rows[4], rows[4]
    assert rows[5].startswith("prod: order-processor: step 1/2 at 10%: error rate"), rows[5]


def test_driver_refuses_environment_config_it_owns(driver_for: Any) -> None:
    driver, _ = driver_for()
    env = Environment("dev", config={'lambdakit:release["order-processor"].canaryWeight': "0.5"})
    report = driver.run([env])
    assert report.results[0].status == "failed"
    assert 'lambdakit:release["order-processor"].canaryWeight is set by the driver' in report.results[0].detail


# --- the Automation API adapter ----------------------------------------------------------------------------------


class _Policy:
    def __init__(self, level: str) -> None:
        self.policy_pack_name, self.policy_name, self.enforcement_level = "lambdakit", "lambda-no-wildcard-iam", level
        self.message, self.resource_urn = "order-processor-policy allows lambda:*\n", "urn:pulumi:prod::p::t::n"


class _Event:
    def __init__(self, policy: _Policy | None) -> None:
        self.policy_event = policy


class _Value:
    def __init__(self, value: Any) -> None:
        self.value, self.secret = value, False


class FakeAutoStack:
    """Stands in for pulumi.automation.Stack: emits engine events and fails like the CLI does."""

    name = "prod"

    def __init__(self, levels: list[str], *, exit_code: int) -> None:
        self.levels, self.exit_code = levels, exit_code

    def preview(self, **kwargs: Any) -> Any:
        from pulumi.automation import CommandError
        from pulumi.automation._cmd import CommandResult

        for level in self.levels:
            kwargs["on_event"](_Event(_Policy(level)))
        kwargs["on_event"](_Event(None))
        if self.exit_code:
            raise CommandError(CommandResult("", "error: preview failed", self.exit_code))

        class Result:
            change_summary = {"create": 2, "same": 5}

        return Result()

    def up(self, **kwargs: Any) -> Any:
        class Result:
            outputs = {"services": _Value({"a": {}}), "table_name": _Value("orders")}

        return Result()

    def export_stack(self) -> Any:
        class Deployment:
            deployment = {
                "resources": [
                    {
                        "urn": "urn:pulumi:prod::billing::pulumi:pulumi:Stack::billing-prod",
                        "type": "pulumi:pulumi:Stack",
                    },
                    {
                        "urn": "urn:pulumi:prod::billing::lambdakit:index:LambdaService::invoices",
                        "type": "lambdakit:index:LambdaService",
                        # Components served by the plugin record camelCase outputs.
                        "outputs": {
                            "functionName": "invoices-prod",
                            "aliasName": "live",
                            "version": "4",
                            "alarmArns": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:invoices-prod-live-errors"],
                            "smokeEvent": '{"ping": true}',
                        },
                    },
                ]
            }

        return Deployment()


def test_automation_preview_returns_mandatory_violations_from_events() -> None:
    stack = AutomationStack(FakeAutoStack(["mandatory", "advisory"], exit_code=255), echo=lambda _: None)
    outcome = stack.preview(policy_packs=["policies"], policy_pack_configs=["policies/config/prod.json"])
    assert [v.enforcement_level for v in outcome.violations] == ["mandatory", "advisory"]
    assert outcome.mandatory[0].message == "order-processor-policy allows lambda:*"


def test_automation_preview_failure_without_violations_is_raised() -> None:
    from pulumi.automation import CommandError

    stack = AutomationStack(FakeAutoStack([], exit_code=1), echo=lambda _: None)
    with pytest.raises(CommandError):
        stack.preview(policy_packs=[], policy_pack_configs=[])


def test_automation_preview_and_up_unwrap_results() -> None:
    stack = AutomationStack(FakeAutoStack(["advisory"], exit_code=0), echo=lambda _: None)
    assert stack.preview(policy_packs=[], policy_pack_configs=[]).changes == {"create": 2, "same": 5}
    assert stack.up() == {"services": {"a": {}}, "table_name": "orders"}


def test_automation_stack_reads_services_from_the_component_outputs_in_its_state() -> None:
    stack = AutomationStack(FakeAutoStack([], exit_code=0), echo=lambda _: None)
    services = stack.services()
    assert list(services) == ["invoices"]
    ref = services["invoices"]
    assert (ref.function_name, ref.alias_name, ref.version) == ("invoices-prod", "live", "4")
    assert ref.alarm_names == ["invoices-prod-live-errors"] and ref.smoke_event == {"ping": True}


def test_missing_pulumi_cli_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(DriverError, match="Pulumi CLI not found on PATH: the release driver runs `pulumi`"):
        require_pulumi_cli("the release driver")


def test_fake_clock_is_used_not_real_time(driver_for: Any, fake_backend: Any, clock: Any) -> None:
    first_release(driver_for)
    fake_backend.code["order-processor"] = "r2"
    driver, _ = driver_for()
    started = clock.now()
    driver.run(environments()[:1])
    assert clock.now() - started == dt.timedelta(seconds=240), "two 120 s bakes on the fake clock"


# --- traffic hooks ---------------------------------------------------------------------------------------------------


class HookOps(Boto3ServiceOps):
    """Boto3 ops whose traffic hooks answer from a table (moto only echoes), recording each call."""

    def __init__(self, clients: Clients, answers: dict[str, str | None]) -> None:
        super().__init__(clients)
        self.answers = answers
        self.calls: list[tuple[str, str, str]] = []

    def traffic_hook(self, ref: ServiceRef, hook: str, version: str) -> str | None:
        self.calls.append((ref.function_name, hook, version))
        return self.answers[hook]


def _hooked_release(
    aws: boto3.session.Session, driver_for: Any, fake_backend: Any, answers: dict[str, str | None]
) -> tuple[Any, HookOps, list[str]]:
    first_release(driver_for)
    for stack in fake_backend.stacks.values():
        stack.hooks["order-processor"] = {"pre_traffic_hook": "pre-check", "post_traffic_hook": "post-check"}
    fake_backend.code["order-processor"] = "r2"
    ops = HookOps(Clients(aws), answers)
    driver, lines = driver_for(lambda env: ops)
    return driver.run(environments()), ops, lines


def test_hooks_from_the_outputs_run_around_the_canary_and_pass(
    aws: boto3.session.Session, driver_for: Any, fake_backend: Any
) -> None:
    report, ops, lines = _hooked_release(aws, driver_for, fake_backend, {"pre-check": None, "post-check": None})
    assert report.ok, "\n".join(lines)
    assert ops.calls[:2] == [("order-processor-dev", "pre-check", "2"), ("order-processor-dev", "post-check", "2")]
    assert len(ops.calls) == 6, "two hooks in each of three environments"
    assert alias_of(aws, "order-processor-prod") == ("2", {})


def test_a_failed_pre_traffic_hook_stops_the_release_before_any_shift(
    aws: boto3.session.Session, driver_for: Any, fake_backend: Any
) -> None:
    answers = {"pre-check": "returned status Failed: {}", "post-check": None}
    report, ops, lines = _hooked_release(aws, driver_for, fake_backend, answers)
    dev = report.results[0]
    assert [r.status for r in report.results] == ["rolled-back", "not run", "not run"], "\n".join(lines)
    assert dev.canary["order-processor"].reason.startswith("pre-traffic hook pre-check failed"), dev.canary
    weights = [
        up.get("lambdakit:release", {}).get("order-processor", {}).get("canaryWeight")
        for up in fake_backend.stacks["dev"].ups[1:]
    ]
    assert weights == [None], f"only the up that published version 2, no shift: {weights}"
    assert alias_of(aws, "order-processor-dev") == ("1", {})
    assert ops.calls == [("order-processor-dev", "pre-check", "2")]


def test_a_failed_post_traffic_hook_puts_the_alias_back_on_stable(
    aws: boto3.session.Session, driver_for: Any, fake_backend: Any
) -> None:
    answers = {"pre-check": None, "post-check": "function error Unhandled: boom"}
    report, _, lines = _hooked_release(aws, driver_for, fake_backend, answers)
    dev = report.results[0]
    assert [r.status for r in report.results] == ["rolled-back", "not run", "not run"], "\n".join(lines)
    assert dev.canary["order-processor"].reason.startswith("post-traffic hook post-check failed"), dev.canary
    assert alias_of(aws, "order-processor-dev") == ("1", {}), "stable again, no weights"
    stack = fake_backend.stacks["dev"]
    assert stack.release_config("order-processor") == {"stableVersion": "1"}, "the promotion's config is undone"
    assert "  pulumi up (roll back order-processor)" in lines


def test_without_a_canary_the_hooks_still_run_around_the_promotion(
    aws: boto3.session.Session, driver_for: Any, fake_backend: Any
) -> None:
    first_release(driver_for)
    for stack in fake_backend.stacks.values():
        stack.hooks["order-processor"] = {"pre_traffic_hook": "pre-check", "post_traffic_hook": "post-check"}
    fake_backend.code["order-processor"] = "r2"
    ops = HookOps(Clients(aws), {"pre-check": None, "post-check": "function error Unhandled: boom"})
    driver, lines = driver_for(lambda env: ops)
    report = driver.run([Environment("dev", canary=None)])
    dev = report.results[0]
    assert dev.status == "rolled-back", "\n".join(lines)
    assert ops.calls == [("order-processor-dev", "pre-check", "2"), ("order-processor-dev", "post-check", "2")]
    assert dev.canary["order-processor"].reason.startswith("post-traffic hook post-check failed"), dev.canary
    assert alias_of(aws, "order-processor-dev") == ("1", {}), "back on stable, no weights"


def test_without_a_canary_a_failed_pre_traffic_hook_keeps_the_stable_version(
    aws: boto3.session.Session, driver_for: Any, fake_backend: Any
) -> None:
    first_release(driver_for)
    for stack in fake_backend.stacks.values():
        stack.hooks["order-processor"] = {"pre_traffic_hook": "pre-check", "post_traffic_hook": "post-check"}
    fake_backend.code["order-processor"] = "r2"
    ops = HookOps(Clients(aws), {"pre-check": "returned status Failed: {}", "post-check": None})
    driver, lines = driver_for(lambda env: ops)
    report = driver.run([Environment("dev", canary=None)])
    assert report.results[0].status == "rolled-back", "\n".join(lines)
    assert ops.calls == [("order-processor-dev", "pre-check", "2")], "no post-traffic hook without a promotion"
    assert alias_of(aws, "order-processor-dev") == ("1", {})

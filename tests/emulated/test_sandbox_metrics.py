"""Metrics as AWS Lambda publishes them, the stack's alarms evaluated on them, and traffic through the aliases."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator

import pytest
from emulated_helpers import ROOT

from lambdakit.canary import CloudWatchHealth
from lambdakit.sandbox import Sandbox
from lambdakit.sandbox.deploy import Deployment
from lambdakit.sandbox.metrics import LambdaMetrics, SandboxClock, evaluate_alarms
from lambdakit.sandbox.state import StateStore
from lambdakit.sandbox.stateful import destroy, up
from lambdakit.sandbox.traffic import send_traffic, vary

START = dt.datetime(2026, 12, 1, 9, 0, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def deployed(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("metrics")
    program = tmp / "program"
    shutil.copytree(ROOT, program, ignore=shutil.ignore_patterns(".venv", ".git", "tests", "benchmarks", "__pycache__"))
    store = StateStore(tmp / "state")
    result = up(sandbox, store, program, "dev", config_overrides={"lambdakit:alarms": "true"})
    assert result.deployment is not None
    yield result.deployment
    destroy(sandbox, store, "dev")


@pytest.fixture
def clock(sandbox: Sandbox) -> Iterator[SandboxClock]:
    clock = SandboxClock(START)
    metrics = LambdaMetrics(sandbox, clock).attach()
    yield clock
    metrics.detach()


def test_invocations_put_lambda_metrics_the_canary_reads_and_the_error_rate_alarm_fires(
    sandbox: Sandbox, deployed: Deployment, clock: SandboxClock
) -> None:
    view = deployed.service("order-processor")
    fname = view.function_name
    alarm = f"{fname}-live-error-rate"
    cloudwatch = sandbox.client("cloudwatch")
    assert cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"], "the stack has the error-rate alarm"
    begin = clock.now()
    # Three minutes, each with 4 good requests and 1 bad one (a wiring mistake the handler refuses): 20% errors.
    for _minute in range(3):
        for n in range(4):
            assert sandbox.invoke(fname, "live", vary(view.smoke_payload, n)).ok
        assert sandbox.invoke(fname, "live", {"not": "an SQS event"}).function_error
        clock.advance(60)
    health = CloudWatchHealth(cloudwatch, function_name=fname, alias_name="live", version="1", alarm_names=[alarm])
    sums = health.metric_sums(*health.window(begin, clock.now()))
    assert sums == {"Invocations": 15.0, "Errors": 3.0, "Throttles": 0.0}
    # Each invocation under each of AWS's dimension sets, exactly once. (moto's own queries match a datapoint when
    # the query's dimensions are a subset of the datapoint's, so GetMetricStatistics by FunctionName alone counts all
    # three sets; CloudWatch, and the sandbox's alarm evaluation, match the set exactly.)
    from moto.cloudwatch.models import cloudwatch_backends

    stored = cloudwatch_backends[sandbox.account_id][sandbox.region].metric_data
    invocations = [d for d in stored if d.name == "Invocations" and fname in {x.value for x in d.dimensions}]
    by_set = {}
    for datum in invocations:
        key = tuple(sorted(x.name for x in datum.dimensions))
        by_set[key] = by_set.get(key, 0) + 1
    assert by_set == {
        ("FunctionName",): 15,
        ("FunctionName", "Resource"): 15,
        ("ExecutedVersion", "FunctionName", "Resource"): 15,
    }

    changes = evaluate_alarms(sandbox, clock.now(), [alarm])
    assert [(c.alarm, c.old, c.new) for c in changes] == [(alarm, "OK", "ALARM")]
    assert "3 out of the last 3 datapoints [0.2, 0.2, 0.2]" in changes[0].reason
    state = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]
    assert state["StateValue"] == "ALARM"
    assert health.read(begin, clock.now()).status == "unhealthy"

    # Three quiet minutes: FILL makes them 0, not missing, and the alarm returns to OK.
    clock.advance(180)
    assert [(c.old, c.new) for c in evaluate_alarms(sandbox, clock.now(), [alarm])] == [("ALARM", "OK")]


def test_traffic_goes_through_each_alias_and_counts_per_version(
    sandbox: Sandbox, deployed: Deployment, clock: SandboxClock
) -> None:
    report = send_traffic(sandbox, deployed.services, rate=2, duration=10, clock=clock)
    assert report.sent == 2 * 10 * len(deployed.services)
    for traffic in report.services.values():
        assert dict(traffic.by_version) == {"1": 20}, traffic
        assert traffic.errors == 0
    assert report.sandbox_seconds == 10
    table = report.table()
    assert "order-processor" in table and "v1: 20 (0)" in table

    capped = send_traffic(sandbox, deployed.services[:1], rate=100, duration=60, clock=clock, max_invocations=7)
    assert capped.sent == 7 and "capped at 7 invocations" in capped.capped
    with pytest.raises(ValueError, match="rate must be > 0"):
        send_traffic(sandbox, deployed.services, rate=0, duration=1)


def test_vary_makes_each_request_distinct_and_keeps_the_shape() -> None:
    event = {"Records": [{"messageId": "m", "body": "{}"}], "requestContext": {"requestId": "r"}}
    assert vary(event, 3) == {
        "Records": [{"messageId": "m-000003", "body": "{}"}],
        "requestContext": {"requestId": "r-000003"},
    }
    assert event["Records"][0]["messageId"] == "m"

"""The stateful sandbox: the next `up` of a stack is an update (create / update / replace / delete), as `pulumi up`
would be, with a preview first and the AWS calls counted."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from emulated_helpers import ROOT

from lambdakit.sandbox import Sandbox
from lambdakit.sandbox.state import StateStore
from lambdakit.sandbox.stateful import destroy, up


def copy_reference(tmp: Path) -> Path:
    program = tmp / "program"
    shutil.copytree(
        ROOT, program, ignore=shutil.ignore_patterns(".venv", ".git", "tests", "benchmarks", "__pycache__", ".*cache")
    )
    return program


@pytest.fixture
def program(tmp_path: Path) -> Path:
    return copy_reference(tmp_path)


@pytest.fixture
def store(tmp_path: Path, sandbox: Sandbox) -> Iterator[StateStore]:
    store = StateStore(tmp_path / "state")
    yield store
    for stack in store.stacks():
        destroy(sandbox, store, stack)


def ops(result, op: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return sorted((c.short_type, c.name) for c in result.applied if c.op == op)


def test_second_up_without_changes_changes_nothing_and_makes_no_aws_call(
    sandbox: Sandbox, program: Path, store: StateStore
) -> None:
    first = up(sandbox, store, program, "dev")
    assert {c.op for c in first.preview} == {"create"}
    assert first.call_count > 40
    second = up(sandbox, store, program, "dev")
    assert [c for c in second.preview if c.op != "same"] == []
    assert [c for c in second.applied if c.op != "same"] == []
    assert second.call_count == 0, second.calls
    assert "no changes" in second.preview_text()
    assert json.loads(Path(second.state_file).read_text())["ups"] == 2


def test_code_only_change_of_one_service_updates_exactly_its_function_and_alias(
    sandbox: Sandbox, program: Path, store: StateStore
) -> None:
    up(sandbox, store, program, "dev")
    handler = program / "functions" / "order_processor" / "handler.py"
    handler.write_text(handler.read_text() + "\n# a code-only change\n")
    result = up(sandbox, store, program, "dev")

    changed = [(c.op, c.short_type, c.name, c.properties) for c in result.preview if c.op != "same"]
    assert changed == [
        ("update", "Function", "order-processor", ["code", "sourceCodeHash"]),
        ("update", "Alias", "order-processor-alias", ["functionVersion"]),
    ]
    assert [c for c in result.applied if c.op != "same"] == [c for c in result.preview if c.op != "same"]
    # The calls: new code, the version it publishes, the alias moved to it (plus two reads), nothing else.
    assert dict(result.calls) == {
        "lambda:UpdateFunctionCode": 1,
        "lambda:PublishVersion": 1,
        "lambda:GetFunctionConfiguration": 1,
        "lambda:ListVersionsByFunction": 1,
        "lambda:UpdateAlias": 1,
    }
    assert result.deployment is not None
    views = {v.name: v for v in result.deployment.services}
    assert views["order-processor"].versions == ["1", "2"]
    assert views["order-processor"].alias_version == "2"
    for other in ("email-sender", "user-analytics", "api-handler"):
        assert views[other].versions == ["1"] and views[other].alias_version == "1"
    # The new version runs the new code.
    lam = sandbox.client("lambda")
    fname = views["order-processor"].function_name
    assert (
        lam.get_function(FunctionName=fname, Qualifier="2")["Configuration"]["CodeSha256"]
        != (lam.get_function(FunctionName=fname, Qualifier="1")["Configuration"]["CodeSha256"])
    )


def test_config_changes_update_in_place_and_removed_resources_are_deleted(
    sandbox: Sandbox, program: Path, store: StateStore
) -> None:
    first = up(sandbox, store, program, "dev", config_overrides={"lambdakit:alarms": "true"})
    assert first.deployment is not None
    api = first.deployment.service("api-handler").function_name
    cloudwatch = sandbox.client("cloudwatch")
    alarms = [a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"] if a["AlarmName"].startswith(api)]
    assert alarms

    # More memory for api-handler, another warm-up rate, and no alarms: in-place updates and deletes.
    settings = {"memorySize": 512, "timeout": 10, "logLevel": "DEBUG", "warmupSchedule": "rate(30 minutes)"}
    result = up(sandbox, store, program, "dev", config_overrides={"lambdakit:apiHandler": json.dumps(settings)})
    changed = {(c.op, c.short_type, c.name): c.properties for c in result.applied if c.op != "same"}
    assert changed[("update", "Function", "api-handler")] == ["memorySize"]
    assert changed[("update", "Alias", "api-handler-alias")] == ["functionVersion"]
    assert changed[("update", "EventRule", "api-handler-schedule-0")] == ["scheduleExpression"]
    deleted = {(t, name) for (op, t, name) in changed if op == "delete"}
    assert ("Key", "alarms-key") in deleted and ("MetricAlarm", "api-handler-alarm-error-rate") in deleted
    assert sandbox.client("lambda").get_function_configuration(FunctionName=api)["MemorySize"] == 512
    rule = sandbox.client("events").describe_rule(Name=_rule(result))
    assert rule["ScheduleExpression"] == "rate(30 minutes)"
    assert not [a for a in cloudwatch.describe_alarms()["MetricAlarms"] if a["AlarmName"] in alarms]
    assert result.calls["lambda:UpdateFunctionConfiguration"] == 1
    alarm_deletes = sum(1 for op, t, _ in changed if (op, t) == ("delete", "MetricAlarm"))
    assert result.calls["cloudwatch:DeleteAlarms"] == alarm_deletes
    assert "to delete" in result.preview_text()


def _rule(result) -> str:  # type: ignore[no-untyped-def]
    return next(d.state["name"] for d in result.deployment.deployed if d.name == "api-handler-schedule-0")


def _arn(sandbox: Sandbox, function: str) -> str:
    return f"arn:aws:lambda:{sandbox.region}:{sandbox.account_id}:function:{function}"


TINY = """
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
queue = aws.sqs.Queue(
    "jobs",
    name="jobs" + (".fifo" if config.get_bool("fifo") else ""),
    fifo_queue=config.get_bool("fifo") or None,
    visibility_timeout_seconds=config.get_int("visibility") or 30,
)
pulumi.export("queue", queue.url)
"""


def test_a_change_that_cannot_apply_in_place_is_a_replacement(
    sandbox: Sandbox, tmp_path: Path, store: StateStore
) -> None:
    program = tmp_path / "tiny"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: tiny\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config: {}\n")
    (program / "__main__.py").write_text(textwrap.dedent(TINY))
    up(sandbox, store, program, "dev")
    sqs = sandbox.client("sqs")
    url = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]

    updated = up(sandbox, store, program, "dev", config_overrides={"tiny:visibility": "90"})
    assert [(c.op, c.properties) for c in updated.applied] == [("update", ["visibilityTimeoutSeconds"])]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == {
        "VisibilityTimeout": "90"
    }

    replaced = up(sandbox, store, program, "dev", config_overrides={"tiny:visibility": "90", "tiny:fifo": "true"})
    assert [(c.op, c.properties) for c in replaced.preview] == [("replace", ["fifoQueue", "name"])]
    assert "+- Queue" in replaced.preview_text()
    names = [u.rsplit("/", 1)[1] for u in sqs.list_queues().get("QueueUrls", [])]
    assert "jobs.fifo" in names and "jobs" not in names
    assert replaced.calls["sqs:DeleteQueue"] == 1 and replaced.calls["sqs:CreateQueue"] == 1


def test_destroy_deletes_every_resource_and_the_record(sandbox: Sandbox, program: Path, tmp_path: Path) -> None:
    store = StateStore(tmp_path / "own-state")
    first = up(sandbox, store, program, "dev")
    assert first.deployment is not None
    names = {v.function_name for v in first.deployment.services}
    result = destroy(sandbox, store, "dev")
    assert {c.op for c in result.applied} == {"delete"}
    left = {f["FunctionName"] for f in sandbox.client("lambda").list_functions()["Functions"]}
    assert not names & left
    assert store.stacks() == []

"""The offline gate end to end: programs under mocks, the pack over the analyzer protocol, reports, exit codes."""

from __future__ import annotations

import json
import runpy
import xml.etree.ElementTree as ET
from pathlib import Path

import pulumi
import pytest
from pulumi.output import Unknown

from lambdakit import gate
from lambdakit.gate import cli as gate_cli
from lambdakit.policies.pack import RULES
from lambdakit.program import run_program

REPO = Path(__file__).resolve().parents[2]

SAFE_PROGRAM = """
import json
import pulumi
import pulumi_aws as aws

role = aws.iam.Role("fn-role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
logs = aws.cloudwatch.LogGroup("fn-logs", name="/aws/lambda/fn-prod", retention_in_days=30)
dlq = aws.sqs.Queue("fn-dlq", sqs_managed_sse_enabled=True)
redrive = dlq.arn.apply(lambda a: json.dumps({"deadLetterTargetArn": a, "maxReceiveCount": 5}))
queue = aws.sqs.Queue("fn-queue", visibility_timeout_seconds=180, redrive_policy=redrive, sqs_managed_sse_enabled=True)
policy = aws.iam.RolePolicy("fn-policy", role=role.id, policy=queue.arn.apply(lambda a: json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:ReceiveMessage"], "Resource": a}]})))
fn = aws.lambda_.Function("fn", name="fn-prod", role=role.arn, runtime="python3.14", handler="app.handler",
                          code=pulumi.AssetArchive({}), timeout=30, memory_size=512, publish=True,
                          tracing_config={"mode": "Active"}, architectures=["arm64"], description="fixture",
                          reserved_concurrent_executions=10, opts=pulumi.ResourceOptions(depends_on=[logs, policy]))
alias = aws.lambda_.Alias("fn-alias", name="live", function_name=fn.name, function_version=fn.version)
aws.lambda_.EventSourceMapping("fn-sqs-0", event_source_arn=queue.arn, function_name=alias.arn,
                               function_response_types=["ReportBatchItemFailures"])
"""

UNSAFE_PROGRAM = """
import pulumi
import pulumi_aws as aws

fn = aws.lambda_.Function("legacy", role="arn:aws:iam::123456789012:role/x", runtime="python3.9", handler="a.b",
                          code=pulumi.AssetArchive({}), environment={"variables": {"DB_PASSWORD": "hunter2"}})
aws.lambda_.Alias("legacy-alias", name="live", function_name=fn.name, function_version="$LATEST")
aws.lambda_.FunctionUrl("legacy-url", function_name=fn.name, authorization_type="NONE")
"""


def write_program(folder: Path, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text("name: fixture\nruntime: python\n")
    (folder / "Pulumi.prod.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (folder / "__main__.py").write_text(source)
    return folder


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("programs")
    return {
        "safe": write_program(root / "safe", SAFE_PROGRAM),
        "unsafe": write_program(root / "unsafe", UNSAFE_PROGRAM),
    }


@pytest.fixture(scope="module")
def unsafe_result(programs: dict[str, Path]) -> gate.GateResult:
    return gate.run_gate(programs["unsafe"], "prod")


def test_safe_program_passes_prod(programs: dict[str, Path]) -> None:
    result = gate.run_gate(programs["safe"], "prod")
    assert result.passed, gate.format_report(result)
    assert result.resources == 8
    assert not [n for n in result.notes if "unexpected error" in n.message], result.notes


def test_unsafe_program_fails_prod_with_the_expected_rules(unsafe_result: gate.GateResult) -> None:
    mandatory = {(v.policy, v.resource_name) for v in unsafe_result.mandatory}
    assert mandatory == {
        ("lambda-runtime-deprecated", "legacy"),
        ("lambda-timeout", "legacy"),
        ("lambda-memory", "legacy"),
        ("lambda-tracing-active", "legacy"),
        ("lambda-no-secrets-in-environment", "legacy"),
        ("lambda-function-url-auth", "legacy-url"),
        ("lambda-alias-versions", "legacy-alias"),
        ("lambda-alias-versions", "legacy"),
        ("lambda-log-group", "legacy"),
        ("lambda-reserved-concurrency", "legacy"),
    }, gate.format_report(unsafe_result)
    assert not unsafe_result.passed


def test_report_says_it_is_a_preflight_check_with_mock_values(unsafe_result: gate.GateResult) -> None:
    text = gate.format_report(unsafe_result)
    assert "Pre-flight check" in text and "mock values" in text and "pulumi preview --policy-pack" in text
    assert "Verdict: FAILED (10 mandatory" in text


def test_default_provider_region_reaches_the_pack(unsafe_result: gate.GateResult, programs: dict[str, Path]) -> None:
    run = run_program(programs["unsafe"], "prod")
    requests, _ = gate.analyze_requests(run)
    fn = next(r for r in requests if r.type == "aws:lambda/function:Function")
    assert fn.provider.type == "pulumi:providers:aws" and fn.provider.properties["region"] == "eu-west-1"


def test_sarif_has_rules_and_error_results(unsafe_result: gate.GateResult) -> None:
    doc = gate.sarif(unsafe_result)
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0"
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rule_ids) == len(RULES), "every rule of the pack"
    errors = [r for r in run["results"] if r["level"] == "error"]
    assert len(errors) == len(unsafe_result.mandatory)
    for r in run["results"]:
        assert rule_ids[r["ruleIndex"]] == r["ruleId"]
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("__main__.py")
        assert r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith("urn:pulumi:prod::")


def test_junit_fails_one_case_per_broken_mandatory_policy(unsafe_result: gate.GateResult) -> None:
    suite = ET.fromstring(gate.junit_xml(unsafe_result)).find("testsuite")
    assert suite is not None
    failed = sorted(c.get("name") or "" for c in suite.iter("testcase") if c.find("failure") is not None)
    assert failed == sorted({v.policy for v in unsafe_result.mandatory})
    assert suite.get("tests") == str(len(RULES)) and suite.get("skipped") == "3"


def test_command_line_writes_reports_and_exits_non_zero(
    programs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sarif_file, junit_file = tmp_path / "out.sarif", tmp_path / "junit.xml"
    code = gate_cli.main(
        [
            "--stack",
            "prod",
            "--program",
            str(programs["unsafe"]),
            "--sarif",
            str(sarif_file),
            "--junit",
            str(junit_file),
            "--workers",
            "1",
        ]
    )
    assert code == 1
    assert json.loads(sarif_file.read_text())["runs"][0]["results"]
    assert ET.fromstring(junit_file.read_text()).tag == "testsuites"
    assert "Verdict: FAILED" in capsys.readouterr().out


def test_command_line_exits_two_when_the_gate_cannot_run(
    programs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert gate_cli.main(["--stack", "qa", "--program", str(programs["safe"])]) == 2
    err = capsys.readouterr().err
    assert "stack 'qa'" in err and "Pulumi.qa.yaml does not exist (stacks here: prod)" in err, err
    assert err.count("\n") == 1, f"one line, no traceback: {err}"
    # A stack file but no policy config for it anywhere (program or pack).
    (programs["safe"] / "Pulumi.qa.yaml").write_text("config: {}\n")
    assert gate_cli.main(["--stack", "qa", "--program", str(programs["safe"])]) == 2
    err = capsys.readouterr().err
    assert "no policy config for stack 'qa'" in err and err.count("\n") == 1, err


def test_engine_encoding_of_unknowns_secrets_and_archives() -> None:
    value = gate.engine_value(
        {"a": Unknown(), "n": 3, "s": {gate.SIG: gate.SECRET_SIG, "value": "x"}, "code": pulumi.FileArchive("b.zip")}
    )
    assert value == {
        "a": gate.UNKNOWN_VALUE,
        "n": 3.0,
        "s": {gate.SIG: gate.SECRET_SIG, "value": "x"},
        "code": {gate.SIG: gate.ARCHIVE_SIG, "path": "b.zip"},
    }


# --- the reference program --------------------------------------------------------------------------------


def test_reference_prod_stack_passes_the_prod_config() -> None:
    result = gate.run_gate(REPO, "prod")
    assert result.mandatory == [], gate.format_report(result)
    assert result.resources >= 20
    assert not [n for n in result.notes if "unexpected error" in n.message]


def test_unsafe_variant_of_the_reference_fails_with_the_expected_rules() -> None:
    import pulumi_aws as aws

    # given the reference program with a short log retention, a long order-processor timeout, and a legacy
    # function behind a public URL and a public permission added next to it
    def unsafe() -> None:
        runpy.run_path(str(REPO / "__main__.py"), run_name="__main__")
        fn = aws.lambda_.Function(
            "legacy",
            role="arn:aws:iam::123456789012:role/legacy",
            runtime="python3.9",
            handler="a.b",
            code=pulumi.AssetArchive({}),
        )
        aws.lambda_.FunctionUrl("legacy-url", function_name=fn.name, authorization_type="NONE")
        aws.lambda_.Permission("legacy-public", action="lambda:InvokeFunction", function=fn.name, principal="*")

    overrides = {
        "logRetentionDays": "7",
        "orderProcessor": json.dumps({"memorySize": 1024, "timeout": 600, "reservedConcurrency": 100}),
    }
    # when the gate runs with the prod config
    result = gate.run_gate(REPO, "prod", config_overrides=overrides, program=unsafe)
    # then it fails with these rules
    names = {v.policy for v in result.mandatory}
    assert {
        "lambda-log-retention",
        "lambda-timeout",
        "lambda-function-url-auth",
        "lambda-permission-scoped",
        "lambda-runtime-deprecated",
        "lambda-tracing-active",
        "lambda-log-group",
    } <= names, gate.format_report(result)
    assert ("lambda-timeout", "order-processor") in {(v.policy, v.resource_name) for v in result.mandatory}


REGIONS_PROGRAM = """
import pulumi
import pulumi_aws as aws

west = aws.Provider("west", region="us-west-2")
west_opts = pulumi.ResourceOptions(provider=west)
for name, reserved, opts in (("fn-a", 450, None), ("fn-b", 451, None), ("west-fn", 451, west_opts)):
    aws.lambda_.Function(name, role="arn:aws:iam::123456789012:role/x", runtime="python3.14", handler="a.b",
                         code=pulumi.AssetArchive({}), reserved_concurrent_executions=reserved, opts=opts)
"""


def test_reserved_concurrency_is_summed_per_provider_region(tmp_path: Path) -> None:
    # given two functions on the default provider (eu-west-1 from stack config) reserving 450 + 451, which leaves
    # 99 of 1000 unreserved, and one on an explicit provider in us-west-2 reserving 451

    program = write_program(tmp_path / "regions", REGIONS_PROGRAM)
    result = gate.run_gate(program, "prod", {"lambda-unreserved-concurrency": "mandatory"})
    found = [v for v in result.mandatory if v.policy == "lambda-unreserved-concurrency"]
    assert len(found) == 1, gate.format_report(result)
    assert "sums to 901" in found[0].message and "fn-b=451" in found[0].message, found[0].message
    assert "region eu-west-1" in found[0].message and "west-fn" not in found[0].message


def test_first_preview_simulation_keeps_known_violations_and_says_what_it_skipped(programs: dict[str, Path]) -> None:
    # given inputs computed from other resources sent as unknown, as a new stack's first preview sees them
    safe = gate.run_gate(programs["safe"], "prod", unknown_dependents=True)
    unsafe = gate.run_gate(programs["unsafe"], "prod", unknown_dependents=True)
    # then the safe program still passes, with notes on what could not be checked
    assert safe.passed, gate.format_report(safe)
    assert any("not known during preview" in n.message for n in safe.notes), safe.notes
    assert "sent as unknown (--unknown-dependents)" in gate.format_report(safe)
    # and the unsafe one still fails on what is known (its literal runtime, URL auth and secret)
    names = {v.policy for v in unsafe.mandatory}
    assert {"lambda-runtime-deprecated", "lambda-function-url-auth", "lambda-no-secrets-in-environment"} <= names

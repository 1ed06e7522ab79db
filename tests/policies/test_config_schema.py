"""Policy configs are checked against each rule's schema: a wrong type, range, regular expression, policy or setting
is one line naming the file, the policy and the setting (exit 2), never a rule quietly switched off."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.proto import analyzer_pb2

from lambdakit.gate import cli as gate_cli
from lambdakit.policies._schema import PolicyConfigError, parse_config_text, validate_config
from lambdakit.policies.pack import load_config, resolve, schemas
from tests.policies.helpers import Analyzer
from tests.policies.test_gate import SAFE_PROGRAM, write_program


def problem_of(config: Any) -> str:
    with pytest.raises(PolicyConfigError) as info:
        validate_config(config, schemas(), "policy config prod.json")
    return str(info.value)


@pytest.mark.parametrize(
    ("config", "policy", "setting", "words"),
    [
        ({"lambda-timeout": None}, "lambda-timeout", None, "enforcement level"),
        ({"lambda-timeout": 1}, "lambda-timeout", None, "got integer 1"),
        ({"lambda-timeout": {"maxSeconds": [1]}}, "lambda-timeout", "maxSeconds", "whole number"),
        ({"lambda-timeout": {"maxSeconds": 5000}}, "lambda-timeout", "maxSeconds", "at most 900"),
        ({"lambda-timeout": {"maxSeconds": 0}}, "lambda-timeout", "maxSeconds", "at least 1"),
        ({"lambda-log-retention": {"minDays": True}}, "lambda-log-retention", "minDays", "whole number"),
        (
            {"lambda-no-secrets-in-environment": {"secretNamePatterns": ["(PASSWORD"]}},
            "lambda-no-secrets-in-environment",
            "secretNamePatterns",
            "not a valid regular expression",
        ),
        ({"lambda-timeout": {"maxSecond": 30}}, "lambda-timeout", "maxSecond", "did you mean 'maxSeconds'"),
        ({"lambda-timout": "mandatory"}, "lambda-timout", None, "did you mean 'lambda-timeout'"),
        ({"lambda-timeout": "off"}, "lambda-timeout", "enforcementLevel", "must be one of"),
        ({"lambda-timeout": {"enforcementLevel": None}}, "lambda-timeout", "enforcementLevel", "must be one of"),
        ({"lambda-tracing-active": {"x": 1}}, "lambda-tracing-active", "x", "no settings"),
        ({"all": {"maxSeconds": 3}}, "all", "maxSeconds", "only enforcementLevel"),
        ({"lambda-tags-description": {"requireDescription": "no"}}, "lambda-tags-description", None, "true or false"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_file_policy_and_setting(
    config: dict[str, Any], policy: str, setting: str | None, words: str
) -> None:
    line = problem_of(config)
    assert "\n" not in line
    assert line.startswith(f"policy config prod.json: policy {policy}"), line
    if setting:
        assert f"setting {setting}" in line, line
    assert words in line, line


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "is empty"),
        (b"  \n", "is empty"),
        (b'\xef\xbb\xbf{"all": "advisory"}', "byte-order mark"),
        (b"null", "got null"),
        (b"[1]", "got list"),
        (b"{not json", "is not JSON"),
        (b'{"lambda-timeout": {"maxSeconds": NaN}}', "NaN is not JSON"),
        (b'{"all": Infinity}', "Infinity is not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nests deeper"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "nests deeper"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_unreadable_files_are_one_line(data: bytes, words: str) -> None:
    with pytest.raises(PolicyConfigError) as info:
        parse_config_text(data, "policy config x.json")
    assert words in str(info.value) and "\n" not in str(info.value)


def test_only_enforcement_level_disabled_switches_a_mandatory_rule_off() -> None:
    level, settings = resolve({"lambda-timeout": {"enforcementLevel": "disabled"}})["lambda-timeout"]
    assert level.value == "disabled"
    level, settings = resolve({"lambda-timeout": {"maxSeconds": 60}})["lambda-timeout"]
    assert level.value == "mandatory" and settings["maxSeconds"] == 60


def test_shipped_configs_pass_the_schema() -> None:
    for env in ("dev", "staging", "prod"):
        validate_config(load_config(env), schemas(), env)


@pytest.fixture(scope="module")
def analyzer() -> Any:
    a = Analyzer()
    try:
        yield a
    finally:
        a.close()


FUNCTION = "aws:lambda/function:Function"


def test_the_pack_alone_blocks_when_its_configure_request_breaks_the_schema(analyzer: Analyzer) -> None:
    """Run by `pulumi preview --policy-pack` the gate's check is absent: the rule itself refuses to run quietly."""
    req = analyzer_pb2.ConfigureAnalyzerRequest()
    cfg = analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.MANDATORY)
    cfg.properties.update({"maxSeconds": [1]})
    req.policyConfig["lambda-timeout"].CopyFrom(cfg)
    analyzer.pack.stub.Configure(req)
    violations = analyzer.analyze(FUNCTION, {"timeout": 800, "name": "fn"}, "fn")
    found = [v for v in violations if v.policy == "lambda-timeout"]
    assert found and found[0].level == "mandatory", found
    assert "setting maxSeconds" in found[0].message and "cannot run" in found[0].message, found[0].message


def test_the_pack_alone_refuses_a_pattern_that_does_not_compile(analyzer: Analyzer) -> None:
    req = analyzer_pb2.ConfigureAnalyzerRequest()
    cfg = analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.MANDATORY)
    cfg.properties.update({"secretNamePatterns": ["(PASS"]})
    req.policyConfig["lambda-no-secrets-in-environment"].CopyFrom(cfg)
    analyzer.pack.stub.Configure(req)
    props = {"name": "fn", "environment": {"variables": {"DB_PASSWORD": "hunter2"}}}
    found = [v for v in analyzer.analyze(FUNCTION, props, "fn") if v.policy == "lambda-no-secrets-in-environment"]
    assert found and "not a valid regular expression" in found[0].message, found


def test_command_line_exits_two_and_still_writes_sarif_and_junit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = write_program(tmp_path / "prog", SAFE_PROGRAM)
    bad = tmp_path / "prod.json"
    bad.write_text(json.dumps({"lambda-log-retention": {"minDays": True}}))
    sarif_file, junit_file = tmp_path / "out.sarif", tmp_path / "junit.xml"
    argv = ["--stack", "prod", "--program", str(program), "--policy-config", str(bad), "--workers", "1"]
    code = gate_cli.main([*argv, "--sarif", str(sarif_file), "--junit", str(junit_file)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and str(bad) in err, err
    assert "policy lambda-log-retention" in err and "setting minDays" in err, err
    run = json.loads(sarif_file.read_text())["runs"][0]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "setting minDays" in invocation["toolExecutionNotifications"][0]["message"]["text"]
    error = ET.fromstring(junit_file.read_text()).find("testsuite/testcase/error")
    assert error is not None and "setting minDays" in (error.get("message") or "")


@pytest.mark.parametrize("content", [None, b"", b"\xef\xbb\xbf{}", b"null", b"{"])
def test_command_line_unreadable_config_exits_two_with_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None
) -> None:
    program = write_program(tmp_path / "prog", "")
    cfg = tmp_path / "cfg.json"
    if content is not None:
        cfg.write_bytes(content)
    sarif_file = tmp_path / "out.sarif"
    code = gate_cli.main(
        ["--stack", "prod", "--program", str(program), "--policy-config", str(cfg), "--sarif", str(sarif_file)]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "cfg.json" in err, err
    assert json.loads(sarif_file.read_text())["runs"][0]["invocations"][0]["executionSuccessful"] is False

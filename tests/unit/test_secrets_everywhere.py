"""No secret in any output: known secret strings are planted in every kind of input (environment, IAM statements,
managed policy ARNs, tags, a handler's log) and every output is grepped for them: the gate's console, SARIF and
JUnit, the plan, the sandbox's report (console and JSON) and errors, and the release driver's summary."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from lambdakit import redact
from lambdakit.driver import EnvironmentResult, summary_table
from lambdakit.gate import cli as gate_cli
from lambdakit.plan import main as plan_main
from lambdakit.policies import _redact
from lambdakit.sandbox.__main__ import main as sandbox_main

ENV_SECRET = "env-Secret-Value-7f3a9c"
ARN_SECRET = "arn:aws:s3:::bucket-secret-q81x/*"
MANAGED_SECRET = "arn:aws:iam::aws:policy/AdministratorAccess"
TAG_SECRET = "tag-secret-owner-5521"
SECRETS = (ENV_SECRET, ARN_SECRET, TAG_SECRET, "bucket-secret-q81x")

PROGRAM = """
import json
import pulumi
import pulumi_aws as aws

env_secret = pulumi.Output.secret(%(env)r)
arn_secret = pulumi.Output.secret(%(arn)r)
managed_secret = pulumi.Output.secret(%(managed)r)
tag_secret = pulumi.Output.secret(%(tag)r)

role = aws.iam.Role("fn-role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.iam.RolePolicy("fn-policy", role=role.id, policy=arn_secret.apply(lambda a: json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": [a, "*"]}]})))
aws.iam.RolePolicyAttachment("fn-admin", role=role.name, policy_arn=managed_secret)
logs = aws.cloudwatch.LogGroup("fn-logs", name="/aws/lambda/fn-dev", retention_in_days=7)
fn = aws.lambda_.Function("fn", name="fn-dev", role=role.arn, runtime="python3.12", handler="app.handler",
                          code=pulumi.FileArchive("code.zip"), timeout=5, memory_size=128, publish=True,
                          environment={"variables": {"DB_PASSWORD": env_secret, "LOG_LEVEL": "INFO"}},
                          tags={"Owner": tag_secret}, opts=pulumi.ResourceOptions(depends_on=[logs]))
aws.lambda_.Alias("fn-alias", name="live", function_name=fn.name, function_version=fn.version)
pulumi.export("password", env_secret)
"""

HANDLER = """
import os

def handler(event, context):
    print("connecting with", os.environ["DB_PASSWORD"])
    return {"password": os.environ["DB_PASSWORD"]}
"""


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("secret-program")
    (folder / "Pulumi.yaml").write_text("name: secrets\nruntime: python\n")
    for stack in ("dev", "prod"):
        (folder / f"Pulumi.{stack}.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (folder / "__main__.py").write_text(
        PROGRAM % {"env": ENV_SECRET, "arn": ARN_SECRET, "managed": MANAGED_SECRET, "tag": TAG_SECRET}
    )
    with zipfile.ZipFile(folder / "code.zip", "w") as archive:
        archive.writestr("app.py", HANDLER)
    return folder


def assert_clean(where: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{where} shows the secret {secret!r}:\n{text[:3000]}"


@pytest.fixture(autouse=True)
def fresh_registry() -> None:
    redact.forget_all()


def test_redaction_helper_hides_leaves_and_json_leaves_but_keeps_iam_words() -> None:
    wrapped = {"policy": {_redact.SIG_KEY: _redact.SECRET_SIG, "value": json.dumps({"Resource": ARN_SECRET})}}
    found = _redact.secret_strings(wrapped)
    assert ARN_SECRET in found and "Resource" not in found
    text = f"s3:* on {ARN_SECRET} is too broad"
    assert _redact.redact(text, found) == "s3:* on [secret] is too broad"


def test_the_gate_console_sarif_and_junit_show_no_secret(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sarif, junit = tmp_path / "out.sarif", tmp_path / "junit.xml"
    code = gate_cli.main(
        ["--stack", "prod", "--program", str(program), "--sarif", str(sarif), "--junit", str(junit), "--workers", "1"]
    )
    captured = capsys.readouterr()
    assert code == 1, captured.err
    for where, text in (
        ("gate console", captured.out + captured.err),
        ("SARIF", sarif.read_text()),
        ("JUnit", junit.read_text()),
    ):
        assert_clean(where, text)
    # The violations that quote the secret inputs are still there, naming the secret as such.
    assert "[secret]" in captured.out, captured.out
    assert "lambda-role-least-privilege" in captured.out


def test_the_plan_shows_no_secret(program: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert plan_main(["--program", str(program), "--stack", "dev"]) == 0
    captured = capsys.readouterr()
    assert_clean("plan", captured.out + captured.err)


def test_the_sandbox_deploys_the_real_values_and_its_reports_show_none(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    code = sandbox_main(["--program", str(program), "--stack", "dev", "--json", str(report)])
    captured = capsys.readouterr()
    # Fidelity: the function ran with its secret environment (it answered with it) and the role policy deployed.
    assert code == 0, captured.out + captured.err
    assert "answered through their aliases without an error" in captured.out, captured.out
    assert "[secret]" in captured.out, "the handler's answer and log quote the secret"
    assert_clean("sandbox console", captured.out + captured.err)
    assert_clean("sandbox JSON", report.read_text())


def test_driver_summary_shows_no_secret() -> None:
    redact.remember(ENV_SECRET)
    table = summary_table([EnvironmentResult("prod", status="failed", stage="up", detail=f"up failed: {ENV_SECRET}")])
    assert_clean("driver summary", table)
    assert "up failed: [secret]" in table

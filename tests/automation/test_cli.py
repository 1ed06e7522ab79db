"""The command line against a moto server (the way an operator points it at an emulator), and the local stack's
pieces that need no Pulumi CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
import yaml

from lambdakit import cli, local

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with local.moto_server(port=0, use_docker=False) as url:
        # The server shares moto's in-process backends: start and end each test empty.
        requests.post(f"{url}/moto-api/reset", timeout=10)
        yield url
        requests.post(f"{url}/moto-api/reset", timeout=10)


@pytest.fixture
def deployed(moto_endpoint: str, make_function: Any, tmp_path: Path) -> tuple[str, Path]:
    """order-processor-local with versions 1-4 (alias live on 4) and an outputs file naming it."""

    class EndpointSession(boto3.session.Session):
        def client(self, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("endpoint_url", moto_endpoint)
            return super().client(*args, **kwargs)

    make_function(EndpointSession(region_name="us-east-1"), "order-processor-local", versions=4)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "services": {
                    "order-processor": {
                        "config_key": "orderProcessor",
                        "function_name": "order-processor-local",
                        "alias_name": "live",
                        "version": "4",
                        "alarm_arns": [],
                    }
                }
            }
        )
    )
    return moto_endpoint, outputs


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_invoke_by_service_name_through_the_endpoint(
    deployed: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, outputs = deployed
    code, out, err = run(
        [
            "invoke",
            "--outputs",
            str(outputs),
            "--service",
            "order-processor",
            "--endpoint-url",
            url,
            "--payload",
            '{"Records": []}',
        ],
        capsys,
    )
    assert code == 0, err
    assert out.startswith("RequestResponse order-processor-local:live -> 200"), out
    assert '"Records": []' in out, out


def test_dry_run_and_event_from_the_command_line(
    deployed: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, outputs = deployed
    base = ["invoke", "--outputs", str(outputs), "--service", "order-processor", "--endpoint-url", url]
    code, out, _ = run([*base, "--type", "DryRun"], capsys)
    assert code == 0 and "-> 204" in out and "permission check passed" in out, out
    code, out, _ = run([*base, "--type", "Event", "--payload", "{}"], capsys)
    assert code == 0 and "-> 202" in out and "request id: " in out, out


def test_unknown_service_exits_2_listing_the_services(
    deployed: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, outputs = deployed
    code, _, err = run(["invoke", "--outputs", str(outputs), "--service", "billing", "--endpoint-url", url], capsys)
    assert code == 2
    assert "service 'billing' is not in the stack; valid services: order-processor" in err


def test_missing_alias_exits_2_naming_it(deployed: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    url, _ = deployed
    code, _, err = run(
        ["invoke", "--function", "order-processor-local", "--alias", "blue", "--endpoint-url", url], capsys
    )
    assert code == 2
    assert "has no alias or version 'blue'" in err, err


def test_prune_dry_run_then_prune(deployed: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    url, outputs = deployed
    base = ["prune", "--outputs", str(outputs), "--all", "--keep", "1", "--endpoint-url", url]
    code, out, _ = run([*base, "--dry-run"], capsys)
    assert code == 0 and "would delete 1" in out and "3 would delete" in out, out
    code, out, _ = run(base, capsys)
    assert code == 0 and "3 deleted, 1 kept" in out, out
    lam = boto3.client("lambda", region_name="us-east-1", endpoint_url=url)
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName="order-processor-local")["Versions"]]
    assert versions == ["$LATEST", "4"], versions


@pytest.mark.parametrize("extra", [["--abort"], ["--new-version", "2"]])
def test_canary_on_a_missing_function_is_one_line_naming_it(
    deployed: tuple[str, Path], capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    url, _ = deployed
    code, out, err = run(["canary", "--function", "no-such-fn", *extra, "--endpoint-url", url], capsys)
    assert code == 2, (out, err)
    [line] = err.strip().splitlines()
    assert "no-such-fn:live: no such function or alias" in line and "Traceback" not in err, err


def test_canary_without_traffic_rolls_back_and_exits_1(
    deployed: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the alias on 3 and no metrics at all for version 4 (a deadline of a few milliseconds)
    url, outputs = deployed
    lam = boto3.client("lambda", region_name="us-east-1", endpoint_url=url)
    lam.update_alias(FunctionName="order-processor-local", Name="live", FunctionVersion="3")
    code, out, _ = run(
        [
            "canary",
            "--outputs",
            str(outputs),
            "--service",
            "order-processor",
            "--new-version",
            "4",
            "--bake",
            "0",
            "--poll",
            "0.001",
            "--deadline",
            "0.002",
            "--endpoint-url",
            url,
        ],
        capsys,
    )
    assert code == 1, out
    assert "order-processor: rolled-back (step 1/2 at 10%: no data for version 4" in out, out
    alias = lam.get_alias(FunctionName="order-processor-local", Name="live")
    assert alias["FunctionVersion"] == "3" and not alias["RoutingConfig"]["AdditionalVersionWeights"], alias


# --- the local stack ---------------------------------------------------------------------------------------------


def test_pulumi_local_yaml_points_every_service_at_moto() -> None:
    config = local.read_local_config(ROOT / "Pulumi.local.yaml")
    endpoints = config["aws:endpoints"][0]
    assert set(endpoints) == set(local.ENDPOINT_SERVICES), "Pulumi.local.yaml aws:endpoints services"
    assert set(endpoints.values()) == {"http://127.0.0.1:5000"}
    for flag in (
        "aws:skipCredentialsValidation",
        "aws:skipRequestingAccountId",
        "aws:skipMetadataApiCheck",
        "aws:s3UsePathStyle",
    ):
        assert config[flag] is True, f"Pulumi.local.yaml {flag}"
    assert (config["aws:accessKey"], config["aws:secretKey"], config["aws:region"]) == (
        "testing",
        "testing",
        "us-east-1",
    )
    stack_keys = {k for k in config if k.startswith("lambdakit:")}
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    declared = {f"lambdakit:{k}" for k in project.get("config", {})}
    assert stack_keys <= declared, f"Pulumi.local.yaml sets keys Pulumi.yaml does not declare: {stack_keys - declared}"


def test_local_env_uses_a_file_backend(tmp_path: Path) -> None:
    env = local.local_env(tmp_path / "state", "http://127.0.0.1:5001")
    assert env["PULUMI_BACKEND_URL"] == f"file://{(tmp_path / 'state').resolve()}"
    assert env["PULUMI_CONFIG_PASSPHRASE"]
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5001"
    # Another port: a rewritten copy of Pulumi.local.yaml is passed as --config-file; the repository's is unchanged
    before = (ROOT / "Pulumi.local.yaml").read_text()
    copy = local.config_for_endpoint("http://127.0.0.1:5001", tmp_path, ROOT)
    assert copy is not None and copy.parent == tmp_path
    rewritten = yaml.safe_load(copy.read_text())["config"]
    assert set(rewritten["aws:endpoints"][0].values()) == {"http://127.0.0.1:5001"}
    assert rewritten["aws:skipRequestingAccountId"] is True, "the rest of the config is kept"
    assert (ROOT / "Pulumi.local.yaml").read_text() == before
    assert local.config_for_endpoint("http://127.0.0.1:5000", tmp_path, ROOT) is None


def test_local_config_for_a_program_without_pulumi_local_yaml(tmp_path: Path) -> None:
    # Given a program with only a dev stack
    program = tmp_path / "billing"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: billing\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config:\n  billing:memorySize: 512\n")
    # When the local stack's config is made for the default endpoint
    made = local.config_for_endpoint("http://127.0.0.1:5000", tmp_path / "state", program)
    # Then it is the dev config with the provider pointed at moto, in the state folder, the program untouched
    assert made is not None and made.parent == tmp_path / "state"
    config = yaml.safe_load(made.read_text())["config"]
    assert config["billing:memorySize"] == 512
    assert set(config["aws:endpoints"][0].values()) == {"http://127.0.0.1:5000"}
    assert config["aws:skipCredentialsValidation"] is True and config["aws:accessKey"] == "testing"
    assert sorted(p.name for p in program.iterdir()) == ["Pulumi.dev.yaml", "Pulumi.yaml"]


def test_local_up_without_the_cli_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    code = cli.main(["local", "up", "--port", "0", "--state-dir", str(tmp_path), "--no-serve"])
    assert code == 2
    assert "Pulumi CLI not found on PATH: the local stack runs `pulumi`" in capsys.readouterr().err


class _Workspace:
    def __init__(self, calls: list[tuple[str, Any]]) -> None:
        self.calls = calls

    def remove_stack(self, name: str, **kwargs: Any) -> None:
        self.calls.append(("remove_stack", (name, kwargs)))


class _AutoStack:
    """Records what LocalStack asks of pulumi.automation.Stack."""

    def __init__(self, calls: list[tuple[str, Any]]) -> None:
        self.calls = calls
        self.workspace = _Workspace(calls)

    def refresh(self, **kwargs: Any) -> None:
        self.calls.append(("refresh", kwargs.get("config_file")))

    def up(self, **kwargs: Any) -> Any:
        self.calls.append(("up", kwargs.get("config_file")))

        class Value:
            value = {"api-handler": {"function_name": "api-handler-local"}}

        class Result:
            outputs = {"services": Value()}

        return Result()

    def destroy(self, **kwargs: Any) -> None:
        self.calls.append(("destroy", kwargs.get("config_file")))


def test_local_stack_drives_the_automation_api_with_a_file_backend(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given a Pulumi CLI on PATH (faked) and the Automation API's stack factory recorded
    calls: list[tuple[str, Any]] = []
    created: dict[str, Any] = {}

    def create_or_select_stack(**kwargs: Any) -> _AutoStack:
        created.update(kwargs)
        return _AutoStack(calls)

    monkeypatch.setattr("shutil.which", lambda name: f"/usr/local/bin/{name}")
    monkeypatch.setattr("pulumi.automation.create_or_select_stack", create_or_select_stack)
    # When the local stack goes up on another port and is destroyed
    stack = local.LocalStack(ROOT, state_dir=tmp_path, endpoint="http://127.0.0.1:5001", echo=lambda _: None)
    outputs = stack.up(outputs_file=tmp_path / "outputs.json")
    stack.destroy()
    stack.remove()
    # Then the stack is `local` in the program folder with a file backend, refreshed before up, the rewritten
    # config passed as --config-file, and the committed Pulumi.local.yaml preserved on removal
    assert created["stack_name"] == "local" and created["work_dir"] == str(ROOT)
    assert created["opts"].env_vars["PULUMI_BACKEND_URL"] == f"file://{tmp_path.resolve()}"
    config_file = str(tmp_path / "Pulumi.local.5001.yaml")
    assert calls == [
        ("refresh", config_file),
        ("up", config_file),
        ("destroy", config_file),
        ("remove_stack", ("local", {"preserve_config": True})),
    ]
    assert outputs == {"services": {"api-handler": {"function_name": "api-handler-local"}}}
    assert json.loads((tmp_path / "outputs.json").read_text()) == outputs


def test_release_command_runs_the_driver_over_the_stacks(
    aws: Any, fake_backend: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the Automation API backend replaced by the fake stack on moto
    monkeypatch.setattr("lambdakit.driver.AutomationBackend", lambda program_dir: fake_backend)
    # When releasing dev and staging
    code = cli.main(["release", "--stacks", "dev,staging", "--no-canary", "dev", "--keep", "2"])
    out = capsys.readouterr().out
    # Then both were deployed in order and the summary table closes the output
    assert code == 0, out
    assert fake_backend.selected == ["dev", "staging"]
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["stack", "status"])
    assert lines.index("== dev") < lines.index("== staging") < header, out
    assert [line.split()[:2] for line in out.splitlines()[-2:]] == [["dev", "deployed"], ["staging", "deployed"]]


def test_moto_server_restores_moto_settings_when_it_stops() -> None:
    # The server shares the process with in-process mocks: its use_docker setting must not leak into them.
    from moto.core.config import default_user_config

    before = dict(default_user_config["lambda"])
    with local.moto_server(port=0, use_docker=not before.get("use_docker", True)):
        assert default_user_config["lambda"] != before
    assert default_user_config["lambda"] == before

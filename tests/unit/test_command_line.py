"""The `lambdakit` command's contract: usage and input errors are one line naming the path or key, exit code 2,
never a traceback; paths are the caller's; the program folder defaults to the current directory."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import lambdakit
from lambdakit import cli

ROOT = Path(__file__).resolve().parents[2]


def lambdakit_cmd(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, f"expected one line, got:\n{err}"
    return err.strip()


@pytest.fixture
def program(tmp_path: Path) -> Path:
    """A minimal program with a declared integer setting and one service."""
    folder = tmp_path / "shop"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "handler.py").write_text("def handler(event, context):\n    return event\n")
    (folder / "Pulumi.yaml").write_text(
        "name: shop\nruntime: python\nconfig:\n  memorySize:\n    type: integer\n    default: 256\n"
    )
    (folder / "Pulumi.dev.yaml").write_text("config:\n  shop:memorySize: 512\n")
    (folder / "__main__.py").write_text(
        "import pulumi\nfrom lambdakit import LambdaService\n\n"
        'LambdaService("cart", {"code_path": "src", "memory_size": pulumi.Config().get_int("memorySize")})\n'
    )
    return folder


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = lambdakit_cmd(["--version"], capsys)
    assert code == 0 and out.strip() == f"lambdakit {lambdakit.__version__}"
    import tomllib

    assert lambdakit.__version__ == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_unknown_command_is_one_line_with_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = lambdakit_cmd(["sandbxo"], capsys)
    assert code == 2 and not out
    assert one_line(err) == "lambdakit: error: unknown command 'sandbxo'; did you mean 'sandbox'?"


def test_no_command_prints_usage_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = lambdakit_cmd([], capsys)
    assert code == 2 and "usage: lambdakit <command>" in out
    for command in cli.COMMANDS:
        assert f"  {command} " in out, f"usage lists {command}"


def test_unknown_option_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = lambdakit_cmd(["plan", "--stak", "dev"], capsys)
    assert code == 2
    assert one_line(err).startswith("lambdakit plan: error: unrecognized arguments: --stak dev")


@pytest.mark.parametrize("command", [["plan"], ["gate", "--stack", "dev"], ["sandbox"]])
def test_a_missing_program_folder_is_named(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    code, _, err = lambdakit_cmd([*command, "--program", str(missing)], capsys)
    assert code == 2
    assert one_line(err) == f"lambdakit {command[0]}: error: program folder {missing} does not exist"


@pytest.mark.parametrize("command", [["plan"], ["gate", "--stack", "dev"], ["sandbox"]])
def test_a_folder_without_pulumi_yaml_is_named(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the program folder defaults to the current directory
    code, _, err = lambdakit_cmd(command, capsys)
    assert code == 2
    assert one_line(err).startswith(f"lambdakit {command[0]}: error: {tmp_path} has no Pulumi.yaml")


@pytest.mark.parametrize(
    "command", [["plan", "--stack", "qa"], ["gate", "--stack", "qa"], ["sandbox", "--stack", "qa"]]
)
def test_a_missing_stack_file_is_named(
    command: list[str], program: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(program)
    code, _, err = lambdakit_cmd(command, capsys)
    assert code == 2
    assert one_line(err) == (
        f"lambdakit {command[0]}: error: stack 'qa': {program}/Pulumi.qa.yaml does not exist (stacks here: dev)"
    )


@pytest.mark.parametrize("command", [["plan"], ["gate", "--stack", "dev"], ["sandbox"]])
def test_a_config_value_of_the_wrong_type_names_the_file_and_key(
    command: list[str], program: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (program / "Pulumi.dev.yaml").write_text("config:\n  shop:memorySize: lots\n")
    monkeypatch.chdir(program)
    code, _, err = lambdakit_cmd(command, capsys)
    assert code == 2
    line = one_line(err)
    assert f"{program}/Pulumi.dev.yaml: config shop:memorySize must be of type integer" in line, line
    assert "got 'lots'" in line, line


@pytest.mark.parametrize("command", [["plan"], ["sandbox"]])
def test_a_component_input_error_is_one_line_naming_the_service_and_the_program_line(
    command: list[str], program: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (program / "Pulumi.dev.yaml").write_text("config:\n  shop:memorySize: 99999\n")
    monkeypatch.chdir(program)
    code, _, err = lambdakit_cmd(command, capsys)
    assert code == 2
    line = one_line(err)
    assert "cart: memory_size must be 128-10240 MB, got 99999 (__main__.py:4)" in line, line


def test_plan_defaults_to_the_current_folder_and_every_stack(
    program: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(program)
    code, out, err = lambdakit_cmd(["plan"], capsys)
    assert code == 0, err
    assert "stack dev: " in out and "cart-dev" in out and "512" in out, out


def test_gate_writes_reports_relative_to_the_caller(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    caller = tmp_path / "ci"
    caller.mkdir()
    monkeypatch.chdir(caller)
    code, out, err = lambdakit_cmd(
        ["gate", "--stack", "dev", "--program", str(program), "--sarif", "gate.sarif", "--junit", "out/gate.xml"],
        capsys,
    )
    assert code == 0, out + err
    assert (caller / "gate.sarif").is_file() and (caller / "out" / "gate.xml").is_file(), "folders are created"
    assert not (program / "gate.sarif").exists(), "reports land where the command ran, not in the program"


def test_run_forwards_unknown_commands_to_lambdakit_and_fails() -> None:
    done = subprocess.run([str(ROOT / "run"), "bogus"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().splitlines()[-1] == "lambdakit: error: unknown command 'bogus'; commands: " + ", ".join(
        cli.COMMANDS
    )

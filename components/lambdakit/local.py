"""The ``local`` stack: a program deployed by the real Pulumi CLI into a moto server on 127.0.0.1.

``Pulumi.local.yaml`` points the AWS provider at the moto server (custom endpoints, no credential or account
checks, test credentials). A program without one gets the same provider settings over its ``dev`` stack's config,
written to a config file in the state folder (the program's own files are never changed). This module starts
moto's ``ThreadedMotoServer``, keeps Pulumi state in a local file backend (``PULUMI_BACKEND_URL=file://...``,
nothing leaves the machine) and runs ``pulumi up --stack local`` through the Automation API. moto keeps everything
in memory: when the server stops, the resources are gone, so each ``up`` refreshes first (dropping what the
previous server held from the state) and ``serve`` keeps the server running after ``up`` until Ctrl-C so you can
invoke the functions.

    lambdakit local up            # start moto, deploy, keep serving (Ctrl-C stops)
    lambdakit local up --no-serve # deploy and stop (CI smoke)
    lambdakit local destroy

Needs the Pulumi CLI and the pulumi-aws plugin; without them the e2e tests skip and this command explains why.
For the same journey without the CLI, use the in-process sandbox (``lambdakit sandbox``).
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import yaml

from lambdakit.canary import Echo
from lambdakit.cliutil import command

STACK = "local"
HOST = "127.0.0.1"
#: The port Pulumi.local.yaml's endpoints use; another port rewrites them on the stack's config.
DEFAULT_PORT = 5000
#: Where the file backend keeps state and the last outputs, under the program folder (.lambdakit/ is git-ignored).
STATE_SUBDIR = Path(".lambdakit") / "local"
#: The passphrase of the local stack's secrets provider: it protects nothing (test credentials only).
LOCAL_PASSPHRASE = "lambdakit-local-not-a-secret"
#: Services the reference program calls, each with an endpoint in Pulumi.local.yaml.
ENDPOINT_SERVICES = (
    "lambda",
    "iam",
    "sqs",
    "dynamodb",
    "kinesis",
    "cloudwatch",
    "logs",
    "sts",
    "s3",
    "sns",
    "events",
    "applicationautoscaling",
)


class LocalStackError(Exception):
    """The local stack cannot run; the message says what is missing."""


def endpoint_url(port: int = DEFAULT_PORT, host: str = HOST) -> str:
    return f"http://{host}:{port}"


#: Provider settings that point pulumi-aws at a moto server (the endpoints are added per server).
PROVIDER_CONFIG: dict[str, Any] = {
    "aws:region": "us-east-1",
    "aws:accessKey": "testing",
    "aws:secretKey": "testing",
    "aws:skipCredentialsValidation": True,
    "aws:skipRequestingAccountId": True,
    "aws:skipMetadataApiCheck": True,
    "aws:skipRegionValidation": True,
    "aws:s3UsePathStyle": True,
}


def read_local_config(path: Path) -> dict[str, Any]:
    """The ``config`` block of a Pulumi.local.yaml."""
    data = yaml.safe_load(path.read_text()) or {}
    config = data.get("config")
    if not isinstance(config, dict):
        raise LocalStackError(f"{path} has no config block")
    return config


@contextlib.contextmanager
def moto_server(port: int = DEFAULT_PORT, host: str = HOST, *, use_docker: bool | None = None) -> Iterator[str]:
    """Run moto's server on ``host:port`` (0 picks a free port) and yield its endpoint URL.

    Lambda invocations need docker in moto; without docker (the default here when it is not on PATH) moto echoes
    the event back instead of running the handler.
    """
    from lambdakit.sandbox import _moto_compat

    try:
        _moto_compat.check()
    except _moto_compat.UnsupportedDependencyError as exc:
        raise LocalStackError(str(exc)) from None
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    # One log line per request drowns Pulumi's progress output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    try:
        server.start()
    except OSError as exc:
        raise LocalStackError(f"cannot start moto on {host}:{port}: {exc}; is another server using the port?") from None
    bound_host, bound_port = server.get_host_and_port()
    url = endpoint_url(bound_port, bound_host)
    from moto.core.config import default_user_config

    # The server runs in this process: its /moto-api/config changes moto's process-wide settings, which
    # in-process mocks (mock_aws) started later would inherit. Put them back when the server stops.
    settings = cast(dict[str, Any], default_user_config)
    saved = copy.deepcopy(settings)
    try:
        if use_docker is None:
            use_docker = shutil.which("docker") is not None
        configure_moto(url, use_docker=use_docker)
        yield url
    finally:
        server.stop()
        settings.clear()
        settings.update(saved)


def configure_moto(url: str, *, use_docker: bool) -> None:
    """moto's server-wide settings, through its ``/moto-api/config`` endpoint."""
    import requests

    response = requests.post(f"{url}/moto-api/config", json={"lambda": {"use_docker": use_docker}}, timeout=10)
    response.raise_for_status()


def local_env(state_dir: Path, endpoint: str) -> dict[str, str]:
    """Environment for the Pulumi CLI: a file backend in ``state_dir`` and test credentials for the provider."""
    state_dir.mkdir(parents=True, exist_ok=True)
    return {
        "PULUMI_BACKEND_URL": f"file://{state_dir.resolve()}",
        "PULUMI_CONFIG_PASSPHRASE": os.environ.get("PULUMI_CONFIG_PASSPHRASE", LOCAL_PASSPHRASE),
        # The provider reads these too; Pulumi.local.yaml sets the same test values.
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        # boto3 (smoke checks, the operations CLI) and the AWS CLI honour this.
        "AWS_ENDPOINT_URL": endpoint,
    }


def config_for_endpoint(endpoint: str, state_dir: Path, program_dir: Path) -> Path | None:
    """The config file the CLI gets as ``--config-file``, or None when the program's own ``Pulumi.local.yaml`` already
    points at ``endpoint``. Otherwise: that file with every endpoint rewritten, or, for a program without one, its
    ``Pulumi.dev.yaml`` config with the provider pointed at the emulator. The program's files are not changed."""
    source = program_dir / f"Pulumi.{STACK}.yaml"
    if source.is_file():
        data = yaml.safe_load(source.read_text()) or {}
        if endpoint == endpoint_url():
            return None
    else:
        dev = program_dir / "Pulumi.dev.yaml"
        data = (yaml.safe_load(dev.read_text()) or {}) if dev.is_file() else {}
        data.setdefault("config", {})
        data["config"] = {**(data.get("config") or {}), **PROVIDER_CONFIG}
    data.setdefault("config", {})
    data["config"]["aws:endpoints"] = [{service: endpoint for service in ENDPOINT_SERVICES}]
    target = state_dir / f"Pulumi.{STACK}.{endpoint.rsplit(':', 1)[-1]}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


class LocalStack:
    """The ``local`` stack of a program, with a file backend, against one moto endpoint."""

    def __init__(
        self,
        program_dir: Path,
        *,
        state_dir: Path | None = None,
        endpoint: str = endpoint_url(),
        echo: Echo = print,
    ) -> None:
        from lambdakit.driver import DriverError, require_pulumi_cli

        try:
            require_pulumi_cli("the local stack")
        except DriverError as exc:
            raise LocalStackError(str(exc)) from None
        from pulumi import automation as auto

        self.echo = echo
        self.endpoint = endpoint
        state_dir = state_dir if state_dir is not None else program_dir / STATE_SUBDIR
        self.env = local_env(state_dir, endpoint)
        self.config_file = config_for_endpoint(endpoint, state_dir, program_dir)
        self.stack = auto.create_or_select_stack(
            stack_name=STACK,
            work_dir=str(program_dir),
            opts=auto.LocalWorkspaceOptions(work_dir=str(program_dir), env_vars=self.env),
        )
        echo(f"stack {STACK}: state in {self.env['PULUMI_BACKEND_URL']}, AWS endpoint {endpoint}")

    def _kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"on_output": lambda line: self.echo(f"  | {line.rstrip()}")}
        if self.config_file is not None:
            kwargs["config_file"] = str(self.config_file)
        return kwargs

    def refresh(self) -> None:
        # moto keeps resources in memory: a new server has none of what the state recorded.
        self.echo(f"pulumi refresh --stack {STACK}")
        self.stack.refresh(**self._kwargs())

    def up(self, *, outputs_file: Path | None = None) -> dict[str, Any]:
        """Refresh, then ``up``; returns plain outputs (and writes them to ``outputs_file``)."""
        self.refresh()
        self.echo(f"pulumi up --stack {STACK}")
        result = self.stack.up(**self._kwargs())
        outputs = {key: value.value for key, value in result.outputs.items()}
        if outputs_file is not None:
            outputs_file.parent.mkdir(parents=True, exist_ok=True)
            outputs_file.write_text(json.dumps(outputs, indent=2, sort_keys=True))
            self.echo(f"outputs written to {outputs_file}")
        return outputs

    def services(self) -> dict[str, Any]:
        """The stack's LambdaServices, from its state."""
        from lambdakit.ops import services_from_state

        return services_from_state(self.stack.export_stack().deployment or {})

    def destroy(self) -> None:
        self.echo(f"pulumi destroy --stack {STACK}")
        self.stack.destroy(**self._kwargs())

    def remove(self) -> None:
        """Forget the stack in the file backend (after destroy)."""
        # preserve_config: `pulumi stack rm` would otherwise delete the committed Pulumi.local.yaml.
        self.stack.workspace.remove_stack(STACK, preserve_config=True)


@command("local")
def main(argv: Sequence[str] | None = None, *, echo: Echo = print) -> int:
    from lambdakit.cliutil import caller_path, fail, parser, program_dir

    p = parser("local", __doc__.split("\n\n")[0])
    p.add_argument("action", choices=("up", "destroy"), help="deploy the local stack, or destroy it")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="moto server port (default 5000)")
    p.add_argument("--program", help="the Pulumi program folder (default: .)")
    p.add_argument("--state-dir", help="file backend folder (default: <program>/.lambdakit/local)")
    p.add_argument("--no-serve", action="store_true", help="stop the moto server once up has finished")
    args = p.parse_args(argv)
    program = program_dir(args.program)
    state_dir = caller_path(args.state_dir) if args.state_dir else program / STATE_SUBDIR
    outputs_file = state_dir / "outputs.json"
    try:
        from lambdakit.driver import DriverError, require_pulumi_cli

        try:
            require_pulumi_cli("the local stack")
        except DriverError as exc:
            raise LocalStackError(str(exc)) from None
        with moto_server(args.port) as endpoint:
            stack = LocalStack(program, state_dir=state_dir, endpoint=endpoint, echo=echo)
            if args.action == "destroy":
                stack.refresh()
                stack.destroy()
                return 0
            stack.up(outputs_file=outputs_file)
            echo(_describe(stack.services()))
            if args.no_serve:
                return 0
            echo(
                f"moto is serving on {endpoint}; try:\n"
                f"  lambdakit invoke SERVICE --stack {STACK} --endpoint-url {endpoint}\n"
                "Ctrl-C stops the server (its resources vanish with it)."
            )
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
            return 0
    except LocalStackError as exc:
        return fail("lambdakit local", str(exc))


def _describe(services: Mapping[str, Any]) -> str:
    lines = [f"{len(services)} service(s):"]
    for name, ref in sorted(services.items()):
        lines.append(f"  {name}: {ref.function_name}:{ref.alias_name} v{ref.version}")
    return "\n".join(lines)

"""The ``local`` stack: the reference program deployed by the real Pulumi CLI into a moto server on 127.0.0.1.

``Pulumi.local.yaml`` points the AWS provider at the moto server (custom endpoints, no credential or account
checks, test credentials). This module starts moto's ``ThreadedMotoServer``, keeps Pulumi state in a local file
backend (``PULUMI_BACKEND_URL=file://...``, nothing leaves the machine) and runs ``pulumi up --stack local``
through the Automation API. moto keeps everything in memory: when the server stops, the resources are gone, so
each ``up`` refreshes first (dropping what the previous server held from the state) and ``serve`` keeps the server
running after ``up`` until Ctrl-C so you can invoke the functions.

    python -m automation local up            # start moto, deploy, keep serving (Ctrl-C stops)
    python -m automation local up --no-serve # deploy and stop (CI smoke)
    python -m automation local destroy

Needs the Pulumi CLI and the pulumi-aws plugin; without them the e2e tests skip and this command explains why.
For the same journey without the CLI, use the in-process sandbox (``automation/sandbox``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from automation.canary import Echo

ROOT = Path(__file__).resolve().parent.parent
STACK = "local"
HOST = "127.0.0.1"
#: The port Pulumi.local.yaml's endpoints use; another port rewrites them on the stack's config.
DEFAULT_PORT = 5000
#: Where the file backend keeps state and the last outputs (.lambdakit/ is git-ignored).
DEFAULT_STATE_DIR = ROOT / ".lambdakit" / "local"
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


def read_local_config(path: Path = ROOT / "Pulumi.local.yaml") -> dict[str, Any]:
    """The ``config`` block of Pulumi.local.yaml."""
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
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    try:
        server.start()
    except OSError as exc:
        raise LocalStackError(f"cannot start moto on {host}:{port}: {exc}; is another server using the port?") from None
    bound_host, bound_port = server.get_host_and_port()
    url = endpoint_url(bound_port, bound_host)
    try:
        if use_docker is None:
            use_docker = shutil.which("docker") is not None
        configure_moto(url, use_docker=use_docker)
        yield url
    finally:
        server.stop()


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


def endpoint_overrides(endpoint: str) -> dict[str, str]:
    """Path config that points every endpoint of Pulumi.local.yaml at ``endpoint`` (for a port other than 5000)."""
    return {f"aws:endpoints[0].{service}": endpoint for service in ENDPOINT_SERVICES}


def local_stack(
    program_dir: Path = ROOT,
    *,
    state_dir: Path = DEFAULT_STATE_DIR,
    endpoint: str = endpoint_url(),
    echo: Echo = print,
) -> Any:
    """Create or select the ``local`` stack of the program in ``program_dir`` with a file backend."""
    from automation.driver import require_pulumi_cli

    try:
        require_pulumi_cli("the local stack")
    except Exception as exc:
        raise LocalStackError(str(exc)) from None
    from pulumi import automation as auto

    env = local_env(state_dir, endpoint)
    stack = auto.create_or_select_stack(
        stack_name=STACK,
        work_dir=str(program_dir),
        opts=auto.LocalWorkspaceOptions(work_dir=str(program_dir), env_vars=env),
    )
    if endpoint != endpoint_url():
        for key, value in endpoint_overrides(endpoint).items():
            stack.set_config(key, auto.ConfigValue(value=value), path=True)
    echo(f"stack {STACK}: state in {env['PULUMI_BACKEND_URL']}, AWS endpoint {endpoint}")
    return stack


def _printer(echo: Echo) -> Any:
    return lambda line: echo(f"  | {line.rstrip()}")


def up(stack: Any, *, echo: Echo = print, outputs_file: Path | None = None) -> dict[str, Any]:
    """Refresh (moto forgot what an earlier server held), then ``up``; returns plain outputs."""
    echo("pulumi refresh --stack local")
    stack.refresh(on_output=_printer(echo))
    echo("pulumi up --stack local")
    result = stack.up(on_output=_printer(echo))
    outputs = {key: value.value for key, value in result.outputs.items()}
    if outputs_file is not None:
        outputs_file.parent.mkdir(parents=True, exist_ok=True)
        outputs_file.write_text(json.dumps(outputs, indent=2, sort_keys=True))
        echo(f"outputs written to {outputs_file}")
    return outputs


def destroy(stack: Any, *, echo: Echo = print) -> None:
    echo("pulumi destroy --stack local")
    stack.destroy(on_output=_printer(echo))


def main(argv: Sequence[str] | None = None, *, echo: Echo = print) -> int:
    parser = argparse.ArgumentParser(prog="python -m automation local", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("up", "destroy"), help="deploy the local stack, or destroy it")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="moto server port (default 5000)")
    parser.add_argument("--program-dir", type=Path, default=ROOT, help="the Pulumi program (default: repository)")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="file backend folder")
    parser.add_argument("--no-serve", action="store_true", help="stop the moto server once up has finished")
    args = parser.parse_args(argv)
    outputs_file = args.state_dir / "outputs.json"
    try:
        with moto_server(args.port) as endpoint:
            stack = local_stack(args.program_dir, state_dir=args.state_dir, endpoint=endpoint, echo=echo)
            if args.action == "destroy":
                stack.refresh(on_output=_printer(echo))
                destroy(stack, echo=echo)
                return 0
            outputs = up(stack, echo=echo, outputs_file=outputs_file)
            echo(_describe(outputs))
            if args.no_serve:
                return 0
            echo(
                f"moto is serving on {endpoint}; try:\n"
                f"  python -m automation invoke --outputs {outputs_file} --endpoint-url {endpoint} "
                '--service api-handler --payload \'{"rawPath": "/health"}\'\n'
                "Ctrl-C stops the server (its resources vanish with it)."
            )
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
            return 0
    except LocalStackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _describe(outputs: Mapping[str, Any]) -> str:
    services = outputs.get("services") or {}
    lines = [f"{len(services)} service(s):"]
    for name, details in sorted(services.items()):
        lines.append(f"  {name}: {details.get('function_name')}:{details.get('alias_name')} v{details.get('version')}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

"""The component plugin over gRPC, started as Pulumi does: `python -u __main__.py <engine>` in components/."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

COMPONENTS = Path(__file__).resolve().parents[2] / "components"


@pytest.fixture(scope="module")
def plugin() -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    # The engine address is only dialled for logging during Construct; GetSchema does not need an engine.
    proc = subprocess.Popen(
        [sys.executable, "-u", "__main__.py", "127.0.0.1:1"],
        cwd=COMPONENTS,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.isdigit():
            proc.kill()
            _, err = proc.communicate(timeout=10)
            pytest.fail(f"plugin host did not print its port; stderr:\n{err}")
        channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        yield provider_pb2_grpc.ResourceProviderStub(channel)
        channel.close()
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_get_schema_over_grpc_lists_each_component_with_inputs_and_outputs(
    plugin: provider_pb2_grpc.ResourceProviderStub,
) -> None:
    response = plugin.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=60)
    schema = json.loads(response.schema)
    assert schema["name"] == "lambdakit"
    resources = schema["resources"]
    assert set(resources) == {
        "lambdakit:index:LambdaService",
        "lambdakit:index:LambdaLayer",
        "lambdakit:index:LambdaDashboard",
    }
    service = resources["lambdakit:index:LambdaService"]
    assert {"codePath", "memorySize", "sqsSources", "functionUrl", "alarms"} <= set(service["inputProperties"])
    assert {"functionArn", "aliasArn", "functionUrl", "alarmArns"} <= set(service["properties"])
    assert "sourcePath" in resources["lambdakit:index:LambdaLayer"]["requiredInputs"]

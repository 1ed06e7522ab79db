"""The multi-language plugin's inferred schema lists each component with its inputs and outputs."""

from __future__ import annotations

import pytest

from tools.readme import component_schema


@pytest.fixture(scope="module")
def schema() -> dict:
    return component_schema()


def test_each_component_is_in_the_schema_with_inputs_and_outputs(schema: dict) -> None:
    resources = schema["resources"]
    service = resources["lambdakit:index:LambdaService"]
    assert service["isComponent"] is True
    for name in (
        "codePath",
        "memorySize",
        "timeout",
        "sqsSources",
        "streamSources",
        "provisionedConcurrency",
        "canaryWeight",
        "stableVersion",
        "asyncInvoke",
        "deadLetterQueue",
        "layers",
        "environment",
    ):
        assert name in service["inputProperties"], f"LambdaService input {name} missing from the schema"
    for name in (
        "functionName",
        "functionArn",
        "roleArn",
        "logGroupName",
        "version",
        "aliasName",
        "aliasArn",
        "aliasInvokeArn",
        "dlqArn",
    ):
        assert name in service["properties"], f"LambdaService output {name} missing from the schema"
    layer = resources["lambdakit:index:LambdaLayer"]
    assert "sourcePath" in layer["inputProperties"] and "sourcePath" in layer.get("requiredInputs", [])
    assert {"arn", "layerArn", "version"} <= set(layer["properties"])


def test_every_input_is_documented_with_its_default_or_requirement(schema: dict) -> None:
    undocumented = []
    for token, res in schema["resources"].items():
        for name, prop in res["inputProperties"].items():
            if not prop.get("description"):
                undocumented.append(f"{token}.{name}")
    for token, typ in schema["types"].items():
        for name, prop in typ["properties"].items():
            if not prop.get("description"):
                undocumented.append(f"{token}.{name}")
    assert undocumented == [], f"inputs without a docstring: {undocumented}"


def test_nested_inputs_become_schema_types(schema: dict) -> None:
    sqs = schema["types"]["lambdakit:index:SqsSourceArgs"]
    assert sqs["properties"]["batchSize"]["type"] == "integer"
    assert "queueArn" in sqs["required"]
    service = schema["resources"]["lambdakit:index:LambdaService"]["inputProperties"]
    assert service["sqsSources"]["items"]["$ref"].endswith("lambdakit:index:SqsSourceArgs")

"""Fixtures for the operations, canary and driver tests: in-process moto with fake credentials, functions with
versions, a fake clock and a traffic simulator that writes Lambda's CloudWatch metrics the way AWS would for a
weighted alias. Tests reach the helpers through fixtures (no imports from conftest)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

REGION = "us-east-1"
START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


def code_zip(marker: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", f"def handler(event, context):\n    return {marker!r}\n")
    return buffer.getvalue()


def role_arn(session: boto3.session.Session) -> str:
    iam = session.client("iam")
    try:
        return str(iam.get_role(RoleName="lambdakit-test")["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        return str(iam.create_role(RoleName="lambdakit-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"])


def _make_function(
    session: boto3.session.Session,
    name: str,
    *,
    versions: int,
    alias: str | None = "live",
    alias_version: str | None = None,
    weights: dict[str, float] | None = None,
) -> None:
    """A function with ``versions`` published versions (1..n) and optionally an alias."""
    lam = session.client("lambda")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn(session),
        Handler="index.handler",
        Code={"ZipFile": code_zip("v1")},
        Publish=True,
    )
    for number in range(2, versions + 1):
        lam.update_function_code(FunctionName=name, ZipFile=code_zip(f"v{number}"), Publish=True)
    if alias:
        kwargs: dict[str, Any] = {}
        if weights:
            kwargs["RoutingConfig"] = {"AdditionalVersionWeights": weights}
        lam.create_alias(FunctionName=name, Name=alias, FunctionVersion=alias_version or str(versions), **kwargs)


@dataclass
class FakeClock:
    """``now()`` and ``sleep()`` that move time forward without waiting; hooks run after each sleep."""

    now_value: dt.datetime = START
    slept: list[float] = field(default_factory=list)
    on_sleep: list[Callable[[dt.datetime, dt.datetime], None]] = field(default_factory=list)

    def now(self) -> dt.datetime:
        return self.now_value

    def sleep(self, seconds: float) -> None:
        before = self.now_value
        self.now_value = before + dt.timedelta(seconds=seconds)
        self.slept.append(seconds)
        for hook in self.on_sleep:
            hook(before, self.now_value)


@dataclass
class Traffic:
    """Simulates requests on weighted aliases: for each elapsed interval it reads the alias's routing from moto
    and puts ``AWS/Lambda`` Invocations/Errors/Throttles per executed version, as Lambda does."""

    session: boto3.session.Session
    rate_per_minute: float = 100.0
    #: (function, version) -> error rate; a callable gets the interval end to inject a spike at a given time.
    error_rate: dict[tuple[str, str], float | Callable[[dt.datetime], float]] = field(default_factory=dict)
    throttle_rate: dict[tuple[str, str], float] = field(default_factory=dict)
    functions: list[tuple[str, str]] = field(default_factory=list)  # (function, alias)
    #: (time, function, primary version, routing) observed at every interval, to check the stable kept serving.
    observed: list[tuple[dt.datetime, str, str, dict[str, float]]] = field(default_factory=list)

    def __call__(self, start: dt.datetime, end: dt.datetime) -> None:
        lam = self.session.client("lambda")
        cloudwatch = self.session.client("cloudwatch")
        minutes = (end - start).total_seconds() / 60.0
        for function, alias_name in self.functions:
            try:
                alias = lam.get_alias(FunctionName=function, Name=alias_name)
            except lam.exceptions.ResourceNotFoundException:
                continue
            primary = str(alias["FunctionVersion"])
            routing = {
                k: float(v) for k, v in (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights", {}).items()
            }
            self.observed.append((end, function, primary, routing))
            shares = {primary: 1.0 - sum(routing.values()), **routing}
            for version, share in shares.items():
                invocations = round(self.rate_per_minute * minutes * share)
                rate = self.error_rate.get((function, version), 0.0)
                rate = rate(end) if callable(rate) else rate
                figures = {
                    "Invocations": invocations,
                    "Errors": round(invocations * rate),
                    "Throttles": round(invocations * self.throttle_rate.get((function, version), 0.0)),
                }
                cloudwatch.put_metric_data(
                    Namespace="AWS/Lambda",
                    MetricData=[
                        {
                            "MetricName": name,
                            "Dimensions": [
                                {"Name": "FunctionName", "Value": function},
                                {"Name": "Resource", "Value": f"{function}:{alias_name}"},
                                {"Name": "ExecutedVersion", "Value": version},
                            ],
                            # Just inside the interval, so a window [step start, now] sees it.
                            "Timestamp": end - dt.timedelta(seconds=1),
                            "Value": float(value),
                            "Unit": "Count",
                        }
                        for name, value in figures.items()
                    ],
                )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.session.Session]:
    """In-process moto with fake credentials; Lambda echoes payloads instead of needing docker."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws(config={"lambda": {"use_docker": False}}):
        yield boto3.session.Session(region_name=REGION)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_function() -> Callable[..., None]:
    """``make_function(session, name, versions=n, alias="live", alias_version=None, weights=None)``."""
    return _make_function


@pytest.fixture
def traffic(aws: boto3.session.Session) -> Traffic:
    return Traffic(aws)

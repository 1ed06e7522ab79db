"""Property-based: any inputs to LambdaService, LambdaLayer and LambdaDashboard either build, or fail with a
ValueError/TypeError that names the component; a plain value fails before any child is registered, and a value known
only at deploy time (an Output that resolves after another resource exists) fails the deployment with a message that
names the component.

The strategies are derived from the Args TypedDicts themselves (every field of every nested type, with its
``pulumi.Input``, ``Sequence`` and ``Mapping`` shape), so a field added later is fuzzed without touching this file.
Each field gets a plausible value, a value of the wrong shape (``"live\\n"``, ``"3\\n"``, non-ASCII digits, ``"no"``
for a boolean, a list for a string, ``None``, ``NaN``...) or either of them wrapped as a late Output.
"""

from __future__ import annotations

import gc
import logging
import math
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ForwardRef, NotRequired

import pulumi_aws as aws
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdakit import LambdaDashboard, LambdaDashboardArgs, LambdaLayer, LambdaLayerArgs, LambdaService
from lambdakit.program import ProgramRun, run_program
from lambdakit.service import LambdaServiceArgs

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:events"
STREAM = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/users/stream/2026-01-01T00:00:00.000"
LAYER = f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:utils:3"
ALARM = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:orders-errors"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

#: Plausible values by field name (any Args type); a field not listed gets a generic value of its type.
GOOD: dict[str, list[Any]] = {
    "code_path": ["src"],
    "source_path": ["src"],
    "function_name": ["orders-fn", "x" * 64],
    "layer_name": ["shared-utils"],
    "dashboard_name": ["ops-board"],
    "handler": ["handler.handler"],
    "runtime": ["python3.12", "python3.13", "nodejs22.x"],
    "compatible_runtimes": [["python3.12"], ["python3.12", "python3.13"]],
    "architecture": ["arm64", "x86_64"],
    "compatible_architectures": [["arm64"], ["x86_64", "arm64"]],
    "memory_size": [128, 512, 10_240],
    "timeout": [1, 30, 900],
    "ephemeral_storage": [512, 2048],
    "tracing_mode": ["Active", "PassThrough"],
    "log_format": ["JSON"],
    "application_log_level": ["INFO", "DEBUG"],
    "system_log_level": ["WARN"],
    "log_retention_days": [7, 30, 3653],
    "kms_key_arn": [KEY],
    "log_kms_key_id": [KEY],
    "kms_master_key_id": ["alias/aws/sqs", KEY],
    "role_arn": [f"arn:aws:iam::{ACCOUNT}:role/mine"],
    "managed_policy_arns": [["arn:aws:iam::aws:policy/AWSXrayReadOnlyAccess"]],
    "actions": [["s3:GetObject"], ["dynamodb:GetItem", "dynamodb:Query"]],
    "resources": [["arn:aws:s3:::orders/*"], [f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"]],
    "effect": ["Allow", "Deny"],
    "alias_name": ["live", "prod"],
    "stable_version": ["1", "7"],
    "canary_weight": [0.1, 0.5],
    "reserved_concurrency": [10, 100],
    "account_concurrency_limit": [1000, 3000],
    "count": [1, 5],
    "min_capacity": [1, 2],
    "max_capacity": [5, 10],
    "target_utilization": [0.7],
    "schedule": ["cron(0 8 * * ? *)", "rate(1 hour)", "at(2026-12-24T18:00:00)"],
    "timezone": ["Europe/Berlin"],
    "time_zone": ["Europe/Berlin", "UTC"],
    "name": ["peak"],
    "queue_arn": [QUEUE, QUEUE + ".fifo"],
    "stream_arn": [STREAM],
    "starting_position": ["LATEST", "TRIM_HORIZON"],
    "starting_position_timestamp": ["2026-01-31T12:00:00Z"],
    "batch_size": [1, 10],
    "maximum_batching_window": [0, 5],
    "maximum_concurrency": [2, 50],
    "maximum_retry_attempts": [0, 2],
    "maximum_record_age": [60, 86_400],
    "maximum_event_age": [60, 3600],
    "parallelization_factor": [1, 10],
    "tumbling_window": [0, 60],
    "filters": [['{"body": {"type": ["order"]}}']],
    "on_failure_destination_arn": [QUEUE, TOPIC],
    "on_success_destination_arn": [TOPIC],
    "message_retention_seconds": [60, 1_209_600],
    "bucket": ["uploads", "order-files"],
    "events": [["s3:ObjectCreated:*"], ["s3:ObjectRemoved:Delete"]],
    "filter_prefix": ["in/"],
    "filter_suffix": [".csv"],
    "expression": ["rate(5 minutes)", "cron(0 8 ? * MON-FRI *)"],
    "flexible_time_window_minutes": [15],
    "input": ['{"warm": true}'],
    "event_pattern": ['{"source": ["orders"]}'],
    "event_bus_name": ["default", "orders"],
    "max_retry_attempts": [0, 185],
    "max_event_age_seconds": [60, 86_400],
    "dlq_arn": [QUEUE],
    "api_id": ["a1b2c3d4e5"],
    "stage": ["prod", "$default", "*"],
    "route": ["GET /orders/{id}", "$default"],
    "auth_type": ["AWS_IAM"],
    "invoke_mode": ["BUFFERED", "RESPONSE_STREAM"],
    "allow_origins": [["https://shop.example.com"], ["*"]],
    "allow_methods": [["GET", "POST"], ["*"]],
    "allow_headers": [["content-type"]],
    "expose_headers": [["x-request-id"]],
    "max_age_seconds": [0, 600],
    "topic_arn": [TOPIC, TOPIC + ".fifo"],
    "filter_policy": ['{"store": ["berlin"]}'],
    "filter_policy_scope": ["MessageAttributes", "MessageBody"],
    "alarm_topic_arn": [TOPIC],
    "threshold": [0.5],
    "period_seconds": [60, 300],
    "evaluation_periods": [1, 3],
    "datapoints_to_alarm": [1, 2],
    "layers": [[LAYER]],
    "subnet_ids": [["subnet-0abc"]],
    "security_group_ids": [["sg-0abc"]],
    "alarm_arns": [[ALARM]],
    "title": ["orders"],
    "dlq_queue_name": ["orders-dlq"],
    "smoke_event": [{"Records": []}, {}],
    "environment": [{"LOG_LEVEL": "INFO"}],
    "tags": [{"team": "platform"}],
    "code_signing_config_arn": [f"arn:aws:lambda:us-east-1:{ACCOUNT}:code-signing-config:csc-0123456789abcdef0"],
    "description": ["what it does"],
    "license_info": ["Apache-2.0"],
    "snap_start": [False],
    "enabled": [True, False],
    "notify_ok": [True, False],
    "has_streams": [True, False],
    "allow_public": [False],
    "allow_credentials": [False],
    "allow_wildcard_resource": [False],
    "ipv6_allowed_for_dual_stack": [False],
    "report_batch_item_failures": [True, False],
    "bisect_batch_on_error": [True],
}
#: Settings that need or exclude others (code_zip excludes code_path, role_arn extra statements, a timestamp needs
#: AT_TIMESTAMP, a filter scope needs a filter policy): left out of clean inputs, which always have ALWAYS.
EXCLUSIVE = {"code_zip", "role_arn", "starting_position_timestamp", "filter_policy_scope"}
ALWAYS = {"code_path", "source_path", "stable_version"}

#: Values of the wrong shape that a fuzzer found or that are one character away from a good one.
JUNK: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    3,
    10**12,
    1.5,
    math.nan,
    math.inf,
    "",
    "x",
    "no",
    "live\n",
    "3\n",
    "\u0663",
    "rate(\u0665 minutes)",
    "cron(garbage)",
    "*",
    "arn:*",
    "arn:aws:s3:::*",
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/PowerUserAccess",
    "x" * 300,
    "python9.99",
    [],
    ["*"],
    [None],
    {},
    {"k": 1},
    {1: "x"},
    {"a": ["b"]},
    b"bytes",
]


@dataclass(frozen=True)
class Late:
    """A value to be handed over as an Output that resolves only after another resource exists."""

    value: Any


def _unwrap(hint: Any) -> tuple[Any, bool]:
    """(the type behind NotRequired/Input, whether it may be an Output)."""
    if typing.get_origin(hint) is NotRequired:
        hint = typing.get_args(hint)[0]
    if typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if not isinstance(a, ForwardRef)]
        return args[0], True
    return hint, False


def _is_typed_dict(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, dict) and hasattr(hint, "__annotations__")


@dataclass(frozen=True)
class Noise:
    """How often a value is junk, a late Output, or a settings mapping gets a misspelt key (one in N)."""

    junk: int
    late: int
    typo: int
    #: One in N late Outputs resolves to junk (0: late values are as noisy as plain ones).
    late_junk: int = 0


#: From clean inputs (that reach the deepest checks and usually build) to inputs full of junk; 0 is never. Hypothesis
#: draws small integers more often than uniformly, so "one in 200" comes out nearer one in 50.
NOISE = (
    Noise(0, 0, 0),
    Noise(0, 30, 0),
    Noise(0, 12, 0, late_junk=2),
    Noise(200, 40, 0),
    Noise(60, 12, 200),
    Noise(15, 8, 40),
    Noise(4, 6, 10),
)


def value_of(name: str, hint: Any, noise: Noise, depth: int = 0) -> st.SearchStrategy[Any]:
    """A good, junk or late value for field ``name`` of type ``hint``."""
    base, input_ = _unwrap(hint)
    origin = typing.get_origin(base)
    if _is_typed_dict(base):
        good: st.SearchStrategy[Any] = args_of(base, noise, depth + 1)
    elif origin in (Sequence, list) or base is Sequence:
        (item,) = typing.get_args(base) or (Any,)
        if name in GOOD:  # an item is one of the good lists' items
            item_values = [v for listed in GOOD[name] for v in listed]
            items = _item(item_values, item, noise)
        else:
            items = value_of(f"{name}[]", item, noise, depth + 1)
        good = st.lists(items, min_size=1, max_size=3)
    elif origin in (Mapping, dict):
        keys = _mostly(
            st.sampled_from(["LOG_LEVEL", "team", "MODE"]), st.sampled_from(["AWS_REGION", "9x", 1]), noise.junk
        )
        values = value_of(f"{name}[]", typing.get_args(base)[1], noise, depth + 1)
        good = st.dictionaries(keys, values, max_size=3)
    elif name in GOOD:
        good = st.sampled_from(GOOD[name])
    elif base is bool:
        good = st.booleans()
    elif base is int:
        good = st.integers(-2, 20_000)
    elif base is float:
        good = st.floats(-1, 2)
    else:
        good = st.sampled_from(["value", "orders", "a-b_c"])
    return _noisy(good, noise, input_)


def _item(values: list[Any], hint: Any, noise: Noise) -> st.SearchStrategy[Any]:
    _, input_ = _unwrap(hint)
    return _noisy(st.sampled_from(values), noise, input_)


def _noisy(good: st.SearchStrategy[Any], noise: Noise, input_: bool) -> st.SearchStrategy[Any]:
    plain = _mostly(good, st.sampled_from(JUNK), noise.junk)
    late = _mostly(good, st.sampled_from(JUNK), noise.late_junk) if noise.late_junk else plain
    # A late Output is rarer where the field takes only plain values (the component must refuse it at once).
    return _mostly(plain, st.builds(Late, late), noise.late if input_ else noise.late * 4)


def _mostly(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], one_in: int) -> st.SearchStrategy[Any]:
    """``rare`` about once in ``one_in`` draws (never for 0), ``common`` otherwise."""
    if one_in == 0:
        return common
    return st.integers(1, one_in).flatmap(lambda n: rare if n == 1 else common)


def args_of(cls: type, noise: Noise, depth: int = 0) -> st.SearchStrategy[Any]:
    """Settings of TypedDict ``cls``: required fields present (but for junk), optional ones sometimes, now and then
    a misspelt key, or something that is not a mapping at all."""
    hints = dict(cls.__annotations__)
    required = {k for k, v in hints.items() if typing.get_origin(v) is not NotRequired}
    fields = {k: value_of(k, v, noise, depth) for k, v in hints.items()} if depth < 8 else {}
    clean = noise.junk == 0
    required = required | (ALWAYS & set(fields) if clean else set())
    present = st.fixed_dictionaries({k: fields[k] for k in required if k in fields})
    optional = st.fixed_dictionaries(
        {}, optional={k: f for k, f in fields.items() if k not in required and not (clean and k in EXCLUSIVE)}
    )
    mapping = st.tuples(present, optional).map(lambda parts: {**parts[1], **parts[0]})
    mapping = _mostly(mapping, mapping.map(lambda d: {**d, "typo_setting": 1}), noise.typo)
    return _mostly(mapping, st.sampled_from(JUNK), noise.junk)


def inputs_of(cls: type) -> st.SearchStrategy[Any]:
    return st.one_of(*[args_of(cls, noise) for noise in NOISE])


_counter = iter(range(10**9))


def materialize(value: Any) -> Any:
    """Turn each Late marker into an Output that resolves after a queue exists (call inside the program)."""
    if isinstance(value, Late):
        inner = materialize(value.value)
        return aws.sqs.Queue(f"late-{next(_counter)}").arn.apply(lambda _: inner)
    if isinstance(value, dict):
        return {k: materialize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [materialize(v) for v in value]
    return value


def has_late(value: Any) -> bool:
    if isinstance(value, Late):
        return True
    if isinstance(value, dict):
        return any(has_late(v) for v in value.values())
    if isinstance(value, list):
        return any(has_late(v) for v in value)
    return False


@pytest.fixture(autouse=True, scope="module")
def _collect_failed_futures() -> Iterator[None]:
    """Finalise the futures failed deployments leave behind here (see tests/unit/test_triggers.py), without asyncio
    formatting a traceback for each of them."""
    asyncio_log = logging.getLogger("asyncio")
    was = asyncio_log.disabled
    asyncio_log.disabled = True
    yield
    gc.collect()
    asyncio_log.disabled = was


def check(program_dir: Path, name: str, build: Any, args: Any) -> None:
    """Evaluate ``build(name, args)``; every failure must be a ValueError/TypeError naming ``name``, an eager one
    must leave nothing registered, and a failure after the constructor returned must come from a late value."""
    run = ProgramRun("", "", {})
    eager: list[BaseException] = []

    def program() -> None:
        materialized = materialize(args)
        try:
            build(name, materialized)
        except BaseException as exc:
            eager.append(exc)
            raise

    try:
        run_program(program_dir, "test", program=program, into=run)
    except (ValueError, TypeError) as exc:
        text = str(exc)
        children = [r.urn for r in run.registrations if not r.name.startswith("late-")]
        if eager:
            assert text.startswith(f"{name}: "), f"the error does not name {name}: {text}"
            assert children == [], f"{text}\nregistered before the error: {children}"
        else:
            assert has_late(args), f"a deploy-time failure without a late value: {text}"
            assert f"{name}: " in text, f"the deployment failed without naming {name}: {text}"
        return
    except BaseException as exc:  # anything else is a defect
        raise AssertionError(f"{type(exc).__name__} for {args!r}: {exc}") from exc


SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], database=None
)
#: 2,100 examples in all: most for LambdaService, whose Args nest the most types.
SERVICE_EXAMPLES, LAYER_EXAMPLES, DASHBOARD_EXAMPLES = 1500, 300, 300


@settings(SETTINGS, max_examples=SERVICE_EXAMPLES)
@given(args=inputs_of(LambdaServiceArgs))
def test_any_lambda_service_inputs_build_or_fail_naming_the_service(program_dir: Path, args: Any) -> None:
    check(program_dir, "svc", lambda name, a: LambdaService(name, a), args)


@settings(SETTINGS, max_examples=LAYER_EXAMPLES)
@given(args=inputs_of(LambdaLayerArgs))
def test_any_lambda_layer_inputs_build_or_fail_naming_the_layer(program_dir: Path, args: Any) -> None:
    check(program_dir, "layer", lambda name, a: LambdaLayer(name, a), args)


@settings(SETTINGS, max_examples=DASHBOARD_EXAMPLES)
@given(args=inputs_of(LambdaDashboardArgs))
def test_any_lambda_dashboard_inputs_build_or_fail_naming_the_dashboard(program_dir: Path, args: Any) -> None:
    check(program_dir, "board", lambda name, a: LambdaDashboard(name, a), args)

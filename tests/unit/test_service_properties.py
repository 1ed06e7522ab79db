"""Property-based: random LambdaService arguments either build or fail with ValueError/TypeError, never otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdakit import LambdaService
from lambdakit.program import ProgramRun, run_program

junk = st.one_of(
    st.none(), st.booleans(), st.text(max_size=8), st.floats(allow_nan=True), st.lists(st.integers(), max_size=2)
)
ints = st.one_of(st.integers(min_value=-5, max_value=20_000), junk)
QUEUE = "arn:aws:sqs:us-east-1:123456789012:q"
STREAM = "arn:aws:kinesis:us-east-1:123456789012:stream/s"

sqs_source = st.fixed_dictionaries(
    {"queue_arn": st.sampled_from([QUEUE, QUEUE + ".fifo", "not-an-arn"])},
    optional={
        "batch_size": ints,
        "maximum_batching_window": ints,
        "maximum_concurrency": ints,
        "filters": st.lists(st.sampled_from(['{"a": [1]}', "nope", "[]"]), max_size=6),
    },
)
stream_source = st.fixed_dictionaries(
    {"stream_arn": st.sampled_from([STREAM, "arn:aws:sqs:us-east-1:1:q"])},
    optional={
        "starting_position": st.sampled_from(["LATEST", "TRIM_HORIZON", "AT_TIMESTAMP", "NOW"]),
        "batch_size": ints,
        "maximum_retry_attempts": ints,
        "maximum_record_age": ints,
        "parallelization_factor": ints,
        "on_failure_destination_arn": st.sampled_from([QUEUE, "x"]),
    },
)
service_args = st.fixed_dictionaries(
    {"code_path": st.just("src")},
    optional={
        "memory_size": ints,
        "timeout": ints,
        "ephemeral_storage": ints,
        "architecture": st.sampled_from(["arm64", "x86_64", "sparc", 3]),
        "tracing_mode": st.sampled_from(["Active", "PassThrough", "On"]),
        "log_retention_days": st.sampled_from([1, 7, 30, 10, -1]),
        "reserved_concurrency": ints,
        "stable_version": st.sampled_from(["1", "7", "$LATEST", "v1", 3]),
        "canary_weight": st.one_of(st.floats(min_value=-1, max_value=2), junk),
        "provisioned_concurrency": st.fixed_dictionaries({"count": ints}),
        "environment": st.dictionaries(
            st.sampled_from(["A", "AWS_REGION", "LOG_LEVEL", "9x"]), st.text(max_size=30), max_size=3
        ),
        "sqs_sources": st.lists(sqs_source, max_size=2),
        "stream_sources": st.lists(stream_source, max_size=2),
        "async_invoke": st.fixed_dictionaries({}, optional={"maximum_retry_attempts": ints, "maximum_event_age": ints}),
        "function_name": st.text(min_size=0, max_size=70),
        "bogus_setting": st.integers(),
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=service_args)
def test_random_arguments_build_or_fail_with_a_value_or_type_error(program_dir: Path, args: dict[str, Any]) -> None:
    run = ProgramRun("", "", {})
    try:
        run_program(
            program_dir,
            "test",
            program=lambda: LambdaService("svc", args) and None,  # type: ignore[arg-type]
            into=run,
        )
    except (ValueError, TypeError) as exc:
        assert str(exc), "errors must say what is wrong"
        eager = run.registrations == []
        # Values are all plain here, so every rule must fire before anything is registered.
        assert eager, f"{exc} came after {len(run.registrations)} registrations"
        return
    assert any(r.type == "aws:lambda/function:Function" for r in run.registrations)

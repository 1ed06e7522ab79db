"""AWS Lambda limits, as data, in one place.

Where botocore's Lambda service model states a limit that applies to the standard (non-managed-instance) function
it is read from the model, so that a botocore upgrade brings AWS's new numbers with it. The model's ranges for memory
and timeout (up to 32 GB and 5,400 s) cover Lambda Managed Instances and durable functions; a standard function is
limited to 10,240 MB and 900 s (Lambda quotas page), so those two are stated here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session


@cache
def _lambda_model() -> Any:
    return botocore.session.get_session().get_service_model("lambda")


def _model_range(shape: str, default: tuple[float, float]) -> tuple[float, float]:
    try:
        meta = _lambda_model().shape_for(shape).metadata
    except Exception:
        return default
    return meta.get("min", default[0]), meta.get("max", default[1])


@dataclass(frozen=True)
class Range:
    """An inclusive numeric range with its unit, for error messages."""

    low: float
    high: float
    unit: str = ""

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool) and self.low <= value <= self.high

    def describe(self) -> str:
        low = int(self.low) if float(self.low).is_integer() else self.low
        high = int(self.high) if float(self.high).is_integer() else self.high
        return f"{low}-{high}{' ' + self.unit if self.unit else ''}"


def _r(shape: str, default: tuple[float, float], unit: str = "") -> Range:
    low, high = _model_range(shape, default)
    return Range(low, high, unit)


# Function configuration (Lambda quotas: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
MEMORY_MB = Range(128, 10_240, "MB")
TIMEOUT_S = Range(1, 900, "seconds")
EPHEMERAL_STORAGE_MB = Range(512, 10_240, "MB")
MAX_LAYERS = 5
ENVIRONMENT_MAX_BYTES = 4 * 1024
DESCRIPTION_MAX = int(_model_range("Description", (0, 256))[1])
HANDLER_MAX = int(_model_range("Handler", (0, 128))[1])
FUNCTION_NAME_MAX = 64  # the API accepts ARNs up to 140 characters; a bare function name is at most 64
FUNCTION_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]+$")
ALIAS_NAME_MAX = int(_model_range("Alias", (1, 128))[1])
ALIAS_NAME_RE = re.compile(r"^(?!\d+$)[a-zA-Z0-9_-]+$")
VERSION_RE = re.compile(r"^[0-9]+$")
ENV_NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]+$")
# Keys the Lambda runtime sets itself; CreateFunction rejects them
# (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
RESERVED_ENVIRONMENT_NAMES = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
ARCHITECTURES = ("arm64", "x86_64")
TRACING_MODES = ("Active", "PassThrough")
LOG_FORMATS = ("JSON", "Text")
APPLICATION_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SYSTEM_LOG_LEVELS = ("DEBUG", "INFO", "WARN")
# CloudWatch Logs PutRetentionPolicy accepts only these values.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# Concurrency: the account must keep 100 unreserved (default regional limit 1,000).
ACCOUNT_CONCURRENCY_DEFAULT = 1000
UNRESERVED_MINIMUM = 100

# Alias routing: strictly between 0 and 1 (AWS rejects 0 and 1 as an additional version weight).
WEIGHT_EXCLUSIVE = (0.0, 1.0)

# Event source mappings (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html).
SQS_BATCH = Range(1, 10)
SQS_BATCH_WITH_WINDOW = _r("BatchSize", (1, 10_000))
SQS_FIFO_BATCH = Range(1, 10)
STREAM_BATCH = _r("BatchSize", (1, 10_000))
BATCHING_WINDOW_S = _r("MaximumBatchingWindowInSeconds", (0, 300), "seconds")
SQS_MAX_CONCURRENCY = _r("MaximumConcurrency", (2, 1000))
STREAM_RETRIES = Range(0, 10_000)  # -1 (infinite) is deliberately not accepted: retries must be bounded
STREAM_RECORD_AGE_S = Range(60, 604_800, "seconds")  # -1 (infinite) is not accepted
PARALLELIZATION_FACTOR = _r("ParallelizationFactor", (1, 10))
TUMBLING_WINDOW_S = _r("TumblingWindowInSeconds", (0, 900), "seconds")
STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")
SQS_VISIBILITY_TIMEOUT_FACTOR = 6
MAX_FILTERS = 5

# Asynchronous invocation.
ASYNC_RETRIES = _r("MaximumRetryAttempts", (0, 2))
ASYNC_EVENT_AGE_S = _r("MaximumEventAgeInSeconds", (60, 21_600), "seconds")
SQS_MESSAGE_RETENTION_S = Range(60, 1_209_600, "seconds")

# Provisioned concurrency autoscaling.
TARGET_UTILIZATION = Range(0.1, 0.9)

"""Every AWS fact lambdakit relies on, as data, in one place: Lambda's limits, runtimes (with their deprecation
dates), architectures, SnapStart runtimes, log retention values, and the limits of the services around Lambda.

Where botocore's service models state a limit it is read from the model, so that a botocore upgrade brings AWS's new
numbers with it. The model's ranges for memory and timeout (up to 32 GB and 5,400 s) cover Lambda Managed Instances
and durable functions; a standard function is limited to 10,240 MB and 900 s (Lambda quotas page), so those two are
stated here.

The policy pack cannot import botocore (or this package) when the Pulumi CLI runs it, so it reads JSON files
generated from these facts: ``python -m lambdakit.limits --write`` rewrites them, ``--check`` exits 1 when they are
stale (a test runs the same check).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.loaders


@functools.cache
def _shapes(service: str) -> Mapping[str, Any]:
    return dict(botocore.loaders.Loader().load_service_model(service, "service-2")["shapes"])


def _model_range(shape: str, default: tuple[float, float], service: str = "lambda") -> tuple[float, float]:
    meta = _shapes(service).get(shape, {})
    return meta.get("min", default[0]), meta.get("max", default[1])


def _model_max(shape: str, default: int, service: str = "lambda") -> int:
    return int(_model_range(shape, (0, default), service)[1])


@dataclass(frozen=True)
class Range:
    """An inclusive (or, with ``low_open``/``high_open``, exclusive) numeric range with its unit, for messages."""

    low: float
    high: float
    unit: str = ""
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.high == math.inf:
            return f"{'>' if self.low_open else '>='} {_number(self.low)}{unit}"
        if not (self.low_open or self.high_open):
            return f"{_number(self.low)}-{_number(self.high)}{unit}"
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        return f"in {left}{_number(self.low)}, {_number(self.high)}{right}{unit}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _r(shape: str, default: tuple[float, float], unit: str = "", service: str = "lambda") -> Range:
    low, high = _model_range(shape, default, service)
    return Range(low, high, unit)


# --- runtimes ---------------------------------------------------------------------------------------------------------


def today() -> dt.date:
    """Today's date (UTC) for the runtime lifecycle checks."""
    return dt.datetime.now(dt.UTC).date()


@dataclass(frozen=True)
class Runtime:
    """One Lambda runtime and its lifecycle (dates are None where AWS has announced none)."""

    name: str
    deprecated: dt.date | None
    create_block: dt.date | None
    update_block: dt.date | None
    successor: str | None
    #: Runs only as a container image (no zip functions or layers).
    image_only: bool = False


RUNTIME_SOURCE = (
    "AWS Lambda runtime deprecation schedule as recorded in cfn-lint's runtime lifecycle data "
    "(cfnlint/data/AdditionalSpecs/LmbdRuntimeLifecycle.json, cfn-lint 1.58.0, AWS-maintained), revision of "
    "2026-06-02. Dates: deprecated / create-block / update-block; null = not announced."
)
RUNTIMES_URL = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
# name: (deprecated, create blocked from, update blocked from, successor). Source: RUNTIME_SOURCE; a test compares
# this table with cfn-lint's copy and with the runtimes botocore's Lambda model knows.
_LIFECYCLE: dict[str, tuple[str | None, str | None, str | None, str | None]] = {
    "dotnet10": ("2028-11-14", "2028-12-14", "2029-01-15", None),
    "dotnet6": ("2024-12-20", "2027-02-01", "2027-03-03", "dotnet10"),
    "dotnet8": ("2026-11-10", "2027-02-01", "2027-03-03", "dotnet10"),
    "dotnet9": ("2026-11-10", None, None, "dotnet10"),
    "dotnetcore1.0": ("2019-06-27", "2019-06-30", "2019-07-30", "dotnet10"),
    "dotnetcore2.0": ("2019-05-30", "2019-04-30", "2019-05-30", "dotnet10"),
    "dotnetcore2.1": ("2022-01-05", "2022-01-05", "2022-04-13", "dotnet10"),
    "dotnetcore3.1": ("2023-04-03", "2023-04-03", "2023-05-03", "dotnet10"),
    "go1.x": ("2024-01-08", "2024-02-08", "2027-03-03", "provided.al2023"),
    "java11": ("2027-06-30", "2027-07-31", "2027-08-31", "java25"),
    "java17": ("2027-06-30", "2027-07-31", "2027-08-31", "java25"),
    "java21": ("2029-06-30", "2029-07-31", "2029-08-31", "java25"),
    "java25": ("2029-06-30", "2029-07-31", "2029-08-31", None),
    "java8": ("2024-01-08", "2024-02-08", "2027-03-03", "java25"),
    "java8.al2": ("2027-06-30", "2027-07-31", "2027-08-31", "java25"),
    "nodejs": ("2016-08-30", "2016-09-30", "2016-10-31", "nodejs24.x"),
    "nodejs10.x": ("2021-07-30", "2021-07-30", "2022-02-14", "nodejs24.x"),
    "nodejs12.x": ("2023-03-31", "2023-03-31", "2023-04-30", "nodejs24.x"),
    "nodejs14.x": ("2023-12-04", "2024-01-09", "2027-03-03", "nodejs24.x"),
    "nodejs16.x": ("2024-06-12", "2027-02-01", "2027-03-03", "nodejs24.x"),
    "nodejs18.x": ("2025-09-01", "2027-02-01", "2027-03-03", "nodejs24.x"),
    "nodejs20.x": ("2026-04-30", "2027-02-01", "2027-03-03", "nodejs24.x"),
    "nodejs22.x": ("2027-04-30", "2027-06-01", "2027-07-01", "nodejs24.x"),
    "nodejs24.x": ("2028-04-30", "2028-06-01", "2028-07-01", None),
    "nodejs4.3": ("2020-03-05", "2020-02-03", "2020-03-05", "nodejs24.x"),
    "nodejs4.3-edge": ("2020-03-05", "2019-03-31", "2019-04-30", "nodejs24.x"),
    "nodejs6.10": ("2019-08-12", "2019-07-12", "2019-08-12", "nodejs24.x"),
    "nodejs8.10": ("2020-03-06", "2020-02-04", "2020-03-06", "nodejs24.x"),
    "provided": ("2024-01-08", "2024-02-08", "2027-03-03", "provided.al2023"),
    "provided.al2": ("2026-07-31", "2027-02-01", "2027-03-03", "provided.al2023"),
    "provided.al2023": ("2029-06-30", "2029-07-31", "2029-08-31", None),
    "python2.7": ("2021-07-15", "2021-07-15", "2022-05-30", "python3.14"),
    "python3.10": ("2026-10-31", "2027-02-01", "2027-03-03", "python3.14"),
    "python3.11": ("2027-06-30", "2027-07-31", "2027-08-31", "python3.14"),
    "python3.12": ("2028-10-31", "2028-11-30", "2029-01-10", "python3.14"),
    "python3.13": ("2029-06-30", "2029-07-31", "2029-08-31", "python3.14"),
    "python3.14": ("2029-06-30", "2029-07-31", "2029-08-31", None),
    "python3.6": ("2022-07-18", "2022-07-18", "2022-08-29", "python3.14"),
    "python3.7": ("2023-12-04", "2024-01-09", "2027-03-03", "python3.14"),
    "python3.8": ("2024-10-14", "2027-02-01", "2027-03-03", "python3.14"),
    "python3.9": ("2025-12-15", "2027-02-01", "2027-03-03", "python3.14"),
    "ruby2.5": ("2021-07-30", "2021-07-30", "2022-03-31", "ruby4.0"),
    "ruby2.7": ("2023-12-07", "2024-01-09", "2027-03-03", "ruby4.0"),
    "ruby3.2": ("2026-03-31", "2027-02-01", "2027-03-03", "ruby4.0"),
    "ruby3.3": ("2027-03-31", "2027-04-30", "2027-05-31", "ruby4.0"),
    "ruby3.4": ("2028-03-31", "2028-04-30", "2028-05-31", "ruby4.0"),
    "ruby4.0": ("2029-03-31", "2029-04-30", "2029-05-31", None),
}
#: dotnet9 is offered only as a container base image (lambda-runtimes.md: "dotnet8 and dotnet9 (container only)").
_IMAGE_ONLY = frozenset({"dotnet9"})


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


RUNTIMES: Mapping[str, Runtime] = {
    name: Runtime(name, _date(d), _date(c), _date(u), s, name in _IMAGE_ONLY)
    for name, (d, c, u, s) in sorted(_LIFECYCLE.items())
}
#: Runtimes a zip function or layer can use (every known one but the container-only ones).
ZIP_RUNTIMES = tuple(name for name, r in RUNTIMES.items() if not r.image_only)
DEFAULT_RUNTIME = "python3.12"
#: SnapStart (https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html): Java 11+, Python 3.12+, .NET 8+.
SNAP_START_RUNTIMES = frozenset(
    {"java11", "java17", "java21", "java25", "python3.12", "python3.13", "python3.14", "dotnet8", "dotnet10"}
)
ARCHITECTURES = ("arm64", "x86_64")


def current_runtimes(on: dt.date | None = None) -> list[str]:
    """Zip runtimes not deprecated on ``on`` (default today), for messages."""
    day = on or today()
    return [n for n in ZIP_RUNTIMES if (d := RUNTIMES[n].deprecated) is None or d > day]


def runtime_problem(name: str, on: dt.date | None = None) -> str | None:
    """Why a zip function or layer cannot use ``name`` (unknown, image-only, or blocked by AWS), or None."""
    runtime = RUNTIMES.get(name)
    day = on or today()
    if runtime is None:
        import difflib

        close = difflib.get_close_matches(name, ZIP_RUNTIMES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return (
            f"must be a Lambda runtime such as {DEFAULT_RUNTIME}; got {name!r}{hint}; current runtimes: "
            f"{', '.join(current_runtimes(day))} "
            "(deprecated ones are accepted until AWS blocks updates to them)"
        )
    if runtime.image_only:
        return f"{name!r} runs only as a container image, not from a zip; use {runtime.successor}"
    if runtime.update_block is not None and runtime.update_block <= day:
        return (
            f"{name!r} was deprecated on {runtime.deprecated} and AWS refuses creating or updating functions on it "
            f"since {runtime.update_block}; use {runtime.successor}"
        )
    return None


# --- function configuration (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html) ------------

MEMORY_MB = Range(128, 10_240, "MB")
TIMEOUT_S = Range(1, 900, "seconds")
EPHEMERAL_STORAGE_MB = Range(512, 10_240, "MB")
MAX_LAYERS = 5
ENVIRONMENT_MAX_BYTES = 4 * 1024
DESCRIPTION_MAX = _model_max("Description", 256)
HANDLER_MAX = _model_max("Handler", 128)
FUNCTION_NAME_MAX = 64  # the API accepts ARNs up to 140 characters; a bare function name is at most 64
FUNCTION_NAME_RE = re.compile(r"[a-zA-Z0-9_-]+")
# A function ARN, optionally qualified with a version or alias (arn:aws:lambda:<region>:<account>:function:<name>).
FUNCTION_ARN_RE = re.compile(
    r"arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[a-zA-Z0-9_-]{1,64}(:(\$LATEST|[a-zA-Z0-9_-]{1,128}))?"
)
ALIAS_NAME_MAX = _model_max("Alias", 128)
ALIAS_NAME_RE = re.compile(r"(?![0-9]+\Z)[a-zA-Z0-9_-]+")
VERSION_RE = re.compile(r"[0-9]+")
ENV_NAME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9_]+")
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
TRACING_MODES = ("Active", "PassThrough")
LOG_FORMATS = ("JSON", "Text")
APPLICATION_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SYSTEM_LOG_LEVELS = ("DEBUG", "INFO", "WARN")
# CloudWatch Logs PutRetentionPolicy accepts only these values.
LOG_RETENTION_DAYS = (
    *(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731),
    *(1096, 1827, 2192, 2557, 2922, 3288, 3653),
)
# A deployment package (function or layer) unzips to at most 250 MB; a zip uploaded directly (CreateFunction's
# ZipFile, pulumi-aws `code`) is at most 50 MB, larger code goes through S3.
UNZIPPED_MAX_BYTES = 262_144_000
ZIPPED_DIRECT_UPLOAD_MAX_BYTES = 50 * 1024 * 1024
#: Asynchronous invocation payloads are at most 256 KB: the most a smoke event sent as an Event can be.
#: Code shapes (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-package.html): a container image is
#: referenced by digest in an ECR repository of the function's account and region (a tag would be resolved once, at
#: deploy time, and a moved tag would neither redeploy nor show a diff).
IMAGE_URI_DIGEST_RE = re.compile(
    r"(?P<account>[0-9]{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[a-z0-9]+(?:[._/-][a-z0-9]+)*)(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[0-9a-f]{64}",
    re.ASCII,
)
#: Runtimes whose code is a ``bootstrap`` executable the function's OS runs (Go, Rust, C++ builds).
CUSTOM_RUNTIMES = ("provided.al2023", "provided.al2")
#: ELF ``e_machine`` of each Lambda architecture, to check a ``bootstrap`` binary was built for it.
ELF_MACHINE = {"arm64": 0xB7, "x86_64": 0x3E}
#: S3 bucket names (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
S3_BUCKET_NAME_RE = re.compile(r"(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", re.ASCII)
EVENT_PAYLOAD_MAX_BYTES = 256 * 1024
#: A synchronous response is at most 6 MB (Lambda counts 6,291,556 bytes); a larger one is
#: ``Function.ResponseSizeTooLarge``.
RESPONSE_MAX_BYTES = 6 * 1024 * 1024 + 100
#: ``Invoke`` with ``LogType=Tail`` returns the last 4 KB of the log in ``x-amz-log-result``.
LOG_TAIL_BYTES = 4096

# --- layers ---------------------------------------------------------------------------------------------------------

# A bare layer name (PublishLayerVersion also takes an ARN of up to 140 characters; a name is kept to 64 like
# function names so that it always fits in the ARN forms Lambda builds from it).
LAYER_NAME_MAX = 64
#: A layer version number (a vendor's published layer, issue 13).
LAYER_VERSION = Range(1, 1_000_000)
LAYER_NAME_RE = re.compile(r"[a-zA-Z0-9_-]+")
COMPATIBLE_RUNTIMES_MAX = _model_max("CompatibleRuntimes", 15)
LICENSE_INFO_MAX = _model_max("LicenseInfo", 512)

# --- concurrency and alias routing ----------------------------------------------------------------------------------

# The account must keep 100 unreserved (default regional limit 1,000).
ACCOUNT_CONCURRENCY_DEFAULT = 1000
UNRESERVED_MINIMUM = 100
ACCOUNT_CONCURRENCY = Range(UNRESERVED_MINIMUM, 10**7)
# Alias routing: strictly between 0 and 1 (AWS rejects 0 and 1 as an additional version weight).
WEIGHT_EXCLUSIVE = (0.0, 1.0)
# Provisioned concurrency autoscaling (Application Auto Scaling).
TARGET_UTILIZATION = Range(0.1, 0.9)
_SCHEDULED_ACTION_NAME = _shapes("application-autoscaling")["ScheduledActionName"]
SCHEDULED_ACTION_NAME_MAX = int(_SCHEDULED_ACTION_NAME.get("max", 256))
#: No leading or trailing space, no control characters and none of ":", "/", "|" (the API's own pattern).
SCHEDULED_ACTION_NAME_RE = re.compile(_SCHEDULED_ACTION_NAME.get("pattern", r"[^:/|\x00-\x1f]+"))

# --- event source mappings (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html) -------

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
SQS_DEFAULT_VISIBILITY_TIMEOUT_S = 30
MAX_FILTERS = 5
# Amazon MSK, self-managed Kafka, Amazon MQ and DocumentDB (issue 13; botocore's Lambda model where it has them).
BROKER_BATCH = _r("BatchSize", (1, 10_000))
KAFKA_BOOTSTRAP_SERVERS_MAX = _model_max("EndpointLists", 10)
KAFKA_ENDPOINT_RE = re.compile(_shapes("lambda")["Endpoint"].get("pattern", r"[A-Za-z0-9.-]+:[0-9]{1,5}"), re.ASCII)
KAFKA_TOPIC_RE = re.compile(_shapes("lambda")["Topic"].get("pattern", r"[^.]([a-zA-Z0-9\-_.]+)"), re.ASCII)
KAFKA_GROUP_ID_MAX = _model_max("URI", 200)
KAFKA_GROUP_ID_RE = re.compile(_shapes("lambda")["URI"].get("pattern", r"[ a-zA-Z0-9-\/*:_+=.@-]*"), re.ASCII)
#: Kafka mappings start at the oldest record or the newest (AT_TIMESTAMP is for Kinesis and DocumentDB).
KAFKA_STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST")
#: How a mapping authenticates to Kafka: MSK clusters by IAM, SASL/SCRAM or mTLS; self-managed ones by SASL/SCRAM,
#: SASL/PLAIN or mTLS (Lambda's SourceAccessConfiguration types); NONE for an unauthenticated listener.
KAFKA_MSK_AUTH = ("IAM", "SASL_SCRAM_512", "MTLS", "NONE")
KAFKA_SELF_AUTH = ("SASL_SCRAM_512", "SASL_SCRAM_256", "SASL_PLAIN", "MTLS", "NONE")
MQ_ENGINES = ("ActiveMQ", "RabbitMQ")
MQ_QUEUE_MAX = _model_max("Queue", 1000)
DOCDB_DATABASE_MAX = _model_max("DatabaseName", 63)
DOCDB_DATABASE_RE = re.compile(_shapes("lambda")["DatabaseName"].get("pattern", r"[^ /\.$\x22]*"))
DOCDB_COLLECTION_MAX = _model_max("CollectionName", 57)
DOCDB_COLLECTION_RE = re.compile(_shapes("lambda")["CollectionName"].get("pattern", r"(?!system\.)[_a-zA-Z0-9][^$]*"))
DOCDB_FULL_DOCUMENT = tuple(_shapes("lambda")["FullDocument"].get("enum", ["UpdateLookup", "Default"]))

# --- asynchronous invocation and the dead-letter queue ----------------------------------------------------------------

#: SQS KmsMasterKeyId: a key id, an alias name or an ARN of either (https://docs.aws.amazon.com/AWSSimpleQueueService/
#: latest/APIReference/API_SetQueueAttributes.html); a key given to Lambda or CloudWatch Logs is a key ARN.
KMS_KEY_REF_RE = re.compile(
    r"(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_-]+)|(alias/[A-Za-z0-9/_-]+)|([A-Za-z0-9-]+)",
    re.ASCII,
)
KMS_KEY_ARN_RE = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+", re.ASCII)

ASYNC_RETRIES = _r("MaximumRetryAttempts", (0, 2))
ASYNC_EVENT_AGE_S = _r("MaximumEventAgeInSeconds", (60, 21_600), "seconds")
SQS_MESSAGE_RETENTION_S = Range(60, 1_209_600, "seconds")

# --- push triggers (botocore's S3, EventBridge, Scheduler and Lambda models) ------------------------------------------

S3_EVENTS = tuple(_shapes("s3")["Event"]["enum"])
#: S3 object keys are at most 1024 bytes, so a longer filter can never match.
S3_FILTER_MAX = 1024
S3_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
EVENT_RETRY_ATTEMPTS = _r("MaximumRetryAttempts", (0, 185), service="events")
EVENT_AGE_S = _r("MaximumEventAgeInSeconds", (60, 86_400), "seconds", service="events")
EVENT_PATTERN_MAX = _model_max("EventPattern", 4096, "events")
SCHEDULE_EXPRESSION_MAX = _model_max("ScheduleExpression", 256, "events")
RULE_NAME_MAX = _model_max("RuleName", 64, "events")
RULE_DESCRIPTION_MAX = _model_max("RuleDescription", 512, "events")
FLEXIBLE_WINDOW_MIN = _r("MaximumWindowInMinutes", (1, 1440), "minutes", service="scheduler")
SCHEDULE_NAME_MAX = _model_max("Name", 64, "scheduler")
#: IAM role names are at most 64 characters (IAM quotas).
IAM_ROLE_NAME_MAX = 64
#: IAM role paths: ``/`` or ``/a/b/`` (botocore's IAM model ``pathType``).
IAM_PATH_RE = re.compile(_shapes("iam")["pathType"].get("pattern", r"(/)|(/[!-~]+/)"))
IAM_PATH_MAX = int(_shapes("iam")["pathType"].get("max", 512))
IAM_ROLE_NAME_RE = re.compile(_shapes("iam")["roleNameType"].get("pattern", r"[\w+=,.@-]+"), re.ASCII)
#: The provider completes a ``name_prefix`` with a 26-character unique suffix, within the 64-character role name.
IAM_ROLE_NAME_PREFIX_MAX = IAM_ROLE_NAME_MAX - 26
#: Pulumi auto-names rules, schedules and roles ``<logical name>-<7 hex>``.
AUTONAME_SUFFIX = 8
CORS_ORIGINS_MAX = _model_max("AllowOriginsList", 100)
CORS_ORIGIN_LEN_MAX = _model_max("Origin", 253)
CORS_METHODS_MAX = _model_max("AllowMethodsList", 6)
CORS_HEADERS_MAX = _model_max("HeadersList", 100)
CORS_MAX_AGE_S = _r("MaxAge", (0, 86_400), "seconds")
URL_AUTH_TYPES = ("AWS_IAM", "NONE")
URL_INVOKE_MODES = ("BUFFERED", "RESPONSE_STREAM")
URL_CORS_METHODS = ("GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "*")
SNS_FILTER_SCOPES = ("MessageAttributes", "MessageBody")
API_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY", "*")

# --- runtime management, recursion, tenancy (issue 13; botocore's Lambda model) ---------------------------------------

UPDATE_RUNTIME_ON = tuple(_shapes("lambda")["UpdateRuntimeOn"].get("enum", ["Auto", "Manual", "FunctionUpdate"]))
RUNTIME_VERSION_ARN_MAX = _model_max("RuntimeVersionArn", 2048)
RUNTIME_VERSION_ARN_RE = re.compile(
    _shapes("lambda")["RuntimeVersionArn"].get("pattern", r"arn:(aws[a-zA-Z-]*):lambda:[a-z0-9-]+::runtime:.+")
)
RECURSIVE_LOOP = tuple(_shapes("lambda")["RecursiveLoop"].get("enum", ["Allow", "Terminate"]))
TENANT_ISOLATION_MODES = tuple(_shapes("lambda").get("TenantIsolationMode", {}).get("enum", ["PER_TENANT"]))

# --- callers in other accounts and organizations (issue 13) ---------------------------------------------------------

#: AddPermission's SourceAccount / SourceOwner: a 12-digit account id.
ACCOUNT_ID_RE = re.compile(r"[0-9]{12}", re.ASCII)
#: AddPermission's PrincipalOrgID (botocore's Lambda model).
ORG_ID_RE = re.compile(_shapes("lambda")["PrincipalOrgID"].get("pattern", "o-[a-z0-9]{10,32}"), re.ASCII)
#: An IAM principal of one account: the account's root, a role or a user (never a wildcard).
IAM_PRINCIPAL_ARN_RE = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:(root|(role|user)/[A-Za-z0-9+=,.@_/-]+)", re.ASCII)

# --- Application Load Balancer targets (issue 13; botocore's ELBv2 model) ---------------------------------------------

ALB_HEALTH_INTERVAL_S = _r("HealthCheckIntervalSeconds", (5, 300), "seconds", service="elbv2")
ALB_HEALTH_TIMEOUT_S = _r("HealthCheckTimeoutSeconds", (2, 120), "seconds", service="elbv2")
ALB_HEALTH_THRESHOLD = _r("HealthCheckThresholdCount", (2, 10), service="elbv2")
ALB_RULE_PRIORITY = _r("RulePriority", (1, 50_000), service="elbv2")
ALB_PATH_MAX = _model_max("Path", 1024, "elbv2")
#: Target group names: 1-32 letters, digits and hyphens (CreateTargetGroup).
ALB_TARGET_GROUP_NAME_MAX = 32
#: Each path pattern or host header value is at most 128 characters; a rule has at most 5 condition values.
ALB_CONDITION_VALUE_MAX = 128
ALB_CONDITION_VALUES_MAX = 5
ALB_LISTENER_ARN_RE = re.compile(
    r"arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/app/[A-Za-z0-9-]+/[0-9a-f]+/[0-9a-f]+", re.ASCII
)

# --- i13-httpapi: API Gateway HTTP APIs (issue 13; botocore's apigatewayv2 model where it states a limit) ----------

HTTP_API_AUTHORIZATION_TYPES = tuple(
    _shapes("apigatewayv2")["AuthorizationType"].get("enum", ["NONE", "AWS_IAM", "CUSTOM", "JWT"])
)
HTTP_API_AUTHORIZER_TTL_S = _r("IntegerWithLengthBetween0And3600", (0, 3600), "seconds", service="apigatewayv2")
HTTP_API_CORS_MAX_AGE_S = _r("IntegerWithLengthBetweenMinus1And86400", (-1, 86400), "seconds", service="apigatewayv2")
HTTP_API_INTEGRATION_TIMEOUT_MS = _r("IntegerWithLengthBetween50And30000", (50, 30_000), "ms", service="apigatewayv2")
#: Route methods of an HTTP API (the route key ``METHOD /path``); ``ANY`` matches every method.
HTTP_API_METHODS = ("ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
HTTP_API_CORS_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*")
HTTP_API_PAYLOAD_VERSIONS = ("2.0", "1.0")
#: The model states these lengths only in its shape names (StringWithLengthBetween1And128, ...And1024, ...And64).
HTTP_API_NAME_MAX = 128
HTTP_API_ACCESS_LOG_FORMAT_MAX = 1024
HTTP_API_SCOPE_MAX = 64
#: The model gives no range for stage and route throttling (``ThrottlingBurstLimit`` is a bare integer): these are
#: the account's default quotas across its APIs in a region (10,000 requests per second, a burst of 5,000; adjustable
#: through Service Quotas), above which a stage limit has no effect.
HTTP_API_THROTTLE_RATE = Range(0, 10_000, "requests per second")
HTTP_API_THROTTLE_BURST = Range(0, 5_000, "requests")
#: Quotas per HTTP API (adjustable): routes, and authorizers.
HTTP_API_ROUTES_MAX = 300
HTTP_API_AUTHORIZERS_MAX = 10
# --- i13-cogses: Cognito user pool triggers and SES receipt rules (botocore's cognito-idp and SES models) -------------

_COGNITO = _shapes("cognito-idp")
#: A user pool id, ``<region>_<letters and digits>`` (``UserPoolIdType``).
COGNITO_USER_POOL_ID_RE = re.compile(_COGNITO["UserPoolIdType"].get("pattern", r"[\w-]+_[0-9a-zA-Z]+"), re.ASCII)
COGNITO_USER_POOL_ID_MAX = _model_max("UserPoolIdType", 55, "cognito-idp")
#: A user pool ARN: ``arn:<partition>:cognito-idp:<region>:<account>:userpool/<pool id>``.
COGNITO_USER_POOL_ARN_RE = re.compile(
    r"arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:[0-9]{12}:userpool/" + COGNITO_USER_POOL_ID_RE.pattern, re.ASCII
)
#: ``PreTokenGenerationConfig.LambdaVersion``: the event version the pre token generation trigger receives.
COGNITO_PRE_TOKEN_VERSIONS: tuple[str, ...] = tuple(
    _COGNITO.get("PreTokenGenerationLambdaVersionType", {}).get("enum", ["V1_0", "V2_0", "V3_0"])
)
#: ``CustomEmailSender``/``CustomSMSSender`` ``LambdaVersion``: custom senders must use ``V1_0``.
COGNITO_CUSTOM_SENDER_VERSION: str = _COGNITO.get("CustomEmailSenderLambdaVersionType", {}).get("enum", ["V1_0"])[0]
_SES = _shapes("ses")
#: ``LambdaAction.InvocationType`` (``Event``, or ``RequestResponse``, which SES abandons after 30 seconds).
SES_INVOCATION_TYPES: tuple[str, ...] = tuple(_SES["InvocationType"].get("enum", ["Event", "RequestResponse"]))
#: ``ReceiptRule.TlsPolicy``.
SES_TLS_POLICIES: tuple[str, ...] = tuple(_SES["TlsPolicy"].get("enum", ["Require", "Optional"]))
#: Receipt rule and rule set names: ASCII letters, digits, ``_``, ``-`` and ``.``, starting and ending with a letter or
#: digit, at most 64 characters (the ``ReceiptRule.Name`` documentation; the model states no pattern).
SES_NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9])?", re.ASCII)
SES_NAME_MAX = 64
#: Recipients (addresses or domains) in one receipt rule (SES quotas: 100 per rule).
SES_RECIPIENTS_MAX = 100
#: RequestResponse invocations time out after this many seconds (``LambdaAction.InvocationType`` documentation).
SES_REQUEST_RESPONSE_TIMEOUT_S = 30

# --- file systems (issue 13; botocore's Lambda and EFS models) ------------------------------------------------------

#: FunctionConfiguration.FileSystemConfigs: Lambda mounts at most this many file systems per function.
FILE_SYSTEMS_MAX = _model_max("FileSystemConfigList", 1)
#: FileSystemConfig.LocalMountPath: ``/mnt/<name>``.
LOCAL_MOUNT_PATH_MAX = _model_max("LocalMountPath", 160)
LOCAL_MOUNT_PATH_RE = re.compile(_shapes("lambda")["LocalMountPath"].get("pattern", r"/mnt/[a-zA-Z0-9-_.]+"), re.ASCII)
#: FileSystemConfig.Arn: the model allows an EFS access point or an S3 Files access point ("A$|^B").
_FS_ARN_PATTERNS = _shapes("lambda")["FileSystemArn"].get("pattern", "").split("$|^")
FILE_SYSTEM_CONFIG_ARN_MAX = _model_max("FileSystemArn", 256)
EFS_ACCESS_POINT_ARN_RE = re.compile(
    next(
        (p.rstrip("$") for p in _FS_ARN_PATTERNS if ":elasticfilesystem:" in p),
        r"arn:aws[a-zA-Z-]*:elasticfilesystem:[a-z0-9-]+:\d{12}:access-point/fsap-[a-f0-9]{17}",
    ),
    re.ASCII,
)
S3_FILES_ACCESS_POINT_ARN_RE = re.compile(
    next((p.lstrip("^") for p in _FS_ARN_PATTERNS if ":s3files:" in p), r"arn:aws[-a-z]*:s3files:.+"), re.ASCII
)
#: An EFS file system ARN (the ARN form of botocore's EFS ``FileSystemId``).
EFS_FILE_SYSTEM_ARN_RE = re.compile(
    r"arn:aws[-a-z]*:elasticfilesystem:[a-z0-9-]+:[0-9]{12}:file-system/fs-[0-9a-f]{8,40}", re.ASCII
)
#: EFS ``MountTargetId``.
EFS_MOUNT_TARGET_ID_RE = re.compile(
    _shapes("efs")["MountTargetId"].get("pattern", "^fsmt-[0-9a-f]{8,40}$").strip("^$"), re.ASCII
)
#: EFS access point ``RootDirectory.Path``: ``/`` or up to four directories below it.
EFS_ROOT_PATH_MAX = _model_max("Path", 100, "efs")
EFS_ROOT_PATH_RE = re.compile(
    _shapes("efs")["Path"].get("pattern", r"^(\/|(\/(?!\.)+[^$#<>;`|&?{}^*/\n]+){1,4})$").strip("^$")
)

# --- i13-logsiot: CloudWatch Logs subscription filters, IoT topic rules (issue 13; botocore's Logs and IoT models) --

#: PutSubscriptionFilter: the filter pattern (empty matches every event), the filter's name, the log group's name.
LOG_FILTER_PATTERN_MAX = _model_max("FilterPattern", 1024, "logs")
LOG_FILTER_NAME_MAX = _model_max("FilterName", 512, "logs")
LOG_FILTER_NAME_RE = re.compile(_shapes("logs")["FilterName"].get("pattern", r"[^:*]*"))
LOG_GROUP_NAME_MAX = _model_max("LogGroupName", 512, "logs")
LOG_GROUP_NAME_RE = re.compile(_shapes("logs")["LogGroupName"].get("pattern", r"[\.\-_/#A-Za-z0-9]+"), re.ASCII)
#: A log group ARN (``:*`` at the end is the form IAM and Lambda permissions use; the group is the part before it).
LOG_GROUP_ARN_RE = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):logs:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):log-group:(?P<name>[^:*]+)(:\*)?",
    re.ASCII,
)
#: "Each log group can have up to two subscription filters associated with it" (PutSubscriptionFilter; not a quota
#: that can be raised).
LOG_SUBSCRIPTIONS_PER_GROUP = 2
#: The service principal CloudWatch Logs invokes Lambda destinations as (the AWS docs' current form; the regional
#: ``logs.<region>.amazonaws.com`` of older docs is still accepted by the sandbox and the policy pack).
LOGS_PRINCIPAL = "logs.amazonaws.com"
#: CreateTopicRule: rule names (botocore's IoT model ``RuleName``).
IOT_RULE_NAME_MAX = _model_max("RuleName", 128, "iot")
IOT_RULE_NAME_RE = re.compile(_shapes("iot")["RuleName"].get("pattern", "^[a-zA-Z0-9_]+$").strip("^$"), re.ASCII)
#: The versions of the IoT SQL rules engine (AWS IoT SQL reference, "SQL versions"; the model has no enum).
IOT_SQL_VERSIONS = ("2016-03-23", "2015-10-08", "beta")
#: A topic rule's actions: 0-10 (TopicRulePayload.actions); lambdakit sends one, to the alias.
IOT_RULE_ACTIONS_MAX = 10
IOT_PRINCIPAL = "iot.amazonaws.com"

# --- CloudWatch alarms and dashboards ---------------------------------------------------------------------------------

#: PutMetricAlarm: Period x EvaluationPeriods <= 1 day for periods under an hour, <= 7 days otherwise.
ALARM_WINDOW_SHORT_S, ALARM_WINDOW_LONG_S = 86_400, 604_800
#: Lambda and SQS publish one-minute metrics.
METRIC_PERIOD_S = 60
#: Periods for reading an alias metric: whole minutes up to a day.
ALARM_PERIOD_S = Range(METRIC_PERIOD_S, ALARM_WINDOW_SHORT_S, "seconds")
#: A dashboard body holds 0-500 widgets (Dashboard Body Structure; CloudWatch quotas).
DASHBOARD_MAX_WIDGETS = 500
#: PutDashboard: names are at most 255 characters of A-Z, a-z, 0-9, "-" and "_".
DASHBOARD_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,255}")


# --- CodeDeploy (server-side traffic shifting) ------------------------------------------------------------------------

#: The predefined Lambda deployment configurations (CodeDeploy User Guide, "Deployment configurations on an AWS Lambda
#: compute platform").
CODEDEPLOY_LAMBDA_CONFIGS = (
    "CodeDeployDefault.LambdaAllAtOnce",
    "CodeDeployDefault.LambdaCanary10Percent5Minutes",
    "CodeDeployDefault.LambdaCanary10Percent10Minutes",
    "CodeDeployDefault.LambdaCanary10Percent15Minutes",
    "CodeDeployDefault.LambdaCanary10Percent30Minutes",
    "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
    "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes",
    "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes",
    "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes",
)
#: A time-based canary or linear step shifts a whole percentage: 0 shifts nothing and 100 is all at once.
CODEDEPLOY_PERCENT = Range(1, 99, "percent")
#: Minutes between steps. The API documents no bound; lambdakit keeps a deployment's step under 2 days.
CODEDEPLOY_INTERVAL_MIN = Range(1, 2880, "minutes")
#: A deployment group's alarm configuration holds at most 10 alarms (CodeDeploy quotas).
CODEDEPLOY_MAX_ALARMS = 10
#: Application, deployment group and deployment config names: 1-100 characters (CodeDeploy API reference).
CODEDEPLOY_NAME_MAX = 100
#: The AWS managed policy for CodeDeploy's service role on Lambda: UpdateAlias/GetAlias, DescribeAlarms, and invoke
#: on functions named CodeDeployHook_* only (the "Limited" variant has no sns:Publish).
CODEDEPLOY_LAMBDA_POLICY = "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"


# --- the policy pack's copy -------------------------------------------------------------------------------------------


def lifecycle_json() -> dict[str, Any]:
    """What ``policies/runtime_lifecycle.json`` holds: every runtime's dates and successor."""

    def iso(day: dt.date | None) -> str | None:
        return day.isoformat() if day else None

    return {
        "source": RUNTIME_SOURCE,
        "runtimes": {
            r.name: {
                "deprecated": iso(r.deprecated),
                "createBlock": iso(r.create_block),
                "updateBlock": iso(r.update_block),
                "successor": r.successor,
            }
            for r in RUNTIMES.values()
        },
    }


def limits_json() -> dict[str, Any]:
    """What ``policies/lambda_limits.json`` holds: the limits the pack's rules compare with."""
    return {
        "source": "Generated from lambdakit/limits.py (python -m lambdakit.limits --write); do not edit by hand.",
        "memoryMb": [int(MEMORY_MB.low), int(MEMORY_MB.high)],
        "timeoutSeconds": [int(TIMEOUT_S.low), int(TIMEOUT_S.high)],
        "accountConcurrencyDefault": ACCOUNT_CONCURRENCY_DEFAULT,
        "unreservedMinimum": UNRESERVED_MINIMUM,
        "reservableConcurrency": ACCOUNT_CONCURRENCY_DEFAULT - UNRESERVED_MINIMUM,
        "logRetentionDays": list(LOG_RETENTION_DAYS),
        "architectures": list(ARCHITECTURES),
        "zipRuntimes": list(ZIP_RUNTIMES),
    }


def _pack_dir() -> Path:
    from importlib.util import find_spec

    spec = find_spec("lambdakit.policies")
    if spec is None or spec.origin is None:
        raise RuntimeError("lambdakit.policies (the policy pack) is not installed next to lambdakit")
    return Path(spec.origin).parent


def generated_files() -> dict[Path, str]:
    """The pack's generated fact files and the text each should hold."""
    root = _pack_dir()
    return {
        root / "runtime_lifecycle.json": json.dumps(lifecycle_json(), indent=1) + "\n",
        root / "lambda_limits.json": json.dumps(limits_json(), indent=1) + "\n",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lambdakit.limits", description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="rewrite the policy pack's fact files")
    action.add_argument("--check", action="store_true", help="exit 1 when a fact file is stale")
    args = parser.parse_args(argv)
    stale = [path for path, text in generated_files().items() if not path.is_file() or path.read_text() != text]
    if args.write:
        for path, text in generated_files().items():
            path.write_text(text)
        print(f"wrote {', '.join(p.name for p in generated_files())}")
        return 0
    for path in stale:
        print(f"{path} is stale: run python -m lambdakit.limits --write", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())

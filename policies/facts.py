"""The Lambda facts the rules compare with, read from the files generated from ``lambdakit/limits.py`` (the one
place that states them): ``python -m lambdakit.limits --write`` rewrites ``lambda_limits.json`` and
``runtime_lifecycle.json``, and a test fails when they are stale. The pack reads JSON because the Pulumi CLI runs it
without botocore or the lambdakit package."""

from __future__ import annotations

import json
from pathlib import Path

LIMITS_FILE = Path(__file__).with_name("lambda_limits.json")
_LIMITS = json.loads(LIMITS_FILE.read_text())

MEMORY_MIN_MB, MEMORY_MAX_MB = _LIMITS["memoryMb"]
TIMEOUT_MAX_S = _LIMITS["timeoutSeconds"][1]
ACCOUNT_CONCURRENCY_DEFAULT = _LIMITS["accountConcurrencyDefault"]
UNRESERVED_MINIMUM = _LIMITS["unreservedMinimum"]
#: What one function may reserve in an account with the default concurrency limit (1,000 less the 100 unreserved).
RESERVABLE_CONCURRENCY = _LIMITS["reservableConcurrency"]
#: The values CloudWatch Logs accepts for a log group's retention (PutRetentionPolicy).
RETENTION_DAYS: list[int] = list(_LIMITS["logRetentionDays"])
ZIP_RUNTIMES: list[str] = list(_LIMITS["zipRuntimes"])

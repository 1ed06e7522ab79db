"""One JSON object per log line, so CloudWatch Logs Insights can filter on fields (``level``, ``request_id``...).

The level comes from ``LOG_LEVEL`` (set per stack), else ``AWS_LAMBDA_LOG_LEVEL`` (Lambda's application log level),
else INFO. Each line carries the invocation's request id and the function's name and version once
`bind_lambda_context` has been called at the top of the handler.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("log_context", default=None)
_cold_start = True

# Attributes every LogRecord has; anything else came in through ``extra=`` and is logged as a field.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: timestamp, level, logger, message, context, then ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_context.get() or {})
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
            entry["exception_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
        return json.dumps(entry, default=str, separators=(",", ":"))


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is when a record is emitted (runtimes and test runners replace it)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _level() -> int:
    name = (os.environ.get("LOG_LEVEL") or os.environ.get("AWS_LAMBDA_LOG_LEVEL") or "INFO").upper()
    name = {"WARN": "WARNING", "TRACE": "DEBUG", "FATAL": "CRITICAL"}.get(name, name)
    level = logging.getLevelName(name)
    return level if isinstance(level, int) else logging.INFO


def get_logger(name: str) -> logging.Logger:
    """A logger that writes JSON lines to stdout (which Lambda ships to the function's log group)."""
    logger = logging.getLogger(name)
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        handler = _StdoutHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    # The Lambda runtime configures the root logger too; not propagating avoids every line appearing twice.
    logger.propagate = False
    logger.setLevel(_level())
    return logger


def bind_lambda_context(context: Any) -> dict[str, Any]:
    """Attach the invocation's identifiers to every following log line; returns them. ``context`` may be None."""
    global _cold_start
    fields: dict[str, Any] = {"cold_start": _cold_start}
    _cold_start = False
    for attr, key in (
        ("aws_request_id", "request_id"),
        ("function_name", "function_name"),
        ("function_version", "function_version"),
    ):
        value = getattr(context, attr, None)
        if value is not None:
            fields[key] = value
    _context.set(fields)
    return fields

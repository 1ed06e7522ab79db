"""The canary's injected time and output: tests pass a fake clock and sleep, and collect what is echoed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], None]
Echo = Callable[[str], None]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

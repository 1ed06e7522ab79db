"""The new version's health during a canary: thresholds, one reading, the verdict, and CloudWatch as the source.

:class:`CloudWatchHealth` reads the new version's ``Invocations``, ``Errors`` and ``Throttles`` (``AWS/Lambda`` with
dimensions FunctionName, Resource=<function>:<alias>, ExecutedVersion=<version>) and the service's alarms.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

Status = Literal["healthy", "unhealthy", "no-data"]


@dataclass(frozen=True)
class HealthThresholds:
    """When a reading of the new version counts as unhealthy."""

    max_error_rate: float = 0.01
    """Errors / Invocations above this is unhealthy. Defaults to 0.01 (1%)."""
    max_throttle_rate: float = 0.0
    """Throttles / (Invocations + Throttles) above this is unhealthy. Defaults to 0: any throttle of the new
    version fails the step (throttles while canarying usually mean the new version's concurrency is mis-set)."""
    min_invocations: int = 1
    """Fewer invocations (and no throttles) than this is 'no data' rather than healthy. Defaults to 1."""

    def __post_init__(self) -> None:
        for name in ("max_error_rate", "max_throttle_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"HealthThresholds.{name} must be within 0-1, got {value}")
        if self.min_invocations < 1:
            raise ValueError(f"HealthThresholds.min_invocations must be >= 1, got {self.min_invocations}")


@dataclass(frozen=True)
class HealthReading:
    """One look at the new version over a window."""

    status: Status
    reason: str
    invocations: float = 0.0
    errors: float = 0.0
    throttles: float = 0.0
    alarms_in_alarm: tuple[str, ...] = ()
    missing_alarms: tuple[str, ...] = ()
    data_until: dt.datetime | None = None
    """The end of the latest period holding the new version's metrics; ``None`` when the source does not say
    (then the controller cannot check that the data reaches the window's end)."""
    warnings: tuple[str, ...] = ()

    @property
    def error_rate(self) -> float:
        return self.errors / self.invocations if self.invocations else 0.0

    @property
    def throttle_rate(self) -> float:
        total = self.invocations + self.throttles
        return self.throttles / total if total else 0.0

    def figures(self) -> str:
        alarms = ", ".join(self.alarms_in_alarm) if self.alarms_in_alarm else "none in ALARM"
        return (
            f"invocations={self.invocations:g} errors={self.errors:g} ({self.error_rate:.2%}) "
            f"throttles={self.throttles:g} ({self.throttle_rate:.2%}) alarms={alarms}"
        )


def evaluate(
    invocations: float,
    errors: float,
    throttles: float,
    alarms_in_alarm: Sequence[str],
    thresholds: HealthThresholds,
    missing_alarms: Sequence[str] = (),
) -> HealthReading:
    """The verdict on one set of figures; shared by every health source."""

    def reading(status: Status, reason: str) -> HealthReading:
        return HealthReading(
            status,
            reason,
            invocations=invocations,
            errors=errors,
            throttles=throttles,
            alarms_in_alarm=tuple(alarms_in_alarm),
            missing_alarms=tuple(missing_alarms),
        )

    if alarms_in_alarm:
        return reading("unhealthy", f"alarm(s) in ALARM: {', '.join(alarms_in_alarm)}")
    total = invocations + throttles
    if total and throttles / total > thresholds.max_throttle_rate:
        return reading(
            "unhealthy",
            f"throttle rate {throttles / total:.2%} > {thresholds.max_throttle_rate:.2%}",
        )
    if invocations < thresholds.min_invocations:
        return reading("no-data", f"{invocations:g} invocations < {thresholds.min_invocations} needed to judge")
    rate = errors / invocations
    if rate > thresholds.max_error_rate:
        return reading("unhealthy", f"error rate {rate:.2%} > {thresholds.max_error_rate:.2%}")
    return reading("healthy", f"error rate {rate:.2%} <= {thresholds.max_error_rate:.2%}, no alarm in ALARM")


class HealthSource(Protocol):
    """Reads the health of one new version over a time window."""

    def read(self, start: dt.datetime, end: dt.datetime) -> HealthReading: ...


class CloudWatchHealth:
    """New-version health from CloudWatch ``GetMetricData`` and ``DescribeAlarms``."""

    #: Dimension order matters to moto 5.2.5: it matches a query's dimensions to stored data as an ordered list,
    #: whereas CloudWatch matches them as a set. Lambda and our tests use this order.
    DIMENSIONS = ("FunctionName", "Resource", "ExecutedVersion")
    METRICS = ("Invocations", "Errors", "Throttles")

    def __init__(
        self,
        cloudwatch: Any,
        *,
        function_name: str,
        alias_name: str,
        version: str,
        alarm_names: Sequence[str] = (),
        thresholds: HealthThresholds | None = None,
        period_seconds: int = 60,
    ) -> None:
        if period_seconds < 1 or (period_seconds >= 60 and period_seconds % 60):
            raise ValueError(f"period_seconds must be 1-59 or a multiple of 60, got {period_seconds}")
        self.cloudwatch = cloudwatch
        self.function_name = function_name
        self.alias_name = alias_name
        self.version = version
        self.alarm_names = list(alarm_names)
        self.thresholds = thresholds or HealthThresholds()
        self.period_seconds = period_seconds

    def dimensions(self) -> list[dict[str, str]]:
        values = (self.function_name, f"{self.function_name}:{self.alias_name}", self.version)
        return [{"Name": n, "Value": v} for n, v in zip(self.DIMENSIONS, values, strict=True)]

    def metric_sums(self, start: dt.datetime, end: dt.datetime) -> dict[str, float]:
        """Sum of Invocations, Errors and Throttles of the new version in [start, end]."""
        return self._metric_data(start, end)[0]

    def _queries(self) -> list[dict[str, Any]]:
        return [
            {
                "Id": name.lower(),
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/Lambda", "MetricName": name, "Dimensions": self.dimensions()},
                    "Period": self.period_seconds,
                    "Stat": "Sum",
                },
                "ReturnData": True,
            }
            for name in self.METRICS
        ]

    def _metric_data(self, start: dt.datetime, end: dt.datetime) -> tuple[dict[str, float], dt.datetime | None]:
        """Sums of :attr:`METRICS` in [start, end] and the start of the latest period holding any datapoint."""
        queries = self._queries()
        sums = {name: 0.0 for name in self.METRICS}
        by_id = {name.lower(): name for name in self.METRICS}
        latest: dt.datetime | None = None
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end}
            if token:
                kwargs["NextToken"] = token
            response = self.cloudwatch.get_metric_data(**kwargs)
            for result in response.get("MetricDataResults", []):
                sums[by_id[result["Id"]]] += float(sum(result.get("Values", [])))
                for stamp in result.get("Timestamps", []):
                    if isinstance(stamp, dt.datetime):
                        stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
                        latest = stamp if latest is None or stamp > latest else latest
            token = response.get("NextToken")
            if not token:
                return sums, latest

    def alarms_fired(self, start: dt.datetime, end: dt.datetime) -> tuple[list[str], list[str]]:
        """(alarms that went to ALARM within [start, end], warnings), from DescribeAlarmHistory: an alarm that fired
        and cleared between two readings is in ALARM for neither."""
        fired: list[str] = []
        for name in self.alarm_names:
            try:
                pages = self.cloudwatch.get_paginator("describe_alarm_history").paginate(
                    AlarmName=name, HistoryItemType="StateUpdate", StartDate=start, EndDate=end
                )
                items = [item for page in pages for item in page.get("AlarmHistoryItems", [])]
            except Exception as exc:  # an emulator without the API, or a denied call: say so, judge on states
                return fired, [f"alarm history unreadable ({type(exc).__name__}): only current alarm states judged"]
            if any(_went_to_alarm(item) for item in items):
                fired.append(name)
        return fired, []

    def alarm_states(self) -> tuple[list[str], list[str]]:
        """(alarms in ALARM, alarm names that do not exist)."""
        if not self.alarm_names:
            return [], []
        found: dict[str, str] = {}
        # DescribeAlarms takes at most 100 names per call.
        for i in range(0, len(self.alarm_names), 100):
            batch = self.alarm_names[i : i + 100]
            for page in self.cloudwatch.get_paginator("describe_alarms").paginate(AlarmNames=batch):
                for alarm in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
                    found[alarm["AlarmName"]] = alarm["StateValue"]
        in_alarm = [name for name in self.alarm_names if found.get(name) == "ALARM"]
        missing = [name for name in self.alarm_names if name not in found]
        return in_alarm, missing

    def window(self, start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """[start, end] widened to whole periods: CloudWatch aligns datapoints to the period and rejects a window
        whose ends are equal once truncated to the second. The widening may take in up to one period before the
        step began, which holds the same version's figures at the previous weight."""
        period = self.period_seconds
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        first = math.floor((start - epoch).total_seconds() / period) * period
        last = math.ceil((end - epoch).total_seconds() / period) * period
        last = max(last, first + period)
        return epoch + dt.timedelta(seconds=first), epoch + dt.timedelta(seconds=last)

    def read(self, start: dt.datetime, end: dt.datetime) -> HealthReading:
        sums, latest = self._metric_data(*self.window(start, end))
        in_alarm, missing = self.alarm_states()
        fired, warnings = self.alarms_fired(start, end)
        flagged = [*in_alarm, *(f"{name} (fired in the window)" for name in fired if name not in in_alarm)]
        reading = evaluate(
            sums["Invocations"], sums["Errors"], sums["Throttles"], flagged, self.thresholds, missing_alarms=missing
        )
        until = latest + dt.timedelta(seconds=self.period_seconds) if latest is not None else None
        return replace(reading, data_until=until, warnings=tuple(warnings))


def _went_to_alarm(item: Mapping[str, Any]) -> bool:
    data = item.get("HistoryData")
    if isinstance(data, str):
        try:
            state = json.loads(data).get("newState", {}).get("stateValue")
        except (ValueError, AttributeError):
            state = None
        if state is not None:
            return bool(state == "ALARM")
    return "to ALARM" in str(item.get("HistorySummary", ""))

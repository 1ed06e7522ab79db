"""Lambda's CloudWatch metrics for every invocation through the sandbox, and the stack's alarms evaluated on them.

:class:`LambdaMetrics` listens to the sandbox's invocations and puts what AWS Lambda would into moto's CloudWatch
(namespace ``AWS/Lambda``): ``Invocations``, ``Errors``, ``Throttles`` (Sum), ``Duration`` (ms) and
``ConcurrentExecutions`` (Maximum), with the dimension sets AWS uses:

- ``FunctionName`` for every invocation;
- ``FunctionName`` + ``Resource`` (``<function>:<qualifier>``) for an invocation of an alias or a version;
- ``FunctionName`` + ``Resource`` + ``ExecutedVersion`` for an invocation of an alias (which version served it);
- no dimension (the account's figures) for ``Invocations`` and ``ConcurrentExecutions``.

So ``lambdakit.canary.CloudWatchHealth`` and the dashboard read them unchanged. Timestamps come from a
:class:`SandboxClock`, which is the wall clock or, for a compressed rehearsal, a virtual clock that the canary, the
metrics and the alarm evaluation share.

:func:`evaluate_alarms` does what CloudWatch does each period: for every metric alarm (one metric and statistic, or
metric math such as lambdakit's error-rate ``IF(FILL(m_invocations, 0) > 0, ...)``) it computes the last
``EvaluationPeriods`` whole periods, applies ``TreatMissingData`` and ``DatapointsToAlarm`` and moves the alarm to
``ALARM``, ``OK`` or ``INSUFFICIENT_DATA``, recording each change in the alarm's history.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .emulator import Sandbox, split_function
from .runner import InvokeResult

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class SandboxClock:
    """The wall clock, or a virtual one (``start`` given) that only :meth:`advance` moves."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._virtual = start
        self._lock = threading.Lock()

    @property
    def virtual(self) -> bool:
        return self._virtual is not None

    def now(self) -> dt.datetime:
        if self._virtual is None:
            return dt.datetime.now(dt.UTC)
        return self._virtual

    def __call__(self) -> dt.datetime:
        return self.now()

    def advance(self, seconds: float) -> dt.datetime:
        if self._virtual is None:
            raise RuntimeError("the wall clock cannot be advanced")
        with self._lock:
            self._virtual = self._virtual + dt.timedelta(seconds=seconds)
            return self._virtual


# ---------------------------------------------------------------------------------------------------------------
# Putting metrics
# ---------------------------------------------------------------------------------------------------------------


def _dims(**pairs: str) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in pairs.items()]


def dimension_sets(function: str, qualifier: str | None, executed_version: str) -> list[list[dict[str, str]]]:
    """The dimension sets AWS publishes one invocation under (see the module docstring)."""
    sets = [_dims(FunctionName=function)]
    if qualifier and qualifier != "$LATEST":
        resource = f"{function}:{qualifier}"
        sets.append(_dims(FunctionName=function, Resource=resource))
        if not qualifier.isdigit() and executed_version:
            sets.append(_dims(FunctionName=function, Resource=resource, ExecutedVersion=executed_version))
    return sets


class LambdaMetrics:
    """Puts Lambda's metrics for each invocation of ``sandbox`` (use :meth:`attach` / :meth:`detach`)."""

    def __init__(self, sandbox: Sandbox, clock: SandboxClock | None = None) -> None:
        self.sandbox = sandbox
        self.clock = clock or SandboxClock()
        self.datapoints = 0

    def attach(self) -> LambdaMetrics:
        if self.on_invoke not in self.sandbox.invoke_listeners:
            self.sandbox.invoke_listeners.append(self.on_invoke)
        return self

    def detach(self) -> None:
        if self.on_invoke in self.sandbox.invoke_listeners:
            self.sandbox.invoke_listeners.remove(self.on_invoke)

    def backend(self) -> Any:
        from moto.cloudwatch.models import cloudwatch_backends

        return cloudwatch_backends[self.sandbox.account_id][self.sandbox.region]

    def on_invoke(self, result: InvokeResult) -> None:
        self.put(result)

    def put(self, result: InvokeResult, *, throttled: bool = False) -> None:
        function, qualifier = split_function(result.function_name, result.qualifier)
        # moto keeps datapoint timestamps as naive UTC (as its own utcnow() makes them).
        stamp = self.clock.now().astimezone(dt.UTC).replace(tzinfo=None)
        data: list[dict[str, Any]] = []
        error = 1.0 if result.function_error else 0.0
        for dims in dimension_sets(function, qualifier, "" if throttled else result.executed_version):
            values = [("Throttles", 1.0 if throttled else 0.0, "Count")]
            if not throttled:
                values += [
                    ("Invocations", 1.0, "Count"),
                    ("Errors", error, "Count"),
                    ("Duration", float(result.duration_ms), "Milliseconds"),
                    ("ConcurrentExecutions", 1.0, "Count"),
                ]
            data += [
                {"MetricName": n, "Dimensions": dims, "Value": v, "Unit": u, "Timestamp": stamp} for n, v, u in values
            ]
        if not throttled:
            data += [
                {"MetricName": "Invocations", "Dimensions": [], "Value": 1.0, "Unit": "Count", "Timestamp": stamp},
                {
                    "MetricName": "ConcurrentExecutions",
                    "Dimensions": [],
                    "Value": 1.0,
                    "Unit": "Count",
                    "Timestamp": stamp,
                },
            ]
        self.backend().put_metric_data("AWS/Lambda", data)
        self.datapoints += len(data)


# ---------------------------------------------------------------------------------------------------------------
# Alarm evaluation
# ---------------------------------------------------------------------------------------------------------------


def _period_start(stamp: dt.datetime, period: int) -> int:
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return math.floor((stamp - EPOCH).total_seconds() / period) * period


def _statistic(values: Sequence[float], stat: str) -> float:
    if stat == "Sum":
        return float(sum(values))
    if stat == "Average":
        return float(sum(values)) / len(values)
    if stat == "Maximum":
        return float(max(values))
    if stat == "Minimum":
        return float(min(values))
    if stat == "SampleCount":
        return float(len(values))
    match = re.fullmatch(r"p(\d+(?:\.\d+)?)", stat)
    if match:
        ordered = sorted(values)
        rank = max(0, math.ceil(float(match.group(1)) / 100.0 * len(ordered)) - 1)
        return float(ordered[rank])
    raise ValueError(f"statistic {stat!r} is not evaluated by the sandbox")


def _series(
    backend: Any, namespace: str, name: str, dims: Mapping[str, str], stat: str, period: int, starts: Sequence[int]
) -> dict[int, float]:
    """Per-period values (period start -> statistic) of one metric over ``starts``; periods without data absent."""
    wanted = set(starts)
    buckets: dict[int, list[float]] = {}
    for datum in backend.metric_data:
        if datum.namespace != namespace or datum.name != name:
            continue
        if {d.name: d.value for d in datum.dimensions} != dict(dims):
            continue
        start = _period_start(datum.timestamp, period)
        if start in wanted and hasattr(datum, "value"):
            buckets.setdefault(start, []).append(float(datum.value))
    return {start: _statistic(values, stat) for start, values in buckets.items()}


_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|==|!=|[-+*/(),<>]))")


class _Expression:
    """CloudWatch metric math, the subset alarms use: numbers, ids, + - * /, comparisons, IF() and FILL()."""

    def __init__(self, text: str) -> None:
        self.tokens: list[str] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if not match or match.end() == pos:
                raise ValueError(f"metric math {text!r}: cannot read from {text[pos:]!r}")
            self.tokens.append(next(g for g in match.groups() if g is not None))
            pos = match.end()
        self.text = text

    def evaluate(self, values: Mapping[str, float | None]) -> float | None:
        self.pos, self.values = 0, values
        result = self._comparison()
        if self.pos != len(self.tokens):
            raise ValueError(f"metric math {self.text!r}: unexpected {self.tokens[self.pos]!r}")
        return result

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> str:
        token = self._peek()
        if token is None or (expected is not None and token != expected):
            raise ValueError(f"metric math {self.text!r}: expected {expected or 'more'}, got {token!r}")
        self.pos += 1
        return token

    def _comparison(self) -> float | None:
        left = self._additive()
        ops: dict[str, Callable[[float, float], bool]] = {
            ">": lambda a, b: a > b,
            "<": lambda a, b: a < b,
            ">=": lambda a, b: a >= b,
            "<=": lambda a, b: a <= b,
            "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
        }
        if self._peek() in ops:
            op = ops[self._take()]
            right = self._additive()
            return None if left is None or right is None else float(op(left, right))
        return left

    def _additive(self) -> float | None:
        value = self._term()
        while self._peek() in ("+", "-"):
            op, right = self._take(), self._term()
            value = None if value is None or right is None else (value + right if op == "+" else value - right)
        return value

    def _term(self) -> float | None:
        value = self._factor()
        while self._peek() in ("*", "/"):
            op, right = self._take(), self._factor()
            if value is None or right is None:
                value = None
            elif op == "*":
                value = value * right
            else:
                value = None if right == 0 else value / right
        return value

    def _factor(self) -> float | None:
        token = self._take()
        if token == "-":
            inner = self._factor()
            return None if inner is None else -inner
        if token == "(":
            inner = self._comparison()
            self._take(")")
            return inner
        if re.fullmatch(r"\d+(?:\.\d+)?", token):
            return float(token)
        if self._peek() == "(":
            self._take("(")
            args = [self._comparison()]
            while self._peek() == ",":
                self._take(",")
                args.append(self._comparison())
            self._take(")")
            return self._call(token.upper(), args)
        if token not in self.values:
            raise ValueError(f"metric math {self.text!r}: unknown id {token!r}")
        return self.values[token]

    def _call(self, name: str, args: list[float | None]) -> float | None:
        if name == "FILL" and len(args) == 2:
            return args[1] if args[0] is None else args[0]
        if name == "IF" and len(args) in (2, 3):
            if args[0] is None:
                return None
            return args[1] if args[0] else (args[2] if len(args) == 3 else None)
        raise ValueError(f"metric math {self.text!r}: function {name}() is not evaluated by the sandbox")


def _alarm_values(backend: Any, alarm: Any, starts: Sequence[int]) -> dict[int, float | None]:
    period = int(alarm.period or 60)
    if not alarm.metric_data_queries:
        stat = alarm.extended_statistic or alarm.statistic
        dims = {d.name: d.value for d in alarm.dimensions}
        found = _series(backend, alarm.namespace, alarm.metric_name, dims, stat, period, starts)
        return {s: found.get(s) for s in starts}
    series: dict[str, dict[int, float]] = {}
    expressions: dict[str, str] = {}
    returned = None
    for query in alarm.metric_data_queries:
        if query.metric_stat is not None:
            metric = query.metric_stat.metric
            dims = {d.name: d.value for d in metric.dimensions or []}
            q_period = int(query.metric_stat.period or period)
            series[query.id] = _series(
                backend, metric.namespace, metric.metric_name, dims, query.metric_stat.stat, q_period, starts
            )
        elif query.expression:
            expressions[query.id] = query.expression
        if query.return_data in (True, "true", "True", None) and (query.expression or returned is None):
            returned = query.id
    out: dict[int, float | None] = {}
    for start in starts:
        values: dict[str, float | None] = {k: v.get(start) for k, v in series.items()}
        for qid, text in expressions.items():
            values[qid] = _Expression(text).evaluate(values)
        out[start] = values.get(returned or "")
    return out


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


@dataclass(frozen=True)
class AlarmChange:
    """One alarm moving from one state to another at a (sandbox) time."""

    alarm: str
    old: str
    new: str
    at: dt.datetime
    reason: str


def evaluate_alarms(sandbox: Sandbox, now: dt.datetime, names: Sequence[str] | None = None) -> list[AlarmChange]:
    """Evaluate the metric alarms (all, or ``names``) at ``now`` as CloudWatch would; returns the state changes."""
    from moto.cloudwatch.models import cloudwatch_backends

    backend = cloudwatch_backends[sandbox.account_id][sandbox.region]
    changes: list[AlarmChange] = []
    for name, alarm in list(backend.alarms.items()):
        if names is not None and name not in names:
            continue
        if alarm.rule:  # composite alarms are not evaluated
            continue
        period = int(alarm.period or 60)
        periods = int(alarm.evaluation_periods)
        last = _period_start(now, period) - period  # the last whole period
        starts = [last - i * period for i in range(periods)][::-1]
        values = _alarm_values(backend, alarm, starts)
        threshold = float(alarm.threshold or 0.0)
        compare = _COMPARE.get(alarm.comparison_operator)
        if compare is None:
            continue
        missing = str(alarm.treat_missing_data or "missing")
        breaching = 0
        present = 0
        for start in starts:
            value = values[start]
            if value is None:
                if missing == "breaching":
                    breaching += 1
                    present += 1
                elif missing == "notBreaching":
                    present += 1
                continue
            present += 1
            breaching += compare(value, threshold)
        needed = int(alarm.datapoints_to_alarm or periods)
        if breaching >= needed:
            state = "ALARM"
        elif present == 0:
            state = alarm.state_value if missing == "ignore" else "INSUFFICIENT_DATA"
        else:
            state = "OK"
        if state == alarm.state_value:
            continue
        shown = [None if values[s] is None else round(float(values[s] or 0.0), 6) for s in starts]
        reason = (
            f"Threshold Crossed: {breaching} out of the last {periods} datapoints {shown} were "
            f"{'breaching' if state == 'ALARM' else 'not breaching'} ({alarm.comparison_operator} {threshold:g})"
        )
        reason_data = json.dumps({"version": "1.0", "evaluatedDatapoints": len(starts), "threshold": threshold})
        old = alarm.state_value
        alarm.update_state(reason, reason_data, state)
        alarm.state_updated_timestamp = now
        changes.append(AlarmChange(name, old, state, now, reason))
    return changes

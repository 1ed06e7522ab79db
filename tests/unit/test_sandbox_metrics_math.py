"""The sandbox's metric dimensions and the metric math its alarm evaluation understands (no emulator needed)."""

from __future__ import annotations

import pytest

from lambdakit.alarms import ERROR_RATE_EXPRESSION
from lambdakit.sandbox.metrics import _Expression, _statistic, dimension_sets


def test_an_alias_invocation_is_published_under_function_resource_and_executed_version() -> None:
    sets = dimension_sets("orders", "live", "7")
    assert sets == [
        [{"Name": "FunctionName", "Value": "orders"}],
        [{"Name": "FunctionName", "Value": "orders"}, {"Name": "Resource", "Value": "orders:live"}],
        [
            {"Name": "FunctionName", "Value": "orders"},
            {"Name": "Resource", "Value": "orders:live"},
            {"Name": "ExecutedVersion", "Value": "7"},
        ],
    ]


def test_version_and_unqualified_invocations_have_no_executed_version_dimension() -> None:
    assert dimension_sets("orders", "7", "7")[-1] == [
        {"Name": "FunctionName", "Value": "orders"},
        {"Name": "Resource", "Value": "orders:7"},
    ]
    assert dimension_sets("orders", None, "$LATEST") == [[{"Name": "FunctionName", "Value": "orders"}]]


@pytest.mark.parametrize(
    ("invocations", "errors", "expected"),
    [(10.0, 3.0, 0.3), (None, None, 0.0), (10.0, None, 0.0), (0.0, 0.0, 0.0)],
)
def test_lambdakits_error_rate_expression_evaluates_with_fill_and_if(
    invocations: float | None, errors: float | None, expected: float
) -> None:
    value = _Expression(ERROR_RATE_EXPRESSION).evaluate({"m_invocations": invocations, "m_errors": errors})
    assert value == pytest.approx(expected)


def test_metric_math_arithmetic_precedence_and_errors() -> None:
    assert _Expression("1 + 2 * 3 - -1").evaluate({}) == 8
    assert _Expression("(a + b) / 2").evaluate({"a": 1.0, "b": 3.0}) == 2
    assert _Expression("a / b").evaluate({"a": 1.0, "b": 0.0}) is None
    with pytest.raises(ValueError, match="unknown id 'x'"):
        _Expression("x + 1").evaluate({})
    with pytest.raises(ValueError, match=r"function ANOMALY_DETECTION_BAND\(\) is not evaluated"):
        _Expression("ANOMALY_DETECTION_BAND(m1, 2)").evaluate({"m1": 1.0})


def test_statistics_including_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert _statistic(values, "Sum") == 5050
    assert _statistic(values, "Maximum") == 100
    assert _statistic(values, "p99") == 99
    assert _statistic(values, "p50") == 50
    with pytest.raises(ValueError, match="tm90"):
        _statistic(values, "tm90")

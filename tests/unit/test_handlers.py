"""The reference program's handlers, run directly with sample events (the shared-utils layer on sys.path as /opt/python
would put it in Lambda)."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER_PYTHON = ROOT / "layers" / "shared_utils" / "python"


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch):
    """Import functions/<name>/handler.py fresh (after the test set its environment) under a unique module name."""
    monkeypatch.syspath_prepend(str(LAYER_PYTHON))

    def _load(function: str) -> ModuleType:
        path = ROOT / "functions" / function / "handler.py"
        module_name = f"lambdakit_test_{function}_handler"
        spec = importlib.util.spec_from_file_location(module_name, path)
        assert spec is not None and spec.loader is not None, path
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, module_name, module)
        spec.loader.exec_module(module)
        return module

    return _load


def context(function_name: str) -> SimpleNamespace:
    return SimpleNamespace(aws_request_id="req-123", function_name=function_name, function_version="7")


def log_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def order(order_id: str = "o-1", **overrides: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": "c-9",
        "currency": "EUR",
        "items": [{"sku": "A", "quantity": 2, "unit_price": 10.25}, {"sku": "B", "quantity": 1, "unit_price": 5}],
        **overrides,
    }


def sqs_record(message_id: str, body: Any) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:orders",
    }


# --------------------------------------------------------------------------------------------- order-processor


def test_order_processor_reports_only_bad_messages(load, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DB_HOST", "orders.db.internal")
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    handler = load("order_processor").handler
    event = {
        "Records": [
            sqs_record("m-ok", order("o-1")),
            sqs_record("m-not-json", "{not json"),
            sqs_record("m-no-items", order("o-3", items=[])),
            sqs_record("m-bad-qty", order("o-4", items=[{"sku": "A", "quantity": 0, "unit_price": 1}])),
            sqs_record("m-ok-2", order("o-5")),
        ]
    }

    result = handler(event, context("order-processor-dev"))

    assert result == {
        "batchItemFailures": [{"itemIdentifier": "m-not-json"}, {"itemIdentifier": "m-no-items"},
                              {"itemIdentifier": "m-bad-qty"}]
    }  # fmt: skip
    logs = log_lines(capsys.readouterr().out)
    stored = [entry for entry in logs if entry["message"] == "order stored"]
    assert [entry["order_id"] for entry in stored] == ["o-1", "o-5"]
    assert stored[0]["db_host"] == "orders.db.internal" and stored[0]["total"] == "25.50"
    assert all(entry["request_id"] == "req-123" for entry in logs), "every line carries the request id"
    assert logs[-1]["message"] == "batch done" and logs[-1]["failed"] == 3 and logs[-1]["stored"] == 2


def test_order_processor_with_a_clean_batch_reports_no_failures(load) -> None:
    handler = load("order_processor").handler
    assert handler({"Records": [sqs_record("m-1", order())]}, context("op")) == {"batchItemFailures": []}


def test_order_processor_log_level_comes_from_the_environment(load, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    handler = load("order_processor").handler
    handler({"Records": [sqs_record("m-1", order()), sqs_record("m-2", "[]")]}, context("op"))
    logs = log_lines(capsys.readouterr().out)
    assert [entry["level"] for entry in logs] == ["WARNING"], logs
    assert "must be a JSON object" in logs[0]["error"]


def test_order_processor_rejects_an_event_that_is_not_an_sqs_batch(load) -> None:
    module = load("order_processor")
    with pytest.raises(ValueError, match="expected an SQS or S3 event with Records"):
        module.handler({"detail-type": "Scheduled Event"}, context("op"))


def test_order_processor_takes_order_files_from_s3_notifications(load) -> None:
    module = load("order_processor")
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": "uploads"}, "object": {"key": "orders/a.json"}},
            }
        ]
    }
    assert module.handler(event, context("op")) == {"files": ["s3://uploads/orders/a.json"]}
    with pytest.raises(ValueError, match="S3 record without bucket and key"):
        module.handler({"Records": [{"eventSource": "aws:s3", "s3": {}}]}, context("op"))


def test_email_sender_unwraps_sns_and_eventbridge_envelopes(load) -> None:
    module = load("email_sender")
    order = {"to": "a@example.com", "template": "order_confirmation", "order_id": "o-1"}
    sns = {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps(order)}}]}
    assert module.handler(sns, context("es"))["subject"] == "Your order o-1 is confirmed"
    shipped = {"source": "lambdakit.orders", "detail-type": "OrderShipped", "detail": order}
    assert module.handler(shipped, context("es"))["subject"] == "Your order o-1 has shipped"
    with pytest.raises(ValueError, match="to must be an email address"):
        module.handler({"detail-type": "OrderShipped", "detail": {"order_id": "o-2"}}, context("es"))


# --------------------------------------------------------------------------------------------- email-sender


def test_email_sender_builds_the_message(load, monkeypatch) -> None:
    monkeypatch.setenv("SENDER_ADDRESS", "orders@shop.example")
    module = load("email_sender")
    event = {"to": "ana@example.com", "template": "order_shipped", "order_id": "o-1", "reply_to": "help@shop.example"}

    assert module.handler(event, context("email-sender-dev")) == {
        "status": "prepared",
        "subject": "Your order o-1 has shipped",
        "recipients": 1,
    }
    message = module.build_email(event, "orders@shop.example")
    assert message["from"] == "orders@shop.example" and message["to"] == ["ana@example.com"]
    assert message["reply_to"] == ["help@shop.example"]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("just a string", r"event must be a JSON object, got str"),
        ({"template": "order_shipped", "order_id": "o-1"}, r"to must be an email address, got None"),
        ({"to": "not-an-address", "template": "order_shipped", "order_id": "o-1"}, r"to must be an email address"),
        ({"to": "a@b.io", "template": "welcome", "order_id": "o-1"}, r"template must be one of .*; got 'welcome'"),
        ({"to": "a@b.io", "template": "order_shipped"}, r"order_id must be a non-empty string, got None"),
        ({"to": "a@b.io", "template": "order_shipped", "order_id": "o", "reply_to": 5}, r"reply_to must be an email"),
    ],
)
def test_email_sender_raises_on_an_invalid_payload(load, capsys, event: Any, message: str) -> None:
    module = load("email_sender")
    with pytest.raises(ValueError, match=message):
        module.handler(event, context("email-sender-dev"))
    (entry,) = log_lines(capsys.readouterr().out)
    assert entry["level"] == "ERROR" and entry["message"] == "invalid email event"


# --------------------------------------------------------------------------------------------- user-analytics


def stream_record(sequence: str, event_name: str, user: str | None = "u-1") -> dict[str, Any]:
    dynamodb: dict[str, Any] = {"SequenceNumber": sequence, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if user is not None:
        dynamodb["Keys"] = {"user_id": {"S": user}}
    return {"eventID": f"e-{sequence}", "eventName": event_name, "eventSource": "aws:dynamodb", "dynamodb": dynamodb}


def test_user_analytics_counts_changes_by_kind(load, capsys) -> None:
    handler = load("user_analytics").handler
    event = {
        "Records": [
            stream_record("100", "INSERT", "u-1"),
            stream_record("101", "MODIFY", "u-1"),
            stream_record("102", "MODIFY", "u-2"),
            stream_record("103", "REMOVE", None),
        ]
    }
    assert handler(event, context("user-analytics-dev")) == {"batchItemFailures": []}
    (summary,) = [e for e in log_lines(capsys.readouterr().out) if e["message"] == "stream batch aggregated"]
    assert summary["counts"] == {"INSERT": 1, "MODIFY": 2, "REMOVE": 1}
    assert summary["distinct_users"] == 2


def test_user_analytics_reports_the_first_failing_sequence_number_and_stops(load, capsys) -> None:
    handler = load("user_analytics").handler
    event = {
        "Records": [
            stream_record("200", "INSERT"),
            stream_record("201", "UPSERT"),
            stream_record("202", "REMOVE"),
        ]
    }
    assert handler(event, context("ua")) == {"batchItemFailures": [{"itemIdentifier": "201"}]}
    (summary,) = [e for e in log_lines(capsys.readouterr().out) if e["message"] == "stream batch aggregated"]
    assert summary["counts"] == {"INSERT": 1, "MODIFY": 0, "REMOVE": 0}, "records after the failure are retried"


def test_user_analytics_fails_the_batch_for_a_record_without_a_sequence_number(load) -> None:
    handler = load("user_analytics").handler
    record = stream_record("300", "INSERT")
    del record["dynamodb"]["SequenceNumber"]
    with pytest.raises(ValueError, match=r"stream record 'e-300' has no dynamodb\.SequenceNumber"):
        handler({"Records": [record]}, context("ua"))


# --------------------------------------------------------------------------------------------- api-handler


def http_event(method: str, path: str, body: str | None = None, *, b64: bool = False) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "203.0.113.9"}, "requestId": "r"},
        "isBase64Encoded": b64,
    }
    if body is not None:
        event["body"] = base64.b64encode(body.encode()).decode() if b64 else body
    return event


def test_api_handler_warm_up_returns_at_once_without_logging(load, capsys) -> None:
    handler = load("api_handler").handler
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}, "resources": ["arn:...:rule/x"]}
    response = handler(event, context("api-handler-dev"))
    assert response["statusCode"] == 200 and json.loads(response["body"]) == {"status": "warm"}
    assert capsys.readouterr().out == ""


def test_api_handler_health(load, monkeypatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "staging")
    response = load("api_handler").handler(http_event("GET", "/health"), context("api"))
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"] == "application/json"
    assert json.loads(response["body"]) == {"status": "ok", "environment": "staging"}


@pytest.mark.parametrize("b64", [False, True])
def test_api_handler_accepts_a_valid_order(load, b64: bool) -> None:
    response = load("api_handler").handler(http_event("POST", "/orders", json.dumps(order()), b64=b64), context("api"))
    assert response["statusCode"] == 202
    assert json.loads(response["body"]) == {"order_id": "o-1", "total": "25.50", "currency": "EUR"}


@pytest.mark.parametrize(
    ("event", "status", "error"),
    [
        (http_event("POST", "/orders", json.dumps(order(currency="euro"))), 400, "currency must be an ISO 4217 code"),
        (http_event("POST", "/orders", "not json"), 400, "body is not valid JSON"),
        ({**http_event("POST", "/orders", b64=True), "body": "%%%"}, 400, "not valid base64"),
        (http_event("GET", "/orders"), 405, "GET is not allowed on /orders"),
        (http_event("DELETE", "/health"), 405, "DELETE is not allowed on /health"),
        (http_event("GET", "/nope"), 404, "no route for GET /nope"),
        ({"Records": []}, 400, "expected an HTTP API"),
    ],
)
def test_api_handler_errors(load, event: dict[str, Any], status: int, error: str) -> None:
    response = load("api_handler").handler(event, context("api"))
    assert response["statusCode"] == status, response
    assert error in json.loads(response["body"])["error"]
    if status == 405:
        assert response["headers"]["allow"] in ("GET", "POST")

"""Unit tests of @@service@@'s handler: run with `python -m pytest tests`."""

import importlib.util
import json
from pathlib import Path

HANDLER = Path(__file__).resolve().parent.parent / "functions" / "@@service_dir@@" / "handler.py"
spec = importlib.util.spec_from_file_location("handler", HANDLER)
assert spec is not None and spec.loader is not None
handler = importlib.util.module_from_spec(spec)
spec.loader.exec_module(handler)


def sqs_event(*bodies: object) -> dict:
    return {"Records": [{"messageId": f"m{i}", "body": json.dumps(body)} for i, body in enumerate(bodies)]}


def test_an_empty_batch_reports_no_failures() -> None:
    assert handler.handler({"Records": []}, None) == {"batchItemFailures": []}


def test_a_bad_message_is_reported_and_the_rest_succeed() -> None:
    result = handler.handler(sqs_event({"id": "job-1"}, {"no": "id"}, {"id": "job-3"}), None)
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}

"""The handler runner: a function version's zip and layers run in a fresh interpreter, answered as Lambda answers.

Given a zip built here (no emulator needed), when it is run, then results, errors, timeouts and logs look like what
Lambda's Invoke returns for the same handler.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from lambdakit.sandbox import FunctionCode, HandlerRunner, InvokeResult

ARN = "arn:aws:lambda:us-east-1:123456789012:function:runner-test:live"


def zipped(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


def run(
    tmp_path: Path,
    handler_source: str,
    payload: object = None,
    *,
    timeout: int = 3,
    layers: tuple[dict[str, str], ...] = (),
    runtime: str = "python3.12",
    handler: str = "app.handler",
    log_format: str = "Text",
) -> InvokeResult:
    code = FunctionCode(
        function_name="runner-test",
        version="7",
        runtime=runtime,
        handler=handler,
        timeout=timeout,
        memory_size=256,
        code_zip=zipped({"app.py": handler_source}),
        layer_zips=[zipped(layer) for layer in layers],
        environment={"STAGE": "test"},
        log_group_name="/aws/lambda/runner-test",
        log_format=log_format,
        application_log_level="INFO",
    )
    return HandlerRunner(tmp_path).run(code, json.dumps(payload or {}), qualifier="live", invoked_function_arn=ARN)


def test_result_context_environment_and_layers_are_what_lambda_provides(tmp_path: Path) -> None:
    source = (
        "import os\nfrom shared import VALUE\n"
        "def handler(event, context):\n"
        "    print('got', event['n'])\n"
        "    return {'n': event['n'] + 1, 'value': VALUE, 'stage': os.environ['STAGE'],\n"
        "            'fn': context.function_name, 'version': context.function_version,\n"
        "            'arn': context.invoked_function_arn, 'memory': context.memory_limit_in_mb,\n"
        "            'remaining': 0 < context.get_remaining_time_in_millis() <= 3000,\n"
        "            'request_id': context.aws_request_id, 'task_root': os.environ['LAMBDA_TASK_ROOT']}\n"
    )
    # Layers are extracted in order into /opt: the second layer's file wins.
    layers = ({"python/shared.py": "VALUE = 'first'\n"}, {"python/shared.py": "VALUE = 'second'\n"})
    result = run(tmp_path, source, {"n": 41}, layers=layers)
    body = json.loads(result.payload)
    assert result.ok and result.function_error is None, f"runner-test failed: {result.payload}"
    assert (body["n"], body["value"], body["stage"]) == (42, "second", "test"), f"runner-test: {body}"
    assert (body["fn"], body["version"], body["arn"], body["memory"]) == ("runner-test", "7", ARN, 256), f"{body}"
    assert body["remaining"] and body["request_id"] == result.request_id, f"runner-test context: {body}"
    lines = result.log.splitlines()
    assert lines[0] == f"START RequestId: {result.request_id} Version: 7", f"log: {lines}"
    assert "got 41" in lines and lines[-2] == f"END RequestId: {result.request_id}", f"log: {lines}"
    assert lines[-1].startswith(f"REPORT RequestId: {result.request_id}\tDuration: "), f"log: {lines}"


def test_exception_is_reported_with_type_message_and_stack_trace(tmp_path: Path) -> None:
    result = run(tmp_path, "def handler(event, context):\n    raise KeyError('order_id')\n")
    assert result.function_error == "Unhandled", f"runner-test: {result}"
    assert result.error["errorType"] == "KeyError" and result.error["errorMessage"] == "'order_id'", result.error
    assert 'File "/var/task/app.py", line 2, in handler' in result.error["stackTrace"][0], result.error
    assert "[ERROR] KeyError: 'order_id'" in result.log, f"log: {result.log}"


def test_function_timeout_is_enforced(tmp_path: Path) -> None:
    result = run(tmp_path, "import time\ndef handler(event, context):\n    time.sleep(5)\n", timeout=1)
    assert result.function_error == "Unhandled" and result.error["errorType"] == "Sandbox.Timedout", result.payload
    assert result.error["errorMessage"].endswith("Task timed out after 1.00 seconds"), result.error
    assert 900 < result.duration_ms < 3000, f"runner-test ran {result.duration_ms} ms with a 1 s timeout"


def test_missing_module_handler_and_unserialisable_result_use_the_runtime_error_types(tmp_path: Path) -> None:
    missing_import = run(tmp_path, "import not_installed_anywhere\ndef handler(e, c):\n    return 1\n")
    assert missing_import.error["errorType"] == "Runtime.ImportModuleError", missing_import.error
    assert (
        "Unable to import module 'app': No module named 'not_installed_anywhere'"
        in missing_import.error["errorMessage"]
    ), missing_import.error
    no_handler = run(tmp_path, "def other(e, c):\n    return 1\n")
    assert no_handler.error["errorType"] == "Runtime.HandlerNotFound", no_handler.error
    unserialisable = run(tmp_path, "def handler(e, c):\n    return object()\n")
    assert unserialisable.error["errorType"] == "Runtime.MarshalError", unserialisable.error


def test_json_log_format_emits_records_at_the_application_level(tmp_path: Path) -> None:
    source = (
        "import logging\nlog = logging.getLogger('app')\n"
        "def handler(e, c):\n    log.debug('hidden')\n    log.info('shown')\n    return None\n"
    )
    result = run(tmp_path, source, log_format="JSON")
    records = [json.loads(line) for line in result.log.splitlines() if line.startswith("{")]
    assert [(r["level"], r["message"]) for r in records] == [("INFO", "shown")], f"log: {result.log}"
    assert records[0]["requestId"] == result.request_id, f"record: {records[0]}"


def test_text_log_format_keeps_the_root_logger_at_warning_as_the_python_runtime_does(tmp_path: Path) -> None:
    source = (
        "import logging\n"
        "def handler(e, c):\n    logging.getLogger().info('quiet')\n    logging.getLogger().warning('loud')\n"
    )
    result = run(tmp_path, source)
    assert "quiet" not in result.log, f"log: {result.log}"
    assert any(line.startswith("[WARNING]\t") and line.endswith("\tloud") for line in result.log.splitlines()), (
        f"log: {result.log}"
    )


def test_other_runtimes_are_reported_as_not_run(tmp_path: Path) -> None:
    result = run(tmp_path, "", runtime="ruby3.4", handler="index.handler")
    assert not result.emulated and result.function_error == "Unhandled", f"runner-test: {result}"
    assert result.error["errorType"] == "Sandbox.RuntimeNotEmulated", result.error


def test_log_tail_is_the_last_4_kb(tmp_path: Path) -> None:
    result = run(tmp_path, "def handler(e, c):\n    print('x' * 10000)\n")
    assert len(result.log.encode()) > 10000, "the whole log is kept"
    tail = result.log_tail
    assert len(tail.encode()) == 4096, f"runner-test: LogType=Tail returns the last 4 KB, got {len(tail.encode())} B"
    assert tail.rstrip("\n").endswith(result.log.splitlines()[-1]), "runner-test: the tail ends with the REPORT line"

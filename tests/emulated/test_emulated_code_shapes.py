"""Code shapes in the sandbox: Node.js handlers run on the local node through the same path, error types and log
tail as Python; a TypeScript service bundled by esbuild answers through its alias; a zip in S3 is deployed from the
sandbox's S3; an image service by digest is created in moto and reported as not emulated.
"""

from __future__ import annotations

import io
import json
import shutil
import textwrap
import zipfile
from pathlib import Path

import pytest

from lambdakit.sandbox import Deployment, FunctionCode, HandlerRunner, InvokeResult, Sandbox, deploy, node_runner

FIXTURES = Path(__file__).resolve().parent.parent / "unit" / "code_fixtures"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:node-test:live"
needs_node = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="node and npm (Node.js) are not on PATH: the Node.js handlers cannot be built or run",
)
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/orders@sha256:" + "ab" * 32


def zipped(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


def run(
    tmp_path: Path,
    files: dict[str, str],
    payload: object = None,
    *,
    handler: str = "index.handler",
    runtime: str = "nodejs20.x",
    timeout: int = 3,
    layers: tuple[dict[str, str], ...] = (),
    log_format: str = "Text",
) -> InvokeResult:
    code = FunctionCode(
        function_name="node-test",
        version="3",
        runtime=runtime,
        handler=handler,
        timeout=timeout,
        memory_size=256,
        code_zip=zipped(files),
        layer_zips=[zipped(layer) for layer in layers],
        environment={"STAGE": "test"},
        log_group_name="/aws/lambda/node-test",
        log_format=log_format,
        application_log_level="INFO",
    )
    return HandlerRunner(tmp_path).run(code, json.dumps(payload or {}), qualifier="live", invoked_function_arn=ARN)


# ----- the Node.js runner ---------------------------------------------------------------------------------------


@needs_node
def test_node_handler_result_context_environment_and_layers(tmp_path: Path) -> None:
    source = textwrap.dedent(
        """
        const { shared } = require("shared");
        exports.handler = async (event, context) => {
          console.log("got", event.n);
          return { n: event.n + 1, shared, stage: process.env.STAGE, fn: context.functionName,
                   version: context.functionVersion, arn: context.invokedFunctionArn,
                   left: context.getRemainingTimeInMillis() > 0, root: process.env.LAMBDA_TASK_ROOT };
        };
        """
    )
    layer = {"nodejs/node_modules/shared/index.js": "exports.shared = 'from-layer';\n"}
    result = run(tmp_path, {"index.js": source}, {"n": 1}, layers=(layer,))
    assert result.ok, result.payload
    body = json.loads(result.payload)
    assert body["n"] == 2 and body["shared"] == "from-layer" and body["stage"] == "test"
    assert body["fn"] == "node-test" and body["version"] == "3" and body["arn"] == ARN and body["left"] is True
    lines = result.log.splitlines()
    assert lines[0].startswith(f"START RequestId: {result.request_id} Version: 3")
    assert any(line.endswith("\tINFO\tgot 1") and result.request_id in line for line in lines), result.log
    assert lines[-2] == f"END RequestId: {result.request_id}" and lines[-1].startswith("REPORT RequestId:")


@needs_node
@pytest.mark.parametrize(
    ("files", "handler", "error_type", "message"),
    [
        (
            {"index.js": "exports.handler = async () => { throw new TypeError('bad input'); };"},
            "index.handler",
            "TypeError",
            "bad input",
        ),
        (
            {
                "index.js": "class OrderError extends Error {\n"
                " constructor(m) { super(m); this.name = 'OrderError'; } }\n"
                "exports.handler = async () => { throw new OrderError('no stock'); };"
            },
            "index.handler",
            "OrderError",
            "no stock",
        ),
        ({"index.js": "exports.other = 1;"}, "index.handler", "Runtime.HandlerNotFound", "index.handler is undefined"),
        ({"index.js": "exports.handler = 1;"}, "missing.handler", "Runtime.ImportModuleError", "Cannot find module"),
        ({"index.js": "exports.handler = async () => {"}, "index.handler", "Runtime.UserCodeSyntaxError", ""),
        (
            {"index.js": "exports.handler = async () => ({ big: 10n });"},
            "index.handler",
            "Runtime.MarshalError",
            "Unable to stringify",
        ),
    ],
)
def test_node_errors_have_lambdas_error_types(
    tmp_path: Path, files: dict[str, str], handler: str, error_type: str, message: str
) -> None:
    result = run(tmp_path, files, handler=handler)
    assert result.function_error == "Unhandled" and result.emulated, result
    assert result.error["errorType"] == error_type, result.error
    assert message in result.error["errorMessage"], result.error
    assert not any(str(tmp_path) in line for line in result.error.get("stackTrace", [])), "paths read as /var/task"
    if error_type in ("TypeError", "OrderError"):
        assert any("/var/task/index.js" in line for line in result.error["stackTrace"]), result.error
    assert result.log.splitlines()[-1].startswith("REPORT RequestId:"), "the log tail ends as Lambda's does"


@needs_node
def test_node_timeout_callback_and_esm_handlers(tmp_path: Path) -> None:
    slow = run(tmp_path, {"index.js": "exports.handler = () => new Promise(() => {});"}, timeout=1)
    assert slow.error["errorType"] == "Sandbox.Timedout" and "Task timed out after 1.00 seconds" in slow.log
    callback = run(tmp_path, {"index.js": "exports.handler = (e, c, cb) => setTimeout(() => cb(null, {ok: 1}), 5);"})
    assert json.loads(callback.payload) == {"ok": 1}
    esm = run(
        tmp_path,
        {"app.mjs": "export const handler = async (event) => ({ esm: true, event });"},
        {"a": 1},
        handler="app.handler",
    )
    assert json.loads(esm.payload) == {"esm": True, "event": {"a": 1}}


@needs_node
def test_json_log_format_applies_the_log_level(tmp_path: Path) -> None:
    source = "exports.handler = async () => { console.debug('quiet'); console.warn('loud'); return 1; };"
    result = run(tmp_path, {"index.js": source}, log_format="JSON")
    records = [json.loads(line) for line in result.log.splitlines() if line.startswith("{")]
    assert [r["message"] for r in records] == ["loud"] and records[0]["level"] == "WARN"


def test_version_note_shows_a_mismatch_with_the_declared_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(node_runner, "local_node_version", lambda: "v20.20.2")
    assert node_runner.version_note("nodejs20.x") == "local node v20.20.2 (matches nodejs20.x)"
    assert "the function declares nodejs22.x: versions differ" in node_runner.version_note("nodejs22.x")
    monkeypatch.setattr(node_runner, "local_node_version", lambda: None)
    assert node_runner.version_note("nodejs22.x").startswith("not run: no node on PATH")


@pytest.mark.parametrize(
    ("runtime", "why"),
    [("provided.al2023", "runtime provided.al2023 is not emulated"), ("", "container images are not emulated")],
)
def test_custom_runtimes_and_images_are_reported_as_not_emulated(tmp_path: Path, runtime: str, why: str) -> None:
    result = run(tmp_path, {"bootstrap": "#!/bin/sh\n"}, runtime=runtime, handler="x")
    assert not result.emulated and result.error["errorType"] == "Sandbox.RuntimeNotEmulated"
    assert why in result.error["errorMessage"]


# ----- a program of code shapes deployed into the sandbox -------------------------------------------------------

PROGRAM = """
import pulumi_aws as aws
from lambdakit import LambdaService

LambdaService("api", {"code_path": "api", "runtime": "nodejs20.x", "handler": "src/app.handler", "bundle": True,
                      "smoke_event": {"delay": "3s"}})
bucket = aws.s3.Bucket("team-artifacts", bucket="team-artifacts")
LambdaService("big", {"code_path": "big", "artifact_bucket": bucket.bucket})
LambdaService("img", {"image": {"uri": "IMAGE_URI", "command": ["app.handler"]}})
""".replace("IMAGE_URI", IMAGE)


@pytest.fixture(scope="module")
def shapes(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    root = tmp_path_factory.mktemp("shapes")
    (root / "Pulumi.yaml").write_text("name: shapes\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config: {}\n")
    (root / "__main__.py").write_text(PROGRAM)
    shutil.copytree(FIXTURES / "ts_service", root / "api")
    (root / "big").mkdir()
    (root / "big" / "handler.py").write_text("def handler(event, context):\n    return {'from': 's3'}\n")
    return deploy(sandbox, root, "dev")


@needs_node
def test_typescript_service_answers_through_its_alias(sandbox: Sandbox, shapes: Deployment) -> None:
    result = sandbox.invoke("api-dev", "live", {"delay": "2s"})
    assert result.ok and result.executed_version == "1", result.payload
    body = json.loads(json.loads(result.payload)["body"])
    assert body == {"millis": 2000}, body
    assert shapes.service("api").runtime == "nodejs20.x"


def test_zip_in_s3_is_deployed_from_the_sandbox_s3(sandbox: Sandbox, shapes: Deployment) -> None:
    objects = sandbox.client("s3").list_objects_v2(Bucket="team-artifacts")["Contents"]
    assert [o["Key"].split("/")[:2] for o in objects] == [["lambdakit", "big"]]
    result = sandbox.invoke("big-dev", "live", {})
    assert result.ok and json.loads(result.payload) == {"from": "s3"}


def test_image_service_is_created_by_digest_and_reported_as_not_emulated(sandbox: Sandbox, shapes: Deployment) -> None:
    config = sandbox.client("lambda").get_function(FunctionName="img-dev")["Configuration"]
    assert config["PackageType"] == "Image"
    code = sandbox.client("lambda").get_function(FunctionName="img-dev")["Code"]
    assert code["ImageUri"] == IMAGE
    result = sandbox.invoke("img-dev", "live", {})
    assert not result.emulated and "container images are not emulated" in result.error["errorMessage"]


def test_the_artifact_bucket_lambdakit_creates_refuses_requests_without_tls(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lambdakit import limits

    monkeypatch.setattr(limits, "ZIPPED_DIRECT_UPLOAD_MAX_BYTES", 10)  # any bundle goes through S3
    root = tmp_path / "created"
    (root / "src").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: created\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config: {}\n")
    (root / "__main__.py").write_text(
        'from lambdakit import LambdaService\n\nLambdaService("blob", {"code_path": "src"})\n'
    )
    (root / "src" / "handler.py").write_text("def handler(event, context):\n    return 'via s3'\n")
    deployment = deploy(sandbox, root, "dev")
    s3 = sandbox.client("s3")
    [bucket] = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("blob-artifacts")]
    [policy] = [d for d in deployment.deployed if d.type == "aws:s3/bucketPolicy:BucketPolicy"]
    [deny] = json.loads(policy.state["policy"])["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert not policy.emulated and "plain HTTP" in policy.notes[0], "checked by moto, said plainly not enforced"
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    result = sandbox.invoke("blob-dev", "live", {})
    assert result.ok and json.loads(result.payload) == "via s3"

"""What every sandbox mock handler shares: the record of a deployed resource, the provider's auto-naming, input
conversions (JSON text, tags, whole floats, code archives) and ``MocksBase``, the state the handlers read.

The handlers themselves live by AWS service in :mod:`.mocks_lambda` and :mod:`.mocks_services`;
:class:`.mocks.MotoMocks` joins them and dispatches each resource type to one (``HANDLERS``).
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks

from lambdakit.program import DefaultMocks

from .emulator import Sandbox
from .exceptions import SandboxError


@dataclass
class Deployed:
    """One resource as the sandbox deployed (or recorded) it."""

    type: str
    name: str
    id: str
    urn: str = ""
    custom: bool = True
    emulated: bool = True
    parent: str = ""
    state: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def short_type(self) -> str:
        return self.type.split(":")[-1] if self.type.count(":") == 2 else self.type


def autoname(name: str, stack: str = "") -> str:
    """The provider's auto-name shape (``<name>-<7 hex>``), deterministic per stack so that runs are repeatable and
    several stacks can share one emulator, as they share an AWS account."""
    return f"{name}-{hashlib.sha1(f'{stack}/{name}'.encode()).hexdigest()[:7]}"


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _tags(value: Any) -> list[dict[str, str]]:
    return [{"Key": str(k), "Value": str(v)} for k, v in (value or {}).items()]


def _drop_none(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None and v != {} and v != []}


def _zip_dir(path: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            zf.write(file, file.relative_to(path).as_posix())
    return buf.getvalue()


def archive_bytes(archive: Any, what: str) -> bytes:
    """A pulumi ``FileArchive`` (zip file or folder) or ``AssetArchive`` -> zip bytes."""
    if isinstance(archive, pulumi.FileArchive):
        path = Path(archive.path)
        if path.is_dir():
            return _zip_dir(path)
        if not path.exists():
            raise SandboxError(f"{what}: the code archive {path} does not exist")
        if path.suffix.lower() not in (".zip", ".jar"):
            raise SandboxError(f"{what}: only .zip archives and folders are supported as code, got {path}")
        return path.read_bytes()
    if isinstance(archive, pulumi.AssetArchive):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, asset in sorted(archive.assets.items()):
                if isinstance(asset, pulumi.StringAsset):
                    zf.writestr(name, asset.text)
                elif isinstance(asset, pulumi.FileAsset):
                    zf.write(asset.path, name)
                elif isinstance(asset, pulumi.FileArchive):
                    with zipfile.ZipFile(io.BytesIO(archive_bytes(asset, what))) as inner:
                        for info in inner.infolist():
                            zf.writestr(f"{name}/{info.filename}", inner.read(info))
                else:
                    raise SandboxError(f"{what}: unsupported asset {type(asset).__name__} for {name!r}")
        return buf.getvalue()
    raise SandboxError(f"{what}: code must be a pulumi.FileArchive or AssetArchive, got {type(archive).__name__}")


def _ints(value: Any) -> Any:
    """Whole floats -> ints: the engine's property values carry every number as a float (1209600.0), which AWS
    APIs taking integer strings reject."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def provider_call(fallback: pulumi_mocks.Mocks, args: pulumi_mocks.MockCallArgs) -> tuple[dict, list[tuple[str, str]]]:
    """Provider functions (invokes) under the sandbox's mocks: ``fallback`` answers, except for policy documents.

    The failures list is never ``None``: the SDK's mock monitor iterates it.
    """
    # DefaultMocks renders getPolicyDocument as the provider does (real IAM JSON, which moto validates).
    result = fallback.call(args)
    if isinstance(result, dict):
        return result, []
    return result[0], list(result[1] or [])


def queue_attributes(inp: Mapping[str, Any]) -> dict[str, str]:
    """CreateQueue/SetQueueAttributes attributes from a queue's inputs."""
    mapping = {
        "VisibilityTimeout": "visibilityTimeoutSeconds",
        "MessageRetentionPeriod": "messageRetentionSeconds",
        "DelaySeconds": "delaySeconds",
        "MaximumMessageSize": "maxMessageSize",
        "ReceiveMessageWaitTimeSeconds": "receiveWaitTimeSeconds",
        "RedrivePolicy": "redrivePolicy",
        "RedriveAllowPolicy": "redriveAllowPolicy",
        "Policy": "policy",
        "KmsMasterKeyId": "kmsMasterKeyId",
        "KmsDataKeyReusePeriodSeconds": "kmsDataKeyReusePeriodSeconds",
        "SqsManagedSseEnabled": "sqsManagedSseEnabled",
        "FifoQueue": "fifoQueue",
        "ContentBasedDeduplication": "contentBasedDeduplication",
    }
    attributes = {}
    for attr, key in mapping.items():
        value = inp.get(key)
        if value is None or value == "" or (key in ("fifoQueue", "contentBasedDeduplication") and not value):
            continue
        attributes[attr] = (
            str(value).lower() if isinstance(value, bool) else (_json_text(value) if attr.endswith("y") else str(value))
        )
    return attributes


def _role_name(value: str) -> str:
    return value.split("/")[-1] if value.startswith("arn:") else value


def _queue_name(arn: str) -> str:
    return arn.split(":")[5]


#: What a handler returns: physical id, computed attributes, whether moto emulated it, notes for the report.
Result = tuple[str, dict[str, Any], bool, list[str]]


class MocksBase:
    """The state every handler reads: the sandbox, the stack, the deploy's history and what has been deployed."""

    def __init__(
        self, sandbox: Sandbox, *, history: Mapping[str, int] | None = None, stack: str = "", fresh: bool = False
    ) -> None:
        self.sandbox = sandbox
        self.stack = stack
        self.fresh = fresh
        self.history = dict(history or {})
        self.deployed: list[Deployed] = []
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._fallback = DefaultMocks()

    def client(self, service: str) -> Any:
        return self.sandbox.client(service)

    def autoname(self, name: str) -> str:
        return autoname(name, self.stack)

    def prefixed(self, inp: Mapping[str, Any], name: str) -> str:
        prefix = inp.get("namePrefix")
        return f"{prefix}{self.autoname(name)[-7:]}" if prefix else self.autoname(name)

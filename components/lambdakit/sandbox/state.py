"""What a stateful sandbox stack holds between ``up``s: one record per resource, as Pulumi's state would.

Each record keeps the resource's URN, type, name, the inputs the program gave (normalised: code archives become the
digest of their files, so a rebuilt bundle with the same files is the same input), the physical id and the outputs
the sandbox returned. The next ``up`` of the stack compares the program's inputs with these records to decide what
is created, updated, replaced or deleted (:mod:`lambdakit.sandbox.diff`).

The record is a JSON file per stack (``<state dir>/<stack>.json``); it also keeps the stack's config set through
the driver (``set_config``/``remove_config``, as ``pulumi config set`` writes ``Pulumi.<stack>.yaml``).

Secrets never reach the file. A secret input is recorded as the digest of its value (``{"__secret": sha256}``), so a
changed secret is still an update and an unchanged one is not; in the recorded outputs every secret the run met is
``[secret]`` (as ``pulumi stack export`` shows ciphertext). The file is readable by its owner only.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from lambdakit.policies._redact import SECRET_SIG, SIG_KEY
from lambdakit.redact import redact_obj

#: Format version of the state file; a file of another version is refused with its path.
STATE_VERSION = 1


def _archive_digest(value: Any) -> str:
    from .mocks import archive_bytes

    data = archive_bytes(value, "state")
    digest = hashlib.sha256()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir():
                continue
            digest.update(info.filename.encode() + b"\0" + hashlib.sha256(archive.read(info)).digest())
    return digest.hexdigest()


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def without_secrets(value: Any) -> Any:
    """Outputs -> plain JSON with every secret the run met (``lambdakit.redact``) shown as ``[secret]``."""
    return normalise(redact_obj(value))


def normalise(value: Any) -> Any:
    """Inputs -> plain JSON: archives and assets by content digest, secrets by the digest of their value, whole
    floats as ints, keys sorted."""
    if isinstance(value, Mapping) and value.get(SIG_KEY) == SECRET_SIG:
        return {"__secret": _digest(normalise(value.get("value")))}
    if isinstance(value, pulumi.Archive):
        return {"__archive": _archive_digest(value)}
    if isinstance(value, pulumi.FileAsset):
        return {"__asset": hashlib.sha256(Path(value.path).read_bytes()).hexdigest()}
    if isinstance(value, pulumi.StringAsset):
        return {"__asset": hashlib.sha256(value.text.encode()).hexdigest()}
    if isinstance(value, pulumi.Asset):
        return {"__asset": repr(value)}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): normalise(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


@dataclass
class ResourceRecord:
    """One resource of a sandbox stack."""

    urn: str
    type: str
    name: str
    custom: bool
    inputs: dict[str, Any]
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    parent: str = ""
    emulated: bool = True

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> ResourceRecord:
        return cls(**{k: body[k] for k in cls.__dataclass_fields__ if k in body})


@dataclass
class StackState:
    """A sandbox stack: its resources in creation order and the config set on it."""

    stack: str
    project: str = ""
    program_dir: str = ""
    resources: list[ResourceRecord] = field(default_factory=list)
    config: dict[str, str] = field(default_factory=dict)
    ups: int = 0

    def by_key(self) -> dict[tuple[str, str, int], ResourceRecord]:
        """(type, name, occurrence) -> record: what a mock sees of a resource (it is not told the URN)."""
        seen: dict[tuple[str, str], int] = {}
        out: dict[tuple[str, str, int], ResourceRecord] = {}
        for record in self.resources:
            n = seen.get((record.type, record.name), 0)
            seen[(record.type, record.name)] = n + 1
            out[(record.type, record.name, n)] = record
        return out

    def pulumi_state(self) -> dict[str, Any]:
        """The record as a ``pulumi stack export`` document (``lambdakit.ops.services_from_state`` reads it)."""
        return {
            "deployment": {
                "resources": [
                    {"urn": r.urn, "type": r.type, "id": r.id, "outputs": r.outputs, "parent": r.parent}
                    for r in self.resources
                ]
            }
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "stack": self.stack,
            "project": self.project,
            "programDir": self.program_dir,
            "ups": self.ups,
            "config": self.config,
            "resources": [r.to_json() for r in self.resources],
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any], where: str = "state") -> StackState:
        if body.get("version") != STATE_VERSION:
            raise ValueError(f"{where}: state format version {body.get('version')!r}, expected {STATE_VERSION}")
        return cls(
            stack=str(body["stack"]),
            project=str(body.get("project", "")),
            program_dir=str(body.get("programDir", "")),
            ups=int(body.get("ups", 0)),
            config={str(k): str(v) for k, v in (body.get("config") or {}).items()},
            resources=[ResourceRecord.from_json(r) for r in body.get("resources") or []],
        )


class StateStore:
    """Stack records in a folder, one JSON file per stack, written atomically (a crash leaves the old file)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def path(self, stack: str) -> Path:
        return self.folder / f"{stack}.json"

    def load(self, stack: str) -> StackState:
        path = self.path(stack)
        if not path.exists():
            return StackState(stack)
        try:
            return StackState.from_json(json.loads(path.read_text()), str(path))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a sandbox state file ({exc}); remove it to start the stack afresh") from exc

    def save(self, state: StackState) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(state.stack)
        fd, tmp = tempfile.mkstemp(prefix=f".{state.stack}.", suffix=".tmp", dir=self.folder)  # mode 0600
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(state.to_json(), out, indent=1, sort_keys=False, default=str)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def remove(self, stack: str) -> None:
        self.path(stack).unlink(missing_ok=True)

    def stacks(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.json")) if self.folder.is_dir() else []

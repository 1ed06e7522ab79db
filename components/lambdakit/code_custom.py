"""Custom runtimes (``provided.al2023``, ``provided.al2``) and the ``build_command`` that makes their code.

A custom runtime's code is an executable ``bootstrap`` at the zip's root (a Go, Rust or C++ build). The zip keeps it
executable (mode 0755, see :mod:`lambdakit.bundling`), and an ELF ``bootstrap`` is checked to be built for the
function's architecture before anything is created: an x86_64 binary on arm64 fails only at the first invocation.

``build_command`` (an argument list, no shell) runs in the code folder before it is zipped, with ``GOOS=linux``,
``GOARCH`` (``arm64``/``amd64``) and ``LAMBDAKIT_ARCHITECTURE`` set for the function's architecture; a failure stops
the program with the command's output tail.
"""

from __future__ import annotations

import os
import subprocess
import zipfile
from typing import Any

from . import limits
from .validation import Field

__all__ = ["BUILD_TIMEOUT_S", "check_bootstrap", "run_build_command", "validate_build_command"]

BUILD_TIMEOUT_S = 900
_GOARCH = {"arm64": "arm64", "x86_64": "amd64"}
_ELF_NAMES = {0xB7: "arm64", 0x3E: "x86_64", 0x03: "x86 (32-bit)", 0x28: "arm (32-bit)"}


def validate_build_command(field: Field, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = field.sequence(value, min_len=1, what="a command as a list of arguments such as ['make', 'bootstrap']")
    return tuple(field.index(i).string(v, plain=True) for i, v in enumerate(items))


def run_build_command(field: Field, command: tuple[str, ...], folder: str, architecture: str) -> None:
    """Run ``command`` in ``folder`` for the function's architecture; a failure is an input error of ``field``."""
    env = {**os.environ, "GOOS": "linux", "GOARCH": _GOARCH[architecture], "LAMBDAKIT_ARCHITECTURE": architecture}
    try:
        result = subprocess.run(
            list(command), cwd=folder, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
        )
    except FileNotFoundError:
        raise field.fail(f"{command[0]!r} was not found (running {list(command)!r} in {folder!r})") from None
    except subprocess.TimeoutExpired:
        raise field.fail(f"{list(command)!r} did not finish within {BUILD_TIMEOUT_S} s in {folder!r}") from None
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip()[-1500:]
        raise field.fail(f"{list(command)!r} failed in {folder!r} with exit code {result.returncode}: {tail}")


def _elf_machine(data: bytes) -> int | None:
    if not data.startswith(b"\x7fELF") or len(data) < 20:
        return None
    return int.from_bytes(data[18:20], "little" if data[5] == 1 else "big")


def check_bootstrap(field: Field, zip_path: str, architecture: str, *, has_layers: bool) -> None:
    """The zip has a ``bootstrap`` at its root (unless a layer may bring it), built for ``architecture``."""
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        if "bootstrap" not in names:
            if has_layers:
                return  # a layer may provide /opt/bootstrap
            raise field.fail(
                f"holds no 'bootstrap' at its root; a custom runtime ({', '.join(limits.CUSTOM_RUNTIMES)}) runs that "
                "executable: build it there (e.g. `go build -o bootstrap`, `cargo lambda build`) or set build_command"
            )
        with archive.open("bootstrap") as f:
            head = f.read(64)
    machine = _elf_machine(head)
    if machine is not None and machine != limits.ELF_MACHINE[architecture]:
        built = _ELF_NAMES.get(machine, f"ELF machine {machine:#x}")
        raise field.fail(
            f"has a 'bootstrap' built for {built}, but the function's architecture is {architecture}; rebuild it for "
            f"{architecture} (GOARCH={_GOARCH[architecture]}) or change architecture"
        )

"""What every ``lambdakit`` subcommand shares: one-line usage errors (exit 2), the program folder and paths.

A usage or input error (an unknown option, a missing folder, no ``Pulumi.yaml``, no ``Pulumi.<stack>.yaml``, a
config value of the wrong type) is one line that names the path or key, with exit code 2, never a traceback.
Exit code 1 is kept for a verdict: a mandatory policy violation, a failed invocation, a rolled-back canary.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TypeVar

#: Exit codes shared by every subcommand.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad input from the caller; printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (``lambdakit <cmd>: error: ...``) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def parser(command: str, description: str, **kwargs: object) -> Parser:
    return Parser(
        prog=f"lambdakit {command}",
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **kwargs,  # type: ignore[arg-type]
    )


def caller_path(value: str | os.PathLike[str]) -> Path:
    """A path as the caller meant it: relative to the directory the command was started in."""
    return Path(os.path.abspath(os.path.expanduser(os.fspath(value))))


def program_dir(value: str | os.PathLike[str] | None) -> Path:
    """The Pulumi program folder (default: the current directory), which must exist and hold ``Pulumi.yaml``."""
    path = caller_path(value if value is not None else ".")
    if not path.exists():
        raise UsageError(f"program folder {path} does not exist")
    if not path.is_dir():
        raise UsageError(f"program folder {path} is not a folder")
    if not (path / "Pulumi.yaml").is_file():
        hint = " (Pulumi.yml is not read: rename it to Pulumi.yaml)" if (path / "Pulumi.yml").is_file() else ""
        raise UsageError(
            f"{path} has no Pulumi.yaml{hint}: run the command in a Pulumi program folder, pass --program DIR, "
            "or create one with `lambdakit init`"
        )
    return path


def stack_file(program: Path, stack: str) -> Path:
    """``Pulumi.<stack>.yaml`` of the program, which must exist."""
    path = program / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in program.glob("Pulumi.*.yaml"))
        raise UsageError(f"stack {stack!r}: {path} does not exist (stacks here: {', '.join(known) or 'none'})")
    return path


def stacks_of(program: Path) -> list[str]:
    """Every stack with a ``Pulumi.<stack>.yaml``, dev, staging and prod first."""
    order = {"dev": 0, "staging": 1, "prod": 2}
    names = [p.name[len("Pulumi.") : -len(".yaml")] for p in program.glob("Pulumi.*.yaml")]
    return sorted(names, key=lambda n: (order.get(n, 9), n))


def debugging() -> bool:
    """``LAMBDAKIT_DEBUG=1``: let unexpected exceptions through with their traceback instead of one line."""
    return os.environ.get("LAMBDAKIT_DEBUG", "") not in ("", "0")


def fail(prog: str, message: str, code: int = EXIT_USAGE) -> int:
    """Print one error line for ``prog`` and return ``code``."""
    print(f"{prog}: error: {' '.join(message.split())}", file=sys.stderr)
    return code


def key_value(items: Sequence[str], option: str) -> dict[str, str]:
    """``KEY=VALUE`` options (``--config``) as a dict; a malformed item is a usage error."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{option} expects KEY=VALUE, got {item!r}")
        out[key] = value
    return out


F = TypeVar("F", bound=Callable[..., int])


def command(name: str) -> Callable[[F], F]:
    """Wrap a subcommand's ``main``: a :class:`UsageError` becomes one line and exit code 2, Ctrl-C one line and 130,
    whether it runs under ``lambdakit`` or is called directly."""

    def wrap(func: F) -> F:
        @functools.wraps(func)
        def run(*args: object, **kwargs: object) -> int:
            try:
                return func(*args, **kwargs)
            except UsageError as exc:
                return fail(f"lambdakit {name}", str(exc))
            except KeyboardInterrupt:
                print(f"lambdakit {name}: interrupted", file=sys.stderr)
                return EXIT_INTERRUPTED
            except SystemExit as exc:  # argparse's usage errors and --help
                return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)

        return run  # type: ignore[return-value]

    return wrap

"""The ``lambdakit`` command (also ``python -m lambdakit``): one entry point for every tool, on any program folder.

    lambdakit init [DIR]              scaffold a new program: Pulumi.yaml, stacks, a service, its test, policy config
    lambdakit plan [--stack S]        offline plan: each stack's resources and key settings (no AWS, no Pulumi CLI)
    lambdakit gate --stack S          offline policy gate: the program under mocks, checked by the policy pack
    lambdakit sandbox [--stack S]     deploy a stack into a local AWS emulator and invoke each function
    lambdakit invoke SERVICE          invoke a service's alias (result + decoded log tail, Event, DryRun)
    lambdakit prune [SERVICE|--all]   delete old versions no alias uses
    lambdakit canary SERVICE          shift an alias's traffic to a new version step by step, promote or roll back
    lambdakit release                 dev -> staging -> prod: gate, up, smoke, canary, prune (Automation API)
    lambdakit local up|destroy        the program's `local` stack with the real Pulumi CLI on a moto server
    lambdakit policy-pack             print the folder of the installed policy pack (for `pulumi preview --policy-pack`)

The program folder defaults to the current directory (``--program DIR`` elsewhere); every path you give is relative
to the directory you run the command in. Exit codes: 0 success, 1 a failed verdict (a mandatory policy violation, a
failed invocation, a rolled-back canary), 2 a usage or input error (one line naming the path or key), 130
interrupted.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

from ._version import __version__
from .cliutil import EXIT_INTERRUPTED, EXIT_USAGE, UsageError, fail

#: command -> (module, function, one-line help). Modules load on use, so `lambdakit --version` stays fast.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("lambdakit.scaffold", "main", "scaffold a new lambdakit program"),
    "plan": ("lambdakit.plan", "main", "offline plan of each stack (no AWS, no Pulumi CLI)"),
    "gate": ("lambdakit.gate.cli", "main", "offline policy gate for a stack"),
    "sandbox": ("lambdakit.sandbox.__main__", "main", "deploy a stack into a local AWS emulator and invoke it"),
    "invoke": ("lambdakit.ops_cli", "invoke_main", "invoke a service's alias"),
    "prune": ("lambdakit.ops_cli", "prune_main", "delete old versions no alias uses"),
    "canary": ("lambdakit.ops_cli", "canary_main", "shift traffic to a new version with health checks"),
    "release": ("lambdakit.ops_cli", "release_main", "dev -> staging -> prod through the Automation API"),
    "local": ("lambdakit.local", "main", "the local stack on a moto server (needs the Pulumi CLI)"),
    "policy-pack": ("lambdakit.ops_cli", "policy_pack_main", "print the folder of the installed policy pack"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [
        f"lambdakit {__version__}: Pulumi components for AWS Lambda, a policy pack and the tools around them.",
        "",
        "usage: lambdakit <command> [options]   (lambdakit <command> --help for its options)",
        "",
        "commands:",
    ]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, _, help_) in COMMANDS.items()]
    lines += ["", "  --version   print the version", "", *__doc__.split("\n\n")[2:3]]
    return "\n".join(lines)


def _entry(command: str) -> Callable[[list[str]], int]:
    module, function, _ = COMMANDS[command]
    return getattr(importlib.import_module(module), function)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0 if args else EXIT_USAGE
    if args[0] in ("--version", "-V", "version"):
        print(f"lambdakit {__version__}")
        return 0
    command, rest = args[0], args[1:]
    if command not in COMMANDS:
        import difflib

        close = difflib.get_close_matches(command, COMMANDS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; commands: {', '.join(COMMANDS)}"
        return fail("lambdakit", f"unknown command {command!r}{hint}")
    from lambdakit.policies._compat import UnsupportedDependencyError

    try:
        return int(_entry(command)(rest))
    except UsageError as exc:
        return fail(f"lambdakit {command}", str(exc))
    except UnsupportedDependencyError as exc:  # a library outside the tested range (see lambdakit._pulumi_compat)
        return fail(f"lambdakit {command}", str(exc))
    except KeyboardInterrupt:
        print(f"lambdakit {command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_USAGE


#: Commands that evaluate one program and exit: the cyclic garbage collector stays off for the whole process. It
#: is off during the evaluation anyway (``_pulumi_compat.fast_mocked_evaluation``); switched back on, its first
#: passes rescan every object the evaluation left (about 0.6 CPU-seconds at 200 services) to free little that the
#: exit would not. (``plan`` evaluates several stacks in turn and needs it between them.)
NO_GC_COMMANDS = frozenset({"gate"})


def entry() -> None:
    """The ``lambdakit`` console command and ``python -m lambdakit``: :func:`main`, then :func:`exit_now`."""
    import gc

    if sys.argv[1:2] and sys.argv[1] in NO_GC_COMMANDS:
        gc.disable()
    exit_now(main())


def exit_now(code: int) -> None:
    """End the process with ``code`` without tearing the interpreter down object by object.

    After a gate or a plan of a large program the process holds millions of objects (the SDK's Outputs, futures and
    tasks); freeing them one by one at interpreter shutdown took 2.6 s for 200 services. The command has returned, so
    its files are closed; what a normal exit does before that teardown still happens here, in the same order: the
    output streams are flushed, non-daemon threads are joined (``threading._shutdown``, which also stops idle thread
    pools) and ``atexit`` handlers run (temporary folders registered with ``weakref.finalize``, logging's flush).
    Where those CPython hooks are missing, it is an ordinary ``SystemExit``. Only the process's own entry point calls
    this; ``main()`` called from Python returns as before."""
    import atexit
    import contextlib
    import os
    import threading

    shutdown = getattr(threading, "_shutdown", None)
    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)
    if shutdown is None or run_exitfuncs is None or threading.current_thread() is not threading.main_thread():
        raise SystemExit(code)

    def flush() -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more can reach the reader
                stream.flush()

    flush()
    shutdown()
    run_exitfuncs()
    flush()
    os._exit(code)


if __name__ == "__main__":
    entry()

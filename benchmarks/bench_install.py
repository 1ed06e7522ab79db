"""Benchmark: lambdakit as a new team meets it. Builds the wheel from a copy of this checkout, installs it with its
dependencies (``[sandbox]``) into a fresh virtual environment outside the checkout, then times each command on a
new `lambdakit init` program: init, plan, gate --stack prod, sandbox.

    python benchmarks/bench_install.py [--keep DIR]

Prints the wheel's size, the install time (pip's cache as it is on this machine: a first install on a new machine
downloads about 150 MB more), the size of the installed environment and each command's wall time. Everything is
created in a temporary folder and removed at the end unless --keep names a folder to keep it in.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - started, done


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", help="build in this folder and keep it (default: a temporary folder, removed)")
    args = parser.parse_args(argv)
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="lambdakit-bench-install-"))
    base.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PYTHONWARNINGS"] = "ignore"
    try:
        source = base / "source"
        shutil.copytree(
            ROOT,
            source,
            ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__", ".lambdakit"),
        )
        pip = [sys.executable, "-m", "pip"]
        seconds, done = timed([*pip, "wheel", "--no-deps", "-q", "-w", str(base / "dist"), str(source)], base, env)
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return 1
        [wheel] = list((base / "dist").glob("lambdakit-*.whl"))
        print(f"wheel        {wheel.name}: {wheel.stat().st_size / 1024:.0f} KB, built in {seconds:.1f} s")
        venv = base / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        seconds, done = timed(
            [*pip, "--python", str(venv / "bin" / "python"), "install", "-q", f"{wheel}[sandbox]"], base, env
        )
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return 1
        print(
            f"install      {seconds:.1f} s into a fresh venv with its dependencies; venv {size_of(venv) / 1e6:.0f} MB"
        )
        bin_dir = venv / "bin"
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
        program = base / "billing"
        for name, cmd, cwd in (
            ("init", ["lambdakit", "init", "billing"], base),
            ("plan", ["lambdakit", "plan"], program),
            ("gate prod", ["lambdakit", "gate", "--stack", "prod", "--sarif", "out.sarif"], program),
            ("sandbox", ["lambdakit", "sandbox"], program),
            ("--version", ["lambdakit", "--version"], program),
        ):
            seconds, done = timed([str(bin_dir / cmd[0]), *cmd[1:]], cwd, env)
            print(f"{name:<12} {seconds:5.2f} s  exit {done.returncode}")
            if done.returncode:
                print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
                return 1
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

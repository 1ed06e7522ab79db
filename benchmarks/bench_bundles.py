"""Benchmark: how long a deployment bundle takes to build, cold and cached, for each kind of code lambdakit builds.

    python benchmarks/bench_bundles.py [--repeat 3]

Kinds (the fixtures of tests/unit/code_fixtures, plus a requirements.txt folder):

- Python, requirements.txt (``markupsafe==3.0.2``: a compiled wheel, installed for arm64 on any builder);
- Python, uv.lock (``six``, exported by uv then installed the same way);
- Node.js, package-lock.json (``npm ci --omit=dev`` for linux/arm64: ``ms`` and esbuild's native arm64 package);
- TypeScript, bundled by esbuild (the pinned esbuild is installed into the cache by the first build).

"Cold" is a build with an empty lambdakit cache (``LAMBDAKIT_CACHE_DIR`` pointed at a new folder) and an empty build
folder: dependencies are installed, esbuild is installed. pip's and npm's own download caches are left as they are on
this machine (a first build on a new machine also downloads the packages). "Cached" is the same build again in a new
build folder, so the zip is written again but nothing is installed. Each figure is the median of ``--repeat`` runs;
the hash of every build of one kind must be the same, or the benchmark fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "components"))

from lambdakit import bundling, bundling_node  # noqa: E402

FIXTURES = ROOT / "tests" / "unit" / "code_fixtures"


def _python_requirements(work: Path) -> Path:
    folder = work / "py_requirements"
    folder.mkdir(exist_ok=True)
    (folder / "handler.py").write_text("import markupsafe\n\n\ndef handler(event, context):\n    return 1\n")
    (folder / "requirements.txt").write_text("markupsafe==3.0.2\n")
    return folder


def _fixture(name: str) -> Callable[[Path], Path]:
    def copy(work: Path) -> Path:
        dest = work / name
        if not dest.exists():
            shutil.copytree(FIXTURES / name, dest)
        return dest

    return copy


KINDS: dict[str, tuple[Callable[[Path], Path], dict[str, object]]] = {
    "Python requirements.txt": (_python_requirements, {"runtime": "python3.12"}),
    "Python uv.lock": (_fixture("uv_project"), {"runtime": "python3.12"}),
    "Node.js package-lock": (_fixture("node_native"), {"runtime": "nodejs20.x", "handler": "index.handler"}),
    "TypeScript esbuild": (
        _fixture("ts_service"),
        {"runtime": "nodejs20.x", "handler": "src/app.handler", "bundle": bundling_node.NodeBundleOptions()},
    ),
}


def build(source: Path, settings: dict[str, object], build_dir: Path) -> tuple[float, str, int]:
    runtime = str(settings["runtime"])
    started = time.perf_counter()
    if runtime.startswith("python"):
        bundle = bundling.build_function_bundle(
            str(source), runtime=runtime, architecture="arm64", name="bench", build_dir=build_dir
        )
    else:
        bundle = bundling_node.build_node_bundle(
            str(source),
            runtime=runtime,
            architecture="arm64",
            name="bench",
            handler=str(settings["handler"]),
            bundle=settings.get("bundle"),  # type: ignore[arg-type]
            build_dir=build_dir,
        )
    return time.perf_counter() - started, bundle.source_code_hash, bundle.size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is printed)")
    args = parser.parse_args(argv)
    if shutil.which("npm") is None:
        print("npm (Node.js) is not on PATH: the Node.js and TypeScript builds cannot run", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="lambdakit-bench-bundles-"))
    previous = os.environ.get("LAMBDAKIT_CACHE_DIR")
    failed = False
    try:
        print(f"{'kind':<26} {'cold (s)':>9} {'cached (s)':>11} {'zip':>10}  hash")
        for kind, (make, settings) in KINDS.items():
            source = make(work)
            cold, cached, hashes, size = [], [], set(), 0
            for run in range(args.repeat):
                os.environ["LAMBDAKIT_CACHE_DIR"] = str(work / f"cache-{kind}-{run}".replace(" ", "_"))
                seconds, digest, size = build(source, settings, work / f"build-cold-{run}")
                cold.append(seconds)
                hashes.add(digest)
                seconds, digest, _ = build(source, settings, work / f"build-cached-{run}")
                cached.append(seconds)
                hashes.add(digest)
            line = (
                f"{kind:<26} {statistics.median(cold):>9.2f} {statistics.median(cached):>11.3f} "
                f"{size / 1024:>8.0f} KB  {sorted(hashes)[0][:12]}"
            )
            if len(hashes) != 1:
                line += f"  NOT DETERMINISTIC: {sorted(hashes)}"
                failed = True
            print(line, flush=True)
    finally:
        if previous is None:
            os.environ.pop("LAMBDAKIT_CACHE_DIR", None)
        else:
            os.environ["LAMBDAKIT_CACHE_DIR"] = previous
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

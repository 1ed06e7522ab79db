"""Node.js deployment packages: production dependencies installed from the lockfile for the function's architecture,
or one file bundled by esbuild (TypeScript included), zipped deterministically like the Python bundles
(:mod:`lambdakit.bundling`: sorted entries, fixed timestamps, modes from content).

Installing (a folder with ``package.json`` and ``package-lock.json`` or ``npm-shrinkwrap.json``):
``npm ci --omit=dev --os=linux --cpu=<arm64|x64> --libc=glibc --ignore-scripts``. ``npm ci`` installs exactly the
lockfile and fails when ``package.json`` and the lockfile disagree; ``--cpu``/``--os``/``--libc`` select the native
optional packages of the *function's* platform (``@esbuild/linux-arm64`` on an x86 builder), and install scripts do
not run, because a script runs on the builder and would build for the builder's machine. The install is cached under
``~/.cache/lambdakit/node-deps/<key>`` (``LAMBDAKIT_CACHE_DIR`` overrides the root), keyed by both files'
contents, the target platform and npm's major version.

Bundling (``bundle``): esbuild, from the npm package pinned in :data:`ESBUILD_VERSION`, installed once into
``<cache>/tools/esbuild-<version>``; its binary comes from the registry like any package. The entry point is the
handler's module (``src/app.handler`` -> ``src/app.ts``, ``.mts``, ``.cts``, ``.js``, ``.mjs`` or ``.cjs``), the
output one CommonJS file named after the module (``src/app.js``, what Lambda loads for that handler), the target the
runtime's Node.js major, and ``@aws-sdk/*`` stays external (the runtime provides it). The folder's dependencies are
installed first for the target platform from the lockfile (dev dependencies included: a bundler only takes what is
imported, and bundled projects keep build-time packages there). Sources are copied to a scratch folder first so paths
in the output (comments, source maps) are relative and the same in any checkout.

What goes in a non-bundled zip: the folder's files (hidden files and folders, ``node_modules``, lockfiles, tests
(``test/``, ``tests/``, ``__tests__/``, ``*.test.*``, ``*.spec.*``) and TypeScript sources left out) and the installed
``node_modules`` without ``.bin`` (links to the builder's paths) and npm's ``.package-lock.json``. Dotted folders of
installed packages are kept: some are needed at run time (``node_modules/.prisma``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import bundling
from .bundling import BuildOptions, Bundle, PackagingError

__all__ = [
    "ESBUILD_VERSION",
    "LOCKFILES",
    "NodeBundleOptions",
    "build_node_bundle",
    "build_node_layer_bundle",
    "ensure_esbuild",
    "install_node_modules",
    "node_major",
    "node_source_files",
    "npm_platform",
]

#: esbuild from npm, pinned exactly (a new version can change the output bytes, hence every bundle's hash).
ESBUILD_VERSION = "0.28.2"
LOCKFILES = ("npm-shrinkwrap.json", "package-lock.json")
_OTHER_LOCKFILES = ("yarn.lock", "pnpm-lock.yaml", "bun.lockb", "bun.lock")
_NODE_RUNTIME_RE = re.compile(r"^nodejs(\d+)\.x$")
_CPU = {"arm64": "arm64", "x86_64": "x64"}
_CACHE_FORMAT = "1"
_SOURCE_EXTENSIONS = (".ts", ".mts", ".cts", ".js", ".mjs", ".cjs")
_TS_SUFFIXES = (".ts", ".mts", ".cts")
_EXCLUDED_DIRS = frozenset({"node_modules", "test", "tests", "__tests__", "coverage"})
_TEST_FILE_RE = re.compile(r"\.(test|spec)\.[cm]?[jt]sx?$")
_DEV_FILES = frozenset({"tsconfig.json", "jest.config.js", "jest.config.ts", "vitest.config.ts", *LOCKFILES})


@dataclass(frozen=True)
class NodeBundleOptions:
    """How esbuild bundles the handler (from the service's ``bundle`` input)."""

    source_map: bool = False
    minify: bool = False
    externals: tuple[str, ...] = ()


def node_major(runtime: str) -> int | None:
    """``"nodejs20.x"`` -> ``20``; ``None`` for a runtime that is not Node.js."""
    match = _NODE_RUNTIME_RE.match(runtime) if isinstance(runtime, str) else None
    return int(match.group(1)) if match else None


def npm_platform(architecture: str) -> list[str]:
    """npm's ``--os/--cpu/--libc`` for a Lambda architecture (Lambda's Node.js runtimes run on glibc Linux)."""
    return ["--os=linux", f"--cpu={_CPU[architecture]}", "--libc=glibc"]


def runtime_externals(runtime: str) -> tuple[str, ...]:
    """Packages the runtime provides: the AWS SDK v3 from Node.js 18 on, v2 before."""
    major = node_major(runtime) or 0
    return ("@aws-sdk/*",) if major >= 18 else ("aws-sdk",)


def _npm(name: str, folder: Path) -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise PackagingError(
            f"{name}: {folder} has a package.json with dependencies, and installing them needs npm (it comes with "
            "Node.js), which is not on PATH; install Node.js, or vendor the dependencies into a layer"
        )
    return npm


@functools.cache
def _npm_major(npm: str) -> str:
    result = subprocess.run([npm, "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip().split(".", 1)[0] or "unknown"


def _package_json(name: str, folder: Path) -> dict[str, object]:
    path = folder / "package.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{name}: {path} is not readable JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{name}: {path} must hold a JSON object")
    return data


def _has_dependencies(package: dict[str, object], include_dev: bool) -> bool:
    keys = ["dependencies", "optionalDependencies", *(["devDependencies"] if include_dev else [])]
    return any(isinstance(package.get(k), dict) and package[k] for k in keys)


def _lockfile(name: str, folder: Path) -> Path:
    for candidate in LOCKFILES:
        if (folder / candidate).is_file():
            return folder / candidate
    other = [f for f in _OTHER_LOCKFILES if (folder / f).is_file()]
    hint = f" ({', '.join(other)} is not read: lambdakit installs with npm ci)" if other else ""
    raise ValueError(
        f"{name}: {folder} has a package.json with dependencies but no package-lock.json{hint}; run `npm install` "
        "there and commit the lockfile, so every build installs the same versions"
    )


def install_node_modules(
    folder: str | os.PathLike[str],
    *,
    architecture: str,
    name: str = "packaging",
    include_dev: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path | None:
    """``npm ci`` of a folder for the function's platform; returns the cached ``node_modules`` (None when
    ``package.json`` declares no dependencies to install)."""
    root = Path(folder).resolve()
    package = _package_json(name, root)
    if not _has_dependencies(package, include_dev):
        return None
    lock = _lockfile(name, root)
    npm = _npm(name, root)
    digest = hashlib.sha256()
    for part in (
        _CACHE_FORMAT,
        _npm_major(npm),
        " ".join(npm_platform(architecture)),
        "dev" if include_dev else "prod",
        (root / "package.json").read_bytes().decode("utf-8-sig").replace("\r\n", "\n"),
        lock.read_bytes().decode("utf-8-sig").replace("\r\n", "\n"),
    ):
        digest.update(part.encode())
        digest.update(b"\0")
    cache = bundling._cache_root(cache_dir) / "node-deps"
    final = cache / digest.hexdigest()
    if (final / "node_modules").is_dir():
        return final / "node_modules"
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name[:12]}-", dir=cache))
    try:
        shutil.copyfile(root / "package.json", staging / "package.json")
        shutil.copyfile(lock, staging / lock.name)
        command = [
            npm,
            "ci",
            *(["--include=dev"] if include_dev else ["--omit=dev"]),
            *npm_platform(architecture),
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--no-progress",
            "--loglevel=error",
        ]
        env = {**os.environ, "NODE_ENV": "development" if include_dev else "production"}
        result = subprocess.run(command, cwd=staging, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()[-2000:]
            raise PackagingError(
                f"{name}: npm ci could not install {root} for linux/{_CPU[architecture]} from {lock.name} "
                f"(is package.json in sync with the lockfile? run `npm install` there): {detail}"
            )
        if not (staging / "node_modules").is_dir():
            (staging / "node_modules").mkdir()
        try:
            staging.rename(final)
        except OSError:
            if not (final / "node_modules").is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final / "node_modules"


def _node_modules_files(node_modules: Path, prefix: str) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for arcname, path in bundling._walk(node_modules, apply_exclusions=False).items():
        parts = arcname.split("/")
        if ".bin" in parts or parts[-1] == ".package-lock.json":
            continue
        files[f"{prefix}{arcname}"] = path
    return files


def _excluded(parts: tuple[str, ...], *, bundled: bool) -> bool:
    *folders, filename = parts
    if any(p.startswith(".") or p in _EXCLUDED_DIRS for p in folders):
        return True
    if filename.startswith(".") or filename in _DEV_FILES or _TEST_FILE_RE.search(filename):
        return True
    return filename.endswith((*_TS_SUFFIXES, ".tsx")) and not bundled


def node_source_files(folder: str | os.PathLike[str], *, bundled: bool = False) -> dict[str, Path]:
    """The folder's own files a Node.js zip takes (``bundled``: the ones esbuild reads, TypeScript included)."""
    root = Path(folder)
    found = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not (d.startswith(".") or d in _EXCLUDED_DIRS))
        rel = Path(dirpath).relative_to(root).parts
        for filename in filenames:
            parts = (*rel, filename)
            if not _excluded(parts, bundled=bundled) and Path(dirpath, filename).is_file():
                found["/".join(parts)] = Path(dirpath, filename)
    return dict(sorted(found.items()))


# --------------------------------------------------------------------------------------------------- esbuild


def ensure_esbuild(*, name: str = "packaging", cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The pinned esbuild, installed once for the builder's machine into the cache; returns its command."""
    tools = bundling._cache_root(cache_dir) / "tools"
    final = tools / f"esbuild-{ESBUILD_VERSION}"
    command = final / "node_modules" / ".bin" / "esbuild"
    if command.exists():
        return command
    npm = shutil.which("npm")
    if npm is None:
        raise PackagingError(
            f"{name}: bundling needs esbuild {ESBUILD_VERSION}, installed with npm (it comes with Node.js), which "
            "is not on PATH; install Node.js, or bundle yourself and deploy the output folder without `bundle`"
        )
    tools.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".esbuild-", dir=tools))
    try:
        (staging / "package.json").write_text('{"name": "lambdakit-tools", "private": true}\n')
        result = subprocess.run(
            [npm, "install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error", f"esbuild@{ESBUILD_VERSION}"],
            cwd=staging,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or not (staging / "node_modules" / ".bin" / "esbuild").exists():
            detail = (result.stderr or result.stdout).strip()[-2000:]
            raise PackagingError(f"{name}: npm could not install esbuild@{ESBUILD_VERSION}: {detail}")
        try:
            staging.rename(final)
        except OSError:
            if not command.exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return command


def handler_module(handler: str) -> str:
    """``"src/app.handler"`` -> ``"src/app"`` (Node.js handlers name a file path and an export)."""
    if not isinstance(handler, str) or "." not in handler:
        raise ValueError(f"handler must be <file>.<export> such as index.handler, got {handler!r}")
    return handler.rsplit(".", 1)[0]


def entry_point(folder: Path, handler: str) -> Path | None:
    """The source file a handler names (TypeScript first), or None."""
    module = handler_module(handler)
    for ext in _SOURCE_EXTENSIONS:
        if (folder / f"{module}{ext}").is_file():
            return folder / f"{module}{ext}"
    return None


def handler_in_files(files: object, handler: str) -> bool:
    """Whether a zip's file names hold the file a Node.js handler loads (``.js``, ``.mjs`` or ``.cjs``)."""
    module = handler_module(handler)
    names = set(files)  # type: ignore[call-overload]
    return any(f"{module}{ext}" in names for ext in (".js", ".mjs", ".cjs"))


def _esbuild(
    name: str, staging: Path, entry: str, outfile: str, runtime: str, options: NodeBundleOptions, cache: object
) -> None:
    command = ensure_esbuild(name=name, cache_dir=cache)  # type: ignore[arg-type]
    major = node_major(runtime)
    args = [
        str(command),
        entry,
        "--bundle",
        "--platform=node",
        f"--target=node{major}",
        "--format=cjs",
        f"--outfile={outfile}",
        "--preserve-symlinks",
        "--log-level=error",
        "--charset=utf8",
        *(f"--external:{e}" for e in (*runtime_externals(runtime), *options.externals)),
        *(["--sourcemap"] if options.source_map else []),
        *(["--minify"] if options.minify else []),
    ]
    result = subprocess.run(args, cwd=staging, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()[-2000:]
        raise PackagingError(f"{name}: esbuild could not bundle {entry}: {detail}")


def build_node_bundle(
    source_dir: str,
    *,
    runtime: str,
    architecture: str,
    name: str,
    handler: str,
    bundle: NodeBundleOptions | None = None,
    **options: object,
) -> Bundle:
    """Zip a Node.js function folder: installed production dependencies and the folder's files, or (``bundle``)
    esbuild's single file for the handler."""
    opts: BuildOptions = options  # type: ignore[assignment]
    field = opts.get("field", "code_path")
    bundling._check_target(name, runtime, architecture)
    root = bundling._check_source_dir(name, field, source_dir)
    if not (root / "package.json").is_file() and bundle is None:
        files = node_source_files(root)
        return bundling._finish(name, files, opts.get("build_dir"))
    if bundle is None:
        node_modules = install_node_modules(root, architecture=architecture, name=name, cache_dir=opts.get("cache_dir"))
        files = node_source_files(root)
        if node_modules is not None:
            files = {**_node_modules_files(node_modules, "node_modules/"), **files}
        return bundling._finish(name, files, opts.get("build_dir"))
    entry = entry_point(root, handler)
    if entry is None:
        module = handler_module(handler)
        raise ValueError(
            f"{name}: handler {handler!r} names {module}, but {root} has no "
            f"{' or '.join(module + e for e in _SOURCE_EXTENSIONS)} to bundle"
        )
    node_modules = None
    if (root / "package.json").is_file():
        node_modules = install_node_modules(
            root, architecture=architecture, name=name, include_dev=True, cache_dir=opts.get("cache_dir")
        )
    out_name = f"{handler_module(handler)}.js"
    with tempfile.TemporaryDirectory(prefix="lambdakit-esbuild-") as tmp:
        staging = Path(tmp, "src")
        for arcname, path in node_source_files(root, bundled=True).items():
            (staging / arcname).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, staging / arcname)
        if (root / "package.json").is_file():
            shutil.copyfile(root / "package.json", staging / "package.json")
        if node_modules is not None:
            (staging / "node_modules").symlink_to(node_modules, target_is_directory=True)
        out = Path(tmp, "out")
        _esbuild(
            name,
            staging,
            entry.relative_to(root).as_posix(),
            str(out / out_name),
            runtime,
            bundle,
            opts.get("cache_dir"),
        )
        files = {p.relative_to(out).as_posix(): p for p in sorted(out.rglob("*")) if p.is_file()}
        return bundling._finish(name, files, opts.get("build_dir"))


def build_node_layer_bundle(
    source_dir: str, *, runtime: str, architecture: str, name: str, **options: object
) -> Bundle:
    """Zip a Node.js layer: a folder with ``package.json`` and a lockfile becomes ``nodejs/node_modules/...``
    (production dependencies for the first compatible architecture) plus its own files under ``nodejs/``."""
    opts: BuildOptions = options  # type: ignore[assignment]
    field = opts.get("field", "source_path")
    bundling._check_target(name, runtime, architecture)
    root = bundling._check_source_dir(name, field, source_dir)
    node_modules = install_node_modules(root, architecture=architecture, name=name, cache_dir=opts.get("cache_dir"))
    files = {f"nodejs/{k}": v for k, v in node_source_files(root).items()}
    if node_modules is not None:
        files = {**_node_modules_files(node_modules, "nodejs/node_modules/"), **files}
    return bundling._finish(name, files, opts.get("build_dir"))

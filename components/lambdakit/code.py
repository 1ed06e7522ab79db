"""The function's code, as a plan: a zip (a source folder bundled deterministically, or a prebuilt zip or jar),
uploaded directly or through S3, or a container image.

Each shape of code is a plan type (:class:`ZipCodePlan`, :class:`~lambdakit.code_image.ImageCodePlan`), checked
against the runtime before anything is created (:func:`validate_code`), and the ``aws.lambda_.Function`` arguments it
gives (:func:`create_code`). Which builder a folder goes through follows from the runtime: Python
(``requirements.txt``, ``uv.lock``, ``poetry.lock``; :mod:`lambdakit.bundling`), Node.js (``package.json`` and its
lockfile, or esbuild with ``bundle``; :mod:`lambdakit.bundling_node`), custom runtimes (a ``bootstrap``;
:mod:`lambdakit.code_custom`); Java and .NET deploy a prebuilt zip or jar (``code_zip``).
"""

# No `from __future__ import annotations`: Pulumi's schema inference reads the TypedDict below at run time.

import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import pulumi

from . import limits
from .artifacts import ArtifactPlan, create_artifact, validate_artifact
from .bundling import Bundle, PackagingError, build_function_bundle, build_layer_bundle, bundle_from_zip, python_version
from .bundling_node import NodeBundleOptions, build_node_bundle, build_node_layer_bundle, handler_in_files, node_major
from .code_custom import check_bootstrap, run_build_command, validate_build_command
from .code_image import ImageCodePlan, create_image, validate_image
from .validation import Field, ValidationError

__all__ = ["CodePlan", "CodeResources", "NodeBundleArgs", "ZipCodePlan", "create_code", "validate_code"]


class NodeBundleArgs(TypedDict):
    """esbuild settings for a bundled Node.js or TypeScript handler (`{}` or `True` for the defaults)."""

    source_map: NotRequired[bool]
    """Write a source map beside the bundle (set `NODE_OPTIONS=--enable-source-maps` to use it). Defaults to
    false."""
    minify: NotRequired[bool]
    """Minify the bundle. Defaults to false."""
    externals: NotRequired[Sequence[str]]
    """Packages left out of the bundle besides the runtime's AWS SDK (`@aws-sdk/*`), e.g. ones a layer provides.
    Defaults to none."""


@dataclass(frozen=True)
class ZipCodePlan:
    """A deployment zip on disk: ``field`` is the input it came from (``code_path`` or ``code_zip``); ``artifact``
    says where in S3 it goes when it is not uploaded with the function."""

    field: str
    bundle: Bundle
    artifact: ArtifactPlan | None = None


CodePlan = ZipCodePlan | ImageCodePlan


@dataclass
class CodeResources:
    """What the function needs from its code: its arguments and the role statements (pulling an image)."""

    function_args: dict[str, Any]
    statements: list[Any] = field(default_factory=list)


def _packaging_error(field: Field, exc: Exception, always_prefix: bool) -> ValidationError:
    """A packaging failure as an input error naming the service and the field (its own message kept)."""
    text = str(exc)
    if text.startswith(f"{field.owner}: ") and not always_prefix:
        return ValidationError(text)
    return field.fail(f"could not be packaged: {text}")


def bundle_folder(
    field: Field,
    folder: str,
    *,
    runtime: str,
    architecture: str,
    layer: bool = False,
    handler: str = "handler.handler",
    bundle: NodeBundleOptions | None = None,
) -> Bundle:
    """The deterministic zip of a folder; any packaging failure (a missing folder, a path too long for the file
    system, pip or npm failing) is an input error of ``field``."""
    try:
        if node_major(runtime) is not None:
            if layer:
                if Path(folder, "package.json").is_file() and not Path(folder, "nodejs").is_dir():
                    return build_node_layer_bundle(
                        folder, runtime=runtime, architecture=architecture, name=field.owner, field=field.path
                    )
            else:
                return build_node_bundle(
                    folder,
                    runtime=runtime,
                    architecture=architecture,
                    name=field.owner,
                    handler=handler,
                    bundle=bundle,
                    field=field.path,
                )
        build = build_layer_bundle if layer else build_function_bundle
        return build(folder, runtime=runtime, architecture=architecture, name=field.owner, field=field.path)
    except (ValueError, OSError, PackagingError) as exc:
        raise _packaging_error(field, exc, always_prefix=layer) from exc


def _bundle_options(field: Field, raw: Any) -> NodeBundleOptions:
    if raw is True:
        return NodeBundleOptions()
    a = field.mapping(raw, NodeBundleArgs, what="true or a mapping of esbuild settings")
    externals = field.key("externals").sequence(a.get("externals") or [])
    return NodeBundleOptions(
        source_map=field.key("source_map").boolean(a.get("source_map", False)),
        minify=field.key("minify").boolean(a.get("minify", False)),
        externals=tuple(field.key("externals").index(i).string(e, plain=True) for i, e in enumerate(externals)),
    )


def _check_folder_shape(root: Field, field: Field, folder: str, runtime: str) -> None:
    """A folder whose contents belong to another runtime or shape is refused, naming what was found."""
    path = Path(folder)
    try:
        if not path.is_dir():
            return  # the builder names a missing folder
    except OSError:
        return  # a name the file system cannot hold: the builder says so
    if (path / "Dockerfile").is_file():
        raise field.fail(
            f"folder {folder!r} has a Dockerfile: a container image is deployed with image: {{context: {folder!r}}} "
            f"(and no runtime), not as a {runtime} zip"
        )
    if (path / "package.json").is_file() and node_major(runtime) is None and not runtime.startswith("provided"):
        raise root.key("runtime").fail(
            f"is {runtime!r}, but code_path {folder!r} has a package.json: Node.js code needs a nodejs*.x runtime "
            f"such as {_newest('nodejs')}"
        )
    python_files = [n for n in ("requirements.txt", "uv.lock", "poetry.lock") if (path / n).is_file()]
    if python_files and python_version(runtime) is None and not (path / "package.json").is_file():
        raise root.key("runtime").fail(
            f"is {runtime!r}, but code_path {folder!r} has {python_files[0]}: Python code needs a python3.x runtime "
            f"such as {limits.DEFAULT_RUNTIME}"
        )
    if runtime.startswith(("java", "dotnet")):
        raise field.fail(
            f"is a folder, but {runtime} code is deployed as a prebuilt zip or jar: build it (mvn package, gradle "
            "build, dotnet lambda package) and give the file as code_zip"
        )


def _check_typescript_needs_bundle(root: Field, folder: str, handler: str) -> None:
    """A handler naming a TypeScript file with no JavaScript beside it needs ``bundle`` (Lambda runs JavaScript)."""
    module = handler.rsplit(".", 1)[0] if "." in handler else handler
    base = Path(folder, module)
    if any(base.with_name(base.name + ext).is_file() for ext in (".js", ".mjs", ".cjs")):
        return
    typescript = [ext for ext in (".ts", ".mts", ".cts") if base.with_name(base.name + ext).is_file()]
    if typescript:
        raise root.key("handler").fail(
            f"is {handler!r}, which names the TypeScript file {module}{typescript[0]}: set bundle (`bundle: {{}}`) "
            "to compile it with esbuild, or deploy the compiled JavaScript"
        )


def _newest(prefix: str) -> str:
    names = [n for n in limits.current_runtimes() if n.startswith(prefix)]
    return names[-1] if names else prefix


def _check_handler(
    root: Field, field: Field, bundle: Bundle, runtime: str, handler: str, architecture: str, has_layers: bool
) -> None:
    """The file the handler names is in the zip (for Python, unless a layer may provide the module); a custom
    runtime's ``bootstrap`` is there and built for the architecture."""
    if runtime in limits.CUSTOM_RUNTIMES:
        check_bootstrap(field, bundle.path, architecture, has_layers=has_layers)
        return
    with zipfile.ZipFile(bundle.path) as archive:
        names = archive.namelist()
    if node_major(runtime) is not None:
        if "." not in handler or not handler_in_files(names, handler):
            module = handler.rsplit(".", 1)[0]
            raise root.key("handler").fail(
                f"is {handler!r}, but {field.path} holds no {module}.js, {module}.mjs or {module}.cjs to load it from"
            )
        return
    if python_version(runtime) is not None and not has_layers and "." in handler:
        module = handler.rsplit(".", 1)[0].replace(".", "/")
        present = set(names)
        if (
            f"{module}.py" not in present
            and f"{module}/__init__.py" not in present
            and not any(n.startswith(f"{module}.") and n.endswith(".so") for n in present)
        ):
            raise root.key("handler").fail(
                f"is {handler!r}, but {field.path} holds no {module}.py (nor {module}/__init__.py) to import it from"
            )


def validate_code(
    owner: str,
    code_path: Any,
    code_zip: Any,
    *,
    runtime: str,
    architecture: str,
    args: Mapping[str, Any] | None = None,
    handler: str | None = None,
) -> CodePlan:
    """Exactly one of ``code_path``, ``code_zip`` and ``image`` -> the code to deploy, checked against the runtime
    (``args`` are the service's inputs: ``image``, ``bundle``, ``build_command``, ``artifact_bucket``, ``runtime``,
    ``handler``, ``layers``)."""
    root = Field(owner)
    a: Mapping[str, Any] = args or {}
    image = a.get("image")
    given = [k for k, v in (("code_path", code_path), ("code_zip", code_zip), ("image", image)) if v is not None]
    if len(given) != 1:
        if not given:
            raise root.key("code_path").fail("or code_zip is required (exactly one of them, or image)")
        if given[:2] == ["code_path", "code_zip"]:
            raise root.key("code_path").fail("and code_zip are mutually exclusive; give one")
        raise root.key(given[0]).fail(f"and {given[1]} are mutually exclusive; give one")
    if image is not None:
        for key, why in (
            ("runtime", "the image brings its runtime"),
            ("handler", "set image.command instead (the image's CMD names the handler)"),
            ("bundle", "it applies to a Node.js folder"),
            ("build_command", "the Dockerfile builds the image"),
            ("artifact_bucket", "images are pulled from ECR"),
            ("snap_start", "SnapStart does not apply to container images"),
        ):
            if a.get(key) is not None and a.get(key) is not False:
                raise root.key(key).fail(f"must not be set for image code: {why}")
        return validate_image(owner, image, architecture=architecture)
    handler = handler or "handler.handler"
    layers = a.get("layers") or []
    bundle_raw = a.get("bundle")
    if bundle_raw is not None and bundle_raw is not False and node_major(runtime) is None:
        raise root.key("bundle").fail(
            f"bundles Node.js or TypeScript with esbuild and needs a nodejs*.x runtime, got runtime {runtime!r}"
        )
    build_command = validate_build_command(root.key("build_command"), a.get("build_command"))
    if code_zip is not None:
        field = root.key("code_zip")
        if build_command is not None or (bundle_raw is not None and bundle_raw is not False):
            raise root.key("build_command" if build_command else "bundle").fail(
                "applies to a code_path folder, not to a prebuilt code_zip"
            )
        path = field.string(code_zip, max_len=4096, what="a path to a .zip or .jar file", plain=True)
        try:
            bundle = bundle_from_zip(path)
        except (ValueError, OSError) as exc:
            raise field.fail(f"{path!r} is not usable: {exc}") from exc
        if not runtime.startswith(("java", "dotnet")):
            _check_handler(root, field, bundle, runtime, handler, architecture, bool(layers))
    else:
        field = root.key("code_path")
        folder = field.string(code_path, max_len=4096, what="a folder path", plain=True)
        _check_folder_shape(root, field, folder, runtime)
        if build_command is not None:
            if not Path(folder).is_dir():
                raise field.fail(f"folder {folder!r} does not exist")
            run_build_command(root.key("build_command"), build_command, folder, architecture)
        options = (
            _bundle_options(root.key("bundle"), bundle_raw)
            if bundle_raw is not None and bundle_raw is not False
            else None
        )
        if node_major(runtime) is not None and options is None:
            _check_typescript_needs_bundle(root, folder, handler)
        bundle = bundle_folder(
            field, folder, runtime=runtime, architecture=architecture, handler=handler, bundle=options
        )
        _check_handler(root, field, bundle, runtime, handler, architecture, bool(layers))
    artifact = validate_artifact(
        root, field, bundle, a.get("artifact_bucket"), layers if isinstance(layers, list | tuple) else []
    )
    return ZipCodePlan(field.path, bundle, artifact)


def function_code(plan: ZipCodePlan) -> dict[str, Any]:
    """The ``aws.lambda_.Function`` arguments that deploy a zip uploaded with the function."""
    return {"code": pulumi.FileArchive(plan.bundle.path), "source_code_hash": plan.bundle.source_code_hash}


def create_code(service: str, plan: CodePlan, tags: Mapping[str, Any], parent: pulumi.Resource) -> CodeResources:
    """The resources the code needs (an S3 object and bucket, an ECR repository and image build) -> the function's
    code arguments and the role statements they need."""
    if isinstance(plan, ImageCodePlan):
        image = create_image(service, plan, tags, parent)
        return CodeResources(image.function_args, image.statements)
    if plan.artifact is not None:
        return CodeResources(create_artifact(service, plan.artifact, plan.bundle, tags, parent))
    return CodeResources(function_code(plan))

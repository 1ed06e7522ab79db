"""LambdaLayer: a Lambda layer version built deterministically from a source folder."""

# No `from __future__ import annotations`: Pulumi's component schema inference reads LambdaLayerArgs and the output
# annotations at run time and does not resolve string annotations (same as service.py).
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits
from .bundling import Bundle, python_version
from .code import bundle_folder
from .validation import Field, optional


class LambdaLayerArgs(TypedDict):
    """Inputs of a LambdaLayer."""

    source_path: str
    """The layer's source folder. For Python runtimes its files go under `python/` in the layer (a folder already laid
    out as `python/...` is kept as is) and its `requirements.txt`, if any, is installed there for the first compatible
    runtime and architecture. Hidden files, tests and bytecode are left out. Required."""
    layer_name: NotRequired[str]
    """The layer's name: up to 64 letters, digits, '-' and '_'. Defaults to `<resource name>-<stack>`."""
    compatible_runtimes: NotRequired[Sequence[str]]
    """Runtimes the layer is compatible with (at most 15); the build targets the first. Defaults to
    `["python3.12"]`."""
    compatible_architectures: NotRequired[Sequence[str]]
    """Architectures the layer is compatible with (`arm64`, `x86_64`); requirements are installed for the first.
    Defaults to `["arm64"]`."""
    description: NotRequired[str]
    """What the layer is for (at most 256 characters). Defaults to `lambdakit layer <resource name>`."""
    license_info: NotRequired[str]
    """The layer's licence: an SPDX identifier, a URL or the full text (at most 512 characters). Defaults to none."""


@dataclass(frozen=True)
class LayerPlan:
    """A layer version, checked and defaulted, with its bundle built."""

    layer_name: str
    compatible_runtimes: tuple[str, ...]
    compatible_architectures: tuple[str, ...]
    description: Any
    license_info: Any
    bundle: Bundle


def _strings(field: Field, value: Any, default: list[str]) -> list[str]:
    items = field.sequence(default if value is None else value)
    if not items:
        raise field.fail("must name at least one value, got an empty list")
    for i, item in enumerate(items):
        field.index(i).string(item, plain=True)
    if len(set(items)) != len(items):
        raise field.fail(f"must not repeat a value, got {items!r}")
    return list(items)


def _runtimes(field: Field, value: Any) -> list[str]:
    runtimes = _strings(field, value, [limits.DEFAULT_RUNTIME])
    if len(runtimes) > limits.COMPATIBLE_RUNTIMES_MAX:
        raise field.fail(f"may hold at most {limits.COMPATIBLE_RUNTIMES_MAX} runtimes, got {len(runtimes)}")
    for i, runtime in enumerate(runtimes):
        problem = limits.runtime_problem(runtime)
        if problem is not None:
            raise field.index(i).fail(problem)
    # Compiled wheels are specific to one Python version and one architecture; the first of each is the build target,
    # so a layer listing several Python versions should carry only pure-Python or abi3 dependencies.
    versions = {python_version(r) for r in runtimes}
    if len(versions) > 1 and None in versions:
        raise field.fail(f"must not mix Python and non-Python runtimes in one layer, got {runtimes!r}")
    return runtimes


def validate_layer(name: str, args: Any) -> LayerPlan:
    """Resolve defaults and validate every input, then build the bundle. Raises before anything is registered."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"LambdaLayer name must be a non-empty string, got {name!r}")
    root = Field(name)
    a = root.mapping(args, LambdaLayerArgs)
    source_path = root.key("source_path").string(a["source_path"], max_len=4096, what="a folder path", plain=True)
    layer_name = root.key("layer_name").string(
        optional(a, "layer_name", f"{name}-{pulumi.get_stack()}"), what="a string", plain=True
    )
    if len(layer_name) > limits.LAYER_NAME_MAX:
        raise root.key("layer_name").fail(
            f"must be 1-{limits.LAYER_NAME_MAX} characters, got {len(layer_name)} ({layer_name!r})"
        )
    root.key("layer_name").string(
        layer_name, pattern=limits.LAYER_NAME_RE, must="contain only letters, digits, '-' and '_'", plain=True
    )
    runtimes = _runtimes(root.key("compatible_runtimes"), a.get("compatible_runtimes"))
    architectures = _strings(root.key("compatible_architectures"), a.get("compatible_architectures"), ["arm64"])
    for i, arch in enumerate(architectures):
        root.key("compatible_architectures").index(i).choice(arch, limits.ARCHITECTURES, plain=True)
    description = root.key("description").string(
        optional(a, "description", f"lambdakit layer {name}"), max_len=limits.DESCRIPTION_MAX
    )
    license_info = a.get("license_info")
    if license_info is not None:
        license_info = root.key("license_info").string(license_info, max_len=limits.LICENSE_INFO_MAX)
    # The bundle is built last: a typo elsewhere should not cost a dependency install first.
    bundle = bundle_folder(
        root.key("source_path"), source_path, runtime=runtimes[0], architecture=architectures[0], layer=True
    )
    return LayerPlan(layer_name, tuple(runtimes), tuple(architectures), description, license_info, bundle)


def create_layer_version(name: str, plan: LayerPlan, parent: pulumi.Resource) -> "aws.lambda_.LayerVersion":
    """The layer version ``name`` from the planned bundle; old versions are kept (see the comment below)."""
    return aws.lambda_.LayerVersion(
        name,
        layer_name=plan.layer_name,
        code=pulumi.FileArchive(plan.bundle.path),
        source_code_hash=plan.bundle.source_code_hash,
        compatible_runtimes=list(plan.compatible_runtimes),
        compatible_architectures=list(plan.compatible_architectures),
        description=plan.description,
        license_info=plan.license_info,
        # Layer versions are immutable: any change publishes a new version and, without skip_destroy, the
        # provider deletes the previous one. Functions already using a deleted version keep running, but nothing
        # can be configured with it any more: a rollback to the previous release, or another stack still on the
        # old ARN, would fail at its next update. Old versions are pruned deliberately, not as a side effect.
        skip_destroy=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )


class LambdaLayer(pulumi.ComponentResource):
    """A Lambda layer version built from a source folder into a deterministic zip: unchanged sources give the same
    hash, hence no diff and no new layer version."""

    arn: pulumi.Output[str]
    """The layer version ARN (`arn:aws:lambda:<region>:<account>:layer:<name>:<version>`): what a function's `layers`
    takes."""
    layer_arn: pulumi.Output[str]
    """The layer ARN without a version."""
    version: pulumi.Output[str]
    """The layer version number."""

    def __init__(self, name: str, args: LambdaLayerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # Everything is validated (and the zip built) before the component registers itself.
        plan = validate_layer(name, args)
        super().__init__("lambdakit:index:LambdaLayer", name, None, opts)
        #: The built zip: a service using this layer counts its unzipped size against Lambda's 250 MB limit.
        self.bundle = plan.bundle
        layer_version = create_layer_version(name, plan, self)
        self.arn = layer_version.arn
        self.layer_arn = layer_version.layer_arn
        self.version = layer_version.version
        self.register_outputs({"arn": self.arn, "layer_arn": self.layer_arn, "version": self.version})

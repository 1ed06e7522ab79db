"""LambdaLayer: a Lambda layer version built deterministically from a source folder."""

# No `from __future__ import annotations`: Pulumi's component schema inference reads LambdaLayerArgs and the output
# annotations at run time and does not resolve string annotations (same as service.py).
import re
from collections.abc import Sequence
from functools import cache
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits
from .bundling import build_layer_bundle, python_version
from .validation import as_list, as_mapping, check_known_keys, fail, is_unknown, require_type

# A bare layer name (PublishLayerVersion also takes an ARN of up to 140 characters; a name is kept to 64 like
# function names so that it always fits in the ARN forms Lambda builds from it).
LAYER_NAME_MAX = 64
LAYER_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]+$")


def _model_max(shape: str, default: int) -> int:
    return int(limits._model_range(shape, (0, default))[1])


@cache
def known_runtimes() -> tuple[str, ...]:
    """Every runtime identifier botocore's Lambda model knows (deprecated ones included: policies judge those)."""
    try:
        return tuple(limits._lambda_model().shape_for("Runtime").enum)
    except Exception:  # an older botocore without the enum: skip the check
        return ()


COMPATIBLE_RUNTIMES_MAX = _model_max("CompatibleRuntimes", 15)
LICENSE_INFO_MAX = _model_max("LicenseInfo", 512)


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


ARG_KEYS = tuple(LambdaLayerArgs.__annotations__)


def _strings(layer: str, field: str, value: Any, default: list[str]) -> list[str]:
    items = default if value is None else as_list(layer, field, value)
    if not items:
        raise fail(layer, field, "must name at least one value, got an empty list")
    for i, item in enumerate(items):
        require_type(layer, f"{field}[{i}]", item, str, "a string")
    if len(set(items)) != len(items):
        raise fail(layer, field, f"must not repeat a value, got {items!r}")
    return list(items)


def _validate(name: str, args: Any) -> dict[str, Any]:
    """Resolve defaults and validate every input, then build the bundle. Raises before anything is registered."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"LambdaLayer name must be a non-empty string, got {name!r}")
    a = as_mapping(name, "args", args)
    check_known_keys(name, "args", a, ARG_KEYS)
    plan: dict[str, Any] = {}

    source_path = a.get("source_path")
    if source_path is None:
        raise fail(name, "source_path", "is required (the layer's source folder)")
    require_type(name, "source_path", source_path, str, "a folder path")

    layer_name = a.get("layer_name", f"{name}-{pulumi.get_stack()}")
    require_type(name, "layer_name", layer_name, str, "a string")
    if not layer_name or len(layer_name) > LAYER_NAME_MAX:
        raise fail(name, "layer_name", f"must be 1-{LAYER_NAME_MAX} characters, got {len(layer_name)} ({layer_name!r})")
    if not LAYER_NAME_RE.match(layer_name):
        raise fail(name, "layer_name", f"must contain only letters, digits, '-' and '_', got {layer_name!r}")
    plan["layer_name"] = layer_name

    runtimes = _strings(name, "compatible_runtimes", a.get("compatible_runtimes"), ["python3.12"])
    if len(runtimes) > COMPATIBLE_RUNTIMES_MAX:
        raise fail(
            name, "compatible_runtimes", f"may hold at most {COMPATIBLE_RUNTIMES_MAX} runtimes, got {len(runtimes)}"
        )
    valid = known_runtimes()
    for i, runtime in enumerate(runtimes):
        if valid and runtime not in valid:
            raise fail(
                name, f"compatible_runtimes[{i}]", f"must be a Lambda runtime such as python3.12; got {runtime!r}"
            )
    plan["compatible_runtimes"] = runtimes

    architectures = _strings(name, "compatible_architectures", a.get("compatible_architectures"), ["arm64"])
    for i, arch in enumerate(architectures):
        if arch not in limits.ARCHITECTURES:
            raise fail(
                name,
                f"compatible_architectures[{i}]",
                f"must be one of {', '.join(limits.ARCHITECTURES)}; got {arch!r}",
            )
    plan["compatible_architectures"] = architectures

    description = a.get("description", f"lambdakit layer {name}")
    if not is_unknown(description):
        require_type(name, "description", description, str, "a string")
        if len(description) > limits.DESCRIPTION_MAX:
            raise fail(
                name, "description", f"must be at most {limits.DESCRIPTION_MAX} characters, got {len(description)}"
            )
    plan["description"] = description

    license_info = a.get("license_info")
    if license_info is not None and not is_unknown(license_info):
        require_type(name, "license_info", license_info, str, "a string")
        if len(license_info) > LICENSE_INFO_MAX:
            raise fail(name, "license_info", f"must be at most {LICENSE_INFO_MAX} characters, got {len(license_info)}")
    plan["license_info"] = license_info

    # The bundle is built last: a typo elsewhere should not cost a dependency install first.
    # Compiled wheels are specific to one Python version and one architecture; the first of each is the build target,
    # so a layer listing several Python versions should carry only pure-Python or abi3 dependencies.
    target_runtime, target_arch = runtimes[0], architectures[0]
    versions = {python_version(r) for r in runtimes}
    if len(versions) > 1 and None in versions:
        raise fail(
            name, "compatible_runtimes", f"must not mix Python and non-Python runtimes in one layer, got {runtimes!r}"
        )
    try:
        plan["bundle"] = build_layer_bundle(source_path, runtime=target_runtime, architecture=target_arch, name=name)
    except ValueError as exc:
        raise fail(name, "source_path", f"could not be packaged: {exc}") from exc
    return plan


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
        plan = _validate(name, args)
        super().__init__("lambdakit:index:LambdaLayer", name, None, opts)
        bundle = plan["bundle"]
        layer_version = aws.lambda_.LayerVersion(
            name,
            layer_name=plan["layer_name"],
            code=pulumi.FileArchive(bundle.path),
            source_code_hash=bundle.source_code_hash,
            compatible_runtimes=plan["compatible_runtimes"],
            compatible_architectures=plan["compatible_architectures"],
            description=plan["description"],
            license_info=plan["license_info"],
            # Layer versions are immutable: any change publishes a new version and, without skip_destroy, the
            # provider deletes the previous one. Functions already using a deleted version keep running, but nothing
            # can be configured with it any more: a rollback to the previous release, or another stack still on the
            # old ARN, would fail at its next update. Old versions are pruned deliberately, not as a side effect.
            skip_destroy=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = layer_version.arn
        self.layer_arn = layer_version.layer_arn
        self.version = layer_version.version
        self.register_outputs({"arn": self.arn, "layer_arn": self.layer_arn, "version": self.version})

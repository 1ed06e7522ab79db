"""The function's code, as a plan: today a zip (a source folder bundled deterministically, or a prebuilt zip).

Each shape of code is a plan type and the ``aws.lambda_.Function`` arguments it gives (:func:`function_code`). A new
shape (a container image, an object in S3, a bundled Node.js folder) is a new plan type, its ``validate_*`` and a
branch of :func:`function_code` beside these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from . import limits
from .bundling import Bundle, PackagingError, build_function_bundle, build_layer_bundle, bundle_from_zip
from .validation import Field, ValidationError


@dataclass(frozen=True)
class ZipCodePlan:
    """A deployment zip on disk: ``field`` is the input it came from (``code_path`` or ``code_zip``)."""

    field: str
    bundle: Bundle


CodePlan = ZipCodePlan


def _packaging_error(field: Field, exc: Exception, always_prefix: bool) -> ValidationError:
    """A packaging failure as an input error naming the service and the field (its own message kept)."""
    text = str(exc)
    if text.startswith(f"{field.owner}: ") and not always_prefix:
        return ValidationError(text)
    return field.fail(f"could not be packaged: {text}")


def bundle_folder(field: Field, folder: str, *, runtime: str, architecture: str, layer: bool = False) -> Bundle:
    """The deterministic zip of a folder; any packaging failure (a missing folder, a path too long for the file
    system, pip failing on requirements.txt) is an input error of ``field``."""
    build = build_layer_bundle if layer else build_function_bundle
    try:
        return build(folder, runtime=runtime, architecture=architecture, name=field.owner, field=field.path)
    except (ValueError, OSError, PackagingError) as exc:
        raise _packaging_error(field, exc, always_prefix=layer) from exc


def validate_code(owner: str, code_path: Any, code_zip: Any, *, runtime: str, architecture: str) -> CodePlan:
    """Exactly one of ``code_path`` and ``code_zip`` -> the zip to deploy, at most 50 MB to upload directly."""
    root = Field(owner)
    has_zip, has_path = code_zip is not None, code_path is not None
    if has_zip == has_path:
        raise root.key("code_path").fail(
            "or code_zip is required (exactly one of them)"
            if not has_zip
            else "and code_zip are mutually exclusive; give one"
        )
    if has_zip:
        field = root.key("code_zip")
        path = field.string(code_zip, max_len=4096, what="a path to a .zip file", plain=True)
        try:
            bundle = bundle_from_zip(path)
        except (ValueError, OSError) as exc:
            raise field.fail(f"{path!r} is not usable: {exc}") from exc
    else:
        field = root.key("code_path")
        folder = field.string(code_path, max_len=4096, what="a folder path", plain=True)
        bundle = bundle_folder(field, folder, runtime=runtime, architecture=architecture)
    if bundle.size > limits.ZIPPED_DIRECT_UPLOAD_MAX_BYTES:
        raise field.fail(
            f"bundle must be at most {limits.ZIPPED_DIRECT_UPLOAD_MAX_BYTES // (1024 * 1024)} MB zipped to upload "
            f"directly (larger code belongs in a container image or a layer), got {bundle.size / 1048576:.1f} MB"
        )
    return ZipCodePlan(field.path, bundle)


def function_code(plan: CodePlan) -> dict[str, Any]:
    """The ``aws.lambda_.Function`` arguments that deploy the planned code."""
    return {"code": pulumi.FileArchive(plan.bundle.path), "source_code_hash": plan.bundle.source_code_hash}

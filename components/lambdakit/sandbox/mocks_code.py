"""The sandbox's handlers for the resources that carry a function's code: the S3 artifact bucket (versioning,
encryption, lifecycle) and object, ECR repositories and their lifecycle policies, and image builds.

A zip in S3 is read back from moto's S3 and deployed like an inline zip, so the handler runs as usual. An image
function is created in moto (``PackageType: Image``, by digest); moto cannot run an image, so its invocations are
reported as not emulated (the runner says so). An image *build* (``docker-build:index:Image``) is not run: the sandbox
has no Docker build provider, so the build is recorded as not emulated and its digest stands for the inputs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi

from .exceptions import SandboxError

if TYPE_CHECKING:
    from .mocks import MotoMocks, Result
    from .mocks_base import MocksBase

__all__ = ["CODE_HANDLERS", "CODE_NOT_EMULATED", "function_code_params"]


def function_code_params(mocks: MocksBase, inp: dict[str, Any], fname: str) -> tuple[bytes, dict[str, Any]]:
    """(the zip bytes, the CreateFunction parameters for the code) of a function's inputs."""
    from .mocks_base import archive_bytes

    if inp.get("code") is not None:
        code = archive_bytes(inp["code"], f"function {fname}")
        return code, {"Code": {"ZipFile": code}}
    if inp.get("s3Bucket") and inp.get("s3Key"):
        try:
            body = mocks.client("s3").get_object(Bucket=str(inp["s3Bucket"]), Key=str(inp["s3Key"]))["Body"].read()
        except Exception as exc:
            raise SandboxError(
                f"function {fname}: code s3://{inp['s3Bucket']}/{inp['s3Key']} is not in the sandbox's S3: {exc}"
            ) from None
        return body, {"Code": {"ZipFile": body}}
    if inp.get("imageUri"):
        config = inp.get("imageConfig") or {}
        image_config = {
            k: v
            for k, v in (
                ("Command", config.get("commands")),
                ("EntryPoint", config.get("entryPoints")),
                ("WorkingDirectory", config.get("workingDirectory")),
            )
            if v
        }
        params: dict[str, Any] = {"Code": {"ImageUri": str(inp["imageUri"])}, "PackageType": "Image"}
        if image_config:
            params["ImageConfig"] = image_config
        return b"", params
    raise SandboxError(f"function {fname}: no code (code, s3Bucket/s3Key or imageUri)")


NOT_ENFORCED_TLS = (
    "checked by moto, not enforced: the emulator serves plain HTTP, so an aws:SecureTransport deny would refuse "
    "every request the sandbox makes"
)


def _bucket_config(kind: str) -> Callable[[MotoMocks, str, dict[str, Any]], Result]:
    def handler(mocks: MotoMocks, name: str, inp: dict[str, Any]) -> Result:
        s3 = mocks.client("s3")
        bucket = str(inp["bucket"])
        if kind == "policy":
            policy = inp["policy"] if isinstance(inp["policy"], str) else json.dumps(inp["policy"])
            s3.put_bucket_policy(Bucket=bucket, Policy=policy)  # moto checks the document
            if "aws:SecureTransport" in policy:
                # The emulator serves plain HTTP: moto would apply a TLS-only deny to every request the sandbox makes.
                s3.delete_bucket_policy(Bucket=bucket)
                return f"{bucket}-policy", {"bucket": bucket}, False, [NOT_ENFORCED_TLS]
        elif kind == "versioning":
            status = (inp.get("versioningConfiguration") or {}).get("status") or "Enabled"
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})
        elif kind == "encryption":
            rules = []
            for rule in inp.get("rules") or []:
                default = rule.get("applyServerSideEncryptionByDefault") or {}
                rules.append(
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": default.get("sseAlgorithm", "AES256")},
                        "BucketKeyEnabled": bool(rule.get("bucketKeyEnabled")),
                    }
                )
            s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": rules})
        else:
            rules = []
            for rule in inp.get("rules") or []:
                entry: dict[str, Any] = {
                    "ID": rule.get("id"),
                    "Status": rule.get("status", "Enabled"),
                    "Filter": {"Prefix": (rule.get("filter") or {}).get("prefix", "")},
                }
                if rule.get("noncurrentVersionExpiration"):
                    entry["NoncurrentVersionExpiration"] = {
                        "NoncurrentDays": int(rule["noncurrentVersionExpiration"]["noncurrentDays"])
                    }
                if rule.get("abortIncompleteMultipartUpload"):
                    entry["AbortIncompleteMultipartUpload"] = {
                        "DaysAfterInitiation": int(rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"])
                    }
                rules.append(entry)
            s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
        return f"{bucket}-{kind}", {"bucket": bucket}, True, []

    return handler


def _object(mocks: MotoMocks, name: str, inp: dict[str, Any]) -> Result:
    source = inp.get("source")
    if isinstance(source, pulumi.FileAsset):
        body = Path(source.path).read_bytes()
    elif isinstance(source, pulumi.StringAsset):
        body = source.text.encode()
    elif inp.get("content") is not None:
        body = str(inp["content"]).encode()
    else:
        raise SandboxError(f"object {name}: only a FileAsset, StringAsset or content is supported as its source")
    bucket, key = str(inp["bucket"]), str(inp["key"])
    put = mocks.client("s3").put_object(
        Bucket=bucket, Key=key, Body=body, ContentType=str(inp.get("contentType") or "binary/octet-stream")
    )
    state = {"bucket": bucket, "key": key, "etag": put["ETag"].strip('"'), "versionId": put.get("VersionId") or ""}
    return f"{bucket}/{key}", state, True, []


def _repository(mocks: MotoMocks, name: str, inp: dict[str, Any]) -> Result:
    repo_name = str(inp.get("name") or mocks.autoname(name).lower())
    scanning = inp.get("imageScanningConfiguration") or {}
    repo = mocks.client("ecr").create_repository(
        repositoryName=repo_name,
        imageTagMutability=str(inp.get("imageTagMutability") or "MUTABLE"),
        imageScanningConfiguration={"scanOnPush": bool(scanning.get("scanOnPush"))},
    )["repository"]
    state = {
        "name": repo_name,
        "arn": repo["repositoryArn"],
        "registryId": repo["registryId"],
        "repositoryUrl": repo["repositoryUri"],
    }
    return repo_name, state, True, []


def _lifecycle_policy(mocks: MotoMocks, name: str, inp: dict[str, Any]) -> Result:
    repository = str(inp["repository"])
    policy = inp["policy"] if isinstance(inp["policy"], str) else json.dumps(inp["policy"])
    mocks.client("ecr").put_lifecycle_policy(repositoryName=repository, lifecyclePolicyText=policy)
    return repository, {"repository": repository, "registryId": mocks.sandbox.account_id}, True, []


def _image_build(mocks: MotoMocks, name: str, inp: dict[str, Any]) -> Result:
    content = json.dumps({k: inp.get(k) for k in ("context", "dockerfile", "tags", "platforms")}, sort_keys=True)
    digest = "sha256:" + hashlib.sha256(content.encode()).hexdigest()
    tag = (inp.get("tags") or [name])[0]
    note = "not built: the sandbox has no Docker build provider; the digest stands for the build's inputs"
    return f"{name}-build", {"digest": digest, "ref": f"{tag}@{digest}"}, False, [note]


CODE_HANDLERS: dict[str, Callable[[MotoMocks, str, dict[str, Any]], Result]] = {
    "aws:s3/bucketPolicy:BucketPolicy": _bucket_config("policy"),
    "aws:s3/bucketVersioning:BucketVersioning": _bucket_config("versioning"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _bucket_config(
        "encryption"
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _bucket_config("lifecycle"),
    "aws:s3/bucketObjectv2:BucketObjectv2": _object,
    "aws:ecr/repository:Repository": _repository,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": _lifecycle_policy,
    "docker-build:index:Image": _image_build,
}

CODE_NOT_EMULATED = {
    "docker-build:index:Image": "the sandbox has no Docker build provider: the image is not built or pushed",
}

"""Large deployment packages through S3: an object keyed by the zip's content hash, in a bucket the user names or one
the service creates.

A zip over 50 MB cannot be uploaded with the function (Lambda's direct-upload limit); from S3 it may be up to the
250 MB unzipped limit, which counts the function's code and its layers together. The object's key is
``lambdakit/<service>/<sha256 hex>.zip``: the same bytes always give the same key (no diff, no drift between the
object and the function's hash), new bytes a new key, so the function never points at a stale object and a rollback
finds the old key's object again (the bucket is versioned and keeps replaced objects for
:data:`NONCURRENT_DAYS` days).

The bucket the service creates is versioned, encrypted (SSE-S3), blocks every form of public access, expires
noncurrent versions after :data:`NONCURRENT_DAYS` days and aborts incomplete uploads after a day. It holds only
build products, so ``force_destroy`` lets the stack be destroyed with it.
"""

from __future__ import annotations

import base64
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from . import limits
from .bundling import Bundle
from .validation import Field

__all__ = ["NONCURRENT_DAYS", "ArtifactPlan", "create_artifact", "layer_unzipped_size", "unzipped_size"]

#: Days a replaced artifact stays in the created bucket (a rollback within them redeploys the old key).
NONCURRENT_DAYS = 30


@dataclass(frozen=True)
class ArtifactPlan:
    """Where the zip is uploaded: ``bucket`` is the user's bucket name, or None for one the service creates."""

    bucket: Any
    key: str


def unzipped_size(path: str) -> int:
    """Total uncompressed size of a zip's entries (what Lambda counts against the 250 MB limit)."""
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def layer_unzipped_size(layer: Any) -> int | None:
    """The unzipped size of a ``LambdaLayer`` built in this program, or None for a layer given by ARN."""
    if isinstance(layer, (str, pulumi.Output)):  # an ARN, or one resolved at deploy time (a well-known layer)
        return None
    bundle = getattr(layer, "bundle", None)
    return unzipped_size(bundle.path) if isinstance(bundle, Bundle) else None


def validate_artifact(
    root: Field, field: Field, bundle: Bundle, artifact_bucket: Any, layers: Sequence[Any] | None
) -> ArtifactPlan | None:
    """Checks the unzipped size (code plus the layers built here) and decides whether the zip goes through S3."""
    code_size = unzipped_size(bundle.path)
    layer_sizes = [s for s in (layer_unzipped_size(layer) for layer in layers or []) if s is not None]
    total = code_size + sum(layer_sizes)
    if total > limits.UNZIPPED_MAX_BYTES:
        with_layers = f" with {len(layer_sizes)} layer(s) ({sum(layer_sizes) / 1048576:.1f} MB)" if layer_sizes else ""
        raise field.fail(
            f"unzips to {code_size / 1048576:.1f} MB{with_layers}, {total / 1048576:.1f} MB in all; Lambda allows at "
            f"most {limits.UNZIPPED_MAX_BYTES / 1048576:.0f} MB unzipped for a function and its layers (larger code "
            "belongs in a container image)"
        )
    if artifact_bucket is None and bundle.size <= limits.ZIPPED_DIRECT_UPLOAD_MAX_BYTES:
        return None
    bucket = None
    if artifact_bucket is not None:
        bucket = root.key("artifact_bucket").string(
            artifact_bucket, max_len=63, pattern=limits.S3_BUCKET_NAME_RE, what="an S3 bucket name"
        )
    digest = base64.b64decode(bundle.source_code_hash).hex()
    return ArtifactPlan(bucket=bucket, key=f"lambdakit/{root.owner}/{digest}.zip")


def tls_only_policy(bucket_arn: str) -> str:
    """A bucket policy that denies every request not made over TLS, to the bucket and its objects."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def create_bucket(service: str, tags: Mapping[str, Any], parent: pulumi.Resource) -> aws.s3.Bucket:
    """The service's artifact bucket: versioned, encrypted, private, reachable over TLS only (cdk-nag AwsSolutions-S10,
    Security Hub S3.5), with a lifecycle for replaced artifacts."""
    opts = pulumi.ResourceOptions(parent=parent)
    bucket = aws.s3.Bucket(f"{service}-artifacts", force_destroy=True, tags=dict(tags), opts=opts)
    child = pulumi.ResourceOptions(parent=parent, depends_on=[bucket])
    block = aws.s3.BucketPublicAccessBlock(
        f"{service}-artifacts",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    aws.s3.BucketPolicy(
        f"{service}-artifacts",
        bucket=bucket.id,
        policy=bucket.arn.apply(tls_only_policy),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[block]),
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{service}-artifacts",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"
                ),
                bucket_key_enabled=True,
            )
        ],
        opts=child,
    )
    versioning = aws.s3.BucketVersioning(
        f"{service}-artifacts",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=child,
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{service}-artifacts",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="replaced-artifacts",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="lambdakit/"),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=NONCURRENT_DAYS
                ),
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=1
                ),
            )
        ],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]),
    )
    return bucket


def create_artifact(
    service: str, plan: ArtifactPlan, bundle: Bundle, tags: Mapping[str, Any], parent: pulumi.Resource
) -> dict[str, Any]:
    """The object holding the zip (and the bucket, when the service creates it) -> the function's code arguments."""
    depends: list[pulumi.Resource] = []
    if plan.bucket is None:
        created = create_bucket(service, tags, parent)
        bucket: Any = created.bucket
        depends.append(created)
    else:
        bucket = plan.bucket
    obj = aws.s3.BucketObjectv2(
        f"{service}-code",
        bucket=bucket,
        key=plan.key,
        source=pulumi.FileAsset(bundle.path),
        source_hash=bundle.source_code_hash,
        content_type="application/zip",
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends),
    )
    return {"s3_bucket": obj.bucket, "s3_key": obj.key, "source_code_hash": bundle.source_code_hash}

"""Container image code: an image already in ECR, by digest, or one built from a folder with a Dockerfile and pushed
to an ECR repository the service creates.

By digest only: Lambda resolves a tag to a digest once, when the function is created or updated, so moving the tag
afterwards neither redeploys nor shows a diff (terraform-aws-lambda #611, #652). A built image is deployed by the
digest the push returned, so new content always means a new digest and a new version.

The build goes through the Pulumi ``docker-build`` provider (``pulumi-docker-build``) for exactly one platform, the
function's architecture (``linux/arm64`` or ``linux/amd64``, whatever the builder's machine is), without attestations
(the provider adds none unless asked; Lambda refuses image indexes with attestation manifests, #741). The image is
tagged with the hash of the build context, so an unchanged folder is the same tag and the repository's immutable tags
never collide. The repository scans on push, keeps tags immutable, and expires untagged images after a day and all
but the newest :data:`KEEP_IMAGES`. The function's role may pull from that repository only.
"""

# No `from __future__ import annotations`: Pulumi's schema inference reads the TypedDict below at run time.

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits
from .iam import statement
from .validation import Field

__all__ = ["KEEP_IMAGES", "ImageArgs", "ImageCodePlan", "create_image", "validate_image"]

KEEP_IMAGES = 10
_PLATFORM = {"arm64": "linux/arm64", "x86_64": "linux/amd64"}
PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")


class ImageArgs(TypedDict):
    """A container image: `uri` (an existing image by digest) or `context` (a folder with a Dockerfile, built and
    pushed to an ECR repository the service creates)."""

    uri: NotRequired[str]
    """`<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<digest>`; a tag alone is refused (it can move
    without redeploying). Exactly one of `uri` and `context`."""
    context: NotRequired[str]
    """Build context folder with a Dockerfile; built for the function's architecture without attestations and
    deployed by the pushed digest."""
    dockerfile: NotRequired[str]
    """The Dockerfile's path inside `context`. Defaults to `Dockerfile`."""
    build_args: NotRequired[Mapping[str, str]]
    """Docker build arguments. Defaults to none."""
    command: NotRequired[Sequence[str]]
    """Overrides the image's CMD (for Lambda base images: the handler). Defaults to the image's."""
    entry_point: NotRequired[Sequence[str]]
    """Overrides the image's ENTRYPOINT. Defaults to the image's."""
    working_directory: NotRequired[str]
    """Overrides the image's WORKDIR. Defaults to the image's."""


@dataclass(frozen=True)
class ImageCodePlan:
    """Image code: ``uri`` (by digest) or a build of ``context``."""

    field: str
    architecture: str
    uri: str | None = None
    repository_arn: str | None = None
    context: str | None = None
    dockerfile: str = "Dockerfile"
    context_hash: str = ""
    build_args: Mapping[str, str] = dataclasses.field(default_factory=dict)
    command: tuple[str, ...] | None = None
    entry_point: tuple[str, ...] | None = None
    working_directory: str | None = None


def _strings(f: Field, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = f.sequence(value, min_len=1, max_len=1500)
    return tuple(f.index(i).string(v, plain=True) for i, v in enumerate(items))


def context_hash(folder: Path) -> str:
    """Hex SHA-256 over the context's files (path and content, sorted), hidden tool state left out."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if any(part in {".git", ".venv", "node_modules", "__pycache__"} for part in rel.split("/")[:-1]):
            continue
        digest.update(rel.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def repository_arn(uri: str) -> str:
    match = limits.IMAGE_URI_DIGEST_RE.fullmatch(uri)
    assert match is not None
    partition = "aws-cn" if ".amazonaws.com.cn/" in uri else "aws"
    return f"arn:{partition}:ecr:{match['region']}:{match['account']}:repository/{match['repository']}"


def validate_image(owner: str, raw: Any, *, architecture: str) -> ImageCodePlan:
    """The ``image`` input -> its plan (exactly one of ``uri`` and ``context``; a digest, never a bare tag)."""
    f = Field(owner).key("image")
    a = f.mapping(raw, ImageArgs)
    has_uri, has_context = a.get("uri") is not None, a.get("context") is not None
    if has_uri == has_context:
        raise f.fail("needs exactly one of uri (an image by digest) and context (a folder to build)")
    command = _strings(f.key("command"), a.get("command"))
    entry_point = _strings(f.key("entry_point"), a.get("entry_point"))
    workdir = a.get("working_directory")
    working_directory = (
        None if workdir is None else f.key("working_directory").string(workdir, max_len=1000, plain=True)
    )
    if has_uri:
        uf = f.key("uri")
        uri = uf.string(a["uri"], max_len=1024, what="an ECR image URI", plain=True)
        for key in ("dockerfile", "build_args"):
            if a.get(key) is not None:
                raise f.key(key).fail("applies to a build (context), not to an existing image (uri)")
        if not limits.IMAGE_URI_DIGEST_RE.fullmatch(uri):
            if "@sha256:" not in uri:
                raise uf.fail(
                    f"must name the image by digest (<repository>@sha256:<64 hex>), got {uri!r}: a tag can move to "
                    "other content without Lambda noticing (it resolves the tag once, at deploy), so the function "
                    "would neither redeploy nor show a diff; `aws ecr describe-images` or `docker buildx imagetools "
                    "inspect` print the digest"
                )
            raise uf.fail(
                "must be an ECR image in the function's account and region, "
                f"<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex>, got {uri!r}"
            )
        return ImageCodePlan(
            f.path,
            architecture,
            uri=uri,
            repository_arn=repository_arn(uri),
            command=command,
            entry_point=entry_point,
            working_directory=working_directory,
        )
    cf = f.key("context")
    context = Path(cf.string(a["context"], max_len=4096, what="a folder path", plain=True))
    if not context.is_dir():
        raise cf.fail(f"folder {str(context)!r} does not exist")
    dockerfile = f.key("dockerfile").string(a.get("dockerfile", "Dockerfile"), max_len=1024, plain=True)
    if not (context / dockerfile).is_file():
        raise f.key("dockerfile").fail(f"{dockerfile!r} is not a file in {str(context)!r}")
    build_args = {}
    for key, value in f.key("build_args").dictionary(a.get("build_args")).items():
        build_args[key] = f.key("build_args").entry(key).string(value, empty=True)
    return ImageCodePlan(
        f.path,
        architecture,
        context=str(context.resolve()),
        dockerfile=dockerfile,
        context_hash=context_hash(context.resolve()),
        build_args=build_args,
        command=command,
        entry_point=entry_point,
        working_directory=working_directory,
    )


def _lifecycle_policy() -> str:
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": "untagged images (replaced pushes) after a day",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": 1,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"keep the newest {KEEP_IMAGES} images (rollbacks)",
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": KEEP_IMAGES},
                    "action": {"type": "expire"},
                },
            ]
        },
        sort_keys=True,
    )


@dataclass
class ImageResources:
    """The function's code arguments and the role statements pulling the image needs."""

    function_args: dict[str, Any]
    statements: list[Any]


def create_image(service: str, plan: ImageCodePlan, tags: Mapping[str, Any], parent: pulumi.Resource) -> ImageResources:
    """The ECR repository and the build (for ``context``), or nothing (for ``uri``) -> the function's arguments."""
    image_config = None
    if plan.command or plan.entry_point or plan.working_directory:
        image_config = aws.lambda_.FunctionImageConfigArgs(
            commands=list(plan.command) if plan.command else None,
            entry_points=list(plan.entry_point) if plan.entry_point else None,
            working_directory=plan.working_directory,
        )
    base = {"package_type": "Image", "image_config": image_config, "handler": None, "runtime": None}
    if plan.uri is not None:
        return ImageResources(
            {**base, "image_uri": plan.uri}, [statement("ImagePull", list(PULL_ACTIONS), plan.repository_arn)]
        )
    import pulumi_docker_build as docker_build

    opts = pulumi.ResourceOptions(parent=parent)
    repo = aws.ecr.Repository(
        f"{service}-images",
        image_tag_mutability="IMMUTABLE",
        image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
        encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")],
        force_delete=True,
        tags=dict(tags),
        opts=opts,
    )
    aws.ecr.LifecyclePolicy(f"{service}-images", repository=repo.name, policy=_lifecycle_policy(), opts=opts)
    token = aws.ecr.get_authorization_token_output(
        registry_id=repo.registry_id, opts=pulumi.InvokeOutputOptions(parent=parent)
    )
    image = docker_build.Image(
        f"{service}-image",
        context=docker_build.BuildContextArgs(location=plan.context or "."),
        dockerfile=docker_build.DockerfileArgs(location=str(Path(plan.context or ".", plan.dockerfile))),
        platforms=[docker_build.Platform(_PLATFORM[plan.architecture])],
        build_args=dict(plan.build_args) or None,
        tags=[repo.repository_url.apply(lambda url: f"{url}:{plan.context_hash[:32]}")],
        push=True,
        build_on_preview=False,
        registries=[
            docker_build.RegistryArgs(address=repo.repository_url, username=token.user_name, password=token.password)
        ],
        opts=opts,
    )
    uri = pulumi.Output.concat(repo.repository_url, "@", image.digest)
    return ImageResources({**base, "image_uri": uri}, [statement("ImagePull", list(PULL_ACTIONS), repo.arn)])

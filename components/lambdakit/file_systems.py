"""An Amazon EFS file system mounted into a LambdaService's function through an access point.

Lambda mounts at most one file system per function (``FileSystemConfigs`` holds at most
:data:`lambdakit.limits.FILE_SYSTEMS_MAX`, botocore's Lambda model), so the service takes one ``file_system``, not a
list. What is checked, and when:

- before anything is registered: the function is in a VPC (Lambda reaches the mount targets through the function's
  network interfaces; AWS refuses the configuration otherwise), SnapStart is off (SnapStart does not support EFS), the
  local mount path matches ``/mnt/<name>`` (``LocalMountPath``), the access point ARN is an EFS access point ARN (an
  S3 Files access point needs other permissions and is refused), the file system ARN and the optional expected root
  directory match their patterns (EFS model's ``FileSystemId`` and ``Path``), and the access point and the file
  system are in the same region and account;
- when the values resolve (inside ``apply``, folded into the function's ``file_system_config``, so a mismatch fails
  the function instead of passing unseen): the same pattern checks for values known only at deploy time, and, when
  an ``aws.efs.AccessPoint`` is given, that its file system is the ``file_system_arn`` given (if one is) and that its
  root directory is the ``root_directory`` you expect; when ``aws.efs.MountTarget`` resources are given, that they
  belong to that file system.

What cannot be checked from the program: that a root directory without ``creation_info`` exists on the file system
(the mount fails if it does not), that the function's subnets reach a mount target in their availability zones, and
that the security groups allow NFS (TCP 2049); nor, with a plain access point ARN, ``root_directory``. The sandbox
(:mod:`lambdakit.sandbox.efs`) creates file systems, access points and mount targets in moto, refuses a function whose
emulated access point's file system has no mount target or whose role may not mount it, and reports the mount itself
as not emulated.

The function depends on the mount targets: a function created before they are available fails its first invocations
(terraform-aws-lambda #620). ``aws.efs.MountTarget`` resources become ``depends_on``; mount target ids (``Output`` s of
resources in this program) order the function through its ``file_system_config`` input.

The role may mount (and, unless ``read_only``, write) exactly that file system, only through that access point
(``elasticfilesystem:AccessPointArn`` condition); the VPC network-interface permissions are those every VPC function
gets (:data:`lambdakit.iam.VPC_MANAGED_POLICY`).
"""

# No `from __future__ import annotations`: Pulumi's component schema inference reads this TypedDict at run time.
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits
from .validation import Field, is_unknown, optional, parse_arn

__all__ = [
    "FileSystemArgs",
    "FileSystemPlan",
    "file_system_function_args",
    "file_system_statements",
    "file_system_waits",
    "validate_file_system",
]

CLIENT_MOUNT, CLIENT_WRITE = "elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"
ACCESS_POINT_CONDITION = "elasticfilesystem:AccessPointArn"


class FileSystemArgs(TypedDict):
    """An EFS access point the function mounts at `local_mount_path` (the function needs `vpc`)."""

    access_point_arn: pulumi.Input[str]
    """ARN of the EFS access point (`arn:aws:elasticfilesystem:<region>:<account>:access-point/fsap-...`); in Python
    an `aws.efs.AccessPoint` is accepted too (then its file system and root directory are checked). Required."""
    local_mount_path: str
    """Where the function sees the access point's root directory: `/mnt/<name>` (letters, digits, `-`, `_`, `.`),
    at most 160 characters. Required."""
    mount_targets: Sequence[pulumi.Input[str]]
    """Mount target ids (or, in Python, `aws.efs.MountTarget` resources) the function waits for, so its first
    invocations do not fail while they are being created. Required; `[]` when the mount targets are managed
    elsewhere and already available."""
    file_system_arn: NotRequired[pulumi.Input[str]]
    """ARN of the access point's file system (`arn:aws:elasticfilesystem:...:file-system/fs-...`), the resource the
    role may mount. Required with a plain `access_point_arn`; defaults to the `aws.efs.AccessPoint`'s file system."""
    root_directory: NotRequired[str]
    """The access point's root directory you expect (`/` or up to four directories, e.g. `/orders`), checked against
    the `aws.efs.AccessPoint` when one is given. Defaults to no check."""
    read_only: NotRequired[bool]
    """Mount without `elasticfilesystem:ClientWrite`. Defaults to false (read and write)."""


@dataclass(frozen=True)
class FileSystemPlan:
    """The function's file system configuration, its role statement and what the function waits for."""

    #: The access point ARN the function is configured with; when anything is known only at deploy time, an Output
    #: that runs the deploy-time checks and carries the mount targets' dependencies.
    config_arn: Any
    access_point_arn: Any
    file_system_arn: Any
    local_mount_path: str
    read_only: bool
    root_directory: str | None
    #: ``aws.efs.MountTarget`` resources the function depends on.
    mount_target_resources: tuple[pulumi.Resource, ...]
    #: Mount target ids (strings or Outputs), folded into ``config_arn``.
    mount_target_ids: tuple[Any, ...]


def _root_path(root: Any) -> str:
    """The path of an access point's ``root_directory`` output (``/`` when it has none)."""
    if root is None:
        return "/"
    path = root.get("path") if isinstance(root, Mapping) else getattr(root, "path", None)
    return path or "/"


def _region_account(arn: str) -> tuple[str, str]:
    match = parse_arn(arn)
    return ("", "") if match is None else (match["region"], match["account"])


def validate_file_system(
    owner: str, args: Mapping[str, Any], *, has_vpc: bool, snap_start: bool
) -> FileSystemPlan | None:
    """``file_system`` of the service's args -> its plan (None without one)."""
    raw = args.get("file_system")
    if raw is None:
        return None
    field = Field(owner, "file_system")
    if isinstance(raw, Sequence) and not isinstance(raw, str | bytes):
        raise field.fail(
            f"takes one file system, not a list: Lambda mounts at most {limits.FILE_SYSTEMS_MAX} file system per "
            f"function (FileSystemConfigs), got a list of {len(raw)}"
        )
    fs = field.mapping(raw, FileSystemArgs)
    if not has_vpc:
        raise field.fail(
            "needs the function in a VPC: set vpc (subnets that reach the file system's mount targets and security "
            "groups allowing NFS, TCP 2049), got no vpc"
        )
    if snap_start:
        raise field.fail("cannot be used with snap_start: SnapStart does not support Amazon EFS, got snap_start True")

    path = field.key("local_mount_path").string(
        fs["local_mount_path"],
        max_len=limits.LOCAL_MOUNT_PATH_MAX,
        pattern=limits.LOCAL_MOUNT_PATH_RE,
        what="a path /mnt/<name>",
        must="be /mnt/<name> (letters, digits, '-', '_' and '.')",
        plain=True,
    )
    read_only = field.key("read_only").boolean(optional(fs, "read_only", False))
    expected_root = fs.get("root_directory")
    if expected_root is not None:
        expected_root = field.key("root_directory").string(
            expected_root,
            max_len=limits.EFS_ROOT_PATH_MAX,
            pattern=limits.EFS_ROOT_PATH_RE,
            what="an EFS root directory ('/' or '/dir', up to four directories, no trailing '/')",
            plain=True,
        )

    ap_field, fs_field = field.key("access_point_arn"), field.key("file_system_arn")
    given_ap = fs["access_point_arn"]
    resource = given_ap if isinstance(given_ap, aws.efs.AccessPoint) else None
    given_fs = fs.get("file_system_arn")
    if resource is None and given_fs is None:
        raise fs_field.fail(
            "is required with a plain access_point_arn (the role may mount exactly this file system); or give the "
            "aws.efs.AccessPoint resource itself"
        )

    def access_point(v: Any) -> Any:
        if isinstance(v, str) and limits.S3_FILES_ACCESS_POINT_ARN_RE.fullmatch(v):
            raise ap_field.fail(
                f"must be an Amazon EFS access point; S3 Files access points are not supported, got {v!r}"
            )
        return ap_field.string(
            v,
            max_len=limits.FILE_SYSTEM_CONFIG_ARN_MAX,
            pattern=limits.EFS_ACCESS_POINT_ARN_RE,
            what="an EFS access point ARN (arn:aws:elasticfilesystem:<region>:<account>:access-point/fsap-<17 hex>)",
            plain=True,
        )

    def file_system(v: Any) -> Any:
        return fs_field.string(
            v,
            pattern=limits.EFS_FILE_SYSTEM_ARN_RE,
            what="an EFS file system ARN (arn:aws:elasticfilesystem:<region>:<account>:file-system/fs-...)",
            plain=True,
        )

    ap_arn = ap_field.later(resource.arn if resource is not None else given_ap, access_point)
    fs_arn = fs_field.later(given_fs if given_fs is not None else resource.file_system_arn, file_system)  # type: ignore[union-attr]

    mt_field = field.key("mount_targets")
    listed = mt_field.sequence(fs["mount_targets"], what="a list of mount target ids (or aws.efs.MountTarget)")
    resources: list[aws.efs.MountTarget] = []
    ids: list[Any] = []
    for i, mt in enumerate(listed):
        if isinstance(mt, aws.efs.MountTarget):
            resources.append(mt)
        elif isinstance(mt, pulumi.Resource):
            raise mt_field.index(i).wrong("a mount target id or an aws.efs.MountTarget", mt)
        else:
            ids.append(
                mt_field.index(i).string(mt, pattern=limits.EFS_MOUNT_TARGET_ID_RE, what="a mount target id (fsmt-...)")
            )

    def consistent(values: Mapping[str, Any]) -> Any:
        """Every cross-value check, on plain values (at once, or when they resolve)."""
        ap, fsa = values["ap"], values["fs"]
        ap_where, fs_where = _region_account(ap), _region_account(fsa)
        if ap_where != fs_where:
            raise fs_field.fail(
                f"must be in the access point's region and account {':'.join(ap_where)}, got {fsa!r} "
                f"(access point {ap!r})"
            )
        if resource is not None and given_fs is not None and values["resource_fs"] != fsa:
            raise fs_field.fail(
                f"must be the access point's file system {values['resource_fs']!r}, got {fsa!r} (the role would mount "
                "another file system than the one the access point opens)"
            )
        if resource is not None and expected_root is not None:
            actual = _root_path(values["root"])
            if actual != expected_root:
                raise field.key("root_directory").fail(
                    f"is {expected_root!r} but the access point's root directory is {actual!r} ({ap!r})"
                )
        for i, mt_fs in enumerate(values["mount_targets"]):
            if mt_fs != fsa:
                raise mt_field.index(i).fail(f"must be a mount target of {fsa!r}, got one of {mt_fs!r}")
        return ap

    inputs: dict[str, Any] = {
        "ap": ap_arn,
        "fs": fs_arn,
        "resource_fs": resource.file_system_arn if resource is not None else None,
        "root": resource.root_directory if resource is not None and expected_root is not None else None,
        "mount_targets": [mt.file_system_arn for mt in resources],
        "ids": ids,
    }
    if resource is None and not resources and not any(is_unknown(v) for v in (ap_arn, fs_arn, *ids)):
        config_arn = consistent(inputs)
    else:
        # Known only at deploy time: checked when the values resolve, and the mount target ids' dependencies ride
        # on the function's file_system_config.
        config_arn = pulumi.Output.all(**inputs).apply(consistent)
    return FileSystemPlan(
        config_arn=config_arn,
        access_point_arn=ap_arn,
        file_system_arn=fs_arn,
        local_mount_path=path,
        read_only=read_only,
        root_directory=expected_root,
        mount_target_resources=tuple(resources),
        mount_target_ids=tuple(ids),
    )


def file_system_statements(plan: FileSystemPlan | None) -> list[Any]:
    """Mount (and write, unless read-only) the file system, only through the access point."""
    if plan is None:
        return []
    actions = [CLIENT_MOUNT] if plan.read_only else [CLIENT_MOUNT, CLIENT_WRITE]
    return [
        {
            "Sid": "FileSystem",
            "Effect": "Allow",
            "Action": actions,
            "Resource": plan.file_system_arn,
            "Condition": {"StringEquals": {ACCESS_POINT_CONDITION: plan.access_point_arn}},
        }
    ]


def file_system_function_args(plan: FileSystemPlan | None) -> dict[str, Any]:
    """The ``aws.lambda_.Function`` argument (``file_system_config``), for ``create_function(extra=...)``."""
    if plan is None:
        return {}
    return {
        "file_system_config": aws.lambda_.FunctionFileSystemConfigArgs(
            arn=plan.config_arn, local_mount_path=plan.local_mount_path
        )
    }


def file_system_waits(plan: FileSystemPlan | None) -> list[pulumi.Resource]:
    """What the function must be created after: the mount targets given as resources."""
    return [] if plan is None else list(plan.mount_target_resources)

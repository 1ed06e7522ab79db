"""The sandbox's Amazon EFS: file systems, access points and mount targets in moto's EFS backend, and the checks Lambda
makes on a function's ``FileSystemConfigs``.

What is emulated and checked:

- ``aws.efs.FileSystem`` and ``aws.efs.AccessPoint`` are created in moto (an access point on a file system that is not
  there is refused, as EFS refuses it);
- ``aws.efs.MountTarget`` is created in moto when its subnet is in the emulator's EC2; a subnet the sandbox does not
  know (another stack's VPC, the usual case) is recorded, not emulated, and still counts as the file system's mount
  target for the function's check;
- a function with a file system: when the access point is in the emulator, it must be an existing access point whose
  file system already has a mount target (a function created before its mount targets fails, terraform-aws-lambda
  #620), and the execution role must allow ``elasticfilesystem:ClientMount`` on that file system. An access point made
  outside the program cannot be looked up and is reported as not checked.

What is not emulated, and said so in the report: the mount itself. Handlers run as local processes, so
``/mnt/<name>`` is not mounted while the sandbox invokes them; a handler that reads or writes it fails here though it
would work in AWS. Nor can the sandbox check that each of the function's subnets has a mount target in its
availability zone, or that the security groups allow NFS (TCP 2049).
"""

from __future__ import annotations

import hashlib
from typing import Any

from . import rules
from ._moto_compat import give_access_point_id
from .exceptions import RuleViolationError

__all__ = ["HANDLERS", "check_function_file_system"]

CLIENT_MOUNT = "elasticfilesystem:ClientMount"
NOT_MOUNTED = (
    "{path} is not mounted while the sandbox invokes the handler (handlers run as local processes): "
    "code that reads or writes it fails here, not in AWS"
)

Result = tuple[str, dict[str, Any], bool, list[str]]


def _recorded(mocks: Any) -> dict[str, list[str]]:
    """Mount targets recorded without emulation (their subnet is not in the emulator), by file system id."""
    return mocks.__dict__.setdefault("_efs_recorded_mount_targets", {})


def _tags(inputs: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": str(k), "Value": str(v)} for k, v in (inputs.get("tags") or {}).items()]


def file_system(mocks: Any, name: str, inputs: dict[str, Any]) -> Result:
    efs = mocks.client("efs")
    params = {
        "CreationToken": inputs.get("creationToken") or mocks.autoname(name),
        "PerformanceMode": inputs.get("performanceMode"),
        "Encrypted": inputs.get("encrypted"),
        "KmsKeyId": inputs.get("kmsKeyId"),
        "ThroughputMode": inputs.get("throughputMode"),
        "ProvisionedThroughputInMibps": inputs.get("provisionedThroughputInMibps"),
        "AvailabilityZoneName": inputs.get("availabilityZoneName"),
        "Tags": _tags(inputs),
    }
    created = efs.create_file_system(**{k: v for k, v in params.items() if v is not None})
    fs_id = created["FileSystemId"]
    state = {
        "arn": created["FileSystemArn"],
        "dnsName": f"{fs_id}.efs.{mocks.sandbox.region}.amazonaws.com",
        "ownerId": created["OwnerId"],
        "numberOfMountTargets": 0,
        "creationToken": params["CreationToken"],
    }
    return fs_id, state, True, []


def access_point(mocks: Any, name: str, inputs: dict[str, Any]) -> Result:
    efs = mocks.client("efs")
    fs_id = str(inputs["fileSystemId"])
    # EFS refuses an access point on a file system that does not exist; moto's CreateAccessPoint does not check.
    fs_arn = efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["FileSystemArn"]
    posix = inputs.get("posixUser") or {}
    root = inputs.get("rootDirectory") or {}
    info = root.get("creationInfo") or {}
    params: dict[str, Any] = {"ClientToken": mocks.autoname(name), "FileSystemId": fs_id, "Tags": _tags(inputs)}
    if posix:
        params["PosixUser"] = {
            "Uid": int(posix["uid"]),
            "Gid": int(posix["gid"]),
            **({"SecondaryGids": [int(g) for g in posix["secondaryGids"]]} if posix.get("secondaryGids") else {}),
        }
    if root:
        params["RootDirectory"] = {
            "Path": root.get("path") or "/",
            **(
                {
                    "CreationInfo": {
                        "OwnerUid": int(info["ownerUid"]),
                        "OwnerGid": int(info["ownerGid"]),
                        "Permissions": str(info["permissions"]),
                    }
                }
                if info
                else {}
            ),
        }
    created = efs.create_access_point(**params)
    ap_id = "fsap-" + hashlib.sha1(f"{mocks.stack}/{name}".encode()).hexdigest()[:17]
    arn = give_access_point_id(mocks.sandbox.account_id, mocks.sandbox.region, created["AccessPointId"], ap_id)
    state = {
        "arn": arn,
        "fileSystemArn": fs_arn,
        "ownerId": created["OwnerId"],
        "rootDirectory": {"path": (params.get("RootDirectory") or {}).get("Path", "/"), **root},
    }
    return ap_id, state, True, []


def mount_target(mocks: Any, name: str, inputs: dict[str, Any]) -> Result:
    efs = mocks.client("efs")
    fs_id, subnet = str(inputs["fileSystemId"]), str(inputs["subnetId"])
    fs_arn = efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["FileSystemArn"]
    params = {"FileSystemId": fs_id, "SubnetId": subnet, "IpAddress": inputs.get("ipAddress")}
    if inputs.get("securityGroups"):
        params["SecurityGroups"] = list(inputs["securityGroups"])
    try:
        created = efs.create_mount_target(**{k: v for k, v in params.items() if v is not None})
    except efs.exceptions.SubnetNotFound:
        rid = "fsmt-" + hashlib.sha1(f"{mocks.stack}/{name}".encode()).hexdigest()[:17]
        _recorded(mocks).setdefault(fs_id, []).append(rid)
        note = f"subnet {subnet} is not in the emulator's EC2 (another stack's VPC): recorded, not emulated"
        return rid, {"fileSystemArn": fs_arn, "ownerId": mocks.sandbox.account_id}, False, [note]
    state = {
        "fileSystemArn": fs_arn,
        "availabilityZoneName": created.get("AvailabilityZoneName"),
        "availabilityZoneId": created.get("AvailabilityZoneId"),
        "networkInterfaceId": created.get("NetworkInterfaceId"),
        "ipAddress": created.get("IpAddress"),
        "ownerId": created.get("OwnerId"),
        "mountTargetDnsName": f"{created.get('AvailabilityZoneName')}.{fs_id}.efs.{mocks.sandbox.region}.amazonaws.com",
    }
    return created["MountTargetId"], state, True, []


def check_function_file_system(mocks: Any, function: str, inputs: dict[str, Any]) -> list[str]:
    """Check a function's ``fileSystemConfig`` as Lambda does; returns the notes for the report (none without one).

    Raises :class:`RuleViolationError` when the access point is in the emulator but its file system has no mount
    target yet, or when the execution role may not mount that file system."""
    config = inputs.get("fileSystemConfig") or {}
    arn, path = str(config.get("arn") or ""), str(config.get("localMountPath") or "")
    if not arn:
        return []
    notes = [NOT_MOUNTED.format(path=path)]
    efs = mocks.client("efs")
    ap_id = arn.rsplit("/", 1)[-1]
    try:
        ap = efs.describe_access_points(AccessPointId=ap_id)["AccessPoints"][0]
    except efs.exceptions.AccessPointNotFound:
        return [f"access point {arn} is not in the emulator (made outside this program): not checked", *notes]
    fs_id = ap["FileSystemId"]
    fs_arn = efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["FileSystemArn"]
    targets = [t["MountTargetId"] for t in efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]]
    targets += _recorded(mocks).get(fs_id, [])
    what = f"function {function} FileSystemConfigs ({arn} at {path})"
    if not targets:
        raise RuleViolationError(
            f"{what}: EFS file system {fs_id} has no mount target; Lambda cannot mount it (create the mount targets "
            "before the function: list them in file_system.mount_targets so the function waits for them)"
        )
    rules.check_role_allows(mocks.client("iam"), str(inputs["role"]), [CLIENT_MOUNT], fs_arn, what)
    root = (ap.get("RootDirectory") or {}).get("Path", "/")
    checked = (
        f"EFS access point {ap_id} on {fs_id} (root directory {root}, {len(targets)} mount target(s)) checked; "
        "mount-target reachability from the function's subnets and NFS security group rules are not checked"
    )
    return [checked, *notes]


HANDLERS = {
    "aws:efs/fileSystem:FileSystem": file_system,
    "aws:efs/accessPoint:AccessPoint": access_point,
    "aws:efs/mountTarget:MountTarget": mount_target,
}

"""An EFS access point mounted into a LambdaService (issue 13 item 5) under Pulumi mocks: the function's file system
configuration, the role's statement on the exact file system with the access point condition, the order after the
mount targets (terraform-aws-lambda #620), and every failing input, plain or known only at deploy time."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from lambdakit import LambdaService

ACCOUNT = "123456789012"  # the mocks' deploying account
OTHER = "210987654321"
FN = "aws:lambda/function:Function"
POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
ACCESS_POINT_TYPE = "aws:efs/accessPoint:AccessPoint"
ENI_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaENIManagementAccess"
ACCESS_POINT = f"arn:aws:elasticfilesystem:us-east-1:{ACCOUNT}:access-point/fsap-0123456789abcdef0"
FILE_SYSTEM = f"arn:aws:elasticfilesystem:us-east-1:{ACCOUNT}:file-system/fs-0123456789abcdef0"
VPC = {"subnet_ids": ["subnet-a", "subnet-b"], "security_group_ids": ["sg-1"]}


@pytest.fixture(autouse=True, scope="module")
def _collect_failed_futures() -> Iterator[None]:
    # Failed evaluations leave futures whose finalisers log from a later test's import otherwise (see test_triggers).
    yield
    gc.collect()


def service(file_system: Any, **extra: Any) -> LambdaService:
    args = {"code_path": "src", "vpc": VPC, "file_system": file_system, **extra}
    return LambdaService("orders", args)  # type: ignore[arg-type]


def plain(**extra: Any) -> dict[str, Any]:
    return {
        "access_point_arn": ACCESS_POINT,
        "file_system_arn": FILE_SYSTEM,
        "local_mount_path": "/mnt/orders",
        "mount_targets": [],
        **extra,
    }


def statements(deployed: Any) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(deployed.one(POLICY).inputs["policy"])["Statement"]}


def efs(root: str = "/orders", zones: int = 2) -> tuple[aws.efs.FileSystem, list[aws.efs.MountTarget], Any]:
    """A file system, a mount target per subnet and an access point, as a program declares them."""
    fs = aws.efs.FileSystem("shared", encrypted=True)
    targets = [
        aws.efs.MountTarget(f"shared-{i}", file_system_id=fs.id, subnet_id=f"subnet-{i}", security_groups=["sg-nfs"])
        for i in range(zones)
    ]
    ap = aws.efs.AccessPoint(
        "shared-orders",
        file_system_id=fs.id,
        posix_user=aws.efs.AccessPointPosixUserArgs(uid=1000, gid=1000),
        root_directory=aws.efs.AccessPointRootDirectoryArgs(
            path=root,
            creation_info=aws.efs.AccessPointRootDirectoryCreationInfoArgs(
                owner_uid=1000, owner_gid=1000, permissions="750"
            ),
        ),
    )
    return fs, targets, ap


def assert_fails_before_anything(deploy_error: Any, message: str, file_system: Any, **extra: Any) -> None:
    error, deployed = deploy_error(lambda: service(file_system, **extra))
    assert isinstance(error, ValueError | TypeError), f"unexpected {type(error).__name__}: {error}"
    assert re.search(message, str(error)), f"{message!r} not in {error}"
    assert deployed.run.registrations == [], [r.urn for r in deployed.run.registrations]


# --- what is registered ---------------------------------------------------------------------------------------------


def test_access_point_is_mounted_and_the_role_may_mount_only_that_file_system_through_it(deploy: Any) -> None:
    deployed = deploy(lambda: service(plain()))
    fn = deployed.one(FN).inputs
    assert fn["fileSystemConfig"] == {"arn": ACCESS_POINT, "localMountPath": "/mnt/orders"}
    assert fn["vpcConfig"]["subnetIds"] == ["subnet-a", "subnet-b"]
    assert statements(deployed)["FileSystem"] == {
        "Sid": "FileSystem",
        "Effect": "Allow",
        "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        "Resource": FILE_SYSTEM,
        "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": ACCESS_POINT}},
    }
    # The network interfaces come from the VPC function's managed policy, attached before the function exists.
    attachments = deployed.of_type(ATTACHMENT)
    assert [a.inputs["policyArn"] for a in attachments] == [ENI_POLICY]
    assert attachments[0].urn in deployed.one(FN).dependencies


def test_read_only_mounts_without_write(deploy: Any) -> None:
    deployed = deploy(lambda: service(plain(read_only=True)))
    statement = statements(deployed)["FileSystem"]
    assert statement["Action"] == ["elasticfilesystem:ClientMount"]
    assert statement["Resource"] == FILE_SYSTEM
    assert statement["Condition"] == {"StringEquals": {"elasticfilesystem:AccessPointArn": ACCESS_POINT}}


def test_without_a_file_system_the_function_has_none_and_the_role_no_efs_statement(deploy: Any) -> None:
    deployed = deploy(lambda: LambdaService("orders", {"code_path": "src", "vpc": VPC}))  # type: ignore[typeddict-item]
    assert "fileSystemConfig" not in deployed.one(FN).inputs
    assert "FileSystem" not in statements(deployed)


def test_with_efs_resources_the_function_waits_for_every_mount_target(deploy: Any) -> None:
    def program() -> None:
        _, targets, ap = efs()
        service(
            {
                "access_point_arn": ap,
                "local_mount_path": "/mnt/orders",
                "mount_targets": targets,
                "root_directory": "/orders",
            }
        )

    deployed = deploy(program)
    fn = deployed.one(FN)
    ap = deployed.one(ACCESS_POINT_TYPE)
    targets = deployed.of_type(MOUNT_TARGET)
    assert len(targets) == 2
    for target in targets:
        assert target.urn in fn.dependencies, "created before the mount targets, the first invocations fail (#620)"
    ap_arn = f"arn:aws:elasticfilesystem:us-east-1:{ACCOUNT}:access-point/{ap.id}"
    assert fn.inputs["fileSystemConfig"] == {"arn": ap_arn, "localMountPath": "/mnt/orders"}
    fs_id = targets[0].inputs["fileSystemId"]
    statement = statements(deployed)["FileSystem"]
    assert statement["Resource"] == f"arn:aws:elasticfilesystem:us-east-1:{ACCOUNT}:file-system/{fs_id}"
    assert statement["Condition"] == {"StringEquals": {"elasticfilesystem:AccessPointArn": ap_arn}}


def test_mount_target_ids_known_at_deploy_time_order_the_function_through_its_config(deploy: Any) -> None:
    def program() -> None:
        fs, targets, ap = efs()
        service(
            {
                "access_point_arn": ap.arn,
                "file_system_arn": fs.arn,
                "local_mount_path": "/mnt/orders",
                "mount_targets": [t.id for t in targets],
            }
        )

    deployed = deploy(program)
    fn = deployed.one(FN)
    for target in deployed.of_type(MOUNT_TARGET):
        assert target.urn in fn.dependencies
        assert target.urn in fn.property_dependencies["fileSystemConfig"]
    assert fn.inputs["fileSystemConfig"]["arn"].startswith("arn:aws:elasticfilesystem:")


# --- failing inputs -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_system", "extra", "message"),
    [
        (plain(), {"vpc": None}, r"orders: file_system needs the function in a VPC: set vpc"),
        (plain(), {"snap_start": True}, r"file_system cannot be used with snap_start"),
        (
            [plain(), plain(local_mount_path="/mnt/other")],
            {},
            r"file_system takes one file system, not a list: Lambda mounts at most 1 .* got a list of 2",
        ),
        ([plain()], {}, r"file_system takes one file system, not a list"),
        (plain(local_mount_path="/data"), {}, r"file_system.local_mount_path must be /mnt/<name> .* got '/data'"),
        (plain(local_mount_path="/mnt/a/b"), {}, r"local_mount_path must be /mnt/<name>.* got '/mnt/a/b'"),
        (plain(local_mount_path="/mnt/"), {}, r"local_mount_path must be /mnt/<name>"),
        (plain(local_mount_path="/mnt/" + "x" * 160), {}, r"local_mount_path must be at most 160 characters"),
        (
            plain(access_point_arn=FILE_SYSTEM),
            {},
            r"file_system.access_point_arn must be an EFS access point ARN .* got '[^']*:file-system/",
        ),
        (
            plain(
                access_point_arn="arn:aws:s3files:us-east-1:123456789012:file-system/fs-0123456789abcdef0/"
                "access-point/fsap-0123456789abcdef0"
            ),
            {},
            r"access_point_arn must be an Amazon EFS access point; S3 Files access points are not supported",
        ),
        (
            {k: v for k, v in plain().items() if k != "file_system_arn"},
            {},
            r"file_system.file_system_arn is required with a plain access_point_arn",
        ),
        (plain(file_system_arn="fs-0123456789abcdef0"), {}, r"file_system_arn must be an EFS file system ARN"),
        (
            plain(file_system_arn=FILE_SYSTEM.replace(ACCOUNT, OTHER)),
            {},
            r"file_system_arn must be in the access point's region and account us-east-1:123456789012",
        ),
        (
            plain(file_system_arn=FILE_SYSTEM.replace("us-east-1", "eu-west-1")),
            {},
            r"file_system_arn must be in the access point's region and account",
        ),
        ({k: v for k, v in plain().items() if k != "mount_targets"}, {}, r"file_system.mount_targets is required"),
        (plain(mount_targets=["subnet-a"]), {}, r"file_system.mount_targets\[0\] must be a mount target id \(fsmt-"),
        (plain(mount_targets="fsmt-0123456789abcdef0"), {}, r"file_system.mount_targets must be a list"),
        (plain(root_directory="orders"), {}, r"file_system.root_directory must be an EFS root directory"),
        (plain(root_directory="/a/b/c/d/e"), {}, r"root_directory must be an EFS root directory"),
        (plain(read_only="yes"), {}, r"file_system.read_only must be true or false"),
        (plain(mount_path="/mnt/x"), {}, r"file_system has an unknown setting 'mount_path'"),
    ],
)
def test_bad_file_systems_fail_before_anything_is_registered(
    deploy_error: Any, file_system: Any, extra: dict[str, Any], message: str
) -> None:
    assert_fails_before_anything(deploy_error, message, file_system, **extra)


def test_a_root_directory_other_than_the_access_points_fails_when_it_resolves(deploy_error: Any) -> None:
    def program() -> None:
        _, targets, ap = efs(root="/reports")
        service(
            {
                "access_point_arn": ap,
                "local_mount_path": "/mnt/orders",
                "mount_targets": targets,
                "root_directory": "/orders",
            }
        )

    error, deployed = deploy_error(program)
    assert re.search(r"orders: file_system.root_directory is '/orders' but the access point's root directory is "
                     r"'/reports'", str(error)), str(error)  # fmt: skip
    assert not deployed.of_type(FN), "the function is not created with the wrong access point"


def test_a_file_system_arn_other_than_the_access_points_fails_when_it_resolves(deploy_error: Any) -> None:
    def program() -> None:
        _, targets, ap = efs()
        service(
            {
                "access_point_arn": ap,
                "file_system_arn": FILE_SYSTEM,
                "local_mount_path": "/mnt/o",
                "mount_targets": targets,
            }
        )

    error, deployed = deploy_error(program)
    assert "file_system.file_system_arn must be the access point's file system" in str(error), str(error)
    assert FILE_SYSTEM in str(error)
    assert not deployed.of_type(FN)


def test_a_mount_target_of_another_file_system_fails_when_it_resolves(deploy_error: Any) -> None:
    def program() -> None:
        _, _, ap = efs()
        other = aws.efs.FileSystem("other")
        stray = aws.efs.MountTarget("other-0", file_system_id=other.id, subnet_id="subnet-0")
        service({"access_point_arn": ap, "local_mount_path": "/mnt/o", "mount_targets": [stray]})

    error, deployed = deploy_error(program)
    assert re.search(r"file_system.mount_targets\[0\] must be a mount target of 'arn:aws:elasticfilesystem:.*', got "
                     r"one of 'arn:aws:elasticfilesystem:.*'", str(error)), str(error)  # fmt: skip
    assert not deployed.of_type(FN)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "access_point_arn",
            "arn:aws:elasticfilesystem:us-east-1:1:access-point/x",
            r"access_point_arn must be an EFS",
        ),
        ("file_system_arn", FILE_SYSTEM.replace(ACCOUNT, OTHER), r"file_system_arn must be in the access point's"),
        ("mount_targets", ["fsmt-nothex"], r"mount_targets\[0\] must be a mount target id"),
    ],
)
def test_values_known_at_deploy_time_are_checked_when_they_resolve(
    deploy_error: Any, key: str, value: Any, message: str
) -> None:
    late: Any = (
        [pulumi.Output.from_input(v) for v in value] if isinstance(value, list) else pulumi.Output.from_input(value)
    )
    error, deployed = deploy_error(lambda: service(plain(**{key: late})))
    assert re.search(message, str(error)), str(error)
    assert not deployed.of_type(FN)


def test_a_mount_target_must_be_an_id_or_a_mount_target_resource(deploy_error: Any) -> None:
    def program() -> None:
        fs = aws.efs.FileSystem("shared")
        service(plain(mount_targets=[fs]))

    error, _ = deploy_error(program)
    assert "file_system.mount_targets[0] must be a mount target id or an aws.efs.MountTarget" in str(error)

"""EFS in the sandbox: file systems, access points and mount targets in moto's EFS; the function's file system checked
as Lambda checks it (an access point whose file system has a mount target, a role that may mount it), and the mount
itself reported as not emulated (handlers run as local processes, so /mnt/<name> is not there)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from lambdakit.sandbox import DeployError, Deployment, Sandbox, deploy

PROGRAM = """
import json

import pulumi
import pulumi_aws as aws

from lambdakit import LambdaService

config = pulumi.Config()
subnet = config.require("subnet")
fs = aws.efs.FileSystem(f"{pulumi.get_project()}-models", encrypted=True)
ap = aws.efs.AccessPoint(
    "models-ap",
    file_system_id=fs.id,
    posix_user={"uid": 1000, "gid": 1000},
    root_directory={"path": "/lambda", "creation_info": {"owner_uid": 1000, "owner_gid": 1000, "permissions": "750"}},
)
targets = []
if not config.get_bool("noMountTarget"):
    targets.append(aws.efs.MountTarget("models-mt", file_system_id=fs.id, subnet_id=subnet))
role_arn = None
if config.get_bool("ownRole"):
    assume = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role_arn = aws.iam.Role("own", assume_role_policy=json.dumps(assume)).arn
svc = LambdaService(
    pulumi.get_project(),
    {
        "code_path": "src",
        **({"role_arn": role_arn} if role_arn is not None else {}),
        "vpc": {"subnet_ids": [subnet], "security_group_ids": ["sg-0123456789abcdef0"]},
        "file_system": {"access_point_arn": ap, "local_mount_path": "/mnt/models", "mount_targets": targets},
    },
)
pulumi.export("function_name", svc.function_name)
pulumi.export("access_point", ap.id)
"""

HANDLER = """
import os


def handler(event, context):
    return {"mounted": os.path.isdir("/mnt/models")}
"""


def write_program(root: Path, config: dict[str, object]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(f"name: {root.name}\nruntime: python\n")
    lines = "".join(f"  {root.name}:{key}: {json.dumps(value)}\n" for key, value in config.items())
    (root / "Pulumi.dev.yaml").write_text("config:\n" + lines)
    (root / "__main__.py").write_text(textwrap.dedent(PROGRAM))
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "handler.py").write_text(HANDLER)
    return root


@pytest.fixture(scope="module")
def emulated_subnet(sandbox: Sandbox) -> str:
    ec2 = sandbox.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    return str(ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24")["Subnet"]["SubnetId"])


@pytest.fixture(scope="module")
def dev(sandbox: Sandbox, emulated_subnet: str, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    root = write_program(tmp_path_factory.mktemp("efs") / "efsok", {"subnet": emulated_subnet})
    return deploy(sandbox, root, "dev")


def test_file_system_access_point_and_mount_target_are_in_moto(sandbox: Sandbox, dev: Deployment) -> None:
    efs = sandbox.client("efs")
    ap = efs.describe_access_points(AccessPointId=str(dev.exports["access_point"]))["AccessPoints"][0]
    assert ap["RootDirectory"]["Path"] == "/lambda"
    assert ap["PosixUser"] == {"Uid": 1000, "Gid": 1000}
    targets = efs.describe_mount_targets(FileSystemId=ap["FileSystemId"])["MountTargets"]
    assert len(targets) == 1, targets
    mount_target = dev.by_type("aws:efs/mountTarget:MountTarget")[0]
    assert mount_target.emulated and mount_target.id == targets[0]["MountTargetId"]


def test_the_function_is_checked_and_the_mount_is_reported_as_not_emulated(sandbox: Sandbox, dev: Deployment) -> None:
    function = dev.by_type("aws:lambda/function:Function")[0]
    notes = " | ".join(function.notes)
    assert "checked" in notes and "root directory /lambda" in notes and "1 mount target" in notes, notes
    assert "/mnt/models is not mounted" in notes, notes
    out = sandbox.invoke(str(dev.exports["function_name"]), "live", {})
    assert out.ok and json.loads(out.payload) == {"mounted": False}, "the handler runs, without the mount"


def test_a_mount_target_in_a_subnet_the_emulator_does_not_have_is_recorded(
    sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = write_program(tmp_path_factory.mktemp("efs") / "efsother", {"subnet": "subnet-0aaaabbbbccccdddd"})
    deployed = deploy(sandbox, root, "dev")
    mount_target = deployed.by_type("aws:efs/mountTarget:MountTarget")[0]
    assert not mount_target.emulated and "not in the emulator's EC2" in mount_target.notes[0]
    assert mount_target.id.startswith("fsmt-")
    assert mount_target in deployed.not_emulated()
    function = deployed.by_type("aws:lambda/function:Function")[0]
    assert any("1 mount target" in n for n in function.notes), "the recorded mount target counts"


def test_a_file_system_without_a_mount_target_is_refused_before_the_function(
    sandbox: Sandbox, emulated_subnet: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = write_program(tmp_path_factory.mktemp("efs") / "efsnone", {"subnet": emulated_subnet, "noMountTarget": True})
    with pytest.raises(DeployError) as info:
        deploy(sandbox, root, "dev")
    message = str(info.value)
    assert "has no mount target" in message and "file_system.mount_targets" in message, message
    assert "/mnt/models" in message, message


def test_a_role_that_may_not_mount_the_file_system_is_refused(
    sandbox: Sandbox, emulated_subnet: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = write_program(tmp_path_factory.mktemp("efs") / "efsrole", {"subnet": emulated_subnet, "ownRole": True})
    with pytest.raises(DeployError) as info:
        deploy(sandbox, root, "dev")
    message = str(info.value)
    assert "elasticfilesystem:ClientMount" in message and "file-system/fs-" in message, message

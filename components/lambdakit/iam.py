"""Least-privilege IAM for a Lambda service, generated from what the service uses.

The rules that keep a role least-privilege apply to plain values when the program runs and to Outputs when they
resolve (failing the deployment with the same message): no ``*``, ``*:*`` or ``service:*`` action, no wildcard
resource (``*``, ``arn:*``, ``arn:aws:s3:::*``) without ``allow_wildcard_resource``, no administrator or power-user
managed policy.
"""

# No `from __future__ import annotations`: the TypedDict below is read by Pulumi's schema inference at run time.
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import limits
from .validation import Field, is_unknown, is_wildcard_resource, optional


class PolicyStatementArgs(TypedDict):
    """An extra IAM statement for the function's role."""

    actions: Sequence[pulumi.Input[str]]
    """IAM actions, e.g. `dynamodb:GetItem`. `*`, `*:*` and whole-service wildcards such as `s3:*` are rejected;
    prefix wildcards like `s3:Get*` are allowed."""
    resources: Sequence[pulumi.Input[str]]
    """Exact resource ARNs. A wildcard (`*`, `arn:*`, `arn:aws:s3:::*`) is rejected unless
    `allow_wildcard_resource` is true."""
    effect: NotRequired[pulumi.Input[str]]
    """Allow or Deny. Defaults to Allow."""
    allow_wildcard_resource: NotRequired[bool]
    """Acknowledge a `*` resource for actions that support no resource-level permissions. Defaults to false."""


LAMBDA_ASSUME_ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)

# Actions a destination needs, by the destination's service.
DESTINATION_ACTIONS = {
    "sqs": ["sqs:SendMessage"],
    "sns": ["sns:Publish"],
    "lambda": ["lambda:InvokeFunction"],
    "events": ["events:PutEvents"],
    "s3": ["s3:PutObject"],
}

SQS_CONSUMER_ACTIONS = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
]
DYNAMODB_STREAM_ACTIONS = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
]
# No dynamodb:ListStreams: it supports no resource-level permissions (IAM's service authorization reference), so on
# the stream ARNs it granted nothing, and the mapping reads the one stream it is given (what Lambda checks when the
# mapping is created is DescribeStream, GetRecords and GetShardIterator).
KINESIS_STREAM_ACTIONS = [
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
    "kinesis:SubscribeToShard",
]
# X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions: "*" is the narrowest resource.
XRAY_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
VPC_MANAGED_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaENIManagementAccess"
#: AWS managed policies that give a function the run of the account (the policy pack forbids the same names).
ADMIN_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
# Region and account may be wildcards in a statement's resource (arn:aws:dynamodb:*:*:table/orders).
_RESOURCE_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9*-]*:([0-9]{12}|aws|\*|):[!-~]+", re.ASCII)
_ACTION_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-*?")


@dataclass(frozen=True)
class RolePlan:
    """The execution role: brought (``role_arn``) or generated with extra statements and managed policies."""

    role_arn: Any
    statements: tuple[Any, ...]
    managed_policy_arns: tuple[Any, ...]
    #: Managed policy ARN set as the generated role's permissions boundary (None: no boundary).
    permissions_boundary: Any = None
    #: The generated role's path (None: ``/``).
    path: Any = None
    #: Prefix of the generated role's name (None: Pulumi's auto-name ``<service>-role-<hex>``).
    name_prefix: str | None = None


def statement(sid: str, actions: Sequence[str], resources: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": resources}


def _action(field: Field, value: Any) -> Any:
    def check(a: Any) -> Any:
        field.string(a, what="an IAM action such as 's3:GetObject'", plain=True)
        prefix, colon, name = a.partition(":")
        if (
            not colon
            or not prefix
            or not name
            or prefix == "*"
            or name == "*"
            or not set(prefix + name) <= _ACTION_CHARS
        ):
            raise field.fail(
                f"must be service-scoped actions like 's3:GetObject' (no '*', '*:*' or whole-service 's3:*'), got {a!r}"
            )
        return a

    return field.later(value, check)


def _resource(field: Field, value: Any, wildcard_ok: bool) -> Any:
    def check(r: Any) -> Any:
        field.string(r, what="a resource ARN", plain=True)
        if is_wildcard_resource(r):
            if not wildcard_ok:
                raise field.fail(
                    f"must be exact ARNs; {r!r} is a wildcard, which needs allow_wildcard_resource=True (only for "
                    "actions without resource-level permissions)"
                )
        elif not _RESOURCE_ARN.fullmatch(r):
            raise field.fail(f"must be an ARN (arn:aws:<service>:<region>:<account>:<resource>), got {r!r}")
        return r

    return field.later(value, check)


def _user_statement(field: Field, index: int, raw: Any) -> dict[str, Any]:
    st = field.mapping(raw, PolicyStatementArgs)
    wildcard_ok = field.key("allow_wildcard_resource").boolean(optional(st, "allow_wildcard_resource", False))
    # Items are reported by the list's name ("policy_statements[0].actions"), with the offending value.
    listed = field.key("actions")
    actions = listed.items(st["actions"], lambda _, a: _action(listed, a), min_len=1)
    named = field.key("resources")
    resources = named.items(st["resources"], lambda _, r: _resource(named, r, wildcard_ok), min_len=1)
    effect = field.key("effect").choice(optional(st, "effect", "Allow"), ("Allow", "Deny"))
    return {"Sid": f"User{index}", "Effect": effect, "Action": actions, "Resource": resources}


def _managed_policy(field: Field, value: Any) -> Any:
    def check(arn: Any) -> Any:
        field.arn(arn, ("iam",), what="IAM managed policy ARN", plain=True)
        if arn.split(":", 5)[5].rsplit("/", 1)[-1] in ADMIN_MANAGED_POLICIES:
            raise field.fail(f"must not grant administrator or power-user access, got {arn!r}")
        return arn

    return field.later(value, check)


#: The execution role controls of LambdaServiceArgs (issue 13), which shape the generated role.
ROLE_CONTROLS = ("role_permissions_boundary_arn", "role_path", "role_name_prefix")


def _boundary(field: Field, value: Any) -> Any:
    def check(arn: Any) -> Any:
        field.arn(arn, ("iam",), what="IAM managed policy ARN", plain=True)
        if not arn.split(":", 5)[5].startswith("policy/"):
            raise field.fail(f"must be a managed policy ARN (arn:aws:iam::<account>:policy/<name>), got {arn!r}")
        return arn

    return field.later(value, check)


def _controls(root: Field, controls: Any) -> dict[str, Any]:
    """``permissions_boundary``, ``path`` and ``name_prefix`` of the generated role from the service's args."""
    boundary, path, prefix = (controls.get(k) for k in ROLE_CONTROLS)
    return {
        "permissions_boundary": None
        if boundary is None
        else _boundary(root.key("role_permissions_boundary_arn"), boundary),
        "path": None
        if path is None
        else root.key("role_path").string(
            path,
            max_len=limits.IAM_PATH_MAX,
            pattern=limits.IAM_PATH_RE,
            what="an IAM path: '/' or '/segment/.../' (printable ASCII, starting and ending with '/')",
        ),
        "name_prefix": None
        if prefix is None
        else root.key("role_name_prefix").string(
            prefix,
            max_len=limits.IAM_ROLE_NAME_PREFIX_MAX,
            pattern=limits.IAM_ROLE_NAME_RE,
            what="a role name prefix (letters, digits and +=,.@_-)",
            plain=True,
        ),
    }


def validate_role(
    owner: str, role_arn: Any, policy_statements: Any, managed_policy_arns: Any, controls: Any = None
) -> RolePlan:
    """The role settings -> its plan; a brought role cannot be extended (that belongs to the role's owner).
    ``controls`` is the mapping that holds the :data:`ROLE_CONTROLS` (the service's args)."""
    root = Field(owner)
    controls = {} if controls is None else controls
    if role_arn is not None:
        shaped = [k for k in ROLE_CONTROLS if controls.get(k) is not None]
        if policy_statements or managed_policy_arns or shaped:
            extra = ", ".join(shaped or ["policy_statements or managed_policy_arns"])
            raise root.key("role_arn").fail(
                f"cannot be combined with {extra}: those shape the generated role; set them on your own role instead"
            )
        return RolePlan(root.key("role_arn").arn(role_arn, ("iam",), what="IAM role ARN"), (), ())
    field = root.key("policy_statements")
    items = field.sequence([] if policy_statements is None else policy_statements, what="a list of statements")
    statements = tuple(_user_statement(field.index(i), i, raw) for i, raw in enumerate(items))
    managed = root.key("managed_policy_arns")
    arns = managed.sequence([] if managed_policy_arns is None else managed_policy_arns, what="a list of ARNs")
    return RolePlan(
        None,
        statements,
        tuple(_managed_policy(managed.index(i), a) for i, a in enumerate(arns)),
        **_controls(root, controls),
    )


def destination_statement(sid: str, arn: Any) -> Any:
    """Send-to-destination permission on exactly that ARN; the action depends on the destination's service."""

    def build(a: str) -> dict[str, Any]:
        kind = a.split(":")[2]
        resource = f"{a}/*" if kind == "s3" else a
        return statement(sid, DESTINATION_ACTIONS[kind], resource)

    return pulumi.Output.from_input(arn).apply(build) if is_unknown(arn) else build(arn)


def stream_statement(sid: str, arn: Any) -> Any:
    def build(a: str) -> dict[str, Any]:
        if ":dynamodb:" in a:
            # The table's stream/* as well: a new stream label (the stream re-enabled) keeps working.
            table_streams = a.split("/stream/")[0] + "/stream/*"
            return statement(sid, DYNAMODB_STREAM_ACTIONS, sorted({a, table_streams}))
        # SubscribeToShard applies to the stream's consumers (enhanced fan-out), not to the stream itself.
        return statement(sid, KINESIS_STREAM_ACTIONS, [a, f"{a}/consumer/*"])

    return pulumi.Output.from_input(arn).apply(build) if is_unknown(arn) else build(arn)


def policy_document(statements: list[Any]) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements})


def create_role(
    service: str, plan: RolePlan, statements: list[Any], tags: Any, extra_managed: Sequence[str], parent: Any
) -> tuple[pulumi.Input[str], list[pulumi.Resource]]:
    """(the role ARN, what the function must wait for): the generated role, its policy and attachments, or the
    brought role's ARN and nothing to wait for."""
    if plan.role_arn is not None:
        return plan.role_arn, []
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        f"{service}-role",
        assume_role_policy=LAMBDA_ASSUME_ROLE_POLICY,
        description=f"Execution role of lambdakit service {service}",
        permissions_boundary=plan.permissions_boundary,
        path=plan.path,
        name_prefix=plan.name_prefix,
        tags=tags,
        opts=child,
    )
    policy = aws.iam.RolePolicy(
        f"{service}-policy", role=role.id, policy=policy_document([*statements, *plan.statements]), opts=child
    )
    waits: list[pulumi.Resource] = [policy]
    for i, arn in enumerate([*plan.managed_policy_arns, *extra_managed]):
        waits.append(aws.iam.RolePolicyAttachment(f"{service}-managed-{i}", role=role.name, policy_arn=arn, opts=child))
    return role.arn, waits

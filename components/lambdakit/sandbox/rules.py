"""Lambda API rules the emulator does not enforce, checked where the sandbox creates or records a resource.

moto accepts invalid alias weights, has no provisioned concurrency API and does not compare an SQS queue's
visibility timeout with the function timeout; AWS rejects all of these at deploy time. Each check raises
``RuleViolationError`` naming the resource, the field, the rule and the value, in the words of the AWS error where there
is one. Checks that AWS itself only surfaces at run time return warnings for the report instead.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from lambdakit import limits

from .exceptions import RuleViolationError

# The Lambda limits live in one place, components/limits.py (sourced from the Lambda quotas page and botocore's model).
MEMORY_MB = (int(limits.MEMORY_MB.low), int(limits.MEMORY_MB.high))
TIMEOUT_S = (int(limits.TIMEOUT_S.low), int(limits.TIMEOUT_S.high))
EPHEMERAL_MB = (int(limits.EPHEMERAL_STORAGE_MB.low), int(limits.EPHEMERAL_STORAGE_MB.high))
MAX_LAYERS = limits.MAX_LAYERS
ENV_BYTES = limits.ENVIRONMENT_MAX_BYTES
RESERVED_ENV = limits.RESERVED_ENVIRONMENT_NAMES
SQS_BATCH_WITHOUT_WINDOW = int(limits.SQS_BATCH.high)
SQS_BATCH_MAX = int(limits.SQS_BATCH_WITH_WINDOW.high)
FIFO_BATCH_MAX = int(limits.SQS_FIFO_BATCH.high)
STREAM_BATCH_MAX = int(limits.STREAM_BATCH.high)
PC_DIMENSION = "lambda:function:ProvisionedConcurrency"


def _range(what: str, field: str, value: Any, bounds: tuple[int, int], unit: str) -> None:
    if value is None:
        return
    low, high = bounds
    if not low <= int(value) <= high:
        raise RuleViolationError(f"{what}: {field} must be {low}-{high} {unit}, got {value}")


def check_function(name: str, inp: Mapping[str, Any]) -> None:
    what = f"function {name}"
    runtime = inp.get("runtime")
    if runtime and (problem := limits.runtime_problem(str(runtime))) is not None:
        raise RuleViolationError(f"{what}: runtime {problem}")
    _range(what, "memorySize", inp.get("memorySize"), MEMORY_MB, "MB")
    _range(what, "timeout", inp.get("timeout"), TIMEOUT_S, "seconds")
    _range(what, "ephemeralStorage.size", (inp.get("ephemeralStorage") or {}).get("size"), EPHEMERAL_MB, "MB")
    layers = inp.get("layers") or []
    if len(layers) > MAX_LAYERS:
        raise RuleViolationError(f"{what}: layers must be at most {MAX_LAYERS}, got {len(layers)}")
    variables = (inp.get("environment") or {}).get("variables") or {}
    reserved = sorted(set(variables) & RESERVED_ENV)
    if reserved:
        raise RuleViolationError(f"{what}: environment variables {reserved} are reserved by Lambda and cannot be set")
    size = len(json.dumps(variables, separators=(",", ":")).encode())
    if size > ENV_BYTES:
        raise RuleViolationError(f"{what}: environment variables must total at most {ENV_BYTES} bytes, got {size}")


def check_alias(function: str, alias: str, version: str, weights: Mapping[str, float], versions: Sequence[str]) -> None:
    what = f"alias {function}:{alias}"
    if version != "$LATEST" and version not in versions:
        raise RuleViolationError(f"{what}: functionVersion {version} does not exist (published: {', '.join(versions)})")
    if not weights:
        return
    if version == "$LATEST":
        raise RuleViolationError(f"{what}: $LATEST is not supported for an alias pointing to more than 1 version")
    if len(weights) > 1:
        raise RuleViolationError(
            f"{what}: routingConfig may route to at most one additional version, got {sorted(weights)}"
        )
    for extra, weight in weights.items():
        if extra == "$LATEST" or extra not in versions:
            raise RuleViolationError(f"{what}: additional version {extra} must be an existing published version")
        if extra == version:
            raise RuleViolationError(f"{what}: additional version {extra} must differ from functionVersion {version}")
        if not 0.0 < float(weight) < 1.0:
            raise RuleViolationError(
                f"{what}: additional version weight must be between 0 and 1 (exclusive), got {weight}"
            )


def check_event_source_mapping(
    function: str,
    source: str,
    inp: Mapping[str, Any],
    function_timeout: int,
    queue_visibility_timeout: int | None,
) -> None:
    what = f"event source mapping {function} <- {source.split(':')[-1]}"
    batch = inp.get("batchSize")
    window = int(inp.get("maximumBatchingWindowInSeconds") or 0)
    service = source.split(":")[2]
    if service == "sqs":
        if source.endswith(".fifo"):
            limit = FIFO_BATCH_MAX
        else:
            limit = SQS_BATCH_MAX if window >= 1 else SQS_BATCH_WITHOUT_WINDOW
        if batch is not None and not 1 <= int(batch) <= limit:
            hint = (
                "" if window or source.endswith(".fifo") else " (up to 10000 with maximumBatchingWindowInSeconds >= 1)"
            )
            raise RuleViolationError(f"{what}: batchSize must be 1-{limit}{hint}, got {batch}")
        if queue_visibility_timeout is not None and queue_visibility_timeout < function_timeout:
            raise RuleViolationError(
                f"{what}: Queue visibility timeout: {queue_visibility_timeout} seconds is less than Function timeout: "
                f"{function_timeout} seconds"
            )
        if inp.get("startingPosition"):
            raise RuleViolationError(
                f"{what}: startingPosition is not supported for SQS, got {inp['startingPosition']}"
            )
    elif service in ("dynamodb", "kinesis"):
        if not inp.get("startingPosition"):
            raise RuleViolationError(
                f"{what}: startingPosition is required for a stream source (TRIM_HORIZON or LATEST)"
            )
        if batch is not None and not 1 <= int(batch) <= STREAM_BATCH_MAX:
            raise RuleViolationError(f"{what}: batchSize must be 1-{STREAM_BATCH_MAX}, got {batch}")


def check_qualified(kind: str, name: str, function: str, qualifier: str | None, aliases: Sequence[str]) -> None:
    if qualifier and qualifier != "$LATEST" and not qualifier.isdigit() and qualifier not in aliases:
        raise RuleViolationError(
            f"{kind} {name}: qualifier {qualifier} is not an alias of {function} ({list(aliases)})"
        )


def check_provisioned_concurrency(
    function: str,
    qualifier: str | None,
    count: int,
    versions: Sequence[str],
    aliases: Mapping[str, Mapping[str, Any]],
    reserved: int | None,
    *,
    existed_before_canary: bool = False,
) -> list[str]:
    """Raise on what AWS refuses; return notes for the report.

    ``existed_before_canary``: the deploy stands in for an update of a stack whose earlier deploys published the
    alias's stable version. There, provisioned concurrency on an alias that now routes weights was created by an
    earlier deploy (before the canary started) and is left alone by this one, which AWS accepts; creating it on a
    weighted alias is what AWS refuses.
    """
    what = f"provisioned concurrency on {function}:{qualifier}"
    notes: list[str] = []
    if not qualifier or qualifier == "$LATEST":
        raise RuleViolationError(
            f"{what}: qualifier must be an alias or a published version, never $LATEST or empty (got {qualifier!r})"
        )
    if qualifier.isdigit():
        if qualifier not in versions:
            raise RuleViolationError(f"{what}: version {qualifier} does not exist")
    elif qualifier not in aliases:
        raise RuleViolationError(f"{what}: alias {qualifier} does not exist (aliases: {sorted(aliases)})")
    else:
        routing = (aliases[qualifier].get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        if routing and existed_before_canary:
            notes.append(
                f"alias {qualifier} routes {dict(routing)}: taken as created by an earlier deploy, before the canary "
                "(AWS refuses to create or change it while the alias routes weights)"
            )
        elif routing:
            raise RuleViolationError(
                f"{what}: Alias with weights can not be used with Provisioned Concurrency (routing {dict(routing)}); "
                "shift traffic fully before asking for provisioned concurrency"
            )
    if count < 1:
        raise RuleViolationError(f"{what}: provisionedConcurrentExecutions must be at least 1, got {count}")
    if reserved is not None and count > int(reserved):
        raise RuleViolationError(
            f"{what}: provisionedConcurrentExecutions {count} exceeds the function's reserved concurrency {reserved}"
        )
    return notes


def check_lambda_scaling_resource(name: str, inp: Mapping[str, Any]) -> None:
    if inp.get("serviceNamespace") != "lambda":
        return
    resource = str(inp.get("resourceId", ""))
    parts = resource.split(":")
    if len(parts) != 3 or parts[0] != "function" or not parts[2] or parts[2] == "$LATEST":
        raise RuleViolationError(
            f"scaling resource {name}: resourceId must be function:<name>:<alias or version> (never $LATEST), "
            f"got {resource!r}"
        )
    if inp.get("scalableDimension") != PC_DIMENSION:
        raise RuleViolationError(
            f"scaling resource {name}: scalableDimension must be {PC_DIMENSION}, got {inp.get('scalableDimension')!r}"
        )


def _statements(lambda_client: Any, function: str, qualifier: str | None) -> list[dict[str, Any]]:
    try:
        kwargs = {"FunctionName": function, **({"Qualifier": qualifier} if qualifier else {})}
        return list(json.loads(lambda_client.get_policy(**kwargs)["Policy"]).get("Statement", []))
    except Exception:
        return []


def _allows(statement: Mapping[str, Any], service: str, target_arn: str, source_arn: str) -> bool:
    principal = statement.get("Principal")
    principal_service = principal.get("Service") if isinstance(principal, Mapping) else principal
    if principal_service != service or statement.get("Effect", "Allow") != "Allow":
        return False
    if str(statement.get("Resource", "")) != target_arn:
        return False
    condition = statement.get("Condition") or {}
    allowed_source = (condition.get("ArnLike") or {}).get("AWS:SourceArn") or (condition.get("ArnEquals") or {}).get(
        "AWS:SourceArn"
    )
    if allowed_source is None:
        return True
    if str(allowed_source).endswith("*"):
        return source_arn.startswith(str(allowed_source)[:-1])
    return bool(allowed_source == source_arn)


def check_s3_can_invoke(lambda_client: Any, bucket: str, function_arn: str) -> None:
    """S3 refuses a notification to a function whose resource policy does not let S3 (from this bucket) invoke it."""
    parts = function_arn.split(":")
    function, qualifier = parts[6], (parts[7] if len(parts) > 7 else None)
    bucket_arn = f"arn:aws:s3:::{bucket}"
    if not any(
        _allows(s, "s3.amazonaws.com", function_arn, bucket_arn)
        for s in _statements(lambda_client, function, qualifier)
    ):
        raise RuleViolationError(
            f"bucket notification {bucket} -> {function_arn}: Unable to validate the following destination "
            "configurations (no lambda:InvokeFunction permission for s3.amazonaws.com with this bucket as source "
            "on exactly this function ARN)"
        )


def events_invoke_warnings(lambda_client: Any, rule_arn: str, function_arn: str) -> list[str]:
    """EventBridge accepts a target it cannot invoke and fails at run time: report it as a warning."""
    parts = function_arn.split(":")
    function, qualifier = parts[6], (parts[7] if len(parts) > 7 else None)
    if any(
        _allows(s, "events.amazonaws.com", function_arn, rule_arn)
        for s in _statements(lambda_client, function, qualifier)
    ):
        return []
    return [
        f"EventBridge rule {rule_arn.split('/')[-1]} has no permission to invoke {function_arn}: invocations will fail"
    ]


#: What Lambda checks the execution role for when a resource is created (CreateEventSourceMapping,
#: CreateFunction with a DeadLetterConfig, PutFunctionEventInvokeConfig): AWS refuses the call when missing.
SQS_SOURCE_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
STREAM_SOURCE_ACTIONS = ("dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream")
KINESIS_SOURCE_ACTIONS = ("kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream")
SEND_ACTIONS = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "lambda": "lambda:InvokeFunction"}


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def role_statements(iam_client: Any, role_name: str) -> list[dict[str, Any]]:
    """Allow/Deny statements of the role's inline and attached policies (default versions)."""
    statements: list[dict[str, Any]] = []

    def add(document: Any) -> None:
        doc = json.loads(document) if isinstance(document, str) else document
        found = doc.get("Statement", [])
        statements.extend(found if isinstance(found, list) else [found])

    for name in iam_client.list_role_policies(RoleName=role_name)["PolicyNames"]:
        add(iam_client.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"])
    for attached in iam_client.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        policy = iam_client.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam_client.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"])
        add(version["PolicyVersion"]["Document"])
    return statements


def allowed(statements: Iterable[Mapping[str, Any]], action: str, resource: str) -> bool:
    """Whether an Allow (and no Deny) matches the action and resource. Conditions are not evaluated."""

    def matches(statement: Mapping[str, Any]) -> bool:
        actions = _as_list(statement.get("Action", []))
        resources = _as_list(statement.get("Resource", []))
        return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions) and any(
            fnmatch.fnmatchcase(resource, r) for r in resources
        )

    found = list(statements)
    if any(s.get("Effect") == "Deny" and matches(s) for s in found):
        return False
    return any(s.get("Effect") == "Allow" and matches(s) for s in found)


def check_role_allows(iam_client: Any, role_arn: str, actions: Sequence[str], resource: str, what: str) -> None:
    """Refuse, in the words of the Lambda API, when the execution role cannot do what the resource needs."""
    role_name = role_arn.split("/")[-1]
    statements = role_statements(iam_client, role_name)
    missing = [a for a in actions if not allowed(statements, a, resource)]
    if missing:
        raise RuleViolationError(
            f"{what}: The provided execution role {role_name} does not have permissions to call "
            f"{', '.join(missing)} on {resource} (add them to the role's policy, and make this resource depend on it)"
        )


def function_policy_allows(mocks: Any, function_arn: str, accept: Callable[[str], bool], source_arn: str) -> bool:
    """Whether the function's policy (on the qualifier the ARN names) lets an accepted principal invoke for
    ``source_arn`` (an ``ArnLike`` pattern is matched as IAM matches it)."""
    from .emulator import split_function

    lam = mocks.client("lambda")
    name, qualifier = split_function(function_arn)
    kwargs = {"FunctionName": name, **({"Qualifier": qualifier} if qualifier else {})}
    try:
        statements = json.loads(lam.get_policy(**kwargs)["Policy"]).get("Statement", [])
    except lam.exceptions.ResourceNotFoundException:
        return False
    for s in statements:
        given = s.get("Principal")
        service = given.get("Service") if isinstance(given, dict) else given
        condition = s.get("Condition") or {}
        pattern = (condition.get("ArnLike") or {}).get("AWS:SourceArn") or (condition.get("ArnEquals") or {}).get(
            "AWS:SourceArn"
        )
        if not isinstance(service, str) or not accept(service):
            continue
        if pattern is None or re.fullmatch(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."), source_arn):
            return True
    return False

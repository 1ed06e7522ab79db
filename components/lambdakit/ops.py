"""Day-2 operations on a stack's Lambda services with boto3: invoke an alias, prune old versions.

Everything here takes boto3 clients (or a Session), so the same code runs against AWS, a moto server
(``endpoint_url="http://127.0.0.1:5000"``) or in-process moto (``moto.mock_aws``). A service is found by its
``LambdaService`` name from what the component itself records, with nothing exported for the tools:

- in AWS or an emulator, by the tags the component puts on every function (``lambdakit:service``,
  ``lambdakit:stack``, ``lambdakit:project``): :func:`find_services`;
- in a Pulumi state file (``pulumi stack export``) or the Automation API's deployment, from the component's
  registered outputs: :func:`services_from_state`;
- in the sandbox's JSON report, or in stack outputs that export a ``services`` object: :func:`load_services_file`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import boto3
from botocore.exceptions import ClientError

InvocationType = Literal["RequestResponse", "Event", "DryRun"]
INVOCATION_TYPES: tuple[InvocationType, ...] = ("RequestResponse", "Event", "DryRun")

#: Default for how many of the newest published versions :func:`prune_versions` keeps besides those in use.
DEFAULT_KEEP = 3


class OpsError(Exception):
    """An operation failed for a reason the operator can act on; the message says which and how."""


class PruneRefusedError(OpsError):
    """Prune will not run on a function whose alias carries weights (unless forced)."""


class FunctionNotFoundError(OpsError):
    """The function does not exist in this account and region."""


class AliasNotFoundError(OpsError):
    """The function exists but the alias (or version) does not."""


class PermissionDeniedError(OpsError):
    """The caller's credentials may not perform the action."""


class ServiceNotFoundError(OpsError):
    """The stack's ``services`` export has no service of that name."""


# ---------------------------------------------------------------------------------------------------------------
# Services from the stack's outputs
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceRef:
    """What operations need to find a service in AWS: its function, alias and alarms."""

    service: str
    function_name: str
    alias_name: str = "live"
    config_key: str = ""
    function_arn: str = ""
    alias_arn: str = ""
    version: str = ""
    log_group_name: str = ""
    dlq_arn: str | None = None
    alarm_arns: tuple[str, ...] = ()
    function_url: str | None = None
    smoke_event: Any = None
    """The event the component says its handler accepts without side effects (None: not recorded)."""
    codedeploy_application: str | None = None
    """The CodeDeploy application of a service with ``code_deploy`` (None: the driver moves the weights itself)."""
    codedeploy_deployment_group: str | None = None
    codedeploy_hooks: Mapping[str, str] | None = None
    """AppSpec hooks: ``{"BeforeAllowTraffic": <function name>, "AfterAllowTraffic": ...}``."""
    pre_traffic_hook: str | None = None
    """The pre-traffic hook function (name or ARN) the component names, if any."""
    post_traffic_hook: str | None = None
    """The post-traffic hook function (name or ARN) the component names, if any."""

    @property
    def alarm_names(self) -> list[str]:
        """CloudWatch alarm names from the ARNs (``arn:aws:cloudwatch:<region>:<account>:alarm:<name>``)."""
        return [arn.split(":alarm:", 1)[1] if ":alarm:" in arn else arn for arn in self.alarm_arns]


#: The component type whose registered outputs describe a service.
SERVICE_TYPE = "lambdakit:index:LambdaService"

#: Tags ``LambdaService`` puts on its function.
SERVICE_TAG = "lambdakit:service"
STACK_TAG = "lambdakit:stack"
PROJECT_TAG = "lambdakit:project"


def _output(outputs: Mapping[str, Any], name: str) -> Any:
    # Python programs record snake_case output names; the plugin (other languages) records camelCase ones.
    if name in outputs:
        return _plain(outputs[name])
    head, *rest = name.split("_")
    return _plain(outputs.get(head + "".join(w.title() for w in rest)))


def _json_or_none(value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def service_from_component(service: str, outputs: Mapping[str, Any]) -> ServiceRef:
    """A :class:`ServiceRef` from a ``LambdaService``'s registered outputs (state file, sandbox)."""
    function_name = _output(outputs, "function_name")
    if not function_name:
        raise OpsError(f"service {service!r}: its LambdaService recorded no function_name (was it deployed?)")
    return ServiceRef(
        service=service,
        function_name=str(function_name),
        alias_name=str(_output(outputs, "alias_name") or "live"),
        function_arn=str(_output(outputs, "function_arn") or ""),
        alias_arn=str(_output(outputs, "alias_arn") or ""),
        version=str(_output(outputs, "version") or ""),
        log_group_name=str(_output(outputs, "log_group_name") or ""),
        dlq_arn=_output(outputs, "dlq_arn"),
        alarm_arns=tuple(_output(outputs, "alarm_arns") or ()),
        function_url=_output(outputs, "function_url"),
        smoke_event=_json_or_none(_output(outputs, "smoke_event")),
        codedeploy_application=_output(outputs, "codedeploy_application"),
        codedeploy_deployment_group=_output(outputs, "codedeploy_deployment_group"),
        codedeploy_hooks=_json_or_none(_output(outputs, "codedeploy_hooks")),
        pre_traffic_hook=_output(outputs, "pre_traffic_hook") or None,
        post_traffic_hook=_output(outputs, "post_traffic_hook") or None,
    )


def _urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def services_from_state(state: Mapping[str, Any]) -> dict[str, ServiceRef]:
    """Services from a Pulumi state: a ``pulumi stack export`` document (``{"deployment": {"resources": ...}}``),
    the Automation API's ``export_stack().deployment``, or a bare ``{"resources": [...]}``."""
    deployment = state.get("deployment", state)
    if isinstance(deployment, Mapping) and "checkpoint" in deployment:
        deployment = deployment["checkpoint"].get("latest", {})  # a checkpoint file of the file backend
    resources = deployment.get("resources") if isinstance(deployment, Mapping) else None
    if not isinstance(resources, list):
        raise OpsError("the state has no resources list (expected `pulumi stack export` output)")
    services: dict[str, ServiceRef] = {}
    for resource in resources:
        if isinstance(resource, Mapping) and resource.get("type") == SERVICE_TYPE:
            name = _urn_name(str(resource.get("urn", "")))
            services[name] = service_from_component(name, resource.get("outputs") or {})
    return services


def find_services(clients: Clients, *, stack: str, project: str | None = None) -> dict[str, ServiceRef]:
    """The stack's services in AWS (or an emulator), found by the tags on their functions.

    Uses the Resource Groups Tagging API (one paged call for the whole account and region); where that is not
    allowed or not available, lists the functions and reads their tags."""
    wanted = {STACK_TAG: stack, **({PROJECT_TAG: project} if project else {})}
    tagged = _tagged_functions(clients, wanted)
    services: dict[str, ServiceRef] = {}
    lam = clients.lambda_
    for arn, tags in tagged.items():
        service = tags.get(SERVICE_TAG)
        if not service or any(tags.get(k) != v for k, v in wanted.items()):
            continue
        function_name = _function_of(arn)
        aliases = _paginate(lam, "list_aliases", "Aliases", FunctionName=function_name)
        alias = next((a["Name"] for a in aliases if a.get("Name") == "live"), aliases[0]["Name"] if aliases else "")
        if service in services:
            raise OpsError(
                f"two functions carry {SERVICE_TAG}={service} and {STACK_TAG}={stack}: "
                f"{services[service].function_name} and {function_name}; pass --program (for the project) or "
                "--function"
            )
        services[service] = ServiceRef(
            service=service,
            function_name=function_name,
            alias_name=alias or "live",
            function_arn=arn,
            alarm_arns=tuple(_alarm_arns(clients, function_name, alias or "live")),
        )
    return services


def _tagged_functions(clients: Clients, wanted: Mapping[str, str]) -> dict[str, dict[str, str]]:
    try:
        tagging = clients.client("resourcegroupstaggingapi")
        found: dict[str, dict[str, str]] = {}
        for page in tagging.get_paginator("get_resources").paginate(
            ResourceTypeFilters=["lambda:function"],
            TagFilters=[{"Key": k, "Values": [v]} for k, v in wanted.items()],
        ):
            for item in page.get("ResourceTagMappingList", []):
                found[item["ResourceARN"]] = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
        if found:
            return found
    except ClientError as exc:
        if not _is_access_denied(exc):
            raise OpsError(f"cannot look the stack's functions up by tag: {exc}") from None
    # No tagging API access (or nothing found there): read each function's tags.
    lam = clients.lambda_
    found = {}
    try:
        for fn in _paginate(lam, "list_functions", "Functions"):
            tags = lam.list_tags(Resource=fn["FunctionArn"]).get("Tags", {})
            if SERVICE_TAG in tags:
                found[fn["FunctionArn"]] = dict(tags)
    except ClientError as exc:
        if _is_access_denied(exc):
            raise OpsError(
                "cannot find the stack's services: the caller may neither call tag:GetResources nor "
                "lambda:ListFunctions/ListTags; pass --function NAME (and --alias) or --outputs FILE"
            ) from None
        raise
    return found


def _alarm_arns(clients: Clients, function_name: str, alias: str) -> list[str]:
    # LambdaService names its alarms `<function>-<alias>-<kind>`.
    try:
        pages = clients.cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmNamePrefix=f"{function_name}-{alias}-", AlarmTypes=["MetricAlarm"]
        )
        return [a["AlarmArn"] for page in pages for a in page.get("MetricAlarms", [])]
    except ClientError:
        return []


def _plain(value: Any) -> Any:
    # Automation API outputs are OutputValue objects (value + secret); exported JSON files hold plain values.
    return getattr(value, "value", value)


def load_services(outputs: Mapping[str, Any]) -> dict[str, ServiceRef]:
    """Read the ``services`` export from stack outputs (a ``pulumi stack output --json`` document or the
    Automation API's ``OutputMap``) into :class:`ServiceRef` objects keyed by service name."""
    raw = _plain(outputs.get("services"))
    if raw is None:
        raise OpsError(
            f"stack outputs have no 'services' export (found: {sorted(outputs) or 'no outputs'}); "
            "has the stack been deployed with the reference program?"
        )
    if not isinstance(raw, Mapping):
        raise OpsError(f"stack output 'services' must be an object of service -> details, got {type(raw).__name__}")
    services: dict[str, ServiceRef] = {}
    for name, details in raw.items():
        if not isinstance(details, Mapping) or not details.get("function_name"):
            raise OpsError(f"stack output services[{name!r}] has no function_name: {details!r}")
        services[name] = ServiceRef(
            service=name,
            function_name=str(details["function_name"]),
            alias_name=str(details.get("alias_name") or "live"),
            config_key=str(details.get("config_key") or ""),
            function_arn=str(details.get("function_arn") or ""),
            alias_arn=str(details.get("alias_arn") or ""),
            version=str(details.get("version") or ""),
            log_group_name=str(details.get("log_group_name") or ""),
            dlq_arn=details.get("dlq_arn"),
            alarm_arns=tuple(details.get("alarm_arns") or ()),
            function_url=details.get("function_url"),
            pre_traffic_hook=details.get("pre_traffic_hook") or None,
            post_traffic_hook=details.get("post_traffic_hook") or None,
        )
    return services


def _read_json(path: str | Path, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise OpsError(f"{what} {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OpsError(f"{what} {str(path)!r} cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise OpsError(f"{what} {str(path)!r} is not JSON: {exc}") from None


def load_outputs_file(path: str | Path) -> dict[str, Any]:
    """Stack outputs saved with ``pulumi stack output --json --show-secrets > outputs.json``, or the sandbox's JSON
    report (``lambdakit sandbox --json FILE``), whose ``exports`` are the stack outputs."""
    data = _read_json(path, "outputs file")
    if not isinstance(data, dict):
        raise OpsError(f"outputs file {str(path)!r} must hold a JSON object, got {type(data).__name__}")
    if isinstance(data.get("exports"), dict) and not isinstance(data.get("services"), dict):
        # The sandbox's report keeps the stack's exports under "exports".
        return dict(data["exports"])
    return data


def load_services_file(path: str | Path) -> dict[str, ServiceRef]:
    """Services from a file of any kind the tools write or Pulumi prints: a ``pulumi stack export`` state, the
    sandbox's ``--json`` report, or stack outputs with a ``services`` export."""
    data = _read_json(path, "outputs file")
    if not isinstance(data, dict):
        raise OpsError(f"outputs file {str(path)!r} must hold a JSON object, got {type(data).__name__}")
    if isinstance(data.get("deployment"), dict) or isinstance(data.get("checkpoint"), dict):
        return services_from_state(data)
    if isinstance(data.get("lambdakit_services"), dict):
        # The sandbox's report: each LambdaService's registered outputs.
        return {name: service_from_component(name, out) for name, out in data["lambdakit_services"].items()}
    return load_services(load_outputs_file(path))


def find_service(services: Mapping[str, ServiceRef], name: str) -> ServiceRef:
    """The service called ``name``; the error lists the services the stack has."""
    try:
        return services[name]
    except KeyError:
        raise ServiceNotFoundError(
            f"service {name!r} is not in the stack; valid services: {', '.join(sorted(services)) or 'none'}"
        ) from None


# ---------------------------------------------------------------------------------------------------------------
# Invoke
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class InvokeResult:
    """What one invocation returned."""

    function_name: str
    qualifier: str
    invocation_type: InvocationType
    status_code: int
    request_id: str
    executed_version: str | None = None
    function_error: str | None = None
    payload: Any = None
    log_tail: str | None = None

    @property
    def ok(self) -> bool:
        """True for a 2xx status without a function error (handled or unhandled)."""
        return 200 <= self.status_code < 300 and not self.function_error

    def describe(self) -> str:
        """A few lines for a terminal: target, status, request id, then the payload and the log tail."""
        head = f"{self.invocation_type} {self.function_name}:{self.qualifier} -> {self.status_code}"
        if self.executed_version:
            head += f" (version {self.executed_version})"
        lines = [head, f"request id: {self.request_id}"]
        if self.invocation_type == "DryRun":
            lines.append("permission check passed: the caller may invoke this alias")
        if self.function_error:
            lines.append(f"function error: {self.function_error}")
        if self.payload is not None and self.invocation_type == "RequestResponse":
            body = self.payload if isinstance(self.payload, str) else json.dumps(self.payload, indent=2)
            lines += ["payload:", body]
        if self.log_tail:
            lines += ["log tail:", self.log_tail.rstrip("\n")]
        return "\n".join(lines)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _is_access_denied(exc: ClientError) -> bool:
    return _error_code(exc) in {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"}


def _not_found(lambda_client: Any, function_name: str, qualifier: str, cause: ClientError) -> OpsError:
    """Tell a missing function from a missing alias: Lambda answers ResourceNotFoundException for both."""
    try:
        lambda_client.get_function(FunctionName=function_name)
    except ClientError as exc:
        if _error_code(exc) == "ResourceNotFoundException":
            return FunctionNotFoundError(
                f"function {function_name!r} does not exist in {lambda_client.meta.region_name}; "
                "check the stack/service name, the region and the endpoint"
            )
        return OpsError(
            f"{function_name}:{qualifier} was not found ({cause}); could not tell whether the function or the "
            f"alias is missing: GetFunction failed with {_error_code(exc) or exc}"
        )
    return AliasNotFoundError(
        f"function {function_name!r} has no alias or version {qualifier!r}; list them with "
        f"`aws lambda list-aliases --function-name {function_name}`"
    )


def _denied(action: str, function_name: str, qualifier: str, exc: ClientError) -> PermissionDeniedError:
    message = exc.response.get("Error", {}).get("Message") or str(exc)
    return PermissionDeniedError(
        f"permission denied for {action} on {function_name}:{qualifier}: {message}; "
        f"the caller needs {action} on the alias ARN (…:function:{function_name}:{qualifier})"
    )


def check_target(lambda_client: Any, function_name: str, qualifier: str) -> None:
    """Raise :class:`FunctionNotFoundError` / :class:`AliasNotFoundError` when the target does not exist.

    Skipped quietly when the caller may not read aliases (an on-call role may hold only lambda:InvokeFunction).
    """
    try:
        if qualifier.isdigit() or qualifier == "$LATEST":
            lambda_client.get_function(FunctionName=function_name, Qualifier=qualifier)
        else:
            lambda_client.get_alias(FunctionName=function_name, Name=qualifier)
    except ClientError as exc:
        if _error_code(exc) == "ResourceNotFoundException":
            raise _not_found(lambda_client, function_name, qualifier, exc) from None
        if not _is_access_denied(exc):
            raise


def invoke(
    lambda_client: Any,
    function_name: str,
    qualifier: str,
    payload: Any = None,
    *,
    invocation_type: InvocationType = "RequestResponse",
    preflight: bool = True,
) -> InvokeResult:
    """Invoke ``function_name:qualifier`` (an alias or a version).

    - ``RequestResponse``: returns the decoded result payload and the decoded log tail (``LogType=Tail``, the
      last 4 KB of the invocation's log).
    - ``Event``: queues the event; returns the request id to find it in the logs.
    - ``DryRun``: checks that the caller may invoke the alias; nothing runs.

    ``payload`` is JSON-encoded unless it is already ``bytes`` or ``str``. ``preflight`` first checks that the
    function and alias exist, which gives a clear error everywhere: moto 5.2.5 (without docker) answers an
    invoke of a missing function or alias with 200 and an echo instead of ResourceNotFoundException.
    """
    if invocation_type not in INVOCATION_TYPES:
        raise ValueError(f"invocation_type must be one of {', '.join(INVOCATION_TYPES)}, got {invocation_type!r}")
    if not qualifier:
        raise ValueError(f"{function_name}: qualifier (alias name or version) is required, got {qualifier!r}")
    if payload is None:
        body = b"{}"
    elif isinstance(payload, bytes):
        body = payload
    elif isinstance(payload, str):
        body = payload.encode()
    else:
        body = json.dumps(payload).encode()
    if preflight:
        check_target(lambda_client, function_name, qualifier)
    kwargs: dict[str, Any] = {
        "FunctionName": function_name,
        "Qualifier": qualifier,
        "InvocationType": invocation_type,
        "Payload": body,
    }
    if invocation_type == "RequestResponse":
        kwargs["LogType"] = "Tail"
    try:
        response = lambda_client.invoke(**kwargs)
    except ClientError as exc:
        if _error_code(exc) == "ResourceNotFoundException":
            raise _not_found(lambda_client, function_name, qualifier, exc) from None
        if _is_access_denied(exc):
            raise _denied("lambda:InvokeFunction", function_name, qualifier, exc) from None
        raise OpsError(f"invoke of {function_name}:{qualifier} failed: {exc}") from None
    result = InvokeResult(
        function_name=function_name,
        qualifier=qualifier,
        invocation_type=invocation_type,
        status_code=int(response.get("StatusCode", 0)),
        # For Event invocations the request id (x-amzn-RequestId) is the only handle on the queued event.
        request_id=str(response.get("ResponseMetadata", {}).get("RequestId", "")),
        executed_version=response.get("ExecutedVersion"),
        function_error=response.get("FunctionError"),
    )
    if invocation_type == "RequestResponse":
        raw = response["Payload"].read() if "Payload" in response else b""
        result.payload = decode_payload(raw)
        if response.get("LogResult"):
            result.log_tail = decode_log_tail(response["LogResult"])
    return result


def decode_payload(raw: bytes) -> Any:
    """The response payload as JSON when it is JSON, else as text."""
    text = raw.decode("utf-8", errors="replace")
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def decode_log_tail(log_result: str) -> str:
    """``LogResult`` is the base64 of the last 4 KB of the invocation's log."""
    return base64.b64decode(log_result).decode("utf-8", errors="replace")


# ---------------------------------------------------------------------------------------------------------------
# Prune
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class PruneReport:
    """What :func:`prune_versions` kept (with why) and deleted."""

    function_name: str
    keep_newest: int
    dry_run: bool
    kept: dict[str, list[str]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        lines = [f"{self.function_name}: keep newest {self.keep_newest} and every version in use"]
        for version in sorted(self.kept, key=int):
            lines.append(f"  keep    {version:>5}  ({'; '.join(self.kept[version])})")
        for version in self.deleted:
            lines.append(f"  {verb} {version}")
        for version, why in self.skipped.items():
            lines.append(f"  skipped {version:>5}  ({why})")
        lines.append(f"  {len(self.deleted)} {verb}, {len(self.kept)} kept, {len(self.skipped)} skipped")
        return "\n".join(lines)


def versions_in_use(aliases: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Version -> reasons, for every version an alias points to or routes weight to."""
    used: dict[str, list[str]] = {}
    for alias in aliases:
        name = alias.get("Name", "?")
        primary = str(alias.get("FunctionVersion", ""))
        if primary:
            used.setdefault(primary, []).append(f"alias {name} points to it")
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        for version, weight in weights.items():
            used.setdefault(str(version), []).append(f"alias {name} routes {float(weight):.0%} to it")
    return used


def plan_prune(
    versions: Iterable[str], in_use: Mapping[str, list[str]], keep: int
) -> tuple[dict[str, list[str]], list[str]]:
    """Split published versions into (kept with reasons, to delete oldest first). ``$LATEST`` is never listed."""
    if keep < 0:
        raise ValueError(f"keep must be >= 0 (how many of the newest versions to keep), got {keep}")
    numbered = sorted({v for v in versions if v.isdigit()}, key=int, reverse=True)
    kept: dict[str, list[str]] = {}
    for index, version in enumerate(numbered):
        reasons = list(in_use.get(version, []))
        if index < keep:
            reasons.insert(0, f"among the newest {keep}")
        if reasons:
            kept[version] = reasons
    delete = sorted((v for v in numbered if v not in kept), key=int)
    return kept, delete


def _paginate(lambda_client: Any, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in lambda_client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


def prune_versions(
    lambda_client: Any,
    function_name: str,
    *,
    keep: int = DEFAULT_KEEP,
    dry_run: bool = False,
    force: bool = False,
    before_delete: Callable[[str], None] | None = None,
) -> PruneReport:
    """Delete published versions of ``function_name`` except the newest ``keep`` and every version in use.

    In use: an alias's ``FunctionVersion`` or a version in its ``RoutingConfig.AdditionalVersionWeights``, and a
    version an event source mapping targets by qualified ARN. ``$LATEST`` is never deleted.

    A function whose alias routes weights (a canary in progress, or one left half-way) is refused with
    :class:`PruneRefusedError` unless ``force`` (a ``dry_run`` only lists): the canary may move the alias at any
    moment. Right before each
    ``DeleteFunction`` the aliases are read again and a version that became in use is skipped; a
    ``ResourceConflictException`` from AWS (an alias moved between that read and the delete) is a skip too, never
    an error. ``before_delete(version)`` runs just before that last read (tests use it to force interleavings).
    """
    try:
        versions = [
            v["Version"]
            for v in _paginate(lambda_client, "list_versions_by_function", "Versions", FunctionName=function_name)
        ]
        aliases = _paginate(lambda_client, "list_aliases", "Aliases", FunctionName=function_name)
        # Listed unfiltered and matched here: filtering by the unqualified name misses mappings on a version in
        # moto 5.2.5, and AWS's documentation does not promise that it includes them.
        mappings = _paginate(lambda_client, "list_event_source_mappings", "EventSourceMappings")
    except ClientError as exc:
        if _error_code(exc) == "ResourceNotFoundException":
            raise FunctionNotFoundError(
                f"function {function_name!r} does not exist in {lambda_client.meta.region_name}"
            ) from None
        if _is_access_denied(exc):
            raise _denied("lambda:ListVersionsByFunction/ListAliases", function_name, "*", exc) from None
        raise
    in_use = versions_in_use(aliases)
    for mapping in mappings:
        arn = str(mapping.get("FunctionArn", ""))
        qualifier = _qualifier(arn)
        if _function_of(arn) == _function_of(function_name) and qualifier.isdigit():
            in_use.setdefault(qualifier, []).append(f"event source mapping {mapping.get('UUID', '?')} targets it")
    weighted = _weighted_aliases(aliases)
    if weighted and not force and not dry_run:
        raise PruneRefusedError(
            f"{function_name}: alias(es) {'; '.join(weighted)}: a canary is in progress or was left half-way; "
            "finish it (or `lambdakit canary --abort SERVICE`) before pruning, or pass --force"
        )
    kept, delete = plan_prune(versions, in_use, keep)
    report = PruneReport(function_name=function_name, keep_newest=keep, dry_run=dry_run, kept=kept)
    for version in delete:
        if dry_run:
            report.deleted.append(version)
            continue
        if before_delete is not None:
            before_delete(version)
        # Read again at the moment of deletion: an alias may have moved since the listing above.
        try:
            now_used = versions_in_use(_paginate(lambda_client, "list_aliases", "Aliases", FunctionName=function_name))
        except ClientError as exc:
            report.skipped[version] = f"could not re-read the aliases before deleting: {_error_code(exc)}"
            continue
        if version in now_used:
            report.skipped[version] = f"now in use ({'; '.join(now_used[version])})"
            continue
        try:
            lambda_client.delete_function(FunctionName=function_name, Qualifier=version)
        except ClientError as exc:
            # AWS itself refuses to delete a version an alias references (ResourceConflictException): an alias
            # moved between our listing and the delete. moto 5.2.5 does not refuse, hence the check above.
            if _error_code(exc) in {"ResourceConflictException", "ResourceNotFoundException"}:
                report.skipped[version] = f"{_error_code(exc)}: {exc.response.get('Error', {}).get('Message', '')}"
                continue
            if _is_access_denied(exc):
                raise _denied("lambda:DeleteFunction", function_name, version, exc) from None
            raise
        report.deleted.append(version)
    return report


def _weighted_aliases(aliases: Iterable[Mapping[str, Any]]) -> list[str]:
    found = []
    for alias in aliases:
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        if weights:
            routes = ", ".join(f"{float(w):.0%} to version {v}" for v, w in weights.items())
            found.append(f"{alias.get('Name', '?')} routes {routes}")
    return found


def _function_of(name_or_arn: str) -> str:
    # A name, a partial ARN (123456789012:function:name) or a full ARN, optionally qualified.
    parts = name_or_arn.split(":")
    if "function" in parts:
        return parts[parts.index("function") + 1]
    return parts[0]


def _qualifier(arn: str) -> str:
    # arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
    parts = arn.split(":")
    return parts[7] if len(parts) > 7 else ""


# ---------------------------------------------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------------------------------------------

_ENDPOINT = re.compile(r"^https?://")


def make_session(
    *, profile: str | None = None, region: str | None = None, endpoint_url: str | None = None
) -> boto3.session.Session:
    """A boto3 Session; with an emulator endpoint and no credentials configured, moto's test credentials."""
    if endpoint_url and not _ENDPOINT.match(endpoint_url):
        raise ValueError(f"endpoint_url must start with http:// or https://, got {endpoint_url!r}")
    session = _session(profile_name=profile, region_name=region or None)
    if endpoint_url and session.get_credentials() is None:
        # Emulators accept any credentials; botocore refuses to sign without some.
        session = _session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name=region or session.region_name or "us-east-1",
        )
    elif session.region_name is None:
        session = _session(profile_name=profile, region_name="us-east-1")
    return session


_LOADER: Any = None


def _session(**kwargs: Any) -> boto3.session.Session:
    """A boto3 Session sharing the process's botocore data loader, which caches the service models it has read:
    without it each Session reads and decodes them (JSON, tens of milliseconds per client) again."""
    import botocore.loaders
    import botocore.session

    global _LOADER
    if _LOADER is None:
        _LOADER = botocore.loaders.create_loader()
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    session = boto3.session.Session(botocore_session=core, **kwargs)
    # boto3 adds its own data folder to the loader's search path for each Session; once is enough.
    _LOADER.search_paths[:] = list(dict.fromkeys(_LOADER.search_paths))
    return session


@dataclass
class Clients:
    """The clients operations need, built from one Session and an optional endpoint (moto server, LocalStack)."""

    session: boto3.session.Session
    endpoint_url: str | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        if service not in self._cache:
            kwargs: dict[str, Any] = {}
            if self.endpoint_url:
                kwargs["endpoint_url"] = self.endpoint_url
            self._cache[service] = self.session.client(service, **kwargs)
        return self._cache[service]

    @property
    def lambda_(self) -> Any:
        return self.client("lambda")

    @property
    def cloudwatch(self) -> Any:
        return self.client("cloudwatch")

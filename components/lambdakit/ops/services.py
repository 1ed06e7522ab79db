"""Finding a stack's services: by tags in AWS, in a Pulumi state, in stack outputs or the sandbox's report."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from .clients import Clients, _function_of, _paginate
from .errors import OpsError, ServiceNotFoundError, _is_access_denied


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

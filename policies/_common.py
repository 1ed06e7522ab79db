"""Shared plumbing for the lambdakit policy pack: rule metadata, unknown-safe property access, skip notes.

Every rule reads properties through :class:`Props`, which never raises on a value that is unknown during
preview: it returns :data:`UNKNOWN` instead, so a rule checks what is known and reports (as a note, not a
violation) what it had to skip. Reading an unknown through pulumi_policy's proxy would instead abort the whole
rule with an advisory "can't run policy during preview" diagnostic, silently downgrading a mandatory rule.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from ._schema import PolicyConfigError, check_settings

PACK_NAME = "lambdakit"

_SENTINELS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)


class _Unknown:
    """A value the engine does not know yet (computed by the provider during preview)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()

# Engine type tokens the rules look at.
FUNCTION = "aws:lambda/function:Function"
ALIAS = "aws:lambda/alias:Alias"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
PERMISSION = "aws:lambda/permission:Permission"
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
PROVISIONED_CONCURRENCY = "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"
EVENT_INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_REDRIVE_POLICY = "aws:sqs/redrivePolicy:RedrivePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
IAM_POLICY = "aws:iam/policy:Policy"
SUBNET = "aws:ec2/subnet:Subnet"
TOPIC = "aws:sns/topic:Topic"
TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
SCHEDULE = "aws:scheduler/schedule:Schedule"
KMS_KEY = "aws:kms/key:Key"
TABLE = "aws:dynamodb/table:Table"


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN or (isinstance(value, str) and value in _SENTINELS)


def plain(value: Any) -> Any:
    """Unwrap pulumi_policy proxies and secret markers into plain data, with unknowns as :data:`UNKNOWN`."""
    if isinstance(value, str):
        return UNKNOWN if value in _SENTINELS else value
    if value is None or isinstance(value, bool | int | float):
        return value
    if value is UNKNOWN:
        return value
    target = _target(value)
    if target is not value:
        return plain(target)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    inner = getattr(value, "value", None)
    if type(value).__name__ == "Secret" and inner is not None:
        return plain(inner)
    if type(value).__name__ == "Unknown":
        return UNKNOWN
    return value


def _target(value: Any) -> Any:
    # pulumi_policy's proxies hand out their raw container through the "__target" key.
    name = type(value).__name__
    if name in ("_DictProxy", "_ListProxy", "_DictSecretsProxy", "_ListSecretsProxy"):
        try:
            return value["__target"]
        except Exception:  # an odd proxy is treated as opaque data
            return value
    return value


class Props:
    """Unknown-safe, type-tolerant reader over a resource's engine (camelCase) properties."""

    __slots__ = ("_data",)

    def __init__(self, data: Any) -> None:
        self._data = _target(data)

    def get(self, *path: str | int) -> Any:
        """The value at ``path``: ``None`` when absent or not a container on the way, :data:`UNKNOWN` when unknown."""
        cur: Any = self._data
        for key in path:
            cur = _target(cur)
            if is_unknown(cur):
                return UNKNOWN
            if isinstance(key, int):
                if not isinstance(cur, Sequence) or isinstance(cur, str) or not -len(cur) <= key < len(cur):
                    return None
                cur = cur[key]
            else:
                if not isinstance(cur, Mapping):
                    return None
                try:
                    cur = _target(cur)[key] if key in cur else None
                except Exception:  # proxies may raise on odd keys
                    return None
            if cur is None:
                return None
        return plain(cur)

    def has(self, *path: str | int) -> bool:
        """Present (known or unknown) and not an empty string/list/map."""
        value = self.get(*path)
        if value is UNKNOWN:
            return True
        return value is not None and value != "" and value != [] and value != {}


def as_int(value: Any) -> int | None:
    """A whole number from an int, a float or a numeric string; ``None`` otherwise (bools are not numbers)."""
    if isinstance(value, bool) or value is None or value is UNKNOWN:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        try:
            return int(float(value.strip()))
        except ValueError:
            return None
    return None


def as_float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None or value is UNKNOWN:
        return None
    if isinstance(value, int | float):
        return float(value) if value == value else None
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def as_str_list(value: Any) -> list[Any]:
    """A list from a list (items kept, unknown items as UNKNOWN) or a single string; [] for anything else."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return list(value)
    return []


def cfg_strings(cfg: Mapping[str, Any], key: str, default: Sequence[str] = ()) -> list[str]:
    """A list-of-strings setting; the default when the setting is absent, empty or not a list."""
    value = cfg.get(key)
    if not isinstance(value, list) or not value:
        return list(default)
    return [v for v in value if isinstance(v, str)]


def truthy(value: Any) -> bool | None:
    """True/False for booleans and "true"/"false" strings, ``None`` when unknown or not a boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


# --- skip notes -----------------------------------------------------------------------------------------------

NoteSink = Callable[[str, str, str], None]
_local = threading.local()
_engine_lock = threading.Lock()
_engine_stub: Any = None


def connect_engine(address: str | None) -> None:
    """Send notes to the Pulumi engine's log (the CLI shows them as warnings on the resource)."""
    global _engine_stub
    if not address:
        return
    try:
        import grpc
        from pulumi.runtime.proto import engine_pb2_grpc

        _engine_stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(address))
    except Exception:  # logging must never break policy evaluation
        _engine_stub = None


def _default_sink(policy: str, urn: str, message: str) -> None:
    text = f"[{PACK_NAME}/{policy}] {message}"
    stub = _engine_stub
    if stub is not None:
        try:
            from pulumi.runtime.proto import engine_pb2

            with _engine_lock:
                stub.Log(engine_pb2.LogRequest(severity=engine_pb2.WARNING, message=text, urn=urn or ""))
            return
        except Exception:  # fall back to stderr when the engine is gone
            pass
    print(f"warning: {text} ({urn})", file=sys.stderr)


def note(policy: str, urn: str, message: str) -> None:
    """Say what a rule skipped or warns about, without turning it into a violation."""
    sink: NoteSink = getattr(_local, "sink", None) or _default_sink
    sink(policy, urn, message)


@contextmanager
def capture_notes() -> Iterator[list[tuple[str, str, str]]]:
    """Collect notes (policy, urn, message) raised on this thread, for tests."""
    notes: list[tuple[str, str, str]] = []
    previous = getattr(_local, "sink", None)
    _local.sink = lambda p, u, m: notes.append((p, u, m))
    try:
        yield notes
    finally:
        _local.sink = previous


# --- rule metadata ------------------------------------------------------------------------------------------

ResourceCheck = Callable[["ResourceContext"], None]
StackCheck = Callable[["StackContext"], None]


@dataclass
class Rule:
    """One policy with everything the pack, the docs table and the gate need."""

    name: str
    description: str
    checks: str
    severity: Severity
    remediation: str
    url: str
    anchors: list[str]
    resource_types: tuple[str, ...]
    config: dict[str, dict[str, Any]] = field(default_factory=dict)
    default_level: EnforcementLevel = EnforcementLevel.ADVISORY
    opt_in: bool = False
    resource_check: ResourceCheck | None = None
    stack_check: StackCheck | None = None

    @property
    def kind(self) -> str:
        return "stack" if self.stack_check is not None else "resource"

    def defaults(self) -> dict[str, Any]:
        return {k: v["default"] for k, v in self.config.items() if "default" in v}

    def settings(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """The rule's settings over its defaults; :class:`PolicyConfigError` when a given one breaks the schema
        (the Configure request of a CLI that did not check it): a bad setting must never quietly switch a rule off."""
        given = dict(given or {})
        problems = check_settings(self.name, self.config, given, unknown_ok=True)
        if problems:
            raise PolicyConfigError(problems, "policy config")
        merged = self.defaults()
        for key, value in given.items():
            if key in self.config:
                merged[key] = value
        return merged

    def validate_resource(self, args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in self.resource_types or self.resource_check is None:
            return
        ctx = ResourceContext(self, args.resource_type, args.name, args.urn, Props(args.props), report_violation)
        try:
            ctx.cfg = self.settings(_get_config(args))
        except PolicyConfigError as exc:
            ctx.violation(f"the rule cannot run: {exc}; fix the policy config.")
            return
        ctx.provider_props = Props(args.provider.props) if args.provider is not None else Props({})
        try:
            self.resource_check(ctx)
        except Exception as exc:
            # Never crash the preview, and never pass silently either: a mandatory rule that could not run blocks.
            note(self.name, args.urn, f"{args.name}: rule skipped after an unexpected error: {exc!r}")
            ctx.violation(f"the rule could not be evaluated ({exc!r}); this is a bug in the policy pack.")

    def validate_stack(self, args: StackValidationArgs, report_violation: ReportViolation) -> None:
        if self.stack_check is None:
            return
        ctx = StackContext(self, list(args.resources), report_violation)
        try:
            ctx.cfg = self.settings(_get_config(args))
        except PolicyConfigError as exc:
            ctx.violation(None, f"the rule cannot run: {exc}; fix the policy config.")
            return
        try:
            self.stack_check(ctx)
        except Exception as exc:
            # Never crash the preview, and never pass silently either: a mandatory rule that could not run blocks.
            note(self.name, "", f"stack rule skipped after an unexpected error: {exc!r}")
            ctx.violation(None, f"the rule could not be evaluated ({exc!r}); this is a bug in the policy pack.")

    def to_policy(self) -> ResourceValidationPolicy | StackValidationPolicy:
        schema = PolicyConfigSchema(properties={k: dict(v) for k, v in self.config.items()}) if self.config else None
        common: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "enforcement_level": self.default_level,
            "config_schema": schema,
            "severity": self.severity,
            "remediation_steps": self.remediation,
            "url": self.url,
            "tags": [*self.anchors],
        }
        if self.stack_check is not None:
            return StackValidationPolicy(validate=self.validate_stack, **common)
        return ResourceValidationPolicy(validate=self.validate_resource, **common)


def _get_config(args: Any) -> Mapping[str, Any]:
    try:
        cfg = args.get_config()
    except Exception:
        return {}
    return cfg if isinstance(cfg, Mapping) else {}


class ResourceContext:
    """What a resource check sees: the rule, the resource, its settings and a way to report."""

    def __init__(
        self, rule: Rule, type_: str, name: str, urn: str, props: Props, report_violation: ReportViolation
    ) -> None:
        self.rule = rule
        self.type = type_
        self.name = name
        self.urn = urn
        self.props = props
        self.cfg: dict[str, Any] = {}
        self.provider_props = Props({})
        self._report = report_violation

    def violation(self, message: str) -> None:
        self._report(f"{self.name}: {message}", None)

    def skip(self, what: str) -> None:
        note(self.rule.name, self.urn, f"{self.name}: {what} is not known during preview; that part was skipped.")

    def warn(self, message: str) -> None:
        note(self.rule.name, self.urn, f"{self.name}: {message}")


class StackResource:
    """A stack resource with unknown-safe props and links through property dependencies."""

    __slots__ = ("_res", "dependencies", "name", "parent_urn", "props", "provider", "type", "urn")

    def __init__(self, res: Any) -> None:
        self._res = res
        self.type: str = str(getattr(res, "resource_type", ""))
        self.name: str = str(getattr(res, "name", ""))
        self.urn: str = str(getattr(res, "urn", ""))
        self.props = Props(getattr(res, "props", {}) or {})
        provider = getattr(res, "provider", None)
        self.provider = provider
        parent = getattr(res, "parent", None)
        self.parent_urn = str(getattr(parent, "urn", "") or "")
        self.dependencies = [str(getattr(d, "urn", "")) for d in (getattr(res, "dependencies", None) or [])]

    def linked(self, prop: str) -> list[str]:
        """URNs of the resources this resource's ``prop`` input was computed from."""
        deps = getattr(self._res, "property_dependencies", None) or {}
        try:
            return [str(getattr(d, "urn", "")) for d in (deps.get(prop) or [])]
        except Exception:
            return []

    def linked_props(self) -> dict[str, list[str]]:
        """Every input computed from other resources: property name -> their URNs."""
        deps = getattr(self._res, "property_dependencies", None) or {}
        try:
            return {str(k): [str(getattr(d, "urn", "")) for d in (v or [])] for k, v in deps.items()}
        except Exception:
            return {}

    def region(self) -> str:
        region = self.props.get("region")
        if isinstance(region, str) and region:
            return region
        if self.provider is not None:
            value = Props(getattr(self.provider, "props", {}) or {}).get("region")
            if isinstance(value, str) and value:
                return value
        return "<provider default region>"

    def account_key(self) -> str:
        provider_urn = str(getattr(self.provider, "urn", "") or "") if self.provider is not None else ""
        # A provider's URN stands in for the account: distinct providers may point at distinct accounts.
        return provider_urn.split("::")[-1] if provider_urn else "default"


class StackContext:
    """What a stack check sees: all resources indexed by URN and type, settings and a way to report."""

    def __init__(self, rule: Rule, resources: list[Any], report_violation: ReportViolation) -> None:
        self.rule = rule
        self.cfg: dict[str, Any] = {}
        self._report = report_violation
        self.resources = [StackResource(r) for r in resources]
        self.by_urn = {r.urn: r for r in self.resources}
        self._by_type: dict[str, list[StackResource]] = {}
        for r in self.resources:
            self._by_type.setdefault(r.type, []).append(r)

    def of_type(self, *types: str) -> list[StackResource]:
        out: list[StackResource] = []
        for t in types:
            out.extend(self._by_type.get(t, []))
        return out

    def linked(self, res: StackResource, prop: str, *types: str) -> list[StackResource]:
        out = []
        for urn in res.linked(prop):
            target = self.by_urn.get(urn)
            if target is not None and (not types or target.type in types):
                out.append(target)
        return out

    def function_of(self, res: StackResource, prop: str = "functionName") -> StackResource | None:
        """The Function a resource targets through ``prop``, directly or through an Alias."""
        for target in self.linked(res, prop, FUNCTION, ALIAS):
            if target.type == FUNCTION:
                return target
            for fn in self.linked(target, "functionName", FUNCTION):
                return fn
        return None

    def violation(self, res: StackResource | None, message: str) -> None:
        prefix = f"{res.name}: " if res is not None else ""
        self._report(f"{prefix}{message}", res.urn if res is not None else None)

    def skip(self, res: StackResource | None, what: str) -> None:
        name = f"{res.name}: " if res is not None else ""
        note(self.rule.name, res.urn if res is not None else "", f"{name}{what}; that part was skipped.")


def num(default: float, description: str, minimum: float | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "number", "default": default, "description": description}
    if minimum is not None:
        spec["minimum"] = minimum
    return spec


def integer(default: int, description: str, minimum: int | None = None, maximum: int | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "integer", "default": default, "description": description}
    if minimum is not None:
        spec["minimum"] = minimum
    if maximum is not None:
        spec["maximum"] = maximum
    return spec


def strings(default: list[str], description: str, *, regex: bool = False) -> dict[str, Any]:
    """A list-of-strings setting; ``regex`` marks each item as a regular expression (checked when configured)."""
    items: dict[str, Any] = {"type": "string", "format": "regex"} if regex else {"type": "string"}
    return {"type": "array", "items": items, "default": list(default), "description": description}


def boolean(default: bool, description: str) -> dict[str, Any]:
    return {"type": "boolean", "default": default, "description": description}


def matches_any(value: str, patterns: Sequence[str]) -> bool:
    """Case-insensitive full match against regular expressions; bad patterns never match."""
    for pattern in patterns:
        try:
            if re.fullmatch(str(pattern), value, flags=re.IGNORECASE):
                return True
        except re.error:
            continue
    return False

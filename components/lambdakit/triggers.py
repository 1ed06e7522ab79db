"""Push triggers for a ``LambdaService``: S3, EventBridge (rules and Scheduler), API Gateway, Function URL and SNS.

Every trigger targets the service's alias, never ``$LATEST`` or the unqualified function, so that a canary's
traffic split applies to pushed events too. Each ``aws:lambda/permission:Permission`` is qualified with the alias
and scoped by source ARN *and* source account (a bucket or topic ARN alone can be re-created in another account).

Two entry points, used by ``LambdaService`` in this order:

- :func:`validate_triggers` checks plain values before any child is registered (``pulumi.Output`` values are
  skipped here and, where it matters, checked inside ``apply``);
- :func:`create_triggers` registers the children with ``parent=`` the component.
"""

# No `from __future__ import annotations`: Pulumi's component schema inference reads these TypedDicts'
# annotations at run time and does not resolve string annotations.

import functools
import json
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ForwardRef, NotRequired, TypedDict, get_origin

import botocore.loaders
import pulumi
import pulumi_aws as aws

from .validation import ValidationError

__all__ = [
    "ApiGatewayTriggerArgs",
    "EventRuleArgs",
    "FunctionUrlArgs",
    "FunctionUrlCorsArgs",
    "S3TriggerArgs",
    "ScheduleArgs",
    "SnsTriggerArgs",
    "TriggerOutputs",
    "TriggerTarget",
    "create_triggers",
    "validate_triggers",
]


# --------------------------------------------------------------------------------------------------------------
# Arg types (fields of LambdaServiceArgs). The README's reference tables are generated from these docstrings.
# --------------------------------------------------------------------------------------------------------------


class S3TriggerArgs(TypedDict):
    """S3 object events that invoke the alias."""

    bucket: pulumi.Input[str]
    """Name of the bucket (not its ARN). Required; no default. S3 keeps one notification configuration per bucket,
    so lambdakit must be the only thing that configures notifications on it."""
    events: NotRequired[Sequence[str]]
    """S3 event types, e.g. ``s3:ObjectCreated:*`` or ``s3:ObjectRemoved:Delete``. Defaults to
    ``["s3:ObjectCreated:*"]``."""
    filter_prefix: NotRequired[pulumi.Input[str]]
    """Only keys starting with this prefix, e.g. ``uploads/``. Defaults to no prefix filter (every key)."""
    filter_suffix: NotRequired[pulumi.Input[str]]
    """Only keys ending with this suffix, e.g. ``.csv``. Defaults to no suffix filter (every key)."""


class ScheduleArgs(TypedDict):
    """A rate or cron schedule that invokes the alias."""

    expression: str
    """``rate(<n> minute|minutes|hour|hours|day|days)`` (singular only for 1) or a six-field
    ``cron(minutes hours day-of-month month day-of-week year)`` in which exactly one of day-of-month and day-of-week
    is ``?``. Required; no default."""
    time_zone: NotRequired[str]
    """IANA time zone the cron expression is evaluated in, e.g. ``Europe/Berlin``. Setting it creates an EventBridge
    Scheduler schedule instead of an EventBridge rule. Defaults to none (an EventBridge rule, evaluated in UTC)."""
    flexible_time_window_minutes: NotRequired[int]
    """Let EventBridge Scheduler start the invocation up to this many minutes (1-1440) after the scheduled time, to
    spread load. Setting it creates a Scheduler schedule. Defaults to none (invoke at the scheduled time)."""
    input: NotRequired[pulumi.Input[str]]
    """JSON text sent as the event payload. Defaults to the EventBridge event (rule) or no payload (Scheduler)."""
    description: NotRequired[str]
    """Description of the rule or schedule (at most 512 characters). Defaults to none."""
    enabled: NotRequired[bool]
    """Whether the schedule fires. Defaults to True."""
    max_retry_attempts: NotRequired[int]
    """Retries (0-185) when the invocation fails to be delivered. Defaults to 2: a missed tick is usually better
    skipped than delivered a day late."""
    max_event_age_seconds: NotRequired[int]
    """How long (60-86400 s) EventBridge keeps retrying an undelivered invocation. Defaults to 3600."""
    dlq_arn: NotRequired[pulumi.Input[str]]
    """ARN of an SQS queue that receives invocations that could not be delivered. For a rule, the queue's policy
    must let ``events.amazonaws.com`` send to it; for a Scheduler schedule, the schedule's role is granted
    ``sqs:SendMessage`` here. Defaults to none."""


class EventRuleArgs(TypedDict):
    """An EventBridge rule whose event pattern invokes the alias."""

    event_pattern: pulumi.Input[str]
    """Event pattern as JSON text: a non-empty object whose leaf values are lists, e.g.
    ``{"source": ["orders"], "detail-type": ["OrderPlaced"]}`` (at most 4096 characters). Required; no default."""
    event_bus_name: NotRequired[pulumi.Input[str]]
    """Name or ARN of the event bus the rule listens on. Defaults to ``default``."""
    description: NotRequired[str]
    """Description of the rule (at most 512 characters). Defaults to none."""
    enabled: NotRequired[bool]
    """Whether the rule matches events. Defaults to True."""
    input: NotRequired[pulumi.Input[str]]
    """JSON text sent instead of the matched event. Defaults to none (the matched event is sent)."""
    max_retry_attempts: NotRequired[int]
    """Retries (0-185) when the invocation fails to be delivered. Defaults to 185 (EventBridge's own default)."""
    max_event_age_seconds: NotRequired[int]
    """How long (60-86400 s) EventBridge keeps retrying an undelivered event. Defaults to 86400 (EventBridge's own
    default)."""
    dlq_arn: NotRequired[pulumi.Input[str]]
    """ARN of an SQS queue that receives events that could not be delivered; its queue policy must let
    ``events.amazonaws.com`` send to it. Defaults to none."""


class ApiGatewayTriggerArgs(TypedDict):
    """Permission for a REST or HTTP API (API Gateway) to invoke the alias."""

    api_id: pulumi.Input[str]
    """Id of the REST API or HTTP API (not its ARN), e.g. ``a1b2c3d4e5``. Required; no default."""
    stage: NotRequired[str]
    """Stage the permission is narrowed to, e.g. ``prod`` or ``$default``. Defaults to ``*`` (every stage)."""
    route: NotRequired[str]
    """Route the permission is narrowed to: ``METHOD /path`` (a REST resource method or an HTTP API route key, e.g.
    ``GET /orders/{id}``; path parameters become ``*``, ``ANY`` becomes ``*``) or ``$default``. Defaults to ``*``
    (every route)."""


class FunctionUrlCorsArgs(TypedDict):
    """CORS settings of the Function URL."""

    allow_origins: Sequence[str]
    """Origins allowed to call the URL from a browser, each ``*`` or ``scheme://host[:port]`` (at most 100).
    Required; no default."""
    allow_methods: NotRequired[Sequence[str]]
    """HTTP methods allowed (``GET``, ``PUT``, ``HEAD``, ``POST``, ``PATCH``, ``DELETE`` or ``*``). Defaults to
    ``["*"]``."""
    allow_headers: NotRequired[Sequence[str]]
    """Request headers allowed (at most 100). Defaults to none beyond the CORS-safelisted headers."""
    expose_headers: NotRequired[Sequence[str]]
    """Response headers exposed to the browser (at most 100). Defaults to none."""
    allow_credentials: NotRequired[bool]
    """Whether cookies and credentials are allowed; not allowed together with the origin ``*``. Defaults to
    False."""
    max_age_seconds: NotRequired[int]
    """How long (0-86400 s) browsers may cache the preflight response. Defaults to 0."""


class FunctionUrlArgs(TypedDict):
    """A Function URL on the alias."""

    auth_type: NotRequired[str]
    """``AWS_IAM`` (callers sign requests with SigV4) or ``NONE`` (public; requires ``allow_public: True``).
    Defaults to ``AWS_IAM``."""
    allow_public: NotRequired[bool]
    """Acknowledgement that ``auth_type: NONE`` makes the function callable by anyone on the internet; required
    with ``NONE`` and rejected otherwise. Defaults to False."""
    invoke_mode: NotRequired[str]
    """``BUFFERED`` (the response is returned when complete, at most 6 MB) or ``RESPONSE_STREAM``. Defaults to
    ``BUFFERED``."""
    cors: NotRequired[FunctionUrlCorsArgs]
    """CORS settings for browser callers. Defaults to none (no CORS headers)."""


class SnsTriggerArgs(TypedDict):
    """An SNS topic subscription that invokes the alias."""

    topic_arn: pulumi.Input[str]
    """ARN of a standard SNS topic (FIFO topics cannot deliver to Lambda). Required; no default."""
    filter_policy: NotRequired[pulumi.Input[str]]
    """Subscription filter policy as JSON text: a non-empty object whose leaf values are lists. Defaults to none
    (every message)."""
    filter_policy_scope: NotRequired[str]
    """``MessageAttributes`` or ``MessageBody``: what the filter policy matches. Defaults to
    ``MessageAttributes``."""
    dlq_arn: NotRequired[pulumi.Input[str]]
    """ARN of an SQS queue for messages SNS could not deliver (the subscription's redrive policy); its queue policy
    must let ``sns.amazonaws.com`` send to it. Defaults to none."""


# --------------------------------------------------------------------------------------------------------------
# Defaults and limits
# --------------------------------------------------------------------------------------------------------------

DEFAULT_S3_EVENTS: tuple[str, ...] = ("s3:ObjectCreated:*",)
DEFAULT_SCHEDULE_RETRY_ATTEMPTS = 2
DEFAULT_SCHEDULE_EVENT_AGE_SECONDS = 3600
DEFAULT_RULE_RETRY_ATTEMPTS = 185
DEFAULT_RULE_EVENT_AGE_SECONDS = 86400
DEFAULT_EVENT_BUS = "default"
DEFAULT_URL_AUTH = "AWS_IAM"
DEFAULT_URL_INVOKE_MODE = "BUFFERED"
DEFAULT_SNS_FILTER_SCOPE = "MessageAttributes"

URL_AUTH_TYPES = ("AWS_IAM", "NONE")
URL_INVOKE_MODES = ("BUFFERED", "RESPONSE_STREAM")
URL_CORS_METHODS = ("GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "*")
SNS_FILTER_SCOPES = ("MessageAttributes", "MessageBody")
API_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY", "*")
#: S3 object keys are at most 1024 bytes, so a longer filter can never match.
S3_FILTER_MAX = 1024
#: IAM role names are at most 64 characters (IAM quotas).
IAM_ROLE_NAME_MAX = 64
#: Pulumi auto-names rules and schedules ``<logical name>-<7 hex>``; EventBridge names are at most 64 characters.
AUTONAME_SUFFIX = 8


@functools.cache
def _model(service: str) -> dict[str, Any]:
    return dict(botocore.loaders.Loader().load_service_model(service, "service-2")["shapes"])


@functools.cache
def limits() -> dict[str, Any]:
    """Limits read from botocore's service models (the AWS API's own constraints), keyed by what they bound."""
    s3, events, scheduler, lam = _model("s3"), _model("events"), _model("scheduler"), _model("lambda")
    return {
        "s3_events": tuple(s3["Event"]["enum"]),
        "retry_attempts": (events["MaximumRetryAttempts"]["min"], events["MaximumRetryAttempts"]["max"]),
        "event_age": (events["MaximumEventAgeInSeconds"]["min"], events["MaximumEventAgeInSeconds"]["max"]),
        "event_pattern_max": events["EventPattern"]["max"],
        "schedule_expression_max": events["ScheduleExpression"]["max"],
        "rule_name_max": events["RuleName"]["max"],
        "description_max": events["RuleDescription"]["max"],
        "flexible_window": (scheduler["MaximumWindowInMinutes"]["min"], scheduler["MaximumWindowInMinutes"]["max"]),
        "schedule_name_max": scheduler["Name"]["max"],
        "cors_origins_max": lam["AllowOriginsList"]["max"],
        "cors_origin_len_max": lam["Origin"]["max"],
        "cors_methods_max": lam["AllowMethodsList"]["max"],
        "cors_headers_max": lam["HeadersList"]["max"],
        "cors_max_age": (lam["MaxAge"]["min"], lam["MaxAge"]["max"]),
    }


# --------------------------------------------------------------------------------------------------------------
# Validation helpers (shared with alarms.py and dashboard.py)
# --------------------------------------------------------------------------------------------------------------


def opt(mapping: Mapping[str, Any], key: str, default: Any) -> Any:
    """``mapping[key]``, or ``default`` when the field is absent or None (None means "not set", as in the schema)."""
    value = mapping.get(key)
    return default if value is None else value


def is_output(value: object) -> bool:
    return isinstance(value, pulumi.Output)


@functools.cache
def typed_dict_fields(cls: type) -> tuple[frozenset[str], frozenset[str]]:
    """(all fields, required fields) of a TypedDict.

    ``__required_keys__`` is wrong under ``from __future__ import annotations`` (annotations are strings, so
    ``NotRequired`` is not seen), and resolving the hints trips over ``pulumi.Input``'s forward reference.
    """
    annotations: dict[str, Any] = dict(cls.__annotations__)

    def optional(hint: Any) -> bool:
        if isinstance(hint, ForwardRef):
            hint = hint.__forward_arg__
        if isinstance(hint, str):
            return hint.startswith(("NotRequired[", "typing.NotRequired[", "typing_extensions.NotRequired["))
        return get_origin(hint) is NotRequired

    return frozenset(annotations), frozenset(k for k, v in annotations.items() if not optional(v))


def check_mapping(service: str, path: str, value: object, cls: type) -> Mapping[str, Any]:
    """``value`` is a mapping with only ``cls``'s fields and all its required ones."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{service}: {path} must be a mapping ({cls.__name__}), got {type(value).__name__} {value!r}")
    allowed, required = typed_dict_fields(cls)
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise ValidationError(
            f"{service}: {path} has unknown field(s) {', '.join(unknown)}; valid fields: {', '.join(sorted(allowed))}"
        )
    for key in sorted(required):
        if value.get(key) is None:
            raise ValidationError(f"{service}: {path}.{key} is required")
    return value


def check_sequence(service: str, path: str, value: object) -> Sequence[Any]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise TypeError(f"{service}: {path} must be a list, got {type(value).__name__} {value!r}")
    return value


def check_bool(service: str, path: str, value: object) -> None:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"{service}: {path} must be true or false, got {type(value).__name__} {value!r}")


def check_int(service: str, path: str, value: object, low: int, high: int | None, unit: str = "") -> None:
    """An int in [low, high] (no upper bound when ``high`` is None); Outputs and None are skipped."""
    if value is None or is_output(value):
        return
    limit = f"{low}-{high}" if high is not None else f">= {low}"
    suffix = f" {unit}" if unit else ""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{service}: {path} must be an integer {limit}{suffix}, got {type(value).__name__} {value!r}")
    if value < low or (high is not None and value > high):
        raise ValidationError(f"{service}: {path} must be {limit}{suffix}, got {value}")


def check_str(service: str, path: str, value: object, *, max_len: int | None = None) -> str | None:
    """A non-empty string, returned; None for Outputs and None."""
    if value is None or is_output(value):
        return None
    if not isinstance(value, str):
        raise TypeError(f"{service}: {path} must be a string, got {type(value).__name__} {value!r}")
    if not value:
        raise ValidationError(f"{service}: {path} must not be empty, got ''")
    if max_len is not None and len(value) > max_len:
        raise ValidationError(
            f"{service}: {path} must be at most {max_len} characters, got {len(value)}: {value[:80]!r}"
        )
    return value


def check_choice(service: str, path: str, value: object, choices: Sequence[str]) -> None:
    if value is None or is_output(value):
        return
    if value not in choices:
        raise ValidationError(f"{service}: {path} must be one of {', '.join(choices)}, got {value!r}")


_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>\d{12}|):(?P<rest>.+)$"
)


def check_arn(service: str, path: str, value: object, aws_service: str) -> re.Match[str] | None:
    text = check_str(service, path, value)
    if text is None:
        return None
    match = _ARN.match(text)
    if not match or match["service"] != aws_service:
        raise ValidationError(
            f"{service}: {path} must be an {aws_service.upper()} ARN (arn:aws:{aws_service}:...), got {text!r}"
        )
    return match


def _check_json(service: str, path: str, value: object, *, max_len: int | None = None) -> Any:
    text = check_str(service, path, value, max_len=max_len)
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{service}: {path} must be valid JSON ({exc.msg} at character {exc.pos}), got {text!r}"
        ) from None


def _check_pattern(service: str, path: str, node: object, where: str, *, nested: bool = True) -> None:
    """EventBridge patterns and SNS filter policies: objects whose leaves are non-empty lists of values."""
    if not isinstance(node, dict) or not node:
        raise ValidationError(f"{service}: {path} {where} must be a non-empty JSON object, got {json.dumps(node)}")
    for key, value in node.items():
        here = f"{where}.{key}"
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise ValidationError(
                    f"{service}: {path} {here} must be a list of at least 2 objects, got {json.dumps(value)}"
                )
            for i, alternative in enumerate(value):
                _check_pattern(service, path, alternative, f"{here}[{i}]", nested=nested)
        elif isinstance(value, dict):
            if not nested:
                raise ValidationError(
                    f"{service}: {path} {here} must be a list: nested objects need filter_policy_scope MessageBody, "
                    f"got {json.dumps(value)}"
                )
            _check_pattern(service, path, value, here, nested=nested)
        elif not isinstance(value, list):
            raise ValidationError(
                f"{service}: {path} {here} must be a list of values to match (leaf values are lists), "
                f"got {json.dumps(value)}"
            )
        elif not value:
            raise ValidationError(f"{service}: {path} {here} is an empty list, which matches nothing")


# --- schedule expressions -------------------------------------------------------------------------------------

_RATE = re.compile(r"^rate\((?P<value>\S+) (?P<unit>\S+)\)$")
_RATE_UNITS = {"minute": "minutes", "hour": "hours", "day": "days"}
_CRON = re.compile(r"^cron\((?P<body>.*)\)$")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
#: (name, low, high, names for low..high)
_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minutes", 0, 59, ()),
    ("hours", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, ()),
)


def _cron_number(token: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    if token.upper() in names:
        return True
    return token.isdigit() and low <= int(token) <= high


def _cron_item_ok(item: str, name: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    if name == "day-of-month" and (item in ("L", "LW") or (item.endswith("W") and _cron_number(item[:-1], 1, 31, ()))):
        return True
    if name == "day-of-week":
        if item == "L" or (item.endswith("L") and _cron_number(item[:-1], low, high, names)):
            return True
        if "#" in item:
            day, _, nth = item.partition("#")
            return _cron_number(day, low, high, names) and nth in ("1", "2", "3", "4", "5")
    base, slash, step = item.partition("/")
    if slash and not (step.isdigit() and int(step) >= 1):
        return False
    if base == "*":
        return True
    start, dash, end = base.partition("-")
    if dash:
        return _cron_number(start, low, high, names) and _cron_number(end, low, high, names)
    return _cron_number(base, low, high, names)


def check_schedule_expression(service: str, path: str, expression: object) -> None:
    """``rate(...)`` or six-field ``cron(...)`` as EventBridge and EventBridge Scheduler accept them."""
    text = check_str(service, path, expression, max_len=limits()["schedule_expression_max"])
    if text is None:
        return
    if rate := _RATE.match(text):
        value, unit = rate["value"], rate["unit"]
        if not value.isdigit() or int(value) < 1:
            raise ValidationError(
                f"{service}: {path} rate value must be a positive whole number, got {value!r} in {text!r}"
            )
        singular = unit in _RATE_UNITS
        if not singular and unit not in _RATE_UNITS.values():
            raise ValidationError(
                f"{service}: {path} rate unit must be minute(s), hour(s) or day(s), got {unit!r} in {text!r}"
            )
        if int(value) == 1 and not singular:
            raise ValidationError(
                f"{service}: {path} must use the singular unit for 1, e.g. rate(1 minute), got {text!r}"
            )
        if int(value) != 1 and singular:
            raise ValidationError(
                f"{service}: {path} must use the plural unit for {value}, e.g. rate({value} {_RATE_UNITS[unit]}), "
                f"got {text!r}"
            )
        return
    cron = _CRON.match(text)
    if not cron:
        raise ValidationError(
            f"{service}: {path} must be rate(<n> <unit>) or cron(<minutes> <hours> <day-of-month> <month> "
            f"<day-of-week> <year>), got {text!r}"
        )
    parts = cron["body"].split()
    if len(parts) != len(_CRON_FIELDS):
        raise ValidationError(
            f"{service}: {path} cron needs 6 fields (minutes hours day-of-month month day-of-week year), "
            f"got {len(parts)} in {text!r}"
        )
    for part, (name, low, high, names) in zip(parts, _CRON_FIELDS, strict=True):
        if part == "?" and name in ("day-of-month", "day-of-week"):
            continue
        if not all(_cron_item_ok(item, name, low, high, names) for item in part.split(",")):
            extra = f" or {names[0]}-{names[-1]}" if names else ""
            raise ValidationError(
                f"{service}: {path} cron {name} must be {low}-{high}{extra} (with , - * /), got {part!r} in {text!r}"
            )
    dom, dow = parts[2], parts[4]
    if (dom == "?") == (dow == "?"):
        raise ValidationError(
            f"{service}: {path} cron needs '?' in exactly one of day-of-month and day-of-week (AWS cannot combine "
            f"them), got day-of-month {dom!r} and day-of-week {dow!r} in {text!r}"
        )


def check_time_zone(service: str, path: str, value: object) -> None:
    text = check_str(service, path, value)
    if text is not None and text not in _time_zones():
        raise ValidationError(f"{service}: {path} must be an IANA time zone such as Europe/Berlin or UTC, got {text!r}")


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


# --------------------------------------------------------------------------------------------------------------
# validate_triggers
# --------------------------------------------------------------------------------------------------------------


def _uses_scheduler(schedule: Mapping[str, Any]) -> bool:
    # EventBridge rules evaluate cron in UTC only and cannot delay; Scheduler supports time zones and flexible
    # time windows but invokes through an IAM role instead of the function's resource policy.
    return schedule.get("time_zone") is not None or schedule.get("flexible_time_window_minutes") is not None


def _check_retry(service: str, path: str, args: Mapping[str, Any]) -> None:
    lim = limits()
    (retry_low, retry_high), (age_low, age_high) = lim["retry_attempts"], lim["event_age"]
    check_int(service, f"{path}.max_retry_attempts", args.get("max_retry_attempts"), retry_low, retry_high)
    check_int(service, f"{path}.max_event_age_seconds", args.get("max_event_age_seconds"), age_low, age_high, "seconds")
    check_arn(service, f"{path}.dlq_arn", args.get("dlq_arn"), "sqs")


def _check_autoname(service: str, path: str, logical: str, kind: str, max_len: int) -> None:
    if len(logical) + AUTONAME_SUFFIX > max_len:
        raise ValidationError(
            f"{service}: {path} gives the {kind} the generated name {logical!r} plus an 8-character suffix, "
            f"{len(logical) + AUTONAME_SUFFIX} characters; AWS allows at most {max_len}: shorten the service name"
        )


def _validate_s3(service: str, triggers: Sequence[Any], offset: int = 0) -> None:
    s3_events = limits()["s3_events"]
    plain: list[tuple[int, object, frozenset[str], str | None, str | None]] = []
    for i, trigger in enumerate(triggers, start=offset):
        path = f"s3_triggers[{i}]"
        check_mapping(service, path, trigger, S3TriggerArgs)
        bucket = check_str(service, f"{path}.bucket", trigger["bucket"], max_len=63)
        if bucket is not None and not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
            raise ValidationError(
                f"{service}: {path}.bucket must be a bucket name (3-63 lowercase letters, digits, '.', '-'; "
                f"not an ARN), got {bucket!r}"
            )
        events = check_sequence(service, f"{path}.events", opt(trigger, "events", DEFAULT_S3_EVENTS))
        if not events:
            raise ValidationError(f"{service}: {path}.events must list at least one event type, got []")
        for j, event in enumerate(events):
            check_choice(service, f"{path}.events[{j}]", event, s3_events)
        prefix = check_str(service, f"{path}.filter_prefix", trigger.get("filter_prefix"), max_len=S3_FILTER_MAX)
        suffix = check_str(service, f"{path}.filter_suffix", trigger.get("filter_suffix"), max_len=S3_FILTER_MAX)
        if is_output(trigger.get("filter_prefix")) or is_output(trigger.get("filter_suffix")):
            continue
        # An Output bucket is compared by identity: the same Output object is the same bucket.
        key = bucket if bucket is not None else id(trigger["bucket"])
        plain.append((i, key, frozenset(events), prefix, suffix))
    # S3 refuses a configuration in which two rules share an event type and their key filters can match the
    # same key ("Configurations overlap"), and it refuses it only at deploy time, after the permissions exist.
    for a in range(len(plain)):
        for b in range(a + 1, len(plain)):
            i, bucket_a, events_a, prefix_a, suffix_a = plain[a]
            k, bucket_b, events_b, prefix_b, suffix_b = plain[b]
            if bucket_a != bucket_b:
                continue
            shared = _s3_events_intersect(events_a, events_b)
            pa, pb, sa, sb = prefix_a or "", prefix_b or "", suffix_a or "", suffix_b or ""
            if shared and (pa.startswith(pb) or pb.startswith(pa)) and (sa.endswith(sb) or sb.endswith(sa)):
                raise ValidationError(
                    f"{service}: s3_triggers[{i}] and s3_triggers[{k}] overlap on bucket {bucket_a!r}: both match "
                    f"{shared} with prefixes {pa!r}/{pb!r} and suffixes {sa!r}/{sb!r}; S3 rejects overlapping "
                    f"notification configurations: make the prefixes or suffixes disjoint, or merge the triggers"
                )


def _s3_events_intersect(a: frozenset[str], b: frozenset[str]) -> str | None:
    for x in sorted(a):
        for y in sorted(b):
            if x == y:
                return x
            if x.endswith(":*") and y.startswith(x[:-1]):
                return y
            if y.endswith(":*") and x.startswith(y[:-1]):
                return x
    return None


def _validate_schedules(service: str, schedules: Sequence[Any], offset: int = 0) -> None:
    lim = limits()
    for i, schedule in enumerate(schedules, start=offset):
        path = f"schedules[{i}]"
        check_mapping(service, path, schedule, ScheduleArgs)
        check_schedule_expression(service, f"{path}.expression", schedule["expression"])
        check_time_zone(service, f"{path}.time_zone", schedule.get("time_zone"))
        check_int(
            service,
            f"{path}.flexible_time_window_minutes",
            schedule.get("flexible_time_window_minutes"),
            lim["flexible_window"][0],
            lim["flexible_window"][1],
            "minutes",
        )
        _check_json(service, f"{path}.input", schedule.get("input"))
        check_str(service, f"{path}.description", schedule.get("description"), max_len=lim["description_max"])
        check_bool(service, f"{path}.enabled", schedule.get("enabled"))
        _check_retry(service, path, schedule)
        if _uses_scheduler(schedule):
            _check_autoname(service, path, f"{service}-schedule-{i}", "Scheduler schedule", lim["schedule_name_max"])
            _check_autoname(service, path, f"{service}-scheduler-role", "Scheduler's IAM role", IAM_ROLE_NAME_MAX)
        else:
            _check_autoname(service, path, f"{service}-schedule-{i}", "EventBridge rule", lim["rule_name_max"])


def _validate_event_rules(service: str, rules: Sequence[Any], offset: int = 0) -> None:
    lim = limits()
    for i, rule in enumerate(rules, start=offset):
        path = f"event_rules[{i}]"
        check_mapping(service, path, rule, EventRuleArgs)
        field_path = f"{path}.event_pattern"
        pattern = _check_json(service, field_path, rule["event_pattern"], max_len=lim["event_pattern_max"])
        if pattern is not None:
            _check_pattern(service, field_path, pattern, "pattern")
        check_str(service, f"{path}.event_bus_name", rule.get("event_bus_name"))
        check_str(service, f"{path}.description", rule.get("description"), max_len=lim["description_max"])
        check_bool(service, f"{path}.enabled", rule.get("enabled"))
        _check_json(service, f"{path}.input", rule.get("input"))
        _check_retry(service, path, rule)
        _check_autoname(service, path, f"{service}-rule-{i}", "EventBridge rule", lim["rule_name_max"])


def _validate_api_gateway(service: str, triggers: Sequence[Any], offset: int = 0) -> None:
    for i, trigger in enumerate(triggers, start=offset):
        path = f"api_gateway_triggers[{i}]"
        check_mapping(service, path, trigger, ApiGatewayTriggerArgs)
        api_id = check_str(service, f"{path}.api_id", trigger["api_id"])
        # Real ids are 10 lowercase alphanumerics; hyphens are let through so that offline ids ("<name>-id" from
        # the SDK mocks) resolve cleanly. What this catches is an ARN, a URL or a name with spaces.
        if api_id is not None and not re.fullmatch(r"[A-Za-z0-9-]+", api_id):
            raise ValidationError(
                f"{service}: {path}.api_id must be the API's id (letters and digits, not an ARN or URL), got {api_id!r}"
            )
        stage = check_str(service, f"{path}.stage", trigger.get("stage"))
        if stage is not None and not re.fullmatch(r"\*|\$default|[A-Za-z0-9_-]{1,128}", stage):
            raise ValidationError(f"{service}: {path}.stage must be a stage name, $default or *, got {stage!r}")
        route = check_str(service, f"{path}.route", trigger.get("route"))
        if route is not None:
            _route_arn_part(service, f"{path}.route", route)


def _route_arn_part(service: str, path: str, route: str) -> str:
    """``GET /orders/{id}`` -> ``GET/orders/*``; the execute-api ARN's ``<method>/<resource path>`` tail."""
    if route in ("*", "$default"):
        return route
    method, _, resource = route.partition(" ")
    if method.upper() not in API_METHODS or not resource.startswith("/") or " " in resource:
        raise ValidationError(
            f"{service}: {path} must be 'METHOD /path' (METHOD one of {', '.join(API_METHODS)}), $default or *, "
            f"got {route!r}"
        )
    method = "*" if method.upper() in ("ANY", "*") else method.upper()
    return method + re.sub(r"\{[^}/]+\}", "*", resource)


def _validate_function_url(service: str, url: object) -> None:
    lim = limits()
    path = "function_url"
    check_mapping(service, path, url, FunctionUrlArgs)
    assert isinstance(url, Mapping)
    auth = opt(url, "auth_type", DEFAULT_URL_AUTH)
    check_choice(service, f"{path}.auth_type", auth, URL_AUTH_TYPES)
    check_bool(service, f"{path}.allow_public", url.get("allow_public"))
    public = bool(opt(url, "allow_public", False))
    if auth == "NONE" and not public:
        raise ValidationError(
            f"{service}: {path}.auth_type 'NONE' makes the URL callable by anyone; set {path}.allow_public to True "
            f"to confirm, or use 'AWS_IAM', got auth_type 'NONE' with allow_public {url.get('allow_public')!r}"
        )
    if public and auth != "NONE":
        raise ValidationError(
            f"{service}: {path}.allow_public True only applies with auth_type 'NONE', got auth_type {auth!r}"
        )
    check_choice(service, f"{path}.invoke_mode", url.get("invoke_mode"), URL_INVOKE_MODES)
    cors = url.get("cors")
    if cors is None:
        return
    cpath = f"{path}.cors"
    check_mapping(service, cpath, cors, FunctionUrlCorsArgs)
    origins = check_sequence(service, f"{cpath}.allow_origins", cors["allow_origins"])
    if not origins or len(origins) > lim["cors_origins_max"]:
        raise ValidationError(
            f"{service}: {cpath}.allow_origins must list 1-{lim['cors_origins_max']} origins, got {len(origins)}"
        )
    for j, origin in enumerate(origins):
        text = check_str(service, f"{cpath}.allow_origins[{j}]", origin, max_len=lim["cors_origin_len_max"])
        if text is not None and text != "*" and not re.fullmatch(r"https?://[^/\s*?#]+(:\d{1,5})?", text):
            raise ValidationError(
                f"{service}: {cpath}.allow_origins[{j}] must be * or scheme://host[:port] with no path, got {text!r}"
            )
    methods = check_sequence(service, f"{cpath}.allow_methods", opt(cors, "allow_methods", ["*"]))
    if len(methods) > lim["cors_methods_max"]:
        raise ValidationError(
            f"{service}: {cpath}.allow_methods must list at most {lim['cors_methods_max']}, got {len(methods)}"
        )
    for j, method in enumerate(methods):
        check_choice(service, f"{cpath}.allow_methods[{j}]", method, URL_CORS_METHODS)
    for key in ("allow_headers", "expose_headers"):
        headers = check_sequence(service, f"{cpath}.{key}", cors.get(key, []))
        if len(headers) > lim["cors_headers_max"]:
            raise ValidationError(
                f"{service}: {cpath}.{key} must list at most {lim['cors_headers_max']}, got {len(headers)}"
            )
        for j, header in enumerate(headers):
            check_str(service, f"{cpath}.{key}[{j}]", header, max_len=1024)
    check_bool(service, f"{cpath}.allow_credentials", cors.get("allow_credentials"))
    if cors.get("allow_credentials") and "*" in origins:
        raise ValidationError(
            f"{service}: {cpath}.allow_credentials True cannot be combined with the origin '*' (browsers refuse "
            f"credentialed wildcard CORS); list the origins, got allow_origins {list(origins)!r}"
        )
    check_int(
        service,
        f"{cpath}.max_age_seconds",
        cors.get("max_age_seconds"),
        lim["cors_max_age"][0],
        lim["cors_max_age"][1],
        "seconds",
    )


def _validate_sns(service: str, triggers: Sequence[Any], offset: int = 0) -> None:
    for i, trigger in enumerate(triggers, start=offset):
        path = f"sns_triggers[{i}]"
        check_mapping(service, path, trigger, SnsTriggerArgs)
        arn = check_arn(service, f"{path}.topic_arn", trigger["topic_arn"], "sns")
        if arn is not None and arn["rest"].endswith(".fifo"):
            raise ValidationError(
                f"{service}: {path}.topic_arn is a FIFO topic, which can only deliver to SQS queues, not Lambda; "
                f"got {trigger['topic_arn']!r}"
            )
        scope = trigger.get("filter_policy_scope")
        check_choice(service, f"{path}.filter_policy_scope", scope, SNS_FILTER_SCOPES)
        policy = _check_json(service, f"{path}.filter_policy", trigger.get("filter_policy"))
        if policy is not None:
            nested = (scope or DEFAULT_SNS_FILTER_SCOPE) == "MessageBody"
            _check_pattern(service, f"{path}.filter_policy", policy, "policy", nested=nested)
        if scope is not None and trigger.get("filter_policy") is None:
            raise ValidationError(
                f"{service}: {path}.filter_policy_scope needs a filter_policy, got scope {scope!r} alone"
            )
        check_arn(service, f"{path}.dlq_arn", trigger.get("dlq_arn"), "sqs")


def validate_triggers(service: str, args: Mapping[str, Any]) -> None:
    """Check the service's push-trigger settings; raise ``ValueError``/``TypeError`` naming the field and value.

    ``args`` is the ``LambdaServiceArgs`` mapping; only the trigger fields are read. Nothing is registered.
    """
    for key, check in (
        ("s3_triggers", _validate_s3),
        ("schedules", _validate_schedules),
        ("event_rules", _validate_event_rules),
        ("api_gateway_triggers", _validate_api_gateway),
        ("sns_triggers", _validate_sns),
    ):
        value = args.get(key)
        if value is not None:
            check(service, check_sequence(service, key, value))
    if args.get("function_url") is not None:
        _validate_function_url(service, args["function_url"])


# --------------------------------------------------------------------------------------------------------------
# create_triggers
# --------------------------------------------------------------------------------------------------------------


@dataclass
class TriggerTarget:
    """What the triggers invoke: the service's alias."""

    function_name: pulumi.Input[str]
    """The function's name."""
    function_arn: pulumi.Input[str]
    """The function's unqualified ARN."""
    alias_name: pulumi.Input[str]
    """The alias every trigger targets (the permissions' and the URL's qualifier)."""
    alias_arn: pulumi.Input[str]
    """The alias ARN (what S3, EventBridge and SNS invoke)."""
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    """Resources that must exist first (the alias: a permission qualified with a missing alias fails)."""


@dataclass
class TriggerOutputs:
    """What :func:`create_triggers` registered."""

    function_url: pulumi.Output[str] | None = None
    """The Function URL, when one was asked for."""
    permissions: "list[aws.lambda_.Permission]" = field(default_factory=list)
    bucket_notifications: "list[aws.s3.BucketNotification]" = field(default_factory=list)
    event_rules: "list[aws.cloudwatch.EventRule]" = field(default_factory=list)
    event_targets: "list[aws.cloudwatch.EventTarget]" = field(default_factory=list)
    schedules: "list[aws.scheduler.Schedule]" = field(default_factory=list)
    scheduler_role: "aws.iam.Role | None" = None
    scheduler_policy: "aws.iam.RolePolicy | None" = None
    api_gateway_permissions: "list[aws.lambda_.Permission]" = field(default_factory=list)
    function_url_resource: "aws.lambda_.FunctionUrl | None" = None
    subscriptions: "list[aws.sns.TopicSubscription]" = field(default_factory=list)

    @property
    def resources(self) -> list[pulumi.Resource]:
        """Every resource registered for the triggers (permissions, notifications, rules, targets, schedules, ...)."""
        singles: list[pulumi.Resource | None] = [self.scheduler_role, self.scheduler_policy, self.function_url_resource]
        return [
            *self.permissions,
            *self.bucket_notifications,
            *self.event_rules,
            *self.event_targets,
            *self.schedules,
            *(r for r in singles if r is not None),
            *self.subscriptions,
        ]


def _retry_policy(args: Mapping[str, Any], attempts: int, age: int) -> tuple[int, int]:
    """(maximum retry attempts, maximum event age in seconds) with the trigger kind's defaults."""
    return int(opt(args, "max_retry_attempts", attempts)), int(opt(args, "max_event_age_seconds", age))


class _Builder:
    def __init__(self, service: str, target: TriggerTarget, parent: pulumi.Resource) -> None:
        self.service = service
        self.target = target
        self.parent = parent
        self.out = TriggerOutputs()
        self._account: pulumi.Output[str] | None = None

    @functools.cached_property
    def partition(self) -> pulumi.Output[str]:
        # The alias ARN carries the partition and region the function lives in (arn:<partition>:lambda:<region>:...).
        return pulumi.Output.from_input(self.target.alias_arn).apply(lambda arn: arn.split(":")[1])

    @functools.cached_property
    def region(self) -> pulumi.Output[str]:
        return pulumi.Output.from_input(self.target.alias_arn).apply(lambda arn: arn.split(":")[3])

    @property
    def account(self) -> pulumi.Output[str]:
        if self._account is None:
            identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self.parent))
            self._account = identity.account_id
        return self._account

    def after_check(self, validate: Any, index: int, trigger: Mapping[str, Any], value: Any) -> Any:
        """``value``, held back until the trigger's Output fields resolve and pass the checks plain values passed.

        A trigger without Outputs was fully checked by :func:`validate_triggers`; ``value`` is returned as is.
        """
        if not any(is_output(v) for v in trigger.values()):
            return value

        def check(resolved: dict[str, Any]) -> Any:
            fields, value = resolved["fields"], resolved["value"]
            validate(self.service, [fields], offset=index)
            return value

        return pulumi.Output.all(fields=pulumi.Output.all(**trigger), value=value).apply(check)

    def opts(self, *depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent, depends_on=[*self.target.depends_on, *depends_on])

    def permission(self, name: str, principal: str, source_arn: pulumi.Input[str]) -> aws.lambda_.Permission:
        permission = aws.lambda_.Permission(
            name,
            action="lambda:InvokeFunction",
            function=self.target.function_name,
            qualifier=self.target.alias_name,
            principal=principal,
            source_arn=source_arn,
            source_account=self.account,
            opts=self.opts(),
        )
        self.out.permissions.append(permission)
        return permission

    def s3(self, triggers: Sequence[Mapping[str, Any]]) -> None:
        # One notification resource per bucket: PutBucketNotificationConfiguration replaces the bucket's whole
        # configuration, so two resources on one bucket would overwrite each other.
        groups: dict[object, list[tuple[int, Mapping[str, Any]]]] = {}
        for i, trigger in enumerate(triggers):
            bucket = trigger["bucket"]
            groups.setdefault(bucket if isinstance(bucket, str) else id(bucket), []).append((i, trigger))
        for j, group in enumerate(groups.values()):
            first, trigger = group[0]
            bucket = self.after_check(_validate_s3, first, trigger, trigger["bucket"])
            source_arn = pulumi.Output.concat("arn:", self.partition, ":s3:::", bucket)
            permission = self.permission(f"{self.service}-s3-{j}-permission", "s3.amazonaws.com", source_arn)
            notification = aws.s3.BucketNotification(
                f"{self.service}-s3-{j}-notification",
                bucket=bucket,
                lambda_functions=[
                    aws.s3.BucketNotificationLambdaFunctionArgs(
                        lambda_function_arn=self.after_check(_validate_s3, i, t, self.target.alias_arn),
                        events=list(dict.fromkeys(opt(t, "events", DEFAULT_S3_EVENTS))),
                        filter_prefix=t.get("filter_prefix"),
                        filter_suffix=t.get("filter_suffix"),
                    )
                    for i, t in group
                ],
                # S3 test-invokes the destination when the configuration is saved and fails with "Unable to
                # validate the following destination configurations" unless the permission already exists.
                opts=self.opts(permission),
            )
            self.out.bucket_notifications.append(notification)

    def schedules(self, schedules: Sequence[Mapping[str, Any]]) -> None:
        scheduled = [(i, s) for i, s in enumerate(schedules) if _uses_scheduler(s)]
        if scheduled:
            self._scheduler_role([s.get("dlq_arn") for _, s in scheduled if s.get("dlq_arn") is not None])
        for i, schedule in enumerate(schedules):
            name = f"{self.service}-schedule-{i}"
            enabled = opt(schedule, "enabled", True)
            retry = _retry_policy(schedule, DEFAULT_SCHEDULE_RETRY_ATTEMPTS, DEFAULT_SCHEDULE_EVENT_AGE_SECONDS)
            if _uses_scheduler(schedule):
                assert self.out.scheduler_role is not None and self.out.scheduler_policy is not None
                window = schedule.get("flexible_time_window_minutes")
                flexible = (
                    aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="FLEXIBLE", maximum_window_in_minutes=window)
                    if window
                    else aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF")
                )
                dlq = schedule.get("dlq_arn")
                self.out.schedules.append(
                    aws.scheduler.Schedule(
                        name,
                        schedule_expression=schedule["expression"],
                        schedule_expression_timezone=schedule.get("time_zone"),
                        flexible_time_window=flexible,
                        description=schedule.get("description"),
                        state="ENABLED" if enabled else "DISABLED",
                        target=aws.scheduler.ScheduleTargetArgs(
                            arn=self.target.alias_arn,
                            role_arn=self.out.scheduler_role.arn,
                            input=self.after_check(_validate_schedules, i, schedule, schedule.get("input")),
                            retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                                maximum_retry_attempts=retry[0], maximum_event_age_in_seconds=retry[1]
                            ),
                            dead_letter_config=(
                                aws.scheduler.ScheduleTargetDeadLetterConfigArgs(arn=dlq) if dlq is not None else None
                            ),
                        ),
                        # Scheduler accepts a role it cannot yet use; invocations would fail until the policy lands.
                        opts=self.opts(self.out.scheduler_policy),
                    )
                )
            else:
                rule = aws.cloudwatch.EventRule(
                    name,
                    schedule_expression=self.after_check(_validate_schedules, i, schedule, schedule["expression"]),
                    description=schedule.get("description"),
                    state="ENABLED" if enabled else "DISABLED",
                    opts=self.opts(),
                )
                self._rule_target(name, rule, schedule, retry, DEFAULT_EVENT_BUS)

    def _scheduler_role(self, dlq_arns: list[Any]) -> None:
        # Scheduler does not use the function's resource policy: it assumes a role, so that role (trusted only by
        # this account's schedules) is what may invoke the alias.
        assume = self.account.apply(
            lambda account: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "scheduler.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                        }
                    ],
                }
            )
        )
        role = aws.iam.Role(f"{self.service}-scheduler-role", assume_role_policy=assume, opts=self.opts())

        def document(values: list[Any]) -> str:
            alias_arn, *queues = values
            statements: list[dict[str, Any]] = [
                {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": alias_arn}
            ]
            if queues:
                statements.append({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": sorted(set(queues))})
            return json.dumps({"Version": "2012-10-17", "Statement": statements})

        policy = aws.iam.RolePolicy(
            f"{self.service}-scheduler-policy",
            role=role.id,
            policy=pulumi.Output.all(self.target.alias_arn, *dlq_arns).apply(document),
            opts=self.opts(),
        )
        self.out.scheduler_role, self.out.scheduler_policy = role, policy

    def _rule_target(
        self,
        name: str,
        rule: "aws.cloudwatch.EventRule",
        args: Mapping[str, Any],
        retry: tuple[int, int],
        bus: pulumi.Input[str],
    ) -> None:
        self.out.event_rules.append(rule)
        permission = self.permission(f"{name}-permission", "events.amazonaws.com", rule.arn)
        dlq = args.get("dlq_arn")
        target = aws.cloudwatch.EventTarget(
            f"{name}-target",
            rule=rule.name,
            # Targets on a custom bus must name the bus; the rule name alone resolves on the default bus.
            event_bus_name=bus,
            arn=self.target.alias_arn,
            input=args.get("input"),
            retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                maximum_retry_attempts=retry[0], maximum_event_age_in_seconds=retry[1]
            ),
            dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dlq) if dlq is not None else None,
            opts=self.opts(permission),
        )
        self.out.event_targets.append(target)

    def event_rules(self, rules: Sequence[Mapping[str, Any]]) -> None:
        for i, args in enumerate(rules):
            name = f"{self.service}-rule-{i}"
            bus = opt(args, "event_bus_name", DEFAULT_EVENT_BUS)
            rule = aws.cloudwatch.EventRule(
                name,
                event_pattern=self.after_check(_validate_event_rules, i, args, args["event_pattern"]),
                event_bus_name=bus,
                description=args.get("description"),
                state="ENABLED" if opt(args, "enabled", True) else "DISABLED",
                opts=self.opts(),
            )
            retry = _retry_policy(args, DEFAULT_RULE_RETRY_ATTEMPTS, DEFAULT_RULE_EVENT_AGE_SECONDS)
            self._rule_target(name, rule, args, retry, bus)

    def api_gateway(self, triggers: Sequence[Mapping[str, Any]]) -> None:
        for i, trigger in enumerate(triggers):
            path = f"api_gateway_triggers[{i}]"
            stage = opt(trigger, "stage", "*")
            route = _route_arn_part(self.service, f"{path}.route", opt(trigger, "route", "*"))
            source_arn = pulumi.Output.concat(
                "arn:", self.partition, ":execute-api:", self.region, ":", self.account, ":",
                trigger["api_id"], "/", stage, "/", route,
            )  # fmt: skip
            source_arn = self.after_check(_validate_api_gateway, i, trigger, source_arn)
            permission = self.permission(f"{self.service}-apigw-{i}-permission", "apigateway.amazonaws.com", source_arn)
            self.out.api_gateway_permissions.append(permission)

    def function_url(self, url: Mapping[str, Any]) -> None:
        auth = opt(url, "auth_type", DEFAULT_URL_AUTH)
        cors = url.get("cors")
        resource = aws.lambda_.FunctionUrl(
            f"{self.service}-url",
            function_name=self.target.function_name,
            qualifier=self.target.alias_name,
            authorization_type=auth,
            invoke_mode=opt(url, "invoke_mode", DEFAULT_URL_INVOKE_MODE),
            cors=(
                aws.lambda_.FunctionUrlCorsArgs(
                    allow_origins=list(cors["allow_origins"]),
                    allow_methods=list(opt(cors, "allow_methods", ["*"])),
                    allow_headers=list(opt(cors, "allow_headers", [])) or None,
                    expose_headers=list(opt(cors, "expose_headers", [])) or None,
                    allow_credentials=opt(cors, "allow_credentials", False),
                    max_age=opt(cors, "max_age_seconds", 0),
                )
                if cors is not None
                else None
            ),
            opts=self.opts(),
        )
        self.out.function_url_resource = resource
        self.out.function_url = resource.function_url
        if auth == "NONE":
            # A public URL needs a resource policy for principal "*", which cannot carry a source ARN or account
            # (anonymous callers have neither). Since October 2025 AWS also requires lambda:InvokeFunction
            # restricted to calls made through the URL, next to lambda:InvokeFunctionUrl.
            for suffix, extra in (
                ("url-public-permission", {"action": "lambda:InvokeFunctionUrl", "function_url_auth_type": "NONE"}),
                ("url-public-invoke-permission", {"action": "lambda:InvokeFunction", "invoked_via_function_url": True}),
            ):
                self.out.permissions.append(
                    aws.lambda_.Permission(
                        f"{self.service}-{suffix}",
                        function=self.target.function_name,
                        qualifier=self.target.alias_name,
                        principal="*",
                        opts=self.opts(),
                        **extra,
                    )
                )

    def sns(self, triggers: Sequence[Mapping[str, Any]]) -> None:
        for i, trigger in enumerate(triggers):
            name = f"{self.service}-sns-{i}"
            topic = self.after_check(_validate_sns, i, trigger, trigger["topic_arn"])
            permission = self.permission(f"{name}-permission", "sns.amazonaws.com", topic)
            policy = trigger.get("filter_policy")
            dlq = trigger.get("dlq_arn")
            self.out.subscriptions.append(
                aws.sns.TopicSubscription(
                    name,
                    topic=trigger["topic_arn"],
                    protocol="lambda",
                    endpoint=self.target.alias_arn,
                    filter_policy=policy,
                    filter_policy_scope=(
                        opt(trigger, "filter_policy_scope", DEFAULT_SNS_FILTER_SCOPE) if policy is not None else None
                    ),
                    redrive_policy=(
                        pulumi.Output.from_input(dlq).apply(lambda arn: json.dumps({"deadLetterTargetArn": arn}))
                        if dlq is not None
                        else None
                    ),
                    # SNS starts delivering as soon as the subscription exists; without the permission the first
                    # messages would be rejected and retried.
                    opts=self.opts(permission),
                )
            )


TRIGGER_FIELDS = ("s3_triggers", "schedules", "event_rules", "api_gateway_triggers", "function_url", "sns_triggers")


def create_triggers(
    service: str,
    args: Mapping[str, Any],
    target: TriggerTarget,
    parent: pulumi.Resource,
    *,
    validated: bool = False,
) -> TriggerOutputs:
    """Register the service's push triggers as children of ``parent``, all bound to ``target``'s alias.

    Validates first (the same checks as :func:`validate_triggers`), so nothing is half-created; a caller that already
    ran :func:`validate_triggers` before registering anything passes ``validated=True``.
    """
    if not validated:
        validate_triggers(service, args)
    if not any(args.get(key) is not None for key in TRIGGER_FIELDS):
        return TriggerOutputs()
    builder = _Builder(service, target, parent)
    builder.s3(args.get("s3_triggers") or [])
    builder.schedules(args.get("schedules") or [])
    builder.event_rules(args.get("event_rules") or [])
    builder.api_gateway(args.get("api_gateway_triggers") or [])
    if args.get("function_url") is not None:
        builder.function_url(args["function_url"])
    builder.sns(args.get("sns_triggers") or [])
    return builder.out

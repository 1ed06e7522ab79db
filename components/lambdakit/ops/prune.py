"""Pruning old published versions, never one an alias or an event source mapping uses."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from .clients import _function_of, _paginate, _qualifier
from .errors import FunctionNotFoundError, PruneRefusedError, _denied, _error_code, _is_access_denied

#: Default for how many of the newest published versions :func:`prune_versions` keeps besides those in use.
DEFAULT_KEEP = 3


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

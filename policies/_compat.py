"""Guards around the private parts of the libraries lambdakit builds on, and the one for pulumi_policy.

lambdakit reaches into three libraries' internals: the Pulumi SDK (``lambdakit._pulumi_compat``: mocks, RPC
signatures, runtime settings), pulumi_policy (``_speedups.py`` re-implements two methods of its analyzer servicer
and calls its private helpers) and moto (``lambdakit.sandbox._moto_compat``: the sandbox patches its Lambda
backend). Internals change without notice between releases, so each guard states the versions it was tested with
(:class:`Supported`) and is checked at start-up:

- an installed version outside the range stops with one line that says what to pin (``pip install
  'pulumi-policy==1.21.0'``); ``LAMBDAKIT_ALLOW_UNTESTED_VERSIONS=1`` turns that into a warning and carries on;
- a private attribute that is not there (a patch release renamed it) is an error naming the attribute, not an
  ``AttributeError`` deep inside a run.

The generic part lives here, in the policy pack, because the pack runs from a folder of its own (the Pulumi CLI starts
it with only its own modules); lambdakit imports it as ``lambdakit.policies._compat``. Standard library only.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

#: Set to 1 to run with versions outside the tested ranges (a warning instead of an error).
ALLOW_UNTESTED_ENV = "LAMBDAKIT_ALLOW_UNTESTED_VERSIONS"


class UnsupportedDependencyError(RuntimeError):
    """An installed library is outside the version range lambdakit was tested with, or lacks an internal it uses.

    The message is one line: the library, the installed version, the supported range and what to pin."""


def _release(version: str) -> tuple[int, ...]:
    """``"3.272.0"`` -> ``(3, 272, 0)``; pre-release and local suffixes are ignored (``"5.2.6.dev1"`` -> 5.2.6)."""
    match = re.match(r"\d+(?:\.\d+)*", version.strip())
    if match is None:
        raise ValueError(f"not a version: {version!r}")
    return tuple(int(part) for part in match.group().split("."))


def _pad(release: tuple[int, ...], width: int) -> tuple[int, ...]:
    return release + (0,) * (width - len(release))


@dataclass(frozen=True)
class Supported:
    """The versions of one distribution whose internals lambdakit uses: ``minimum <= version < below``."""

    distribution: str
    """The name pip knows it by (``pulumi-policy``)."""
    minimum: str
    """The oldest version tested (inclusive): the exact pin of the repository's requirements files."""
    below: str
    """The first version not supported (exclusive): the next minor release, whose internals may differ."""
    used_by: str
    """What uses the internals, for the message (``the policy pack's analyzer speedups``)."""

    @property
    def specifier(self) -> str:
        """The range as pip writes it, e.g. ``>=1.21.0,<1.22``: pyproject.toml declares exactly this."""
        return f">={self.minimum},<{self.below}"

    @property
    def pin(self) -> str:
        return f"{self.distribution}=={self.minimum}"

    def accepts(self, version: str) -> bool:
        release = _release(version)
        width = max(len(release), len(_release(self.minimum)), len(_release(self.below)))
        return _pad(_release(self.minimum), width) <= _pad(release, width) < _pad(_release(self.below), width)

    def installed(self) -> str | None:
        try:
            return metadata.version(self.distribution)
        except metadata.PackageNotFoundError:
            return None

    def problem(self, version: str) -> str:
        return (
            f"{self.distribution} {version} is installed, but {self.used_by} is tested with {self.specifier} only "
            f"(it uses the library's internals): pip install '{self.pin}' (or set {ALLOW_UNTESTED_ENV}=1 to try "
            "this version anyway)"
        )

    def untested(self, version: str) -> str:
        return (
            f"{self.distribution} {version} is outside the versions {self.used_by} is tested with "
            f"({self.specifier}); running anyway because {ALLOW_UNTESTED_ENV} is set (pin '{self.pin}' to be safe)"
        )

    def missing(self, version: str, what: str) -> str:
        return (
            f"{self.distribution} {version} has no {what}, which {self.used_by} uses: pip install '{self.pin}' "
            f"(the version lambdakit is tested with)"
        )


_warned: set[tuple[str, str]] = set()


def untested_allowed() -> bool:
    return os.environ.get(ALLOW_UNTESTED_ENV, "").strip().lower() in ("1", "true", "yes")


def check_version(supported: Supported, version: str | None = None) -> bool:
    """Whether ``version`` (default: the installed one) is in the tested range.

    Outside it: raises :class:`UnsupportedDependencyError`, or with ``LAMBDAKIT_ALLOW_UNTESTED_VERSIONS=1`` prints
    one warning line to stderr (once per distribution and version) and returns False. A distribution that is not
    installed is not checked here (importing it fails on its own, with Python's message)."""
    version = version if version is not None else supported.installed()
    if version is None or supported.accepts(version):
        return True
    if untested_allowed():
        if (supported.distribution, version) not in _warned:
            _warned.add((supported.distribution, version))
            print(f"lambdakit: warning: {supported.untested(version)}", file=sys.stderr, flush=True)
        return False
    raise UnsupportedDependencyError(supported.problem(version))


def require(supported: Supported, owner: Any, dotted: str, version: str | None = None) -> Any:
    """``owner``'s attribute ``dotted`` (``"_PolicyAnalyzerServicer._get_resource_options"``), or an
    :class:`UnsupportedDependencyError` naming it when a release has removed or renamed it."""
    value = owner
    for part in dotted.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            prefix = owner.__name__ if not isinstance(owner, type) else f"{owner.__module__}.{owner.__qualname__}"
            raise UnsupportedDependencyError(
                supported.missing(version or supported.installed() or "?", f"{prefix}.{dotted}")
            ) from None
    return value


def require_instance_attributes(supported: Supported, cls: type, names: Iterable[str]) -> None:
    """Check that ``cls.__init__`` assigns each attribute in ``names`` (the private instance state a patch reads).

    Instance attributes exist only on instances; the names an ``__init__`` stores are in its code object."""
    init = vars(cls).get("__init__") or getattr(cls, "__init__", None)
    stored = set(getattr(getattr(init, "__code__", None), "co_names", ()))
    for name in names:
        if name not in stored:
            raise UnsupportedDependencyError(
                supported.missing(supported.installed() or "?", f"{cls.__module__}.{cls.__qualname__}().{name}")
            )


# ----- pulumi_policy ------------------------------------------------------------------------------------------------

PULUMI_POLICY = Supported("pulumi-policy", "1.21.0", "1.22", "the lambdakit policy pack (its analyzer speedups)")

#: What ``_speedups.py`` reads from ``pulumi_policy.policy`` (module attributes, then the servicer's methods).
POLICY_MODULE_ATTRIBUTES = (
    "EnforcementLevel",
    "ResourceValidationPolicy",
    "StackValidationPolicy",
    "ResourceValidationArgs",
    "StackValidationArgs",
    "PolicyResource",
    "UnknownValueError",
    "_NotApplicableError",
    "unknown_checking_proxy",
    "deserialize_properties",
    "_PolicyAnalyzerServicer",
)
SERVICER_METHODS = (
    "Analyze",
    "AnalyzeStack",
    "_configure_runtime_settings",
    "_map_enforcement_level",
    "_get_enforcement_level",
    "_create_report_violation",
    "_get_resource_options",
    "_get_provider_resource",
    "_get_policy_config",
)
#: The servicer's private instance state (name-mangled: ``self.__policies`` is ``_PolicyAnalyzerServicer__policies``).
SERVICER_STATE = tuple(
    f"_PolicyAnalyzerServicer__{n}" for n in ("policy_pack_name", "policy_pack_version", "policies", "stack_tags")
)


def pulumi_policy_internals(version: str | None = None) -> Any:
    """The ``pulumi_policy.policy`` module once every internal the speedups use is checked to be there."""
    from pulumi_policy import policy as module

    for name in POLICY_MODULE_ATTRIBUTES:
        require(PULUMI_POLICY, module, name, version)
    servicer = module._PolicyAnalyzerServicer
    for name in SERVICER_METHODS:
        require(PULUMI_POLICY, servicer, name, version)
    require_instance_attributes(PULUMI_POLICY, servicer, SERVICER_STATE)
    return module


def check_pulumi_policy() -> bool:
    """The pack's start-up check: pulumi-policy in range (or allowed untested) and its internals present.

    Returns whether the speedups may be installed (False: an untested version was allowed; the library then runs its
    own, slower, code)."""
    if not check_version(PULUMI_POLICY):
        return False
    pulumi_policy_internals()
    return True

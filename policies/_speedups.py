"""Convert each resource once per request instead of once per policy, in pulumi_policy 1.21's analyzer.

pulumi_policy 1.21's ``Analyze`` converts ``request.properties`` (``MessageToDict``, ``deserialize_properties``,
``unknown_checking_proxy``) and the resource options and provider inside its loop over policies, and
``AnalyzeStack`` rebuilds every resource of the stack (properties, parent, dependencies, property dependencies)
once per stack policy; both re-read the runtime settings from the environment on every call. With 25 policies
that conversion is most of the pack's time on a large stack (a 2,400 resource stack spent about 4 CPU-seconds in
it). The two methods below are the library's own, with the conversion hoisted out of the policy loop and the
settings re-read only when the environment changed; what each policy sees and what the response holds are
unchanged (the rules of this pack only read their properties, so sharing the converted value is safe).

Installed only for the pulumi_policy versions these were copied from (``_compat.PULUMI_POLICY``: the pack refuses to
start with another version unless told to try it, and then runs unpatched); every internal used is checked first.
"""

from __future__ import annotations

import asyncio
import os
from inspect import isawaitable
from typing import Any

from . import _compat


def _run(result: Any) -> None:
    if isawaitable(result):
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(result)
        finally:
            loop.close()


def install() -> bool:
    """Patch pulumi_policy's analyzer servicer; returns whether it is patched.

    Why one function of this length: the replacement methods below close over ``m``, the pulumi_policy internals
    this exact, version-checked release exposes (``_compat.pulumi_policy_internals``); defining them here keeps every
    patched method bound to what was checked, and each of them is short. Splitting them out would pass ``m`` around.
    """
    try:
        from google.protobuf import json_format
        from pulumi.runtime import proto
        from pulumi_policy.version import VERSION
    except ImportError:
        return False
    if not _compat.PULUMI_POLICY.accepts(str(VERSION)):
        return False
    m = _compat.pulumi_policy_internals(str(VERSION))
    servicer = m._PolicyAnalyzerServicer
    if getattr(servicer, "_lambdakit_patched", False):
        return True

    def unknown_diagnostic(self: Any, policy: Any, e: Any) -> Any:
        name = self._PolicyAnalyzerServicer__policy_pack_name
        version = self._PolicyAnalyzerServicer__policy_pack_version
        return proto.AnalyzeDiagnostic(
            policyName=policy.name,
            policyPackName=name,
            policyPackVersion=version,
            message=f"can't run policy '{policy.name}' from policy pack '{name}@v{version}' during preview: "
            f"{e.message}",
            urn="",
            description=policy.description,
            enforcementLevel=self._map_enforcement_level(m.EnforcementLevel.ADVISORY),
        )

    real_configure = servicer._configure_runtime_settings
    configured: list[tuple[str | None, ...]] = []

    def configure_runtime_settings(self: Any) -> None:
        # The library re-reads PULUMI_CONFIG and rebuilds the runtime settings on every call; they only change
        # when the environment does.
        key = tuple(os.environ.get(k) for k in ("PULUMI_CONFIG", "PULUMI_PROJECT", "PULUMI_STACK", "PULUMI_DRY_RUN"))
        if configured and configured[-1] == key:
            return
        real_configure(self)
        configured.append(key)

    def analyze(self: Any, request: Any, _context: Any) -> Any:
        configure_runtime_settings(self)
        response = proto.AnalyzeResponse()
        converted: tuple[Any, Any, Any] | None = None
        for policy in self._PolicyAnalyzerServicer__policies:
            enforcement_level = self._get_enforcement_level(policy)
            if enforcement_level == m.EnforcementLevel.DISABLED or not isinstance(policy, m.ResourceValidationPolicy):
                continue
            if not policy.has_validation():
                response.not_applicable.append(
                    proto.PolicyNotApplicable(policy_name=policy.name, reason="Policy does not implement validate")
                )
                continue
            if enforcement_level == m.EnforcementLevel.REMEDIATE:
                enforcement_level = m.EnforcementLevel.MANDATORY
            report_violation = self._create_report_violation(
                response, policy.name, policy.description, enforcement_level, policy.severity
            )
            if converted is None:
                props = m.unknown_checking_proxy(
                    m.deserialize_properties(json_format.MessageToDict(request.properties))
                )
                converted = (props, self._get_resource_options(request), self._get_provider_resource(request))
            props, opts, provider = converted
            config = self._get_policy_config(policy.name)
            args = m.ResourceValidationArgs(
                request.type,
                props,
                request.urn,
                request.name,
                opts,
                provider,
                config,
                self._PolicyAnalyzerServicer__stack_tags,
            )
            try:
                _run(policy.validate(args, report_violation))
            except m.UnknownValueError as e:
                response.diagnostics.append(unknown_diagnostic(self, policy, e))
            except m._NotApplicableError as e:
                response.not_applicable.append(
                    proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or "")
                )
        return response

    def build_resources(self: Any, request: Any) -> list[Any]:
        intermediates = []
        for r in request.resources:
            props = m.unknown_checking_proxy(m.deserialize_properties(json_format.MessageToDict(r.properties)))
            resource = m.PolicyResource(
                r.type,
                props,
                r.urn,
                r.name,
                self._get_resource_options(r),
                self._get_provider_resource(r),
                None,
                [],
                {},
            )
            property_dependencies = {k: list(v.urns) for k, v in r.propertyDependencies.items()}
            intermediates.append((resource, r.parent, list(r.dependencies), property_dependencies))
        by_urn = {i[0].urn: i[0] for i in intermediates}
        for resource, parent, dependencies, property_dependencies in intermediates:
            if parent is not None and parent in by_urn:
                resource.parent = by_urn[parent]
            resource.dependencies.extend(by_urn[d] for d in dependencies if d in by_urn)
            for k, urns in property_dependencies.items():
                resource.property_dependencies[k] = [by_urn[d] for d in urns if d in by_urn]
        return [i[0] for i in intermediates]

    def analyze_stack(self: Any, request: Any, _context: Any) -> Any:
        configure_runtime_settings(self)
        response = proto.AnalyzeResponse()
        resources: list[Any] | None = None
        for policy in self._PolicyAnalyzerServicer__policies:
            enforcement_level = self._get_enforcement_level(policy)
            if enforcement_level == m.EnforcementLevel.DISABLED or not isinstance(policy, m.StackValidationPolicy):
                continue
            if enforcement_level == m.EnforcementLevel.REMEDIATE:
                enforcement_level = m.EnforcementLevel.MANDATORY
            report_violation = self._create_report_violation(
                response, policy.name, policy.description, enforcement_level, policy.severity
            )
            if resources is None:
                resources = build_resources(self, request)
            config = self._get_policy_config(policy.name)
            args = m.StackValidationArgs(list(resources), config, self._PolicyAnalyzerServicer__stack_tags)
            try:
                _run(policy.validate(args, report_violation))
            except m.UnknownValueError as e:
                response.diagnostics.append(unknown_diagnostic(self, policy, e))
            except m._NotApplicableError as e:
                response.not_applicable.append(
                    proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or "")
                )
        return response

    setattr(servicer, "Analyze", analyze)  # noqa: B010 - patching a class attribute on purpose
    setattr(servicer, "AnalyzeStack", analyze_stack)  # noqa: B010
    setattr(servicer, "_lambdakit_patched", True)  # noqa: B010
    return True

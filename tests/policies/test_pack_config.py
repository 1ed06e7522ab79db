"""The environment files, the pack's metadata and the runtime lifecycle data."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import pytest
from pulumi_policy import EnforcementLevel

from lambdakit.policies import runtimes
from lambdakit.policies.pack import ENVIRONMENTS, RULES, RULES_BY_NAME, load_config, resolve

ORDER = {EnforcementLevel.DISABLED: 0, EnforcementLevel.ADVISORY: 1, EnforcementLevel.MANDATORY: 2}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_environment_file_names_every_rule_explicitly(env: str) -> None:
    config = load_config(env)
    assert set(config) == set(RULES_BY_NAME), f"{env}: missing {sorted(set(RULES_BY_NAME) - set(config))}"
    resolve(config)  # unknown settings or levels raise


def test_environments_only_get_stricter_towards_prod() -> None:
    levels = {env: resolve(load_config(env)) for env in ENVIRONMENTS}
    for rule in RULES:
        dev, staging, prod = (ORDER[levels[e][rule.name][0]] for e in ENVIRONMENTS)
        assert dev <= staging <= prod, f"{rule.name}: dev {dev}, staging {staging}, prod {prod}"


def test_dev_is_mostly_advisory_and_prod_mandatory_where_it_matters() -> None:
    dev = resolve(load_config("dev"))
    prod = resolve(load_config("prod"))
    dev_mandatory = [n for n, (lvl, _) in dev.items() if lvl == EnforcementLevel.MANDATORY]
    assert len(dev_mandatory) <= len(RULES) // 3, dev_mandatory
    for name in (
        "lambda-runtime-deprecated",
        "lambda-no-secrets-in-environment",
        "lambda-function-url-auth",
        "lambda-permission-scoped",
        "lambda-role-least-privilege",
        "lambda-unreserved-concurrency",
        "lambda-alias-versions",
        "lambda-provisioned-concurrency",
        "lambda-tracing-active",
    ):
        assert prod[name][0] == EnforcementLevel.MANDATORY, name


def test_opt_in_rules_are_disabled_by_default() -> None:
    for rule in RULES:
        if rule.opt_in:
            assert rule.default_level == EnforcementLevel.DISABLED, rule.name


def test_every_rule_has_full_metadata() -> None:
    for rule in RULES:
        assert rule.name.startswith("lambda-") and rule.name == rule.name.lower(), rule.name
        assert rule.description and rule.remediation and rule.url.startswith("https://"), rule.name
        assert rule.anchors and rule.checks and rule.resource_types, rule.name
        for key, spec in rule.config.items():
            assert "default" in spec and spec.get("description"), f"{rule.name}.{key}"


def test_all_setting_in_a_config_applies_before_a_rule_entry() -> None:
    resolved = resolve({"all": "disabled", "lambda-timeout": {"maxSeconds": 60}})
    assert resolved["lambda-memory"][0] == EnforcementLevel.DISABLED
    assert resolved["lambda-timeout"] == (EnforcementLevel.DISABLED, {"maxSeconds": 60})


def test_config_with_an_unknown_setting_is_rejected() -> None:
    with pytest.raises(ValueError, match="maxSecs"):
        resolve({"lambda-timeout": {"maxSecs": 60}})


# --- runtime lifecycle data -------------------------------------------------------------------------------


def test_lifecycle_data_matches_its_source_in_cfn_lint() -> None:
    spec = importlib.util.find_spec("cfnlint")
    assert spec is not None and spec.origin is not None, "cfn-lint (pinned in requirements.txt) is not installed"
    source = Path(spec.origin).parent / "data" / "AdditionalSpecs" / "LmbdRuntimeLifecycle.json"
    theirs = json.loads(source.read_text())
    ours = runtimes.lifecycle()
    for name, entry in theirs.items():
        assert name in ours, f"{name} is in cfn-lint's data but not in runtime_lifecycle.json"
        assert ours[name]["deprecated"] == entry["deprecated"], name


@pytest.mark.parametrize(
    ("runtime", "newest"),
    [
        ("python3.12", "python3.14"),
        ("nodejs20.x", "nodejs24.x"),
        ("java17", "java25"),
        ("java8.al2", "java25"),
        ("provided.al2", "provided.al2023"),
        ("dotnet8", "dotnet10"),
        ("ruby3.3", "ruby4.0"),
    ],
)
def test_newest_runtime_of_each_family(runtime: str, newest: str) -> None:
    assert runtimes.newest_in_family(runtime) == newest


def test_reference_dates_from_the_runtime_notes() -> None:
    data = runtimes.lifecycle()
    assert data["python3.10"]["deprecated"] == "2026-10-31"
    assert data["nodejs22.x"]["deprecated"] == "2027-04-30"
    assert data["provided.al2"]["deprecated"] == "2026-07-31"
    assert all(dt.date.fromisoformat(v["deprecated"]) for v in data.values())

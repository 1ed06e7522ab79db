"""Running stacks are never surprised: every resource of the reference program's dev, staging and prod stacks keeps
its URN (the stored list in tests/snapshots/reference-urns.json).

A URN that disappears means Pulumi would delete that resource (a function and its versions, a queue and its
messages, a log group and its logs) and create a new one. If the rename is intended, add `aliases` to the resource
so Pulumi moves it in place, then run `python -m tools.urns --write` and commit the new list.
"""

from __future__ import annotations

import pytest

from tools import urns


@pytest.fixture(scope="module")
def current() -> dict[str, list[str]]:
    return urns.current_urns()


@pytest.mark.parametrize("stack", urns.STACKS)
def test_no_resource_of_a_running_stack_is_renamed(stack: str, current: dict[str, list[str]]) -> None:
    stored = set(urns.stored_urns()[stack])
    now = set(current[stack])
    gone, new = sorted(stored - now), sorted(now - stored)
    assert not gone, (
        f"{stack}: {len(gone)} resource(s) would be REPLACED or DELETED by the next `pulumi up` (URN no longer "
        f"produced): {gone}; new URNs: {new}. Add `aliases` for an intended rename, then "
        "`python -m tools.urns --write`."
    )
    assert not new, (
        f"{stack}: new resources {new}; if intended, refresh the snapshot with `python -m tools.urns --write`"
    )


def test_component_type_tokens_stay_lambdakit_index(current: dict[str, list[str]]) -> None:
    types = {urn.split("::")[2].split("$")[-1] for urns_ in current.values() for urn in urns_}
    components = {t for t in types if t.startswith("lambdakit:")}
    assert components == {
        "lambdakit:index:LambdaService",
        "lambdakit:index:LambdaLayer",
        "lambdakit:index:LambdaDashboard",
    }

"""The Automation API preview's resource events give the driver each function's planned reserved concurrency."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from lambdakit.driver import AutomationStack


def _event(type_: str, inputs: dict[str, object]) -> SimpleNamespace:
    metadata = SimpleNamespace(type=type_, new=SimpleNamespace(inputs=inputs))
    return SimpleNamespace(resource_pre_event=SimpleNamespace(metadata=metadata))


class _FakeAutomationStack:
    """What AutomationStack calls on a ``pulumi.automation.Stack``: a preview that sends ``events``."""

    name = "dev"

    def __init__(self, events: list[Any]) -> None:
        self.events = events

    def preview(self, *, on_event: Any, **_: Any) -> SimpleNamespace:
        for event in self.events:
            on_event(event)
        return SimpleNamespace(change_summary={"create": 2})


def test_function_steps_give_name_and_reservation_others_are_ignored() -> None:
    events = [
        _event("aws:lambda/function:Function", {"name": "a", "reservedConcurrentExecutions": 20}),
        _event("aws:lambda/function:Function", {"name": "b", "reservedConcurrentExecutions": -1}),
        _event("aws:lambda/function:Function", {"reservedConcurrentExecutions": 5}),
        _event("aws:sqs/queue:Queue", {"name": "q"}),
        SimpleNamespace(policy_event=None),
    ]
    outcome = AutomationStack(_FakeAutomationStack(events), echo=lambda _: None).preview(
        policy_packs=[], policy_pack_configs=[]
    )
    assert outcome.reserved_concurrency == {"a": 20, "b": None}
    assert outcome.changes == {"create": 2} and outcome.violations == []

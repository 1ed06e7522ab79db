"""The Automation API preview's resource events give the driver each function's planned reserved concurrency."""

from __future__ import annotations

from types import SimpleNamespace

from lambdakit.driver import _planned_reservation


def _event(type_: str, inputs: dict[str, object]) -> SimpleNamespace:
    metadata = SimpleNamespace(type=type_, new=SimpleNamespace(inputs=inputs))
    return SimpleNamespace(resource_pre_event=SimpleNamespace(metadata=metadata))


def test_function_steps_give_name_and_reservation_others_are_ignored() -> None:
    planned: dict[str, int | None] = {}
    _planned_reservation(
        _event("aws:lambda/function:Function", {"name": "a", "reservedConcurrentExecutions": 20}), planned
    )
    _planned_reservation(
        _event("aws:lambda/function:Function", {"name": "b", "reservedConcurrentExecutions": -1}), planned
    )
    _planned_reservation(_event("aws:lambda/function:Function", {"reservedConcurrentExecutions": 5}), planned)
    _planned_reservation(_event("aws:sqs/queue:Queue", {"name": "q"}), planned)
    _planned_reservation(SimpleNamespace(policy_event=None), planned)
    assert planned == {"a": 20, "b": None}

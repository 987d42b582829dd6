"""The shape of every domain event: its topic, its fields and its class version.

``tests/fixtures/event_shapes.json`` records the shapes of the events a store may hold;
``tests/unit/test_declared_events.py`` checks the code against it. The record was first
written by the string-named events (``@event("Hatched")``) the declared classes replaced,
so it proves the declared classes store exactly what their predecessors stored.

When an event is added, record it: ``python -m tests.unit.event_shapes`` (with
``PYTHONPATH`` set to the worktree) rewrites the file from the code. When an event's fields
change, raise its ``class_version`` and give it an ``upcast_vN_vN+1`` first, and keep the
old record until the test agrees (the test upcasts the recorded fields to the new ones).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import get_topic

import domain

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "event_shapes.json"

# Every aggregate inherits ``Event`` and ``Created`` from ``Aggregate``; neither is a fact.
INHERITED = frozenset({"Event", "Created"})


def aggregates() -> Iterator[type[Aggregate]]:
    """Every aggregate class of the domain, module by module, in source order."""
    for info in sorted(pkgutil.walk_packages(domain.__path__, "domain."), key=lambda i: i.name):
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, Aggregate) and value.__module__ == module.__name__:
                yield value


def events_of(aggregate: type[Aggregate]) -> Iterator[type[CanMutateAggregate[Any]]]:
    for name, value in vars(aggregate).items():
        if (
            isinstance(value, type)
            and issubclass(value, CanMutateAggregate)
            and name not in INHERITED
        ):
            yield value


def shape_of(event_class: type[Any]) -> dict[str, Any]:
    return {
        "fields": [f.name for f in dataclasses.fields(event_class)],
        "class_version": getattr(event_class, "class_version", 1),
    }


def current_shapes() -> dict[str, dict[str, Any]]:
    """Topic → shape for every event of every aggregate, as the code defines them now."""
    return {
        get_topic(event_class): shape_of(event_class)
        for aggregate in aggregates()
        for event_class in events_of(aggregate)
    }


def recorded_shapes() -> dict[str, dict[str, Any]]:
    recorded: dict[str, dict[str, Any]] = json.loads(FIXTURE.read_text())
    return recorded


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(current_shapes(), indent=2, sort_keys=True) + "\n")

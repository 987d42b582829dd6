"""A view is handed only the events of the classes it ``handles`` (``projections/shared/base.py``),
so that list must name every class its ``handle`` turns into row changes: for every other
event class of the domain, ``handle`` yields nothing."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from projections.registry import all_projections
from projections.shared.base import Concerns, Projection
from tests.unit.event_shapes import aggregates, events_of

EVENT_CLASSES = [event for aggregate in aggregates() for event in events_of(aggregate)]


def blank(event_class: type[Any]) -> Any:
    """An event of ``event_class`` with its identity and time set and every other field
    ``None``: enough for a ``handle`` that looks at the class first."""
    event = object.__new__(event_class)
    for field in dataclasses.fields(event_class):
        object.__setattr__(event, field.name, None)
    identity = {"originator_id": uuid4(), "originator_version": 1}
    for name, value in {**identity, "timestamp": datetime(2026, 1, 1, tzinfo=UTC)}.items():
        object.__setattr__(event, name, value)
    return event


@pytest.mark.parametrize("projection", all_projections(), ids=lambda p: p.name)
def test_a_view_handles_no_class_it_does_not_name(projection: Projection) -> None:
    concerns = Concerns(projection.handles)
    unnamed = [cls for cls in EVENT_CLASSES if not concerns(blank(cls))]
    assert unnamed, "a view that names every class is handed everything: name fewer"
    for event_class in unnamed:
        named = f"{projection.name} handles {event_class.__qualname__}, which it does not name"
        try:
            changes = list(projection.handle(blank(event_class)))
        except Exception as error:  # it read the event's fields: it handles the class
            pytest.fail(f"{named} ({error!r})")
        assert changes == [], named


@pytest.mark.parametrize("projection", all_projections(), ids=lambda p: p.name)
def test_a_view_names_only_classes_of_the_domain(projection: Projection) -> None:
    assert projection.handles
    assert set(projection.handles) <= set(EVENT_CLASSES)


def test_concerns_counts_subclasses_and_remembers_per_class() -> None:
    class Base:
        pass

    class Derived(Base):
        pass

    concerns = Concerns((Base,))  # type: ignore[arg-type]
    assert concerns(Derived()) and concerns(Base())
    assert not concerns(object())

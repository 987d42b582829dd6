"""Every domain event is a declared class whose fields are its method's arguments, and every
event a store may hold keeps its topic and its stored state (decision 0023)."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest
from eventsourcing.domain import Aggregate, CommandMethodDecorator
from eventsourcing.utils import get_topic, resolve_topic

from tests.unit.event_shapes import aggregates, current_shapes, events_of, recorded_shapes

# What every event has whatever it records: the envelope the library fills in.
ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})


def decorated_methods(aggregate: type[Aggregate]) -> list[tuple[str, CommandMethodDecorator]]:
    return [
        (name, value)
        for name, value in vars(aggregate).items()
        if isinstance(value, CommandMethodDecorator)
    ]


def arguments_of(method: Any) -> set[str]:
    """The keyword arguments an event records: all but ``self``, ``timestamp`` (every event
    has one) and a creating method's ``id`` (it becomes the ``originator_id``)."""
    names = set(inspect.signature(method).parameters) - {"self", "timestamp"}
    return names - {"id"} if method.__name__ == "__init__" else names


def test_every_event_method_is_decorated_with_a_declared_class() -> None:
    named = [
        f"{aggregate.__qualname__}.{name}: @event({decorator.event_cls_name!r})"
        for aggregate in aggregates()
        for name, decorator in decorated_methods(aggregate)
        if decorator.given_event_cls is None
    ]
    assert named == [], "declare the event class and decorate with @event(TheClass)"


def test_every_declared_event_records_exactly_its_methods_arguments() -> None:
    """The library fills an event from the method's arguments it declares and silently
    drops the others, so a field left out would be lost (or replaced by a default on replay)."""
    mismatched = {}
    for aggregate in aggregates():
        for _, decorator in decorated_methods(aggregate):
            declared = decorator.given_event_cls
            if declared is None:
                continue
            event_class = getattr(aggregate, declared.__name__)
            fields = {f.name for f in dataclasses.fields(event_class)} - ENVELOPE
            arguments = arguments_of(decorator.decorated_func)
            if fields != arguments:
                mismatched[get_topic(event_class)] = (sorted(fields), sorted(arguments))
    assert mismatched == {}


def test_every_event_is_recorded() -> None:
    unrecorded = sorted(set(current_shapes()) - set(recorded_shapes()))
    assert unrecorded == [], "record new events: python -m tests.unit.event_shapes"


@pytest.mark.parametrize("topic", sorted(recorded_shapes()))
def test_a_recorded_event_keeps_its_topic_and_its_stored_state(topic: str) -> None:
    """Its topic still names an event class, and its recorded fields are the class's fields,
    or a higher ``class_version`` upcasts them to the class's fields."""
    recorded = recorded_shapes()[topic]
    event_class = resolve_topic(topic)
    assert get_topic(event_class) == topic
    now = current_shapes()[topic]
    if now["class_version"] == recorded["class_version"]:
        assert now["fields"] == recorded["fields"]
        return
    assert now["class_version"] > recorded["class_version"]
    state = dict.fromkeys(recorded["fields"])
    for version in range(recorded["class_version"], now["class_version"]):
        getattr(event_class, f"upcast_v{version}_v{version + 1}")(state)
    assert set(state) == set(now["fields"])


def test_the_events_of_an_aggregate_are_found() -> None:
    from domain.companions.buddy import Buddy

    found = set(events_of(Buddy))
    assert {Buddy.Hatched, Buddy.Renamed, Buddy.Evolved} <= found
    assert not found & {Buddy.Event, Buddy.Created}

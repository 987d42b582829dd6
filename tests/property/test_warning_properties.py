"""Warnings (decision 0041) for any event against the language-learning rulebook, read from
the trace the engine wrote (so they cannot change what the event did): an unregistered type
warns exactly when the type is not registered, a suggestion is always a registered type, and
a type mismatch is reported exactly when a rule's condition met a value of another JSON type,
and only for a rule that did not fire."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.configs.presets import preset_document
from domain.configs.rulebook import Rulebook
from domain.ingestion.rules import CustomerEvent, ProgressState, evaluate
from domain.ingestion.warnings import json_type, unregistered_type, warnings_of

RULEBOOK = Rulebook.from_dict(preset_document("language-learning"))
REGISTERED = RULEBOOK.event_types
TYPOS = ["lesson_complete", "quiz_pased", "lessons_completed", "login", "purchase_made"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=5),
    st.sampled_from(["100", "1", "true"]),
)


@given(
    event_type=st.sampled_from([*REGISTERED, *TYPOS]),
    score=st.one_of(st.just(100), scalars),
    with_score=st.booleans(),
)
def test_warnings_say_exactly_what_the_trace_shows(
    event_type: str, score: Any, with_score: bool
) -> None:
    properties = {"score": score} if with_score else {}
    event = CustomerEvent(
        event_id="e1",
        type=event_type,
        user_id="u1",
        occurred_at=datetime(2026, 4, 22, 10, tzinfo=UTC),
        properties=properties,
    )
    evaluation = evaluate(RULEBOOK, ProgressState(), event)
    trace = [entry.to_dict() for entry in evaluation.trace]
    note = unregistered_type(event_type, REGISTERED)
    recorded = [note, *trace] if note is not None else trace
    warnings = warnings_of("applied", recorded)

    codes = [w.code for w in warnings]
    assert ("event_type_not_registered" in codes) == (event_type not in REGISTERED)
    for warning in warnings:
        if warning.suggestion is not None:
            assert warning.suggestion in REGISTERED and warning.suggestion != event_type
    fired = {entry["rule_id"] for entry in trace if entry["fired"]}
    mismatches = [w for w in warnings if w.code == "property_type_mismatch"]
    for warning in mismatches:
        assert warning.rule_id not in fired and warning.property == "score"
        assert warning.actual_type == json_type(score) != "number"
    # The one condition on score compares with a number: any other JSON type is a mismatch.
    compared = event_type == "lesson_completed" and with_score and score is not None
    assert bool(mismatches) == (compared and json_type(score) != "number")

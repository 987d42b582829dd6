"""Every rule kind takes an ``audience`` (decision 0041): coin, skill and token earn rules fire
only for events of that audience, and say so in the trace when they do not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from domain.configs.presets import preset_document
from domain.configs.rulebook import Rulebook
from domain.ingestion.rules import CustomerEvent, ProgressState, evaluate
from domain.shared.errors import DomainError


def teachers_only() -> Rulebook:
    document: dict[str, Any] = preset_document("language-learning")
    for rule in document["skill_rules"]:
        rule["audience"] = "teacher"
    for slot in ("primary", "progression"):
        for rule in document["token_config"][slot]["earn_rules"]:
            rule["audience"] = "teacher"
    return Rulebook.from_dict(document)


def quiz(audience: str | None) -> CustomerEvent:
    return CustomerEvent(
        event_id="e1",
        type="quiz_passed",
        user_id="u1",
        occurred_at=datetime(2026, 4, 22, 10, tzinfo=UTC),
        audience=audience,
    )


def test_skill_and_token_rules_fire_only_for_their_audience() -> None:
    rulebook = teachers_only()
    assert Rulebook.from_dict(rulebook.to_dict()) == rulebook
    teacher = evaluate(rulebook, ProgressState(), quiz("teacher")).effects
    student = evaluate(rulebook, ProgressState(), quiz("student"))
    assert teacher.skill_increments and teacher.tokens_by_key()
    assert not student.effects.skill_increments and not student.effects.tokens_by_key()
    assert student.effects.coins == teacher.coins  # the coin rules name no audience
    reasons = {t.reason for t in student.trace if t.kind in ("skill", "token")}
    assert "audience_mismatch" in reasons


@pytest.mark.parametrize("section", ["skill_rules", "token_config.primary.earn_rules"])
def test_a_rule_audience_must_be_an_audience_name(section: str) -> None:
    document: dict[str, Any] = preset_document("language-learning")
    target: Any = document
    for part in section.split("."):
        target = target[part]
    target[0]["audience"] = "Not An Audience"
    with pytest.raises(DomainError) as raised:
        Rulebook.from_dict(document)
    assert f"{section}[0].audience" in [f["field"] for f in (raised.value.details or {})["fields"]]

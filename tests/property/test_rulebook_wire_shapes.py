"""The rule editors' response Structs carry every field of the rulebook's canonical form.

The editors answer the stored (canonical) document parts converted into typed Structs; a
field the domain adds to ``Rulebook.to_dict`` and the Structs do not know would silently
vanish from the API. For any valid rulebook, each part goes through its Struct unchanged.
"""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.configs.rulebook import Rulebook
from interfaces.http.configs.rule_editors import (
    Badge,
    BadgeView,
    CoinRule,
    CoinRuleView,
    SkillRule,
    SkillRuleView,
    SkillSet,
    SkillSetView,
    TokenConfigView,
    badge_shown,
    skill_shown,
)
from interfaces.http.configs.section_routes import shaped
from tests.property.test_rules_properties import rulebooks

PLACED = {"config_version_id": "cfg_" + "a" * 32, "source": "draft"}
item_ids = st.lists(
    st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True), min_size=1, max_size=4, unique=True
)
# Printable text: names must not be blank, and control characters are not what this is about.
words = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20)
more_conditions = st.lists(
    st.one_of(
        st.builds(
            lambda level: {"kind": "skill_level", "skill_key": "grammar", "level": level},
            st.integers(min_value=1, max_value=5),
        ),
        st.builds(lambda stage: {"kind": "stage", "stage": stage}, st.integers(2, 5)),
        st.builds(lambda ids: {"kind": "collection", "item_ids": ids}, item_ids),
        st.builds(
            lambda count, score: {
                "kind": "custom",
                "event_type": "lesson_completed",
                "conditions": [{"property": "score", "operator": "gte", "value": score}],
                "count": count,
            },
            st.integers(1, 50),
            st.one_of(st.integers(0, 100), st.floats(0, 1)),
        ),
    ),
    max_size=3,
)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """A canonical document with badges of every condition kind and optional fields varied."""
    document = draw(rulebooks()).to_dict()
    for index, condition in enumerate(draw(more_conditions)):
        for item_id in condition.get("item_ids", ()):
            if all(known["item_id"] != item_id for known in document["items"]):
                document["items"].append(
                    {"item_id": item_id, "name": item_id, "category": "hand", "price_coins": 5}
                )
        document["badges"].append(
            {
                "key": f"extra_{index}",
                "name": draw(words.filter(str.strip)),
                "description": draw(words),
                "condition": condition,
                "coin_reward": draw(st.one_of(st.none(), st.integers(1, 500))),
                "auto_award": draw(st.booleans()),
                "token_rewards": draw(
                    st.dictionaries(
                        st.sampled_from(
                            sorted(
                                document["token_config"][s]["token_key"]
                                for s in ("primary", "progression")
                            )
                        ),
                        st.integers(1, 50),
                    )
                ),
            }
        )
    return Rulebook.from_dict(document).to_dict()


ORIGIN = "https://api.example.com"


def through(shape: type[msgspec.Struct], fields: dict[str, Any]) -> Any:
    """What a client reads: the part converted into ``shape`` and sent as JSON."""
    return msgspec.json.decode(msgspec.json.encode(shaped(shape, fields)))


@settings(max_examples=100, deadline=None)
@given(document=documents())
def test_every_part_of_a_rulebook_goes_through_its_struct_unchanged(
    document: dict[str, Any],
) -> None:
    # Badges and skills are shown with their icon link (decision 0046), nothing else added.
    for section, item, view, shown in (
        ("coin_rules", CoinRule, CoinRuleView, None),
        ("skill_rules", SkillRule, SkillRuleView, None),
        ("badges", Badge, BadgeView, badge_shown),
    ):
        for stored in document[section]:
            entry = shown(ORIGIN, stored) if shown else stored
            assert set(entry) - set(stored) <= {"icon_url"}
            assert through(item, entry) == entry
            assert through(view, {**entry, **PLACED}) == {**entry, **PLACED}
    skills = [skill_shown(ORIGIN, s) for s in document["skills"]]
    assert all(s["icon_url"].startswith(f"{ORIGIN}/api/v1/icons/skills/") for s in skills)
    skill_set = {"id": "default", "skills": skills}
    assert through(SkillSet, skill_set) == skill_set
    assert through(SkillSetView, {**skill_set, **PLACED}) == {**skill_set, **PLACED}
    tokens = {**document["token_config"], **PLACED}
    assert through(TokenConfigView, tokens) == tokens

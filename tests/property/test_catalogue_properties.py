"""Properties of the marketplace catalogue: it round-trips through the config document, its
wire Struct carries every field, and the requirement check is the AND of its parts."""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.configs.presets import preset_document
from domain.configs.rulebook import LAYER_ORDER, RARITIES, Requirement, Rulebook
from domain.economy.catalogue import Shopper, check_requirements
from interfaces.http.configs.marketplaces import Item, _item

BASE = preset_document("language-learning")
BADGES = [b["key"] for b in BASE["badges"]]
SLUG = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
WORDS = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30)
PRICE = st.one_of(st.none(), st.integers(1, 1_000_000))
URL = st.builds(lambda path: f"https://cdn.example.com/{path}.png", SLUG)
ASSET = st.builds(lambda h: f"asset:{h}.svg", st.from_regex(r"[0-9a-f]{64}", fullmatch=True))
IMAGE = st.one_of(URL, ASSET)
AUDIENCES = st.lists(SLUG, min_size=1, max_size=3, unique=True)


def requirement(owned: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    options = [
        st.builds(lambda v: {"operator": "min_stage", "value": v}, st.integers(1, 5)),
        st.builds(
            lambda v: {"operator": "min_progression_tokens", "value": v}, st.integers(1, 10**6)
        ),
        st.builds(lambda v: {"operator": "has_badge", "value": v}, st.sampled_from(BADGES)),
        st.builds(lambda v: {"operator": "audience_in", "value": v}, AUDIENCES),
    ]
    if owned:
        options.append(
            st.builds(lambda v: {"operator": "owns_item", "value": v}, st.sampled_from(owned))
        )
    return st.one_of(options)


@st.composite
def catalogues(draw: st.DrawFn) -> dict[str, Any]:
    """A valid document whose catalogue varies every optional field."""
    document = preset_document("language-learning")
    shops = draw(st.lists(SLUG, min_size=1, max_size=3, unique=True))
    document["marketplaces"] = [
        {
            "id": s,
            "name": draw(WORDS.filter(str.strip)),
            "description": draw(WORDS),
            "active": draw(st.booleans()),
        }
        for s in shops
    ]
    existing = [i["item_id"] for i in document["items"]]
    for item in document["items"]:
        item["marketplace_id"] = draw(st.sampled_from(shops))
    ids = draw(st.lists(SLUG.filter(lambda s: s not in existing), max_size=5, unique=True))
    for item_id in ids:
        coins, tokens = draw(PRICE), draw(PRICE)
        if coins is None and tokens is None:
            coins = 1
        document["items"].append(
            {
                "item_id": item_id,
                "name": draw(WORDS.filter(str.strip)),
                "category": draw(st.sampled_from(sorted(LAYER_ORDER))),
                "price_coins": coins,
                "price_tokens": tokens,
                "description": draw(WORDS),
                "rarity": draw(st.sampled_from(RARITIES)),
                "stock": draw(st.one_of(st.none(), st.integers(1, 10**6))),
                "requirements": draw(st.lists(requirement(existing), max_size=4)),
                "image_url": draw(st.one_of(st.none(), IMAGE)),
                "stage_image_urls": draw(
                    st.dictionaries(st.sampled_from(["1", "2", "3", "4", "5"]), IMAGE)
                ),
                "marketplace_id": draw(st.one_of(st.none(), st.sampled_from(shops))),
                "sort_order": draw(st.integers(0, 1_000_000)),
            }
        )
    return document


@settings(max_examples=100, deadline=None)
@given(document=catalogues())
def test_the_catalogue_round_trips_through_the_config_document(document: dict[str, Any]) -> None:
    rulebook = Rulebook.from_dict(document)
    canonical = rulebook.to_dict()
    assert canonical["items"] == [
        {**i, "stage_image_urls": dict(sorted(i["stage_image_urls"].items()))}
        for i in document["items"]
    ]
    assert canonical["marketplaces"] == document["marketplaces"]
    assert Rulebook.from_dict(canonical) == rulebook
    assert Rulebook.from_dict(canonical).to_dict() == canonical


@settings(max_examples=50, deadline=None)
@given(document=catalogues())
def test_every_listed_item_goes_through_its_wire_struct(document: dict[str, Any]) -> None:
    for stored in Rulebook.from_dict(document).to_dict()["items"]:
        if stored["marketplace_id"] is None:
            continue
        wire = msgspec.json.decode(
            msgspec.json.encode(msgspec.convert(_item(stored, "https://api"), Item))
        )
        assert set(wire) == set(stored) | {"layer_order"}
        assert {k: wire[k] for k in ("price_coins", "price_tokens", "requirements", "rarity")} == {
            k: stored[k] for k in ("price_coins", "price_tokens", "requirements", "rarity")
        }


SHOPPERS = st.builds(
    Shopper,
    stage=st.integers(1, 5),
    badges=st.frozensets(st.sampled_from(BADGES)),
    owned_items=st.frozensets(st.sampled_from(["quill", "flag_pin", "tie"])),
    progression_tokens=st.integers(0, 2000),
    audience=st.one_of(st.none(), st.sampled_from(["premium", "free", "staff"])),
)
REQUIREMENTS = st.lists(
    st.one_of(
        st.builds(lambda v: Requirement(operator="min_stage", value=v), st.integers(1, 5)),
        st.builds(
            lambda v: Requirement(operator="min_progression_tokens", value=v), st.integers(1, 2000)
        ),
        st.builds(lambda v: Requirement(operator="has_badge", value=v), st.sampled_from(BADGES)),
        st.builds(
            lambda v: Requirement(operator="owns_item", value=v), st.sampled_from(["quill", "tie"])
        ),
        st.builds(
            lambda v: Requirement(operator="audience_in", value=tuple(v)),
            st.lists(st.sampled_from(["premium", "staff"]), min_size=1, unique=True),
        ),
    ),
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(shopper=SHOPPERS, requirements=REQUIREMENTS)
def test_the_requirement_check_is_every_requirement_on_its_own(
    shopper: Shopper, requirements: list[Requirement]
) -> None:
    check = check_requirements(requirements, shopper)
    alone = [check_requirements([r], shopper) for r in requirements]
    assert check.satisfied == all(a.satisfied for a in alone)
    assert check.unmet == tuple(u for a in alone for u in a.unmet)
    assert all(u.reason for u in check.unmet)

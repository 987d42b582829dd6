"""The catalogue in the rulebook: old documents, prices, offers and requirement reasons."""

from __future__ import annotations

from typing import Any

import pytest

from domain.configs.presets import preset_document
from domain.configs.rulebook import Requirement, Rulebook
from domain.configs.rulebook_diff import describe_changes
from domain.economy.catalogue import Shopper, check_requirements, offer
from domain.shared.errors import DomainError

TOKENS = {
    "primary": {"token_key": "gems", "label": "Gems"},
    "progression": {"token_key": "xp", "label": "XP"},
}


def problems(document: dict[str, Any]) -> list[str]:
    with pytest.raises(DomainError) as caught:
        Rulebook.from_dict(document)
    assert caught.value.details is not None
    return [p["field"] for p in caught.value.details["fields"]]


def test_a_document_from_before_marketplaces_still_loads_with_defaults() -> None:
    old = {
        "token_config": TOKENS,
        "items": [
            {"item_id": "hat", "name": "Hat", "category": "head", "price_coins": 10},
            {"item_id": "gift", "name": "Gift", "category": "accessory", "price_coins": 0},
        ],
    }
    rulebook = Rulebook.from_dict(old)
    hat = rulebook.to_dict()["items"][0]
    assert hat == {
        "item_id": "hat",
        "name": "Hat",
        "category": "head",
        "price_coins": 10,
        "price_tokens": None,
        "description": "",
        "rarity": "common",
        "stock": None,
        "requirements": [],
        "image_url": None,
        "stage_image_urls": {},
        "marketplace_id": None,
        "sort_order": 0,
    }
    assert rulebook.item("gift") is not None and rulebook.item("gift").price_coins == 0  # type: ignore[union-attr]
    assert rulebook.marketplaces == ()


def test_a_listed_item_needs_a_positive_price_and_a_known_marketplace() -> None:
    shop = [{"id": "shop", "name": "Shop"}]
    free = {"item_id": "gift", "name": "Gift", "category": "hand", "price_coins": 0}
    assert problems(
        {
            "token_config": TOKENS,
            "marketplaces": shop,
            "items": [{**free, "marketplace_id": "shop"}],
        }
    ) == ["items[0].price_coins"]
    assert problems(
        {"token_config": TOKENS, "items": [{**free, "price_coins": 5, "marketplace_id": "nope"}]}
    ) == ["items[0].marketplace_id"]
    assert problems({"token_config": TOKENS, "marketplaces": shop * 2, "items": []}) == [
        "marketplaces[1]"
    ]


def test_an_offer_is_an_item_listed_in_an_open_marketplace() -> None:
    document = preset_document("language-learning")
    document["items"].append(
        {"item_id": "secret", "name": "S", "category": "hand", "price_tokens": 3}
    )
    rulebook = Rulebook.from_dict(document)
    found = offer(rulebook, "quill")
    assert (found.marketplace.id, dict(found.prices)) == ("shop", {"coins": 50})
    for missing in ("secret", "nope"):
        with pytest.raises(DomainError) as unlisted:
            offer(rulebook, missing)
        assert unlisted.value.code == "resource_not_found"
    document["marketplaces"][0]["active"] = False
    with pytest.raises(DomainError) as closed:
        offer(Rulebook.from_dict(document), "quill")
    assert closed.value.code == "resource_not_found"
    assert closed.value.details == {"item_id": "quill", "marketplace_id": "shop"}


def test_unmet_requirements_say_what_is_missing() -> None:
    requirements = [
        Requirement(operator="min_stage", value=3),
        Requirement(operator="has_badge", value="scholar"),
        Requirement(operator="audience_in", value=("premium",)),
        Requirement(operator="owns_item", value="quill"),
        Requirement(operator="min_progression_tokens", value=100),
    ]
    novice = Shopper(stage=2, progression_tokens=40)
    unmet = [u.to_dict() for u in check_requirements(requirements, novice).unmet]
    assert unmet == [
        {
            "operator": "min_stage",
            "required": 3,
            "actual": 2,
            "reason": "needs stage 3; the buddy is at 2",
        },
        {
            "operator": "has_badge",
            "required": "scholar",
            "actual": False,
            "reason": "needs the badge scholar",
        },
        {
            "operator": "audience_in",
            "required": ["premium"],
            "actual": None,
            "reason": "only for premium; the buddy's audience is none",
        },
        {
            "operator": "owns_item",
            "required": "quill",
            "actual": False,
            "reason": "needs the item quill first",
        },
        {
            "operator": "min_progression_tokens",
            "required": 100,
            "actual": 40,
            "reason": "needs 100 progression tokens earned; the buddy has 40",
        },
    ]
    veteran = Shopper(
        stage=3,
        badges=frozenset({"scholar"}),
        owned_items=frozenset({"quill"}),
        progression_tokens=100,
        audience="premium",
    )
    assert check_requirements(requirements, veteran).satisfied


def test_the_publish_impact_names_catalogue_changes() -> None:
    before = preset_document("language-learning")
    after = preset_document("language-learning")
    after["marketplaces"][0]["active"] = False
    after["items"][4]["requirements"] = [{"operator": "min_stage", "value": 2}]
    lines = describe_changes(Rulebook.from_dict(before), Rulebook.from_dict(after))
    assert lines == [
        "item quill: requirements none → min_stage 2",
        "marketplace shop: active on → off",
    ]

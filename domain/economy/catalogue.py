"""What a buddy may buy: the item on sale, and whether the buddy meets its requirements.

The catalogue itself is part of the rulebook (``Rulebook.items`` and ``Rulebook.marketplaces``,
decision 0034). A purchase reads the tenant's *published* rulebook, not the version the buddy
is pinned to, so the shop is the same for everyone and changes at publish; items already
owned stay owned whatever the catalogue later says. These are pure functions over that
rulebook and the facts about one buddy (``Shopper``), for the purchase use case to call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.configs.rulebook import ItemDef, MarketplaceDef, Requirement, Rulebook
from domain.shared.errors import DomainError, NotFound


@dataclass(frozen=True, kw_only=True)
class Shopper:
    """The facts about a buddy that requirements read.

    ``audience`` is the audience the buddy was hatched for (its egg's), ``None`` for none;
    ``progression_tokens`` is the lifetime total of the earn-only token.
    """

    stage: int
    badges: frozenset[str] = frozenset()
    owned_items: frozenset[str] = frozenset()
    progression_tokens: int = 0
    audience: str | None = None


@dataclass(frozen=True)
class Unmet:
    """One requirement the shopper does not meet, with what it asked and what was found."""

    operator: str
    required: Any
    actual: Any
    reason: str

    def to_dict(self) -> dict[str, Any]:
        required = list(self.required) if isinstance(self.required, tuple) else self.required
        return {
            "operator": self.operator,
            "required": required,
            "actual": self.actual,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class RequirementCheck:
    unmet: tuple[Unmet, ...] = field(default=())

    @property
    def satisfied(self) -> bool:
        return not self.unmet


def check_requirements(requirements: Sequence[Requirement], shopper: Shopper) -> RequirementCheck:
    """Every requirement must hold; the check lists each one that does not, in order."""
    return RequirementCheck(tuple(u for r in requirements if (u := _unmet(r, shopper))))


def _unmet(requirement: Requirement, shopper: Shopper) -> Unmet | None:
    op, value = requirement.operator, requirement.value
    if op == "min_stage":
        if shopper.stage >= int(value):  # type: ignore[arg-type]
            return None
        return Unmet(
            op, value, shopper.stage, f"needs stage {value}; the buddy is at {shopper.stage}"
        )
    if op == "min_progression_tokens":
        if shopper.progression_tokens >= int(value):  # type: ignore[arg-type]
            return None
        return Unmet(
            op,
            value,
            shopper.progression_tokens,
            f"needs {value} progression tokens earned; the buddy has {shopper.progression_tokens}",
        )
    if op == "has_badge":
        if value in shopper.badges:
            return None
        return Unmet(op, value, False, f"needs the badge {value}")
    if op == "owns_item":
        if value in shopper.owned_items:
            return None
        return Unmet(op, value, False, f"needs the item {value} first")
    audiences = tuple(value) if isinstance(value, tuple) else (str(value),)
    if shopper.audience in audiences:
        return None
    shown = shopper.audience or "none"
    return Unmet(
        op,
        audiences,
        shopper.audience,
        f"only for {', '.join(audiences)}; the buddy's audience is {shown}",
    )


@dataclass(frozen=True)
class Offer:
    """An item on sale now, and the marketplace that sells it."""

    item: ItemDef
    marketplace: MarketplaceDef

    @property
    def prices(self) -> Mapping[str, int]:
        """What it costs: ``coins`` and/or ``tokens`` (the primary token)."""
        found = {"coins": self.item.price_coins, "tokens": self.item.price_tokens}
        return {k: v for k, v in found.items() if v is not None}


def offer(rulebook: Rulebook, item_id: str) -> Offer:
    """The item as the shop sells it; ``resource_not_found`` for an item no open shop lists
    (unknown, unlisted, or its marketplace switched off: ``details.marketplace_id``)."""
    item = rulebook.item(item_id)
    marketplace = (
        rulebook.marketplace(item.marketplace_id) if item and item.marketplace_id else None
    )
    if item is None or marketplace is None:
        raise NotFound("item", item_id)
    if not marketplace.active:
        raise DomainError(
            "resource_not_found",
            f"item {item_id} is not on sale: the marketplace {marketplace.id} is closed",
            {"item_id": item_id, "marketplace_id": marketplace.id},
        )
    return Offer(item, marketplace)

"""The rulebook: the whole progression logic of one config version, as one document.

A config version stores its rulebook as a plain JSON document (``ConfigVersion.document``).
``Rulebook.from_dict`` validates such a document and turns it into frozen value objects;
``Rulebook.to_dict`` writes the canonical form back: every optional field present (``None``
when unset), keys in a fixed order, so two equal rulebooks always serialise identically and
``from_dict(rb.to_dict()) == rb``.

Rule kinds and operators are fixed enums (template-first, no expression language). A bad
document raises one ``DomainError("validation_failed")`` listing *every* offending field as
``{"field": "coin_rules[0].amount", "reason": "..."}``, so an editor can show them all at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any, ClassVar, Final, Literal, TypeVar, cast

from domain.shared.errors import DomainError
from domain.shared.text_patterns import AUDIENCE, EVENT_TYPE, RULE_ID, SNAKE_KEY, TextPattern

Operator = Literal["eq", "neq", "gt", "gte", "lt", "lte", "in", "exists"]
OPERATORS: Final[tuple[Operator, ...]] = ("eq", "neq", "gt", "gte", "lt", "lte", "in", "exists")

ItemCategory = Literal[
    "background", "body", "feet", "hand", "neck", "face", "head", "accessory", "booster"
]
LAYER_ORDER: Final[dict[str, int]] = {
    "background": 10,
    "body": 20,
    "feet": 30,
    "hand": 40,
    "neck": 50,
    "face": 60,
    "head": 70,
    "accessory": 80,
    "booster": 90,
}
# Only accessories may be worn several at a time.
MULTI_EQUIP_CATEGORIES: Final = frozenset({"accessory"})
# Boosters are consumables: bought and used, never drawn on the buddy.
VISUAL_CATEGORIES: Final = frozenset(LAYER_ORDER) - {"booster"}

Rarity = Literal["common", "uncommon", "rare", "epic", "legendary"]
RARITIES: Final[tuple[Rarity, ...]] = ("common", "uncommon", "rare", "epic", "legendary")

RequirementOperator = Literal[
    "min_stage", "has_badge", "audience_in", "owns_item", "min_progression_tokens"
]
REQUIREMENT_OPERATORS: Final[tuple[RequirementOperator, ...]] = (
    "min_stage",
    "has_badge",
    "audience_in",
    "owns_item",
    "min_progression_tokens",
)
MAX_REQUIREMENTS: Final = 10
MAX_CATALOGUE_ITEMS: Final = 1000
MAX_MARKETPLACES: Final = 50

MIN_STAGE: Final = 1
MAX_STAGE: Final = 5

# The wallet's own currency. A token slot may not take this key, so a ledger currency
# name always means exactly one thing.
COINS: Final = "coins"

Scalar = str | int | float | bool | None

_MAX_AMOUNT: Final = 1_000_000
_MAX_CAP: Final = 100_000_000
_MAX_MULTIPLIER: Final = 100.0
_MAX_CONDITIONS: Final = 10
_MAX_IN_VALUES: Final = 100
MAX_GATES: Final = 200
MAX_GATE_METADATA_CHARS: Final = 4096


# --------------------------------------------------------------------------------------------
# Value objects
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SkillDef:
    """A skill: a value from 0 to ``max_value``, one level per ``points_per_level`` points."""

    key: str
    name: str
    max_value: int = 100
    points_per_level: int = 20
    icon_url: str | None = None
    """Its own icon (an ``http(s)`` URL or ``asset:<sha256>.<ext>``); ``None``: our
    procedural one, drawn from its key and name."""

    @property
    def max_level(self) -> int:
        return self.max_value // self.points_per_level

    def level_for(self, value: int) -> int:
        """Level 0 means "no full level yet"; the level never passes ``max_level``."""
        return min(max(value, 0) // self.points_per_level, self.max_level)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "max_value": self.max_value,
            "points_per_level": self.points_per_level,
            **({"icon_url": self.icon_url} if self.icon_url is not None else {}),
        }


@dataclass(frozen=True, kw_only=True)
class Condition:
    """A filter on the event's properties: ``{property, operator, value}``.

    ``property`` may be a dotted path into nested objects (``lesson.level``); an exact key
    wins over a path. ``in`` takes a list; ``exists`` takes a bool (default ``true``).
    """

    property: str
    operator: Operator
    value: Scalar | tuple[Scalar, ...]

    def to_dict(self) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"property": self.property, "operator": self.operator, "value": value}


@dataclass(frozen=True, kw_only=True)
class CoinRule:
    """``event_type → amount`` coins, with optional modifiers.

    ``multiplier`` applies first (rounded down), then the UTC-day and ISO-week caps clip
    what is left; ``total_limit`` is how many times the rule may ever award one buddy;
    ``audience`` restricts the rule to events sent for that audience.
    """

    kind: ClassVar[str] = "coin"
    id: str
    event_type: str
    amount: int
    conditions: tuple[Condition, ...] = ()
    daily_cap: int | None = None
    weekly_cap: int | None = None
    multiplier: float = 1.0
    total_limit: int | None = None
    audience: str | None = None

    @property
    def effective_amount(self) -> int:
        """``amount x multiplier`` rounded down, computed in decimal so 100 x 1.15 is 115."""
        exact = Decimal(self.amount) * Decimal(repr(self.multiplier))
        return int(exact.to_integral_value(rounding=ROUND_FLOOR))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event_type": self.event_type,
            "amount": self.amount,
            "conditions": [c.to_dict() for c in self.conditions],
            "daily_cap": self.daily_cap,
            "weekly_cap": self.weekly_cap,
            "multiplier": self.multiplier,
            "total_limit": self.total_limit,
            "audience": self.audience,
        }


@dataclass(frozen=True, kw_only=True)
class SkillRule:
    """``event_type → +amount`` on one skill (never past the skill's ``max_value``)."""

    kind: ClassVar[str] = "skill"
    id: str
    event_type: str
    skill_key: str
    amount: int
    conditions: tuple[Condition, ...] = ()
    audience: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event_type": self.event_type,
            "skill_key": self.skill_key,
            "amount": self.amount,
            "conditions": [c.to_dict() for c in self.conditions],
            "audience": self.audience,
        }


@dataclass(frozen=True, kw_only=True)
class TokenEarnRule:
    kind: ClassVar[str] = "token"
    id: str
    event_type: str
    amount: int
    conditions: tuple[Condition, ...] = ()
    weekly_cap: int | None = None
    audience: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event_type": self.event_type,
            "amount": self.amount,
            "conditions": [c.to_dict() for c in self.conditions],
            "weekly_cap": self.weekly_cap,
            "audience": self.audience,
        }


@dataclass(frozen=True, kw_only=True)
class TokenSlot:
    token_key: str
    label: str
    earn_rules: tuple[TokenEarnRule, ...] = ()
    max_balance: int | None = None  # primary slot only

    def to_dict(self, *, primary: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "token_key": self.token_key,
            "label": self.label,
            "earn_rules": [r.to_dict() for r in self.earn_rules],
        }
        if primary:
            out["max_balance"] = self.max_balance
        return out


@dataclass(frozen=True, kw_only=True)
class TokenConfig:
    """Exactly two slots: ``primary`` is spendable, ``progression`` is earn-only."""

    primary: TokenSlot
    progression: TokenSlot

    @property
    def token_keys(self) -> dict[str, str]:
        return {"primary": self.primary.token_key, "progression": self.progression.token_key}

    def to_dict(self) -> dict[str, Any]:
        return {
            "primary": self.primary.to_dict(primary=True),
            "progression": self.progression.to_dict(primary=False),
        }


# Badge conditions: one frozen class per kind ------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MilestoneCondition:
    """The buddy has seen at least ``count`` events of ``event_type``."""

    kind: ClassVar[str] = "milestone"
    event_type: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "event_type": self.event_type, "count": self.count}


@dataclass(frozen=True, kw_only=True)
class CoinThresholdCondition:
    """Lifetime coins earned (not the balance: spending never un-earns a badge)."""

    kind: ClassVar[str] = "coin_threshold"
    coins: int

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "coins": self.coins}


@dataclass(frozen=True, kw_only=True)
class SkillLevelCondition:
    kind: ClassVar[str] = "skill_level"
    skill_key: str
    level: int

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "skill_key": self.skill_key, "level": self.level}


@dataclass(frozen=True, kw_only=True)
class StageCondition:
    kind: ClassVar[str] = "stage"
    stage: int

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "stage": self.stage}


@dataclass(frozen=True, kw_only=True)
class CollectionCondition:
    """The buddy owns every one of ``item_ids``."""

    kind: ClassVar[str] = "collection"
    item_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "item_ids": list(self.item_ids)}


@dataclass(frozen=True, kw_only=True)
class StreakCondition:
    """The streak ``streak_key`` has reached ``days`` consecutive periods.

    Its input is the ``streaks`` counter map of the progress state, which only the
    rulebook's streak definition fills: with no streak defined it stays empty and a streak
    badge simply never fires.
    """

    kind: ClassVar[str] = "streak"
    streak_key: str
    days: int

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "streak_key": self.streak_key, "days": self.days}


BadgeCondition = (
    MilestoneCondition
    | CoinThresholdCondition
    | SkillLevelCondition
    | StageCondition
    | CollectionCondition
    | StreakCondition
)
BADGE_CONDITION_KINDS: Final = (
    "milestone",
    "coin_threshold",
    "skill_level",
    "stage",
    "collection",
    "streak",
)


@dataclass(frozen=True, kw_only=True)
class BadgeDef:
    """A badge. ``auto_award`` badges are given as soon as the condition holds; manual ones
    only become *ready* and wait for ``POST /buddies/{id}/badges``."""

    kind: ClassVar[str] = "badge"
    key: str
    name: str
    description: str
    condition: BadgeCondition
    coin_reward: int | None = None
    auto_award: bool = True
    icon_url: str | None = None
    """Its own icon (an ``http(s)`` URL or ``asset:<sha256>.<ext>``); ``None``: our
    procedural one, drawn from its key, name and condition kind."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "description": self.description,
            "condition": self.condition.to_dict(),
            "coin_reward": self.coin_reward,
            "auto_award": self.auto_award,
            **({"icon_url": self.icon_url} if self.icon_url is not None else {}),
        }


@dataclass(frozen=True, kw_only=True)
class StageConditions:
    """What it takes to reach a stage. Every condition set must hold (AND)."""

    min_progression_tokens: int | None = None
    min_skill_levels: Mapping[str, int] = field(default_factory=dict)
    badges: tuple[str, ...] = ()
    min_coins_earned: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_progression_tokens": self.min_progression_tokens,
            "min_skill_levels": {
                k: self.min_skill_levels[k] for k in sorted(self.min_skill_levels)
            },
            "badges": list(self.badges),
            "min_coins_earned": self.min_coins_earned,
        }


@dataclass(frozen=True, kw_only=True)
class EvolutionStage:
    stage: int
    conditions: StageConditions

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "conditions": self.conditions.to_dict()}


@dataclass(frozen=True, kw_only=True)
class Evolution:
    """Stage 1 is the freshly hatched buddy; ``stages`` define 2, 3, ... in order, no gaps.

    A buddy can reach at most ``1 + len(stages)`` (and never more than 5).
    """

    auto_evolve: bool = False
    stages: tuple[EvolutionStage, ...] = ()

    def stage(self, number: int) -> EvolutionStage | None:
        return next((s for s in self.stages if s.stage == number), None)

    def to_dict(self) -> dict[str, Any]:
        return {"auto_evolve": self.auto_evolve, "stages": [s.to_dict() for s in self.stages]}


StreakPeriod = Literal["daily", "weekly", "monthly"]
STREAK_PERIODS: Final[tuple[StreakPeriod, ...]] = ("daily", "weekly", "monthly")
DisplayMode = Literal["count", "row", "mini"]
DISPLAY_MODES: Final[tuple[DisplayMode, ...]] = ("count", "row", "mini")
DEFAULT_ROW_ICONS: Final = 7
MAX_ROW_ICONS: Final = 31


@dataclass(frozen=True, kw_only=True)
class StreakMilestone:
    """Reaching ``count`` consecutive periods pays ``coins``, ``tokens`` (token key → amount,
    keys of the token slots) and the badge ``badge_key``; any of them may be absent."""

    count: int
    coins: int | None = None
    tokens: Mapping[str, int] = field(default_factory=dict)
    badge_key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "coins": self.coins,
            "tokens": {k: self.tokens[k] for k in sorted(self.tokens)},
            "badge_key": self.badge_key,
        }


@dataclass(frozen=True, kw_only=True)
class StreakDef:
    """Consecutive periods (UTC days, ISO weeks or calendar months) in which one of
    ``event_types`` happened at least once (``domain/ingestion/streaks.py``).

    ``tick_coins`` pays every tick; ``milestones`` pay once per run at their count;
    ``freeze_token_key`` (the primary token slot's key) names the token one of which keeps a
    missed period; ``display_mode`` and ``max_row_icons`` are for the widget; ``audience``
    restricts the ticking events to that audience. A document of the first version held one
    ``streak`` with a single ``event_type``, always daily: it still parses (decision 0036).
    """

    kind: ClassVar[str] = "streak"
    key: str
    event_types: tuple[str, ...]
    period: StreakPeriod = "daily"
    tick_coins: int | None = None
    milestones: tuple[StreakMilestone, ...] = ()
    display_mode: DisplayMode = "count"
    max_row_icons: int | None = None
    freeze_token_key: str | None = None
    audience: str | None = None

    @property
    def event_type(self) -> str:
        """The first event type (the one a single-type definition has)."""
        return self.event_types[0]

    def milestone(self, count: int) -> StreakMilestone | None:
        return next((m for m in self.milestones if m.count == count), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "event_types": list(self.event_types),
            "period": self.period,
            "tick_coins": self.tick_coins,
            "milestones": [m.to_dict() for m in self.milestones],
            "display_mode": self.display_mode,
            "max_row_icons": self.max_row_icons,
            "freeze_token_key": self.freeze_token_key,
            "audience": self.audience,
        }


DecayCadence = Literal["daily", "weekly", "monthly"]
DECAY_CADENCES: Final[tuple[DecayCadence, ...]] = ("daily", "weekly", "monthly")
DEFAULT_AUDIENCE: Final = "default"


@dataclass(frozen=True, kw_only=True)
class DecayRule:
    """A skill loses ``amount`` points per ``cadence`` period it is not practised.

    Never below ``floor_level`` (as a value: that level's first point); only while the
    level is above ``apply_only_above`` when set; ``grace_days`` of inactivity first. Rules
    are created off (``active: false``). How periods are judged: ``domain/companions/
    skill_decay.py``.
    """

    kind: ClassVar[str] = "decay"
    id: str
    skill_key: str
    cadence: DecayCadence
    amount: int
    floor_level: int = 0
    grace_days: int = 0
    apply_only_above: int | None = None
    audience: str = DEFAULT_AUDIENCE
    active: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "skill_key": self.skill_key,
            "cadence": self.cadence,
            "amount": self.amount,
            "floor_level": self.floor_level,
            "grace_days": self.grace_days,
            "apply_only_above": self.apply_only_above,
            "audience": self.audience,
            "active": self.active,
        }


@dataclass(frozen=True, kw_only=True)
class Requirement:
    """What a buddy must satisfy to buy an item: one fixed operator and its value.

    ``min_stage`` (a stage 1-5), ``has_badge`` (a badge key), ``audience_in`` (audiences),
    ``owns_item`` (another item's id: an upgrade path), ``min_progression_tokens`` (the
    earn-only token's lifetime total: progression that unlocks the shop). All must hold.
    """

    operator: RequirementOperator
    value: int | str | tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"operator": self.operator, "value": value}


@dataclass(frozen=True, kw_only=True)
class MarketplaceDef:
    """A shop front: a named, switchable list of the catalogue's items."""

    id: str
    name: str
    description: str = ""
    active: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "active": self.active,
        }


@dataclass(frozen=True, kw_only=True)
class ItemDef:
    """A catalogue item. Ids are unique across the tenant's marketplaces (ownership and
    equipment name items by id alone).

    Prices: ``price_coins`` (the wallet's coins), ``price_tokens`` (the primary token), or
    both; at least one. An item with no ``marketplace_id`` is *unlisted*: it can be owned,
    granted and worn, but no shop sells it (documents written before marketplaces existed,
    whose ``price_coins`` may still be 0). Images are references: an ``http(s)`` URL, or
    ``asset:<sha256>.<ext>`` for a file we keep (an upload or our generated icon).
    ``stage_image_urls`` maps a stage (``"1"``-``"5"``) to the art drawn at that stage.
    """

    item_id: str
    name: str
    category: ItemCategory
    price_coins: int | None = None
    price_tokens: int | None = None
    description: str = ""
    rarity: Rarity = "common"
    stock: int | None = None
    requirements: tuple[Requirement, ...] = ()
    image_url: str | None = None
    stage_image_urls: Mapping[str, str] = field(default_factory=dict)
    marketplace_id: str | None = None
    sort_order: int = 0

    @property
    def layer_order(self) -> int:
        return LAYER_ORDER[self.category]

    @property
    def is_visual(self) -> bool:
        return self.category in VISUAL_CATEGORIES

    @property
    def is_consumable(self) -> bool:
        return self.category == "booster"

    def image_for_stage(self, stage: int) -> str | None:
        """The stage's own art, else the item's image (the seed's fallback)."""
        return self.stage_image_urls.get(str(stage), self.image_url)

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "name": self.name,
            "category": self.category,
            "price_coins": self.price_coins,
            "price_tokens": self.price_tokens,
            "description": self.description,
            "rarity": self.rarity,
            "stock": self.stock,
            "requirements": [r.to_dict() for r in self.requirements],
            "image_url": self.image_url,
            "stage_image_urls": {
                k: self.stage_image_urls[k] for k in sorted(self.stage_image_urls)
            },
            "marketplace_id": self.marketplace_id,
            "sort_order": self.sort_order,
        }


@dataclass(frozen=True, kw_only=True)
class GateDef:
    """A token gate: a feature of the customer's product a buddy unlocks once, for ``cost``
    of the primary token (``token_key`` always names the primary slot of the same rulebook).
    ``metadata`` is the customer's own JSON object, handed back as it was given."""

    gate_key: str
    token_key: str
    cost: int
    metadata: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "gate_key": self.gate_key,
            "token_key": self.token_key,
            "cost": self.cost,
            "metadata": json.loads(json.dumps(self.metadata)),
        }


@dataclass(frozen=True, kw_only=True)
class EventTypeDef:
    """A registered event type (decision 0041). ``id`` names it for ``/event-types/{id}`` and
    stays when ``key`` (the name events carry) is renamed; ``former_keys`` are the names it had,
    so events recorded under one still read as this type. An entry that is only a key (``id``
    = ``key``, nothing else set) is written as the plain string the first documents held."""

    id: str
    key: str
    label: str | None = None
    description: str | None = None
    former_keys: tuple[str, ...] = ()

    @property
    def plain(self) -> bool:
        return (
            self.id == self.key
            and self.label is None
            and self.description is None
            and not self.former_keys
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "label": self.label,
            "description": self.description,
            "former_keys": list(self.former_keys),
        }

    def to_document(self) -> str | dict[str, Any]:
        return self.key if self.plain else self.to_dict()


@dataclass(frozen=True, kw_only=True)
class Rulebook:
    """The validated rulebook of one config version."""

    event_type_defs: tuple[EventTypeDef, ...] = ()
    skills: tuple[SkillDef, ...] = ()
    coin_rules: tuple[CoinRule, ...] = ()
    skill_rules: tuple[SkillRule, ...] = ()
    token_config: TokenConfig
    badges: tuple[BadgeDef, ...] = ()
    streaks: tuple[StreakDef, ...] = ()
    evolution: Evolution = field(default_factory=Evolution)
    items: tuple[ItemDef, ...] = ()
    gates: tuple[GateDef, ...] = ()
    marketplaces: tuple[MarketplaceDef, ...] = ()
    decay_rules: tuple[DecayRule, ...] = ()

    SECTIONS: ClassVar[tuple[str, ...]] = (
        "event_types",
        "skills",
        "coin_rules",
        "skill_rules",
        "token_config",
        "badges",
        "streaks",
        "evolution",
        "items",
        "gates",
        "marketplaces",
        "decay_rules",
    )
    LEGACY_SECTIONS: ClassVar[tuple[str, ...]] = ("streak",)
    """Sections a stored document may still hold, read into the current ones."""

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> Rulebook:
        """Validate ``document``; ``DomainError("validation_failed")`` lists every problem."""
        return _parse_rulebook(document)

    @property
    def event_types(self) -> tuple[str, ...]:
        """The registered event type names."""
        return tuple(t.key for t in self.event_type_defs)

    def to_dict(self) -> dict[str, Any]:
        """The canonical JSON-safe document (fixed key order, optional fields as ``None``)."""
        return {
            "event_types": [t.to_document() for t in self.event_type_defs],
            "skills": [s.to_dict() for s in self.skills],
            "coin_rules": [r.to_dict() for r in self.coin_rules],
            "skill_rules": [r.to_dict() for r in self.skill_rules],
            "token_config": self.token_config.to_dict(),
            "badges": [b.to_dict() for b in self.badges],
            "streaks": [s.to_dict() for s in self.streaks],
            "evolution": self.evolution.to_dict(),
            "items": [i.to_dict() for i in self.items],
            "gates": [g.to_dict() for g in self.gates],
            "marketplaces": [m.to_dict() for m in self.marketplaces],
            "decay_rules": [r.to_dict() for r in self.decay_rules],
        }

    # Lookups -------------------------------------------------------------------------

    def skill(self, key: str) -> SkillDef | None:
        return next((s for s in self.skills if s.key == key), None)

    def streak(self, key: str) -> StreakDef | None:
        return next((s for s in self.streaks if s.key == key), None)

    def badge(self, key: str) -> BadgeDef | None:
        return next((b for b in self.badges if b.key == key), None)

    def item(self, item_id: str) -> ItemDef | None:
        return next((i for i in self.items if i.item_id == item_id), None)

    def gate(self, gate_key: str) -> GateDef | None:
        return next((g for g in self.gates if g.gate_key == gate_key), None)

    def marketplace(self, marketplace_id: str) -> MarketplaceDef | None:
        return next((m for m in self.marketplaces if m.id == marketplace_id), None)

    def listed_items(self, marketplace_id: str) -> list[ItemDef]:
        """A marketplace's items in shop order: ``sort_order``, then their place in the list."""
        listed = [i for i in self.items if i.marketplace_id == marketplace_id]
        return sorted(listed, key=lambda i: i.sort_order)

    def decay_rule(self, rule_id: str) -> DecayRule | None:
        return next((r for r in self.decay_rules if r.id == rule_id), None)

    @property
    def item_categories(self) -> dict[str, str]:
        return {i.item_id: i.category for i in self.items}

    @property
    def max_stage(self) -> int:
        return min(MIN_STAGE + len(self.evolution.stages), MAX_STAGE)


# --------------------------------------------------------------------------------------------
# Parsing and validation
# --------------------------------------------------------------------------------------------

T = TypeVar("T")


class _Problems:
    """Collects field errors; ``raise_if_any`` raises them all as one ``validation_failed``."""

    def __init__(self) -> None:
        self.fields: list[dict[str, str]] = []

    def add(self, path: str, reason: str) -> None:
        self.fields.append({"field": path, "reason": reason})

    def raise_if_any(self) -> None:
        if self.fields:
            first = self.fields[0]
            raise DomainError(
                "validation_failed",
                f"invalid rulebook: {first['field']}: {first['reason']}"
                + (f" (and {len(self.fields) - 1} more)" if len(self.fields) > 1 else ""),
                {"fields": list(self.fields)},
            )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


class _Reader:
    """Reads one JSON object at ``path``, reporting unknown keys and bad values."""

    def __init__(self, raw: object, path: str, problems: _Problems, allowed: Sequence[str]) -> None:
        self.path = path
        self.problems = problems
        self.ok = True
        # Where each parsed list element stood in the document (failed ones are left out).
        self.positions: dict[str, list[int]] = {}
        if not isinstance(raw, Mapping):
            problems.add(path or "document", "must be an object")
            self.data: Mapping[str, Any] = {}
            self.ok = False
            return
        self.data = raw
        for key in raw:
            if key not in allowed:
                problems.add(self._at(str(key)), f"property {key} should not exist")
                self.ok = False

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, reason: str) -> None:
        self.problems.add(self._at(key), reason)
        self.ok = False

    def present(self, key: str) -> bool:
        return self.data.get(key) is not None

    def string(
        self,
        key: str,
        *,
        pattern: TextPattern | None = None,
        max_length: int = 200,
        required: bool = True,
        default: str | None = None,
    ) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "is required")
            return default
        if not isinstance(value, str):
            self.fail(key, "must be a string")
            return default
        if pattern is not None and not pattern.compiled.match(value):
            self.fail(key, pattern.requirement)
            return default
        if pattern is None and required and not value.strip():
            self.fail(key, "must not be blank")
            return default
        if len(value) > max_length:
            self.fail(key, f"must be at most {max_length} characters")
            return default
        return value

    def integer(
        self,
        key: str,
        *,
        minimum: int,
        maximum: int = _MAX_CAP,
        required: bool = True,
        default: int | None = None,
    ) -> int | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "is required")
            return default
        if not _is_int(value):
            self.fail(key, "must be an integer")
            return default
        if not minimum <= value <= maximum:
            self.fail(key, f"must be between {minimum} and {maximum}")
            return default
        return cast(int, value)

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(key, "must be a boolean")
            return default
        return value

    def items(
        self, key: str, parse: Callable[[object, str], T | None], *, limit: int = 200
    ) -> list[T]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key, "must be a list")
            return []
        if len(value) > limit:
            self.fail(key, f"must have at most {limit} entries")
            return []
        parsed: list[T] = []
        positions = self.positions.setdefault(key, [])
        for index, element in enumerate(value):
            item = parse(element, f"{self._at(key)}[{index}]")
            if item is None:
                self.ok = False
            else:
                parsed.append(item)
                positions.append(index)
        return parsed


def _parse_condition(raw: object, path: str, problems: _Problems) -> Condition | None:
    r = _Reader(raw, path, problems, ("property", "operator", "value"))
    prop = r.string("property", max_length=128)
    operator = r.data.get("operator")
    if operator is None:
        r.fail("operator", "is required")
        return None
    if operator not in OPERATORS:
        r.fail("operator", f"unknown operator {operator!r}; expected one of {', '.join(OPERATORS)}")
        return None
    op = cast(Operator, operator)
    value = r.data.get("value")
    parsed: Scalar | tuple[Scalar, ...] = None
    if op in ("eq", "neq"):
        if "value" not in r.data:
            r.fail("value", "is required")
        elif not _is_scalar(value):
            r.fail("value", "must be a string, number, boolean or null")
        else:
            parsed = value
    elif op in ("gt", "gte", "lt", "lte"):
        if not _is_number(value):
            r.fail("value", f"must be a number for operator {op}")
        else:
            parsed = value
    elif op == "in":
        if not isinstance(value, list) or not value:
            r.fail("value", "must be a non-empty list for operator in")
        elif len(value) > _MAX_IN_VALUES or not all(_is_scalar(v) for v in value):
            r.fail("value", f"must hold at most {_MAX_IN_VALUES} strings, numbers or booleans")
        else:
            parsed = tuple(value)
    else:  # exists
        if value is None:
            parsed = True
        elif not isinstance(value, bool):
            r.fail("value", "must be a boolean for operator exists")
        else:
            parsed = value
    if not r.ok or prop is None:
        return None
    return Condition(property=prop, operator=op, value=parsed)


def _conditions(r: _Reader, problems: _Problems) -> tuple[Condition, ...]:
    return tuple(
        r.items(
            "conditions",
            lambda raw, path: _parse_condition(raw, path, problems),
            limit=_MAX_CONDITIONS,
        )
    )


def _parse_skill(raw: object, path: str, problems: _Problems) -> SkillDef | None:
    r = _Reader(raw, path, problems, ("key", "name", "max_value", "points_per_level", "icon_url"))
    key = r.string("key", pattern=SNAKE_KEY)
    name = r.string("name")
    icon_url = r.string("icon_url", pattern=_IMAGE_REF, max_length=2048, required=False)
    max_value = r.integer("max_value", minimum=1, maximum=_MAX_CAP, required=False, default=100)
    per_level = r.integer(
        "points_per_level", minimum=1, maximum=_MAX_CAP, required=False, default=20
    )
    if max_value is not None and per_level is not None and per_level > max_value:
        r.fail("points_per_level", "must not exceed max_value")
    if not r.ok or key is None or name is None or max_value is None or per_level is None:
        return None
    return SkillDef(
        key=key, name=name, max_value=max_value, points_per_level=per_level, icon_url=icon_url
    )


def _parse_coin_rule(raw: object, path: str, problems: _Problems) -> CoinRule | None:
    r = _Reader(
        raw,
        path,
        problems,
        (
            "id",
            "event_type",
            "amount",
            "conditions",
            "daily_cap",
            "weekly_cap",
            "multiplier",
            "total_limit",
            "audience",
        ),
    )
    rule_id = r.string("id", pattern=RULE_ID)
    event_type = r.string("event_type", pattern=EVENT_TYPE)
    amount = r.integer("amount", minimum=1, maximum=_MAX_AMOUNT)
    conditions = _conditions(r, problems)
    daily_cap = r.integer("daily_cap", minimum=1, required=False)
    weekly_cap = r.integer("weekly_cap", minimum=1, required=False)
    total_limit = r.integer("total_limit", minimum=1, required=False)
    audience = r.string("audience", pattern=AUDIENCE, required=False)
    multiplier = 1.0
    raw_multiplier = r.data.get("multiplier")
    if raw_multiplier is not None:
        if not _is_number(raw_multiplier) or not 0 < raw_multiplier <= _MAX_MULTIPLIER:
            r.fail("multiplier", f"must be a number above 0 and at most {_MAX_MULTIPLIER:g}")
        else:
            multiplier = float(raw_multiplier)
    if not r.ok or rule_id is None or event_type is None or amount is None:
        return None
    rule = CoinRule(
        id=rule_id,
        event_type=event_type,
        amount=amount,
        conditions=conditions,
        daily_cap=daily_cap,
        weekly_cap=weekly_cap,
        multiplier=multiplier,
        total_limit=total_limit,
        audience=audience,
    )
    if rule.effective_amount < 1:
        r.fail("multiplier", "amount x multiplier must be at least 1 coin")
        return None
    return rule


def _parse_skill_rule(raw: object, path: str, problems: _Problems) -> SkillRule | None:
    r = _Reader(
        raw, path, problems, ("id", "event_type", "skill_key", "amount", "conditions", "audience")
    )
    rule_id = r.string("id", pattern=RULE_ID)
    event_type = r.string("event_type", pattern=EVENT_TYPE)
    skill_key = r.string("skill_key", pattern=SNAKE_KEY)
    amount = r.integer("amount", minimum=1, maximum=_MAX_AMOUNT)
    conditions = _conditions(r, problems)
    audience = r.string("audience", pattern=AUDIENCE, required=False)
    if not r.ok or rule_id is None or event_type is None or skill_key is None or amount is None:
        return None
    return SkillRule(
        id=rule_id,
        event_type=event_type,
        skill_key=skill_key,
        amount=amount,
        conditions=conditions,
        audience=audience,
    )


def _parse_token_rule(raw: object, path: str, problems: _Problems) -> TokenEarnRule | None:
    r = _Reader(
        raw, path, problems, ("id", "event_type", "amount", "conditions", "weekly_cap", "audience")
    )
    rule_id = r.string("id", pattern=RULE_ID)
    event_type = r.string("event_type", pattern=EVENT_TYPE)
    amount = r.integer("amount", minimum=1, maximum=_MAX_AMOUNT)
    conditions = _conditions(r, problems)
    weekly_cap = r.integer("weekly_cap", minimum=1, required=False)
    audience = r.string("audience", pattern=AUDIENCE, required=False)
    if not r.ok or rule_id is None or event_type is None or amount is None:
        return None
    return TokenEarnRule(
        id=rule_id,
        event_type=event_type,
        amount=amount,
        conditions=conditions,
        weekly_cap=weekly_cap,
        audience=audience,
    )


def _parse_slot(raw: object, path: str, problems: _Problems, *, primary: bool) -> TokenSlot | None:
    r = _Reader(raw, path, problems, ("token_key", "label", "earn_rules", "max_balance"))
    token_key = r.string("token_key", pattern=SNAKE_KEY)
    if token_key == COINS:
        r.fail("token_key", f"{COINS!r} is the wallet's coin currency; pick another token key")
    label = r.string("label", max_length=64)
    rules = r.items(
        "earn_rules", lambda raw_rule, p: _parse_token_rule(raw_rule, p, problems), limit=50
    )
    max_balance: int | None = None
    if primary:
        max_balance = r.integer("max_balance", minimum=1, required=False)
    elif r.present("max_balance"):
        r.fail("max_balance", "only the primary (spendable) slot has a max_balance")
    if not r.ok or token_key is None or label is None:
        return None
    return TokenSlot(
        token_key=token_key, label=label, earn_rules=tuple(rules), max_balance=max_balance
    )


def _parse_token_config(raw: object, path: str, problems: _Problems) -> TokenConfig | None:
    r = _Reader(raw, path, problems, ("primary", "progression"))
    if not r.ok:
        return None
    slots: dict[str, TokenSlot | None] = {}
    for name in ("primary", "progression"):
        if name not in r.data or r.data[name] is None:
            r.fail(name, "is required")
            slots[name] = None
        else:
            slots[name] = _parse_slot(
                r.data[name], r._at(name), problems, primary=name == "primary"
            )
    primary, progression = slots["primary"], slots["progression"]
    if primary is None or progression is None:
        return None
    if primary.token_key == progression.token_key:
        r.fail("progression.token_key", "must differ from the primary token_key")
        return None
    return TokenConfig(primary=primary, progression=progression)


_CONDITION_FIELDS: dict[str, tuple[str, ...]] = {
    "milestone": ("kind", "event_type", "count"),
    "coin_threshold": ("kind", "coins"),
    "skill_level": ("kind", "skill_key", "level"),
    "stage": ("kind", "stage"),
    "collection": ("kind", "item_ids"),
    "streak": ("kind", "streak_key", "days"),
}


def _parse_badge_condition(raw: object, path: str, problems: _Problems) -> BadgeCondition | None:
    kind = raw.get("kind") if isinstance(raw, Mapping) else None
    if kind not in _CONDITION_FIELDS:
        if isinstance(raw, Mapping):
            problems.add(
                f"{path}.kind",
                f"unknown condition kind {kind!r}; expected one of "
                + ", ".join(BADGE_CONDITION_KINDS),
            )
        else:
            problems.add(path, "must be an object")
        return None
    r = _Reader(raw, path, problems, _CONDITION_FIELDS[str(kind)])
    condition: BadgeCondition | None = None
    if kind == "milestone":
        event_type = r.string("event_type", pattern=EVENT_TYPE)
        count = r.integer("count", minimum=1)
        if event_type is not None and count is not None:
            condition = MilestoneCondition(event_type=event_type, count=count)
    elif kind == "coin_threshold":
        coins = r.integer("coins", minimum=1)
        if coins is not None:
            condition = CoinThresholdCondition(coins=coins)
    elif kind == "skill_level":
        skill_key = r.string("skill_key", pattern=SNAKE_KEY)
        level = r.integer("level", minimum=1)
        if skill_key is not None and level is not None:
            condition = SkillLevelCondition(skill_key=skill_key, level=level)
    elif kind == "stage":
        stage = r.integer("stage", minimum=MIN_STAGE, maximum=MAX_STAGE)
        if stage is not None:
            condition = StageCondition(stage=stage)
    elif kind == "collection":
        item_ids = r.data.get("item_ids")
        if (
            not isinstance(item_ids, list)
            or not item_ids
            or not all(isinstance(i, str) and i for i in item_ids)
        ):
            r.fail("item_ids", "must be a non-empty list of item ids")
        elif len(set(item_ids)) != len(item_ids):
            r.fail("item_ids", "must not repeat an item")
        else:
            condition = CollectionCondition(item_ids=tuple(item_ids))
    else:
        streak_key = r.string("streak_key", pattern=SNAKE_KEY)
        days = r.integer("days", minimum=1, maximum=100_000)
        if streak_key is not None and days is not None:
            condition = StreakCondition(streak_key=streak_key, days=days)
    return condition if r.ok else None


def _parse_badge(raw: object, path: str, problems: _Problems) -> BadgeDef | None:
    r = _Reader(
        raw,
        path,
        problems,
        ("key", "name", "description", "condition", "coin_reward", "auto_award", "icon_url"),
    )
    key = r.string("key", pattern=SNAKE_KEY)
    icon_url = r.string("icon_url", pattern=_IMAGE_REF, max_length=2048, required=False)
    name = r.string("name")
    description = r.string("description", max_length=1000, required=False, default="")
    condition: BadgeCondition | None = None
    if r.data.get("condition") is None:
        r.fail("condition", "is required")
    else:
        condition = _parse_badge_condition(r.data["condition"], r._at("condition"), problems)
        if condition is None:
            r.ok = False
    coin_reward = r.integer("coin_reward", minimum=1, maximum=_MAX_AMOUNT, required=False)
    auto_award = r.boolean("auto_award", default=True)
    if not r.ok or key is None or name is None or description is None or condition is None:
        return None
    return BadgeDef(
        key=key,
        name=name,
        description=description,
        condition=condition,
        coin_reward=coin_reward,
        auto_award=auto_award,
        icon_url=icon_url,
    )


def _parse_stage(raw: object, path: str, problems: _Problems) -> EvolutionStage | None:
    r = _Reader(raw, path, problems, ("stage", "conditions"))
    stage = r.integer("stage", minimum=MIN_STAGE + 1, maximum=MAX_STAGE)
    c = _Reader(
        r.data.get("conditions") or {},
        r._at("conditions"),
        problems,
        ("min_progression_tokens", "min_skill_levels", "badges", "min_coins_earned"),
    )
    min_tokens = c.integer("min_progression_tokens", minimum=1, required=False)
    min_coins = c.integer("min_coins_earned", minimum=1, required=False)
    levels: dict[str, int] = {}
    raw_levels = c.data.get("min_skill_levels")
    if raw_levels is not None:
        if not isinstance(raw_levels, Mapping):
            c.fail("min_skill_levels", "must be an object of skill_key: level")
        else:
            for skill_key, level in raw_levels.items():
                if not isinstance(skill_key, str) or not SNAKE_KEY.compiled.match(skill_key):
                    c.fail(f"min_skill_levels.{skill_key}", "must be a snake_case skill key")
                elif not _is_int(level) or level < 1:
                    c.fail(f"min_skill_levels.{skill_key}", "must be an integer of at least 1")
                else:
                    levels[skill_key] = level
    badges: list[str] = []
    raw_badges = c.data.get("badges")
    if raw_badges is not None:
        if not isinstance(raw_badges, list) or not all(
            isinstance(b, str) and SNAKE_KEY.compiled.match(b) for b in raw_badges
        ):
            c.fail("badges", "must be a list of badge keys")
        elif len(set(raw_badges)) != len(raw_badges):
            c.fail("badges", "must not repeat a badge")
        else:
            badges = list(raw_badges)
    if not r.ok or not c.ok or stage is None:
        return None
    return EvolutionStage(
        stage=stage,
        conditions=StageConditions(
            min_progression_tokens=min_tokens,
            min_skill_levels={k: levels[k] for k in sorted(levels)},
            badges=tuple(badges),
            min_coins_earned=min_coins,
        ),
    )


def _parse_evolution(raw: object, path: str, problems: _Problems) -> Evolution | None:
    r = _Reader(raw, path, problems, ("auto_evolve", "stages"))
    auto_evolve = r.boolean("auto_evolve", default=False)
    stages = r.items("stages", lambda s, p: _parse_stage(s, p, problems), limit=MAX_STAGE)
    if not r.ok:
        return None
    numbers = [s.stage for s in stages]
    expected = list(range(MIN_STAGE + 1, MIN_STAGE + 1 + len(stages)))
    if numbers != expected:
        r.fail("stages", f"must define stages in order without gaps, starting at 2 (got {numbers})")
        return None
    return Evolution(auto_evolve=auto_evolve, stages=tuple(stages))


_STREAK_FIELDS: Final = (
    "key",
    "event_types",
    "event_type",
    "period",
    "tick_coins",
    "milestones",
    "display_mode",
    "max_row_icons",
    "freeze_token_key",
    "audience",
)


def _parse_milestone(raw: object, path: str, problems: _Problems) -> StreakMilestone | None:
    r = _Reader(raw, path, problems, ("count", "coins", "tokens", "badge_key"))
    count = r.integer("count", minimum=1, maximum=100_000)
    coins = r.integer("coins", minimum=1, maximum=_MAX_AMOUNT, required=False)
    badge_key = r.string("badge_key", pattern=SNAKE_KEY, required=False)
    tokens: dict[str, int] = {}
    raw_tokens = r.data.get("tokens")
    if raw_tokens is not None:
        if not isinstance(raw_tokens, Mapping):
            r.fail("tokens", "must be an object of token_key: amount")
        else:
            for token_key, amount in raw_tokens.items():
                if not isinstance(token_key, str) or not SNAKE_KEY.compiled.match(token_key):
                    r.fail(f"tokens.{token_key}", "must be a snake_case token key")
                elif not _is_int(amount) or not 1 <= amount <= _MAX_AMOUNT:
                    r.fail(f"tokens.{token_key}", f"must be an integer from 1 to {_MAX_AMOUNT}")
                else:
                    tokens[token_key] = amount
    if not r.ok or count is None:
        return None
    return StreakMilestone(
        count=count, coins=coins, tokens={k: tokens[k] for k in sorted(tokens)}, badge_key=badge_key
    )


def _parse_streak(raw: object, path: str, problems: _Problems) -> StreakDef | None:
    r = _Reader(raw, path, problems, _STREAK_FIELDS)
    key = r.string("key", pattern=SNAKE_KEY)
    event_types: list[str] = []
    if r.present("event_type") and r.present("event_types"):
        r.fail("event_type", "give event_types or event_type, not both")
    elif r.present("event_type"):
        single = r.string("event_type", pattern=EVENT_TYPE)
        event_types = [single] if single is not None else []
    else:
        event_types = r.items(
            "event_types", lambda v, p: _parse_event_type(v, p, problems), limit=20
        )
        if r.ok and not event_types:
            r.fail("event_types", "must name at least one event type")
        _unique(event_types, r._at("event_types"), "event type", problems)
    period = r.data.get("period", "daily")
    if period is None:
        period = "daily"
    if period not in STREAK_PERIODS:
        r.fail("period", f"must be one of {', '.join(STREAK_PERIODS)}")
    tick_coins = r.integer("tick_coins", minimum=1, maximum=_MAX_AMOUNT, required=False)
    milestones = r.items("milestones", lambda v, p: _parse_milestone(v, p, problems), limit=50)
    _unique([str(m.count) for m in milestones], r._at("milestones"), "milestone count", problems)
    display_mode = r.data.get("display_mode", "count")
    if display_mode is None:
        display_mode = "count"
    if display_mode not in DISPLAY_MODES:
        r.fail("display_mode", f"must be one of {', '.join(DISPLAY_MODES)}")
    max_row_icons = r.integer("max_row_icons", minimum=1, maximum=MAX_ROW_ICONS, required=False)
    if display_mode == "row" and max_row_icons is None and r.ok:
        max_row_icons = DEFAULT_ROW_ICONS
    elif display_mode != "row" and max_row_icons is not None:
        r.fail("max_row_icons", "only the row display mode has max_row_icons")
    freeze_token_key = r.string("freeze_token_key", pattern=SNAKE_KEY, required=False)
    audience = r.string("audience", pattern=AUDIENCE, required=False)
    if not r.ok or key is None or not event_types:
        return None
    return StreakDef(
        key=key,
        event_types=tuple(event_types),
        period=cast(StreakPeriod, period),
        tick_coins=tick_coins,
        milestones=tuple(sorted(milestones, key=lambda m: m.count)),
        display_mode=cast(DisplayMode, display_mode),
        max_row_icons=max_row_icons,
        freeze_token_key=freeze_token_key,
        audience=audience,
    )


_ITEM_FIELDS: Final = (
    "item_id",
    "name",
    "category",
    "price_coins",
    "price_tokens",
    "description",
    "rarity",
    "stock",
    "requirements",
    "image_url",
    "stage_image_urls",
    "marketplace_id",
    "sort_order",
)
_IMAGE_REF = TextPattern(
    r"^(asset:[0-9a-f]{64}\.(svg|png)|https?://[^\s\x00-\x1f]{1,2040})$",
    "an http(s) URL or an uploaded image (asset:<sha256>.svg or .png)",
)
_MAX_SORT_ORDER: Final = 1_000_000


def _parse_requirement(raw: object, path: str, problems: _Problems) -> Requirement | None:
    r = _Reader(raw, path, problems, ("operator", "value"))
    operator = r.data.get("operator")
    if not r.ok:
        return None
    if operator not in REQUIREMENT_OPERATORS:
        r.fail(
            "operator",
            f"unknown operator {operator!r}; expected one of {', '.join(REQUIREMENT_OPERATORS)}",
        )
        return None
    op = cast(RequirementOperator, operator)
    value: int | str | tuple[str, ...] | None
    if op == "min_stage":
        value = r.integer("value", minimum=MIN_STAGE, maximum=MAX_STAGE)
    elif op == "min_progression_tokens":
        value = r.integer("value", minimum=1)
    elif op == "has_badge":
        value = r.string("value", pattern=SNAKE_KEY)
    elif op == "owns_item":
        value = r.string("value", pattern=RULE_ID)
    else:
        audiences = r.data.get("value")
        value = None
        if (
            not isinstance(audiences, list)
            or not audiences
            or len(audiences) > _MAX_IN_VALUES
            or not all(isinstance(a, str) and AUDIENCE.compiled.match(a) for a in audiences)
        ):
            r.fail("value", f"must be a non-empty list of audiences, each {AUDIENCE.description}")
        elif len(set(audiences)) != len(audiences):
            r.fail("value", "must not repeat an audience")
        else:
            value = tuple(audiences)
    if not r.ok or value is None:
        return None
    return Requirement(operator=op, value=value)


def _parse_stage_images(r: _Reader) -> dict[str, str]:
    raw = r.data.get("stage_image_urls")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        r.fail("stage_image_urls", "must be an object of stage: image URL")
        return {}
    images: dict[str, str] = {}
    stages = {str(n) for n in range(MIN_STAGE, MAX_STAGE + 1)}
    for stage, url in raw.items():
        if stage not in stages:
            r.fail(f"stage_image_urls.{stage}", f"must be a stage {MIN_STAGE}-{MAX_STAGE}")
        elif not isinstance(url, str) or not _IMAGE_REF.compiled.match(url):
            r.fail(f"stage_image_urls.{stage}", "must be an http(s) URL or an uploaded image")
        else:
            images[stage] = url
    return {k: images[k] for k in sorted(images)}


def _parse_item(raw: object, path: str, problems: _Problems) -> ItemDef | None:
    r = _Reader(raw, path, problems, _ITEM_FIELDS)
    item_id = r.string("item_id", pattern=RULE_ID)
    name = r.string("name")
    category = r.data.get("category")
    if category not in LAYER_ORDER:
        r.fail("category", f"must be one of {', '.join(LAYER_ORDER)}")
    marketplace_id = r.string("marketplace_id", pattern=RULE_ID, required=False)
    # Before marketplaces, price_coins was required and could be 0 (a free item); such an
    # unlisted item still loads. A price in a shop is a positive amount.
    legacy_free = marketplace_id is None and r.data.get("price_coins") == 0
    price_coins = r.integer(
        "price_coins", minimum=0 if legacy_free else 1, maximum=_MAX_AMOUNT, required=False
    )
    price_tokens = r.integer("price_tokens", minimum=1, maximum=_MAX_AMOUNT, required=False)
    if r.data.get("price_coins") is None and r.data.get("price_tokens") is None:
        r.fail("price_coins", "an item needs a price: price_coins, price_tokens or both")
    description = r.string("description", max_length=1000, required=False, default="")
    rarity = r.data.get("rarity", "common")
    if rarity is None:
        rarity = "common"
    elif rarity not in RARITIES:
        r.fail("rarity", f"must be one of {', '.join(RARITIES)}")
    stock = r.integer("stock", minimum=1, required=False)
    requirements = r.items(
        "requirements", lambda v, p: _parse_requirement(v, p, problems), limit=MAX_REQUIREMENTS
    )
    image_url = r.string("image_url", pattern=_IMAGE_REF, max_length=2048, required=False)
    stage_images = _parse_stage_images(r)
    sort_order = r.integer("sort_order", minimum=0, maximum=_MAX_SORT_ORDER, required=False)
    if not r.ok or item_id is None or name is None or description is None:
        return None
    return ItemDef(
        item_id=item_id,
        name=name,
        category=cast(ItemCategory, category),
        price_coins=price_coins,
        price_tokens=price_tokens,
        description=description,
        rarity=cast(Rarity, rarity),
        stock=stock,
        requirements=tuple(requirements),
        image_url=image_url,
        stage_image_urls=stage_images,
        marketplace_id=marketplace_id,
        sort_order=sort_order or 0,
    )


def _parse_gate(raw: object, path: str, problems: _Problems) -> GateDef | None:
    r = _Reader(raw, path, problems, ("gate_key", "token_key", "cost", "metadata"))
    gate_key = r.string("gate_key", pattern=SNAKE_KEY)
    token_key = r.string("token_key", pattern=SNAKE_KEY)
    cost = r.integer("cost", minimum=1, maximum=_MAX_AMOUNT)
    metadata = r.data.get("metadata")
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, Mapping):
        r.fail("metadata", "must be a JSON object")
    else:
        try:
            size = len(json.dumps(metadata, separators=(",", ":"), allow_nan=False))
        except (TypeError, ValueError):
            r.fail("metadata", "must hold JSON values only")
        else:
            if size > MAX_GATE_METADATA_CHARS:
                r.fail("metadata", f"must be at most {MAX_GATE_METADATA_CHARS} characters as JSON")
    if not r.ok or gate_key is None or token_key is None or cost is None:
        return None
    return GateDef(
        gate_key=gate_key, token_key=token_key, cost=cost, metadata=json.loads(json.dumps(metadata))
    )


def _parse_marketplace(raw: object, path: str, problems: _Problems) -> MarketplaceDef | None:
    r = _Reader(raw, path, problems, ("id", "name", "description", "active"))
    marketplace_id = r.string("id", pattern=RULE_ID)
    name = r.string("name")
    description = r.string("description", max_length=1000, required=False, default="")
    active = r.boolean("active", default=True)
    if not r.ok or marketplace_id is None or name is None or description is None:
        return None
    return MarketplaceDef(id=marketplace_id, name=name, description=description, active=active)


def _check_catalogue(
    r: _Reader,
    items: Sequence[ItemDef],
    marketplaces: Sequence[MarketplaceDef],
    badge_keys: set[str],
) -> None:
    """Every item's marketplace exists, and its requirements name badges and items we have."""
    problems = r.problems
    _unique(
        [m.id for m in marketplaces],
        "marketplaces",
        "marketplace id",
        problems,
        r.positions.get("marketplaces"),
    )
    _unique([i.item_id for i in items], "items", "item id", problems, r.positions.get("items"))
    shops = {m.id for m in marketplaces}
    item_ids = {i.item_id for i in items}
    for index, item in zip(r.positions.get("items", []), items, strict=True):
        at = f"items[{index}]"
        if item.marketplace_id is not None and item.marketplace_id not in shops:
            problems.add(f"{at}.marketplace_id", f"unknown marketplace {item.marketplace_id!r}")
        for number, requirement in enumerate(item.requirements):
            where = f"{at}.requirements[{number}].value"
            if requirement.operator == "has_badge" and requirement.value not in badge_keys:
                problems.add(where, f"unknown badge {requirement.value!r}")
            elif requirement.operator == "owns_item":
                if requirement.value == item.item_id:
                    problems.add(where, "an item cannot require itself")
                elif requirement.value not in item_ids:
                    problems.add(where, f"unknown item {requirement.value!r}")


def _parse_decay_rule(raw: object, path: str, problems: _Problems) -> DecayRule | None:
    r = _Reader(
        raw,
        path,
        problems,
        (
            "id",
            "skill_key",
            "cadence",
            "amount",
            "floor_level",
            "grace_days",
            "apply_only_above",
            "audience",
            "active",
        ),
    )
    rule_id = r.string("id", pattern=RULE_ID)
    skill_key = r.string("skill_key", pattern=SNAKE_KEY)
    cadence = r.data.get("cadence")
    if cadence not in DECAY_CADENCES:
        r.fail("cadence", f"must be one of {', '.join(DECAY_CADENCES)}")
    amount = r.integer("amount", minimum=1, maximum=_MAX_CAP)
    floor_level = r.integer("floor_level", minimum=0, required=False, default=0)
    grace_days = r.integer("grace_days", minimum=0, maximum=3650, required=False, default=0)
    above = r.integer("apply_only_above", minimum=0, required=False)
    audience = r.string("audience", pattern=AUDIENCE, required=False, default=DEFAULT_AUDIENCE)
    active = r.boolean("active", default=False)
    if (
        not r.ok
        or rule_id is None
        or skill_key is None
        or amount is None
        or floor_level is None
        or grace_days is None
        or audience is None
    ):
        return None
    return DecayRule(
        id=rule_id,
        skill_key=skill_key,
        cadence=cast(DecayCadence, cadence),
        amount=amount,
        floor_level=floor_level,
        grace_days=grace_days,
        apply_only_above=above,
        audience=audience,
        active=active,
    )


_EVENT_TYPE_FIELDS: Final = ("id", "key", "label", "description", "former_keys")
_MAX_LABEL: Final = 80
_MAX_DESCRIPTION: Final = 500
_MAX_FORMER_KEYS: Final = 20


def _parse_event_type_def(raw: object, path: str, problems: _Problems) -> EventTypeDef | None:
    """A registered type: its name alone (the first documents), or an object."""
    if isinstance(raw, str):
        key = _parse_event_type(raw, path, problems)
        return EventTypeDef(id=key, key=key) if key is not None else None
    r = _Reader(raw, path, problems, _EVENT_TYPE_FIELDS)
    key = r.string("key", pattern=EVENT_TYPE)
    type_id = r.string("id", pattern=EVENT_TYPE, required=False, default=key)
    label = r.string("label", max_length=_MAX_LABEL, required=False)
    description = r.string("description", max_length=_MAX_DESCRIPTION, required=False)
    former = r.items(
        "former_keys", lambda v, p: _parse_event_type(v, p, problems), limit=_MAX_FORMER_KEYS
    )
    if not r.ok or key is None or type_id is None:
        return None
    return EventTypeDef(
        id=type_id,
        key=key,
        label=label,
        description=description,
        former_keys=tuple(dict.fromkeys(k for k in former if k != key)),
    )


def _parse_event_type(raw: object, path: str, problems: _Problems) -> str | None:
    if not isinstance(raw, str) or not EVENT_TYPE.compiled.match(raw):
        problems.add(path, f"must be an event type name: {EVENT_TYPE.description}")
        return None
    return raw


def _unique(
    values: Sequence[str],
    path: str,
    what: str,
    problems: _Problems,
    positions: Sequence[int] | None = None,
) -> None:
    """A repeated value is reported at its place in the document (``positions``, when some
    elements failed to parse and are not in ``values``)."""
    seen: set[str] = set()
    for number, value in enumerate(values):
        if value in seen:
            index = positions[number] if positions is not None else number
            problems.add(f"{path}[{index}]", f"duplicate {what} {value!r}")
        seen.add(value)


def _check_streak_references(
    streaks: Sequence[StreakDef],
    token_config: TokenConfig,
    badge_keys: set[str],
    problems: _Problems,
) -> None:
    """Freeze tokens are spent, so only the primary (spendable) slot's key can be one;
    milestone tokens go to one of the two slots; milestone badges must be defined."""
    primary = token_config.primary.token_key
    slots = set(token_config.token_keys.values())
    for index, streak in enumerate(streaks):
        at = f"streaks[{index}]"
        if streak.freeze_token_key is not None and streak.freeze_token_key != primary:
            problems.add(
                f"{at}.freeze_token_key",
                f"must be the primary token key {primary!r}: a freeze token is spent",
            )
        for m_index, milestone in enumerate(streak.milestones):
            for token_key in milestone.tokens:
                if token_key not in slots:
                    problems.add(
                        f"{at}.milestones[{m_index}].tokens.{token_key}",
                        f"unknown token key; expected one of {', '.join(sorted(slots))}",
                    )
            if milestone.badge_key is not None and milestone.badge_key not in badge_keys:
                problems.add(
                    f"{at}.milestones[{m_index}].badge_key",
                    f"unknown badge {milestone.badge_key!r}",
                )


def _parse_rulebook(document: Mapping[str, Any]) -> Rulebook:
    problems = _Problems()
    r = _Reader(document, "", problems, Rulebook.SECTIONS + Rulebook.LEGACY_SECTIONS)
    if not isinstance(document, Mapping):
        problems.raise_if_any()

    event_type_defs = r.items("event_types", lambda v, p: _parse_event_type_def(v, p, problems))
    event_types = [t.key for t in event_type_defs]
    skills = r.items("skills", lambda v, p: _parse_skill(v, p, problems), limit=32)
    coin_rules = r.items("coin_rules", lambda v, p: _parse_coin_rule(v, p, problems))
    skill_rules = r.items("skill_rules", lambda v, p: _parse_skill_rule(v, p, problems))
    badges = r.items("badges", lambda v, p: _parse_badge(v, p, problems))
    items = r.items("items", lambda v, p: _parse_item(v, p, problems), limit=MAX_CATALOGUE_ITEMS)
    gates = r.items("gates", lambda v, p: _parse_gate(v, p, problems), limit=MAX_GATES)
    marketplaces = r.items(
        "marketplaces", lambda v, p: _parse_marketplace(v, p, problems), limit=MAX_MARKETPLACES
    )
    decay_rules = r.items("decay_rules", lambda v, p: _parse_decay_rule(v, p, problems), limit=50)
    token_config: TokenConfig | None = None
    if r.data.get("token_config") is None:
        r.fail("token_config", "is required")
    else:
        token_config = _parse_token_config(r.data["token_config"], "token_config", problems)
    evolution = Evolution()
    if r.data.get("evolution") is not None:
        evolution = _parse_evolution(r.data["evolution"], "evolution", problems) or evolution
    streaks = r.items("streaks", lambda v, p: _parse_streak(v, p, problems), limit=50)
    if r.data.get("streak") is not None:  # the first version's one streak
        legacy = _parse_streak(r.data["streak"], "streak", problems)
        streaks = ([legacy] if legacy is not None else []) + streaks

    # Uniqueness and cross-references (only meaningful once the parts parsed).
    _unique(event_types, "event_types", "event type", problems, r.positions.get("event_types"))
    first_with_id: dict[str, EventTypeDef] = {}
    for index, type_def in zip(r.positions.get("event_types", []), event_type_defs, strict=True):
        other = first_with_id.setdefault(type_def.id, type_def)
        if other is not type_def and other.key != type_def.key:
            problems.add(f"event_types[{index}].id", f"duplicate event type id {type_def.id!r}")
    _unique([s.key for s in skills], "skills", "skill key", problems, r.positions.get("skills"))
    _unique([b.key for b in badges], "badges", "badge key", problems, r.positions.get("badges"))
    _unique([g.gate_key for g in gates], "gates", "gate key", problems, r.positions.get("gates"))
    if token_config is not None:
        primary_key = token_config.primary.token_key
        for index, gate in zip(r.positions.get("gates", []), gates, strict=True):
            if gate.token_key != primary_key:
                problems.add(
                    f"gates[{index}].token_key",
                    f"must be the primary token {primary_key!r}: gates cost the spendable token",
                )
    _unique([s.key for s in streaks], "streaks", "streak key", problems, r.positions.get("streaks"))
    rule_paths: list[tuple[str, str]] = [
        (f"coin_rules[{i}].id", x.id) for i, x in enumerate(coin_rules)
    ]
    rule_paths += [(f"skill_rules[{i}].id", x.id) for i, x in enumerate(skill_rules)]
    rule_paths += [(f"decay_rules[{i}].id", x.id) for i, x in enumerate(decay_rules)]
    if token_config is not None:
        for slot in ("primary", "progression"):
            slot_rules = getattr(token_config, slot).earn_rules
            rule_paths += [
                (f"token_config.{slot}.earn_rules[{i}].id", x.id) for i, x in enumerate(slot_rules)
            ]
    seen_rules: set[str] = set()
    for path, rule_id in rule_paths:
        if rule_id in seen_rules:
            problems.add(path, f"duplicate rule id {rule_id!r} (rule ids are unique across kinds)")
        seen_rules.add(rule_id)

    skill_defs = {s.key: s for s in skills}
    badge_keys = {b.key for b in badges}
    item_ids = {i.item_id for i in items}
    _check_catalogue(r, items, marketplaces, badge_keys)
    for index, rule in enumerate(skill_rules):
        if rule.skill_key not in skill_defs:
            problems.add(f"skill_rules[{index}].skill_key", f"unknown skill {rule.skill_key!r}")
    for index, decay in enumerate(decay_rules):
        at = f"decay_rules[{index}]"
        skill = skill_defs.get(decay.skill_key)
        if skill is None:
            problems.add(f"{at}.skill_key", f"unknown skill {decay.skill_key!r}")
            continue
        if decay.floor_level > skill.max_level:
            problems.add(
                f"{at}.floor_level", f"skill {skill.key} has at most {skill.max_level} levels"
            )
        if decay.apply_only_above is not None and decay.apply_only_above > skill.max_level:
            problems.add(
                f"{at}.apply_only_above",
                f"skill {skill.key} has at most {skill.max_level} levels",
            )
    for index, badge in enumerate(badges):
        cond = badge.condition
        at = f"badges[{index}].condition"
        if isinstance(cond, SkillLevelCondition):
            skill = skill_defs.get(cond.skill_key)
            if skill is None:
                problems.add(f"{at}.skill_key", f"unknown skill {cond.skill_key!r}")
            elif cond.level > skill.max_level:
                problems.add(
                    f"{at}.level", f"skill {skill.key} has at most {skill.max_level} levels"
                )
        elif isinstance(cond, CollectionCondition):
            for item_id in cond.item_ids:
                if item_id not in item_ids:
                    problems.add(f"{at}.item_ids", f"unknown item {item_id!r}")
        elif isinstance(cond, StreakCondition) and cond.streak_key not in {s.key for s in streaks}:
            problems.add(f"{at}.streak_key", f"unknown streak {cond.streak_key!r}")
    if token_config is not None:
        _check_streak_references(streaks, token_config, badge_keys, problems)
    for index, stage in enumerate(evolution.stages):
        at = f"evolution.stages[{index}].conditions"
        for skill_key, level in stage.conditions.min_skill_levels.items():
            skill = skill_defs.get(skill_key)
            if skill is None:
                problems.add(f"{at}.min_skill_levels.{skill_key}", f"unknown skill {skill_key!r}")
            elif level > skill.max_level:
                problems.add(
                    f"{at}.min_skill_levels.{skill_key}",
                    f"skill {skill_key} has at most {skill.max_level} levels",
                )
        for badge_key in stage.conditions.badges:
            if badge_key not in badge_keys:
                problems.add(f"{at}.badges", f"unknown badge {badge_key!r}")

    problems.raise_if_any()
    assert token_config is not None  # a missing one was reported above
    return Rulebook(
        event_type_defs=tuple(event_type_defs),
        skills=tuple(skills),
        coin_rules=tuple(coin_rules),
        skill_rules=tuple(skill_rules),
        token_config=token_config,
        badges=tuple(badges),
        streaks=tuple(streaks),
        evolution=evolution,
        items=tuple(items),
        gates=tuple(gates),
        marketplaces=tuple(marketplaces),
        decay_rules=tuple(decay_rules),
    )

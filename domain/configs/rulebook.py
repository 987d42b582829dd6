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

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Annotated, Any, ClassVar, Final, Literal, cast

from domain.configs.shapes import (
    MAX_COUNT,
    Between,
    Chars,
    Entries,
    Problems,
    Reader,
    Shape,
    is_int,
    is_number,
    is_scalar,
    read,
    reads,
)
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
_MAX_CAP: Final = MAX_COUNT
_MAX_MULTIPLIER: Final = 100.0
_MAX_CONDITIONS: Final = 10
_MAX_IN_VALUES: Final = 100
_MAX_FORMER_KEYS: Final = 20
MAX_GATES: Final = 200
MAX_GATE_METADATA_CHARS: Final = 4096


# --------------------------------------------------------------------------------------------
# The shapes (declared once: the HTTP layer uses these Structs too, decision 0044)
# --------------------------------------------------------------------------------------------

_IMAGE_REF = TextPattern(
    r"^(asset:[0-9a-f]{64}\.(svg|png)|https?://[^\s\x00-\x1f]{1,2040})$",
    "an http(s) URL or an uploaded image (asset:<sha256>.svg or .png)",
)

RuleId = Annotated[str, Chars(RULE_ID)]
EventTypeName = Annotated[str, Chars(EVENT_TYPE)]
SnakeKey = Annotated[str, Chars(SNAKE_KEY)]
AudienceName = Annotated[str, Chars(AUDIENCE)]
Name = Annotated[str, Chars()]
Prose = Annotated[str, Chars(max_length=1000)]
Amount = Annotated[int, Between(1, _MAX_AMOUNT)]
Positive = Annotated[int, Between(1)]
ImageRef = Annotated[str, Chars(_IMAGE_REF, max_length=2048)]


def _without_unset_icon(document: dict[str, Any]) -> dict[str, Any]:
    """A badge's or skill's canonical form: ``icon_url`` only when it has its own, so the
    documents stored before icons existed are written back byte for byte (decision 0046)."""
    if document.get("icon_url") is None:
        document.pop("icon_url", None)
    return document


class SkillDef(Shape, frozen=True):
    """A skill: a value from 0 to ``max_value``, one level per ``points_per_level`` points."""

    key: SnakeKey
    name: Name
    max_value: Positive = 100
    points_per_level: Positive = 20
    icon_url: ImageRef | None = None
    """Its own icon (an ``http(s)`` URL or ``asset:<sha256>.<ext>``); ``None``: our
    procedural one, drawn from its key and name."""

    @property
    def max_level(self) -> int:
        return self.max_value // self.points_per_level

    def level_for(self, value: int) -> int:
        """Level 0 means "no full level yet"; the level never passes ``max_level``."""
        return min(max(value, 0) // self.points_per_level, self.max_level)

    def to_dict(self) -> dict[str, Any]:
        return _without_unset_icon(super().to_dict())


class Condition(Shape, frozen=True):
    """A filter on the event's properties: ``{property, operator, value}``.

    ``property`` may be a dotted path into nested objects (``lesson.level``); an exact key
    wins over a path. ``in`` takes a list; ``exists`` takes a bool (default ``true``).
    """

    property: Annotated[str, Chars(max_length=128)]
    operator: Operator
    value: Scalar | tuple[Scalar, ...]


Conditions = Annotated[tuple[Condition, ...], Entries(_MAX_CONDITIONS)]


class CoinRule(Shape, frozen=True):
    """``event_type → amount`` coins, with optional modifiers.

    ``multiplier`` applies first (rounded down), then the UTC-day and ISO-week caps clip
    what is left; ``total_limit`` is how many times the rule may ever award one buddy;
    ``audience`` restricts the rule to events sent for that audience.
    """

    kind: ClassVar[str] = "coin"
    id: RuleId
    event_type: EventTypeName
    amount: Amount
    conditions: Conditions = ()
    daily_cap: Positive | None = None
    weekly_cap: Positive | None = None
    multiplier: float = 1.0
    total_limit: Positive | None = None
    audience: AudienceName | None = None

    @property
    def effective_amount(self) -> int:
        """``amount x multiplier`` rounded down, computed in decimal so 100 x 1.15 is 115."""
        exact = Decimal(self.amount) * Decimal(repr(self.multiplier))
        return int(exact.to_integral_value(rounding=ROUND_FLOOR))


class SkillRule(Shape, frozen=True):
    """``event_type → +amount`` on one skill (never past the skill's ``max_value``)."""

    kind: ClassVar[str] = "skill"
    id: RuleId
    event_type: EventTypeName
    skill_key: SnakeKey
    amount: Amount
    conditions: Conditions = ()
    audience: AudienceName | None = None


class TokenEarnRule(Shape, frozen=True):
    kind: ClassVar[str] = "token"
    id: RuleId
    event_type: EventTypeName
    amount: Amount
    conditions: Conditions = ()
    weekly_cap: Positive | None = None
    audience: AudienceName | None = None


class TokenSlot(Shape, frozen=True):
    """A token slot as the progression (earn-only) slot has it."""

    token_key: SnakeKey
    label: Annotated[str, Chars(max_length=64)]
    earn_rules: Annotated[tuple[TokenEarnRule, ...], Entries(50)] = ()


class PrimarySlot(TokenSlot, frozen=True):
    """The primary (spendable) slot, which alone may cap its balance."""

    max_balance: Positive | None = None


class TokenConfig(Shape, frozen=True):
    """Exactly two slots: ``primary`` is spendable, ``progression`` is earn-only."""

    primary: PrimarySlot
    progression: TokenSlot

    @property
    def token_keys(self) -> dict[str, str]:
        return {"primary": self.primary.token_key, "progression": self.progression.token_key}


# Badge conditions: one Struct per kind, told apart by ``kind`` ------------------------------


class MilestoneCondition(Shape, frozen=True, tag_field="kind", tag="milestone"):
    """The buddy has seen at least ``count`` events of ``event_type``."""

    kind: ClassVar[str] = "milestone"
    event_type: EventTypeName
    count: Positive


class CoinThresholdCondition(Shape, frozen=True, tag_field="kind", tag="coin_threshold"):
    """Lifetime coins earned (not the balance: spending never un-earns a badge)."""

    kind: ClassVar[str] = "coin_threshold"
    coins: Positive


class SkillLevelCondition(Shape, frozen=True, tag_field="kind", tag="skill_level"):
    kind: ClassVar[str] = "skill_level"
    skill_key: SnakeKey
    level: Positive


class StageCondition(Shape, frozen=True, tag_field="kind", tag="stage"):
    kind: ClassVar[str] = "stage"
    stage: Annotated[int, Between(MIN_STAGE, MAX_STAGE)]


class CollectionCondition(Shape, frozen=True, tag_field="kind", tag="collection"):
    """The buddy owns every one of ``item_ids``."""

    kind: ClassVar[str] = "collection"
    item_ids: tuple[str, ...]


class StreakCondition(Shape, frozen=True, tag_field="kind", tag="streak"):
    """The streak ``streak_key`` has reached ``days`` consecutive periods.

    Its input is the ``streaks`` counter map of the progress state, which only the
    rulebook's streak definition fills: with no streak defined it stays empty and a streak
    badge simply never fires.
    """

    kind: ClassVar[str] = "streak"
    streak_key: SnakeKey
    days: Annotated[int, Between(1, 100_000)]


class CustomCondition(Shape, frozen=True, tag_field="kind", tag="custom"):
    """The buddy has recorded at least ``count`` events of ``event_type`` whose properties
    satisfy every one of ``conditions`` (the filters coin rules take), counted as each event
    arrives while the badge is in the buddy's rulebook and not yet held (decision 0047)."""

    kind: ClassVar[str] = "custom"
    event_type: EventTypeName
    conditions: Conditions
    count: Annotated[int, Between(1, 100_000)] = 1

    @property
    def counter_key(self) -> str:
        """What the buddy counts matches under: the event type and the filters (not
        ``count``), so badges with the same filters share one counter and a migration that
        changes the filters starts a new one."""
        canonical = json.dumps(
            [self.event_type, [c.to_dict() for c in self.conditions]],
            sort_keys=True,
            separators=(",", ":"),
        )
        return f"{self.event_type}:{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"


BadgeCondition = (
    MilestoneCondition
    | CoinThresholdCondition
    | SkillLevelCondition
    | StageCondition
    | CollectionCondition
    | StreakCondition
    | CustomCondition
)
BADGE_CONDITIONS: Final[tuple[type[BadgeCondition], ...]] = (
    MilestoneCondition,
    CoinThresholdCondition,
    SkillLevelCondition,
    StageCondition,
    CollectionCondition,
    StreakCondition,
    CustomCondition,
)
BadgeConditionKind = Literal[
    "milestone", "coin_threshold", "skill_level", "stage", "collection", "streak", "custom"
]
BADGE_CONDITION_KINDS: Final = tuple(c.kind for c in BADGE_CONDITIONS)


class BadgeDef(Shape, frozen=True, kw_only=True):
    """A badge. ``auto_award`` badges are given as soon as the condition holds; manual ones
    only become *ready* and wait for ``POST /buddies/{id}/badges``. The award pays
    ``coin_reward`` and ``token_rewards`` (token key of a slot → amount) once."""

    kind: ClassVar[str] = "badge"
    key: SnakeKey
    name: Name
    description: Prose = ""
    condition: BadgeCondition
    coin_reward: Amount | None = None
    auto_award: bool = True
    token_rewards: dict[str, int] = {}
    icon_url: ImageRef | None = None
    """Its own icon (an ``http(s)`` URL or ``asset:<sha256>.<ext>``); ``None``: our
    procedural one, drawn from its key, name and condition kind."""

    def to_dict(self) -> dict[str, Any]:
        return _without_unset_icon(super().to_dict())


class StageConditions(Shape, frozen=True):
    """What it takes to reach a stage. Every condition set must hold (AND)."""

    min_progression_tokens: Positive | None = None
    min_skill_levels: dict[str, int] = {}
    badges: tuple[str, ...] = ()
    min_coins_earned: Positive | None = None


class EvolutionStage(Shape, frozen=True):
    stage: Annotated[int, Between(MIN_STAGE + 1, MAX_STAGE)]
    conditions: StageConditions


class Evolution(Shape, frozen=True):
    """Stage 1 is the freshly hatched buddy; ``stages`` define 2, 3, ... in order, no gaps.

    A buddy can reach at most ``1 + len(stages)`` (and never more than 5).
    """

    auto_evolve: bool = False
    stages: Annotated[tuple[EvolutionStage, ...], Entries(MAX_STAGE)] = ()

    def stage(self, number: int) -> EvolutionStage | None:
        return next((s for s in self.stages if s.stage == number), None)


StreakPeriod = Literal["daily", "weekly", "monthly"]
STREAK_PERIODS: Final[tuple[StreakPeriod, ...]] = ("daily", "weekly", "monthly")
DisplayMode = Literal["count", "row", "mini"]
DISPLAY_MODES: Final[tuple[DisplayMode, ...]] = ("count", "row", "mini")
DEFAULT_ROW_ICONS: Final = 7
MAX_ROW_ICONS: Final = 31


class StreakMilestone(Shape, frozen=True):
    """Reaching ``count`` consecutive periods pays ``coins``, ``tokens`` (token key → amount,
    keys of the token slots) and the badge ``badge_key``; any of them may be absent."""

    count: Annotated[int, Between(1, 100_000)]
    coins: Amount | None = None
    tokens: dict[str, int] = {}
    badge_key: SnakeKey | None = None


class StreakDef(Shape, frozen=True):
    """Consecutive periods (UTC days, ISO weeks or calendar months) in which one of
    ``event_types`` happened at least once (``domain/ingestion/streaks.py``).

    ``tick_coins`` pays every tick; ``milestones`` pay once per run at their count;
    ``freeze_token_key`` (the primary token slot's key) names the token one of which keeps a
    missed period; ``display_mode`` and ``max_row_icons`` are for the widget; ``audience``
    restricts the ticking events to that audience. A document of the first version held one
    ``streak`` with a single ``event_type``, always daily: it still parses (decision 0036).
    """

    kind: ClassVar[str] = "streak"
    key: SnakeKey
    event_types: tuple[str, ...]
    period: StreakPeriod = "daily"
    tick_coins: Amount | None = None
    milestones: Annotated[tuple[StreakMilestone, ...], Entries(50)] = ()
    display_mode: DisplayMode = "count"
    max_row_icons: Annotated[int, Between(1, MAX_ROW_ICONS)] | None = None
    freeze_token_key: SnakeKey | None = None
    audience: AudienceName | None = None

    @property
    def event_type(self) -> str:
        """The first event type (the one a single-type definition has)."""
        return self.event_types[0]

    def milestone(self, count: int) -> StreakMilestone | None:
        return next((m for m in self.milestones if m.count == count), None)


DecayCadence = Literal["daily", "weekly", "monthly"]
DECAY_CADENCES: Final[tuple[DecayCadence, ...]] = ("daily", "weekly", "monthly")
DEFAULT_AUDIENCE: Final = "default"


class DecayRule(Shape, frozen=True):
    """A skill loses ``amount`` points per ``cadence`` period it is not practised.

    Never below ``floor_level`` (as a value: that level's first point); only while the
    level is above ``apply_only_above`` when set; ``grace_days`` of inactivity first. Rules
    are created off (``active: false``). How periods are judged: ``domain/companions/
    skill_decay.py``.
    """

    kind: ClassVar[str] = "decay"
    id: RuleId
    skill_key: SnakeKey
    cadence: DecayCadence
    amount: Positive
    floor_level: Annotated[int, Between(0)] = 0
    grace_days: Annotated[int, Between(0, 3650)] = 0
    apply_only_above: Annotated[int, Between(0)] | None = None
    audience: AudienceName = DEFAULT_AUDIENCE
    active: bool = False


class Requirement(Shape, frozen=True):
    """What a buddy must satisfy to buy an item: one fixed operator and its value.

    ``min_stage`` (a stage 1-5), ``has_badge`` (a badge key), ``audience_in`` (audiences),
    ``owns_item`` (another item's id: an upgrade path), ``min_progression_tokens`` (the
    earn-only token's lifetime total: progression that unlocks the shop). All must hold.
    """

    operator: RequirementOperator
    value: int | str | tuple[str, ...]


class MarketplaceDef(Shape, frozen=True):
    """A shop front: a named, switchable list of the catalogue's items."""

    id: RuleId
    name: Name
    description: Prose = ""
    active: bool = True


_MAX_SORT_ORDER: Final = 1_000_000


class ItemDef(Shape, frozen=True):
    """A catalogue item. Ids are unique across the tenant's marketplaces (ownership and
    equipment name items by id alone).

    Prices: ``price_coins`` (the wallet's coins), ``price_tokens`` (the primary token), or
    both; at least one. An item with no ``marketplace_id`` is *unlisted*: it can be owned,
    granted and worn, but no shop sells it (documents written before marketplaces existed,
    whose ``price_coins`` may still be 0). Images are references: an ``http(s)`` URL, or
    ``asset:<sha256>.<ext>`` for a file we keep (an upload or our generated icon).
    ``stage_image_urls`` maps a stage (``"1"``-``"5"``) to the art drawn at that stage.
    """

    item_id: RuleId
    name: Name
    category: ItemCategory
    price_coins: Annotated[int, Between(0, _MAX_AMOUNT)] | None = None
    price_tokens: Amount | None = None
    description: Prose = ""
    rarity: Rarity = "common"
    stock: Positive | None = None
    requirements: Annotated[tuple[Requirement, ...], Entries(MAX_REQUIREMENTS)] = ()
    image_url: ImageRef | None = None
    stage_image_urls: dict[str, str] = {}
    marketplace_id: RuleId | None = None
    sort_order: Annotated[int, Between(0, _MAX_SORT_ORDER)] = 0

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


class GateDef(Shape, frozen=True):
    """A token gate: a feature of the customer's product a buddy unlocks once, for ``cost``
    of the primary token (``token_key`` always names the primary slot of the same rulebook).
    ``metadata`` is the customer's own JSON object, handed back as it was given."""

    gate_key: SnakeKey
    token_key: SnakeKey
    cost: Amount
    metadata: dict[str, Any] = {}


class EventTypeDef(Shape, frozen=True):
    """A registered event type (decision 0041). ``id`` names it for ``/event-types/{id}`` and
    stays when ``key`` (the name events carry) is renamed; ``former_keys`` are the names it had,
    so events recorded under one still read as this type. An entry that is only a key (``id``
    = ``key``, nothing else set) is written as the plain string the first documents held."""

    id: EventTypeName
    key: EventTypeName
    label: Annotated[str, Chars(max_length=80)] | None = None
    description: Annotated[str, Chars(max_length=500)] | None = None
    former_keys: Annotated[tuple[str, ...], Entries(_MAX_FORMER_KEYS)] = ()

    @property
    def plain(self) -> bool:
        return (
            self.id == self.key
            and self.label is None
            and self.description is None
            and not self.former_keys
        )

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
# Reading a document: each shape by its declaration (``domain/configs/shapes.py``), plus the
# rules a declaration cannot say, next to each other
# --------------------------------------------------------------------------------------------


@reads(Condition)
def _parse_condition(raw: object, path: str, problems: Problems) -> Condition | None:
    r = Reader(raw, path, problems, Condition)
    prop = r.fields(Condition, skip=("operator", "value"))["property"]
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
        elif not is_scalar(value):
            r.fail("value", "must be a string, number, boolean or null")
        else:
            parsed = value
    elif op in ("gt", "gte", "lt", "lte"):
        if not is_number(value):
            r.fail("value", f"must be a number for operator {op}")
        else:
            parsed = value
    elif op == "in":
        if not isinstance(value, list) or not value:
            r.fail("value", "must be a non-empty list for operator in")
        elif len(value) > _MAX_IN_VALUES or not all(is_scalar(v) for v in value):
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


@reads(SkillDef)
def _parse_skill(raw: object, path: str, problems: Problems) -> SkillDef | None:
    r = Reader(raw, path, problems, SkillDef)
    values = r.fields(SkillDef)
    max_value, per_level = values["max_value"], values["points_per_level"]
    if max_value is not None and per_level is not None and per_level > max_value:
        r.fail("points_per_level", "must not exceed max_value")
    return r.build(SkillDef, values)


@reads(CoinRule)
def _parse_coin_rule(raw: object, path: str, problems: Problems) -> CoinRule | None:
    r = Reader(raw, path, problems, CoinRule)
    values = r.fields(CoinRule, skip=("multiplier",))
    raw_multiplier = r.data.get("multiplier")
    if raw_multiplier is not None:
        if not is_number(raw_multiplier) or not 0 < raw_multiplier <= _MAX_MULTIPLIER:
            r.fail("multiplier", f"must be a number above 0 and at most {_MAX_MULTIPLIER:g}")
        else:
            values["multiplier"] = float(raw_multiplier)
    rule = r.build(CoinRule, values)
    if rule is not None and rule.effective_amount < 1:
        r.fail("multiplier", "amount x multiplier must be at least 1 coin")
        return None
    return rule


def _parse_slot(raw: object, path: str, problems: Problems, *, primary: bool) -> TokenSlot | None:
    shape = PrimarySlot if primary else TokenSlot
    r = Reader(raw, path, problems, shape, also=("max_balance",))

    def token_key() -> str | None:
        key = r.string("token_key", pattern=SNAKE_KEY)
        if key == COINS:
            r.fail("token_key", f"{COINS!r} is the wallet's coin currency; pick another token key")
        return key

    values = r.fields(shape, own={"token_key": token_key})
    if not primary and r.present("max_balance"):
        r.fail("max_balance", "only the primary (spendable) slot has a max_balance")
    return r.build(shape, values)


@reads(TokenConfig)
def _parse_token_config(raw: object, path: str, problems: Problems) -> TokenConfig | None:
    r = Reader(raw, path, problems, TokenConfig)
    if not r.ok:
        return None
    slots: dict[str, TokenSlot | None] = {}
    for name in ("primary", "progression"):
        if name not in r.data or r.data[name] is None:
            r.fail(name, "is required")
            slots[name] = None
        else:
            slots[name] = _parse_slot(r.data[name], r.at(name), problems, primary=name == "primary")
    primary, progression = slots["primary"], slots["progression"]
    if primary is None or progression is None:
        return None
    if primary.token_key == progression.token_key:
        r.fail("progression.token_key", "must differ from the primary token_key")
        return None
    return TokenConfig(primary=cast(PrimarySlot, primary), progression=progression)


_CONDITION_SHAPES: Final[dict[str, type[BadgeCondition]]] = {c.kind: c for c in BADGE_CONDITIONS}


def _parse_badge_condition(raw: object, path: str, problems: Problems) -> BadgeCondition | None:
    kind = raw.get("kind") if isinstance(raw, Mapping) else None
    shape = _CONDITION_SHAPES.get(kind) if isinstance(kind, str) else None
    if shape is None:
        if isinstance(raw, Mapping):
            problems.add(
                f"{path}.kind",
                f"unknown condition kind {kind!r}; expected one of "
                + ", ".join(BADGE_CONDITION_KINDS),
            )
        else:
            problems.add(path, "must be an object")
        return None
    r = Reader(raw, path, problems, shape, also=("kind",))
    if shape is CustomCondition and not r.data.get("conditions"):
        r.fail("conditions", "must be a non-empty list of property conditions")
    if shape is not CollectionCondition:
        return r.build(shape, r.fields(shape))
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
        return r.build(CollectionCondition, {"item_ids": tuple(item_ids)})
    return None


@reads(BadgeDef)
def _parse_badge(raw: object, path: str, problems: Problems) -> BadgeDef | None:
    r = Reader(raw, path, problems, BadgeDef)

    def condition() -> BadgeCondition | None:
        if r.data.get("condition") is None:
            r.fail("condition", "is required")
            return None
        parsed = _parse_badge_condition(r.data["condition"], r.at("condition"), problems)
        if parsed is None:
            r.ok = False
        return parsed

    own = {"condition": condition, "token_rewards": lambda: _token_amounts(r, "token_rewards")}
    return r.build(BadgeDef, r.fields(BadgeDef, own=own))


@reads(EvolutionStage)
def _parse_stage(raw: object, path: str, problems: Problems) -> EvolutionStage | None:
    r = Reader(raw, path, problems, EvolutionStage)
    stage = r.fields(EvolutionStage, skip=("conditions",))["stage"]
    c = Reader(r.data.get("conditions") or {}, r.at("conditions"), problems, StageConditions)
    values = c.fields(StageConditions, skip=("min_skill_levels", "badges"))
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
    values["min_skill_levels"] = _keyed_counts(c, "min_skill_levels", "skill", "level")
    values["badges"] = tuple(badges)
    conditions = c.build(StageConditions, values)
    if not r.ok or conditions is None or stage is None:
        return None
    return EvolutionStage(stage=stage, conditions=conditions)


@reads(Evolution)
def _parse_evolution(raw: object, path: str, problems: Problems) -> Evolution | None:
    r = Reader(raw, path, problems, Evolution)
    evolution = r.build(Evolution, r.fields(Evolution))
    if evolution is None:
        return None
    numbers = [s.stage for s in evolution.stages]
    expected = list(range(MIN_STAGE + 1, MIN_STAGE + 1 + len(numbers)))
    if numbers != expected:
        r.fail("stages", f"must define stages in order without gaps, starting at 2 (got {numbers})")
        return None
    return evolution


@reads(StreakMilestone)
def _parse_milestone(raw: object, path: str, problems: Problems) -> StreakMilestone | None:
    r = Reader(raw, path, problems, StreakMilestone)
    values = r.fields(StreakMilestone, own={"tokens": lambda: _token_amounts(r, "tokens")})
    return r.build(StreakMilestone, values)


def _token_amounts(r: Reader, key: str) -> dict[str, int]:
    """An optional ``{token_key: amount}`` object (a reward in tokens), sorted by key; the
    keys are checked against the token slots once the whole rulebook is read."""
    return _keyed_counts(r, key, "token", "amount", maximum=_MAX_AMOUNT)


def _keyed_counts(
    r: Reader, key: str, noun: str, count: str, *, maximum: int | None = None
) -> dict[str, int]:
    """An optional ``{<noun>_key: <count>}`` object of snake_case keys and positive integers
    (at most ``maximum``), sorted by key: a stage's skill levels, a reward's token amounts."""
    counts: dict[str, int] = {}
    raw = r.data.get(key)
    if raw is None:
        return counts
    if not isinstance(raw, Mapping):
        r.fail(key, f"must be an object of {noun}_key: {count}")
        return counts
    bound = "of at least 1" if maximum is None else f"from 1 to {maximum}"
    for name, value in raw.items():
        if not isinstance(name, str) or not SNAKE_KEY.compiled.match(name):
            r.fail(f"{key}.{name}", f"must be a snake_case {noun} key")
        elif not is_int(value) or value < 1 or (maximum is not None and value > maximum):
            r.fail(f"{key}.{name}", f"must be an integer {bound}")
        else:
            counts[name] = value
    return {k: counts[k] for k in sorted(counts)}


@reads(StreakDef)
def _parse_streak(raw: object, path: str, problems: Problems) -> StreakDef | None:
    r = Reader(raw, path, problems, StreakDef, also=("event_type",))

    def event_types() -> tuple[str, ...]:
        if r.present("event_type") and r.present("event_types"):
            r.fail("event_type", "give event_types or event_type, not both")
            return ()
        if r.present("event_type"):  # the first version's one type
            single = r.string("event_type", pattern=EVENT_TYPE)
            return (single,) if single is not None else ()
        names = r.items("event_types", lambda v, p: _parse_event_type(v, p, problems), limit=20)
        if r.ok and not names:
            r.fail("event_types", "must name at least one event type")
        _unique(names, r.at("event_types"), "event type", problems)
        return tuple(names)

    values = r.fields(StreakDef, own={"event_types": event_types})
    milestones: tuple[StreakMilestone, ...] = values["milestones"]
    _unique([str(m.count) for m in milestones], r.at("milestones"), "milestone count", problems)
    if values["display_mode"] == "row" and values["max_row_icons"] is None and r.ok:
        values["max_row_icons"] = DEFAULT_ROW_ICONS
    elif values["display_mode"] != "row" and values["max_row_icons"] is not None:
        r.fail("max_row_icons", "only the row display mode has max_row_icons")
    if not values["event_types"]:
        return None
    values["milestones"] = tuple(sorted(milestones, key=lambda m: m.count))
    return r.build(StreakDef, values)


@reads(Requirement)
def _parse_requirement(raw: object, path: str, problems: Problems) -> Requirement | None:
    r = Reader(raw, path, problems, Requirement)
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


def _parse_stage_images(r: Reader) -> dict[str, str]:
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


@reads(ItemDef)
def _parse_item(raw: object, path: str, problems: Problems) -> ItemDef | None:
    r = Reader(raw, path, problems, ItemDef)

    def price_coins() -> int | None:
        # Before marketplaces, price_coins was required and could be 0 (a free item); such
        # an unlisted item still loads. A price in a shop is a positive amount.
        shop = r.data.get("marketplace_id")
        listed = isinstance(shop, str) and RULE_ID.compiled.match(shop) is not None
        legacy_free = not listed and r.data.get("price_coins") == 0
        return r.integer(
            "price_coins", minimum=0 if legacy_free else 1, maximum=_MAX_AMOUNT, required=False
        )

    def price_tokens() -> int | None:
        price = r.integer("price_tokens", minimum=1, maximum=_MAX_AMOUNT, required=False)
        if r.data.get("price_coins") is None and r.data.get("price_tokens") is None:
            r.fail("price_coins", "an item needs a price: price_coins, price_tokens or both")
        return price

    own = {
        "price_coins": price_coins,
        "price_tokens": price_tokens,
        "stage_image_urls": lambda: _parse_stage_images(r),
    }
    return r.build(ItemDef, r.fields(ItemDef, own=own))


@reads(GateDef)
def _parse_gate(raw: object, path: str, problems: Problems) -> GateDef | None:
    r = Reader(raw, path, problems, GateDef)
    values = r.fields(GateDef, skip=("metadata",))
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
    if not r.ok:
        return None
    values["metadata"] = json.loads(json.dumps(metadata))
    return r.build(GateDef, values)


def _check_catalogue(
    r: Reader,
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


@reads(EventTypeDef)
def _parse_event_type_def(raw: object, path: str, problems: Problems) -> EventTypeDef | None:
    """A registered type: its name alone (the first documents), or an object."""
    if isinstance(raw, str):
        key = _parse_event_type(raw, path, problems)
        return EventTypeDef(id=key, key=key) if key is not None else None
    r = Reader(raw, path, problems, EventTypeDef)
    key = r.string("key", pattern=EVENT_TYPE)
    type_id = r.string("id", pattern=EVENT_TYPE, required=False, default=key)
    values = r.fields(EventTypeDef, skip=("id", "key", "former_keys"))
    former = r.items(
        "former_keys", lambda v, p: _parse_event_type(v, p, problems), limit=_MAX_FORMER_KEYS
    )
    if not r.ok or key is None or type_id is None:
        return None
    values["former_keys"] = tuple(dict.fromkeys(k for k in former if k != key))
    return EventTypeDef(id=type_id, key=key, **values)


def _parse_event_type(raw: object, path: str, problems: Problems) -> str | None:
    if not isinstance(raw, str) or not EVENT_TYPE.compiled.match(raw):
        problems.add(path, f"must be an event type name: {EVENT_TYPE.description}")
        return None
    return raw


def _unique(
    values: Sequence[str],
    path: str,
    what: str,
    problems: Problems,
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
    problems: Problems,
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
    problems = Problems()
    r = Reader(document, "", problems, Rulebook.SECTIONS + Rulebook.LEGACY_SECTIONS)
    if not isinstance(document, Mapping):
        problems.raise_if_any()

    event_type_defs = r.items("event_types", lambda v, p: _parse_event_type_def(v, p, problems))
    event_types = [t.key for t in event_type_defs]
    skills = r.items("skills", lambda v, p: _parse_skill(v, p, problems), limit=32)
    coin_rules = r.items("coin_rules", lambda v, p: _parse_coin_rule(v, p, problems))
    skill_rules = r.items("skill_rules", lambda v, p: read(v, p, problems, SkillRule))
    badges = r.items("badges", lambda v, p: _parse_badge(v, p, problems))
    items = r.items("items", lambda v, p: _parse_item(v, p, problems), limit=MAX_CATALOGUE_ITEMS)
    gates = r.items("gates", lambda v, p: _parse_gate(v, p, problems), limit=MAX_GATES)
    marketplaces = r.items(
        "marketplaces", lambda v, p: read(v, p, problems, MarketplaceDef), limit=MAX_MARKETPLACES
    )
    decay_rules = r.items("decay_rules", lambda v, p: read(v, p, problems, DecayRule), limit=50)
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
            slots = set(token_config.token_keys.values())
            for token_key in badge.token_rewards:
                if token_key not in slots:
                    problems.add(
                        f"badges[{index}].token_rewards.{token_key}",
                        f"unknown token key; expected one of {', '.join(sorted(slots))}",
                    )
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

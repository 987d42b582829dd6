"""The rule engine: ``evaluate(rulebook, state, event) → Evaluation``, a pure function.

No clock, no randomness, no I/O: time comes only from the event's ``occurred_at`` (days are
UTC days, weeks ISO weeks), and every collection is walked in sorted order, so the same
inputs always give the same effects and the same trace. ``apply(state, evaluation)`` folds an
evaluation into the next ``ProgressState``, which is all replay and what-if need.

Order of evaluation for one event:

1. the event is counted (``event_counts[type] += 1``) and the streak ticks;
2. coin rules, then skill rules, then token earn rules (primary slot, then progression),
   each kind sorted by rule id;
3. badges, sorted by key, on the state *after* step 2; badges awarded here (and their coin
   rewards) are visible to the other badges: the pass repeats until nothing new is awarded;
4. evolution readiness on the final state: every condition of the next stage holds.

Steps 3 and 4 are ``settle``, which every other change of a buddy's state runs as well.

The trace has one entry per rule (plus the streak and the next evolution stage) saying
whether it fired and, if not, why. Reason codes are the ``REASON_*`` constants below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Final, NamedTuple

from domain.configs.rulebook import (
    MAX_STAGE,
    BadgeCondition,
    BadgeDef,
    CoinRule,
    CoinThresholdCondition,
    CollectionCondition,
    Condition,
    CustomCondition,
    MilestoneCondition,
    Rulebook,
    SkillLevelCondition,
    SkillRule,
    StageCondition,
    StreakCondition,
    TokenEarnRule,
)
from domain.ingestion import streaks as streak_engine
from domain.ingestion.streaks import (
    StreakBurn,
    StreakFact,
    StreakFreeze,
    StreakMilestone,
    StreakRecord,
    StreakTick,
    fact_dict,
)
from domain.shared.errors import DomainError

REASON_FIRED: Final = "fired"
REASON_TYPE_MISMATCH: Final = "type_mismatch"
REASON_CONDITION_FALSE: Final = "condition_false"
REASON_DAILY_CAP: Final = "daily_cap_reached"
REASON_WEEKLY_CAP: Final = "weekly_cap_reached"
REASON_TOTAL_LIMIT: Final = "total_limit_reached"
REASON_AUDIENCE_MISMATCH: Final = "audience_mismatch"
REASON_ALREADY_AWARDED: Final = "already_awarded"
# An event dated before the cap window (see DAILY_WINDOW_DAYS): its bucket is no longer
# known, so a capped rule refuses rather than risk passing the cap.
REASON_CAP_WINDOW_EXPIRED: Final = "cap_window_expired"
REASON_SKILL_MAXED: Final = "skill_maxed"
REASON_MAX_BALANCE: Final = "max_balance_reached"
REASON_AWAITING_MANUAL: Final = "awaiting_manual_award"
REASON_ALREADY_TICKED: Final = "already_ticked"
REASON_LATE_EVENT: Final = "late_event"
REASON_MAX_STAGE: Final = "max_stage_reached"
REASON_NOT_CONFIGURED: Final = "not_configured"

# Per-rule award buckets are kept for this long behind the newest bucket of that rule.
# Bounded state: a buddy's counters do not grow with its age.
DAILY_WINDOW_DAYS: Final = 35
WEEKLY_WINDOW_WEEKS: Final = 10


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CustomerEvent:
    """A customer's product event, as the engine sees it."""

    event_id: str
    type: str
    user_id: str
    occurred_at: datetime
    properties: Mapping[str, Any] = field(default_factory=dict)
    audience: str | None = None

    def __post_init__(self) -> None:
        require_time_zone(self.occurred_at)

    @property
    def day(self) -> str:
        return utc_day(self.occurred_at)

    @property
    def week(self) -> str:
        return iso_week(self.occurred_at)


def require_time_zone(occurred_at: datetime) -> None:
    """Refuse a naive ``occurred_at``: its UTC day would be a guess."""
    if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
        raise DomainError(
            "validation_failed",
            "occurred_at must carry a time zone",
            {"fields": [{"field": "occurred_at", "reason": "must be timezone-aware"}]},
        )


@dataclass(frozen=True, kw_only=True)
class RuleCounter:
    """How much one rule awarded one buddy: all time, and per UTC day / ISO week bucket."""

    total_count: int = 0
    total_amount: int = 0
    daily: Mapping[str, int] = field(default_factory=dict)
    weekly: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_count": self.total_count,
            "total_amount": self.total_amount,
            "daily": {k: self.daily[k] for k in sorted(self.daily)},
            "weekly": {k: self.weekly[k] for k in sorted(self.weekly)},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleCounter:
        return cls(
            total_count=int(data.get("total_count", 0)),
            total_amount=int(data.get("total_amount", 0)),
            daily=dict(data.get("daily", {})),
            weekly=dict(data.get("weekly", {})),
        )


@dataclass(frozen=True, kw_only=True)
class ProgressState:
    """One buddy's progression, as a frozen snapshot the engine reads.

    Built from the ``Buddy`` (stage, skills, badges, counters, items, streaks) and its
    ``Ledger`` (coin and token balances, lifetime earnings): see ``Buddy.progress_state``.
    """

    stage: int = 1
    coins: int = 0
    coins_earned: int = 0
    tokens: Mapping[str, int] = field(default_factory=dict)
    tokens_earned: Mapping[str, int] = field(default_factory=dict)
    skills: Mapping[str, int] = field(default_factory=dict)
    badges: frozenset[str] = frozenset()
    event_counts: Mapping[str, int] = field(default_factory=dict)
    rule_counters: Mapping[str, RuleCounter] = field(default_factory=dict)
    owned_items: frozenset[str] = frozenset()
    streaks: Mapping[str, int] = field(default_factory=dict)
    streak_records: Mapping[str, StreakRecord] = field(default_factory=dict)
    # Custom badge conditions: ``CustomCondition.counter_key`` → events that matched it.
    condition_matches: Mapping[str, int] = field(default_factory=dict)

    def counter(self, rule_id: str) -> RuleCounter:
        return self.rule_counters.get(rule_id) or RuleCounter()

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "coins": self.coins,
            "coins_earned": self.coins_earned,
            "tokens": _sorted(self.tokens),
            "tokens_earned": _sorted(self.tokens_earned),
            "skills": _sorted(self.skills),
            "badges": sorted(self.badges),
            "event_counts": _sorted(self.event_counts),
            "rule_counters": {
                k: self.rule_counters[k].to_dict() for k in sorted(self.rule_counters)
            },
            "owned_items": sorted(self.owned_items),
            "streaks": _sorted(self.streaks),
            "streak_records": {
                k: self.streak_records[k].to_dict() for k in sorted(self.streak_records)
            },
            "condition_matches": _sorted(self.condition_matches),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProgressState:
        return cls(
            stage=int(data.get("stage", 1)),
            coins=int(data.get("coins", 0)),
            coins_earned=int(data.get("coins_earned", 0)),
            tokens=dict(data.get("tokens", {})),
            tokens_earned=dict(data.get("tokens_earned", {})),
            skills=dict(data.get("skills", {})),
            badges=frozenset(data.get("badges", ())),
            event_counts=dict(data.get("event_counts", {})),
            rule_counters={
                k: RuleCounter.from_dict(v) for k, v in data.get("rule_counters", {}).items()
            },
            owned_items=frozenset(data.get("owned_items", ())),
            streaks=dict(data.get("streaks", {})),
            streak_records={
                k: StreakRecord.from_dict(v) for k, v in data.get("streak_records", {}).items()
            },
            condition_matches=dict(data.get("condition_matches", {})),
        )


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------


class CoinCredit(NamedTuple):
    rule_id: str
    amount: int  # what was credited
    requested: int  # amount x multiplier, before the caps clipped it


class TokenCredit(NamedTuple):
    token_key: str
    amount: int
    rule_id: str


class SkillIncrement(NamedTuple):
    skill_key: str
    amount: int  # what was added, after clipping at max_value
    rule_id: str


class SkillLevelUp(NamedTuple):
    skill_key: str
    from_level: int
    to_level: int
    value: int


class BadgeAward(NamedTuple):
    badge_key: str
    coin_reward: int  # 0 when the badge has none
    token_rewards: tuple[tuple[str, int], ...] = ()  # (token key, amount), sorted by key

    def to_dict(self) -> dict[str, Any]:
        return {
            "badge_key": self.badge_key,
            "coin_reward": self.coin_reward,
            "token_rewards": dict(self.token_rewards),
        }


def badge_award(badge: BadgeDef) -> BadgeAward:
    """What awarding ``badge`` pays, however it is awarded (a rule, a milestone, a person)."""
    return BadgeAward(badge.key, badge.coin_reward or 0, tuple(sorted(badge.token_rewards.items())))


class StreakCredit(NamedTuple):
    """Coins or tokens a streak pays: ``reason`` ``tick`` (``ref`` the period) or
    ``milestone`` (``ref`` the count)."""

    streak_key: str
    reason: str
    ref: str
    currency: str
    amount: int


@dataclass(frozen=True, kw_only=True)
class Effects:
    """What one event does to one buddy. ``coins`` includes badge coin rewards."""

    coins: int = 0
    coin_credits: tuple[CoinCredit, ...] = ()
    token_credits: tuple[TokenCredit, ...] = ()
    skill_increments: tuple[SkillIncrement, ...] = ()
    skill_level_ups: tuple[SkillLevelUp, ...] = ()
    badges_awarded: tuple[BadgeAward, ...] = ()
    badges_ready: tuple[str, ...] = ()  # manual badges whose condition now holds
    streaks: tuple[StreakFact, ...] = ()  # ticks, freezes, burns and milestones, in order
    streak_credits: tuple[StreakCredit, ...] = ()
    evolution_ready: bool = False
    next_stage: int | None = None

    @property
    def badge_coins(self) -> int:
        return sum(b.coin_reward for b in self.badges_awarded)

    @property
    def token_deltas(self) -> list[tuple[str, int]]:
        """Every token movement: rule credits, streak milestone tokens, freezes spent."""
        deltas = [(t.token_key, t.amount) for t in self.token_credits]
        deltas += [(c.currency, c.amount) for c in self.streak_credits if c.currency != "coins"]
        deltas += [pair for b in self.badges_awarded for pair in b.token_rewards]
        return deltas + [(f.token_key, -1) for f in self.streaks if isinstance(f, StreakFreeze)]

    def tokens_by_key(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for key, amount in self.token_deltas:
            if amount > 0:
                totals[key] = totals.get(key, 0) + amount
        return totals

    def to_dict(self) -> dict[str, Any]:
        return {
            "coins": self.coins,
            "coin_credits": [c._asdict() for c in self.coin_credits],
            "tokens": [t._asdict() for t in self.token_credits],
            "skills": [s._asdict() for s in self.skill_increments],
            "skill_level_ups": [s._asdict() for s in self.skill_level_ups],
            "badges_awarded": [b.to_dict() for b in self.badges_awarded],
            "badges_ready": list(self.badges_ready),
            "streaks": [fact_dict(f) for f in self.streaks],
            "streak_credits": [c._asdict() for c in self.streak_credits],
            "evolution_ready": self.evolution_ready,
            "next_stage": self.next_stage,
        }


@dataclass(frozen=True, kw_only=True)
class TraceEntry:
    rule_id: str
    kind: str  # coin | skill | token | badge | streak | evolution
    fired: bool
    reason: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "kind": self.kind,
            "fired": self.fired,
            "reason": self.reason,
            **self.details,
        }


@dataclass(frozen=True, kw_only=True)
class Evaluation:
    """The engine's answer for one event and one buddy: effects plus the why of each rule.

    Carries the event's type and UTC day / ISO week so ``apply`` needs nothing else.
    """

    event_id: str
    event_type: str
    occurred_at: datetime
    day: str
    week: str
    effects: Effects
    trace: tuple[TraceEntry, ...]
    # The custom badge conditions (``counter_key``) the event matched, sorted.
    condition_matches: tuple[str, ...] = ()

    @property
    def rule_awards(self) -> tuple[tuple[str, int], ...]:
        """``(rule_id, amount)`` for every capped-rule award: what the counters record."""
        return tuple((c.rule_id, c.amount) for c in self.effects.coin_credits) + tuple(
            (t.rule_id, t.amount) for t in self.effects.token_credits
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "occurred_at": self.occurred_at.isoformat(),
            "day": self.day,
            "week": self.week,
            "effects": self.effects.to_dict(),
            "trace": [t.to_dict() for t in self.trace],
            "condition_matches": list(self.condition_matches),
        }


@dataclass(frozen=True, kw_only=True)
class EvolutionCheck:
    ready: bool
    next_stage: int | None
    reason: str
    unmet: tuple[Mapping[str, Any], ...] = ()


# --------------------------------------------------------------------------------------------
# Time buckets and counters (shared with the Buddy aggregate)
# --------------------------------------------------------------------------------------------


def utc_day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.astimezone(UTC).date().isocalendar()
    return f"{year}-W{week:02d}"


def _day_number(day: str) -> int:
    return date.fromisoformat(day).toordinal()


def _week_number(week: str) -> int:
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1).toordinal() // 7


def _window_expired(
    buckets: Mapping[str, int], key: str, number: Callable[[str], int], window: int
) -> bool:
    if not buckets or key in buckets:
        return False
    newest = max(number(k) for k in buckets)
    return number(key) < newest - window


def _pruned(
    buckets: Mapping[str, int], number: Callable[[str], int], window: int
) -> dict[str, int]:
    newest = max(number(k) for k in buckets)
    return {k: buckets[k] for k in sorted(buckets) if number(k) >= newest - window}


def record_award(counter: RuleCounter, day: str, week: str, amount: int) -> RuleCounter:
    """The counter after one more award of ``amount`` on ``day``/``week`` (old buckets pruned)."""
    daily = dict(counter.daily)
    daily[day] = daily.get(day, 0) + amount
    weekly = dict(counter.weekly)
    weekly[week] = weekly.get(week, 0) + amount
    return RuleCounter(
        total_count=counter.total_count + 1,
        total_amount=counter.total_amount + amount,
        daily=_pruned(daily, _day_number, DAILY_WINDOW_DAYS),
        weekly=_pruned(weekly, _week_number, WEEKLY_WINDOW_WEEKS),
    )


def count_event(counts: Mapping[str, int], event_type: str) -> dict[str, int]:
    updated = dict(counts)
    updated[event_type] = updated.get(event_type, 0) + 1
    return {k: updated[k] for k in sorted(updated)}


def _earned_only(deltas: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    return [(key, amount) for key, amount in deltas if amount > 0]


@dataclass
class _StreakPass:
    """What the streak step of one event decided, for every streak of the rulebook."""

    facts: list[StreakFact] = field(default_factory=list)
    credits: list[StreakCredit] = field(default_factory=list)
    badges: list[BadgeAward] = field(default_factory=list)
    records: dict[str, StreakRecord] = field(default_factory=dict)
    trace: list[TraceEntry] = field(default_factory=list)


def _tick_streaks(rulebook: Rulebook, state: ProgressState, event: CustomerEvent) -> _StreakPass:
    """Step 1: every streak the event ticks (sorted by key), its freezes, burns, milestones."""
    out = _StreakPass(records=dict(state.streak_records))
    tokens = dict(state.tokens)
    held = set(state.badges)
    for streak in sorted(rulebook.streaks, key=lambda d: d.key):
        if event.type not in streak.event_types:
            out.trace.append(
                _entry(streak.key, "streak", REASON_TYPE_MISMATCH, expected=streak.event_type)
            )
            continue
        if streak.audience is not None and event.audience != streak.audience:
            out.trace.append(
                _entry(
                    streak.key,
                    "streak",
                    REASON_AUDIENCE_MISMATCH,
                    expected=streak.audience,
                    actual=event.audience,
                )
            )
            continue
        freeze = streak.freeze_token_key
        outcome = streak_engine.tick(
            streak.key,
            streak.period,
            out.records.get(streak.key),
            event.occurred_at,
            milestones=[m.count for m in streak.milestones],
            freeze_token=freeze,
            tokens=tokens.get(freeze, 0) if freeze else 0,
        )
        if freeze and outcome.tokens_spent:
            tokens[freeze] = tokens.get(freeze, 0) - outcome.tokens_spent
        out.records[streak.key] = outcome.record
        out.facts.extend(outcome.facts)
        details = dict(outcome.details)
        frozen = [f.period for f in outcome.facts if isinstance(f, StreakFreeze)]
        burned = [f.period for f in outcome.facts if isinstance(f, StreakBurn)]
        reached = [f.count for f in outcome.facts if isinstance(f, StreakMilestone)]
        details.update(
            {"period_kind": streak.period}
            | ({"frozen": frozen} if frozen else {})
            | ({"burned": burned} if burned else {})
            | ({"milestones": reached} if reached else {})
        )
        fired = outcome.reason == REASON_FIRED
        out.trace.append(_entry(streak.key, "streak", outcome.reason, fired=fired, **details))
        for fact in outcome.facts:
            if isinstance(fact, StreakTick) and streak.tick_coins:
                out.credits.append(
                    StreakCredit(streak.key, "tick", fact.period, "coins", streak.tick_coins)
                )
            if isinstance(fact, StreakMilestone):
                milestone = streak.milestone(fact.count)
                assert milestone is not None  # the engine reached one of the definition's
                ref = str(fact.count)
                if milestone.coins:
                    out.credits.append(
                        StreakCredit(streak.key, "milestone", ref, "coins", milestone.coins)
                    )
                for token_key, amount in milestone.tokens.items():
                    out.credits.append(
                        StreakCredit(streak.key, "milestone", ref, token_key, amount)
                    )
                badge = milestone.badge_key
                if badge is not None and badge not in held:
                    held.add(badge)
                    badge_def = next(b for b in rulebook.badges if b.key == badge)
                    out.badges.append(badge_award(badge_def))
    return out


# --------------------------------------------------------------------------------------------
# Conditions
# --------------------------------------------------------------------------------------------


def _lookup(properties: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    if path in properties:
        return True, properties[path]
    current: Any = properties
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        else:
            return False, None
    return True, current


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(actual: object, expected: object) -> bool:
    """JSON equality: ``true`` is not ``1``, ``1`` is ``1.0``, ``"1"`` is not ``1``."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if _is_number(actual) and _is_number(expected):
        return actual == expected
    return type(actual) is type(expected) and actual == expected


def condition_holds(condition: Condition, properties: Mapping[str, Any]) -> tuple[bool, Any]:
    """Whether the condition holds, and the actual value it saw (``None`` when absent).

    A missing property fails every operator except ``neq`` (it is not equal to anything) and
    ``exists: false``. Ordering operators compare numbers only.
    """
    present, actual = _lookup(properties, condition.property)
    op, expected = condition.operator, condition.value
    if op == "exists":
        return (present and actual is not None) == expected, actual
    if op == "neq":
        return (not present or not _same(actual, expected)), actual
    if not present:
        return False, None
    if op == "eq":
        return _same(actual, expected), actual
    if op == "in":
        assert isinstance(expected, tuple)
        return any(_same(actual, v) for v in expected), actual
    if not (_is_number(actual) and _is_number(expected)):
        return False, actual
    a, e = float(actual), float(expected)  # type: ignore[arg-type]
    holds = {"gt": a > e, "gte": a >= e, "lt": a < e, "lte": a <= e}[op]
    return holds, actual


def _first_false(
    conditions: Sequence[Condition], properties: Mapping[str, Any]
) -> dict[str, Any] | None:
    for condition in conditions:
        holds, actual = condition_holds(condition, properties)
        if not holds:
            expected = condition.value
            return {
                "property": condition.property,
                "operator": condition.operator,
                "expected": list(expected) if isinstance(expected, tuple) else expected,
                "actual": actual,
            }
    return None


# --------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------


def _entry(
    rule_id: str, kind: str, reason: str, *, fired: bool = False, **details: Any
) -> TraceEntry:
    return TraceEntry(rule_id=rule_id, kind=kind, fired=fired, reason=reason, details=details)


def _capped(
    rule_id: str,
    kind: str,
    counter: RuleCounter,
    requested: int,
    day: str,
    week: str,
    daily_cap: int | None,
    weekly_cap: int | None,
) -> tuple[int, TraceEntry | None, dict[str, Any]]:
    """Clip ``requested`` to the room the daily and weekly caps leave; a refusal when none.

    The third value names the cap that clipped the award (``limited_by``, ``cap``, ``count``
    already awarded, ``bucket``) for the fired entry's trace, empty when none did: a caller
    reading the trace can then say "daily cap reached" for a partial award too.
    """
    awarded, clipped_by = requested, {}
    checks = (
        (daily_cap, counter.daily, day, _day_number, DAILY_WINDOW_DAYS, REASON_DAILY_CAP),
        (weekly_cap, counter.weekly, week, _week_number, WEEKLY_WINDOW_WEEKS, REASON_WEEKLY_CAP),
    )
    for cap, buckets, bucket, number, window, reason in checks:
        if cap is None:
            continue
        if _window_expired(buckets, bucket, number, window):
            return 0, _entry(rule_id, kind, REASON_CAP_WINDOW_EXPIRED, bucket=bucket), {}
        used = buckets.get(bucket, 0)
        if used >= cap:
            return 0, _entry(rule_id, kind, reason, cap=cap, count=used, bucket=bucket), {}
        if cap - used < awarded:
            awarded = cap - used
            clipped_by = {"limited_by": reason, "cap": cap, "count": used, "bucket": bucket}
    return awarded, None, clipped_by


def _unmatched(
    rule: CoinRule | SkillRule | TokenEarnRule, kind: str, event: CustomerEvent
) -> TraceEntry | None:
    """Why ``rule`` does not take ``event`` (another type, another audience, or the first
    property condition that does not hold) as its trace entry; ``None`` when it does."""
    if event.type != rule.event_type:
        return _entry(rule.id, kind, REASON_TYPE_MISMATCH, expected=rule.event_type)
    if rule.audience is not None and event.audience != rule.audience:
        return _entry(
            rule.id, kind, REASON_AUDIENCE_MISMATCH, expected=rule.audience, actual=event.audience
        )
    failed = _first_false(rule.conditions, event.properties)
    if failed is not None:
        return _entry(rule.id, kind, REASON_CONDITION_FALSE, **failed)
    return None


def _coin_rule(
    rule: CoinRule, state: ProgressState, event: CustomerEvent, day: str, week: str
) -> tuple[CoinCredit | None, TraceEntry]:
    unmatched = _unmatched(rule, "coin", event)
    if unmatched is not None:
        return None, unmatched
    counter = state.counter(rule.id)
    if rule.total_limit is not None and counter.total_count >= rule.total_limit:
        return None, _entry(
            rule.id, "coin", REASON_TOTAL_LIMIT, limit=rule.total_limit, count=counter.total_count
        )
    requested = rule.effective_amount
    awarded, refusal, clipped_by = _capped(
        rule.id, "coin", counter, requested, day, week, rule.daily_cap, rule.weekly_cap
    )
    if refusal is not None:
        return None, refusal
    return CoinCredit(rule.id, awarded, requested), _entry(
        rule.id,
        "coin",
        REASON_FIRED,
        fired=True,
        amount=awarded,
        requested=requested,
        clipped=awarded < requested,
        **clipped_by,
    )


def _skill_rule(
    rule: SkillRule, rulebook: Rulebook, skills: dict[str, int], event: CustomerEvent
) -> tuple[SkillIncrement | None, TraceEntry]:
    unmatched = _unmatched(rule, "skill", event)
    if unmatched is not None:
        return None, unmatched
    skill = rulebook.skill(rule.skill_key)
    assert skill is not None  # the rulebook validated the reference
    value = skills.get(skill.key, 0)
    added = min(rule.amount, skill.max_value - value)
    if added <= 0:
        return None, _entry(rule.id, "skill", REASON_SKILL_MAXED, max_value=skill.max_value)
    skills[skill.key] = value + added
    return SkillIncrement(skill.key, added, rule.id), _entry(
        rule.id, "skill", REASON_FIRED, fired=True, skill_key=skill.key, amount=added
    )


def _token_rule(
    rule: TokenEarnRule,
    token_key: str,
    max_balance: int | None,
    balances: dict[str, int],
    state: ProgressState,
    event: CustomerEvent,
    day: str,
    week: str,
) -> tuple[TokenCredit | None, TraceEntry]:
    unmatched = _unmatched(rule, "token", event)
    if unmatched is not None:
        return None, unmatched
    awarded, refusal, clipped_by = _capped(
        rule.id, "token", state.counter(rule.id), rule.amount, day, week, None, rule.weekly_cap
    )
    if refusal is not None:
        return None, refusal
    balance = balances.get(token_key, 0)
    if max_balance is not None:
        if balance >= max_balance:
            return None, _entry(
                rule.id, "token", REASON_MAX_BALANCE, max_balance=max_balance, balance=balance
            )
        awarded = min(awarded, max_balance - balance)
    balances[token_key] = balance + awarded
    return TokenCredit(token_key, awarded, rule.id), _entry(
        rule.id,
        "token",
        REASON_FIRED,
        fired=True,
        token_key=token_key,
        amount=awarded,
        requested=rule.amount,
        clipped=awarded < rule.amount,
        **clipped_by,
    )


def _skill_level(rulebook: Rulebook, state: ProgressState, skill_key: str) -> int:
    skill = rulebook.skill(skill_key)
    return skill.level_for(state.skills.get(skill_key, 0)) if skill else 0


def badge_condition_holds(
    condition: BadgeCondition, rulebook: Rulebook, state: ProgressState
) -> tuple[bool, dict[str, Any]]:
    """Whether a badge condition holds on ``state``, with ``required``/``actual`` for the trace."""
    required: Any
    actual: Any
    if isinstance(condition, MilestoneCondition):
        required, actual = condition.count, state.event_counts.get(condition.event_type, 0)
        holds = actual >= required
    elif isinstance(condition, CoinThresholdCondition):
        required, actual = condition.coins, state.coins_earned
        holds = actual >= required
    elif isinstance(condition, SkillLevelCondition):
        required, actual = condition.level, _skill_level(rulebook, state, condition.skill_key)
        holds = actual >= required
    elif isinstance(condition, StageCondition):
        required, actual = condition.stage, state.stage
        holds = actual >= required
    elif isinstance(condition, CollectionCondition):
        required = list(condition.item_ids)
        actual = sorted(state.owned_items.intersection(condition.item_ids))
        holds = len(actual) == len(required)
    elif isinstance(condition, CustomCondition):
        required = condition.count
        actual = state.condition_matches.get(condition.counter_key, 0)
        holds = actual >= required
        traced = {"condition": condition.kind, "required": required, "actual": actual}
        return holds, traced | {"event_type": condition.event_type}
    else:
        assert isinstance(condition, StreakCondition)
        required, actual = condition.days, state.streaks.get(condition.streak_key, 0)
        holds = actual >= required
    return holds, {"condition": condition.kind, "required": required, "actual": actual}


def check_evolution(rulebook: Rulebook, state: ProgressState) -> EvolutionCheck:
    """Is the buddy ready for its next stage? Every condition of that stage must hold."""
    if state.stage >= MAX_STAGE:
        return EvolutionCheck(ready=False, next_stage=None, reason=REASON_MAX_STAGE)
    next_stage = state.stage + 1
    stage = rulebook.evolution.stage(next_stage)
    if stage is None:
        return EvolutionCheck(ready=False, next_stage=None, reason=REASON_NOT_CONFIGURED)
    wanted = stage.conditions
    unmet: list[dict[str, Any]] = []
    if wanted.min_progression_tokens is not None:
        key = rulebook.token_config.progression.token_key
        have = state.tokens.get(key, 0)
        if have < wanted.min_progression_tokens:
            unmet.append(
                {
                    "condition": "min_progression_tokens",
                    "required": wanted.min_progression_tokens,
                    "actual": have,
                }
            )
    for skill_key in sorted(wanted.min_skill_levels):
        level = _skill_level(rulebook, state, skill_key)
        if level < wanted.min_skill_levels[skill_key]:
            unmet.append(
                {
                    "condition": "min_skill_levels",
                    "skill_key": skill_key,
                    "required": wanted.min_skill_levels[skill_key],
                    "actual": level,
                }
            )
    missing = sorted(set(wanted.badges) - state.badges)
    if missing:
        unmet.append({"condition": "badges", "required": list(wanted.badges), "missing": missing})
    if wanted.min_coins_earned is not None and state.coins_earned < wanted.min_coins_earned:
        unmet.append(
            {
                "condition": "min_coins_earned",
                "required": wanted.min_coins_earned,
                "actual": state.coins_earned,
            }
        )
    if unmet:
        return EvolutionCheck(
            ready=False, next_stage=next_stage, reason=REASON_CONDITION_FALSE, unmet=tuple(unmet)
        )
    return EvolutionCheck(ready=True, next_stage=next_stage, reason=REASON_FIRED)


def _award_badges(
    rulebook: Rulebook, state: ProgressState
) -> tuple[ProgressState, list[BadgeAward], list[str], list[TraceEntry]]:
    """Award every auto badge whose condition holds, until a pass awards nothing new."""
    held_before = state.badges
    awarded: list[BadgeAward] = []
    badges = sorted(rulebook.badges, key=lambda b: b.key)
    progress = True
    while progress:
        progress = False
        for badge in badges:
            if badge.key in state.badges or not badge.auto_award:
                continue
            holds, _ = badge_condition_holds(badge.condition, rulebook, state)
            if holds:
                award = badge_award(badge)
                awarded.append(award)
                state = replace(
                    state,
                    badges=state.badges | {badge.key},
                    coins=state.coins + award.coin_reward,
                    coins_earned=state.coins_earned + award.coin_reward,
                    tokens=_add(state.tokens, award.token_rewards),
                    tokens_earned=_add(state.tokens_earned, award.token_rewards),
                )
                progress = True
    awarded.sort()
    by_key = {a.badge_key: a for a in awarded}
    ready: list[str] = []
    trace: list[TraceEntry] = []
    for badge in badges:
        if badge.key in held_before:
            trace.append(_entry(badge.key, "badge", REASON_ALREADY_AWARDED))
        elif badge.key in by_key:
            award = by_key[badge.key]
            rewards = {"token_rewards": dict(award.token_rewards)} if award.token_rewards else {}
            trace.append(
                _entry(
                    badge.key,
                    "badge",
                    REASON_FIRED,
                    fired=True,
                    coin_reward=award.coin_reward,
                    **rewards,
                )
            )
        else:
            holds, details = badge_condition_holds(badge.condition, rulebook, state)
            if holds:  # only manual badges get here
                ready.append(badge.key)
                trace.append(_entry(badge.key, "badge", REASON_AWAITING_MANUAL, **details))
            else:
                trace.append(_entry(badge.key, "badge", REASON_CONDITION_FALSE, **details))
    return state, awarded, ready, trace


@dataclass(frozen=True, kw_only=True)
class Settlement:
    """What a buddy's state owes it: the auto badges whose condition holds and are not held
    yet (with their coin rewards), the manual ones now ready, and the next stage's readiness
    on the state after those badges. ``trace`` has one entry per badge, then the evolution's.
    """

    state: ProgressState
    badges_awarded: tuple[BadgeAward, ...]
    badges_ready: tuple[str, ...]
    evolution: EvolutionCheck
    trace: tuple[TraceEntry, ...]

    @property
    def badge_coins(self) -> int:
        return sum(b.coin_reward for b in self.badges_awarded)


def settle(rulebook: Rulebook, state: ProgressState) -> Settlement:
    """Badges and evolution readiness for ``state``: the last steps of ``evaluate``, and what
    every other change of a buddy's state (an evolve, an override, a purchase, a migration)
    runs too, so a badge whose condition holds is awarded by the change that made it hold."""
    final, awarded, ready, trace = _award_badges(rulebook, state)
    evolution = check_evolution(rulebook, final)
    trace.append(
        _entry(
            "evolution",
            "evolution",
            evolution.reason,
            fired=evolution.ready,
            stage=final.stage,
            next_stage=evolution.next_stage,
            **({"unmet": list(evolution.unmet)} if evolution.unmet else {}),
        )
    )
    return Settlement(
        state=final,
        badges_awarded=tuple(awarded),
        badges_ready=tuple(ready),
        evolution=evolution,
        trace=tuple(trace),
    )


def _add(totals: Mapping[str, int], deltas: Iterable[tuple[str, int]]) -> dict[str, int]:
    out = dict(totals)
    for key, amount in deltas:
        out[key] = out.get(key, 0) + amount
    return {k: out[k] for k in sorted(out)}


def evaluate(rulebook: Rulebook, state: ProgressState, event: CustomerEvent) -> Evaluation:
    """What ``event`` does to the buddy in ``state`` under ``rulebook``, and why."""
    day, week = event.day, event.week
    trace: list[TraceEntry] = []

    streak_pass = _tick_streaks(rulebook, state, event)
    trace.extend(streak_pass.trace)

    coin_credits: list[CoinCredit] = []
    for rule in sorted(rulebook.coin_rules, key=lambda r: r.id):
        credit, entry = _coin_rule(rule, state, event, day, week)
        trace.append(entry)
        if credit is not None:
            coin_credits.append(credit)

    skills = dict(state.skills)
    increments: list[SkillIncrement] = []
    for skill_rule in sorted(rulebook.skill_rules, key=lambda r: r.id):
        increment, entry = _skill_rule(skill_rule, rulebook, skills, event)
        trace.append(entry)
        if increment is not None:
            increments.append(increment)

    balances = dict(state.tokens)
    token_credits: list[TokenCredit] = []
    tokens = rulebook.token_config
    for slot, max_balance in (
        (tokens.primary, tokens.primary.max_balance),
        (tokens.progression, None),
    ):
        for token_rule in sorted(slot.earn_rules, key=lambda r: r.id):
            credit_t, entry = _token_rule(
                token_rule, slot.token_key, max_balance, balances, state, event, day, week
            )
            trace.append(entry)
            if credit_t is not None:
                token_credits.append(credit_t)

    streak_coins = sum(c.amount for c in streak_pass.credits if c.currency == "coins")
    streak_badges = streak_pass.badges
    badge_coins = sum(b.coin_reward for b in streak_badges)
    rule_coins = sum(c.amount for c in coin_credits) + streak_coins + badge_coins
    token_deltas = Effects(
        token_credits=tuple(token_credits),
        badges_awarded=tuple(streak_badges),
        streaks=tuple(streak_pass.facts),
        streak_credits=tuple(streak_pass.credits),
    ).token_deltas
    matches = matched_conditions(rulebook, state, event)
    records = streak_pass.records
    interim = replace(
        state,
        coins=state.coins + rule_coins,
        coins_earned=state.coins_earned + rule_coins,
        tokens=_add(state.tokens, token_deltas),
        tokens_earned=_add(state.tokens_earned, _earned_only(token_deltas)),
        skills={k: skills[k] for k in sorted(skills)},
        badges=state.badges | {b.badge_key for b in streak_badges},
        event_counts=count_event(state.event_counts, event.type),
        streaks=_streak_counts(state.streaks, records),
        streak_records=_sorted(records),
        condition_matches=count_matches(state.condition_matches, matches),
    )
    settled = settle(rulebook, interim)
    final, ready, evolution = settled.state, settled.badges_ready, settled.evolution
    awarded = tuple(sorted([*streak_badges, *settled.badges_awarded]))
    by_milestone = {b.badge_key for b in streak_badges}
    trace.extend(
        _entry(t.rule_id, "badge", REASON_FIRED, fired=True, source="streak_milestone")
        if t.kind == "badge" and t.rule_id in by_milestone
        else t
        for t in settled.trace
    )

    level_ups: list[SkillLevelUp] = []
    for skill_key in sorted({i.skill_key for i in increments}):
        before = _skill_level(rulebook, state, skill_key)
        after = _skill_level(rulebook, final, skill_key)
        if after > before:
            level_ups.append(SkillLevelUp(skill_key, before, after, final.skills[skill_key]))

    effects = Effects(
        coins=rule_coins + settled.badge_coins,
        coin_credits=tuple(coin_credits),
        token_credits=tuple(token_credits),
        skill_increments=tuple(increments),
        skill_level_ups=tuple(level_ups),
        badges_awarded=awarded,
        badges_ready=tuple(ready),
        streaks=tuple(streak_pass.facts),
        streak_credits=tuple(streak_pass.credits),
        evolution_ready=evolution.ready,
        next_stage=evolution.next_stage if evolution.ready else None,
    )
    return Evaluation(
        event_id=event.event_id,
        event_type=event.type,
        occurred_at=event.occurred_at,
        day=day,
        week=week,
        effects=effects,
        trace=tuple(trace),
        condition_matches=matches,
    )


def matched_conditions(
    rulebook: Rulebook, state: ProgressState, event: CustomerEvent
) -> tuple[str, ...]:
    """The custom conditions (``counter_key``) of the badges not held yet that ``event``
    satisfies: its type, and every property filter."""
    keys = {
        badge.condition.counter_key
        for badge in rulebook.badges
        if isinstance(badge.condition, CustomCondition)
        and badge.key not in state.badges
        and badge.condition.event_type == event.type
        and _first_false(badge.condition.conditions, event.properties) is None
    }
    return tuple(sorted(keys))


def count_matches(counts: Mapping[str, int], matched: Iterable[str]) -> dict[str, int]:
    """The match counters once each of ``matched`` matched one more event."""
    updated = dict(counts)
    for key in matched:
        updated[key] = updated.get(key, 0) + 1
    return _sorted(updated)


def apply(state: ProgressState, evaluation: Evaluation) -> ProgressState:
    """The state after ``evaluation``'s effects: coins, tokens, skills, badges, counters, streak.

    The stage does not change here: evolving is an explicit, separate step.
    """
    e = evaluation.effects
    counters = dict(state.rule_counters)
    for rule_id, amount in evaluation.rule_awards:
        counters[rule_id] = record_award(
            counters.get(rule_id) or RuleCounter(), evaluation.day, evaluation.week, amount
        )
    token_deltas = e.token_deltas
    records = apply_streak_facts(state.streak_records, e.streaks)
    return replace(
        state,
        coins=state.coins + e.coins,
        coins_earned=state.coins_earned + e.coins,
        tokens=_add(state.tokens, token_deltas),
        tokens_earned=_add(state.tokens_earned, _earned_only(token_deltas)),
        skills=_add(state.skills, ((s.skill_key, s.amount) for s in e.skill_increments)),
        badges=state.badges | {b.badge_key for b in e.badges_awarded},
        event_counts=count_event(state.event_counts, evaluation.event_type),
        rule_counters={k: counters[k] for k in sorted(counters)},
        streaks=_streak_counts(state.streaks, records),
        streak_records=records,
        condition_matches=count_matches(state.condition_matches, evaluation.condition_matches),
    )


def apply_streak_facts(
    records: Mapping[str, StreakRecord], facts: Iterable[StreakFact], period: str | None = None
) -> dict[str, StreakRecord]:
    """The streak records once ``facts`` happened (the engine, ``apply`` and the sweep)."""
    updated = dict(records)
    for fact in facts:
        record = updated.get(fact.streak_key)
        if record is None:
            kind = period or _period_of(fact)
            record = StreakRecord(kind)
        updated[fact.streak_key] = record.after(fact)
    return _sorted(updated)


def _period_of(fact: StreakFact) -> str:
    label = getattr(fact, "period", "")
    return "weekly" if "-W" in label else "monthly" if len(label) == 7 else "daily"


def _streak_counts(
    counts: Mapping[str, int], records: Mapping[str, StreakRecord]
) -> dict[str, int]:
    """The ``streaks`` counter map (what streak badges read): every record's count."""
    return _sorted({**counts, **{k: r.count for k, r in records.items()}})


@dataclass(frozen=True, kw_only=True)
class StreakSweep:
    """What a sweep at one instant does to one buddy's streaks: freezes and burns."""

    facts: tuple[StreakFact, ...]
    state: ProgressState

    @property
    def freezes(self) -> tuple[StreakFreeze, ...]:
        return tuple(f for f in self.facts if isinstance(f, StreakFreeze))


def sweep_streaks(rulebook: Rulebook, state: ProgressState, now: datetime) -> StreakSweep:
    """Freeze or burn every streak whose period ended at ``now`` without a tick; a streak the
    rulebook no longer defines, or whose period changed, is left alone."""
    facts: list[StreakFact] = []
    tokens = dict(state.tokens)
    records = dict(state.streak_records)
    for streak in sorted(rulebook.streaks, key=lambda d: d.key):
        record = records.get(streak.key)
        if record is None or record.period != streak.period:
            continue
        freeze = streak.freeze_token_key
        outcome = streak_engine.sweep(
            streak.key,
            record,
            now,
            freeze_token=freeze,
            tokens=tokens.get(freeze, 0) if freeze else 0,
        )
        if freeze and outcome.tokens_spent:
            tokens[freeze] = tokens.get(freeze, 0) - outcome.tokens_spent
        records[streak.key] = outcome.record
        facts.extend(outcome.facts)
    swept = replace(
        state,
        tokens=_sorted(tokens),
        streaks=_streak_counts(state.streaks, records),
        streak_records=_sorted(records),
    )
    return StreakSweep(facts=tuple(facts), state=swept)


def _sorted(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: mapping[k] for k in sorted(mapping)}


def fold(
    rulebook: Rulebook, state: ProgressState, events: Iterable[CustomerEvent]
) -> tuple[ProgressState, list[Evaluation]]:
    """Evaluate and apply ``events`` in order: replay and what-if in one call."""
    evaluations: list[Evaluation] = []
    for event in events:
        evaluation = evaluate(rulebook, state, event)
        state = apply(state, evaluation)
        evaluations.append(evaluation)
    return state, evaluations

"""Plain-language answers to "why didn't this event produce a reward?".

The rule engine (``domain/ingestion/rules.py``) leaves one trace entry per rule, per buddy, with a
reason code and the numbers behind it (the cap and the count, the condition and the value it
saw). ``explain`` turns one entry into one sentence a support person can read out; the other
functions cover what is not in a rule's trace: an event no buddy received, a buddy still
pinned to an older config version than the published one, and a repeat of an ``event_id``.

Pure functions of their arguments: the same trace always reads the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from domain.ingestion.rules import (
    DAILY_WINDOW_DAYS,
    REASON_ALREADY_AWARDED,
    REASON_ALREADY_TICKED,
    REASON_AUDIENCE_MISMATCH,
    REASON_AWAITING_MANUAL,
    REASON_CAP_WINDOW_EXPIRED,
    REASON_CONDITION_FALSE,
    REASON_DAILY_CAP,
    REASON_FIRED,
    REASON_LATE_EVENT,
    REASON_MAX_BALANCE,
    REASON_MAX_STAGE,
    REASON_NOT_CONFIGURED,
    REASON_SKILL_MAXED,
    REASON_TOTAL_LIMIT,
    REASON_TYPE_MISMATCH,
    REASON_WEEKLY_CAP,
    WEEKLY_WINDOW_WEEKS,
)
from domain.ingestion.warnings import REASON_NOT_REGISTERED

REASON_NO_ACTIVE_BUDDY: Final = "no_active_buddy"
REASON_DUPLICATE: Final = "duplicate"
REASON_PINNED: Final = "pinned_to_older_version"

_OPERATORS: Final = {
    "eq": "equal to",
    "neq": "not equal to",
    "gt": "greater than",
    "gte": "at least",
    "lt": "less than",
    "lte": "at most",
    "in": "one of",
}
_RULE_NAMES: Final = {
    "coin": "coin rule",
    "skill": "skill rule",
    "token": "token rule",
    "badge": "badge",
    "streak": "streak",
    "evolution": "evolution",
}


@dataclass(frozen=True, kw_only=True)
class PinnedVersion:
    """A buddy evaluated under one config version while another one is published."""

    buddy_id: str
    pinned_id: str
    pinned_number: int | None
    published_id: str
    published_number: int | None


def explain(entry: Mapping[str, Any], *, event_type: str) -> str:
    """One sentence for one trace entry of an event of type ``event_type``."""
    reason = entry.get("reason")
    kind = str(entry.get("kind", ""))
    rule = f"{_RULE_NAMES.get(kind, kind or 'rule')} {entry.get('rule_id', '')}".strip()
    if reason == REASON_NO_ACTIVE_BUDDY:
        return no_active_buddy()
    if reason == REASON_DUPLICATE or reason == "duplicate_event":
        return duplicate(None)
    if reason == REASON_NOT_REGISTERED:
        hint = entry.get("suggestion")
        return f"The event type {entry.get('type')} is not registered in the published config" + (
            f"; did you mean {hint}?" if hint else "."
        )
    if kind == "evolution":
        return _evolution(entry)
    if reason == REASON_FIRED:
        return _fired(rule, kind, entry)
    if reason == REASON_TYPE_MISMATCH:
        return f"{rule} listens for {entry.get('expected')} events; this one is {event_type}."
    if reason == REASON_CONDITION_FALSE:
        if kind == "badge":
            return f"{rule} is not earned yet: it needs {_badge_condition(entry)}."
        return f"{rule} did not fire: {_condition(entry)}."
    if reason == REASON_AUDIENCE_MISMATCH:
        sent = entry.get("actual")
        sent_for = f"the audience {sent}" if sent else "no audience"
        return f"{rule} only counts events for the audience {entry.get('expected')}; this one was sent for {sent_for}."
    if reason in (REASON_DAILY_CAP, REASON_WEEKLY_CAP):
        return (
            f"{rule} reached its {'daily' if reason == REASON_DAILY_CAP else 'weekly'} cap: "
            f"{entry.get('count')} of {entry.get('cap')} already awarded {_cap_period(entry)}."
        )
    if reason == REASON_TOTAL_LIMIT:
        return (
            f"{rule} may reward a buddy at most {_times(entry.get('limit'))} and already did "
            f"{_times(entry.get('count'))}."
        )
    if reason == REASON_CAP_WINDOW_EXPIRED:
        return (
            f"{rule} has a cap, and the event is dated in {entry.get('bucket')}, older than "
            f"the {DAILY_WINDOW_DAYS} days / {WEEKLY_WINDOW_WEEKS} weeks of counts kept: the cap "
            "cannot be checked, so nothing was awarded."
        )
    if reason == REASON_SKILL_MAXED:
        return (
            f"{rule} did not fire: the skill is already at its maximum of {entry.get('max_value')}."
        )
    if reason == REASON_MAX_BALANCE:
        return (
            f"{rule} did not fire: the balance of {entry.get('balance')} is at the maximum of "
            f"{entry.get('max_balance')}."
        )
    if reason == REASON_ALREADY_AWARDED:
        return f"{rule} was not awarded again: the buddy already holds it."
    if reason == REASON_AWAITING_MANUAL:
        return (
            f"{rule}: the condition holds, but this badge is awarded by hand "
            "(POST /buddies/{buddy_id}/badges)."
        )
    if reason == REASON_ALREADY_TICKED:
        return (
            f"{rule} already counted {_period(entry)} (one tick per {_period_name(entry)}); "
            f"it stays at {_periods(entry, entry.get('count'))}."
        )
    if reason == REASON_LATE_EVENT:
        return (
            f"{rule} did not tick: the event is dated {_period(entry)}, too long before the "
            f"last counted {_period_name(entry)} {entry.get('last_period', entry.get('last_day'))}."
        )
    return f"{rule} did not fire ({reason})."


def explain_trace(trace: Sequence[Mapping[str, Any]], *, event_type: str) -> list[dict[str, Any]]:
    """Every trace entry with its sentence, in trace order (buddy by buddy, rule by rule)."""
    explained = []
    for entry in trace:
        line = {
            "rule_id": entry.get("rule_id"),
            "kind": entry.get("kind"),
            "fired": bool(entry.get("fired")),
            "reason": entry.get("reason"),
            "message": explain(entry, event_type=event_type),
        }
        if "buddy_id" in entry:
            line = {"buddy_id": entry["buddy_id"], **line}
        explained.append(line)
    return explained


def explain_pin(pin: PinnedVersion) -> dict[str, Any]:
    """The buddy was evaluated under ``pin.pinned`` while ``pin.published`` is live."""
    pinned = _version(pin.pinned_id, pin.pinned_number)
    published = _version(pin.published_id, pin.published_number)
    return {
        "buddy_id": pin.buddy_id,
        "rule_id": None,
        "kind": "config",
        "fired": False,
        "reason": REASON_PINNED,
        "message": (
            f"buddy {pin.buddy_id} is pinned to {pinned}, not to the published {published}: "
            "rules added or changed since do not apply to it until it is migrated "
            f"(POST /config-versions/{pin.published_id}/migrate-buddies)."
        ),
    }


def no_active_buddy() -> str:
    return (
        "No active buddy received this event: the user has none yet (hatch an egg first), or "
        "the buddy it named is archived. The event was stored and counted; it rewarded nothing."
    )


def duplicate(event_id: str | None) -> str:
    subject = f"event_id {event_id}" if event_id else "this event_id"
    return (
        f"Sending {subject} again changes nothing: a repeat is answered with these original "
        'effects and "duplicate": true.'
    )


def explain_duplicate(event_id: str) -> dict[str, Any]:
    return {
        "rule_id": None,
        "kind": "event",
        "fired": False,
        "reason": REASON_DUPLICATE,
        "message": duplicate(event_id),
    }


# -- pieces ----------------------------------------------------------------------------------


def _fired(rule: str, kind: str, entry: Mapping[str, Any]) -> str:
    clipped = f" ({entry.get('requested')} before a cap clipped it)" if entry.get("clipped") else ""
    if kind == "coin":
        return f"{rule} awarded {_coins(entry.get('amount'))}{clipped}."
    if kind == "token":
        return f"{rule} awarded {entry.get('amount')} {entry.get('token_key')}{clipped}."
    if kind == "skill":
        return f"{rule} added {entry.get('amount')} to the skill {entry.get('skill_key')}."
    if kind == "badge":
        reward = entry.get("coin_reward") or 0
        paid = [_coins(reward)] if reward else []
        tokens = entry.get("token_rewards") or {}
        paid += [f"{tokens[key]} {key}" for key in sorted(tokens)]
        bonus = f", with {' and '.join(paid)}" if paid else ""
        return f"{rule} was awarded{bonus}."
    if kind == "streak":
        return _streak_ticked(rule, entry)
    return f"{rule} fired."


def _period(entry: Mapping[str, Any]) -> Any:
    return entry.get("period", entry.get("day"))


def _period_name(entry: Mapping[str, Any]) -> str:
    return {"weekly": "ISO week", "monthly": "month"}.get(str(entry.get("period_kind")), "UTC day")


def _periods(entry: Mapping[str, Any], count: Any) -> str:
    unit = {"weekly": "week", "monthly": "month"}.get(str(entry.get("period_kind")))
    if unit is None:
        return _days(count)
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def _streak_ticked(rule: str, entry: Mapping[str, Any]) -> str:
    """A tick, and what happened to the missed periods before it (frozen, burned)."""
    name = _period_name(entry)
    parts = []
    if entry.get("frozen"):
        parts.append(f"freeze tokens kept the missed {name}s {', '.join(entry['frozen'])}")
    if entry.get("burned"):
        parts.append(
            f"the streak burned: {', '.join(entry['burned'])} was missed and no freeze token was "
            "left"
        )
    before = " ".join(p[0].upper() + p[1:] + "." for p in parts)
    late = (
        " The event is dated before the last counted period, so it counted in its own."
        if entry.get("late")
        else ""
    )
    restarted = " It started again." if entry.get("reset") else ""
    reached = entry.get("milestones") or []
    milestone = f" Milestone reached: {', '.join(str(m) for m in reached)}." if reached else ""
    ticked = f"{rule} ticked for {_period(entry)}: {_periods(entry, entry.get('count'))} in a row."
    return " ".join(p for p in (before, ticked) if p) + late + restarted + milestone


def _evolution(entry: Mapping[str, Any]) -> str:
    reason = entry.get("reason")
    if reason == REASON_FIRED:
        return f"The buddy became ready to evolve to stage {entry.get('next_stage')}."
    if reason == REASON_MAX_STAGE:
        return f"The buddy is at stage {entry.get('stage')}, the last one: there is no next stage."
    if reason == REASON_NOT_CONFIGURED:
        return f"The buddy is at stage {entry.get('stage')} and its rulebook defines no next stage."
    unmet = [_unmet(u) for u in entry.get("unmet", ())]
    needs = "; ".join(unmet) if unmet else "conditions that do not hold yet"
    return f"The buddy is not ready for stage {entry.get('next_stage')} yet: it needs {needs}."


def _unmet(item: Mapping[str, Any]) -> str:
    condition = item.get("condition")
    if condition == "min_progression_tokens":
        return f"{item.get('required')} progression tokens (has {item.get('actual')})"
    if condition == "min_skill_levels":
        return (
            f"{item.get('skill_key')} at level {item.get('required')} (is at {item.get('actual')})"
        )
    if condition == "badges":
        return f"the badges {', '.join(item.get('missing', ()))}"
    if condition == "min_coins_earned":
        return f"{item.get('required')} coins earned in total (has {item.get('actual')})"
    return f"{condition}: {item.get('required')} (has {item.get('actual')})"


def _condition(entry: Mapping[str, Any]) -> str:
    prop, op = entry.get("property"), entry.get("operator")
    expected, actual = entry.get("expected"), entry.get("actual")
    if op == "exists":
        if expected is False:
            return f"it needs {prop} to be absent, and the event has {prop} = {_value(actual)}"
        return f"it needs the property {prop}, and the event has none"
    wanted = f"it needs {prop} {_OPERATORS.get(str(op), str(op))} {_value(expected)}"
    if actual is None:
        return f"{wanted}, and the event has no {prop}"
    return f"{wanted}, and the event has {prop} = {_value(actual)}"


def _badge_condition(entry: Mapping[str, Any]) -> str:
    condition, required, actual = entry.get("condition"), entry.get("required"), entry.get("actual")
    if condition == "milestone":
        return f"{required} events of its type, and the buddy has {actual}"
    if condition == "coin_threshold":
        return f"{required} coins earned in total, and the buddy has earned {actual}"
    if condition == "skill_level":
        return f"skill level {required}, and the buddy is at level {actual}"
    if condition == "stage":
        return f"stage {required}, and the buddy is at stage {actual}"
    if condition == "collection":
        owned = ", ".join(actual or ()) or "none of them"
        return f"the items {', '.join(required or ())}, and the buddy owns {owned}"
    if condition == "streak":
        return f"a {required}-day streak, and the buddy is at {_days(actual)}"
    if condition == "custom":
        kind = entry.get("event_type")
        return (
            f"{required} {kind} events whose properties meet its conditions, "
            f"and the buddy has {actual}"
        )
    return f"{condition} {required}, and the buddy has {actual}"


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _version(config_version_id: str, number: int | None) -> str:
    return f"version {number} ({config_version_id})" if number else config_version_id


def _coins(amount: Any) -> str:
    return f"{amount} coin" if amount == 1 else f"{amount} coins"


def _times(count: Any) -> str:
    return "once" if count == 1 else f"{count} times"


def _cap_period(entry: Mapping[str, Any]) -> str:
    """The day or week a cap counted: the event's own (a late event's is not today's).

    Traces recorded before the bucket was kept name only the period.
    """
    daily = entry.get("reason") == REASON_DAILY_CAP
    bucket = entry.get("bucket")
    if bucket is None:
        return "today (UTC day)" if daily else "this ISO week (UTC)"
    if daily:
        return f"on {bucket}, the UTC day the event is dated"
    return f"in {bucket}, the ISO week the event is dated"


def _days(count: Any) -> str:
    return f"{count} day" if count == 1 else f"{count} days"

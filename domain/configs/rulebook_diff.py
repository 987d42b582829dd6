"""Plain-language differences between two rulebooks, for the publish impact summary.

``describe_changes(before, after)`` returns one short line per change, section by section:
``lesson_completed coins: 10 → 25``, ``new badge: scholar``, ``removed coin rule: x``.
The lines are for people (the dashboard's publish modal), not for programs to parse; items
are matched by their identity (rule id, badge key, skill key, item id, stage number).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from domain.configs.rulebook import Rulebook

Doc = dict[str, Any]
Describe = Callable[[str, str, Doc, Doc], list[str]]


def describe_changes(before: Rulebook, after: Rulebook) -> list[str]:
    """Every difference from ``before`` to ``after``; empty when they are equal."""
    old, new = before.to_dict(), after.to_dict()
    lines = _listed("event type", before.event_types, after.event_types)
    lines += _keyed("skill", "key", old["skills"], new["skills"], _field_changes)
    lines += _keyed("coin rule", "id", old["coin_rules"], new["coin_rules"], _amount_changes)
    lines += _keyed("skill rule", "id", old["skill_rules"], new["skill_rules"], _amount_changes)
    lines += _token_changes(old["token_config"], new["token_config"])
    lines += _keyed("badge", "key", old["badges"], new["badges"], _field_changes)
    lines += _streak_changes(old["streaks"], new["streaks"])
    lines += _evolution_changes(old["evolution"], new["evolution"])
    lines += _keyed("item", "item_id", old["items"], new["items"], _field_changes)
    lines += _keyed("marketplace", "id", old["marketplaces"], new["marketplaces"], _field_changes)
    lines += _keyed(
        "skill decay rule", "id", old["decay_rules"], new["decay_rules"], _field_changes
    )
    return lines


def _listed(kind: str, old: Sequence[str], new: Sequence[str]) -> list[str]:
    added = [f"new {kind}: {value}" for value in new if value not in old]
    return added + [f"removed {kind}: {value}" for value in old if value not in new]


def _keyed(
    kind: str, key: str, old: Sequence[Doc], new: Sequence[Doc], describe: Describe
) -> list[str]:
    before = {str(entry[key]): entry for entry in old}
    after = {str(entry[key]): entry for entry in new}
    lines = [f"new {kind}: {name}" for name in after if name not in before]
    lines += [f"removed {kind}: {name}" for name in before if name not in after]
    for name, entry in after.items():
        if name in before and before[name] != entry:
            lines += describe(kind, name, before[name], entry)
    return lines


def _field_changes(kind: str, name: str, old: Doc, new: Doc) -> list[str]:
    return [
        f"{kind} {name}: {field.replace('_', ' ')} {_text(field, old.get(field))} → "
        f"{_text(field, value)}"
        for field, value in new.items()
        if old.get(field) != value
    ]


def _amount_changes(kind: str, name: str, old: Doc, new: Doc) -> list[str]:
    """Rules: the amount reads like the seed's example (``lesson_completed coins: 10 → 25``)."""
    unit = {"coin rule": "coins", "skill rule": f"{new.get('skill_key')} points"}.get(kind)
    lines = []
    if unit is not None and old["amount"] != new["amount"]:
        lines.append(f"{name} {unit}: {old['amount']} → {new['amount']}")
    rest = {k: v for k, v in new.items() if k != "amount" or unit is None}
    return lines + _field_changes(kind, name, old, rest)


def _token_changes(old: Doc, new: Doc) -> list[str]:
    lines: list[str] = []
    for slot in ("primary", "progression"):
        before, after = old[slot], new[slot]
        fields = {k: v for k, v in after.items() if k != "earn_rules"}
        lines += _field_changes(f"{slot}", "token", before, fields)
        kind = f"{after['token_key']} earn rule"
        lines += _keyed(kind, "id", before["earn_rules"], after["earn_rules"], _field_changes)
    return lines


def _streak_changes(old: Sequence[Doc], new: Sequence[Doc]) -> list[str]:
    """Streaks by key; a new one says which events tick it."""
    ticking = {s["key"]: ", ".join(s["event_types"]) for s in new}
    return [
        f"{line} ({ticking[line[len('new streak: ') :]]})"
        if line.startswith("new streak: ")
        else line
        for line in _keyed("streak", "key", old, new, _field_changes)
    ]


def _evolution_changes(old: Doc, new: Doc) -> list[str]:
    lines = []
    if old["auto_evolve"] != new["auto_evolve"]:
        lines.append(
            f"auto evolve: {_text('', old['auto_evolve'])} → {_text('', new['auto_evolve'])}"
        )
    stages_old = [{"stage": s["stage"], **s["conditions"]} for s in old["stages"]]
    stages_new = [{"stage": s["stage"], **s["conditions"]} for s in new["stages"]]
    return lines + _keyed("evolution stage", "stage", stages_old, stages_new, _field_changes)


def _text(field: str, value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if field == "conditions":
        return " and ".join(_condition_text(c) for c in value)
    if field == "condition":
        return _badge_condition_text(value)
    if field == "requirements":
        return " and ".join(f"{r['operator']} {_text('', r['value'])}" for r in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _condition_text(condition: Doc) -> str:
    value = condition["value"]
    shown = "[" + ", ".join(map(str, value)) + "]" if isinstance(value, list) else value
    return f"{condition['property']} {condition['operator']} {shown}"


def _badge_condition_text(condition: Doc) -> str:
    kind = condition["kind"]
    texts = {
        "milestone": lambda c: f"{c['count']} x {c['event_type']}",
        "coin_threshold": lambda c: f"{c['coins']} coins earned",
        "skill_level": lambda c: f"{c['skill_key']} level {c['level']}",
        "stage": lambda c: f"stage {c['stage']}",
        "collection": lambda c: "owns " + ", ".join(c["item_ids"]),
        "streak": lambda c: f"{c['streak_key']} streak of {c['days']} days",
    }
    describe: Callable[[Doc], str] | None = texts.get(kind)
    return describe(condition) if describe else str(condition)

"""Warnings: an accepted event that probably did not do what its sender meant (decision 0041).

In permissive mode an unregistered type, a user without an active buddy or a rule condition
that compared a property of another JSON type (``"100"`` with ``100``) is accepted, and shows
only as ``coins: 0``. The answer names the likely mistake instead. Every warning is read from
what the ingestion recorded (its outcome and its trace), never from today's config, so a
duplicate answers exactly the warnings its original did. The unregistered type is the one
fact the rules do not trace, so ingestion records it as a trace entry of its own
(``unregistered_type``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from domain.configs.event_types import suggestion

REASON_NOT_REGISTERED: Final = "event_type_not_registered"
REASON_NO_ACTIVE_BUDDY: Final = "no_active_buddy"
_CONDITION_FALSE: Final = "condition_false"

WarningCode = Literal["event_type_not_registered", "no_active_buddy", "property_type_mismatch"]


@dataclass(frozen=True, kw_only=True)
class IngestionWarning:
    code: WarningCode
    message: str
    suggestion: str | None = None
    rule_id: str | None = None
    property: str | None = None
    expected_type: str | None = None
    actual_type: str | None = None


def unregistered_type(event_type: str, registered: Iterable[str]) -> dict[str, Any] | None:
    """The trace entry recording that ``event_type`` is not registered (``None`` if it is)."""
    registered = frozenset(registered)
    if event_type in registered:
        return None
    return {
        "kind": "event",
        "fired": False,
        "reason": REASON_NOT_REGISTERED,
        "type": event_type,
        "suggestion": suggestion(event_type, registered),
    }


def json_type(value: object) -> str:
    """The JSON type of a decoded value: ``string``, ``number``, ``boolean``, ``null``, …"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def warnings_of(outcome: str, trace: Sequence[Mapping[str, Any]]) -> list[IngestionWarning]:
    """The warnings of a recorded ingestion, in a stable order, each said once."""
    found: list[IngestionWarning] = []
    seen: set[tuple[str | None, ...]] = set()
    for entry in trace:
        warning = _warning(entry)
        if warning is None:
            continue
        identity = (warning.code, warning.rule_id, warning.property)
        if identity not in seen:
            seen.add(identity)
            found.append(warning)
    if outcome == REASON_NO_ACTIVE_BUDDY and (REASON_NO_ACTIVE_BUDDY, None, None) not in seen:
        found.append(
            IngestionWarning(
                code="no_active_buddy",
                message="the user has no active buddy, so nothing was awarded; "
                "hatch one with POST /eggs and POST /eggs/{egg_id}/hatch",
            )
        )
    return found


def _warning(entry: Mapping[str, Any]) -> IngestionWarning | None:
    reason = entry.get("reason")
    if reason == REASON_NOT_REGISTERED:
        hint = entry.get("suggestion")
        did_you_mean = f"; did you mean {hint!r}?" if hint else ""
        return IngestionWarning(
            code="event_type_not_registered",
            message=f"event type {entry.get('type')!r} is not registered{did_you_mean}",
            suggestion=hint,
        )
    if reason != _CONDITION_FALSE or entry.get("kind") == "badge":
        return None
    expected, actual = entry.get("expected"), entry.get("actual")
    if entry.get("operator") == "exists" or expected is None or actual is None:
        return None
    expected_types = {
        json_type(v) for v in (expected if isinstance(expected, list) else [expected])
    }
    if entry.get("operator") in ("gt", "gte", "lt", "lte"):
        expected_types = {"number"}
    actual_type = json_type(actual)
    if actual_type in expected_types:
        return None
    wanted = " or ".join(sorted(expected_types))
    prop = entry.get("property")
    return IngestionWarning(
        code="property_type_mismatch",
        message=f"rule {entry.get('rule_id')} compares {prop} with a {wanted}, and the event "
        f"sent a {actual_type} ({actual!r}), so the condition cannot hold",
        rule_id=entry.get("rule_id"),
        property=prop,
        expected_type=wanted,
        actual_type=actual_type,
    )

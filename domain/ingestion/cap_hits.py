"""Which daily or weekly caps held back an event's rewards, read from its recorded rule trace.

The effects say only what was awarded: a capped lesson is ``"coins": 0``, like one no rule
listens to. The trace says why. A capped rule leaves one of two entries there: a refusal
(``daily_cap_reached`` / ``weekly_cap_reached``, nothing awarded, with the ``cap`` and the
``count`` already awarded in the event's ``bucket``), or a fired entry whose award the cap
clipped (``clipped``, and ``limited_by`` naming the cap). ``cap_hits`` lists both, so an
answer can say "+0 coins — daily cap reached (50/day)" without its reader knowing the rules.

Read from the recorded trace, so a repeated ``event_id`` answers the same. A clipped entry
recorded before fired entries named their cap has no ``limited_by`` and is not listed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal
from uuid import UUID

from domain.ingestion.rules import REASON_DAILY_CAP, REASON_FIRED, REASON_WEEKLY_CAP

PERIODS: Final[Mapping[str, Literal["day", "week"]]] = {
    REASON_DAILY_CAP: "day",
    REASON_WEEKLY_CAP: "week",
}
CAPPED_KINDS: Final = ("coin", "token")


@dataclass(frozen=True, kw_only=True)
class CapHit:
    """One rule's cap holding back (all or part of) one buddy's reward for one event."""

    buddy_id: UUID
    rule_id: str
    kind: Literal["coin", "token"]
    period: Literal["day", "week"]
    bucket: str  # the event's UTC day (2026-04-08) or ISO week (2026-W15)
    cap: int
    count: int  # already awarded by the rule in ``bucket`` before this event
    awarded: int  # what this event still got from the rule: 0 when refused


def cap_hits(trace: Sequence[Mapping[str, Any]]) -> list[CapHit]:
    """Every cap in ``trace`` that held something back, in trace order."""
    hits = []
    for entry in trace:
        kind, reason = entry.get("kind"), str(entry.get("reason"))
        limited_by = str(entry.get("limited_by"))
        if kind not in CAPPED_KINDS:
            continue
        if reason in PERIODS:
            period, awarded = PERIODS[reason], 0
        elif reason == REASON_FIRED and limited_by in PERIODS:
            period, awarded = PERIODS[limited_by], int(entry["amount"])
        else:
            continue
        hits.append(
            CapHit(
                buddy_id=entry["buddy_id"],
                rule_id=str(entry["rule_id"]),
                kind="coin" if kind == "coin" else "token",
                period=period,
                bucket=str(entry["bucket"]),
                cap=int(entry["cap"]),
                count=int(entry["count"]),
                awarded=awarded,
            )
        )
    return hits

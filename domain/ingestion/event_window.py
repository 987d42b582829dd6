"""How far from the moment it is received a customer event may be dated (decision 0018).

An event's ``occurred_at`` chooses the UTC day and ISO week its capped rules count against
and the day its streak ticks. Left unbounded, a caller re-spends every past day's cap by
back-dating, or spends future days' caps ahead and stalls the streak on a day that never
comes (``2999-01-01``). So an event is accepted only when dated inside a window around
``now``, the instant the application receives it (the domain has no clock; ``now`` is
passed in):

* never more than ``FUTURE_SKEW`` after ``now``: clocks disagree by seconds, not days;
* never more than the backfill (``HATCHED_EVENT_BACKFILL_DAYS``, default ``DEFAULT_BACKFILL``,
  as long as the rule engine keeps daily cap counts) before ``now``: a server holding a
  secret key may import history and flush offline queues;
* from a widget session (a browser), never before the session was issued, less
  ``FUTURE_SKEW``: a page reports what happens while it is open, and only the customer's
  server mints sessions, so a browser reaches at most about an hour back.

Bounds are inclusive. Outside them the event is ``validation_failed`` on ``occurred_at``,
with both bounds in the details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from domain.ingestion.rules import DAILY_WINDOW_DAYS, require_time_zone
from domain.shared.errors import DomainError

FUTURE_SKEW: Final = timedelta(minutes=5)
DEFAULT_BACKFILL: Final = timedelta(days=DAILY_WINDOW_DAYS)


@dataclass(frozen=True)
class EventWindow:
    """The ``occurred_at`` values an event received at one instant may carry."""

    earliest: datetime
    latest: datetime
    backfill: timedelta
    session_bound: bool
    """Whether ``earliest`` comes from the widget session's issue time (not the backfill)."""

    @classmethod
    def at(
        cls, now: datetime, *, backfill: timedelta, session_issued_at: datetime | None = None
    ) -> EventWindow:
        earliest = now - backfill
        session_bound = False
        if session_issued_at is not None and session_issued_at - FUTURE_SKEW > earliest:
            earliest, session_bound = session_issued_at - FUTURE_SKEW, True
        return cls(earliest, now + FUTURE_SKEW, backfill, session_bound)

    def admits(self, occurred_at: datetime) -> bool:
        return self.earliest <= occurred_at <= self.latest

    def check(self, occurred_at: datetime) -> None:
        """Refuse an ``occurred_at`` outside the window, saying where the window is."""
        require_time_zone(occurred_at)
        if self.admits(occurred_at):
            return
        if occurred_at > self.latest:
            reason = (
                f"{utc_text(occurred_at)} is in the future: the latest accepted is "
                f"{utc_text(self.latest)} "
                f"({_count(int(FUTURE_SKEW.total_seconds() // 60), 'minute')} past the server's clock)"
            )
        elif self.session_bound:
            reason = (
                f"{utc_text(occurred_at)} is before this widget session was issued (less "
                f"{_count(int(FUTURE_SKEW.total_seconds() // 60), 'minute')}): the earliest "
                f"accepted is {utc_text(self.earliest)}"
            )
        else:
            reason = (
                f"{utc_text(occurred_at)} is too old: the earliest accepted is "
                f"{utc_text(self.earliest)} ({_count(self.backfill.days, 'day')} back)"
            )
        raise DomainError(
            "validation_failed",
            f"occurred_at: {reason}",
            {
                "fields": [{"field": "occurred_at", "reason": reason}],
                "earliest": utc_text(self.earliest),
                "latest": utc_text(self.latest),
            },
        )


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"

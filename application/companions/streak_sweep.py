"""Burns streaks nobody comes back to: the scheduled half of the streak rules.

A streak burns when a period ends without a tick, whether or not the user ever sends another
event, so waiting for the next event is not enough. Every sweep interval (the sweeper's
schedule, in ``hatched worker`` and the embedded ``serve``) this asks the streak view which
buddies have a streak due before now (``projections/companions/streaks.py``), and re-decides
each on its aggregate with the clock's ``now`` (``rules.sweep_streaks``): a missed period
spends a freeze token or burns the streak, recorded as ``StreakFrozen``/``StreakBurned``
with the wallet's debit, in one save.

Run twice, or by two workers at once, it burns once: the facts are decided on the buddy as
stored, a second sweep finds nothing left to do, and two sweeps racing on one buddy conflict
on its stream version (the loser reloads and finds nothing to do). A freeze's ledger entry id
is derived from the streak and the period, so it cannot be debited twice either.

A due buddy that turns out to owe nothing (its streak left the rulebook, say) is not asked
again for ``QUIET``, so it does not cost a load every interval.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Final, Protocol
from uuid import UUID

from application.configs.configs import Configs
from application.economy.wallets import ledger_id_for, sweep_streaks
from application.shared.ports import Clock
from application.shared.store import EventStore, retry_on_conflict
from domain.companions.buddy import Buddy
from domain.economy.ledger import Ledger

log = logging.getLogger("hatched.streaks")

BATCH: Final = 500
QUIET: Final = timedelta(hours=1)


class StreakDues(Protocol):
    """Candidates only: buddies whose next streak was due before an instant."""

    def due_before(
        self, moment: datetime, after: tuple[str, str] | None, limit: int
    ) -> list[tuple[str, UUID]]:
        """``(next_due_at, buddy_id)`` in that order, after the ``after`` cursor."""
        ...


class StreakSweep:
    def __init__(self, store: EventStore, clock: Clock, configs: Configs, dues: StreakDues):
        self._store = store
        self._clock = clock
        self._configs = configs
        self._dues = dues
        self._quiet: dict[UUID, datetime] = {}

    def sweep(self) -> int:
        """Sweep every due buddy; returns how many changed."""
        now = self._clock.now()
        self._quiet = {k: until for k, until in self._quiet.items() if until > now}
        changed = 0
        cursor: tuple[str, str] | None = None
        while True:
            rows = self._dues.due_before(now, cursor, BATCH)
            for _, buddy_id in rows:
                if buddy_id in self._quiet:
                    continue
                if self.sweep_buddy(buddy_id, now):
                    changed += 1
                else:
                    self._quiet[buddy_id] = now + QUIET
            if len(rows) < BATCH:
                break
            cursor = (rows[-1][0], rows[-1][1].hex)
        if changed:
            log.info("streak sweep froze or burned the streaks of %d buddies", changed)
        return changed

    def sweep_buddy(self, buddy_id: UUID, now: datetime) -> bool:
        """Freeze or burn what the buddy's streaks owe at ``now``; whether anything did."""

        def attempt() -> bool:
            buddy = self._store.find(Buddy, buddy_id)
            ledger = self._store.find(Ledger, ledger_id_for(buddy_id))
            if buddy is None or ledger is None or not buddy.is_active:
                return False
            rulebook = self._configs.rulebook(buddy.config_version_id)
            causation = {"source": "streak_sweep", "swept_at": now.isoformat()}
            swept = sweep_streaks(buddy, ledger, rulebook, causation, now)
            if not swept.facts:
                return False
            self._store.save(buddy, ledger)
            return True

        return retry_on_conflict(attempt, line=buddy_id)

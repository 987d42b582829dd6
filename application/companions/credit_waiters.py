"""Renders waiting for credits are drawn when credits arrive, as a follower of the event log.

A buddy's new stage wearing items is a paid composite; when no pool could pay it, the
evolve still happened and the credit account recorded ``JobAwaitingCredits`` (decision
0048). This follower sees every ``CreditAccount.Granted`` and requests a rerender of each
waiting buddy, oldest first, until a charge is refused for want of credits; each rerender's
authorised charge ends that buddy's wait. Replaying a grant does no harm: a buddy whose
rerender was requested no longer waits.
"""

from __future__ import annotations

import logging
from uuid import UUID

from eventsourcing.domain import DomainEvent

from application.companions.appearance import request_rerender
from application.companions.buddies import Buddies
from application.shared.store import EventStore
from domain.credits.credit_account import CreditAccount
from domain.shared.errors import DomainError
from domain.shared.ids import public_id
from domain.shared.tenancy import Tenant

log = logging.getLogger("hatched.credits")


class CreditWaiters:
    name = "credit_waiters"

    def __init__(self, store: EventStore, buddies: Buddies) -> None:
        self._store = store
        self._buddies = buddies

    def react(self, event: DomainEvent) -> None:
        if not isinstance(event, CreditAccount.Granted):
            return
        account = self._store.find(CreditAccount, event.originator_id)
        if account is None:
            return
        for entry in list(account.waiting.values()):
            subject = entry["subject"]
            tenant = Tenant(account.customer_id, subject["mode"])
            buddy_id = public_id("buddy", UUID(str(subject["buddy_id"])))
            try:
                request_rerender(self._buddies, tenant, buddy_id)
            except DomainError as refusal:
                if refusal.code == "credit_insufficient":
                    return
                log.info("buddy %s waits for credits but cannot be drawn: %s", buddy_id, refusal)

"""Asynchronous operations (hatch, evolve, equip, an item's icon): reading, cancelling, and
running them.

``run`` is what a worker executes for a queued operation id. It is safe to run twice: a
finished operation is left alone, a hatch derives its buddy id from the operation id, and
every step saves the operation together with what it changed, in one transaction.

Credits (decision 0048): the job's charge, authorised when the operation was requested, is
committed in the transaction that completes it and rolled back in the one that fails or
cancels it. A worker that dies mid-job leaves the charge held; the sweeper re-enqueues the
operation, and its end (a later attempt's success, or the failure after ``MAX_ATTEMPTS``)
settles the charge. An evolve is free (preset art), but a buddy wearing items needs its
outfit drawn on the new stage (``equip_composite``): paid there and then when a pool covers
it, else the stage still changes and the appearance waits for credits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from application.companions.appearance import Appearance
from application.companions.icons import Icons
from application.companions.item_art import ItemArt
from application.configs.configs import Configs
from application.credits.credits import Credits
from application.economy.wallets import ledger_id_for, open_ledger, settle
from application.shared.ports import Clock
from application.shared.store import EventStore, retry_on_conflict
from domain.companions.buddy import Buddy
from domain.companions.egg import Egg
from domain.companions.operation import Operation
from domain.companions.user_account import UserAccount
from domain.configs.rulebook import Rulebook
from domain.credits.credit_account import CreditAccount
from domain.economy.ledger import Ledger
from domain.shared.correlation import correlated
from domain.shared.errors import DomainError
from domain.shared.ids import natural_id, parse_public_id, public_id
from domain.shared.tenancy import Tenant

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5
"""Attempts whose worker died mid-job (its lease ran out) before the operation is failed."""
FAILURE_CODES = {
    "hatch": "hatch_failed",
    "evolve": "evolve_failed",
    "equip_item": "equip_failed",
    "regenerate_item_image": "item_image_failed",
    "regenerate_badge_icon": "badge_icon_failed",
}
DEFAULT_BUDDY_NAME = "Buddy"


class OperationBusy(Exception):
    """Another worker holds the lease; the message is retried after a backoff."""


def buddy_id_for_hatch(operation_id: UUID) -> UUID:
    """A redelivered hatch must not hatch a second buddy: the id follows the operation."""
    return natural_id("buddy", operation_id.hex)


class Operations:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        configs: Configs,
        lease: timedelta = LEASE,
        appearance: Appearance | None = None,
        item_art: ItemArt | None = None,
        credits: Credits | None = None,
        icons: Icons | None = None,
    ) -> None:
        """Without ``appearance`` (test worlds that need no pictures) nothing is drawn; without
        ``item_art`` (``icons``) an item (badge) icon operation fails."""
        self._store = store
        self._clock = clock
        self._configs = configs
        self._lease = lease
        self._appearance = appearance
        self._item_art = item_art
        self._credits = credits or Credits.off(store, clock)
        self._icons = icons

    def get(self, tenant: Tenant, operation_id: str) -> Operation:
        uuid = parse_public_id("operation", operation_id)
        return self._store.load_owned(Operation, uuid, tenant, "operation", operation_id)

    def find_any(self, operation_id: str) -> Operation:
        """Any tenant's operation (the operator's view, decision 0051)."""
        uuid = parse_public_id("operation", operation_id)
        return self._store.load(Operation, uuid, "operation", operation_id)

    def cancel(self, tenant: Tenant, operation_id: str) -> Operation:
        """Cancel a pending operation; a cancelled hatch gives its egg back (``ready``)."""

        def attempt() -> Operation:
            operation = self.get(tenant, operation_id)
            now = self._clock.now()
            operation.cancel(timestamp=now)
            changed: list[Any] = [operation]
            changed += self._credits.settle(
                operation.customer_id, operation.id, succeeded=False, reason="cancelled"
            )
            if operation.type == "hatch" and operation.egg_id is not None:
                egg = self._store.load(Egg, operation.egg_id, "egg", str(operation.egg_id))
                egg.hatch_failed(operation_id=operation.id, timestamp=now)
                changed.append(egg)
            self._store.save(*changed)
            return operation

        return retry_on_conflict(attempt, line=self._line_of(operation_id))

    def _line_of(self, operation_id: str) -> object:
        uuid = parse_public_id("operation", operation_id)
        operation = self._store.find(Operation, uuid)
        return Credits.line(operation.customer_id) if operation is not None else None

    # -- the worker's side ---------------------------------------------------------

    def run(self, operation_id: UUID) -> None:
        operation = self._store.find(Operation, operation_id)
        if operation is None or operation.is_terminal:
            return
        if operation.attempts >= MAX_ATTEMPTS and operation.lease_expired(self._clock.now()):
            message = f"gave up after {operation.attempts} attempts that never finished"
            self._fail_with(operation_id, message)
            return
        if not self._take_lease(operation_id):
            return
        line = Credits.line(operation.customer_id)
        try:
            retry_on_conflict(lambda: self._perform(operation_id), line=line)
        except DomainError as refusal:
            self._fail_with(operation_id, refusal.message)

    def _fail_with(self, operation_id: UUID, message: str) -> None:
        """Record the failure under the operation type's code (``FAILURE_CODES``): the
        refusal's own code is an HTTP one, the message says what happened."""
        operation = self._store.find(Operation, operation_id)
        line = Credits.line(operation.customer_id) if operation is not None else None
        retry_on_conflict(lambda: self._fail(operation_id, message), line=line)

    def _take_lease(self, operation_id: UUID) -> bool:
        """Start an attempt; ``False`` when a twin of this message finished it meanwhile."""

        def attempt() -> bool:
            operation = self._store.load(Operation, operation_id, "operation", str(operation_id))
            now = self._clock.now()
            if operation.is_terminal:
                return False
            if operation.status == "processing" and not operation.lease_expired(now):
                raise OperationBusy(str(operation_id))
            operation.start(lease_until=now + self._lease, timestamp=now)
            self._store.save(operation)
            return True

        return retry_on_conflict(attempt)

    def _perform(self, operation_id: UUID) -> None:
        operation = self._store.load(Operation, operation_id, "operation", str(operation_id))
        if operation.is_terminal:
            return
        now = self._clock.now()
        if operation.type == "hatch":
            changed, result = self._hatch(operation)
        elif operation.type == "evolve":
            changed, result = self._evolve(operation)
        elif operation.type == "regenerate_item_image":
            if self._item_art is None:
                raise DomainError("internal_error", "this process draws no item icons")
            changed, result = self._item_art.perform(operation)
        elif operation.type == "regenerate_badge_icon":
            if self._icons is None:
                raise DomainError("internal_error", "this process draws no badge icons")
            changed, result = self._icons.perform(operation)
        else:
            changed, result = self._equip(operation)
        operation.complete(result=result, timestamp=now)
        if not any(isinstance(c, CreditAccount) for c in changed):  # an evolve paid its own
            changed += self._credits.settle(operation.customer_id, operation.id, succeeded=True)
        self._store.save(operation, *changed)

    def _fail(self, operation_id: UUID, message: str) -> None:
        operation = self._store.load(Operation, operation_id, "operation", str(operation_id))
        if operation.is_terminal:
            return
        now = self._clock.now()
        operation.fail(code=FAILURE_CODES[operation.type], message=message, timestamp=now)
        changed: list[Any] = [operation]
        changed += self._credits.settle(
            operation.customer_id, operation.id, succeeded=False, reason=message
        )
        if operation.type == "hatch" and operation.egg_id is not None:
            egg = self._store.load(Egg, operation.egg_id, "egg", str(operation.egg_id))
            egg.hatch_failed(operation_id=operation.id, timestamp=now)
            changed.append(egg)
        self._store.save(*changed)

    def _hatch(self, operation: Operation) -> tuple[list[Any], dict[str, Any]]:
        assert operation.egg_id is not None
        egg = self._store.load(Egg, operation.egg_id, "egg", str(operation.egg_id))
        buddy_id = buddy_id_for_hatch(operation.id)
        result = {"buddy_id": public_id("buddy", buddy_id), "egg_id": egg.public_id}
        if egg.status == "hatched":
            return [], result
        now = self._clock.now()
        rulebook = self._configs.rulebook(egg.config_version_id)
        buddy = Buddy(
            id=buddy_id,
            customer_id=egg.customer_id,
            mode=egg.mode,
            user_id=egg.user_id,
            egg_id=egg.id,
            config_version_id=egg.config_version_id,
            name=DEFAULT_BUDDY_NAME,
            correlation_id=operation.correlation_id,
            timestamp=now,
        )
        ledger = open_ledger(buddy_id, egg.customer_id, egg.mode, rulebook, now)
        egg.hatched(buddy_id=buddy_id, timestamp=now)
        tenant = Tenant(egg.customer_id, egg.mode)
        account = self._store.load(
            UserAccount, UserAccount.id_for(tenant, egg.user_id), "user", egg.user_id
        )
        account.egg_closed(egg_id=egg.id, timestamp=now)
        account.buddy_adopted(buddy_id=buddy_id, timestamp=now)
        settle(buddy, ledger, rulebook, _cause(operation), now)
        self._draw(buddy, now)
        return [egg, buddy, ledger, account], result

    def _evolve(self, operation: Operation) -> tuple[list[Any], dict[str, Any]]:
        buddy, ledger = self._buddy_and_ledger(operation)
        now = self._clock.now()
        to_stage = int(operation.params["to_stage"])
        buddy.evolve(
            to_stage=to_stage,
            operation_id=operation.id,
            correlation_id=operation.correlation_id,
            timestamp=now,
        )
        rulebook = self._configs.rulebook(buddy.config_version_id)
        settle(buddy, ledger, rulebook, _cause(operation), now)
        changed: list[Any] = [buddy, ledger]
        if buddy.equipped_item_ids:
            changed += self._draw_outfit(operation, buddy, now)
        else:
            self._draw(buddy, now)
        result = {
            "buddy_id": public_id("buddy", buddy.id),
            "evolution_stage": buddy.evolution_stage,
        }
        return changed, result

    def _draw_outfit(self, operation: Operation, buddy: Buddy, now: datetime) -> list[Any]:
        """The new stage wearing the buddy's items is a composite (one credit): drawn when a
        pool pays it, else the appearance waits for credits (``awaiting_credits``) and the
        stage stands. What to save besides the buddy."""
        subject = {"operation_id": operation.id.hex, "buddy_id": buddy.id.hex, "mode": buddy.mode}
        paid, accounts = self._credits.charge_or_wait(
            buddy.customer_id, "equip_composite", operation.id, subject
        )
        if paid:
            self._draw(buddy, now)
        else:
            buddy.await_credits(timestamp=now)
        return list(accounts)

    def _equip(self, operation: Operation) -> tuple[list[Any], dict[str, Any]]:
        buddy, _ = self._buddy_and_ledger(operation)
        rulebook = self._wardrobe(buddy)
        now = self._clock.now()
        item_ids = list(operation.params["item_ids"])
        if item_ids != buddy.equipped_item_ids:  # the same outfit again (a rerender) only draws
            buddy.equip(
                item_ids=item_ids,
                categories=rulebook.item_categories,
                operation_id=operation.id,
                timestamp=now,
            )
        self._draw(buddy, now, rulebook)
        result = {
            "buddy_id": public_id("buddy", buddy.id),
            "equipped_items": list(buddy.equipped_item_ids),
        }
        return [buddy], result

    def _draw(self, buddy: Buddy, now: datetime, wardrobe: Rulebook | None = None) -> None:
        """Draw the buddy with every item it may wear (``Configs.wardrobe``)."""
        if self._appearance is not None:
            self._appearance.render(buddy, wardrobe or self._wardrobe(buddy), now)

    def _wardrobe(self, buddy: Buddy) -> Rulebook:
        return self._configs.wardrobe(
            Tenant(buddy.customer_id, buddy.mode), buddy.config_version_id
        )

    def _buddy_and_ledger(self, operation: Operation) -> tuple[Buddy, Ledger]:
        assert operation.buddy_id is not None
        buddy = self._store.load(Buddy, operation.buddy_id, "buddy", str(operation.buddy_id))
        ledger = self._store.load(Ledger, ledger_id_for(buddy.id), "ledger", str(buddy.id))
        return buddy, ledger


def _cause(operation: Operation) -> dict[str, Any]:
    """What the facts an operation records name as their cause: the operation, and the
    correlation id of the request that asked for it (decision 0031)."""
    return {"operation_id": operation.id, **correlated(operation.correlation_id)}

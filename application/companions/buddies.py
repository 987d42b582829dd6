"""Use cases on one buddy: reading it, renaming, archiving, evolving, equipping,
and the manual overrides support staff use (coins, tokens, skills, badges). Buying and
granting items is ``application/companions/purchases.py``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from application.configs.configs import Configs
from application.credits.credits import Credits
from application.economy.wallets import credit_badge, ledger_id_for, settle
from application.shared.ports import Clock, Secrets
from application.shared.store import EventStore, retry_on_conflict
from domain.companions.buddy import Buddy, arrange_equipment
from domain.companions.operation import Operation
from domain.companions.user_account import UserAccount
from domain.configs.rulebook import COINS, MAX_STAGE, Rulebook
from domain.economy.ledger import Ledger, LedgerEntry
from domain.ingestion.rules import EvolutionCheck, badge_award, check_evolution
from domain.shared.correlation import correlated
from domain.shared.errors import DomainError, NotFound
from domain.shared.ids import parse_public_id, public_id
from domain.shared.tenancy import Tenant


@dataclass(frozen=True)
class BuddyState:
    """Everything ``GET /buddies/{id}`` shows: the buddy, its wallet and its rulebook."""

    buddy: Buddy
    ledger: Ledger
    rulebook: Rulebook


@dataclass(frozen=True)
class WalletChange:
    buddy_id: UUID
    currency: str
    amount: int
    balance: int
    entry_id: UUID


WalletDirection = Literal["credit", "spend"]
"""A manual wallet override: coins or tokens credited, or spent."""

JOB_OF_REQUEST = {"equip_item": "equip_composite", "evolve": "preset_evolve"}
"""The priced job (``domain/credits/prices.py``) each requested buddy operation is."""


class Buddies:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        secrets: Secrets,
        configs: Configs,
        credits: Credits | None = None,
    ) -> None:
        self._store = store
        self._credits = credits or Credits.off(store, clock)
        self._clock = clock
        self._secrets = secrets
        self._configs = configs

    # -- reads ---------------------------------------------------------------------

    def load(self, tenant: Tenant, buddy_id: str) -> Buddy:
        uuid = parse_public_id("buddy", buddy_id)
        return self._store.load_owned(Buddy, uuid, tenant, "buddy", buddy_id)

    def state(self, tenant: Tenant, buddy_id: str) -> BuddyState:
        buddy = self.load(tenant, buddy_id)
        return BuddyState(
            buddy, self._ledger(buddy), self._configs.rulebook(buddy.config_version_id)
        )

    def evolution(self, tenant: Tenant, buddy_id: str) -> tuple[Buddy, EvolutionCheck]:
        state = self.state(tenant, buddy_id)
        check = check_evolution(state.rulebook, state.buddy.progress_state(state.ledger.wallet()))
        return state.buddy, check

    def of_user(self, tenant: Tenant, user_id: str) -> list[BuddyState]:
        account = self._store.find(UserAccount, UserAccount.id_for(tenant, user_id))
        if account is None:
            return []
        return [self.state(tenant, public_id("buddy", b)) for b in account.buddy_ids]

    def ledger_entries(
        self, tenant: Tenant, buddy_id: str, after_version: int, limit: int
    ) -> list[Any]:
        """The wallet's stored events after ``after_version``: the ledger, entry by entry."""
        buddy = self.load(tenant, buddy_id)
        events = self._store.events.get(ledger_id_for(buddy.id), gt=after_version, limit=limit)
        return list(events)

    def recent_ledger_entries(self, buddy_ids: list[UUID], limit: int) -> list[LedgerEntry]:
        """The newest ``limit`` entries of these buddies' wallets, newest first (each wallet's
        stream read backwards, not the log; the caller found the buddies among its tenant's)."""
        recent = [
            entry for buddy_id in buddy_ids for entry in self._newest_entries(buddy_id, limit)
        ]
        recent.sort(key=lambda event: event.timestamp, reverse=True)
        return recent[:limit]

    def _newest_entries(self, buddy_id: UUID, limit: int) -> list[LedgerEntry]:
        """A wallet's newest ``limit`` entries: its stream read backwards a page at a time,
        past the events that are not entries (a token-key change, the wallet's opening)."""
        entries: list[LedgerEntry] = []
        below: int | None = None
        while len(entries) < limit:
            page = list(
                self._store.events.get(ledger_id_for(buddy_id), desc=True, limit=limit, lte=below)
            )
            entries += [event for event in page if isinstance(event, LedgerEntry)]
            if len(page) < limit:
                break
            below = page[-1].originator_version - 1
        return entries[:limit]

    # -- identity ------------------------------------------------------------------

    def rename(self, tenant: Tenant, buddy_id: str, name: str) -> Buddy:
        return self._change(
            tenant, buddy_id, lambda b: b.rename(name=name, timestamp=self._clock.now())
        )

    def archive(self, tenant: Tenant, buddy_id: str) -> Buddy:
        return self._change(tenant, buddy_id, lambda b: b.archive(timestamp=self._clock.now()))

    # -- operations ----------------------------------------------------------------

    def request_evolve(
        self, tenant: Tenant, buddy_id: str, correlation_id: str | None = None
    ) -> Operation:
        buddy, check = self.evolution(tenant, buddy_id)
        if not buddy.is_active:
            raise DomainError(
                "invalid_state_transition",
                "an archived buddy cannot evolve",
                {"current_status": buddy.status, "requested_status": "active"},
            )
        if buddy.evolution_stage >= MAX_STAGE:
            raise DomainError(
                "max_stage_reached",
                f"the buddy is already at stage {MAX_STAGE}, the last one",
                {"stage": buddy.evolution_stage, "max_stage": MAX_STAGE},
            )
        if not check.ready:
            raise DomainError(
                "evolution_not_ready",
                f"the conditions for stage {buddy.evolution_stage + 1} are not met yet",
                {"stage": buddy.evolution_stage, "unmet": [dict(u) for u in check.unmet]},
            )
        params = {"to_stage": buddy.evolution_stage + 1}
        return self._request(buddy, "evolve", params, correlation_id)

    def request_equip(
        self,
        tenant: Tenant,
        buddy_id: str,
        item_ids: list[str],
        correlation_id: str | None = None,
    ) -> Operation:
        state = self.state(tenant, buddy_id)
        if not state.buddy.is_active:
            raise DomainError(
                "invalid_state_transition",
                "an archived buddy cannot change its items",
                {"current_status": state.buddy.status, "requested_status": "active"},
            )
        wardrobe = self._configs.wardrobe(tenant, state.buddy.config_version_id)
        arranged = arrange_equipment(item_ids, state.buddy.owned_item_ids, wardrobe.item_categories)
        return self._request(state.buddy, "equip_item", {"item_ids": arranged}, correlation_id)

    def _request(
        self, buddy: Buddy, kind: str, params: dict[str, Any], correlation_id: str | None
    ) -> Operation:
        """Save the operation with its job's credit charge authorised (an equip draws a
        composite; a preset evolve is free): no pool covers it → ``credit_insufficient``
        and nothing is recorded (decision 0048)."""
        operation_id = self._secrets.uuid()
        job = JOB_OF_REQUEST[kind]
        subject = {"operation_id": operation_id.hex, "buddy_id": buddy.id.hex, "mode": buddy.mode}

        def attempt() -> Operation:
            operation = Operation(
                id=operation_id,
                customer_id=buddy.customer_id,
                mode=buddy.mode,
                type=kind,  # type: ignore[arg-type]
                buddy_id=buddy.id,
                egg_id=None,
                params=params,
                correlation_id=correlation_id,
                timestamp=self._clock.now(),
            )
            held = self._credits.hold(buddy.customer_id, job, operation_id, subject)
            self._store.save(operation, *held)
            return operation

        return retry_on_conflict(attempt, line=Credits.line(buddy.customer_id))

    # -- manual overrides ------------------------------------------------------------

    def override_wallet(
        self,
        tenant: Tenant,
        buddy_id: str,
        direction: WalletDirection,
        currency: str | None,
        amount: int,
        reason: str,
        actor: str,
        correlation_id: str | None = None,
    ) -> WalletChange:
        """Credit or spend ``amount`` of ``currency`` (``None``: coins) by hand."""
        cause = _override(actor, correlation_id)
        spend = direction == "spend"
        return self._wallet(tenant, buddy_id, currency, amount, reason, cause, spend=spend)

    def set_skills(
        self,
        tenant: Tenant,
        buddy_id: str,
        values: dict[str, int],
        actor: str,
        correlation_id: str | None = None,
    ) -> Buddy:
        def change(buddy: Buddy) -> None:
            rulebook = self._configs.rulebook(buddy.config_version_id)
            buddy.set_skills(
                values=values, skills=rulebook.skills, actor=actor, timestamp=self._clock.now()
            )

        return self._change(tenant, buddy_id, change, _override(actor, correlation_id))

    def award_badge(
        self,
        tenant: Tenant,
        buddy_id: str,
        badge_key: str,
        actor: str,
        correlation_id: str | None = None,
    ) -> Buddy:
        cause = _override(actor, correlation_id)

        def attempt() -> Buddy:
            state = self.state(tenant, buddy_id)
            badge = state.rulebook.badge(badge_key)
            if badge is None:
                raise NotFound("badge", badge_key)
            now = self._clock.now()
            award = badge_award(badge)
            state.buddy.award_badge(
                badge_key=badge_key,
                actor=actor,
                coin_reward=award.coin_reward,
                token_rewards=dict(award.token_rewards),
                correlation_id=correlation_id,
                timestamp=now,
            )
            credit_badge(state.ledger, award, self._secrets.uuid(), cause, now)
            self._settle(state, cause)
            self._store.save(state.buddy, state.ledger)
            return state.buddy

        return retry_on_conflict(attempt, line=buddy_id)

    def _wallet(
        self,
        tenant: Tenant,
        buddy_id: str,
        currency: str | None,
        amount: int,
        reason: str,
        cause: dict[str, Any],
        *,
        spend: bool,
    ) -> WalletChange:
        def attempt() -> WalletChange:
            state = self.state(tenant, buddy_id)
            if not state.buddy.is_active:
                raise DomainError(
                    "invalid_state_transition",
                    "an archived buddy's wallet is closed",
                    {"current_status": state.buddy.status, "requested_status": "active"},
                )
            chosen = currency or COINS
            if chosen not in state.ledger.currencies:
                raise DomainError(
                    "validation_failed",
                    f"unknown currency {chosen!r}",
                    {"fields": [{"field": "token_key", "reason": "not a token of this buddy"}]},
                )
            entry_id = self._secrets.uuid()
            move = state.ledger.debit if spend else state.ledger.credit
            balance = move(
                currency=chosen,
                amount=amount,
                reason=reason,
                entry_id=entry_id,
                causation=dict(cause),
                timestamp=self._clock.now(),
            )
            self._settle(state, cause)
            self._store.save(state.buddy, state.ledger)
            return WalletChange(state.buddy.id, chosen, amount, balance, entry_id)

        return retry_on_conflict(attempt, line=buddy_id)

    def _settle(self, state: BuddyState, cause: dict[str, Any]) -> None:
        """Badges and readiness the override earned, in its own save (``wallets.settle``)."""
        settle(
            state.buddy,
            state.ledger,
            state.rulebook,
            {"source": "manual_override", **cause},
            self._clock.now(),
        )

    def _change(
        self, tenant: Tenant, buddy_id: str, change: Any, settled_by: dict[str, Any] | None = None
    ) -> Buddy:
        """Load, change and save a buddy; ``settled_by`` (the cause of an override that may
        earn something) settles it, and saves its wallet with it."""

        def attempt() -> Buddy:
            if settled_by is not None:
                state = self.state(tenant, buddy_id)
                change(state.buddy)
                self._settle(state, settled_by)
                self._store.save(state.buddy, state.ledger)
                return state.buddy
            else:
                buddy = self.load(tenant, buddy_id)
                change(buddy)
                self._store.save(buddy)
                return buddy

        return retry_on_conflict(attempt, line=buddy_id)

    def _ledger(self, buddy: Buddy) -> Ledger:
        return self._store.load(
            Ledger, ledger_id_for(buddy.id), "ledger", public_id("buddy", buddy.id)
        )


def _override(actor: str, correlation_id: str | None) -> dict[str, Any]:
    """The cause an override records: who did it, and the request it came in (decision 0031)."""
    return {"actor": actor, **correlated(correlation_id)}

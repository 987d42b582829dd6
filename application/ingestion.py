"""Customer events in, progression out: the ingestion pipeline.

For one event: dedupe on ``event_id`` (the ``EventIngestion`` id derives from it, so a
second recording fails in the database), find the user's active buddies, run the rule
engine for each against its pinned config version, and save the ingestion record, the
buddies' progress and their ledger entries in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from application.configs import Configs
from application.ports import Clock
from application.store import EventStore, retry_on_conflict
from application.wallets import credit_effects, ledger_id_for
from domain.buddy import Buddy
from domain.customer import Customer
from domain.errors import DomainError, NotFound
from domain.event_ingestion import EventIngestion
from domain.ids import public_id
from domain.ledger import Ledger
from domain.rules import CustomerEvent, Evaluation, evaluate
from domain.tenancy import Tenant
from domain.user_account import UserAccount


@dataclass(frozen=True)
class EventInput:
    event_id: str
    user_id: str
    type: str
    occurred_at: datetime | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    audience: str | None = None
    buddy_id: UUID | None = None


class Ingestion:
    def __init__(self, store: EventStore, clock: Clock, configs: Configs) -> None:
        self._store = store
        self._clock = clock
        self._configs = configs

    def ingest(self, tenant: Tenant, item: EventInput) -> tuple[EventIngestion, bool]:
        """Record ``item`` once; returns the ingestion and whether it was a duplicate."""
        self._check_registered(tenant, item.type)
        ingestion_id = EventIngestion.id_for(tenant, item.event_id)

        def attempt() -> tuple[EventIngestion, bool]:
            existing = self._store.find(EventIngestion, ingestion_id)
            if existing is not None:
                return existing, True
            ingestion, changed = self._evaluate(tenant, ingestion_id, item)
            self._store.save(ingestion, *changed)
            return ingestion, False

        return retry_on_conflict(attempt)

    def find(self, tenant: Tenant, event_id: str) -> EventIngestion:
        ingestion = self._store.find(EventIngestion, EventIngestion.id_for(tenant, event_id))
        if ingestion is None:
            raise NotFound("event", event_id)
        return ingestion

    def _check_registered(self, tenant: Tenant, event_type: str) -> None:
        customer = self._store.load(Customer, tenant.customer_id, "customer", "me")
        if not customer.settings.get("strict_event_types"):
            return
        published = self._configs.published_version(tenant)
        registered = self._configs.rulebook(published.id).event_types if published else ()
        if event_type not in registered:
            raise DomainError(
                "event_type_not_registered",
                f"event type {event_type!r} is not registered in the published config",
                {"type": event_type, "registered": sorted(registered)},
            )

    def _targets(self, tenant: Tenant, item: EventInput) -> list[Buddy]:
        account = self._store.find(UserAccount, UserAccount.id_for(tenant, item.user_id))
        buddy_ids = list(account.buddy_ids) if account else []
        if item.buddy_id is not None:
            if item.buddy_id not in buddy_ids:
                raise NotFound("buddy", public_id("buddy", item.buddy_id))
            buddy_ids = [item.buddy_id]
        buddies = [self._store.load(Buddy, b, "buddy", public_id("buddy", b)) for b in buddy_ids]
        return [b for b in buddies if b.is_active]

    def _evaluate(
        self, tenant: Tenant, ingestion_id: UUID, item: EventInput
    ) -> tuple[EventIngestion, list[Any]]:
        now = self._clock.now()
        event = CustomerEvent(
            event_id=item.event_id,
            type=item.type,
            user_id=item.user_id,
            occurred_at=item.occurred_at or now,
            properties=item.properties,
            audience=item.audience,
        )
        changed: list[Any] = []
        evaluations: list[tuple[Buddy, Evaluation]] = []
        for buddy in self._targets(tenant, item):
            ledger = self._store.load(Ledger, ledger_id_for(buddy.id), "ledger", str(buddy.id))
            rulebook = self._configs.rulebook(buddy.config_version_id)
            evaluation = evaluate(rulebook, buddy.progress_state(ledger.wallet()), event)
            cause = {
                "event_id": item.event_id,
                "config_version_id": public_id("config_version", buddy.config_version_id),
            }
            credit_effects(ledger, evaluation, cause, now)
            buddy.record_progress(evaluation, timestamp=now)
            changed.extend([buddy, ledger])
            evaluations.append((buddy, evaluation))
        ingestion = EventIngestion(
            id=ingestion_id,
            customer_id=tenant.customer_id,
            mode=tenant.mode,
            event_id=item.event_id,
            user_id=item.user_id,
            type=item.type,
            occurred_at=event.occurred_at,
            properties=item.properties,
            audience=item.audience,
            buddy_id=item.buddy_id,
            effects=summarise_effects(evaluations),
            trace=trace_of(evaluations),
            applied_to=[buddy.id for buddy, _ in evaluations],
            outcome="applied" if evaluations else "no_active_buddy",
            error=None,
            timestamp=now,
        )
        return ingestion, changed


def summarise_effects(evaluations: list[tuple[Buddy, Evaluation]]) -> dict[str, Any]:
    """The seed's effects object (``coins``, ``badges_awarded``, ``tokens``,
    ``evolution_ready``), summed over the buddies, plus a per-buddy breakdown."""
    per_buddy: list[dict[str, Any]] = []
    for buddy, evaluation in evaluations:
        e = evaluation.effects
        per_buddy.append(
            {
                "buddy_id": public_id("buddy", buddy.id),
                "coins": e.coins,
                "badges_awarded": [b.badge_key for b in e.badges_awarded],
                "tokens": [f"{key}:{amount}" for key, amount in sorted(e.tokens_by_key().items())],
                "skills": [
                    {"skill_key": s.skill_key, "amount": s.amount} for s in e.skill_increments
                ],
                "evolution_ready": e.evolution_ready,
                "next_stage": e.next_stage,
            }
        )
    tokens: dict[str, int] = {}
    for _, evaluation in evaluations:
        for key, amount in evaluation.effects.tokens_by_key().items():
            tokens[key] = tokens.get(key, 0) + amount
    return {
        "coins": sum(b["coins"] for b in per_buddy),
        "badges_awarded": sorted({k for b in per_buddy for k in b["badges_awarded"]}),
        "tokens": [f"{key}:{amount}" for key, amount in sorted(tokens.items())],
        "evolution_ready": any(b["evolution_ready"] for b in per_buddy),
        "skills": [s for b in per_buddy for s in b["skills"]],
        "buddies": per_buddy,
    }


def trace_of(evaluations: list[tuple[Buddy, Evaluation]]) -> list[dict[str, Any]]:
    if not evaluations:
        return [{"kind": "event", "fired": False, "reason": "no_active_buddy"}]
    return [
        {"buddy_id": public_id("buddy", buddy.id), **entry.to_dict()}
        for buddy, evaluation in evaluations
        for entry in evaluation.trace
    ]

"""Domain events → webhook events: the name and the snake_case payload a receiver gets.

The payloads follow the product's catalogue (reference §19): ``coins.earned`` is
``{buddy_id, amount, balance, reason, reference_id, ledger_id, is_lucky}`` and so on, plus
``user_id`` wherever a buddy is concerned, ``request_id`` (the ``X-Request-Id`` of the API
request that caused the fact, ``None`` when none did; decision 0031) and ``occurred_at``
(when the fact happened; the ``X-Hatched-Timestamp`` header says when it was sent). There is no envelope: the body is
the payload itself. Values are JSON-native (public ids, ISO 8601 UTC timestamps).

A buddy's pictures are drawn by the operation that hatches or evolves it and recorded in the
same transaction, as the next event of its stream; the fan-out hands their URLs in as
``pictures`` (``image_url``, ``thumb_url``), ``None`` when drawing failed.

Most domain events do not say whose they are (a ``Ledger.CoinsCredited`` knows its amount,
not its tenant or buddy); the first event of their stream does, and never changes. That is
an ``Origin``, which the fan-out looks up once per stream.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import DomainEvent

from domain.companions.buddy import Buddy
from domain.companions.operation import Operation
from domain.economy.item_purchase import ItemPurchase
from domain.economy.ledger import Ledger, LedgerEntry, TokenEntry
from domain.ingestion.event_quota import UsageThreshold
from domain.integrations.webhook_endpoint import TEST_EVENT
from domain.shared.correlation import CORRELATION_ID
from domain.shared.ids import public_id
from domain.shared.json_values import copy_json
from domain.shared.tenancy import Tenant

EVENT_DESCRIPTIONS: Final[dict[str, str]] = {
    "buddy.hatched": "An egg hatched: a new buddy exists.",
    "buddy.evolved": "A buddy moved to its next evolution stage.",
    "evolution.ready": "A buddy met the conditions of its next stage and can evolve.",
    "coins.earned": "Coins were credited to a buddy's wallet (a rule, a badge or an override).",
    "coins.spent": "Coins were debited from a buddy's wallet (a purchase or an override).",
    "token.earned": "Tokens were credited to a buddy's wallet.",
    "token.spent": "Tokens were debited from a buddy's wallet.",
    "badge.ready": "A manual badge's condition holds: it waits for POST "
    "/buddies/{buddy_id}/badges to award it.",
    "badge.awarded": "A buddy was awarded a badge (with its coin and token rewards).",
    "skill.leveled": "A buddy's skill reached a new level.",
    "skill.decayed": "A decay rule took points from a skill the buddy had not practised.",
    "streak.ticked": "A buddy's streak counted a period (a day, an ISO week or a month).",
    "streak.milestone": "A buddy's streak reached one of its configured milestones.",
    "streak.burned": "A period ended without a tick and no freeze token: the streak reset.",
    "marketplace.purchased": "A buddy bought an item (source purchase) or was granted one "
    "(source unlock).",
    "marketplace.equipped": "A buddy's outfit changed: the items it now wears.",
    "operation.completed": "An asynchronous hatch, evolve or equip operation completed.",
    "operation.failed": "An asynchronous hatch, evolve or equip operation failed.",
    "usage.threshold_reached": "This month's accepted events reached 80 % of the plan's "
    "event quota (once per UTC month).",
}


Payload = tuple[str, dict[str, Any]]
"""A webhook event's name and its payload."""


@dataclass(frozen=True)
class Origin:
    """Whose stream an event belongs to, from the stream's first event."""

    tenant: Tenant
    buddy_id: UUID | None = None
    user_id: str | None = None
    operation: dict[str, Any] | None = None


def origin_of(first: DomainEvent | None, buddy_first: DomainEvent | None = None) -> Origin | None:
    """The origin a stream's first event gives; a ledger also needs its buddy's first event
    (``buddy_first``) for the user id. ``None`` for a stream that is none of ours."""
    if isinstance(first, Buddy.Hatched):
        return Origin(Tenant(first.customer_id, first.mode), first.originator_id, first.user_id)
    if isinstance(first, Ledger.Opened):
        user_id = buddy_first.user_id if isinstance(buddy_first, Buddy.Hatched) else None
        return Origin(Tenant(first.customer_id, first.mode), first.buddy_id, user_id)
    if isinstance(first, ItemPurchase.Recorded):
        return Origin(Tenant(first.customer_id, first.mode), first.buddy_id, first.user_id)
    if isinstance(first, Operation.Requested):
        operation = {
            "type": first.type,
            "buddy_id": first.buddy_id,
            "egg_id": first.egg_id,
            CORRELATION_ID: first.correlation_id,
        }
        return Origin(Tenant(first.customer_id, first.mode), first.buddy_id, operation=operation)
    if isinstance(first, UsageThreshold.Reached):
        return Origin(Tenant(first.customer_id, "test" if first.mode == "test" else "live"))
    return None


def webhook_event(
    event: DomainEvent, origin: Origin, pictures: dict[str, str | None] | None = None
) -> Payload | None:
    """The webhook event name and payload for a domain event, or ``None`` if it has none."""
    for kind, build in _BUILDERS:
        if isinstance(event, kind):
            name, payload = build(event, origin)
            if kind in PICTURED_EVENTS:
                payload = {**payload, "image_url": None, "thumb_url": None, **(pictures or {})}
            return name, {
                **payload,
                "request_id": request_id_of(event, origin),
                "occurred_at": iso(event.timestamp),
            }
    return None


def request_id_of(event: DomainEvent, origin: Origin) -> str | None:
    """The id of the HTTP request that caused ``event``, as its correlation id recorded it
    (decision 0031): in the fact's ``causation``, in its own field (``Buddy.Hatched``,
    ``Buddy.Evolved``), or, for an operation's outcome, in the request of the operation.
    ``None`` for a fact recorded before correlation ids existed or outside any request."""
    if isinstance(event, Operation.Completed | Operation.Failed):
        found = (origin.operation or {}).get(CORRELATION_ID)
    elif isinstance(event, Buddy.Hatched | Buddy.Evolved):
        found = event.correlation_id
    else:
        found = (getattr(event, "causation", None) or {}).get(CORRELATION_ID)
    return found if isinstance(found, str) else None


def sample_payload(event_name: str, webhook_id: str, now: datetime) -> dict[str, Any]:
    """What ``POST /webhook-configs/{id}/test`` sends: an example of ``event_name`` marked
    ``test: true`` (``webhook.test`` when no event is chosen)."""
    buddy = "bdy_" + "0" * 32
    samples: dict[str, dict[str, Any]] = {
        TEST_EVENT: {"webhook_id": webhook_id, "message": "a test delivery from Hatched"},
        "buddy.hatched": {
            "buddy_id": buddy,
            "egg_id": "egg_" + "0" * 32,
            "user_id": "user_123",
            "name": "Buddy",
            "image_url": None,
            "thumb_url": None,
            "evolution_stage": 1,
        },
        "buddy.evolved": {
            "buddy_id": buddy,
            "user_id": "user_123",
            "previous_stage": 1,
            "new_stage": 2,
            "image_url": None,
        },
        "evolution.ready": {
            "buddy_id": buddy,
            "user_id": "user_123",
            "current_stage": 1,
            "next_stage": 2,
        },
        "badge.ready": {"buddy_id": buddy, "user_id": "user_123", "badge_key": "mentor_pick"},
        "badge.awarded": {
            "buddy_id": buddy,
            "user_id": "user_123",
            "badge_key": "first_lesson",
            "coin_reward": 10,
            "token_rewards": {"gems": 1},
        },
        "skill.leveled": {
            "buddy_id": buddy,
            "user_id": "user_123",
            "skill_key": "vocabulary",
            "previous_level": 1,
            "new_level": 2,
        },
        "skill.decayed": {
            "buddy_id": buddy,
            "user_id": "user_123",
            "skill_key": "vocabulary",
            "previous_value": 45,
            "new_value": 40,
            "previous_level": 2,
            "new_level": 2,
            "amount": 5,
            "rule_id": "decay_vocabulary",
            "period": "2024-05-03",
            "decay_id": "00000000-0000-0000-0000-000000000000",
        },
        "operation.completed": {
            "operation_id": "op_" + "0" * 32,
            "type": "hatch",
            "status": "completed",
            "result": {"buddy_id": buddy},
        },
        "operation.failed": {
            "operation_id": "op_" + "0" * 32,
            "type": "evolve",
            "status": "failed",
            "error": {"code": "evolve_failed", "message": "an example failure"},
        },
    }
    streak = {"buddy_id": buddy, "user_id": "user_123", "streak_key": "daily_lesson"}
    samples["streak.ticked"] = {
        **streak,
        "count": 3,
        "period": "2026-04-22",
        "reset": False,
        "late": False,
        "reference_id": "evt_example",
    }
    samples["streak.milestone"] = {
        **streak,
        "count": 7,
        "milestone": 7,
        "coins": 50,
        "tokens": {},
        "reference_id": "evt_example",
    }
    samples["streak.burned"] = {**streak, "count": 3, "period": "2026-04-23", "reference_id": None}
    samples["usage.threshold_reached"] = {
        "metric": "events",
        "percent": 80,
        "used": 8000,
        "limit": 10000,
        "period": "2025-01",
        "reset_at": "2025-02-01T00:00:00Z",
    }
    samples["marketplace.purchased"] = {
        "buddy_id": buddy,
        "user_id": "user_123",
        "purchase_id": "pur_" + "0" * 32,
        "item_id": "golden_hat",
        "category": "head",
        "source": "purchase",
        "price": {"coins": 50, "tokens": 0, "token_key": None},
        "ledger_entry_ids": ["led_" + "0" * 32],
    }
    samples["marketplace.equipped"] = {
        "buddy_id": buddy,
        "user_id": "user_123",
        "item_ids": ["golden_hat"],
        "previous_item_ids": [],
        "operation_id": "op_" + "0" * 32,
    }
    wallet = {"buddy_id": buddy, "user_id": "user_123", "amount": 10, "balance": 10}
    for name in ("coins.earned", "coins.spent"):
        samples[name] = {**wallet, "reason": "example", "is_lucky": False}
    for name in ("token.earned", "token.spent"):
        samples[name] = {**wallet, "token_type": "gems", "reason": "example"}
    return {**samples[event_name], "test": True, "request_id": None, "occurred_at": iso(now)}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _buddy_ref(origin: Origin) -> dict[str, Any]:
    return {
        "buddy_id": public_id("buddy", origin.buddy_id) if origin.buddy_id else None,
        "user_id": origin.user_id,
    }


def _hatched(event: Buddy.Hatched, origin: Origin) -> Payload:
    return "buddy.hatched", {
        **_buddy_ref(origin),
        "egg_id": public_id("egg", event.egg_id),
        "name": event.name,
        "evolution_stage": 1,
        "config_version_id": public_id("config_version", event.config_version_id),
    }


def _evolved(event: Buddy.Evolved, origin: Origin) -> Payload:
    return "buddy.evolved", {
        **_buddy_ref(origin),
        "previous_stage": event.from_stage,
        "new_stage": event.to_stage,
        "operation_id": public_id("operation", event.operation_id),
    }


def _evolution_ready(event: Buddy.EvolutionBecameReady, origin: Origin) -> Payload:
    return "evolution.ready", {
        **_buddy_ref(origin),
        "current_stage": event.stage,
        "next_stage": event.next_stage,
        "reference_id": event.causation.get("event_id"),
    }


def _badge_ready(event: Buddy.BadgeBecameReady, origin: Origin) -> Payload:
    return "badge.ready", {
        **_buddy_ref(origin),
        "badge_key": event.badge_key,
        "reference_id": event.causation.get("event_id"),
    }


def _badge(event: Buddy.BadgeAwarded, origin: Origin) -> Payload:
    return "badge.awarded", {
        **_buddy_ref(origin),
        "badge_key": event.badge_key,
        "coin_reward": event.coin_reward,
        "token_rewards": dict(event.token_rewards),
        "source": event.source,
        "reference_id": event.causation.get("event_id"),
        "awarded_at": iso(event.timestamp),
    }


def _skill(event: Buddy.SkillLeveledUp, origin: Origin) -> Payload:
    return "skill.leveled", {
        **_buddy_ref(origin),
        "skill_key": event.skill_key,
        "previous_level": event.from_level,
        "new_level": event.to_level,
        "value": event.value,
        "reference_id": event.causation.get("event_id"),
    }


def _decayed(event: Buddy.SkillDecayed, origin: Origin) -> Payload:
    return "skill.decayed", {
        **_buddy_ref(origin),
        "skill_key": event.skill_key,
        "previous_value": event.previous_value,
        "new_value": event.new_value,
        "previous_level": event.previous_level,
        "new_level": event.new_level,
        "amount": event.amount,
        "rule_id": event.rule_id,
        "period": event.period,
        "decay_id": str(event.decay_id),
    }


def _streak(name: str, *fields: str, **renamed: str) -> Callable[[Any, Origin], Payload]:
    """The builder of a streak fact's webhook: the buddy, ``streak_key`` and ``count``, the
    payload keys ``renamed`` from the event's fields, the event's own ``fields``, and
    ``reference_id``, the event that found the fact (``None`` when the sweep did)."""

    def build(event: Any, origin: Origin) -> Payload:
        return name, {
            **_buddy_ref(origin),
            "streak_key": event.streak_key,
            "count": event.count,
            **{key: copy_json(getattr(event, field)) for key, field in renamed.items()},
            **{field: copy_json(getattr(event, field)) for field in fields},
            "reference_id": event.causation.get("event_id"),
        }

    return build


def _wallet(name: str, event: LedgerEntry, origin: Origin) -> Payload:
    payload = {
        **_buddy_ref(origin),
        "amount": event.amount,
        "balance": event.balance_after,
        "reason": event.reason,
        "reference_id": event.causation.get("event_id"),
        "ledger_id": public_id("ledger_entry", event.entry_id),
    }
    if isinstance(event, TokenEntry):
        payload["token_type"] = event.token_key
    else:
        payload["is_lucky"] = False  # no lucky bonus exists yet; the field is the catalogue's
    return name, payload


def _purchased(event: ItemPurchase.Recorded, origin: Origin) -> Payload:
    return "marketplace.purchased", {
        **_buddy_ref(origin),
        "purchase_id": public_id("purchase", event.originator_id),
        "item_id": event.item_id,
        "category": event.category,
        "source": event.source,
        "price": {
            "coins": event.price_coins,
            "tokens": event.price_tokens,
            "token_key": event.token_key,
        },
        "ledger_entry_ids": [public_id("ledger_entry", e) for e in event.ledger_entry_ids],
    }


def _equipped(event: Buddy.ItemsEquipped, origin: Origin) -> Payload:
    operation_id = event.operation_id
    return "marketplace.equipped", {
        **_buddy_ref(origin),
        "item_ids": list(event.item_ids),
        "previous_item_ids": list(event.previous_item_ids),
        "operation_id": public_id("operation", operation_id) if operation_id else None,
    }


def _operation(event: Operation.Completed | Operation.Failed, origin: Origin) -> Payload:
    requested = origin.operation or {}
    buddy_id, egg_id = requested.get("buddy_id"), requested.get("egg_id")
    payload: dict[str, Any] = {
        "operation_id": public_id("operation", event.originator_id),
        "type": requested.get("type"),
        "buddy_id": public_id("buddy", buddy_id) if buddy_id else None,
        "egg_id": public_id("egg", egg_id) if egg_id else None,
    }
    if isinstance(event, Operation.Completed):
        result = event.result
        if payload["buddy_id"] is None and isinstance(result, dict):
            payload["buddy_id"] = result.get("buddy_id")
        return "operation.completed", {**payload, "status": "completed", "result": result}
    error = {"code": event.code, "message": event.message}
    return "operation.failed", {**payload, "status": "failed", "error": error}


def _threshold(event: UsageThreshold.Reached, origin: Origin) -> Payload:
    return "usage.threshold_reached", {
        "metric": "events",
        "percent": event.percent,
        "used": event.used,
        "limit": event.limit,
        "period": event.month,
        "reset_at": iso(event.reset_at),
    }


# Each builder takes the event class it is paired with.
_BUILDERS: tuple[tuple[type[DomainEvent], Callable[[Any, Origin], Payload]], ...] = (
    (Buddy.Hatched, _hatched),
    (Buddy.Evolved, _evolved),
    (Buddy.EvolutionBecameReady, _evolution_ready),
    (Buddy.BadgeBecameReady, _badge_ready),
    (Buddy.BadgeAwarded, _badge),
    (Buddy.SkillLeveledUp, _skill),
    (Buddy.SkillDecayed, _decayed),
    (Buddy.StreakTicked, _streak("streak.ticked", "period", "reset", "late")),
    # ``count`` is the milestone reached; ``coins`` and ``tokens`` what it paid.
    (
        Buddy.StreakMilestoneReached,
        _streak("streak.milestone", "coins", "tokens", milestone="count"),
    ),
    # ``count`` is what was lost; ``period`` the one that ended without a tick.
    (Buddy.StreakBurned, _streak("streak.burned", "period")),
    (ItemPurchase.Recorded, _purchased),
    (Buddy.ItemsEquipped, _equipped),
    (Ledger.CoinsCredited, lambda e, o: _wallet("coins.earned", e, o)),
    (Ledger.CoinsDebited, lambda e, o: _wallet("coins.spent", e, o)),
    (Ledger.TokensCredited, lambda e, o: _wallet("token.earned", e, o)),
    (Ledger.TokensDebited, lambda e, o: _wallet("token.spent", e, o)),
    (Operation.Completed, _operation),
    (Operation.Failed, _operation),
    (UsageThreshold.Reached, _threshold),
)

SOURCE_EVENTS: Final[tuple[type[DomainEvent], ...]] = tuple(kind for kind, _ in _BUILDERS)
"""The domain events that become webhook events; every other event is skipped cheaply."""
PICTURED_EVENTS: Final[tuple[type[DomainEvent], ...]] = (Buddy.Hatched, Buddy.Evolved)
"""The events whose payload shows the buddy's new pictures (``image_url``, ``thumb_url``)."""

"""``/buddies``: the canonical buddy state, its evolution, items, and manual overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from application.companions.buddies import BuddyState, WalletChange
from domain.economy.ledger import Credit, LedgerEntry, TokenEntry
from domain.ingestion.rules import EvolutionCheck
from domain.shared.ids import public_id
from interfaces.http.asset_links import public_origin
from interfaces.http.auth import PUBLISHABLE_OK, Caller, container_of
from interfaces.http.body import Model, StrictBody
from interfaces.http.companions.appearance import appearance_fields
from interfaces.http.companions.operations import AcceptedOperation, accepted_operation
from interfaces.http.consistency import read_your_writes
from interfaces.http.pagination import Page, check_limit, decode_cursor, encode_cursor, page
from projections.companions.buddies import BUDDIES

Amount = Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
TokenKey = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class RenameRequest(Model):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class EquipRequest(Model):
    item_ids: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=32)
    ]


class CoinsRequest(Model):
    amount: Amount
    reason: Reason


class SpendRequest(Model):
    amount: Amount
    reason: Reason
    token_key: TokenKey | None = None


class TokensRequest(Model):
    token_key: TokenKey
    amount: Amount
    reason: Reason


class SkillsRequest(Model):
    skills: dict[str, int]


class PurchaseRequest(Model):
    item_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class BadgeRequest(Model):
    badge_key: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


def buddy_view(state: BuddyState, origin: str = "") -> dict[str, Any]:
    """``origin`` starts the image URLs (``public_origin(request)``); empty, they are paths."""
    buddy, ledger, rulebook = state.buddy, state.ledger, state.rulebook
    skills = {}
    for skill in rulebook.skills:
        value = buddy.skills.get(skill.key, 0)
        skills[skill.key] = {"value": value, "level": skill.level_for(value), "name": skill.name}
    return {
        "buddy_id": public_id("buddy", buddy.id),
        "user_id": buddy.user_id,
        "name": buddy.name,
        "status": buddy.status,
        "evolution_stage": buddy.evolution_stage,
        "evolution_ready": buddy.evolution_ready,
        "config_version_id": public_id("config_version", buddy.config_version_id),
        "egg_id": public_id("egg", buddy.egg_id),
        "skills": skills,
        "coins": ledger.balance("coins"),
        "tokens": {key: ledger.balance(key) for key in ledger.token_keys.values()},
        "token_slots": dict(ledger.token_keys),
        "badges": [{"badge_key": k, "awarded_at": at} for k, at in buddy.badges.items()],
        "owned_items": list(buddy.owned_item_ids),
        "equipped_items": list(buddy.equipped_item_ids),
        "streaks": dict(buddy.streaks),
        **appearance_fields(buddy, origin),
        "created_at": buddy.created_on,
        "updated_at": max(buddy.modified_on, ledger.modified_on),
    }


def buddy_row_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "buddy_id": f"bdy_{row['buddy_id']}",
        "user_id": row["user_id"],
        "name": row["name"],
        "status": row["status"],
        "evolution_stage": row["evolution_stage"],
        "config_version_id": f"cfg_{row['config_version_id']}",
        "created_at": datetime.fromisoformat(row["created_at"]),
        "updated_at": datetime.fromisoformat(row["updated_at"]),
    }


def evolution_view(stage: int, check: EvolutionCheck) -> dict[str, Any]:
    return {
        "evolution_stage": stage,
        "ready": check.ready,
        "next_stage": check.next_stage,
        "reason": check.reason,
        "unmet": [dict(u) for u in check.unmet],
    }


def wallet_view(change: WalletChange) -> dict[str, Any]:
    return {
        "buddy_id": public_id("buddy", change.buddy_id),
        "currency": change.currency,
        "amount": change.amount,
        "balance": change.balance,
        "ledger_entry_id": public_id("ledger_entry", change.entry_id),
    }


class BuddyController(Controller):
    path = "/buddies"
    tags = ["buddies"]

    @get(
        "/",
        sync_to_thread=True,
        opt=PUBLISHABLE_OK,
        summary="List buddies (filters: user_id, status)",
    )
    def list_buddies(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        user_id: FromQuery[str | None] = None,
        status: FromQuery[Literal["active", "archived"] | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int | None] = None,
    ) -> Page[dict[str, Any]]:
        container = container_of(request)
        read_your_writes(request, "buddies")
        tenant = principal.tenant
        where = {
            "customer_id": tenant.customer_id.hex,
            "mode": tenant.mode,
            "user_id": user_id,
            "status": status,
        }
        order = [("created_at", True), ("buddy_id", True)]
        return page(container.views, BUDDIES.name, where, order, cursor, limit, buddy_row_view)

    @get(
        "/{buddy_id:str}",
        sync_to_thread=True,
        opt=PUBLISHABLE_OK,
        summary="Canonical buddy state; with as_of, the state it had then (by replay)",
    )
    def get_buddy(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddy_id: FromPath[str],
        as_of: FromQuery[datetime | None] = None,
    ) -> dict[str, Any]:
        container = container_of(request)
        if as_of is not None:
            state = container.history.as_of(principal.tenant, buddy_id, as_of)
            return buddy_view(state, public_origin(request))
        return buddy_view(
            container.buddies.state(principal.tenant, buddy_id), public_origin(request)
        )

    @patch(
        "/{buddy_id:str}",
        dto=StrictBody[RenameRequest],
        return_dto=None,
        sync_to_thread=True,
        summary="Rename the buddy",
    )
    def rename(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddy_id: FromPath[str],
        data: JSONBody[RenameRequest],
    ) -> dict[str, Any]:
        buddies = container_of(request).buddies
        buddies.rename(principal.tenant, buddy_id, data.name)
        return buddy_view(buddies.state(principal.tenant, buddy_id), public_origin(request))

    @patch(
        "/{buddy_id:str}/archive",
        sync_to_thread=True,
        summary="Archive the buddy (read-only after)",
    )
    def archive(
        self, request: Request[Any, Any, Any], principal: Caller, buddy_id: FromPath[str]
    ) -> dict[str, Any]:
        buddies = container_of(request).buddies
        buddies.archive(principal.tenant, buddy_id)
        return buddy_view(buddies.state(principal.tenant, buddy_id), public_origin(request))

    @get(
        "/{buddy_id:str}/evolution",
        sync_to_thread=True,
        opt=PUBLISHABLE_OK,
        summary="Evolution readiness and what is still missing",
    )
    def evolution(
        self, request: Request[Any, Any, Any], principal: Caller, buddy_id: FromPath[str]
    ) -> dict[str, Any]:
        buddy, check = container_of(request).buddies.evolution(principal.tenant, buddy_id)
        return {"buddy_id": buddy_id, **evolution_view(buddy.evolution_stage, check)}

    @post(
        "/{buddy_id:str}/evolve",
        sync_to_thread=True,
        status_code=202,
        summary="Start an asynchronous evolution to the next stage",
    )
    def evolve(
        self, request: Request[Any, Any, Any], principal: Caller, buddy_id: FromPath[str]
    ) -> AcceptedOperation:
        return accepted_operation(
            container_of(request).buddies.request_evolve(principal.tenant, buddy_id)
        )

    @patch(
        "/{buddy_id:str}/equipped-items",
        dto=StrictBody[EquipRequest],
        return_dto=None,
        sync_to_thread=True,
        status_code=202,
        summary="Start an equip/unequip operation",
    )
    def equip(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddy_id: FromPath[str],
        data: JSONBody[EquipRequest],
    ) -> AcceptedOperation:
        buddies = container_of(request).buddies
        return accepted_operation(buddies.request_equip(principal.tenant, buddy_id, data.item_ids))

    @get(
        "/users/{user_id:str}/summary",
        sync_to_thread=True,
        opt=PUBLISHABLE_OK,
        summary="A user's buddies and totals",
    )
    def user_summary(
        self, request: Request[Any, Any, Any], principal: Caller, user_id: FromPath[str]
    ) -> dict[str, Any]:
        states = container_of(request).buddies.of_user(principal.tenant, user_id)
        views = [buddy_view(s, public_origin(request)) for s in states]
        return {
            "user_id": user_id,
            "buddy_count": len(views),
            "active_buddy_count": sum(1 for v in views if v["status"] == "active"),
            "total_coins": sum(v["coins"] for v in views),
            "badge_count": sum(len(v["badges"]) for v in views),
            "highest_stage": max((v["evolution_stage"] for v in views), default=0),
            "buddies": views,
        }

    # -- manual overrides --------------------------------------------------------

    @patch(
        "/{buddy_id:str}/skills",
        dto=StrictBody[SkillsRequest],
        return_dto=None,
        sync_to_thread=True,
        summary="Manual override: set skill values",
    )
    def set_skills(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddy_id: FromPath[str],
        data: JSONBody[SkillsRequest],
    ) -> dict[str, Any]:
        buddies = container_of(request).buddies
        buddies.set_skills(principal.tenant, buddy_id, data.skills, actor=principal.actor)
        return buddy_view(buddies.state(principal.tenant, buddy_id), public_origin(request))

    @post(
        "/{buddy_id:str}/coins",
        dto=StrictBody[CoinsRequest],
        return_dto=None,
        sync_to_thread=True,
        status_code=200,
        summary="Manual override: credit coins",
    )
    def credit_coins(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddy_id: FromPath[str],
        data: JSONBody[CoinsRequest],
    ) -> dict[str, Any]:
        buddies = container_of(request).buddies
        change = buddies.credit(
            principal.tenant, buddy_id, None, data.amount, data.reason, principal.actor
        )
        return wallet_view(change)

    @post(
        "/{buddy_id:str}/coins/spend",
        dto=StrictBody[SpendRequest],
        return_dto=None,
        sync_to_thread=True,
        status_code=200,
        summary="Spend coins (or the primary token)",
    )
    def spend(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddy_id: FromPath[str],
        data: JSONBody[SpendRequest],
    ) -> dict[str, Any]:
        buddies = container_of(request).buddies
        change = buddies.spend(
            principal.tenant, buddy_id, data.token_key, data.amount, data.reason, principal.actor
        )
        return wallet_view(change)

    @post(
        "/{buddy_id:str}/tokens",
        dto=StrictBody[TokensRequest],
        return_dto=None,
        sync_to_thread=True,
        status_code=200,
        summary="Manual override: credit a token",
    )
    def credit_tokens(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddy_id: FromPath[str],
        data: JSONBody[TokensRequest],
    ) -> dict[str, Any]:
        buddies = container_of(request).buddies
        change = buddies.credit(
            principal.tenant, buddy_id, data.token_key, data.amount, data.reason, principal.actor
        )
        return wallet_view(change)

    @post(
        "/{buddy_id:str}/badges",
        dto=StrictBody[BadgeRequest],
        return_dto=None,
        sync_to_thread=True,
        status_code=200,
        summary="Manual override: award a badge",
    )
    def award_badge(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddy_id: FromPath[str],
        data: JSONBody[BadgeRequest],
    ) -> dict[str, Any]:
        buddies = container_of(request).buddies
        buddies.award_badge(principal.tenant, buddy_id, data.badge_key, principal.actor)
        return buddy_view(buddies.state(principal.tenant, buddy_id), public_origin(request))

    @post(
        "/{buddy_id:str}/items",
        dto=StrictBody[PurchaseRequest],
        return_dto=None,
        sync_to_thread=True,
        status_code=200,
        summary="Buy an item of the catalog with coins",
    )
    def purchase_item(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddy_id: FromPath[str],
        data: JSONBody[PurchaseRequest],
    ) -> dict[str, Any]:
        buddies = container_of(request).buddies
        buddies.purchase_item(principal.tenant, buddy_id, data.item_id, principal.actor)
        return buddy_view(buddies.state(principal.tenant, buddy_id), public_origin(request))


class EconomyController(Controller):
    path = "/economy"
    tags = ["economy"]

    @get(
        "/buddies/{buddy_id:str}/ledger",
        sync_to_thread=True,
        summary="The buddy's wallet entries, oldest first (cursor)",
    )
    def ledger(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddy_id: FromPath[str],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int | None] = None,
    ) -> dict[str, Any]:
        size = check_limit(limit)
        after = decode_cursor(cursor, 1)
        events = container_of(request).buddies.ledger_entries(
            principal.tenant, buddy_id, int(after[0]) if after else 0, size + 1
        )
        entries = [ledger_entry_view(e) for e in events[:size]]
        entries = [e for e in entries if e is not None]
        more = len(events) > size
        return {
            "data": entries,
            "next_cursor": encode_cursor([events[size - 1].originator_version]) if more else None,
        }


def ledger_entry_view(event: Any) -> dict[str, Any] | None:
    if not isinstance(event, LedgerEntry):
        return None
    return {
        "ledger_entry_id": public_id("ledger_entry", event.entry_id),
        "direction": "credit" if isinstance(event, Credit) else "debit",
        "currency": event.token_key if isinstance(event, TokenEntry) else "coins",
        "amount": event.amount,
        "balance_after": event.balance_after,
        "reason": event.reason,
        "causation": event.causation,
        "created_at": event.timestamp,
    }

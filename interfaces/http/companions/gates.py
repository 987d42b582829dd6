"""A buddy's token gates and typed balances: unlock a gate, list its unlocks, read its tokens.

``POST /buddies/{id}/gates/{gate_key}/unlock`` pays once: a repeat answers the first unlock
with ``already_unlocked: true`` and writes nothing (decision 0035). Unlocks are listed from
the ``gate_unlocks`` view; token balances are read from the wallet, labelled by the token
slots of the buddy's config version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import FromPath

from application.companions.buddies import Buddies
from application.companions.gate_unlocks import GateUnlocks, Unlocking
from domain.configs.rulebook import TokenSlot
from domain.economy.ledger import Ledger
from domain.shared.ids import public_id
from interfaces.http.auth import Caller
from interfaces.http.companions.buddies import BUDDY_CHANGE_REFUSALS
from interfaces.http.pagination import Page, Paging, TenantListing
from interfaces.http.routing import Access, get, post
from projections.economy.gate_unlocks import GATE_UNLOCKS, GateUnlocksView


class GateUnlockView(msgspec.Struct, kw_only=True):
    """One unlock: which gate, what it cost the buddy then, and the wallet entry that paid."""

    buddy_id: str
    gate_key: str
    token_key: str
    cost: int
    ledger_entry_id: str
    unlocked_at: datetime


class UnlockedGate(msgspec.Struct, kw_only=True):
    """The gate as it is published now."""

    gate_key: str
    token_key: str
    cost: int
    metadata: dict[str, Any]


class UnlockResult(msgspec.Struct, kw_only=True):
    already_unlocked: bool
    unlock: GateUnlockView
    gate: UnlockedGate


class TokenBalance(msgspec.Struct, kw_only=True):
    """One token slot of the wallet: ``lifetime`` is everything ever earned."""

    key: str
    label: str
    balance: int
    lifetime: int


class TokenBalances(msgspec.Struct, kw_only=True):
    """The two slots; a slot is ``null`` when the buddy's config has none."""

    buddy_id: str
    primary: TokenBalance | None
    progression: TokenBalance | None


UNLOCK_REFUSALS = (
    *BUDDY_CHANGE_REFUSALS,
    "insufficient_balance",
    "progression_not_spendable",
    "config_version_mismatch",
)


def unlock_result(unlocking: Unlocking) -> UnlockResult:
    record, gate = unlocking.unlock, unlocking.gate
    return UnlockResult(
        already_unlocked=unlocking.already_unlocked,
        unlock=GateUnlockView(
            buddy_id=public_id("buddy", record.buddy_id),
            gate_key=record.gate_key,
            token_key=record.token_key,
            cost=record.cost,
            ledger_entry_id=public_id("ledger_entry", record.ledger_entry_id),
            unlocked_at=record.created_on,
        ),
        gate=UnlockedGate(
            gate_key=gate.gate_key,
            token_key=gate.token_key,
            cost=gate.cost,
            metadata=dict(gate.metadata),
        ),
    )


def unlock_row_view(row: dict[str, Any]) -> GateUnlockView:
    return GateUnlockView(
        buddy_id=f"bdy_{row['buddy_id']}",
        gate_key=row["gate_key"],
        token_key=row["token_key"],
        cost=row["cost"],
        ledger_entry_id=f"led_{row['ledger_entry_id']}",
        unlocked_at=datetime.fromisoformat(row["unlocked_at"]),
    )


UNLOCK_LIST = TenantListing(
    GateUnlocksView.name,
    GATE_UNLOCKS.name,
    (("unlocked_at", False), ("gate_key", False)),
    unlock_row_view,
    owner="buddy_id",
)


def token_balance(ledger: Ledger, slot: str, configured: TokenSlot | None) -> TokenBalance | None:
    """The wallet's ``slot``, labelled by the config's slot of the same key (else its key)."""
    key = ledger.token_keys.get(slot)
    if not key:
        return None
    label = configured.label if configured is not None and configured.token_key == key else key
    return TokenBalance(
        key=key, label=label, balance=ledger.balance(key), lifetime=ledger.lifetime_earned(key)
    )


class BuddyGateController(Controller):
    path = "/buddies"
    tags = ["buddies"]

    @post(
        "/{buddy_id:str}/gates/{gate_key:str}/unlock",
        access=Access.SECRET,
        feature="tokens",
        errors=UNLOCK_REFUSALS,
        status_code=200,
        summary="Spend the primary token to unlock a gate for the buddy (once)",
    )
    def unlock(
        self,
        principal: Caller,
        gate_unlocks: NamedDependency[GateUnlocks],
        buddy_id: FromPath[str],
        gate_key: FromPath[str],
    ) -> UnlockResult:
        unlocking = gate_unlocks.unlock(principal.tenant, buddy_id, gate_key, principal.actor)
        return unlock_result(unlocking)

    @get(
        "/{buddy_id:str}/unlocks",
        access=Access.READABLE,
        feature="tokens",
        errors=("bad_request",),
        summary="List the gates this buddy has unlocked, oldest first",
    )
    def unlocks(
        self,
        paging: NamedDependency[Paging],
        buddies: NamedDependency[Buddies],
        buddy_id: FromPath[str],
    ) -> Page[GateUnlockView]:
        return UNLOCK_LIST.page_of(paging, buddies.load(paging.tenant, buddy_id).id)

    @get(
        "/{buddy_id:str}/tokens",
        access=Access.READABLE,
        feature="tokens",
        summary="Typed token balances: the primary and the progression slot",
    )
    def tokens(
        self, principal: Caller, buddies: NamedDependency[Buddies], buddy_id: FromPath[str]
    ) -> TokenBalances:
        state = buddies.state(principal.tenant, buddy_id)
        config = state.rulebook.token_config
        return TokenBalances(
            buddy_id=public_id("buddy", state.buddy.id),
            primary=token_balance(state.ledger, "primary", config.primary),
            progression=token_balance(state.ledger, "progression", config.progression),
        )

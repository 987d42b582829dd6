"""``/buddies``: the canonical buddy state, its evolution, items, and manual overrides."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody

from application.accounts.principal import Principal
from application.companions.buddies import Buddies, BuddyState, WalletChange, WalletDirection
from application.companions.purchases import Purchases
from application.history.history import History
from application.shared.public_values import public_causation
from domain.economy.ledger import Credit, LedgerEntry, TokenEntry
from domain.ingestion.rules import EvolutionCheck
from domain.shared.ids import public_id
from domain.shared.tenancy import Tenant
from domain.shared.text_patterns import SNAKE_KEY
from interfaces.http.accepted import AcceptedOperation, accepted_operation
from interfaces.http.asset_links import public_origin, skill_icon
from interfaces.http.auth import Caller
from interfaces.http.body import Model
from interfaces.http.companions.appearance import EQUIP_REFUSALS, AppearanceView, pictures
from interfaces.http.pagination import (
    Page,
    Paging,
    TenantListing,
    bad_cursor,
    check_limit,
    decode_cursor,
    encode_cursor,
)
from interfaces.http.request_id import correlation_of
from interfaces.http.routing import Access, get, patch, post
from projections.companions.buddies import BUDDIES, BuddiesView

Amount = Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
TokenKey = Annotated[str, msgspec.Meta(pattern=SNAKE_KEY.regex)]

BUDDY_CHANGE_REFUSALS = ("invalid_state_transition", "conflict")
"""What any change of a buddy can be refused with: it is archived, or a write raced it."""
WALLET_REFUSALS = (*BUDDY_CHANGE_REFUSALS, "validation_failed")
SPEND_REFUSALS = (*WALLET_REFUSALS, "insufficient_balance", "progression_not_spendable")
PURCHASE_REFUSALS = (
    *BUDDY_CHANGE_REFUSALS,
    "item_already_owned",
    "requirements_not_met",
    "out_of_stock",
    "insufficient_balance",
    "config_version_mismatch",
)


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


class SkillView(msgspec.Struct):
    """A skill of the buddy; ``icon_url`` is the skill's icon (its own, else our procedural
    one), ``null`` for a skill its rulebook no longer has."""

    value: int
    level: int
    name: str
    icon_url: str | None = None


class AwardedBadge(msgspec.Struct):
    badge_key: str
    awarded_at: datetime


class BuddyView(msgspec.Struct):
    """The canonical buddy state (``GET /buddies/{id}``); URLs start with the public origin."""

    buddy_id: str
    user_id: str
    name: str
    status: str
    evolution_stage: int
    evolution_ready: bool
    config_version_id: str
    egg_id: str
    skills: dict[str, SkillView]
    coins: int
    tokens: dict[str, int]
    token_slots: dict[str, str]
    badges: list[AwardedBadge]
    owned_items: list[str]
    equipped_items: list[str]
    streaks: dict[str, int]
    image_url: str | None
    base_image_url: str | None
    thumb_url: str | None
    appearance: AppearanceView
    created_at: datetime
    updated_at: datetime


class BuddySummary(msgspec.Struct):
    """A buddy as the list shows it."""

    buddy_id: str
    user_id: str
    name: str
    status: str
    evolution_stage: int
    config_version_id: str
    created_at: datetime
    updated_at: datetime


class UnmetCondition(msgspec.Struct):
    """One condition of the next stage that does not hold yet; which keys it has depends on
    ``condition`` (``skill_key`` for skill levels, ``missing`` for badges)."""

    condition: str
    required: int | list[str]
    actual: int | msgspec.UnsetType = msgspec.UNSET
    skill_key: str | msgspec.UnsetType = msgspec.UNSET
    missing: list[str] | msgspec.UnsetType = msgspec.UNSET


class EvolutionView(msgspec.Struct):
    evolution_stage: int
    ready: bool
    next_stage: int | None
    reason: str
    unmet: list[UnmetCondition]


class BuddyEvolutionView(EvolutionView):
    buddy_id: str


class UserSummary(msgspec.Struct):
    user_id: str
    buddy_count: int
    active_buddy_count: int
    total_coins: int
    badge_count: int
    highest_stage: int
    buddies: list[BuddyView]


class WalletChangeView(msgspec.Struct):
    buddy_id: str
    currency: str
    amount: int
    balance: int
    ledger_entry_id: str


class LedgerEntryView(msgspec.Struct):
    ledger_entry_id: str
    direction: Literal["credit", "debit"]
    currency: str
    amount: int
    balance_after: int
    reason: str
    causation: dict[str, Any]
    created_at: datetime


def buddy_state_view(state: BuddyState, origin: str = "") -> BuddyView:
    """``origin`` starts the image URLs (``public_origin(request)``); empty, they are paths."""
    buddy, ledger, rulebook = state.buddy, state.ledger, state.rulebook
    skills = {}
    for skill in rulebook.skills:
        value = buddy.skills.get(skill.key, 0)
        skills[skill.key] = SkillView(
            value, skill.level_for(value), skill.name, skill_icon(origin, skill)
        )
    drawn = pictures(buddy, origin)
    return BuddyView(
        buddy_id=public_id("buddy", buddy.id),
        user_id=buddy.user_id,
        name=buddy.name,
        status=buddy.status,
        evolution_stage=buddy.evolution_stage,
        evolution_ready=buddy.evolution_ready,
        config_version_id=public_id("config_version", buddy.config_version_id),
        egg_id=public_id("egg", buddy.egg_id),
        skills=skills,
        coins=ledger.balance("coins"),
        tokens={key: ledger.balance(key) for key in ledger.token_keys.values()},
        token_slots=dict(ledger.token_keys),
        badges=[AwardedBadge(key, at) for key, at in buddy.badges.items()],
        owned_items=list(buddy.owned_item_ids),
        equipped_items=list(buddy.equipped_item_ids),
        streaks=dict(buddy.streaks),
        image_url=drawn.image_url,
        base_image_url=drawn.base_image_url,
        thumb_url=drawn.thumb_url,
        appearance=drawn.appearance,
        created_at=buddy.created_on,
        updated_at=max(buddy.modified_on, ledger.modified_on),
    )


def buddy_row_view(row: dict[str, Any]) -> BuddySummary:
    return BuddySummary(
        buddy_id=f"bdy_{row['buddy_id']}",
        user_id=row["user_id"],
        name=row["name"],
        status=row["status"],
        evolution_stage=row["evolution_stage"],
        config_version_id=f"cfg_{row['config_version_id']}",
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


BUDDY_LIST = TenantListing(
    BuddiesView.name, BUDDIES.name, (("created_at", True), ("buddy_id", True)), buddy_row_view
)


def evolution_view(stage: int, check: EvolutionCheck) -> EvolutionView:
    return EvolutionView(
        evolution_stage=stage,
        ready=check.ready,
        next_stage=check.next_stage,
        reason=check.reason,
        unmet=[msgspec.convert(dict(u), UnmetCondition) for u in check.unmet],
    )


def user_summary_view(user_id: str, buddies: list[BuddyView]) -> UserSummary:
    return UserSummary(
        user_id=user_id,
        buddy_count=len(buddies),
        active_buddy_count=sum(1 for b in buddies if b.status == "active"),
        total_coins=sum(b.coins for b in buddies),
        badge_count=sum(len(b.badges) for b in buddies),
        highest_stage=max((b.evolution_stage for b in buddies), default=0),
        buddies=buddies,
    )


def wallet_view(change: WalletChange) -> WalletChangeView:
    return WalletChangeView(
        buddy_id=public_id("buddy", change.buddy_id),
        currency=change.currency,
        amount=change.amount,
        balance=change.balance,
        ledger_entry_id=public_id("ledger_entry", change.entry_id),
    )


def ledger_entry_view(event: Any) -> LedgerEntryView | None:
    """A wallet event as a ledger entry; ``None`` for the wallet's other events (opened, token
    slots changed), which move no balance."""
    if not isinstance(event, LedgerEntry):
        return None
    return LedgerEntryView(
        ledger_entry_id=public_id("ledger_entry", event.entry_id),
        direction="credit" if isinstance(event, Credit) else "debit",
        currency=event.token_key if isinstance(event, TokenEntry) else "coins",
        amount=event.amount,
        balance_after=event.balance_after,
        reason=event.reason,
        causation=public_causation(event.causation),
        created_at=event.timestamp,
    )


# -- what the write routes answer --------------------------------------------------------


def current_buddy(
    request: Request[Any, Any, Any], buddies: Buddies, tenant: Tenant, buddy_id: str
) -> BuddyView:
    """The buddy as it is now: what every route that changes the buddy itself answers."""
    return buddy_state_view(buddies.state(tenant, buddy_id), public_origin(request))


T = TypeVar("T")
BuddyChange = Callable[[Tenant, str, T, str, str | None], object]
"""A ``Buddies`` override: (tenant, buddy id, what to set, actor, correlation id)."""


@dataclass(frozen=True)
class Override:
    """One manual override of one buddy, in the caller's name and under the request's id:
    what every override route needs, so each route says only what it changes."""

    request: Request[Any, Any, Any]
    principal: Principal
    buddies: Buddies
    buddy_id: str

    def buddy_after(self, change: BuddyChange[T], value: T) -> BuddyView:
        """Apply ``change`` with ``value``, answered with the buddy as it is now."""
        tenant = self.principal.tenant
        change(tenant, self.buddy_id, value, self.principal.actor, correlation_of(self.request))
        return current_buddy(self.request, self.buddies, tenant, self.buddy_id)

    def wallet_after(
        self,
        direction: WalletDirection,
        currency: str | None,
        data: CoinsRequest | SpendRequest | TokensRequest,
    ) -> WalletChangeView:
        """A credit or spend of ``currency`` (``None``: coins), answered with the change."""
        change = self.buddies.override_wallet(
            self.principal.tenant,
            self.buddy_id,
            direction,
            currency,
            data.amount,
            data.reason,
            self.principal.actor,
            correlation_of(self.request),
        )
        return wallet_view(change)


def override_route(
    method: Callable[..., Callable[[Callable[..., Any]], HTTPRouteHandler]],
    path: str,
    body: type[msgspec.Struct],
    summary: str,
    errors: Iterable[str] = BUDDY_CHANGE_REFUSALS,
    feature: str | None = None,
) -> Callable[[Callable[..., Any]], HTTPRouteHandler]:
    """How every manual override is declared: on the buddy's path, for a secret key only,
    answered 200 (the change is made, not queued); each route says what differs."""
    return method(
        "/{buddy_id:str}" + path,
        access=Access.SECRET,
        body=body,
        errors=errors,
        feature=feature,
        status_code=200,
        summary=summary,
    )


def provide_override(
    request: Request[Any, Any, Any],
    principal: Caller,
    buddies: NamedDependency[Buddies],
    buddy_id: FromPath[str],
) -> Override:
    return Override(request, principal, buddies, buddy_id)


class BuddyController(Controller):
    path = "/buddies"
    tags = ["buddies"]
    dependencies = {"override": Provide(provide_override, sync_to_thread=False)}

    @get(
        access=Access.READABLE,
        errors=("bad_request",),
        summary="List buddies (filters: user_id, status)",
    )
    def list_buddies(
        self,
        paging: NamedDependency[Paging],
        user_id: FromQuery[str | None] = None,
        status: FromQuery[Literal["active", "archived"] | None] = None,
    ) -> Page[BuddySummary]:
        filters = {"user_id": user_id, "status": status}
        return BUDDY_LIST.page(paging, filters)

    @get(
        "/{buddy_id:str}",
        access=Access.READABLE,
        summary="Canonical buddy state; with as_of, the state it had then (by replay)",
    )
    def get_buddy(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddies: NamedDependency[Buddies],
        history: NamedDependency[History],
        buddy_id: FromPath[str],
        as_of: FromQuery[datetime | None] = None,
    ) -> BuddyView:
        if as_of is None:
            return current_buddy(request, buddies, principal.tenant, buddy_id)
        state = history.as_of(principal.tenant, buddy_id, as_of)
        return buddy_state_view(state, public_origin(request))

    @patch(
        "/{buddy_id:str}",
        access=Access.SECRET,
        body=RenameRequest,
        errors=BUDDY_CHANGE_REFUSALS,
        summary="Rename the buddy",
    )
    def rename(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddies: NamedDependency[Buddies],
        buddy_id: FromPath[str],
        data: JSONBody[RenameRequest],
    ) -> BuddyView:
        buddies.rename(principal.tenant, buddy_id, data.name)
        return current_buddy(request, buddies, principal.tenant, buddy_id)

    @patch(
        "/{buddy_id:str}/archive",
        access=Access.SECRET,
        errors=BUDDY_CHANGE_REFUSALS,
        summary="Archive the buddy (read-only after)",
    )
    def archive(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddies: NamedDependency[Buddies],
        buddy_id: FromPath[str],
    ) -> BuddyView:
        buddies.archive(principal.tenant, buddy_id)
        return current_buddy(request, buddies, principal.tenant, buddy_id)

    @get(
        "/{buddy_id:str}/evolution",
        access=Access.READABLE,
        summary="Evolution readiness and what is still missing",
    )
    def evolution(
        self, principal: Caller, buddies: NamedDependency[Buddies], buddy_id: FromPath[str]
    ) -> BuddyEvolutionView:
        buddy, check = buddies.evolution(principal.tenant, buddy_id)
        readiness = evolution_view(buddy.evolution_stage, check)
        return BuddyEvolutionView(**msgspec.structs.asdict(readiness), buddy_id=buddy_id)

    @post(
        "/{buddy_id:str}/evolve",
        access=Access.SECRET,
        feature="evolution",
        errors=("invalid_state_transition", "max_stage_reached", "evolution_not_ready"),
        status_code=202,
        summary="Start an asynchronous evolution to the next stage",
    )
    def evolve(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddies: NamedDependency[Buddies],
        buddy_id: FromPath[str],
    ) -> AcceptedOperation:
        operation = buddies.request_evolve(principal.tenant, buddy_id, correlation_of(request))
        return accepted_operation(operation)

    @patch(
        "/{buddy_id:str}/equipped-items",
        access=Access.SECRET,
        body=EquipRequest,
        errors=EQUIP_REFUSALS,
        status_code=202,
        summary="Start an equip/unequip operation",
    )
    def equip(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddies: NamedDependency[Buddies],
        buddy_id: FromPath[str],
        data: JSONBody[EquipRequest],
    ) -> AcceptedOperation:
        operation = buddies.request_equip(
            principal.tenant, buddy_id, data.item_ids, correlation_of(request)
        )
        return accepted_operation(operation)

    @get(
        "/users/{user_id:str}/summary",
        access=Access.READABLE,
        summary="A user's buddies and totals",
    )
    def user_summary(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        buddies: NamedDependency[Buddies],
        user_id: FromPath[str],
    ) -> UserSummary:
        origin = public_origin(request)
        states = buddies.of_user(principal.tenant, user_id)
        return user_summary_view(user_id, [buddy_state_view(s, origin) for s in states])

    # -- manual overrides --------------------------------------------------------

    @override_route(patch, "/skills", SkillsRequest, "Manual override: set skill values")
    def set_skills(
        self, override: NamedDependency[Override], data: JSONBody[SkillsRequest]
    ) -> BuddyView:
        return override.buddy_after(override.buddies.set_skills, data.skills)

    @override_route(post, "/coins", CoinsRequest, "Manual override: credit coins", WALLET_REFUSALS)
    def credit_coins(
        self, override: NamedDependency[Override], data: JSONBody[CoinsRequest]
    ) -> WalletChangeView:
        return override.wallet_after("credit", None, data)

    @override_route(
        post, "/coins/spend", SpendRequest, "Spend coins (or the primary token)", SPEND_REFUSALS
    )
    def spend(
        self, override: NamedDependency[Override], data: JSONBody[SpendRequest]
    ) -> WalletChangeView:
        return override.wallet_after("spend", data.token_key, data)

    @override_route(
        post, "/tokens", TokensRequest, "Manual override: credit a token", WALLET_REFUSALS, "tokens"
    )
    def credit_tokens(
        self, override: NamedDependency[Override], data: JSONBody[TokensRequest]
    ) -> WalletChangeView:
        return override.wallet_after("credit", data.token_key, data)

    @override_route(
        post, "/badges", BadgeRequest, "Manual override: award a badge", feature="badges"
    )
    def award_badge(
        self, override: NamedDependency[Override], data: JSONBody[BadgeRequest]
    ) -> BuddyView:
        return override.buddy_after(override.buddies.award_badge, data.badge_key)

    @override_route(
        post,
        "/items",
        PurchaseRequest,
        "Alias of purchase-item (the same purchase), answering the buddy",
        PURCHASE_REFUSALS,
    )
    def purchase_item(
        self,
        override: NamedDependency[Override],
        purchases: NamedDependency[Purchases],
        data: JSONBody[PurchaseRequest],
    ) -> BuddyView:
        return override.buddy_after(purchases.purchase, data.item_id)


class EconomyController(Controller):
    path = "/economy"
    tags = ["economy"]

    @get(
        "/buddies/{buddy_id:str}/ledger",
        access=Access.SECRET,
        errors=("bad_request",),
        summary="The buddy's wallet entries, oldest first (cursor)",
    )
    def ledger(
        self,
        paging: NamedDependency[Paging],
        buddies: NamedDependency[Buddies],
        buddy_id: FromPath[str],
    ) -> Page[LedgerEntryView]:
        size = check_limit(paging.limit)
        [version] = decode_cursor(paging.cursor, 1) or [0]
        if type(version) is not int or version < 0:  # not isinstance: JSON true is no version
            raise bad_cursor()
        events = buddies.ledger_entries(paging.tenant, buddy_id, version, size + 1)
        entries = [entry for e in events[:size] if (entry := ledger_entry_view(e)) is not None]
        more = len(events) > size
        return Page(entries, encode_cursor([events[size - 1].originator_version]) if more else None)

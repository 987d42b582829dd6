"""``/admin/customers``: find a customer, see its keys, plan, quota, features and onboarding,
correct them, close and reopen it, and see its dashboard as it does (decision 0051)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Concatenate, Literal, ParamSpec
from uuid import UUID

import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from application.admin.audit import AdminCaller
from application.admin.customers import AdminCustomers
from application.configs.configs import Configs
from application.credits.credits import Credits
from domain.accounts.customer import Customer
from domain.accounts.plans import PLANS
from domain.shared.ids import parse_public_id, public_id
from domain.shared.tenancy import Tenant
from infrastructure.persistence.view_store import ViewStore
from interfaces.http.accounts.accounts import (
    CreateKeyRequest,
    IssuedKeyView,
    KeyList,
    KeyView,
    issued_key_view,
    key_state_view,
)
from interfaces.http.admin_auth import ADMIN_DEPENDENCIES, AdminAuth
from interfaces.http.body import Model
from interfaces.http.consistency import read_your_writes
from interfaces.http.credits.credits import CreditBalance, credit_balance
from interfaces.http.pagination import Page, Rows, page
from interfaces.http.routing import Access, Limit, delete, get, patch, post
from projections.admin.customers import CUSTOMERS, AdminCustomersView
from projections.companions.buddies import BUDDIES
from projections.companions.eggs import EGGS
from projections.ingestion.event_log import EVENTS

PlanKey = Literal["starter", "growth", "pro", "enterprise"]
assert set(PlanKey.__args__) == set(PLANS)  # type: ignore[attr-defined]
Quota = Annotated[int, msgspec.Meta(ge=0, le=10**12)]
FeatureName = Annotated[str, msgspec.Meta(max_length=64)]

CUSTOMER_WRITE_REFUSALS = ("conflict",)
STATE_REFUSALS = ("invalid_state_transition", "conflict")
P = ParamSpec("P")


class AdminCustomerSummary(msgspec.Struct):
    id: str
    email: str
    company_name: str
    plan: str
    deleted: bool
    created_at: datetime


class CustomerCounts(msgspec.Struct):
    api_keys: int
    active_api_keys: int
    buddies: int
    eggs: int
    events: int


class CustomerBalances(msgspec.Struct):
    credits: CreditBalance
    """What each credit pool can pay now (``…/credits`` has the ledger)."""


class AdminCustomerDetail(msgspec.Struct):
    id: str
    email: str
    company_name: str
    plan: str
    event_quota: int | None
    """The customer's own monthly figure; ``null``: its plan's."""
    monthly_event_quota: int
    feature_overrides: dict[str, bool]
    settings: dict[str, Any]
    created_at: datetime
    deleted_at: datetime | None
    counts: CustomerCounts
    balances: CustomerBalances


class UpdateCustomerRequest(Model):
    company_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None


class PlanRequest(Model):
    plan: PlanKey


class EventQuotaRequest(Model):
    event_quota: Quota | None
    """The monthly event quota; ``null`` returns to the plan's."""


class FeaturesRequest(Model):
    features: dict[FeatureName, bool | None]
    """``true`` grants a feature whatever the plan, ``false`` locks it, ``null`` removes the
    override; features not named keep theirs."""


class OnboardingStep(msgspec.Struct):
    key: str
    done: bool


class Onboarding(msgspec.Struct):
    customer_id: str
    completed: bool
    steps: list[OnboardingStep]


class ImpersonationResponse(msgspec.Struct):
    customer_id: str
    token: str
    expires_at: datetime
    read_only: bool


def detail(
    customer: Customer, views: ViewStore, keys: list[Any], credits: Credits
) -> AdminCustomerDetail:
    owner = {"customer_id": customer.id.hex}
    return AdminCustomerDetail(
        id=public_id("customer", customer.id),
        email=customer.email,
        company_name=customer.company_name,
        plan=customer.plan,
        event_quota=customer.event_quota,
        monthly_event_quota=customer.monthly_event_quota,
        feature_overrides=dict(customer.feature_overrides),
        settings=customer.settings,
        created_at=customer.created_on,
        deleted_at=customer.deleted_at,
        counts=CustomerCounts(
            api_keys=len(keys),
            active_api_keys=sum(1 for key in keys if key.is_active),
            buddies=views.count(BUDDIES.name, owner),
            eggs=views.count(EGGS.name, owner),
            events=views.count(EVENTS.name, owner),
        ),
        balances=CustomerBalances(credits=credit_balance(credits.balance(customer.id))),
    )


@dataclass(frozen=True)
class CustomerDesk:
    """One customer as an admin corrects it: the admin (each act is audited in their name),
    the customer named by the path, and the detail every correction answers with. What
    every such route needs, so each says only what it changes."""

    admin: AdminCaller
    customers: AdminCustomers
    views: ViewStore
    credits: Credits
    customer_id: UUID

    def act(
        self,
        change: Callable[Concatenate[AdminCaller, UUID, P], Customer],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> AdminCustomerDetail:
        """``change`` the customer in the admin's name, answered with its detail."""
        return self.detail_of(change(self.admin, self.customer_id, *args, **kwargs))

    def detail_of(self, customer: Customer) -> AdminCustomerDetail:
        """The customer's detail, its keys and counts as they are now."""
        keys = self.customers.keys(self.customer_id)
        return detail(customer, self.views, keys, self.credits)


def provide_desk(
    admin: AdminAuth,
    admin_customers: NamedDependency[AdminCustomers],
    views: NamedDependency[ViewStore],
    credits: NamedDependency[Credits],
    customer_id: FromPath[str],
) -> CustomerDesk:
    return CustomerDesk(
        admin, admin_customers, views, credits, parse_public_id("customer", customer_id)
    )


ORDER = (("created_at", True), ("customer_id", True))


def customer_summary(row: dict[str, Any]) -> AdminCustomerSummary:
    return AdminCustomerSummary(
        id=f"cus_{row['customer_id']}",
        email=row["email"],
        company_name=row["company_name"],
        plan=row["plan"],
        deleted=bool(row["deleted"]),
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def matching(q: str) -> Rows:
    """The directory's rows whose e-mail or company name holds ``q`` anywhere, in any case
    (``%``, ``_`` and ``\\`` in ``q`` are themselves), with the equality filters of ``where``."""
    needle = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    def rows(
        views: ViewStore,
        where: dict[str, Any],
        order_by: Sequence[tuple[str, bool]],
        after: list[Any] | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        assert tuple(order_by) == ORDER, "the directory is searched newest first only"
        clauses = ["(email LIKE {p} ESCAPE '\\' OR company_lower LIKE {p} ESCAPE '\\')"]
        params: list[Any] = [needle, needle]
        for column, value in where.items():
            if value is not None:
                clauses.append(f"{column} = {{p}}")
                params.append(value)
        if after is not None:
            clauses.append("(created_at, customer_id) < ({p}, {p})")
            params += after
        sql = f"SELECT * FROM {CUSTOMERS.name} WHERE {' AND '.join(clauses)}"
        return views.select(
            sql + f" ORDER BY created_at DESC, customer_id DESC LIMIT {limit}", params
        )

    return rows


def search_customers(
    views: ViewStore,
    q: str | None,
    plan: str | None,
    deleted: bool | None,
    cursor: str | None,
    limit: int | None,
) -> Page[AdminCustomerSummary]:
    """Newest first; ``q`` matches the e-mail or the company name anywhere, in any case."""
    where = {"plan": plan, "deleted": None if deleted is None else int(deleted)}
    rows_of = matching(q) if q else None
    return page(views, CUSTOMERS.name, where, ORDER, cursor, limit, customer_summary, rows_of)


class AdminCustomerController(Controller):
    path = "/admin/customers"
    tags = ["admin"]
    dependencies = {**ADMIN_DEPENDENCIES, "desk": Provide(provide_desk, sync_to_thread=False)}

    @get(
        access=Access.ADMIN,
        errors=("bad_request",),
        limit=Limit.NONE,
        summary="Search customers (e-mail or company), filter by plan and deletion",
    )
    def list_customers(
        self,
        request: Request[Any, Any, Any],
        admin: AdminAuth,
        views: NamedDependency[ViewStore],
        q: FromQuery[Annotated[str, msgspec.Meta(max_length=254)] | None] = None,
        plan: FromQuery[PlanKey | None] = None,
        deleted: FromQuery[bool | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int | None] = None,
    ) -> Page[AdminCustomerSummary]:
        read_your_writes(request, AdminCustomersView.name)
        return search_customers(views, q, plan, deleted, cursor, limit)

    @get("/{customer_id:str}", access=Access.ADMIN, limit=Limit.NONE, summary="A customer")
    def get_customer(
        self, request: Request[Any, Any, Any], desk: NamedDependency[CustomerDesk]
    ) -> AdminCustomerDetail:
        customer = desk.customers.customer(desk.customer_id)
        read_your_writes(request, "buddies", "eggs", "event_log")
        return desk.detail_of(customer)

    @patch(
        "/{customer_id:str}",
        access=Access.ADMIN,
        body=UpdateCustomerRequest,
        errors=CUSTOMER_WRITE_REFUSALS,
        limit=Limit.NONE,
        summary="Correct a customer's profile",
    )
    def update_customer(
        self, desk: NamedDependency[CustomerDesk], data: JSONBody[UpdateCustomerRequest]
    ) -> AdminCustomerDetail:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        return desk.act(desk.customers.update_profile, changes)

    @delete(
        "/{customer_id:str}",
        access=Access.ADMIN,
        errors=STATE_REFUSALS,
        limit=Limit.NONE,
        status_code=200,
        summary="Soft-delete a customer: its credentials stop working, its data stays",
    )
    def delete_customer(self, desk: NamedDependency[CustomerDesk]) -> AdminCustomerDetail:
        return desk.act(desk.customers.delete)

    @post(
        "/{customer_id:str}/restore",
        access=Access.ADMIN,
        errors=STATE_REFUSALS,
        limit=Limit.NONE,
        status_code=200,
        summary="Restore a soft-deleted customer",
    )
    def restore_customer(self, desk: NamedDependency[CustomerDesk]) -> AdminCustomerDetail:
        return desk.act(desk.customers.restore)

    @get(
        "/{customer_id:str}/api-keys",
        access=Access.ADMIN,
        limit=Limit.NONE,
        summary="A customer's API keys (no secrets)",
    )
    def list_keys(self, desk: NamedDependency[CustomerDesk]) -> KeyList:
        keys = desk.customers.keys(desk.customer_id)
        return KeyList([key_state_view(key) for key in keys])

    @post(
        "/{customer_id:str}/api-keys/{key_id:str}/revoke",
        access=Access.ADMIN,
        errors=("conflict",),
        limit=Limit.NONE,
        status_code=200,
        summary="Revoke a customer's API key at once",
    )
    def revoke_key(self, desk: NamedDependency[CustomerDesk], key_id: FromPath[str]) -> KeyView:
        key_uuid = parse_public_id("api_key", key_id)
        revoked = desk.customers.revoke_key(desk.admin, desk.customer_id, key_id, key_uuid)
        return key_state_view(revoked)

    @post(
        "/{customer_id:str}/api-keys/publishable",
        access=Access.ADMIN,
        body=CreateKeyRequest,
        errors=STATE_REFUSALS,
        limit=Limit.NONE,
        status_code=201,
        summary="Issue a publishable key for the customer (shown once)",
    )
    def issue_publishable_key(
        self, desk: NamedDependency[CustomerDesk], data: JSONBody[CreateKeyRequest]
    ) -> IssuedKeyView:
        issued = desk.customers.issue_publishable_key(
            desk.admin, desk.customer_id, data.mode, data.name
        )
        return issued_key_view(issued)

    @patch(
        "/{customer_id:str}/event-quota",
        access=Access.ADMIN,
        body=EventQuotaRequest,
        errors=CUSTOMER_WRITE_REFUSALS,
        limit=Limit.NONE,
        summary="Set the customer's monthly event quota (null: its plan's)",
    )
    def change_event_quota(
        self, desk: NamedDependency[CustomerDesk], data: JSONBody[EventQuotaRequest]
    ) -> AdminCustomerDetail:
        return desk.act(desk.customers.change_event_quota, data.event_quota)

    @patch(
        "/{customer_id:str}/features",
        access=Access.ADMIN,
        body=FeaturesRequest,
        errors=CUSTOMER_WRITE_REFUSALS,
        limit=Limit.NONE,
        summary="Grant or lock plan features for this customer, whatever its plan",
    )
    def override_features(
        self, desk: NamedDependency[CustomerDesk], data: JSONBody[FeaturesRequest]
    ) -> AdminCustomerDetail:
        return desk.act(desk.customers.override_features, dict(data.features))

    @patch(
        "/{customer_id:str}/plan",
        access=Access.ADMIN,
        body=PlanRequest,
        errors=CUSTOMER_WRITE_REFUSALS,
        limit=Limit.NONE,
        summary="Move the customer to a plan (no payment provider is told)",
    )
    def change_plan(
        self, desk: NamedDependency[CustomerDesk], data: JSONBody[PlanRequest]
    ) -> AdminCustomerDetail:
        return desk.act(desk.customers.change_plan, data.plan)

    @get(
        "/{customer_id:str}/onboarding",
        access=Access.ADMIN,
        limit=Limit.NONE,
        summary="How far the customer got in onboarding (live data)",
    )
    def onboarding(
        self,
        request: Request[Any, Any, Any],
        desk: NamedDependency[CustomerDesk],
        configs: NamedDependency[Configs],
    ) -> Onboarding:
        uuid = desk.customer_id
        desk.customers.customer(uuid)
        read_your_writes(request, "buddies", "event_log")
        live = {"customer_id": uuid.hex, "mode": "live"}
        keys = desk.customers.keys(uuid)
        views = desk.views
        steps = [
            OnboardingStep("account_created", True),
            OnboardingStep(
                "config_published",
                configs.published_version(Tenant(uuid, "live")) is not None,
            ),
            OnboardingStep(
                "secret_key_created", any(k.kind == "secret" and k.mode == "live" for k in keys)
            ),
            OnboardingStep("first_event_received", views.count(EVENTS.name, live) > 0),
            OnboardingStep("first_buddy_hatched", views.count(BUDDIES.name, live) > 0),
        ]
        return Onboarding(public_id("customer", uuid), all(step.done for step in steps), steps)

    @post(
        "/{customer_id:str}/impersonate",
        access=Access.ADMIN,
        errors=STATE_REFUSALS,
        limit=Limit.NONE,
        status_code=201,
        summary="A short-lived, read-only dashboard token for the customer",
    )
    def impersonate(self, desk: NamedDependency[CustomerDesk]) -> ImpersonationResponse:
        """Every request made with the token is recorded in the audit trail under this
        admin; every write with it is ``403 forbidden``."""
        taken = desk.customers.impersonate(desk.admin, desk.customer_id)
        return ImpersonationResponse(
            public_id("customer", desk.customer_id), taken.token, taken.expires_at, True
        )

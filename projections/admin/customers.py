"""The customer directory an admin searches: one row per customer, every tenant's.

``?q=`` matches the e-mail (stored normalised, lower-case) or the company name (kept
lower-cased in ``company_lower``) anywhere in the text."""

from __future__ import annotations

from collections.abc import Iterable

from eventsourcing.domain import DomainEvent

from domain.accounts.customer import Customer
from domain.accounts.plans import DEFAULT_PLAN
from projections.shared.base import RowChange, Table, Upsert, iso

CUSTOMERS = Table(
    name="view_admin_customers",
    key=("customer_id",),
    columns={
        "customer_id": "text",
        "email": "text",
        "company_name": "text",
        "company_lower": "text",
        "plan": "text",
        "deleted": "int",
        "created_at": "text",
    },
    indexes=(("created_at",), ("plan", "created_at"), ("deleted", "created_at")),
)


class AdminCustomersView:
    name = "admin_customers"
    tables: tuple[Table, ...] = (CUSTOMERS,)
    handles: tuple[type[DomainEvent], ...] = (
        Customer.Registered,
        Customer.ProfileChanged,
        Customer.PlanChanged,
        Customer.Deleted,
        Customer.Restored,
    )

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        key = {"customer_id": event.originator_id.hex}
        if isinstance(event, Customer.Registered):
            yield Upsert(
                CUSTOMERS.name,
                key,
                {
                    "email": event.email,
                    "company_name": event.company_name,
                    "company_lower": event.company_name.lower(),
                    "plan": DEFAULT_PLAN,
                    "deleted": 0,
                    "created_at": iso(event.timestamp),
                },
            )
        elif isinstance(event, Customer.ProfileChanged):
            changed = {k: v for k, v in event.changes.items() if k in ("email", "company_name")}
            if "company_name" in changed:
                changed["company_lower"] = changed["company_name"].lower()
            if changed:
                yield Upsert(CUSTOMERS.name, key, changed)
        elif isinstance(event, Customer.PlanChanged):
            yield Upsert(CUSTOMERS.name, key, {"plan": event.plan})
        elif isinstance(event, Customer.Deleted):
            yield Upsert(CUSTOMERS.name, key, {"deleted": 1})
        elif isinstance(event, Customer.Restored):
            yield Upsert(CUSTOMERS.name, key, {"deleted": 0})

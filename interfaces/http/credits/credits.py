"""``/credits/balance``, ``/credits/ledger``, ``/image-usage`` and ``/image-usage/report``.

The balance is read from the customer's ``CreditAccount`` (the one every charge is decided
on); the ledger and the usage from the ``credit_ledger`` view, after it caught up with the
caller's writes. Credits are the account's, for live and test data alike (decision 0048),
so no answer depends on the credential's mode. Publishable keys are refused
(``publishable_key_scope``): they live in browsers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from application.credits.credits import Balance, Credits
from domain.credits.credit_account import credit_account_id
from domain.credits.prices import JOB_PRICES
from domain.ingestion.event_quota import month_of, reset_at
from domain.shared.errors import DomainError
from domain.shared.ids import public_id
from infrastructure.persistence.view_store import ViewStore
from interfaces.http.auth import Caller
from interfaces.http.consistency import read_your_writes
from interfaces.http.pagination import Page, Paging, page
from interfaces.http.routing import Access, get
from projections.credits.credit_ledger import LEDGER, USAGE, CreditLedgerView

MAX_REPORT_DAYS = 366
DEFAULT_REPORT_DAYS = 30


class CreditBalance(msgspec.Struct, kw_only=True):
    """What each pool can pay now, spent in the order promo → welcome → paid."""

    promo: int
    welcome: int
    paid: int
    promo_expires_at: datetime | None
    total_spendable: int


def credit_balance(balance: Balance) -> CreditBalance:
    return CreditBalance(
        promo=balance.promo,
        welcome=balance.welcome,
        paid=balance.paid,
        promo_expires_at=balance.promo_expires_at,
        total_spendable=balance.total_spendable,
    )


class CreditLedgerEntry(msgspec.Struct, kw_only=True):
    """One credit movement: a ``grant`` into a pool, a ``debit`` out of one (an operator's
    claw-back), a job's charge ``authorize``d before it ran, then its ``commit`` (it
    succeeded) or ``rollback`` (it failed or was cancelled)."""

    sequence: int
    kind: Literal["grant", "debit", "authorize", "commit", "rollback"]
    pool: Literal["promo", "welcome", "paid"]
    amount: int
    job: str | None
    authorization_id: str | None
    operation_id: str | None
    buddy_id: str | None
    mode: Literal["live", "test"] | None
    reason: str | None
    created_at: datetime


class JobUsage(msgspec.Struct, kw_only=True):
    job: str
    jobs: int
    credits: int


class ImageUsage(msgspec.Struct, kw_only=True):
    """Image jobs completed in one UTC calendar month, by job, and the credits they spent."""

    period: str
    period_start: datetime
    period_end: datetime
    jobs: list[JobUsage]
    total_jobs: int
    total_credits: int
    prices: dict[str, int]


class UsageDay(msgspec.Struct, kw_only=True):
    date: date
    jobs: list[JobUsage]
    total_jobs: int
    total_credits: int


class ImageUsageReport(msgspec.Struct, kw_only=True):
    """Image jobs completed per UTC day between ``from`` and ``to`` (inclusive); days without
    a completed job are left out."""

    from_: date = msgspec.field(name="from")
    to: date
    days: list[UsageDay]
    total_jobs: int
    total_credits: int


def ledger_entry(row: dict[str, Any]) -> CreditLedgerEntry:
    def named(kind: str, hex_id: str | None) -> str | None:
        return public_id(kind, _uuid(hex_id)) if hex_id else None

    return CreditLedgerEntry(
        sequence=row["seq"],
        kind=row["kind"],
        pool=row["pool"],
        amount=row["amount"],
        job=row["job"],
        authorization_id=row["authorisation_id"],
        operation_id=named("operation", row["operation_id"]),
        buddy_id=named("buddy", row["buddy_id"]),
        mode=row["mode"],
        reason=row["reason"],
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def _uuid(hex_id: str) -> UUID:
    return UUID(hex_id)


def _job_usage(rows: list[dict[str, Any]]) -> list[JobUsage]:
    totals: dict[str, list[int]] = {}
    for row in rows:
        counted = totals.setdefault(row["job"], [0, 0])
        counted[0] += row["jobs"] or 0
        counted[1] += row["credits"] or 0
    return [JobUsage(job=job, jobs=n, credits=c) for job, (n, c) in sorted(totals.items())]


def _usage_rows(views: ViewStore, customer: UUID, first: date, last: date) -> list[dict[str, Any]]:
    return views.rows(
        USAGE.name,
        {
            "account_id": credit_account_id(customer).hex,
            "day": [(">=", first.isoformat()), ("<=", last.isoformat())],
        },
        order_by=(("day", False), ("job", False)),
    )


class CreditController(Controller):
    path = "/credits"
    tags = ["credits"]

    @get(
        "/balance",
        access=Access.SECRET,
        summary="What each credit pool can pay now (spent promo → welcome → paid)",
    )
    def balance(self, principal: Caller, credits: NamedDependency[Credits]) -> CreditBalance:
        return credit_balance(credits.balance(principal.customer_id))

    @get(
        "/ledger",
        access=Access.SECRET,
        errors=("bad_request",),
        summary="The credit ledger, newest first: grants, and each job's authorize, commit "
        "or rollback",
    )
    def ledger(self, paging: NamedDependency[Paging]) -> Page[CreditLedgerEntry]:
        read_your_writes(paging.request, CreditLedgerView.name)
        where = {"account_id": credit_account_id(paging.tenant.customer_id).hex}
        order = (("seq", True),)
        return page(
            paging.views, LEDGER.name, where, order, paging.cursor, paging.limit, ledger_entry
        )


class ImageUsageController(Controller):
    path = "/image-usage"
    tags = ["credits"]

    @get(
        "/",
        access=Access.SECRET,
        errors=("bad_request",),
        summary="Image jobs completed in a UTC month (this one unless ?month=YYYY-MM), by job",
    )
    def usage(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        views: NamedDependency[ViewStore],
        month: FromQuery[str | None] = None,
    ) -> ImageUsage:
        start = _month_start(month) if month else _month_start(month_of(datetime.now(UTC)))
        end = reset_at(start)
        read_your_writes(request, CreditLedgerView.name)
        last = (end - timedelta(days=1)).date()
        jobs = _job_usage(_usage_rows(views, principal.customer_id, start.date(), last))
        return ImageUsage(
            period=month_of(start),
            period_start=start,
            period_end=end,
            jobs=jobs,
            total_jobs=sum(j.jobs for j in jobs),
            total_credits=sum(j.credits for j in jobs),
            prices=dict(JOB_PRICES),
        )

    @get(
        "/report",
        access=Access.SECRET,
        errors=("bad_request",),
        summary="Image jobs completed per UTC day, from ?from= to ?to= (the last 30 days)",
    )
    def report(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        views: NamedDependency[ViewStore],
        first: Annotated[date | None, QueryParameter(name="from")] = None,
        last: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> ImageUsageReport:
        last = last or datetime.now(UTC).date()
        first = first or last - timedelta(days=DEFAULT_REPORT_DAYS - 1)
        if first > last:
            raise DomainError(
                "bad_request", "from is later than to", {"from": str(first), "to": str(last)}
            )
        if (last - first).days + 1 > MAX_REPORT_DAYS:
            raise DomainError(
                "bad_request",
                f"a report covers at most {MAX_REPORT_DAYS} days",
                {"from": str(first), "to": str(last), "max_days": MAX_REPORT_DAYS},
            )
        read_your_writes(request, CreditLedgerView.name)
        rows = _usage_rows(views, principal.customer_id, first, last)
        by_day: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_day.setdefault(row["day"], []).append(row)
        days = []
        for day, day_rows in sorted(by_day.items()):
            jobs = _job_usage(day_rows)
            days.append(
                UsageDay(
                    date=date.fromisoformat(day),
                    jobs=jobs,
                    total_jobs=sum(j.jobs for j in jobs),
                    total_credits=sum(j.credits for j in jobs),
                )
            )
        return ImageUsageReport(
            from_=first,
            to=last,
            days=days,
            total_jobs=sum(d.total_jobs for d in days),
            total_credits=sum(d.total_credits for d in days),
        )


def _month_start(month: str) -> datetime:
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise DomainError(
            "bad_request", "month should be YYYY-MM", {"field": "month", "value": month}
        ) from None
    return start

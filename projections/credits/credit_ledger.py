"""The customer's credit ledger and image usage, from ``CreditAccount`` streams.

* ``view_credit_ledger``: one row per credit movement — ``grant``, ``debit`` (a claw-back),
  ``authorize``, ``commit``, ``rollback`` — keyed by the account's stream position, so the newest come first and a
  replay writes the same rows (``GET /credits/ledger``).

Rows are keyed by the account (``account_id``), whose id derives from the customer's
(``credit_account_id``): only the account's first event names the customer.
* ``view_image_usage``: per customer, UTC day and job, the jobs that completed and the
  credits they spent, added up with increments at each commit (``GET /image-usage`` and
  ``/image-usage/report`` never scan the ledger).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eventsourcing.domain import DomainEvent

from domain.credits.credit_account import CreditAccount
from projections.shared.base import RowChange, Table, Upsert, iso

LEDGER = Table(
    name="view_credit_ledger",
    key=("account_id", "seq"),
    columns={
        "account_id": "text",
        "seq": "int",
        "kind": "text",
        "pool": "text",
        "amount": "int",
        "job": "text",
        "authorisation_id": "text",
        "operation_id": "text",
        "buddy_id": "text",
        "mode": "text",
        "reason": "text",
        "created_at": "text",
    },
    indexes=(),
)

USAGE = Table(
    name="view_image_usage",
    key=("account_id", "day", "job"),
    columns={
        "account_id": "text",
        "day": "text",
        "job": "text",
        "jobs": "int",
        "credits": "int",
    },
    indexes=(),
)


class CreditLedgerView:
    name = "credit_ledger"
    tables: tuple[Table, ...] = (LEDGER, USAGE)
    handles: tuple[type[DomainEvent], ...] = (
        CreditAccount.Granted,
        CreditAccount.Debited,
        CreditAccount.Authorised,
        CreditAccount.Committed,
        CreditAccount.RolledBack,
    )

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        if not isinstance(
            event,
            CreditAccount.Granted
            | CreditAccount.Debited
            | CreditAccount.Authorised
            | CreditAccount.Committed
            | CreditAccount.RolledBack,
        ):
            return
        account = event.originator_id.hex
        key = {"account_id": account, "seq": event.originator_version}
        row: dict[str, Any] = {
            "pool": event.pool,
            "amount": event.amount,
            "created_at": iso(event.timestamp),
            "authorisation_id": None,
        }
        if isinstance(event, CreditAccount.Granted):
            row |= {"kind": "grant", "reason": _cause_text(event.cause)}
        elif isinstance(event, CreditAccount.Debited):
            row |= {"kind": "debit", "reason": _cause_text(event.cause)}
        else:
            row |= {"job": event.job, "authorisation_id": event.authorisation_id.hex}
            row |= {
                "operation_id": event.subject.get("operation_id"),
                "buddy_id": event.subject.get("buddy_id"),
                "mode": event.subject.get("mode"),
            }
        if isinstance(event, CreditAccount.Authorised):
            row["kind"] = "authorize"
        elif isinstance(event, CreditAccount.Committed):
            row["kind"] = "commit"
            yield Upsert(
                USAGE.name,
                {"account_id": account, "day": iso(event.timestamp)[:10], "job": event.job},
                {},
                increments={"jobs": 1, "credits": event.amount},
            )
        elif isinstance(event, CreditAccount.RolledBack):
            row |= {"kind": "rollback", "reason": event.reason}
        yield Upsert(LEDGER.name, key, row)


def _cause_text(cause: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(cause.items()))

"""A grant or claw-back that names no pool, a repeated pool, or an amount outside
1..``MAX_GRANT`` (a bool included) is ``validation_failed`` naming the field, and records
nothing; only promo credits may expire."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from domain.credits.credit_account import MAX_GRANT, CreditAccount, open_credit_account
from domain.shared.errors import DomainError

T0 = datetime(2026, 4, 8, tzinfo=UTC)
CAUSE = {"source": "test"}


def fresh() -> CreditAccount:
    account = open_credit_account(uuid4(), "starter", T0)
    account.collect_events()
    return account


def refused_field(call: Any) -> str:
    with pytest.raises(DomainError) as refusal:
        call()
    assert refusal.value.code == "validation_failed"
    assert refusal.value.details is not None
    [field] = refusal.value.details["fields"]
    return str(field["field"])


@pytest.mark.parametrize("amount", [0, -1, MAX_GRANT + 1, True])
def test_a_grant_or_claw_back_of_a_bad_amount_is_refused_and_records_nothing(
    amount: int,
) -> None:
    account = fresh()
    grant = lambda: account.grant(pool="paid", amount=amount, cause=CAUSE, timestamp=T0)  # noqa: E731
    debit = lambda: account.debit(amount=amount, pools=("welcome",), cause=CAUSE, timestamp=T0)  # noqa: E731
    assert refused_field(grant) == "amount"
    assert refused_field(debit) == "amount"
    assert account.collect_events() == []
    assert account.figures(T0) == {"promo": 0, "welcome": 20, "paid": 0}


def test_unknown_or_repeated_pools_and_expiring_non_promo_credits_are_refused() -> None:
    account = fresh()
    assert (
        refused_field(lambda: account.grant(pool="gold", amount=1, cause=CAUSE, timestamp=T0))
        == "pool"
    )
    assert (
        refused_field(
            lambda: account.grant(pool="paid", amount=1, cause=CAUSE, timestamp=T0, expires_at=T0)
        )
        == "expires_at"
    )
    for pools in [(), ("gold",), ("welcome", "welcome")]:
        debit = lambda: account.debit(amount=1, pools=pools, cause=CAUSE, timestamp=T0)  # noqa: E731,B023
        assert refused_field(debit) == "pools"
    assert account.collect_events() == []
    account.grant(pool="paid", amount=MAX_GRANT, cause=CAUSE, timestamp=T0)
    assert account.debit(amount=1, pools=("welcome",), cause=CAUSE, timestamp=T0) == {"welcome": 1}

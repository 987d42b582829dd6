"""``hatched customers plan``: an operator changes a plan from outside the code (decision
0049), by e-mail or id, with its cause recorded; refusals change nothing."""

from __future__ import annotations

from litestar.testing import TestClient

from domain.accounts.customer import Customer
from domain.shared.ids import parse_public_id
from interfaces.container import Container
from tests.conftest import Account
from tests.integration.test_projections_cli import Run, hatched  # noqa: F401 - the fixture


def plan_changes(container: Container, account: Account) -> list[Customer.PlanChanged]:
    customer_id = parse_public_id("customer", account.customer_id)
    return [
        e for e in container.store.events.get(customer_id) if isinstance(e, Customer.PlanChanged)
    ]


def test_an_operator_puts_a_customer_on_a_plan_by_email_or_id(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
    other_account: Account,
    hatched: Run,  # noqa: F811
) -> None:
    code, out, err = hatched("customers", "plan", account.email.upper(), "growth")
    assert code == 0, err
    assert out == f"{account.customer_id} ({account.email}) is on growth: 500000 events a month\n"
    code, out, _ = hatched(
        "customers",
        "plan",
        account.customer_id,
        "enterprise",
        "--event-quota",
        "7",
        "--reason",
        "deal 42",
    )
    assert code == 0 and "is on enterprise: 7 events a month" in out
    changes = plan_changes(container, account)
    assert [(c.plan, c.event_quota) for c in changes] == [("growth", None), ("enterprise", 7)]
    assert changes[-1].cause == {"by": "operator", "via": "cli", "reason": "deal 42"}
    me = client.get("/api/v1/customers/me", headers=account.headers())
    assert me.json()["plan"] == "enterprise"
    assert plan_changes(container, other_account) == []


def test_an_unknown_customer_or_plan_is_refused_and_changes_nothing(
    container: Container,
    account: Account,
    hatched: Run,  # noqa: F811
) -> None:
    code, _, err = hatched("customers", "plan", account.email, "platinum")
    assert code == 1 and "there is no plan 'platinum'" in err
    code, _, err = hatched("customers", "plan", "nobody@example.com", "pro")
    assert code == 1 and "nobody@example.com" in err
    code, _, err = hatched("customers", "plan", "cus_" + "0" * 32, "pro")
    assert code == 1
    code, _, err = hatched("customers", "plan", account.email, "pro", "--event-quota", "-5")
    assert code == 1 and "event_quota" in err
    assert plan_changes(container, account) == []

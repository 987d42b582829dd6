"""After any sequence of admin acts on a customer, replaying its audit trail reproduces every
admin-visible field: each record's ``before`` is the previous record's ``after``, and the last
``after`` is the customer as stored (decision 0051)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from application.admin.audit import AdminCaller
from domain.accounts.plans import PLANS
from domain.shared.errors import DomainError
from interfaces.container import Container
from projections.admin.audit import AUDIT

FEATURES = ["multi_audience", "marketplace", "badges"]

acts = st.lists(
    st.one_of(
        st.tuples(st.just("plan"), st.sampled_from(sorted(PLANS))),
        st.tuples(st.just("quota"), st.none() | st.integers(0, 10**9)),
        st.tuples(
            st.just("features"),
            st.dictionaries(st.sampled_from(FEATURES), st.none() | st.booleans(), max_size=3),
        ),
        st.tuples(st.just("rename"), st.text("abcxyz ", min_size=1, max_size=12)),
        st.tuples(st.just("delete"), st.none()),
        st.tuples(st.just("restore"), st.none()),
    ),
    max_size=12,
)


def apply(container: Container, caller: AdminCaller, customer_id: uuid.UUID, act: Any) -> None:
    service = container.admin_customers
    kind, value = act
    try:
        if kind == "plan":
            service.change_plan(caller, customer_id, value)
        elif kind == "quota":
            service.change_event_quota(caller, customer_id, value)
        elif kind == "features":
            service.override_features(caller, customer_id, value)
        elif kind == "rename":
            service.update_profile(caller, customer_id, {"company_name": value})
        elif kind == "delete":
            service.delete(caller, customer_id)
        else:
            service.restore(caller, customer_id)
    except DomainError as refused:  # deleting twice, restoring a live customer
        assert refused.code == "invalid_state_transition"


@pytest.mark.slow
@pytest.mark.filterwarnings(
    # The app's own threads (followers) use ``random`` while an example is drawn.
    "ignore:Do not use the `random` module inside strategies"
)
def test_replaying_the_audit_trail_reproduces_the_customer(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
) -> None:
    """``client``: the running app, whose followers keep the audit view."""
    caller = AdminCaller(uuid.uuid4(), "ops@example.com", "operator", "req-1")

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(sequence=acts)
    def check(sequence: list[Any]) -> None:
        customer, _, _ = container.accounts.register(
            f"{uuid.uuid4().hex[:10]}@example.com", "correct horse battery", "Acme"
        )
        start = customer.admin_fields()
        for act in sequence:
            apply(container, caller, customer.id, act)
        assert container.wait_for_views("admin_audit")
        rows = container.views.rows(
            AUDIT.name,
            {"target_id": f"cus_{customer.id.hex}", "outcome": "succeeded"},
            order_by=[("occurred_at", False), ("action_id", False)],
        )
        state = start
        for row in rows:
            entry = container.auditor.get(uuid.UUID(hex=row["action_id"]), row["action_id"])
            assert entry.before == state
            state = entry.after
        assert state == container.admin_customers.customer(customer.id).admin_fields()

    check()

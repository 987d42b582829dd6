"""The skill decays one rule of a tenant applied, newest first, a page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.shared.tenancy import Tenant
from infrastructure.persistence.view_store import ViewStore
from projections.companions.skill_decays import DECAY_OWNERS, SKILL_DECAYS

ORDER: tuple[str, ...] = ("applied_at", "period", "decay_id")
"""The sort key (descending); a page's cursor is its last row's values of these columns."""


def decay_history(
    views: ViewStore, tenant: Tenant, rule_id: str, after: Sequence[Any] | None, limit: int
) -> list[dict[str, Any]]:
    """Rows of ``view_skill_decays`` with the buddy's ``user_id``, after the cursor ``after``."""
    sql = (
        f"SELECT d.*, o.user_id FROM {SKILL_DECAYS.name} d"
        f" JOIN {DECAY_OWNERS.name} o ON o.buddy_id = d.buddy_id"
        " WHERE o.customer_id = {p} AND o.mode = {p} AND d.rule_id = {p}"
    )
    params: list[Any] = [tenant.customer_id.hex, tenant.mode, rule_id]
    if after is not None:
        sql += " AND (d.applied_at, d.period, d.decay_id) < ({p}, {p}, {p})"
        params.extend(after)
    sql += f" ORDER BY d.applied_at DESC, d.period DESC, d.decay_id DESC LIMIT {int(limit)}"
    return views.select(sql, params)

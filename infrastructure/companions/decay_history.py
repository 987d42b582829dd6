"""The skill decays one rule of a tenant applied, newest first, a page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from infrastructure.persistence.view_store import ViewStore
from projections.companions.skill_decays import DECAY_OWNERS, SKILL_DECAYS

ORDER: tuple[tuple[str, bool], ...] = (("applied_at", True), ("period", True), ("decay_id", True))
"""The sort key (descending); a page's cursor is its last row's values of these columns."""


def decay_history(
    views: ViewStore,
    where: dict[str, Any],
    order_by: Sequence[tuple[str, bool]],
    after: Sequence[Any] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Rows of ``view_skill_decays`` of the tenant and rule ``where`` names (``customer_id``,
    ``mode``, ``rule_id``), with the buddy's ``user_id``, after the cursor ``after``."""
    assert tuple(order_by) == ORDER, "the history is paged newest first only"
    sql = (
        f"SELECT d.*, o.user_id FROM {SKILL_DECAYS.name} d"
        f" JOIN {DECAY_OWNERS.name} o ON o.buddy_id = d.buddy_id"
        " WHERE o.customer_id = {p} AND o.mode = {p} AND d.rule_id = {p}"
    )
    params: list[Any] = [where["customer_id"], where["mode"], where["rule_id"]]
    if after is not None:
        sql += " AND (d.applied_at, d.period, d.decay_id) < ({p}, {p}, {p})"
        params.extend(after)
    sql += f" ORDER BY d.applied_at DESC, d.period DESC, d.decay_id DESC LIMIT {int(limit)}"
    return views.select(sql, params)

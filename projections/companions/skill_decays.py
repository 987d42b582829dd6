"""Every skill decay applied, by rule: what ``GET /skill-decay-rules/{id}/history`` pages.

A ``Buddy.SkillDecayed`` names its buddy, not its tenant; the buddy's ``Hatched`` does, so
this view keeps its own small table of buddy owners and the history joins the two (one
view, so both tables are always at the same position of the log).
"""

from __future__ import annotations

from collections.abc import Iterable

from eventsourcing.domain import DomainEvent

from domain.companions.buddy import Buddy
from projections.shared.base import RowChange, Table, Upsert, iso

SKILL_DECAYS = Table(
    name="view_skill_decays",
    key=("decay_id",),
    columns={
        "decay_id": "text",
        "buddy_id": "text",
        "rule_id": "text",
        "skill_key": "text",
        "cadence": "text",
        "period": "text",
        "amount": "int",
        "previous_value": "int",
        "new_value": "int",
        "previous_level": "int",
        "new_level": "int",
        "config_version_id": "text",
        "applied_at": "text",
    },
    indexes=(("rule_id", "applied_at", "period", "decay_id"),),
)

DECAY_OWNERS = Table(
    name="view_skill_decay_owners",
    key=("buddy_id",),
    columns={"buddy_id": "text", "customer_id": "text", "mode": "text", "user_id": "text"},
)


class SkillDecaysView:
    name = "skill_decays"
    tables: tuple[Table, ...] = (SKILL_DECAYS, DECAY_OWNERS)
    handles: tuple[type[DomainEvent], ...] = (Buddy.Hatched, Buddy.SkillDecayed)

    def handle(self, event: DomainEvent) -> Iterable[RowChange]:
        buddy_id = event.originator_id.hex
        if isinstance(event, Buddy.Hatched):
            owner = {"customer_id": event.customer_id.hex, "mode": event.mode}
            yield Upsert(
                DECAY_OWNERS.name, {"buddy_id": buddy_id}, {**owner, "user_id": event.user_id}
            )
        elif isinstance(event, Buddy.SkillDecayed):
            version = event.causation.get("config_version_id")
            yield Upsert(
                SKILL_DECAYS.name,
                {"decay_id": event.decay_id.hex},
                {
                    "buddy_id": buddy_id,
                    "rule_id": event.rule_id,
                    "skill_key": event.skill_key,
                    "cadence": event.cadence,
                    "period": event.period,
                    "amount": event.amount,
                    "previous_value": event.previous_value,
                    "new_value": event.new_value,
                    "previous_level": event.previous_level,
                    "new_level": event.new_level,
                    "config_version_id": getattr(version, "hex", None),
                    "applied_at": iso(event.timestamp),
                },
            )

"""Every read model the application keeps, by name."""

from __future__ import annotations

from projections.base import Projection
from projections.buddies import BuddiesView
from projections.eggs import EggsView
from projections.event_log import EventLogView
from projections.evolutions import BuddyEvolutionsView
from projections.leaderboard import LeaderboardView
from projections.operations import OperationsView
from projections.webhook_deliveries import WebhookDeliveriesView


def all_projections() -> list[Projection]:
    return [
        EggsView(),
        BuddiesView(),
        OperationsView(),
        EventLogView(),
        LeaderboardView(),
        BuddyEvolutionsView(),
        WebhookDeliveriesView(),
    ]

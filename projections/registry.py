"""Every read model the application keeps, by name."""

from __future__ import annotations

from projections.admin.audit import AdminAuditView
from projections.admin.customers import AdminCustomersView
from projections.analytics.breakdowns import AnalyticsBreakdownsView
from projections.analytics.leaderboard import LeaderboardView
from projections.analytics.rollups import AnalyticsRollupsView
from projections.companions.badges import BuddyBadgesView
from projections.companions.buddies import BuddiesView
from projections.companions.eggs import EggsView
from projections.companions.evolutions import BuddyEvolutionsView
from projections.companions.operations import OperationsView
from projections.companions.skill_decays import SkillDecaysView
from projections.companions.streaks import StreakDuesView
from projections.credits.credit_ledger import CreditLedgerView
from projections.economy.gate_unlocks import GateUnlocksView
from projections.economy.item_funnel import ItemFunnelView
from projections.economy.purchased_items import PurchasedItemsView
from projections.ingestion.event_log import EventLogView
from projections.integrations.webhook_deliveries import WebhookDeliveriesView
from projections.shared.base import Projection


def all_projections() -> list[Projection]:
    return [
        EggsView(),
        BuddiesView(),
        OperationsView(),
        EventLogView(),
        LeaderboardView(),
        BuddyEvolutionsView(),
        BuddyBadgesView(),
        WebhookDeliveriesView(),
        GateUnlocksView(),
        SkillDecaysView(),
        StreakDuesView(),
        PurchasedItemsView(),
        ItemFunnelView(),
        AnalyticsRollupsView(),
        CreditLedgerView(),
        AdminCustomersView(),
        AdminAuditView(),
        AnalyticsBreakdownsView(),
    ]

"""Old topics of stored events and snapshots, resolved to where their classes live now.

Stored events and snapshots name their classes by topic (``module:Class.Event``). When a
domain module moves (the bounded contexts moved every one of them), its old module path
is registered here, so every event already in a store still loads.
"""

from __future__ import annotations

import importlib

from eventsourcing.utils import register_topic

MOVED_MODULES = {
    "domain.api_key": "domain.accounts.api_key",
    "domain.appearance": "domain.companions.appearance",
    "domain.buddy": "domain.companions.buddy",
    "domain.config": "domain.configs.rulebook",
    "domain.config_diff": "domain.configs.rulebook_diff",
    "domain.config_version": "domain.configs.config_version",
    "domain.customer": "domain.accounts.customer",
    "domain.customer_email": "domain.accounts.customer_email",
    "domain.egg": "domain.companions.egg",
    "domain.errors": "domain.shared.errors",
    "domain.event_ingestion": "domain.ingestion.event_ingestion",
    "domain.explanations": "domain.ingestion.explanations",
    "domain.idempotency_record": "domain.idempotency.idempotency_record",
    "domain.ids": "domain.shared.ids",
    "domain.json_values": "domain.shared.json_values",
    "domain.ledger": "domain.economy.ledger",
    "domain.operation": "domain.companions.operation",
    "domain.presets": "domain.configs.presets",
    "domain.rules": "domain.ingestion.rules",
    "domain.stage_art": "domain.companions.stage_art",
    "domain.tenancy": "domain.shared.tenancy",
    "domain.user_account": "domain.companions.user_account",
    "domain.webhook_delivery": "domain.integrations.webhook_delivery",
    "domain.webhook_endpoint": "domain.integrations.webhook_endpoint",
    "domain.widget_session": "domain.widgets.widget_session",
}
"""Old module path → module path now; append when a domain module moves again."""


def register_moved_modules() -> None:
    for old, new in MOVED_MODULES.items():
        register_topic(old, importlib.import_module(new))

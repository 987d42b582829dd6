"""Public ids: a short prefix naming the kind, then the aggregate UUID in hex.

``egg_3f2a…`` maps 1:1 to the ``Egg`` aggregate with that UUID. Natural keys
(a customer's ``event_id``, a customer's ``user_id``) become deterministic
UUIDs, so creating version 1 of an existing stream fails in the database:
that failure is the dedupe.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from domain.shared.errors import NotFound

PREFIXES = {
    "customer": "cus",
    "api_key": "key",
    "config_version": "cfg",
    "egg": "egg",
    "buddy": "bdy",
    "operation": "op",
    "ledger_entry": "led",
    "webhook": "wh",
    "webhook_delivery": "whd",
    "widget_session": "wgs",
    "upload": "upl",
    "purchase": "pur",
    "admin_user": "adm",
    "admin_action": "aud",
}

_NATURAL_KEY_NAMESPACE = UUID("7d1f4c1e-2b8a-4c55-9a61-0c6a3e5b9d10")


def public_id(kind: str, aggregate_id: UUID) -> str:
    return f"{PREFIXES[kind]}_{aggregate_id.hex}"


def parse_public_id(kind: str, value: str) -> UUID:
    """The UUID behind ``value``; a malformed or foreign-kind id is simply not found."""
    prefix = PREFIXES[kind] + "_"
    if not value.startswith(prefix):
        raise NotFound(kind.replace("_", " "), value)
    try:
        return UUID(hex=value[len(prefix) :])
    except ValueError:
        raise NotFound(kind.replace("_", " "), value) from None


def natural_id(kind: str, *parts: str) -> UUID:
    """A deterministic UUID for a natural key, e.g. ``natural_id("user", tenant_key, user_id)``."""
    return uuid5(_NATURAL_KEY_NAMESPACE, "\x1f".join((kind, *parts)))

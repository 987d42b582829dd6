"""Stored values as the API shows them.

Stored facts name what they refer to by UUID (``config_version_id``, ``operation_id``,
``ledger_entry_id``, ...); public ids (``cv_…``, ``op_…``) are the API's spelling of those
UUIDs and are made here, on the way out. Facts recorded before decision 0038 may hold a
public id string in their ``causation``; it is shown as it is, so old and new facts read
alike.
"""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

from domain.shared.correlation import without_correlation
from domain.shared.ids import public_id

PUBLIC_KINDS: Final = {
    "buddy_id": "buddy",
    "egg_id": "egg",
    "operation_id": "operation",
    "config_version_id": "config_version",
    "from_config_version_id": "config_version",
    "to_config_version_id": "config_version",
    "entry_id": "ledger_entry",
    "ledger_entry_id": "ledger_entry",
    "purchase_id": "purchase",
}
"""The kind of public id each id-named field is shown as."""


def public_value(key: str, value: Any) -> Any:
    """``value`` of the field ``key`` as the API shows it: a UUID under a key of
    ``PUBLIC_KINDS`` as its public id, any other UUID as text, containers walked."""
    if isinstance(value, UUID):
        kind = PUBLIC_KINDS.get(key)
        return public_id(kind, value) if kind else str(value)
    if isinstance(value, dict):
        return {k: public_value(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [public_value(key, v) for v in value]
    return value


def public_causation(causation: dict[str, Any]) -> dict[str, Any]:
    """A fact's ``causation`` as the API shows it (correlation ids are for webhooks)."""
    return {k: public_value(k, v) for k, v in without_correlation(causation).items()}

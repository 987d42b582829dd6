"""Correlation ids: opaque strings that tie recorded facts to what caused them.

The application hands the domain the id of whatever asked for a change (for the HTTP API,
the request id); the domain records it and never reads it. It rides in a fact's
``causation`` (``correlation_id``) or, for facts without one, in a field of that name
(``Buddy.Hatched``, ``Buddy.Evolved``, ``Operation.Requested``). See decision 0031.
"""

from __future__ import annotations

from typing import Any

CORRELATION_ID = "correlation_id"


def correlated(correlation_id: str | None) -> dict[str, str]:
    """The causation entry for ``correlation_id``: none without one, so a fact caused
    outside any request records exactly what it recorded before."""
    return {CORRELATION_ID: correlation_id} if correlation_id is not None else {}


def without_correlation(causation: dict[str, Any]) -> dict[str, Any]:
    """``causation`` as the API shows it (ledger entries, timelines): correlation ids are
    for webhooks, and the API answered the request they name with its own header."""
    return {k: v for k, v in causation.items() if k != CORRELATION_ID}

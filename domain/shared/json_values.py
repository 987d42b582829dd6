"""Copying JSON-shaped values (dicts, lists and scalars) fast.

``copy.deepcopy`` handles any object graph (memo table, reductors) and so costs several
times more than a walk over dicts and lists; on the ingestion path, which copies each
event's properties, effects and rule trace, that difference is a large share of the time.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

T = TypeVar("T")

_IMMUTABLE: frozenset[type] = frozenset(
    {str, int, float, bool, type(None), UUID, datetime, date, Decimal}
)


def copy_json(value: T) -> T:
    """A deep copy of ``value``; anything but dicts, lists and immutable scalars is
    handed to ``copy.deepcopy``."""
    kind = type(value)
    if kind is dict:  # a scalar inside is kept without a call: most values are scalars
        return {  # type: ignore[return-value]
            k: v if type(v) in _IMMUTABLE else copy_json(v)
            for k, v in value.items()  # type: ignore[attr-defined]
        }
    if kind is list:
        return [v if type(v) in _IMMUTABLE else copy_json(v) for v in value]  # type: ignore[attr-defined,return-value]
    if kind in _IMMUTABLE:
        return value
    return deepcopy(value)

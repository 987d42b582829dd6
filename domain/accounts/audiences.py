"""Audiences: the labels a customer's end users come in (``student``, ``teacher``), each with a
short brief, kept in the customer's settings (``settings.audiences``; decision 0041).

With none or one declared, an event or egg may leave ``audience`` out (the one audience, or
none, is implied). With two or more, it must name one (``missing_audience``); a declared list
refuses any other (``unknown_audience``). An audience a buddy (or an egg on its way to become
one) belongs to cannot be removed (``audience_in_use``). Declaring audiences is the Pro
feature ``multi_audience``: up to three on Pro, ``MAX_AUDIENCES`` on Enterprise.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

from domain.shared.errors import DomainError

AUDIENCES_SETTING: Final = "audiences"
MAX_AUDIENCES: Final = 20
PLAN_AUDIENCES: Final[dict[str, int]] = {"pro": 3}
"""How many audiences a plan below Enterprise may declare (the route is locked below Pro)."""


def declared(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The keys of the customer's audiences, in their order."""
    return tuple(a["key"] for a in settings.get(AUDIENCES_SETTING) or ())


def check_audience(keys: Sequence[str], audience: str | None) -> None:
    """Refuse an event's or egg's ``audience`` the customer's audiences do not allow."""
    if audience is None:
        if len(keys) >= 2:
            raise DomainError(
                "missing_audience",
                f"this account has {len(keys)} audiences; send audience, one of {', '.join(keys)}",
                {"audiences": list(keys)},
            )
        return
    if keys and audience not in keys:
        raise DomainError(
            "unknown_audience",
            f"audience {audience!r} is not one of this account's audiences: {', '.join(keys)}",
            {"audience": audience, "audiences": list(keys)},
        )


def replaced(
    current: Sequence[str],
    audiences: Sequence[Mapping[str, Any]],
    in_use: Collection[str],
    plan: str,
) -> list[dict[str, Any]]:
    """The new audience list, refused when a key repeats, the plan allows fewer, or it drops
    one ``in_use``."""
    keys = [a["key"] for a in audiences]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise DomainError(
            "validation_failed",
            f"audiences: {repeated[0]!r} is listed twice",
            {"fields": [{"field": "audiences", "reason": f"duplicate audience {repeated[0]!r}"}]},
        )
    limit = PLAN_AUDIENCES.get(plan, MAX_AUDIENCES)
    if len(keys) > limit:
        raise DomainError(
            "validation_failed",
            f"audiences: the {plan} plan allows at most {limit}",
            {"fields": [{"field": "audiences", "reason": f"at most {limit} on {plan}"}]},
        )
    for key in current:
        if key not in keys and key in in_use:
            raise DomainError(
                "audience_in_use",
                f"audience {key!r} cannot be removed: buddies belong to it",
                {"audience": key},
            )
    return [dict(a) for a in audiences]

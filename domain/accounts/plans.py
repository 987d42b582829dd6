"""The plans a customer can be on, what each includes, and the refusal of what it does not.

Figures from the product's pricing and plan-capability pages (reference §4, §20; decision
0039). A plan is ranked: each includes everything of the plans below it. A *feature* is a
capability flag; ``FEATURES`` names the lowest plan that includes it. A route that needs one
says so once (``feature=`` in ``interfaces/http/routing.py``), and the edge refuses it with
``plan_feature_locked`` (402) when the customer's plan is below, or ``capability_disabled``
(403) when the plan includes it but the customer switched it off in its settings
(``capabilities``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from domain.shared.errors import DomainError


@dataclass(frozen=True)
class Plan:
    key: str
    rank: int
    event_quota: int
    """Customer events accepted per UTC calendar month (``enterprise``: by contract, this
    figure unless the customer's plan change says another)."""
    requests_per_minute: int
    requests_per_day: int | None
    """``None``: no daily window."""

    @property
    def rate_limit(self) -> str:
        """The principal's bucket in the ``limits`` notation."""
        windows = [f"{self.requests_per_minute}/minute"]
        if self.requests_per_day is not None:
            windows.append(f"{self.requests_per_day}/day")
        return ";".join(windows)


DEFAULT_PLAN: Final = "starter"
"""What a new customer is on (the product's "Free")."""

PLANS: Final[dict[str, Plan]] = {
    plan.key: plan
    for plan in (
        Plan("starter", 0, 10_000, 100, 5_000),
        Plan("growth", 1, 500_000, 1_000, 50_000),
        Plan("pro", 2, 5_000_000, 5_000, 250_000),
        Plan("enterprise", 3, 50_000_000, 50_000, None),
    )
}

FEATURES: Final[dict[str, str]] = {
    # starter (Free): on every plan, but a customer may switch them off
    "badges": "starter",
    "streaks": "starter",
    "tokens": "starter",
    "evolution": "starter",
    "kudos": "starter",
    "cause_counter": "starter",
    "gamification_planner": "starter",
    "seesaw_bump": "starter",
    # growth
    "marketplace": "growth",
    "evolution_generative": "growth",
    "generative_media": "growth",
    "mystery_box": "growth",
    "boosters": "growth",
    "group_quest": "growth",
    "leagues": "growth",
    "lottery": "growth",
    # pro
    "paths": "pro",
    "multi_audience": "pro",
    "advanced_analytics": "pro",
    "mentorship": "pro",
    # enterprise
    "council": "enterprise",
}
"""Each capability flag and the lowest plan that includes it (decision 0039's table)."""


def plan_of(key: str) -> Plan:
    return PLANS[key]


def includes(plan: str, feature: str) -> bool:
    return PLANS[plan].rank >= PLANS[FEATURES[feature]].rank


def check_feature(
    plan: str,
    capabilities: Mapping[str, Any],
    feature: str,
    upgrade_url: str,
    overrides: Mapping[str, bool] | None = None,
) -> None:
    """Refuse ``feature`` when ``plan`` does not include it (402) or the customer switched
    it off (``capabilities[feature] is False``: 403); the plan is checked first, so a
    customer is never told to switch on what it would still have to pay for. An operator's
    ``overrides`` come before the plan: ``true`` grants the feature on any plan, ``false``
    locks it on every plan (decision 0051)."""
    required = FEATURES[feature]
    override = (overrides or {}).get(feature)
    if override is False:
        raise DomainError(
            "plan_feature_locked",
            f"{feature.replace('_', ' ')} is not available to this account (set by the operator)",
            {"feature": feature, "plan": plan, "required_plan": None, "upgrade_url": upgrade_url},
        )
    if override is None and not includes(plan, feature):
        raise DomainError(
            "plan_feature_locked",
            f"{feature.replace('_', ' ')} needs the {required} plan or higher "
            f"(this account is on {plan})",
            {
                "feature": feature,
                "plan": plan,
                "required_plan": required,
                "upgrade_url": upgrade_url,
            },
        )
    if capabilities.get(feature) is False:
        raise DomainError(
            "capability_disabled",
            f"{feature.replace('_', ' ')} is switched off in this account's settings "
            f"(capabilities.{feature}); switch it on with PATCH /customers/me/settings",
            {"feature": feature},
        )

"""What each image job costs, in credits (reference §20: 1 credit = $0.10 = one completed
AI job; preset or cached evolution costs nothing).

A job is a kind of work we charge for, not an operation type: one operation type may be
several jobs (an evolve is ``preset_evolve``, and a buddy wearing items also needs an
``equip_composite`` of the new stage), and some jobs run inside a request rather than an
operation (``stage_asset``).
"""

from __future__ import annotations

from typing import Final

JOB_PRICES: Final[dict[str, int]] = {
    "hatch": 1,
    "equip_composite": 1,
    "generative_evolve": 1,
    "preset_evolve": 0,
    "badge_icon": 1,
    "skill_icon": 1,
    "item_image": 1,
    "stage_asset": 1,
}
JOBS: Final = tuple(JOB_PRICES)


def price_of(job: str) -> int:
    """The credits ``job`` costs; an unknown job is a programming error."""
    try:
        return JOB_PRICES[job]
    except KeyError:
        raise ValueError(f"no price for the job {job!r}") from None

"""A follower's batch lands only at the position it was read at, whether it writes rows or
only moves the position (decision 0058: one compare-and-set statement either way)."""

from __future__ import annotations

from infrastructure.persistence.parked_events import Outcome
from infrastructure.persistence.view_store import ViewStore
from projections.shared.base import Upsert
from tests.integration.test_parked_events import NUMBERS, Happened, Numbers, views  # noqa: F401


def amount(store: ViewStore, row_id: int) -> int:
    (row,) = store.select(f"SELECT amount FROM {NUMBERS.name} WHERE id = {{p}}", [row_id])
    return int(row["amount"])


def writes(notification_id: int, value: int) -> list[Outcome]:
    change = Upsert(NUMBERS.name, {"id": 1}, {"amount": value})
    return [Outcome(notification_id, Happened(value), [change])]


def nothing(notification_id: int) -> list[Outcome]:
    return [Outcome(notification_id, Happened(0))]


def test_a_batch_lands_only_at_the_position_it_was_read_at(
    views: ViewStore,  # noqa: F811  (the fixture)
) -> None:
    views.register(Numbers())
    assert views.apply_outcomes("numbers", writes(1, 5), 1, expected=0)  # never tracked: at 0
    assert views.position("numbers") == 1

    # another runner already moved the view past 0: neither kind of batch lands
    assert not views.apply_outcomes("numbers", writes(2, 7), 2, expected=0)
    assert not views.apply_outcomes("numbers", nothing(2), 2, expected=0)
    assert (views.position("numbers"), amount(views, 1)) == (1, 5)

    assert views.apply_outcomes("numbers", nothing(2), 2, expected=1)
    assert not views.apply_outcomes("numbers", nothing(3), 3, expected=1)
    assert views.apply_outcomes("numbers", writes(3, 7), 3, expected=2)
    assert (views.position("numbers"), amount(views, 1)) == (3, 7)


def test_a_view_never_tracked_that_has_nothing_to_write_is_tracked_from_there(
    views: ViewStore,  # noqa: F811  (the fixture)
) -> None:
    assert views.apply_outcomes("quiet", nothing(4), 4, expected=0)
    assert views.position("quiet") == 4
    assert not views.apply_outcomes("quiet", nothing(4), 4, expected=0)

"""A busy view lets events gather before it reads again, and a reader waiting for it ends the
gathering (decision 0058)."""

from __future__ import annotations

import pytest

from infrastructure.persistence import followers
from infrastructure.persistence.followers import Follower
from infrastructure.persistence.view_store import ViewStore
from tests.integration.test_parked_events import Happened, Log, Numbers, views  # noqa: F401


def test_a_busy_view_gathers_until_a_reader_hurries_it(
    views: ViewStore,  # noqa: F811  (the fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(followers, "VIEW_GATHER_SECONDS", 600.0)
    log = Log(1)
    follower = Follower.for_projection(Numbers(), log, views)
    follower.start()
    try:
        assert views.wait_for(["numbers"], 1, timeout=30)  # an idle view reads at once
        log.events.append((2, Happened(2, originator_version=2)))
        follower.wake()
        assert not views.wait_for(["numbers"], 2, timeout=0.5)  # it found work: it gathers
        follower.hurry()
        assert views.wait_for(["numbers"], 2, timeout=30)
    finally:
        follower.stop()
    assert views.select("SELECT id, amount FROM view_test_numbers ORDER BY id") == [
        {"id": 1, "amount": 1},
        {"id": 2, "amount": 2},
    ]

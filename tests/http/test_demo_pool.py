"""``/demo`` keeps a bounded pool of visitors and limits new ones per address (decision 0019)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from litestar.testing import TestClient

from application.widgets.demo import DEMO_POOL_ID, DEMO_TENANT
from domain.companions.buddy import Buddy
from domain.shared.ids import parse_public_id
from domain.widgets.demo_pool import DemoPool
from infrastructure.companions.directory import ViewBuddyDirectory
from infrastructure.shared.settings import Settings
from interfaces.container import Container
from interfaces.http.widgets.demo import VISITOR_COOKIE
from tests.http.peers import app_client, peer

BUDDY_IN_PAGE = re.compile(r"/demo/buddy/(bdy_[0-9a-f]+)/evolve")
WIDE = "1000/day"


def visit(
    client: TestClient,  # type: ignore[type-arg]
    visitor: str | None = None,
    address: str = "10.0.0.1",
) -> tuple[int, str | None, str | None]:
    """(status, the visitor cookie, the buddy on the page): a new visitor without ``visitor``."""
    client.cookies.clear()
    headers = peer(address)
    if visitor is not None:
        headers["Cookie"] = f"{VISITOR_COOKIE}={visitor}"
    response = client.get("/demo", headers=headers)
    found = BUDDY_IN_PAGE.search(response.text)
    return response.status_code, response.cookies.get(VISITOR_COOKIE), found and found.group(1)


def active(container: Container, buddy_ids: list[str]) -> list[str]:
    buddies = (container.store.find(Buddy, parse_public_id("buddy", b)) for b in buddy_ids)
    return [b for b, buddy in zip(buddy_ids, buddies, strict=True) if buddy and buddy.is_active]


def listed(container: Container) -> set[str]:
    """The demo tenant's buddies as the buddies view lists them (active ones)."""
    assert container.wait_for_views("buddies")
    return {f"bdy_{b.hex}" for b in ViewBuddyDirectory(container.views).buddy_ids(DEMO_TENANT)}


def test_more_visitors_than_the_pool_leave_only_the_newest_with_a_buddy(
    settings: Settings,
) -> None:
    size, extra = 3, 2
    with app_client(
        settings, demo=True, demo_pool_size=size, demo_visitor_rate_limit=WIDE
    ) as built:
        client, container = built
        visitors, buddies = [], []
        for _ in range(size + extra):
            status, visitor, buddy_id = visit(client)
            assert status == 200 and visitor and buddy_id
            visitors.append(visitor)
            buddies.append(buddy_id)
        assert len(set(buddies)) == size + extra
        assert active(container, buddies) == buddies[extra:]
        assert listed(container) == set(buddies[extra:])

        assert visit(client, visitors[-1])[2] == buddies[-1]  # a visitor in the pool: same buddy
        status, again, first_back = visit(client, visitors[0])  # recycled: a new visitor again
        assert status == 200 and again == visitors[0]
        assert first_back not in buddies
        everyone = [*buddies, first_back]
        assert active(container, everyone) == [*buddies[extra + 1 :], first_back]
        assert len(listed(container)) == size
        pool = container.store.find(DemoPool, DEMO_POOL_ID)
        assert pool is not None and len(pool.holders) == size


def test_new_visitors_per_address_are_limited_and_returning_ones_are_not(
    settings: Settings,
) -> None:
    with app_client(
        settings, demo=True, demo_pool_size=10, demo_visitor_rate_limit="2/day"
    ) as built:
        client, container = built
        first = visit(client, address="10.6.0.1")
        assert first[0] == 200
        assert visit(client, address="10.6.0.1")[0] == 200

        client.cookies.clear()
        refused = client.get("/demo", headers=peer("10.6.0.1"))
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["retry-after"]) >= 1
        assert VISITOR_COOKIE not in refused.cookies
        pool = container.store.find(DemoPool, DEMO_POOL_ID)
        assert pool is not None and len(pool.holders) == 2  # the refusal admitted nobody

        assert visit(client, first[1], "10.6.0.1")[2] == first[2]  # returning: not counted
        assert visit(client, address="10.6.0.2")[0] == 200  # another address


def test_concurrent_first_visits_of_one_visitor_admit_it_once(settings: Settings) -> None:
    """Reloads racing each other: one slot, one buddy, and only the oldest visitor evicted."""
    with app_client(settings, demo=True, demo_pool_size=2, demo_visitor_rate_limit=WIDE) as built:
        client, container = built
        held = [visit(client)[2] for _ in range(2)]
        newcomer = "racing-visitor-" + "x" * 16

        def first_visit(_: int) -> tuple[int, str | None]:
            response = client.get(
                "/demo", headers={**peer("10.7.0.1"), "Cookie": f"{VISITOR_COOKIE}={newcomer}"}
            )
            found = BUDDY_IN_PAGE.search(response.text)
            return response.status_code, found and found.group(1)

        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(first_visit, range(4)))
        # Racing hatches of one egg may refuse a loser (409), as before the pool; never twice
        # admitted, never a second buddy.
        assert {status for status, _ in answers} <= {200, 409} and (200, None) not in answers
        buddies = {buddy for status, buddy in answers if status == 200}
        assert len(buddies) == 1
        assert active(container, [*held, *buddies]) == [held[1], *buddies]
        assert visit(client, newcomer)[2] in buddies

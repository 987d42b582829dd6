"""One event a follower cannot apply is parked, the follower goes on, and everyone can see
it (status, verify, readiness, metrics); once the fault is gone a replay applies it.
Decision 0016."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
import redis.exceptions
from eventsourcing.persistence import OperationalError as StoreOperationalError
from litestar.testing import TestClient

from domain.companions.egg import Egg
from infrastructure.persistence.event_store import ensure_postgres_schema
from infrastructure.persistence.failures import caused_by_infrastructure
from infrastructure.persistence.followers import BATCH, Follower
from infrastructure.persistence.parked_events import ParkedEvents
from infrastructure.persistence.view_store import ViewStore
from infrastructure.shared.settings import Settings
from interfaces.container import Container, build_container
from interfaces.http.app import create_app
from interfaces.http.consistency import VIEW_LAG_HEADER
from projections.companions.eggs import EggsView
from projections.shared.base import RowChange, Table, Upsert
from tests.conftest import register_account
from tests.http.flow import apply_preset
from tests.integration.test_projections_cli import Run, hatched  # noqa: F401  (a fixture)
from tests.waiting import eventually

BAD_USER = "bad-user"


class Fault:
    """Makes the eggs projection raise for eggs laid for ``BAD_USER`` while ``on``."""

    def __init__(self) -> None:
        self.on = True


@pytest.fixture
def fault(monkeypatch: pytest.MonkeyPatch) -> Fault:
    fault = Fault()
    handle = EggsView.handle

    def faulty(self: EggsView, event: Any) -> Iterable[RowChange]:
        if fault.on and isinstance(event, Egg.Laid) and event.user_id == BAD_USER:  # type: ignore[attr-defined]
            raise ValueError(f"this projection cannot take {BAD_USER}")
        return handle(self, event)

    monkeypatch.setattr(EggsView, "handle", faulty)
    return fault


@pytest.fixture
def metered(settings: Settings, fault: Fault) -> Iterator[tuple[Container, TestClient]]:  # type: ignore[type-arg]
    """A server with ``HATCHED_METRICS=true`` whose eggs projection has the fault."""
    container = build_container(replace(settings, metrics=True))
    with TestClient(create_app(container)) as client:  # type: ignore[arg-type]
        yield container, client


def eggs_of(client: TestClient, headers: dict[str, str]) -> list[str]:  # type: ignore[type-arg]
    response = client.get("/api/v1/eggs", headers=headers)
    assert response.status_code == 200, response.text
    assert VIEW_LAG_HEADER not in response.headers
    return sorted(egg["user_id"] for egg in response.json()["data"])


def parked_metric(client: TestClient, view: str) -> float:  # type: ignore[type-arg]
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    prefix = f'hatched_parked_events{{view="{view}"}} '
    (line,) = [line for line in response.text.splitlines() if line.startswith(prefix)]
    return float(line.removeprefix(prefix))


def test_a_parked_event_is_shown_everywhere_and_applied_by_a_replay_after_the_fix(
    metered: tuple[Container, TestClient],  # type: ignore[type-arg]
    fault: Fault,
    hatched: Run,  # noqa: F811
) -> None:
    container, client = metered
    poisoned, other = register_account(client), register_account(client)
    apply_preset(client, poisoned)
    apply_preset(client, other)
    for account, user in ((poisoned, BAD_USER), (other, "user_b"), (poisoned, "good-user")):
        laid = client.post("/api/v1/eggs", json={"user_id": user}, headers=account.headers())
        assert laid.status_code == 201, laid.text

    assert eggs_of(client, other.headers()) == ["user_b"]
    assert eggs_of(client, poisoned.headers()) == ["good-user"]
    (parked,) = ParkedEvents(container.views).of()
    assert (parked.view, parked.topic) == ("eggs", "domain.companions.egg:Egg.Laid")
    assert parked.error == f"ValueError: this projection cannot take {BAD_USER}"
    assert container.store.find(Egg, UUID(hex=parked.originator_id)).user_id == BAD_USER  # type: ignore[union-attr]

    code, out, _ = hatched("projections", "status")
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert code == 0 and rows["eggs"][4] == "1" and rows["buddies"][4] == "0"
    ready = client.get("/api/v1/health/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["views"] == "events parked"
    assert ready.json()["parked_events"] == {"eggs": 1}
    assert "eggs parked 1 event(s)" in ready.json()["reasons"][0]
    assert parked_metric(client, "eggs") == 1
    assert parked_metric(client, "buddies") == 0
    code, out, _ = hatched("projections", "verify", "eggs")
    assert code == 1
    assert "eggs: " in out and "no differences, 1 parked event(s)" in out
    assert f"parked #{parked.notification_id} domain.companions.egg:Egg.Laid" in out

    assert hatched("projections", "retry", "no_such_view")[0] == 2
    code, out, _ = hatched("projections", "retry")
    assert code == 1 and "eggs: 0 applied, 1 still parked" in out
    assert [p.notification_id for p in ParkedEvents(container.views).of()] == [
        parked.notification_id
    ]

    fault.on = False
    code, out, _ = hatched("projections", "retry")
    assert code == 0, out
    assert "eggs: 1 applied, 0 still parked" in out
    assert eggs_of(client, poisoned.headers()) == [BAD_USER, "good-user"]
    assert ParkedEvents(container.views).counts() == {}
    assert hatched("projections", "verify", "eggs")[0] == 0
    assert client.get("/api/v1/health/ready").json()["checks"]["views"] == "ok"
    assert parked_metric(client, "eggs") == 0


def test_metrics_are_off_by_default(client: TestClient) -> None:  # type: ignore[type-arg]
    assert client.get("/metrics").status_code == 404
    ready = client.get("/api/v1/health/ready")
    assert ready.status_code == 200 and ready.json()["checks"]["views"] == "ok"


# -- below the container: a view's database refusals, reactors, the infrastructure ------


@dataclass
class Happened:
    """An event as a follower sees one."""

    value: Any
    originator_id: UUID = field(default_factory=uuid4)
    originator_version: int = 1


class Log:
    def __init__(self, *values: Any) -> None:
        self.events = [(i, Happened(v)) for i, v in enumerate(values, start=1)]

    def notifications_after(self, position: int, limit: int) -> list[tuple[int, Any]]:
        return [(i, e) for i, e in self.events if i > position][:limit]


NUMBERS = Table(name="view_test_numbers", key=("id",), columns={"id": "int", "amount": "int"})


class Numbers:
    """A projection writing each event's value into a BIGINT column."""

    name = "numbers"
    tables = (NUMBERS,)
    handles = (Happened,)

    def __init__(self, fail_once: BaseException | None = None) -> None:
        self.fail_once = fail_once

    def handle(self, event: Any) -> Iterable[RowChange]:
        if self.fail_once is not None and event.value == "fail":
            error, self.fail_once = self.fail_once, None
            raise error
        amount = 0 if event.value == "fail" else event.value
        yield Upsert(NUMBERS.name, {"id": event.originator_version}, {"amount": amount})


@pytest.fixture
def views(settings: Settings) -> Iterator[ViewStore]:
    if settings.database_schema:
        ensure_postgres_schema(settings)
    store = ViewStore(settings)
    yield store
    store.close()


def test_a_value_the_database_refuses_is_parked_and_the_rest_of_the_batch_lands(
    views: ViewStore,
) -> None:
    log = Log(1, 2**70, 3)  # beyond BIGINT: SQLite and PostgreSQL refuse it
    for index, (_, event) in enumerate(log.events, start=1):
        event.originator_version = index
    follower = Follower.for_projection(Numbers(), log, views)

    assert follower.catch_up() == 3

    assert views.position("numbers") == 3
    rows = views.select(f"SELECT id, amount FROM {NUMBERS.name} ORDER BY id")
    assert rows == [{"id": 1, "amount": 1}, {"id": 3, "amount": 3}]
    (parked,) = ParkedEvents(views).of(["numbers"])
    assert parked.notification_id == 2 and parked.originator_version == 2


@pytest.mark.parametrize(
    "error",
    [
        sqlite3.OperationalError("database is locked"),
        psycopg.OperationalError("server closed the connection unexpectedly"),
        ConnectionResetError("reset by peer"),
    ],
    ids=["sqlite-locked", "postgres-gone", "socket"],
)
def test_a_failure_of_the_infrastructure_is_retried_not_parked(
    views: ViewStore, error: BaseException
) -> None:
    log = Log(1, "fail", 3)
    for index, (_, event) in enumerate(log.events, start=1):
        event.originator_version = index
    follower = Follower.for_projection(Numbers(fail_once=error), log, views)

    with pytest.raises(type(error)):
        follower.catch_up()
    assert views.position("numbers") == 0
    assert ParkedEvents(views).counts() == {}

    assert follower.catch_up() == 3
    assert len(views.select(f"SELECT id FROM {NUMBERS.name}")) == 3
    assert ParkedEvents(views).counts() == {}


class StoppingNumbers(Numbers):
    """``Numbers`` whose every event asks its follower to stop, as ``stop_all`` does while
    the follower's thread is working on a batch."""

    follower: Follower | None = None

    def handle(self, event: Any) -> Iterable[RowChange]:
        assert self.follower is not None
        self.follower.ask_to_stop()
        return super().handle(event)


def test_a_follower_asked_to_stop_ends_after_the_batch_in_hand_and_the_next_reads_on(
    views: ViewStore,
) -> None:
    log = Log(*range(BATCH + 100))
    projection = StoppingNumbers()
    projection.follower = Follower.for_projection(projection, log, views)
    assert projection.follower.catch_up() == BATCH
    assert views.position("numbers") == BATCH

    assert Follower.for_projection(Numbers(), log, views).catch_up() == 100
    assert views.position("numbers") == BATCH + 100


class Reactor:
    name = "test_reactor"

    def __init__(self, broken: set[Any]) -> None:
        self.broken = broken
        self.seen: list[Any] = []

    def react(self, event: Any) -> None:
        if event.value in self.broken:
            raise KeyError(event.value)
        self.seen.append(event.value)


class BatchReactor(Reactor):
    def react_batch(self, events: list[Any]) -> None:
        for event in events:
            self.react(event)


@pytest.mark.parametrize("kind", ["one by one", "batch"])
def test_a_reactor_parks_what_it_cannot_handle_and_retries_it_when_it_starts(
    views: ViewStore, kind: str
) -> None:
    log = Log("a", "b", "c")
    reactor = Reactor({"b"}) if kind == "one by one" else BatchReactor({"b"})
    build = Follower.for_reactor if kind == "one by one" else Follower.for_batch_reactor
    assert build(reactor, log, views).catch_up() == 3  # type: ignore[operator]
    assert "a" in reactor.seen and "c" in reactor.seen and "b" not in reactor.seen
    (parked,) = ParkedEvents(views).of([reactor.name])
    assert parked.notification_id == 2 and parked.error == "KeyError: 'b'"

    still_broken = build(reactor, log, views)  # type: ignore[operator]
    assert still_broken.retry_parked() == 0
    assert len(ParkedEvents(views).of()) == 1

    reactor.broken.clear()
    follower = build(reactor, log, views)  # type: ignore[operator]
    follower.start()
    try:
        eventually(lambda: _none_parked(views))
    finally:
        follower.stop()
    assert "b" in reactor.seen and views.position(reactor.name) == 3


def _none_parked(views: ViewStore) -> None:
    assert ParkedEvents(views).counts() == {}


@pytest.mark.parametrize(
    "error, infrastructure",
    [
        (sqlite3.OperationalError("database is locked"), True),
        (psycopg.errors.UndefinedTable("no such table"), True),
        (psycopg.errors.SerializationFailure("could not serialize"), True),
        (redis.exceptions.ConnectionError("refused"), True),
        (TimeoutError(), True),
        (psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"), False),
        (psycopg.errors.NumericValueOutOfRange("bigint out of range"), False),
        (sqlite3.IntegrityError("NOT NULL constraint failed"), False),
        (ValueError("bad"), False),
        (KeyError("progression"), False),
        (OverflowError("Python int too large to convert to SQLite INTEGER"), False),
    ],
)
def test_whose_fault_a_failure_is(error: BaseException, infrastructure: bool) -> None:
    assert caused_by_infrastructure(error) is infrastructure


def test_an_error_raised_from_an_infrastructure_failure_is_the_infrastructures() -> None:
    try:
        try:
            raise psycopg.OperationalError("connection lost")
        except psycopg.OperationalError as lost:
            raise StoreOperationalError("the event store failed") from lost
    except StoreOperationalError as wrapped:
        assert caused_by_infrastructure(wrapped)
    try:
        raise ValueError("wrapped") from sqlite3.OperationalError("locked")
    except ValueError as wrapped:
        assert caused_by_infrastructure(wrapped)

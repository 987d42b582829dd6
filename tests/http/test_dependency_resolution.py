"""A batch of plain synchronous dependencies is resolved without an anyio task group
(``interfaces/http/dependency_resolution.py``, litestar-org/litestar#4563); any other batch
still is, and what a request gets back (values, cleanup, errors) is what it was."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import anyio.abc
import pytest
from litestar import Litestar, get
from litestar.di import NamedDependency, Provide
from litestar.plugins import PluginProtocol
from litestar.testing import TestClient

from interfaces.http.auth import Caller, provide_principal
from interfaces.http.dependency_resolution import SequentialSyncDependencies
from interfaces.http.errors import EXCEPTION_HANDLERS
from tests.conftest import Account

WITH_AND_WITHOUT_THE_PLUGIN = pytest.mark.parametrize(
    "plugins", [[SequentialSyncDependencies()], []], ids=["sequential", "litestar"]
)


@pytest.fixture
def task_groups(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """One entry per task group Litestar creates to resolve a batch of dependencies."""
    created: list[None] = []

    def recording_create_task_group() -> anyio.abc.TaskGroup:
        created.append(None)
        return anyio.create_task_group()

    monkeypatch.setattr(
        "litestar._kwargs.kwargs_model.create_task_group", recording_create_task_group
    )
    return created


def served(
    handler: Any, dependencies: dict[str, Provide], plugins: list[PluginProtocol]
) -> TestClient:  # type: ignore[type-arg]
    app = Litestar(
        route_handlers=[handler],
        dependencies=dependencies,
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        plugins=plugins,
    )
    return TestClient(app)


@get("/pair", sync_to_thread=False)
def pair(first: NamedDependency[str], second: NamedDependency[str]) -> dict[str, str]:
    return {"first": first, "second": second}


def sync_first() -> str:
    return "one"


def sync_second() -> str:
    return "two"


async def async_first() -> str:
    await anyio.sleep(0)
    return "one"


async def async_second() -> str:
    await anyio.sleep(0)
    return "two"


SYNC_PAIR = {
    "first": Provide(sync_first, sync_to_thread=False),
    "second": Provide(sync_second, sync_to_thread=False),
}


def test_two_sync_dependencies_are_resolved_without_a_task_group(task_groups: list[None]) -> None:
    with served(pair, SYNC_PAIR, [SequentialSyncDependencies()]) as client:
        assert client.get("/pair").json() == {"first": "one", "second": "two"}
    assert task_groups == []


def test_litestar_alone_resolves_the_same_pair_in_a_task_group(task_groups: list[None]) -> None:
    """What the plugin saves: without it, every request starts a task group."""
    with served(pair, SYNC_PAIR, []) as client:
        assert client.get("/pair").json() == {"first": "one", "second": "two"}
        assert client.get("/pair").json() == {"first": "one", "second": "two"}
    assert len(task_groups) == 2


@pytest.mark.parametrize(
    "dependencies",
    [
        {"first": Provide(async_first), "second": Provide(async_second)},
        {"first": Provide(sync_first, sync_to_thread=False), "second": Provide(async_second)},
        {
            "first": Provide(sync_first, sync_to_thread=True),
            "second": Provide(sync_second, sync_to_thread=False),
        },
    ],
    ids=["both-async", "sync-and-async", "to-thread-and-sync"],
)
def test_a_batch_that_awaits_is_still_resolved_in_a_task_group(
    task_groups: list[None], dependencies: dict[str, Provide]
) -> None:
    with served(pair, dependencies, [SequentialSyncDependencies()]) as client:
        assert client.get("/pair").json() == {"first": "one", "second": "two"}
    assert len(task_groups) == 1


def cleanup_steps(plugins: list[PluginProtocol], *, handler_fails: bool) -> list[str]:
    """What two generator dependencies in one batch, and an async one after them, did
    around a handler that answers or fails."""
    steps: list[str] = []

    def tracked(name: str) -> Callable[[], Iterator[str]]:
        def provide() -> Iterator[str]:
            steps.append(f"set up {name}")
            try:
                yield name
            except RuntimeError:
                steps.append(f"{name} saw the error")
                raise
            finally:
                steps.append(f"torn down {name}")

        return provide

    async def tracked_after_first(first: NamedDependency[str]) -> AsyncIterator[str]:
        steps.append("set up later")
        try:
            yield f"after {first}"
        finally:
            steps.append("torn down later")

    @get("/tracked", sync_to_thread=False)
    def handler(
        first: NamedDependency[str], second: NamedDependency[str], later: NamedDependency[str]
    ) -> list[str]:
        steps.append("handler")
        if handler_fails:
            raise RuntimeError("handler failed")
        return [first, second, later]

    dependencies = {
        "first": Provide(tracked("first")),
        "second": Provide(tracked("second")),
        "later": Provide(tracked_after_first),
    }
    with served(handler, dependencies, plugins) as client:
        response = client.get("/tracked")
    expected = (500, None) if handler_fails else (200, ["first", "second", "after first"])
    assert (response.status_code, None if handler_fails else response.json()) == expected
    return steps


@pytest.mark.parametrize("handler_fails", [False, True], ids=["answered", "handler-fails"])
def test_generator_dependencies_are_cleaned_up_as_before(
    task_groups: list[None], handler_fails: bool
) -> None:
    """Set up in the same order, the handler's error thrown into each, torn down in the same
    order: with the plugin exactly as without it."""
    sequential = cleanup_steps([SequentialSyncDependencies()], handler_fails=handler_fails)
    assert task_groups == []
    assert sequential == cleanup_steps([], handler_fails=handler_fails)
    assert sorted(sequential[:2]) == ["set up first", "set up second"]
    assert sequential[2:4] == ["set up later", "handler"]
    assert sorted(s for s in sequential if s.startswith("torn down")) == [
        "torn down first",
        "torn down later",
        "torn down second",
    ]
    errors_seen = [step for step in sequential if step.endswith("saw the error")]
    assert len(errors_seen) == (2 if handler_fails else 0)


@WITH_AND_WITHOUT_THE_PLUGIN
def test_a_failing_sync_dependency_is_the_same_http_error(
    task_groups: list[None], plugins: list[PluginProtocol]
) -> None:
    """``provide_principal`` raises ``Unauthorized`` itself when the edge policy is not there
    to resolve the credential first, as in this app: the same 401 envelope whether it is
    raised directly or re-raised out of Litestar's task group."""

    @get("/guarded", sync_to_thread=False)
    def guarded(principal: Caller, second: NamedDependency[str]) -> str:
        return "unreachable"

    dependencies = {
        "principal": Provide(provide_principal, sync_to_thread=False),
        "second": Provide(sync_second, sync_to_thread=False),
    }
    with served(guarded, dependencies, plugins) as client:
        response = client.get("/guarded")

    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert (error["code"], error["details"]) == ("unauthorized", {"reason": "missing"})
    assert len(task_groups) == (0 if plugins else 1)


def test_ingesting_an_event_starts_no_task_group(
    client: TestClient,  # type: ignore[type-arg]
    account: Account,
    task_groups: list[None],
) -> None:
    """``POST /api/v1/events`` takes ``principal`` and ``ingestion``, one batch of two."""
    body = {"event_id": "evt-sequential-1", "user_id": "u-1", "type": "lesson_completed"}
    response = client.post("/api/v1/events", json=body, headers=account.headers())
    assert response.status_code == 200, response.text
    assert task_groups == []


def test_an_event_without_a_credential_is_still_401(client: TestClient) -> None:  # type: ignore[type-arg]
    """On the served app the edge policy refuses it before any dependency is resolved (the
    dependency's own refusal is the test above)."""
    response = client.post("/api/v1/events", json={"event_id": "e", "user_id": "u"})
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert (error["code"], error["details"]) == ("unauthorized", {"reason": "missing"})

"""The composition root builds each use-case service once, and takes fakes for the outside world."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from infrastructure.shared.settings import Settings
from interfaces.container import Adapters, Container, build_container
from interfaces.http.app import create_app


def object_graph(root: object) -> dict[type, set[int]]:
    """Every object of the project's own classes reachable from ``root``, by class."""
    found: dict[type, set[int]] = defaultdict(set)
    seen: set[int] = set()
    pending: list[Any] = [root]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, list | tuple | set):
            pending.extend(current)
            continue
        if isinstance(current, dict):
            pending.extend(current.values())
            continue
        module = type(current).__module__
        if not module.startswith(("application.", "infrastructure.", "interfaces.")):
            continue
        found[type(current)].add(id(current))
        pending.extend(getattr(current, "__dict__", {}).values())
    return found


def test_each_use_case_service_is_built_once(tmp_path: Path) -> None:
    container = build_container(Settings(data_dir=tmp_path, secret_key="root-" + "x" * 40))
    try:
        graph = object_graph(container)
        services = {
            type(getattr(container, f.name))
            for f in dataclasses.fields(Container)
            if type(getattr(container, f.name)).__module__.startswith("application.")
        }
        assert len(services) >= 10
        built_more_than_once = {
            cls.__name__: len(graph[cls]) for cls in services if len(graph[cls]) != 1
        }
        assert built_more_than_once == {}
    finally:
        container.close()


class FrozenClock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


class CountingHasher:
    def __init__(self) -> None:
        self.verified = 0

    def hash(self, password: str) -> str:
        return "plain:" + password

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified += 1
        return password_hash == "plain:" + password


def test_a_test_hands_the_root_its_own_clock_and_hasher(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="root-" + "x" * 40)
    frozen = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    hasher = CountingHasher()
    adapters = dataclasses.replace(
        Adapters.for_settings(settings), clock=FrozenClock(frozen), password_hasher=hasher
    )
    container = build_container(settings, adapters)
    with TestClient(create_app(container)) as client:
        body = {"email": "root@example.com", "password": "correct horse battery"}
        registered = client.post("/api/v1/auth/register", json={**body, "company_name": "A"})
        assert registered.status_code == 201, registered.text
        assert registered.json()["customer"]["created_at"].startswith("2026-03-04T05:06:07")
        assert client.post("/api/v1/auth/login", json=body).status_code == 200
    assert hasher.verified >= 1


def test_a_built_app_bound_to_another_container_serves_that_one(tmp_path: Path) -> None:
    """``bind`` hands a built app a new container: what it answers comes from the new
    container's services, and its start-up and shut-down start and close the new one."""
    from interfaces.http.app import bind, create_litestar, served_app

    def settings(name: str) -> Settings:
        return Settings(data_dir=tmp_path / name, secret_key="bind-" + "x" * 32)

    credentials = {"email": "owner@example.com", "password": "correct horse battery"}
    account = {**credentials, "company_name": "Acme"}
    first, second = build_container(settings("first")), build_container(settings("second"))
    try:
        litestar = create_litestar(first)
        with TestClient(served_app(litestar)) as client:
            assert client.post("/api/v1/auth/register", json=account).status_code == 201
            assert client.post("/api/v1/auth/login", json=credentials).status_code == 200
            assert client.post("/api/v1/auth/register", json=account).status_code == 409
        bind(litestar, second)
        with TestClient(served_app(litestar)) as client:
            assert client.post("/api/v1/auth/login", json=credentials).status_code == 401
            assert client.post("/api/v1/auth/register", json=account).status_code == 201
            created = client.post("/api/v1/auth/login", json=credentials)
            assert created.status_code == 200
            token = created.json()["token"]
            me = client.get("/api/v1/customers/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200 and me.json()["email"] == "owner@example.com"
    finally:
        first.close()
        second.close()

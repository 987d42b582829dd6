"""Fixtures shared by every test: the backend matrix, a running app, and accounts.

``HATCHED_TEST_BACKENDS`` picks the backends (comma-separated: ``sqlite``,
``postgres``); ``make test`` runs SQLite, ``.ci/run`` runs both. Each test gets
its own fresh SQLite file or its own fresh PostgreSQL schema.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from infrastructure.shared.settings import Settings
from interfaces.container import Container, build_container
from interfaces.http.app import bind, create_litestar, served_app
from interfaces.http.request_id import RequestIdMiddleware

BACKENDS = [b.strip() for b in os.environ.get("HATCHED_TEST_BACKENDS", "sqlite").split(",") if b]
POSTGRES_URL = os.environ.get(
    "HATCHED_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/hatched_test"
)
REDIS_URL = os.environ.get("HATCHED_TEST_REDIS_URL") or None


def _ensure_database(url: str) -> None:
    settings = Settings(database_url=url)
    params = settings.postgres_params()
    name = params.pop("dbname")
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        # The other test worker may create it first (a fresh machine's first run).
        duplicate = (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation)
        if not exists:
            with contextlib.suppress(*duplicate):
                conn.execute(f'CREATE DATABASE "{name}"')


def _drop_schema(url: str, schema: str) -> None:
    params = Settings(database_url=url).postgres_params()
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="session")
def postgres_url() -> str:
    _ensure_database(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Settings]:
    common = {
        "redis_namespace": f"hatched-test-{uuid.uuid4().hex[:12]}",
        "embedded_worker": True,
        "data_dir": tmp_path,
        "secret_key": "test-secret-" + uuid.uuid4().hex,
        "redis_url": REDIS_URL,
        # Per-credential buckets (100 requests a minute on starter) would throttle the
        # suite's busier tests; tests/http/test_rate_limits.py switches them on.
        "api_rate_limits": False,
    }
    if backend == "sqlite":
        yield Settings(**common)  # type: ignore[arg-type]
        return
    url = request.getfixturevalue("postgres_url")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    yield Settings(database_url=url, database_schema=schema, **common)  # type: ignore[arg-type]
    _drop_schema(url, schema)


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    built = build_container(settings)
    yield built
    built.close()


_APPS: dict[tuple[bool, int], Litestar] = {}
"""The Litestar app of this test process for each app shape (``bind``): building one costs
about a second, so the ``client`` of every test reuses it with that test's own container."""


def app_for(container: Container) -> RequestIdMiddleware:
    """An app serving ``container``: this process's app of its shape, bound to it."""
    shape = (container.settings.metrics, container.settings.max_body_bytes)
    litestar = _APPS.get(shape)
    if litestar is None:
        litestar = _APPS[shape] = create_litestar(container)
    bind(litestar, container)
    return served_app(litestar)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with TestClient(app_for(container)) as test_client:
        yield test_client


@dataclass
class Account:
    """A registered customer with a dashboard token and a secret key of each mode."""

    customer_id: str
    email: str
    token: str
    live_key: str
    test_key: str

    def headers(self, credential: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {credential or self.live_key}"}


def register_account(
    client: TestClient,  # type: ignore[type-arg]
    email: str | None = None,
    *,
    plan: str | None = None,
) -> Account:
    """A new customer (on ``starter``, or moved to ``plan``) with a key of each mode."""
    email = email or f"owner-{uuid.uuid4().hex[:10]}@example.com"
    response = client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": "correct horse battery", "company_name": "Acme"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    dashboard = {"Authorization": f"Bearer {body['token']}"}
    keys = {}
    for mode in ("live", "test"):
        issued = client.post("/api/v1/auth/api-keys", json={"mode": mode}, headers=dashboard)
        assert issued.status_code == 201, issued.text
        keys[mode] = issued.json()["key"]
    account = Account(body["customer"]["id"], email, body["token"], keys["live"], keys["test"])
    if plan is not None:
        move_to_plan(client, account, plan)
    return account


def move_to_plan(client: TestClient, account: Account, plan: str) -> None:  # type: ignore[type-arg]
    """Put the customer on ``plan`` as its dashboard would (``POST /billing/override-plan``):
    the marketplace, for one, needs ``growth``."""
    moved = client.post(
        "/api/v1/billing/override-plan",
        json={"plan": plan, "reason": "test"},
        headers=account.headers(account.token),
    )
    assert moved.status_code == 200, moved.text


def _plan_of(request: pytest.FixtureRequest) -> str | None:
    """``@pytest.mark.plan("growth")`` (or a module's ``pytestmark``) puts the test's
    ``account`` and ``other_account`` on that plan."""
    marker = request.node.get_closest_marker("plan")
    return str(marker.args[0]) if marker is not None else None


@pytest.fixture
def account(client: TestClient, request: pytest.FixtureRequest) -> Account:  # type: ignore[type-arg]
    return register_account(client, plan=_plan_of(request))


@pytest.fixture
def other_account(client: TestClient, request: pytest.FixtureRequest) -> Account:  # type: ignore[type-arg]
    return register_account(client, plan=_plan_of(request))

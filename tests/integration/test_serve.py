"""``hatched serve`` as a real process: the README's first minutes, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infrastructure.shared.settings import Settings
from tests.integration.processes import ServeProcess


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with ServeProcess(Settings(data_dir=tmp_path / "var")) as served:
        yield f"{served.base}/api/v1"


def test_register_key_and_me_over_real_http(server: str) -> None:
    registered = httpx.post(
        f"{server}/auth/register",
        json={"email": "first@example.com", "password": "correct horse", "company_name": "First"},
    )
    assert registered.status_code == 201
    token = registered.json()["token"]
    key = httpx.post(
        f"{server}/auth/api-keys",
        json={"mode": "test"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()["key"]
    me = httpx.get(f"{server}/auth/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200 and me.json()["email"] == "first@example.com"

    camel = httpx.post(f"{server}/auth/register", json={"companyName": "x"})
    assert "property companyName should not exist" in camel.json()["error"]["message"]

    unknown = httpx.get(f"{server}/nope")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["requestId"] == unknown.headers["x-request-id"]


def test_data_goes_to_the_data_dir(server: str, tmp_path: Path) -> None:
    assert (tmp_path / "var" / "hatched.sqlite3").exists()

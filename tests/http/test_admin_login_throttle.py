"""Admin sign-in is throttled per e-mail like the customer's (decision 0019): guessing an
admin's password is paced, whatever the address it comes from (decision 0051)."""

from __future__ import annotations

import dataclasses

import pytest
from litestar.testing import TestClient

from infrastructure.shared.settings import Settings
from interfaces.container import Container
from tests.http.admin_flow import PASSWORD, make_admin


@pytest.fixture(name="settings")
def tight_login_quota(settings: Settings) -> Settings:
    return dataclasses.replace(settings, login_email_rate_limit="3/day")


def test_guessing_an_admins_password_is_throttled(client: TestClient, container: Container) -> None:
    admin = make_admin(client, container)  # one sign-in counted
    answers = [
        client.post(
            "/api/v1/admin/auth/login", json={"email": admin.email, "password": "a wrong guess!"}
        ).status_code
        for _ in range(3)
    ]
    assert answers == [401, 401, 429]
    throttled = client.post(
        "/api/v1/admin/auth/login", json={"email": admin.email, "password": PASSWORD}
    )
    assert throttled.status_code == 429 and throttled.headers["retry-after"]
    other = make_admin(client, container)  # another admin's e-mail is its own quota
    assert client.get("/api/v1/admin/auth/me", headers=other.headers).status_code == 200

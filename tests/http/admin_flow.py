"""Admins for the admin API's tests: made the way the ``hatched admin`` command makes them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from litestar.testing import TestClient

from interfaces.container import Container

PASSWORD = "a long admin passphrase"


@dataclass
class Admin:
    id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_admin(client: TestClient, container: Container, role: str = "super") -> Admin:  # type: ignore[type-arg]
    email = f"{role}-{uuid.uuid4().hex[:8]}@ops.example.com"
    container.admins.create(None, email, PASSWORD, role)
    return sign_in(client, email)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Admin:  # type: ignore[type-arg]
    response = client.post("/api/v1/admin/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    return Admin(body["admin"]["id"], email, body["token"])


def audit(client: TestClient, admin: Admin, **filters: str) -> list[dict]:  # type: ignore[type-arg]
    response = client.get("/api/v1/admin/audit", params=filters, headers=admin.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])

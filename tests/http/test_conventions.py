"""Every response behaves like the product: envelope, request ids, strict bodies."""

from __future__ import annotations

import pytest
from litestar import get
from litestar.testing import TestClient

from interfaces.http.app import create_litestar
from interfaces.http.request_id import RequestIdMiddleware
from tests.conftest import Account


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["requestId"] == response.headers["x-request-id"]
    return error


def test_unknown_route_returns_envelope_with_request_id(client: TestClient) -> None:
    assert_envelope(client.get("/api/v1/no-such-thing"), 404, "resource_not_found")


def test_client_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/api/v1/health", headers={"X-Request-Id": "req_abc-123"})
    assert response.headers["x-request-id"] == "req_abc-123"
    error = client.get("/nowhere", headers={"X-Request-Id": "req_xyz"}).json()["error"]
    assert error["requestId"] == "req_xyz"


def test_unsafe_or_long_request_id_is_replaced(client: TestClient) -> None:
    for bad in ("has space", "x" * 129, "<script>"):
        response = client.get("/api/v1/health", headers={"X-Request-Id": bad})
        assert response.headers["x-request-id"] not in (bad, "")


def test_every_response_has_a_request_id(client: TestClient, account: Account) -> None:
    responses = [
        client.get("/api/v1/health"),
        client.get("/api/v1/auth/me", headers=account.headers()),
        client.get("/api/v1/auth/me"),
    ]
    ids = {r.headers["x-request-id"] for r in responses}
    assert len(ids) == len(responses)


def test_wrong_method_is_405(client: TestClient) -> None:
    assert_envelope(client.delete("/api/v1/health"), 405, "method_not_allowed")


def test_oversized_body_is_413(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", content=b"{" + b" " * 2_000_000 + b"}")
    assert_envelope(response, 413, "payload_too_large")


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    assert_envelope(response, 400, "malformed_json")


def test_camel_case_field_is_named(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register",
        json={"email": "c@example.com", "password": "long enough", "companyName": "Acme"},
    )
    error = assert_envelope(response, 422, "validation_failed")
    assert "property companyName should not exist" in error["message"]
    assert {"field": "companyName", "reason": "should not exist"} in error["details"]["fields"]


def test_every_unknown_field_is_listed(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register",
        json={
            "email": "c@example.com",
            "password": "long enough",
            "company_name": "A",
            "userId": 1,
            "extra": True,
        },
    )
    error = assert_envelope(response, 422, "validation_failed")
    assert sorted(f["field"] for f in error["details"]["fields"]) == ["extra", "userId"]


def test_types_are_strict(client: TestClient, account: Account) -> None:
    response = client.patch(
        "/api/v1/customers/me/settings",
        json={"max_active_eggs_per_user": "3"},
        headers=account.headers(),
    )
    error = assert_envelope(response, 422, "validation_failed")
    assert error["details"]["fields"][0]["field"] == "max_active_eggs_per_user"


def test_missing_required_field_is_named(client: TestClient) -> None:
    response = client.post("/api/v1/auth/register", json={"email": "c@example.com"})
    error = assert_envelope(response, 422, "validation_failed")
    assert error["details"]["fields"][0]["field"] in {"password", "company_name"}


def test_unexpected_error_has_no_stack_trace(container) -> None:
    @get("/api/v1/boom", sync_to_thread=False)
    def boom() -> None:
        raise RuntimeError("secret internals")

    app = create_litestar(container)
    app.register(boom)
    with TestClient(RequestIdMiddleware(app)) as client:  # type: ignore[arg-type]
        response = client.get("/api/v1/boom")
    error = assert_envelope(response, 500, "internal_error")
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert error["message"] == "an unexpected error occurred"


def test_health_endpoints(client: TestClient) -> None:
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    assert client.get("/api/v1/health/live").status_code == 200
    ready = client.get("/api/v1/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


def test_not_ready_is_a_503_in_the_envelope_with_its_reasons(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import interfaces.http.health as health

    monkeypatch.setattr(health, "check_database", lambda settings: "database: refused")
    error = assert_envelope(client.get("/api/v1/health/ready"), 503, "service_unavailable")
    assert error["message"] == "not ready"
    assert error["details"] == {"reasons": ["database: refused"]}
    assert client.get("/api/v1/health/live").json() == {"status": "ok"}


def test_ready_lists_no_parked_events_when_there_are_none(client: TestClient) -> None:
    ready = client.get("/api/v1/health/ready").json()
    assert ready == {
        "status": "ready",
        "checks": {
            "database": "ok",
            "redis": ready["checks"]["redis"],
            "views": "ok",
            "workers": "ok",
        },
        "queue": {"workers": 1, "pending_operations": 0, "oldest_pending_seconds": None},
    }


def test_openapi_is_served_and_documents_routes(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/auth/register" in spec["paths"]
    schema = spec["paths"]["/api/v1/auth/register"]["post"]["requestBody"]["content"]
    assert "application/json" in schema
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "openapi.json" in docs.text

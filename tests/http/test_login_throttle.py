"""Login and register are throttled per client address and per e-mail (decision 0019).

Each test builds its app with small limits; the other limit is raised out of the way, so
what is refused is refused by the quota under test. Windows are a day long where a test
counts exactly: the in-memory counters' windows start on the clock's boundaries, and one
crossed mid-test would let one more attempt through. On the PostgreSQL run the counters live
in Redis (the fixtures pass ``HATCHED_TEST_REDIS_URL``), in a namespace of the test's own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from domain.accounts.customer_email import CustomerEmail, email_claim_id
from infrastructure.shared.settings import Settings
from interfaces.container import Container
from interfaces.http.accounts.accounts import DEVICE_COOKIE
from tests.http.peers import app_client, peer
from tests.waiting import eventually

PASSWORD = "correct horse battery"
WIDE = "1000/day"
LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"


def new_email() -> str:
    return f"owner-{uuid.uuid4().hex[:10]}@example.com"


def register(client: TestClient, email: str, address: str = "10.0.0.1") -> int:  # type: ignore[type-arg]
    body = {"email": email, "password": PASSWORD, "company_name": "Acme"}
    return client.post(REGISTER, json=body, headers=peer(address)).status_code


def login(
    client: TestClient,  # type: ignore[type-arg]
    email: str,
    password: str = PASSWORD,
    address: str = "10.0.0.1",
    device: str | None = None,
) -> tuple[int, dict[str, str], dict[str, object]]:
    headers = peer(address)
    if device is not None:
        headers["Cookie"] = f"{DEVICE_COOKIE}={device}"
    response = client.post(LOGIN, json={"email": email, "password": password}, headers=headers)
    return response.status_code, dict(response.headers), response.json()


def assert_rate_limited(status: int, headers: dict[str, str], body: dict[str, object]) -> None:
    assert status == 429, body
    error = body["error"]
    assert isinstance(error, dict)
    assert error["code"] == "rate_limited"
    assert "details" not in error
    retry_after = int(headers["retry-after"])
    assert retry_after >= 1
    assert error["message"] == f"Rate limit exceeded. Please retry after {retry_after} seconds."


@pytest.fixture
def per_email(settings: Settings) -> Iterator[tuple[TestClient, Container]]:  # type: ignore[type-arg]
    with app_client(settings, auth_rate_limit=WIDE, login_email_rate_limit="3/day") as built:
        yield built


def test_failures_on_one_email_end_in_429_with_retry_after_even_for_the_right_password(
    per_email: tuple[TestClient, Container],  # type: ignore[type-arg]
) -> None:
    client, _ = per_email
    email = new_email()
    assert register(client, email) == 201
    client.cookies.clear()
    for attempt in range(3):
        assert login(client, email, "wrong-password", f"10.1.0.{attempt}")[0] == 401
    assert_rate_limited(*login(client, email, "wrong-password", "10.1.0.9"))
    status, headers, body = login(client, email, PASSWORD, "10.1.0.10")
    assert_rate_limited(status, headers, body)
    assert "token" not in body
    assert login(client, new_email(), PASSWORD, "10.1.0.10")[0] == 401  # other e-mails: open


def test_unknown_emails_are_throttled_like_known_ones(
    per_email: tuple[TestClient, Container],  # type: ignore[type-arg]
) -> None:
    client, _ = per_email
    email = new_email()
    for _ in range(3):
        assert login(client, email, "wrong-password")[0] == 401
    assert_rate_limited(*login(client, email, "wrong-password"))


def test_the_right_password_works_once_the_window_has_passed(settings: Settings) -> None:
    with app_client(settings, auth_rate_limit=WIDE, login_email_rate_limit="2/5 seconds") as built:
        client, _ = built
        email = new_email()
        assert register(client, email) == 201
        client.cookies.clear()
        refused = None
        for _ in range(20):  # two fit in five seconds, a third in the same five does not
            status, headers, body = login(client, email, "wrong-password")
            if status != 401:
                refused = (status, headers, body)
                break
        assert refused is not None
        assert_rate_limited(*refused)

        def signed_in() -> None:
            status, _, body = login(client, email)
            assert status == 200, body
            assert body["token"]

        eventually(signed_in, timeout=40, interval=0.5)


def test_the_owners_browser_signs_in_while_strangers_hold_the_email_back(
    per_email: tuple[TestClient, Container],  # type: ignore[type-arg]
) -> None:
    client, _ = per_email
    email = new_email()
    assert register(client, email) == 201
    first = client.post(
        LOGIN, json={"email": email, "password": PASSWORD}, headers=peer("10.2.0.1")
    )
    assert first.status_code == 200
    device = first.cookies[DEVICE_COOKIE]
    assert "httponly" in first.headers["set-cookie"].lower()
    client.cookies.clear()

    for attempt in range(2):  # an attacker, from addresses of its own, without the cookie
        assert login(client, email, "guess-guess", f"10.3.0.{attempt}")[0] == 401  # 3 with ours
    assert_rate_limited(*login(client, email, PASSWORD, "10.3.0.9"))

    status, _, body = login(client, email, PASSWORD, "10.2.0.1", device=device)
    assert status == 200 and body["token"]
    other = new_email()
    for _ in range(3):
        assert login(client, other, "guess-guess", device=device)[0] == 401
    assert_rate_limited(*login(client, other, PASSWORD, device=device))  # bound to its e-mail


def test_a_device_cookie_has_a_quota_of_its_own(
    per_email: tuple[TestClient, Container],  # type: ignore[type-arg]
) -> None:
    """A stolen device cookie gives no more guesses than the e-mail itself would."""
    client, _ = per_email
    email = new_email()
    assert register(client, email) == 201
    device = client.post(LOGIN, json={"email": email, "password": PASSWORD}).cookies[DEVICE_COOKIE]
    client.cookies.clear()
    for _ in range(3):
        assert login(client, email, "guess-guess", device=device)[0] == 401
    assert_rate_limited(*login(client, email, "guess-guess", device=device))
    assert login(client, email, PASSWORD, device="not-a-device-token")[0] == 200  # the e-mail's


def test_one_address_is_limited_across_emails_and_others_are_not(settings: Settings) -> None:
    with app_client(settings, auth_rate_limit="3/day", login_email_rate_limit=WIDE) as built:
        client, _ = built
        for _ in range(3):
            assert login(client, new_email(), "wrong-password", "10.4.0.1")[0] == 401
        assert_rate_limited(*login(client, new_email(), "wrong-password", "10.4.0.1"))
        assert login(client, new_email(), "wrong-password", "10.4.0.2")[0] == 401


def test_register_counts_in_the_same_address_quota_and_a_refusal_creates_nothing(
    settings: Settings,
) -> None:
    with app_client(settings, auth_rate_limit="3/day", login_email_rate_limit=WIDE) as built:
        client, container = built
        first = new_email()
        assert register(client, first, "10.5.0.1") == 201
        assert register(client, first, "10.5.0.1") == 409  # a taken e-mail counts too
        assert login(client, first, "wrong-password", "10.5.0.1")[0] == 401
        refused = new_email()
        response = client.post(
            REGISTER,
            json={"email": refused, "password": PASSWORD, "company_name": "Acme"},
            headers=peer("10.5.0.1"),
        )
        assert_rate_limited(response.status_code, dict(response.headers), response.json())
        assert_rate_limited(*login(client, first, PASSWORD, "10.5.0.1"))
        assert container.store.find(CustomerEmail, email_claim_id(refused)) is None
        assert register(client, refused, "10.5.0.2") == 201

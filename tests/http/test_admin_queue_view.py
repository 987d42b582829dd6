"""The operator's queue view: ``GET /admin/operations/queue-link`` and the read-only page it
links to (decision 0054), with a clock the test moves."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar.testing import TestClient

from domain.companions.operation import Operation
from domain.shared.ids import parse_public_id
from infrastructure.shared.settings import Settings
from infrastructure.shared.tasks import OPERATIONS_QUEUE, WEBHOOKS_QUEUE
from interfaces.container import Adapters, Container, build_container
from tests.conftest import Account
from tests.http.admin_flow import Admin, audit, make_admin
from tests.http.flow import apply_preset

API = "/api/v1"
LINK = f"{API}/admin/operations/queue-link"
PAGE = f"{API}/admin/queues"
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


class MovableClock:
    """Real time until a test moves it forward."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, minutes: float) -> None:
        with self._lock:
            self._offset += timedelta(minutes=minutes)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, embedded_worker=False)  # operations wait: the queue has depth


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def container(settings: Settings, clock: MovableClock) -> Iterator[Container]:
    built = build_container(settings, replace(Adapters.for_settings(settings), clock=clock))
    yield built
    built.close()


def take_link(client: TestClient, admin: Admin) -> dict[str, Any]:  # type: ignore[type-arg]
    response = client.get(LINK, headers=admin.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def page_path(link: dict[str, Any]) -> str:
    url = urlsplit(link["url"])
    return f"{url.path}?{url.query}"


def token_of(link: dict[str, Any]) -> str:
    return parse_qs(urlsplit(link["url"]).query)["token"][0]


def wrong_kind(response: Any) -> str:
    """A genuine token of ours for another use: 403, not 401 (decision 0046)."""
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "forbidden" and error["requestId"]
    return str(error["details"]["reason"])


def reason(response: Any) -> str:
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert error["code"] == "unauthorized" and error["requestId"]
    return str(error["details"]["reason"])


def request_hatch(client: TestClient, account: Account, user_id: str) -> str:  # type: ignore[type-arg]
    headers = account.headers()
    egg = client.post(f"{API}/eggs?ensure=true", json={"user_id": user_id}, headers=headers).json()
    client.patch(f"{API}/eggs/{egg['egg_id']}/status", json={"status": "ready"}, headers=headers)
    hatch = client.post(f"{API}/eggs/{egg['egg_id']}/hatch", headers=headers)
    assert hatch.status_code == 202, hatch.text
    return str(hatch.json()["operation_id"])


def fail_operation(container: Container, operation_id: str, clock: MovableClock) -> None:
    """What a worker records when an attempt fails for good."""
    operation = container.store.load(
        Operation, parse_public_id("operation", operation_id), "operation", operation_id
    )
    now = clock.now()
    operation.start(lease_until=now + timedelta(minutes=1), timestamp=now)
    operation.fail(code="hatch_failed", message="the <renderer> broke & gave up", timestamp=now)
    container.store.save(operation)


def test_the_link_opens_the_queue_page_with_depths_ages_and_failures(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
    clock: MovableClock,
) -> None:
    apply_preset(client, account)
    clock.advance(-5)  # the work was asked for five minutes ago
    waiting = request_hatch(client, account, "u-waiting")
    broken = request_hatch(client, account, "u-broken")
    fail_operation(container, broken, clock)
    clock.advance(5)
    admin = make_admin(client, container, "support")  # the least role may look
    link = take_link(client, admin)
    assert link["url"].startswith("http://testserver.local/api/v1/admin/queues?token=")
    expires_at = datetime.fromisoformat(link["expires_at"])
    assert timedelta(minutes=9) < expires_at - clock.now() <= timedelta(minutes=10)
    assert container.wait_for_views("operations")

    page = client.get(page_path(link), headers=HTML)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'; style-src 'sha256-")
    assert "script-src" not in policy and "frame-ancestors 'none'" in policy
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-content-type-options"] == "nosniff"
    text = page.text
    assert "<script" not in text and "<form" not in text and "http" not in text.split("<body>")[1]
    queues = text.split('<table id="queues">')[1].split("</table>")[0]
    operations_row = queues.split(f"<code>{OPERATIONS_QUEUE}</code>")[1].split("</tr>")[0]
    cells = [c.split(">", 1)[1] for c in operations_row.split("</td>")[1:-1]]
    assert cells == ["operations", "1", "0", "1", "5 min"], cells  # pending, processing, failed
    assert f"<code>{WEBHOOKS_QUEUE}</code>" in queues
    failed = text.split('<table id="failed">')[1]
    assert broken in failed and waiting not in failed
    assert "hatch_failed" in failed and account.customer_id in failed
    assert "the &lt;renderer&gt; broke &amp; gave up" in failed  # escaped, never markup

    trail = audit(client, admin, actor=admin.id)
    assert [entry["action"] for entry in trail] == [
        "operations.queue_view",
        "operations.queue_link",
    ]
    assert {entry["target_type"] for entry in trail} == {"queue_view"}
    assert trail[1]["after"] == {"expires_at": link["expires_at"].replace("Z", "+00:00")}


def test_an_expired_link_is_refused_as_json_and_as_a_page(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    clock: MovableClock,
) -> None:
    admin = make_admin(client, container, "operator")
    link = take_link(client, admin)
    assert client.get(page_path(link)).status_code == 200
    clock.advance(10.1)
    assert reason(client.get(page_path(link))) == "expired"
    shown = client.get(page_path(link), headers=HTML)
    assert shown.status_code == 401
    assert shown.headers["content-type"].startswith("text/html")
    assert shown.headers["content-security-policy"].startswith("default-src 'none'")
    assert "&quot;code&quot;: &quot;unauthorized&quot;" in shown.text
    assert "&quot;reason&quot;: &quot;expired&quot;" in shown.text
    assert "&quot;requestId&quot;" in shown.text
    fresh = take_link(client, admin)  # a new link works again
    assert client.get(page_path(fresh)).status_code == 200


def test_a_tampered_missing_or_foreign_token_is_refused(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
) -> None:
    admin = make_admin(client, container)
    token = token_of(take_link(client, admin))
    header, claims, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert reason(client.get(PAGE, params={"token": f"{header}.{claims}.{flipped}"})) == "invalid"
    forged = take_link(client, make_admin(client, container)).copy()  # another admin's claims
    other_claims = token_of(forged).split(".")[1]
    assert reason(client.get(PAGE, params={"token": f"{header}.{other_claims}.{signature}"})) == (
        "invalid"
    )
    assert reason(client.get(PAGE)) == "missing"
    assert reason(client.get(PAGE, params={"token": "not-a-token"})) == "invalid"
    # tokens we signed for something else: an admin token, a customer's dashboard token
    assert wrong_kind(client.get(PAGE, params={"token": admin.token})) == "wrong_audience"
    assert wrong_kind(client.get(PAGE, params={"token": account.token})) == "wrong_audience"
    # a link is not an admin token either
    headers = {"Authorization": f"Bearer {token}"}
    assert wrong_kind(client.get(f"{API}/admin/auth/me", headers=headers)) == "wrong_audience"
    assert wrong_kind(client.get(LINK, headers=headers)) == "wrong_audience"


def test_customer_credentials_never_get_a_link(
    client: TestClient,  # type: ignore[type-arg]
    account: Account,
) -> None:
    for credential in (account.token, account.live_key):
        headers = {"Authorization": f"Bearer {credential}"}
        refused = client.get(LINK, headers=headers)  # valid, of the wrong kind: decision 0046
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["details"]["reason"] == "wrong_audience"
    assert reason(client.get(LINK)) == "missing"


def test_deactivating_or_signing_out_an_admin_ends_its_links(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
) -> None:
    boss = make_admin(client, container)
    support = make_admin(client, container, "support")
    link = take_link(client, support)
    assert client.get(page_path(link)).status_code == 200
    gone = client.delete(f"{API}/admin/users/{support.id}", headers=boss.headers)
    assert gone.status_code == 200, gone.text
    assert reason(client.get(page_path(link))) == "revoked"

    other = make_admin(client, container, "operator")
    link = take_link(client, other)
    assert client.post(f"{API}/admin/auth/logout", headers=other.headers).status_code == 200
    assert reason(client.get(page_path(link))) == "revoked"


def test_the_page_takes_no_write_and_another_tenant_sees_nothing(
    client: TestClient,  # type: ignore[type-arg]
    container: Container,
    account: Account,
) -> None:
    admin = make_admin(client, container)
    link = take_link(client, admin)
    before = audit(client, admin)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = client.request(method, page_path(link), json={})
        assert response.status_code == 405, response.text
        assert response.json()["error"]["code"] == "method_not_allowed"
    assert audit(client, admin) == before  # nothing happened, nothing recorded
    # the page is the operator's: a customer's route never shows it, whatever the token
    assert client.get(f"{API}/operations/queue-link", headers=account.headers()).status_code == 404


def test_the_document_types_the_link_and_leaves_the_page_out(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    document = client.get(f"{API}/openapi.json").json()
    assert "/api/v1/admin/queues" not in document["paths"]
    operation = document["paths"]["/api/v1/admin/operations/queue-link"]["get"]
    assert operation["security"] == [{"adminToken": []}]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[1]
    assert set(document["components"]["schemas"][name]["properties"]) == {"url", "expires_at"}
    assert {"401", "403"} <= set(operation["responses"])

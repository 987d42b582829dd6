"""``/stage-assets`` over HTTP: the upload flow, its refusals, and tenant isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import pytest
from litestar.testing import TestClient

from domain.companions.stage_art import UploadGrant
from domain.shared.tenancy import Tenant
from infrastructure.companions.upload_tokens import JwtUploadTokens
from interfaces.container import Container
from tests.conftest import Account
from tests.unit.test_image_checks import png

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle cx="4" cy="4" r="3"/></svg>'
)


def path_of(url: str) -> str:
    return urlsplit(url).path


def error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def refusal(response: Any) -> tuple[int, str, str | None]:
    """Status, code and ``details.reason`` (every 401 says why: decision 0029)."""
    error = response.json()["error"]
    return response.status_code, error["code"], (error.get("details") or {}).get("reason")


def issue(
    client: TestClient,
    account: Account,
    content_type: str = "image/svg+xml",
    key: str | None = None,
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/stage-assets/upload-url",
        json={"content_type": content_type},
        headers=account.headers(key),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def put_file(
    client: TestClient, issued: dict[str, Any], data: bytes, content_type: str | None = None
) -> Any:
    kind = content_type or issued["content_type"]
    return client.put(path_of(issued["upload_url"]), content=data, headers={"Content-Type": kind})


def test_the_upload_flow_pins_art_to_a_stage(client: TestClient, account: Account) -> None:
    headers = account.headers()
    listed = client.get("/api/v1/stage-assets", headers=headers).json()
    assert listed["creature_style"] == "cute"
    assert [s["source"] for s in listed["data"]] == ["default"] * 5
    assert [s["name"] for s in listed["data"]] == [
        "Hatchling",
        "Fledgling",
        "Juvenile",
        "Adult",
        "Elder",
    ]
    library = listed["default_library"]["stage_image_urls"]
    assert sorted(library) == ["1", "2", "3", "4", "5"]
    assert client.get(path_of(library["4"])).headers["content-type"].startswith("image/svg+xml")

    issued = issue(client, account, "image/png")
    assert issued["method"] == "PUT" and issued["headers"] == {"Content-Type": "image/png"}
    assert issued["upload_id"].startswith("upl_") and issued["max_bytes"] > 0
    picture = png(32, 32)
    received = put_file(client, issued, picture)
    assert received.status_code == 200, received.text
    assert received.json()["size_bytes"] == len(picture)

    committed = client.put(
        "/api/v1/stage-assets/3", json={"upload_id": issued["upload_id"]}, headers=headers
    )
    assert committed.status_code == 200, committed.text
    body = committed.json()
    assert (body["stage"], body["source"], body["upload_id"]) == (3, "upload", issued["upload_id"])
    assert body["content_type"] == "image/png"
    served = client.get(path_of(body["image_url"]))
    assert served.content == picture and served.headers["content-type"] == "image/png"
    assert [
        s["source"] for s in client.get("/api/v1/stage-assets", headers=headers).json()["data"]
    ] == [
        "default",
        "default",
        "upload",
        "default",
        "default",
    ]

    regenerated = client.post(
        "/api/v1/stage-assets/3/regenerate", json={"seed": 7}, headers=headers
    )
    assert regenerated.status_code == 200, regenerated.text
    assert (regenerated.json()["source"], regenerated.json()["seed"]) == ("generated", 7)
    removed = client.delete("/api/v1/stage-assets/3", headers=headers)
    assert removed.status_code == 200 and removed.json()["source"] == "default"
    assert removed.json()["image_url"] == removed.json()["default_image_url"]


def test_bad_upload_tokens_and_files_are_refused(
    client: TestClient, account: Account, container: Container
) -> None:
    issued = issue(client, account)
    assert error(put_file(client, issued, SVG, "image/png")) == (
        403,
        "upload_content_type_mismatch",
    )
    assert error(put_file(client, issued, SVG, "text/html")) == (415, "unsupported_media_type")
    too_big = b"<svg>" + b" " * container.settings.asset_upload_max_bytes
    assert error(put_file(client, issued, too_big)) == (413, "payload_too_large")
    unsafe = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert error(put_file(client, issued, unsafe)) == (422, "unsafe_svg")
    assert error(put_file(client, issued, b"<svg")) == (422, "invalid_image")
    commit = {"upload_id": issued["upload_id"]}
    not_received = client.put("/api/v1/stage-assets/1", json=commit, headers=account.headers())
    assert error(not_received) == (404, "resource_not_found")

    assert put_file(client, issued, SVG).status_code == 200
    assert put_file(client, issued, SVG).status_code == 200  # the same file again
    other = SVG.replace(b'r="3"', b'r="2"')
    assert error(put_file(client, issued, other)) == (409, "conflict")

    upload = "/api/v1/stage-assets/uploads/"
    bad = client.put(upload + "not-a-token", content=SVG, headers={"Content-Type": "image/svg+xml"})
    assert refusal(bad) == (401, "unauthorized", "invalid")
    grant = UploadGrant(
        Tenant(UUID(hex=account.customer_id.removeprefix("cus_")), "live"),
        UUID(hex=issued["upload_id"].removeprefix("upl_")),
        "image/svg+xml",
        datetime.now(UTC) - timedelta(minutes=1),
    )
    expired = JwtUploadTokens(container.settings.secret_key).issue(grant)
    gone = client.put(upload + expired, content=SVG, headers={"Content-Type": "image/svg+xml"})
    assert refusal(gone) == (401, "unauthorized", "expired")
    forged = JwtUploadTokens("not our key" * 4).issue(grant)
    assert refusal(
        client.put(upload + forged, content=SVG, headers={"Content-Type": "image/svg+xml"})
    ) == (401, "unauthorized", "invalid")
    dashboard_token = client.put(
        upload + account.token, content=SVG, headers={"Content-Type": "image/svg+xml"}
    )
    # A valid token of ours of another kind: known caller, wrong route (decision 0046).
    assert refusal(dashboard_token) == (403, "forbidden", "wrong_audience")


def test_stage_and_body_refusals(client: TestClient, account: Account) -> None:
    headers = account.headers()
    issued = issue(client, account)
    put_file(client, issued, SVG)
    for stage in ("0", "6", "abc", "1.5", "-1"):
        commit = client.put(
            f"/api/v1/stage-assets/{stage}",
            json={"upload_id": issued["upload_id"]},
            headers=headers,
        )
        assert error(commit) == (422, "validation_failed"), stage
        assert error(
            client.post(f"/api/v1/stage-assets/{stage}/regenerate", json={}, headers=headers)
        ) == (422, "validation_failed")
        assert error(client.delete(f"/api/v1/stage-assets/{stage}", headers=headers)) == (
            422,
            "validation_failed",
        )
    for body in ({"content_type": "image/gif"}, {"contentType": "image/png"}, {}):
        response = client.post("/api/v1/stage-assets/upload-url", json=body, headers=headers)
        assert error(response) == (422, "validation_failed"), body
    assert error(
        client.post("/api/v1/stage-assets/2/regenerate", json={"seed": "7"}, headers=headers)
    ) == (422, "validation_failed")
    assert error(
        client.post("/api/v1/stage-assets/2/regenerate", json={"seed": -1}, headers=headers)
    ) == (422, "validation_failed")
    unknown = client.put(
        "/api/v1/stage-assets/2", json={"upload_id": "upl_" + "0" * 32}, headers=headers
    )
    assert error(unknown) == (404, "resource_not_found")
    assert error(client.delete("/api/v1/stage-assets/2", headers=headers)) == (
        404,
        "resource_not_found",
    )
    assert client.get("/api/v1/stage-assets").status_code == 401
    dashboard = {"Authorization": f"Bearer {account.token}"}
    minted = client.post("/api/v1/auth/publishable-keys", json={}, headers=dashboard)
    assert minted.status_code == 201, minted.text
    publishable = account.headers(minted.json()["key"])
    assert error(client.get("/api/v1/stage-assets", headers=publishable)) == (
        403,
        "publishable_key_scope",
    )
    refused = client.post(
        "/api/v1/stage-assets/upload-url", json={"content_type": "image/png"}, headers=publishable
    )
    assert error(refused) == (403, "publishable_key_scope")


def test_stage_art_is_per_tenant(
    client: TestClient, account: Account, other_account: Account
) -> None:
    issued = issue(client, account)
    put_file(client, issued, SVG)
    commit = {"upload_id": issued["upload_id"]}
    for key in (other_account.live_key, account.test_key):
        refused = client.put("/api/v1/stage-assets/1", json=commit, headers=account.headers(key))
        assert error(refused) == (404, "resource_not_found")
    assert (
        client.put("/api/v1/stage-assets/1", json=commit, headers=account.headers()).status_code
        == 200
    )
    for key in (other_account.live_key, account.test_key):
        listed = client.get("/api/v1/stage-assets", headers=account.headers(key)).json()
        assert listed["data"][0]["source"] == "default"
        assert error(client.delete("/api/v1/stage-assets/1", headers=account.headers(key))) == (
            404,
            "resource_not_found",
        )
    test_issued = issue(client, account, key=account.test_key)
    put_file(client, test_issued, SVG)
    live_commit = {"upload_id": test_issued["upload_id"]}
    assert error(
        client.put("/api/v1/stage-assets/2", json=live_commit, headers=account.headers())
    ) == (404, "resource_not_found")


def test_an_upload_without_a_declared_length_is_cut_off_at_the_limit(
    client: TestClient, account: Account, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A streamed body (no Content-Length) is refused while it arrives, not read whole first."""
    issued = issue(client, account)
    limit = container.settings.asset_upload_max_bytes

    def never(*_: Any) -> None:
        raise AssertionError("the route handed an oversized body on")

    monkeypatch.setattr(container.stage_assets, "receive", never)
    chunks = (b"<svg>" + b" " * 1024 for _ in range(limit // 1024 + 2))
    response = client.put(
        path_of(issued["upload_url"]), content=chunks, headers={"Content-Type": "image/svg+xml"}
    )
    assert error(response) == (413, "payload_too_large")

"""Buddy pictures over HTTP: recorded by hatch/evolve/equip, served immutably, redrawn."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from litestar.testing import TestClient

from interfaces.container import Container
from tests.conftest import Account
from tests.http.flow import apply_preset, hatch_buddy, satisfy_next_stage, wait_for_operation

IMMUTABLE = "public, max-age=31536000, immutable"


def path_of(url: str) -> str:
    return urlsplit(url).path


def buddy(client: TestClient, account: Account, buddy_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/buddies/{buddy_id}", headers=account.headers())
    assert response.status_code == 200, response.text
    return dict(response.json())


def run(client: TestClient, account: Account, response: Any) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    return wait_for_operation(client, account, response.json()["operation_id"])


def test_pictures_follow_hatch_evolve_and_equip(client: TestClient, account: Account) -> None:
    headers = account.headers()
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account)
    hatched = buddy(client, account, buddy_id)
    assert hatched["appearance"] == {
        "status": "ready",
        "rendered_equipped_item_ids": [],
        "error": None,
    }
    served = client.get(path_of(hatched["image_url"]))
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("image/svg+xml")
    assert served.headers["cache-control"] == IMMUTABLE
    digest = hashlib.sha256(served.content).hexdigest()
    assert path_of(hatched["image_url"]).endswith(f"/{digest}.svg")
    assert served.headers["etag"] == f'"{digest}"'
    again = client.get(path_of(hatched["image_url"]), headers={"If-None-Match": f'"{digest}"'})
    assert again.status_code == 304 and again.content == b""
    thumb = client.get(path_of(hatched["thumb_url"])).text
    assert 'width="128"' in thumb and thumb != served.text

    satisfy_next_stage(client, account, buddy_id)
    assert (
        run(client, account, client.post(f"/api/v1/buddies/{buddy_id}/evolve", headers=headers))[
            "status"
        ]
        == "completed"
    )
    evolved = buddy(client, account, buddy_id)
    assert evolved["evolution_stage"] == 2
    assert evolved["base_image_url"] != hatched["base_image_url"]

    client.post(
        f"/api/v1/buddies/{buddy_id}/coins", json={"amount": 500, "reason": "t"}, headers=headers
    )
    for item in ("quill", "reading_glasses"):
        bought = client.post(
            f"/api/v1/buddies/{buddy_id}/items", json={"item_id": item}, headers=headers
        )
        assert bought.status_code == 200, bought.text
    equip = client.patch(
        f"/api/v1/buddies/{buddy_id}/equipped-items",
        json={"item_ids": ["reading_glasses", "quill"]},
        headers=headers,
    )
    assert run(client, account, equip)["status"] == "completed"
    dressed = buddy(client, account, buddy_id)
    assert dressed["appearance"]["rendered_equipped_item_ids"] == ["quill", "reading_glasses"]
    assert dressed["base_image_url"] == evolved["base_image_url"]
    assert dressed["image_url"] != evolved["image_url"]
    picture = client.get(path_of(dressed["image_url"])).text
    assert picture.index('data-item="quill"') < picture.index('data-item="reading_glasses"')

    rerender = client.post(f"/api/v1/buddies/{buddy_id}/appearance/rerender", headers=headers)
    assert set(rerender.json()) == {"accepted", "operation_id", "status"}
    assert run(client, account, rerender)["status"] == "completed"
    assert buddy(client, account, buddy_id)["image_url"] == dressed["image_url"]  # same inputs


def test_a_lost_stage_art_file_fails_the_picture_not_the_evolution(
    client: TestClient, account: Account, container: Container
) -> None:
    headers = account.headers()
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account)
    before = buddy(client, account, buddy_id)
    uploaded = _upload_svg(client, account)
    committed = client.put("/api/v1/stage-assets/2", json={"upload_id": uploaded}, headers=headers)
    assert committed.status_code == 200, committed.text
    lost = (
        container.settings.data_dir
        / "assets"
        / path_of(committed.json()["image_url"]).rsplit("/", 1)[1]
    )
    lost.unlink()

    satisfy_next_stage(client, account, buddy_id)
    evolve = client.post(f"/api/v1/buddies/{buddy_id}/evolve", headers=headers)
    assert run(client, account, evolve)["status"] == "completed"
    failed = buddy(client, account, buddy_id)
    assert failed["evolution_stage"] == 2
    assert failed["appearance"]["status"] == "failed"
    assert failed["appearance"]["error"]["code"] == "needs_rerender"
    assert failed["image_url"] == before["image_url"]

    assert client.delete("/api/v1/stage-assets/2", headers=headers).status_code == 200
    rerender = client.post(f"/api/v1/buddies/{buddy_id}/appearance/rerender", headers=headers)
    assert run(client, account, rerender)["status"] == "completed"
    redrawn = buddy(client, account, buddy_id)
    assert redrawn["appearance"] == {
        "status": "ready",
        "rendered_equipped_item_ids": [],
        "error": None,
    }
    assert redrawn["base_image_url"] != before["base_image_url"]


def _upload_svg(client: TestClient, account: Account) -> str:
    issued = client.post(
        "/api/v1/stage-assets/upload-url",
        json={"content_type": "image/svg+xml"},
        headers=account.headers(),
    ).json()
    art = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle cx="4" cy="4" r="3"/></svg>'
    put = client.put(
        path_of(issued["upload_url"]), content=art, headers={"Content-Type": "image/svg+xml"}
    )
    assert put.status_code == 200, put.text
    return str(issued["upload_id"])


def test_rerender_is_tenant_scoped(
    client: TestClient, account: Account, other_account: Account
) -> None:
    apply_preset(client, account)
    buddy_id = hatch_buddy(client, account)
    path = f"/api/v1/buddies/{buddy_id}/appearance/rerender"
    for credential in (other_account.live_key, account.test_key):
        refused = client.post(path, headers=account.headers(credential))
        assert (
            refused.status_code == 404 and refused.json()["error"]["code"] == "resource_not_found"
        )
    assert (
        client.post(
            "/api/v1/buddies/bdy_nope/appearance/rerender", headers=account.headers()
        ).status_code
        == 404
    )
    assert client.post(path).status_code == 401


def test_the_asset_route_serves_only_asset_names(client: TestClient, container: Container) -> None:
    data_dir = container.settings.data_dir
    (data_dir / "assets").mkdir(parents=True, exist_ok=True)
    (data_dir / "secret.txt").write_text("do not serve")
    digest = hashlib.sha256(b"nothing").hexdigest()
    for path in (
        f"/api/v1/assets/{digest}.svg",  # a well-formed name with no file
        f"/api/v1/assets/{digest.upper()}.svg",
        f"/api/v1/assets/{digest}.txt",
        "/api/v1/assets/secret.txt",
        "/api/v1/assets/..%2Fsecret.txt",
        "/api/v1/assets/%2e%2e%2fsecret.txt",
        "/api/v1/assets/..%5Csecret.txt",
        "/api/v1/assets/../secret.txt",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "resource_not_found"
        assert b"do not serve" not in response.content
    assert Path(data_dir / "secret.txt").exists()

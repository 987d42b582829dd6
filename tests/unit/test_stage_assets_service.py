"""``StageAssets`` on an in-memory store, with the real renderer, checks and token signer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from application.companions.stage_assets import StageAssets
from application.shared.images import ImageIntake
from application.shared.store import EventStore
from domain.companions.stage_art import MAX_KEPT_UPLOADS, StageArt, UploadGrant, stage_art_id
from domain.shared.errors import DomainError
from domain.shared.ids import public_id
from domain.shared.tenancy import Tenant
from infrastructure.accounts.security import RandomSecrets
from infrastructure.companions.assets import FileAssetStore
from infrastructure.companions.image_checks import SafeImageInspector
from infrastructure.companions.renderer import SvgRenderer
from infrastructure.companions.upload_tokens import JwtUploadTokens
from tests.unit.history_world import Clock

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8"/></svg>'
)
OTHER_SVG = SVG.replace(b'width="8"', b'width="7"')
TENANT = Tenant(uuid4(), "live")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def assets(tmp_path: Path) -> FileAssetStore:
    return FileAssetStore(tmp_path / "assets")


@pytest.fixture
def service(clock: Clock, assets: FileAssetStore) -> StageAssets:
    return StageAssets(
        EventStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}),
        clock,
        RandomSecrets(),
        SvgRenderer(assets),
        ImageIntake(assets, SafeImageInspector(), max_bytes=1024),
        JwtUploadTokens("k" * 40),
        upload_ttl=timedelta(minutes=15),
    )


def upload(service: StageAssets, data: bytes = SVG, tenant: Tenant = TENANT) -> str:
    issued = service.issue_upload(tenant, "image/svg+xml")
    service.receive(service.grant(issued.token), "image/svg+xml", data)
    return public_id("upload", issued.grant.upload_id)


def code_of(action: object) -> str:
    with pytest.raises(DomainError) as refused:
        action()  # type: ignore[operator]
    return refused.value.code


def reason_of(action: object) -> tuple[str, str]:
    """A 401's code and reason (decision 0029)."""
    with pytest.raises(DomainError) as refused:
        action()  # type: ignore[operator]
    return refused.value.code, (refused.value.details or {}).get("reason", "")


def test_an_uploaded_file_becomes_the_art_of_a_stage(
    service: StageAssets, assets: FileAssetStore
) -> None:
    upload_id = upload(service)
    entry = service.commit(TENANT, 3, upload_id)
    assert entry.art is not None and entry.art["source"] == "upload"
    assert assets.get(entry.art["asset"]) == SVG
    assert [e.art is not None for e in service.entries(TENANT)] == [
        False,
        False,
        True,
        False,
        False,
    ]


def test_an_upload_url_expires(service: StageAssets, clock: Clock) -> None:
    issued = service.issue_upload(TENANT, "image/png")
    assert issued.grant.expires_at.microsecond == 0
    clock.advance(minutes=16)
    assert reason_of(lambda: service.grant(issued.token)) == ("unauthorized", "expired")


def test_foreign_and_forged_tokens_are_refused(service: StageAssets) -> None:
    issued = service.issue_upload(TENANT, "image/svg+xml")
    grant = issued.grant
    forged = JwtUploadTokens("another key" * 4).issue(grant)
    assert reason_of(lambda: service.grant(forged)) == ("unauthorized", "invalid")
    assert reason_of(lambda: service.grant(issued.token + "x")) == ("unauthorized", "invalid")
    assert reason_of(lambda: service.grant("not-a-token")) == ("unauthorized", "invalid")


def test_the_file_must_be_of_the_type_the_url_was_issued_for(service: StageAssets) -> None:
    grant = service.grant(service.issue_upload(TENANT, "image/png").token)
    assert (
        code_of(lambda: service.receive(grant, "image/svg+xml", SVG))
        == "upload_content_type_mismatch"
    )
    assert code_of(lambda: service.receive(grant, "text/html", SVG)) == "unsupported_media_type"
    assert code_of(lambda: service.issue_upload(TENANT, "image/gif")) == "validation_failed"


def test_refused_files_leave_nothing_behind(service: StageAssets, tmp_path: Path) -> None:
    issued = service.issue_upload(TENANT, "image/svg+xml")
    grant = service.grant(issued.token)
    unsafe = b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>'
    assert code_of(lambda: service.receive(grant, "image/svg+xml", unsafe)) == "unsafe_svg"
    assert (
        code_of(lambda: service.receive(grant, "image/svg+xml", b"x" * 1025)) == "payload_too_large"
    )
    assert code_of(lambda: service.receive(grant, "image/svg+xml", b"")) == "invalid_image"
    upload_id = public_id("upload", grant.upload_id)
    assert code_of(lambda: service.commit(TENANT, 1, upload_id)) == "resource_not_found"
    assert list(tmp_path.glob("assets/*")) == []


def test_an_upload_url_takes_one_file(service: StageAssets) -> None:
    issued = service.issue_upload(TENANT, "image/svg+xml")
    grant = service.grant(issued.token)
    first = service.receive(grant, "image/svg+xml", SVG)
    assert service.receive(grant, "image/svg+xml", SVG) == first  # the same again: fine
    assert code_of(lambda: service.receive(grant, "image/svg+xml", OTHER_SVG)) == "conflict"


def test_commit_checks_stage_and_upload(service: StageAssets) -> None:
    upload_id = upload(service)
    for stage in (0, 6, "x", "1.0", "-1", "\uff10"):
        assert code_of(lambda s=stage: service.commit(TENANT, s, upload_id)) == "validation_failed"  # type: ignore[misc]
    assert code_of(lambda: service.commit(TENANT, 1, "upl_" + uuid4().hex)) == "resource_not_found"
    assert code_of(lambda: service.commit(TENANT, 1, "garbage")) == "resource_not_found"


def test_uploads_and_art_belong_to_one_tenant(service: StageAssets) -> None:
    upload_id = upload(service)
    for other in (Tenant(uuid4(), "live"), Tenant(TENANT.customer_id, "test")):
        assert code_of(lambda o=other: service.commit(o, 2, upload_id)) == "resource_not_found"  # type: ignore[misc]
        assert all(e.art is None for e in service.entries(other))
    service.commit(TENANT, 2, upload_id)
    assert service.entry(Tenant(TENANT.customer_id, "test"), 2).art is None


def test_a_grant_records_into_its_own_tenant_only(service: StageAssets) -> None:
    other = Tenant(uuid4(), "test")
    upload_id = upload(service, tenant=other)
    assert code_of(lambda: service.commit(TENANT, 1, upload_id)) == "resource_not_found"
    assert service.commit(other, 1, upload_id).art is not None


def test_regenerate_draws_new_art_with_the_next_or_given_seed(service: StageAssets) -> None:
    first = service.regenerate(TENANT, 4, None)
    second = service.regenerate(TENANT, 4, None)
    chosen = service.regenerate(TENANT, 4, 1)
    assert [e.art["seed"] for e in (first, second, chosen) if e.art] == [1, 2, 1]
    assert first.art and second.art and chosen.art
    assert first.art["asset"] != second.art["asset"] and chosen.art["asset"] == first.art["asset"]
    assert code_of(lambda: service.regenerate(TENANT, 4, -1)) == "validation_failed"


def test_remove_goes_back_to_the_default(service: StageAssets) -> None:
    service.regenerate(TENANT, 5, None)
    assert service.remove(TENANT, 5).art is None
    assert code_of(lambda: service.remove(TENANT, 5)) == "resource_not_found"
    assert code_of(lambda: service.remove(Tenant(uuid4(), "live"), 5)) == "resource_not_found"


def test_only_the_newest_uploads_are_kept(service: StageAssets) -> None:
    ids = [upload(service, SVG.replace(b"8", str(i).encode())) for i in range(MAX_KEPT_UPLOADS + 2)]
    assert code_of(lambda: service.commit(TENANT, 1, ids[0])) == "resource_not_found"
    assert service.commit(TENANT, 1, ids[-1]).art is not None
    art = service._store.find(StageArt, stage_art_id(TENANT))
    assert art is not None and len(art.uploads) == MAX_KEPT_UPLOADS


def test_the_default_library_follows_the_creature_style(service: StageAssets) -> None:
    library = service.default_library(TENANT)
    assert sorted(library) == [1, 2, 3, 4, 5] and len(set(library.values())) == 5
    assert service.default_library(Tenant(uuid4(), "live")) == library  # same style, same art


def test_an_upload_grant_round_trips_through_its_token() -> None:
    tokens = JwtUploadTokens("k" * 40)
    grant = UploadGrant(TENANT, uuid4(), "image/png", Clock().now().replace(microsecond=0))
    assert tokens.verify(tokens.issue(grant), grant.expires_at - timedelta(seconds=1)) == grant

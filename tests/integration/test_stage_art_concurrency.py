"""Stage art is one stream per tenant: concurrent writers all land (on each backend)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

from domain.shared.tenancy import Tenant
from interfaces.container import Container

SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle r="{r}"/></svg>'


def test_concurrent_uploads_and_regenerations_all_land(container: Container) -> None:
    stage_assets = container.stage_assets
    # a registered customer: each regeneration is an image job charged to its credits
    customer, _, _ = container.accounts.register(
        f"art-{uuid4().hex[:8]}@example.com", "correct horse battery", "Acme"
    )
    tenant = Tenant(customer.id, "live")
    grants = [stage_assets.issue_upload(tenant, "image/svg+xml") for _ in range(4)]

    def upload(index: int) -> None:
        grant = stage_assets.grant(grants[index].token)
        stage_assets.receive(grant, "image/svg+xml", SVG.format(r=index + 1).encode())

    def regenerate(stage: int) -> None:
        stage_assets.regenerate(tenant, stage, None)

    with ThreadPoolExecutor(max_workers=4) as pool:
        jobs = [pool.submit(upload, i) for i in range(4)]
        jobs += [pool.submit(regenerate, stage) for stage in (1, 2, 3, 4, 5)]
        for job in jobs:
            job.result()

    entries = stage_assets.entries(tenant)
    assert [e.art["source"] if e.art else None for e in entries] == ["generated"] * 5
    for issued in grants:
        upload_id = f"upl_{issued.grant.upload_id.hex}"
        assert stage_assets.commit(tenant, 1, upload_id).art is not None

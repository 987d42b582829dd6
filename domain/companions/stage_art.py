"""A tenant's own art for the buddy stages (the seed's ``/stage-assets``, "preset mode").

One stream per tenant. For each stage 1-5 the tenant may pin art: an image it uploaded
through an upload URL, or procedural art we generated with a seed. A stage without art
uses the buddy's own procedural picture. Uploads are recorded when they arrive and can be
committed to a stage afterwards; only the newest ``MAX_KEPT_UPLOADS`` are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.companions.appearance import StageArtRef
from domain.shared.errors import DomainError, NotFound
from domain.shared.ids import natural_id
from domain.shared.tenancy import Mode, Tenant

MAX_KEPT_UPLOADS: Final = 20


def stage_art_id(tenant: Tenant) -> UUID:
    return natural_id("stage_art", tenant.key)


class StageArt(Aggregate):
    class Opened(Aggregate.Created):
        customer_id: UUID
        mode: Mode

    @event(Opened)
    def __init__(self, *, id: UUID, customer_id: UUID, mode: Mode, timestamp: datetime) -> None:
        self.customer_id = customer_id
        self.mode = mode
        self.stages: dict[str, dict[str, Any]] = {}  # "1".."5" → the art pinned to the stage
        self.uploads: dict[str, dict[str, Any]] = {}  # upload id hex → what arrived

    # Queries -------------------------------------------------------------------------

    def art_for(self, stage: int) -> StageArtRef | None:
        art = self.stages.get(str(stage))
        if art is None:
            return None
        return StageArtRef(
            source=art["source"],
            asset=art["asset"],
            content_type=art["content_type"],
            seed=art.get("seed"),
        )

    def entry(self, stage: int) -> dict[str, Any] | None:
        return self.stages.get(str(stage))

    def upload(self, upload_id: UUID) -> dict[str, Any] | None:
        return self.uploads.get(upload_id.hex)

    # Commands ------------------------------------------------------------------------

    def receive_upload(
        self, *, upload_id: UUID, asset: str, content_type: str, size: int, timestamp: datetime
    ) -> bool:
        """Record the bytes that arrived for an upload URL. The same bytes again change
        nothing (``False``); other bytes for a used URL are a ``conflict``."""
        known = self.uploads.get(upload_id.hex)
        if known is not None:
            if known["asset"] == asset:
                return False
            raise DomainError(
                "conflict",
                "this upload URL was already used for another file; ask for a new one",
                {"upload_id": upload_id.hex},
            )
        self._upload_received(
            upload_id=upload_id,
            asset=asset,
            content_type=content_type,
            size=size,
            timestamp=timestamp,
        )
        return True

    def commit(self, *, stage: int, upload_id: UUID, timestamp: datetime) -> None:
        """Pin an uploaded image to ``stage``. An upload that never arrived is not found."""
        upload = self.uploads.get(upload_id.hex)
        if upload is None:
            raise NotFound("upload", upload_id.hex)
        self._art_committed(
            stage=stage,
            upload_id=upload_id,
            asset=upload["asset"],
            content_type=upload["content_type"],
            timestamp=timestamp,
        )

    def generated(self, *, stage: int, asset: str, seed: int, timestamp: datetime) -> None:
        """Pin procedural art (drawn with ``seed``) to ``stage``."""
        self._art_generated(stage=stage, asset=asset, seed=seed, timestamp=timestamp)

    def next_seed(self, stage: int) -> int:
        """The seed a regenerate without one uses: the next after the stage's last."""
        art = self.stages.get(str(stage))
        return int(art["seed"]) + 1 if art and art.get("seed") is not None else 1

    def remove(self, *, stage: int, timestamp: datetime) -> None:
        if str(stage) not in self.stages:
            raise NotFound("stage asset", str(stage))
        self._art_removed(stage=stage, timestamp=timestamp)

    # Events --------------------------------------------------------------------------

    class UploadReceived(Aggregate.Event):
        upload_id: UUID
        asset: str
        content_type: str
        size: int

    @event(UploadReceived)
    def _upload_received(
        self, *, upload_id: UUID, asset: str, content_type: str, size: int, timestamp: datetime
    ) -> None:
        self.uploads[upload_id.hex] = {
            "asset": asset,
            "content_type": content_type,
            "size": size,
            "received_at": timestamp,
        }
        while len(self.uploads) > MAX_KEPT_UPLOADS:
            del self.uploads[next(iter(self.uploads))]

    class ArtCommitted(Aggregate.Event):
        stage: int
        upload_id: UUID
        asset: str
        content_type: str

    @event(ArtCommitted)
    def _art_committed(
        self, *, stage: int, upload_id: UUID, asset: str, content_type: str, timestamp: datetime
    ) -> None:
        self.stages[str(stage)] = {
            "source": "upload",
            "asset": asset,
            "content_type": content_type,
            "upload_id": upload_id.hex,
            "seed": None,
            "updated_at": timestamp,
        }

    class ArtGenerated(Aggregate.Event):
        stage: int
        asset: str
        seed: int

    @event(ArtGenerated)
    def _art_generated(self, *, stage: int, asset: str, seed: int, timestamp: datetime) -> None:
        self.stages[str(stage)] = {
            "source": "generated",
            "asset": asset,
            "content_type": "image/svg+xml",
            "upload_id": None,
            "seed": seed,
            "updated_at": timestamp,
        }

    class ArtRemoved(Aggregate.Event):
        stage: int

    @event(ArtRemoved)
    def _art_removed(self, *, stage: int, timestamp: datetime) -> None:
        del self.stages[str(stage)]


@dataclass(frozen=True)
class UploadGrant:
    """What an upload URL allows: one file of ``content_type`` for ``tenant``, until
    ``expires_at``. It travels signed inside the URL's token."""

    tenant: Tenant
    upload_id: UUID
    content_type: str
    expires_at: datetime

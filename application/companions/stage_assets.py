"""``/stage-assets``: a tenant's own art for the buddy stages, and the uploads that bring it.

The upload flow is the seed's: ask for an upload URL (``issue_upload``), ``PUT`` the file
to it (``receive``: checked, then kept content-addressed), then commit the upload to a stage
(``commit``). ``regenerate`` pins our procedural art drawn with a new seed instead, and
``remove`` goes back to each buddy's own procedural picture. Art pinned to a stage is used
for every picture drawn afterwards (hatch, evolve, equip, rerender); pictures drawn before
stay as they were until the buddy is drawn again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from application.credits.credits import Credits
from application.shared.images import UPLOAD_TYPES, ImageIntake, check_upload_type
from application.shared.ports import Clock, Renderer, Secrets, UploadTokens
from application.shared.store import EventStore, retry_on_conflict
from domain.accounts.customer import Customer
from domain.companions.appearance import CreatureStyle, check_seed, check_stage, creature_style_of
from domain.companions.stage_art import StageArt, UploadGrant, stage_art_id
from domain.configs.rulebook import MAX_STAGE, MIN_STAGE
from domain.shared.errors import DomainError, NotFound
from domain.shared.ids import parse_public_id
from domain.shared.tenancy import Tenant

DEFAULT_LIBRARY_SEED = 0


@dataclass(frozen=True)
class StageEntry:
    """One stage as the API shows it: the tenant's art (if any) and our default for it."""

    stage: int
    art: dict[str, Any] | None
    default_asset: str


@dataclass(frozen=True)
class IssuedUpload:
    grant: UploadGrant
    token: str
    max_bytes: int


class StageAssets:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        secrets: Secrets,
        renderer: Renderer,
        intake: ImageIntake,
        tokens: UploadTokens,
        *,
        upload_ttl: timedelta,
        credits: Credits | None = None,
    ) -> None:
        self._store = store
        self._credits = credits or Credits.off(store, clock)
        self._clock = clock
        self._secrets = secrets
        self._renderer = renderer
        self._intake = intake
        self._tokens = tokens
        self._upload_ttl = upload_ttl
        self.max_upload_bytes = intake.max_bytes

    # -- reads ---------------------------------------------------------------------

    def creature_style(self, tenant: Tenant) -> CreatureStyle:
        customer = self._store.find(Customer, tenant.customer_id)
        return creature_style_of(customer.settings if customer is not None else {})

    def default_library(self, tenant: Tenant) -> dict[int, str]:
        """Our procedural art for each stage in the tenant's creature style (asset names)."""
        style = self.creature_style(tenant)
        return {
            stage: self._renderer.render_stage_art(stage, style, DEFAULT_LIBRARY_SEED)
            for stage in range(MIN_STAGE, MAX_STAGE + 1)
        }

    def entries(self, tenant: Tenant) -> list[StageEntry]:
        art = self._store.find(StageArt, stage_art_id(tenant))
        library = self.default_library(tenant)
        return [
            StageEntry(stage, art.entry(stage) if art else None, library[stage])
            for stage in range(MIN_STAGE, MAX_STAGE + 1)
        ]

    def entry(self, tenant: Tenant, stage: int) -> StageEntry:
        return next(e for e in self.entries(tenant) if e.stage == stage)

    # -- the upload flow -------------------------------------------------------------

    def issue_upload(self, tenant: Tenant, content_type: str) -> IssuedUpload:
        if content_type not in UPLOAD_TYPES:
            raise DomainError(
                "validation_failed",
                f"content_type must be one of {', '.join(UPLOAD_TYPES)}",
                {"fields": [{"field": "content_type", "reason": "not an accepted image type"}]},
            )
        grant = UploadGrant(
            tenant=tenant,
            upload_id=self._secrets.uuid(),
            content_type=content_type,
            expires_at=(self._clock.now() + self._upload_ttl).replace(microsecond=0),
        )
        return IssuedUpload(grant, self._tokens.issue(grant), self.max_upload_bytes)

    def grant(self, token: str) -> UploadGrant:
        """What an upload URL's token allows (401 when it is not ours or has expired)."""
        return self._tokens.verify(token, self._clock.now())

    def check_content_type(self, grant: UploadGrant, content_type: str) -> None:
        check_upload_type(content_type)
        if content_type != grant.content_type:
            raise DomainError(
                "upload_content_type_mismatch",
                f"this upload URL was issued for {grant.content_type}, not {content_type}",
                {"expected": grant.content_type, "received": content_type},
            )

    def receive(self, grant: UploadGrant, content_type: str, data: bytes) -> dict[str, Any]:
        """Keep an uploaded file: checked, stored by content, recorded for the tenant."""
        self.check_content_type(grant, content_type)
        asset = self._intake.keep(content_type, data)

        def attempt() -> dict[str, Any]:
            art = self._open(grant.tenant)
            art.receive_upload(
                upload_id=grant.upload_id,
                asset=asset,
                content_type=content_type,
                size=len(data),
                timestamp=self._clock.now(),
            )
            self._store.save(art)
            upload = art.upload(grant.upload_id)
            assert upload is not None
            return upload

        return retry_on_conflict(attempt)

    # -- stage art -------------------------------------------------------------------

    def commit(self, tenant: Tenant, stage: int | str, upload_id: str) -> StageEntry:
        number = check_stage(stage)
        uuid = parse_public_id("upload", upload_id)

        def attempt() -> None:
            art = self._store.find(StageArt, stage_art_id(tenant))
            if art is None:
                raise NotFound("upload", upload_id)
            try:
                art.commit(stage=number, upload_id=uuid, timestamp=self._clock.now())
            except NotFound:
                raise NotFound("upload", upload_id) from None
            self._store.save(art)

        retry_on_conflict(attempt)
        return self.entry(tenant, number)

    def regenerate(self, tenant: Tenant, stage: int | str, seed: int | None) -> StageEntry:
        number = check_stage(stage)
        check_seed(seed)
        style = self.creature_style(tenant)
        charge_id = self._secrets.uuid()
        subject = {"charge_id": charge_id.hex, "mode": tenant.mode, "stage": number}

        def attempt() -> None:
            # Paid before it is drawn, in the same transaction as the art (decision 0048).
            charged = self._credits.charge(tenant.customer_id, "stage_asset", charge_id, subject)
            art = self._open(tenant)
            chosen = art.next_seed(number) if seed is None else seed
            asset = self._renderer.render_stage_art(number, style, chosen)
            art.generated(stage=number, asset=asset, seed=chosen, timestamp=self._clock.now())
            self._store.save(art, *charged)

        retry_on_conflict(attempt, line=Credits.line(tenant.customer_id))
        return self.entry(tenant, number)

    def remove(self, tenant: Tenant, stage: int | str) -> StageEntry:
        number = check_stage(stage)

        def attempt() -> None:
            art = self._store.find(StageArt, stage_art_id(tenant))
            if art is None:
                raise NotFound("stage asset", str(number))
            art.remove(stage=number, timestamp=self._clock.now())
            self._store.save(art)

        retry_on_conflict(attempt)
        return self.entry(tenant, number)

    def _open(self, tenant: Tenant) -> StageArt:
        """The tenant's stream, started on first use (a racing start loses on its version)."""
        art = self._store.find(StageArt, stage_art_id(tenant))
        if art is not None:
            return art
        return StageArt(
            id=stage_art_id(tenant),
            customer_id=tenant.customer_id,
            mode=tenant.mode,
            timestamp=self._clock.now(),
        )

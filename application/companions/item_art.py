"""A catalogue item's art: an uploaded image, or our procedural icon drawn by a worker.

``upload`` passes the same checks as stage art (``ImageIntake``: type, size, safe SVG or
sane PNG), keeps the file and makes it the item's image (or its art at one stage) in the
draft.

``request`` checks the item is in the catalogue the editors see (the draft, else the
published one) and saves a ``regenerate_item_image`` operation; the operation dispatcher
queues it. ``perform`` (the worker) draws the icon with our renderer for the recorded
``seed``, keeps it as an asset and makes it the item's ``image_url`` in the draft, saved
with the operation's completion in one transaction. An item deleted meanwhile fails the
operation (``item_image_failed``); nothing else changes.
"""

from __future__ import annotations

from typing import Any

from application.configs.configs import Configs
from application.configs.marketplaces import Marketplaces, check_art_stage, with_image
from application.configs.rule_editors import Edited
from application.credits.credits import Credits
from application.shared.images import ImageIntake
from application.shared.ports import Clock, Renderer, Secrets
from application.shared.store import EventStore, retry_on_conflict
from domain.companions.appearance import MAX_SEED, ItemLayer, check_seed
from domain.companions.operation import Operation
from domain.configs.rulebook import LAYER_ORDER
from domain.shared.tenancy import Tenant


class ItemArt:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        secrets: Secrets,
        configs: Configs,
        marketplaces: Marketplaces,
        renderer: Renderer,
        intake: ImageIntake,
        credits: Credits | None = None,
    ) -> None:
        self._store = store
        self._credits = credits or Credits.off(store, clock)
        self._clock = clock
        self._secrets = secrets
        self._configs = configs
        self._marketplaces = marketplaces
        self._renderer = renderer
        self.intake = intake

    def upload(
        self,
        tenant: Tenant,
        marketplace_id: str,
        item_id: str,
        content_type: str,
        data: bytes,
        stage: int | None,
    ) -> Edited:
        """Keep an uploaded image and make it the item's (or its art at ``stage``).

        The item is looked up first, so an unknown one is 404 before the file is read."""
        check_art_stage(stage)
        self._marketplaces.item(tenant, marketplace_id, item_id)
        asset = self.intake.keep(content_type, data)
        return self._marketplaces.set_image(
            tenant, marketplace_id, item_id, f"asset:{asset}", stage
        )

    def request(
        self,
        tenant: Tenant,
        marketplace_id: str,
        item_id: str,
        seed: int | None,
        correlation_id: str | None = None,
    ) -> Operation:
        """Queue a new icon; without a ``seed`` one is picked (and recorded, so a retried
        run draws the same picture). The icon's credit is authorised with the operation
        (``credit_insufficient``: nothing recorded; decision 0048)."""
        check_seed(seed)
        self._marketplaces.item(tenant, marketplace_id, item_id)
        operation_id = self._secrets.uuid()
        chosen = seed if seed is not None else operation_id.int % (MAX_SEED + 1)
        subject = {"operation_id": operation_id.hex, "mode": tenant.mode, "item_id": item_id}

        def attempt() -> Operation:
            operation = Operation(
                id=operation_id,
                customer_id=tenant.customer_id,
                mode=tenant.mode,
                type="regenerate_item_image",
                buddy_id=None,
                egg_id=None,
                params={"marketplace_id": marketplace_id, "item_id": item_id, "seed": chosen},
                correlation_id=correlation_id,
                timestamp=self._clock.now(),
            )
            held = self._credits.hold(tenant.customer_id, "item_image", operation_id, subject)
            self._store.save(operation, *held)
            return operation

        return retry_on_conflict(attempt, line=Credits.line(tenant.customer_id))

    def perform(self, operation: Operation) -> tuple[list[Any], dict[str, Any]]:
        """Draw the icon and set it on the draft's item; what to save, and the result."""
        tenant = Tenant(operation.customer_id, operation.mode)
        marketplace_id = str(operation.params["marketplace_id"])
        item_id = str(operation.params["item_id"])
        seed = int(operation.params["seed"])
        item, _ = self._marketplaces.item(tenant, marketplace_id, item_id)
        layer = ItemLayer(LAYER_ORDER[item["category"]], item_id, item["name"], item["category"])
        asset = self._renderer.render_item_icon(layer, seed, item["rarity"])
        reference = f"asset:{asset}"
        draft, touched = self._configs.draft_edit(
            tenant, with_image(marketplace_id, item_id, reference, None)
        )
        result = {
            "marketplace_id": marketplace_id,
            "item_id": item_id,
            "seed": seed,
            "image": reference,
            "config_version_id": draft.public_id,
        }
        return list(touched), result

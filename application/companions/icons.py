"""Procedural icons for items, badges and skills, and badge and skill icon uploads.

Every item, badge and skill has an icon as soon as it exists: when it has no art of its own,
its icon is our renderer's drawing of its values (an item's category, rarity, id and name; a
badge's key, name and condition kind; a skill's key and name), served from those values by
``GET /api/v1/icons/...`` and drawn again on request, never stored (decision 0046).

``generate`` draws an icon for a seed and keeps it as an asset (the answer of
``POST /badge-definitions/generate-icon`` and ``/skill-sets/generate-icon``); ``upload`` keeps
a customer's file after the same checks as stage art (``ImageIntake``); either is then set as
a badge's or skill's ``icon_url``. ``request`` queues a ``regenerate_badge_icon`` operation
and ``perform`` (the worker) draws the badge's icon for the recorded seed and sets it in the
draft, saved with the operation's completion; a badge deleted meanwhile fails the operation
(``badge_icon_failed``).

Both draw a picture we charge for (decision 0048): ``generate`` is charged a ``badge_icon`` or
``skill_icon`` inside the request, saved with nothing else (the icon is only an asset until
it is set); ``request`` authorises the ``badge_icon`` with the operation, settled when it
ends. No pool covers it: ``credit_insufficient`` and nothing is drawn or recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from application.configs.configs import Configs, Document
from application.configs.rule_editors import BADGES, ConfigItems, with_field
from application.credits.credits import Credits
from application.shared.images import ImageIntake
from application.shared.ports import Clock, Renderer, Secrets
from application.shared.store import EventStore, retry_on_conflict
from domain.companions.appearance import MAX_SEED, Emblem, ItemLayer, check_seed
from domain.companions.operation import Operation
from domain.configs.rulebook import LAYER_ORDER
from domain.shared.tenancy import Tenant

DEFAULT_SEED = 0
"""The seed of the icon an item, badge or skill shows before it has art of its own."""


@dataclass(frozen=True)
class GeneratedIcon:
    asset: str
    seed: int


def badge_emblem(badge: Document) -> Emblem:
    return Emblem("badge", badge["key"], badge["name"], badge["condition"]["kind"])


class Icons:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        secrets: Secrets,
        configs: Configs,
        renderer: Renderer,
        intake: ImageIntake,
        credits: Credits | None = None,
    ) -> None:
        self._store = store
        self._credits = credits or Credits.off(store, clock)
        self._clock = clock
        self._secrets = secrets
        self._configs = configs
        self._renderer = renderer
        self.intake = intake

    # -- drawn from values, kept nowhere ---------------------------------------------------

    def item_icon(self, item_id: str, name: str, category: str, rarity: str) -> str:
        layer = ItemLayer(LAYER_ORDER[category], item_id, name, category)
        return self._renderer.draw_item_icon(layer, rarity, DEFAULT_SEED)

    def emblem_icon(self, emblem: Emblem) -> str:
        return self._renderer.draw_emblem(emblem, DEFAULT_SEED)

    # -- kept as assets -------------------------------------------------------------------

    def generate(self, tenant: Tenant, emblem: Emblem, seed: int | None) -> GeneratedIcon:
        """Draw and keep an icon, paid before it is drawn; without a ``seed`` one is picked
        (and answered, so the same picture can be drawn again)."""
        check_seed(seed)
        chosen = seed if seed is not None else self._secrets.uuid().int % (MAX_SEED + 1)
        charge_id = self._secrets.uuid()
        subject = {"charge_id": charge_id.hex, "mode": tenant.mode, "key": emblem.key}

        def attempt() -> GeneratedIcon:
            job = f"{emblem.kind}_icon"
            charged = self._credits.charge(tenant.customer_id, job, charge_id, subject)
            icon = GeneratedIcon(self._renderer.render_emblem(emblem, chosen), chosen)
            if charged:
                self._store.save(*charged)
            return icon

        return retry_on_conflict(attempt, line=Credits.line(tenant.customer_id))

    def upload(self, content_type: str, data: bytes) -> str:
        """Keep an uploaded icon after the stage-art checks; its asset name."""
        return self.intake.keep(content_type, data)

    # -- a badge's icon, redrawn by a worker ------------------------------------------------

    def request(
        self, tenant: Tenant, badge_key: str, seed: int | None, correlation_id: str | None = None
    ) -> Operation:
        """Queue a new icon for a badge of the catalogue the editors see, its credit
        authorised with the operation."""
        check_seed(seed)
        ConfigItems(self._configs).item(tenant, BADGES, badge_key)
        operation_id = self._secrets.uuid()
        chosen = seed if seed is not None else operation_id.int % (MAX_SEED + 1)
        subject = {"operation_id": operation_id.hex, "mode": tenant.mode, "badge_key": badge_key}

        def attempt() -> Operation:
            operation = Operation(
                id=operation_id,
                customer_id=tenant.customer_id,
                mode=tenant.mode,
                type="regenerate_badge_icon",
                buddy_id=None,
                egg_id=None,
                params={"badge_key": badge_key, "seed": chosen},
                correlation_id=correlation_id,
                timestamp=self._clock.now(),
            )
            held = self._credits.hold(tenant.customer_id, "badge_icon", operation_id, subject)
            self._store.save(operation, *held)
            return operation

        return retry_on_conflict(attempt, line=Credits.line(tenant.customer_id))

    def perform(self, operation: Operation) -> tuple[list[Any], dict[str, Any]]:
        """Draw the badge's icon and set it in the draft; what to save, and the result."""
        tenant = Tenant(operation.customer_id, operation.mode)
        badge_key = str(operation.params["badge_key"])
        seed = int(operation.params["seed"])
        badge, _ = ConfigItems(self._configs).item(tenant, BADGES, badge_key)
        reference = f"asset:{self._renderer.render_emblem(badge_emblem(badge), seed)}"
        change = with_field(BADGES, badge_key, "icon_url", reference)
        draft, touched = self._configs.draft_edit(tenant, change)
        result = {
            "badge_key": badge_key,
            "seed": seed,
            "icon": reference,
            "config_version_id": draft.public_id,
        }
        return list(touched), result

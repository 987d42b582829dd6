"""A buddy's pictures: drawn inside the hatch, evolve and equip operations, and on request.

The operation that changes what a buddy looks like (a new buddy, a new stage, a new outfit)
also draws it and records the pictures on the buddy, in the same transaction. Drawing never
undoes that change: if the renderer fails, the buddy records ``needs_rerender`` and keeps
its last pictures (reference §15), and ``POST /buddies/{id}/appearance/rerender`` draws it
again.
"""

from __future__ import annotations

import logging
from datetime import datetime

from application.companions.buddies import Buddies
from application.shared.ports import Renderer
from application.shared.store import EventStore
from domain.accounts.customer import Customer
from domain.companions.appearance import Portrait, creature_style_of, item_layers, theme_of
from domain.companions.buddy import Buddy
from domain.companions.egg import visual_variant_for
from domain.companions.operation import Operation
from domain.companions.stage_art import StageArt, stage_art_id
from domain.configs.rulebook import Rulebook
from domain.shared.tenancy import Tenant

log = logging.getLogger("hatched.appearance")


class Appearance:
    def __init__(self, store: EventStore, renderer: Renderer) -> None:
        self._store = store
        self._renderer = renderer

    def portrait(self, buddy: Buddy, rulebook: Rulebook) -> Portrait:
        """Everything that decides the buddy's picture right now."""
        customer = self._store.find(Customer, buddy.customer_id)
        settings = customer.settings if customer is not None else {}
        tenant = Tenant(buddy.customer_id, buddy.mode)
        art = self._store.find(StageArt, stage_art_id(tenant))
        catalog = {item.item_id: (item.name, item.category) for item in rulebook.items}
        return Portrait(
            seed=buddy.id.hex,
            stage=buddy.evolution_stage,
            style=creature_style_of(settings),
            theme=theme_of(settings),
            egg_variant=visual_variant_for(buddy.egg_id),
            items=item_layers(buddy.equipped_item_ids, catalog),
            stage_art=art.art_for(buddy.evolution_stage) if art is not None else None,
        )

    def render(self, buddy: Buddy, rulebook: Rulebook, timestamp: datetime) -> None:
        """Draw ``buddy`` as it is and record the pictures on it; the caller saves it with
        the change that asked for the drawing."""
        portrait = self.portrait(buddy, rulebook)
        try:
            images = self._renderer.render_buddy(portrait)
        except Exception as error:  # any renderer failure: the change stands, the picture waits
            log.exception("drawing buddy %s failed", buddy.id)
            buddy.record_render_failure(
                message=f"the picture could not be drawn ({type(error).__name__}); "
                "request a rerender",
                timestamp=timestamp,
            )
            return
        buddy.record_appearance(images=images, timestamp=timestamp)


def request_rerender(buddies: Buddies, tenant: Tenant, buddy_id: str) -> Operation:
    """Draw the buddy again as it is: an equip operation that re-applies its outfit. The
    operation draws; equipping what the buddy already wears changes nothing else."""
    buddy = buddies.load(tenant, buddy_id)
    return buddies.request_equip(tenant, buddy_id, list(buddy.equipped_item_ids))

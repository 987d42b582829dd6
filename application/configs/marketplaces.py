"""The marketplace catalogue: marketplaces and their items, edited like every rule resource.

The catalogue is part of the rulebook (decision 0034): ``marketplaces`` holds the shop
fronts, ``items`` every item with the ``marketplace_id`` that lists it, so item ids are unique
across the tenant's marketplaces. Edits go to the draft (``Configs.edit_draft``: the first
one starts it) and reach buddies when it is published. Reads for the secret key show the
draft when there is one, like the other editors; ``published_only`` reads (the publishable
key, a shop front in a browser) show the published catalogue and only open marketplaces.

``offer`` is the query a purchase asks: the item as the tenant's current published catalogue
sells it (``domain/economy/catalogue.py`` checks the buyer's requirements).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from application.configs.configs import Configs, Document
from application.configs.rule_editors import Current, Edited, checked_part, free_id
from domain.configs.rulebook import MAX_STAGE, MIN_STAGE, Rulebook
from domain.economy.catalogue import Offer, offer
from domain.shared.errors import DomainError, NotFound
from domain.shared.tenancy import Tenant

KEPT_ON_REPLACE = ("image_url", "stage_image_urls", "sort_order")
"""Item fields a ``PUT`` that leaves them out keeps: art set by its own routes, shop order."""

Change = Callable[[Document], Document]
MAX_IMPORT_ROWS = 500


class Marketplaces:
    def __init__(self, configs: Configs) -> None:
        self._configs = configs

    # -- reads ----------------------------------------------------------------------

    def current(self, tenant: Tenant, *, published_only: bool = False) -> Current:
        if published_only:
            return Current(self._configs.published_version(tenant))
        return Current(self._configs.current(tenant))

    def marketplaces(
        self, tenant: Tenant, *, published_only: bool = False
    ) -> tuple[list[Document], Current]:
        current = self.current(tenant, published_only=published_only)
        document = current.document
        shops = list(document["marketplaces"]) if document else []
        if published_only:
            shops = [m for m in shops if m["active"]]
        return shops, current

    def marketplace(
        self, tenant: Tenant, marketplace_id: str, *, published_only: bool = False
    ) -> tuple[Document, Current]:
        shops, current = self.marketplaces(tenant, published_only=published_only)
        return shops[_marketplace_index(shops, marketplace_id)], current

    def items(
        self, tenant: Tenant, marketplace_id: str, *, published_only: bool = False
    ) -> tuple[list[Document], Current]:
        """A marketplace's items in shop order."""
        _, current = self.marketplace(tenant, marketplace_id, published_only=published_only)
        assert current.document is not None  # a marketplace was found in it
        return listed(current.document, marketplace_id), current

    def item(
        self, tenant: Tenant, marketplace_id: str, item_id: str, *, published_only: bool = False
    ) -> tuple[Document, Current]:
        _, current = self.marketplace(tenant, marketplace_id, published_only=published_only)
        assert current.document is not None
        items = current.document["items"]
        return items[_item_index(current.document, marketplace_id, item_id)], current

    def offer(self, tenant: Tenant, item_id: str) -> Offer:
        """The item a buddy may buy now: on sale in the tenant's published catalogue."""
        version = self._configs.published_version(tenant)
        if version is None:
            raise NotFound("item", item_id)
        return offer(self._configs.rulebook(version.id), item_id)

    def published_rulebook(self, tenant: Tenant) -> Rulebook | None:
        version = self._configs.published_version(tenant)
        return self._configs.rulebook(version.id) if version is not None else None

    # -- marketplaces ---------------------------------------------------------------

    def create_marketplace(self, tenant: Tenant, fields: Document) -> Edited:
        """Add a marketplace; without an ``id`` one is derived from its name."""
        created: dict[str, Document] = {}

        def change(document: Document) -> Document:
            shops = document["marketplaces"]
            taken = {m["id"] for m in shops}
            entry = dict(fields)
            if entry.get("id") is None:
                entry["id"] = free_id(str(entry.get("name") or "marketplace"), taken)
            if entry["id"] in taken:
                raise DomainError(
                    "conflict",
                    f"a marketplace with id {entry['id']!r} already exists",
                    {"id": entry["id"]},
                )
            shops.append(entry)
            at = f"marketplaces[{len(shops) - 1}]"
            created["part"] = checked_part(document, [(at, "")], "marketplace")["marketplaces"][-1]
            return document

        draft = self._configs.edit_draft(tenant, change)
        return Edited(created["part"], draft)

    def replace_marketplace(self, tenant: Tenant, marketplace_id: str, fields: Document) -> Edited:
        _same_id(fields, "id", marketplace_id)
        replaced: dict[str, Document] = {}

        def change(document: Document) -> Document:
            shops = document["marketplaces"]
            index = _marketplace_index(shops, marketplace_id)
            shops[index] = {**fields, "id": marketplace_id}
            checked = checked_part(document, [(f"marketplaces[{index}]", "")], "marketplace")
            replaced["part"] = checked["marketplaces"][index]
            return document

        draft = self._configs.edit_draft(tenant, change)
        return Edited(replaced["part"], draft)

    # -- items ----------------------------------------------------------------------

    def create_item(self, tenant: Tenant, marketplace_id: str, fields: Document) -> Edited:
        """Add an item at the end of the shop; without an ``item_id`` one is derived from
        its name. Item ids are unique across marketplaces: a taken one is ``conflict``."""
        _same_id(fields, "marketplace_id", marketplace_id)
        created: dict[str, Document] = {}

        def change(document: Document) -> Document:
            _marketplace_index(document["marketplaces"], marketplace_id)
            items = document["items"]
            taken = {i["item_id"] for i in items}
            entry = _placed(fields, document, marketplace_id, taken)
            if entry["item_id"] in taken:
                raise DomainError(
                    "conflict",
                    f"an item with item_id {entry['item_id']!r} already exists",
                    {"item_id": entry["item_id"]},
                )
            items.append(entry)
            checked = checked_part(document, [(f"items[{len(items) - 1}]", "")], "item")
            created["part"] = checked["items"][-1]
            return document

        draft = self._configs.edit_draft(tenant, change)
        return Edited(created["part"], draft)

    def replace_item(
        self, tenant: Tenant, marketplace_id: str, item_id: str, fields: Document
    ) -> Edited:
        """Replace an item; fields left out take their defaults, except its art and its
        place in the shop (``KEPT_ON_REPLACE``)."""
        _same_id(fields, "item_id", item_id)
        _same_id(fields, "marketplace_id", marketplace_id)
        replaced: dict[str, Document] = {}

        def change(document: Document) -> Document:
            index = _item_index(document, marketplace_id, item_id)
            items = document["items"]
            kept = {k: items[index][k] for k in KEPT_ON_REPLACE if k not in fields}
            items[index] = {
                **fields,
                **kept,
                "item_id": item_id,
                "marketplace_id": marketplace_id,
            }
            replaced["part"] = checked_part(document, [(f"items[{index}]", "")], "item")["items"][
                index
            ]
            return document

        draft = self._configs.edit_draft(tenant, change)
        return Edited(replaced["part"], draft)

    def delete_item(self, tenant: Tenant, marketplace_id: str, item_id: str) -> Edited:
        """Remove an item from the catalogue. Buddies that own it keep it; a badge or an item
        that still names it is ``validation_failed`` at its document path."""
        removed: dict[str, Document] = {}

        def change(document: Document) -> Document:
            items = document["items"]
            removed["part"] = items.pop(_item_index(document, marketplace_id, item_id))
            return checked_part(document, [], "item")

        draft = self._configs.edit_draft(tenant, change)
        return Edited(removed["part"], draft)

    def import_items(self, tenant: Tenant, marketplace_id: str, rows: Sequence[object]) -> Edited:
        """Add every row, or none: a bad row is reported with its index and field
        (``items[3].price_coins``), all of them at once. Rows take the item body's fields."""
        if not rows or len(rows) > MAX_IMPORT_ROWS:
            reason = f"must hold 1 to {MAX_IMPORT_ROWS} rows"
            raise DomainError(
                "validation_failed",
                f"items: {reason}",
                {"fields": [{"field": "items", "reason": reason}]},
            )
        imported: dict[str, list[Document]] = {}

        def change(document: Document) -> Document:
            _marketplace_index(document["marketplaces"], marketplace_id)
            items = document["items"]
            first = len(items)
            taken = {i["item_id"] for i in items}
            problems: list[dict[str, str]] = []
            for index, row in enumerate(rows):
                if isinstance(row, dict):
                    if "marketplace_id" in row:
                        problems.append(
                            {
                                "field": f"items[{index}].marketplace_id",
                                "reason": "is the marketplace in the path; leave it out",
                            }
                        )
                    row = _placed(row, document, marketplace_id, taken)
                    taken.add(row["item_id"])
                items.append(row)
            rewrites = [(f"items[{first + i}]", f"items[{i}]") for i in range(len(rows))]
            try:
                checked = checked_part(document, rewrites, "import")
            except DomainError as error:
                if error.code != "validation_failed" or error.details is None:
                    raise
                problems += error.details["fields"]
            if problems:
                raise _invalid_rows(problems)
            imported["part"] = checked["items"][first:]
            return checked

        draft = self._configs.edit_draft(tenant, change)
        return Edited(imported["part"], draft)

    def reorder(self, tenant: Tenant, marketplace_id: str, item_ids: Sequence[str]) -> Edited:
        """Put the shop's items in the given order: a permutation of exactly its items."""
        reordered: dict[str, list[Document]] = {}

        def change(document: Document) -> Document:
            _marketplace_index(document["marketplaces"], marketplace_id)
            current = [i["item_id"] for i in listed(document, marketplace_id)]
            _check_permutation(item_ids, current)
            place = {item_id: number for number, item_id in enumerate(item_ids)}
            for item in document["items"]:
                if item["item_id"] in place:
                    item["sort_order"] = place[item["item_id"]]
            checked = checked_part(document, [], "reorder")
            reordered["part"] = listed(checked, marketplace_id)
            return checked

        draft = self._configs.edit_draft(tenant, change)
        return Edited(reordered["part"], draft)

    def set_image(
        self,
        tenant: Tenant,
        marketplace_id: str,
        item_id: str,
        image: str,
        stage: int | None = None,
    ) -> Edited:
        """Make ``image`` (a reference: ``asset:<name>`` or a URL) the item's art, or its
        art at ``stage``."""
        changed: dict[str, Document] = {}

        def change(document: Document) -> Document:
            done = with_image(marketplace_id, item_id, image, stage)(document)
            changed["part"] = done["items"][_item_index(done, marketplace_id, item_id)]
            return done

        draft = self._configs.edit_draft(tenant, change)
        return Edited(changed["part"], draft)


def with_image(marketplace_id: str, item_id: str, image: str, stage: int | None) -> Change:
    """The draft change that sets an item's art (the upload route and the icon worker)."""

    def change(document: Document) -> Document:
        item = document["items"][_item_index(document, marketplace_id, item_id)]
        if stage is None:
            item["image_url"] = image
        else:
            item["stage_image_urls"] = {**item["stage_image_urls"], str(stage): image}
        return checked_part(document, [], "item image")

    return change


def check_art_stage(stage: int | None) -> None:
    if stage is not None and not MIN_STAGE <= stage <= MAX_STAGE:
        raise DomainError(
            "validation_failed",
            f"stage must be {MIN_STAGE} to {MAX_STAGE}",
            {"fields": [{"field": "stage", "reason": f"must be {MIN_STAGE} to {MAX_STAGE}"}]},
        )


def listed(document: Document, marketplace_id: str) -> list[Document]:
    """A marketplace's items in shop order (``sort_order``, then place in the document)."""
    items = [i for i in document["items"] if i.get("marketplace_id") == marketplace_id]
    return sorted(items, key=lambda i: i["sort_order"])


def _placed(fields: Document, document: Document, marketplace_id: str, taken: set[str]) -> Document:
    """A new item in ``marketplace_id``: an id from its name if it has none, at the end."""
    entry: dict[str, Any] = {**fields, "marketplace_id": marketplace_id}
    if entry.get("item_id") is None:
        entry["item_id"] = free_id(str(entry.get("name") or "item"), taken)
    if entry.get("sort_order") is None:
        orders = [
            i["sort_order"]
            for i in document["items"]
            if i.get("marketplace_id") == marketplace_id and isinstance(i.get("sort_order"), int)
        ]
        entry["sort_order"] = max(orders) + 1 if orders else 0
    return entry


def _same_id(fields: Document, key: str, expected: str) -> None:
    given = fields.get(key)
    if given is not None and given != expected:
        raise DomainError(
            "validation_failed",
            f"{key}: must be {expected!r}, the {key} in the path",
            {"fields": [{"field": key, "reason": "must match the path"}]},
        )


def _marketplace_index(shops: Sequence[Document], marketplace_id: str) -> int:
    for index, shop in enumerate(shops):
        if shop.get("id") == marketplace_id:
            return index
    raise NotFound("marketplace", marketplace_id)


def _item_index(document: Document, marketplace_id: str, item_id: str) -> int:
    """The item's place in the document; an item of another marketplace is not found here."""
    _marketplace_index(document["marketplaces"], marketplace_id)
    for index, item in enumerate(document["items"]):
        if item.get("item_id") == item_id and item.get("marketplace_id") == marketplace_id:
            return index
    raise NotFound("item", item_id)


def _check_permutation(given: Sequence[str], current: Sequence[str]) -> None:
    seen: set[str] = set()
    repeated = [i for i in given if i in seen or seen.add(i)]  # type: ignore[func-returns-value]
    unknown = [i for i in dict.fromkeys(given) if i not in current]
    missing = [i for i in current if i not in seen]
    if not (repeated or unknown or missing):
        return
    reasons = []
    if repeated:
        reasons.append(f"repeats {', '.join(dict.fromkeys(repeated))}")
    if unknown:
        reasons.append(f"names items not in this marketplace: {', '.join(unknown)}")
    if missing:
        reasons.append(f"leaves out {', '.join(missing)}")
    reason = "must list every item of the marketplace exactly once; it " + "; ".join(reasons)
    raise DomainError(
        "validation_failed",
        f"item_ids: {reason}",
        {
            "fields": [{"field": "item_ids", "reason": reason}],
            "repeated": list(dict.fromkeys(repeated)),
            "unknown": unknown,
            "missing": missing,
        },
    )


def _invalid_rows(problems: list[dict[str, str]]) -> DomainError:
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return DomainError(
        "validation_failed",
        f"invalid import, nothing was added: {first['field']}: {first['reason']}{more}",
        {"fields": problems},
    )

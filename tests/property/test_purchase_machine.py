"""A state machine over purchase, unlock, equip, unequip, credit and spend (decision 0040):
ownership, balances and the outfit rules hold after any sequence, whatever is refused."""

from __future__ import annotations

from collections import Counter

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from application.configs.marketplaces import Marketplaces
from domain.configs.rulebook import LAYER_ORDER, MULTI_EQUIP_CATEGORIES, VISUAL_CATEGORIES
from domain.shared.errors import DomainError
from domain.shared.ids import public_id
from tests.unit.history_world import World

STAFF = "support@example.com"
EXTRA = [
    {"item_id": "boost", "name": "Boost", "category": "booster", "price_coins": 7, "stock": 3},
    {"item_id": "crown", "name": "Crown", "category": "head", "price_coins": 3, "stock": 2},
    {"item_id": "star_pin", "name": "Star Pin", "category": "accessory", "price_tokens": 2},
    {
        "item_id": "sage_hat",
        "name": "Sage Hat",
        "category": "head",
        "price_coins": 1,
        "requirements": [{"operator": "min_stage", "value": 2}],
    },
]
PRICES = {
    "library_background": 150,
    "scholar_scarf": 60,
    "reading_glasses": 80,
    "graduation_cap": 200,
    "quill": 50,
    "flag_pin": 30,
}
ITEMS = [*PRICES, *(i["item_id"] for i in EXTRA)]
CATEGORIES = {
    "library_background": "background",
    "scholar_scarf": "neck",
    "reading_glasses": "face",
    "graduation_cap": "head",
    "quill": "hand",
    "flag_pin": "accessory",
    **{str(i["item_id"]): str(i["category"]) for i in EXTRA},
}


class PurchaseMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world = World()
        self.tenant = self.world.open_tenant()
        shop = Marketplaces(self.world.configs)
        edited = None
        for item in EXTRA:
            edited = shop.create_item(self.tenant, "shop", dict(item))
        assert edited is not None
        self.world.configs.publish(self.tenant, public_id("config_version", edited.draft.id))
        self.buddy_id = self.world.hatch(self.tenant)
        self.coins = 0
        self.stars = 0
        self.owned: Counter[str] = Counter()
        self.worn: list[str] = []
        self.boosts_sold = 0

    def _try(self, action: object) -> bool:
        try:
            action()  # type: ignore[operator]
        except DomainError as error:
            assert error.code in {
                "insufficient_balance",
                "item_already_owned",
                "requirements_not_met",
                "out_of_stock",
                "too_many_items",
                "category_conflict",
                "item_not_owned",
                "item_not_equippable",
            }, error.code
            return False
        return True

    @rule(amount=st.integers(1, 120), stars=st.booleans())
    def credit(self, amount: int, stars: bool) -> None:
        currency = "stars" if stars else None
        self.world.buddies.override_wallet(
            self.tenant, self.buddy_id, "credit", currency, amount, "t", STAFF
        )
        if stars:
            self.stars += amount
        else:
            self.coins += amount

    @rule(amount=st.integers(1, 120))
    def spend(self, amount: int) -> None:
        wallet = self.world.buddies.override_wallet
        if self._try(lambda: wallet(self.tenant, self.buddy_id, "spend", None, amount, "t", STAFF)):
            self.coins -= amount

    @rule(item=st.sampled_from(ITEMS))
    def purchase(self, item: str) -> None:
        buy = self.world.purchases.purchase
        if self._try(lambda: buy(self.tenant, self.buddy_id, item, STAFF)):
            extra = next((i for i in EXTRA if i["item_id"] == item), {})
            self.coins -= int(extra.get("price_coins", PRICES.get(item, 0)))  # type: ignore[call-overload]
            self.stars -= int(extra.get("price_tokens", 0))  # type: ignore[call-overload]
            assert item != "sage_hat", "a requirement was skipped"
            self.owned[item] += 1
            self.boosts_sold += item == "boost"

    @rule()
    def purchase_a_booster(self) -> None:
        """Boosters are bought again and again: the limited stock is reached in a run."""
        self.purchase("boost")

    @rule(item=st.sampled_from(ITEMS))
    def unlock(self, item: str) -> None:
        grant = self.world.purchases.unlock
        if self._try(lambda: grant(self.tenant, self.buddy_id, item, STAFF)):
            self.owned[item] += 1

    @rule(items=st.lists(st.sampled_from(ITEMS), max_size=6))
    def equip(self, items: list[str]) -> None:
        request = self.world.buddies.request_equip
        operation = None

        def attempt() -> None:
            nonlocal operation
            operation = request(self.tenant, self.buddy_id, items)

        if self._try(attempt):
            assert operation is not None
            self.world.operations.run(operation.id)
            self.worn = sorted(set(items), key=lambda i: (LAYER_ORDER[CATEGORIES[i]], i))

    @rule()
    def unequip(self) -> None:
        operation = self.world.buddies.request_equip(self.tenant, self.buddy_id, [])
        self.world.operations.run(operation.id)
        self.worn = []

    @invariant()
    def the_buddy_matches_the_model(self) -> None:
        state = self.world.buddies.state(self.tenant, self.buddy_id)
        buddy, ledger = state.buddy, state.ledger
        assert ledger.balance("coins") == self.coins >= 0
        assert ledger.balance("stars") == self.stars >= 0
        assert sorted(buddy.owned_item_ids) == sorted(self.owned)
        assert all(buddy.item_quantity(i) == n for i, n in self.owned.items())
        assert all(n == 1 for i, n in self.owned.items() if CATEGORIES[i] != "booster")
        assert buddy.equipped_item_ids == self.worn
        assert len(self.worn) <= 4 and set(self.worn) <= set(self.owned)
        assert all(CATEGORIES[i] in VISUAL_CATEGORIES for i in self.worn)
        single = [CATEGORIES[i] for i in self.worn if CATEGORIES[i] not in MULTI_EQUIP_CATEGORIES]
        assert len(single) == len(set(single))
        assert self.boosts_sold <= 3
        assert self.world.purchases.stock_sold(self.tenant, "boost") == self.boosts_sold


PurchaseMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=25, deadline=None)
TestPurchaseMachine = PurchaseMachine.TestCase

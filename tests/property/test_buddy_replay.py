"""A buddy's life, stored in either encoding and read back, replays to the same buddy and the
same wallet, every time: the declared event classes store and restore exactly what was
decided (decision 0023)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from application.shared.store import EventStore
from domain.companions.appearance import RenderedImages
from domain.companions.buddy import Buddy
from domain.configs.presets import preset_document
from domain.configs.rulebook import Rulebook
from domain.economy.ledger import Ledger
from domain.ingestion.rules import CustomerEvent
from domain.shared.errors import DomainError
from infrastructure.persistence.transcoder import TRANSCODER_TOPICS
from tests.unit.test_buddy import hatch, ingest, wallet_for

T0 = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)
RULEBOOK = Rulebook.from_dict(preset_document("language-learning"))
ITEMS = sorted(RULEBOOK.item_categories)

customer_events = st.tuples(st.just("event"), st.sampled_from(RULEBOOK.event_types))
steps = st.one_of(
    *[customer_events] * 6,  # mostly customer events, so wallets fill and stages get ready
    st.tuples(st.just("rename"), st.text("abcxyz ", min_size=0, max_size=8)),
    st.tuples(st.just("badge"), st.sampled_from([b.key for b in RULEBOOK.badges])),
    st.tuples(
        st.just("skills"),
        st.dictionaries(st.sampled_from([s.key for s in RULEBOOK.skills]), st.integers(-1, 50)),
    ),
    st.tuples(st.just("acquire"), st.sampled_from(ITEMS)),
    st.tuples(st.just("equip"), st.lists(st.sampled_from(ITEMS), max_size=3)),
    st.tuples(st.just("debit"), st.sampled_from(["coins", "stars", "xp"]), st.integers(1, 15)),
    st.tuples(st.just("draw"), st.text("0123456789abcdef", min_size=1, max_size=4)),
    st.tuples(st.just("draw_failed")),
    st.tuples(st.just("evolve")),
    st.tuples(st.just("migrate")),
    st.tuples(st.just("archive")),
)


def live(buddy: Buddy, ledger: Ledger, plan: list[tuple[Any, ...]]) -> None:
    """Apply the plan; a refused step changes nothing and the life goes on."""
    for n, (verb, *args) in enumerate(plan):
        moment = T0 + timedelta(hours=n * 5)
        try:
            if verb == "event":
                customer_event = CustomerEvent(
                    event_id=f"evt_{n}", type=args[0], user_id="u", occurred_at=moment
                )
                ingest(buddy, ledger, RULEBOOK, customer_event)
            elif verb == "rename":
                buddy.rename(name=args[0], timestamp=moment)
            elif verb == "badge":
                buddy.award_badge(badge_key=args[0], actor="admin", timestamp=moment)
            elif verb == "skills":
                buddy.set_skills(
                    values=args[0], skills=RULEBOOK.skills, actor="admin", timestamp=moment
                )
            elif verb == "acquire":
                buddy.acquire_item(item_id=args[0], causation={"n": n}, timestamp=moment)
            elif verb == "equip":
                buddy.equip(
                    item_ids=args[0],
                    categories=RULEBOOK.item_categories,
                    operation_id=uuid4(),
                    timestamp=moment,
                )
            elif verb == "debit":
                ledger.debit(
                    currency=args[0],
                    amount=args[1],
                    reason="spend",
                    entry_id=uuid4(),
                    causation={"n": n},
                    timestamp=moment,
                )
            elif verb == "draw":
                images = RenderedImages(*(f"{args[0]}{k}.svg" for k in ("i", "b", "t")))
                buddy.record_appearance(images=images, timestamp=moment)
            elif verb == "draw_failed":
                buddy.record_render_failure(message="the renderer fell over", timestamp=moment)
            elif verb == "evolve":
                to_stage = buddy.evolution_stage + 1
                buddy.evolve(to_stage=to_stage, operation_id=uuid4(), timestamp=moment)
            elif verb == "migrate":
                buddy.migrate(to_config_version_id=uuid4(), actor="admin", timestamp=moment)
            else:
                buddy.archive(timestamp=moment)
        except DomainError:
            continue


def replayed(store: EventStore, stream_id: UUID) -> Any:
    aggregate = None
    for event in store.events.get(stream_id):
        aggregate = event.mutate(aggregate)
    return aggregate


@settings(max_examples=100, deadline=None)
@given(plan=st.lists(steps, max_size=40), encoding=st.sampled_from(sorted(TRANSCODER_TOPICS)))
def test_a_stored_life_replays_to_the_same_buddy_and_wallet(
    plan: list[tuple[Any, ...]], encoding: str
) -> None:
    buddy = hatch(timestamp=T0)
    ledger = wallet_for(buddy, RULEBOOK)
    live(buddy, ledger, plan)
    decided = {buddy.id: list(buddy.pending_events), ledger.id: list(ledger.pending_events)}
    topic = TRANSCODER_TOPICS[encoding]
    store = EventStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo", "TRANSCODER_TOPIC": topic})
    store.save(buddy, ledger)
    for stream_id, events in decided.items():
        assert list(store.events.get(stream_id)) == events  # every field, every type, restored
    for aggregate in (buddy, ledger):
        first, second = replayed(store, aggregate.id), replayed(store, aggregate.id)
        assert first == second == aggregate

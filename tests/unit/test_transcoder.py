"""Stored-event encodings: exact round trips, and each format reads the other's data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.shared.store import EventStore
from domain.ingestion.event_ingestion import EventIngestion
from domain.shared.tenancy import Tenant
from infrastructure.persistence import transcoder as transcoder_module
from infrastructure.persistence.event_store import event_store_env, transcoder_topic
from infrastructure.persistence.transcoder import JsonTranscoder, MsgpackTranscoder
from infrastructure.shared.settings import Settings

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.uuids()
    | st.datetimes(
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]
        )
    )
    | st.decimals(allow_nan=False, allow_infinity=False, places=3)
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def identical(a: Any, b: Any) -> bool:
    """Equal, of the same types all the way down, and datetimes at the same offset."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(identical(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    return bool(a == b)


@settings(max_examples=200, deadline=None)
@given(state=st.dictionaries(st.text(max_size=8), documents, max_size=6))
def test_messagepack_round_trips_exactly(state: dict[str, Any]) -> None:
    transcoder = MsgpackTranscoder()
    assert identical(transcoder.decode(transcoder.encode(state)), state)


@settings(max_examples=100, deadline=None)
@given(state=st.dictionaries(st.text(max_size=8), documents, max_size=6))
def test_each_format_reads_the_other(state: dict[str, Any]) -> None:
    msgpack, json = MsgpackTranscoder(), JsonTranscoder()
    assert identical(msgpack.decode(json.encode(state)), json.decode(json.encode(state)))
    assert identical(json.decode(msgpack.encode(state)), state)


@settings(max_examples=100, deadline=None)
@given(uuid=st.uuids())
def test_a_decoded_uuid_is_the_one_the_constructor_makes(uuid: UUID) -> None:
    decoded = MsgpackTranscoder().decode(MsgpackTranscoder().encode({"id": uuid}))["id"]
    made = UUID(bytes=uuid.bytes)
    assert type(decoded) is UUID
    assert (decoded, hash(decoded), str(decoded), decoded.version) == (
        made,
        hash(made),
        str(made),
        made.version,
    )
    assert decoded.__getstate__() == made.__getstate__()  # pickles and deep-copies alike


def test_an_id_decoded_again_is_the_same_object_and_the_kept_ids_stay_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(transcoder_module, "UUIDS_KEPT", 3)
    monkeypatch.setattr(transcoder_module, "_decoded_uuids", {})
    transcoder = MsgpackTranscoder()
    first, second = uuid4(), uuid4()
    state = transcoder.encode({"a": first, "trace": [{"b": first}, {"b": second}]})
    one, other = transcoder.decode(state), transcoder.decode(state)
    assert one["a"] is one["trace"][0]["b"] is other["a"]
    assert (one["a"], one["trace"][1]["b"]) == (first, second)
    for _ in range(5):
        assert transcoder.decode(transcoder.encode({"id": (fresh := uuid4())})) == {"id": fresh}
        assert len(transcoder_module._decoded_uuids) <= 3


def test_a_uuid_extension_of_the_wrong_length_is_refused() -> None:
    data = msgspec.msgpack.encode({"id": msgspec.msgpack.Ext(1, b"short")})
    with pytest.raises(ValueError, match="16 bytes"):
        MsgpackTranscoder().decode(data)


def test_tuples_are_written_as_lists_like_json_does() -> None:
    transcoder = MsgpackTranscoder()
    assert transcoder.decode(transcoder.encode({"a": (1, (2, 3))})) == {"a": [1, [2, 3]]}


def test_an_unsupported_type_is_refused() -> None:
    with pytest.raises(TypeError):
        MsgpackTranscoder().encode({"a": {1, 2}})
    assert MsgpackTranscoder().decode(MsgpackTranscoder().encode({"d": Decimal("1.10")})) == {
        "d": Decimal("1.10")
    }


def test_the_setting_picks_the_transcoder() -> None:
    assert transcoder_topic(Settings()).endswith(":MsgpackTranscoder")
    assert transcoder_topic(Settings(event_encoding="json")).endswith(":JsonTranscoder")
    with pytest.raises(ValueError, match="HATCHED_EVENT_ENCODING"):
        transcoder_topic(Settings(event_encoding="xml"))
    assert Settings.from_env({"HATCHED_EVENT_ENCODING": "JSON"}).event_encoding == "json"


def recorded(event_id: str, tenant: Tenant) -> EventIngestion:
    return EventIngestion(
        id=EventIngestion.id_for(tenant, event_id),
        customer_id=tenant.customer_id,
        mode=tenant.mode,
        event_id=event_id,
        user_id="u1",
        type="lesson_completed",
        occurred_at=datetime(2026, 4, 8, 12, 30, tzinfo=timezone(timedelta(hours=2))),
        properties={"score": 87, "nested": [{"x": 1.5}]},
        audience=None,
        buddy_id=uuid4(),
        effects={"coins": 10, "badges_awarded": []},
        trace=[{"rule_id": "r1", "fired": True}],
        applied_to=[uuid4()],
        outcome="applied",
        error=None,
        timestamp=datetime.now(UTC),
    )


@pytest.mark.parametrize(("before", "after"), [("json", "msgpack"), ("msgpack", "json")])
def test_switching_the_encoding_keeps_stored_events_readable(
    tmp_path: Path, before: str, after: str
) -> None:
    tenant = Tenant(uuid4(), "live")
    common = {"data_dir": tmp_path, "secret_key": "k"}
    first = EventStore(env=event_store_env(Settings(event_encoding=before, **common)))  # type: ignore[arg-type]
    old = recorded("evt_old", tenant)
    first.save(old)
    first.close()
    second = EventStore(env=event_store_env(Settings(event_encoding=after, **common)))  # type: ignore[arg-type]
    new = recorded("evt_new", tenant)
    second.save(new)
    for original in (old, new):
        loaded = second.find(EventIngestion, original.id)
        assert loaded is not None
        assert identical(vars(loaded), vars(original) | {"_pending_events": []})
        assert loaded.occurred_at.utcoffset() == timedelta(hours=2)
        assert isinstance(loaded.applied_to[0], UUID)
    second.close()

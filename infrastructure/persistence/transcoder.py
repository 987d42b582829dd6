"""How stored events become bytes: MessagePack through msgspec (default) or the library's JSON.

``eventsourcing`` turns every event's state into bytes with a *transcoder*
(``TRANSCODER_TOPIC``). Its JSON one calls back into Python for every object while decoding
(to find its ``{"_type_", "_data_"}`` markers); events are decoded far more often than they
are written (every aggregate load, every follower), so ``MsgpackTranscoder`` writes
MessagePack with msgspec instead and carries the non-JSON types as MessagePack extension
types, which the C decoder hands back without a Python call per object:

* ``UUID`` → ext 1 (its 16 bytes); ``datetime`` → ext 2 (ISO 8601 text, keeping the exact
  offset and microseconds); ``Decimal`` → ext 3 (its text); tuples are written as lists, as
  JSON does.

Both transcoders read both formats (a JSON state starts with ``{``, a MessagePack map never
does), so switching ``HATCHED_EVENT_ENCODING`` either way keeps every stored event readable;
only new events are written in the chosen format.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, SafeUUID

import msgspec
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)

EXT_UUID = 1
EXT_DATETIME = 2
EXT_DECIMAL = 3
JSON_START = b"{"[0]

TRANSCODER_TOPICS = {
    "msgpack": "infrastructure.persistence.transcoder:MsgpackTranscoder",
    "json": "infrastructure.persistence.transcoder:JsonTranscoder",
}
"""``HATCHED_EVENT_ENCODING`` → the ``TRANSCODER_TOPIC`` the event store is given."""


class JsonTranscoder(JSONTranscoder):
    """The library's JSON format (with UUID, Decimal and datetime registered as the
    application would), reading MessagePack states too."""

    def __init__(self) -> None:
        super().__init__()
        self.register(UUIDAsHex())
        self.register(DecimalAsStr())
        self.register(DatetimeAsISO())

    def decode(self, data: bytes) -> Any:
        if data[:1] != b"{":
            return _decoder.decode(data)
        return super().decode(data)


class MsgpackTranscoder(Transcoder):
    """MessagePack via msgspec, reading the JSON states written before it too."""

    def __init__(self) -> None:
        self._json = JsonTranscoder()

    def encode(self, obj: Any) -> bytes:
        return _encoder.encode(_prepared(obj))

    def decode(self, data: bytes) -> Any:
        if data and data[0] == JSON_START:
            return JSONTranscoder.decode(self._json, data)
        return _decoder.decode(data)


def _prepared(value: Any) -> Any:
    """``value`` with every UUID, datetime and Decimal inside it wrapped as an extension."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is dict:
        return {k: _prepared(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_prepared(v) for v in value]
    if isinstance(value, UUID):
        return msgspec.msgpack.Ext(EXT_UUID, value.bytes)
    if isinstance(value, datetime):
        return msgspec.msgpack.Ext(EXT_DATETIME, value.isoformat().encode())
    if isinstance(value, Decimal):
        return msgspec.msgpack.Ext(EXT_DECIMAL, str(value).encode())
    if isinstance(value, dict):
        return {k: _prepared(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_prepared(v) for v in value]
    if isinstance(value, str | int | float):
        return value
    raise TranscodingNotRegisteredError(
        f"Object of type {kind} is not serializable. Please define and register "
        "a custom transcoding for this type."
    )


UUIDS_KEPT = 16_384
"""How many decoded ids are kept to be handed out again (a few MiB at most)."""
_decoded_uuids: dict[bytes, UUID] = {}


def _extension(code: int, data: memoryview) -> Any:
    if code == EXT_UUID:
        return _known_uuid(data)
    if code == EXT_DATETIME:
        return datetime.fromisoformat(bytes(data).decode())
    if code == EXT_DECIMAL:
        return Decimal(bytes(data).decode())
    raise ValueError(f"unknown MessagePack extension type {code}")


def _known_uuid(data: memoryview) -> UUID:
    """The id of these sixteen bytes, the same object as the last time they were decoded: a
    log names the same few buddies and tenants over and over (an ingestion's rule trace names
    its buddy in every entry), and a dictionary lookup costs a fraction of building the id.
    A ``UUID`` is immutable, so events may share one."""
    key = bytes(data)
    uuid = _decoded_uuids.get(key)
    if uuid is None:
        uuid = _uuid(data)
        if len(_decoded_uuids) >= UUIDS_KEPT:
            _decoded_uuids.clear()
        _decoded_uuids[key] = uuid
    return uuid


def _uuid(data: memoryview) -> UUID:
    """``UUID(bytes=data)`` without the constructor's argument checks: every decoded event
    holds several ids, and building them was the largest single cost of reading the log
    (decision 0058). The object is the one ``UUID.__init__`` makes from sixteen bytes."""
    if len(data) != 16:
        raise ValueError(f"a UUID extension holds 16 bytes, not {len(data)}")
    uuid = _new_object(UUID)
    _set_attribute(uuid, "int", _int_from_bytes(data, "big"))
    _set_attribute(uuid, "is_safe", _UNKNOWN_SAFETY)
    return uuid


_new_object = object.__new__
_set_attribute = object.__setattr__
_int_from_bytes = int.from_bytes
_UNKNOWN_SAFETY = SafeUUID.unknown
"""Looked up once: reading an enum member is a descriptor call on every access."""


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(ext_hook=_extension)

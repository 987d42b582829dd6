"""Text the view tables can hold: a reversible encoding for the few strings they cannot.

The event store keeps events as bytes, so it accepts any string a client sent; a view's
``TEXT`` column does not: PostgreSQL refuses NUL (``\\x00``) outright, and neither backend can
encode a lone surrogate (``\\ud800``…``\\udfff``) as UTF-8. A value holding one of them would
stop its view's follower for good (decision 0016).

So every string the view store writes or compares goes through ``encode_text`` and every
string it reads comes back through ``decode_text``:

* a string without NUL, surrogates or ``MARK`` that does not start with ``MARK`` is stored as
  it is — nearly every value, SQL literals such as ``'active'`` and every row written before
  this encoding existed included;
* any other string is stored as ``MARK`` followed by the string with each NUL, surrogate or
  ``MARK`` in it written as ``MARK`` and its code point in four hex digits.

``MARK`` is U+FFFF, a Unicode *noncharacter* (reserved for a program's internal use, never
meant to appear in interchanged text). An encoded string starts with ``MARK`` and a plain one
never does, so the encoding is injective: equality lookups and joins compare encoded values
and find what the plain values would. It does not keep the order of strings that need it;
no view orders rows by a text a client chose (keys are hex ids and ISO timestamps).
"""

from __future__ import annotations

import re
from typing import Any

MARK = "\uffff"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff\uffff]")
_ESCAPE = re.compile("\uffff([0-9a-f]{4})")


def encode_text(text: str) -> str:
    """``text`` as a view column can hold it (unchanged unless it needs the encoding)."""
    if not text.startswith(MARK) and _UNSTORABLE.search(text) is None:
        return text
    return MARK + _UNSTORABLE.sub(lambda m: f"{MARK}{ord(m[0]):04x}", text)


def decode_text(stored: str) -> str:
    """The string ``encode_text`` was given."""
    if not stored.startswith(MARK):
        return stored
    return _ESCAPE.sub(lambda m: chr(int(m[1], 16)), stored[1:])


def encode_param(value: Any) -> Any:
    """A query parameter or column value: strings encoded, anything else as it is."""
    return encode_text(value) if isinstance(value, str) else value


def decode_value(value: Any) -> Any:
    """A column read back: strings decoded, anything else as it is."""
    return decode_text(value) if isinstance(value, str) else value

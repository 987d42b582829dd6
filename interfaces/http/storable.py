"""What a store can hold: the test each string and number from a request passes (decision 0017).

PostgreSQL refuses NUL in ``text`` (psycopg raises before the query is even sent) and UTF-8 has
no encoding for a lone surrogate (U+D800-U+DFFF), so a string holding either can be neither kept
nor looked up. The event store's JSON encoder holds integers of at most 64 bits, and JSON has no
infinity. A request carrying such a value is refused at the edge, naming where it was.
"""

from __future__ import annotations

import re

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
NUMBER_OUT_OF_RANGE = "is out of range (64-bit integers and finite numbers only)"

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored, or ``None`` when it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character (\\u0000)"
    return "contains a lone surrogate (\\ud800-\\udfff)"


def shown(text: str) -> str:
    """``text`` safe to echo in an error (JSON-encodable, printable): NUL and lone surrogates
    written as ``\\uXXXX``."""
    return _UNSTORABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)

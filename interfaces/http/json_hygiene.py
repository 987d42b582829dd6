"""A JSON body is checked here before any decoder sees it (decision 0017).

The refusals, cheapest first:

* nested deeper than ``MAX_DEPTH`` → ``400 malformed_json``. Found by counting brackets outside
  strings on the raw bytes, never by recursing: every JSON decoder recurses, and ~1000 levels
  end in ``RecursionError`` (a 500) before any validation runs;
* not UTF-8 JSON (also ``NaN``/``Infinity``, which are not JSON) → ``400 malformed_json``;
* a key repeated in one object → ``422 validation_failed``: decoders disagree on which one wins
  (msgspec keeps the last, many proxies and WAFs read the first), so the body means two things;
* strings and numbers a store cannot hold (``storable.py``) → ``422 validation_failed``.

Each ``422`` names the offending fields with their paths (``events[2].user_id``). A common body
costs one C-speed parse and a few byte scans; only a body that trips one of them is parsed
again and walked in Python to name what is wrong.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Any

from domain.shared.errors import DomainError
from interfaces.http.storable import (
    INT_MAX,
    INT_MIN,
    NUMBER_OUT_OF_RANGE,
    shown,
    text_problem,
)

MAX_DEPTH = 64
MAX_NAMED = 20
"""At most this many offending fields are listed (a 1 MB body could hold 100 000)."""

_NOT_STRUCTURE = bytes(range(256)).translate(None, b'"[]{}')
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
"""A NUL or surrogate escape, worth a closer look (it may be ``\\\\u0000``, or a valid pair)."""
_LONG_DIGITS = re.compile(rb"\d{19}")


class _Object(list[tuple[str, Any]]):
    """A decoded JSON object as its key/value pairs, repeats kept."""


class _OutOfRange:
    """A JSON number no store holds: an integer past 64 bits (not converted when very long:
    Python caps the digits it converts) or a float past the double range."""


def check_json_body(raw: bytes) -> None:
    """Refuse ``raw`` with a ``DomainError`` unless it is JSON a store can hold in full."""
    brackets = raw.count(b"[") + raw.count(b"{")
    if brackets > MAX_DEPTH and nesting_depth(raw) > MAX_DEPTH:
        raise DomainError(
            "malformed_json",
            f"request body is nested deeper than {MAX_DEPTH} levels",
            {"max_depth": MAX_DEPTH},
        )
    try:
        text = raw.decode("utf-8")
        scan = _Scan(long_digits=_LONG_DIGITS.search(raw) is not None)
        scan.parse(text, scan.object)
        if not scan.suspect and _UNSTORABLE_ESCAPE.search(raw) is None:
            return
        problems = list(_problems(_Scan(long_digits=True).parse(text, _Object)))
    except ValueError:  # also UnicodeDecodeError and JSONDecodeError
        raise DomainError("malformed_json", "request body is not valid JSON") from None
    if problems:
        raise _refusal(problems)


class _Scan:
    """One parse by the C parser, with hooks noting what deserves the slow walk: the first
    parse only looks, and a suspect body is parsed again keeping objects as ``_Object``."""

    def __init__(self, *, long_digits: bool) -> None:
        self.long_digits = long_digits
        self.suspect = False

    def parse(self, text: str, objects: Callable[[list[tuple[str, Any]]], Any]) -> Any:
        return json.loads(
            text,
            object_pairs_hook=objects,
            parse_int=self.integer if self.long_digits else int,
            parse_float=self.number,
            parse_constant=_not_json,
        )

    def object(self, items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        if len(items) > 1 and len(dict(items)) != len(items):
            self.suspect = True
        return items

    def integer(self, text: str) -> int | _OutOfRange:
        """Used only when the body holds 19 digits in a row: shorter integers always fit."""
        if len(text) <= 20 and INT_MIN <= (value := int(text)) <= INT_MAX:
            return value
        self.suspect = True
        return _OutOfRange()

    def number(self, text: str) -> float | _OutOfRange:
        value = float(text)
        if math.isinf(value):
            self.suspect = True
            return _OutOfRange()
        return value


def nesting_depth(raw: bytes) -> int:
    """How deeply the arrays and objects of ``raw`` nest, without parsing (or recursing).

    Escaped backslashes and quotes are dropped first, so every quote left opens or closes a
    string; what lies between quote pairs is string content and its brackets do not count.
    For text a parser would reject, the count still covers everything before the error, which
    is all a parser could have recursed into.
    """
    structure = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    outside_strings = b"".join(structure.split(b'"')[::2])
    return max(accumulate(map(_STEP.__getitem__, outside_strings)), default=0)


def _not_json(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _problems(document: Any) -> Iterator[tuple[str, str]]:
    """Each offending ``(path, reason)`` in document order; walked with a stack, not recursion.

    A key's own problems (unstorable, repeated) travel with its value on the stack, so they are
    reported just before whatever is wrong inside that value."""
    stack: list[tuple[Any, str, list[str]]] = [(document, "", [])]
    while stack:
        value, path, notes = stack.pop()
        for note in notes:
            yield path, note
        if isinstance(value, _Object):
            seen: set[str] = set()
            children = []
            for key, item in value:
                reason = text_problem(key)
                key_notes = [f"key {reason}"] if reason else []
                if key in seen:
                    key_notes.append("is a duplicate key (each key may appear once per object)")
                seen.add(key)
                children.append((item, f"{path}.{shown(key)}" if path else shown(key), key_notes))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]", []) for i, item in reversed(list(enumerate(value))))
        elif isinstance(value, _OutOfRange):
            yield path or "body", NUMBER_OUT_OF_RANGE
        elif isinstance(value, str):
            reason = text_problem(value)
            if reason:
                yield path or "body", reason


def _refusal(problems: list[tuple[str, str]]) -> DomainError:
    named = problems[:MAX_NAMED]
    message = "; ".join(f"{field}: {reason}" for field, reason in named)
    if len(problems) > MAX_NAMED:
        message += f"; and {len(problems) - MAX_NAMED} more"
    return DomainError(
        "validation_failed",
        message,
        {"fields": [{"field": field, "reason": reason} for field, reason in named]},
    )

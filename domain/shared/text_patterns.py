"""The shapes a short identifier must have, each said once as a regex and once in words.

A refusal names the words, never the regex: ``type: must be 1 to 64 lowercase letters, digits,
`_`, `.` or `-`, starting with a letter or a digit`` reads as a sentence, where
``Expected `str` matching regex '^[a-z0-9][a-z0-9_.\\-]{0,63}$'`` makes a client decode a
regex. Request Structs constrain a field with ``msgspec.Meta(pattern=EVENT_TYPE.regex)`` and
the body decoder turns a failure into ``must be`` + ``description`` (``interfaces/http/
body.py``); the rulebook's reader does the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TextPattern:
    regex: str
    description: str
    """What a matching text is, after "must be"."""
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.regex))

    @property
    def requirement(self) -> str:
        return f"must be {self.description}"


EVENT_TYPE = TextPattern(
    r"^[a-z0-9][a-z0-9_.\-]{0,63}$",
    "1 to 64 lowercase letters, digits, `_`, `.` or `-`, starting with a letter or a digit",
)
SNAKE_KEY = TextPattern(
    r"^[a-z][a-z0-9_]{0,63}$",
    "1 to 64 lowercase letters, digits or `_`, starting with a letter",
)
RULE_ID = TextPattern(
    r"^[a-z0-9][a-z0-9_\-]{0,63}$",
    "1 to 64 lowercase letters, digits, `_` or `-`, starting with a letter or a digit",
)
AUDIENCE = TextPattern(
    r"^[a-z][a-z0-9_]{0,31}$",
    "1 to 32 lowercase letters, digits or `_`, starting with a letter",
)
EMAIL = TextPattern(
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    "an e-mail address such as name@example.com",
)
WEB_URL = TextPattern(
    r"^https?://\S+$",
    "an http:// or https:// address without spaces",
)

TEXT_PATTERNS: tuple[TextPattern, ...] = (
    EVENT_TYPE,
    SNAKE_KEY,
    RULE_ID,
    AUDIENCE,
    EMAIL,
    WEB_URL,
)

"""Conditional GETs: an entity tag for a body, and ``If-None-Match`` checked against one."""

from __future__ import annotations

import hashlib


def etag_of(body: bytes) -> str:
    """A strong tag for ``body``: equal bodies, equal tags."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison against an ``If-None-Match`` list (or ``*``)."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags

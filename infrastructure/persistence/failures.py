"""Whose fault a follower's failure is: the infrastructure's (retry) or the event's (park).

A follower that cannot handle an event either waits for the world to get better — the
database or Redis is down, a lock timed out, a table is being swapped — or faces an event
that will fail the same way every time it is tried, which it parks so that the log behind
it keeps moving (decision 0016). Retrying an event that cannot succeed stops every tenant's
view for good; parking an event because the database blinked loses it from the view until
someone replays it. So the infrastructure's failures are listed here, by kind, and anything
else — a projection that raised, a value the database refused (SQLSTATE classes 22 and 23)
— counts as the event's.
"""

from __future__ import annotations

import sqlite3

import dramatiq.errors
import eventsourcing.persistence as es
import psycopg
import redis.exceptions

_INFRASTRUCTURE: tuple[type[BaseException], ...] = (
    OSError,  # sockets, timeouts, a full disk
    MemoryError,
    # The connection, the server, a deadlock or serialization failure (SQLSTATE 08, 40, 53,
    # 57, 58: all OperationalError), the pool; and errors of the SQL itself (42: a missing
    # table while a rebuild swaps it), which no value in an event causes.
    psycopg.OperationalError,
    psycopg.InterfaceError,
    psycopg.InternalError,
    psycopg.ProgrammingError,
    psycopg.NotSupportedError,
    # SQLite: locked or busy, no such table, a closed connection, a wrong statement.
    sqlite3.OperationalError,
    sqlite3.InterfaceError,
    sqlite3.InternalError,
    sqlite3.ProgrammingError,
    sqlite3.NotSupportedError,
    # The event store as a reactor sees it; its IntegrityError is a concurrent write that
    # a retry reloads past.
    es.OperationalError,
    es.InterfaceError,
    es.InternalError,
    es.ProgrammingError,
    es.NotSupportedError,
    es.IntegrityError,
    # The task queue.
    redis.exceptions.RedisError,
    dramatiq.errors.DramatiqError,
)


def caused_by_infrastructure(error: BaseException) -> bool:
    """Whether ``error`` (or an error it was raised from or while handling) is one the
    infrastructure causes, so that trying the same event again later may succeed."""
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        if isinstance(link, _INFRASTRUCTURE):
            return True
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return False

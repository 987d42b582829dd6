"""Wiring the ``eventsourcing`` library to SQLite (embedded default) or PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from infrastructure.persistence.recorders import POSTGRES_RECORDER_TOPIC
from infrastructure.persistence.transcoder import TRANSCODER_TOPICS
from infrastructure.shared.settings import Settings


def event_store_env(settings: Settings) -> dict[str, str]:
    """The environment the ``eventsourcing`` application reads its persistence from."""
    return {**_recorder_env(settings), "TRANSCODER_TOPIC": transcoder_topic(settings)}


def transcoder_topic(settings: Settings) -> str:
    """``HATCHED_EVENT_ENCODING`` (``msgpack`` or ``json``) → the transcoder's topic."""
    try:
        return TRANSCODER_TOPICS[settings.event_encoding]
    except KeyError:
        choices = " or ".join(sorted(TRANSCODER_TOPICS))
        raise ValueError(
            f"HATCHED_EVENT_ENCODING must be {choices}, not {settings.event_encoding!r}"
        ) from None


def _recorder_env(settings: Settings) -> dict[str, str]:
    if settings.uses_postgres:
        params = settings.postgres_params()
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_HOST": params["host"],
            "POSTGRES_PORT": params["port"],
            "POSTGRES_USER": params["user"],
            "POSTGRES_PASSWORD": params["password"],
            "POSTGRES_DBNAME": params["dbname"],
            "POSTGRES_POOL_SIZE": "10",
            "POSTGRES_MAX_OVERFLOW": "10",
            "POSTGRES_CONN_MAX_AGE": "",
            "POSTGRES_PRE_PING": "n",
            "APPLICATION_RECORDER_TOPIC": POSTGRES_RECORDER_TOPIC,
        }
        if settings.database_schema:
            ensure_postgres_schema(settings)
            env["POSTGRES_SCHEMA"] = settings.database_schema
        return env
    path = settings.sqlite_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    ensure_sqlite_wal(path)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
        "SQLITE_LOCK_TIMEOUT": "10",
    }


_WAL_SWITCH = threading.Lock()
WAL_ATTEMPTS = 50


def ensure_sqlite_wal(path: Path) -> None:
    """Put a SQLite file in WAL mode before any pool opens it.

    The library switches each new file to WAL from its first connection, and ``PRAGMA
    journal_mode=WAL`` answers "database is locked" at once, without waiting, while another
    connection holds the file: several containers (or ``serve``, ``projector`` and a worker)
    starting together on a fresh file could fail. The switch is made here once, in turn within
    a process and retried a bounded number of times across processes; a file already in WAL
    mode costs one query."""
    with _WAL_SWITCH:
        for attempt in range(WAL_ATTEMPTS):
            try:
                with closing(sqlite3.connect(path, timeout=10)) as conn:
                    if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                        conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError:
                if attempt == WAL_ATTEMPTS - 1:
                    raise
                time.sleep(0.05)


@contextmanager
def schema_setup(settings: Settings) -> Iterator[None]:
    """Hold PostgreSQL's advisory lock for this schema while a process creates its tables.

    ``hatched serve``, ``hatched projector`` and ``hatched worker`` started together all run
    ``CREATE TABLE IF NOT EXISTS`` on a fresh database, and PostgreSQL lets two of those race
    into a unique violation; one at a time, the later ones find the tables there. SQLite
    serialises the statements itself.
    """
    if not settings.uses_postgres:
        yield
        return
    key = zlib.crc32(f"hatched-schema:{settings.database_schema or 'public'}".encode())
    with psycopg.connect(make_conninfo("", **settings.postgres_params()), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


def ensure_postgres_schema(settings: Settings) -> None:
    params = settings.postgres_params()
    with psycopg.connect(make_conninfo("", **params), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{settings.database_schema}"')


def check_database(settings: Settings) -> str | None:
    """``None`` when the database answers, else the reason it does not."""
    try:
        if settings.uses_postgres:
            conninfo = make_conninfo("", **settings.postgres_params(), connect_timeout=2)
            with psycopg.connect(conninfo) as conn:
                conn.execute("SELECT 1")
        else:
            import sqlite3

            with sqlite3.connect(settings.sqlite_path(), timeout=2) as conn:
                conn.execute("SELECT 1")
    except Exception as error:  # the reason is reported, never raised
        return f"database unavailable: {type(error).__name__}"
    return None


def store_problem(settings: Settings) -> str | None:
    """``None`` when the configured PostgreSQL database accepts a connection, else one line
    for a person saying what is wrong and, for a database that does not exist, how to
    create it. Commands check this first, so an operator reads that line rather than a
    driver's traceback (or a pool's 30-second wait). SQLite files are created on demand."""
    if not settings.uses_postgres:
        return None
    params = settings.postgres_params()
    where = f"{params['host']}:{params['port']}"
    try:
        with psycopg.connect(make_conninfo("", **params, connect_timeout=10)):
            return None
    except psycopg.Error as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if f'database "{params["dbname"]}" does not exist' in detail:
            return (
                f'PostgreSQL database "{params["dbname"]}" does not exist on {where}; create it'
                f" with: createdb -h {params['host']} -p {params['port']} -U {params['user']}"
                f" {params['dbname']}"
            )
        detail = detail.split(" failed: ", 1)[-1].replace("FATAL:  ", "")
        return f"cannot connect to {settings.describe_store()}: {detail}"


def check_redis(settings: Settings) -> str | None:
    if not settings.redis_url:
        return None
    import redis

    try:
        client = redis.Redis.from_url(
            settings.redis_url, socket_timeout=2, socket_connect_timeout=2
        )
        client.ping()
        client.close()
    except Exception as error:
        return f"redis unavailable: {type(error).__name__}"
    return None

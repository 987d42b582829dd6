"""The physical baseline: what PostgreSQL itself does with one ingestion's worth of writes.

One ingestion writes three rows in one transaction: the ingestion record, the buddy's
event and the wallet entry. ``pgbench`` runs exactly that shape (three inserts into a table
shaped like the event store's, with a payload of a stored event's size) against the same
database the server uses, so "events/s ÷ this rate" says how close ingestion gets to the
ceiling of one transaction per event.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

TABLE = "bench_three_inserts"
PAYLOAD_BYTES = 600
SCRIPT = f"""\\set version random(1, 1000000000)
BEGIN;
INSERT INTO {TABLE} (originator_id, originator_version, topic, state)
  VALUES (gen_random_uuid(), 1, 'domain.ingestion.event_ingestion:EventIngestion.Recorded', repeat('x', {PAYLOAD_BYTES})::bytea);
INSERT INTO {TABLE} (originator_id, originator_version, topic, state)
  VALUES (gen_random_uuid(), :version, 'domain.companions.buddy:Buddy.ProgressRecorded', repeat('x', {PAYLOAD_BYTES})::bytea);
INSERT INTO {TABLE} (originator_id, originator_version, topic, state)
  VALUES (gen_random_uuid(), :version, 'domain.economy.ledger:Ledger.CoinsCredited', repeat('x', {PAYLOAD_BYTES})::bytea);
COMMIT;
"""


def pgbench_available() -> bool:
    return shutil.which("pgbench") is not None


def three_insert_tps(database_url: str, seconds: int, clients: int = 8) -> float:
    """Transactions per second of the three-insert script (``clients`` connections)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        conn.execute(
            f"CREATE TABLE {TABLE} (notification_id BIGSERIAL, originator_id UUID NOT NULL, "
            "originator_version INTEGER NOT NULL, topic TEXT, state BYTEA, "
            "PRIMARY KEY (originator_id, originator_version))"
        )
    url = urlsplit(database_url)
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "three_inserts.sql"
        script.write_text(SCRIPT)
        finished = subprocess.run(
            [
                "pgbench",
                "-n",
                "-h",
                url.hostname or "127.0.0.1",
                "-p",
                str(url.port or 5432),
                "-U",
                url.username or "postgres",
                "-c",
                str(clients),
                "-j",
                "2",
                "-T",
                str(seconds),
                "-f",
                str(script),
                url.path.lstrip("/"),
            ],
            capture_output=True,
            text=True,
        )
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    match = re.search(r"tps = ([\d.]+)", finished.stdout)
    if finished.returncode != 0 or match is None:
        raise RuntimeError(f"pgbench failed: {finished.stdout}\n{finished.stderr}")
    return float(match.group(1))

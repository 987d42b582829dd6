"""A store written by an earlier layout's code still loads, replays and rebuilds.

``tests/fixtures/legacy_store.sqlite3`` was written by the code at commit ``1d81d3e``
(``tests/fixtures/make_legacy_store.py`` says how). Its stored events and snapshots name
classes by the topics of that time; moving or renaming modules must keep them resolvable.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from infrastructure.shared.settings import Settings
from interfaces.cli import main
from interfaces.container import build_container

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "legacy_store.sqlite3"


@pytest.fixture
def legacy_dir(tmp_path: Path) -> Path:
    shutil.copyfile(FIXTURE, tmp_path / "hatched.sqlite3")
    return tmp_path


def test_every_stream_of_the_legacy_store_replays(legacy_dir: Path) -> None:
    container = build_container(Settings(data_dir=legacy_dir, secret_key="legacy-fixture-secret"))
    try:
        store = container.store
        versions: Counter[object] = Counter()
        position = 0
        while batch := store.notifications_after(position, 500):
            for _, event in batch:
                versions[event.originator_id] += 1
            position = batch[-1][0]
        assert sum(versions.values()) == 685
        kinds: Counter[str] = Counter()
        for originator_id, count in versions.items():
            aggregate = store.repository.get(originator_id)
            assert aggregate.version == count
            kinds[type(aggregate).__name__] += 1
    finally:
        container.close()
    assert set(kinds) >= {
        "ApiKey",
        "Buddy",
        "ConfigCatalog",
        "ConfigVersion",
        "Customer",
        "CustomerEmail",
        "Egg",
        "EventIngestion",
        "IdempotencyRecord",
        "Ledger",
        "Operation",
        "StageArt",
        "UserAccount",
        "WebhookDelivery",
        "WebhookEndpoint",
        "WebhookSubscriptions",
        "WidgetSession",
    }


def test_every_view_rebuilds_and_verifies_from_the_legacy_store(
    legacy_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [n for n in os.environ if n.startswith("HATCHED_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HATCHED_DATA_DIR", str(legacy_dir))
    monkeypatch.setenv("HATCHED_SECRET_KEY", "legacy-fixture-secret")
    monkeypatch.setenv("HATCHED_LOG_LEVEL", "warning")
    for command in (["projections", "rebuild", "--fresh"], ["projections", "verify"]):
        try:
            code = main(command)
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        assert code == 0, (command, out, err)

"""``hatched projections status|rebuild|verify`` and ``hatched projector``, as an operator runs them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from infrastructure.persistence.rebuild import LOCKS_TABLE, Rebuilder
from infrastructure.shared.settings import Settings
from interfaces.cli import main
from interfaces.container import REACTOR_NAMES, Container
from projections.registry import all_projections
from tests.integration.test_rebuild import fill

WAIT_SECONDS = 60.0


def environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HATCHED_")}
    env.update(
        HATCHED_DATA_DIR=str(settings.data_dir),
        HATCHED_SECRET_KEY=settings.secret_key,
        HATCHED_LOG_LEVEL="warning",
    )
    if settings.database_url:
        env["HATCHED_DATABASE_URL"] = settings.database_url
    if settings.database_schema:
        env["HATCHED_DATABASE_SCHEMA"] = settings.database_schema
    return env


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def hatched(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """Run ``hatched …`` in this process against the test's store: (exit code, out, err)."""
    for name in [n for n in os.environ if n.startswith("HATCHED_")]:
        monkeypatch.delenv(name)
    for name, value in environment(settings).items():
        if name.startswith("HATCHED_"):
            monkeypatch.setenv(name, value)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_status_verify_and_rebuild_from_the_command_line(
    container: Container, hatched: Run
) -> None:
    """The issue's acceptance in small: a seeded workload of 200 customer events with the
    views kept by their runners, then ``verify`` finds no difference; a tampered row it does."""
    fill(container, events=200)
    head = container.store.head()

    code, out, _ = hatched("projections", "status")
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    views = {p.name for p in all_projections()}
    assert set(rows) == views | set(REACTOR_NAMES)
    assert all(
        rows[v][1:5] == [str(head), str(head), "0", "0"] and rows[v][5] == "-" for v in views
    )
    for reactor in REACTOR_NAMES:  # not run here: their lag is what they have yet to do
        position = int(rows[reactor][1])
        assert rows[reactor][2:4] == [str(head), str(head - position)]
        assert "(reactor: nothing to rebuild)" in " ".join(rows[reactor])
    lines = {v: rows[v] for v in views}

    code, out, _ = hatched("projections", "verify")
    assert code == 0 and out.count("no differences") == len(lines)

    with container.views.transaction() as tx:
        tx.execute("UPDATE view_leaderboard_stages SET stage = stage + 1")
    code, out, _ = hatched("projections", "verify", "leaderboard", "eggs")
    assert code == 1
    assert "leaderboard:" in out and "difference(s)" in out and "view_leaderboard_stages [" in out
    assert "stage: live" in out and "eggs:" in out

    code, out, err = hatched("projections", "rebuild", "leaderboard", "--chunk", "7")
    assert code == 0 and "rebuilt leaderboard" in out
    assert "leaderboard" in err  # the progress bar
    assert hatched("projections", "verify", "--chunk", "3")[0] == 0


def test_bad_inputs_are_refused_with_a_reason_and_change_nothing(
    container: Container, hatched: Run
) -> None:
    fill(container, events=20)
    positions = container.views.positions()

    code, _, err = hatched("projections", "rebuild", "leaderboard", "nope")
    assert code == 2 and "unknown view(s): nope" in err and "known: eggs" in err
    assert hatched("projections", "verify", "nada")[0] == 2
    assert hatched("projections")[0] == 2  # no action given
    assert container.views.positions() == positions

    Rebuilder(container.store, container.views, all_projections())
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    holder = f"{socket.gethostname()}:{os.getpid()}:other"
    with container.views.transaction() as tx:
        tx.execute(
            f"INSERT INTO {LOCKS_TABLE} VALUES ({tx.p}, {tx.p}, {tx.p}, {tx.p})",
            ("buddies", holder, stamp, stamp),
        )
    code, out, err = hatched("projections", "rebuild")
    assert code == 3 and "buddies is already being rebuilt by" in err and holder in err
    assert stamp in err
    assert hatched("projections", "verify", "buddies")[0] == 0  # a rebuild does not stop it
    with container.views.transaction() as tx:  # another verify of the view does
        tx.execute(
            f"INSERT INTO {LOCKS_TABLE} VALUES ({tx.p}, {tx.p}, {tx.p}, {tx.p})",
            ("buddies:verify", holder, stamp, stamp),
        )
    code, out, err = hatched("projections", "verify", "buddies")
    assert code == 3 and holder in err
    assert container.views.positions() == positions
    code, out, _ = hatched("projections", "status")
    assert f"by {holder} since {stamp}" in out


def test_a_rebuild_killed_midway_is_finished_by_a_restarted_projector(
    container: Container, settings: Settings
) -> None:
    fill(container)
    env = environment(settings)
    command = [sys.executable, "-m", "interfaces.cli"]
    # --pause holds the rebuild after its first chunk, so the kill lands mid-way every time
    # (without it a fast machine finished the rebuild before the test could kill it).
    rebuild = subprocess.Popen(
        [*command, "projections", "rebuild", "--chunk", "5", "--pause", "600"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    shadows: dict[str, int] = {}
    deadline = time.monotonic() + WAIT_SECONDS
    while not any(shadows.values()) and time.monotonic() < deadline:
        positions = container.views.positions()
        shadows = {k: v for k, v in positions.items() if k.endswith("__rebuild")}
        time.sleep(0.01)
    rebuild.send_signal(signal.SIGKILL)
    rebuild.wait()
    head = container.store.head()
    assert rebuild.returncode == -signal.SIGKILL
    assert any(0 < position < head for position in shadows.values()), shadows
    assert Rebuilder(container.store, container.views, all_projections()).abandoned()

    projector = subprocess.Popen(
        [*command, "projector"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            locks = container.views.select(f"SELECT name FROM {LOCKS_TABLE}")
            copies = [k for k in container.views.positions() if k.endswith("__rebuild")]
            if not locks and not copies:
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"the projector did not finish the rebuild: {locks} {copies}")
    finally:
        projector.send_signal(signal.SIGTERM)
        output, _ = projector.communicate(timeout=30)
    assert projector.returncode == 0, output

    results = Rebuilder(container.store, container.views, all_projections()).verify(
        [p.name for p in all_projections()]
    )
    assert all(r.position == head and r.differences == [] for r in results), [
        (r.view, r.differences[:2]) for r in results
    ]


def test_status_names_every_reactor_the_container_runs(container: Container) -> None:
    reactors = {f.name for f in container.followers if f.projection is None}
    assert reactors == set(REACTOR_NAMES)

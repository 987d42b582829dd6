"""The ``hatched`` command as an operator meets it: version, help, which store, an empty log,
a database that is not there."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import psycopg
import pytest

from infrastructure.shared.settings import Settings
from interfaces.cli import CANNOT_OPEN_STORE, build_parser, main
from tests.integration.processes import ROOT
from tests.integration.test_projections_cli import Run, hatched  # noqa: F401 - the fixture


def test_version_names_the_installed_package(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"hatched {version('hatched')}"


def parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += parsers(sub)
    return found


def test_every_option_and_argument_has_help() -> None:
    undocumented = [
        f"{parser.prog} {action.dest}"
        for parser in parsers(build_parser())
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
        and not action.help
    ]
    assert undocumented == []


def test_status_on_an_empty_store_says_so_and_names_the_store(
    hatched: Run,  # noqa: F811
    settings: Settings,
) -> None:
    code, out, err = hatched("projections", "status")
    assert code == 0
    assert "the event log is empty" in out
    assert f"store: {settings.describe_store()}" in err


def test_the_store_description_never_shows_a_password() -> None:
    settings = Settings(database_url="postgresql://app:s3cret@db.internal:5433/hatched")
    assert settings.describe_store() == "PostgreSQL app@db.internal:5433/hatched"
    assert "s3cret" not in settings.describe_store()


MISSING_DATABASE = "postgresql://postgres@127.0.0.1:5432/hatched_does_not_exist"


def postgres_answers() -> bool:
    try:
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres"):
            return True
    except psycopg.Error:
        return False


@pytest.mark.parametrize("command", [["serve"], ["projections", "status"], ["worker"]])
def test_a_missing_database_is_one_line_saying_how_to_create_it(
    command: list[str], tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HATCHED_")}
    env |= {"HATCHED_DATABASE_URL": MISSING_DATABASE, "HATCHED_DATA_DIR": str(tmp_path)}
    env["HATCHED_REDIS_URL"] = "redis://127.0.0.1:6379/14"
    done = subprocess.run(
        [sys.executable, "-m", "interfaces.cli", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == CANNOT_OPEN_STORE, done
    assert "Traceback" not in done.stderr and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("hatched: ")
    if postgres_answers():  # without a server the line says the connection was refused
        assert line == (
            'hatched: PostgreSQL database "hatched_does_not_exist" does not exist on'
            " 127.0.0.1:5432; create it with: createdb -h 127.0.0.1 -p 5432 -U postgres"
            " hatched_does_not_exist"
        )
    else:
        assert line.startswith("hatched: cannot connect to PostgreSQL postgres@127.0.0.1")

"""The ``hatched`` command as an operator meets it: version, help, which store, an empty log."""

from __future__ import annotations

import argparse
from importlib.metadata import version

import pytest

from infrastructure.shared.settings import Settings
from interfaces.cli import build_parser, main
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

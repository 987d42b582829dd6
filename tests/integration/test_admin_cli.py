"""``hatched admin create``: the first admin, its password from standard input or a prompt,
never from an argument (decision 0051)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from infrastructure.shared.settings import Settings
from interfaces import admin_cli
from interfaces.cli import build_parser, main
from interfaces.container import build_container


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("HATCHED_DATABASE_URL", "HATCHED_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HATCHED_DATA_DIR", str(tmp_path))
    return tmp_path


def test_the_first_admin_is_created_with_a_password_from_stdin(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long admin passphrase\n"))
    assert main(["admin", "create", "--email", "Ops@Example.com", "--password-stdin"]) == 0
    assert "created super admin ops@example.com (adm_" in capsys.readouterr().out
    container = build_container(Settings.from_env())
    container.start()  # the followers: the audit index
    try:
        signed_in = container.admins.login("ops@example.com", "a long admin passphrase")
        assert signed_in.admin.role == "super"
        assert container.wait_for_views("admin_audit")
        rows = container.views.rows("view_admin_audit", {})
    finally:
        container.close()
    assert [(r["action"], r["actor_id"], r["outcome"]) for r in rows] == [
        ("admin_user.create", None, "succeeded")
    ]

    monkeypatch.setattr("sys.stdin", io.StringIO("a long admin passphrase\n"))
    again = main(["admin", "create", "--email", "ops@example.com", "--password-stdin"])
    assert again == admin_cli.REFUSED
    assert "already exists" in capsys.readouterr().err


def test_a_short_password_or_two_different_prompts_create_nobody(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["admin", "create", "--email", "a@example.com", "--password-stdin"]) == 1
    assert "password must be" in capsys.readouterr().err
    answers = iter(["first long passphrase", "second long passphrase"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["admin", "create", "--email", "a@example.com"]) == 1
    assert "differ" in capsys.readouterr().err


def test_the_password_is_never_an_argument() -> None:
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["admin", "create", "--email", "a@example.com", "--password", "x"])

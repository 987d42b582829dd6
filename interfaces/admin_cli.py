"""``hatched admin create --email … [--role super] [--name …] [--password-stdin]``.

How the first admin of an instance comes to be (and any admin, by whoever holds the
database): the password is read from a prompt (twice), or from standard input with
``--password-stdin`` — never from an argument, where it would sit in the shell's history
and the process list. The act is recorded in the audit trail with no actor (decision 0051).

Exit status: 0 created; 1 refused (the e-mail is taken, the password too short, the two
prompts differ).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from domain.admin.admin_user import ROLES
from domain.shared.errors import DomainError
from domain.shared.ids import public_id
from infrastructure.shared.settings import Settings

REFUSED = 1


def add_commands(commands: Any) -> None:
    admin = commands.add_parser("admin", help="manage the operators of this instance")
    actions = admin.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create an admin (the first one: a super admin)")
    create.add_argument("--email", required=True, help="the admin's e-mail, to sign in with")
    create.add_argument("--role", choices=ROLES, default="super", help="default: super")
    create.add_argument("--name", default=None, help="a display name")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )
    create.set_defaults(run=create_admin)


def read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        print("hatched: the passwords differ", file=sys.stderr)
        return None
    return first


def create_admin(args: argparse.Namespace) -> int:
    from interfaces.container import build_container

    password = read_password(args.password_stdin)
    if password is None:
        return REFUSED
    container = build_container(Settings.from_env())
    try:
        admin = container.admins.create(None, args.email, password, args.role, args.name)
    except DomainError as refused:
        print(f"hatched: {refused.message}", file=sys.stderr)
        return REFUSED
    finally:
        container.close()
    print(f"created {admin.role} admin {admin.email} ({public_id('admin_user', admin.id)})")
    return 0

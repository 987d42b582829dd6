"""An operator of the instance: not a customer, with a role, an e-mail and a password hash.

Roles are ranked: ``support`` reads everything an operator sees and changes nothing;
``operator`` also corrects customers (profile, plan, quota, features, keys, soft delete) and
impersonates them; ``super`` also manages admin users. Each admin route names the least role
it needs (``require_role``). An admin is never deleted, only deactivated: its audit trail
keeps naming it. Its sign-ins are numbered by ``session``: signing out raises the number,
which ends every token issued before (a token carries the number it was issued under).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import DomainError, Unauthorized
from domain.shared.ids import natural_id

Role = Literal["support", "operator", "super"]
ROLES: Final[tuple[Role, ...]] = ("support", "operator", "super")
"""Least to most: each role may do everything the roles before it may."""


def rank(role: str) -> int:
    return [str(r) for r in ROLES].index(role)


def require_role(role: str, needed: Role) -> None:
    """Refuse (403 ``forbidden``) an admin whose role is below ``needed``."""
    if rank(role) < rank(needed):
        raise DomainError(
            "forbidden",
            f"this needs the {needed} admin role or higher (this admin is {role})",
            {"required_role": needed, "role": role},
        )


def admin_email_id(email: str) -> UUID:
    """The id of the claim on a normalised e-mail: one admin per address."""
    return natural_id("admin_email", email.strip().lower())


ADMIN_DIRECTORY_ID: Final = natural_id("admin_directory", "instance")


class AdminUser(Aggregate):
    class Created(Aggregate.Created):
        email: str
        name: str | None
        role: str
        password_hash: str

    @event(Created)
    def __init__(
        self,
        *,
        id: UUID,
        email: str,
        name: str | None,
        role: str,
        password_hash: str,
        timestamp: datetime,
    ) -> None:
        self.email = email
        self.name = name
        self.role = role
        self.password_hash = password_hash
        self.active = True
        self.session = 0

    def profile(self) -> dict[str, Any]:
        """What an admin sees of another admin (never the hash): the audit's before/after."""
        return {"email": self.email, "name": self.name, "role": self.role, "active": self.active}

    class Changed(Aggregate.Event):
        changes: dict[str, Any]

    @event(Changed)
    def change(self, *, changes: dict[str, Any], timestamp: datetime) -> None:
        """Change ``name``, ``role`` or ``active`` (a deactivation also ends its sign-ins)."""
        for name, value in changes.items():
            setattr(self, name, value)
        if changes.get("active") is False:
            self.session += 1

    class PasswordChanged(Aggregate.Event):
        password_hash: str

    @event(PasswordChanged)
    def change_password(self, *, password_hash: str, timestamp: datetime) -> None:
        self.password_hash = password_hash
        self.session += 1

    class SignedOut(Aggregate.Event):
        pass

    @event(SignedOut)
    def sign_out(self, *, timestamp: datetime) -> None:
        self.session += 1

    def check_token(self, session: int) -> None:
        """A token issued under ``session`` still opens the admin API, or ``revoked``."""
        if not self.active:
            raise Unauthorized("revoked", "this admin account was deactivated")
        if session != self.session:
            raise Unauthorized("revoked", "this admin token was signed out; sign in again")


class AdminEmail(Aggregate):
    """An e-mail claimed by one admin (id ``admin_email_id``): a second claim fails in the
    database, so two admins can never share an address."""

    class Claimed(Aggregate.Created):
        admin_id: UUID

    @event(Claimed)
    def __init__(self, *, id: UUID, admin_id: UUID, timestamp: datetime) -> None:
        self.admin_id = admin_id


class AdminDirectory(Aggregate):
    """Every admin of the instance (id ``ADMIN_DIRECTORY_ID``): the list route reads it, and
    every change of who is an active ``super`` saves it, so two such changes cannot race past
    the rule that one active super admin always remains."""

    class Opened(Aggregate.Created):
        pass

    @event(Opened)
    def __init__(self, *, id: UUID, timestamp: datetime) -> None:
        self.admin_ids: list[UUID] = []
        self.active_supers: list[UUID] = []

    class AdminListed(Aggregate.Event):
        admin_id: UUID

    @event(AdminListed)
    def add(self, *, admin_id: UUID, timestamp: datetime) -> None:
        self.admin_ids = [*self.admin_ids, admin_id]

    class ActiveSupersChanged(Aggregate.Event):
        active_supers: list[UUID]

    @event(ActiveSupersChanged)
    def change_active_supers(self, *, active_supers: list[UUID], timestamp: datetime) -> None:
        """The admins who are now active ``super``s (never none once the first exists)."""
        self.active_supers = active_supers

    def supers_after(self, admin_id: UUID, is_active_super: bool) -> list[UUID]:
        """The active supers once ``admin_id`` is (or is no longer) one; refused with
        ``last_super_admin`` when none would remain."""
        others = [a for a in self.active_supers if a != admin_id]
        after = [*others, admin_id] if is_active_super else others
        if not after:
            raise DomainError(
                "last_super_admin",
                "the last active super admin cannot be demoted or deactivated; "
                "promote another admin to super first",
            )
        return after

"""Admin identities: sign-in, the admin's own profile, and the super admin's management of
the other admins (decision 0051). Every write goes through the ``Auditor``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.admin.audit import AdminCaller, Auditor, Change, Target
from application.shared.ports import AdminTokens, Clock, Digest, PasswordHasher, RateLimits, Secrets
from application.shared.quotas import LOGIN, take
from application.shared.store import EventStore
from domain.accounts.customer_email import normalise_email
from domain.admin.admin_user import (
    ADMIN_DIRECTORY_ID,
    ROLES,
    AdminDirectory,
    AdminEmail,
    AdminUser,
    admin_email_id,
    require_role,
)
from domain.shared.errors import DomainError, Unauthorized
from domain.shared.ids import public_id

INVALID_CREDENTIALS = "invalid email or password"
PASSWORD_LENGTH = (12, 256)
"""Admin passwords: at least 12 characters (they open every customer's data)."""


@dataclass(frozen=True)
class AdminSignIn:
    token: str
    expires_at: datetime
    admin: AdminUser


def check_password(password: str) -> None:
    low, high = PASSWORD_LENGTH
    if not low <= len(password) <= high:
        raise DomainError(
            "validation_failed",
            f"password must be {low} to {high} characters",
            {"fields": [{"field": "password", "reason": f"must be {low} to {high} characters"}]},
        )


def check_role(role: str) -> None:
    if role not in ROLES:
        raise DomainError(
            "validation_failed",
            f"role must be one of {', '.join(ROLES)}",
            {"fields": [{"field": "role", "reason": f"one of {', '.join(ROLES)}"}]},
        )


class Admins:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        secrets: Secrets,
        hasher: PasswordHasher,
        tokens: AdminTokens,
        digest: Digest,
        limits: RateLimits,
        auditor: Auditor,
    ) -> None:
        self._store = store
        self._clock = clock
        self._secrets = secrets
        self._hasher = hasher
        self._tokens = tokens
        self._digest = digest
        self._limits = limits
        self._audit = auditor
        self._unknown_hash: str | None = None

    # -- sign-in --------------------------------------------------------------

    def login(self, email: str, password: str) -> AdminSignIn:
        """An admin token for the right password of an active admin; ``unauthorized``
        (``invalid_credentials``) for anything else, after the same Argon2 work. Counted per
        e-mail in the login quota (and per address at the edge)."""
        email = normalise_email(email)
        take(self._limits, LOGIN, f"admin:{self._digest(email)}")
        claim = self._store.find(AdminEmail, admin_email_id(email))
        admin = self._store.find(AdminUser, claim.admin_id) if claim else None
        if admin is None:
            self._hasher.verify(self._unknown_password_hash(), password)
            raise Unauthorized("invalid_credentials", INVALID_CREDENTIALS)
        if not self._hasher.verify(admin.password_hash, password) or not admin.active:
            raise Unauthorized("invalid_credentials", INVALID_CREDENTIALS)
        token, expires_at = self._tokens.issue(admin.id, admin.session, self._clock.now())
        return AdminSignIn(token, expires_at, admin)

    def _unknown_password_hash(self) -> str:
        if self._unknown_hash is None:
            self._unknown_hash = self._hasher.hash(self._secrets.token("unknown-", 32))
        return self._unknown_hash

    def authenticate(self, token: str, request_id: str | None) -> AdminCaller:
        """The admin of a good token, still active and still signed in; else 401."""
        admin_id, session = self._tokens.verify(token)
        admin = self._store.find(AdminUser, admin_id)
        if admin is None:
            raise Unauthorized("invalid", "this token's admin does not exist")
        admin.check_token(session)
        return AdminCaller(admin.id, admin.email, admin.role, request_id)

    def logout(self, caller: AdminCaller) -> None:
        """End every token of this admin issued so far (its sign-in number moves on)."""

        def attempt() -> Change[None]:
            admin = self.admin(caller.admin_id)
            admin.sign_out(timestamp=self._clock.now())
            return Change(None, None, None, [admin])

        target = Target("admin_user", public_id("admin_user", caller.admin_id))
        self._audit.act(caller, "admin.logout", target, "support", attempt)

    # -- admins ---------------------------------------------------------------

    def admin(self, admin_id: UUID) -> AdminUser:
        return self._store.load(
            AdminUser, admin_id, "admin user", public_id("admin_user", admin_id)
        )

    def me(self, caller: AdminCaller) -> AdminUser:
        return self.admin(caller.admin_id)

    def list(self, caller: AdminCaller) -> list[AdminUser]:
        """Every admin, oldest first (super admins only)."""
        require_role(caller.role, "super")
        directory = self._store.find(AdminDirectory, ADMIN_DIRECTORY_ID)
        return [self.admin(admin_id) for admin_id in (directory.admin_ids if directory else [])]

    def create(
        self,
        caller: AdminCaller | None,
        email: str,
        password: str,
        role: str,
        name: str | None = None,
    ) -> AdminUser:
        """A new admin (``caller`` ``None``: from the command line, which needs no role).
        A taken e-mail is ``conflict`` (for a super admin: anyone else is ``forbidden``)."""
        email = normalise_email(email)
        target = Target("admin_user", None)
        check_role(role)
        check_password(password)
        password_hash = self._hasher.hash(password)

        def attempt() -> Change[AdminUser]:
            if self._store.find(AdminEmail, admin_email_id(email)) is not None:
                raise DomainError(
                    "conflict", "an admin with this email already exists", {"field": "email"}
                )
            now = self._clock.now()
            directory = self._store.find(AdminDirectory, ADMIN_DIRECTORY_ID)
            if directory is None:
                directory = AdminDirectory(id=ADMIN_DIRECTORY_ID, timestamp=now)
            admin = AdminUser(
                id=self._secrets.uuid(),
                email=email,
                name=name,
                role=role,
                password_hash=password_hash,
                timestamp=now,
            )
            claim = AdminEmail(id=admin_email_id(email), admin_id=admin.id, timestamp=now)
            directory.add(admin_id=admin.id, timestamp=now)
            if role == "super":
                supers = directory.supers_after(admin.id, True)
                directory.change_active_supers(active_supers=supers, timestamp=now)
            return Change(
                admin,
                None,
                admin.profile(),
                [directory, admin, claim],
                target_id=public_id("admin_user", admin.id),
            )

        # Only after the role check (``act``), so a lower role cannot probe which e-mails
        # are admins'. A claim racing past it fails in the database and is re-checked.
        return self._audit.act(caller, "admin_user.create", target, "super", attempt)

    def update(
        self, caller: AdminCaller, admin_id: UUID, changes: dict[str, Any], password: str | None
    ) -> AdminUser:
        """Change another admin's (or one's own) name, role or activity, or password. One
        active super admin always remains (``last_super_admin``)."""
        if "role" in changes:
            check_role(changes["role"])
        if password is not None:
            check_password(password)
        password_hash = self._hasher.hash(password) if password is not None else None
        target = Target("admin_user", public_id("admin_user", admin_id))

        def attempt() -> Change[AdminUser]:
            now = self._clock.now()
            admin = self.admin(admin_id)
            before = admin.profile()
            changed = {k: v for k, v in changes.items() if getattr(admin, k) != v}
            touched: list[Any] = [admin]
            if changed:
                was_super = admin.active and admin.role == "super"
                admin.change(changes=changed, timestamp=now)
                is_super = admin.active and admin.role == "super"
                if was_super != is_super:
                    directory = self._store.load(
                        AdminDirectory, ADMIN_DIRECTORY_ID, "admin directory", "instance"
                    )
                    supers = directory.supers_after(admin.id, is_super)
                    directory.change_active_supers(active_supers=supers, timestamp=now)
                    touched.append(directory)
            if password_hash is not None:
                admin.change_password(password_hash=password_hash, timestamp=now)
            after = admin.profile()
            if password_hash is not None:
                after = {**after, "password": "changed"}
            return Change(admin, before, after, touched)

        action = "admin_user.deactivate" if changes == {"active": False} else "admin_user.update"
        return self._audit.act(caller, action, target, "super", attempt, line=admin_id)

    def deactivate(self, caller: AdminCaller, admin_id: UUID) -> AdminUser:
        return self.update(caller, admin_id, {"active": False}, None)

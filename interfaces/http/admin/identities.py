"""``/admin/auth`` and ``/admin/users``: admins sign in, see themselves, and the super admin
manages the others (decision 0051)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from application.admin.admins import Admins
from domain.admin.admin_user import AdminUser
from domain.shared.ids import parse_public_id, public_id
from domain.shared.text_patterns import EMAIL
from interfaces.http.admin_auth import ADMIN_DEPENDENCIES, AdminAuth
from interfaces.http.body import Model
from interfaces.http.pagination import Listing
from interfaces.http.routing import Access, Limit, delete, get, patch, post

AdminRole = Literal["support", "operator", "super"]
Email = Annotated[str, msgspec.Meta(pattern=EMAIL.regex, max_length=254)]
AdminPassword = Annotated[str, msgspec.Meta(min_length=12, max_length=256)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]

ADMIN_WRITE_REFUSALS = ("conflict", "last_super_admin")
"""A write that kept losing a race; the last active super admin demoted or deactivated."""


class AdminLoginRequest(Model):
    email: Annotated[str, msgspec.Meta(max_length=254)]
    password: Annotated[str, msgspec.Meta(max_length=256)]


class AdminView(msgspec.Struct):
    id: str
    email: str
    name: str | None
    role: str
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, admin: AdminUser) -> AdminView:
        return cls(
            id=public_id("admin_user", admin.id),
            email=admin.email,
            name=admin.name,
            role=admin.role,
            active=admin.active,
            created_at=admin.created_on,
        )


class AdminTokenResponse(msgspec.Struct):
    token: str
    expires_at: datetime
    admin: AdminView


class LoggedOut(msgspec.Struct):
    signed_out: bool


class CreateAdminRequest(Model):
    email: Email
    password: AdminPassword
    role: AdminRole
    name: Name | None = None


class UpdateAdminRequest(Model):
    name: Name | None = None
    role: AdminRole | None = None
    active: bool | None = None
    password: AdminPassword | None = None


class AdminAuthController(Controller):
    path = "/admin/auth"
    tags = ["admin"]
    dependencies = ADMIN_DEPENDENCIES

    @post(
        "/login",
        access=Access.PUBLIC,
        body=AdminLoginRequest,
        errors=("unauthorized",),
        limit=Limit.AUTH,
        status_code=200,
        summary="Admin sign-in: an admin token",
    )
    def login(
        self, admins: NamedDependency[Admins], data: JSONBody[AdminLoginRequest]
    ) -> AdminTokenResponse:
        """Throttled per client address and per e-mail (429 ``rate_limited``). A wrong
        password, an unknown e-mail and a deactivated admin answer alike."""
        signed_in = admins.login(data.email, data.password)
        return AdminTokenResponse(
            signed_in.token, signed_in.expires_at, AdminView.of(signed_in.admin)
        )

    @post(
        "/logout",
        access=Access.ADMIN,
        errors=("conflict",),
        limit=Limit.NONE,
        status_code=200,
        summary="Sign out: every admin token of this admin stops working",
    )
    def logout(self, admin: AdminAuth, admins: NamedDependency[Admins]) -> LoggedOut:
        admins.logout(admin)
        return LoggedOut(True)

    @get("/me", access=Access.ADMIN, limit=Limit.NONE, summary="The calling admin")
    def me(self, admin: AdminAuth, admins: NamedDependency[Admins]) -> AdminView:
        return AdminView.of(admins.me(admin))


class AdminUserController(Controller):
    path = "/admin/users"
    tags = ["admin"]
    dependencies = ADMIN_DEPENDENCIES

    @get(access=Access.ADMIN, limit=Limit.NONE, summary="List admin users (super only)")
    def list_admins(self, admin: AdminAuth, admins: NamedDependency[Admins]) -> Listing[AdminView]:
        return Listing([AdminView.of(a) for a in admins.list(admin)])

    @post(
        access=Access.ADMIN,
        body=CreateAdminRequest,
        errors=ADMIN_WRITE_REFUSALS,
        limit=Limit.NONE,
        status_code=201,
        summary="Create an admin user (super only)",
    )
    def create_admin(
        self,
        admin: AdminAuth,
        admins: NamedDependency[Admins],
        data: JSONBody[CreateAdminRequest],
    ) -> AdminView:
        created = admins.create(admin, data.email, data.password, data.role, data.name)
        return AdminView.of(created)

    @patch(
        "/{admin_id:str}",
        access=Access.ADMIN,
        body=UpdateAdminRequest,
        errors=ADMIN_WRITE_REFUSALS,
        limit=Limit.NONE,
        summary="Update an admin user: name, role, active, password (super only)",
    )
    def update_admin(
        self,
        admin: AdminAuth,
        admins: NamedDependency[Admins],
        admin_id: FromPath[str],
        data: JSONBody[UpdateAdminRequest],
    ) -> AdminView:
        uuid = parse_public_id("admin_user", admin_id)
        changes = {
            k: v
            for k, v in msgspec.structs.asdict(data).items()
            if v is not None and k != "password"
        }
        return AdminView.of(admins.update(admin, uuid, changes, data.password))

    @delete(
        "/{admin_id:str}",
        access=Access.ADMIN,
        errors=ADMIN_WRITE_REFUSALS,
        limit=Limit.NONE,
        status_code=200,
        summary="Deactivate an admin user: its tokens stop working (super only)",
    )
    def deactivate_admin(
        self, admin: AdminAuth, admins: NamedDependency[Admins], admin_id: FromPath[str]
    ) -> AdminView:
        uuid = parse_public_id("admin_user", admin_id)
        return AdminView.of(admins.deactivate(admin, uuid))

"""Registration, login, the caller's profile and its API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from litestar import Controller, Request, Response
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from application.accounts.accounts import Accounts, IssuedKey
from domain.accounts.api_key import ApiKey
from domain.accounts.customer import Customer
from domain.shared.ids import parse_public_id, public_id
from domain.shared.text_patterns import EMAIL
from interfaces.http.auth import Caller
from interfaces.http.body import Model
from interfaces.http.routing import Access, Limit, delete, get, patch, post

Email = Annotated[str, msgspec.Meta(pattern=EMAIL.regex, max_length=254)]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=256)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]

DEVICE_COOKIE = "hatched_device"
DEVICE_COOKIE_DAYS = 30


class RegisterRequest(Model):
    email: Email
    password: Password
    company_name: Name


class LoginRequest(Model):
    email: Annotated[str, msgspec.Meta(max_length=254)]
    password: Annotated[str, msgspec.Meta(max_length=256)]


class CustomerView(msgspec.Struct):
    id: str
    email: str
    company_name: str
    plan: str
    created_at: datetime
    settings: dict[str, Any]

    @classmethod
    def of(cls, customer: Customer) -> CustomerView:
        return cls(
            id=public_id("customer", customer.id),
            email=customer.email,
            company_name=customer.company_name,
            plan=customer.plan,
            created_at=customer.created_on,
            settings=customer.settings,
        )


class RegisterResponse(msgspec.Struct):
    customer: CustomerView
    token: str
    expires_at: datetime


class TokenResponse(msgspec.Struct):
    token: str
    expires_at: datetime


class CreateKeyRequest(Model):
    mode: Literal["live", "test"] = "live"
    name: Name | None = None


class KeyFields(msgspec.Struct, kw_only=True):
    """What a key answer always says about the key; never its secret."""

    id: str
    kind: str
    mode: str
    prefix: str
    name: str | None
    scopes: list[str]
    created_at: datetime


class KeyView(KeyFields, kw_only=True):
    revoked_at: datetime | None


class IssuedKeyView(KeyFields, kw_only=True):
    """A key as it is created: the one time its secret (``key``) is shown."""

    key: str


class KeyList(msgspec.Struct):
    data: list[KeyView]


K = TypeVar("K", bound=KeyFields)


def key_state_view(key: ApiKey) -> KeyView:
    return _key_view(KeyView, key, revoked_at=key.revoked_at)


def issued_key_view(issued: IssuedKey) -> IssuedKeyView:
    return _key_view(IssuedKeyView, issued.key, key=issued.secret)


def _key_view(shape: type[K], api_key: ApiKey, **extra: Any) -> K:
    return shape(
        id=public_id("api_key", api_key.id),
        kind=api_key.kind,
        mode=api_key.mode,
        prefix=api_key.prefix,
        name=api_key.name,
        scopes=api_key.scopes,
        created_at=api_key.created_on,
        **extra,
    )


class UpdateProfileRequest(Model):
    company_name: Name | None = None


class UpdateSettingsRequest(Model):
    max_active_eggs_per_user: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    strict_event_types: bool | None = None
    creature_style: Literal["cute", "sci-fi", "fantasy", "minimal"] | None = None
    widget_theme: Literal["light", "dark"] | None = None
    capabilities: dict[Annotated[str, msgspec.Meta(max_length=64)], bool] | None = None
    """Features to switch off (``false``) or on again; those not named keep their switch."""


def _set_fields(data: msgspec.Struct) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}


KEY_REFUSALS = ("conflict",)
"""Issuing a key records it on the customer; ``conflict`` when competing writes outlast the
server's retries (decision 0020)."""


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post(
        "/register",
        access=Access.PUBLIC,
        body=RegisterRequest,
        errors=("conflict",),
        limit=Limit.AUTH,
        status_code=201,
        summary="Create a customer account",
    )
    def register(
        self,
        accounts: NamedDependency[Accounts],
        data: JSONBody[RegisterRequest],
    ) -> RegisterResponse:
        customer, token, expires_at = accounts.register(
            data.email, data.password, data.company_name
        )
        return RegisterResponse(CustomerView.of(customer), token, expires_at)

    @post(
        "/login",
        access=Access.PUBLIC,
        body=LoginRequest,
        errors=("unauthorized",),
        limit=Limit.AUTH,
        status_code=200,
        summary="Get a dashboard token",
    )
    def login(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[Accounts],
        data: JSONBody[LoginRequest],
    ) -> Response[TokenResponse]:
        """Throttled per client address and per e-mail (429 ``rate_limited``, ``Retry-After``).
        The ``hatched_device`` cookie it sets lets this browser sign in even while someone
        else's failures hold the e-mail back (decision 0019)."""
        signed_in = accounts.login(data.email, data.password, request.cookies.get(DEVICE_COOKIE))
        device = Cookie(
            key=DEVICE_COOKIE,
            value=signed_in.device_token,
            max_age=DEVICE_COOKIE_DAYS * 86400,
            path=request.url.path,
            httponly=True,
            secure=request.url.scheme == "https",
            samesite="strict",
        )
        return Response(TokenResponse(signed_in.token, signed_in.expires_at), cookies=[device])

    @get("/me", access=Access.READABLE, summary="The calling customer")
    def me(self, principal: Caller, accounts: NamedDependency[Accounts]) -> CustomerView:
        return CustomerView.of(accounts.customer(principal.customer_id))

    @post(
        "/api-keys",
        access=Access.DASHBOARD,
        body=CreateKeyRequest,
        errors=KEY_REFUSALS,
        status_code=201,
        summary="Create a secret API key (shown once)",
    )
    def create_key(
        self,
        principal: Caller,
        accounts: NamedDependency[Accounts],
        data: JSONBody[CreateKeyRequest],
    ) -> IssuedKeyView:
        issued = accounts.create_key(principal.customer_id, data.mode, data.name, "secret")
        return issued_key_view(issued)

    @get("/api-keys", access=Access.DASHBOARD, summary="List API keys (no secrets)")
    def list_keys(self, principal: Caller, accounts: NamedDependency[Accounts]) -> KeyList:
        keys = accounts.keys(principal.customer_id)
        return KeyList([key_state_view(key) for key in keys])

    @delete(
        "/api-keys/{key_id:str}",
        access=Access.DASHBOARD,
        status_code=200,
        summary="Revoke an API key at once",
    )
    def revoke_key(
        self, principal: Caller, accounts: NamedDependency[Accounts], key_id: FromPath[str]
    ) -> KeyView:
        uuid = parse_public_id("api_key", key_id)
        return key_state_view(accounts.revoke_key(principal.customer_id, key_id, uuid))

    @post(
        "/api-keys/rotate",
        access=Access.DASHBOARD,
        body=CreateKeyRequest,
        errors=KEY_REFUSALS,
        status_code=201,
        summary="Revoke every secret key of a mode and return one new key",
    )
    def rotate_keys(
        self,
        principal: Caller,
        accounts: NamedDependency[Accounts],
        data: JSONBody[CreateKeyRequest],
    ) -> IssuedKeyView:
        return issued_key_view(accounts.rotate_keys(principal.customer_id, data.mode, data.name))

    @post(
        "/publishable-keys",
        access=Access.DASHBOARD,
        body=CreateKeyRequest,
        errors=KEY_REFUSALS,
        status_code=201,
        summary="Create a publishable key for browsers (read buddies, mint embed tokens)",
    )
    def create_publishable_key(
        self,
        principal: Caller,
        accounts: NamedDependency[Accounts],
        data: JSONBody[CreateKeyRequest],
    ) -> IssuedKeyView:
        issued = accounts.create_key(principal.customer_id, data.mode, data.name, "publishable")
        return issued_key_view(issued)


class CustomerController(Controller):
    path = "/customers/me"
    tags = ["customers"]

    @get("/", access=Access.SECRET, summary="The calling customer's profile")
    def get_profile(self, principal: Caller, accounts: NamedDependency[Accounts]) -> CustomerView:
        return CustomerView.of(accounts.customer(principal.customer_id))

    @patch(
        "/",
        access=Access.SECRET,
        body=UpdateProfileRequest,
        errors=("conflict",),
        summary="Update the profile",
    )
    def update_profile(
        self,
        principal: Caller,
        accounts: NamedDependency[Accounts],
        data: JSONBody[UpdateProfileRequest],
    ) -> CustomerView:
        changed = accounts.update_profile(principal.customer_id, _set_fields(data))
        return CustomerView.of(changed)

    @patch(
        "/settings",
        access=Access.SECRET,
        body=UpdateSettingsRequest,
        errors=("conflict",),
        summary="Update settings",
    )
    def update_settings(
        self,
        principal: Caller,
        accounts: NamedDependency[Accounts],
        data: JSONBody[UpdateSettingsRequest],
    ) -> CustomerView:
        changed = accounts.update_settings(principal.customer_id, _set_fields(data))
        return CustomerView.of(changed)

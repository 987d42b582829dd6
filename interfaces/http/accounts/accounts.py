"""Registration, login, the caller's profile and its API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, JSONBody

from application.accounts.accounts import IssuedKey
from domain.accounts.api_key import ApiKey
from domain.accounts.customer import Customer
from domain.shared.ids import parse_public_id, public_id
from interfaces.http.auth import DASHBOARD_ONLY, Caller, container_of
from interfaces.http.body import Model, StrictBody
from interfaces.http.client_address import client_address

Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
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


class KeyView(msgspec.Struct):
    id: str
    kind: str
    mode: str
    prefix: str
    name: str | None
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyView:
        return cls(
            id=public_id("api_key", key.id),
            kind=key.kind,
            mode=key.mode,
            prefix=key.prefix,
            name=key.name,
            scopes=key.scopes,
            created_at=key.created_on,
            revoked_at=key.revoked_at,
        )


class IssuedKeyView(msgspec.Struct):
    id: str
    key: str
    kind: str
    mode: str
    prefix: str
    name: str | None
    scopes: list[str]
    created_at: datetime


class UpdateProfileRequest(Model):
    company_name: Name | None = None


class UpdateSettingsRequest(Model):
    max_active_eggs_per_user: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    strict_event_types: bool | None = None
    creature_style: Literal["cute", "sci-fi", "fantasy", "minimal"] | None = None
    widget_theme: Literal["light", "dark"] | None = None


def _issued_view(issued: IssuedKey) -> IssuedKeyView:
    view = KeyView.of(issued.key)
    return IssuedKeyView(
        id=view.id,
        key=issued.secret,
        kind=view.kind,
        mode=view.mode,
        prefix=view.prefix,
        name=view.name,
        scopes=view.scopes,
        created_at=view.created_at,
    )


def _create_key(
    request: Request[Any, Any, Any], principal: Caller, data: CreateKeyRequest, kind: str
) -> IssuedKeyView:
    accounts = container_of(request).accounts
    return _issued_view(accounts.create_key(principal.customer_id, data.mode, data.name, kind))


def _set_fields(data: msgspec.Struct) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post(
        "/register",
        dto=StrictBody[RegisterRequest],
        return_dto=None,
        sync_to_thread=True,
        status_code=201,
        summary="Create a customer account",
    )
    def register(
        self, request: Request[Any, Any, Any], data: JSONBody[RegisterRequest]
    ) -> RegisterResponse:
        customer, token, expires_at = container_of(request).accounts.register(
            data.email, data.password, data.company_name, client_address(request)
        )
        return RegisterResponse(CustomerView.of(customer), token, expires_at)

    @post(
        "/login",
        dto=StrictBody[LoginRequest],
        return_dto=None,
        sync_to_thread=True,
        status_code=200,
        summary="Get a dashboard token",
    )
    def login(
        self, request: Request[Any, Any, Any], data: JSONBody[LoginRequest]
    ) -> Response[TokenResponse]:
        """Throttled per client address and per e-mail (429 ``rate_limited``, ``Retry-After``).
        The ``hatched_device`` cookie it sets lets this browser sign in even while someone
        else's failures hold the e-mail back (decision 0019)."""
        signed_in = container_of(request).accounts.login(
            data.email,
            data.password,
            client_address(request),
            request.cookies.get(DEVICE_COOKIE),
        )
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

    @get("/me", sync_to_thread=True, opt={"publishable": True}, summary="The calling customer")
    def me(self, request: Request[Any, Any, Any], principal: Caller) -> CustomerView:
        return CustomerView.of(container_of(request).accounts.customer(principal.customer_id))

    @post(
        "/api-keys",
        dto=StrictBody[CreateKeyRequest],
        return_dto=None,
        sync_to_thread=True,
        status_code=201,
        opt=DASHBOARD_ONLY,
        summary="Create a secret API key (shown once)",
    )
    def create_key(
        self, request: Request[Any, Any, Any], principal: Caller, data: JSONBody[CreateKeyRequest]
    ) -> IssuedKeyView:
        return _create_key(request, principal, data, "secret")

    @get("/api-keys", sync_to_thread=True, opt=DASHBOARD_ONLY, summary="List API keys (no secrets)")
    def list_keys(
        self, request: Request[Any, Any, Any], principal: Caller
    ) -> dict[str, list[KeyView]]:
        keys = container_of(request).accounts.keys(principal.customer_id)
        return {"data": [KeyView.of(key) for key in keys]}

    @delete(
        "/api-keys/{key_id:str}",
        sync_to_thread=True,
        status_code=200,
        opt=DASHBOARD_ONLY,
        summary="Revoke an API key at once",
    )
    def revoke_key(
        self, request: Request[Any, Any, Any], principal: Caller, key_id: FromPath[str]
    ) -> KeyView:
        uuid = parse_public_id("api_key", key_id)
        key = container_of(request).accounts.revoke_key(principal.customer_id, key_id, uuid)
        return KeyView.of(key)

    @post(
        "/api-keys/rotate",
        dto=StrictBody[CreateKeyRequest],
        return_dto=None,
        sync_to_thread=True,
        status_code=201,
        opt=DASHBOARD_ONLY,
        summary="Revoke every secret key of a mode and return one new key",
    )
    def rotate_keys(
        self, request: Request[Any, Any, Any], principal: Caller, data: JSONBody[CreateKeyRequest]
    ) -> IssuedKeyView:
        accounts = container_of(request).accounts
        return _issued_view(accounts.rotate_keys(principal.customer_id, data.mode, data.name))

    @post(
        "/publishable-keys",
        dto=StrictBody[CreateKeyRequest],
        return_dto=None,
        sync_to_thread=True,
        status_code=201,
        opt=DASHBOARD_ONLY,
        summary="Create a publishable key for browsers (read buddies, mint embed tokens)",
    )
    def create_publishable_key(
        self, request: Request[Any, Any, Any], principal: Caller, data: JSONBody[CreateKeyRequest]
    ) -> IssuedKeyView:
        return _create_key(request, principal, data, "publishable")


class CustomerController(Controller):
    path = "/customers/me"
    tags = ["customers"]

    @get("/", sync_to_thread=True, summary="The calling customer's profile")
    def get_profile(self, request: Request[Any, Any, Any], principal: Caller) -> CustomerView:
        return CustomerView.of(container_of(request).accounts.customer(principal.customer_id))

    @patch(
        "/",
        dto=StrictBody[UpdateProfileRequest],
        return_dto=None,
        sync_to_thread=True,
        summary="Update the profile",
    )
    def update_profile(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        data: JSONBody[UpdateProfileRequest],
    ) -> CustomerView:
        customer = container_of(request).accounts.update_profile(
            principal.customer_id, _set_fields(data)
        )
        return CustomerView.of(customer)

    @patch(
        "/settings",
        dto=StrictBody[UpdateSettingsRequest],
        return_dto=None,
        sync_to_thread=True,
        summary="Update settings",
    )
    def update_settings(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        data: JSONBody[UpdateSettingsRequest],
    ) -> CustomerView:
        customer = container_of(request).accounts.update_settings(
            principal.customer_id, _set_fields(data)
        )
        return CustomerView.of(customer)

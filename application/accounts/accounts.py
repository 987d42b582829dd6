"""Use cases for customer accounts and their credentials."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application.accounts.principal import Principal
from application.shared.ports import (
    Clock,
    DashboardTokens,
    DeviceTokens,
    Digest,
    PasswordHasher,
    RateLimits,
    Secrets,
)
from application.shared.quotas import LOGIN, take
from application.shared.store import EventStore, retry_on_conflict
from application.shared.ttl_cache import TtlCache
from domain.accounts.api_key import PUBLISHABLE_SCOPES, ApiKey
from domain.accounts.audiences import AUDIENCES_SETTING, declared, replaced
from domain.accounts.customer import SETTING_TYPES, Customer
from domain.accounts.customer_email import CustomerEmail, email_claim_id, normalise_email
from domain.accounts.plans import FEATURES, PLANS
from domain.credits.credit_account import open_credit_account
from domain.shared.errors import DomainError, NotFound, Unauthorized
from domain.shared.ids import natural_id, public_id
from domain.shared.tenancy import Mode

SECRET_PREFIXES: dict[str, str] = {"live": "hatch_live_", "test": "hatch_test_"}
PUBLISHABLE_PREFIX = "hatch_pk_"
SHOWN_PREFIX_LENGTH = 16
INVALID_CREDENTIALS = "invalid email or password"
CLOSED = "this account was closed; its credentials no longer work"
ENTITLEMENTS_MAX_AGE = timedelta(seconds=1)
"""How old a plan change may be before every process's requests see it."""
KEY_CACHE_TTL = timedelta(seconds=1)
"""How long a successful API key lookup is reused. A revocation clears it in this process at
once; another API process may accept the revoked key for at most this long."""


@dataclass(frozen=True)
class SignIn:
    token: str
    expires_at: datetime
    device_token: str
    """Lets this browser's later logins past an attack on its e-mail (decision 0019)."""


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str


def api_key_id(secret: str, digest: Digest) -> UUID:
    return natural_id("api_key", digest(secret))


class Accounts:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        hasher: PasswordHasher,
        secrets: Secrets,
        tokens: DashboardTokens,
        digest: Digest,
        limits: RateLimits,
        devices: DeviceTokens,
    ) -> None:
        self._store = store
        self._clock = clock
        self._hasher = hasher
        self._secrets = secrets
        self._tokens = tokens
        self._digest = digest
        self._limits = limits
        self._devices = devices
        self._keys: TtlCache[Principal] = TtlCache(clock, KEY_CACHE_TTL)
        self._unknown_hash: str | None = None

    # -- registration and login -------------------------------------------------

    def register(
        self, email: str, password: str, company_name: str
    ) -> tuple[Customer, str, datetime]:
        """A new account, on the ``starter`` plan, with its credit account and the plan's
        welcome credits (20 on ``starter``; decision 0048), all in one transaction.

        A taken e-mail is ``conflict`` as the contract says, after the same Argon2 work as a
        success, so only the answer tells it, at the pace of the auth burst bucket the HTTP
        edge counts per client address (decisions 0019, 0039).
        """
        now = self._clock.now()
        email = normalise_email(email)
        customer = Customer(
            id=self._secrets.uuid(),
            email=email,
            password_hash=self._hasher.hash(password),
            company_name=company_name,
            timestamp=now,
        )
        claim = CustomerEmail(id=email_claim_id(email), customer_id=customer.id, timestamp=now)
        credits = open_credit_account(customer.id, customer.plan, now)
        try:
            self._store.save(customer, claim, credits)
        except IntegrityError:
            raise DomainError(
                "conflict", "an account with this email already exists", {"field": "email"}
            ) from None
        token, expires_at = self._tokens.issue(customer.id, now)
        return customer, token, expires_at

    def login(self, email: str, password: str, device: str | None = None) -> SignIn:
        """A dashboard token for the right password; ``unauthorized`` for anything else.

        Throttled (decision 0019): every attempt counts against the e-mail — or, when
        ``device`` is a device token this e-mail signed in with before, against that device
        instead, so an attacker's failures on the e-mail never lock its owner's own browser
        out — and, at the HTTP edge, against the client address (the auth burst bucket,
        decision 0039). An unknown e-mail costs the same Argon2
        verification as a known one, so the time taken tells nothing either.
        """
        email = normalise_email(email)
        device_id = self._devices.read(device, email) if device else None
        counted = f"device:{device_id}" if device_id else f"email:{self._digest(email)}"
        take(self._limits, LOGIN, counted)
        claim = self._store.find(CustomerEmail, email_claim_id(email))
        customer = self._store.find(Customer, claim.customer_id) if claim else None
        if customer is None:
            self._hasher.verify(self._unknown_password_hash(), password)
            raise Unauthorized("invalid_credentials", INVALID_CREDENTIALS)
        if not self._hasher.verify(customer.password_hash, password) or customer.is_deleted:
            raise Unauthorized("invalid_credentials", INVALID_CREDENTIALS)
        now = self._clock.now()
        token, expires_at = self._tokens.issue(customer.id, now)
        return SignIn(token, expires_at, self._devices.issue(email, now))

    def _unknown_password_hash(self) -> str:
        """A hash of a random password, made by the same hasher with the same parameters as
        every account's, for unknown e-mails to be verified against (made at first need)."""
        if self._unknown_hash is None:
            self._unknown_hash = self._hasher.hash(self._secrets.token("unknown-", 32))
        return self._unknown_hash

    # -- who is calling -------------------------------------------------------

    def authenticate(self, credential: str, requested_mode: str | None) -> Principal:
        """Resolve a Bearer credential to a principal, or refuse with 401."""
        if credential.startswith((*SECRET_PREFIXES.values(), PUBLISHABLE_PREFIX)):
            key_id = api_key_id(credential, self._digest)
            cached = self._keys.get(key_id)
            if cached is not None:
                return cached
            key = self._store.find(ApiKey, key_id)
            if key is None:
                raise Unauthorized("invalid", "this API key is not one we issued")
            if not key.is_active:
                raise Unauthorized("revoked", "this API key was revoked; use an active key")
            if self.entitlements(key.customer_id).is_deleted:
                raise Unauthorized("revoked", CLOSED)
            kind = "secret_key" if key.kind == "secret" else "publishable_key"
            principal = Principal(kind, key.customer_id, key.mode, key.id, tuple(key.scopes))  # type: ignore[arg-type]
            self._keys.put(key_id, principal)
            return principal
        claims = self._tokens.verify(credential)
        customer = self._store.find(Customer, claims.customer_id)
        if customer is None:
            raise Unauthorized("invalid", "this token's account does not exist")
        if customer.is_deleted:
            raise Unauthorized("revoked", CLOSED)
        mode: Mode = "test" if requested_mode == "test" else "live"
        return Principal("dashboard", claims.customer_id, mode, impersonator=claims.impersonator)

    def customer(self, customer_id: UUID) -> Customer:
        return self._store.load(
            Customer, customer_id, "customer", public_id("customer", customer_id)
        )

    def entitlements(self, customer_id: UUID) -> Customer:
        """The customer as checked within ``ENTITLEMENTS_MAX_AGE``, for what every request
        asks of it (its plan, its switched-off capabilities) at no query's cost. Read it only:
        it is the store's kept object, shared with every other reader."""
        customer = self._store.find(
            Customer, customer_id, max_age=ENTITLEMENTS_MAX_AGE, read_only=True
        )
        if customer is None:
            raise NotFound("customer", public_id("customer", customer_id))
        return customer

    # -- profile and settings -------------------------------------------------

    def update_profile(self, customer_id: UUID, changes: dict[str, Any]) -> Customer:
        def attempt() -> Customer:
            customer = self.customer(customer_id)
            changed = {k: v for k, v in changes.items() if getattr(customer, k) != v}
            if changed:
                customer.change_profile(changes=changed, timestamp=self._clock.now())
                self._store.save(customer)
            return customer

        return retry_on_conflict(attempt)

    def update_settings(self, customer_id: UUID, changes: dict[str, Any]) -> Customer:
        unknown = sorted(set(changes) - set(SETTING_TYPES))
        if unknown:
            raise DomainError(
                "validation_failed",
                "; ".join(f"property {name} should not exist" for name in unknown),
                {"fields": [{"field": name, "reason": "unknown setting"} for name in unknown]},
            )

        unknown_features = sorted(set(changes.get("capabilities") or {}) - set(FEATURES))
        if unknown_features:
            raise DomainError(
                "validation_failed",
                "; ".join(f"capabilities.{name} is not a feature" for name in unknown_features),
                {
                    "fields": [
                        {"field": f"capabilities.{name}", "reason": "unknown feature"}
                        for name in unknown_features
                    ]
                },
            )

        def attempt() -> Customer:
            customer = self.customer(customer_id)
            if "capabilities" in changes:  # a patch of the switches named, not a replacement
                kept = customer.settings.get("capabilities") or {}
                changes["capabilities"] = {**kept, **changes["capabilities"]}
            changed = {k: v for k, v in changes.items() if customer.settings.get(k) != v}
            if changed:
                customer.change_settings(changes=changed, timestamp=self._clock.now())
                self._store.save(customer)
            return customer

        return retry_on_conflict(attempt)

    def replace_audiences(
        self,
        customer_id: UUID,
        audiences: list[dict[str, Any]],
        in_use: Callable[[], Collection[str]],
    ) -> Customer:
        """Replace the customer's audiences (decision 0041). ``in_use()`` answers the
        audiences eggs or buddies belong to, which may not be removed, as of every write
        recorded so far.

        It is asked before the write and again after it: an egg laid for a removed audience
        while the write was made (``Eggs.lay`` reads the audiences once its egg is saved, so
        one of the two always sees the other) puts the audience back and answers
        ``audience_in_use`` (decision 0047)."""
        used_before = set(in_use())
        previous: list[dict[str, Any]] = []

        def attempt() -> Customer:
            customer = self.customer(customer_id)
            previous[:] = list(customer.settings.get(AUDIENCES_SETTING) or [])
            new = replaced(declared(customer.settings), audiences, used_before, customer.plan)
            if customer.settings.get(AUDIENCES_SETTING) != new:
                customer.change_settings(
                    changes={AUDIENCES_SETTING: new}, timestamp=self._clock.now()
                )
                self._store.save(customer)
            return customer

        customer = retry_on_conflict(attempt)
        kept = set(declared(customer.settings))
        removed = [a for a in previous if a["key"] not in kept]
        if not removed:
            return customer
        late = sorted(a["key"] for a in removed if a["key"] in set(in_use()))
        if late:
            self._restore_audiences(customer_id, [a for a in removed if a["key"] in late])
            raise DomainError(
                "audience_in_use",
                f"audience {late[0]!r} cannot be removed: an egg was laid for it meanwhile",
                {"audience": late[0]},
            )
        return customer

    def _restore_audiences(self, customer_id: UUID, entries: list[dict[str, Any]]) -> None:
        """Put back ``entries`` a replacement removed while an egg was laid for them."""

        def attempt() -> None:
            customer = self.customer(customer_id)
            current = list(customer.settings.get(AUDIENCES_SETTING) or [])
            keys = {a["key"] for a in current}
            missing = [a for a in entries if a["key"] not in keys]
            if missing:
                customer.change_settings(
                    changes={AUDIENCES_SETTING: [*current, *missing]},
                    timestamp=self._clock.now(),
                )
                self._store.save(customer)

        retry_on_conflict(attempt)

    def change_plan(
        self, customer_id: UUID, plan: str, event_quota: int | None, cause: dict[str, Any]
    ) -> Customer:
        """Move the customer to ``plan`` (``event_quota``: a contract's monthly figure instead
        of the plan's), recording ``cause``: who or what changed it (decision 0039)."""
        if plan not in PLANS:
            raise DomainError(
                "validation_failed",
                f"plan should be one of {', '.join(PLANS)}",
                {"fields": [{"field": "plan", "reason": "unknown plan"}]},
            )
        if event_quota is not None and event_quota < 0:
            raise DomainError(
                "validation_failed",
                "event_quota should be at least 0",
                {"fields": [{"field": "event_quota", "reason": "negative"}]},
            )

        def attempt() -> Customer:
            customer = self.customer(customer_id)
            if (customer.plan, customer.event_quota) != (plan, event_quota):
                customer.change_plan(
                    plan=plan, event_quota=event_quota, cause=cause, timestamp=self._clock.now()
                )
                self._store.save(customer)
            return customer

        return retry_on_conflict(attempt)

    # -- API keys -------------------------------------------------------------

    def prepare_key(
        self, customer_id: UUID, mode: Mode, kind: str, name: str | None
    ) -> tuple[IssuedKey, Customer]:
        """A new key and the customer it is attached to, both still to be saved."""
        prefix = SECRET_PREFIXES[mode] if kind == "secret" else PUBLISHABLE_PREFIX
        secret = self._secrets.token(prefix)
        key = ApiKey(
            id=api_key_id(secret, self._digest),
            customer_id=customer_id,
            mode=mode,
            kind=kind,
            name=name,
            prefix=secret[:SHOWN_PREFIX_LENGTH],
            scopes=list(PUBLISHABLE_SCOPES) if kind == "publishable" else [],
            timestamp=self._clock.now(),
        )
        customer = self.customer(customer_id)
        customer.attach_api_key(key_id=key.id, timestamp=key.created_on)
        return IssuedKey(key, secret), customer

    def create_key(self, customer_id: UUID, mode: Mode, name: str | None, kind: str) -> IssuedKey:
        def attempt() -> IssuedKey:
            issued, customer = self.prepare_key(customer_id, mode, kind, name)
            self._store.save(customer, issued.key)
            return issued

        return retry_on_conflict(attempt)

    def keys(self, customer_id: UUID) -> list[ApiKey]:
        customer = self.customer(customer_id)
        found = (self._store.find(ApiKey, key_id) for key_id in customer.api_key_ids)
        return [key for key in found if key is not None]

    def revoke_key(self, customer_id: UUID, public_key_id: str, key_id: UUID) -> ApiKey:
        key = self._store.find(ApiKey, key_id)
        if key is None or key.customer_id != customer_id:
            raise NotFound("api key", public_key_id)
        key.revoke(timestamp=self._clock.now())
        self._store.save(key)
        self._keys.discard(key.id)
        return key

    def forget_keys(self, *key_ids: UUID) -> None:
        """Drop these keys' cached lookups in this process (a revocation saved elsewhere)."""
        self._keys.discard(*key_ids)

    def rotate_keys(self, customer_id: UUID, mode: Mode, name: str | None) -> IssuedKey:
        """Revoke every active secret key of ``mode`` and issue one replacement, atomically."""

        def attempt() -> IssuedKey:
            now = self._clock.now()
            revoked = [
                key
                for key in self.keys(customer_id)
                if key.kind == "secret" and key.mode == mode and key.is_active
            ]
            for key in revoked:
                key.revoke(timestamp=now)
            issued, customer = self.prepare_key(customer_id, mode, "secret", name)
            self._store.save(customer, issued.key, *revoked)
            self._keys.discard(*(key.id for key in revoked))
            return issued

        return retry_on_conflict(attempt)

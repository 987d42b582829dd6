"""A seeded random workload, driven through the application services (no HTTP).

Tenants (live and test worlds) register and apply a preset; their users hatch buddies;
customer events arrive in per-tenant batches (mostly registered types, some unknown ones,
some resent duplicates) with manual credits and spends, evolutions when ready, renames,
archives and config migrations in between. It sends until ``--events`` new customer events
are *recorded*; resends and refusals (counted by reason) come on top. A simulated clock spreads everything over about
four months, so the leaderboard's weekly and monthly windows are exercised; the same seed
gives the same sequence of commands.

The projection runners follow the log while it is written, as they would in production,
so ``hatched projections verify`` afterwards compares views built incrementally under load
with a replay from scratch::

    python -m benchmarks.workload --events 100000 --tenants 20 --seed 7
    hatched projections verify

Settings come from the ``HATCHED_*`` environment (``--database-url`` overrides it).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from application.accounts.accounts import Accounts
from application.companions.buddies import Buddies
from application.companions.eggs import Eggs
from application.companions.operations import Operations
from application.configs.configs import Configs
from application.ingestion.ingestion import EventInput, Ingestion
from application.shared.ports import PasswordHasher
from application.shared.quotas import AUTH, LOGIN
from application.shared.store import EventStore
from domain.configs.presets import PRESET_KEYS
from domain.shared.errors import DomainError
from domain.shared.ids import public_id
from domain.shared.tenancy import Tenant
from infrastructure.accounts.security import (
    Argon2PasswordHasher,
    JwtDashboardTokens,
    JwtDeviceTokens,
    digest,
)
from infrastructure.persistence.event_store import event_store_env
from infrastructure.persistence.followers import Follower
from infrastructure.persistence.view_store import ViewStore
from infrastructure.shared.rate_limits import RateLimiter
from infrastructure.shared.settings import AUTH_RATE_LIMIT, Settings
from projections.registry import all_projections

START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
SPAN = timedelta(days=120)
PRESETS = tuple(k for k in PRESET_KEYS if k != "custom")
UNREGISTERED_TYPE = "page_viewed"
EVENTS_PER_USER = 40
MAX_BATCH = 100


class SimulatedClock:
    def __init__(self, start: datetime) -> None:
        self.moment = start

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


class SeededSecrets:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def token(self, prefix: str, nbytes: int = 32) -> str:
        return prefix + self._rng.randbytes(nbytes).hex()

    def uuid(self) -> UUID:
        return UUID(int=self._rng.getrandbits(128), version=4)


class KnownBuddies:
    """The workload's own record of each tenant's buddies (``Configs`` asks for them)."""

    def __init__(self) -> None:
        self.by_tenant: dict[Tenant, list[UUID]] = {}

    def buddy_ids(self, tenant: Tenant, *, config_version_id: UUID | None = None) -> list[UUID]:
        return list(self.by_tenant.get(tenant, []))

    def counts_by_config_version(self, tenant: Tenant) -> dict[UUID, int]:
        return {}


@dataclass
class _World:
    tenant: Tenant
    preset: str
    event_types: tuple[str, ...]
    users: list[str] = field(default_factory=list)
    buddies: dict[str, list[UUID]] = field(default_factory=dict)
    sent: list[str] = field(default_factory=list)
    migrated: bool = False


@dataclass(frozen=True)
class WorkloadSummary:
    seed: int
    tenants: int
    users: int
    buddies: int
    events: int
    sent: int
    refused: int
    duplicates: int
    unregistered: int
    manual_entries: int
    evolutions: int
    migrations: int
    renames: int
    archives: int
    notifications: int
    seconds: float
    refusals: dict[str, int] = field(default_factory=dict)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


class Workload:
    def __init__(
        self,
        store: EventStore,
        seed: int,
        *,
        settings: Settings | None = None,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.store = store
        self.seed = seed
        self.rng = random.Random(seed)
        self.clock = SimulatedClock(START)
        secrets = SeededSecrets(random.Random(seed + 1))
        self.directory = KnownBuddies()
        self.configs = Configs(store, self.clock, self.directory, new_id=secrets.uuid)
        self.operations = Operations(store, self.clock, self.configs)
        self.eggs = Eggs(store, self.clock, secrets, self.configs)
        self.buddies = Buddies(store, self.clock, secrets, self.configs)
        self.ingestion = Ingestion(store, self.clock, self.configs, group_commit=False)
        secret_key = settings.secret_key if settings and settings.secret_key else "w" * 32
        self.accounts = Accounts(
            store,
            self.clock,
            hasher or Argon2PasswordHasher(),
            secrets,
            JwtDashboardTokens(secret_key, 3600),
            digest,
            RateLimiter({AUTH: AUTH_RATE_LIMIT, LOGIN: AUTH_RATE_LIMIT}),
            JwtDeviceTokens(secret_key),
        )
        self.refusals: Counter[str] = Counter()
        self.counts = dict.fromkeys(
            (
                "users",
                "buddies",
                "events",
                "sent",
                "refused",
                "duplicates",
                "unregistered",
                "manual_entries",
                "evolutions",
                "migrations",
                "renames",
                "archives",
            ),
            0,
        )

    # -- the run -------------------------------------------------------------------

    def run(
        self, events: int, tenants: int, progress: Callable[[int], None] | None = None
    ) -> WorkloadSummary:
        started = time.perf_counter()
        worlds = [self._open_tenant(i) for i in range(tenants)]
        weights = [self.rng.uniform(0.3, 1.7) for _ in worlds]
        expected_batches = max(1, events // (MAX_BATCH // 2))
        step = SPAN.total_seconds() / expected_batches
        while self.counts["events"] < events:
            world = self.rng.choices(worlds, weights)[0]
            self.clock.advance(self.rng.expovariate(1.0) * step)
            self._grow(world, events, tenants)
            size = min(self.rng.randint(1, MAX_BATCH), events - self.counts["events"])
            self._send(world, size)
            self._tinker(world)
            if (
                not world.migrated
                and self.counts["events"] > events // 2
                and self.rng.random() < 0.3
            ):
                self._migrate(world)
            if progress:
                progress(self.counts["events"])
        return WorkloadSummary(
            seed=self.seed,
            tenants=tenants,
            notifications=self.store.head(),
            seconds=time.perf_counter() - started,
            refusals=dict(self.refusals.most_common()),
            **self.counts,
        )

    def _open_tenant(self, index: int) -> _World:
        customer, _, _ = self.accounts.register(
            f"tenant{index}-{self.seed}@workload.example",
            "correct horse battery",
            f"Tenant {index}",
        )
        tenant = Tenant(customer.id, "live" if index % 3 else "test")
        preset = self.rng.choice(PRESETS)
        version = self.configs.apply_preset(tenant, preset)
        types = self.configs.rulebook(version.id).event_types
        return _World(tenant, preset, tuple(types))

    def _grow(self, world: _World, events: int, tenants: int) -> None:
        """Users arrive over time: enough that each sends about ``EVENTS_PER_USER`` events."""
        wanted = max(2, events // tenants // EVENTS_PER_USER)
        sent_share = self.counts["events"] / events
        while len(world.users) < max(2, int(wanted * min(1.0, sent_share * 2 + 0.1))):
            user_id = f"user_{len(world.users):05d}"
            world.users.append(user_id)
            self._hatch(world, user_id)
            if self.rng.random() < 0.1:
                self._hatch(world, user_id)
            self.counts["users"] += 1

    def _hatch(self, world: _World, user_id: str) -> None:
        egg, _ = self.eggs.lay(world.tenant, user_id, {}, None, ensure=False)
        self.eggs.set_status(world.tenant, egg.public_id, "ready")
        operation = self.eggs.hatch(world.tenant, egg.public_id)
        self.operations.run(operation.id)
        buddy_id = self.operations.get(world.tenant, operation.public_id).result["buddy_id"]
        uuid = UUID(hex=buddy_id.removeprefix("bdy_"))
        world.buddies.setdefault(user_id, []).append(uuid)
        self.directory.by_tenant.setdefault(world.tenant, []).append(uuid)
        self.counts["buddies"] += 1

    def _send(self, world: _World, size: int) -> None:
        """Send ``size`` events in one batch; counts what was recorded, resent or refused."""
        items = []
        for _ in range(size):
            resend = bool(world.sent) and self.rng.random() < 0.01
            unregistered = self.rng.random() < 0.05
            self.counts["unregistered"] += unregistered
            items.append(
                EventInput(
                    event_id=self.rng.choice(world.sent)
                    if resend
                    else f"evt_{self.rng.getrandbits(64):016x}",
                    user_id=self._active_user(world),
                    type=UNREGISTERED_TYPE if unregistered else self.rng.choice(world.event_types),
                    occurred_at=self.clock.now() - timedelta(seconds=self.rng.randint(0, 600)),
                    properties={
                        "score": self.rng.choice((60, 80, 100)),
                        "minutes": self.rng.randint(1, 90),
                    },
                )
            )
        self.counts["sent"] += size
        answers = self.ingestion.ingest_many(world.tenant, items)
        for item, answer in zip(items, answers, strict=True):
            if isinstance(answer, DomainError):
                self.counts["refused"] += 1
                self.refusals[f"{answer.code}: {answer.message}"] += 1
                continue
            ingestion, duplicate = answer
            if duplicate:
                self.counts["duplicates"] += 1
                continue
            world.sent.append(item.event_id)
            self.counts["events"] += 1
            for effect in ingestion.effects.get("buddies", []):
                if effect.get("evolution_ready"):
                    self._evolve(world, public_id("buddy", effect["buddy_id"]))

    def _active_user(self, world: _World) -> str:
        """A few users are far more active than the rest, as in real products."""
        index = min(len(world.users) - 1, int(self.rng.paretovariate(1.2)) - 1)
        return world.users[-1 - index] if self.rng.random() < 0.5 else world.users[index]

    def _evolve(self, world: _World, buddy_id: str) -> None:
        try:
            operation = self.buddies.request_evolve(world.tenant, buddy_id)
        except DomainError:
            return
        self.operations.run(operation.id)
        self.counts["evolutions"] += 1

    def _tinker(self, world: _World) -> None:
        """The manual overrides and lifecycle changes support staff and integrators make."""
        user = self.rng.choice(world.users)
        buddy = public_id("buddy", self.rng.choice(world.buddies[user]))
        roll = self.rng.random()
        try:
            if roll < 0.03:
                self.buddies.override_wallet(
                    world.tenant,
                    buddy,
                    "credit",
                    None,
                    self.rng.randint(1, 200),
                    "bonus",
                    "workload",
                )
                self.counts["manual_entries"] += 1
            elif roll < 0.05:
                self.buddies.override_wallet(
                    world.tenant, buddy, "spend", None, self.rng.randint(1, 60), "shop", "workload"
                )
                self.counts["manual_entries"] += 1
            elif roll < 0.055:
                self.buddies.rename(world.tenant, buddy, f"Buddy {self.rng.randint(1, 999)}")
                self.counts["renames"] += 1
            elif roll < 0.057:
                self.buddies.archive(world.tenant, buddy)
                self.counts["archives"] += 1
                self._hatch(world, user)
        except DomainError:
            pass

    def _migrate(self, world: _World) -> None:
        """Publish another preset and move the tenant's buddies to it (token slots change)."""
        world.migrated = True
        preset = self.rng.choice([p for p in PRESETS if p != world.preset])
        draft = self.configs.apply_preset(world.tenant, preset)
        published = self.configs.publish(world.tenant, draft.public_id)
        ids = self.directory.buddy_ids(world.tenant)
        self.configs.migrate_buddies(world.tenant, published.public_id, ids, actor="workload")
        world.preset = preset
        world.event_types = tuple(self.configs.rulebook(published.id).event_types)
        self.counts["migrations"] += 1


def follow(store: EventStore, views: ViewStore) -> list[Follower]:
    """Start the projection runners on ``store``, as ``hatched projector`` would."""
    followers = [Follower.for_projection(p, store, views) for p in all_projections()]
    for follower in followers:
        store.on_saved(follower.wake)
        follower.start()
    return followers


def settle(followers: list[Follower]) -> None:
    """Stop the runners once they have applied everything written."""
    for follower in followers:
        follower.stop()
    for follower in followers:
        follower.catch_up()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.workload", description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="default: HATCHED_DATABASE_URL")
    parser.add_argument(
        "--no-follow", action="store_true", help="write events only; leave the views to a projector"
    )
    args = parser.parse_args(argv)
    if args.database_url:
        os.environ["HATCHED_DATABASE_URL"] = args.database_url
    settings = Settings.from_env()
    store = EventStore(env=event_store_env(settings))
    views = ViewStore(settings)
    followers = [] if args.no_follow else follow(store, views)
    workload = Workload(store, args.seed, settings=settings)
    last = [0.0]

    def report(done: int) -> None:
        if time.monotonic() - last[0] > 5:
            last[0] = time.monotonic()
            print(f"  {done}/{args.events} events", file=sys.stderr, flush=True)

    summary = workload.run(args.events, args.tenants, report)
    settle_started = time.perf_counter()
    settle(followers)
    settled = time.perf_counter() - settle_started
    for name, value in asdict(summary).items():
        if name == "refusals":
            for reason, count in value.items():
                print(f"{'refused':>16}: {count} times {reason}")
        else:
            print(
                f"{name:>16}: {value:.1f}" if isinstance(value, float) else f"{name:>16}: {value}"
            )
    print(f"{'events/s':>16}: {summary.events_per_second:.0f}")
    if followers:
        print(f"{'views settled':>16}: {settled:.1f} s after the last write")
    views.close()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

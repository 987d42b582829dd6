"""The composition root: settings in, wired services out, and their lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from application.accounts.accounts import Accounts
from application.admin.admins import Admins
from application.admin.audit import Auditor
from application.admin.customers import AdminCustomers
from application.admin.money import AdminMoney
from application.admin.queues import AdminQueues
from application.billing.billing import Billing
from application.companions.appearance import Appearance
from application.companions.auto_evolve import AutoEvolver
from application.companions.buddies import Buddies
from application.companions.credit_waiters import CreditWaiters
from application.companions.dispatch import OperationDispatcher
from application.companions.eggs import Eggs
from application.companions.gate_unlocks import GateUnlocks
from application.companions.icons import Icons
from application.companions.item_art import ItemArt
from application.companions.operations import OperationBusy, Operations
from application.companions.progression import Progression
from application.companions.purchases import Purchases
from application.companions.skill_decay import SkillDecay
from application.companions.stage_assets import StageAssets
from application.companions.streak_sweep import StreakSweep
from application.configs.configs import Configs
from application.configs.marketplaces import Marketplaces
from application.configs.what_if import WhatIf
from application.credits.credits import Credits
from application.history.buddy_export import BuddyExports
from application.history.history import History
from application.idempotency.idempotency import Idempotency
from application.ingestion.event_quotas import EventQuotas
from application.ingestion.ingestion import Ingestion
from application.integrations.webhook_dispatch import WebhookDispatcher
from application.integrations.webhooks import Webhooks
from application.shared.images import ImageIntake
from application.shared.ports import (
    Clock,
    PasswordHasher,
    PaymentProvider,
    RateLimits,
    Secrets,
    WebhookSender,
)
from application.shared.quotas import (
    AUTH,
    DEMO_VISITORS,
    LOGIN,
    SCOPED,
    UNAUTHENTICATED,
    plan_bucket,
    widget_bucket,
)
from application.shared.store import CONFLICTS, EventStore
from application.shared.sweeper import Sweeper
from application.widgets.demo import DEMO_TENANT, DemoSite
from application.widgets.widgets import Widgets
from domain.accounts.plans import PLANS
from infrastructure.accounts.security import (
    Argon2PasswordHasher,
    JwtDashboardTokens,
    JwtDeviceTokens,
    RandomSecrets,
    digest,
)
from infrastructure.admin.admin_tokens import JwtAdminTokens, JwtQueueLinks
from infrastructure.analytics.breakdown_queries import BreakdownQueries
from infrastructure.analytics.leaderboard_queries import LeaderboardQueries
from infrastructure.analytics.rollup_queries import RollupQueries
from infrastructure.billing.stripe_provider import StripeProvider
from infrastructure.companions.assets import FileAssetStore
from infrastructure.companions.decay_candidates import ViewDecayCandidates
from infrastructure.companions.directory import ViewBuddyDirectory
from infrastructure.companions.image_checks import SafeImageInspector
from infrastructure.companions.operation_index import ViewOperationIndex
from infrastructure.companions.operation_metrics import OperationGauges
from infrastructure.companions.queue_state import ViewQueueMonitor
from infrastructure.companions.renderer import SvgRenderer
from infrastructure.companions.stalled_work import ViewStalledWork
from infrastructure.companions.streak_dues import ViewStreakDues
from infrastructure.companions.upload_tokens import JwtUploadTokens
from infrastructure.integrations.counted_webhook_sender import CountedWebhookSender
from infrastructure.integrations.ssrf import WebhookUrlGuard
from infrastructure.integrations.webhook_secrets import SealedWebhookSecrets
from infrastructure.integrations.webhook_sender import HttpWebhookSender
from infrastructure.persistence.event_store import event_store_env, schema_setup
from infrastructure.persistence.followers import Follower, JointRunner, stop_all
from infrastructure.persistence.parked_events import ParkedEvents
from infrastructure.persistence.view_lag_metrics import ViewLag
from infrastructure.persistence.view_store import ViewStore
from infrastructure.shared.clock import SystemClock
from infrastructure.shared.metrics import Metrics
from infrastructure.shared.periodic import Periodic, each
from infrastructure.shared.rate_limits import RateLimiter
from infrastructure.shared.settings import Settings
from infrastructure.shared.tasks import TaskQueue, build_broker
from infrastructure.shared.worker_heartbeats import WorkerHeartbeats
from infrastructure.widgets.widget_tokens import JwtWidgetTokens
from projections.registry import all_projections

READ_CONSISTENCY_TIMEOUT_SECONDS = 2.0
REACTOR_NAMES = (
    OperationDispatcher.name,
    AutoEvolver.name,
    WebhookDispatcher.name,
    CreditWaiters.name,
)
"""The followers that act on the log rather than keep a view (``build_container`` runs them)."""


@dataclass
class Container:
    settings: Settings
    store: EventStore
    views: ViewStore
    accounts: Accounts
    configs: Configs
    eggs: Eggs
    operations: Operations
    ingestion: Ingestion
    buddies: Buddies
    purchases: Purchases
    tasks: TaskQueue
    idempotency: Idempotency
    leaderboard: LeaderboardQueries
    rollups: RollupQueries
    breakdowns: BreakdownQueries
    history: History
    exports: BuddyExports
    widgets: Widgets
    demo: DemoSite
    webhooks: Webhooks
    assets: FileAssetStore
    stage_assets: StageAssets
    heartbeats: WorkerHeartbeats
    gate_unlocks: GateUnlocks
    marketplaces: Marketplaces
    item_art: ItemArt
    icons: Icons
    skill_decay: SkillDecay
    streak_sweep: StreakSweep
    event_quotas: EventQuotas
    credits: Credits
    rate_limits: RateLimits
    progression: Progression
    billing: Billing
    auditor: Auditor
    admins: Admins
    admin_customers: AdminCustomers
    admin_money: AdminMoney
    admin_queues: AdminQueues
    queue_monitor: ViewQueueMonitor
    clock: Clock
    """The clock port (readiness reads ages against it, as the use cases do)."""
    followers: list[Follower] = field(default_factory=list)
    sweeper: Periodic | None = None
    decay_sweeper: Periodic | None = None
    metrics: Metrics = field(default_factory=Metrics)

    def start(self) -> None:
        """Start the log followers (views, dispatcher) and, when embedded, the worker."""
        if self.settings.runs_worker_in_process:
            self.tasks.start_worker()
        if self.settings.run_followers:
            for follower in self.followers:
                follower.start()
            self.start_sweepers()

    def start_sweepers(self) -> None:
        """The periodic passes: lost work re-enqueued, skill decay applied."""
        for periodic in (self.sweeper, self.decay_sweeper):
            if periodic is not None:
                periodic.start()

    def close(self) -> None:
        CONFLICTS.remove(self.metrics.conflict_retried)
        for periodic in (self.sweeper, self.decay_sweeper):
            if periodic is not None:
                periodic.stop()
        stop_all(self.followers)
        self.tasks.stop_worker()
        self.heartbeats.close()
        self.views.close()
        self.store.close()

    def wait_for_views(self, *names: str) -> bool:
        """Read-your-writes: wait (bounded) until the views have applied every write so far
        (their followers in this process stop gathering, see ``VIEW_GATHER_SECONDS``)."""
        for follower in self.followers:
            if follower.name in names:
                follower.hurry()
        return self.views.wait_for(names, self.store.head(), READ_CONSISTENCY_TIMEOUT_SECONDS)


def webhook_asset_links(settings: Settings) -> Callable[[str], str | None]:
    """Absolute picture URLs for webhook payloads (no request to take an origin from)."""
    origin = settings.public_url or f"http://{settings.host}:{settings.port}"

    def link(name: str) -> str | None:
        from interfaces.http.asset_links import asset_url  # imports the container: not at load

        return asset_url(origin, name)

    return link


def rate_limiter(settings: Settings) -> RateLimiter:
    """Every quota the use cases count against, bound to its windows from the settings."""
    quotas = {
        AUTH: settings.auth_rate_limit,
        LOGIN: settings.login_email_rate_limit,
        DEMO_VISITORS: settings.demo_visitor_rate_limit,
        SCOPED: SCOPED_RATE_LIMIT,
        UNAUTHENTICATED: UNAUTHENTICATED_RATE_LIMIT,
    }
    for plan in PLANS.values():
        quotas[plan_bucket(plan.key)] = plan.rate_limit
        quotas[widget_bucket(plan.key)] = ";".join(
            f"{3 * int(amount)}/{per}"
            for amount, per in (window.split("/") for window in plan.rate_limit.split(";"))
        )
    return RateLimiter(quotas, settings.redis_url, settings.redis_namespace)


SCOPED_RATE_LIMIT = "200/minute;10000/day"
UNAUTHENTICATED_RATE_LIMIT = "20/minute;200/day"
"""The product's special buckets (reference §4), the same on every plan."""


@dataclass(frozen=True)
class Adapters:
    """The outside world the use cases talk to through their ports (``application/shared/
    ports.py``). ``for_settings`` gives the real ones; a test hands fakes with
    ``dataclasses.replace(Adapters.for_settings(settings), clock=FrozenClock(...))``."""

    clock: Clock
    secrets: Secrets
    password_hasher: PasswordHasher
    webhook_urls: WebhookUrlGuard
    webhook_sender: WebhookSender
    rate_limits: RateLimits
    payment_provider: PaymentProvider

    @classmethod
    def for_settings(cls, settings: Settings) -> Adapters:
        urls = WebhookUrlGuard(allow_private=settings.webhook_allow_private)
        clock = SystemClock()
        return cls(
            clock=clock,
            secrets=RandomSecrets(),
            password_hasher=Argon2PasswordHasher(),
            webhook_urls=urls,
            webhook_sender=HttpWebhookSender(urls, timeout=settings.webhook_timeout_seconds),
            rate_limits=rate_limiter(settings),
            payment_provider=StripeProvider(
                clock,
                settings.stripe_secret_key,
                settings.stripe_webhook_secret,
                dict(settings.stripe_prices),
                settings.stripe_api_base,
            ),
        )


def build_container(settings: Settings, adapters: Adapters | None = None) -> Container:
    """The composition root: every service built once, from ``settings`` and ``adapters``."""
    with schema_setup(settings):  # other processes may be creating the same tables
        return _build_container(settings, adapters or Adapters.for_settings(settings))


def _build_container(settings: Settings, adapters: Adapters) -> Container:
    store = EventStore(env=event_store_env(settings))
    views = ViewStore(settings)
    clock = adapters.clock
    metrics = Metrics(settings.metrics_dir)
    CONFLICTS.add(metrics.conflict_retried)
    secrets = adapters.secrets
    limits = adapters.rate_limits
    if isinstance(limits, RateLimiter):
        limits.on_unavailable(metrics.rate_limit_unavailable)
    event_quotas = EventQuotas(store, clock, enabled=settings.event_quotas)
    credits = Credits(
        store,
        clock,
        upgrade_url=settings.upgrade_url,
        enabled=settings.credits,
        unmetered=frozenset({DEMO_TENANT.customer_id}),  # the product's own showroom
    )
    dashboard_tokens = JwtDashboardTokens(settings.secret_key, settings.dashboard_token_ttl_seconds)
    accounts = Accounts(
        store,
        clock,
        adapters.password_hasher,
        secrets,
        dashboard_tokens,
        digest,
        limits,
        JwtDeviceTokens(settings.secret_key),
    )
    auditor = Auditor(store, clock, secrets)
    admins = Admins(
        store,
        clock,
        secrets,
        adapters.password_hasher,
        JwtAdminTokens(settings.secret_key, settings.admin_token_ttl_seconds),
        digest,
        limits,
        auditor,
    )
    directory = ViewBuddyDirectory(views)
    configs = Configs(store, clock, directory, what_if=WhatIf(store, clock, directory))
    operation_index = ViewOperationIndex(views)
    assets = FileAssetStore(settings.data_dir / "assets")
    renderer = SvgRenderer(assets)
    intake = ImageIntake(assets, SafeImageInspector(), settings.asset_upload_max_bytes)
    marketplaces = Marketplaces(configs)
    item_art = ItemArt(store, clock, secrets, configs, marketplaces, renderer, intake, credits)
    icons = Icons(store, clock, secrets, configs, renderer, intake, credits)
    operations = Operations(
        store,
        clock,
        configs,
        lease=timedelta(seconds=settings.operation_lease_seconds),
        appearance=Appearance(store, renderer),
        item_art=item_art,
        credits=credits,
        icons=icons,
    )
    webhooks = Webhooks(
        store,
        clock,
        secrets,
        SealedWebhookSecrets(settings.secret_key),
        adapters.webhook_urls,
        CountedWebhookSender(adapters.webhook_sender, metrics.webhook_attempted),
        settings.webhook_retry_schedule,
    )
    heartbeats = WorkerHeartbeats(settings.redis_url, settings.redis_namespace)
    queue_monitor = ViewQueueMonitor(views, heartbeats)
    tasks = TaskQueue(
        build_broker(settings),
        operations.run,
        deliver_webhook=webhooks.deliver,
        retry_later=(OperationBusy,),
        heartbeats=heartbeats,
    )
    log = store.recent  # every follower of this process shares the reads of new events
    view_runner = JointRunner.for_views(log, views)
    followers = [Follower.for_projection(p, log, views, view_runner) for p in all_projections()]
    reactor_runner = JointRunner.for_reactors(log, views)
    buddies = Buddies(store, clock, secrets, configs, credits)
    for reactor in (
        OperationDispatcher(tasks),
        AutoEvolver(store, configs),
        CreditWaiters(store, buddies),
    ):
        followers.append(Follower.for_reactor(reactor, log, views, reactor_runner))
    dispatcher = WebhookDispatcher(store, clock, tasks, asset_url=webhook_asset_links(settings))
    followers.append(Follower.for_batch_reactor(dispatcher, log, views, reactor_runner))
    sweeper = Sweeper(
        store,
        clock,
        ViewStalledWork(views),
        tasks,
        tasks,
        grace=timedelta(seconds=settings.sweep_grace_seconds),
    )
    streak_sweep = StreakSweep(store, clock, configs, ViewStreakDues(views))
    for follower in followers:
        store.on_saved(follower.wake)
    metrics.watch_parked_events([f.name for f in followers], ParkedEvents(views).counts)
    metrics.watch(ViewLag([f.name for f in followers], views, store.head))
    metrics.watch(OperationGauges(views, clock))
    skill_decay = SkillDecay(store, clock, configs, ViewDecayCandidates(views), directory)
    purchases = Purchases(store, clock, secrets, configs, buddies)
    eggs = Eggs(store, clock, secrets, configs, credits)
    widget_tokens = JwtWidgetTokens(settings.secret_key)
    widgets = Widgets(store, clock, secrets, widget_tokens, buddies, operations, directory)
    demo = DemoSite(
        store,
        clock,
        configs,
        eggs,
        operations,
        buddies,
        widgets,
        limits,
        settings.demo_pool_size,
    )
    billing = Billing(store, clock, accounts, adapters.payment_provider, credits)
    return Container(
        settings=settings,
        store=store,
        views=views,
        accounts=accounts,
        configs=configs,
        eggs=eggs,
        operations=operations,
        ingestion=Ingestion(
            store,
            clock,
            configs,
            group_commit=settings.ingest_group_commit,
            backfill=timedelta(days=settings.event_backfill_days),
            telemetry=metrics,
            quotas=event_quotas,
        ),
        buddies=buddies,
        purchases=purchases,
        tasks=tasks,
        idempotency=Idempotency(store, clock),
        leaderboard=LeaderboardQueries(views, clock),
        rollups=RollupQueries(views, clock),
        breakdowns=BreakdownQueries(views),
        history=History(store, configs, operation_index),
        exports=BuddyExports(store, clock, operation_index),
        widgets=widgets,
        demo=demo,
        webhooks=webhooks,
        assets=assets,
        stage_assets=StageAssets(
            store,
            clock,
            secrets,
            renderer,
            intake,
            JwtUploadTokens(settings.secret_key),
            upload_ttl=timedelta(seconds=settings.upload_url_ttl_seconds),
            credits=credits,
        ),
        heartbeats=heartbeats,
        gate_unlocks=GateUnlocks(store, clock, configs),
        marketplaces=marketplaces,
        item_art=item_art,
        icons=icons,
        skill_decay=skill_decay,
        streak_sweep=streak_sweep,
        event_quotas=event_quotas,
        credits=credits,
        rate_limits=limits,
        progression=Progression(buddies, clock),
        billing=billing,
        auditor=auditor,
        admins=admins,
        admin_customers=AdminCustomers(store, clock, accounts, dashboard_tokens, auditor),
        admin_money=AdminMoney(store, clock, accounts, credits, billing, auditor, secrets),
        admin_queues=AdminQueues(
            store, clock, JwtQueueLinks(settings.secret_key), queue_monitor, auditor
        ),
        queue_monitor=queue_monitor,
        clock=clock,
        followers=followers,
        sweeper=Periodic(
            "sweeper", settings.sweep_interval_seconds, each(sweeper.sweep, streak_sweep.sweep)
        ),
        decay_sweeper=Periodic("skill-decay", settings.sweep_interval_seconds, skill_decay.sweep),
        metrics=metrics,
    )

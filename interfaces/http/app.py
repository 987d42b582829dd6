"""The Litestar application: routes under ``/api/v1``, one error envelope, request ids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components

from interfaces.container import Container
from interfaces.http.access_log import AccessLogMiddleware
from interfaces.http.accounts.accounts import AuthController, CustomerController
from interfaces.http.admin.customers import AdminCustomerController
from interfaces.http.admin.identities import AdminAuthController, AdminUserController
from interfaces.http.admin.money import AdminBillingController, AdminMoneyController
from interfaces.http.admin.queue_page import queue_page
from interfaces.http.admin.records import AdminAuditController, AdminOperationController
from interfaces.http.analytics.analytics import AnalyticsController
from interfaces.http.analytics.breakdowns import (
    ActiveUsersController,
    AnalyticsBreakdownsController,
)
from interfaces.http.analytics.rollups import AnalyticsRollupsController
from interfaces.http.api_docs import api_docs, api_docs_assets
from interfaces.http.auth import provide_principal
from interfaces.http.billing.billing import BillingController
from interfaces.http.companions.appearance import AppearanceController
from interfaces.http.companions.assets import AssetController
from interfaces.http.companions.audiences import AudienceController
from interfaces.http.companions.buddies import BuddyController, EconomyController
from interfaces.http.companions.eggs import EggController
from interfaces.http.companions.gates import BuddyGateController
from interfaces.http.companions.operations import OperationController
from interfaces.http.companions.progression import BuddyProgressionController
from interfaces.http.companions.purchases import BuddyShopController
from interfaces.http.companions.stage_assets import StageAssetController
from interfaces.http.companions.user_support import CustomerUserController
from interfaces.http.configs.configs import (
    ApplyPresetController,
    ConfigVersionController,
    PresetController,
)
from interfaces.http.configs.event_types import EventTypeController
from interfaces.http.configs.gates import GateController
from interfaces.http.configs.icons import (
    BadgeIconController,
    IconController,
    SkillIconController,
)
from interfaces.http.configs.marketplaces import MarketplaceController
from interfaces.http.configs.rule_editors import (
    BadgeDefinitionController,
    CoinRuleController,
    SkillRuleController,
    SkillSetController,
    TokenConfigController,
)
from interfaces.http.configs.skill_decay import SkillDecayController, SkillDecayRuleController
from interfaces.http.configs.streak_definitions import StreakDefinitionController
from interfaces.http.consistency import add_view_lag_header
from interfaces.http.credits.credits import CreditController, ImageUsageController
from interfaces.http.dependency_resolution import SequentialSyncDependencies
from interfaces.http.edge_policy import enforce_edge_policy
from interfaces.http.errors import EXCEPTION_HANDLERS
from interfaces.http.health import HealthController
from interfaces.http.history.history import BuddyHistoryController
from interfaces.http.idempotency import IdempotencyMiddleware
from interfaces.http.ingestion.events import EventController
from interfaces.http.integrations.webhooks import WebhookAnalyticsController, WebhookController
from interfaces.http.metrics import metrics
from interfaces.http.pagination import provide_paging
from interfaces.http.plan_limits import add_usage_headers
from interfaces.http.request_id import RequestIdMiddleware
from interfaces.http.routing import SECURITY_SCHEMES
from interfaces.http.shape_schemas import ShapeSchemaPlugin
from interfaces.http.widgets.demo import DemoController, demo_page
from interfaces.http.widgets.widget import WidgetController
from interfaces.http.widgets.widget_assets import WidgetAssetController
from interfaces.http.widgets.widget_marketplace import WidgetMarketplaceController
from interfaces.http.widgets.widget_sessions import EmbedTokenController, WidgetSessionController

API_PREFIX = "/api/v1"


def service_dependencies() -> dict[str, Provide]:
    """Every use-case service of the container, injected by name (``eggs: Eggs``).

    Handlers declare the services they use as parameters instead of reaching for the
    container, so what a route depends on is in its signature. Each is read from the
    container the app serves (``app.state.container``) when a request needs it, so an app
    can be handed another container: building the app is the costly part (about a second
    for its four hundred handlers), and the tests build one per process.
    """
    return {
        f.name: Provide(_service(f.name), sync_to_thread=False)
        for f in fields(Container)
        if f.name not in NOT_INJECTED
    }


NOT_INJECTED = frozenset({"followers", "sweeper", "decay_sweeper", "store", "tasks"})


def _service(name: str) -> Callable[[State], object]:
    def provide(state: State) -> object:
        return getattr(state.container, name)

    return provide


def _start_container(app: Litestar) -> None:
    app.state.container.start()


def _close_container(app: Litestar) -> None:
    app.state.container.close()


def create_litestar(container: Container) -> Litestar:
    api = Router(
        path=API_PREFIX,
        route_handlers=[
            HealthController,
            AuthController,
            CustomerController,
            CustomerUserController,
            BillingController,
            EggController,
            OperationController,
            AnalyticsController,
            AnalyticsRollupsController,
            AnalyticsBreakdownsController,
            ActiveUsersController,
            EventController,
            BuddyController,
            BuddyProgressionController,
            AppearanceController,
            AssetController,
            IconController,
            BadgeIconController,
            SkillIconController,
            StageAssetController,
            BuddyHistoryController,
            EconomyController,
            PresetController,
            ApplyPresetController,
            ConfigVersionController,
            CoinRuleController,
            SkillRuleController,
            BadgeDefinitionController,
            StreakDefinitionController,
            EventTypeController,
            AudienceController,
            SkillSetController,
            TokenConfigController,
            GateController,
            BuddyGateController,
            BuddyShopController,
            MarketplaceController,
            SkillDecayController,
            SkillDecayRuleController,
            WidgetSessionController,
            EmbedTokenController,
            WidgetController,
            WidgetMarketplaceController,
            DemoController,
            WebhookController,
            WebhookAnalyticsController,
            CreditController,
            ImageUsageController,
            AdminAuthController,
            AdminUserController,
            AdminCustomerController,
            AdminMoneyController,
            AdminBillingController,
            AdminOperationController,
            AdminAuditController,
            queue_page,
            api_docs,
            api_docs_assets,
        ],
        dependencies={
            "principal": Provide(provide_principal, sync_to_thread=False),
            "paging": Provide(provide_paging, sync_to_thread=False),
        },
    )
    served = [metrics] if container.settings.metrics else []
    app = Litestar(
        route_handlers=[api, WidgetAssetController, demo_page, *served],
        dependencies=service_dependencies(),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        middleware=[IdempotencyMiddleware],
        before_request=enforce_edge_policy,
        before_send=[add_view_lag_header, add_usage_headers],
        request_max_body_size=container.settings.max_body_bytes,
        plugins=[ShapeSchemaPlugin(), SequentialSyncDependencies()],
        openapi_config=OpenAPIConfig(
            title="Hatched API",
            version="1.0.0",
            description="Customer events in, progression out.",
            components=Components(security_schemes=dict(SECURITY_SCHEMES)),
            path=f"{API_PREFIX}/openapi.json",
            render_plugins=[JsonRenderPlugin(path="/")],
        ),
        on_startup=[_start_container],
        on_shutdown=[_close_container],
        logging_config=None,  # the process's logging is ours (structured_logs.py)
        debug=False,
    )
    app.state.container = container
    return app


def create_app(container: Container) -> RequestIdMiddleware:
    return served_app(create_litestar(container))


def served_app(litestar: Litestar) -> RequestIdMiddleware:
    """``litestar`` behind the request-id and access-log layers, serving whichever container
    its state holds (``bind``)."""

    def request_answered(route: str, method: str, status: int, seconds: float) -> None:
        litestar.state.container.metrics.request_answered(route, method, status, seconds)

    return RequestIdMiddleware(AccessLogMiddleware(litestar, request_answered))


def bind(litestar: Litestar, container: Container) -> None:
    """Make ``litestar`` serve ``container`` from its next request (and next start-up) on.
    The app's shape must fit: the metrics route and the body limit come from the settings
    of the container it was built with."""
    litestar.state.container = container

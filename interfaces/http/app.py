"""The Litestar application: routes under ``/api/v1``, one error envelope, request ids."""

from __future__ import annotations

from litestar import Litestar, Router
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from interfaces.container import Container
from interfaces.http.auth import provide_principal
from interfaces.http.consistency import add_view_lag_header
from interfaces.http.errors import EXCEPTION_HANDLERS
from interfaces.http.idempotency import IdempotencyMiddleware
from interfaces.http.request_id import RequestIdMiddleware
from interfaces.http.routes.accounts import AuthController, CustomerController
from interfaces.http.routes.analytics import AnalyticsController
from interfaces.http.routes.appearance import AppearanceController
from interfaces.http.routes.assets import AssetController
from interfaces.http.routes.buddies import BuddyController, EconomyController
from interfaces.http.routes.config_rules import (
    BadgeDefinitionController,
    CoinRuleController,
    SkillRuleController,
    SkillSetController,
    TokenConfigController,
)
from interfaces.http.routes.configs import (
    ApplyPresetController,
    ConfigVersionController,
    PresetController,
)
from interfaces.http.routes.demo import DemoController, demo_page
from interfaces.http.routes.docs import api_docs
from interfaces.http.routes.eggs import EggController
from interfaces.http.routes.events import EventController
from interfaces.http.routes.health import HealthController
from interfaces.http.routes.history import BuddyHistoryController
from interfaces.http.routes.metrics import metrics
from interfaces.http.routes.operations import OperationController
from interfaces.http.routes.stage_assets import StageAssetController
from interfaces.http.routes.webhooks import WebhookAnalyticsController, WebhookController
from interfaces.http.routes.widget import WidgetController
from interfaces.http.routes.widget_assets import WidgetAssetController
from interfaces.http.routes.widget_sessions import EmbedTokenController, WidgetSessionController

API_PREFIX = "/api/v1"


def create_litestar(container: Container) -> Litestar:
    api = Router(
        path=API_PREFIX,
        route_handlers=[
            HealthController,
            AuthController,
            CustomerController,
            EggController,
            OperationController,
            AnalyticsController,
            EventController,
            BuddyController,
            AppearanceController,
            AssetController,
            StageAssetController,
            BuddyHistoryController,
            EconomyController,
            PresetController,
            ApplyPresetController,
            ConfigVersionController,
            CoinRuleController,
            SkillRuleController,
            BadgeDefinitionController,
            SkillSetController,
            TokenConfigController,
            WidgetSessionController,
            EmbedTokenController,
            WidgetController,
            DemoController,
            WebhookController,
            WebhookAnalyticsController,
            api_docs,
        ],
        dependencies={"principal": Provide(provide_principal, sync_to_thread=True)},
    )
    served = [metrics] if container.settings.metrics else []
    app = Litestar(
        route_handlers=[api, WidgetAssetController, demo_page, *served],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        middleware=[IdempotencyMiddleware],
        before_send=[add_view_lag_header],
        request_max_body_size=container.settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Hatched API",
            version="1.0.0",
            description="Customer events in, progression out.",
            path=f"{API_PREFIX}/openapi.json",
            render_plugins=[JsonRenderPlugin(path="/")],
        ),
        on_startup=[container.start],
        on_shutdown=[container.close],
        debug=False,
    )
    app.state.container = container
    return app


def create_app(container: Container) -> RequestIdMiddleware:
    return RequestIdMiddleware(create_litestar(container))

"""The Litestar application: routes under ``/api/v1``, one error envelope, request ids."""

from __future__ import annotations

from litestar import Litestar, Router
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from interfaces.container import Container
from interfaces.http.auth import provide_principal
from interfaces.http.errors import EXCEPTION_HANDLERS
from interfaces.http.idempotency import IdempotencyMiddleware
from interfaces.http.request_id import RequestIdMiddleware
from interfaces.http.routes.accounts import AuthController, CustomerController
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
from interfaces.http.routes.docs import api_docs
from interfaces.http.routes.eggs import EggController
from interfaces.http.routes.events import EventController
from interfaces.http.routes.health import HealthController
from interfaces.http.routes.operations import OperationController

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
            EventController,
            BuddyController,
            EconomyController,
            PresetController,
            ApplyPresetController,
            ConfigVersionController,
            CoinRuleController,
            SkillRuleController,
            BadgeDefinitionController,
            SkillSetController,
            TokenConfigController,
            api_docs,
        ],
        dependencies={"principal": Provide(provide_principal, sync_to_thread=True)},
    )
    app = Litestar(
        route_handlers=[api],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        middleware=[IdempotencyMiddleware],
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

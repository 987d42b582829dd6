"""Presets and config versions: apply a preset, draft, revise, clone, publish, impact, migrate."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from application.accounts.principal import Principal
from application.configs.configs import Configs
from domain.configs.config_version import ConfigStatus, ConfigVersion
from domain.shared.errors import DomainError
from domain.shared.ids import parse_public_id, public_id
from interfaces.http.auth import Caller
from interfaces.http.body import Model
from interfaces.http.configs.impact import ImpactView, MigrationView
from interfaces.http.pagination import Listing
from interfaces.http.request_id import correlation_of
from interfaces.http.routing import Access, get, patch, post

MAX_MIGRATE_IDS = 1000

# The keys of ``domain.configs.presets.PRESET_KEYS`` (a test keeps the two equal).
PresetKey = Literal["language-learning", "fitness", "productivity", "custom"]


class ApplyPresetRequest(Model):
    preset_key: PresetKey


class CreateConfigRequest(Model):
    document: dict[str, Any] | None = None


class ReviseConfigRequest(Model):
    document: dict[str, Any]


class MigrateRequest(Model):
    buddy_ids: Annotated[list[str], msgspec.Meta(max_length=MAX_MIGRATE_IDS)] | None = None
    all: bool | None = None


class PresetSummary(msgspec.Struct, kw_only=True):
    key: str
    name: str
    description: str


class PresetView(PresetSummary, kw_only=True):
    document: dict[str, Any]


class ConfigVersionView(msgspec.Struct):
    config_version_id: str
    version: int | None
    status: ConfigStatus
    created_at: datetime
    published_at: datetime | None
    archived_at: datetime | None
    based_on: str | None
    document: dict[str, Any]

    @classmethod
    def of(cls, version: ConfigVersion) -> ConfigVersionView:
        return cls(
            config_version_id=version.public_id,
            version=version.version_number,
            status=version.status,
            created_at=version.created_on,
            published_at=version.published_at,
            archived_at=version.archived_at,
            based_on=public_id("config_version", version.based_on) if version.based_on else None,
            document=version.document,
        )


def actor_of(principal: Principal) -> str:
    """Who did it, for the event's record: the key id, or the customer for a dashboard."""
    if principal.key_id is not None:
        return f"{principal.kind}:{public_id('api_key', principal.key_id)}"
    return f"{principal.kind}:{public_id('customer', principal.customer_id)}"


def _migration_targets(data: MigrateRequest) -> list[str] | None:
    """``buddy_ids`` or ``all: true``, exactly one of them."""
    problem: tuple[str, str] | None = None
    if data.buddy_ids is not None and data.all is not None:
        problem = ("all", "send either buddy_ids or all, not both")
    elif data.buddy_ids is None and data.all is not True:
        problem = ("buddy_ids", "send buddy_ids, or all: true to migrate every buddy")
    elif data.buddy_ids is not None and not data.buddy_ids:
        problem = ("buddy_ids", "must not be empty")
    if problem is not None:
        field, reason = problem
        raise DomainError(
            "validation_failed",
            f"{field}: {reason}",
            {"fields": [{"field": field, "reason": reason}]},
        )
    return data.buddy_ids


class PresetController(Controller):
    path = "/presets"
    tags = ["config"]

    @get(access=Access.SECRET, summary="List presets")
    def list_presets(
        self, principal: Caller, configs: NamedDependency[Configs]
    ) -> Listing[PresetSummary]:
        return Listing([msgspec.convert(p, PresetSummary) for p in configs.presets()])

    @get("/{key:str}", access=Access.SECRET, summary="A preset and its whole rulebook")
    def get_preset(
        self, principal: Caller, configs: NamedDependency[Configs], key: FromPath[str]
    ) -> PresetView:
        return msgspec.convert(configs.preset(key), PresetView)


class ApplyPresetController(Controller):
    path = "/customers/me"
    tags = ["config"]

    @post(
        "/apply-preset",
        access=Access.SECRET,
        body=ApplyPresetRequest,
        errors=("conflict",),
        status_code=200,
        summary="Start a draft from a preset (published as version 1 when none is published)",
    )
    def apply_preset(
        self,
        principal: Caller,
        configs: NamedDependency[Configs],
        data: JSONBody[ApplyPresetRequest],
    ) -> ConfigVersionView:
        return ConfigVersionView.of(configs.apply_preset(principal.tenant, data.preset_key))


class ConfigVersionController(Controller):
    path = "/config-versions"
    tags = ["config"]

    @get(
        access=Access.SECRET,
        errors=("bad_request",),
        summary="List config versions, newest first",
    )
    def list_versions(
        self,
        principal: Caller,
        configs: NamedDependency[Configs],
        status: FromQuery[str | None] = None,
    ) -> Listing[ConfigVersionView]:
        versions = configs.list(principal.tenant, status)
        return Listing([ConfigVersionView.of(v) for v in versions])

    @post(
        access=Access.SECRET,
        body=CreateConfigRequest,
        errors=("conflict",),
        status_code=201,
        summary="Start the draft (from a document, else from the published version)",
    )
    def create_version(
        self,
        principal: Caller,
        configs: NamedDependency[Configs],
        data: JSONBody[CreateConfigRequest],
    ) -> ConfigVersionView:
        return ConfigVersionView.of(configs.create_draft(principal.tenant, data.document))

    @get("/{version_id:str}", access=Access.SECRET, summary="Get a config version")
    def get_version(
        self, principal: Caller, configs: NamedDependency[Configs], version_id: FromPath[str]
    ) -> ConfigVersionView:
        return ConfigVersionView.of(configs.get(principal.tenant, version_id))

    @patch(
        "/{version_id:str}",
        access=Access.SECRET,
        body=ReviseConfigRequest,
        errors=("invalid_state_transition", "conflict"),
        summary="Replace the draft's document (published versions are immutable)",
    )
    def revise_version(
        self,
        principal: Caller,
        configs: NamedDependency[Configs],
        version_id: FromPath[str],
        data: JSONBody[ReviseConfigRequest],
    ) -> ConfigVersionView:
        return ConfigVersionView.of(configs.revise(principal.tenant, version_id, data.document))

    @post(
        "/{version_id:str}/clone",
        access=Access.SECRET,
        errors=("conflict",),
        status_code=201,
        summary="Start the draft from a copy of any version",
    )
    def clone_version(
        self, principal: Caller, configs: NamedDependency[Configs], version_id: FromPath[str]
    ) -> ConfigVersionView:
        return ConfigVersionView.of(configs.clone(principal.tenant, version_id))

    @post(
        "/{version_id:str}/publish",
        access=Access.SECRET,
        errors=("invalid_state_transition", "conflict"),
        status_code=200,
        summary="Publish the draft as the next version; the previous one is archived",
    )
    def publish_version(
        self, principal: Caller, configs: NamedDependency[Configs], version_id: FromPath[str]
    ) -> ConfigVersionView:
        return ConfigVersionView.of(configs.publish(principal.tenant, version_id))

    @get(
        "/{version_id:str}/impact",
        access=Access.SECRET,
        errors=("bad_request",),
        summary="Preview the impact: who stays where, and what changed",
    )
    def impact(
        self,
        principal: Caller,
        configs: NamedDependency[Configs],
        version_id: FromPath[str],
        days: FromQuery[int | None] = None,
    ) -> ImpactView:
        return msgspec.convert(configs.impact(principal.tenant, version_id, days), ImpactView)

    @post(
        "/{version_id:str}/migrate-buddies",
        access=Access.SECRET,
        body=MigrateRequest,
        errors=("invalid_state_transition", "conflict"),
        status_code=200,
        summary="Pin some or all buddies to this published version",
    )
    def migrate_buddies(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        configs: NamedDependency[Configs],
        version_id: FromPath[str],
        data: JSONBody[MigrateRequest],
    ) -> MigrationView:
        targets = _migration_targets(data)
        buddy_ids = None if targets is None else [parse_public_id("buddy", b) for b in targets]
        outcome = configs.migrate_buddies(
            principal.tenant,
            version_id,
            buddy_ids,
            actor=actor_of(principal),
            correlation_id=correlation_of(request),
        )
        return msgspec.convert(outcome, MigrationView)

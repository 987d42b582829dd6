"""``/gates``: the tenant's token gates, a part of the rulebook like every rule resource.

A ``PUT`` creates or replaces one gate in the draft (started from the published version on
the first edit) and a ``DELETE`` removes it from the draft; buddies see a gate once the draft
is published (decision 0035). ``GET`` shows the draft when there is one, else the published
version, and says which in ``source``.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from application.configs.configs import Configs
from application.configs.rule_editors import GATES, ConfigItems
from domain.configs.rulebook import GateDef, SnakeKey
from interfaces.http.auth import Caller
from interfaces.http.configs.section_routes import (
    RulebookList,
    Source,
    plain,
    shaped,
    where,
    written,
)
from interfaces.http.routing import Access, delete, get, put


class GateBody(GateDef, frozen=True, kw_only=True):
    """A gate as ``PUT`` takes it; its key is the one in the path (a ``gate_key`` in the body
    must be that one). The domain checks the rest (``token_key`` is the primary slot,
    ``cost`` from 1, ``metadata`` at most 4 KiB)."""

    gate_key: SnakeKey | None = None  # type: ignore[assignment]
    metadata: dict[str, Any] | None = None  # type: ignore[assignment]


class Gate(GateDef, frozen=True, kw_only=True):
    """A token gate (``GateDef``)."""


class GateView(Gate, frozen=True, kw_only=True):
    config_version_id: str
    source: Source


class GateController(Controller):
    path = "/gates"
    tags = ["config"]

    @get(access=Access.SECRET, feature="tokens", summary="List token gates")
    def list_gates(
        self, principal: Caller, configs: NamedDependency[Configs]
    ) -> RulebookList[Gate]:
        gates, current = ConfigItems(configs).items(principal.tenant, GATES)
        return RulebookList([shaped(Gate, g) for g in gates], **where(current))

    @put(
        "/{gate_key:str}",
        access=Access.SECRET,
        feature="tokens",
        body=GateBody,
        errors=("conflict",),
        summary="Create or update a token gate in the draft",
    )
    def put_gate(
        self,
        principal: Caller,
        configs: NamedDependency[Configs],
        gate_key: FromPath[str],
        data: JSONBody[GateBody],
    ) -> GateView:
        fields = plain(data)
        edited = ConfigItems(configs).upsert(principal.tenant, GATES, gate_key, fields)
        return shaped(GateView, {**edited.part, **written(edited)})

    @delete(
        "/{gate_key:str}",
        access=Access.SECRET,
        feature="tokens",
        errors=("conflict",),
        status_code=200,
        summary="Delete a token gate from the draft",
    )
    def delete_gate(
        self, principal: Caller, configs: NamedDependency[Configs], gate_key: FromPath[str]
    ) -> GateView:
        edited = ConfigItems(configs).delete(principal.tenant, GATES, gate_key)
        return shaped(GateView, {**edited.part, **written(edited)})

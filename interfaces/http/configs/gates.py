"""``/gates``: the tenant's token gates, a part of the rulebook like every rule resource.

A ``PUT`` creates or replaces one gate in the draft (started from the published version on
the first edit) and a ``DELETE`` removes it from the draft; buddies see a gate once the draft
is published (decision 0035). ``GET`` shows the draft when there is one, else the published
version, and says which in ``source``.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from application.configs.configs import Configs
from application.configs.rule_editors import GATES, ConfigItems
from interfaces.http.auth import Caller
from interfaces.http.body import Model
from interfaces.http.configs.section_routes import RulebookList, Source, shaped, where, written
from interfaces.http.routing import Access, delete, get, put


class GateBody(Model):
    """A gate as ``PUT`` takes it; its key is the one in the path. The domain checks the
    rest (``token_key`` is the primary slot, ``cost`` from 1, ``metadata`` at most 4 KiB)."""

    token_key: str
    cost: int
    metadata: dict[str, Any] | None = None


class Gate(msgspec.Struct, kw_only=True):
    gate_key: str
    token_key: str
    cost: int
    metadata: dict[str, Any]


class GateView(Gate, kw_only=True):
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
        fields = msgspec.to_builtins(data)
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

"""``PATCH /customers/me/audiences``: replace the labels the customer's end users come in.

It lives with the companions because what it guards is theirs: an audience that buddies (or
eggs on their way to become buddies) belong to cannot be removed, which the eggs view
answers for both modes (decision 0041). Declaring audiences is the Pro feature
``multi_audience``.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.accounts.accounts import Accounts
from domain.accounts.audiences import AUDIENCES_SETTING, MAX_AUDIENCES
from domain.shared.text_patterns import AUDIENCE
from infrastructure.persistence.view_store import ViewStore
from interfaces.http.auth import Caller
from interfaces.http.body import Model
from interfaces.http.consistency import caught_up
from interfaces.http.routing import Access, patch
from projections.companions.eggs import EGGS, EggsView

AudienceKey = Annotated[str, msgspec.Meta(pattern=AUDIENCE.regex)]
Brief = Annotated[str, msgspec.Meta(min_length=1, max_length=280)]


class AudienceBody(Model):
    """``brief``: what this audience is, for the people and the rules that read it."""

    key: AudienceKey
    brief: Brief


class AudiencesRequest(Model):
    audiences: Annotated[list[AudienceBody], msgspec.Meta(max_length=MAX_AUDIENCES)]


class AudienceView(msgspec.Struct):
    key: str
    brief: str


class Audiences(msgspec.Struct):
    audiences: list[AudienceView]


def in_use(views: ViewStore, customer_hex: str) -> set[str]:
    """The audiences of the customer's eggs that are, or may still become, buddies."""
    rows = views.rows(EGGS.name, {"customer_id": customer_hex})
    return {
        str(row["data"]["audience"])
        for row in rows
        if row["status"] != "cancelled" and row["data"].get("audience")
    }


class AudienceController(Controller):
    path = "/customers/me/audiences"
    tags = ["customers"]

    @patch(
        access=Access.SECRET,
        body=AudiencesRequest,
        feature="multi_audience",
        errors=("audience_in_use", "service_unavailable"),
        summary="Replace the customer's audience list",
    )
    def replace_audiences(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        accounts: NamedDependency[Accounts],
        views: NamedDependency[ViewStore],
        data: JSONBody[AudiencesRequest],
    ) -> Audiences:
        audiences = [msgspec.to_builtins(a) for a in data.audiences]

        def used() -> set[str]:
            # a guard: every egg saved so far must be in the view (decision 0047)
            caught_up(request, EggsView.name)
            return in_use(views, principal.customer_id.hex)

        customer = accounts.replace_audiences(principal.customer_id, audiences, used)
        stored = customer.settings.get(AUDIENCES_SETTING) or []
        return Audiences([AudienceView(a["key"], a["brief"]) for a in stored])

"""Every read model the application keeps, by name."""

from __future__ import annotations

from projections.base import Projection
from projections.buddies import BuddiesView
from projections.eggs import EggsView
from projections.event_log import EventLogView
from projections.operations import OperationsView


def all_projections() -> list[Projection]:
    return [EggsView(), BuddiesView(), OperationsView(), EventLogView()]

"""The operations' gauges, read from their view at every scrape (``GET /metrics``).

``hatched_operations{type,status}`` counts the operations the view holds; the queue is the
operations still ``pending`` (not yet taken by a worker): ``hatched_operations_queued`` and
``hatched_operations_oldest_pending_age_seconds`` (0 when none waits), which an alert on a
stuck or missing worker watches.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from application.shared.ports import Clock
from infrastructure.persistence.view_store import ViewStore
from projections.companions.operations import OPERATIONS


class OperationGauges(Collector):
    def __init__(self, views: ViewStore, clock: Clock) -> None:
        self._views = views
        self._clock = clock

    def describe(self) -> Iterator[Metric]:
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        by_kind, queued, oldest = self._families()
        rows = self._views.select(
            f"SELECT type, status, COUNT(*) AS n, MIN(created_at) AS oldest "
            f"FROM {OPERATIONS.name} GROUP BY type, status"
        )
        waiting = 0
        first: str | None = None
        for row in rows:
            by_kind.add_metric([str(row["type"]), str(row["status"])], int(row["n"]))
            if row["status"] == "pending":
                waiting += int(row["n"])
                first = min(first or row["oldest"], row["oldest"])
        queued.add_metric([], waiting)
        age = 0.0
        if first is not None:
            age = max(0.0, (self._clock.now() - datetime.fromisoformat(first)).total_seconds())
        oldest.add_metric([], age)
        yield from (by_kind, queued, oldest)

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                "hatched_operations",
                "Operations (hatch, evolve, equip_item) by type and status",
                labels=["type", "status"],
            ),
            GaugeMetricFamily(
                "hatched_operations_queued", "Operations pending: waiting for a worker"
            ),
            GaugeMetricFamily(
                "hatched_operations_oldest_pending_age_seconds",
                "How long the oldest pending operation has waited (0 when none waits)",
            ),
        )

"""``hatched_view_lag_events{view}``: how far each follower of the log is behind its head, in
notifications, read at every scrape (the number ``hatched projections status`` shows)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from infrastructure.persistence.view_store import ViewStore


class ViewLag(Collector):
    def __init__(self, followers: Sequence[str], views: ViewStore, head: Callable[[], int]) -> None:
        self._followers = list(followers)
        self._views = views
        self._head = head

    def describe(self) -> Iterator[Metric]:
        yield self._family()

    def collect(self) -> Iterator[Metric]:
        head = self._head()
        positions = self._views.positions()
        family = self._family()
        for view in self._followers:
            family.add_metric([view], max(0, head - positions.get(view, 0)))
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "hatched_view_lag_events",
            "Notifications of the event log a follower (view or reactor) has yet to apply",
            labels=["view"],
        )

"""Prometheus metrics: one registry per process, and what it reports.

``GET /metrics`` (served only with ``HATCHED_METRICS=true``) writes this registry in the
Prometheus text format. Metrics that are read from storage are collectors asked at scrape
time (``watch_parked_events``), so they cost nothing between scrapes and never drift from
what ``hatched projections status`` shows. Counters and histograms that code updates as it
goes (per request, say) belong on the same registry: add them to ``Metrics``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector


class Metrics:
    """The process's registry (its own, not the library's global one, so that several
    containers in one process — the tests — do not collide)."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)

    def watch_parked_events(
        self, followers: Sequence[str], counts: Callable[[], dict[str, int]]
    ) -> None:
        """``hatched_parked_events{view=…}``: events each follower parked (decision 0016),
        from ``counts`` at every scrape; every follower in ``followers`` is reported, at 0
        when it parked none."""
        self.registry.register(_ParkedEvents(followers, counts))

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format."""
        return generate_latest(self.registry)


class _ParkedEvents(Collector):
    def __init__(self, followers: Sequence[str], counts: Callable[[], dict[str, int]]) -> None:
        self._followers = list(followers)
        self._counts = counts

    def describe(self) -> Iterator[Metric]:
        yield self._family()

    def collect(self) -> Iterator[Metric]:
        counts = self._counts()
        family = self._family()
        for view in dict.fromkeys([*self._followers, *sorted(counts)]):
            family.add_metric([view], counts.get(view, 0))
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "hatched_parked_events",
            "Events a follower of the log parked because it could not apply them",
            labels=["view"],
        )

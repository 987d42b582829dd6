"""Prometheus metrics: what a process counts, and how a scrape sees every process.

``GET /metrics`` (``HATCHED_METRICS=true``) and the listener on ``HATCHED_METRICS_PORT`` write
``exposition_registry`` in the Prometheus text format (decision 0030). Two kinds of series:

* counted as things happen (requests, ingested events, webhook attempts, conflicts retried):
  the counters and histograms below, updated by the access log middleware, the use cases'
  ``Telemetry`` port, the webhook sender's wrapper and ``retry_on_conflict``'s watchers;
* read from storage at scrape time (parked events, operations, view lag): collectors added
  with ``watch``, which cost nothing between scrapes and never drift from the store.

With ``HATCHED_METRICS_DIR`` every process of a deployment on one host (``serve``, ``worker``,
``projector``) writes its counters to files there (prometheus-client's multiprocess mode) and a
scrape of any of them sums all; without it each process counts only for itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def use_multiprocess_dir(directory: Path) -> None:
    """Make this process's counters live in files under ``directory``, summed at scrape.

    prometheus-client picks its value store from ``PROMETHEUS_MULTIPROC_DIR`` when it is first
    imported; setting both here makes the choice whatever imported it first, as long as no
    counter exists yet (``Metrics`` calls this before it creates its own).
    """
    directory.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(directory)
    if not getattr(values.ValueClass, "_multiprocess", False):
        values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]


class Metrics:
    """The process's metrics, on registries of its own (not the library's global one, so that
    several containers in one process — the tests — do not collide)."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, multiprocess_dir: Path | None = None) -> None:
        self._dir = multiprocess_dir
        if multiprocess_dir is not None:
            use_multiprocess_dir(multiprocess_dir)
        self.registry = CollectorRegistry(auto_describe=True)
        """What is read at scrape time (``watch``), plus the counters in one-process mode."""
        counted = None if multiprocess_dir is not None else self.registry
        self.exposition_registry = self.registry
        if multiprocess_dir is not None:
            self.exposition_registry = CollectorRegistry()
            MultiProcessCollector(self.exposition_registry, path=str(multiprocess_dir))  # type: ignore[no-untyped-call]
        self.requests = Counter(
            "hatched_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=counted,
        )
        self.request_seconds = Histogram(
            "hatched_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by route template",
            ["route", "method"],
            registry=counted,
        )
        self.events = Counter(
            "hatched_events_ingested",
            "Customer events ingested, by outcome: accepted, duplicate or rejected",
            ["outcome"],
            registry=counted,
        )
        self.webhook_attempts = Counter(
            "hatched_webhook_attempts",
            "Webhook delivery attempts, by outcome: succeeded, http_4xx, http_5xx, ... or why "
            "there was no answer (timeout, connection_failed, ...)",
            ["outcome"],
            registry=counted,
        )
        self.rate_limits_unavailable = Counter(
            "hatched_rate_limits_unavailable",
            "Requests let through uncounted because the rate-limit store could not be reached",
            registry=counted,
        )
        self.conflicts = Counter(
            "hatched_write_conflicts_retried",
            "Writes that lost a race to a competing write and were tried again",
            registry=counted,
        )

    # -- counted as things happen ----------------------------------------------------------

    def request_answered(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.request_seconds.labels(route, method).observe(seconds)

    def events_ingested(self, outcome: str) -> None:
        """The ``Telemetry`` port of the use cases."""
        self.events.labels(outcome).inc()

    def webhook_attempted(self, outcome: str) -> None:
        self.webhook_attempts.labels(outcome).inc()

    def rate_limit_unavailable(self) -> None:
        self.rate_limits_unavailable.inc()

    def conflict_retried(self) -> None:
        self.conflicts.inc()

    # -- read at scrape time ---------------------------------------------------------------

    def watch(self, collector: Collector) -> None:
        """Ask ``collector`` at every scrape (of this process: storage is shared anyway)."""
        self.registry.register(collector)
        if self.exposition_registry is not self.registry:
            self.exposition_registry.register(collector)

    def watch_parked_events(
        self, followers: Sequence[str], counts: Callable[[], dict[str, int]]
    ) -> None:
        """``hatched_parked_events{view=…}``: events each follower parked (decision 0016),
        from ``counts`` at every scrape; every follower in ``followers`` is reported, at 0
        when it parked none."""
        self.watch(_ParkedEvents(followers, counts))

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format."""
        return generate_latest(self.exposition_registry)


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

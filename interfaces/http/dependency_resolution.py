"""A batch of plain synchronous dependencies is resolved one after another, not in a task group.

Litestar (2.25) sorts a handler's dependencies into batches, each needing only the ones before
it, and ``KwargsModel.resolve_dependencies`` resolves a batch of two or more inside an anyio
task group: a task per dependency, on every request. Most of our routes have such a batch (the
``principal`` or ``admin`` or ``widget`` credential next to a service such as ``ingestion``),
and under load the task groups cost about 8% of the API process's CPU on
``POST /api/v1/events``. This is litestar-org/litestar#4563 ("Optimize dependency resolution
overhead (TaskGroup bottleneck)", open when this was written).

For a provider that is a plain synchronous callable not sent to a thread
(``Provide(..., sync_to_thread=False)``: ours all are) the group buys no concurrency: each
task runs to its end on the event loop without yielding, one after the other, in the order
they were started. ``SequentialSyncDependencies`` is a route plugin (Litestar calls it for
every route it registers, after building the route's ``KwargsModel``) that splits such a batch
into batches of one, in the same order. Litestar resolves a batch of one by awaiting it
directly, with no task group; nothing of Litestar's is replaced, only its precomputed batches
reshaped, and ``tests/http/test_dependency_resolution.py`` fails if an upgrade stops that
from avoiding the task group.

Why this is safe:

- the dependencies run in the order the task group started them, each with what the batches
  before it resolved, and add their generators to the same ``DependencyCleanupGroup`` in
  the same order: cleanup (``yield`` dependencies) is unchanged;
- an error is the same exception: Litestar re-raises the first exception of the group, here
  the first failing dependency raises it directly. The only differences: it is no longer
  chained to an ``ExceptionGroup`` (``__cause__``), and the dependencies after it in the batch
  are not called (in the group they were, and their values thrown away);
- a dependency now runs in the request's context rather than in a task's copy of it, as a
  dependency alone in its batch always did (none of ours sets a context variable);
- a batch with any async provider, async generator or provider sent to a thread is left as
  it is, so Litestar still resolves it concurrently in its task group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import HTTPRoute, WebSocketRoute

if TYPE_CHECKING:
    from litestar._kwargs import KwargsModel
    from litestar._kwargs.dependencies import DependencyContainer
    from litestar.routes import BaseRoute

DependencyBatches = list[set["DependencyContainer"]]


class SequentialSyncDependencies(ReceiveRoutePlugin):
    """Resolves each route's batches of plain synchronous dependencies without a task group."""

    def receive_route(self, route: BaseRoute) -> None:
        for model in kwargs_models_of(route):
            model.dependency_batches = one_at_a_time_where_synchronous(model.dependency_batches)


def kwargs_models_of(route: BaseRoute) -> list[KwargsModel]:
    """The parameter models Litestar resolves ``route``'s dependencies with."""
    if isinstance(route, HTTPRoute):
        return [model for _handler, model in route.route_handler_map.values()]
    if isinstance(route, WebSocketRoute) and route.handler_parameter_model is not None:
        return [route.handler_parameter_model]
    return []


def one_at_a_time_where_synchronous(batches: DependencyBatches) -> DependencyBatches:
    """``batches`` with every batch of plain synchronous dependencies split into batches of
    one, in the order Litestar would have started their tasks."""
    reshaped: DependencyBatches = []
    for batch in batches:
        if all(runs_to_its_end_on_the_loop(dependency) for dependency in batch):
            reshaped.extend({dependency} for dependency in batch)
        else:
            reshaped.append(batch)
    return reshaped


def runs_to_its_end_on_the_loop(dependency: DependencyContainer) -> bool:
    """Whether resolving ``dependency`` never awaits anything: its provider is synchronous
    and not sent to a thread (``has_sync_callable``), and is not an async generator function
    (Litestar counts those as synchronous callables, then awaits their first value)."""
    provide = dependency.provide
    return provide.has_sync_callable and not provide.has_async_generator_dependency

"""The threads ``hatched serve`` runs synchronous work of a request on (decision 0059).

Litestar runs a synchronous handler in ``loop.run_in_executor`` on the executor set with
``litestar.concurrency.set_asyncio_executor``, else on the loop's default one, which Python
sizes at ``min(32, CPUs + 4)``: six threads on a two-core machine. A request's thread mostly
waits (for its group commit, for the database), so six threads meant at most six requests in
the pipeline whatever the number of connections, and ingestion groups of at most six events:
more transactions, each for fewer events. The pool is sized for waiting requests instead,
40 by default as anyio sizes its own for Starlette's synchronous endpoints
(``HATCHED_HTTP_THREADS``). The edge policy's credential and limit checks run on the same
pool, through the same ``sync_to_thread``, so there is one pool to size.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from infrastructure.shared.settings import Settings


def handler_threads(settings: Settings) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(settings.http_threads, thread_name_prefix="hatched-http")

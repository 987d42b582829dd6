"""``interfaces/http/routing.py``: what a declaration turns into."""

from __future__ import annotations

import warnings

from litestar import Litestar

from interfaces.http.routing import Access, post


def test_an_async_handler_is_declared_without_a_thread_and_a_sync_one_with_one() -> None:
    @post("/async", access=Access.PUBLIC)
    async def on_loop() -> None:
        return None

    @post("/sync", access=Access.PUBLIC)
    def off_loop() -> None:
        return None

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Litestar warns when an async handler names a thread
        Litestar(route_handlers=[on_loop, off_loop])
    assert off_loop.sync_to_thread is True and on_loop.sync_to_thread is None

"""A tiny webhook receiver for tests: an HTTP server on 127.0.0.1 that records every request
and answers the way a test tells it to (by default ``204``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> str:
        return self.headers.get("X-Hatched-Event", "")


Answer = tuple[int, dict[str, str], bytes]
Responder = Callable[[int, Received], Answer]


class Receiver:
    def __init__(self, respond: Responder | None = None) -> None:
        self.respond: Responder = respond or (lambda index, request: (204, {}, b""))
        self.received: list[Received] = []
        self._lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                request = Received(
                    self.command, self.path, dict(self.headers.items()), self.rfile.read(length)
                )
                with receiver._lock:
                    index = len(receiver.received)
                    receiver.received.append(request)
                    receiver._lock.notify_all()
                status, headers, body = receiver.respond(index, request)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST  # a fake API (Stripe's) answers reads and deletes the same way
            do_DELETE = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(
        self, accept: Callable[[list[Received]], bool], timeout: float = 15.0
    ) -> list[Received]:
        """Block until ``accept(received so far)`` holds; fail the test after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not accept(self.received):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    events = [r.event for r in self.received]
                    raise AssertionError(f"the receiver got only {events}")
                self._lock.wait(min(remaining, 0.1))
            return list(self.received)

    def events(self, name: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.event == name]

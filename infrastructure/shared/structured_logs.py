"""One format for every line a process logs: ours, uvicorn's, dramatiq's and Litestar's.

Code logs with the standard library (``logging.getLogger("hatched.…")``, fields passed as
``extra``); structlog's ``ProcessorFormatter`` on the root handler renders every record, so a
library's lines come out exactly like ours. ``HATCHED_LOG_FORMAT=console`` (the default)
writes lines for a person, ``json`` one object a line for a collector (decision 0030).
Every line carries ``timestamp``, ``level``, ``logger`` and ``event``; lines written while a
request is served also carry its ``request_id`` (bound by the access log middleware).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

LIBRARY_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "dramatiq", "litestar")
"""Loggers that libraries configure for themselves: their handlers go, so their records reach
the root handler (and its format) like everyone else's."""

ANNOUNCEMENTS = "hatched.cli"
"""The logger of what a long-running command says it started; shown at every log level, since
an operator (and a test) waits for it."""


def configure_logging(level: str, fmt: str, stream: TextIO | None = None) -> None:
    """Send every record of this process to one handler on ``stream`` (standard error)."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _drop_colour_copies,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    out = stream or sys.stderr
    renderer: Any
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
        finish: list[Any] = [structlog.processors.format_exc_info]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=out.isatty())
        finish = []
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *finish, renderer],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name in LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        library.handlers = []
        library.propagate = True
    logging.getLogger(ANNOUNCEMENTS).setLevel(logging.INFO)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _drop_colour_copies(
    logger: object, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Uvicorn sends a coloured copy of some messages as an extra; the message is enough."""
    event.pop("color_message", None)
    return event


def announce(message: str) -> None:
    """What a long-running command started (the API's address, the store it opened)."""
    logging.getLogger(ANNOUNCEMENTS).info(message)

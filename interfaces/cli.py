"""The ``hatched`` command: ``serve``, ``worker``, ``projector``, ``projections``, ``buddies``,
``customers``, ``admin``.

Every command says on standard error which store it opened, so an operator never wonders
whether a command ran against the right database.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import PackageNotFoundError, version

from infrastructure.shared.settings import Settings
from infrastructure.shared.structured_logs import announce, configure_logging
from interfaces import admin_cli, buddies_cli, customers_cli, projections_cli


def serve(args: argparse.Namespace) -> int:
    import uvicorn
    from litestar.concurrency import set_asyncio_executor

    from interfaces.container import build_container
    from interfaces.http.app import create_app
    from interfaces.http.handler_threads import handler_threads

    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    container = build_container(settings)
    app = create_app(container)
    announce_store(settings)
    host = args.host or settings.host
    port = args.port or settings.port
    if settings.metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(
            settings.metrics_port, addr=host, registry=container.metrics.exposition_registry
        )
        announce(f"Hatched metrics on http://{host}:{settings.metrics_port}/metrics")
    announce(f"Hatched API on http://{host}:{port}/api/v1 (docs: /api/v1/docs)")
    set_asyncio_executor(handler_threads(settings))
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=settings.log_level,
        log_config=None,  # uvicorn's records go through our handler (structured_logs.py)
        access_log=False,  # ours has the request id, tenant and route (access_log.py)
        lifespan="on",
    )
    return 0


def worker(args: argparse.Namespace) -> int:
    """Consume operations from Redis until interrupted (production mode)."""
    import signal
    import threading

    from interfaces.container import build_container

    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    if not settings.redis_url:
        print(
            "hatched worker needs HATCHED_REDIS_URL; `hatched serve` runs its own worker otherwise"
        )
        return 2
    container = build_container(settings)
    announce_store(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    container.tasks.start_worker(threads=args.threads)
    container.start_sweepers()  # re-enqueues work whose message Redis lost; skill decay
    announce(f"Hatched worker consuming from {settings.redis_url} ({args.threads} threads)")
    stop.wait()
    container.close()
    return 0


def announce_store(settings: Settings) -> None:
    announce(f"store: {settings.describe_store()}")


def hatched_version() -> str:
    try:
        return version("hatched")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hatched", description="Hatched gamification API")
    parser.add_argument("--version", action="version", version=f"hatched {hatched_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="serve the HTTP API")
    serve_cmd.add_argument(
        "--host", default=None, help="address to bind (default: HATCHED_HOST, 127.0.0.1)"
    )
    serve_cmd.add_argument(
        "--port", type=int, default=None, help="port to bind (default: HATCHED_PORT, 8000)"
    )
    serve_cmd.set_defaults(run=serve)
    worker_cmd = commands.add_parser("worker", help="run background operations from Redis")
    worker_cmd.add_argument(
        "--threads", type=int, default=4, help="operations run at once (default: 4)"
    )
    worker_cmd.set_defaults(run=worker)
    projections_cli.add_commands(commands)
    buddies_cli.add_commands(commands)
    customers_cli.add_commands(commands)
    admin_cli.add_commands(commands)
    return parser


CANNOT_OPEN_STORE = 4
"""Exit status of any command whose database cannot be opened (``projections`` uses 1 to 3)."""


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from infrastructure.persistence.event_store import store_problem

    problem = store_problem(Settings.from_env())  # every command opens the store
    if problem:
        print(f"hatched: {problem}", file=sys.stderr, flush=True)
        return CANNOT_OPEN_STORE
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())

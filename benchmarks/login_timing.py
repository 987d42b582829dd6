"""Does a failed login take as long for an unknown e-mail as for a known one? (decision 0019)

Sends interleaved ``POST /auth/login`` requests — a known e-mail with a wrong password, an
unknown e-mail, and (for scale) the right password — and prints each kind's median. The
unknown e-mail's median should be within 20% of the known one's.

    python -m benchmarks.login_timing                 # in process: TestClient, SQLite, limits raised
    python -m benchmarks.login_timing --url http://127.0.0.1:8000/api/v1

With ``--url`` it measures a running ``hatched serve``, which must allow the attempts: start
it with ``HATCHED_AUTH_RATE_LIMIT`` and ``HATCHED_LOGIN_EMAIL_RATE_LIMIT`` raised (e.g.
``100000/day``), or its throttle answers 429 long before the 50th try.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "correct horse battery"
RAISED = "100000/day"

Post = Callable[[str, dict[str, Any]], int]


@contextmanager
def in_process() -> Iterator[Post]:
    from litestar.testing import TestClient

    from infrastructure.shared.settings import Settings
    from interfaces.container import build_container
    from interfaces.http.app import create_app

    with tempfile.TemporaryDirectory(prefix="hatched-login-timing-") as data_dir:
        settings = Settings(
            data_dir=Path(data_dir),
            secret_key="login-timing-" + uuid.uuid4().hex,
            embedded_worker=True,
            auth_rate_limit=RAISED,
            login_email_rate_limit=RAISED,
        )
        container = build_container(settings)
        with TestClient(create_app(container)) as client:  # type: ignore[type-var]
            yield lambda path, body: client.post(f"/api/v1{path}", json=body).status_code
        container.close()


@contextmanager
def over_http(api: str) -> Iterator[Post]:
    with httpx.Client(timeout=30) as client:
        yield lambda path, body: client.post(f"{api}{path}", json=body).status_code


def measure(post: Post, tries: int, warmup: int) -> dict[str, list[float]]:
    known = f"timing-{uuid.uuid4().hex[:10]}@example.com"
    status = post("/auth/register", {"email": known, "password": PASSWORD, "company_name": "T"})
    if status != 201:
        raise SystemExit(f"register answered {status}")
    kinds: dict[str, Callable[[], dict[str, str]]] = {
        "known e-mail, wrong password": lambda: {"email": known, "password": "wrong-password"},
        "unknown e-mail": lambda: {
            "email": f"nobody-{uuid.uuid4().hex[:10]}@example.com",
            "password": "wrong-password",
        },
        "known e-mail, right password": lambda: {"email": known, "password": PASSWORD},
    }
    expected = {"known e-mail, right password": 200}
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for round_ in range(warmup + tries):
        for kind, body in kinds.items():
            started = time.perf_counter()
            status = post("/auth/login", body())
            elapsed = time.perf_counter() - started
            if status != expected.get(kind, 401):
                raise SystemExit(f"{kind}: login answered {status} (is the throttle raised?)")
            if round_ >= warmup:
                times[kind].append(elapsed * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server's API base, e.g. http://host:8000/api/v1")
    parser.add_argument("--tries", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    with over_http(args.url) if args.url else in_process() as post:
        times = measure(post, args.tries, args.warmup)
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    for kind, median in medians.items():
        print(f"{kind:30} median {median:7.1f} ms over {len(times[kind])} tries")
    known = medians["known e-mail, wrong password"]
    unknown = medians["unknown e-mail"]
    print(f"unknown vs known e-mail: {100 * (unknown - known) / known:+.1f}% at the median")


if __name__ == "__main__":
    main()

"""The HTTP sender against a real local receiver: answers, redirects, timeouts, and the
delivery-time address check with its pinned connection."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from infrastructure.integrations.ssrf import WebhookUrlGuard
from infrastructure.integrations.webhook_sender import HttpWebhookSender, retry_after
from tests.receiver import Receiver

BODY = b'{"amount":10}'
HEADERS = {"Content-Type": "application/json", "X-Hatched-Event": "coins.earned"}


def sender(
    *, allow_private: bool = True, dns: dict[str, list[str]] | None = None, timeout: float = 2.0
) -> HttpWebhookSender:
    def resolve(host: str, port: int) -> list[str]:
        if dns is None or host not in dns:
            raise OSError(f"{host}: Name or service not known")
        return dns[host]

    return HttpWebhookSender(
        WebhookUrlGuard(allow_private=allow_private, resolver=resolve), timeout
    )


def test_a_2xx_answer_with_the_start_of_its_body() -> None:
    with Receiver(lambda i, r: (200, {}, b"ok" * 1000)) as receiver:
        result = sender().send(receiver.url, BODY, HEADERS)
    assert result.succeeded and result.status_code == 200
    assert result.response_excerpt == ("ok" * 1000)[:512]
    (request,) = receiver.received
    assert request.body == BODY and request.headers["X-Hatched-Event"] == "coins.earned"
    assert request.path == "/hooks"


def test_redirects_are_not_followed_and_count_as_failures() -> None:
    with (
        Receiver() as elsewhere,
        Receiver(lambda i, r: (302, {"Location": elsewhere.url}, b"")) as receiver,
    ):
        result = sender().send(receiver.url, BODY, HEADERS)
    assert result.status_code == 302 and not result.succeeded and result.hopeless_soon
    assert len(receiver.received) == 1 and elsewhere.received == []


def test_gone_and_retry_after_are_reported() -> None:
    answers = [(410, {}, b""), (503, {"Retry-After": "7"}, b"busy")]
    with Receiver(lambda i, r: answers[i]) as receiver:
        gone = sender().send(receiver.url, BODY, HEADERS)
        busy = sender().send(receiver.url, BODY, HEADERS)
    assert gone.gone
    assert busy.status_code == 503 and busy.retry_after_seconds == 7.0
    assert busy.response_excerpt == "busy"


def test_a_slow_receiver_times_out() -> None:
    def slow(index: int, request: object) -> tuple[int, dict[str, str], bytes]:
        time.sleep(1.0)
        return 200, {}, b""

    with Receiver(slow) as receiver:
        result = sender(timeout=0.2).send(receiver.url, BODY, HEADERS)
    assert result.error == "timeout" and not result.succeeded


def test_a_closed_port_is_a_connection_failure() -> None:
    with Receiver() as receiver:
        url = receiver.url
    result = sender().send(url, BODY, HEADERS)
    assert result.error == "connection_failed"


def test_a_name_is_resolved_once_and_the_checked_address_is_dialled() -> None:
    with Receiver() as receiver:
        url = f"http://receiver.test:{receiver.port}/hooks"
        result = sender(dns={"receiver.test": ["127.0.0.1"]}).send(url, BODY, HEADERS)
    assert result.succeeded
    assert receiver.received[0].headers["Host"] == f"receiver.test:{receiver.port}"


def test_without_the_override_nothing_private_is_ever_contacted() -> None:
    with Receiver() as receiver:
        literal = sender(allow_private=False).send(receiver.url, BODY, HEADERS)
        url = f"http://rebound.test:{receiver.port}/hooks"
        rebound = sender(allow_private=False, dns={"rebound.test": ["127.0.0.1"]}).send(
            url, BODY, HEADERS
        )
    assert literal.error == rebound.error == "forbidden_address"
    assert "127.0.0.1" in rebound.response_excerpt
    assert receiver.received == []


def test_an_unresolvable_name_is_a_dns_failure() -> None:
    result = sender().send("https://nowhere.test/hooks", BODY, HEADERS)
    assert result.error == "dns_failed" and not result.hopeless_soon


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        ("Wed, 08 Apr 2026 10:32:00 GMT", 120.0),
        ("Wed, 08 Apr 2026 10:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_takes_seconds_or_a_date(header: str | None, seconds: float | None) -> None:
    now = datetime(2026, 4, 8, 10, 30, tzinfo=UTC)
    assert retry_after(header, now) == seconds

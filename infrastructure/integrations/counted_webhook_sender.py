"""A ``WebhookSender`` that counts what each attempt got (``hatched_webhook_attempts_total``).

It wraps whichever sender the container was handed (the HTTP one, or a test's fake), so the
count is of attempts the use case made, whatever carried them.
"""

from __future__ import annotations

from collections.abc import Callable

from application.shared.ports import WebhookSender
from domain.integrations.webhook_delivery import AttemptResult


def attempt_outcome(result: AttemptResult) -> str:
    """``succeeded``; ``http_3xx``/``http_4xx``/``http_5xx`` for another answer; else the
    reason there was none (``timeout``, ``connection_failed``, ``forbidden_address``, ...)."""
    if result.succeeded:
        return "succeeded"
    if result.error is None and result.status_code is not None:
        return f"http_{result.status_code // 100}xx"
    return result.error or "no_answer"


class CountedWebhookSender:
    def __init__(self, sender: WebhookSender, count: Callable[[str], None]) -> None:
        self._sender = sender
        self._count = count

    def send(self, url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
        result = self._sender.send(url, body, headers)
        self._count(attempt_outcome(result))
        return result

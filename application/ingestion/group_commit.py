"""Group commit: requests that arrive while a transaction is being written share the next one.

The PostgreSQL event store serialises write transactions (it locks the events table to keep
the notification log in commit order), so one transaction per request caps throughput at a
few hundred per second however many requests wait. ``GroupCommit`` lets concurrent callers
hand their requests to one thread, the *leader*, which handles everything queued so far as
one group (one ``save``) and gives every caller its own outcome.

There is no timer and no background thread: the first caller to find no leader becomes it,
handles one group (its own request and whatever queued before it started), then promotes the
oldest waiting caller to lead the next group and returns. A lone request therefore waits for
nobody, and under load a group holds whatever arrived during the previous commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeAlias, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Outcome: TypeAlias = R | BaseException
"""What a group handler answers for one request: its result, or the error to raise."""

MAX_GROUP = 256


class _Slot(Generic[T, R]):
    __slots__ = ("done", "error", "ready", "request", "result")

    def __init__(self, request: T) -> None:
        self.request = request
        self.ready = threading.Event()
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None

    def settle(self, outcome: R | BaseException) -> None:
        if isinstance(outcome, BaseException):
            self.error = outcome
        else:
            self.result = outcome
        self.done = True
        self.ready.set()

    def outcome(self) -> R:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class GroupCommit(Generic[T, R]):
    """Combine concurrent ``submit`` calls into groups handled by ``handle``.

    ``handle(requests)`` must return one outcome per request, in order; an exception it
    raises becomes every request's outcome. A group holds requests in arrival order up to a
    total ``weight`` of ``max_group`` (each request weighs 1 unless told otherwise), and
    always at least one request.
    """

    def __init__(
        self,
        handle: Callable[[Sequence[T]], Sequence[Outcome[R]]],
        max_group: int = MAX_GROUP,
        weight: Callable[[T], int] = lambda _: 1,
    ) -> None:
        self._handle = handle
        self._max_group = max_group
        self._weight = weight
        self._lock = threading.Lock()
        self._queue: list[_Slot[T, R]] = []
        self._leading = False

    def submit(self, request: T) -> R:
        slot: _Slot[T, R] = _Slot(request)
        with self._lock:
            self._queue.append(slot)
            lead = not self._leading
            self._leading = True
        if not lead:
            slot.ready.wait()
            if slot.done:
                return slot.outcome()
        self._lead()
        return slot.outcome()

    def _lead(self) -> None:
        """Handle one group (it starts with this thread's own request), then hand over."""
        with self._lock:
            taken, total = 0, 0
            for slot in self._queue:
                total += self._weight(slot.request)
                if taken and total > self._max_group:
                    break
                taken += 1
            group = self._queue[:taken]
            del self._queue[:taken]
        try:
            outcomes: Sequence[Outcome[R]] = self._handle([slot.request for slot in group])
            if len(outcomes) != len(group):
                raise RuntimeError("a group handler must answer every request")
        except BaseException as error:
            outcomes = [error] * len(group)
        finally:
            self._hand_over()
        for slot, outcome in zip(group, outcomes, strict=True):
            slot.settle(outcome)

    def _hand_over(self) -> None:
        with self._lock:
            if not self._queue:
                self._leading = False
                return
            successor = self._queue[0]
        successor.ready.set()

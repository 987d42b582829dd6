"""Hands newly requested operations to the task queue, as a follower of the event log.

The request saves the operation and nothing else; this follower sees ``Operation.Requested``
in the log and enqueues it. A crash between the two loses nothing: the follower's position
has not moved, so the operation is enqueued when it resumes (perhaps twice, which the
idempotent worker tolerates).
"""

from __future__ import annotations

from eventsourcing.domain import DomainEvent

from application.shared.ports import TaskQueue
from domain.companions.operation import Operation


class OperationDispatcher:
    name = "operation_dispatcher"

    def __init__(self, queue: TaskQueue) -> None:
        self._queue = queue

    def react(self, event: DomainEvent) -> None:
        if isinstance(event, Operation.Requested):
            self._queue.enqueue_operation(event.originator_id)

"""The operation against a model: the seed's transitions (§5.4) plus lease expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain.companions.operation import OPERATION_STATUSES, Operation
from domain.shared.errors import InvalidStateTransition

T0 = datetime(2026, 1, 1, tzinfo=UTC)

# (status, command) -> next status, when nothing else (lease, outcome) stands in the way.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("pending", "start"): "processing",
    ("pending", "cancel"): "cancelled",
    ("processing", "start"): "processing",  # only once the lease has expired
    ("processing", "complete"): "completed",
    ("processing", "fail"): "failed",
}
TERMINAL = {"completed", "failed", "cancelled"}
RESULTS = [{"buddy_id": "bdy_1"}, {"buddy_id": "bdy_2"}, {"equipped": ["hat"]}]
ERRORS = [("hatch_failed", "render failed"), ("render_failed", "timeout")]


class OperationMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.operation = Operation(
            id=uuid4(),
            customer_id=uuid4(),
            mode="live",
            type="hatch",
            buddy_id=None,
            egg_id=uuid4(),
            params={},
            correlation_id=None,
            timestamp=self.now,
        )
        self.model = "pending"
        self.attempts = 0
        self.lease_until: datetime | None = None
        self.result: dict[str, Any] | None = None
        self.error: dict[str, str] | None = None
        self.events: list[Any] = self.operation.collect_events()
        self.terminal: tuple[str, Any, Any] | None = None

    def allowed(self, command: str) -> bool:
        if (self.model, command) not in TRANSITIONS:
            return False
        if self.model == "processing" and command == "start":
            assert self.lease_until is not None
            return self.now > self.lease_until
        return True

    def attempt(self, command: str, action: Any, no_op: bool = False) -> bool:
        before = dict(self.operation.__dict__)
        if no_op:
            action()
            assert self.operation.__dict__ == before
            assert self.operation.collect_events() == []
            return False
        if self.allowed(command):
            action()
            self.model = TRANSITIONS[(self.model, command)]
            self.events.extend(self.operation.collect_events())
            return True
        try:
            action()
        except InvalidStateTransition as refused:
            assert refused.code == "invalid_state_transition"
            assert refused.details is not None
            assert refused.details["current_status"] == self.model
        else:
            raise AssertionError(f"{command} from {self.model} should be refused")
        assert self.operation.__dict__ == before
        assert self.operation.collect_events() == []
        return False

    @rule(seconds=st.integers(0, 900))
    def time_passes(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @precondition(lambda self: self.model == "processing")
    @rule(extra=st.one_of(st.just(0), st.integers(1, 60)), lease=st.integers(1, 600))
    def a_worker_dies_and_another_takes_over(self, extra: int, lease: int) -> None:
        """Time moves to ``extra`` s past the lease's end (0: the very end, still held)."""
        assert self.lease_until is not None
        self.now = self.lease_until + timedelta(seconds=extra)
        self.start(lease)

    @rule(lease=st.integers(1, 600))
    def start(self, lease: int) -> None:
        lease_until = self.now + timedelta(seconds=lease)
        started: list[int] = []

        def action() -> None:
            started.append(self.operation.start(lease_until=lease_until, timestamp=self.now))

        if self.attempt("start", action):
            self.attempts += 1
            self.lease_until = lease_until
            assert started == [self.attempts]

    @rule(lease=st.integers(1, 600), wrong=st.sampled_from([-1, 0, 2]))
    def start_expecting_a_wrong_attempt(self, lease: int, wrong: int) -> None:
        """The right expectation is ``attempts + 1``; any other is refused, lease or not."""
        before = dict(self.operation.__dict__)
        try:
            self.operation.start(
                lease_until=self.now + timedelta(seconds=lease),
                timestamp=self.now,
                attempt=self.attempts + wrong,
            )
        except InvalidStateTransition:
            pass
        else:
            raise AssertionError("a wrong expected attempt number must be refused")
        assert self.operation.__dict__ == before

    @rule(result=st.sampled_from(RESULTS))
    def complete(self, result: dict[str, Any]) -> None:
        no_op = self.model == "completed" and result == self.result
        action = lambda: self.operation.complete(result=result, timestamp=self.now)  # noqa: E731
        if self.attempt("complete", action, no_op=no_op):
            self.result = result
            self.lease_until = None

    @rule(error=st.sampled_from(ERRORS))
    def fail(self, error: tuple[str, str]) -> None:
        code, message = error
        no_op = self.model == "failed" and self.error == {"code": code, "message": message}
        action = lambda: self.operation.fail(code=code, message=message, timestamp=self.now)  # noqa: E731
        if self.attempt("fail", action, no_op=no_op):
            self.error = {"code": code, "message": message}
            self.lease_until = None

    @rule()
    def cancel(self) -> None:
        self.attempt("cancel", lambda: self.operation.cancel(timestamp=self.now))

    @invariant()
    def status_is_legal_and_matches_the_model(self) -> None:
        assert self.operation.status in OPERATION_STATUSES
        assert self.operation.status == self.model

    @invariant()
    def terminal_states_never_change(self) -> None:
        seen = (self.operation.status, self.operation.result, self.operation.error)
        if self.terminal is not None:
            assert seen == self.terminal
        elif self.operation.status in TERMINAL:
            self.terminal = seen

    @invariant()
    def attempts_are_counted(self) -> None:
        assert self.operation.attempts == self.attempts
        started = [e for e in self.events if isinstance(e, Operation.Started)]
        assert [e.attempt for e in started] == list(range(1, self.attempts + 1))
        if self.operation.status in ("processing", "completed", "failed"):
            assert self.operation.attempts >= 1
        else:
            assert self.operation.attempts == 0

    @invariant()
    def only_a_processing_operation_holds_a_lease(self) -> None:
        assert (self.operation.lease_until is not None) == (self.operation.status == "processing")
        assert self.operation.lease_until == self.lease_until

    @invariant()
    def outcome_fields_match_the_status(self) -> None:
        assert (self.operation.result is not None) == (self.operation.status == "completed")
        assert (self.operation.error is not None) == (self.operation.status == "failed")

    @invariant()
    def replay_rebuilds_the_same_operation(self) -> None:
        rebuilt = None
        for stored in self.events:
            rebuilt = stored.mutate(rebuilt)
        assert rebuilt is not None and rebuilt.__dict__ == self.operation.__dict__


OperationMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None
)
TestOperationMachine = OperationMachine.TestCase

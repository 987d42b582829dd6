"""The egg against a model: a table of the transitions the seed allows (§5.2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain.companions.egg import ACTIVE_EGG_STATUSES, EGG_STATUSES, Egg
from domain.shared.errors import DomainError, InvalidStateTransition

T0 = datetime(2026, 1, 1, tzinfo=UTC)

# (status, command) -> next status. Anything not listed is illegal.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("waiting", "ready"): "ready",
    ("waiting", "cancel"): "cancelled",
    ("ready", "start_hatching"): "hatching",
    ("ready", "cancel"): "cancelled",
    ("hatching", "hatched"): "hatched",
    ("hatching", "hatch_failed"): "ready",
}
# Requests for the state the egg is already in: accepted, nothing happens.
NO_OPS: set[tuple[str, str]] = {("ready", "ready"), ("cancelled", "cancel")}
TERMINAL = {"hatched", "cancelled"}


class EggMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.egg = Egg(
            id=uuid4(),
            customer_id=uuid4(),
            mode="live",
            user_id="user_1",
            config_version_id=uuid4(),
            metadata={"level": "beginner"},
            audience=None,
            timestamp=self.now,
        )
        self.model = "waiting"
        self.model_operation: UUID | None = None
        self.model_buddy: UUID | None = None
        self.stale_operations: list[UUID] = []
        self.events: list[Any] = self.egg.collect_events()
        self.terminal: str | None = None

    def tick(self, seconds: int) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def attempt(self, command: str, action: Any) -> None:
        """Run ``action``; it must succeed exactly when the model allows ``command``."""
        key = (self.model, command)
        before = dict(self.egg.__dict__)
        if key in TRANSITIONS or key in NO_OPS:
            action()
            if key in TRANSITIONS:
                self.model = TRANSITIONS[key]
            else:
                assert self.egg.__dict__ == before
        else:
            try:
                action()
            except InvalidStateTransition as refused:
                assert refused.code == "invalid_state_transition"
                assert refused.details is not None
                assert refused.details["current_status"] == self.model
            else:
                raise AssertionError(f"{command} from {self.model} should be refused")
            assert self.egg.__dict__ == before
        self.events.extend(self.egg.collect_events())

    @rule(seconds=st.integers(1, 3600))
    def mark_ready(self, seconds: int) -> None:
        self.attempt("ready", lambda: self.egg.mark_ready(timestamp=self.tick(seconds)))

    @rule(seconds=st.integers(1, 3600))
    def cancel(self, seconds: int) -> None:
        self.attempt("cancel", lambda: self.egg.cancel(timestamp=self.tick(seconds)))

    @rule(status=st.sampled_from(["ready", "cancelled", "waiting", "hatching", "hatched", "x"]))
    def request_status(self, status: str) -> None:
        if status not in ("ready", "cancelled"):
            before = dict(self.egg.__dict__)
            try:
                self.egg.request_status(status=status, timestamp=self.tick(1))
            except DomainError as refused:
                assert refused.code == "validation_failed"
            else:
                raise AssertionError("an unknown status must be refused")
            assert self.egg.__dict__ == before
            return
        command = "ready" if status == "ready" else "cancel"
        self.attempt(
            command, lambda: self.egg.request_status(status=status, timestamp=self.tick(1))
        )

    @rule()
    def start_hatching(self) -> None:
        operation_id = uuid4()

        def action() -> None:
            self.egg.start_hatching(operation_id=operation_id, timestamp=self.tick(1))

        was = self.model
        self.attempt("start_hatching", action)
        if was == "ready":
            self.model_operation = operation_id

    @rule(repeat=st.booleans())
    def hatched(self, repeat: bool) -> None:
        if repeat and self.model == "hatched":  # a redelivered completion: accepted, no-op
            assert self.model_buddy is not None
            before = dict(self.egg.__dict__)
            self.egg.hatched(buddy_id=self.model_buddy, timestamp=self.tick(1))
            assert self.egg.__dict__ == before
            assert self.egg.collect_events() == []
            return
        buddy_id = uuid4()
        was = self.model
        self.attempt("hatched", lambda: self.egg.hatched(buddy_id=buddy_id, timestamp=self.tick(1)))
        if was == "hatching":
            self.model_buddy = buddy_id

    @rule(which=st.sampled_from(["current", "none"]))
    def hatch_failed(self, which: str) -> None:
        operation_id = self.model_operation if which == "current" else None
        if operation_id is None and which == "current":
            return  # no current operation to name; covered by "none"
        was = self.model

        def action() -> None:
            self.egg.hatch_failed(operation_id=operation_id, timestamp=self.tick(1))

        self.attempt("hatch_failed", action)
        if was == "hatching" and self.model_operation is not None:
            self.stale_operations.append(self.model_operation)
            self.model_operation = None

    @precondition(lambda self: bool(self.stale_operations))
    @rule(data=st.data())
    def stale_failure_report(self, data: st.DataObject) -> None:
        stale = data.draw(st.sampled_from(self.stale_operations))
        before = dict(self.egg.__dict__)
        self.egg.hatch_failed(operation_id=stale, timestamp=self.tick(1))
        assert self.egg.__dict__ == before
        assert self.egg.collect_events() == []

    @invariant()
    def status_is_legal_and_matches_the_model(self) -> None:
        assert self.egg.status in EGG_STATUSES
        assert self.egg.status == self.model

    @invariant()
    def terminal_states_never_change(self) -> None:
        if self.terminal is not None:
            assert self.egg.status == self.terminal
        elif self.egg.status in TERMINAL:
            self.terminal = self.egg.status

    @invariant()
    def a_hatched_egg_has_its_buddy_and_no_other_egg_has_one(self) -> None:
        if self.egg.status == "hatched":
            assert self.egg.buddy_id is not None
            assert self.egg.buddy_id == self.model_buddy
        else:
            assert self.egg.buddy_id is None

    @invariant()
    def a_hatching_egg_knows_its_operation(self) -> None:
        if self.egg.status == "hatching":
            assert self.egg.operation_id == self.model_operation is not None

    @invariant()
    def active_means_waiting_ready_or_hatching(self) -> None:
        assert self.egg.is_active == (self.egg.status in ACTIVE_EGG_STATUSES)

    @invariant()
    def replay_rebuilds_the_same_egg(self) -> None:
        rebuilt = None
        for stored in self.events:
            rebuilt = stored.mutate(rebuilt)
        assert rebuilt is not None and rebuilt.__dict__ == self.egg.__dict__


EggMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
TestEggMachine = EggMachine.TestCase

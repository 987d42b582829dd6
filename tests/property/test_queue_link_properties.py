"""Queue page links (decision 0054): whoever and whenever they are issued for, a link opens
exactly until its expiry on the clock it is checked against, names its admin and sign-in
number, and no other key's or audience's token passes for one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.errors import Unauthorized, WrongCredential
from infrastructure.admin.admin_tokens import QUEUE_LINK_TTL, JwtAdminTokens, JwtQueueLinks

SECRET = "a secret key of this instance"
LINKS = JwtQueueLinks(SECRET)

moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)
sessions = st.integers(0, 2**31)
later = st.floats(0, 2 * QUEUE_LINK_TTL.total_seconds(), allow_nan=False)


def reason(error: pytest.ExceptionInfo[Unauthorized]) -> str:
    assert error.value.details is not None
    return str(error.value.details["reason"])


@given(st.uuids(), sessions, moments, later)
def test_a_link_opens_until_its_expiry_and_never_after(
    admin_id: uuid.UUID, session: int, issued: datetime, seconds: float
) -> None:
    token, expires_at = LINKS.issue(admin_id, session, issued)
    assert QUEUE_LINK_TTL - timedelta(seconds=1) < expires_at - issued <= QUEUE_LINK_TTL
    checked = issued + timedelta(seconds=seconds)
    if checked < expires_at:
        assert LINKS.verify(token, checked) == (admin_id, session)
    else:
        with pytest.raises(Unauthorized) as refused:
            LINKS.verify(token, checked)
        assert reason(refused) == "expired"


@given(st.uuids(), sessions, moments)
def test_no_other_key_or_audience_makes_a_link(
    admin_id: uuid.UUID, session: int, issued: datetime
) -> None:
    foreign, _ = JwtQueueLinks("another instance's key").issue(admin_id, session, issued)
    with pytest.raises(Unauthorized) as refused:
        LINKS.verify(foreign, issued)
    assert reason(refused) == "invalid"
    # an admin token, signed for its own audience (issued now: its verifier reads the host's
    # clock, and a token issued in the future is no token of ours at all)
    # ours, for another use: refused as the wrong kind of credential (403; decision 0046)
    admin_token, _ = JwtAdminTokens(SECRET, 3600).issue(admin_id, session, datetime.now(UTC))
    with pytest.raises(WrongCredential) as wrong:
        LINKS.verify(admin_token, issued)
    assert wrong.value.reason == "wrong_audience"

"""The README's "Plans and limits" section lists every header and code a client of the
limits, credits and billing sees (issue 16), read from where they are made: the headers the
edge adds (``interfaces/http/plan_limits.py``), ``Retry-After`` of a 429, and every code the
``/billing``, ``/credits`` and ``/image-usage`` routes declare in the OpenAPI document."""

from __future__ import annotations

import re
from pathlib import Path

from litestar.testing import TestClient

from tests.http.test_error_codes import declared_codes

ROOT = Path(__file__).resolve().parents[2]
PREFIXES = ("/api/v1/billing", "/api/v1/credits", "/api/v1/image-usage")
LIMIT_CODES = {
    "rate_limited",
    "event_quota_exceeded",
    "credit_insufficient",
    "plan_feature_locked",
    "capability_disabled",
}
GENERIC = {
    "bad_request",
    "conflict",
    "internal_error",
    "malformed_json",
    "payload_too_large",
    "unauthorized",
    "unsupported_media_type",
    "validation_failed",
}
"""Every route's conventions, in the README's error section rather than this one."""


def section() -> str:
    text = (ROOT / "README.md").read_text()
    assert "\n## Plans and limits\n" in text
    return text.split("\n## Plans and limits\n", 1)[1].split("\n## ", 1)[0]


def test_the_section_names_every_header_the_edge_sends() -> None:
    edge = (ROOT / "interfaces" / "http" / "plan_limits.py").read_text()
    headers = set(re.findall(r'headers\.add\("(X-[A-Za-z-]+)"', edge)) | {"Retry-After"}
    assert len(headers) >= 11, headers
    listed = section()
    assert sorted(h for h in headers if f"`{h}`" not in listed) == []


def test_the_section_names_every_code_of_the_limits_credits_and_billing_routes(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    document = client.get("/api/v1/openapi.json").json()
    codes = {
        code for where, code in declared_codes(document) if where.split(" ")[1].startswith(PREFIXES)
    }
    assert {"billing_not_configured", "invalid_signature"} <= codes
    listed = section()
    missing = sorted(c for c in (codes | LIMIT_CODES) - GENERIC if f" {c}`" not in listed)
    assert missing == []

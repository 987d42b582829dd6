from __future__ import annotations

import re

import pytest

from domain.shared.errors import DomainError
from infrastructure.integrations.ssrf import ForbiddenTarget, WebhookUrlGuard


def resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"{host}: Name or service not known")
        return table[host]

    return resolve


DNS = resolver(
    {
        "hooks.acme.example": ["93.184.216.34"],
        "dual.acme.example": ["93.184.216.34", "2606:2800:220:1::1"],
        "rebind.acme.example": ["93.184.216.34", "127.0.0.1"],
        "metadata.acme.example": ["169.254.169.254"],
        "v6private.acme.example": ["fd12::1"],
    }
)
GUARD = WebhookUrlGuard(allow_private=False, resolver=DNS)
OPEN = WebhookUrlGuard(allow_private=True, resolver=DNS)


def reason(url: str, guard: WebhookUrlGuard = GUARD) -> str:
    with pytest.raises(DomainError) as caught:
        guard.check(url)
    assert caught.value.code == "validation_failed"
    assert caught.value.details == {
        "fields": [{"field": "url", "reason": caught.value.message[5:]}]
    }
    return caught.value.message


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://2130706433/hook",
        "http://0177.0.0.1/hook",
        "http://0x7f000001/hook",
        "http://0x7F.0.0.1/hook",
        "http://127.1/hook",
        "http://127.0.1/hook",
        "http://127.0.0.1./hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:7f00:1]/hook",
        "http://[64:ff9b::7f00:1]/hook",
        "http://[2002:7f00:1::]/hook",
        "http://[::127.0.0.1]/hook",
        "http://[0:0:0:0:0:0:0:1]/hook",
        "http://localhost/hook",
        "http://LOCALHOST:8080/hook",
        "http://api.localhost/hook",
        "http://\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11/hook",
        "http://0.0.0.0/hook",
        "http://0/hook",
        "http://[::]/hook",
    ],
)
def test_loopback_and_unspecified_in_every_spelling_are_refused(url: str) -> None:
    reason(url)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://10.0.0.1/", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://100.64.0.1/", "shared"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[fd00:ec2::254]/latest", "cloud metadata"),
        ("http://169.254.1.1/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[fd12:3456::1]/", "unique local"),
        ("http://224.0.0.251/", "multicast"),
        ("http://[ff02::1]/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://255.255.255.255/", "reserved"),
        ("http://198.18.0.1/", "benchmarking"),
        ("http://192.0.2.1/", "documentation"),
        ("http://[2001:db8::1]/", "documentation"),
        ("http://[::ffff:10.0.0.1]/", "private: IPv4 10.0.0.1 inside IPv6"),
        ("http://012.0.0.1/", "private"),
        ("http://printer.local/", "private network"),
        ("http://db.internal/", "private network"),
    ],
)
def test_private_link_local_metadata_multicast_and_reserved_are_refused(
    url: str, words: str
) -> None:
    assert words in reason(url)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://hooks.acme.example/", "scheme must be http or https"),
        ("file:///etc/passwd", "scheme must be http or https"),
        ("gopher://hooks.acme.example/", "scheme must be http or https"),
        ("javascript:alert(1)", "scheme must be http or https"),
        ("hooks.acme.example/hook", "scheme must be http or https"),
        ("https://user:pass@hooks.acme.example/", "user info"),
        ("https://hooks.acme.example@127.0.0.1/", "user info"),
        ("https://127.0.0.1\\@hooks.acme.example/", "backslashes"),
        ("https://hooks.acme.example /", "spaces"),
        ("https://[fe80::1%25eth0]/", "percent"),
        ("https://%31%32%37.0.0.1/", "percent"),
        ("https:///nohost", "must name a host"),
        ("https://1.2.3.999/", "out of range"),
        ("https://1.2.3.4.5/", "too many parts"),
        ("https://08.1.1.1/", "neither a name nor an address"),
        ("https://hooks.acme.123/", "neither a name nor an address"),
        ("https://-bad-.example/", "not a valid host name"),
        ("https://hooks.acme.example:99999/", "not a valid URL"),
        ("https://" + "a" * 2100 + ".example/", "at most 2048"),
    ],
)
def test_schemes_userinfo_and_malformed_hosts_are_refused(url: str, words: str) -> None:
    assert words in reason(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.acme.example/hatched",
        "http://hooks.acme.example:8443/x?y=1",
        "https://dual.acme.example/",
        "https://93.184.216.34/hook",
        "https://[2606:2800:220:1::1]/hook",
        "https://not-registered-yet.acme.example/",
    ],
)
def test_public_urls_are_accepted(url: str) -> None:
    GUARD.check(url)


def test_names_are_refused_when_any_address_they_resolve_to_is() -> None:
    assert "resolves to 127.0.0.1" in reason("https://rebind.acme.example/")
    assert "cloud metadata" in reason("https://metadata.acme.example/")
    assert "fd12::1" in reason("https://v6private.acme.example/")


def test_the_override_lifts_the_address_rules_only() -> None:
    for url in (
        "http://127.0.0.1:9000/h",
        "http://[::1]/h",
        "http://localhost/h",
        "http://10.1.1.1/",
    ):
        OPEN.check(url)
    assert "scheme" in reason("ftp://127.0.0.1/", OPEN)
    assert "user info" in reason("http://u@127.0.0.1/", OPEN)


def test_delivery_resolves_checks_every_address_and_pins_them() -> None:
    target = GUARD.resolve_target("https://dual.acme.example:8443/hook")
    assert target.host == "dual.acme.example" and target.port == 8443
    assert target.addresses == ("93.184.216.34", "2606:2800:220:1::1")
    literal = GUARD.resolve_target("http://93.184.216.34/hook")
    assert (literal.port, literal.addresses) == (80, ("93.184.216.34",))
    with pytest.raises(ForbiddenTarget):
        GUARD.resolve_target("https://rebind.acme.example/")
    with pytest.raises(OSError):
        GUARD.resolve_target("https://nowhere.acme.example/")


def test_a_name_that_changed_to_a_private_address_is_refused_at_delivery() -> None:
    answers = {"flip.acme.example": ["93.184.216.34"]}
    guard = WebhookUrlGuard(allow_private=False, resolver=resolver(answers))
    guard.check("https://flip.acme.example/")
    answers["flip.acme.example"] = ["10.0.0.7"]
    with pytest.raises(ForbiddenTarget, match=re.escape("10.0.0.7")):
        guard.resolve_target("https://flip.acme.example/")

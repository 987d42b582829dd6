"""Properties of the webhook address classifier: every spelling of an address is judged as
the address itself, nothing the standard library calls non-global is ever accepted, and no
input makes the check fail with anything but ``validation_failed``."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.shared.errors import DomainError
from infrastructure.integrations.ssrf import WebhookUrlGuard, address_problem, parse_address

FORBIDDEN_V4 = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/4",
    "240.0.0.0/4",
]


def no_dns(host: str, port: int) -> list[str]:
    raise AssertionError(f"an address literal must not be resolved ({host})")


GUARD = WebhookUrlGuard(allow_private=False, resolver=no_dns)


def refused(host: str) -> bool:
    try:
        GUARD.check(f"http://{host}/hook")
    except DomainError as error:
        assert error.code == "validation_failed"
        return True
    return False


@st.composite
def ipv4_in(draw: st.DrawFn, networks: list[str]) -> ipaddress.IPv4Address:
    network = ipaddress.IPv4Network(draw(st.sampled_from(networks)))
    offset = draw(st.integers(0, network.num_addresses - 1))
    return network.network_address + offset


def _part(value: int, style: str) -> str:
    if style == "hex":
        return hex(value)
    if style == "octal":
        return "0" + format(value, "o")
    return str(value)


@st.composite
def ipv4_spelling(draw: st.DrawFn, address: ipaddress.IPv4Address) -> str:
    """One of the ways ``inet_aton`` (and so many HTTP clients) read an IPv4 address."""
    value = int(address)
    octets = [(value >> shift) & 0xFF for shift in (24, 16, 8, 0)]
    style = st.sampled_from(["decimal", "hex", "octal"])
    width = draw(st.sampled_from([1, 2, 3, 4]))
    head = octets[: width - 1]
    tail = value & ((1 << (8 * (5 - width))) - 1)
    parts = [_part(o, draw(style)) for o in head] + [_part(tail, draw(style))]
    dotted = ".".join(parts)
    return dotted + "." if draw(st.booleans()) and width == 4 else dotted


def ipv6_spellings(address: ipaddress.IPv4Address) -> list[str]:
    """IPv6 forms that carry the IPv4 address inside."""
    v = int(address)
    high, low = f"{v >> 16:x}", f"{v & 0xFFFF:x}"
    return [
        f"[::ffff:{address}]",
        f"[::ffff:{high}:{low}]",
        f"[::ffff:0:{address}]",
        f"[64:ff9b::{high}:{low}]",
        f"[2002:{high}:{low}::]",
    ]


@given(st.data(), st.integers(0, 2**32 - 1))
def test_every_ipv4_spelling_parses_to_the_same_address(data: st.DataObject, value: int) -> None:
    address = ipaddress.IPv4Address(value)
    spelling = data.draw(ipv4_spelling(address))
    assert parse_address(spelling) == address


@given(st.data(), ipv4_in(FORBIDDEN_V4))
def test_forbidden_ipv4_is_refused_in_every_spelling(
    data: st.DataObject, address: ipaddress.IPv4Address
) -> None:
    assert address_problem(address) is not None
    assert refused(data.draw(ipv4_spelling(address)))
    for spelling in ipv6_spellings(address):
        assert refused(spelling), spelling


@given(st.data(), st.integers(0, 2**32 - 1))
def test_an_ipv4_spelling_is_judged_like_the_address(data: st.DataObject, value: int) -> None:
    address = ipaddress.IPv4Address(value)
    spelling = data.draw(ipv4_spelling(address))
    assert refused(spelling) == (address_problem(address) is not None)


@given(st.integers(0, 2**32 - 1))
def test_nothing_non_global_is_ever_accepted_ipv4(value: int) -> None:
    address = ipaddress.IPv4Address(value)
    if address_problem(address) is None:
        assert address.is_global and not address.is_multicast
        assert not (address.is_private or address.is_loopback or address.is_link_local)
        assert not (address.is_reserved or address.is_unspecified)


@given(st.integers(0, 2**128 - 1))
def test_nothing_non_global_is_ever_accepted_ipv6(value: int) -> None:
    address = ipaddress.IPv6Address(value)
    if address_problem(address) is None:
        assert address.is_global and not address.is_multicast
        assert not (address.is_private or address.is_loopback or address.is_link_local)
        assert not (address.is_reserved or address.is_unspecified or address.is_site_local)
        assert address.ipv4_mapped is None


@given(st.integers(0, 2**128 - 1))
def test_an_ipv6_literal_is_judged_like_the_address(value: int) -> None:
    address = ipaddress.IPv6Address(value)
    assert refused(f"[{address}]") == (address_problem(address) is not None)


@given(st.text(max_size=80))
def test_any_url_is_either_accepted_or_refused_as_validation_failed(text: str) -> None:
    guard = WebhookUrlGuard(allow_private=False, resolver=lambda host, port: ["93.184.216.34"])
    for url in (text, f"https://{text}/hook", f"http://{text}"):
        try:
            guard.check(url)
        except DomainError as error:
            assert error.code == "validation_failed"
            assert error.details is not None and error.details["fields"][0]["field"] == "url"


@given(
    st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,20}){0,3}\.[a-z]{2,6}", fullmatch=True)
)
def test_a_name_resolving_to_a_private_address_is_refused(name: str) -> None:
    assume(not name.endswith((".local", ".internal", ".localhost", ".localdomain")))
    assume(not any(label.endswith("-") for label in name.split(".")))
    private = WebhookUrlGuard(allow_private=False, resolver=lambda host, port: ["10.1.2.3"])
    public = WebhookUrlGuard(
        allow_private=False, resolver=lambda host, port: ["93.184.216.34", "2606:2800::1"]
    )
    with pytest.raises(DomainError):
        private.check(f"https://{name}/hook")
    public.check(f"https://{name}/hook")

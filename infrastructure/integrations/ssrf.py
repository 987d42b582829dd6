"""Webhook URLs are an attack surface: deliveries must only ever reach the public internet.

A customer chooses the URL and our worker makes the request, from inside our network. So a
URL is refused when it could reach anything that is not a public address: loopback,
private, link-local (cloud metadata at 169.254.169.254 among them), shared (CGNAT),
multicast, unspecified, reserved or documentation ranges — in IPv4 and IPv6, and in every
spelling an HTTP client or resolver might accept:

* IPv4 the way ``inet_aton`` reads it: decimal ``2130706433``, octal ``0177.0.0.1``, hex
  ``0x7f000001``, short forms ``127.1`` and mixes of these;
* IPv6 with IPv4 inside: mapped ``::ffff:127.0.0.1``, compatible ``::127.0.0.1``,
  translated ``::ffff:0:127.0.0.1``, NAT64 ``64:ff9b::7f00:1``, 6to4 ``2002:7f00:1::``,
  Teredo — the embedded address is judged too;
* internationalised names, normalised as IDNA first (fullwidth digits and dots spell
  ``127.0.0.1`` too).

Only ``http``/``https``, no user info (``https://a@b`` is how a reader is fooled about the
host), no backslashes, spaces or percent signs in the host, no numeric-looking host that is
not a valid address. Names are resolved; every address they resolve to must pass, and the
delivery then connects to exactly the address that was checked (``resolve_target``), so a
DNS answer that changes between the check and the connection (rebinding) cannot slip
through. At registration a name that does not resolve (yet) is accepted: the check is made
again, for real, at every delivery.

``HATCHED_WEBHOOK_ALLOW_PRIVATE=true`` lifts the address rules (not the others) for local
development and tests.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from domain.shared.errors import DomainError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

MAX_URL_LENGTH: Final = 2048
SCHEMES: Final = {"http": 80, "https": 443}
FORBIDDEN_NAMES: Final = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
FORBIDDEN_SUFFIXES: Final = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")
METADATA_ADDRESSES: Final = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_NUMERIC_PART = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")

_V4_NETWORKS: Final = tuple(
    (ipaddress.IPv4Network(net), reason)
    for net, reason in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared (carrier-grade NAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved (IETF protocol assignments)"),
        ("192.0.2.0/24", "reserved (documentation)"),
        ("192.88.99.0/24", "reserved (6to4 relay)"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "reserved (benchmarking)"),
        ("198.51.100.0/24", "reserved (documentation)"),
        ("203.0.113.0/24", "reserved (documentation)"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
    )
)
_V6_NETWORKS: Final = tuple(
    (ipaddress.IPv6Network(net), reason)
    for net, reason in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("64:ff9b:1::/48", "reserved (local-use NAT64)"),
        ("100::/64", "reserved (discard)"),
        ("2001:db8::/32", "reserved (documentation)"),
        ("fc00::/7", "private (unique local)"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "private (site-local)"),
        ("ff00::/8", "multicast"),
    )
)
_STDLIB_FLAGS: Final = (
    ("is_unspecified", "unspecified"),
    ("is_loopback", "loopback"),
    ("is_link_local", "link-local"),
    ("is_multicast", "multicast"),
    ("is_private", "private"),
    ("is_site_local", "private (site-local)"),
    ("is_reserved", "reserved"),
)
"""The standard library's own classification, as a second opinion on every address."""
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")


class ForbiddenTarget(Exception):
    """The URL must not be delivered to; the message says why (it is shown to the customer)."""


class NotPublic(ForbiddenTarget):
    """A URL refused only because its host is not on the public internet: an operator may
    allow that (``HATCHED_WEBHOOK_ALLOW_PRIVATE``) for receivers on their own network."""


ALLOW_PRIVATE_HINT = (
    "receivers on a private network are refused unless the server is started with "
    "HATCHED_WEBHOOK_ALLOW_PRIVATE=true"
)


@dataclass(frozen=True)
class Target:
    """Where a delivery connects: the URL's host and port, and the addresses checked for it."""

    host: str
    port: int
    addresses: tuple[str, ...]


def address_problem(address: IPAddress) -> str | None:
    """Why ``address`` is not a public address (``None`` when it is one)."""
    if address in METADATA_ADDRESSES:
        return "cloud metadata"
    networks: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
        _V6_NETWORKS if isinstance(address, ipaddress.IPv6Address) else _V4_NETWORKS
    )
    for network, reason in networks:
        if address in network:
            return reason
    if isinstance(address, ipaddress.IPv6Address):
        embedded = embedded_ipv4(address)
        if embedded is not None:
            problem = address_problem(embedded)
            if problem is not None:
                return f"{problem}: IPv4 {embedded} inside IPv6"
    for flag, reason in _STDLIB_FLAGS:
        if getattr(address, flag, False):
            return reason
    if not address.is_global:
        return "not publicly routable"
    return None


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, translated, NAT64,
    6to4, Teredo client), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or address in _TRANSLATED or address in _COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def parse_address(host: str) -> IPAddress | None:
    """The address a host names when it is an IP literal in any accepted spelling.

    ``None`` for a name. ``ValueError`` for something that looks numeric but is no valid
    address (``1.2.3.999``, ``0x``, ``08.1``): such hosts are refused, not resolved.
    """
    candidate = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        pass
    parts = candidate.removesuffix(".").split(".")
    if not all(_NUMERIC_PART.match(part) for part in parts):
        if parts and parts[-1].isdigit():
            raise ValueError(f"{host} is neither a name nor an address")
        return None
    if len(parts) > 4:
        raise ValueError(f"{host} has too many parts for an IPv4 address")
    try:
        numbers = [_inet_aton_number(part) for part in parts]
    except ValueError:
        raise ValueError(f"{host} is neither a name nor an address") from None
    last_bits = 8 * (5 - len(numbers))
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 1 << last_bits:
        raise ValueError(f"{host} is out of range for an IPv4 address")
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value |= number << (24 - 8 * index)
    return ipaddress.IPv4Address(value)


def _inet_aton_number(part: str) -> int:
    if part.startswith("0x"):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)  # ValueError for 08, 09: not octal, not decimal either
    return int(part)


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class WebhookUrlGuard:
    """The ``WebhookUrlPolicy`` port, and the delivery-time check the sender relies on."""

    def __init__(self, *, allow_private: bool, resolver: Resolver = system_resolver) -> None:
        self._allow_private = allow_private
        self._resolve = resolver

    def check(self, url: str) -> None:
        """Registration: refuse a URL we would never deliver to (``validation_failed``)."""
        try:
            host, port, address = self._split(url)
            if address is None and not self._allow_private:
                try:
                    addresses = self._resolve(host, port)
                except OSError:
                    return  # not resolvable yet: checked again at every delivery
                self._check_all(host, addresses)
        except ForbiddenTarget as refusal:
            hint = f"; {ALLOW_PRIVATE_HINT}" if isinstance(refusal, NotPublic) else ""
            reason = f"{refusal}{hint}"
            raise DomainError(
                "validation_failed",
                f"url: {reason}",
                {"fields": [{"field": "url", "reason": reason}]},
            ) from None

    def resolve_target(self, url: str) -> Target:
        """Delivery: resolve, check every address, and return the ones to connect to.

        ``ForbiddenTarget`` when any address is refused; ``OSError`` when the name does
        not resolve.
        """
        host, port, address = self._split(url)
        if address is not None:
            return Target(host, port, (str(address),))
        addresses = self._resolve(host, port)
        if not addresses:
            raise OSError(f"{host} has no address")
        self._check_all(host, addresses)
        return Target(host, port, tuple(addresses))

    def _split(self, url: str) -> tuple[str, int, IPAddress | None]:
        if len(url) > MAX_URL_LENGTH:
            raise ForbiddenTarget(f"must be at most {MAX_URL_LENGTH} characters")
        if any(c.isspace() or ord(c) < 32 or c == "\\" for c in url):
            raise ForbiddenTarget("must not contain spaces, control characters or backslashes")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ForbiddenTarget("is not a valid URL") from None
        scheme = parts.scheme.lower()
        if scheme not in SCHEMES:
            raise ForbiddenTarget("scheme must be http or https")
        if "@" in parts.netloc or parts.username is not None:
            raise ForbiddenTarget("must not contain user info (user:password@)")
        host = self._host(parts.hostname or "")
        address = self._address(host)
        if address is None:
            self._check_name(host)
        elif not self._allow_private:
            problem = address_problem(address)
            if problem is not None:
                raise NotPublic(f"{host} is not a public address ({problem})")
        return host, port or SCHEMES[scheme], address

    @staticmethod
    def _host(raw: str) -> str:
        if not raw:
            raise ForbiddenTarget("must name a host")
        if "%" in raw:
            raise ForbiddenTarget("host must not contain percent signs or zone ids")
        if raw.isascii():
            return raw.lower()
        try:
            return raw.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise ForbiddenTarget("host is not a valid internationalised name") from None

    @staticmethod
    def _address(host: str) -> IPAddress | None:
        try:
            return parse_address(host)
        except ValueError as error:
            raise ForbiddenTarget(str(error)) from None

    def _check_name(self, host: str) -> None:
        name = host.removesuffix(".")
        labels = name.split(".")
        if not name or not all(_LABEL.match(label) for label in labels):
            raise ForbiddenTarget(f"{host} is not a valid host name")
        if self._allow_private:
            return
        if name in FORBIDDEN_NAMES or name.endswith(FORBIDDEN_SUFFIXES):
            raise NotPublic(f"{host} names this machine or a private network")

    def _check_all(self, host: str, addresses: Sequence[str]) -> None:
        if self._allow_private:
            return
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            problem = address_problem(address)
            if problem is not None:
                raise NotPublic(
                    f"{host} resolves to {address}, which is not a public address ({problem})"
                )

"""Where outbound HTTP from workflow steps may go: the SSRF policy, pure and without I/O.

``check_url`` judges a URL as written: scheme (http and https only), no credentials in it,
port bounds, host spelling (see ``host_spelling``), names that always mean the installation or
a metadata service (``localhost``, ``*.localhost``, ``metadata.google.internal``...) and IP
literals. ``check_ip`` judges one address, which the HTTP adapter calls for every address a
name resolves to, right before it connects to one of them.

An operator may allow named internal hosts: an entry of ``allowed_hosts`` (``host`` or
``host:port``, IPv6 in brackets) lets that host through without the name and address checks,
for that host (and port) only. ``allowed_networks`` lets addresses inside the given networks
through ``check_ip``, whatever name led to them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from urllib.parse import urlsplit

from flowwright.integrations.domain.errors import BlockedDestination, InvalidUrl
from flowwright.integrations.domain.host_spelling import normalize_host
from flowwright.integrations.domain.ip_ranges import IPAddress, blocked_label, embedded_ipv4

IPNetwork = IPv4Network | IPv6Network

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 8192
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A host and port the policy let through; ``ip`` is set when the host is an IP literal."""

    host: str
    port: int
    ip: IPAddress | None
    allowed: bool  # named in allowed_hosts: connect without the address checks


@dataclass(frozen=True, slots=True)
class ParsedTarget:
    """A URL the policy let through, in canonical form (ASCII host, no fragment)."""

    scheme: str
    host: str
    port: int
    target: str  # path and query, at least "/"
    ip: IPAddress | None
    allowed: bool

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if isinstance(self.ip, IPv6Address) else self.host
        default = DEFAULT_PORTS[self.scheme] == self.port
        return f"{self.scheme}://{host}" if default else f"{self.scheme}://{host}:{self.port}"

    @property
    def url(self) -> str:
        return self.origin + self.target


class AddressPolicy:
    def __init__(
        self,
        allowed_hosts: Iterable[str] = frozenset(),
        allowed_networks: Iterable[str | IPNetwork] = frozenset(),
    ) -> None:
        if isinstance(allowed_hosts, str) or isinstance(allowed_networks, str):
            raise TypeError("allowed_hosts and allowed_networks are collections, not strings")
        self._allowed = frozenset(_parse_allowed_host(entry) for entry in allowed_hosts)
        self._networks = frozenset(ip_network(network) for network in allowed_networks)

    @property
    def allowed_hosts(self) -> frozenset[str]:
        return frozenset(_format_allowed(host, port) for host, port in self._allowed)

    def check_url(self, url: str) -> ParsedTarget:
        """The URL in canonical form, or ``BlockedDestination`` / ``InvalidUrl``."""
        text = url.strip()
        _check_characters(text)
        try:
            parts = urlsplit(text)
        except ValueError as exc:
            raise InvalidUrl(f"not a valid URL: {exc}") from exc
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            shown = f"{scheme}://" if scheme else "a URL without a scheme"
            raise BlockedDestination(f"refused: {shown} is not allowed; use http or https")
        if "@" in parts.netloc:
            raise BlockedDestination(
                "refused: URLs carrying credentials (user@host) are not allowed; "
                "send credentials in headers"
            )
        raw_host, port = _split_authority(parts.netloc, DEFAULT_PORTS[scheme])
        endpoint = self.check_endpoint(raw_host, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return ParsedTarget(
            scheme, endpoint.host, endpoint.port, target, endpoint.ip, endpoint.allowed
        )

    def check_endpoint(self, host: str, port: int) -> Endpoint:
        """Judge a host (name or IP literal, IPv6 with or without brackets) and port."""
        if not 1 <= port <= 65535:
            raise InvalidUrl(f"the port {port} is out of range (1-65535)")
        normalized = normalize_host(host)
        allowed = self.is_allowed(normalized.name, port)
        if not allowed:
            if normalized.ip is not None:
                self.check_ip(normalized.ip)
            else:
                _check_name(normalized.name)
        return Endpoint(normalized.name, port, normalized.ip, allowed)

    def is_allowed(self, host: str, port: int) -> bool:
        """Whether the operator allowed this (normalized) host on this port."""
        return (host, None) in self._allowed or (host, port) in self._allowed

    def check_ip(self, ip: str | IPAddress) -> None:
        """Raise ``BlockedDestination`` unless the address is public or in an allowed network."""
        address = _parse_ip(ip) if isinstance(ip, str) else ip
        if isinstance(address, IPv6Address) and address.scope_id:
            raise BlockedDestination(f"refused: {address} is an interface-scoped address")
        if self._in_allowed_network(address):
            return
        if isinstance(address, IPv6Address) and (embedded := embedded_ipv4(address)):
            v4, mechanism = embedded
            label = None if self._in_allowed_network(v4) else blocked_label(v4)
            if label:
                raise BlockedDestination(
                    f"refused: {address} is {mechanism} IPv6 address of {v4}, {label}"
                )
            return
        label = blocked_label(address)
        if label:
            raise BlockedDestination(f"refused: {address} is {label}")

    def _in_allowed_network(self, address: IPAddress) -> bool:
        return any(address in network for network in self._networks)


def _check_characters(text: str) -> None:
    if not text:
        raise InvalidUrl("the URL is empty")
    if len(text) > MAX_URL_LENGTH:
        raise InvalidUrl(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if "\\" in text or any(ord(char) <= 0x20 or ord(char) == 0x7F for char in text):
        raise InvalidUrl("the URL contains whitespace, control characters or a backslash")


def _check_name(name: str) -> None:
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        raise BlockedDestination(f"refused: {name} is a loopback name")
    if name in _METADATA_NAMES:
        raise BlockedDestination(f"refused: {name} is a cloud metadata name")


def _parse_ip(text: str) -> IPAddress:
    try:
        return ip_address(text)
    except ValueError as exc:
        raise BlockedDestination(f"refused: {text!r} is not an IP address") from exc


def _split_authority(netloc: str, default_port: int) -> tuple[str, int]:
    """Host text and port of ``host[:port]`` or ``[v6][:port]``."""
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise InvalidUrl(f"the host in {netloc!r} has an unclosed bracket")
        host, rest = netloc[: end + 1], netloc[end + 1 :]
    else:
        host, colon, port_text = netloc.partition(":")
        rest = colon + port_text
    if not host:
        raise InvalidUrl("the URL has no host")
    if not rest:
        return host, default_port
    digits = rest[1:]
    if not rest.startswith(":") or not (digits.isascii() and digits.isdigit()) or len(digits) > 5:
        raise InvalidUrl(f"the port in {netloc!r} is not a number")
    port = int(digits)
    if not 1 <= port <= 65535:
        raise InvalidUrl(f"the port {port} is out of range (1-65535)")
    return host, port


def _parse_allowed_host(entry: str) -> tuple[str, int | None]:
    text = entry.strip()
    try:
        if text.count(":") > 1 and not text.startswith("["):
            return normalize_host(text).name, None
        host, port = _split_authority(text, 0)
        return normalize_host(host).name, port or None
    except (InvalidUrl, BlockedDestination) as exc:
        raise ValueError(f"allowed host {entry!r}: {exc}") from exc


def _format_allowed(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"

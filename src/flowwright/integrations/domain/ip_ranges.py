"""Which IP addresses an outbound request may not reach, and why.

The tables name every special-purpose range a tenant could use to reach the installation
itself, its neighbours or a cloud metadata service. Anything the tables miss is still refused
when it is not globally routable: IPv4 addresses Python does not call global, IPv6 addresses
outside global unicast ``2000::/3``.

IPv6 addresses that carry an IPv4 address (IPv4-mapped ``::ffff:0:0/96``, NAT64
``64:ff9b::/96``, 6to4 ``2002::/16``) reach that IPv4 address, so the embedded address is
judged instead.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

IPAddress = IPv4Address | IPv6Address

LOOPBACK = "a loopback address"
PRIVATE = "a private address"
LINK_LOCAL_METADATA = "a link-local/metadata address"
UNSPECIFIED = "an unspecified address"
MULTICAST = "a multicast address"
RESERVED = "a reserved address"

_V4_BLOCKED: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(network), label)
    for network, label in (
        ("255.255.255.255/32", "a broadcast address"),
        ("0.0.0.0/8", UNSPECIFIED),
        ("127.0.0.0/8", LOOPBACK),
        ("10.0.0.0/8", PRIVATE),
        ("172.16.0.0/12", PRIVATE),
        ("192.168.0.0/16", PRIVATE),
        ("100.64.0.0/10", "a carrier-grade NAT address"),
        ("169.254.0.0/16", LINK_LOCAL_METADATA),
        ("192.0.0.0/24", "an IETF protocol assignment (metadata) address"),
        ("192.0.2.0/24", "a documentation address"),
        ("198.51.100.0/24", "a documentation address"),
        ("203.0.113.0/24", "a documentation address"),
        ("192.88.99.0/24", RESERVED),
        ("198.18.0.0/15", "a benchmarking address"),
        ("224.0.0.0/4", MULTICAST),
        ("240.0.0.0/4", RESERVED),
    )
)

_V6_BLOCKED: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(network), label)
    for network, label in (
        ("::/128", UNSPECIFIED),
        ("::1/128", LOOPBACK),
        ("::/8", RESERVED),  # includes the deprecated IPv4-compatible ::/96
        ("64:ff9b:1::/48", "a local-use NAT64 address"),
        ("100::/64", "a discard-only address"),
        ("2001::/23", "an IETF protocol assignment address"),  # includes Teredo 2001::/32
        ("2001:db8::/32", "a documentation address"),
        ("3fff::/20", "a documentation address"),
        ("fc00::/7", "a unique-local address"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a site-local address"),
        ("ff00::/8", MULTICAST),
    )
)

_NAT64 = IPv6Network("64:ff9b::/96")
_GLOBAL_UNICAST_V6 = IPv6Network("2000::/3")


def embedded_ipv4(address: IPv6Address) -> tuple[IPv4Address, str] | None:
    """The IPv4 address an IPv6 address reaches, with the mechanism (article included)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped, "an IPv4-mapped"
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF), "a NAT64"
    if address.sixtofour is not None:
        return address.sixtofour, "a 6to4"
    return None


def blocked_label(address: IPAddress) -> str | None:
    """Why the address may not be reached, or None when it is a public address.

    IPv6 addresses that embed an IPv4 address are not judged here: see ``embedded_ipv4``.
    """
    if isinstance(address, IPv4Address):
        for v4_network, label in _V4_BLOCKED:
            if address in v4_network:
                return label
        return None if address.is_global else "a non-public address"
    for v6_network, label in _V6_BLOCKED:
        if address in v6_network:
            return label
    return None if address in _GLOBAL_UNICAST_V6 else RESERVED

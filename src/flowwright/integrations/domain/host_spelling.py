"""Host names as a URL spells them, reduced to one canonical form.

Numeric hosts are where spellings hide addresses: ``2130706433``, ``0x7f000001``,
``0177.0.0.1`` and ``127.1`` all mean 127.0.0.1 to C ``inet_aton``, which resolvers and some
HTTP stacks still use. A host whose last label is numeric is therefore parsed the way
``inet_aton`` does; only the canonical dotted-quad spelling is accepted as an IPv4 address, and
every other spelling is refused, whatever address it denotes. Non-ASCII names are converted
with IDNA (UTS #46 mapping, so full-width digits and ideographic full stops become ASCII before
the numeric check sees them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

import idna

from flowwright.integrations.domain.errors import BlockedDestination, InvalidUrl
from flowwright.integrations.domain.ip_ranges import IPAddress

_HOSTNAME = re.compile(r"[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*")
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")
_MAX_HOST_LENGTH = 253
_OCTAL = frozenset("01234567")
_DECIMAL = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True, slots=True)
class NormalizedHost:
    """``name`` is lowercase ASCII without a trailing dot; IPv6 addresses come without brackets."""

    name: str
    ip: IPAddress | None


def inet_aton(text: str) -> int | None:
    """The 32-bit address C ``inet_aton`` reads from ``text``, or None when it reads none.

    One to four parts separated by dots; each part is decimal, octal (leading ``0``) or
    hexadecimal (leading ``0x``); the last part fills the bits the earlier parts leave.
    """
    parts = text.split(".")
    if len(parts) > 4:
        return None
    values: list[int] = []
    for part in parts:
        value = _inet_aton_part(part)
        if value is None:
            return None
        values.append(value)
    *head, last = values
    if any(value > 0xFF for value in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    result = last
    for index, value in enumerate(head):
        result |= value << (24 - 8 * index)
    return result


def _inet_aton_part(part: str) -> int | None:
    if part[:2] in ("0x", "0X"):
        digits = part[2:]
        if not set(digits) <= _HEX:
            return None
        return int(digits, 16) if digits else 0
    if len(part) > 1 and part[0] == "0":
        return int(part[1:], 8) if set(part[1:]) <= _OCTAL else None
    return int(part) if part and set(part) <= _DECIMAL else None


def normalize_host(raw: str) -> NormalizedHost:
    """The canonical form of a URL host, an IP literal parsed into ``ip``.

    Raises ``InvalidUrl`` for text that is no host and ``BlockedDestination`` for a numeric
    host spelled other than as a canonical dotted quad.
    """
    if raw.startswith("["):
        if not raw.endswith("]"):
            raise InvalidUrl(f"the host {raw!r} has an unclosed bracket")
        return _ipv6_literal(raw[1:-1])
    if ":" in raw:
        return _ipv6_literal(raw)
    host = raw
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except UnicodeError as exc:
            raise InvalidUrl(f"the host {raw!r} is not a valid internationalized name") from exc
    host = host.lower()
    if host.endswith("."):
        host = host[:-1]
    if len(host) > _MAX_HOST_LENGTH or not _HOSTNAME.fullmatch(host):
        raise InvalidUrl(f"the host {raw!r} is not a valid host name")
    if _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        return _numeric_host(raw, host)
    return NormalizedHost(host, None)


def _numeric_host(raw: str, host: str) -> NormalizedHost:
    value = inet_aton(host)
    if value is None:
        raise InvalidUrl(f"the host {raw!r} is neither a host name nor an IPv4 address")
    address = IPv4Address(value)
    if str(address) != host:
        raise BlockedDestination(
            f"refused: {raw} is a non-canonical spelling of the IPv4 address {address}"
        )
    return NormalizedHost(host, address)


def _ipv6_literal(text: str) -> NormalizedHost:
    if "%" in text:
        raise BlockedDestination(f"refused: {text} is an interface-scoped address")
    try:
        address = IPv6Address(text)
    except ValueError as exc:
        raise InvalidUrl(f"the host {text!r} is not a valid IPv6 address") from exc
    return NormalizedHost(str(address), address)

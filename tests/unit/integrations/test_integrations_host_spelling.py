"""Numeric hosts are read the way C inet_aton reads them."""

from __future__ import annotations

import pytest

from flowwright.integrations.domain.host_spelling import inet_aton, normalize_host

LOOPBACK = 0x7F000001


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("127.0.0.1", LOOPBACK),
        ("2130706433", LOOPBACK),
        ("0x7f000001", LOOPBACK),
        ("0X7F000001", LOOPBACK),
        ("017700000001", LOOPBACK),
        ("0177.0.0.1", LOOPBACK),
        ("0x7f.0x0.0x0.0x1", LOOPBACK),
        ("127.1", LOOPBACK),
        ("127.0.1", LOOPBACK),
        ("0x7f.1", LOOPBACK),
        ("127.0x1", LOOPBACK),
        ("0", 0),
        ("0x", 0),
        ("00", 0),
        ("255.255.255.255", 0xFFFFFFFF),
        ("1.16777215", 0x01FFFFFF),
        ("1.1.65535", 0x0101FFFF),
    ],
)
def test_inet_aton_reads_every_spelling(text: str, value: int) -> None:
    assert inet_aton(text) == value


@pytest.mark.parametrize(
    "text",
    ["", "1..1", "1.2.3.4.5", "256.0.0.1", "1.16777216", "4294967296", "08", "0x1g", "1.2.3.", "a"],
)
def test_inet_aton_refuses_what_it_cannot_read(text: str) -> None:
    assert inet_aton(text) is None


def test_names_are_lowercased_without_trailing_dot_and_in_ascii() -> None:
    assert normalize_host("API.Example.COM.").name == "api.example.com"
    assert normalize_host("m\u00fcnchen.de").name == "xn--mnchen-3ya.de"
    assert normalize_host("[::FFFF:1.2.3.4]").name == "::ffff:102:304"
    assert normalize_host("::1").ip is not None
    assert normalize_host("under_score.example").ip is None

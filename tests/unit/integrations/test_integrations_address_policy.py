"""The SSRF policy judges URLs and addresses without any network access."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_network

import pytest

from flowwright.integrations.domain.address_policy import AddressPolicy
from flowwright.integrations.domain.errors import BlockedDestination, InvalidUrl
from flowwright.kernel.errors import NonRetryableError, ValidationFailed

POLICY = AddressPolicy()

# Every spelling RELIABILITY.md lists, with the reason the refusal names.
RELIABILITY_CASES = [
    ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
    ("http://localhost/", "localhost is a loopback name"),
    ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
    ("http://[::1]/", "::1 is a loopback address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local/metadata"),
    ("http://metadata.google.internal/", "metadata.google.internal is a cloud metadata name"),
    ("http://10.0.0.1/", "10.0.0.1 is a private address"),
    ("http://10.255.255.254/", "is a private address"),
    ("http://172.16.0.1/", "172.16.0.1 is a private address"),
    ("http://172.31.255.254/", "is a private address"),
    ("http://192.168.0.1/", "192.168.0.1 is a private address"),
    ("http://100.64.0.1/", "100.64.0.1 is a carrier-grade NAT address"),
    ("http://100.127.255.254/", "carrier-grade NAT"),
    ("http://[fc00::1]/", "fc00::1 is a unique-local address"),
    ("http://[fd12:3456::1]/", "unique-local"),
    ("http://[fe80::1]/", "fe80::1 is a link-local address"),
    ("http://[::ffff:169.254.169.254]/", "of 169.254.169.254, a link-local/metadata address"),
    ("http://2130706433/", "2130706433 is a non-canonical spelling of the IPv4 address 127.0.0.1"),
    ("http://0177.0.0.1/", "0177.0.0.1 is a non-canonical spelling of the IPv4 address 127.0.0.1"),
    ("http://0x7f000001/", "0x7f000001 is a non-canonical spelling of the IPv4 address 127.0.0.1"),
    ("file:///etc/passwd", "file:// is not allowed"),
    ("gopher://127.0.0.1:6379/_INFO", "gopher:// is not allowed"),
]


@pytest.mark.parametrize(("url", "reason"), RELIABILITY_CASES)
def test_every_listed_internal_destination_is_refused(url: str, reason: str) -> None:
    with pytest.raises(BlockedDestination) as refused:
        POLICY.check_url(url)
    assert reason in refused.value.message
    assert refused.value.message.startswith("refused: ")
    assert refused.value.code == "ssrf_blocked"
    assert isinstance(refused.value, NonRetryableError) and not refused.value.retryable


def test_the_metadata_refusal_names_the_address_class() -> None:
    with pytest.raises(BlockedDestination, match=r"^refused: 169\.254\.169\.254 is a link-local"):
        POLICY.check_url("http://169.254.169.254/")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.1/",
        "http://127.0.1/",
        "http://0x7f.0.0.1/",
        "http://0x7f.1/",
        "http://017700000001/",
        "http://0/",
        "http://127.000.000.001/",
        "http://0251.0376.0251.0376/",  # 169.254.169.254 in octal
        "http://2852039166/",  # 169.254.169.254 as one number
        "http://1572395042/",  # a public address, but no canonical spelling of it
        "http://127.0.0.1./",
        "http://LOCALHOST./",
        "http://api.localhost/",
        "http://localhost.localdomain/",
        "http://metadata/",
        "http://instance-data/",
        "http://metadata.goog/",
        "http://[::]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[::127.0.0.1]/",  # IPv4-compatible (deprecated)
        "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
        "http://[2002:a9fe:a9fe::1]/",  # 6to4 of 169.254.169.254
        "http://[2002:c0a8:101::]/",  # 6to4 of 192.168.1.1
        "http://[fd00:ec2::254]/",  # the AWS metadata service over IPv6
        "http://[ff02::1]/",
        "http://[2001:db8::1]/",
        "http://[fe80::1%25eth0]/",
        "http://224.0.0.1/",
        "http://239.255.255.250/",
        "http://240.0.0.1/",
        "http://255.255.255.255/",
        "http://192.0.0.192/",  # Oracle Cloud metadata
        "http://198.18.0.1/",
        "http://192.0.2.1/",
        "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/",  # full-width digits
        "http://127\u30020\u30020\u30021/",  # ideographic full stops
        "ftp://example.com/",
        "ws://example.com/",
        "data:text/plain,hello",
        "javascript:alert(1)",
        "dict://127.0.0.1:11211/",
        "//example.com/",
        "http://user:secret@example.com/",
        "http://example.com@127.0.0.1/",
        "http://169.254.169.254@example.com/",
    ],
)
def test_other_spellings_of_internal_destinations_are_refused(url: str) -> None:
    with pytest.raises(BlockedDestination):
        POLICY.check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com:0/",
        "http://example.com:65536/",
        "http://example.com:99999999/",
        "http://example.com:80:80/",
        "http://example.com:+80/",
        "http://example.com:/",
        "http://example.com\\@127.0.0.1/",
        "http://exa mple.com/",
        "http://example.com/\r\nHost: 127.0.0.1",
        "http://127%2e0%2e0%2e1/",
        "http:///path",
        "http://[::1/",
        "http://[v1.fe80::1]/",
        "http://1.2.3.4.5/",
        "http://08.0.0.1/",
        "http://256.0.0.1/",
        "http://example.123/",
        "",
        "http://" + "a" * 300 + ".com/",
    ],
)
def test_malformed_urls_are_invalid(url: str) -> None:
    with pytest.raises(InvalidUrl) as invalid:
        POLICY.check_url(url)
    assert invalid.value.code == "invalid_url"
    assert isinstance(invalid.value, ValidationFailed)


@pytest.mark.parametrize(
    ("url", "host", "ip"),
    [
        ("http://93.184.216.34/", "93.184.216.34", IPv4Address("93.184.216.34")),
        ("https://8.8.8.8/dns", "8.8.8.8", IPv4Address("8.8.8.8")),
        ("http://[2606:4700::1111]/", "2606:4700::1111", IPv6Address("2606:4700::1111")),
        ("http://[::ffff:93.184.216.34]/", "::ffff:5db8:d822", IPv6Address("::ffff:5db8:d822")),
        ("https://api.example.com/v1", "api.example.com", None),
        ("https://hooks.slack.com/services/T0/B0/x", "hooks.slack.com", None),
    ],
)
def test_public_destinations_pass_the_policy(url: str, host: str, ip: object) -> None:
    target = POLICY.check_url(url)
    assert (target.host, target.ip, target.allowed) == (host, ip, False)


def test_a_url_is_returned_in_canonical_form() -> None:
    target = POLICY.check_url("  HTTPS://B\u00fccher.Example./a/b?x=1&y=2#fragment  ")
    assert (target.scheme, target.host, target.port) == ("https", "xn--bcher-kva.example", 443)
    assert target.target == "/a/b?x=1&y=2"
    assert target.url == "https://xn--bcher-kva.example/a/b?x=1&y=2"
    assert POLICY.check_url("http://example.com:8080").url == "http://example.com:8080/"
    assert POLICY.check_url("http://[2606:4700::1111]:81/").origin == "http://[2606:4700::1111]:81"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.255.254",
        "::1",
        "0.0.0.0",  # noqa: S104  (an address under test, not a bind)
        "::",
        "10.1.2.3",
        "172.20.0.1",
        "192.168.100.100",
        "100.100.100.200",  # Alibaba Cloud metadata
        "169.254.169.254",
        "169.254.170.2",  # AWS ECS task metadata
        "fe80::abcd",
        "fc00::1",
        "fdff::1",
        "224.0.0.251",
        "ff05::2",
        "240.1.2.3",
        "255.255.255.255",
        "192.0.0.8",
        "198.19.255.255",
        "2001:db8:1::1",
        "64:ff9b::10.0.0.1",
        "2002:7f00:1::",
        "::ffff:127.0.0.1",
        "::ffff:0.0.0.0",
        "100::1",
        "fe80::1%eth0",
    ],
)
def test_check_ip_refuses_non_public_addresses(address: str) -> None:
    with pytest.raises(BlockedDestination, match=r"^refused: "):
        POLICY.check_ip(address)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "1.1.1.1", "2606:4700::1111", "64:ff9b::1.1.1.1", "2002:101:101::"]
)
def test_check_ip_accepts_public_addresses(address: str) -> None:
    POLICY.check_ip(address)


def test_check_ip_refuses_text_that_is_not_an_address() -> None:
    with pytest.raises(BlockedDestination, match="not an IP address"):
        POLICY.check_ip("127.1")


def test_an_allowed_host_bypasses_the_checks_for_that_host_only() -> None:
    policy = AddressPolicy(allowed_hosts=frozenset({"Internal.Corp.", "127.0.0.1:8080", "[::1]"}))
    assert policy.check_url("http://internal.corp/api").allowed
    assert policy.check_url("http://internal.corp:9999/").allowed
    assert policy.check_url("http://127.0.0.1:8080/").allowed
    assert policy.check_url("http://[::1]:5000/").allowed
    assert policy.allowed_hosts == {"internal.corp", "127.0.0.1:8080", "[::1]"}
    for refused in (
        "http://127.0.0.1:8081/",
        "http://127.0.0.1/",
        "http://localhost:8080/",
        "http://0x7f000001:8080/",
        "http://10.0.0.1/",
    ):
        with pytest.raises(BlockedDestination):
            policy.check_url(refused)
    # A sibling name is not allowed: its resolved addresses will be checked.
    assert not policy.check_url("http://other.internal.corp/").allowed


def test_an_allowed_host_does_not_relax_scheme_or_credentials() -> None:
    policy = AddressPolicy(allowed_hosts={"internal.corp"})
    with pytest.raises(BlockedDestination, match="gopher"):
        policy.check_url("gopher://internal.corp/")
    with pytest.raises(BlockedDestination, match="credentials"):
        policy.check_url("http://admin:pw@internal.corp/")


def test_allowed_networks_let_their_addresses_through() -> None:
    policy = AddressPolicy(allowed_networks={"10.20.0.0/16", ip_network("fd00:1::/64")})
    policy.check_ip("10.20.1.2")
    policy.check_ip("::ffff:10.20.1.2")
    policy.check_ip("fd00:1::5")
    with pytest.raises(BlockedDestination):
        policy.check_ip("10.21.0.1")
    with pytest.raises(BlockedDestination):
        policy.check_ip("127.0.0.1")


@pytest.mark.parametrize("entry", ["", "0x7f000001", "host:0", "host:http", "[::1"])
def test_bad_allowed_host_entries_are_configuration_errors(entry: str) -> None:
    with pytest.raises(ValueError, match="allowed host"):
        AddressPolicy(allowed_hosts={entry})


def test_a_single_string_is_not_taken_for_a_collection_of_hosts() -> None:
    with pytest.raises(TypeError):
        AddressPolicy(allowed_hosts="internal.corp")

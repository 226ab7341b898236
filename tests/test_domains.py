"""Unit tests of provaudit.core.domains: eTLD+1 of URLs, IP and IDN hosts, garbage, offline PSL."""

from __future__ import annotations

import socket

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from provaudit.core import domains
from provaudit.core.domains import registrable_domain


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.bbc.co.uk/x", "bbc.co.uk"),
        ("http://a.b.example.com.cn:8080/", "example.com.cn"),
        ("https://example.com", "example.com"),
        ("https://www.example.com/path?q=1#frag", "example.com"),
        ("HTTPS://WWW.EXAMPLE.COM/", "example.com"),
        ("https://example.com.", "example.com"),  # fully qualified, trailing dot
        ("ftp://ftp.example.co.jp/pub/file", "example.co.jp"),
        ("https://sub.domain.example.gov.uk/", "example.gov.uk"),
        ("http://www.bar.foo.kawasaki.jp/", "bar.foo.kawasaki.jp"),  # wildcard *.kawasaki.jp
        ("http://city.kawasaki.jp/", "city.kawasaki.jp"),  # exception rule !city.kawasaki.jp
        # user info and port are ignored
        ("https://user:secret@sub.Example.COM:8443/p", "example.com"),
        ("http://user@example.org", "example.org"),
        # bare hosts without scheme
        ("www.example.org/path", "example.org"),
        ("example.org", "example.org"),
        ("example.org:8080/x", "example.org"),
        ("//cdn.example.net/lib.js", "example.net"),
        ("  https://example.com/  ", "example.com"),
        # IDN: Unicode and punycode spellings agree, lower-cased
        ("https://BÜCHER.de/x", "bücher.de"),
        ("http://xn--bcher-kva.de/", "bücher.de"),
        ("https://www.例子.中国/路径", "例子.中国"),
        ("https://www.xn--fsqu00a.xn--fiqs8s/", "例子.中国"),
        ("http://例子。中国/", "例子.中国"),  # ideographic full stop as label separator
        ("https://münchen.example.com/", "example.com"),
        # a name that only starts like a number is a name
        ("http://1.2.3.example.com/", "example.com"),
        ("http://123.com/", "123.com"),
        # single-label hosts
        ("http://localhost:8000/", "localhost"),
        ("localhost", "localhost"),
        ("localhost:8080/x", "localhost"),
        ("http://intranet/wiki", "intranet"),
        # private section of the list is honoured
        ("https://alice.github.io/blog", "alice.github.io"),
        ("https://bob.blogspot.com/", "bob.blogspot.com"),
        # unknown TLD: the default "*" rule
        ("http://a.b.internal/", "b.internal"),
        ("http://foo_bar.example.com", "example.com"),
    ],
)
def test_registrable_domain(url: str, expected: str) -> None:
    assert registrable_domain(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "   ",
        "not a url",
        "n/a",
        "unknown",
        "-",
        "http://",
        "https://",
        "http://..",
        "http://.example.com..",
        "http://exa mple.com/",
        "http://-bad-.com/",
        "http://[::1",
        "http://" + "a" * 64 + ".com/",  # label longer than 63
        "http://" + ".".join(["a"] * 200) + ".com/",  # host longer than 253
        "mailto:someone@example.com",
        "javascript:alert(1)",
        "data:text/plain,hello",
        "urn:isbn:0451450523",
        "file:///etc/passwd",
        "http://co.uk/",  # a public suffix has no registrable domain
        "http://com",
        "https://github.io/",
        "http://foo.kawasaki.jp/",  # itself a public suffix under *.kawasaki.jp
        "http://exa%6dple.com/",
    ],
)
def test_no_registrable_domain(url: str | None) -> None:
    assert registrable_domain(url) is None


@pytest.mark.parametrize("value", [123, b"https://example.com", ["https://example.com"]])
def test_non_string_gives_none(value: object) -> None:
    assert registrable_domain(value) is None  # type: ignore[arg-type]


def test_list_is_loaded_once() -> None:
    assert domains.public_suffix_list() is domains.public_suffix_list()


def test_list_loads_and_answers_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    domains.public_suffix_list.cache_clear()
    domains._domain_of_host.cache_clear()
    try:
        assert registrable_domain("https://news.bbc.co.uk/") == "bbc.co.uk"
        assert registrable_domain("https://www.例子.中国/") == "例子.中国"
    finally:
        domains.public_suffix_list.cache_clear()


_label = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)


@given(
    st.lists(_label, min_size=0, max_size=3),
    _label,
    st.sampled_from(["com", "co.uk", "com.cn", "org", "de"]),
)
def test_subdomains_do_not_change_the_registrable_domain(
    subs: list[str], name: str, suffix: str
) -> None:
    # Some names are suffixes themselves (za.com is a public suffix in the private section).
    assume(not domains.public_suffix_list().is_public(f"{name}.{suffix}"))
    host = ".".join([*subs, name, suffix])
    assert registrable_domain(f"https://{host}/page") == f"{name}.{suffix}"
    assert registrable_domain(host) == f"{name}.{suffix}"


@given(st.text(max_size=80))
def test_arbitrary_text_never_raises(text: str) -> None:
    result = registrable_domain(text)
    assert result is None or (isinstance(result, str) and result == result.lower() and result)


@given(st.text(max_size=40))
def test_arbitrary_text_after_scheme_never_raises(text: str) -> None:
    result = registrable_domain("https://" + text)
    assert result is None or isinstance(result, str)


@pytest.mark.parametrize(
    "url",
    [
        "http://192.168.0.1:80/",
        "10.0.0.1",
        "10.0.0.1/path",
        "https://8.8.8.8/",
        "http://[2001:db8::1]:8080/x",
        "http://[2001:0db8:0000::0001]/",
        "http://[::1]/",
        "http://[::ffff:192.0.2.1]/",
        "http://[fe80::1%25eth0]/",
        "http://user:pw@203.0.113.9/",
        "http://2130706433/",  # 127.0.0.1 written as one number, as browsers read it
        "http://0x7f000001/",
        "http://0x7f.1/",
        "http://127.1/",
        "http://192.168.0.1./",
    ],
)
def test_ip_address_hosts_are_never_domains(url: str) -> None:
    """An IP address is not a site and may identify a person: never a (top) domain."""
    assert registrable_domain(url) is None

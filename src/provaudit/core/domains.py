"""Reduce a document URL to its registrable domain (eTLD+1) with the Public Suffix List.

Contract
--------
``registrable_domain(url)`` never raises. It returns:

* the registrable domain, lower case, in Unicode form: ``https://news.bbc.co.uk/x`` ->
  ``bbc.co.uk``; ``http://a.b.example.com.cn:8080/`` -> ``example.com.cn``. Punycode and
  Unicode spellings of one host give the same value (``xn--bcher-kva.de`` and
  ``BÜCHER.de`` -> ``bücher.de``), so ledger rows group by site whatever the spelling.
* a single-label host that is not itself a public suffix as it is, when the URL names
  a scheme (``http://intranet/`` -> ``intranet``); ``localhost`` also without one;
* ``None`` for an IP address host (``http://10.0.0.1/``, ``http://[2001:db8::1]:8080/``,
  a bare ``10.0.0.1``) and for any host a browser reads as an IPv4 address (its last label
  a number: ``http://2130706433/``, ``http://0x7f.1/``, ``http://127.1/``): an address is
  not a site and may identify a person's machine, so it is never published as a domain
  (the ledger's ``url`` keeps it, masked where it is personal information);
* ``None`` for ``None``, empty or malformed input, a host that is a public suffix
  (``co.uk``), URIs without a host (``mailto:``, ``data:``, ``file:///``), and a bare
  word without a scheme or a dot (``n/a``, ``unknown``: stand-in words, not hosts).

A bare host without a scheme (``www.example.org/path``, ``example.org:8080``) is read as
``http://``; user info and port are ignored.

The list is the one bundled in the ``publicsuffixlist`` package, read from the package's
own data file the first time it is needed (one per process, then shared; answers are
cached per host): nothing is fetched at run time, so results change only when the
package is upgraded. The private section of the list is honoured, as browsers do:
``alice.github.io`` is its own site. Hosts under a TLD the list does not know are
treated with the list's default ``*`` rule (``a.b.internal`` -> ``b.internal``).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

__all__ = ["registrable_domain"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_HOST_PORT = re.compile(r"^[^/?#@:]+:\d*(?:[/?#]|$)")  # "example.org:8080/x" has no scheme
_LABEL = re.compile(r"(?!-)[a-z0-9_\-]{1,63}(?<!-)")  # used with fullmatch
_MAX_HOST = 253


@functools.lru_cache(maxsize=1)
def public_suffix_list() -> PublicSuffixList:
    """Return the process-wide Public Suffix List, loaded from the bundled file once."""
    return PublicSuffixList()


def _host(url: str) -> tuple[str | None, bool]:
    """Return a URL's host (or None) and whether the URL gave a scheme or ``//``."""
    s = url.strip()
    explicit = True
    if s.startswith("//"):
        s = "http:" + s
    elif "://" not in s:
        if _SCHEME.match(s) and not _HOST_PORT.match(s):
            return None, False  # mailto:, data:, javascript:, urn: -- no host
        s = "http://" + s
        explicit = False
    try:
        return urlsplit(s).hostname, explicit
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None, False


def _ascii_host(host: str) -> str | None:
    """Return the host in lower-case ASCII (IDNA), or None if it is not a valid host name."""
    host = host.rstrip(".")
    if not host or len(host) > _MAX_HOST:
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    if len(ascii_host) > _MAX_HOST:
        return None
    if not all(_LABEL.fullmatch(label) for label in ascii_host.split(".")):
        return None
    return ascii_host


def _unicode_host(ascii_host: str) -> str:
    """Return the Unicode form of an ASCII host, or the ASCII form if it does not decode."""
    try:
        return ascii_host.encode("ascii").decode("idna").lower()
    except UnicodeError:
        return ascii_host


_NUMBER_LABEL = re.compile(r"0[xX][0-9A-Fa-f]*|[0-9]+")  # WHATWG URL: a host ending in one is IPv4


def _is_ip(host: str) -> bool:
    """True for an IP address host, or one a browser parses as IPv4 (last label a number)."""
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return bool(labels[-1]) and _NUMBER_LABEL.fullmatch(labels[-1]) is not None


def registrable_domain(url: str | None) -> str | None:
    """Return the registrable domain (eTLD+1) of a URL, or None (also for an IP address host)."""
    if not url or not isinstance(url, str):
        return None
    host, explicit = _host(url)
    if not host:
        return None
    return _domain_of_host(host, explicit)


@functools.lru_cache(maxsize=65536)  # a crawl has far fewer hosts than pages
def _domain_of_host(host: str, explicit: bool) -> str | None:
    """Return the registrable domain of a host (IDNA and PSL work, cached per host)."""
    if _is_ip(host):
        return None  # an address, not a site
    ascii_host = _ascii_host(host)
    if ascii_host is None:
        return None
    psl = public_suffix_list()
    if "." not in ascii_host:
        if not explicit and ascii_host != "localhost":
            return None  # "n/a", "unknown", "none": stand-in words, not hosts
        if psl.publicsuffix(ascii_host, accept_unknown=False) is not None:
            return None  # a bare TLD such as "com"
        return _unicode_host(ascii_host)
    domain = psl.privatesuffix(ascii_host)
    return _unicode_host(domain) if domain else None

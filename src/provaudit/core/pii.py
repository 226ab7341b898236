"""Detect personal information in text, count it by kind, and mask it.

Contract
--------
* :func:`find_pii` counts e-mail addresses, phone numbers, mainland China resident
  identity numbers, payment card numbers and IPv4 addresses. It never raises on text.
* :func:`pii_examples` and :func:`mask_text` only ever return *masked* values. A masked
  value never contains the raw value, nor enough of its digits to rebuild it:
  e-mail ``j***@e***.com``; China mobile ``+86 138****5678`` (carrier prefix and last 4,
  the common Chinese convention); other phones ``+44 ********58`` (country code and last
  2); identity number ``11***************X`` (first 2, last 1); card
  ``**** **** **** 1234`` (last 4); IPv4 ``192.168.*.*`` (first two octets).
* Every value is counted once, under one kind. Kinds are matched in the order e-mail,
  identity number, card, China mobile, international phone, IPv4, and a match that
  overlaps an earlier one is ignored: an 18-digit identity number is not also a card or
  a phone, a phone inside a card or an e-mail local part is not counted again.

Excerpts and metadata (nothing raw leaves a run, whatever surrounds a value):

* :func:`mask_excerpt` makes quarantine excerpts and skipped-record details: bytes decoded
  as written (a BOM, else NULs at every second or fourth byte: UTF-16/UTF-32, else UTF-8),
  JSON, percent and HTML escapes resolved, invisible characters dropped, whitespace runs
  made one space (:func:`readable_view`), the *whole* text masked, and only then cut; a value
  that a cut (the 16 KiB budget, the caller's, the final length) may have split is dropped,
  and digit runs of 11 or more that masking left are starred. No padding, encoding or cut
  leaves a value unmasked.
* :func:`mask_field` (URL, licence string, file name) and :func:`mask_doc_id` mask metadata
  values read the same way and count what they held, which the ledger adds to the
  document's counts; an id holding personal information becomes ``MASKED#shard#location``
  (unique and deterministic; no hash of the hidden value, which few possible values would
  make reversible). :func:`mask_names` keeps masked shard names distinct (`` (2)`` ...).

Validators keep false positives down:

* identity numbers need a province code, a real birth date and a valid ISO 7064 MOD 11-2
  check character;
* cards need a Luhn-valid number, not all one digit, whose issuer prefix (IIN) belongs to a
  card network and whose length is one that network issues (:func:`card_iin_valid`). A run
  shaped like an identity number (18 characters, a birth date in place, whatever its check
  character), an EAN-13 (13 digits with a valid GS1 check digit: no network issues 13-digit
  cards any more), a GTIN-14 or UPC-A after a barcode word (``EAN``, ``GTIN``, ``UPC``,
  ``barcode``, ``条码``, ``Штрихкод``) and a number after an order or tracking word is not
  a card;
* China mobiles need a prefix assigned to mobile networks (13x, 145-149, 150-153, 155-159,
  162, 165-167, 170-178, 18x, 190-193, 195-199); international phones a leading ``+`` and
  an assigned country calling code (brackets, dashes, dots and spaces between digits:
  ``+1 (415) 555-2671``, ``+44 (0)20 7946 0958``); neither counts after an order,
  invoice, tracking, waybill, serial, ISBN or timestamp word (``Order No.``, ``订单号``,
  ``Номер заказа``);
* every digit kind must be a whole digit run (not part of a longer number or a decimal
  fraction), not glued to an ASCII letter or ``_`` (``0x13812345678``, a hex digest,
  ``tmp_13812345678``; Chinese text around it is fine) and not a group of a UUID.

Sensitive personal information: identity numbers and payment cards (``SENSITIVE_KINDS``)
are sensitive personal information (PIPL art. 28), which needs separate consent (PIPL art.
29; TC260-003 5.2); the profile counts them apart.

Allow list: values that look like personal information but are not a person's. An
:class:`Allowlist` holds e-mail patterns (``noreply@``: that local part at any domain;
``bug-*@``: shell-style wildcards; ``x@example.org``: one address; matched without regard
to case) and IP networks in CIDR form. ``DEFAULT_ALLOW`` lists the role mailboxes of RFC
2142 and their kin and the documentation ranges of RFC 5737 and RFC 3849 (the IPv6 range
is accepted for completeness; IPv6 is not detected). Allowed values are neither counted
nor masked.

IPv4 decision: loopback, unspecified and private addresses (``127.0.0.1``, ``0.0.0.0``,
``192.168.x.x``) are counted like any other. They are personal information only at times,
but counting them keeps the rule simple and the count an honest "addresses present"
indicator. A dotted quad is not an address when it is part of a longer dotted run
(``3.1.16.2.5``, an OID), glued to letters (``v1.2.3.4``), after a version, section or
object-identifier word in English, Chinese, Russian, Greek, Arabic, German, French or
Spanish (``version``, ``v``, ``ver.``, ``release``, ``build``, ``版本``, ``версия``,
``έκδοση``, ``الإصدار``, ``section``, ``§``, ``第``, ``раздел``, ``OID``,
``ObjectIdentifier(``), after a version comparison (``==``, ``>=``, ``<``), before a version
word (``8.2.0.13 版本``) or a suffix (``9.3.0.25-r1``, ``pkg-1.2.3.4.tar.gz``), or a
numbered heading (at the start of a line, numbers up to 40, then ``.``, ``)`` or a
capitalised title).

E-mail addresses may be internationalised (RFC 6531, IDN): the user part and the domain
may hold letters, digits and marks of any script (``用户@例子.广告``, ``Pelé@exemple.fr``,
``θσερ@εχαμπλε.ψομ``, ``коля@пример.рф``, ``xn--`` labels). In CJK running text the user
part starts after the last word that introduces it (``邮箱``, ``联系``, ``至``) and is CJK or
not (``邮箱zhang@...`` starts at ``z``); a top-level domain ends at a change of script, and
a CJK one that text runs on after ends at the longest top-level domain of the Public Suffix
List that starts it, else after four characters at most (``例子.广告联系我们`` ends at
``广告``). Asset names (``logo@2x.png``) are not addresses.

Not detected: IPv6, identity numbers written with spaces, phones written without any
prefix outside mainland China's mobile format, 12-digit card numbers, e-mail addresses
with a full-width ``＠``, names and postal addresses.

Speed: regexes are compiled once at import; a text with no ``@`` skips the e-mail
pattern, one without seven digits close together skips the identity, card and China
mobile patterns, one without ``+digit`` the international phone pattern and one without
``digit.digit.digit`` the IPv4 pattern, so clean prose costs a few microseconds per KB.
Those prescreens run on the UTF-8 bytes; the patterns then run only in windows around
runs of digits, and the context rules above only for a candidate value. Digits are ASCII
digits: full-width and other scripts' digits are not read as numbers.
"""

from __future__ import annotations

import bisect
import datetime
import fnmatch
import functools
import html
import ipaddress
import re
import string
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

__all__ = [
    "DEFAULT_ALLOW",
    "DEFAULT_ALLOWLIST",
    "EXCERPT_BUDGET",
    "EXCERPT_CHARS",
    "KINDS",
    "NO_ALLOWLIST",
    "SENSITIVE_KINDS",
    "Allowlist",
    "PiiCounts",
    "add_counts",
    "card_iin_valid",
    "cn_id_valid",
    "decode_excerpt",
    "find_pii",
    "gs1_valid",
    "luhn_valid",
    "mask_doc_id",
    "mask_excerpt",
    "mask_field",
    "mask_names",
    "mask_text",
    "pii_examples",
    "readable_view",
]

KINDS = ("email", "phone", "cn_id", "card", "ip")
SENSITIVE_KINDS = ("cn_id", "card")

# Role mailboxes (RFC 2142 and the usual automatic senders) and documentation address ranges
# (RFC 5737 IPv4, RFC 3849 IPv6): they name no person.
DEFAULT_ALLOW = (
    "postmaster@", "hostmaster@", "webmaster@", "abuse@", "noc@", "security@", "usenet@",
    "news@", "www@", "uucp@", "ftp@", "mailer-daemon@", "noreply@", "no-reply@",
    "donotreply@", "do-not-reply@", "bug-*@", "bugs@",
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32",
)


class PiiCounts(NamedTuple):
    """Occurrences of each kind of personal information in one text."""

    email: int
    phone: int
    cn_id: int
    card: int
    ip: int


class _Hit(NamedTuple):
    """One detected value: where it is, its kind, and its masked form."""

    start: int
    end: int
    kind: str
    masked: str


# ---------------------------------------------------------------------------------------
# Validators


def luhn_valid(digits: str) -> bool:
    """Return True if a string of digits passes the Luhn (mod 10) check."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    # From the right, double every second digit; a doubled digit over 9 loses 9.
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# Card networks' issuer prefixes (IIN ranges, compared on the leading digits) and the
# lengths each issues: (first prefix, last prefix, lengths).
_IIN_TABLE: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("4", "4", (13, 16, 19)),  # Visa
    ("51", "55", (16,)),  # Mastercard
    ("2221", "2720", (16,)),  # Mastercard 2-series
    ("34", "34", (15,)),  # American Express
    ("37", "37", (15,)),  # American Express
    ("300", "305", (14, 15, 16, 17, 18, 19)),  # Diners Club International
    ("3095", "3095", (14, 15, 16, 17, 18, 19)),  # Diners Club International
    ("36", "36", (14, 15, 16, 17, 18, 19)),  # Diners Club International
    ("38", "39", (16, 17, 18, 19)),  # Diners Club International
    ("3528", "3589", (16, 17, 18, 19)),  # JCB
    ("6011", "6011", (16, 17, 18, 19)),  # Discover
    ("644", "649", (16, 17, 18, 19)),  # Discover
    ("65", "65", (16, 17, 18, 19)),  # Discover, RuPay
    ("62", "62", (16, 17, 18, 19)),  # China UnionPay
    ("2200", "2204", (16, 17, 18, 19)),  # Mir
    ("60", "60", (16,)),  # RuPay
    ("508", "508", (16,)),  # RuPay
    ("5018", "5018", (12, 13, 14, 15, 16, 17, 18, 19)),  # Maestro
    ("5020", "5020", (12, 13, 14, 15, 16, 17, 18, 19)),  # Maestro
    ("5038", "5038", (12, 13, 14, 15, 16, 17, 18, 19)),  # Maestro
    ("5893", "5893", (12, 13, 14, 15, 16, 17, 18, 19)),  # Maestro
    ("6304", "6304", (12, 13, 14, 15, 16, 17, 18, 19)),  # Maestro
    ("6759", "6759", (12, 13, 14, 15, 16, 17, 18, 19)),  # Maestro
    ("6761", "6763", (12, 13, 14, 15, 16, 17, 18, 19)),  # Maestro
)


def card_iin_valid(digits: str) -> bool:
    """Return True when a card number's issuer prefix and length belong to one card network."""
    if not digits.isascii() or not digits.isdigit():
        return False
    n = len(digits)
    for first, last, lengths in _IIN_TABLE:
        if n in lengths and first <= digits[: len(first)] <= last:
            return True
    return False


_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2**(17-i) mod 11
_CN_ID_CHECK = "10X98765432"  # check character for each value of sum mod 11
_CN_ID_SHAPE = re.compile(r"[1-9]\d{16}[\dXx]")


def _cn_id_check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for the first 17 digits of an ID."""
    total = sum(int(c) * w for c, w in zip(first17, _CN_ID_WEIGHTS, strict=True))
    return _CN_ID_CHECK[total % 11]


# Province-level codes that begin every resident identity number (GB/T 2260; 71 Taiwan,
# 81 Hong Kong, 82 Macau, 83 the Hong Kong, Macau and Taiwan residence permits).
_CN_PROVINCES = frozenset((
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82", "83",
))
# An 18-character run shaped like an identity number (birth date in place, checksum not
# checked): such a run is never read as a card, even when its checksum is wrong.
_CN_ID_NEAR = re.compile(
    r"[1-9]\d{5}(?:18|19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]", re.ASCII
)


def cn_id_valid(s: str) -> bool:
    """Return True for a well-formed resident identity number (province, birth date, checksum)."""
    if len(s) != 18 or not s.isascii() or not _CN_ID_SHAPE.fullmatch(s) or s[:2] not in _CN_PROVINCES:
        return False
    try:
        born = datetime.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    if not 1900 <= born.year <= 2100:
        return False
    return _cn_id_check_char(s[:17]) == s[17].upper()


def gs1_valid(digits: str) -> bool:
    """Return True if digits end in a valid GS1 check digit (GTIN-8, UPC-A, EAN-13, GTIN-14)."""
    if len(digits) not in (8, 12, 13, 14) or not digits.isascii() or not digits.isdigit():
        return False
    # From the right, excluding the check digit, weights alternate 3, 1, 3, ...
    total = sum((ord(ch) - 48) * (3 if i % 2 == 0 else 1) for i, ch in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == ord(digits[-1]) - 48


# Assigned ITU-T E.164 country calling codes (no code is a prefix of another).
_COUNTRY_CODES_TABLE = """
    1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58
    60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98
    211 212 213 216 218 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235
    236 237 238 239 240 241 242 243 244 245 246 247 248 249 250 251 252 253 254 255 256
    257 258 260 261 262 263 264 265 266 267 268 269 290 291 297 298 299 350 351 352 353
    354 355 356 357 358 359 370 371 372 373 374 375 376 377 378 380 381 382 383 385 386
    387 389 420 421 423 500 501 502 503 504 505 506 507 508 509 590 591 592 593 594 595
    596 597 598 599 670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 687 688
    689 690 691 692 850 852 853 855 856 870 880 881 882 883 886 888 960 961 962 963 964
    965 966 967 968 970 971 972 973 974 975 976 977 992 993 994 995 996 998"""
_COUNTRY_CODES = frozenset(_COUNTRY_CODES_TABLE.split())


def _country_code(digits: str) -> str | None:
    """Return the country calling code that starts a digit string, if one is assigned."""
    for n in (1, 2, 3):
        if digits[:n] in _COUNTRY_CODES:
            return digits[:n]
    return None


# ---------------------------------------------------------------------------------------
# Patterns, ASCII digits only. Each starts with one character class and puts its
# look-behind after that character: the regex engine then skips ahead to candidate
# characters in C instead of trying the look-behind at every position (5-10x faster).
# Digit kinds must be whole runs: not after a digit or "digit.", not before a digit or
# ".digit" (so decimals and longer numbers do not match).

_A = re.ASCII
_RB = r"(?!\d)(?!\.\d)"

# The part of an e-mail address after "@"; the user part is read backwards from "@". Labels
# may be internationalised (IDN, RFC 5890): letters and digits of any script and their
# combining marks. The top-level domain is ASCII letters, or letters of one other script
# ("рф", "中国", "ψομ"); a Han/Kana/Hangul one is cut to a known top-level domain when
# CJK text runs on after it without a break (see _cjk_tld).
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u0900-\u0963\u0966-\u0dff\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u200c\u200d"
)
# "_" is not a label character: a domain holding one is dropped after the match (one
# character class per position keeps the pattern fast).
_LCHAR = rf"[\w{_MARKS}]"
_LABEL = rf"{_LCHAR}(?:[\w{_MARKS}\-]{{0,61}}{_LCHAR})?"
_EMAIL_DOMAIN = re.compile(
    rf"(?:{_LABEL}\.)+"
    rf"([A-Za-z]{{2,24}}(?![A-Za-z0-9\-])|[Xx][Nn]--[A-Za-z0-9\-]{{1,59}}(?![A-Za-z0-9\-])|(?:[^\W\d_A-Za-z]|[{_MARKS}]){{2,63}}(?![A-Za-z0-9\-]))"
)
_ALNUM = frozenset(string.ascii_letters + string.digits)
_EMAIL_USER_ASCII = _ALNUM | frozenset("._%+-")
_EMAIL_USER_MAX = 64
# File name suffixes that follow "@" in asset names ("icon@2x.png"); none is a top-level domain.
_NOT_TLD = frozenset(("png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "tif", "tiff", "ico", "avif",
                     "heic", "psd"))
# Words that introduce an address in Chinese running text ("邮箱用户@例子.广告"): a CJK user
# part starts after the last of them.
_CJK_EMAIL_LEADS = ("邮箱", "郵箱", "邮件", "郵件", "电邮", "電郵", "信箱", "邮址", "地址", "联系", "聯繫",
                    "联络", "聯絡", "发送至", "發送至", "发至", "寄至", "发到", "至", "到", "为", "為",
                    "是", "：", "メール", "이메일")
_CN_ID = re.compile(r"[1-9](?<!\d\d)(?<!\d\.\d)\d{16}[\dXx]" + _RB, _A)
_CARD = re.compile(
    r"[2-6](?<!\d\d)(?<!\d\.\d)"
    r"(?:\d{12,18}"  # contiguous, 13-19 digits
    r"|\d{3}([ \-])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?"  # 4-4-4-4 and 4-4-4-4-3
    r"|(?<=3)\d{3}([ \-])\d{6}\2\d{4,5})" + _RB,  # 4-6-5 (Amex), 4-6-4 (Diners)
    _A,
)
# Mainland mobile numbers: the prefixes the MIIT has assigned to mobile networks (13x,
# 145-149, 150-153, 155-159, 162, 165-167, 170-178, 18x, 190-193, 195-199).
_CN_MOBILE = re.compile(
    r"(?:\+(?<![\d+]\+)86[ \-]?1"  # +86 prefix
    r"|0(?<![\d+]0)086[ \-]?1"  # 0086 prefix
    r"|1(?<![\d+]1)(?<!\d\.1))"  # no prefix
    r"(?:3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])[ \-]?\d{4}[ \-]?\d{4}" + _RB,
    _A,
)
# International numbers: "+", then digits with single spaces, dashes or dots between, and
# an area code perhaps in brackets ("+1 (415) 555-2671", "+44 (0)20 7946 0958").
_INTL_PHONE = re.compile(
    r"\+(?<![A-Za-z0-9_+]\+)(\d(?:[ \-.]?(?:\(\d{1,4}\)|\d)){7,15})" + _RB, _A
)
_IPV4 = re.compile(
    r"\d(?<![A-Za-z0-9_.]\d)(?<![A-Za-z0-9_]\.\d)"  # not glued to a word or dotted run
    r"\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![A-Za-z0-9_])(?!\.\d)",
    _A,
)
_NON_DIGITS = re.compile(r"[^0-9]")
_NUMBER_RUN = re.compile(r"[0-9][0-9 .+\-()]{6,}")

# Prescreen on the UTF-8 bytes with every ASCII digit turned into "0" (bytes.translate and
# substring search run at memory speed; multi-byte UTF-8 never holds ASCII digit bytes).
# Every identity number, card and China mobile has three digits then four, perhaps with
# a space or dash between ("138 1234 5678", "4111 1111 ..."): a year alone does not; every
# IPv4 address has "digit.digit.digit"; every international phone "+digit".
_ZERO_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_DIGITS_HINT = re.compile(rb"000[ \-]?0000")
_IP_HINT = re.compile(rb"0\.0{1,3}\.0")
_ZEROED_RUN = re.compile(rb"0[0 .+\-()]{6,}")


# ---------------------------------------------------------------------------------------
# Masking


def _mask_email(user: str, host: str, tld: str) -> str:
    """Mask an e-mail address: first letter of user and host, and the top-level domain."""
    return f"{user[0]}***@{host[0]}***.{tld}"


def _mask_cn_mobile(digits: str) -> str:
    """Mask a China mobile number to carrier prefix and last four digits."""
    prefix = "+86 " if len(digits) > 11 else ""
    return f"{prefix}{digits[-11:-8]}****{digits[-4:]}"


def _mask_intl_phone(digits: str, code: str) -> str:
    """Mask an international number to country code and last two digits."""
    rest = digits[len(code) :]
    return f"+{code} {'*' * (len(rest) - 2)}{rest[-2:]}"


def _mask_cn_id(value: str) -> str:
    """Mask an identity number to its first two and last characters."""
    return f"{value[:2]}{'*' * 15}{value[-1].upper()}"


def _mask_card(digits: str) -> str:
    """Mask a card number to its last four digits."""
    return f"**** **** **** {digits[-4:]}"


# ---------------------------------------------------------------------------------------
# Allow list

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Allowlist:
    """E-mail patterns and IP networks that are not personal information (see the module doc)."""

    def __init__(self, patterns: Iterable[str] = DEFAULT_ALLOW) -> None:
        emails: list[str] = []
        networks: list[IpNetwork] = []
        for raw in patterns:
            entry = str(raw).strip().lower()
            if "@" in entry:
                if entry.count("@") != 1 or entry.startswith("@"):
                    raise ValueError(f"{raw!r}: an e-mail pattern is LOCAL@ or LOCAL@DOMAIN")
                emails.append(entry)
            else:
                try:
                    networks.append(ipaddress.ip_network(entry, strict=False))
                except ValueError:
                    raise ValueError(f"{raw!r}: neither an e-mail pattern (with @) nor an IP network "
                                     "(CIDR, e.g. 192.0.2.0/24)") from None
        self.patterns = tuple(str(p) for p in patterns)
        self._email = re.compile("|".join(
            fnmatch.translate(p + "*" if p.endswith("@") else p) for p in emails) or r"(?!)")
        self._networks = tuple(networks)

    def allows_email(self, address: str) -> bool:
        """True when an e-mail address matches an allowed pattern."""
        return self._email.match(address.lower()) is not None

    def allows_ip(self, address: str) -> bool:
        """True when an IP address lies in an allowed network."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip.version == net.version and ip in net for net in self._networks)

    def __reduce__(self) -> tuple[type, tuple[tuple[str, ...]]]:
        return (Allowlist, (self.patterns,))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Allowlist) and self.patterns == other.patterns

    def __hash__(self) -> int:
        return hash(self.patterns)

    def __repr__(self) -> str:
        return f"Allowlist({list(self.patterns)!r})"


DEFAULT_ALLOWLIST = Allowlist(DEFAULT_ALLOW)
NO_ALLOWLIST = Allowlist(())

# A dotted run right after a version, section or object-identifier word, or after a
# version comparison ("==", ">=", "<"), is not an address.
_VERSION_WORD = re.compile(
    r"(?:(?:\b|_)(?:v|ver|version|versions|release|rel|build|rev|revision|firmware|fw|patch|sp"
    r"|update|kernel|oid|objectidentifier|object identifier|section|sec|sect|chapter|chap|ch|clause"
    r"|article|art|para|paragraph|table|tab|fig|figure|appendix|annex|step|item|rule|part"
    r"|abschnitt|kapitel|artikel|sección|seccion|capítulo|capitulo|apartado|chapitre|sezione"
    r"|версия|версии|раздел|пункт|п|глава|статья|έκδοση|ενότητα|κεφάλαιο|άρθρο"
    r"|الإصدار|الاصدار|النسخة|القسم|الفصل|المادة)"
    r"\.?[ \t:='\"_(\-]{0,4}"
    r"|版本号?|版本號|版|第|§|¶|[=<>!~]=|[<>])[ \t:：='\"(]{0,3}$",
    re.IGNORECASE,
)
# A version word right after the number ("8.2.0.13 版本", "4.19.0.12 release").
_VERSION_AFTER = re.compile(r"[ \t]{0,2}(?:版本|版|(?:version|release|build)\b)", re.IGNORECASE)
# Words before a number that make it an order, invoice, tracking, serial or ISBN number or
# a timestamp ("Order No. 13812345678", "订单号：13812345678"): such a number is not a phone.
_NUMBER_WORD = re.compile(
    r"(?:\b|_)(?:order|orders|invoice|tracking|shipment|waybill|ref|reference|serial|s/n"
    r"|isbn|issn|sku|ean|gtin|upc|barcode|ticket|txn|transaction|timestamp|ts|epoch"
    r"|заказ|заказа|накладная|накладной|παραγγελία|παραγγελίας|الطلب)"
    r"\.?(?: ?(?:no|nr|number|id|num|#|رقم)\.?)?[ \t:：#=№'\"]{0,4}$"
    r"|(?:订单|訂單|单号|單號|编号|編號|流水号|流水號|运单|運單|快递|快遞|发票|發票|序列号|條碼|条码|时间戳)"
    r"[号號码碼]?[ \t:：#]{0,3}$",
    re.IGNORECASE,
)
# Words that name a GS1 barcode number.
_BARCODE_WORD = re.compile(
    r"(?:ean|ean-?13|ean-?8|gtin|gtin-?1[234]|upc|upc-?a|jan|barcode|bar code|штрихкод|штрих-код"
    r"|条码|条形码|條碼|商品码|γραμμωτός κώδικας|باركود)",
    re.IGNORECASE,
)
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_WORD_GLUE = frozenset(string.ascii_letters + "_")


# ---------------------------------------------------------------------------------------
# Scanning


def _is_cjk(ch: str) -> bool:
    """True for a Han, Kana or Hangul character or CJK punctuation."""
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF
            or 0xFF00 <= o <= 0xFFEF or 0x20000 <= o <= 0x3FFFF)


@functools.lru_cache(maxsize=1)
def _suffix_list() -> Any:
    """The Public Suffix List bundled with ``publicsuffixlist`` (offline), loaded once."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(accept_unknown=False)


def _known_tld(label: str) -> bool:
    """True when label is a top-level domain in the Public Suffix List."""
    return bool(_suffix_list().is_public(label))


def _cjk_class(ch: str) -> int:
    """0 for a character outside CJK, 1 Han, 2 Kana, 3 Hangul."""
    o = ord(ch)
    if 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9F:
        return 2
    if 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
        return 3
    return 1 if _is_cjk(ch) else 0


@functools.lru_cache(maxsize=4096)
def _cut_tld(tld: str) -> str:
    """Cut a non-ASCII top-level domain that other text runs on after without a break: at
    the first change of script (Han, Kana, Hangul, other); then a CJK one to the longest
    known TLD that starts it, else the whole run when it is at most four characters long,
    else its first two ("例子.广告联系我们" ends at "广告")."""
    first = _cjk_class(tld[0])
    n = 1
    while n < len(tld) and _cjk_class(tld[n]) == first:
        n += 1
    tld = tld[:n]
    if not first or len(tld) <= 2:
        return tld
    for n in range(min(len(tld), 8), 1, -1):
        if _known_tld(tld[:n]):
            return tld[:n]
    return tld if len(tld) <= 4 else tld[:2]


_CJK_GROUP = (0, 1, 1, 3)  # Han and Kana make one group of user-part characters, Hangul another


def _email_user_start(text: str, at: int) -> int:
    """Return where the user part before "@" at index at starts (== at when there is none).

    A user part holds ASCII letters, digits and ``._%+-`` (RFC 5322) or, internationalised
    (RFC 6531), letters, digits and marks of any script; it is CJK or not ("邮箱zhang@..."
    starts at "z"), and Hangul or Han and Kana; a CJK one starts after the last word that
    introduces an address ("邮箱用户@..." starts at "用").
    """
    start = at
    group = _CJK_GROUP[_cjk_class(text[at - 1])] if at else 0
    while start > 0 and at - start <= _EMAIL_USER_MAX:
        ch = text[start - 1]
        if ch in _EMAIL_USER_ASCII:
            if group:
                break
        elif (ch.isascii() or not (ch.isalnum() or unicodedata.category(ch)[0] == "M")
              or _CJK_GROUP[_cjk_class(ch)] != group):
            break
        start -= 1
    if group:
        user = text[start:at]
        cut = max((i + len(w) for w in _CJK_EMAIL_LEADS if (i := user.rfind(w)) >= 0), default=0)
        if cut < len(user):
            start += cut
    return start


def _emails(text: str, allow: Allowlist) -> Iterator[_Hit]:
    """Yield e-mail addresses, found from each "@" outwards."""
    at = text.find("@")
    while at != -1:
        m = _EMAIL_DOMAIN.match(text, at + 1)
        if m:
            # The user part is the whole run of user characters before "@", at most 64
            # long, starting with a letter or digit.
            start = _email_user_start(text, at)
            tld, end = m.group(1), m.end()
            if not tld.isascii():
                tld = _cut_tld(tld)
                end = m.start(1) + len(tld)
            if (start < at and at - start <= _EMAIL_USER_MAX and text[start].isalnum()
                    and tld.lower() not in _NOT_TLD and "_" not in text[at:end]
                    and not allow.allows_email(text[start:end])):
                masked = _mask_email(text[start:at], text[at + 1], tld)
                yield _Hit(start, end, "email", masked)
        at = text.find("@", at + 1)


def _number_windows(text: str) -> list[tuple[int, int]]:
    """Return (pos, endpos) spans around every run that could hold a number-like value."""
    zeroed = text.encode("utf-8", "surrogatepass").translate(_ZERO_DIGITS)
    # Every hint holds a "0": a text without one (one memchr) has no window. "+0" is sought
    # only where a "+" is: with "0" frequent, that two-byte search is slower than memchr.
    if b"0" not in zeroed or not (_DIGITS_HINT.search(zeroed) or _IP_HINT.search(zeroed)
                                  or (b"+" in zeroed and b"+0" in zeroed)):
        return []
    # Every phone, identity number, card and IPv4 address lies inside a run of digits,
    # spaces, dots, dashes and pluses (a "+" just before it; an identity number may end in
    # X just after it). One character before and three after the run let the patterns'
    # look-aheads see what follows; their look-behinds see before pos anyway.
    if len(zeroed) == len(text):  # ASCII: byte offsets are text offsets; "0" is fast to seek
        runs = [m.span() for m in _ZEROED_RUN.finditer(zeroed)]
    else:
        runs = [m.span() for m in _NUMBER_RUN.finditer(text)]
    end = len(text)
    return [(max(0, start - 1), min(end, stop + 3)) for start, stop in runs]


def _candidates(text: str, allow: Allowlist) -> Iterator[_Hit]:
    """Yield every validated match, kind by kind in priority order (may overlap)."""
    if "@" in text:
        yield from _emails(text, allow)
    windows = _number_windows(text)
    for pos, endpos in windows:
        for m in _CN_ID.finditer(text, pos, endpos):
            if cn_id_valid(m.group()) and _standalone(text, m.start(), m.end()):
                yield _Hit(m.start(), m.end(), "cn_id", _mask_cn_id(m.group()))
    for pos, endpos in windows:
        for m in _CARD.finditer(text, pos, endpos):
            digits = _NON_DIGITS.sub("", m.group())
            if (luhn_valid(digits) and digits.count(digits[0]) != len(digits)
                    and card_iin_valid(digits) and not _CN_ID_NEAR.fullmatch(digits)
                    and not _is_gtin(text, m.start(), digits)
                    and _standalone(text, m.start(), m.end())
                    and not _NUMBER_WORD.search(text, max(0, m.start() - 24), m.start())):
                yield _Hit(m.start(), m.end(), "card", _mask_card(digits))
    for pos, endpos in windows:
        for m in _CN_MOBILE.finditer(text, pos, endpos):
            if _standalone(text, m.start(), m.end()) and not _NUMBER_WORD.search(
                    text, max(0, m.start() - 24), m.start()):
                digits = _NON_DIGITS.sub("", m.group())
                yield _Hit(m.start(), m.end(), "phone", _mask_cn_mobile(digits))
    for pos, endpos in windows:
        for m in _INTL_PHONE.finditer(text, pos, endpos):
            digits = _NON_DIGITS.sub("", m.group(1).replace("(0)", "", 1))
            code = _country_code(digits)
            if (code is not None and 8 <= len(digits) <= 15 and _standalone(text, m.start(), m.end())
                    and not _NUMBER_WORD.search(text, max(0, m.start() - 24), m.start())):
                yield _Hit(m.start(), m.end(), "phone", _mask_intl_phone(digits, code))
    for pos, endpos in windows:
        for m in _IPV4.finditer(text, pos, endpos):
            octets = m.group().split(".")
            if (all(_octet_valid(o) for o in octets) and not allow.allows_ip(m.group())
                    and not _not_an_address(text, m.start(), m.end(), octets)):
                yield _Hit(m.start(), m.end(), "ip", f"{octets[0]}.{octets[1]}.*.*")


def _standalone(text: str, start: int, end: int) -> bool:
    """True when a digit value is not part of an identifier: not glued to ASCII letters or
    "_" ("0x13800138000", a hex digest) and not a group of a UUID (8-4-4-4-12 hex digits)."""
    if start and (text[start - 1] in _WORD_GLUE):
        return False
    if end < len(text) and (text[end] in _WORD_GLUE):
        return False
    if "-" in text[max(0, start - 1) : end + 1]:
        for u in _UUID.finditer(text, max(0, start - 36), end + 36):
            if u.start() < end and start < u.end():
                return False
    return True


def _is_gtin(text: str, start: int, digits: str) -> bool:
    """True for a GS1 barcode number: a 13-digit one with a valid check digit (EAN-13; no
    card network issues 13 digits any more), or a 12- or 14-digit one after a barcode word."""
    if not gs1_valid(digits):
        return False
    return len(digits) == 13 or _BARCODE_WORD.search(text, max(0, start - 32), start) is not None


def _not_an_address(text: str, start: int, end: int, octets: list[str]) -> bool:
    """True when a dotted quad is a version, section, OID or requirement, not an address."""
    if _VERSION_WORD.search(text, max(0, start - 24), start) or _VERSION_AFTER.match(text, end):
        return True
    if text.startswith(("-", "+"), end) and end + 1 < len(text) and text[end + 1].isalpha():
        return True  # "9.3.0.25-r1", "1.2.3.4+build": a version with a suffix
    if text.startswith(".", end) and end + 1 < len(text) and text[end + 1].isalnum():
        return True  # "pkg-1.2.3.4.tar.gz"
    if start >= 2 and text[start - 1] == "-" and text[start - 2].isalpha():
        return True  # "python-1.2.3.4"
    # A numbered heading: at the start of a line, small numbers, then "." or ")" or a title.
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip() == "" and all(len(o) <= 2 and int(o) <= 40 for o in octets):
        after = text[end : end + 3]
        if after[:1] in (".", ")") or (after[:1] in (" ", "\t") and after[1:2].isupper()):
            return True
    return False


def _octet_valid(octet: str) -> bool:
    """Return True for a decimal octet 0-255 without a leading zero."""
    return int(octet) <= 255 and (octet == "0" or octet[0] != "0")


def _hits(text: str, allow: Allowlist | None = None) -> list[_Hit]:
    """Return the non-overlapping hits in text order; earlier kinds win overlaps."""
    starts: list[int] = []
    kept: list[_Hit] = []  # sorted by start, pairwise disjoint
    for hit in _candidates(text, DEFAULT_ALLOWLIST if allow is None else allow):
        i = bisect.bisect_right(starts, hit.start)
        if i and kept[i - 1].end > hit.start:
            continue  # overlaps the hit that starts at or before it
        if i < len(kept) and kept[i].start < hit.end:
            continue  # overlaps the hit that starts after it
        starts.insert(i, hit.start)
        kept.insert(i, hit)
    return kept


def find_pii(text: str, allow: Allowlist | None = None) -> PiiCounts:
    """Count the personal information in text, by kind (``allow``: DEFAULT_ALLOWLIST when None)."""
    counts = dict.fromkeys(KINDS, 0)
    for hit in _hits(text, allow):
        counts[hit.kind] += 1
    return PiiCounts(**counts)


def pii_examples(text: str, limit: int = 3, allow: Allowlist | None = None) -> list[tuple[str, str]]:
    """Return up to limit (kind, masked value) pairs, in text order."""
    if limit <= 0:
        return []
    return [(hit.kind, hit.masked) for hit in _hits(text, allow)[:limit]]


def mask_text(text: str, allow: Allowlist | None = None) -> str:
    """Return text with every detected value replaced by its masked form."""
    hits = _hits(text, allow)
    if not hits:
        return text
    parts: list[str] = []
    pos = 0
    for hit in hits:
        parts.append(text[pos : hit.start])
        parts.append(hit.masked)
        pos = hit.end
    parts.append(text[pos:])
    return "".join(parts)


# ---------------------------------------------------------------------------------------
# Excerpts and metadata: masking that no padding, encoding or cut can defeat

EXCERPT_CHARS = 80  # characters a quarantine excerpt holds at most
EXCERPT_BUDGET = 16_384  # bytes (or characters) of the content an excerpt is made from

_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"),
)
# Characters that show nothing and could split a value so the patterns miss it: C0 and C1
# controls other than whitespace, format characters (zero-width space and joiners,
# bidirectional controls, soft hyphen, word joiner, BOM), variation selectors, tags.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
    "\U000e0000-\U000e0fff]"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_HTML_REF = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")
# What may still be part of a value where a text was cut: the run of number characters
# (digits, separators, "+", brackets) that ends the text.
_NUMBER_CHARS = frozenset("0123456789 .+-()")
_DOMAIN_CHARS = re.compile(rf"[\w{_MARKS}.\-]*")
# Long digit runs that survived masking (glued to letters, a failed check digit, split by
# a bad byte, a bad byte and a space) are starred in excerpts: an excerpt is a diagnosis,
# it needs no such digits. Any run of separators and replacement characters may sit between
# two digits (UTF-16 read as UTF-8 puts "\ufffd " between a card's groups).
_LONG_DIGITS = re.compile("[0-9](?:[ .\\-\ufffd]*[0-9]){10,}")


def decode_excerpt(content: bytes) -> str:
    """Decode bytes for an excerpt as they were written: a BOM names UTF-8, UTF-16 or UTF-32;
    without one, NUL bytes at every second (fourth) position mean UTF-16 (UTF-32), little or
    big endian; NUL bytes at both positions (UTF-16 padded with U+3000) the reading with the
    fewest implausible characters; else UTF-8. Bad bytes become U+FFFD; never raises."""
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return content[len(bom):].decode(codec, "replace")
    codec = _nul_codec(content) if b"\x00" in content else None
    return content.decode(codec or "utf-8", "replace")


def _nul_codec(data: bytes) -> str | None:
    """Name the UTF-16/UTF-32 byte order that NUL bytes in data point to, if any."""
    sample = data[:4096]
    nul = [sample[k::4].count(0) for k in range(4)]
    slots = [len(sample[k::4]) for k in range(4)]
    share = [n / s if s else 0.0 for n, s in zip(nul, slots, strict=True)]
    if share[2] > 0.9 and share[3] > 0.9 and share[0] < 0.5:
        return "utf-32-le"
    if share[0] > 0.9 and share[1] > 0.9 and share[3] < 0.5:
        return "utf-32-be"
    odd, even = nul[1] + nul[3], nul[0] + nul[2]
    if odd >= 4 * even and odd * 8 >= len(sample):
        return "utf-16-le"
    if even >= 4 * odd and even * 8 >= len(sample):
        return "utf-16-be"
    if odd * 8 < len(sample) and even * 8 < len(sample):
        return None  # a few NUL bytes: UTF-8 with stray NULs
    # NULs on both sides (UTF-16 text padded with U+3000 or other U+xx00 characters): the
    # reading with the fewest implausible characters wins, UTF-8 included.
    even_sample = sample[: len(sample) - len(sample) % 2]
    scores = {codec: _implausible(even_sample.decode(codec, "replace"))
              for codec in ("utf-16-le", "utf-16-be", "utf-8")}
    best = min(scores, key=lambda c: (scores[c], c != "utf-16-le"))
    return None if best == "utf-8" else best


def _implausible(text: str) -> int:
    """Characters a real text rarely holds: controls (but tab and line ends), unassigned,
    private-use and replacement characters, and characters U+xx00 above U+00FF (what text in
    the other byte order reads as)."""
    n = 0
    for ch in text:
        o = ord(ch)
        if o > 0xFF and not o & 0xFF:
            n += 1
        elif o < 0x20 and ch not in "\t\n\r" or o == 0xFFFD or unicodedata.category(ch) in ("Cn", "Co", "Cs"):
            n += 1
    return n


def _json_char(m: re.Match[str]) -> str:
    ch = chr(int(m.group(1), 16))
    return "\ufffd" if "\ud800" <= ch <= "\udfff" else ch


def readable_view(text: str) -> str:
    """Return text as a reader sees it: JSON ``\\u`` escapes (four hex digits), percent escapes and HTML
    character references resolved, invisible characters removed, lone surrogates replaced by
    U+FFFD and every run of whitespace made one space (stripped at both ends)."""
    plain = text.isascii() and text.isprintable()  # nothing invisible: skip those passes
    if not plain:
        text = _INVISIBLE.sub("", text)
    escaped = "\\u" in text or "%" in text or "&" in text
    if "\\u" in text:
        text = _JSON_ESCAPE.sub(_json_char, text)
    if "%" in text:
        text = _PERCENT.sub(lambda m: chr(int(m.group()[1:], 16)), text)
    if "&" in text:
        text = _HTML_REF.sub(lambda m: html.unescape(m.group()), text)
    if not plain or escaped:  # escapes may have made invisible characters or surrogates
        text = _SURROGATE.sub("\ufffd", _INVISIBLE.sub("", text))
    return " ".join(text.split())


def _safe_end(text: str) -> int:
    """Where a text cut short at its end can be trusted up to: before a number or an e-mail
    address that may run on past the cut (the value's start is unknown, so all of it goes)."""
    end = len(text)
    while True:
        cut = end
        while cut and text[cut - 1] in _NUMBER_CHARS:
            cut -= 1
        at = text.rfind("@", 0, cut)
        if at != -1 and _DOMAIN_CHARS.fullmatch(text, at + 1, cut):
            token = text.rfind(" ", 0, at) + 1
            cut = max(token, at - _EMAIL_USER_MAX - 1)
        if cut == end:
            return end
        end = cut


def mask_excerpt(content: bytes | str, limit: int = EXCERPT_CHARS, allow: Allowlist | None = None,
                 cut: bool = False) -> str:
    """Return at most ``limit`` characters of content with every personal value masked.

    Order (none can be defeated by padding, encoding or where the content is cut): decode
    bytes as written (:func:`decode_excerpt`); take :func:`readable_view` of the first
    ``EXCERPT_BUDGET`` characters; when the content was longer (or ``cut``: the caller cut
    it), drop what may be the head of a value cut at that end (:func:`_safe_end`); mask every value of the whole view
    (:func:`mask_text`); star any run of eleven or more digits the masks left; then cut to
    ``limit``, again dropping a number cut in half. Never raises.
    """
    cut = cut or len(content) > EXCERPT_BUDGET
    content = content[:EXCERPT_BUDGET]
    if isinstance(content, bytes):
        content = decode_excerpt(content)
    view = readable_view(content)
    if cut:  # a character cut in half decodes as U+FFFD: it ends nothing
        view = view.rstrip("\ufffd ")
        view = view[: _safe_end(view)].rstrip()
    masked = _LONG_DIGITS.sub(lambda m: re.sub(r"[0-9]", "*", m.group()), mask_text(view, allow))
    if len(masked) <= limit:
        return masked
    head = masked[:limit]
    return head[: _safe_end(head)].rstrip() if masked[limit] not in " " else head


_ESCAPE_OR_AT = re.compile(r"[@%&\\+]")
_NO_DIGITS = str.maketrans("", "", "0123456789")


def mask_field(value: str | None, allow: Allowlist | None = None) -> tuple[str | None, PiiCounts]:
    """Mask a metadata value (a URL, a licence string, a file name) and count what it held.

    The value is read as :func:`readable_view` sees it (percent, JSON and HTML escapes
    resolved, invisible characters dropped, whitespace runs made one space): when that view
    holds personal information, the masked view is returned (so ``?mail=ann%40x.org``
    becomes ``?mail=a***@x***.org``); otherwise the value is returned as it is.
    """
    if value is None:
        return None, PiiCounts(0, 0, 0, 0, 0)
    if value.isascii() and not _ESCAPE_OR_AT.search(value) and len(value) - len(value.translate(_NO_DIGITS)) < 4:
        # nothing personal fits: an e-mail needs "@" (or an escape of it), every other kind
        # at least four digits (IPv4), and non-ASCII text (full-width digits, IDN) goes the long way
        return value, PiiCounts(0, 0, 0, 0, 0)
    view = readable_view(value)
    hits = _hits(view, allow)
    counts = dict.fromkeys(KINDS, 0)
    for hit in hits:
        counts[hit.kind] += 1
    if not hits:
        return value, PiiCounts(**counts)
    return mask_text(view, allow), PiiCounts(**counts)


def mask_doc_id(doc_id: str, where: str, allow: Allowlist | None = None) -> tuple[str, PiiCounts]:
    """Mask a document id and count what it held; keep it a unique, deterministic key.

    An id without personal information is returned as it is. One with some becomes
    ``MASKED#WHERE``: its masked form (:func:`mask_field`), ``#`` and where the document
    is (``shard#location``, the id provaudit derives for a document without one), which is
    unique in a run. No hash of the hidden value is kept: a card or an identity number has
    so few possible values that any unkeyed hash of it could be reversed by trying them all.
    """
    masked, counts = mask_field(doc_id, allow)
    if not any(counts):
        return doc_id, counts
    return f"{masked}#{where}", counts


def mask_names(names: Iterable[str], allow: Allowlist | None = None) -> list[tuple[str, PiiCounts]]:
    """Mask file names (shard paths) and count what each held; keep them distinct.

    Each name goes through :func:`mask_field`; a masked name equal to a name earlier in the
    list gets `` (2)``, `` (3)``, ... before its extension, in list order, so a listing in a
    fixed order gives the same names every time.
    """
    out: list[tuple[str, PiiCounts]] = []
    names = list(names)
    taken = set(names)
    for name in names:
        masked, counts = mask_field(name, allow)
        if any(counts):
            taken.discard(name)
            candidate, n = masked, 1
            while candidate in taken:
                n += 1
                stem, dot, ext = masked.rpartition(".")
                candidate = f"{stem} ({n}).{ext}" if dot and "/" not in ext else f"{masked} ({n})"
            masked = candidate
        taken.add(masked or "")
        out.append((masked or "", counts))
    return out


def add_counts(*counts: PiiCounts) -> PiiCounts:
    """Return the kind-by-kind sum of several counts."""
    return PiiCounts(*(sum(c[i] for c in counts) for i in range(len(KINDS))))

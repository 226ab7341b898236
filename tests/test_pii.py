"""Unit tests of provaudit.core.pii: validators, detection per kind, exclusivity, masking."""

from __future__ import annotations

import datetime
import random
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from provaudit.core import pii
from provaudit.core.pii import (
    DEFAULT_ALLOW,
    NO_ALLOWLIST,
    Allowlist,
    PiiCounts,
    card_iin_valid,
    cn_id_valid,
    find_pii,
    gs1_valid,
    luhn_valid,
    mask_text,
    pii_examples,
)

# ---------------------------------------------------------------------------------------
# Independent implementations of the check algorithms, to build test data.


def id_check_char(first17: str) -> str:
    """Compute the ISO 7064 MOD 11-2 check character from its definition."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def make_id(region: str, born: datetime.date, seq: int) -> str:
    """Build a valid resident identity number."""
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def luhn_check_digit(body: str) -> str:
    """Return the digit that makes body + digit Luhn-valid."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # these are doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def gs1_check_ok(digits: str) -> bool:
    """GS1 check digit from its definition: weights 3 and 1 alternating from the right."""
    body = digits[:-1]
    total = sum(int(d) * (3 if (len(body) - i) % 2 == 1 else 1) for i, d in enumerate(body))
    return (10 - total % 10) % 10 == int(digits[-1])


def id_shaped(number: str) -> bool:
    """18 characters with a plausible birth date where an identity number has one."""
    if len(number) != 18 or number[0] == "0":
        return False
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    return 1800 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31


def counts(**kw: int) -> PiiCounts:
    return PiiCounts(**{k: kw.get(k, 0) for k in PiiCounts._fields})


KNOWN_ID = "11010519491231002X"  # the specimen number printed in GB 11643
ID_A = make_id("440301", datetime.date(1990, 2, 28), 123)
ID_B = make_id("310101", datetime.date(2000, 12, 1), 7)


# ---------------------------------------------------------------------------------------
# Validators


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111111",
        "5555555555554444",
        "378282246310005",
        "6011111111111117",
        "4012888888881881",
        "3530111333300000",
        "79927398713",
        "0",
    ],
)
def test_luhn_valid(number: str) -> None:
    assert luhn_valid(number)


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111112",
        "5555555555554445",
        "378282246310006",
        "79927398710",
        "",
        "4111 1111 1111 1111",
        "abcd",
        "４１１１１１１１１１１１１１１１",  # full-width digits are not card digits
    ],
)
def test_luhn_invalid(number: str) -> None:
    assert not luhn_valid(number)


def test_luhn_detects_every_single_digit_change() -> None:
    base = "4111111111111111"
    for i in range(len(base)):
        for d in "0123456789":
            if d != base[i]:
                assert not luhn_valid(base[:i] + d + base[i + 1 :])


def test_test_helpers_agree_with_known_values() -> None:
    assert id_check_char(KNOWN_ID[:17]) == "X"
    assert luhn_check_digit("411111111111111") == "1"
    assert luhn_check_digit("7992739871") == "3"


@pytest.mark.parametrize("value", [KNOWN_ID, KNOWN_ID.lower(), ID_A, ID_B])
def test_cn_id_valid(value: str) -> None:
    assert cn_id_valid(value)


@pytest.mark.parametrize(
    "value",
    [
        "110105194912310021",  # wrong check digit
        "11010519491231002",  # 17 characters
        "11010519491231002X1",  # 19 characters
        "01010519491231002X",  # region cannot start with 0
        make_id("110105", datetime.date(2000, 1, 1), 1)[:17] + "Y",
        "1101051949123A002X",
        "",
    ],
)
def test_cn_id_invalid_shape_or_checksum(value: str) -> None:
    assert not cn_id_valid(value)


@pytest.mark.parametrize("date", ["19490230", "19491301", "19490001", "18991231", "21010101"])
def test_cn_id_invalid_birth_date_even_with_right_check_char(date: str) -> None:
    first17 = f"110105{date}002"
    assert not cn_id_valid(first17 + id_check_char(first17))


def test_cn_id_every_single_digit_change_is_caught() -> None:
    for i in range(17):
        for d in "0123456789":
            if d != ID_A[i]:
                changed = ID_A[:i] + d + ID_A[i + 1 :]
                assert not cn_id_valid(changed) or changed[:17] == ID_A[:17]


def test_random_18_digit_numbers_are_mostly_invalid() -> None:
    rng = random.Random(0)
    draws = ["".join(rng.choice("0123456789") for _ in range(18)) for _ in range(2000)]
    assert sum(cn_id_valid(d) for d in draws) < 20  # checksum 1/11 times a rare date


# ---------------------------------------------------------------------------------------
# Detection, per kind


@pytest.mark.parametrize(
    "text",
    [
        "mail john.doe@example.com now",
        "<a href='mailto:jane_smith+tag@mail.example.co.uk'>",
        "X@Y.IO",
        "邮箱zhang.san@example.cn。",
        "13812345678@qq.com",  # a phone as the local part is one e-mail, not a phone
    ],
)
def test_email_found(text: str) -> None:
    assert find_pii(text) == counts(email=1)


@pytest.mark.parametrize(
    "text",
    [
        "user@localhost",
        "a@b.c",
        "user@123.45",
        "@example.com",
        "foo @ bar.com",
        "x@y.z1",
        "name(at)example.com",
        "email@.com",
    ],
)
def test_email_not_found(text: str) -> None:
    assert find_pii(text).email == 0


@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        "call 138-1234-5678 today",
        "call 138 1234 5678 today",
        "+86 13812345678",
        "+8613812345678",
        "0086-138-1234-5678",
        "电话:19912345678。",
        "+44 20 7946 0958",
        "+1 415-555-2671",
        "+33 1 23 45 67 89",
        "+49 30 1234567",
        "+852 2123 4567",
        "(+91 98765 43210)",
    ],
)
def test_phone_found(text: str) -> None:
    assert find_pii(text) == counts(phone=1)


@pytest.mark.parametrize(
    "text",
    [
        "12812345678",  # no mobile prefix 12
        "138123456789",  # 12 digits
        "1381234567",  # 10 digits
        "20138123456789",  # inside a longer run
        "pi is 3.13812345678",  # decimal fraction
        "44 20 7946 0958",  # international without +
        "+999 1234 5678",  # unassigned country code
        "+44 123",  # too short
        "+1234567",  # 7 digits
        "C++ 2020",
        "+1415555267188889999",  # a run longer than E.164 allows
    ],
)
def test_phone_not_found(text: str) -> None:
    assert find_pii(text).phone == 0


@pytest.mark.parametrize("value", [KNOWN_ID, KNOWN_ID.lower(), ID_A, ID_B])
def test_cn_id_found(value: str) -> None:
    assert find_pii(f"身份证号：{value}，请核对") == counts(cn_id=1)


@pytest.mark.parametrize(
    "text",
    [
        "110105194912310021",  # bad checksum
        "1" + KNOWN_ID,  # longer digit run
        KNOWN_ID[:-1] + "01",  # 19 digits
        "0." + ID_A,  # decimal fraction
    ],
)
def test_cn_id_not_found(text: str) -> None:
    assert find_pii(text).cn_id == 0


@pytest.mark.parametrize(
    "text",
    [
        "card 4111111111111111 exp",
        "card 4111 1111 1111 1111 exp",
        "card 4111-1111-1111-1111 exp",
        "5555555555554444",
        "amex 378282246310005",
        "amex 3782 822463 10005",
        "diners 3056 930902 5904",
        "unionpay 6212345678901232",
        "19 digits 6200000000000000000",  # a 19-digit China UnionPay-style number
    ],
)
def test_card_found(text: str) -> None:
    assert find_pii(text) == counts(card=1)


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",  # Luhn fails
        "4111 1111 1111 1112",
        "1111111111111117",  # Luhn-valid but IIN 1 is not a card network
        "6666666666666",  # Luhn-valid but one repeated digit
        "22222222222222222",  # the same, 17 digits
        "4111 11111111 1111",  # not a card grouping
        "41111111111",  # too short
        "41111111111111111111",  # 20 digits
        "e = 2.718281828459045",  # decimal fraction
    ],
)
def test_card_not_found(text: str) -> None:
    assert find_pii(text).card == 0


def test_same_digit_numbers_used_above_are_luhn_valid() -> None:
    assert luhn_valid("6666666666666") and luhn_valid("22222222222222222")
    assert luhn_valid("1111111111111117")


@pytest.mark.parametrize(
    "text",
    [
        "host 192.168.1.1 up",
        "dns 8.8.8.8",
        "127.0.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "from 10.0.0.1.",
        "(172.16.0.5)",
        "服务器地址192.168.0.10，端口",
    ],
)
def test_ip_found(text: str) -> None:
    assert find_pii(text) == counts(ip=1)


@pytest.mark.parametrize(
    "text",
    [
        "256.1.1.1",
        "1.2.3",
        "version 1.2.3.4.5",
        "v1.2.3.4",
        "192.168.001.001",
        "1.2.3.4a",
        "a.1.2.3.4",
        "3.14",
    ],
)
def test_ip_not_found(text: str) -> None:
    assert find_pii(text).ip == 0


def test_ip_followed_by_sentence_dot_is_found() -> None:
    assert find_pii("seen at 1.2.3.4.").ip == 1


# ---------------------------------------------------------------------------------------
# One value, one kind


def _luhn_valid_id() -> str:
    """Return a valid identity number that is also Luhn-valid with a card IIN (62: UnionPay)."""
    for seq in range(1000):
        value = make_id("620102", datetime.date(1985, 6, 15), seq)
        if value[-1] != "X" and luhn_valid(value):
            return value
    raise AssertionError("no such id")


def test_id_number_is_not_also_a_card_or_phone() -> None:
    value = _luhn_valid_id()
    assert find_pii(value) == counts(cn_id=1)


def test_id_shaped_number_with_a_bad_checksum_is_neither_id_nor_card() -> None:
    # Luhn-valid with a UnionPay prefix and length, but shaped like an identity number
    # (region, birth date): a mistyped ID, not a card.
    value = _luhn_valid_id()
    body = value[:16] + ("9" if value[16] != "9" else "8")
    number = body + luhn_check_digit(body)
    assert not cn_id_valid(number) and luhn_valid(number) and card_iin_valid(number)
    assert find_pii(number) == counts()


def test_18_digit_card_without_a_birth_date_in_place_is_a_card() -> None:
    body = "62123456" + "99" + "1234567"  # "9912" where the month would be
    number = body + luhn_check_digit(body)
    assert find_pii(number) == counts(card=1)


def test_phone_in_email_local_part_counts_once() -> None:
    assert find_pii("13812345678@163.com") == counts(email=1)


def test_empty_and_clean_text() -> None:
    assert find_pii("") == counts()
    clean = "The quick brown fox jumps over the lazy dog in 2024, twice: 1 + 1 = 2. " * 40
    assert find_pii(clean) == counts()
    assert mask_text(clean) == clean
    assert pii_examples(clean) == []


def test_chinese_context() -> None:
    text = "联系电话：13812345678，邮箱 zhang.san@example.cn，身份证 11010519491231002X。"
    assert find_pii(text) == counts(email=1, phone=1, cn_id=1)
    assert mask_text(text) == (
        "联系电话：138****5678，邮箱 z***@e***.cn，身份证 11***************X。"
    )


def test_counts_many() -> None:
    text = " ".join(["a@b.io"] * 3 + ["8.8.8.8"] * 2 + ["4111111111111111"] * 4)
    assert find_pii(text) == counts(email=3, ip=2, card=4)


# ---------------------------------------------------------------------------------------
# Masking


@pytest.mark.parametrize(
    ("raw", "kind", "masked"),
    [
        ("john.doe@example.com", "email", "j***@e***.com"),
        ("a@mail.example.com.cn", "email", "a***@m***.cn"),
        ("+86 138 1234 5678", "phone", "+86 138****5678"),
        ("13812345678", "phone", "138****5678"),
        ("+44 20 7946 0958", "phone", "+44 ********58"),
        ("+1 415-555-2671", "phone", "+1 ********71"),
        (KNOWN_ID, "cn_id", "11***************X"),
        (KNOWN_ID.lower(), "cn_id", "11***************X"),
        ("4111 1111 1111 1111", "card", "**** **** **** 1111"),
        ("378282246310005", "card", "**** **** **** 0005"),
        ("192.168.1.1", "ip", "192.168.*.*"),
    ],
)
def test_masked_forms(raw: str, kind: str, masked: str) -> None:
    assert pii_examples(f"x {raw} y") == [(kind, masked)]
    assert mask_text(f"x {raw} y") == f"x {masked} y"


def test_pii_examples_limit_and_order() -> None:
    text = "8.8.8.8 a@b.io 13812345678 1.1.1.1"
    assert pii_examples(text, limit=2) == [("ip", "8.8.*.*"), ("email", "a***@b***.io")]
    assert len(pii_examples(text, limit=10)) == 4
    assert pii_examples(text, limit=0) == []


# ---------------------------------------------------------------------------------------
# Properties: embedded valid values are found and never leak through masking

_regions = st.sampled_from(["110105", "310101", "440301", "510107", "650102", "820000"])
_dates = st.dates(datetime.date(1900, 1, 1), datetime.date(2099, 12, 31))
cn_ids = st.builds(make_id, _regions, _dates, st.integers(0, 999)).flatmap(
    lambda v: st.sampled_from([v, v.lower()])
)


# (issuer prefix, lengths) drawn by the card strategy: one per network of the IIN table
CARD_PREFIXES = [("4", (13, 16, 19)), ("51", (16,)), ("55", (16,)), ("2221", (16,)), ("2720", (16,)),
                 ("34", (15,)), ("37", (15,)), ("300", (14, 19)), ("36", (14,)), ("3528", (16, 19)),
                 ("6011", (16, 19)), ("65", (16,)), ("62", (16, 17, 18, 19)), ("2200", (16,)),
                 ("5018", (13, 19))]


@st.composite
def cards(draw: st.DrawFn) -> str:
    prefix, lengths = draw(st.sampled_from(CARD_PREFIXES))
    length = draw(st.sampled_from(lengths))
    body = prefix + "".join(
        draw(st.lists(st.sampled_from("0123456789"), min_size=length - 1 - len(prefix),
                      max_size=length - 1 - len(prefix)))
    )
    number = body + luhn_check_digit(body)
    assume(len(set(number)) > 1)
    assume(not cn_id_valid(number))  # an 18-digit number can be a valid ID: that kind wins
    assume(not id_shaped(number))  # nor is a mistyped ID (birth date in place) a card
    assume(not (length == 13 and gs1_check_ok(number)))  # a 13-digit GS1 number is an EAN-13
    assert card_iin_valid(number)
    if length == 16 and draw(st.booleans()):
        sep = draw(st.sampled_from(" -"))
        return sep.join(number[i : i + 4] for i in range(0, 16, 4))
    return number


_alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
emails = st.builds(
    lambda user, extra, host, tld: f"{user}{extra}@{host}.{tld}",
    st.text(_alnum, min_size=1, max_size=10),
    st.sampled_from(["", ".x", "_y", "+tag"]),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10),
    # file name suffixes after "@" are asset names ("logo@2x.png"), not top-level domains
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=6).filter(
        lambda t: t not in {"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "tif", "tiff", "ico",
                            "avif", "heic", "psd"}),
)
# Mainland mobile prefixes the MIIT has assigned (13x, 145-149, 150-153, 155-159, 162, 165-167,
# 170-178, 18x, 190-193, 195-199)
MOBILE_PREFIXES = ([f"13{d}" for d in range(10)] + ["145", "146", "147", "148", "149"]
                   + [f"15{d}" for d in "01235689"] + ["157", "162", "165", "166", "167"]
                   + [f"17{d}" for d in "012345678"] + [f"18{d}" for d in range(10)]
                   + [f"19{d}" for d in "01235678" + "9"])
mobiles = st.builds(
    lambda prefix, head, rest: f"{prefix}{head}{rest}",
    st.sampled_from(["", "+86 ", "+86", "0086 "]),
    st.sampled_from(MOBILE_PREFIXES),
    st.text("0123456789", min_size=8, max_size=8),
)
ips = st.lists(st.integers(0, 255), min_size=4, max_size=4).map(lambda o: ".".join(map(str, o)))
KIND_STRATEGIES = {"cn_id": cn_ids, "card": cards(), "email": emails, "phone": mobiles, "ip": ips}
_filler = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40).map(
    lambda s: s.strip()
)


@given(
    st.sampled_from(sorted(KIND_STRATEGIES)).flatmap(
        lambda kind: st.tuples(st.just(kind), KIND_STRATEGIES[kind])
    ),
    _filler,
    _filler,
)
def test_embedded_value_is_found_and_never_leaks(
    kind_raw: tuple[str, str], before: str, after: str
) -> None:
    kind, raw = kind_raw
    # "at" keeps a filler ending in a version word ("v", "build") from reading the address as a version
    text = f"{before} at {raw} {after}" if kind == "ip" else f"{before} {raw} {after}"
    assert getattr(find_pii(text), kind) >= 1
    assert raw not in mask_text(text)
    digits = re.sub(r"\D", "", raw)
    for _, value in pii_examples(text, limit=100):
        assert raw not in value
        if kind in ("card", "phone", "cn_id"):  # 11+ digits: no masked value shows that many
            assert digits not in re.sub(r"\D", "", value)


@given(st.sampled_from(sorted(KIND_STRATEGIES)).flatmap(KIND_STRATEGIES.__getitem__))
def test_masked_value_keeps_few_digits(raw: str) -> None:
    [(kind, masked)] = pii_examples(raw)
    shown = len(re.sub(r"\D", "", masked))
    limit = {"cn_id": 3, "card": 4, "phone": 9, "email": 0, "ip": 6}[kind]
    if kind == "email":
        assert masked.count("*") == 6
    else:
        assert shown <= limit
    if kind == "phone":
        assert masked.endswith(raw[-4:]) and "****" in masked


@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes(text: str) -> None:
    found = find_pii(text)
    assert all(n >= 0 for n in found)
    assert len(pii_examples(text, limit=1000)) == sum(found)
    if sum(found) == 0:
        assert mask_text(text) == text


@given(st.text("0123456789 .-+()@abXx", max_size=120))
def test_ascii_and_non_ascii_scans_agree(text: str) -> None:
    # An ASCII text takes the byte-offset fast path; adding one non-ASCII character (set
    # apart by a space) sends the same text down the general path.
    assert find_pii(text) == find_pii(text + " é")
    assert mask_text(text + " é") == mask_text(text) + " é"


def test_lone_surrogate_does_not_crash() -> None:
    assert find_pii("\ud800 13812345678 \udfff") == counts(phone=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+8613812345678", counts(phone=1)),  # "+" at offset 0
        ("13812345678", counts(phone=1)),  # digit at offset 0
        ("11010519491231002X", counts(cn_id=1)),  # X at the very end
        ("11010519491231002X.", counts(cn_id=1)),
        ("11010519491231002X1", counts()),
        ("1.1.1.1", counts(ip=1)),
    ],
)
def test_values_at_text_edges(text: str, expected: PiiCounts) -> None:
    assert find_pii(text) == expected


def test_kinds_match_counts_fields() -> None:
    from provaudit.core.pii import KINDS

    assert PiiCounts._fields == KINDS


# ---------------------------------------------------------------------------------------
# Issuer prefixes and lengths (IIN)


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111111",  # Visa 16
        "4222222222222",  # Visa 13
        "5555555555554444",  # Mastercard
        "2223003122003222",  # Mastercard 2-series
        "378282246310005",  # Amex 15
        "30569309025904",  # Diners 14
        "6011111111111117",  # Discover
        "3530111333300000",  # JCB
        "6212345678901232",  # UnionPay 16
        "6200000000000000000",  # UnionPay 19
    ],
)
def test_card_iin_valid(number: str) -> None:
    assert card_iin_valid(number) and luhn_valid(number)
    assert find_pii(f"card {number} paid") == counts(card=1)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("70000000000000", "7: no card network"),
        ("99999999999990", "9: no card network"),
        ("41111111111111", "Visa has no 15-digit numbers"),
        ("55555555555555555", "Mastercard is 16 digits only"),
        ("3782822463100055", "Amex is 15 digits only"),
        ("56000000000000", "56 without a Maestro prefix"),
        ("2721000000000000", "just above the Mastercard 2-series"),
        ("2220999999999999", "just below the Mastercard 2-series"),
    ],
)
def test_luhn_valid_number_outside_the_iin_table_is_not_a_card(body: str, why: str) -> None:
    number = body[:-1] + luhn_check_digit(body[:-1])
    assert luhn_valid(number)
    assert not card_iin_valid(number), why
    assert find_pii(f"ref {number} end").card == 0


@given(st.text("0123456789", min_size=12, max_size=19))
def test_iin_check_agrees_with_the_prefix_table(digits: str) -> None:
    n = len(digits)
    expected = (
        (digits[0] == "4" and n in (13, 16, 19))
        or ("51" <= digits[:2] <= "55" and n == 16)
        or ("2221" <= digits[:4] <= "2720" and n == 16)
        or (digits[:2] in ("34", "37") and n == 15)
        or (("300" <= digits[:3] <= "305" or digits[:4] == "3095" or digits[:2] == "36") and n >= 14)
        or (digits[:2] in ("38", "39") and n >= 16)
        or ("3528" <= digits[:4] <= "3589" and n >= 16)
        or ((digits[:4] == "6011" or "644" <= digits[:3] <= "649" or digits[:2] in ("65", "62")) and n >= 16)
        or ("2200" <= digits[:4] <= "2204" and n >= 16)
        or ((digits[:2] == "60" or digits[:3] == "508") and n == 16)
        or (digits[:4] in ("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763"))
    )
    assert card_iin_valid(digits) == expected


@given(cards())
def test_every_drawn_card_is_found_with_or_without_the_allow_list(raw: str) -> None:
    assert find_pii(raw).card == 1 and find_pii(raw, allow=NO_ALLOWLIST).card == 1


# ---------------------------------------------------------------------------------------
# Version-like dotted runs are not addresses


@pytest.mark.parametrize(
    "text",
    [
        "1.2.3.4.5",
        "v1.2.3.4",
        "version 2.0.0.1",
        "Version: 10.0.0.1",
        "v 1.2.3.4 released",
        "release 4.19.0.12",
        "build 10.0.19041.1",
        "firmware 2.4.10.1",
        "rev. 1.0.0.3",
        "(ver 8.8.8.8)",
        "1.2.3.4.5.6.7",
    ],
)
def test_version_like_runs_are_not_ip_addresses(text: str) -> None:
    assert find_pii(text).ip == 0
    assert find_pii(text, allow=NO_ALLOWLIST).ip == 0


@pytest.mark.parametrize("text", ["server 10.0.0.1 answered", "conversion 8.8.8.8", "dev 8.8.8.8"])
def test_words_that_only_end_like_version_words_do_not_hide_an_address(text: str) -> None:
    assert find_pii(text).ip == 1


@given(st.lists(st.integers(0, 255), min_size=5, max_size=8))
def test_dotted_runs_of_five_or_more_numbers_are_never_addresses(octets: list[int]) -> None:
    assert find_pii(".".join(map(str, octets)), allow=NO_ALLOWLIST).ip == 0


@given(st.sampled_from(["version", "Version", "v", "ver.", "release", "build", "rev"]),
       st.lists(st.integers(0, 255), min_size=4, max_size=4))
def test_an_address_after_a_version_word_is_a_version(word: str, octets: list[int]) -> None:
    assert find_pii(f"{word} {'.'.join(map(str, octets))}", allow=NO_ALLOWLIST).ip == 0


# ---------------------------------------------------------------------------------------
# Allow list


@pytest.mark.parametrize(
    "text",
    [
        "Report bugs to bug-wget@gnu.org.",
        "From: noreply@github.com",
        "NoReply@Example.COM",
        "postmaster@example.org bounced it",
        "mailer-daemon@mx.example.net",
        "docs use 192.0.2.1 and 198.51.100.77 and 203.0.113.254",
    ],
)
def test_default_allow_list_drops_role_addresses_and_documentation_ranges(text: str) -> None:
    assert find_pii(text) == counts()
    assert mask_text(text) == text
    assert sum(find_pii(text, allow=NO_ALLOWLIST)) >= 1


@pytest.mark.parametrize(
    "text",
    ["jane.doe@gnu.org", "bugfix@example.com", "bug@example.com", "host 192.0.3.1", "203.0.114.1"],
)
def test_allow_list_keeps_what_it_does_not_name(text: str) -> None:
    assert sum(find_pii(text)) == 1


def test_allow_list_extends_with_addresses_domains_and_networks() -> None:
    allow = Allowlist(DEFAULT_ALLOW + ("press@example.org", "*@lists.example.net", "10.1.0.0/16"))
    text = "press@example.org anna@lists.example.net 10.1.2.3 10.2.0.1 bob@example.org"
    assert find_pii(text, allow=allow) == counts(email=1, ip=1)
    assert mask_text(text, allow=allow) == (
        "press@example.org anna@lists.example.net 10.1.2.3 10.2.*.* b***@e***.org")
    assert find_pii(text) == counts(email=3, ip=2)


def test_allow_list_accepts_ipv6_networks_and_pickles() -> None:
    import pickle

    allow = Allowlist(DEFAULT_ALLOW)
    assert allow.allows_ip("2001:db8::1") and not allow.allows_ip("2001:db9::1")
    assert not allow.allows_ip("192.0.2.1x")
    assert pickle.loads(pickle.dumps(allow)) == allow


@pytest.mark.parametrize("bad", ["not-an-address", "a@b@c", "@example.com", "300.1.1.0/24"])
def test_allow_list_rejects_what_it_cannot_read(bad: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(bad))):
        Allowlist([bad])


@given(st.lists(st.integers(0, 255), min_size=2, max_size=2))
def test_documentation_range_addresses_are_allowed(tail: list[int]) -> None:
    for net in ("192.0.2", "198.51.100", "203.0.113"):
        assert find_pii(f"at {net}.{tail[0]} now").ip == 0
        assert find_pii(f"at {net}.{tail[0]} now", allow=NO_ALLOWLIST).ip == 1


# ---------------------------------------------------------------------------------------
# Precision rules of issue 11: what looks like a card, an address or a phone but is not


@pytest.mark.parametrize("number", ["4006381333931", "036000291452", "96385074", "10012345678902",
                                    "9787115428028", "5901234123457"])
def test_gs1_valid(number: str) -> None:
    assert gs1_valid(number) and gs1_check_ok(number)


@pytest.mark.parametrize("number", ["4006381333932", "036000291453", "96385075", "1234567",
                                    "4111111111111111", "", "４００６３８１３３３９３１"])
def test_gs1_invalid(number: str) -> None:
    assert not gs1_valid(number)


@given(st.text("0123456789", min_size=8, max_size=14).filter(lambda d: len(d) in (8, 12, 13, 14)))
def test_gs1_check_agrees_with_its_definition(digits: str) -> None:
    assert gs1_valid(digits) == gs1_check_ok(digits)


def _ean13_that_is_luhn_valid_visa() -> str:
    for n in range(10**6):
        body = f"40{n:010d}"
        total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
        number = body + str((10 - total % 10) % 10)
        if luhn_valid(number) and card_iin_valid(number):
            return number
    raise AssertionError("none")


def test_ean13_barcode_is_not_a_card() -> None:
    ean = _ean13_that_is_luhn_valid_visa()
    assert find_pii(f"EAN {ean}") == counts() and find_pii(ean) == counts()


@pytest.mark.parametrize("word", ["GTIN", "UPC", "barcode", "条码", "Штрихкод"])
def test_gtin_after_a_barcode_word_is_not_a_card(word: str) -> None:
    found = 0
    for prefix in ("36", "300"):  # Diners Club issues 14 digits, the length of a GTIN-14
        for n in range(1000):
            body = f"{prefix}{n:0{13 - len(prefix)}d}"
            number = body + luhn_check_digit(body)
            if gs1_check_ok(number) and len(set(number)) > 1:
                assert card_iin_valid(number)
                assert find_pii(f"{word} {number}").card == 0
                assert find_pii(f"card {number}").card == 1
                found += 1
                break
    assert found == 2


@pytest.mark.parametrize("text", [
    "id 41111111-1111-4111-8111-111111111111",
    "550e8400-e29b-41d4-a716-446655440000",
    "{40000000-0000-4000-8000-413812345678}",
    "a4111111111111111b",  # inside a hex digest
    "0x4111111111111111",
    "_4111111111111111",
    "sha1 4d1e3c8f27a1f0b9e4113812345678c6d09b12aa",
])
def test_digit_runs_inside_identifiers_are_not_values(text: str) -> None:
    assert find_pii(text) == counts()


def test_cards_and_phones_next_to_cjk_text_are_found() -> None:
    assert find_pii("卡号4111111111111111已绑定") == counts(card=1)
    assert find_pii("手机13812345678微信同号") == counts(phone=1)


@pytest.mark.parametrize("text", [
    "version 3.1.16.2", "Section 3.1.16.2", "see §4.2.3.1", "第3.1.2.4节", "版本 1.2.3.4",
    "版本号：1.2.3.4", "8.2.0.13 版本", "версия 1.2.3.4", "раздел 2.1.3.4", "έκδοση 1.0.0.2",
    "الإصدار 1.2.0.4", "pkg>=1.2.0.2", "dill==0.3.1.1", "__version__ = \"0.3.1.1\"",
    "'flink-version': '1.2.3.4'", "ObjectIdentifier(\"2.5.4.12\")", "OID 2.5.29.14",
    "mq:9.3.0.25-r1", "pkg-1.2.3.4.tar.gz", "3.1.16.2.5", "\n3.1.16.2 Scope of this licence",
    "\n2.1.3.4. Definitions",
])
def test_versions_sections_and_oids_are_not_addresses(text: str) -> None:
    assert find_pii(text, allow=NO_ALLOWLIST).ip == 0


@pytest.mark.parametrize("text", ["127.0.0.1 localhost", "\n10.0.0.5 db-server", "from 185.23.44.9 port 22",
                                  "服务器192.168.1.10，端口", "IP-адрес: 95.31.18.119"])
def test_addresses_in_hosts_files_logs_and_other_scripts_are_found(text: str) -> None:
    assert find_pii(text).ip == 1


@pytest.mark.parametrize("text", [
    "订单号：13812345678", "Order No. 13912345678", "Tracking #15012345678", "快递单号 18612345678",
    "Номер заказа: 13712345678", "ISBN 978-7-115-42802-8", "1712345678901", "created_at=1712345678",
    "16012345678", "12012345678", "19412345678", "mask = 0x13812345678", "tmp_13812345678.log",
    "version 1.0.0+13812345678", "Order No. 4111111111111111",
])
def test_order_numbers_timestamps_isbns_and_unassigned_prefixes_are_not_phones(text: str) -> None:
    assert find_pii(text) == counts()


@pytest.mark.parametrize("text", [
    "+1 (415) 555-2671", "+44 (0)20 7946 0958", "+7 (495) 123-45-67", "+1.650.555.1212",
    "Phone number: 13812345678", "Tel. No. +86 139 0013 8000", "手机号码：19912345678",
])
def test_phone_formats_with_brackets_dots_and_number_words(text: str) -> None:
    assert find_pii(text) == counts(phone=1)


@pytest.mark.parametrize(("text", "value", "masked"), [
    ("用户@例子.广告", "用户@例子.广告", "用***@例***.广告"),
    ("Pelé@exemple.fr", "Pelé@exemple.fr", "P***@e***.fr"),
    ("θσερ@εχαμπλε.ψομ", "θσερ@εχαμπλε.ψομ", "θ***@ε***.ψομ"),
    ("write to коля@пример.рф, thanks", "коля@пример.рф", "к***@п***.рф"),
    ("Dörte@Sörensen.example.com", "Dörte@Sörensen.example.com", "D***@S***.com"),
    ("अजय@डाटा.भारत", "अजय@डाटा.भारत", "अ***@ड***.भारत"),
    ("邮箱用户@例子.广告联系我们", "用户@例子.广告", "用***@例***.广告"),
    ("请发邮件至张伟@公司.中国了解详情", "张伟@公司.中国", "张***@公***.中国"),
    ("请联系zhang@example.com谢谢", "zhang@example.com", "z***@e***.com"),
    ("a@xn--fsqu00a.xn--3lr804guic", "a@xn--fsqu00a.xn--3lr804guic", "a***@x***.xn--3lr804guic"),
])
def test_internationalised_email_addresses(text: str, value: str, masked: str) -> None:
    assert find_pii(text) == counts(email=1)
    [hit] = pii._hits(text)
    assert text[hit.start:hit.end] == value
    assert pii_examples(text) == [("email", masked)]
    assert value not in mask_text(text)


@pytest.mark.parametrize("text", ["<img src='logo@2x.png'>", "icon@1.5x.webp", "user@例子", "@用户名 你好"])
def test_email_lookalikes_are_not_addresses(text: str) -> None:
    assert find_pii(text).email == 0


def test_identity_number_needs_a_province_code() -> None:
    first17 = "991051" + "19491231" + "002"
    assert not cn_id_valid(first17 + id_check_char(first17))


# ---------------------------------------------------------------------------------------
# Properties over every kind, internationalised addresses included

_letters = {
    "latin": "abcdefghijklmnopqrstuvwxyzéèüößñçøå",
    "cyrillic": "абвгдежзиклмнопрстуфхцчшщыэюяёії",
    "greek": "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώ",
    "han": "用户张伟李娜王芳例子公司网络测试数据电子邮箱",
    "arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
}
idn_emails = st.sampled_from(sorted(_letters)).flatmap(
    lambda script: st.builds(
        lambda user, host, tld: f"{user}@{host}.{tld}",
        st.text(_letters[script], min_size=1, max_size=8),
        st.text(_letters[script], min_size=1, max_size=8),
        st.text(_letters[script], min_size=2, max_size=4) if script != "latin"
        else st.sampled_from(["de", "fr", "com", "org"]),
    )
)
ALL_KINDS = {**KIND_STRATEGIES, "idn_email": idn_emails}
# Filler with no digits and no "@", in several scripts: it holds no value of its own.
_safe_filler = st.text(st.sampled_from(" ,.;:!?()'\"-\n" + "".join(_letters.values()) + "ABCXYZ"),
                       max_size=30)


@given(st.lists(st.sampled_from(sorted(ALL_KINDS)).flatmap(ALL_KINDS.__getitem__), min_size=1, max_size=4),
       st.lists(_safe_filler, min_size=5, max_size=5))
def test_masking_never_leaves_a_detectable_value(values: list[str], fillers: list[str]) -> None:
    text = " ".join(f"{fillers[i % 5]} at {v} ." for i, v in enumerate(values))
    masked = mask_text(text)
    assert find_pii(masked) == counts()
    for v in values:
        assert v not in masked


@given(st.sampled_from(sorted(ALL_KINDS)).flatmap(ALL_KINDS.__getitem__),
       st.text(" \t\n\r\u3000\u00a0", max_size=4), st.text(" \t\n\r\u3000\u00a0", max_size=4))
def test_detection_is_invariant_to_surrounding_whitespace(value: str, before: str, after: str) -> None:
    assert find_pii(before + value + after) == find_pii(value)
    assert sum(find_pii(value)) == 1


@given(st.text(max_size=300))
def test_masking_is_idempotent(text: str) -> None:
    once = mask_text(text)
    assert mask_text(once) == once

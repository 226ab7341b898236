"""Build the labelled personal-information test set, tests/data/pii_labelled.jsonl.

Each line is one short text with the values a reader would call personal information
marked: ``{"id": ..., "text": ..., "spans": [[start, end, kind], ...], "case": ...}``. Kinds
are those of :mod:`provaudit.core.pii` (email, phone, cn_id, card, ip). ``case`` names the
template family (``pos-card-unionpay``, ``neg-card-gtin13``, ...), so a failing figure can be
traced to the family that causes it.

Positives are values of each kind in running text in Latin (English, German, French,
Spanish), Chinese (Simplified and Traditional), Cyrillic, Greek and Arabic contexts, in the
formats people write them. Negatives are the things that look like them in real text:
UUIDs, GS1 barcodes (EAN-13, UPC-A, GTIN-14), version strings, section and heading numbers,
object identifiers, order and tracking numbers, timestamps, ISBNs, hex digests, identity
numbers with a bad check character, Luhn-valid numbers of no card network, file names
with "@2x".

The values are computed here from the standards' own definitions (ISO 7064 MOD 11-2, Luhn,
GS1 check digits), independently of the detector, from a fixed seed: running this script
again writes the same bytes (``tests/test_pii_labelled.py`` checks that).

    python tests/data/make_pii_labelled.py [OUT]
"""

from __future__ import annotations

import datetime
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

SEED = 20261130
OUT = Path(__file__).with_name("pii_labelled.jsonl")

# ---------------------------------------------------------------------------------------
# Check characters, from their definitions


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a resident identity number."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def luhn_digit(body: str) -> str:
    """The digit that makes body + digit pass the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def luhn_ok(number: str) -> bool:
    return luhn_digit(number[:-1]) == number[-1]


def gs1_digit(body: str) -> str:
    """GS1 check digit: weights 3, 1, 3, ... from the right of the body."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


# ---------------------------------------------------------------------------------------
# Value makers


class Maker:
    """Random values of every kind, drawn from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    def digits(self, n: int) -> str:
        return "".join(self.r.choice("0123456789") for _ in range(n))

    # identity numbers
    REGIONS = ("110105", "110108", "310101", "310115", "440301", "440106", "510107", "330106",
               "320102", "420106", "610113", "650102", "210202", "370202", "500103", "820000")

    def birth(self) -> datetime.date:
        return datetime.date(1940, 1, 1) + datetime.timedelta(days=self.r.randrange(0, 365 * 66))

    def cn_id(self) -> str:
        first17 = f"{self.r.choice(self.REGIONS)}{self.birth():%Y%m%d}{self.digits(3)}"
        value = first17 + id_check_char(first17)
        return value.lower() if value.endswith("X") and self.r.random() < 0.3 else value

    def cn_id_bad_check(self) -> str:
        first17 = f"{self.r.choice(self.REGIONS)}{self.birth():%Y%m%d}{self.digits(3)}"
        good = id_check_char(first17)
        return first17 + self.r.choice([c for c in "0123456789X" if c != good])

    # cards: (prefix, length, grouping)
    NETWORKS = (("4", 16), ("4", 16), ("4", 19), ("51", 16), ("52", 16), ("53", 16), ("54", 16),
                ("55", 16), ("2221", 16), ("2500", 16), ("2720", 16), ("34", 15), ("37", 15),
                ("6011", 16), ("65", 16), ("644", 16), ("3528", 16), ("3589", 16), ("62", 16),
                ("62", 19), ("36", 14), ("300", 14), ("2200", 16), ("2204", 16))

    def card_digits(self, prefix: str, length: int) -> str:
        while True:
            body = prefix + self.digits(length - 1 - len(prefix))
            number = body + luhn_digit(body)
            if len(set(number)) > 1:
                return number

    def card(self) -> str:
        prefix, length = self.r.choice(self.NETWORKS)
        number = self.card_digits(prefix, length)
        style = self.r.random()
        if length == 16 and style < 0.35:
            return " ".join(number[i : i + 4] for i in range(0, 16, 4))
        if length == 16 and style < 0.55:
            return "-".join(number[i : i + 4] for i in range(0, 16, 4))
        if length == 15 and style < 0.5:
            return f"{number[:4]} {number[4:10]} {number[10:]}"
        if length == 14 and style < 0.5:
            return f"{number[:4]} {number[4:10]} {number[10:]}"
        return number

    # phones
    MOBILE_HEADS = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "147", "150",
                    "151", "152", "153", "155", "156", "157", "158", "159", "166", "170", "173",
                    "176", "177", "178", "180", "181", "182", "183", "185", "186", "187", "188",
                    "189", "191", "193", "195", "198", "199")

    def mobile(self) -> str:
        n = self.r.choice(self.MOBILE_HEADS) + self.digits(8)
        form = self.r.randrange(7)
        return [n, f"{n[:3]}-{n[3:7]}-{n[7:]}", f"{n[:3]} {n[3:7]} {n[7:]}", f"+86 {n}",
                f"+86{n}", f"0086-{n[:3]}-{n[3:7]}-{n[7:]}", f"+86 {n[:3]} {n[3:7]} {n[7:]}"][form]

    def intl_phone(self) -> str:
        d = self.digits
        forms: list[Callable[[], str]] = [
            lambda: f"+44 20 {d(4)} {d(4)}",
            lambda: f"+44 (0)20 {d(4)} {d(4)}",
            lambda: f"+1 ({self.r.randrange(201, 990)}) {self.r.randrange(200, 999)}-{d(4)}",
            lambda: f"+1 {self.r.randrange(201, 990)}-{self.r.randrange(200, 999)}-{d(4)}",
            lambda: f"+1.{self.r.randrange(201, 990)}.{self.r.randrange(200, 999)}.{d(4)}",
            lambda: f"+49 30 {d(7)}",
            lambda: f"+49 (0)89 {d(3)} {d(4)}",
            lambda: f"+33 1 {d(2)} {d(2)} {d(2)} {d(2)}",
            lambda: f"+34 91 {d(3)} {d(2)} {d(2)}",
            lambda: f"+7 (495) {d(3)}-{d(2)}-{d(2)}",
            lambda: f"+7 812 {d(3)} {d(2)} {d(2)}",
            lambda: f"+380 44 {d(3)} {d(4)}",
            lambda: f"+30 21 0{d(3)} {d(4)}",
            lambda: f"+971 4 {d(3)} {d(4)}",
            lambda: f"+966 11 {d(3)} {d(4)}",
            lambda: f"+20 2 {d(4)} {d(4)}",
            lambda: f"+81 3-{d(4)}-{d(4)}",
            lambda: f"+82 2-{d(3)}-{d(4)}",
            lambda: f"+852 {d(4)} {d(4)}",
            lambda: f"+886 2 {d(4)} {d(4)}",
            lambda: f"+91 9{d(4)} {d(5)}",
        ]
        return self.r.choice(forms)()

    # e-mail
    ASCII_USERS = ("john.doe", "jane_smith", "m.mueller", "li.wei", "zhang.san", "ivan.petrov",
                   "maria+news", "k.papadopoulos", "ahmed.ali", "sales2024", "j-garcia", "wang_fang88",
                   "olga.ivanova", "pierre.dupont", "a.b", "x")
    ASCII_HOSTS = ("example.com", "mail.example.org", "uni-heidelberg.de", "qq.com", "163.com",
                   "yandex.ru", "mail.ru", "otenet.gr", "example.co.uk", "example.cn", "gmail.com",
                   "company.com.cn", "univ-paris.fr", "correo.es", "example.ae", "xn--fsqu00a.xn--3lr804guic")
    IDN_ADDRESSES = ("用户@例子.广告", "张伟@公司.中国", "李娜@例子.公司", "王芳@网络.网络", "陳大文@例子.香港",
                     "Pelé@exemple.fr", "Dörte@Sörensen.example.com", "José.Núñez@correo.es",
                     "françois@exemple.fr", "Müller@bücher.de", "θσερ@εχαμπλε.ψομ", "γιώργος@παράδειγμα.ελ",
                     "коля@пример.рф", "квіточка@пошта.укр", "иван.петров@почта.рф", "ольга@компания.рф",
                     "अजय@डाटा.भारत", "medo@مثال.موقع", "محمد@مثال.مصر", "ユーザー@例え.テスト",
                     "사용자@예시.한국", "δοκιμή@παράδειγμα.δοκιμή")

    def email(self) -> str:
        if self.r.random() < 0.45:
            return self.r.choice(self.IDN_ADDRESSES)
        return f"{self.r.choice(self.ASCII_USERS)}{self.r.choice(['', '', '7', '.work'])}@{self.r.choice(self.ASCII_HOSTS)}"

    # IPv4
    def ip(self) -> str:
        r = self.r
        return r.choice([
            lambda: f"{r.randrange(41, 224)}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}",
            lambda: f"192.168.{r.randrange(256)}.{r.randrange(1, 255)}",
            lambda: f"10.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}",
            lambda: f"172.{r.randrange(16, 32)}.{r.randrange(256)}.{r.randrange(1, 255)}",
            lambda: f"{r.randrange(41, 224)}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}",
        ])()

    def version4(self) -> str:
        r = self.r
        return f"{r.randrange(0, 12)}.{r.randrange(0, 30)}.{r.randrange(0, 20)}.{r.randrange(0, 200)}"

    def hexs(self, n: int) -> str:
        return "".join(self.r.choice("0123456789abcdef") for _ in range(n))


# ---------------------------------------------------------------------------------------
# Contexts: "{v}" is the value; several scripts for every kind

POS_CONTEXT = {
    "email": [
        "Please write to {v} if you have questions.", "Contact: {v}", "Maintainer: Jane Roe <{v}>",
        "Kontakt: {v} (Mo–Fr).", "Écrivez-nous à {v}, merci.", "Escríbanos a {v} para más información.",
        "联系邮箱：{v}，欢迎来信。", "请发邮件至{v}了解详情。", "聯絡電郵：{v}。", "如有问题请联系 {v} 。",
        "Пишите на {v}, ответим в течение дня.", "Электронная почта: {v}", "Στείλτε email στο {v} για πληροφορίες.",
        "Διεύθυνση: {v}", "راسلنا على {v} شكرا لكم", "البريد الإلكتروني: {v}", "mailto:{v}",
        "<a href=\"mailto:{v}\">write</a>", "From: \"A. Person\" <{v}>",
    ],
    "phone": [
        "Call me at {v} tomorrow.", "Phone: {v}", "Tel. {v} (office)", "Telefon: {v}",
        "Téléphone : {v}", "Teléfono: {v}.", "联系电话：{v}，工作日可拨打。", "手机{v}，微信同号。",
        "請致電 {v} 預約。", "Телефон: {v}, звонить после 10.", "Моб. {v}", "Τηλέφωνο: {v}",
        "Καλέστε στο {v} για ραντεβού.", "هاتف: {v} للاستفسار", "اتصل على {v} من فضلك",
        "Fax {v}", "WhatsApp {v}", "Phone number: {v}", "Tel. No. {v}", "手机号码：{v}",
        "Номер телефона: {v}",
    ],
    "cn_id": [
        "身份证号：{v}，请核对。", "公民身份号码 {v}", "身份證號碼：{v}。", "ID number {v} on the form.",
        "Номер удостоверения: {v}", "Αριθμός ταυτότητας {v}", "رقم الهوية {v}", "申请人身份证{v}已登记。",
        "Personalausweis-Nr. {v} (China).",
    ],
    "card": [
        "Card number: {v}, exp 12/27.", "Paid with {v} yesterday.", "Kreditkarte {v}", "Carte bancaire : {v}",
        "Tarjeta {v} caducada.", "银行卡号：{v}，开户行北京分行。", "信用卡{v}已绑定。", "卡號：{v}。",
        "Номер карты: {v}", "Карта {v} заблокирована.", "Αριθμός κάρτας: {v}", "رقم البطاقة: {v}",
        "VISA {v}", "card={v}&cvv=***",
    ],
    "ip": [
        "Server at {v} is down.", "Connect to {v} on port 22.", "http://{v}:8080/index.html",
        "Failed password for root from {v} port 4242 ssh2", "IP-Adresse: {v}", "Adresse IP : {v}",
        "Dirección IP {v}.", "服务器地址{v}，端口8080。", "来自 {v} 的请求被拒绝。", "IP位址：{v}。",
        "IP-адрес: {v}", "Подключение к {v} не удалось.", "Διεύθυνση IP: {v}", "عنوان IP: {v}",
        "{v} - - [10/Oct/2023:13:55:36 +0000] \"GET / HTTP/1.1\" 200", "host={v}", "ping {v}",
    ],
}


def _neg(mk: Maker) -> dict[str, list[Callable[[], tuple[str, str]]]]:
    """Negative makers per kind: each returns (case, text) with no value of any kind."""
    r, d, h = mk.r, mk.digits, mk.hexs

    def uuid_digits() -> str:  # a UUID whose groups are mostly digits
        return f"{d(8)}-{d(4)}-4{d(3)}-{r.choice('89')}{d(3)}-{d(12)}"

    def gtin(n: int, prefix: str = "") -> str:
        body = prefix + d(n - 1 - len(prefix))
        return body + gs1_digit(body)

    def gtin13_cardlike() -> str:  # an EAN-13 that is also Luhn-valid with a Visa prefix
        while True:
            v = gtin(13, r.choice(["40", "42", "45", "49", "50", "54", "60", "62"]))
            if luhn_ok(v):
                return v

    def ean_word_gtin(n: int) -> str:
        while True:
            v = gtin(n, r.choice(["4", "5", "30", "36", "60", "62", "65"]))
            if luhn_ok(v):
                return v

    def bad_id_luhn() -> str:  # a mistyped identity number that passes Luhn with a 62 prefix
        while True:
            first17 = f"62{d(4)}{mk.birth():%Y%m%d}{d(3)}"
            check = luhn_digit(first17)
            if check != id_check_char(first17):
                return first17 + check

    def luhn_no_network() -> str:
        body = r.choice(["1", "7", "8", "9", "56", "57", "58"]) + d(14)
        return body + luhn_digit(body)

    def luhn_wrong_length() -> str:
        prefix, length = r.choice([("4", 15), ("4", 17), ("51", 15), ("55", 17), ("34", 16), ("37", 14)])
        body = prefix + d(length - 1 - len(prefix))
        return body + luhn_digit(body)

    def luhn_bad() -> str:
        body = "4" + d(14)
        return body + str((int(luhn_digit(body)) + r.randrange(1, 10)) % 10)

    def bad_region() -> str:  # checksum and birth date right, no such province
        first17 = f"{r.choice(['00', '19', '24', '39', '55', '77', '99'])}0101{mk.birth():%Y%m%d}{d(3)}"[:17]
        return first17 + id_check_char(first17)

    def mobile_digits() -> str:
        return r.choice(Maker.MOBILE_HEADS) + d(8)

    email = [
        lambda: ("neg-email-retina", f"<img src=\"logo@{r.choice('23')}x.{r.choice(['png', 'jpg', 'webp'])}\">"),
        lambda: ("neg-email-npm", f"npm install lodash@{r.randrange(1, 5)}.{r.randrange(20)}.{r.randrange(30)}"),
        lambda: ("neg-email-handle", f"Follow @{r.choice(['provaudit', 'debian', 'python_org'])} on Mastodon"),
        lambda: ("neg-email-decorator", "@property\ndef name(self): return self._name"),
        lambda: ("neg-email-localhost", f"ssh {r.choice(['root', 'admin', 'deploy'])}@localhost -p 22"),
        lambda: ("neg-email-no-tld", f"user@{r.choice(['server', 'db01', 'intranet'])} via LDAP"),
        lambda: ("neg-email-at-sign", f"{r.randrange(2, 9)} apples @ {r.randrange(1, 9)}.{d(2)} EUR"),
        lambda: ("neg-email-obfuscated", f"name(at)example{r.randrange(9)}.com"),
        lambda: ("neg-email-role", f"Report bugs to bug-{r.choice(['wget', 'tar', 'gzip', 'make'])}@gnu.org."),
        lambda: ("neg-email-role", f"{r.choice(['noreply', 'postmaster', 'webmaster', 'mailer-daemon'])}@example.org"),
        lambda: ("neg-email-digest", f"docker pull nginx@sha256:{h(64)}"),
        lambda: ("neg-email-numeric-host", f"user@{r.randrange(100, 999)}.{r.randrange(10, 99)}"),
        lambda: ("neg-email-cjk-handle", f"微博 @{r.choice(['新华社', '人民日报', '央视新闻'])} 发布消息"),
        lambda: ("neg-email-css", f"@media screen and (max-width: {r.randrange(400, 1200)}px) {{ }}"),
        lambda: ("neg-email-spaced", f"foo @ bar{r.randrange(9)}.com"),
    ]
    phone = [
        lambda: ("neg-phone-order-zh", f"订单号：{mobile_digits()}，请妥善保管。"),
        lambda: ("neg-phone-order-en", f"Order No. {mobile_digits()} has shipped."),
        lambda: ("neg-phone-tracking", f"Tracking #{mobile_digits()}"),
        lambda: ("neg-phone-waybill", f"快递单号 {mobile_digits()} 已签收"),
        lambda: ("neg-phone-order-ru", f"Номер заказа: {mobile_digits()}"),
        lambda: ("neg-phone-ts-ms", f"\"ts\": {r.randrange(1_500_000_000_000, 1_800_000_000_000)},"),
        lambda: ("neg-phone-ts-s", f"created_at={r.randrange(1_500_000_000, 1_800_000_000)}"),
        lambda: ("neg-phone-ts-compact", f"backup-{r.randrange(2015, 2026)}{r.randrange(1, 13):02d}{r.randrange(1, 29):02d}{d(6)}.tar"),
        lambda: ("neg-phone-isbn13", f"ISBN 978-7-{r.randrange(100, 999)}-{d(5)}-{r.randrange(10)}"),
        lambda: ("neg-phone-isbn13", f"ISBN {gtin(13, '9787')}"),
        lambda: ("neg-phone-isbn10", f"ISBN 7-{d(3)}-{d(5)}-X"),
        lambda: ("neg-phone-hex", f"mask = 0x{mobile_digits()}"),
        lambda: ("neg-phone-hex-digest", f"commit {h(7)}{mobile_digits()}{h(22)}"),
        lambda: ("neg-phone-unassigned-cc", f"+999 {d(4)} {d(4)}"),
        lambda: ("neg-phone-unassigned-prefix", f"{r.choice(['120', '121', '160', '161', '140', '154', '179', '194', '141'])}{d(8)}"),
        lambda: ("neg-phone-long-run", f"account {mobile_digits()}{d(3)}"),
        lambda: ("neg-phone-decimal", f"pi ≈ 3.{mobile_digits()}"),
        lambda: ("neg-phone-semver", f"version 1.0.0+{mobile_digits()}"),
        lambda: ("neg-phone-identifier", f"tmp_{mobile_digits()}.log"),
    ]
    cn_id = [
        lambda: ("neg-id-bad-check", f"编号 {mk.cn_id_bad_check()}"),
        lambda: ("neg-id-bad-check", f"ID {mk.cn_id_bad_check()} (typo)"),
        lambda: ("neg-id-bad-date", "110105" + f"{r.randrange(1950, 2000)}{r.randrange(13, 20)}{r.randrange(1, 28):02d}{d(3)}" + "0"),
        lambda: ("neg-id-17", f"{mk.cn_id()[:17]}"),
        lambda: ("neg-id-longer", f"{d(1)}{mk.cn_id()[:17]}{d(2)}"),
        lambda: ("neg-id-order", f"订单编号：{r.randrange(1, 9)}{d(17)}"),
        lambda: ("neg-id-hex", f"sha1 {h(5)}{mk.cn_id()[:17]}7{h(17)}"),
        lambda: ("neg-id-bad-region", bad_region()),
    ]
    card = [
        lambda: ("neg-card-uuid", f"request_id={uuid_digits()}"),
        lambda: ("neg-card-uuid", f"\"uuid\": \"{d(8)}-{d(4)}-{d(4)}-{d(4)}-{d(12)}\""),
        lambda: ("neg-card-uuid-hex", f"{h(8)}-{h(4)}-4{d(3)}-{d(4)}-{d(12)}"),
        lambda: ("neg-card-hex-digest", f"sha256: {h(9)}{mk.card_digits('4', 16)}{h(39)}"),
        lambda: ("neg-card-hex-digest", f"md5 {h(3)}{mk.card_digits('5', 16)}{h(13)}"),
        lambda: ("neg-card-gtin13", f"EAN: {gtin13_cardlike()}"),
        lambda: ("neg-card-gtin13", f"商品条码 {gtin13_cardlike()}"),
        lambda: ("neg-card-gtin13", f"Штрихкод {gtin13_cardlike()}"),
        lambda: ("neg-card-gtin13", f"barcode {gtin13_cardlike()} (bottle)"),
        lambda: ("neg-card-gtin13", f"Art.-Nr. {gtin13_cardlike()}"),
        lambda: ("neg-card-gtin14", f"GTIN-14 {ean_word_gtin(14)}"),
        lambda: ("neg-card-upc12", f"UPC {ean_word_gtin(12)}"),
        lambda: ("neg-card-id-bad-check", f"身份证 {bad_id_luhn()}（校验位错误）"),
        lambda: ("neg-card-id-bad-check", f"ID {bad_id_luhn()}"),
        lambda: ("neg-card-no-network", f"ref {luhn_no_network()}"),
        lambda: ("neg-card-wrong-length", f"number {luhn_wrong_length()}"),
        lambda: ("neg-card-luhn-fails", f"card {luhn_bad()}"),
        lambda: ("neg-card-same-digit", f"{r.choice('2456')*16}"),
        lambda: ("neg-card-ts-ms", f"{r.randrange(1_500_000_000_000, 1_800_000_000_000)}"),
        lambda: ("neg-card-decimal", f"x = 0.{mk.card_digits('4', 16)}"),
        lambda: ("neg-card-identifier", f"session_{mk.card_digits('4', 16)}"),
        lambda: ("neg-card-order", f"Order No. {mk.card_digits(r.choice(['4', '51', '62']), 16)} confirmed"),
        lambda: ("neg-card-order", f"订单号：{mk.card_digits(r.choice(['4', '55', '62']), 16)}"),
        lambda: ("neg-card-order", f"Tracking number {mk.card_digits('4', 16)}"),
    ]
    ip = [
        lambda: ("neg-ip-version", f"version {mk.version4()}"),
        lambda: ("neg-ip-version", f"Version: {mk.version4()}"),
        lambda: ("neg-ip-version", f"v{mk.version4()}"),
        lambda: ("neg-ip-version", f"v {mk.version4()} released"),
        lambda: ("neg-ip-version", f"ver. {mk.version4()}"),
        lambda: ("neg-ip-version", f"release {mk.version4()}"),
        lambda: ("neg-ip-version", f"版本 {mk.version4()}"),
        lambda: ("neg-ip-version", f"版本号：{mk.version4()}"),
        lambda: ("neg-ip-version", f"версия {mk.version4()}"),
        lambda: ("neg-ip-version", f"έκδοση {mk.version4()}"),
        lambda: ("neg-ip-version", f"الإصدار {mk.version4()}"),
        lambda: ("neg-ip-requirement", f"Requires-Dist: pkg>={mk.version4()}"),
        lambda: ("neg-ip-requirement", f"dill=={mk.version4()}"),
        lambda: ("neg-ip-requirement", f"__version__ = \"{mk.version4()}\""),
        lambda: ("neg-ip-suffix", f"image: mq:{mk.version4()}-r1"),
        lambda: ("neg-ip-filename", f"wget pkg-{mk.version4()}.tar.gz"),
        lambda: ("neg-ip-longer-run", f"{mk.version4()}.{r.randrange(1, 20)}"),
        lambda: ("neg-ip-longer-run", f"see 3.1.16.2.{r.randrange(1, 9)}"),
        lambda: ("neg-ip-oid", f"OID {r.choice(['1.3.6.1', '2.5.4.3', '2.5.29.14', '1.2.840.113549'])}"),
        lambda: ("neg-ip-oid", f"ObjectIdentifier(\"2.5.{r.randrange(4, 30)}.{r.randrange(1, 60)}\")"),
        lambda: ("neg-ip-section", f"See section {mk.version4()} of the licence."),
        lambda: ("neg-ip-section", f"Per RFC 5891 §{r.randrange(1, 9)}.{r.randrange(1, 9)}.{r.randrange(1, 9)}.{r.randrange(1, 9)}"),
        lambda: ("neg-ip-section", f"见第{r.randrange(1, 9)}.{r.randrange(1, 9)}.{r.randrange(1, 9)}.{r.randrange(1, 9)}节"),
        lambda: ("neg-ip-section", f"см. раздел {r.randrange(1, 9)}.{r.randrange(1, 9)}.{r.randrange(1, 9)}.{r.randrange(1, 9)}"),
        lambda: ("neg-ip-heading", f"Contents\n{r.randrange(1, 9)}.{r.randrange(1, 9)}.{r.randrange(1, 19)}.{r.randrange(1, 9)} {r.choice(['Scope', 'Definitions', 'Warranty', 'Termination'])}\n"),
        lambda: ("neg-ip-heading", f"\n{r.randrange(1, 9)}.{r.randrange(1, 9)}.{r.randrange(1, 9)}.{r.randrange(1, 9)}. {r.choice(['Grant of licence', 'Redistribution'])}"),
        lambda: ("neg-ip-bad-octet", f"host {r.randrange(256, 999)}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(256)}"),
        lambda: ("neg-ip-leading-zero", f"addr 192.168.00{r.randrange(1, 9)}.0{r.randrange(10, 99)}"),
        lambda: ("neg-ip-doc-range", f"e.g. {r.choice(['192.0.2', '198.51.100', '203.0.113'])}.{r.randrange(1, 255)}"),
        lambda: ("neg-ip-three", f"Python {r.randrange(2, 4)}.{r.randrange(13)}.{r.randrange(20)}"),
    ]
    return {"email": email, "phone": phone, "cn_id": cn_id, "card": card, "ip": ip}


# Hand-written texts as they occur in package metadata, source code, logs, man pages and
# copyright files; "[[kind:value]]" marks a value.
HAND = [
    "Requires-Dist: typing-extensions>=3.10.0.0; extra == 'dev'",
    "if dill.__version__ != \"0.3.1.1\": raise RuntimeError",
    "TITLE = ObjectIdentifier(\"2.5.4.12\")\nSURNAME = ObjectIdentifier(\"2.5.4.4\")",
    "_CASE_RANGES = [0x13100000132, 0x13500000136, 0x13700000139]",
    "image = 'icr.io/ibm-messaging/mq:9.3.0.25-r1'",
    "Per RFC 5890 §2.3.2.1 such labels are A-labels.",
    "3.1.16.2 Scope of this licence\n3.1.16.3 Definitions",
    "GNU readline 与 history 库的 8.2.0.13 版本",
    "vllm==0.10.1.1; extra == \"vllm\"",
    "Upstream-Contact: Jörg Brandt <[[email:jörg.brandt@münchen.de]]>",
    "Maintainer: 王小明 <[[email:wangxm@debian.org]]>",
    "Copyright 2003-2019 [[email:李雷@例子.公司]]",
    "Nameserver [[ip:114.114.114.114]] und [[ip:223.5.5.5]] eintragen.",
    "ListenAddress [[ip:10.20.30.40]]\nPort 2222",
    "sshd[812]: Accepted publickey for deploy from [[ip:185.23.44.9]] port 50514",
    "客服热线：[[phone:+86 139 0013 8000]]（7×24小时）",
    "Заказ № 15012345678 оформлен, курьер позвонит по номеру [[phone:+7 916 123-45-67]].",
    "Παραγγελία 13912345678 — τηλ. [[phone:+30 210 1234567]]",
    "الطلب رقم 4000123412341234 — الهاتف [[phone:+971 50 123 4567]]",
    "EAN 4006381333931 / UPC 036000291452 / ISBN 978-3-16-148410-0",
    "ISBN-13: 9787115428028, 定价：59.00元",
    "uuid: 123e4567-e89b-12d3-a456-426614174000, trace 40000000-0000-4000-8000-000000000002",
    "sha1 4d1e3c8f27a1f0b9e4113812345678c6d09b12aa",
    "[[card:4012 8888 8888 1881]] expired; use [[card:5105105105105100]] instead",
    "卡号[[card:6222 0212 3456 7894]]，身份证[[cn_id:11010519491231002X]]。",
    "身份证号 110105194912310021 校验位不对，应为 [[cn_id:11010519491231002X]]",
    "created 1712345678901 updated 1712345679999",
    "Windows 10.0.19041.1 build, kernel 5.15.0.91",
    "Ubuntu 22.04.3 LTS at [[ip:91.189.91.38]]",
]


def _hand(text: str) -> tuple[str, list[list[object]]]:
    """Strip "[[kind:value]]" marks and return the text and its spans."""
    out, spans, pos = [], [], 0
    while (i := text.find("[[", pos)) != -1:
        j = text.index("]]", i)
        kind, value = text[i + 2 : j].split(":", 1)
        out.append(text[pos:i])
        start = sum(map(len, out))
        out.append(value)
        spans.append([start, start + len(value), kind])
        pos = j + 2
    out.append(text[pos:])
    return "".join(out), spans


def _place(template: str, value: str) -> tuple[str, int]:
    i = template.index("{v}")
    return template[:i] + value + template[i + 3 :], i


def build(n_pos: int = 100, n_neg: int = 100) -> list[dict[str, object]]:
    """Return the records: n_pos positives and n_neg negatives per kind, in a fixed order."""
    rng = random.Random(SEED)
    mk = Maker(rng)
    values: dict[str, Callable[[], str]] = {
        "email": mk.email, "cn_id": mk.cn_id, "card": mk.card, "ip": mk.ip,
        "phone": lambda: mk.mobile() if rng.random() < 0.5 else mk.intl_phone(),
    }
    records: list[dict[str, object]] = []
    for kind in ("email", "phone", "cn_id", "card", "ip"):
        for i in range(n_pos):
            value = values[kind]()
            template = POS_CONTEXT[kind][i % len(POS_CONTEXT[kind])]
            text, start = _place(template, value)
            records.append({"id": f"pos-{kind}-{i:03d}", "case": f"pos-{kind}", "text": text,
                            "spans": [[start, start + len(value), kind]]})
    for kind, makers in _neg(mk).items():
        for i in range(n_neg):
            case, text = makers[i % len(makers)]()
            records.append({"id": f"neg-{kind}-{i:03d}", "case": case, "text": text, "spans": []})
    # Mixed: two values of different kinds in one text
    for i in range(40):
        k1, k2 = rng.sample(["email", "phone", "cn_id", "card", "ip"], 2)
        v1, v2 = values[k1](), values[k2]()
        text = f"{v1} / {v2}"
        records.append({"id": f"mix-{i:03d}", "case": f"mix-{k1}-{k2}", "text": text,
                        "spans": [[0, len(v1), k1], [len(v1) + 3, len(text), k2]]})
    for i, raw in enumerate(HAND):
        text, spans = _hand(raw)
        records.append({"id": f"hand-{i:03d}", "case": "hand", "text": text, "spans": spans})
    return records


def dumps(records: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.write_text(dumps(build()), encoding="utf-8")
    print(f"wrote {out}")

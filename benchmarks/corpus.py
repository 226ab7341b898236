"""Write a benchmark corpus of real text found on this machine, with planted duplicates.

    python benchmarks/corpus.py OUT --docs N [--seed S] [--sources K] [--shard-docs M]
                                [--dup-share 0.2] [--output DIR] [--extra-docs H] [--flat]

Text comes only from what is installed here: the running interpreter's distributions
(source files, docs, metadata, licence files) and standard library, Debian's
``/usr/share/common-licenses`` and ``/usr/share/doc`` (copyright files, READMEs, NEWS,
changelogs), man pages (``/usr/share/man``, every language present, roff markup removed,
at most 100 pages per command and language) and gettext message catalogs (``.mo`` files
under ``/usr/share/locale``, Vim's ``lang`` folder and site-packages: the translated
messages of each catalog, in every language langdetect knows; there are no ``.po`` files).
Binary files are skipped (a NUL byte, or not UTF-8); every file is cut into pieces of 1 to
8 KB (UTF-8 bytes, at a line break where one is near; at most 8 pieces per file), pieces
that are mostly not letters or hold a line longer than 2,000 characters are dropped, and
repeats of an earlier piece (same text after NFC normalisation and stripping) are dropped,
so the only exact duplicates are the planted ones. Texts shared by several files (licences, a
catalog in two encodings) still make natural *near* duplicates, which are not counted.

Sources, in the order ``--sources K`` takes them (K above 6 splits pools into parts):

  py_code        .py files of the distributions and the standard library   open-license
  translations   gettext catalogs, one language per file                   licensed
  system_docs    /usr/share/doc READMEs, NEWS, changelogs                  self-collected
  man_pages      man pages, every language present                         user-data
  licence_texts  common-licenses, Debian copyright files, LICENSE files    open-license
  py_docs        distributions' docs and METADATA                          licensed

Every source but ``translations`` carries a per-document ``license`` (the distribution's
declared licence, or the owning Debian package's copyright file, found through dpkg's file
lists). Acquisition kinds, evidence and the declared licence of ``translations`` are
illustrative: the registry exercises the audit, it says nothing about these texts.

Then ``--dup-share`` of the documents (default 20%) are planted copies of distinct
originals: about half exact, half near (1-5 word edits, or character edits in Chinese,
Japanese and Korean text, fewer edits while word 5-gram Jaccard stays below 0.85); about
half in the original's source, half in another one chosen in proportion to its size (so
every source holds about the same share of copies). Sources take shares of the unique
documents by a fixed weight (py_code 30%, translations, system_docs and man_pages 18% each,
licence_texts 8%, py_docs 5%); a source whose text runs out leaves its rest to the others
(truth.json has the real counts). Writes:

  OUT/<source>/part-NNNNN.jsonl.gz   ``--shard-docs`` documents each (id, text, url, license)
  OUT/registry.yaml, OUT/config.yaml  so that ``provaudit run OUT/config.yaml`` works; the
                                     config's output is OUT/../out-bench or ``--output``
  OUT/truth.json                     counts: documents, sources, languages, planted duplicates
  OUT/duplicates.jsonl               every planted copy: its location, its original's, kind,
                                     edits and word 5-gram Jaccard
  OUT/extra/<source>/part-NNNNN.jsonl.gz   with ``--extra-docs H``: one more shard of H new
                                     documents for the first source (not in the registry's
                                     globs until moved or linked beside the others)

``--flat`` writes the layout the older benchmarks read instead: OUT/part-NNNNN.jsonl.gz
(fields id, text, license, url, source; all sources mixed in a seeded order), with
truth.json and duplicates.jsonl, and no registry or config. The same seed on the same
machine gives the same files, byte for byte. Exit code 1 when the machine holds too
little text for ``--docs``.
"""

from __future__ import annotations

import argparse
import gettext
import gzip
import hashlib
import io
import json
import platform
import random
import re
import statistics
import sys
import sysconfig
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

MIN_BYTES, MODE_BYTES, MAX_BYTES = 1024, 2048, 8192
MAX_FILE_BYTES = 4_000_000
MAX_PIECES_PER_FILE = 8
MAX_LINE = 2000
MIN_LETTER_SHARE = 0.25
NEAR_MIN_JACCARD = 0.85
SHINGLE = 5

# langdetect's 55 profiles: catalogs and man pages in other languages are left out, so
# that every language a source holds is one the scan can name.
LANGDETECT = {
    "af", "ar", "bg", "bn", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr",
    "gu", "he", "hi", "hr", "hu", "id", "it", "ja", "kn", "ko", "lt", "lv", "mk", "ml", "mr", "ne",
    "nl", "no", "pa", "pl", "pt", "ro", "ru", "sk", "sl", "so", "sq", "sv", "sw", "ta", "te", "th",
    "tl", "tr", "uk", "ur", "vi", "zh-cn", "zh-tw",
}
LOCALE_ALIASES = {"nb": "no", "nn": "no", "iw": "he", "fil": "tl", "in": "id"}

LOCALE_DIRS = [Path("/usr/share/locale"), Path("/usr/local/share/locale")]
MAN_ROOT = Path("/usr/share/man")
DOC_ROOT = Path("/usr/share/doc")
COMMON_LICENSES = Path("/usr/share/common-licenses")
DPKG_INFO = Path("/var/lib/dpkg/info")
COLLECTED = "2025-01-01/2025-06-30"  # illustrative: the registry format wants a period


# --- where text comes from ---------------------------------------------------------------

@dataclass(frozen=True)
class FileRef:
    """One file to cut into documents, with what is known of its origin."""

    path: str
    licence: str
    url: str
    lang: str = "en"
    kind: str = "text"  # text | gz | roff | mo


@dataclass(frozen=True)
class Pool:
    name: str
    acquisition: str
    evidence: str
    consent_basis: str
    description: str
    weight: float
    licence: str | None  # a source-level licence; None: per-document `license` field
    files: Callable[[], list[FileRef]]


def locale_lang(name: str) -> str | None:
    """Map a locale folder name (de, pt_BR, zh_CN, sr@latin, ja.sjis) to a langdetect code."""
    if "@" in name or "." in name:
        return None  # script or encoding variants repeat a plain catalog
    lang, _, region = name.partition("_")
    lang = LOCALE_ALIASES.get(lang.lower(), lang.lower())
    if lang == "zh":
        lang = {"CN": "zh-cn", "SG": "zh-cn", "Hans": "zh-cn", "TW": "zh-tw", "HK": "zh-tw",
                "Hant": "zh-tw"}.get(region, "")
    return lang if lang in LANGDETECT else None


class Debian:
    """Which Debian package owns a file, and what licence its copyright file declares."""

    GUESSES = (  # phrases of copyright files without a machine-readable License: line
        (r"GNU (?:Lesser |Library |Affero )?General Public License,?(?: as published by the Free "
         r"Software Foundation;?)?(?: either)?(?: version [0-9.]+)?(?:,? or \(at your option\) any "
         r"later version)?"),
        r"Apache License,? Version [0-9.]+", r"Artistic License(?: [0-9.]+)?", r"MIT License",
        r"BSD(?:-style)? licen[cs]e", r"public domain",
    )

    def __init__(self) -> None:
        self.owner: dict[str, str] = {}
        if DPKG_INFO.is_dir():
            for lst in sorted(DPKG_INFO.glob("*.list")):
                pkg = lst.name[: -len(".list")].split(":")[0]
                for line in lst.read_text("utf-8", "replace").splitlines():
                    self.owner.setdefault(line, pkg)
        self._licence: dict[str, str] = {}

    def licence(self, pkg: str | None) -> str:
        if not pkg:
            return ""
        if pkg not in self._licence:
            self._licence[pkg] = self.copyright_licence(DOC_ROOT / pkg / "copyright")
        return self._licence[pkg]

    def copyright_licence(self, path: Path) -> str:
        try:
            text = path.read_text("utf-8", "replace")
        except OSError:
            return ""
        if text.startswith("Format:"):  # DEP-5: the `Files: *` paragraph's licence, else the first
            for para in re.split(r"\n\s*\n", text):
                if re.search(r"^Files:\s*\*\s*$", para, re.MULTILINE):
                    m = re.search(r"^License:[ \t]*(\S.*)$", para, re.MULTILINE)
                    if m:
                        return m.group(1).strip()[:200]
        m = re.search(r"^License:[ \t]*(\S.*)$", text, re.MULTILINE)
        if m:
            return m.group(1).strip()[:200]
        hits = [(m.start(), " ".join(m.group(0).split())) for pat in self.GUESSES
                for m in [re.search(pat, text, re.IGNORECASE)] if m]
        return min(hits)[1][:200] if hits else ""

    def of(self, path: Path) -> str:
        return self.licence(self.owner.get(str(path)))


_DEBIAN: Debian | None = None


def debian() -> Debian:
    global _DEBIAN
    if _DEBIAN is None:
        _DEBIAN = Debian()
    return _DEBIAN


@dataclass
class Dist:
    name: str
    licence: str
    url: str
    dist: metadata.Distribution


def distributions() -> list[Dist]:
    """The running interpreter's installed distributions (provaudit itself left out), by name."""
    seen, out = set(), []
    for dist in metadata.distributions():
        md = dist.metadata
        name = (md["Name"] or "").strip()
        key = name.lower().replace("_", "-")
        if not name or key in seen or key == "provaudit":
            continue
        seen.add(key)
        out.append(Dist(name, dist_licence(md), dist_url(md), dist))
    return sorted(out, key=lambda d: d.name.lower())


def dist_licence(md) -> str:
    expr = (md.get("License-Expression") or "").strip()
    if expr:
        return expr[:200]
    lic = (md.get("License") or "").strip()
    if lic and len(lic) <= 100 and "\n" not in lic:
        return lic
    classes = [c.split("::")[-1].strip() for c in md.get_all("Classifier") or [] if c.startswith("License ::")]
    classes = [c for c in classes if c and c != "OSI Approved"]
    if classes:
        return " OR ".join(dict.fromkeys(classes))[:200]
    return lic.splitlines()[0][:100] if lic else ""


def dist_url(md) -> str:
    if md.get("Home-page"):
        return md["Home-page"].strip()
    for entry in md.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if url.strip().startswith("http") and label.strip().lower() in {"homepage", "home", "source",
                                                                         "repository", "source code"}:
            return url.strip()
    return ""


def dist_files(want: Callable[[Path], bool]) -> list[FileRef]:
    out = []
    for d in distributions():
        for f in sorted(d.dist.files or [], key=str):
            p = Path(f)
            if "__pycache__" in p.parts or not want(p):
                continue
            out.append(FileRef(str(d.dist.locate_file(f)), d.licence, d.url))
    return out


LICENCE_NAMES = ("LICENSE", "LICENCE", "COPYING", "NOTICE", "COPYRIGHT", "AUTHORS")


def is_licence_name(p: Path) -> bool:
    return p.name.upper().startswith(LICENCE_NAMES) or "licenses" in (x.lower() for x in p.parts[:-1])


def py_code_files() -> list[FileRef]:
    refs = dist_files(lambda p: p.suffix in {".py", ".pyi"})
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    version = platform.python_version()
    for p in sorted(stdlib.rglob("*.py")):
        if "site-packages" in p.parts or "__pycache__" in p.parts:
            continue
        url = f"https://github.com/python/cpython/blob/v{version}/Lib/{p.relative_to(stdlib).as_posix()}"
        refs.append(FileRef(str(p), "PSF-2.0", url))
    return refs


def py_doc_files() -> list[FileRef]:
    return dist_files(lambda p: not is_licence_name(p) and (
        p.suffix in {".rst", ".md", ".txt"} or p.name in {"METADATA", "PKG-INFO"}
        or p.name.upper().startswith("README")) and not p.name.endswith(("top_level.txt",
                                                                         "entry_points.txt")))


def licence_files() -> list[FileRef]:
    refs = []
    if COMMON_LICENSES.is_dir():
        for p in sorted(COMMON_LICENSES.iterdir()):
            if p.is_file():
                refs.append(FileRef(str(p), p.name, p.resolve().as_uri()))
    if DOC_ROOT.is_dir():
        deb = debian()
        for d in sorted(DOC_ROOT.iterdir()):
            c = d / "copyright"
            if c.is_file() and not d.is_symlink():
                refs.append(FileRef(str(c), deb.copyright_licence(c), c.as_uri()))
    refs += dist_files(is_licence_name)
    stdlib_licence = Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt"
    if stdlib_licence.is_file():
        refs.append(FileRef(str(stdlib_licence), "PSF-2.0", stdlib_licence.as_uri()))
    return refs


def system_doc_files() -> list[FileRef]:
    if not DOC_ROOT.is_dir():
        return []
    deb, refs = debian(), []
    for d in sorted(DOC_ROOT.iterdir()):
        if d.is_symlink() or not d.is_dir():
            continue
        for p in sorted(d.rglob("*")):
            if not p.is_file() or p.is_symlink() or p.name == "copyright":
                continue
            stem = p.name.removesuffix(".gz")
            if Path(stem).suffix.lower() not in {"", ".md", ".txt", ".rst", ".debian", ".news"}:
                continue
            refs.append(FileRef(str(p), deb.of(p) or deb.licence(d.name), p.as_uri(),
                                kind="gz" if p.name.endswith(".gz") else "text"))
    return refs


MAX_PAGES_PER_COMMAND = 100  # e.g. gcloud ships ~16,000 pages made from one template


def man_files() -> list[FileRef]:
    if not MAN_ROOT.is_dir():
        return []
    deb, refs = debian(), []
    per_command: Counter = Counter()
    for sect in sorted(MAN_ROOT.glob("*/man*")) + sorted(MAN_ROOT.glob("man*")):
        lang = "en" if sect.parent == MAN_ROOT else locale_lang(sect.parent.name)
        if lang is None or not sect.is_dir():
            continue
        for p in sorted(sect.iterdir()):
            command = (lang, re.split(r"[_.:-]", p.name, maxsplit=1)[0])
            if p.is_file() and not p.is_symlink() and per_command[command] < MAX_PAGES_PER_COMMAND:
                per_command[command] += 1
                refs.append(FileRef(str(p), deb.of(p), p.as_uri(), lang, "roff"))
    return refs


def catalog_files() -> list[FileRef]:
    deb, refs = debian(), []
    roots = LOCALE_DIRS + sorted(Path("/usr/share/vim").glob("vim*/lang"))  # <root>/<lang>/LC_MESSAGES
    for root in roots:
        if not root.is_dir():
            continue
        for langdir in sorted(root.iterdir()):
            lang = locale_lang(langdir.name)
            if lang is None or lang == "en":
                continue
            for p in sorted((langdir / "LC_MESSAGES").glob("*.mo")):
                if p.is_file() and not p.is_symlink():
                    refs.append(FileRef(str(p), deb.of(p), p.as_uri(), lang, "mo"))
    for site in sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}):
        for p in sorted(Path(site).rglob("*.mo")):
            lang = locale_lang(p.parent.name if p.parent.name != "LC_MESSAGES" else p.parent.parent.name)
            if lang is None:
                lang = locale_lang(p.stem)
            if lang and lang != "en":
                refs.append(FileRef(str(p), "", p.as_uri(), lang, "mo"))
    return refs


POOLS = [
    Pool("py_code", "open-license", "licence declared in each installed distribution's metadata "
         "(License-Expression, License, classifiers); PSF-2.0 for the standard library",
         "publicly-available", "Python source files of installed distributions and the standard "
         "library (benchmark corpus).", 0.30, None, py_code_files),
    Pool("translations", "licensed", "illustrative: fixture contract BENCH-L10N-0001 (benchmark "
         "registry; says nothing about these texts)", "contract", "Translated messages of gettext "
         "catalogs, one language per document (benchmark corpus).", 0.18, "GPL-2.0-or-later",
         catalog_files),
    Pool("system_docs", "self-collected", "illustrative: collection record BENCH-COL-0001 "
         "(/usr/share/doc of the benchmark machine)", "publicly-available", "READMEs, NEWS and "
         "changelogs of installed Debian packages (benchmark corpus).", 0.18, None, system_doc_files),
    Pool("man_pages", "user-data", "illustrative: consent record BENCH-UD-0001 (benchmark "
         "registry)", "consent", "Manual pages in every installed language, roff markup removed "
         "(benchmark corpus).", 0.18, None, man_files),
    Pool("licence_texts", "open-license", "each text's own licence name or its copyright file's "
         "License: field", "publicly-available", "Licence texts and copyright files of installed "
         "packages (benchmark corpus).", 0.08, None, licence_files),
    Pool("py_docs", "licensed", "illustrative: fixture contract BENCH-LIC-0002 (benchmark "
         "registry); per-document licence from distribution metadata", "contract",
         "Documentation and metadata of installed Python distributions (benchmark corpus).",
         0.05, None, py_doc_files),
]


# --- reading files and cutting them into documents -----------------------------------------

ROFF_TEXT_MACROS = {"SH", "SS", "B", "I", "SM", "SB", "BI", "BR", "IB", "IR", "RB", "RI",
                    "IP", "Nm", "Nd", "Sh", "Ss", "Ar", "Fl", "Op", "Xr", "Pa", "Dl", "Em",
                    "Sy", "It", "Li", "Cm", "Va", "Fn", "Ev", "Dq", "Ql", "Sq", "Pq"}
ROFF_BREAK = {"PP", "LP", "P", "sp", "br", "Pp", "TP", "TQ", "Bl", "El", "RS", "RE", "EX", "EE", "nf", "fi"}
ROFF_CHARS = {"em": "\u2014", "en": "\u2013", "aq": "'", "dq": '"', "lq": "\u201c", "rq": "\u201d",
              "oq": "\u2018", "cq": "\u2019", "bu": "\u2022", "co": "\u00a9", "rg": "\u00ae",
              "hy": "-", "mi": "-", "ti": "~", "ha": "^", "rs": "\\", "lh": "\u261c", "rh": "\u261e",
              "Fo": "\u00ab", "Fc": "\u00bb", "fo": "\u2039", "fc": "\u203a", "ga": "`", "aa": "\u00b4"}


def roff_to_text(src: str) -> str:
    """Strip man-page markup: keep text lines and the text of font and heading macros."""
    out = []
    for line in src.splitlines():
        if line.startswith((".\\\"", "'\\\"", '.\\"', "\\\"")):
            continue
        if line.startswith((".", "'")):
            m = re.match(r"[.'][ \t]*([A-Za-z]{1,3})\b[ \t]*(.*)", line)
            if not m:
                continue
            macro, args = m.groups()
            if macro in ROFF_TEXT_MACROS:
                words = re.findall(r'"((?:[^"]|"")*)"|(\S+)', args)
                parts = [q or w for q, w in words]
                alternating = macro in {"BI", "BR", "IB", "IR", "RB", "RI"}  # fonts alternate, no spaces
                joiner = "" if alternating else " "
                out.append(joiner.join(parts))
            elif macro in ROFF_BREAK:
                out.append("")
            continue
        out.append(line)
    text = "\n".join(out)
    text = re.sub(r"\\\((\w\w)", lambda m: ROFF_CHARS.get(m.group(1), ""), text)
    text = re.sub(r"\\\[(\w+)\]", lambda m: ROFF_CHARS.get(m.group(1), ""), text)
    text = re.sub(r"\\f(?:\[[^\]]*\]|\(..|.)", "", text)
    text = re.sub(r"\\\*(?:\[[^\]]*\]|\(..|.)", "", text)
    text = re.sub(r"\\s[+-]?\d+", "", text)
    text = text.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "").replace("\\|", "")
    text = text.replace("\\^", "").replace("\\c", "").replace("\\ ", " ").replace("\\~", " ")
    return re.sub(r"\n{3,}", "\n\n", text)


def catalog_text(data: bytes) -> str:
    """The translated messages of a compiled gettext catalog, one per line (untranslated left out)."""
    cat = gettext.GNUTranslations(io.BytesIO(data))._catalog  # the parsed messages (no public API)
    lines = []
    for key, value in cat.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if msgid == "" or not isinstance(value, str):
            continue
        value = value.strip()
        if value and value != msgid:
            lines.append(value)
    return "\n".join(lines)


def read_text(ref: FileRef) -> str | None:
    """A file's text, or None when it is binary, unreadable or not UTF-8."""
    try:
        with open(ref.path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES)
        if ref.kind in {"gz", "roff"} and data[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
                data = gz.read(MAX_FILE_BYTES)
        if ref.kind == "mo":
            return catalog_text(data)
        if b"\x00" in data:
            return None
        text = data.decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile, ValueError, LookupError, KeyError):
        return None
    except Exception:  # noqa: BLE001 - a malformed catalog is one more unreadable file
        return None
    return roff_to_text(text) if ref.kind == "roff" else text


def usable(piece: str) -> bool:
    if len(piece.encode("utf-8")) < MIN_BYTES:
        return False
    if max(map(len, piece.splitlines()), default=0) > MAX_LINE:
        return False
    letters = sum(ch.isalpha() for ch in piece)
    return letters >= MIN_LETTER_SHARE * len(piece)


def cut(text: str, rnd: random.Random) -> Iterator[str]:
    """Cut a text into pieces of 1-8 KB of UTF-8, at a line break in the piece's second half."""
    pos, made = 0, 0
    while pos < len(text) and made < MAX_PIECES_PER_FILE:
        target = int(rnd.triangular(MIN_BYTES, MAX_BYTES, MODE_BYTES))
        chunk = text[pos: pos + target]
        raw = chunk.encode("utf-8")
        if len(raw) > target:
            chunk = raw[:target].decode("utf-8", "ignore")
        if pos + len(chunk) < len(text) and chunk:
            per_char = len(chunk.encode("utf-8")) / len(chunk)
            brk = chunk.rfind("\n", max(len(chunk) // 2, int(MIN_BYTES / per_char) + 1))
            if brk > 0:
                chunk = chunk[: brk + 1]
        pos += len(chunk)
        piece = chunk.strip()
        if usable(piece):
            made += 1
            yield piece


def norm_key(text: str) -> bytes:
    return hashlib.sha1(unicodedata.normalize("NFC", text).strip().encode("utf-8")).digest()


@dataclass(eq=False)
class Doc:
    text: str
    licence: str
    url: str
    lang: str
    origin: str
    source: str = ""
    id: str = ""
    shard: str = ""
    line: int = 0
    copy_of: Doc | None = None
    dup_kind: str = ""  # exact | near, on planted copies
    edits: int = 0
    jaccard: float = 1.0


@dataclass
class Stream:
    """A source's documents, drawn lazily from its shuffled files."""

    name: str
    refs: list[FileRef]
    rnd: random.Random
    seen: set
    skipped: Counter
    pos: int = 0
    pending: list = field(default_factory=list)
    exhausted: bool = False

    def take(self) -> Doc | None:
        while not self.pending:
            if self.pos >= len(self.refs):
                self.exhausted = True
                return None
            ref = self.refs[self.pos]
            self.pos += 1
            text = read_text(ref)
            if text is None:
                self.skipped["unreadable or binary files"] += 1
                continue
            for piece in cut(text, self.rnd):
                key = norm_key(piece)
                if key in self.seen:
                    self.skipped["natural exact duplicates dropped"] += 1
                    continue
                self.seen.add(key)
                self.pending.append(Doc(piece, ref.licence, ref.url, ref.lang, ref.path))
            self.pending.reverse()
        return self.pending.pop()


# --- planted duplicates --------------------------------------------------------------------

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
WORD = re.compile(r"\w+")


def is_cjk(text: str) -> bool:
    return len(CJK.findall(text)) > 0.3 * len(text)


def shingle_set(text: str) -> set:
    if is_cjk(text):
        toks = [c for c in text if not c.isspace()]
    else:
        toks = WORD.findall(text.lower())
    if len(toks) < SHINGLE:
        return {tuple(toks)}
    return {tuple(toks[i: i + SHINGLE]) for i in range(len(toks) - SHINGLE + 1)}


def jaccard(a: str, b: str) -> float:
    sa, sb = shingle_set(a), shingle_set(b)
    return len(sa & sb) / len(sa | sb) if sa or sb else 1.0


def edit(text: str, n: int, rnd: random.Random) -> str:
    """Apply ``n`` edits: replace, delete, insert or swap words (characters in CJK text)."""
    if is_cjk(text):
        spans = [(i, i + 1) for i, ch in enumerate(text) if not ch.isspace()]
    else:
        spans = [m.span() for m in re.finditer(r"\S+", text)]
    if len(spans) < 4:
        return text + " " + text[: 20]
    slots = range(0, len(spans) - 1, 2)  # every other word: a swap never meets another edit
    picks = sorted(rnd.sample(slots, min(n, len(slots))), reverse=True)
    for i in picks:  # right to left, so the spans to the left stay valid
        (s, e), (s2, e2) = spans[i], spans[i + 1]
        op = rnd.choice(("replace", "delete", "insert", "swap"))
        other = text[slice(*spans[rnd.randrange(len(spans))])]
        word = text[s:e]
        if op == "replace":
            if other == word:
                other = other[::-1] if len(other) > 1 else other + other
            text = text[:s] + other + text[e:]
        elif op == "delete":
            text = text[:s] + text[s2:]
        elif op == "insert":
            sep = "" if len(word) == 1 and CJK.match(word) else " "
            text = text[:s] + other + sep + text[s:]
        else:
            text = text[:s] + text[s2:e2] + text[e:s2] + word + text[e2:]
    return text


def near_copy(original: str, rnd: random.Random) -> tuple[str, int, float]:
    """A near duplicate of ``original``: a few edits, at word 5-gram Jaccard >= NEAR_MIN_JACCARD."""
    units = len(original) if is_cjk(original) else len(original.split())
    n = rnd.randint(1, max(1, min(5, units // 70)))
    for _ in range(50):
        text = edit(original, n, rnd)
        j = jaccard(original, text)
        if text != original and (j >= NEAR_MIN_JACCARD or n == 1):
            return text, n, j
        n = max(1, n - 1)
    text = original + "\n" + original.split()[0]  # a text that no single edit changes
    return text, 1, jaccard(original, text)


# --- the corpus ----------------------------------------------------------------------------

@dataclass
class Source:
    name: str
    pool: Pool
    part: int
    parts: int


def plan_sources(k: int) -> list[Source]:
    per_pool = [k // len(POOLS) + (i < k % len(POOLS)) for i in range(len(POOLS))]
    out = []
    for i, pool in enumerate(POOLS):
        for part in range(per_pool[i]):
            name = pool.name if per_pool[i] == 1 else f"{pool.name}_{part + 1}"
            out.append(Source(name, pool, part, per_pool[i]))
    order = {p.name: i for i, p in enumerate(POOLS)}
    return sorted(out, key=lambda s: (s.part, order[s.pool.name]))


def apportion(total: int, weights: list[float]) -> list[int]:
    raw = [total * w / sum(weights) for w in weights]
    counts = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: counts[i] - raw[i])[: total - sum(counts)]:
        counts[i] += 1
    return counts


def build(args: argparse.Namespace) -> dict:
    sources = plan_sources(args.sources)
    seen: set = set()
    skipped: Counter = Counter()
    pool_refs: dict[str, list[FileRef]] = {}
    streams = []
    for src in sources:
        if src.pool.name not in pool_refs:
            refs = src.pool.files()
            random.Random(f"{args.seed}:{src.pool.name}:files").shuffle(refs)
            pool_refs[src.pool.name] = refs
        refs = pool_refs[src.pool.name][src.part:: src.parts]
        streams.append(Stream(src.name, refs, random.Random(f"{args.seed}:{src.name}:cut"), seen, skipped))

    planned_dups = round(args.docs * args.dup_share)
    targets = apportion(args.docs - planned_dups, [s.pool.weight / s.parts for s in sources])
    docs: dict[str, list[Doc]] = {s.name: [] for s in sources}
    deficit = 0
    for stream, target in zip(streams, targets):
        while len(docs[stream.name]) < target:
            d = stream.take()
            if d is None:
                deficit += target - len(docs[stream.name])
                break
            docs[stream.name].append(d)
    while deficit:  # sources that ran out: the others make up the difference, in turn
        live = [s for s in streams if not s.exhausted]
        if not live:
            break
        for stream in live:
            d = stream.take()
            if d is not None:
                docs[stream.name].append(d)
                deficit -= 1
                if not deficit:
                    break

    # the extra shard: new documents for the first source (from the next ones if it runs dry)
    extra: list[Doc] = []
    extra_source = streams[0].name if args.extra_docs else None
    for stream in streams:
        while len(extra) < args.extra_docs and (d := stream.take()) is not None:
            extra.append(d)

    # planted copies of distinct originals
    uniques = [d for s in sources for d in docs[s.name]]
    for s in sources:
        for d in docs[s.name]:
            d.source = s.name
    n_dups = min(planned_dups if not deficit else round(len(uniques) * args.dup_share / (1 - args.dup_share)),
                 len(uniques))
    rnd = random.Random(f"{args.seed}:duplicates")
    sizes = {s.name: len(docs[s.name]) for s in sources}
    copies: list[Doc] = []
    for original in rnd.sample(uniques, n_dups):
        kind = "exact" if rnd.random() < 0.5 else "near"
        target = original.source
        others = [n for n in sizes if n != original.source and sizes[n]]
        if others and rnd.random() < 0.5:  # another source, by size: every source gets its share
            target = rnd.choices(others, weights=[sizes[n] for n in others])[0]
        if kind == "exact":
            text, n_edits, jac = original.text, 0, 1.0
        else:
            text, n_edits, jac = near_copy(original.text, rnd)
        copies.append(Doc(text, original.licence, original.url, original.lang, original.origin,
                          source=target, copy_of=original, dup_kind=kind, edits=n_edits, jaccard=jac))
    for c in copies:
        docs[c.source].append(c)
    for s in sources:
        random.Random(f"{args.seed}:{s.name}:order").shuffle(docs[s.name])
        for i, d in enumerate(docs[s.name]):
            d.id = f"{s.name}-{i:07d}"
    for i, d in enumerate(extra):
        d.source = extra_source or ""
        d.id = f"{d.source}-x{i:06d}"
    return {"sources": sources, "docs": docs, "copies": copies, "extra": extra,
            "extra_source": extra_source, "skipped": skipped, "pool_refs": pool_refs}


# --- writing -------------------------------------------------------------------------------

def write_shard(path: Path, rows: list[dict]) -> None:
    """A gzip JSONL file, byte-identical for the same rows (no name or time in the header)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                compresslevel=6) as gz:
        for row in rows:
            gz.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))


def record(d: Doc, per_doc_licence: bool) -> dict:
    row = {"id": d.id, "text": d.text, "url": d.url}
    if per_doc_licence:
        row["license"] = d.licence
    return row


def clean(out: Path) -> None:
    """Remove the shards a previous run of this script wrote into OUT (nothing else)."""
    truth = out / "truth.json"
    old = []
    if truth.is_file():
        try:
            old = json.loads(truth.read_text("utf-8")).get("files", [])
        except (OSError, ValueError):
            old = []
    for rel in old:
        p = out / rel
        if p.is_file() and p.name.startswith("part-") and p.name.endswith(".jsonl.gz"):
            p.unlink()
    for p in out.glob("part-*.jsonl.gz"):
        p.unlink()


def write(out: Path, built: dict, args: argparse.Namespace) -> list[str]:
    sources: list[Source] = built["sources"]
    docs: dict[str, list[Doc]] = built["docs"]
    files: list[str] = []
    m = args.shard_docs
    if args.flat:
        rows = [d for s in sources for d in docs[s.name]]
        random.Random(f"{args.seed}:flat").shuffle(rows)
        licences = {s.name: s.pool.licence for s in sources}
        for i in range(0, len(rows), m):
            name = f"part-{i // m:05d}.jsonl.gz"
            batch = rows[i: i + m]
            for line, d in enumerate(batch, 1):
                d.shard, d.line = name, line
            write_shard(out / name, [{"id": d.id, "text": d.text, "url": d.url,
                                      "license": licences[d.source] or d.licence, "source": d.source}
                                     for d in batch])
            files.append(name)
        return files
    for s in sources:
        per_doc = s.pool.licence is None
        rows = docs[s.name]
        for i in range(0, len(rows), m):
            rel = f"{s.name}/part-{i // m:05d}.jsonl.gz"
            batch = rows[i: i + m]
            for line, d in enumerate(batch, 1):
                d.shard, d.line = rel, line
            write_shard(out / rel, [record(d, per_doc) for d in batch])
            files.append(rel)
    if built["extra"]:
        name = built["extra_source"]
        src = next(s for s in sources if s.name == name)
        n_shards = (len(docs[name]) + m - 1) // m
        rel = f"extra/{name}/part-{n_shards:05d}.jsonl.gz"
        for line, d in enumerate(built["extra"], 1):
            d.shard, d.line = rel, line
        write_shard(out / rel, [record(d, src.pool.licence is None) for d in built["extra"]])
        files.append(rel)
    return files


def yaml_scalar(v) -> str:
    return json.dumps(v, ensure_ascii=False)  # a JSON string or number is a YAML flow scalar


def write_registry(out: Path, built: dict) -> None:
    lines = ["# provaudit benchmark registry, written by benchmarks/corpus.py (do not edit).",
             "# Real text from this machine; acquisition kinds and evidence are illustrative.",
             "sources:"]
    for s in built["sources"]:
        langs = sorted({d.lang for d in built["docs"][s.name] if d.copy_of is None})  # copies: found, not expected
        p = s.pool
        lines += [f"- name: {s.name}",
                  f"  description: {yaml_scalar(p.description)}",
                  f"  paths: [{yaml_scalar(s.name + '/*.jsonl.gz')}]",
                  "  format: jsonl",
                  "  text_field: text",
                  "  id_field: id",
                  "  url_field: url",
                  (f"  license: {yaml_scalar(p.licence)}" if p.licence else "  license_field: license"),
                  f"  acquisition: {p.acquisition}",
                  f"  evidence: {yaml_scalar(p.evidence)}",
                  f"  consent_basis: {p.consent_basis}",
                  f"  collected: {yaml_scalar(COLLECTED)}",
                  f"  languages_expected: [{', '.join(map(yaml_scalar, langs))}]",  # quoted: `no` is not False
                  f"  max_doc_chars: {MAX_BYTES * 2}"]
    (out / "registry.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_config(out: Path, output: str) -> None:
    text = f"""# provaudit run config for the benchmark corpus, written by benchmarks/corpus.py.
# Relative paths resolve against this file's folder.
registry: registry.yaml
output: {yaml_scalar(output)}
beam:
  runner: DirectRunner
inspection:
  sample_size: 4000
  seed: 0
validation: {{}}
"""
    (out / "config.yaml").write_text(text, encoding="utf-8")


def truth(built: dict, files: list[str], args: argparse.Namespace) -> dict:
    sources: list[Source] = built["sources"]
    docs: dict[str, list[Doc]] = built["docs"]
    copies: list[Doc] = built["copies"]
    every = [d for s in sources for d in docs[s.name]]
    sizes = [len(d.text.encode("utf-8")) for d in every]
    dup_counts = {k: {"same_source": 0, "other_source": 0} for k in ("exact", "near")}
    with_dup: dict[str, Counter] = {s.name: Counter() for s in sources}
    for c in copies:
        o = c.copy_of
        same = c.source == o.source
        dup_counts[c.dup_kind]["same_source" if same else "other_source"] += 1
        for d in (c, o):
            with_dup[d.source][f"{c.dup_kind}_any_source"] += 1
            if same:
                with_dup[d.source][f"{c.dup_kind}_same_source"] += 1
    near_j = [c.jaccard for c in copies if c.dup_kind == "near"]
    per_source = {}
    for s in sources:
        ds = docs[s.name]
        b = [len(d.text.encode("utf-8")) for d in ds]
        per_source[s.name] = {
            "pool": s.pool.name, "acquisition": s.pool.acquisition,
            "license": s.pool.licence or "per document",
            "files_available": len(built["pool_refs"][s.pool.name][s.part:: s.parts]),
            "documents": len(ds), "planted_copies": sum(1 for d in ds if d.copy_of is not None),
            "bytes": sum(b), "median_bytes": statistics.median(b) if b else 0,
            "languages": dict(Counter(d.lang for d in ds).most_common()),
            "documents_with_planted_duplicate": {k: with_dup[s.name][k] for k in (
                "exact_same_source", "exact_any_source", "near_same_source", "near_any_source")},
            "shards": sum(1 for f in files if f.startswith(s.name + "/")),
        }
    missing = [p.name for p in POOLS if not built["pool_refs"].get(p.name) and p.name in
               {s.pool.name for s in sources}]
    return {
        "generator": "benchmarks/corpus.py",
        "generator_sha256": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
        "params": {"docs": args.docs, "seed": args.seed, "sources": args.sources,
                   "shard_docs": args.shard_docs, "dup_share": args.dup_share, "flat": args.flat,
                   "extra_docs": args.extra_docs},
        "machine": {"python": platform.python_version(), "executable": sys.executable},
        "documents": len(every),
        "unique_documents": len(every) - len(copies),
        "bytes": sum(sizes),
        "median_bytes": statistics.median(sizes) if sizes else 0,
        "median_chars": statistics.median(len(d.text) for d in every) if every else 0,
        "languages": dict(Counter(d.lang for d in every).most_common()),
        "planted_duplicates": {
            "copies": len(copies), "share_of_documents": round(len(copies) / len(every), 6) if every else 0,
            "exact": dup_counts["exact"], "near": dup_counts["near"],
            "documents_with_planted_duplicate": 2 * len(copies),
            "near_jaccard_word5": {"min": round(min(near_j), 4) if near_j else None,
                                   "median": round(statistics.median(near_j), 4) if near_j else None,
                                   "below_0.8": sum(j < 0.8 for j in near_j)},
            "near_edits": dict(sorted(Counter(c.edits for c in copies if c.dup_kind == "near").items())),
            "note": "each copy has a distinct original; natural near duplicates (licence "
                    "boilerplate, related catalogs) are not counted; natural exact duplicates "
                    "were dropped",
        },
        "dropped": dict(built["skipped"]),
        "sources": per_source,
        "pools_without_files": missing,
        "extra": ({"source": built["extra_source"], "documents": len(built["extra"]),
                   "shard": next(f for f in files if f.startswith("extra/"))} if built["extra"] else None),
        "files": files,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, metavar="OUT")
    ap.add_argument("--docs", type=int, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sources", type=int, default=len(POOLS), metavar="K",
                    help=f"number of sources (default {len(POOLS)}; above that, pools split into parts)")
    ap.add_argument("--shard-docs", type=int, default=2500, metavar="M", help="documents per shard")
    ap.add_argument("--dup-share", type=float, default=0.2, help="share of planted copies, 0-0.5")
    ap.add_argument("--output", help="the run config's output folder (default OUT/../out-bench)")
    ap.add_argument("--extra-docs", type=int, default=0, metavar="H",
                    help="also write OUT/extra/<first source>/part-NNNNN.jsonl.gz with H new documents")
    ap.add_argument("--flat", action="store_true", help="write OUT/part-NNNNN.jsonl.gz, all sources mixed")
    args = ap.parse_args(argv)
    if args.docs < 1 or args.sources < 1 or args.shard_docs < 1 or args.extra_docs < 0:
        ap.error("--docs, --sources and --shard-docs must be positive, --extra-docs not negative")
    if not 0 <= args.dup_share <= 0.5:
        ap.error("--dup-share must be between 0 and 0.5 (every copy has its own original)")

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    built = build(args)
    clean(out)
    files = write(out, built, args)
    copies = built["copies"]
    with open(out / "duplicates.jsonl", "w", encoding="utf-8") as fh:
        for c in sorted(copies, key=lambda c: (c.shard, c.line)):
            o = c.copy_of
            fh.write(json.dumps({"copy": {"source": c.source, "id": c.id, "shard": c.shard, "line": c.line},
                                 "original": {"source": o.source, "id": o.id, "shard": o.shard, "line": o.line},
                                 "kind": c.dup_kind, "scope": "same_source" if c.source == o.source
                                 else "other_source", "edits": c.edits, "jaccard_word5": round(c.jaccard, 4)},
                                ensure_ascii=False) + "\n")
    facts = truth(built, files, args)
    if not args.flat:
        write_registry(out, built)
        output = args.output or "../out-bench"
        write_config(out, str(Path(output).resolve()) if args.output else output)
    (out / "truth.json").write_text(json.dumps(facts, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    pd = facts["planted_duplicates"]
    print(f"{facts['documents']:,} documents ({facts['bytes'] / 1e6:.1f} MB, median "
          f"{facts['median_bytes']:,.0f} bytes) in {len(files)} shards under {out}; "
          f"{pd['copies']:,} planted copies (exact {sum(pd['exact'].values()):,}, near "
          f"{sum(pd['near'].values()):,}); {len(facts['languages'])} languages", file=sys.stderr)
    for name, s in facts["sources"].items():
        print(f"  {name:<16} {s['documents']:>8,} docs {s['bytes'] / 1e6:>7.1f} MB  "
              f"{len(s['languages'])} language{'s' * (len(s['languages']) != 1)}", file=sys.stderr)
    if facts["pools_without_files"]:
        print(f"  no text found for: {', '.join(facts['pools_without_files'])}", file=sys.stderr)
    if facts["documents"] < args.docs:
        print(f"only {facts['documents']:,} of {args.docs:,} documents: this machine holds too little "
              "usable text", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

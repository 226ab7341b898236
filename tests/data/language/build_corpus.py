"""Rebuild corpus.jsonl from Debian data (run as root on Debian 12; see SOURCES.md).

Not used by the tests, which read the committed corpus.jsonl; kept so the corpus can be
rebuilt and checked. Deterministic for the same Debian archive state.
"""

from __future__ import annotations

import gettext
import glob
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

LISTS = "/var/lib/apt/lists"
MAX_CHARS = 1500
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus.jsonl")


def _pick(items, n, key):
    """A deterministic sample of n items: the n smallest SHA-256 of key(item)."""
    return sorted(items, key=lambda it: hashlib.sha256(key(it).encode()).hexdigest())[:n]


def descriptions(lang: str):
    """Package descriptions from apt's Translation-<lang> index (DDTP)."""
    path = glob.glob(f"{LISTS}/*_debian_dists_*_main_i18n_Translation-{lang.replace('_', '%5f')}.lz4")[0]
    text = subprocess.run(["lz4cat", path], capture_output=True, check=True).stdout.decode()
    for block in text.split("\n\n"):
        m = re.search(r"^Package: (\S+)$", block, re.MULTILINE)
        d = re.search(rf"^Description-{lang}: (.*?)\Z", block, re.MULTILINE | re.DOTALL)
        if m and d:
            body = "\n".join(line.removeprefix(" ") for line in d.group(1).splitlines())
            body = body.replace("\n.\n", "\n\n").strip()
            yield m.group(1), body


def man_pages(root: str, locale: str):
    """Man page sources (groff) of manpages-zh from their .TH line, comment lines removed."""
    for path in sorted(glob.glob(f"{root}/usr/share/man/{locale}/man*/*.gz")):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
            lines = [line for line in f.read().splitlines() if not line.startswith(('.\\"', "'\\\""))]
        body = "\n".join(lines)
        start = body.find(".TH ")  # Tcl/Tk pages open with macro definitions: skip them
        yield os.path.relpath(path, root), body[max(start, 0):].strip()


def catalogue_docs(locale: str, per_catalogue: int):
    """Translated messages of the installed .mo catalogues, joined into documents."""
    for path in sorted(glob.glob(f"/usr/share/locale/{locale}/LC_MESSAGES/*.mo")):
        with open(path, "rb") as f:
            try:
                catalog = gettext.GNUTranslations(f)._catalog
            except OSError as err:  # a catalogue gettext cannot read: say so, go on
                print(f"{path}: skipped: {err}", file=sys.stderr)
                continue
        msgs = sorted({v for k, v in catalog.items() if k and isinstance(v, str) and len(v) > 20})
        doc, docs = [], []
        for msg in msgs:
            doc.append(msg)
            if sum(map(len, doc)) > 400:
                docs.append("\n".join(doc))
                doc = []
        for i, text in enumerate(docs[:per_catalogue]):
            yield f"{os.path.basename(path)}#{i}", text


def main() -> None:
    manroot = tempfile.mkdtemp()
    subprocess.run(["apt-get", "download", "manpages-zh"], cwd=manroot, check=True)
    deb = glob.glob(f"{manroot}/manpages-zh_*.deb")[0]
    subprocess.run(["dpkg-deb", "-x", deb, manroot], check=True)
    rows = []

    def add(label, source, ident, text):
        rows.append({"label": label, "source": source, "id": ident, "text": text[:MAX_CHARS]})

    for label, lang, n in (("zh-Hans", "zh_CN", 150), ("zh-Hant", "zh_TW", 150),
                           ("ja", "ja", 40), ("ko", "ko", 40), ("sr", "sr", 80), ("eo", "eo", 20)):
        for pkg, body in _pick(list(descriptions(lang)), n, lambda it: it[0]):
            add(label, f"debian-description-{lang}", pkg, body)
    for label, locale in (("zh-Hans", "zh_CN"), ("zh-Hant", "zh_TW")):
        for path, body in _pick(list(man_pages(manroot, locale)), 100, lambda it: it[0]):
            add(label, "manpages-zh", path, body)
    for label, locale, n in (("eo", "eo", 60), ("ga", "ga", 60), ("sr", "sr", 40)):
        for ident, body in _pick(list(catalogue_docs(locale, 3)), n, lambda it: it[0]):
            add(label, f"gettext-{locale}", ident, body)
    rows.sort(key=lambda r: (r["label"], r["source"], r["id"]))
    with open(OUT, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)
    print(f"{len(rows)} documents -> {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()

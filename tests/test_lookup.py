"""`provaudit lookup` and the run's lookup index, on the bundled sample corpus.

One scan of the sample per module (about 15 s); every lookup goes through the CLI's
``main`` in-process, so exit codes, standard output and standard error are what a user sees.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE, write_yaml

EMAIL = "ann.lee@example.org"
PHONE = "+8613812345678"
KEPT_SOURCES = ("licensed_news", "web_crawl")


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """(config path, config, run dir, ledger rows) of one scan of the sample corpus."""
    import yaml

    from provaudit.core.config import load_config
    from provaudit.stages.scan import run_scan

    tmp = tmp_path_factory.mktemp("lookup")
    # Two of the sample's sources (news and the multilingual crawl) keep the scan short.
    corpus = tmp / "corpus"
    registry = yaml.safe_load((SAMPLE / "registry.yaml").read_text(encoding="utf-8"))
    registry["sources"] = [{k: v for k, v in s.items() if k != "labelling"}
                           for s in registry["sources"] if s["name"] in KEPT_SOURCES]
    for name in KEPT_SOURCES:
        shutil.copytree(SAMPLE / name, corpus / name)
    write_yaml(corpus / "registry.yaml", registry)
    path = write_yaml(tmp / "config.yaml", {"registry": str(corpus / "registry.yaml"),
                                             "output": str(tmp / "out"), "beam": {"runner": "DirectRunner"}})
    config = load_config(path)
    run_dir = run_scan(config, report=lambda line: None).run_dir
    rows = pq.read_table(os.path.join(run_dir, "ledger")).to_pylist()
    return path, config, run_dir, rows


def _news_text(line_no: int) -> str:
    """The body of licensed_news/2024-01.jsonl.gz at line ``line_no`` (1-based)."""
    with gzip.open(SAMPLE / "licensed_news" / "2024-01.jsonl.gz", "rt", encoding="utf-8") as fh:
        return json.loads(fh.read().splitlines()[line_no - 1])["body"]


def _edited(text: str) -> str:
    """One word in fifty replaced."""
    words = text.split(" ")
    for i in range(0, len(words), 50):
        words[i] = "quokka"
    return " ".join(words)


def _lookup(capsys, config_path, *args: str, stdin: bytes | None = None, monkeypatch=None,
            verbose: bool = False):
    from provaudit.cli import main

    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    code = main([*(["-v"] if verbose else []), "lookup", str(config_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys, config_path, *args: str, **kw):
    code, out, err = _lookup(capsys, config_path, *args, "--json", **kw)
    return code, json.loads(out), err


def _row(rows, doc_id):
    return next(r for r in rows if r["doc_id"] == doc_id)


def test_edited_copy_is_a_near_match_and_unrelated_text_finds_nothing(scanned, capsys, tmp_path):
    path, _, _, rows = scanned
    original = _news_text(19)
    edited = tmp_path / "edited.txt"
    edited.write_text(_edited(original), encoding="utf-8")
    assert normalized_sha(_edited(original)) != _row(rows, "NW-2024-01-0019")["sha256"]
    code, out, err = _lookup(capsys, path, "--text", str(edited))
    assert code == 0, err
    line = next(x for x in out.splitlines() if "doc_id=NW-2024-01-0019" in x)
    assert line.startswith("near J=0.") and "licensed_news/2024-01.jsonl.gz  line:19" in line
    assert "acquisition=licensed" in line and "license=" in line
    code, doc, _ = _json(capsys, path, "--text", str(edited))
    hit = next(h for h in doc["hits"] if h["doc_id"] == "NW-2024-01-0019")
    assert hit["match"] == "near" and 0.6 < hit["jaccard"] < 1.0
    assert hit["sha256"] == _row(rows, "NW-2024-01-0019")["sha256"]

    unrelated = tmp_path / "unrelated.txt"
    unrelated.write_text("Quokkas on Rottnest Island hop between the saltbush while ferries unload "
                         "cyclists at the jetty and gulls argue over chips. " * 3, encoding="utf-8")
    code, out, _ = _lookup(capsys, path, "--text", str(unrelated))
    assert code == 1 and "no match" in out
    code, doc, _ = _json(capsys, path, "--text", str(unrelated))
    assert code == 1 and doc["hits"] == [] and sum(doc["counts"].values()) == 0


def normalized_sha(text: str) -> str:
    import unicodedata

    return hashlib.sha256(unicodedata.normalize("NFC", text).strip().encode("utf-8")).hexdigest()


def test_exact_by_text_and_by_sha256(scanned, capsys, tmp_path):
    path, _, _, rows = scanned
    target = _row(rows, "NW-2024-01-0025")
    copy = tmp_path / "copy.txt"
    copy.write_text("\n  " + _news_text(25) + "  \n", encoding="utf-8")  # the scan strips
    code, doc, _ = _json(capsys, path, "--text", str(copy))
    exact = [h for h in doc["hits"] if h["match"] == "exact"]
    assert code == 0 and {"NW-2024-01-0025"} <= {h["doc_id"] for h in exact}
    assert all(h["jaccard"] == 1.0 and h["sha256"] == target["sha256"] for h in exact)
    assert not [h for h in doc["hits"] if h["match"] == "near" and h["doc_id"] == "NW-2024-01-0025"]
    code, doc, _ = _json(capsys, path, "--sha256", target["sha256"].upper())
    assert code == 0 and {h["match"] for h in doc["hits"]} == {"exact"}
    assert {(h["source"], h["shard"], h["location"]) for h in doc["hits"]} == {
        (r["source"], r["shard"], r["location"]) for r in rows if r["sha256"] == target["sha256"]}
    assert all(h["jaccard"] is None for h in doc["hits"])
    code, _, err = _lookup(capsys, path, "--sha256", "abc")
    assert code == 2 and "--sha256" in err


def test_url_domain_and_doc_id(scanned, capsys):
    path, _, _, rows = scanned
    target = _row(rows, "NW-2024-01-0030")
    code, doc, _ = _json(capsys, path, "--url", target["url"])
    assert code == 0 and [(h["doc_id"], h["match"]) for h in doc["hits"]] == [("NW-2024-01-0030", "url")]
    code, doc, _ = _json(capsys, path, "--domain", "https://sub.wire." + target["domain"] + "/x")
    expected = sorted((r["source"], r["shard"], r["location"]) for r in rows if r["domain"] == target["domain"])
    assert code == 0 and {h["match"] for h in doc["hits"]} == {"domain"}
    assert [(h["source"], h["shard"], h["location"]) for h in doc["hits"]] == expected
    code, doc, _ = _json(capsys, path, "--doc-id", "NW-2024-01-0030")
    assert code == 0 and [(h["doc_id"], h["location"], h["match"]) for h in doc["hits"]] == [
        ("NW-2024-01-0030", target["location"], "doc_id")]
    assert _json(capsys, path, "--doc-id", "no-such-document")[0] == 1
    assert _json(capsys, path, "--url", "https://nowhere.invalid/x")[0] == 1
    code, _, err = _lookup(capsys, path, "--domain", "10.0.0.1")
    assert code == 2 and "--domain" in err


def test_json_schema(scanned, capsys):
    path, _, run_dir, rows = scanned
    code, doc, _ = _json(capsys, path, "--doc-id", "NW-2024-01-0019")
    assert code == 0
    assert set(doc) == {"version", "run_id", "documents", "criteria", "seconds", "counts", "hits"}
    assert doc["version"] == 1 and doc["run_id"] == os.path.basename(run_dir)
    assert doc["documents"] == len(rows) and doc["criteria"] == ["doc_id"]
    assert doc["counts"] == {"exact": 0, "doc_id": 1, "url": 0, "near": 0, "domain": 0}
    (hit,) = doc["hits"]
    assert set(hit) == {"doc_id", "source", "shard", "location", "match", "jaccard", "sha256", "url",
                        "domain", "license", "license_category", "acquisition", "runs", "evidence"}
    row = _row(rows, "NW-2024-01-0019")
    assert hit["license"] == (row["license_spdx"] or row["license_raw"])
    assert hit["license_category"] == row["license_category"] and hit["acquisition"] == row["acquisition"]
    assert isinstance(hit["runs"], list) and hit["evidence"] == []


def test_stdin_and_evidence(scanned, capsys, monkeypatch):
    path, _, _, _ = scanned
    edited = _edited(_news_text(19))
    code, doc, _ = _json(capsys, path, "--text", "-", "--evidence", stdin=edited.encode("utf-8"),
                         monkeypatch=monkeypatch)
    hit = next(h for h in doc["hits"] if h["doc_id"] == "NW-2024-01-0019")
    assert code == 0 and hit["match"] == "near" and doc["criteria"] == ["text"]
    from provaudit.core.minhash import shingles

    both = {g.decode("utf-8") for g in shingles(edited, False, 5)} & {
        g.decode("utf-8") for g in shingles(_news_text(19), False, 5)}
    assert hit["evidence"] and set(hit["evidence"]) <= both and len(hit["evidence"]) == min(20, len(both))
    assert "quokka" not in " ".join(hit["evidence"])


def test_query_personal_information_never_logged(scanned, capsys, caplog, monkeypatch, tmp_path):
    path, _, _, _ = scanned
    secret = f"Please remove my letter. Contact {EMAIL} or {PHONE}. " + _edited(_news_text(19))
    caplog.set_level(logging.DEBUG)
    code, out, err = _lookup(capsys, path, "--text", "-", "--json", stdin=secret.encode("utf-8"),
                             monkeypatch=monkeypatch, verbose=True)
    assert code == 0
    for value in (EMAIL, PHONE, "Please remove my letter"):
        assert value not in out and value not in err and value not in caplog.text
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(f"caf\xe9 {EMAIL}".encode("latin-1"))
    code, out, err = _lookup(capsys, path, "--text", str(bad))
    assert code == 2 and "not UTF-8" in err and EMAIL not in err + out + caplog.text
    code, out, err = _lookup(capsys, path, "--text", "-", stdin=b"   \n", monkeypatch=monkeypatch)
    assert code == 2 and "empty" in err


def test_index_is_built_once_and_deterministic(scanned, capsys, monkeypatch):
    from provaudit.stages import lookup as stage

    path, config, run_dir, _ = scanned
    index = os.path.join(run_dir, "index")
    first = _digests(index) if os.path.isdir(index) else None
    shutil.rmtree(index, ignore_errors=True)
    builds = []
    real = stage.build_index
    monkeypatch.setattr(stage, "build_index", lambda *a, **k: builds.append(1) or real(*a, **k))
    assert _lookup(capsys, path, "--doc-id", "NW-2024-01-0019")[0] == 0
    assert _lookup(capsys, path, "--doc-id", "NW-2024-01-0019")[0] == 0
    assert builds == [1] and os.path.isfile(os.path.join(index, "meta.json"))
    assert not [d for d in os.listdir(run_dir) if d.startswith("index.tmp")]
    once = _digests(index)
    assert first is None or once == first
    real(config, run_dir)  # built again: byte-identical files
    assert _digests(index) == once


def _digests(folder: str) -> dict[str, str]:
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            p = os.path.join(root, name)
            out[os.path.relpath(p, folder)] = hashlib.sha256(Path(p).read_bytes()).hexdigest()
    return out


def test_many_parts_and_row_groups_answer_the_same(scanned, monkeypatch, tmp_path):
    """Tiny parts and row groups: binary search over many row groups in many files."""
    from provaudit.core import lookup as core_lookup
    from provaudit.core.lookup import Criteria
    from provaudit.stages.lookup import open_index

    _, config, run_dir, rows = scanned
    copy = tmp_path / "run"
    shutil.copytree(os.path.join(run_dir, "ledger"), copy / "ledger")
    monkeypatch.setattr(core_lookup, "DOCS_PER_PART", 50)
    monkeypatch.setattr(core_lookup, "BAND_ENTRIES_PER_PART", 500)
    monkeypatch.setattr(core_lookup, "KEYS_PER_PART", 100)
    monkeypatch.setattr(core_lookup, "ROW_GROUP_ROWS", {t: 4 for t in core_lookup.TABLES})
    small = open_index(config, str(copy))
    big = open_index(config, run_dir)
    assert small.layout.parts["docs"] > 1 and small.layout.parts["bands"] > 1
    text = _edited(_news_text(19))
    for criteria in (Criteria(text=text), Criteria(domain="northsea-news.com"),
                     Criteria(sha256=_row(rows, "NW-2024-01-0025")["sha256"]),
                     Criteria(doc_id="NW-2024-01-0030"), Criteria(url=_row(rows, "NW-2024-01-0030")["url"])):
        assert small.find(criteria) == big.find(criteria) != []


def test_runs_of_the_history(scanned, capsys):
    """A hit lists the complete runs of the history whose ledger held its content."""
    from provaudit.core.history import history_table
    from provaudit.stages.runs import COMPLETE, HISTORY

    path, config, run_dir, _ = scanned
    run_id = os.path.basename(run_dir)
    marker = os.path.join(run_dir, COMPLETE)
    history = os.path.join(config.output, HISTORY)
    Path(marker).write_text(json.dumps({"run_id": run_id, "mode": "run"}), encoding="utf-8")
    pq.write_table(history_table([{"run_id": run_id, "mode": "run"}]), history)
    try:
        code, doc, _ = _json(capsys, path, "--doc-id", "NW-2024-01-0019")
        assert code == 0 and doc["hits"][0]["runs"] == [run_id]
    finally:
        os.remove(marker)
        os.remove(history)
    code, doc, _ = _json(capsys, path, "--doc-id", "NW-2024-01-0019")
    assert doc["hits"][0]["runs"] == []


def test_every_edited_copy_of_every_news_article_is_found(scanned):
    """One word in fifty changed at each of ten offsets, for every long article of a shard:
    all found (the index is banded for Jaccard 0.5, not the overlap threshold's 0.8, at
    which about one copy in ten of these would not even be a candidate)."""
    from provaudit.core.lookup import Criteria
    from provaudit.stages.lookup import open_index

    _, config, run_dir, rows = scanned
    index = open_index(config, run_dir)
    news = sorted((r for r in rows if r["shard"] == "licensed_news/2024-01.jsonl.gz" and r["chars"] > 1500),
                  key=lambda r: r["location"])
    assert len(news) >= 5
    missed = []
    for row in news:
        words = _news_text(int(row["location"].split(":")[1])).split(" ")
        for offset in range(0, 50, 5):
            edited = list(words)
            for j in range(offset, len(edited), 50):
                edited[j] = "quokka"
            hits = index.find(Criteria(text=" ".join(edited), sha256=None, url=None, domain=None, doc_id=None))
            if row["doc_id"] not in {h.doc_id for h in hits if h.match == "near"}:
                missed.append((row["doc_id"], offset))
    assert missed == []

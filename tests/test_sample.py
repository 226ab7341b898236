"""The sample corpus generator: deterministic, small, and true to its planted.json."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

from provaudit.core.config import list_shards, load_config
from provaudit.core.readers import ReaderSpec, read_shard
from provaudit.core.records import Document, Quarantined
from provaudit.fixtures.sample import SOURCES, _shingles, main, write_sample_corpus

BUNDLED = Path(__file__).resolve().parents[1] / "sample"
TWO_MB = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    write_sample_corpus(out)
    return out


@pytest.fixture(scope="module")
def truth(corpus: Path) -> dict[str, Any]:
    return json.loads((corpus / "planted.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def read_back(corpus: Path) -> tuple[dict[str, Document], list[Quarantined]]:
    """Every shard of the registry read with the project's loader and readers.

    The config sits in the corpus folder, so shard names (and derived ids) are relative
    to it, as planted.json writes them.
    """
    config_path = corpus / "config.yaml"
    config_path.write_text(yaml.safe_dump({"registry": "registry.yaml", "output": "out"}), "utf-8")
    config = load_config(config_path)
    specs = {s.name: s for s in config.sources}
    docs: dict[str, Document] = {}
    quarantined: list[Quarantined] = []
    for shard in list_shards(config):
        spec = specs[shard.source].reader_spec(shard.format, config.scan.max_doc_chars)
        for item in read_shard(shard.path, shard.name, spec):
            if isinstance(item, Document):
                assert item.doc_id not in docs, item.doc_id
                docs[item.doc_id] = item
            elif isinstance(item, Quarantined):  # Skipped archive records: tests/test_warc_accounting.py
                quarantined.append(item)
    return docs, quarantined


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "config.yaml" and "out" not in p.relative_to(folder).parts
    }


def normalized_sha(text: str) -> str:
    return hashlib.sha256(unicodedata.normalize("NFC", text).strip().encode()).hexdigest()


def test_writing_twice_gives_identical_bytes(corpus: Path, tmp_path: Path) -> None:
    written = write_sample_corpus(tmp_path)
    assert files_of(tmp_path) == files_of(corpus)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(files_of(tmp_path))


def test_rewriting_removes_stale_shards(tmp_path: Path) -> None:
    stale = tmp_path / "web_crawl" / "part-09999.jsonl"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}\n")
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("kept")
    write_sample_corpus(tmp_path)
    assert not stale.exists() and unrelated.exists()


def test_size_and_shape(corpus: Path, truth: dict[str, Any]) -> None:
    assert sum(len(b) for b in files_of(corpus).values()) < TWO_MB
    assert set(truth["sources"]) == set(SOURCES)
    training = [s for s in SOURCES if s != "eval_qa"]
    assert len(training) >= 4
    languages = {doc["language"] for doc in truth["documents"].values()}
    assert {"en", "zh-Hans", "fr", "de", "es", "ru", "ja", "ar"} <= languages
    assert 300 <= len(truth["documents"]) <= 600


def test_registry_loads_and_infers_formats(corpus: Path) -> None:
    registry = yaml.safe_load((corpus / "registry.yaml").read_text("utf-8"))
    by_name = {s["name"]: s for s in registry["sources"]}
    assert by_name["eval_qa"]["role"] == "eval"
    assert by_name["scraped_blogs"]["license"] == "see website"
    assert by_name["licensed_news"]["license"] == "proprietary"
    assert by_name["web_crawl"]["max_doc_chars"] == 20000
    inferred = {name for name, s in by_name.items() if "format" not in s}
    assert inferred == {"open_books", "forum_dump", "crawl_warc"}
    config_path = corpus / "config.yaml"
    config_path.write_text(yaml.safe_dump({"registry": "registry.yaml", "output": "out"}), "utf-8")
    formats = {(s.source, s.format) for s in list_shards(load_config(config_path))}
    assert {("open_books", "parquet"), ("forum_dump", "text"), ("crawl_warc", "warc")} <= formats


def test_every_planted_bad_record_is_read_back(
    read_back: tuple[dict[str, Document], list[Quarantined]], truth: dict[str, Any]
) -> None:
    _, quarantined = read_back
    got = sorted((q.source, q.shard, q.location, q.reason) for q in quarantined)
    planted = sorted(
        (q["source"], q["shard"], q["location"], q["reason"]) for q in truth["quarantine"]
    )
    assert got == planted
    reasons = {q["reason"] for q in truth["quarantine"]}
    assert reasons == {
        "invalid-json",
        "invalid-utf8",
        "missing-text",
        "non-string-text",
        "truncated-compression",
        "empty-shard",
        "schema-mismatch",
    }
    assert all(len(q.excerpt) <= 80 for q in quarantined)


def test_every_planted_document_is_read_back(
    read_back: tuple[dict[str, Document], list[Quarantined]], truth: dict[str, Any]
) -> None:
    docs, _ = read_back
    assert set(docs) == set(truth["documents"])
    for doc_id, where in truth["documents"].items():
        doc = docs[doc_id]
        assert (doc.source, doc.shard, doc.location) == (
            where["source"],
            where["shard"],
            where["location"],
        )
        assert 200 <= len(unicodedata.normalize("NFC", doc.text).strip()) <= 3000
    counts = {name: sum(d.source == name for d in docs.values()) for name in SOURCES}
    assert counts == {name: s["documents"] for name, s in truth["sources"].items()}


def test_duplicates_copies_and_leaks_hold(
    read_back: tuple[dict[str, Document], list[Quarantined]], truth: dict[str, Any]
) -> None:
    docs, _ = read_back
    groups: dict[str, list[str]] = {}
    for doc_id, doc in docs.items():
        groups.setdefault(normalized_sha(doc.text), []).append(doc_id)
    assert sorted(sorted(g) for g in groups.values() if len(g) > 1) == truth["exact_duplicates"]
    within = [g for g in truth["exact_duplicates"] if len({docs[i].source for i in g}) == 1]
    across = [g for g in truth["exact_duplicates"] if len({docs[i].source for i in g}) > 1]
    assert within and across

    copies = truth["cross_source_copies"]
    assert len(copies) == 20
    for copy in copies:
        assert (docs[copy["from"]].source, docs[copy["to"]].source) == (
            "licensed_news",
            "web_crawl",
        )
        assert normalized_sha(docs[copy["from"]].text) == normalized_sha(docs[copy["to"]].text)

    leaks = truth["eval_leaks"]
    assert {leak["kind"] for leak in leaks} == {"verbatim", "near"}
    for leak in leaks:
        assert docs[leak["eval"]].source == "eval_qa" and docs[leak["train"]].source != "eval_qa"


def test_near_duplicates_match_the_minhash_shingles(
    read_back: tuple[dict[str, Document], list[Quarantined]], truth: dict[str, Any]
) -> None:
    from provaudit.core.minhash import shingles

    docs, _ = read_back
    near = truth["near_duplicates"]
    assert any(p["language"] == "zh-Hans" and p["sources"][0] == p["sources"][1] for p in near)
    assert any(p["language"] == "zh-Hans" and p["sources"][0] != p["sources"][1] for p in near)
    for pair in near:
        cjk = pair["language"] in truth["shingling"]["characters"]
        a, b = (
            set(shingles(unicodedata.normalize("NFC", docs[pair[k]].text).strip(), cjk))
            for k in ("a", "b")
        )
        jaccard = len(a & b) / len(a | b)
        assert jaccard == pytest.approx(pair["jaccard"], abs=1e-4)
        assert 0.85 <= jaccard <= 0.95
        # the generator's own shingling is the reference definition
        assert a == _shingles(docs[pair["a"]].text, cjk)


def test_eval_ngram_leaks_match_a_brute_force_recomputation(
    corpus: Path,
    read_back: tuple[dict[str, Document], list[Quarantined]],
    truth: dict[str, Any],
) -> None:
    """Eval items sharing a 13-gram with training text, as the overlap stage defines them."""
    from provaudit.core.findings import normalize_text
    from provaudit.core.language import detect_script
    from provaudit.core.minhash import CJK_SCRIPTS, shingles

    docs, _ = read_back
    registry = yaml.safe_load((corpus / "registry.yaml").read_text("utf-8"))
    evals = {s["name"] for s in registry["sources"] if s.get("role") == "eval"}
    n = truth["shingling"]["eval_ngram_leaks_n"]
    assert n == 13 and evals == {"eval_qa"}

    def grams(text: str) -> set[bytes]:
        text = normalize_text(text)
        return set(shingles(text, detect_script(text) in CJK_SCRIPTS, n))

    holders: dict[bytes, set[str]] = {}
    for doc_id, doc in docs.items():
        if doc.source not in evals:
            for gram in grams(doc.text):
                holders.setdefault(gram, set()).add(doc_id)
    expected = {}
    for doc_id, doc in docs.items():
        shared = grams(doc.text) & holders.keys() if doc.source in evals else set()
        if shared:
            expected[doc_id] = (len(shared), sorted(set().union(*(holders[g] for g in shared))))
    leaks = truth["eval_ngram_leaks"]
    assert [leak["eval"] for leak in leaks] == sorted(expected)
    assert {leak["eval"]: (leak["shared_ngrams"], leak["train"]) for leak in leaks} == expected
    eval_items = sum(doc.source in evals for doc in docs.values())
    assert len(expected) <= eval_items // 3  # the rest is held out

    # the near and verbatim leaks are among them, with their kinds; the others are partial
    whole = {leak["eval"]: leak["kind"] for leak in truth["eval_leaks"]}
    assert len(whole) == 6 and set(whole) < set(expected)
    assert {leak["eval"]: leak["kind"] for leak in leaks if leak["eval"] in whole} == whole
    for leak in truth["eval_leaks"]:
        assert leak["train"] in expected[leak["eval"]][1]
    partial = [leak for leak in leaks if leak["eval"] not in whole]
    assert len(partial) >= 3 and all(leak["kind"] == "partial" for leak in partial)
    language = {doc_id: doc["language"] for doc_id, doc in truth["documents"].items()}
    assert {language[leak["eval"]] for leak in partial} == {"en", "zh-Hans"}
    for leak in partial:  # one sentence of 13+ words (CJK characters) shared with one document
        (train,) = leak["train"]
        ev, other = docs[leak["eval"]], docs[train]
        sentence = leak["sentence"]
        assert sentence in ev.text and sentence in other.text
        assert not grams(ev.text.replace(sentence, "\n")) & grams(
            other.text.replace(sentence, "\n")
        )
        cjk = language[leak["eval"]] in truth["shingling"]["characters"]
        if cjk:
            assert sum("\u4e00" <= ch <= "\u9fff" for ch in sentence) >= n
        else:
            assert len(shingles(sentence, False, 1)) >= n
        a, b = (set(shingles(normalize_text(d.text), cjk)) for d in (ev, other))
        jaccard = len(a & b) / len(a | b)
        assert jaccard == pytest.approx(leak["jaccard"], abs=1e-4)
        assert jaccard < 0.2  # far from a near duplicate


def test_planted_pii_matches_find_pii(
    read_back: tuple[dict[str, Document], list[Quarantined]], truth: dict[str, Any]
) -> None:
    pii = pytest.importorskip("provaudit.core.pii", reason="provaudit.core.pii is not written yet")
    docs, _ = read_back
    zero = {k: 0 for k in ("email", "phone", "cn_id", "card", "ip")}
    for doc_id, doc in docs.items():
        assert pii.find_pii(doc.text)._asdict() == truth["pii"].get(doc_id, zero), doc_id
    assert truth["pii_decoys"] and not set(truth["pii_decoys"]) & set(truth["pii"])
    assert all(v > 0 for v in truth["pii_totals"].values())


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "OUT_DIR" in capsys.readouterr().out.upper()
    assert main([str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "planted.json").is_file()


@pytest.mark.skipif(not (BUNDLED / "planted.json").is_file(), reason="no bundled sample yet")
def test_bundled_sample_is_current(corpus: Path) -> None:
    """The committed sample/ is what the generator writes (compressed shards compared by content)."""
    fresh, bundled = files_of(corpus), files_of(BUNDLED)
    assert sorted(fresh) == sorted(bundled), "regenerate with: python -m provaudit.fixtures.sample sample"
    for name, data in fresh.items():
        if name.endswith((".gz", ".zst", ".parquet")):  # codec versions may change the bytes
            source = name.split("/")[0]
            spec = _spec_for(corpus, source, name)
            assert list(read_shard(str(corpus / name), name, spec)) == list(
                read_shard(str(BUNDLED / name), name, spec)
            ), name
        else:
            assert data == bundled[name], f"{name} differs: python -m provaudit.fixtures.sample sample"


def _spec_for(corpus: Path, source: str, shard: str) -> ReaderSpec:
    config_path = corpus / "config.yaml"
    config_path.write_text(yaml.safe_dump({"registry": "registry.yaml", "output": "out"}), "utf-8")
    config = load_config(config_path)
    fmt = next(s.format for s in list_shards(config) if s.name == shard)
    spec = next(s for s in config.sources if s.name == source)
    return spec.reader_spec(fmt, config.scan.max_doc_chars)


# --------------------------------------------------------------------------- audit checks
# The sample fails exactly three audit checks by design: an unlicensed source, an
# untrained-annotator labelling batch (test_labelling.py) and opted-out crawl pages.


def _registry_sources(corpus: Path) -> dict[str, dict[str, Any]]:
    registry = yaml.safe_load((corpus / "registry.yaml").read_text("utf-8"))
    return {s["name"]: s for s in registry["sources"]}


def _opt_out_domains(path: Path) -> set[str]:
    lines = (line.split("#", 1)[0].strip().lower() for line in path.read_text("utf-8").splitlines())
    return {line for line in lines if line}


def _is_opted_out(url: str | None, domains: set[str]) -> bool:
    """The pipeline's rule: the URL's host, or any parent domain of the host, is listed."""
    from urllib.parse import urlsplit

    labels = ((urlsplit(url).hostname or "") if url else "").split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels)) if labels[i:] != [""])


def test_opt_out_list_and_opted_out_documents(
    corpus: Path,
    read_back: tuple[dict[str, Document], list[Quarantined]],
    truth: dict[str, Any],
) -> None:
    docs, _ = read_back
    planted = truth["opt_out"]
    path = corpus / planted["file"]
    text = path.read_text("utf-8")
    assert text.startswith("#") and "text-and-data mining" in text and "robots" in text
    domains = _opt_out_domains(path)
    assert domains == set(planted["domains"]) and len(domains) >= 3
    found: dict[str, list[str]] = {}
    for doc_id, doc in sorted(docs.items()):
        if _is_opted_out(doc.url, domains):
            found.setdefault(doc.source, []).append(doc_id)
    assert found == planted["opted_out_documents"]
    assert set(found) == {"web_crawl"} and 2 <= len(found["web_crawl"]) <= 5
    # one listed domain holds those pages, the others appear nowhere (no URL of any source)
    hit = {d for d in domains if any(_is_opted_out(doc.url, {d}) for doc in docs.values())}
    assert len(hit) == 1 and len(domains - hit) >= 2
    # the rule matches parent domains: the pages sit on hosts below the listed domain
    (listed,) = hit
    hosts = {(docs[i].url or "").split("/")[2] for i in found["web_crawl"]}
    assert all(h.endswith("." + listed) for h in hosts)
    if (profiles := _optional("provaudit.core.profiles")) is not None and hasattr(
        profiles, "load_opt_out"
    ):
        opt_out = profiles.load_opt_out(str(path))
        assert opt_out == frozenset(domains)
        assert {i for i, doc in docs.items() if profiles.opted_out(doc.url, None, opt_out)} == set(
            found["web_crawl"]
        )


def _optional(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def test_inspection_verdicts_cover_exactly_the_training_documents(
    corpus: Path, truth: dict[str, Any]
) -> None:
    planted = truth["inspection"]
    lines = (corpus / planted["verdicts"]).read_text("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    registry = _registry_sources(corpus)
    training = {n for n, s in registry.items() if s.get("role", "train") != "eval"}
    expected = {
        (d["source"], d["shard"], d["location"])
        for d in truth["documents"].values()
        if d["source"] in training
    }
    keys = [(r["source"], r["shard"], r["location"]) for r in records]
    assert len(keys) == len(set(keys)) and set(keys) == expected
    assert keys == sorted(keys)
    for r in records:
        assert set(r) == {"source", "shard", "location", "verdict", "reviewer"}
        assert r["verdict"] in ("safe", "unsafe") and r["reviewer"].startswith("rev-")
    where = {(d["source"], d["shard"], d["location"]): i for i, d in truth["documents"].items()}
    unsafe: dict[str, list[str]] = {}
    for r in records:
        if r["verdict"] == "unsafe":
            unsafe.setdefault(r["source"], []).append(
                where[(r["source"], r["shard"], r["location"])]
            )
    assert unsafe == planted["unsafe"] and set(unsafe) == {"web_crawl"}
    assert len(unsafe["web_crawl"]) == 1
    reviewed = {s: sum(r["source"] == s for r in records) for s in training}
    assert reviewed == planted["reviewed"]
    assert {s: truth["sources"][s]["documents"] for s in training} == reviewed
    # the largest source, so one unsafe page is an unsafe share well under 5%
    assert max(reviewed, key=reviewed.get) == "web_crawl"
    assert 1 / reviewed["web_crawl"] <= 0.05
    # the unsafe page has no other planted role, so it fails nothing else
    (page,) = unsafe["web_crawl"]
    assert page not in truth["pii"] and page not in truth["pii_decoys"]
    assert all(page not in group for group in truth["exact_duplicates"])
    assert all(page not in (p["a"], p["b"]) for p in truth["near_duplicates"])


_BASES = {
    "consent",
    "contract",
    "legal-obligation",
    "public-interest",
    "legitimate-interest",
    "publicly-available",
    "none",
}


def test_consent_basis_declared_for_every_source_with_personal_data(
    corpus: Path, truth: dict[str, Any]
) -> None:
    registry = _registry_sources(corpus)
    with_pii = {truth["documents"][doc_id]["source"] for doc_id in truth["pii"]}
    assert with_pii >= {"web_crawl", "licensed_news", "forum_dump", "scraped_blogs"}
    for name, source in registry.items():
        basis = source["consent_basis"]
        assert basis in _BASES, name
        assert (basis != "none") == (name in with_pii), (name, basis)
        assert truth["sources"][name]["consent_basis"] == basis
        assert truth["sources"][name]["documents_with_pii"] == sum(
            truth["documents"][d]["source"] == name for d in truth["pii"]
        )
    assert registry["forum_dump"]["consent_basis"] == "consent"
    assert registry["licensed_news"]["consent_basis"] == "contract"


def test_every_source_has_evidence_and_scraped_blogs_only_lacks_a_license(corpus: Path) -> None:
    registry = _registry_sources(corpus)
    for name, source in registry.items():
        assert source.get("evidence", "").strip(), name
    blogs = registry["scraped_blogs"]
    assert blogs["license"] == "see website" and blogs["consent_basis"] != "none"


def test_unknown_license_shares(
    corpus: Path,
    read_back: tuple[dict[str, Document], list[Quarantined]],
    truth: dict[str, Any],
) -> None:
    """As the pipeline computes them: the document's license_field value, else the source's."""
    from provaudit.core.licenses import normalize_license

    docs, _ = read_back
    registry = _registry_sources(corpus)
    total: dict[str, int] = {}
    unknown: dict[str, int] = {}
    spellings: set[str] = set()
    for doc in docs.values():
        raw = (
            doc.license_raw if doc.license_raw is not None else registry[doc.source].get("license")
        )
        total[doc.source] = total.get(doc.source, 0) + 1
        if normalize_license(raw).category == "unknown":
            unknown[doc.source] = unknown.get(doc.source, 0) + 1
        elif doc.source == "web_crawl":
            spellings.add(raw)
    shares = {name: unknown.get(name, 0) / n for name, n in total.items()}
    assert shares["scraped_blogs"] == 1
    assert 0 < shares["web_crawl"] <= 0.04 and unknown["web_crawl"] >= 3
    assert all(
        share == 0 for name, share in shares.items() if name not in ("scraped_blogs", "web_crawl")
    )
    assert len(spellings) >= 15  # the crawl keeps its variety of license spellings
    for name, facts in truth["sources"].items():
        assert facts["unknown_license_documents"] == unknown.get(name, 0), name
        assert facts["unknown_license_share"] == pytest.approx(shares[name], abs=1e-6), name


def test_quarantine_shares_and_duplicate_rates_are_planted(truth: dict[str, Any]) -> None:
    for name, facts in truth["sources"].items():
        read = facts["documents"] + facts["quarantined"]
        assert facts["quarantine_share"] == pytest.approx(facts["quarantined"] / read, abs=1e-6)
    training = {d["source"] for d in truth["documents"].values()} - {"eval_qa"}
    for name in training:
        rates = truth["sources"][name]
        assert 0 <= rates["exact_duplicate_rate"] <= rates["near_duplicate_rate"] <= 1
        assert rates["near_duplicate_rate"] <= rates["duplicate_rate_any_source"] <= 1
    assert truth["sources"]["licensed_news"]["duplicate_rate_any_source"] >= 20 / 94

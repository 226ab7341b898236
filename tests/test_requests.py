"""Removal requests (issue 14, items 3 and 4): the requests file, matching in every run, status
night after night, the overdue expectation, and the counts in the index page and disclosures.

The runs use a copy of the sample corpus (`provaudit sample`) registered with its web_crawl
source only, so a whole run stays short. The planted document is ``wc-00119`` of
``web_crawl/part-00002.jsonl``: an edited copy of it (one word in fifty changed) is near
only to itself in the sample. Deadlines are either far in the future or years past, so no
result depends on the calendar date.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from provaudit.core.errors import ConfigError
from provaudit.core.requests import load_requests, request_status, run_date

ROOT = Path(__file__).resolve().parents[1]
PLANTED_ID = "wc-00119"
PLANTED_SHARD = "web_crawl/part-00002.jsonl"
FUTURE = "9999-12-31"


# --------------------------------------------------------------------------- helpers


def _write(path: Path, doc: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_requests(path)
    return str(info.value)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A sample copy with a web_crawl-only registry, the planted document and its edited copy."""
    from provaudit.core.findings import content_digest, normalize_text

    base = tmp_path_factory.mktemp("requests")
    sample = base / "sample"
    subprocess.run([sys.executable, "-m", "provaudit.cli", "sample", str(sample)], check=True,
                   capture_output=True)
    registry = yaml.safe_load((sample / "registry.yaml").read_text("utf-8"))
    registry["sources"] = [s for s in registry["sources"] if s["name"] == "web_crawl"]
    _write(sample / "registry-web.yaml", registry)
    planted = None
    for n, line in enumerate((sample / PLANTED_SHARD).read_bytes().splitlines(), 1):
        try:
            doc = json.loads(line.decode("utf-8"))
        except ValueError:
            continue
        if isinstance(doc, dict) and doc.get("id") == PLANTED_ID:
            planted = {"line": n, **doc}
    assert planted is not None, f"{PLANTED_ID} is no longer in the sample's {PLANTED_SHARD}"
    words = planted["text"].split(" ")
    assert len(words) >= 100
    for k in range(0, len(words), 50):  # one word in fifty changed
        words[k] = "quokka"
    (sample / "requests").mkdir()
    (sample / "requests" / "edited.txt").write_text(" ".join(words), encoding="utf-8")
    sha = content_digest(normalize_text(planted["text"])).sha256
    return {"base": base, "sample": sample, "planted": planted, "sha256": sha,
            "domain": "openhistory.org"}


def _requests_file(corpus: dict, extra: list | None = None) -> Path:
    planted = corpus["planted"]
    requests = [
        {"id": "REQ-TEXT", "received": "2026-01-05", "kind": "copyright",
         "criteria": {"text": "edited.txt"}, "deadline": FUTURE},
        {"id": "REQ-HASH", "received": "2026-01-05", "kind": "personal-information",
         "criteria": {"sha256": corpus["sha256"]}, "deadline": FUTURE, "note": "by e-mail"},
        {"id": "REQ-URL", "received": "2026-01-05", "kind": "opt-out",
         "criteria": {"url": planted["url"]}, "deadline": FUTURE},
        {"id": "REQ-DOMAIN", "received": "2026-01-05", "kind": "opt-out",
         "criteria": {"domain": corpus["domain"]}, "deadline": FUTURE},
        {"id": "REQ-NEVER", "received": "2020-01-05", "kind": "copyright", "criteria": {"sha256": "0" * 64}},
    ] + list(extra or [])
    return _write(corpus["sample"] / "requests" / "requests.yaml", {"requests": requests})


def _config(corpus: dict, name: str, output: str) -> Path:
    return _write(corpus["base"] / f"{name}.yaml", {
        "registry": str(corpus["sample"] / "registry-web.yaml"), "output": str(corpus["base"] / output),
        "beam": {"runner": "DirectRunner"},
        "requests": {"path": str(corpus["sample"] / "requests" / "requests.yaml")},
        "disclosure": {"languages": ["en", "zh-CN"]}})


# --------------------------------------------------------------------------- the requests file


def test_schema_copies_are_identical() -> None:
    for name in ("requests.schema.json", "config.schema.json"):
        assert (ROOT / "schemas" / name).read_bytes() == (ROOT / "src" / "provaudit" / "schemas" / name).read_bytes()


def test_a_request_gets_its_kinds_default_deadline(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("some text", encoding="utf-8")
    path = _write(tmp_path / "r.yaml", {"requests": [
        {"id": "R1", "received": "2026-01-31", "kind": "personal-information", "criteria": {"text": "a.txt"}},
        {"id": "R2", "received": "2026-01-31", "kind": "copyright", "criteria": {"domain": "https://news.bbc.co.uk/x"},
         "deadline": "2026-02-02"}]})
    r1, r2 = load_requests(path)
    assert str(r1.deadline) == "2026-03-02" and not r1.deadline_given  # 30 days
    assert r1.texts == (str((tmp_path / "a.txt").resolve()),)
    assert str(r2.deadline) == "2026-02-02" and r2.deadline_given and r2.domains == ("bbc.co.uk",)
    assert str(load_requests(path, {"personal-information": 15})[0].deadline) == "2026-02-15"
    # unquoted YAML dates and JSON lines work alike
    (tmp_path / "r2.yaml").write_text("requests:\n- id: R1\n  received: 2026-01-31\n  kind: opt-out\n"
                                      "  criteria: {url: 'https://example.com/a'}\n", encoding="utf-8")
    assert str(load_requests(tmp_path / "r2.yaml")[0].received) == "2026-01-31"
    (tmp_path / "r.jsonl").write_text(json.dumps({"id": "J1", "received": "2026-01-31", "kind": "opt-out",
                                                  "criteria": {"sha256": ["AB" * 32]}}) + "\n\n", encoding="utf-8")
    assert load_requests(tmp_path / "r.jsonl")[0].sha256 == ("ab" * 32,)


@pytest.mark.parametrize("request_doc, key, words", [
    ({"criteria": {"sha256": "xyz"}}, "requests[R-7].criteria.sha256", "not a SHA-256"),
    ({"criteria": {"sha256": ["a" * 64, "nothex"]}}, "requests[R-7].criteria.sha256", "not a SHA-256"),
    ({"criteria": {}}, "requests[R-7].criteria", "at least one criterion"),
    ({"criteria": {"ftp": "x"}}, "requests[R-7].criteria", "unknown key(s) 'ftp'"),
    ({"kind": "takedown"}, "requests[R-7].kind", "'takedown' is not one of"),
    ({"received": "2026-02-30"}, "requests[R-7].received", "not a calendar date"),
    ({"received": "May 5"}, "requests[R-7].received", "not a date as YYYY-MM-DD"),
    ({"deadline": "2025-01-01"}, "requests[R-7].deadline", "before the request was received"),
    ({"criteria": {"text": "missing.txt"}}, "requests[R-7].criteria.text", "no such file"),
    ({"criteria": {"domain": "127.0.0.1"}}, "requests[R-7].criteria.domain", "not a registrable domain"),
    ({"requester": "Jane"}, "requests[R-7]", "unknown key(s) 'requester'"),
    ({"id": "jane@example.com"}, "requests[0].id", "not a request id"),
])
def test_errors_name_the_file_the_request_and_the_key(tmp_path: Path, request_doc: dict, key: str, words: str) -> None:
    base = {"id": "R-7", "received": "2026-01-05", "kind": "copyright", "criteria": {"url": "https://a.example/x"}}
    base.update({k: v for k, v in request_doc.items() if k != "criteria"})
    if "criteria" in request_doc:
        base["criteria"] = request_doc["criteria"]
    path = _write(tmp_path / "requests.yaml", {"requests": [base]})
    message = _error(path)
    assert message.startswith(f"{path}: {key}: "), message
    assert words in message


def test_file_level_errors(tmp_path: Path) -> None:
    one = {"id": "R1", "received": "2026-01-05", "kind": "opt-out", "criteria": {"url": "https://a.example/x"}}
    path = _write(tmp_path / "requests.yaml", {"requests": [one, {**one}]})
    assert _error(path) == f"{path}: requests[R1].id: duplicate request id"
    path = _write(tmp_path / "requests.yaml", [one])
    assert "a YAML mapping with a 'requests' list" in _error(path)
    jsonl = tmp_path / "requests.jsonl"
    jsonl.write_text(json.dumps(one) + "\n{not json\n", encoding="utf-8")
    assert _error(jsonl).startswith(f"{jsonl}: line 2: invalid JSON")
    jsonl.write_text(json.dumps({**one, "kind": "x"}) + "\n", encoding="utf-8")
    assert _error(jsonl).startswith(f"{jsonl}: requests[R1].kind: ")
    assert "requests file not found" in _error(tmp_path / "none.yaml")


def test_the_run_config_checks_the_requests_file_when_it_loads(tmp_path: Path) -> None:
    from provaudit.core.config import load_config

    sample = ROOT / "sample"
    bad = _write(tmp_path / "requests.yaml", {"requests": [
        {"id": "R1", "received": "2026-01-05", "kind": "opt-out", "criteria": {"sha256": "12"}}]})
    config = _write(tmp_path / "config.yaml", {"registry": str(sample / "registry.yaml"), "output": str(tmp_path / "out"),
                                               "requests": {"path": "requests.yaml"}})
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert str(info.value).startswith(f"{bad}: requests[R1].criteria.sha256: ")
    _write(config, {"registry": str(sample / "registry.yaml"), "output": str(tmp_path / "out"),
                    "requests": {"path": "requests.yaml", "deadlines": {"copyright": -1}}})
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert "requests.deadlines.copyright" in str(info.value)
    _write(bad, {"requests": []})
    _write(config, {"registry": str(sample / "registry.yaml"), "output": str(tmp_path / "out"),
                    "requests": {"path": "requests.yaml", "deadlines": {"copyright": 14}}})
    settings = load_config(config).requests
    assert settings.path == str(bad.resolve()) and dict(settings.deadlines)["copyright"] == 14
    assert dict(settings.deadlines)["opt-out"] == 30


def test_status_open_overdue_closed_and_the_run_that_closed_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.yaml", {"requests": [
        {"id": "R1", "received": "2026-01-01", "kind": "copyright", "criteria": {"url": "https://a.example/"},
         "deadline": "2026-01-31"}]})
    (request,) = load_requests(path)
    jan31, feb1 = run_date("20260131T235959Z-0123abcd"), run_date("20260201T000000Z-0123abcd")
    assert request_status(request, 2, jan31, "A") == ("open", None)  # on the deadline day: still open
    assert request_status(request, 2, feb1, "B") == ("overdue", None)
    assert request_status(request, 0, feb1, "C") == ("closed", "C")
    assert request_status(request, 0, feb1, "D", {"status": "closed", "closed_by": "C"}) == ("closed", "C")
    assert request_status(request, 0, feb1, "D", {"status": "overdue", "closed_by": None}) == ("closed", "D")
    assert request_status(request, 1, feb1, "E", {"status": "closed", "closed_by": "C"}) == ("overdue", None)
    assert str(run_date("manual", "2026-03-04T10:00:00+00:00")) == "2026-03-04"


def test_the_sections_hold_counts_only_in_both_languages() -> None:
    from provaudit.reports.requests import render_requests_section, requests_section

    totals = {"open": 2, "overdue": 1, "closed": 3, "requests": 6}
    for lang in ("en", "zh-CN"):
        section = requests_section(totals, lang)
        assert section["id"] == "removal-requests" and [r[1] for r in section["table"]["rows"]] == [2, 1, 3]
        html = render_requests_section(totals, lang)
        assert "6" in html and "<script" not in html
    assert "2 open, 1 overdue" in requests_section(totals)["paragraphs"][0]


# --------------------------------------------------------------------------- runs


def _matches(report: dict) -> dict[str, dict]:
    return {r["id"]: r for r in report["requests"]}


def test_a_planted_request_is_found_by_text_hash_url_and_domain(corpus: dict) -> None:
    """Scan, then match (the lookup index is built on first use): no overlap, profile or GX needed."""
    from provaudit.core.config import load_config
    from provaudit.stages.requests import run_requests
    from provaudit.stages.scan import run_scan

    _requests_file(corpus)
    config = load_config(_config(corpus, "match", "out-match"))
    run_dir = run_scan(config, report=lambda line: None).run_dir
    report = run_requests(config, run_dir)
    by_id = _matches(report)
    where = (corpus["planted"]["line"], PLANTED_ID)
    for rid, how in (("REQ-TEXT", "near"), ("REQ-HASH", "exact"), ("REQ-URL", "url"), ("REQ-DOMAIN", "domain")):
        docs = by_id[rid]["documents"]
        hit = [d for d in docs if (int(d["location"].split(":")[1]), d["doc_id"]) == where]
        assert hit and hit[0]["shard"] == PLANTED_SHARD and hit[0]["source"] == "web_crawl", (rid, docs)
        assert how in hit[0]["matched_by"] and by_id[rid]["status"] == "open"
    assert [d["doc_id"] for d in by_id["REQ-TEXT"]["documents"]] == [PLANTED_ID]  # nothing else is near
    assert 0.5 <= by_id["REQ-TEXT"]["documents"][0]["jaccard"] < 1
    assert len(by_id["REQ-DOMAIN"]["documents"]) > 1  # every document of the domain
    assert by_id["REQ-NEVER"]["status"] == "closed" and by_id["REQ-NEVER"]["closed_by"] == Path(run_dir).name
    assert report["totals"] == {"open": 4, "overdue": 0, "closed": 1, "requests": 5}
    text = Path(run_dir, "requests.json").read_text("utf-8")
    # never a criterion's value or the document's text
    edited = (corpus["sample"] / "requests" / "edited.txt").read_text("utf-8")
    for secret in (corpus["sha256"], corpus["planted"]["url"], corpus["domain"], edited[:60],
                   corpus["planted"]["text"][:60], "by e-mail"):
        assert secret not in text


@pytest.mark.slow
def test_removal_closes_the_request_and_an_overdue_one_fails_validation(corpus: dict) -> None:
    """Run, remove the planted document from its shard, run nightly: the requests for it close
    with that night's run id; a request past its deadline fails validation (exit code 1)."""
    from provaudit.core.config import load_config
    from provaudit.stages.nightly import StageLog, run_all

    _requests_file(corpus)
    config_path = _config(corpus, "nightly", "out-nightly")
    log = StageLog(stream=io.StringIO())
    first = run_all(load_config(config_path), incremental=False, log=log)
    assert _matches(json.loads(Path(first["run_dir"], "requests.json").read_text("utf-8")))["REQ-URL"]["status"] == "open"

    shard = corpus["sample"] / PLANTED_SHARD
    lines = shard.read_bytes().splitlines(keepends=True)
    shard.write_bytes(b"".join(line for n, line in enumerate(lines, 1) if n != corpus["planted"]["line"]))
    _requests_file(corpus, extra=[  # past its (default, 30-day) deadline and still matching
        {"id": "REQ-LATE", "received": "2020-01-05", "kind": "personal-information",
         "criteria": {"domain": corpus["domain"]}}])
    second = run_all(load_config(config_path), incremental=True, fail_on="new", log=log)
    run_dir = Path(second["run_dir"])
    by_id = _matches(json.loads((run_dir / "requests.json").read_text("utf-8")))
    for rid in ("REQ-TEXT", "REQ-HASH", "REQ-URL"):
        assert by_id[rid]["status"] == "closed" and by_id[rid]["closed_by"] == second["run_id"], by_id[rid]
        assert by_id[rid]["documents"] == []
    assert by_id["REQ-NEVER"]["closed_by"] == first["run_id"]  # closed by the first run, kept
    assert by_id["REQ-DOMAIN"]["status"] == "open" and by_id["REQ-LATE"]["status"] == "overdue"

    # the overdue request fails the removal_requests suite, and only it is new: exit code 1
    failed = [v for v in second["validation"]["verdicts"] if v["suite"] == "removal_requests" and not v["success"]]
    assert [(v["failing"], v["requirement_ids"]) for v in failed] == [(["REQ-LATE"], ["CN-TC-5.2-pi"])]
    assert second["code"] == 1 and second["newly_failing"]
    assert all(k.startswith("removal_requests") for k in second["newly_failing"]), second["newly_failing"]

    # evidence for the engineer who removes them
    rows = list(csv.DictReader((run_dir / "evidence" / "requests.csv").open(encoding="utf-8")))
    assert {r["request"] for r in rows} == {"REQ-DOMAIN", "REQ-LATE"}
    assert all(r["source"] == "web_crawl" and r["shard"] and r["location"] and r["doc_id"] for r in rows)
    assert (run_dir / "evidence" / "removal_requests-overdue_matches-2.csv").is_file()

    # counts, never ids or criteria, on the index pages and in the disclosures
    index = (run_dir / "index.html").read_text("utf-8")
    assert "6 removal request(s): 1 open, 1 overdue" in index and "4 closed" in index
    assert 'href="evidence/requests.csv"' in index
    assert "未结 1 件，逾期 1 件" in (run_dir / "index.zh-CN.html").read_text("utf-8")
    for kind in ("legitimate_sources", "labelling_process", "cn_filing_annex", "eu_training_summary", "ca_ab2013"):
        doc = json.loads((run_dir / "disclosures" / f"{kind}.json").read_text("utf-8"))
        assert doc["facts"]["removal_requests"] == {"open": 1, "overdue": 1, "closed": 4, "requests": 6}
        text = (run_dir / "disclosures" / f"{kind}.html").read_text("utf-8")
        assert "6 removal request(s)" in text
        for secret in (corpus["sha256"], corpus["planted"]["url"], "REQ-DOMAIN"):
            assert secret not in text  # an overdue request is named by its id where it fails; no criterion
    assert "删除请求 6 件" in (run_dir / "disclosures" / "zh-CN" / "legitimate_sources.html").read_text("utf-8")

    # an unchanged night keeps the closing run's id
    third = run_all(load_config(config_path), incremental=True, log=log)
    by_id = _matches(json.loads(Path(third["run_dir"], "requests.json").read_text("utf-8")))
    assert by_id["REQ-URL"]["closed_by"] == second["run_id"] and third["code"] == 1
    # the CLI's validate gives exit code 1 too
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-m", "provaudit.cli", "validate", str(config_path), "--run",
                           third["run_id"]], capture_output=True, text=True, env=env)
    assert done.returncode == 1, done.stderr

"""Nightly operation on a copy of the sample corpus: reuse, drift, history, kill and resume.

Each test runs several nights over its own copy of the sample, changing it between nights
as a corpus changes in real life (a new shard, a licence fixed in the registry, an
opted-out page slipping in), and checks what the manifest, drift report, index page,
history, exit code and OpenLineage events say.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pyarrow.parquet as pq
import pytest
import yaml

from conftest import ROOT, SAMPLE, write_yaml
from provaudit.core.config import load_config
from provaudit.stages.nightly import StageLog, run_all
from provaudit.stages.runs import find_run, is_complete, latest_run_id, list_runs, read_history

pytestmark = pytest.mark.timeout(900)


def _corpus(tmp_path: Path) -> tuple[Path, Path]:
    """Copy the sample corpus and write a config over the copy; return (corpus, config)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE, corpus)
    config = write_yaml(tmp_path / "config.yaml", {
        "registry": str(corpus / "registry.yaml"),
        "output": str(tmp_path / "out"),
        "opt_out": str(corpus / "opt_out.txt"),
        "inspection": {"sample_size": 4000, "seed": 0, "verdicts": [str(corpus / "inspection" / "verdicts.jsonl")]},
        "beam": {"runner": "DirectRunner"},
    })
    return corpus, config


def _night(config: Path, incremental: bool = True, fail_on: str = "any") -> dict:
    log = StageLog("json", stream=open(os.devnull, "w"))
    return run_all(load_config(str(config)), incremental=incremental, fail_on=fail_on, log=log)


def _files(run_dir: str, folder: str, pattern: str = "**/*.parquet") -> dict[str, bytes]:
    base = Path(run_dir) / folder
    return {str(p.relative_to(base)): p.read_bytes() for p in sorted(base.glob(pattern))}


def _verdicts(run_dir: str) -> list[tuple]:
    results = json.loads((Path(run_dir) / "validation" / "results.json").read_text("utf-8"))
    return [(v["suite"], v["description"], v["success"], v["failing"]) for v in results["verdicts"]]


def _shards(run_dir: str) -> dict[str, dict]:
    manifest = json.loads((Path(run_dir) / "manifest.json").read_text("utf-8"))
    return {s["path"]: s for s in manifest["shards"]}


def _add_forum_post(corpus: Path, name: str, text: str) -> str:
    (corpus / "forum_dump" / name).write_text(text, encoding="utf-8")
    return f"forum_dump/{name}"


NEW_POST = ("Notes from the allotment society meeting. We agreed to rotate the compost bays every "
            "six weeks, to share the new rainwater butts between plots nine to fourteen, and to ask "
            "the council about the broken gate on the north path before the spring planting begins.")


def test_nights_reuse_unchanged_shards_and_report_what_changed(tmp_path: Path) -> None:
    corpus, config = _corpus(tmp_path)
    first = _night(config)
    # the sample fails four; without screening configured, three content-screening checks fail too
    # (CN-TC-5.2a coverage and keyword share measured, CN-TC-9.2-auto)
    assert first["code"] == 1 and len(first["newly_failing"]) == 4 + 3
    assert first["drift"] is None and first["previous"] is None
    assert {s["status"] for s in _shards(first["run_dir"]).values()} == {"scanned"}

    # Night 2, nothing changed: no shard read, every output as the first night's.
    second = _night(config, fail_on="new")
    assert second["code"] == 0 and second["newly_failing"] == []  # known failures do not page
    shards = _shards(second["run_dir"])
    assert {s["status"] for s in shards.values()} == {"reused"}
    assert {s["reused_from"] for s in shards.values()} == {first["run_id"]}
    for folder in ("ledger", "quarantine", "overlap", "index", "profiles"):
        pattern = "**/*.jsonl" if folder == "quarantine" else "**/*.parquet"
        assert _files(second["run_dir"], folder, pattern) == _files(first["run_dir"], folder, pattern), folder
    assert _verdicts(second["run_dir"]) == _verdicts(first["run_dir"])
    assert second["drift"]["unchanged"] is True
    assert _night(config, fail_on="any")["code"] == 1  # the same failures, without --fail-on new

    # Night 4: one shard added. Only it is read; the drift report and the index page name it.
    added = _add_forum_post(corpus, "post-9999.txt", NEW_POST)
    fourth = _night(config, fail_on="new")
    shards = _shards(fourth["run_dir"])
    assert [p for p, s in shards.items() if s["status"] == "scanned"] == [added]
    assert shards[added]["reason"].startswith("new shard")
    assert [s["path"] for s in fourth["drift"]["shards"]["added"]] == [added]
    assert fourth["drift"]["sources"]["changed"]["forum_dump"]["documents"]["change"] == 1
    index = (Path(fourth["run_dir"]) / "index.html").read_text("utf-8")
    assert added in index and "Changes since the previous run" in index
    drift_file = json.loads((Path(fourth["run_dir"]) / "drift.json").read_text("utf-8"))
    assert drift_file == fourth["drift"]

    # Night 5: a source's licence fixed in the registry: its shards are rescanned, saying why,
    # the licence change shows per source, and the failing expectation passes again.
    registry = yaml.safe_load((corpus / "registry.yaml").read_text("utf-8"))
    blogs = next(s for s in registry["sources"] if s["name"] == "scraped_blogs")
    old_license = blogs.get("license")  # the sample's is a string no licence table knows
    blogs["license"] = "CC-BY-4.0"
    blogs["evidence"] = "licence statement on each blog's about page, archived 2024-05"
    write_yaml(corpus / "registry.yaml", registry)
    fifth = _night(config, fail_on="new")
    shards = _shards(fifth["run_dir"])
    rescanned = {p: s for p, s in shards.items() if s["status"] == "scanned"}
    assert rescanned and {s["source"] for s in rescanned.values()} == {"scraped_blogs"}
    assert all(f"registry entry license: {old_license!r} -> 'CC-BY-4.0'" in s["reason"] for s in rescanned.values())
    change = fifth["drift"]["sources"]["changed"]["scraped_blogs"]
    assert change["license_declared"] == {"before": old_license, "after": "CC-BY-4.0"}
    assert "license_categories" in change
    newly_passing = [d for d in fifth["drift"]["expectations"] if d["status"] == "newly passing"]
    assert any("license" in d["expectation"] for d in newly_passing)
    assert "CC-BY-4.0" in (Path(fifth["run_dir"]) / "index.html").read_text("utf-8")
    assert fifth["code"] == 0  # two known failures left, none new
    ab2013 = json.loads((Path(fifth["run_dir"]) / "disclosures" / "ca_ab2013.json").read_text("utf-8"))
    first_used = ab2013["facts"]["items"]["US-CA-11"]  # AB 2013 item 11 comes from the history
    assert {v["first_seen_run"] for v in first_used.values()} == {first["run_id"]}
    assert {v["run_started"] for v in first_used.values()} == {first["record"]["started"][:10]}

    # Night 6: a page from an opted-out domain slips into a licensed feed. The opt-out
    # expectation already failed (for web_crawl), but now fails for one more source: that is
    # new, and pages even with --fail-on new.
    domain = next(line.strip() for line in (corpus / "opt_out.txt").read_text("utf-8").splitlines()
                  if line.strip() and not line.startswith("#"))
    with gzip.open(corpus / "licensed_news" / "late.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"article_id": "late-1", "link": f"https://www.{domain}/essay",
                             "body": NEW_POST.replace("allotment", "reading")}) + "\n")
    sixth = _night(config, fail_on="new")
    assert sixth["code"] == 1 and len(sixth["newly_failing"]) == 1
    first_change = sixth["drift"]["expectations"][0]
    assert first_change["status"] == "failing for more" and first_change["newly_failing"] == ["licensed_news"]
    assert "licensed_news (new)" in (Path(sixth["run_dir"]) / "index.html").read_text("utf-8")

    # History: one row per complete run, latest is the last one, history.html lists them.
    output = str(tmp_path / "out")
    rows = read_history(output)
    runs = [first, second, None, fourth, fifth, sixth]
    assert [r["run_id"] for r in rows][0] == first["run_id"] and len(rows) == 6
    assert latest_run_id(output) == sixth["run_id"]
    assert [r["shards_scanned"] for r in rows][:2] == [len(_shards(first["run_dir"])), 0]
    assert all(r.state == "complete" for r in list_runs(output))
    page = (tmp_path / "out" / "history.html").read_text("utf-8")
    assert all(r["run_id"] in page for r in runs if r)


def test_a_new_failure_fails_the_night_with_fail_on_new(tmp_path: Path) -> None:
    corpus, config = _corpus(tmp_path)
    assert _night(config, fail_on="new")["code"] == 1  # first night: every failure is new
    registry = yaml.safe_load((corpus / "registry.yaml").read_text("utf-8"))
    news = next(s for s in registry["sources"] if s["name"] == "licensed_news")
    del news["evidence"]  # a licensed source loses its contract reference
    write_yaml(corpus / "registry.yaml", registry)
    night = _night(config, fail_on="new")
    assert night["code"] == 1
    assert night["newly_failing"] and all(k.startswith("legitimate_sources") for k in night["newly_failing"])
    assert night["drift"]["expectations"][0]["status"] == "newly failing"
    assert "licensed_news" in night["drift"]["expectations"][0]["failing"]


def _wait_for(predicate, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_killed_night_is_never_reused_and_the_next_night_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    corpus, config = _corpus(tmp_path)
    first = _night(config)
    added = _add_forum_post(corpus, "post-9998.txt", NEW_POST)
    out = tmp_path / "out"
    before = set(os.listdir(out))
    proc = subprocess.Popen([sys.executable, "-m", "provaudit.cli", "nightly", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        def scanning() -> bool:
            new = [d for d in set(os.listdir(out)) - before if d[0].isdigit()]
            return bool(new) and (out / new[0] / "_work").exists()
        assert _wait_for(scanning, 120), "the night never started its scan"
        os.killpg(proc.pid, signal.SIGKILL)  # midway through the scan
    finally:
        proc.wait(timeout=60)
    killed = next(d for d in set(os.listdir(out)) - before if d[0].isdigit())
    assert not is_complete(str(out / killed)) and latest_run_id(str(out)) == first["run_id"]
    states = {r.run_id: r.state for r in list_runs(str(out))}
    assert states[killed] == "incomplete"
    assert find_run(str(out), None, "overlap") == first["run_dir"]  # no later stage reads it

    resumed = _night(config)
    shards = _shards(resumed["run_dir"])
    assert [p for p, s in shards.items() if s["status"] == "scanned"] == [added]
    assert {s["reused_from"] for s in shards.values() if s["status"] == "reused"} == {first["run_id"]}

    _, fresh_config = _corpus(tmp_path / "fresh")
    shutil.copy(corpus / "forum_dump" / "post-9998.txt", tmp_path / "fresh" / "corpus" / "forum_dump")
    fresh = _night(fresh_config, incremental=False)
    assert _files(resumed["run_dir"], "ledger") == _files(fresh["run_dir"], "ledger")
    for table in ("clusters", "pairs"):
        assert (pq.read_table(Path(resumed["run_dir"]) / "overlap" / f"{table}.parquet")
                == pq.read_table(Path(fresh["run_dir"]) / "overlap" / f"{table}.parquet"))
    assert _verdicts(resumed["run_dir"]) == _verdicts(fresh["run_dir"])


def test_every_stage_emits_openlineage_start_and_complete(tmp_path: Path) -> None:
    _, config = _corpus(tmp_path)
    night = _night(config)
    schema = json.loads((ROOT / "schemas" / "openlineage-event.schema.json").read_text("utf-8"))
    events = [json.loads(line) for line in
              (Path(night["run_dir"]) / "lineage.jsonl").read_text("utf-8").splitlines()]
    for event in events:
        jsonschema.validate(event, schema)
    pairs = [(e["job"]["name"], e["eventType"]) for e in events]
    stages = ("scan", "overlap", "profile", "validate", "disclose")
    assert pairs == [(f"provaudit.{s}", t) for s in stages for t in ("START", "COMPLETE")]
    for stage in stages:
        ids = {e["run"]["runId"] for e in events if e["job"]["name"] == f"provaudit.{stage}"}
        assert len(ids) == 1
    assert len({json.dumps(e["run"]["facets"]["parent"], sort_keys=True) for e in events}) == 1
    validate = next(e for e in events if e["job"]["name"] == "provaudit.validate" and e["eventType"] == "COMPLETE")
    facet = validate["inputs"][0]["inputFacets"]["dataQualityAssertions"]
    from provaudit.stages.validate import SUITES, load_suite

    assert len(facet["assertions"]) == sum(len(load_suite(n)["expectations"]) for n in SUITES if n != "removal_requests")
    # the four planted failures, three screening checks without screening configured, and the
    # four recommended CN-TC-8.1 library checks (warnings) with no library
    assert sum(not a["success"] for a in facet["assertions"]) == 4 + 3 + 4
    assert all(e["run"]["facets"]["provaudit"]["configHash"] == load_config(str(config)).config_hash
               for e in events)

"""OpenLineage run events: provaudit.stages.lineage against schemas/openlineage-event.schema.json.

HTTP is only ever pointed at 127.0.0.1: a socket bound but not listening (refused) and a
small http.server in a thread on a random port.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from conftest import ROOT
from jsonschema import Draft202012Validator, FormatChecker

from provaudit.stages.lineage import PARENT_JOB, RUN_NAMESPACE, Lineage

SCHEMA = json.loads((ROOT / "schemas" / "openlineage-event.schema.json").read_text("utf-8"))
RUN_ID = "20250101T000000Z-0123abcd"
QUALITY = [
    {"assertion": "ledger_rows_match_manifest", "success": True, "column": None},
    {"assertion": "sha256_not_null", "success": False, "column": "sha256"},
]
PROXY_VARS = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"]


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every request of these tests on loopback, whatever the shell's proxy settings."""
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


def emit_three_stages(run_dir: Path, url: str | None = None) -> list[dict[str, Any]]:
    """START/COMPLETE for scan and overlap, START/FAIL for profile; return the file's events."""
    lineage = Lineage(str(run_dir), RUN_ID, url=url, config_hash="cafe" * 16,
                      beam_version="2.77.0", provaudit_version="0.1.0")
    shards = [("file", "/data/web/shard-0000.jsonl"), ("provaudit", "web")]
    ledger = [("file", f"{run_dir}/ledger")]
    overlap = [("file", f"{run_dir}/overlap")]
    lineage.start("scan", shards, ledger)
    lineage.complete("scan", shards, ledger)
    lineage.start("overlap", ledger, overlap)
    lineage.complete("overlap", ledger, overlap, quality=QUALITY)
    lineage.start("profile", ledger, [("file", f"{run_dir}/profile")])
    lineage.fail("profile", ledger, [("file", f"{run_dir}/profile")],
                 error="InputError: no ledger rows")
    lines = (run_dir / "lineage.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines]


def pruned(value: Any) -> Any:
    """The value without empty dicts (the client's Serde keeps ``"facets": {}`` and the like)."""
    if isinstance(value, dict):
        return {k: pruned(v) for k, v in value.items() if v != {}}
    if isinstance(value, list):
        return [pruned(v) for v in value]
    return value


def stage_uuid(stage: str) -> str:
    return str(uuid.uuid5(RUN_NAMESPACE, f"provaudit.{stage}:{RUN_ID}"))


@pytest.fixture
def events(tmp_path: Path) -> list[dict[str, Any]]:
    return emit_three_stages(tmp_path / "run" / "nested")


def test_every_line_validates_against_the_schema(events: list[dict[str, Any]]) -> None:
    Draft202012Validator.check_schema(SCHEMA)
    checker = FormatChecker()
    assert "uuid" in checker.checkers  # runIds are format-checked
    validator = Draft202012Validator(SCHEMA, format_checker=checker)
    assert len(events) == 6
    for event in events:
        assert sorted(e.message for e in validator.iter_errors(event)) == []
        if "date-time" not in checker.checkers:  # jsonschema checks it only with rfc3339-validator
            stamp = datetime.fromisoformat(event["eventTime"])
            assert stamp.tzinfo is not None and "T" in event["eventTime"]
    assert [(e["job"]["name"], e["eventType"]) for e in events] == [
        ("provaudit.scan", "START"), ("provaudit.scan", "COMPLETE"),
        ("provaudit.overlap", "START"), ("provaudit.overlap", "COMPLETE"),
        ("provaudit.profile", "START"), ("provaudit.profile", "FAIL")]


def test_the_schema_rejects_what_the_spec_rejects(events: list[dict[str, Any]]) -> None:
    validator = Draft202012Validator(SCHEMA, format_checker=FormatChecker())
    good = events[1]
    broken = [
        {**good, "eventType": "DONE"},
        {**good, "run": {**good["run"], "runId": "not-a-uuid"}},
        {k: v for k, v in good.items() if k != "producer"},
        {**good, "job": {"namespace": "provaudit"}},
        {**good, "outputs": [{"namespace": "file"}]},
        {**good, "run": {**good["run"], "facets": {"custom": {"_producer": "https://x.example/p"}}}},
        {**good, "producer": "not a uri"},
    ]
    for event in broken:
        assert not validator.is_valid(event), event


def test_events_are_accepted_by_the_clients_generated_classes(events: list[dict[str, Any]]) -> None:
    # openlineage-python has no JSON -> event parser (1.54.0); rebuild the core with the
    # generated classes, whose validators check runId (UUID) and eventTime (ISO date-time).
    from openlineage.client.event_v2 import (
        InputDataset,
        Job,
        OutputDataset,
        Run,
        RunEvent,
        RunState,
    )
    from openlineage.client.serde import Serde

    for event in events:
        rebuilt = RunEvent(
            eventType=RunState(event["eventType"]), eventTime=event["eventTime"],
            producer=event["producer"], run=Run(runId=event["run"]["runId"]),
            job=Job(namespace=event["job"]["namespace"], name=event["job"]["name"]),
            inputs=[InputDataset(d["namespace"], d["name"]) for d in event["inputs"]],
            outputs=[OutputDataset(d["namespace"], d["name"]) for d in event["outputs"]])
        again = Serde.to_dict(rebuilt)
        assert again["schemaURL"] == event["schemaURL"]
        for key in ("eventType", "eventTime", "producer", "job"):
            assert again[key] == event[key]


def test_start_and_end_share_the_stage_run_id_and_the_parent(events: list[dict[str, Any]]) -> None:
    ids = {}
    for event in events:
        stage = event["job"]["name"].removeprefix("provaudit.")
        ids.setdefault(stage, set()).add(event["run"]["runId"])
    assert ids == {s: {stage_uuid(s)} for s in ("scan", "overlap", "profile")}
    parent_id = str(uuid.uuid5(RUN_NAMESPACE, f"{PARENT_JOB}:{RUN_ID}"))
    parents = [pruned(e["run"]["facets"]["parent"]) for e in events]
    assert all(p == parents[0] for p in parents)
    assert parents[0]["run"] == {"runId": parent_id}
    assert parents[0]["job"] == {"namespace": "provaudit", "name": "provaudit.run"}
    assert parents[0]["root"] == {"run": {"runId": parent_id}, "job": parents[0]["job"]}
    assert parent_id not in ids["scan"] | ids["overlap"] | ids["profile"]
    assert all(e["job"]["namespace"] == "provaudit" for e in events)


def test_run_facets_name_the_engine_and_the_config(events: list[dict[str, Any]]) -> None:
    from openlineage.client.constants import __version__ as client_version

    for event in events:
        facets = event["run"]["facets"]
        engine = facets["processing_engine"]
        assert (engine["name"], engine["version"], engine["openlineageAdapterVersion"]) == (
            "Apache Beam", "2.77.0", client_version)
        assert facets["provaudit"]["configHash"] == "cafe" * 16
        assert facets["provaudit"]["provauditVersion"] == "0.1.0"
        assert facets["provaudit"]["_schemaURL"].endswith(
            "openlineage-event.schema.json#/$defs/ProvauditRunFacet")
        assert event["producer"] == "https://pypi.org/project/provaudit/0.1.0"
        assert ("errorMessage" in facets) == (event["eventType"] == "FAIL")


def test_fail_carries_only_the_message(events: list[dict[str, Any]]) -> None:
    error = events[-1]["run"]["facets"]["errorMessage"]
    assert error["message"] == "InputError: no ledger rows"
    assert error["programmingLanguage"] == "python"
    assert "stackTrace" not in error


def test_quality_goes_on_the_first_input_as_an_input_facet(events: list[dict[str, Any]]) -> None:
    complete = events[3]
    assert complete["job"]["name"] == "provaudit.overlap" and complete["eventType"] == "COMPLETE"
    facet = pruned(complete["inputs"][0]["inputFacets"]["dataQualityAssertions"])
    assert facet["assertions"] == [
        {"assertion": "ledger_rows_match_manifest", "success": True},
        {"assertion": "sha256_not_null", "success": False, "column": "sha256"},
    ]
    assert "DataQualityAssertionsDatasetFacet" in facet["_schemaURL"]
    for event in events[:3] + events[4:]:
        assert all(not d.get("inputFacets") for d in event["inputs"])
    assert all(not d.get("outputFacets") for e in events for d in e["outputs"])


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    lineage = Lineage(str(tmp_path), RUN_ID)
    with pytest.raises(ValueError, match="first input"):
        lineage.complete("validate", [], [("file", "/x")], quality=QUALITY)
    with pytest.raises(ValueError, match="'success'"):
        lineage.complete("validate", [("file", "/x")], [],
                         quality=[{"assertion": "a", "success": "yes"}])
    with pytest.raises(ValueError, match="'run'"):
        lineage.start("run", [], [])
    with pytest.raises(ValueError, match="local"):
        Lineage("gs://bucket/run", RUN_ID)
    with pytest.raises(ValueError, match="http"):
        Lineage(str(tmp_path), RUN_ID, url="127.0.0.1:5000")
    assert not (tmp_path / "lineage.jsonl").exists()


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback port bound but not listening: connections to it are refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1/lineage"
    finally:
        sock.close()


@pytest.mark.timeout(120)
def test_a_dead_endpoint_warns_once_and_the_file_is_still_written(
        tmp_path: Path, refused_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="provaudit.stages.lineage"):
        events = emit_three_stages(tmp_path / "run", url=refused_url)
    assert len(events) == 6
    ours = [r for r in caplog.records if r.name == "provaudit.stages.lineage"]
    assert len(ours) == 1 and ours[0].levelno == logging.WARNING
    assert "lineage.jsonl only" in ours[0].getMessage()


class _Collector(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append((self.path, json.loads(body)))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.timeout(120)
def test_a_local_http_endpoint_receives_every_event(tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    handler = type("Collector", (_Collector,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/lineage"
        with caplog.at_level(logging.WARNING, logger="provaudit.stages.lineage"):
            events = emit_three_stages(tmp_path / "run", url=url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert not [r for r in caplog.records if r.name == "provaudit.stages.lineage"]
    assert [path for path, _ in handler.received] == ["/api/v1/lineage"] * 6
    assert [body for _, body in handler.received] == events

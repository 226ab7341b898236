"""AI-generated-content labels (provaudit.core.aigc): the implicit label object, front matter,
explicit phrases, the readers' label field, the registry's generator and, on the sample
corpus, the profile's AIGC columns against planted.json."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE, run_stages, write_yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from provaudit.core.aigc import (
    DEFAULT_PHRASES,
    MAX_META_CHARS,
    MAX_PRODUCER_CHARS,
    AigcDetector,
    front_matter_label,
    meta_text,
    parse_label,
)
from provaudit.core.config import load_config
from provaudit.core.profiles import SourceStats, aigc_columns
from provaudit.core.readers import ReaderSpec, read_shard
from provaudit.core.records import Document

PLANTED = json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8"))
NONE = {"aigc_label": None, "aigc_via": None, "aigc_producer": None}


def _detector(**kw) -> AigcDetector:
    det = AigcDetector(**kw)
    det.setup()
    return det


# --------------------------------------------------------------------------- parse_label

@pytest.mark.parametrize("obj, label", [
    ({"Label": 1, "ContentProducer": "Qwen"}, "1"),
    ({"Label": "2"}, "2"),
    ({"label": " 3 "}, "3"),
    ({"LABEL": 1}, "1"),
    ('{"Label": "1"}', "1"),
    (json.dumps(json.dumps({"Label": 2})), "2"),  # JSON text holding JSON text
    ({"AIGC": {"Label": 3}}, "3"),  # wrapped once
    ({"aigc": '{"label": 1}'}, "1"),
])
def test_parse_label_reads_the_implicit_label(obj, label) -> None:
    assert parse_label(obj).label == label


@pytest.mark.parametrize("obj", [
    {"Label": 0}, {"Label": 4}, {"Label": "yes"}, {"Label": True}, {"Label": 1.5}, {"Label": None},
    {"Label": [1]}, {"ContentProducer": "x"}, {}, [], "not json", "[1, 2]", 1, None, "null",
    '{"Label": ', {"AIGC": "garbage"},
])
def test_parse_label_never_takes_an_unknown_value(obj) -> None:
    found = parse_label(obj)
    assert found.label is None and found.problem


def test_parse_label_keys_any_case_and_the_producer() -> None:
    found = parse_label({"label": 1, "CONTENTPRODUCER": "  Model\tX  ", "produceid": "p"})
    assert found == ("1", "Model X", None)
    assert parse_label({"Label": 2, "ContentProducer": {"name": "m", "v": 2}}).producer == '{"name": "m", "v": 2}'


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_parse_label_never_raises_and_labels_only_known_values(value) -> None:
    for obj in (value, json.dumps(value)):
        found = parse_label(obj)
        assert found.label in (None, "1", "2", "3")
        assert (found.label is None) == (found.problem is not None)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([1, 2, 3, "1", "2", "3"]), st.text(max_size=30),
       st.sampled_from(["Label", "label", "LABEL", "lAbEl"]))
def test_parse_label_round_trips_through_meta_text(label, producer, key) -> None:
    found = parse_label(meta_text({key: label, "ContentProducer": producer}))
    assert found.label == str(label)
    assert found.producer == (" ".join(producer.split()) or None)


def test_meta_text_is_compact_sorted_and_capped() -> None:
    assert meta_text({"b": 1, "Label": "1"}) == '{"Label":"1","b":1}'
    assert meta_text(None) is None
    assert meta_text("3") == '"3"'
    big = {"Label": 1, "ContentProducer": "p" * 10_000, "Other": "x" * 10_000}
    text = meta_text(big)
    assert len(text) <= MAX_META_CHARS
    assert parse_label(text).label == "1" and "Other" not in text
    cut = meta_text(["x" * 10_000])
    assert len(cut) <= MAX_META_CHARS and parse_label(cut).label is None


# --------------------------------------------------------------------------- front matter

def test_front_matter_label() -> None:
    text = "---\nAIGC:\n  Label: 1\n  ContentProducer: Qwen\ntitle: t\n---\nbody"
    assert front_matter_label(text) == ("1", "Qwen", None)
    assert front_matter_label("\ufeff---\naigc: {label: '2'}\n...\nbody").label == "2"
    assert front_matter_label('---\nAIGC: \'{"Label": 3}\'\n---\nbody').label == "3"
    assert front_matter_label("---\ntitle: no label\n---\nbody") is None
    assert front_matter_label("body\n---\nAIGC: {Label: 1}\n---\n") is None  # not at the start
    assert front_matter_label("---\nAIGC: {Label: 1}\nnever closed") is None
    assert front_matter_label("--- x\nAIGC: {Label: 1}\n---\n") is None
    bad = front_matter_label("---\nAIGC: [unclosed\n---\nbody")
    assert bad is not None and bad.label is None
    bomb = "---\na: &a [AIGC, AIGC, AIGC, AIGC, AIGC, AIGC, AIGC, AIGC, AIGC, AIGC]\n"
    bomb += "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                    for p, c in zip("abcdef", "bcdefg"))
    bomb += "AIGC: {Label: 1}\n---\nbody"
    assert front_matter_label(bomb).label is None  # the alias bomb is refused, not expanded


# --------------------------------------------------------------------------- explicit labels

FILLER = "Tea is a drink made by pouring hot water over cured leaves. " * 60


@pytest.mark.parametrize("text", [
    "【本内容由人工智能生成】\n\n" + FILLER,
    FILLER + "\n\n（注：本文由AI生成）",
    FILLER + "\n\n[AI-generated content]",
    FILLER + "\n\nThis text was generated by AI.",
    "ＡＩ生成\n" + FILLER,  # full-width
    "*AI‑Generated*\n" + FILLER,  # a non-breaking hyphen, mixed case
    "Generated  by   artificial intelligence\n" + FILLER,
])
def test_explicit_labels_near_the_start_or_end(text: str) -> None:
    assert _detector().fields(text, None) == {"aigc_label": "explicit", "aigc_via": "text",
                                             "aigc_producer": None}


@pytest.mark.parametrize("text", [
    FILLER,
    # discussing AI-generated content in prose is not a label
    "Since 2025, platforms must mark AI-generated content with a label at the start of a text, and "
    "readers may or may not notice such labels when they read a long article.\n\n" + FILLER,
    "What is AI-generated content?\n\n" + FILLER,  # a question
    "关于人工智能生成内容的标识办法，平台需要在文本的起始或末尾添加提示，读者是否会注意到这些标识仍然值得研究和讨论，本文回顾相关规定的背景。\n\n" + FILLER,
    # a label line in the middle of a long text is outside both windows
    FILLER + "\n\n[AI-generated]\n\n" + FILLER,
    "AI is a field of computer science.\n" + FILLER,  # "AI" alone
])
def test_text_that_is_no_label(text: str) -> None:
    assert _detector().fields(text, None) == NONE


def test_phrase_window_and_configured_phrases() -> None:
    text = "x " * 300 + "\n[AI-generated]\n" + "y " * 300
    assert _detector().fields(text, None)["aigc_label"] == "explicit"
    assert _detector(phrase_window=40).fields(text, None) == NONE
    # a label line crossing the window's edge is read whole; a long line cut there is no label
    assert _detector(phrase_window=595).fields(text, None)["aigc_label"] == "explicit"
    long_line = "word " * 200 + "[AI-generated]"
    assert _detector(phrase_window=10).fields(long_line + "\n" + FILLER, None) == NONE
    assert _detector(phrase_window=10).fields(FILLER + "\n" + "[AI-generated] " + "word " * 200, None) == NONE
    assert _detector(phrases=("machine written",)).fields("Machine-Written\n" + FILLER, None)["aigc_label"] == "explicit"
    assert _detector(phrases=("machine written",)).fields("[AI-generated]\n" + FILLER, None) == NONE
    with pytest.raises(ValueError):
        AigcDetector(phrase_window=0)
    assert "本内容由人工智能生成" in DEFAULT_PHRASES and "AI-generated" in DEFAULT_PHRASES


# --------------------------------------------------------------------------- the detector

def test_metadata_wins_over_front_matter_over_text() -> None:
    det = _detector()
    text = "---\nAIGC: {Label: 2, ContentProducer: fm}\n---\n【本内容由人工智能生成】\n" + FILLER
    assert det.fields(text, '{"Label":1,"ContentProducer":"meta"}') == {
        "aigc_label": "1", "aigc_via": "metadata", "aigc_producer": "meta"}
    assert det.fields(text, None) == {"aigc_label": "2", "aigc_via": "front-matter", "aigc_producer": "fm"}
    # an invalid label object is counted and the next place is read
    assert det.fields(text, '{"Label":7}')["aigc_via"] == "front-matter"
    assert det.invalid == 1
    assert det.fields("---\nAIGC: {Label: 9}\n---\nAI生成\n" + FILLER, None)["aigc_via"] == "text"
    assert det.invalid == 2


def test_producer_is_masked_and_capped() -> None:
    det = _detector()
    out = det.fields(FILLER, json.dumps({"Label": 1, "ContentProducer": "team ann.lee@example.com"}))
    assert "ann.lee@example.com" not in out["aigc_producer"] and out["aigc_producer"].startswith("team ")
    long = det.fields(FILLER, json.dumps({"Label": 1, "ContentProducer": "m" * 1000}))
    assert len(long["aigc_producer"]) == MAX_PRODUCER_CHARS
    lone = det.fields(FILLER, '{"Label":1,"ContentProducer":"a\\ud800b"}')
    lone["aigc_producer"].encode("utf-8")  # a lone surrogate never reaches an output


def test_detector_pickles_before_setup_and_is_deterministic() -> None:
    det = AigcDetector(phrases=("AI生成",), phrase_window=100)
    det.fields("AI生成\n" + FILLER, None)  # compiled lazily; pickling drops the compiled pattern
    copy = pickle.loads(pickle.dumps(det))
    assert copy.phrases == ("AI生成",) and copy.phrase_window == 100 and copy.invalid == 0
    copy.setup()
    assert copy.fields("AI生成\n" + FILLER, None) == det.fields("AI生成\n" + FILLER, None)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.one_of(st.none(), st.text(max_size=60)))
def test_detector_never_raises(text: str, meta) -> None:
    out = _detector().fields(text, meta)
    assert set(out) == {"aigc_label", "aigc_via", "aigc_producer"}
    assert out["aigc_label"] in (None, "1", "2", "3", "explicit")


# --------------------------------------------------------------------------- readers

def _read(path: Path, spec: ReaderSpec) -> list[Document]:
    return [d for d in read_shard(str(path), path.name, spec) if isinstance(d, Document)]


def test_jsonl_reader_passes_the_first_label_field(tmp_path: Path) -> None:
    lines = [
        {"text": "a", "AIGC": {"Label": "1", "ContentProducer": "m"}},
        {"text": "b", "metadata": {"AIGC": {"Label": 2}}},
        {"text": "c", "AIGC": None, "metadata": {"AIGC": '{"Label": 3}'}},
        {"text": "d", "metadata": "not an object"},
        {"text": "e", "AIGC": "yes"},
        {"text": "f", "aigc": {"Label": 1}},  # field paths are matched exactly
    ]
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    docs = _read(path, ReaderSpec("s", "jsonl"))
    assert [d.aigc_meta for d in docs] == [
        '{"ContentProducer":"m","Label":"1"}', '{"Label":2}', '"{\\"Label\\": 3}"', None, '"yes"', None]
    assert [d.aigc_meta for d in _read(path, ReaderSpec("s", "jsonl", aigc_fields=()))] == [None] * 6
    assert _read(path, ReaderSpec("s", "jsonl", aigc_fields=("aigc",)))[5].aigc_meta == '{"Label":1}'


def test_parquet_reader_reads_struct_and_json_text_columns(tmp_path: Path) -> None:
    struct = pa.struct([("Label", pa.string()), ("ContentProducer", pa.string())])
    table = pa.table({
        "text": ["a", "b", "c"],
        "AIGC": pa.array([{"Label": "1", "ContentProducer": "m"}, None, None], struct),
        "metadata": pa.array(['{"x": 1}', None, '{"AIGC": {"Label": 2}}'], pa.string()),
    })
    path = tmp_path / "s.parquet"
    pq.write_table(table, path)
    docs = _read(path, ReaderSpec("s", "parquet"))
    assert docs[0].aigc_meta == '{"ContentProducer":"m","Label":"1"}'
    assert docs[1].aigc_meta is None
    # a JSON-text column is a value: only its own path reads it, as text for the detector
    assert docs[2].aigc_meta is None
    docs = _read(path, ReaderSpec("s", "parquet", aigc_fields=("metadata",)))
    assert parse_label(docs[2].aigc_meta).label == "2" and parse_label(docs[0].aigc_meta).label is None
    table = pa.table({"text": ["a"], "metadata": pa.array([{"AIGC": {"Label": 3}}])})
    pq.write_table(table, path)
    assert parse_label(_read(path, ReaderSpec("s", "parquet"))[0].aigc_meta).label == "3"


def test_reader_spec_pickles_and_old_specs_get_the_defaults() -> None:
    spec = ReaderSpec("s", "jsonl")
    assert spec.aigc_fields == ("AIGC", "metadata.AIGC")
    assert pickle.loads(pickle.dumps(spec)) == spec


# --------------------------------------------------------------------------- registry, profile

def _registry(tmp_path: Path, **extra) -> Path:
    (tmp_path / "d").mkdir(exist_ok=True)
    (tmp_path / "d" / "a.jsonl").write_text('{"text": "x"}\n', encoding="utf-8")
    source = {"name": "gen", "paths": ["d/*.jsonl"], "acquisition": "synthetic", "license": "CC0-1.0", **extra}
    return write_yaml(tmp_path / "config.yaml", {"sources": [source], "output": "out",
                                                 "screening": {"aigc": {"metadata_fields": ["meta.label"]}}})


def test_generator_in_the_registry_and_the_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = load_config(_registry(tmp_path, generator="Qwen2.5-72B-Instruct (2024-09)", collected="2024-09-01"))
    assert cfg.sources[0].generator == "Qwen2.5-72B-Instruct (2024-09)"
    assert "sources[gen].generator" not in capsys.readouterr().err
    assert cfg.sources[0].reader_spec("jsonl", 100, aigc_fields=cfg.screening.aigc.metadata_fields
                                      ).aigc_fields == ("meta.label",)
    cfg = load_config(_registry(tmp_path))
    assert cfg.sources[0].generator is None
    err = capsys.readouterr().err
    assert "sources[gen].generator" in err and "CN-DS-7.1b" in err


def test_profile_columns() -> None:
    class Src:
        acquisition, generator = "user-data", None

    stats = SourceStats()
    rows = [{"aigc_label": "1", "aigc_producer": "m"}, {"aigc_label": "explicit", "aigc_producer": None},
            {"aigc_label": None, "aigc_producer": None}, {"aigc_label": "1", "aigc_producer": "m"}]
    other = SourceStats()
    for i, r in enumerate(rows):
        (stats if i % 2 else other)._add_aigc(r)
        stats.documents += i % 2
        other.documents += 1 - i % 2
    stats.merge(other)
    cols = aigc_columns(Src(), stats)
    assert cols == {"aigc_documents": 3, "aigc_share": 0.75,
                    "aigc_labels": '{"1": 2, "2": 0, "3": 0, "explicit": 1}',
                    "aigc_producers": '{"m": 2}', "generator": None, "generated_share": 0.75}
    Src.acquisition = "synthetic"
    assert aigc_columns(Src(), SourceStats())["generated_share"] == 1.0
    assert aigc_columns(Src(), SourceStats())["aigc_share"] == 0.0


# --------------------------------------------------------------------------- the sample

@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("aigc")
    return run_stages(write_yaml(tmp / "config.yaml", {
        "registry": str(SAMPLE / "registry.yaml"), "output": str(tmp / "out"),
        "beam": {"runner": "DirectRunner"}}))


@pytest.mark.slow
def test_sample_ledger_labels_equal_planted(sample_run) -> None:
    _, run_dir, _, _ = sample_run
    ledger = pq.read_table(Path(run_dir) / "ledger", columns=["doc_id", "source", "aigc_label", "aigc_via",
                                                               "aigc_producer"]).to_pylist()
    labelled = {r["doc_id"]: r for r in ledger if r["aigc_label"] is not None}
    planted = PLANTED["aigc"]["documents"]
    assert set(labelled) == {d for d, p in planted.items() if p["label"]}
    for doc_id, p in planted.items():
        row = labelled.get(doc_id)
        if p["label"] is None:
            assert row is None, (doc_id, p["why_not"])
        else:
            assert (row["aigc_label"], row["aigc_via"], row["aigc_producer"]) == (p["label"], p["via"], p["producer"])


@pytest.mark.slow
def test_sample_profile_aigc_columns_equal_planted(sample_run) -> None:
    _, run_dir, _, result = sample_run
    profile = {r["source"]: r for r in pq.read_table(Path(run_dir) / "profiles" / "source_profile.parquet").to_pylist()}
    for name, p in PLANTED["aigc"]["sources"].items():
        row = profile[name]
        assert row["documents"] == p["documents"], name
        assert row["aigc_documents"] == p["aigc_documents"], name
        assert row["aigc_share"] == p["aigc_share"], name
        assert json.loads(row["aigc_labels"]) == p["aigc_labels"], name
        assert json.loads(row["aigc_producers"]) == p["aigc_producers"], name
        assert row["generator"] == p["generator"], name
        assert row["generated_share"] == p["generated_share"], name
    assert profile["synthetic_passages"]["generated_share"] == 1.0
    assert 0 < profile["forum_dump"]["aigc_share"] < 0.1
    cn_ds = [v for v in result.verdicts if "CN-DS-7.1b" in v.requirement_ids]
    assert cn_ds and all(v.success for v in cn_ds)


def test_sample_read_and_detected_directly_equals_planted(tmp_path: Path) -> None:
    """The fast path of the sample check: every shard read and every document detected, no Beam."""
    from provaudit.core.config import list_shards

    cfg = load_config(write_yaml(tmp_path / "config.yaml",
                                 {"registry": str(SAMPLE / "registry.yaml"), "output": str(tmp_path / "out")}))
    by_name, det = {s.name: s for s in cfg.sources}, _detector()
    labels: dict[str, dict] = {}
    counts: dict[str, int] = {}
    for shard in list_shards(cfg):
        spec = by_name[shard.source].reader_spec(shard.format, 1_000_000,
                                                 aigc_fields=cfg.screening.aigc.metadata_fields)
        name = Path(shard.path).relative_to(SAMPLE).as_posix()
        for doc in read_shard(shard.path, name, spec):
            if isinstance(doc, Document):
                counts[doc.source] = counts.get(doc.source, 0) + 1
                found = det.fields(doc.text, doc.aigc_meta)
                if found["aigc_label"]:
                    labels[doc.doc_id] = found
    planted = PLANTED["aigc"]["documents"]
    assert {d: (f["aigc_label"], f["aigc_via"], f["aigc_producer"]) for d, f in labels.items()} == {
        d: (p["label"], p["via"], p["producer"]) for d, p in planted.items() if p["label"]}
    assert det.invalid == sum(p.get("why_not") == "invalid Label" for p in planted.values()) == 1
    for name, p in PLANTED["aigc"]["sources"].items():
        assert counts.get(name, 0) == p["documents"], name


@pytest.mark.slow
def test_cn_ds_7_1b_fails_for_a_synthetic_source_without_generator(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.jsonl").write_text(
        json.dumps({"text": "Tea is a drink made by pouring hot water over cured leaves. " * 8,
                    "AIGC": {"Label": 1, "ContentProducer": "m"}}) + "\n", encoding="utf-8")
    sources = [{"name": "gen", "paths": ["d/*.jsonl"], "acquisition": "synthetic", "license": "CC0-1.0",
                "evidence": "log", "collected": "2024-09-01"}]
    _, run_dir, _, result = run_stages(write_yaml(tmp_path / "config.yaml", {
        "sources": sources, "output": str(tmp_path / "out"), "beam": {"runner": "DirectRunner"}}))
    verdicts = {v.column: v for v in result.verdicts if "CN-DS-7.1b" in v.requirement_ids}
    assert not verdicts["generator"].success and verdicts["collected_from"].success
    row = pq.read_table(Path(run_dir) / "profiles" / "source_profile.parquet").to_pylist()[0]
    assert (row["aigc_documents"], row["aigc_share"], row["generated_share"], row["generator"]) == (1, 1.0, 1.0, None)

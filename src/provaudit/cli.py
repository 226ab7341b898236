"""The ``provaudit`` command.

Exit codes: 0 success; 1 the run failed (a pipeline error or a failed reconciliation);
2 a usage, config or input error, reported before any Beam work starts.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

from provaudit import __version__
from provaudit.core.errors import ConfigError, InputError, ProvauditError, ReconciliationError

EPILOG = """\
exit codes: 0 success, 1 the run failed (pipeline error or failed reconciliation),
2 usage, config or input error (reported before any Beam work).

Beam options come from the config's `beam:` mapping; options after `--` are added to
them, e.g.  provaudit scan configs/local.yaml -- --direct_running_mode=multi_processing
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="provaudit",
        description="Audit the provenance of a training corpus: scan registered sources into a "
        "ledger (lineage, hash, language, license, personal information, MinHash), with a "
        "quarantine for what cannot be read and a manifest that reconciles the counts.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"provaudit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show Beam's log messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def stage(name: str, help_text: str, with_run: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("config", metavar="CONFIG", help="run config (YAML), e.g. configs/local.yaml")
        if with_run:
            p.add_argument("--run", metavar="RUN_ID", dest="run_id",
                           help="the scan run to read (default: the newest run this config made)")
            p.add_argument("--force", action="store_true",
                           help="read the run even when another config made it or its counts did not "
                           "reconcile (refused by default; the problems are printed)")
        return p

    stage("scan", "Scan every registered source into a new run folder <output>/<run_id>/ "
          "(ledger/, quarantine/, manifest.json) and print its path and a summary.")
    stage("overlap", "Find exact and near-duplicate clusters, source-by-source overlap and "
          "evaluation-set contamination in a scan run's ledger; write <run>/overlap/.", with_run=True)
    stage("profile", "Profile every source (volume, languages, licenses, personal information, "
          "duplicates, opt-outs, inspection) and every labelling batch of a run; write "
          "<run>/profiles/ and the inspection sample <run>/inspection/sample.jsonl.", with_run=True)
    stage("validate", "Validate a run's profiles with the Great Expectations suites under "
          "expectations/; build offline Data Docs in <run>/docs/. Exit 0 when every critical "
          "expectation passes, 1 when one fails.", with_run=True)
    def lang(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        from provaudit.reports.messages import LANGUAGES

        p.add_argument("--lang", action="append", choices=LANGUAGES, default=[], metavar="LANG",
                       help="also write the CN filing annex, the legitimate-sources and labelling-process "
                       "disclosures and the index page in this language (the annex clause by clause with the "
                       "official wording and TC260-003 9.1 results), under <run>/disclosures/LANG/ and "
                       f"<run>/index.LANG.html (repeatable; one of {', '.join(LANGUAGES)}; added to the config's "
                       "disclosure.languages)")
        return p

    lang(stage("disclose", "Write the run's disclosures (legitimate sources, labelling process, CN filing "
               "annex, EU AI Act training-content summary, California AB 2013; HTML, Markdown, JSON), the "
               "Croissant and SPDX exports, and the run's index.html.", with_run=True))
    def scheduled(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--fail-on", choices=("any", "new"), default="any",
                       help="exit 1 when any critical expectation fails (default), or only when one "
                       "fails that passed in the previous complete run ('new': an accepted, known "
                       "failure does not page anyone every night)")
        p.add_argument("--log-format", choices=("text", "json"), default="text",
                       help="one line per stage on standard error, as text or as JSON lines")
        p.add_argument("--history-runs", type=int, default=30, metavar="N",
                       help="runs shown on <output>/history.html (default 30)")
        p.add_argument("--lineage-url", metavar="URL",
                       help="also send OpenLineage events to this HTTP endpoint (e.g. Marquez); "
                       "they always go to <run>/lineage.jsonl")
        return p

    lang(scheduled(stage("run", "Run every stage on a config: scan, overlap, profile, validate, disclose, "
                    "into a new run folder, reading every shard (a full run); then mark the run "
                    "complete, add it to <output>/history.parquet and point <output>/latest at it.")))
    lang(scheduled(stage("nightly", "Run every stage incrementally: shards unchanged since the last "
                    "complete run (same path, size, SHA-256 and finding settings) reuse its ledger "
                    "and quarantine files; the rest is recomputed from the merged ledger. Writes "
                    "drift.json against the previous complete run, history and latest. A killed "
                    "night is never reused: just run it again.")))
    runs = sub.add_parser("runs", help="List the runs of a config's output folder with their state.",
                          description="List every run folder of the config's output with its state "
                          "(complete, or incomplete with the stages that finished), which is latest, "
                          "and its headline figures from history.parquet.")
    runs.add_argument("config", metavar="CONFIG", help="run config (YAML)")
    runs.add_argument("--json", action="store_true", help="print JSON instead of a table")

    statements = sub.add_parser(
        "statements", help="Write the statements template: every disclosure field only a person can fill.",
        description="Write a YAML template with every field of every disclosure of the latest complete run "
        "(or of --run RUN_ID) that no data can fill: provider and model names, policies, purposes, "
        "statements a regulation asks for. Each entry comes with comments giving its label, hint, the "
        "requirement it answers and who is expected to fill it, and has text, author and date to fill "
        "(an optional attachment: a file relative to the statements file). Values already in the "
        "config's `statements:` file are kept, so the template can replace it. Point `statements:` at "
        "the filled file and run `provaudit disclose CONFIG`: each filled field then shows the statement "
        "\"by AUTHOR on DATE\", and a disclosure whose fields are all filled becomes complete.",
        epilog="example:\n  provaudit statements configs/local.yaml --template --out statements.yaml\n\n" + EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    statements.add_argument("config", metavar="CONFIG", help="run config (YAML), e.g. configs/local.yaml")
    statements.add_argument("--template", action="store_true", required=True,
                            help="write the template (the only action today; required so that it is explicit)")
    statements.add_argument("--out", metavar="FILE",
                            help="write to FILE (replaced if it exists) instead of standard output")
    statements.add_argument("--run", metavar="RUN_ID", dest="run_id",
                            help="the run whose disclosures to read (default: the latest complete run)")

    _lookup_parser(sub)

    sample = sub.add_parser("sample", help="Write the bundled sample corpus (deterministic) to a folder.",
                            description="Write the sample corpus, its registry.yaml and planted.json "
                            "(the planted facts tests check) to OUT_DIR.")
    sample.add_argument("out_dir", metavar="OUT_DIR")
    return parser


def _error(message: str) -> int:
    print(f"provaudit: error: {message}", file=sys.stderr)
    return 2


def _scan(config_path: str, beam_args: Sequence[str]) -> int:
    from provaudit.beam.io import match_files
    from provaudit.core.config import list_shards, load_config

    config = load_config(config_path)
    shards = list_shards(config, match_files)  # fails fast on a missing path, before Beam starts

    from provaudit.stages.scan import run_scan

    result = run_scan(config, extra_beam_args=beam_args, shards=shards)
    from provaudit.stages.nightly import StageLineage

    StageLineage(config, result.run_dir, result.manifest["run_id"]).scan(
        result.manifest, (os.path.abspath(s.path) if "://" not in s.path else s.path for s in shards))
    _print_scan(result)
    return 0


def _print_scan(result) -> None:
    from provaudit.reports.summary import scan_summary

    print(scan_summary(result.manifest, {"ledger": result.ledger_dir,
                                         "quarantine": result.quarantine_dir,
                                         "manifest": result.manifest_path}))
    t, inc = result.manifest["totals"], result.manifest["incremental"]
    reused = f" ({inc['reused']} of {inc['scanned'] + inc['reused']} shards reused)" if inc["reused"] else ""
    print(f"scan: done in {result.manifest['duration_seconds']:.1f} s: {t['ledger']:,} documents in the "
          f"ledger, {t['quarantined']:,} quarantined{reused}; outputs in {result.run_dir}")


def _resolve(config, run_id: Optional[str], stage: str, force: bool) -> str:
    """The id of the run ``stage`` reads: this config's newest, or ``run_id``, checked as a unit
    (made by this config, its previous stage done, reconciled) unless ``force``."""
    from provaudit.stages.runs import check_run, find_run

    run_dir = find_run(config.output, run_id, stage, config=config, force=force)
    for problem in check_run(run_dir, config, force=True) if force else ():
        print(f"{stage}: --force: reading it anyway: {problem}", file=sys.stderr)
    return os.path.basename(run_dir.rstrip("/"))


def _lineage(config, run_id: Optional[str], stage: str, work):
    """Run a stage alone between its OpenLineage START and COMPLETE (or FAIL) events."""
    from provaudit.stages.nightly import StageLineage
    from provaudit.stages.runs import find_run

    run_dir = find_run(config.output, run_id, stage)
    return StageLineage(config, run_dir, os.path.basename(run_dir.rstrip("/"))).around(stage, work)


def _config(config_or_path):
    from provaudit.core.config import RunConfig, load_config

    return config_or_path if isinstance(config_or_path, RunConfig) else load_config(config_or_path)


def _languages(config, languages: Sequence[str]):
    """The config with the ``--lang`` languages added to ``disclosure.languages``."""
    if not languages:
        return config
    from provaudit.stages.disclose import with_languages

    return with_languages(config, tuple(languages))


def _profile(config_or_path, run_id: Optional[str], beam_args: Sequence[str], force: bool = False) -> int:
    config = _config(config_or_path)
    from provaudit.stages.profile import run_profile

    run_id = _resolve(config, run_id, "profile", force)
    result = _lineage(config, run_id, "profile", lambda: run_profile(config, run_id, extra_beam_args=beam_args))
    _print_profile(result)
    return 0


def _print_profile(result) -> None:
    from provaudit.reports.summary import profile_summary

    print(profile_summary(result.rows, result.labelling_rows, {
        "source": result.profile_path, "labelling": result.labelling_path, "sample": result.sample_path}))


def _disclose(config_or_path, run_id: Optional[str], languages: Sequence[str] = (),
              force: bool = False) -> int:
    config = _languages(_config(config_or_path), languages)
    from provaudit.stages.disclose import run_disclose

    run_id = _resolve(config, run_id, "disclose", force)
    result = _lineage(config, run_id, "disclose", lambda: run_disclose(config, run_id, mode="stages"))
    from provaudit.stages.nightly import finish_run
    from provaudit.stages.runs import STAGES, stage_facts

    if "://" not in result.run_dir and all(stage_facts(result.run_dir, s) for s in STAGES):
        finish_run(config, result.run_dir, result.record or {})  # every stage done: the run is complete
    _print_disclose(result)
    return 0


def _print_disclose(result) -> None:
    from provaudit.reports.summary import safe

    bad = [s for s in result.index["sources"] if not s["legitimate"]]
    print(f"provaudit disclose: {len(result.files)} files in {os.path.join(result.run_dir, 'disclosures')}")
    for source in bad:
        print(f"  NOT legitimately documented: {safe(source['name'])}: {safe('; '.join(source['reasons']))}")
    print(f"disclose: done: open {result.index_path}")


def _validate(config_or_path, run_id: Optional[str], force: bool = False) -> int:
    config = _config(config_or_path)
    from provaudit.stages.validate import run_validation

    run_id = _resolve(config, run_id, "validate", force)
    result = _lineage(config, run_id, "validate", lambda: run_validation(config, run_id))
    _print_validation(result)
    return 0 if result.success else 1


def _print_validation(result) -> None:
    from provaudit.reports.summary import validation_summary

    print(validation_summary(result.verdicts, result.docs_index, result.results_path))
    verdict = "all critical expectations passed" if result.success else "critical expectations FAILED"
    print(f"validate: done: {verdict}; Data Docs in {result.docs_index}")


def _overlap(config_or_path, run_id: Optional[str], beam_args: Sequence[str], force: bool = False) -> int:
    from provaudit.core.config import RunConfig, load_config

    config = config_or_path if isinstance(config_or_path, RunConfig) else load_config(config_or_path)

    from provaudit.stages.overlap import run_overlap

    run_id = _resolve(config, run_id, "overlap", force)  # fails fast when there is no run
    result = _lineage(config, run_id, "overlap", lambda: run_overlap(config, run_id, extra_beam_args=beam_args))
    _print_overlap(result)
    return 0


def _print_overlap(result) -> None:
    from provaudit.reports.summary import overlap_summary

    print(overlap_summary(result.summary, result.overlap_dir))
    print(f"overlap: done in {result.summary['duration_seconds']:.1f} s: {result.summary['clusters']:,} "
          f"clusters, {result.summary['verified_pairs']:,} verified near pairs; outputs in {result.overlap_dir}")


def _run_all(args: argparse.Namespace, beam_args: Sequence[str], incremental: bool) -> int:
    config = _languages(_config(args.config), args.lang)
    from provaudit.stages.nightly import StageLog, run_all

    log = StageLog(args.log_format)
    out = run_all(config, incremental=incremental, beam_args=beam_args, fail_on=args.fail_on, log=log,
                  history_runs=args.history_runs, lineage_url=args.lineage_url)
    if args.log_format == "text":  # the stages' summaries, as each stage command prints them
        printers = {"scan": _print_scan, "overlap": _print_overlap, "profile": _print_profile,
                    "validate": _print_validation, "disclose": _print_disclose}
        for stage, printer in printers.items():
            result = out["results"].get(stage)
            if result is None:
                print(f"{stage}: unchanged since run {os.path.basename(out['previous'])}: its outputs reused")
            if result is None and stage == "validate":  # the verdicts still matter on such a night
                from provaudit.stages.validate import ValidationResult

                result = ValidationResult.load(out["run_dir"])
            if result is not None:
                printer(result)
        drift = out["drift"]
        if drift is not None:
            shards = drift["shards"]
            print(f"changes since run {drift['previous_run']}: {len(shards['added'])} shards added, "
                  f"{len(shards['removed'])} removed, {len(shards['changed'])} changed; "
                  f"{len(drift['sources']['changed'])} sources with changed figures; "
                  f"{len(drift['expectations'])} verdicts changed (drift.json)")
        if out["newly_failing"] and out["validation"]["success"] is False:
            from provaudit.reports.summary import safe

            print(f"newly failing since the previous complete run: {safe('; '.join(out['newly_failing']))}")
        print(f"{args.command}: run {out['run_id']} complete; open {os.path.join(out['run_dir'], 'index.html')}")
    return out["code"]


def _statements(config_path: str, run_id: Optional[str], out: Optional[str]) -> int:
    config = _config(config_path)
    from provaudit.stages.statements import statements_template_for

    text, dropped, run_dir = statements_template_for(config, run_id)
    if dropped:
        print(f"provaudit statements: left out, no such field in run {os.path.basename(run_dir)}: "
              f"{', '.join(dropped)}", file=sys.stderr)
    if out is None:
        sys.stdout.write(text)
        return 0
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(text, encoding="utf-8")
    print(f"statements: wrote the template for run {os.path.basename(run_dir)} to {out}")
    return 0


def _runs(config_path: str, as_json: bool) -> int:
    import json

    config = _config(config_path)
    from provaudit.stages.runs import list_runs, read_history

    history = {r["run_id"]: r for r in read_history(config.output)}
    rows = []
    for r in list_runs(config.output):
        h = history.get(r.run_id, {})
        rows.append({"run_id": r.run_id, "state": r.state, "latest": r.latest, "mode": r.mode,
                     "stages": list(r.stages), "documents": h.get("documents"),
                     "expectations_failed": h.get("expectations_failed"),
                     "duration_seconds": h.get("duration_seconds")})
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"no runs in {config.output}")
        return 0
    print(f"{'run':<30} {'state':<11} {'mode':<8} {'documents':>10} {'failed':>6} {'seconds':>8}  stages done")
    for r in rows:
        mark = " *latest" if r["latest"] else ""
        docs = "" if r["documents"] is None else f"{r['documents']:,}"
        failed = "" if r["expectations_failed"] is None else str(r["expectations_failed"])
        secs = "" if r["duration_seconds"] is None else f"{r['duration_seconds']:.1f}"
        print(f"{r['run_id']:<30} {r['state']:<11} {r['mode']:<8} {docs:>10} {failed:>6} {secs:>8}  "
              f"{','.join(r['stages']) or '-'}{mark}")
    return 0


LOOKUP_EPILOG = """\
exit codes: 0 at least one document matched, 1 nothing matched, 2 usage, config or input
error (a bad hash, an empty text, no such run). The query text is never written to a log
or an error message; --json lists the names of the criteria given, never their values.

The first lookup in a run builds its index, <run>/index/ (Beam, the config's runner
options; `provaudit run` builds it after overlap); later lookups read only the index
parts and row groups their keys fall in.

examples:
  provaudit lookup configs/local.yaml --text complaint.txt --evidence
  cat page.txt | provaudit lookup configs/local.yaml --text - --json
  provaudit lookup configs/local.yaml --domain https://news.example.com/a --run RUN_ID
"""


def _lookup_parser(sub) -> None:
    p = sub.add_parser(
        "lookup", help="Find a text, hash, URL, domain or document id in a run's ledger.",
        description="Is this text in the training data, and where did it come from? Finds exact "
        "matches (content hash of the NFC, stripped text), near matches (MinHash LSH over the "
        "ledger's signatures, with the run's hashing and banding, and the estimated Jaccard), URL, "
        "registrable-domain and document-id matches in a run (default: the latest complete run), "
        "each with its source, shard, location, licence, acquisition basis and the complete runs "
        "of the history whose ledger held the same content.",
        epilog=LOOKUP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", metavar="CONFIG", help="run config (YAML), e.g. configs/local.yaml")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--text", metavar="FILE", help="a UTF-8 text file to find ('-': standard input)")
    what.add_argument("--sha256", metavar="HEX", help="a content hash (the ledger's sha256 column)")
    what.add_argument("--url", metavar="URL", help="a document URL, as the ledger holds it")
    what.add_argument("--domain", metavar="DOMAIN",
                      help="a registrable domain, host or URL (reduced to its registrable domain)")
    what.add_argument("--doc-id", metavar="ID", dest="doc_id", help="a ledger document id")
    p.add_argument("--run", metavar="RUN_ID", dest="run_id",
                   help="the run to search (default: the latest complete run of this config)")
    p.add_argument("--force", action="store_true",
                   help="search the run even when another config made it or its counts did not reconcile")
    p.add_argument("--json", action="store_true", help="print a JSON document instead of lines")
    p.add_argument("--evidence", action="store_true",
                   help="with --text: show the word (or character) n-grams the text shares with each "
                   "exact or near hit, read back from its shard (personal information masked)")
    p.add_argument("--min-jaccard", type=float, default=None, metavar="J",
                   help="smallest estimated Jaccard of a near match (default 0.5; candidates come from "
                   "the run's LSH banding, tuned for overlap.threshold)")


def _lookup(args: argparse.Namespace, beam_args: Sequence[str]) -> int:
    from provaudit.core.jsontext import json_text
    from provaudit.core.lookup import Criteria
    from provaudit.stages.lookup import lookup_run, result_json, result_lines

    text = None
    if args.text is not None:
        try:
            raw = sys.stdin.buffer.read() if args.text == "-" else Path(args.text).read_bytes()
            text = raw.decode("utf-8")
        except OSError as exc:
            raise InputError(f"lookup --text {args.text}: cannot read ({type(exc).__name__})") from None
        except UnicodeDecodeError:
            where = "standard input" if args.text == "-" else args.text
            raise InputError(f"lookup --text: {where} is not UTF-8 text") from None
    criteria = Criteria(text=text, sha256=args.sha256, url=args.url, domain=args.domain, doc_id=args.doc_id)
    config = _config(args.config)
    result = lookup_run(config, criteria, args.run_id, min_jaccard=args.min_jaccard, evidence=args.evidence,
                        force=args.force, extra_beam_args=beam_args,
                        report=lambda line: print(line, file=sys.stderr, flush=True))
    if args.json:
        print(json_text(result_json(result, criteria)))
    else:
        print("\n".join(result_lines(result)))
    return 0 if result.hits else 1


def pipeline_driver(stage: str, argv: Optional[Sequence[str]] = None) -> int:
    """Run one stage the Beam way: --config CONFIG [--run RUN_ID] and any Beam options.

    What ``pipelines/<stage>.py`` calls; unknown options are Beam pipeline options.
    """
    parser = argparse.ArgumentParser(prog=f"pipelines/{stage}.py",
                                     description=f"Run provaudit's {stage} stage; other options go to Beam.")
    parser.add_argument("--config", required=True, help="run config (YAML)")
    if stage in ("run", "nightly"):
        parser.add_argument("--fail-on", choices=("any", "new"), default="any",
                            help="exit 1 on any failing critical expectation, or only on newly failing ones")
        parser.add_argument("--log-format", choices=("text", "json"), default="text",
                            help="one line per stage on standard error, as text or JSON lines")
    elif stage != "scan":
        parser.add_argument("--run", dest="run_id", help="scan run id (default: the latest)")
    known, beam_args = parser.parse_known_args(argv)
    extra = ["--run", known.run_id] if getattr(known, "run_id", None) else []
    if stage in ("run", "nightly"):
        extra = ["--fail-on", known.fail_on, "--log-format", known.log_format]
    return main([stage, known.config, *extra, "--", *beam_args])


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the provaudit command line; return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    beam_args: list[str] = []
    if "--" in argv:  # everything after `--` is a Beam pipeline option
        cut = argv.index("--")
        argv, beam_args = argv[:cut], argv[cut + 1:]
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        logging.getLogger().setLevel(logging.ERROR)
    try:
        if args.command in ("run", "nightly"):
            return _run_all(args, beam_args, incremental=args.command == "nightly")
        if args.command == "runs":
            return _runs(args.config, args.json)
        if args.command == "statements":
            return _statements(args.config, args.run_id, args.out)
        if args.command == "scan":
            return _scan(args.config, beam_args)
        if args.command == "overlap":
            return _overlap(args.config, args.run_id, beam_args, args.force)
        if args.command == "profile":
            return _profile(args.config, args.run_id, beam_args, args.force)
        if args.command == "validate":
            return _validate(args.config, args.run_id, args.force)
        if args.command == "disclose":
            return _disclose(args.config, args.run_id, args.lang, args.force)
        if args.command == "lookup":
            return _lookup(args, beam_args)
        if args.command == "sample":
            from provaudit.fixtures.sample import write_sample_corpus

            written = write_sample_corpus(Path(args.out_dir))
            print(f"sample: wrote {len(written)} files to {args.out_dir}")
            return 0
    except (ConfigError, InputError) as exc:
        return _error(str(exc))
    except ReconciliationError as exc:
        print(f"provaudit: {exc}", file=sys.stderr)
        return 1
    except ProvauditError as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        print("provaudit: interrupted", file=sys.stderr)
        return 130
    return _error(f"unknown command {args.command!r}")


if __name__ == "__main__":
    sys.exit(main())

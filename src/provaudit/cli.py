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
                           help="the scan run to read (default: the latest run in the output folder)")
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
    stage("disclose", "Write the run's disclosures (legitimate sources, labelling process, CN filing "
          "annex, EU AI Act training-content summary, California AB 2013; HTML, Markdown, JSON), the "
          "Croissant and SPDX exports, and the run's index.html.", with_run=True)
    stage("run", "Run every stage on a config: scan, overlap, profile, validate, disclose "
          "(exit code of validate).")

    sample = sub.add_parser("sample", help="Write the bundled sample corpus (deterministic) to a folder.",
                            description="Write the sample corpus, its registry.yaml and planted.json "
                            "(the planted facts tests check) to OUT_DIR.")
    sample.add_argument("out_dir", metavar="OUT_DIR")
    return parser


def _error(message: str) -> int:
    print(f"provaudit: error: {message}", file=sys.stderr)
    return 2


def _scan(config_path: str, beam_args: Sequence[str], then_overlap: bool = False) -> int:
    from provaudit.beam.io import match_files
    from provaudit.core.config import list_shards, load_config

    config = load_config(config_path)
    shards = list_shards(config, match_files)  # fails fast on a missing path, before Beam starts

    from provaudit.stages.scan import run_scan
    from provaudit.reports.summary import scan_summary

    result = run_scan(config, extra_beam_args=beam_args, shards=shards)
    print(scan_summary(result.manifest, {"ledger": result.ledger_dir,
                                         "quarantine": result.quarantine_dir,
                                         "manifest": result.manifest_path}))
    t = result.manifest["totals"]
    print(f"scan: done in {result.manifest['duration_seconds']:.1f} s: {t['ledger']:,} documents in the "
          f"ledger, {t['quarantined']:,} quarantined; outputs in {result.run_dir}")
    if then_overlap:
        run_id = result.manifest["run_id"]
        _overlap(config, run_id, beam_args)
        _profile(config, run_id, beam_args)
        code = _validate(config, run_id)
        _disclose(config, run_id)
        return code
    return 0


def _config(config_or_path):
    from provaudit.core.config import RunConfig, load_config

    return config_or_path if isinstance(config_or_path, RunConfig) else load_config(config_or_path)


def _profile(config_or_path, run_id: Optional[str], beam_args: Sequence[str]) -> int:
    config = _config(config_or_path)
    from provaudit.stages.runs import find_run
    from provaudit.stages.profile import run_profile
    from provaudit.reports.summary import profile_summary

    find_run(config.output, run_id)
    result = run_profile(config, run_id, extra_beam_args=beam_args)
    print(profile_summary(result.rows, result.labelling_rows, {
        "source": result.profile_path, "labelling": result.labelling_path, "sample": result.sample_path}))
    return 0


def _disclose(config_or_path, run_id: Optional[str]) -> int:
    config = _config(config_or_path)
    from provaudit.stages.disclose import run_disclose
    from provaudit.stages.runs import find_run
    from provaudit.reports.summary import safe

    find_run(config.output, run_id)
    result = run_disclose(config, run_id)
    bad = [s for s in result.index["sources"] if not s["legitimate"]]
    print(f"provaudit disclose: {len(result.files)} files in {os.path.join(result.run_dir, 'disclosures')}")
    for source in bad:
        print(f"  NOT legitimately documented: {safe(source['name'])}: {safe('; '.join(source['reasons']))}")
    print(f"disclose: done: open {result.index_path}")
    return 0


def _validate(config_or_path, run_id: Optional[str]) -> int:
    config = _config(config_or_path)
    from provaudit.stages.runs import find_run
    from provaudit.reports.summary import validation_summary
    from provaudit.stages.validate import run_validation

    find_run(config.output, run_id)
    result = run_validation(config, run_id)
    print(validation_summary(result.verdicts, result.docs_index, result.results_path))
    verdict = "all critical expectations passed" if result.success else "critical expectations FAILED"
    print(f"validate: done: {verdict}; Data Docs in {result.docs_index}")
    return 0 if result.success else 1


def _overlap(config_or_path, run_id: Optional[str], beam_args: Sequence[str]) -> int:
    from provaudit.core.config import RunConfig, load_config

    config = config_or_path if isinstance(config_or_path, RunConfig) else load_config(config_or_path)

    from provaudit.stages.overlap import run_overlap
    from provaudit.stages.runs import find_run
    from provaudit.reports.summary import overlap_summary

    find_run(config.output, run_id)  # fails fast when there is no run
    result = run_overlap(config, run_id, extra_beam_args=beam_args)
    print(overlap_summary(result.summary, result.overlap_dir))
    print(f"overlap: done in {result.summary['duration_seconds']:.1f} s: {result.summary['clusters']:,} "
          f"clusters, {result.summary['verified_pairs']:,} verified near pairs; outputs in {result.overlap_dir}")
    return 0


def pipeline_driver(stage: str, argv: Optional[Sequence[str]] = None) -> int:
    """Run one stage the Beam way: --config CONFIG [--run RUN_ID] and any Beam options.

    What ``pipelines/<stage>.py`` calls; unknown options are Beam pipeline options.
    """
    parser = argparse.ArgumentParser(prog=f"pipelines/{stage}.py",
                                     description=f"Run provaudit's {stage} stage; other options go to Beam.")
    parser.add_argument("--config", required=True, help="run config (YAML)")
    if stage != "scan":
        parser.add_argument("--run", dest="run_id", help="scan run id (default: the latest)")
    known, beam_args = parser.parse_known_args(argv)
    extra = ["--run", known.run_id] if getattr(known, "run_id", None) else []
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
        if args.command in ("scan", "run"):
            return _scan(args.config, beam_args, then_overlap=args.command == "run")
        if args.command == "overlap":
            return _overlap(args.config, args.run_id, beam_args)
        if args.command == "profile":
            return _profile(args.config, args.run_id, beam_args)
        if args.command == "validate":
            return _validate(args.config, args.run_id)
        if args.command == "disclose":
            return _disclose(args.config, args.run_id)
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

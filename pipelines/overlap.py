"""Launch the overlap stage the Beam way: python pipelines/overlap.py --config CONFIG [--run RUN_ID] [Beam options].

A thin driver over the installed package. Beam options given here are added to the
config's `beam:` mapping.
"""

from __future__ import annotations

import argparse
import sys

from provaudit.cli import main


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="run config (YAML)")
    parser.add_argument("--run", dest="run_id", help="scan run id (default: the latest)")
    known, beam_args = parser.parse_known_args(argv)
    extra = ["--run", known.run_id] if known.run_id else []
    return main(["overlap", known.config, *extra, "--", *beam_args])


if __name__ == "__main__":
    sys.exit(run())

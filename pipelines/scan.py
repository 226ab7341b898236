"""Launch the scan the Beam way: python pipelines/scan.py --config CONFIG [Beam options].

A thin driver over the installed package (workers install only the package, never
this script). Beam options given here are added to the config's `beam:` mapping.
"""

from __future__ import annotations

import argparse
import sys

from provaudit.cli import main


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="run config (YAML)")
    known, beam_args = parser.parse_known_args(argv)
    return main(["scan", known.config, "--", *beam_args])


if __name__ == "__main__":
    sys.exit(run())

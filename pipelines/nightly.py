"""Launch a nightly (incremental) run the Beam way: python pipelines/nightly.py --config CONFIG [Beam options].

Every stage, incremental: shards unchanged since the last complete run reuse its ledger
and quarantine files. `--fail-on new` exits 1 only for newly failing expectations;
`--log-format json` writes one JSON line per stage. A thin driver over the installed
package (workers install only the package, never this script); Beam options given here
are added to the config's `beam:` mapping.
"""

import sys

from provaudit.cli import pipeline_driver

if __name__ == "__main__":
    sys.exit(pipeline_driver("nightly"))

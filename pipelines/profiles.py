# named profiles.py, not profile.py: a script folder first on sys.path would shadow the stdlib profile module
"""Launch the profile stage the Beam way: python pipelines/profiles.py --config CONFIG [--run RUN_ID] [Beam options].

A thin driver over the installed package (workers install only the package, never
this script). Beam options given here are added to the config's `beam:` mapping.
"""

import sys

from provaudit.cli import pipeline_driver

if __name__ == "__main__":
    sys.exit(pipeline_driver("profile"))

"""``python -m digitpad.export MODEL OUT``."""

import sys

from digitpad.export.cli import main

sys.exit(main())

"""``python -m digitpad`` starts the GUI."""

import sys

from digitpad.app import main

sys.exit(main())

"""Train a digit model from a terminal: ``python train_cli.py --help``."""

import sys

from digitpad.cli import main

if __name__ == "__main__":
    sys.exit(main())

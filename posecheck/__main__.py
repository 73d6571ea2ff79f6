"""``python -m posecheck ...``: the same as the ``posecheck`` command."""

import sys

from posecheck.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""Accuracy of posecheck on the synthetic sample set (same as `posecheck bench accuracy`).

    .venv/bin/python benchmarks/accuracy.py [--dir sample_videos] [--model lite] [--json out.json]

Prints per stretch and per check: metric MAE, precision/recall/F1 of fault detection, valid
hold time error per side, stretched-side accuracy, and MediaPipe's landmark pixel error per
landmark group (where that is large, the model rather than the checks is the limit).
Targets (measured, not asserted): torso MAE <= 2 deg; torso and knee-over-toes F1 >= 0.98;
valid hold within 0.3 s of truth; the stretched side right in every clip.
"""

from __future__ import annotations

import argparse
import sys

from posecheck.commands.bench import add_accuracy_args, run_accuracy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_accuracy_args(parser)
    return run_accuracy(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

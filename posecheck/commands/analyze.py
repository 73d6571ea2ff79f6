"""``posecheck analyze PATHS...``: check videos against stretch specs, one report each.

The work is done by :mod:`posecheck.batch` (one video or a thousand, serial or parallel);
this module only plugs it into the CLI.
"""

from __future__ import annotations

import argparse

from posecheck import batch
def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="check videos against a stretch: valid hold time, per-frame checks, plots",
        description="Estimate (or load cached) pose landmarks of each video, run the stretch's "
                    "checks on every frame, and write DIR/<video stem>.json (valid hold time per "
                    "side, pass/fail/unknown fraction of each check, per-frame timeline), "
                    "DIR/<video stem>.png (metrics over time against their thresholds), "
                    "DIR/summary.csv, DIR/summary.json and DIR/index.html. A bad file gets an "
                    "error row; the rest go on (exit status 1 if any failed).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  posecheck analyze clip.mp4 --stretch half_kneeling_hip_flexor --out out/\n"
               "  posecheck analyze recordings/ --stretch auto --annotate --workers 2\n"
               "  posecheck analyze /shared/clips --executor ray --address HEAD:6379"
               "   (docs/BATCH.md)\n\n"
               + batch.EXIT_STATUSES,
    )
    batch.register_arguments(parser)
    parser.set_defaults(func=batch.run)

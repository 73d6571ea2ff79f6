"""The options of ``posecheck analyze`` (``register_arguments``) and ``main``, which parses
them and runs the batch without the rest of the posecheck command line.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Sequence

from posecheck.batch.jobs import DEFAULT_MAX_FRAMES, DEFAULT_SAMPLE_FPS
from posecheck.batch.parallel import MAX_AUTO_WORKERS
from posecheck.batch.runner import run
from posecheck.core.errors import PosecheckError
from posecheck.model.provision import DEFAULT_MODEL

DEFAULT_OUT = "out/analyze"

# The exit statuses of ``posecheck analyze`` (its --help epilog and docs/BATCH.md say the same).
EXIT_STATUSES = """exit status:
  0    every input was analysed (or was already up to date)
  1    some input failed: each has an error row in summary.csv and a line on stderr;
       the other inputs have complete reports
  2    nothing was analysed, or the batch stopped: a usage error (unknown --stretch, bad
       option), --out cannot be written, is an input folder or is in use by another run,
       the model cannot be provisioned or loaded, or the output folder filled up mid-run
       (finished videos are kept: run the same command again to resume). One error line.
  130  interrupted (Ctrl-C); finished videos are kept, the same command resumes
"""


def register_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the batch options of ``posecheck analyze`` to ``parser``."""
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="video or image files, folders (searched recursively) or globs")
    parser.add_argument("--stretch", default="auto", metavar="ID|auto",
                        help="stretch spec id or file, or 'auto' to recognise it per clip "
                             "(default: auto)")
    parser.add_argument("--model", default=DEFAULT_MODEL, metavar="lite|full|heavy|PATH",
                        help=f"pose model variant or a .task bundle (default: {DEFAULT_MODEL})")
    parser.add_argument("--workers", type=workers_arg, default="auto", metavar="N|auto",
                        help="videos analysed in parallel, one process each; auto: one per "
                             f"CPU core, at most one per video and {MAX_AUTO_WORKERS} "
                             "(default: auto)")
    parser.add_argument("--executor", choices=("local", "ray"), default="local",
                        help="local: processes on this machine (default); ray: actors on a "
                             "Ray cluster, one per CPU (--workers caps them), needs the "
                             "optional extra posecheck[ray] ("
                             + ("installed" if _ray_installed() else "not installed") + ")")
    parser.add_argument("--address", default=None, metavar="HOST:PORT",
                        help="with --executor ray: the cluster's head (`ray start --head`); "
                             "default: $RAY_ADDRESS, else a Ray started on this machine")
    parser.add_argument("--annotate", action="store_true",
                        help="also write an annotated MP4 per video")
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                        help=f"output folder (default: {DEFAULT_OUT})")
    parser.add_argument("--no-cache", dest="use_cache", action="store_false",
                        help="run the pose model again even when landmarks are cached")
    parser.add_argument("--cache-dir", default=None, metavar="DIR",
                        help="landmark cache folder (default: posecheck's cache)")
    parser.add_argument("--force", action="store_true",
                        help="redo videos whose report is already up to date")
    parser.add_argument("--smoothing", choices=("batch", "live", "none"), default="batch",
                        help="batch: zero-phase over the whole track (default); live: the "
                             "live page's One Euro filter; none: raw landmarks")
    parser.add_argument("--mirrored", action="store_true",
                        help="the videos are mirrored (selfie camera): swap left and right")
    parser.add_argument("--no-plots", dest="plots", action="store_false",
                        help="skip the PNG plots (and their pictures in index.html)")
    parser.add_argument("--max-frames", type=int, default=DEFAULT_MAX_FRAMES, metavar="N",
                        help="longest clip analysed, in frames (default: "
                             f"{DEFAULT_MAX_FRAMES}, 20 min at 30 fps; the analysis keeps about "
                             "55 KB a frame in memory)")
    parser.add_argument("--sample-fps", type=sample_fps_arg, default=DEFAULT_SAMPLE_FPS,
                        metavar="N|full",
                        help="run the model on about N frames per second of video (full, or "
                             "a rate at or above the video's own: every frame); see "
                             "docs/BATCH.md, 'Analysis rate' (default: "
                             f"{'full' if DEFAULT_SAMPLE_FPS is None else f'{DEFAULT_SAMPLE_FPS:g}'})")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--verbose", action="store_true",
                        help="show MediaPipe's own log lines in the terminal (by default "
                             "they go to DIR/mediapipe.log)")
    parser.add_argument("--save-history", action="store_true",
                        help="also store each video's holds in the history database "
                             "(see `posecheck history`; $POSECHECK_DB chooses the file)")


def _ray_installed() -> bool:
    from posecheck.batch.cluster import ray_installed

    return ray_installed()


def workers_arg(text: str) -> int | str:
    """``--workers``: a positive number or ``auto``."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'auto', got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def sample_fps_arg(text: str) -> float | None:
    """``--sample-fps``: a positive number of frames per second, or ``full`` (None)."""
    if text.strip().lower() == "full":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected frames per second (e.g. 10) or 'full', "
                                         f"got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of frames per second, "
                                         f"got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="posecheck analyze",
                                     description="Analyse stretch videos in bulk.",
                                     epilog=EXIT_STATUSES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    register_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` like ``posecheck analyze`` and run; user errors print without traceback."""
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except PosecheckError as exc:
        print(f"posecheck analyze: error: {exc}", file=sys.stderr)
        return 2

"""``posecheck landmarks``: run the pose model over videos and save the landmark files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from posecheck.models import DEFAULT_MODEL


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "landmarks",
        help="estimate pose landmarks of videos or images and save them",
        description="Run MediaPipe pose estimation over every frame of each VIDEO (or image) "
                    "and write DIR/<name>.<model>.landmarks.jsonl.gz (format: docs/MODELS.md). "
                    "Results are also cached by video content and model "
                    "(~/.cache/posecheck/landmarks, or POSECHECK_CACHE_DIR), so a second run "
                    "over the same file is instant.",
        epilog="A file that cannot be read gets an error line and the others still run; "
               "the exit status is 1 if any file failed.",
    )
    parser.add_argument("videos", nargs="+", metavar="VIDEO", type=Path,
                        help="video or image files")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", type=Path,
                        help="directory for the landmark files (created if needed)")
    parser.add_argument("--model", default=DEFAULT_MODEL, metavar="lite|full|heavy|PATH",
                        help=f"pose model variant, or a .task bundle (default: {DEFAULT_MODEL})")
    parser.add_argument("--no-cache", action="store_true",
                        help="always run the model; neither read nor write the cache")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from posecheck.cache import SUFFIX, frames_summary, load_or_estimate
    from posecheck.errors import ModelError, PosecheckError
    from posecheck.models import model_label, resolve_model

    progress = not args.quiet
    resolve_model(args.model, progress=progress)  # a model problem stops everything, once
    label = model_label(args.model)
    failed = 0
    for video in args.videos:
        try:
            track = load_or_estimate(video, args.model, use_cache=not args.no_cache,
                                     progress=progress)
            out = track.save(args.output / f"{video.stem}.{label}{SUFFIX}")
        except ModelError:
            raise
        except PosecheckError as exc:
            failed += 1
            print(f"posecheck landmarks: error: {exc}", file=sys.stderr)
            continue
        note = ""
        if track.truncated:
            note = (f"; only {len(track.frames)} of {track.info.frame_count} announced frames "
                    "decoded (truncated file?)")
        print(f"{video}: {frames_summary(track.frames)}{note} -> {out}", flush=True)
    return 1 if failed else 0

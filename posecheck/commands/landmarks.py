"""``posecheck landmarks``: run the pose model over videos and save the landmark files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from posecheck.model.provision import DEFAULT_MODEL


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "landmarks",
        help="estimate pose landmarks of videos or images and save them",
        description="Run MediaPipe pose estimation over every frame of each VIDEO (or image) "
                    "and write DIR/<name>.<model>.landmarks.jsonl.gz (format: docs/MODELS.md). "
                    "Results are also cached by video content and model "
                    "(~/.cache/posecheck/landmarks, or POSECHECK_CACHE_DIR), so a second run "
                    "over the same file is instant.",
        epilog="A file that cannot be read gets an error line and the others still run. "
               "Files sharing a name get their folder in front (<folder>__<name>), as in "
               "posecheck analyze. Exit status: 0 every file done; 1 some file could not be "
               "read (each has an error line); 2 nothing was done: -o cannot be written or "
               "the model cannot be loaded (one error line); 130 interrupted.",
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
    from posecheck.model import cache
    from posecheck.model.landmarks import check_model, load_or_estimate
    from posecheck.batch.files import OUTPUT_ERRNOS, check_output_dir, output_full
    from posecheck.batch.inputs import make_slugs
    from posecheck.core.errors import ModelError, PosecheckError
    from posecheck.model.provision import model_label, resolve_model
    from posecheck.io.video import odd_timestamps

    progress = not args.quiet
    check_output_dir(args.output, "-o")  # before the model runs over anything
    # A model problem stops everything, once.
    check_model(resolve_model(args.model, progress=progress))
    label = model_label(args.model)
    failed = 0
    for video, name in zip(args.videos, make_slugs(args.videos)):
        try:
            track = load_or_estimate(video, args.model, use_cache=not args.no_cache,
                                     progress=progress)
            out = track.save(args.output / f"{name}.{label}{cache.SUFFIX}")
        except ModelError:
            raise
        except OSError as exc:
            if exc.errno in OUTPUT_ERRNOS:
                raise output_full(exc, args.output) from None
            failed += 1
            print(f"posecheck landmarks: error: {video}: {exc.strerror or exc}; check the "
                  "file can be read", file=sys.stderr)
            continue
        except PosecheckError as exc:
            failed += 1
            print(f"posecheck landmarks: error: {exc}", file=sys.stderr)
            continue
        note = ""
        if track.truncated:
            note = (f"; only {len(track.frames)} of {track.info.frame_count} announced frames "
                    "decoded (truncated file?)")
        odd = odd_timestamps([f.t_ms for f in track.frames], track.info.fps)
        if odd:
            note += (f"; warning: {odd} frame timestamps were repeated, out of order or jumped "
                     "ahead, so times may be wrong (re-encode the file)")
        print(f"{video}: {cache.frames_summary(track.frames)}{note} -> {out}", flush=True)
    return 1 if failed else 0

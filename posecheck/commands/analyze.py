"""``posecheck analyze VIDEO --stretch ID --out DIR``: check one video against one stretch.

Writes ``DIR/<video stem>.json`` (the :class:`~posecheck.analysis.AnalysisReport`, written to a
temporary file and moved into place) and prints a short summary. Landmarks come from the
landmark cache when the same video met the same model before.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from posecheck.errors import PosecheckError, VideoError

MODELS = ("lite", "full", "heavy")
SMOOTHING = ("batch", "live", "none")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="check a video against a stretch spec: valid hold time, per-frame checks",
        description="Estimate (or load cached) pose landmarks of VIDEO, run the stretch's "
                    "checks on every frame and write DIR/<video stem>.json with the valid hold "
                    "time per side, the pass/fail/unknown fraction of each check and a "
                    "per-frame timeline.",
    )
    parser.add_argument("video", metavar="VIDEO", help="video (or image) file")
    parser.add_argument("--stretch", required=True, metavar="ID",
                        help="stretch id (see `posecheck specs list`) or a spec .toml path")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--model", choices=MODELS, default="lite",
                        help="pose model (default: lite)")
    parser.add_argument("--smoothing", choices=SMOOTHING, default="batch",
                        help="batch: zero-phase over the whole track (default); live: the live "
                             "page's One Euro filter; none: raw landmarks")
    parser.add_argument("--mirrored", action="store_true",
                        help="the video is mirrored (selfie camera): swap left and right")
    parser.add_argument("--no-cache", action="store_true", help="re-run the pose model")
    parser.add_argument("--quiet", action="store_true", help="no progress or summary output")
    parser.set_defaults(func=run)


def write_json_atomic(path: Path, data: object) -> Path:
    """Write JSON to ``path`` via a temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, allow_nan=False)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def summary_lines(report_json: dict) -> list[str]:
    lines = [f"{report_json['video']}: {report_json['stretch']}, {report_json['frames']} frames, "
             f"{report_json['pose_frames']} with a pose, {report_json['in_pose_frames']} in "
             "position"]
    for side, s in report_json["sides"].items():
        lines.append(f"  {side}: valid hold {s['valid_hold_s']:.1f} s, in position "
                     f"{s['in_pose_s']:.1f} s, reps {s['reps']}, holds {len(s['holds'])}")
    for cid, c in report_json["checks"].items():
        lines.append(f"  check {cid}: pass {c['pass_fraction']:.0%}, fail "
                     f"{c['fail_fraction']:.0%}, unknown {c['unknown_fraction']:.0%}")
    return lines


def run(args: argparse.Namespace) -> int:
    from posecheck.analysis import analyze_frames
    from posecheck.cache import load_or_estimate
    from posecheck.specs import load_spec

    video = Path(args.video)
    if not video.is_file():
        raise VideoError(f"{video}: no such file. Fix: check the path")
    spec = load_spec(args.stretch)  # fail on a bad spec before running the model
    out_dir = Path(args.out)
    if out_dir.exists() and not out_dir.is_dir():
        raise PosecheckError(f"{out_dir}: exists and is not a folder. Fix: give a folder")
    track = load_or_estimate(video, args.model, use_cache=not args.no_cache,
                             progress=not args.quiet)
    report = analyze_frames(track.frames, spec, fps=track.info.fps, video=str(video),
                            smoothing=args.smoothing, mirrored=args.mirrored)
    data = report.to_json()
    data["model"] = args.model
    target = write_json_atomic(out_dir / f"{video.stem}.json", data)
    if not args.quiet:
        print("\n".join(summary_lines(data)))
        print(f"wrote {target}")
    return 0

"""The stretched side per hold and per clip, against the exact synthetic truth and the real
labels (labels/real_footage.toml), from cached landmarks (no model run).

    .venv/bin/python benchmarks/side_accuracy.py [--footage DIR] [--synthetic DIR]

Prints, per clip: each one-sided hold's side call (a side or "unsure") and its confidence,
the truth (the script's side over the hold, or the person's label), and the clip's side over
its in-position frames; then the totals: holds right / wrong / unsure, and the confidence of
the right and the wrong calls (calibration). Reads reports through the typed report only.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import math
from pathlib import Path

import numpy as np

from posecheck.core.analysis import analyze_frames
from posecheck.model.landmarks import load_or_estimate
from posecheck.specs.parse import load_spec
from posecheck.tuning.label_files import load_labels


def _clip_side(report) -> str:
    sides = collections.Counter(f.stretched_side for f in report.frames
                                if f.in_pose and f.has_pose and f.stretched_side)
    return sides.most_common(1)[0][0] if sides else "-"


def _holds(report):
    out = []
    for totals in report.to_report().sides.values():
        for h in totals.holds:
            if h.side is not None:
                out.append(h)
    return sorted(out, key=lambda h: h.start_s)


def synthetic(folder: Path, tally: collections.Counter, confs: dict) -> None:
    for path in sorted(folder.glob("*.truth.json.gz")):
        truth = json.loads(gzip.decompress(path.read_bytes()))
        spec = load_spec(truth["stretch"])
        if spec.stretched_leg in ("both", "none"):
            continue
        track = load_or_estimate(path.with_name(path.name.replace(".truth.json.gz", ".mp4")),
                                 "full", progress=False)
        report = analyze_frames(track.frames, spec, fps=track.info.fps)
        t_side = {round(f["t_ms"] / 1000.0, 3): f["script_side"] for f in truth["frames"]}
        cells = []
        for h in _holds(report):
            inside = [s for t, s in t_side.items() if h.start_s <= t <= h.end_s and s]
            true = collections.Counter(inside).most_common(1)[0][0] if inside else "-"
            cells.append(_tally(h, true, tally, confs))
        print(f"  {path.name[:-14]:38s} clip {_clip_side(report):6s} holds: "
              + ("; ".join(cells) or "none"))


def real(label_file: Path, root: Path | None, tally: collections.Counter, confs: dict) -> None:
    labels = load_labels(label_file, root=root)
    for clip in labels.clips:
        if clip.negative:
            continue
        spec = load_spec(clip.stretch)
        if spec.stretched_leg in ("both", "none"):
            continue
        track = load_or_estimate(labels.video_path(clip), "full", progress=False)
        if not track.frames:
            continue
        report = analyze_frames(track.frames, spec, fps=track.info.fps)
        true = clip.sure_side or (clip.side or "-")
        cells = [_tally(h, true, tally, confs) for h in _holds(report)]
        frames = [f for f in report.frames if f.in_pose and f.has_pose]
        side = _clip_side(report)
        from posecheck.core.session import side_confidence
        conf = side_confidence(report.frames, side, 0.0, math.inf) if frames else math.nan
        print(f"  {Path(clip.video).name:48s} label {true:6s} clip {side:6s} conf "
              f"{conf:.2f} holds: " + ("; ".join(cells) or "none"))


def _tally(h, true: str, tally: collections.Counter, confs: dict) -> str:
    conf = h.side_confidence
    if true not in ("left", "right"):
        kind = "person unsure"
    elif h.side == "unsure":
        kind = "unsure"
    else:
        kind = "right" if h.side == true else "WRONG"
    tally[kind] += 1
    confs.setdefault(kind, []).append(conf if conf is not None else math.nan)
    return (f"{h.start_s:.1f}-{h.end_s:.1f}s {h.side} {conf if conf is not None else '-'} "
            f"(truth {true}: {kind})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", default="sample_videos")
    ap.add_argument("--labels", default="labels/real_footage.toml")
    ap.add_argument("--footage-root", default=None,
                    help="folder the label file's paths start from (default: its root)")
    args = ap.parse_args()
    for name, run in (("synthetic", lambda t, c: synthetic(Path(args.synthetic), t, c)),
                      ("real", lambda t, c: real(Path(args.labels), args.footage_root, t, c))):
        tally: collections.Counter = collections.Counter()
        confs: dict = {}
        print(f"== {name}")
        run(tally, confs)
        print(f"  holds: {dict(tally)}")
        for kind, vals in sorted(confs.items()):
            v = np.array(vals, dtype=float)
            print(f"  confidence of '{kind}' holds: min {np.nanmin(v):.2f} median "
                  f"{np.nanmedian(v):.2f} max {np.nanmax(v):.2f} (n={len(v)})")


if __name__ == "__main__":
    main()

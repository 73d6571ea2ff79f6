"""Range-of-motion error on the synthetic sample clips (measured, not asserted).

    .venv/bin/python benchmarks/rom_accuracy.py [--dir sample_videos] [--model full]

For every clip with a ``*.truth.json.gz``: the true ROM of each hold is posecheck.core.rom on the
exact landmarks (no smoothing: the spec's own verdict decides the valid frames); the
measured ROM is the same on MediaPipe's landmarks (from the landmark cache, else the model)
with the batch smoothing, i.e. what `posecheck analyze --save-history` stores. Each true hold
is matched with the measured hold of the same side that overlaps it most. Prints, per
stretch, the ROM angle, holds matched / true, mean |error|, max |error| and mean signed error
(measured minus true) in degrees.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from posecheck.core.analysis import analyze_frames
from posecheck.model.landmarks import load_or_estimate
from posecheck.model.provision import DEFAULT_MODEL
from posecheck.core.rom import match_holds, measure_holds, rom_def
from posecheck.specs.parse import load_spec
from posecheck.synth.accuracy import _truth_pose_frames, find_clips

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, default=ROOT / "sample_videos")
    ap.add_argument("--model", default=DEFAULT_MODEL)
    args = ap.parse_args(argv)
    per: dict[str, dict] = {}
    for video, truth in find_clips(args.dir):
        stretch = truth["stretch"]
        rdef = rom_def(stretch)
        if rdef is None or truth.get("analysis") != "spec":
            continue
        spec = load_spec(stretch)
        fps = float(truth["fps"])
        exact = analyze_frames(_truth_pose_frames(truth), spec, fps=fps, smoothing="none")
        track = load_or_estimate(video, args.model, progress=False)
        est = analyze_frames(list(track.frames), spec, fps=float(track.info.fps) or fps)
        acc = per.setdefault(stretch, {"metric": rdef.metric, "true": 0, "matched": 0,
                                       "err": [], "clips": 0})
        acc["clips"] += 1
        for t, e in match_holds(measure_holds(est, spec), measure_holds(exact, spec)):
            if t.rom_deg is None:
                continue
            acc["true"] += 1
            if e is not None and e.rom_deg is not None:
                acc["matched"] += 1
                acc["err"].append(e.rom_deg - t.rom_deg)
    print(f"{'stretch':26s} {'ROM angle':28s} {'clips':>5s} {'holds':>7s} {'|err|':>6s} "
          f"{'max':>6s} {'bias':>6s}")
    for stretch, a in sorted(per.items()):
        err = np.array(a["err"])
        cells = (f"{np.mean(np.abs(err)):6.2f} {np.max(np.abs(err)):6.2f} {np.mean(err):+6.2f}"
                 if err.size else f"{'-':>6s} {'-':>6s} {'-':>6s}")
        print(f"{stretch:26s} {a['metric']:28s} {a['clips']:5d} "
              f"{a['matched']:>3d}/{a['true']:<3d} {cells}")
    allerr = np.concatenate([np.array(a["err"]) for a in per.values()] or [np.zeros(0)])
    if allerr.size:
        print(f"{'ALL':26s} {'':28s} {sum(a['clips'] for a in per.values()):5d} "
              f"{allerr.size:>7d} {np.mean(np.abs(allerr)):6.2f} {np.max(np.abs(allerr)):6.2f} "
              f"{np.mean(allerr):+6.2f}")
    print("(degrees; holds: true holds with a measured match / true holds with a ROM)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

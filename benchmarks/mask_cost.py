"""Frames per second of the pose estimator with and without the person mask (and the outline
measured on it), on a real clip resized to 640x480. Prints figures; asserts nothing.

    python benchmarks/mask_cost.py [VIDEO] [--model full] [--frames 150]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import cv2

from posecheck.model.estimator import open_estimator
from posecheck.io.video import iter_frames

FOOTAGE = Path(os.environ.get("POSECHECK_FOOTAGE", "../shared/footage"))
DEFAULT = FOOTAGE / "lunge" / "lunge_reverse_side_nowva.mp4"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("video", nargs="?", default=str(DEFAULT))
    ap.add_argument("--model", default="full")
    ap.add_argument("--frames", type=int, default=150)
    args = ap.parse_args()
    frames = []
    for _, t_ms, bgr in iter_frames(args.video):
        frames.append((t_ms, cv2.resize(bgr, (640, 480), interpolation=cv2.INTER_AREA)))
        if len(frames) >= args.frames:
            break
    for seg in (False, True, False, True):
        with open_estimator(args.model, segmentation=seg) as est:
            est.process(frames[0][1], 0)  # warm-up, not timed
            est.reset()
            start = time.perf_counter()
            outlines = 0
            for t_ms, image in frames:
                pf = est.process(image, t_ms)
                outlines += pf.outline is not None
            took = time.perf_counter() - start
        print(f"model={args.model} mask={'on ' if seg else 'off'} frames={len(frames)} "
              f"fps={len(frames) / took:.1f} outlines={outlines}")


if __name__ == "__main__":
    main()

"""Per-frame pose inference time of the lite, full and heavy models (VIDEO mode).

Frames are decoded beforehand, so only ``PoseEstimator.process`` is timed: BGR->RGB
conversion, MediaPipe ``detect_for_video`` (detector when tracking is lost, landmark model
every frame) and the conversion to ``PoseFrame``. fps is 1000 / mean wall ms; "cpu ms" is
process CPU time per frame (all threads). The first frames warm up the landmarker
and are not counted. The machine may be shared: compare models within one run.

Usage::

    .venv/bin/python benchmarks/inference.py [--frames 150] [--warmup 5] [--models lite full heavy]
                                             [--clip PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FOOTAGE = Path(os.environ.get("POSECHECK_FOOTAGE", ROOT.parent / "shared" / "footage"))
DEFAULT_CLIP = FOOTAGE / "lunge" / "lunge_reverse_side_nowva.mp4"


def decode(clip: Path, n: int) -> list[tuple[int, int, np.ndarray]]:
    from posecheck.io.video import iter_frames

    frames = []
    for item in iter_frames(clip):
        frames.append(item)
        if len(frames) == n:
            break
    return frames


def time_model(model: str, frames: list[tuple[int, int, np.ndarray]],
               warmup: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Wall and CPU milliseconds per frame after the warm-up, and how many frames held a pose.

    CPU time is the whole process's (all of MediaPipe's threads); on a busy machine it moves
    much less than wall time.
    """
    from posecheck.model.estimator import open_estimator

    wall, cpu, poses = [], [], 0
    with open_estimator(model) as est:
        for k, (index, t_ms, image) in enumerate(frames):
            w0, c0 = time.perf_counter(), time.process_time()
            frame = est.process(image, t_ms, index=index)
            w1, c1 = time.perf_counter(), time.process_time()
            if k >= warmup:
                wall.append((w1 - w0) * 1000.0)
                cpu.append((c1 - c0) * 1000.0)
                poses += frame.has_pose
    return np.array(wall), np.array(cpu), poses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--frames", type=int, default=150, help="frames timed per model")
    parser.add_argument("--warmup", type=int, default=5, help="extra frames run first, untimed")
    parser.add_argument("--models", nargs="+", default=["lite", "full", "heavy"])
    args = parser.parse_args(argv)
    if not args.clip.is_file():
        print(f"clip not found: {args.clip} (set POSECHECK_FOOTAGE or pass --clip)",
              file=sys.stderr)
        return 2

    frames = decode(args.clip, args.frames + args.warmup)
    h, w = frames[0][2].shape[:2]
    print(f"clip: {args.clip.name} ({w}x{h}), {len(frames) - args.warmup} timed frames "
          f"after {args.warmup} warm-up, VIDEO mode, decode excluded, cpu count {os.cpu_count()}")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print(f"{'model':<8}{'median ms':>11}{'p90 ms':>9}{'mean ms':>9}{'fps':>8}"
          f"{'cpu ms':>9}{'poses':>10}")
    for model in args.models:
        ms, cpu, poses = time_model(model, frames, args.warmup)
        print(f"{model:<8}{np.median(ms):>11.1f}{np.percentile(ms, 90):>9.1f}"
              f"{ms.mean():>9.1f}{1000.0 / ms.mean():>8.1f}{cpu.mean():>9.1f}"
              f"{poses:>6}/{len(ms)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Does turning a lying body upright before the model change what posecheck sees? (issue 13.5)

    .venv/bin/python benchmarks/rotation.py --spec ID VIDEO [VIDEO ...]

For each video: the full model runs once on the frames as they are (from the landmark cache
when it has them) and once on the frames turned 90 deg so the head points up (the direction
comes from the first run's median nose-minus-hips vector; a body already upright is skipped).
The second run's landmarks are turned back into the original frame, and both tracks go
through the same analysis (``analyze_frames``, batch smoothing). Prints, per clip, how far
the landmarks moved (median over frames, in torso lengths, for the nose, hips, knees and
ankles), the share of frames whose in-position decision or any check verdict differs, and the
valid hold seconds per side of each run.

BlazePose's detector already predicts the body's rotation and the landmark model runs on an
upright crop, so the expected answer is "nothing changes"; this script is how that was
measured (docs/CHECKS.md, "Lying bodies and image rotation"). Nothing is written anywhere.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from posecheck.core.analysis import analyze_frames
from posecheck.core.geometry import trunk_centres, torso_length
from posecheck.core.pose import Landmark as L, PoseFrame
from posecheck.io.video import VideoInfo, iter_frames
from posecheck.model.estimator import open_estimator
from posecheck.model.landmarks import downscaled, load_or_estimate, model_scale, to_size
from posecheck.specs.parse import load_spec

JOINTS = {"nose": [L.NOSE], "hips": [L.LEFT_HIP, L.RIGHT_HIP],
          "knees": [L.LEFT_KNEE, L.RIGHT_KNEE], "ankles": [L.LEFT_ANKLE, L.RIGHT_ANKLE]}


def head_direction(frames: list[PoseFrame]) -> np.ndarray:
    """Median nose-minus-mid-hip vector in pixels (x right, y down)."""
    d = [f.xy[L.NOSE] - trunk_centres(f.xy)[1] for f in frames if f.has_pose]
    return np.median(np.array(d), 0) if d else np.zeros(2)


def unrotate(pf: PoseFrame, clockwise: bool, w: int, h: int) -> PoseFrame:
    """A pose found on a frame turned 90 deg, in the unturned ``w`` x ``h`` frame's pixels."""
    if not pf.has_pose:
        return replace(pf, width=w, height=h)
    xr, yr = pf.xy[:, 0], pf.xy[:, 1]
    world = pf.world
    if clockwise:  # (x, y) was drawn at (h - 1 - y, x)
        xy = np.stack([yr, h - 1 - xr], 1)
        if world is not None:
            world = np.stack([world[:, 1], -world[:, 0], world[:, 2]], 1)
    else:          # (x, y) was drawn at (y, w - 1 - x)
        xy = np.stack([w - 1 - yr, xr], 1)
        if world is not None:
            world = np.stack([-world[:, 1], world[:, 0], world[:, 2]], 1)
    return replace(pf, xy=xy, world=world, width=w, height=h)


def turned_run(video: Path, info: VideoInfo, clockwise: bool) -> list[PoseFrame]:
    scale = model_scale(info)
    code = cv2.ROTATE_90_CLOCKWISE if clockwise else cv2.ROTATE_90_COUNTERCLOCKWISE
    out = []
    with open_estimator("full") as est:
        for index, t_ms, bgr in downscaled(iter_frames(video), scale):
            h, w = bgr.shape[:2]
            pf = replace(est.process(cv2.rotate(bgr, code), t_ms, index=index), mask=None)
            pf = unrotate(pf, clockwise, w, h)
            out.append(to_size(pf, info.width, info.height) if scale < 1.0 else pf)
    return out


def moved(a: list[PoseFrame], b: list[PoseFrame]) -> dict[str, float]:
    """Median landmark displacement between the runs, in torso lengths."""
    rows = {k: [] for k in JOINTS}
    for x, y in zip(a, b):
        if not (x.has_pose and y.has_pose):
            continue
        torso = float(torso_length(*trunk_centres(x.xy)))
        if not torso > 0:
            continue
        for k, idx in JOINTS.items():
            rows[k].append(float(np.linalg.norm(x.xy[idx] - y.xy[idx], axis=1).mean() / torso))
    return {k: float(np.median(v)) if v else float("nan") for k, v in rows.items()}


def verdicts(report) -> list[tuple]:
    return [(f.in_pose, tuple(sorted((k, c.status) for k, c in f.checks.items())))
            for f in report.frames]


def held(report) -> str:
    sides = report.to_report().sides
    return " ".join(f"{s} {t.valid_hold_s:.1f}s" for s, t in sides.items())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("videos", nargs="+", type=Path)
    ap.add_argument("--spec", required=True, help="spec id the clips are analysed with")
    args = ap.parse_args()
    spec = load_spec(args.spec)
    print("clip | turned | moved (torso lengths: nose hips knees ankles) | frames differing: "
          "in-position, any check | valid hold as is | valid hold turned")
    for video in args.videos:
        track = load_or_estimate(video, "full", progress=False)
        frames = list(track.frames)
        d = head_direction(frames)
        if abs(d[1]) >= abs(d[0]):
            print(f"{video.name} | upright already, skipped")
            continue
        clockwise = bool(d[0] < 0)  # head on the left: turning clockwise puts it on top
        turned = turned_run(video, track.info, clockwise)
        m = moved(frames, turned)
        fps = track.info.fps
        r0 = analyze_frames(frames, spec, fps=fps)
        r1 = analyze_frames(turned, spec, fps=fps)
        v0, v1 = verdicts(r0), verdicts(r1)
        n = max(1, len(v0))
        pos = sum(a[0] != b[0] for a, b in zip(v0, v1)) / n
        chk = sum(a[1] != b[1] for a, b in zip(v0, v1)) / n
        print(f"{video.name} | {'cw' if clockwise else 'ccw'} | "
              + " ".join(f"{m[k]:.3f}" for k in JOINTS)
              + f" | {pos:.3f}, {chk:.3f} | {held(r0)} | {held(r1)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

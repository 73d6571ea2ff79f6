"""``posecheck synth``: render synthetic mannequin footage with exact ground truth.

    posecheck synth samples [--out sample_videos] [--only CLIP ...]   the sample set
    posecheck synth samples --truth-only                                 refresh truth after a spec change
    posecheck synth list                                                 clip ids and contents
    posecheck synth frame STRETCH [--side left] [--fault F] [--heading 90] --out still.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

from posecheck.core.errors import PosecheckError

# In the current folder (a checkout's root, where the samples live), never inside the package.
DEFAULT_OUT = Path("sample_videos")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("synth", help="render synthetic mannequin clips with ground truth",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    s = sub.add_parser("samples", help="(re)generate the sample set, byte-for-byte")
    s.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help="output folder (default: ./sample_videos, as in a checkout's root)")
    s.add_argument("--only", nargs="+", metavar="CLIP", help="only these clip ids")
    s.add_argument("--truth-only", action="store_true",
                   help="rewrite only the ground truth (seconds, no rendering): run it after "
                        "changing a spec, because the truth follows the spec's rules")
    s.set_defaults(func=_samples)
    ls = sub.add_parser("list", help="list the sample clips")
    ls.set_defaults(func=_list)
    f = sub.add_parser("frame", help="render one still of a stretch pose (PNG) with its "
                                     "true landmarks")
    f.add_argument("stretch", help="stretch id, e.g. half_kneeling_hip_flexor")
    f.add_argument("--side", default="left", choices=("left", "right"),
                   help="stretched side (the subject's)")
    f.add_argument("--fault", default="", help="scripted fault id (default: good form)")
    f.add_argument("--heading", type=float, default=90.0,
                   help="deg the subject faces: 90 image right, -90 left, 0 the camera")
    f.add_argument("--landmarks", action="store_true", help="draw the true landmarks")
    f.add_argument("--out", type=Path, required=True, help="PNG file to write")
    f.set_defaults(func=_frame)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _samples(args: argparse.Namespace) -> int:
    from posecheck.synth.samples import write_samples

    paths = write_samples(args.out, only=args.only, truth_only=args.truth_only)
    videos = [q for q in paths if q.suffix == ".mp4"]
    truths = [q for q in paths if q.name.endswith(".truth.json.gz")]
    size = sum(q.stat().st_size for q in paths)
    print(f"[synth] wrote {len(videos)} videos and {len(truths)} truth files to {args.out} "
          f"({size / 1e6:.1f} MB)")
    return 0


def _list(args: argparse.Namespace) -> int:
    from posecheck.synth.samples import sample_clips

    for c in sample_clips():
        print(f"{c.id:38s} {c.stretch:26s} {c.view:8s} {c.duration_s:5.1f}s  {c.description}")
    return 0


def _frame(args: argparse.Namespace) -> int:
    import cv2
    import numpy as np
    from dataclasses import replace

    from posecheck.synth.body import pose_skeleton
    from posecheck.synth.camera import framing_camera
    from posecheck.synth.render import Palette, Scene, render_frame
    from posecheck.synth.poses import stretch_pose

    try:
        pose = stretch_pose(args.stretch, args.side, 1, args.fault)
    except ValueError as exc:
        raise PosecheckError(f"synth frame: {exc}") from None
    pose = replace(pose, heading=args.heading) if pose.roll == 0 else pose
    skel = pose_skeleton(pose)
    pts = np.array([s.a for s in skel.segments] + [s.b for s in skel.segments])
    cam = framing_camera(pts, elevation=12.0)
    img = render_frame(Scene(camera=cam), [(skel, Palette())], 0)
    if args.landmarks:
        xy, _ = cam.project(skel.landmarks)
        for x, y in xy:
            cv2.circle(img, (int(round(x)), int(round(y))), 2, (0, 0, 255), -1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(args.out), img):
        raise PosecheckError(f"{args.out}: cannot write the image; use a .png path in a "
                             "writable folder")
    print(f"[synth] wrote {args.out}")
    return 0

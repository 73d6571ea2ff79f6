"""One synthetic clip: its definition, room and camera, per-frame truth and rendering.

A :class:`Clip` is a subject's keyframe track (optional passers-by), a camera view and
elevation, a room/clothing style and a body shape. :func:`write_clip` renders it to
``<id>.mp4`` (H.264 in the sink's exact encoding, :data:`posecheck.io.sink.EXACT`) and
``<id>.truth.json.gz``; everything is seeded, so a re-run gives identical files. The sample set
itself is :mod:`posecheck.synth.samples`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

import numpy as np

from posecheck.io.files import atomic_write_bytes
from posecheck.io.sink import EXACT, write_video
from posecheck.synth.body import BodyShape, pose_skeleton
from posecheck.synth.camera import Camera, framing_camera
from posecheck.synth.poses import CHAIR_SEAT, POSTURE
from posecheck.synth.scripts import Key, Segment, Track, hold_keys
from posecheck.synth.silhouette import Silhouette, exact_trunk_edges, image_facing, mid_points
from posecheck.synth.truth import SUFFIX as TRUTH_SUFFIX
from posecheck.synth.truth import TrueFrame, build_truth, truth_bytes

STYLES = (
    dict(wall=(200, 205, 210), floor=(120, 140, 160), light=(-0.45, -0.9), ambient=0.55,
         palette=dict(shirt=(150, 90, 40), pants=(60, 55, 50), skin=(120, 160, 205))),
    dict(wall=(170, 200, 215), floor=(90, 110, 130), light=(0.5, -0.85), ambient=0.5,
         palette=dict(shirt=(60, 60, 180), pants=(110, 80, 40), skin=(95, 135, 180),
                      shin=(95, 135, 180))),  # shorts
    dict(wall=(215, 215, 200), floor=(150, 150, 150), light=(-0.2, -1.0), ambient=0.6,
         palette=dict(shirt=(70, 150, 70), pants=(40, 40, 40), skin=(140, 180, 225))),
    dict(wall=(185, 185, 195), floor=(70, 95, 120), light=(0.3, -0.95), ambient=0.45,
         palette=dict(shirt=(40, 140, 210), pants=(120, 60, 60), skin=(70, 100, 140),
                      shin=(70, 100, 140))),  # shorts
    dict(wall=(225, 220, 230), floor=(130, 120, 110), light=(-0.6, -0.8), ambient=0.55,
         palette=dict(shirt=(170, 170, 170), pants=(90, 40, 90), skin=(110, 150, 195))),
)
WALKER_PALETTE = dict(shirt=(30, 120, 200), pants=(140, 120, 90), skin=(90, 125, 170),
                      shoe=(40, 40, 40))
FLOOR_POSTURES = ("supine", "prone", "side_lying")


@dataclass(frozen=True)
class Clip:
    """One synthetic clip: a subject's keyframe track, optional passers-by, camera, style."""

    id: str
    stretch: str
    description: str
    subject: Track
    others: tuple[Track, ...] = ()
    fps: int = 15
    width: int = 480
    height: int = 360
    view: str = "side"          # "side", "oblique" or "front" (what the camera sees)
    elevation: float = 5.0      # camera looking down (deg)
    style: int = 0
    prop: str = ""              # "", "mat", "bed", "chair"
    seed: int = 0
    # the body's shape; the back-arch clips vary its torso (+ clothing) radius, ``trunk_r``
    shape: BodyShape = field(default_factory=BodyShape)
    # moving-exercise clips: the reps the script does (0 for bouncing or walking through); the
    # truth then also gives the script's still good-form hold seconds and this count
    scripted_reps: int | None = None

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ValueError(f"Clip {self.id}: fps must be positive, got {self.fps}")
        if self.view not in ("side", "oblique", "front"):
            raise ValueError(f"Clip {self.id}: view must be side, oblique or front")

    @property
    def duration_s(self) -> float:
        return max([self.subject.end] + [t.end for t in self.others])

    @property
    def frame_count(self) -> int:
        return int(round(self.duration_s * self.fps))

    def t_ms(self, index: int) -> int:
        return int(round(index * 1000.0 / self.fps))

    @property
    def has_spine(self) -> bool:
        """The subject's lumbar curve is scripted (``Pose.lumbar`` set on a key): its truth
        then carries the back outline measured on the exact silhouette."""
        return any(k.pose.lumbar is not None for k in self.subject.keys)


# ---------------------------------------------------------------------------- scene
def _scene(clip: Clip):
    from posecheck.synth.render import Palette, Prop, Scene

    st = STYLES[clip.style % len(STYLES)]
    cam = clip_camera(clip)
    props: tuple = ()
    if clip.prop == "mat":
        props = (Prop("mat", (0.0, 0.0), (2.0, 0.012, 0.7), (120, 90, 60)),)
    elif clip.prop == "bed":
        # Treatment table ending at the hip; the stretched leg hangs past its edge.
        facing = 1 if clip.subject.keys[0].pose.heading > 0 else -1
        props = (Prop("bed", (-facing * 0.95 + facing * 0.04, 0.0), (1.9, BED_TOP, 0.75),
                      (150, 150, 165)),)
    elif clip.prop == "chair":
        props = (Prop("chair", (0.0, 0.0), (0.42, CHAIR_SEAT, 0.42), (50, 80, 120)),)
    scene = Scene(camera=cam, wall=st["wall"], floor=st["floor"], light=st["light"],
                  ambient=st["ambient"], props=props, seed=clip.seed)
    return scene, Palette(**st["palette"]), Palette(**WALKER_PALETTE)


BED_TOP = 0.62  # metres; high enough for the hanging leg's foot to clear the floor


def clip_camera(clip: Clip) -> Camera:
    """A camera framing the subject's held poses (not the walk out of frame)."""
    pts = []
    for k in clip.subject.keys:
        if k.phase == "out":
            continue
        sk = pose_skeleton(k.pose, clip.shape)
        pts.extend([s.a for s in sk.segments] + [s.b for s in sk.segments])
        pts.append(sk.face["centre"] + np.array([0.0, 0.12, 0.0]))
    pts.append(np.array([pts[0][0], 0.0, 0.0]))  # the floor under the body stays in view
    fill = 0.8 if POSTURE[clip.stretch] in FLOOR_POSTURES else 0.8
    return framing_camera(np.array(pts), width=clip.width, height=clip.height,
                          elevation=clip.elevation, fill=fill)

# ---------------------------------------------------------------------------- one clip
def _subject_truth(clip: Clip, camera: Camera, i: int, shape: BodyShape):
    t_ms = clip.t_ms(i)
    pose, labels = clip.subject.at(t_ms / 1000.0)
    skel = pose_skeleton(pose, shape)
    xy, depth = camera.project(skel.landmarks)
    outline, facing = None, 0
    if clip.has_spine:
        outline = exact_trunk_edges(Silhouette.from_skeleton(skel, camera, shape.head_r),
                                    *mid_points(xy), clip.width, clip.height)
        facing = image_facing(skel, camera)
    return skel, TrueFrame(index=i, t_ms=t_ms, xy=xy, depth=depth, phase=labels.phase,
                           fault=labels.fault, side=labels.side, outline=outline,
                           facing=facing)


def truth_frames(clip: Clip) -> list[TrueFrame]:
    """The clip's per-frame truth without rendering (same poses, same projection)."""
    cam, shape = clip_camera(clip), clip.shape
    return [_subject_truth(clip, cam, i, shape)[1] for i in range(clip.frame_count)]


def clip_truth(clip: Clip, video_name: str = "") -> dict:
    """The JSON-ready truth of ``clip`` (the spec's analysis of the exact landmarks)."""
    return build_truth(clip_id=clip.id, stretch=clip.stretch, video=video_name or
                       f"{clip.id}.mp4", fps=float(clip.fps), width=clip.width,
                       height=clip.height, frames=truth_frames(clip),
                       description=clip.description, view=clip.view,
                       script=script_summary(clip), scripted_reps=clip.scripted_reps)


def iter_clip(clip: Clip) -> Iterator[tuple[int, int, np.ndarray, TrueFrame]]:
    """Yield ``(index, t_ms, bgr_image, truth)`` for every frame of the clip."""
    from posecheck.synth.render import render_frame

    scene, pal, walker_pal = _scene(clip)
    shape = clip.shape
    for i in range(clip.frame_count):
        skel, tf = _subject_truth(clip, scene.camera, i, shape)
        t = tf.t_ms / 1000.0
        bodies = [(skel, pal)]
        for other in clip.others:
            if other.keys[0].t <= t <= other.end:
                bodies.append((pose_skeleton(other.at(t)[0]), walker_pal))
        yield i, tf.t_ms, render_frame(scene, bodies, i), tf


def write_clip(clip: Clip, out_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Render ``clip`` to ``<out_dir>/<id>.mp4`` and ``<id>.truth.json.gz``; return both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    video = write_video((img for _, _, img, _ in iter_clip(clip)), out / f"{clip.id}.mp4",
                        clip.fps, options=EXACT)
    return video, write_truth(clip, out)


def write_truth(clip: Clip, out_dir: str | os.PathLike[str]) -> Path:
    """Write only ``<id>.truth.json.gz`` (the spec's verdicts on the exact landmarks): quick,
    no rendering. Run it after a spec's thresholds change, since the truth follows the spec."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    truth_path = out / f"{clip.id}{TRUTH_SUFFIX}"
    atomic_write_bytes(truth_path, truth_bytes(clip_truth(clip, f"{clip.id}.mp4")))
    return truth_path


def script_summary(clip: Clip) -> dict:
    """The subject's keys as plain data (times, phases, faults, sides)."""
    return {"keys": [{"t_s": k.t, "phase": k.phase, "fault": k.fault, "side": k.side}
                     for k in clip.subject.keys],
            "passers_by": len(clip.others), "view": clip.view, "prop": clip.prop,
            **({"camera_elevation_deg": clip.elevation, "trunk_r_m": clip.shape.trunk_r}
               if clip.has_spine else {})}


# ---------------------------------------------------------------------------- set helpers
def turned(keys: list[Key], heading: float) -> list[Key]:
    """The same keys with the subject turned to ``heading`` degrees (0 = facing the camera)."""
    return [replace(k, pose=replace(k.pose, heading=heading)) for k in keys]


def make_clip(cid: str, stretch: str, desc: str, plan: list[Segment], *, facing: int = 1,
              n: int = 0, **kw) -> Clip:
    """A clip of the sample set: style and seed from its number ``n``, the prop and camera
    elevation from the stretch's posture unless given."""
    posture = POSTURE[stretch]
    prop = kw.pop("prop", "mat" if posture in FLOOR_POSTURES or stretch in (
        "camel", "pigeon") else "")
    elevation = kw.pop("elevation", 18.0 if posture in FLOOR_POSTURES else 5.0)
    if posture == "side_lying":
        elevation = 55.0
    keys = kw.pop("keys", None) or hold_keys(stretch, plan, facing=facing)
    if prop == "bed":
        keys = [replace(k, pose=replace(k.pose, grounded=False, lift=BED_TOP + 0.125))
                for k in keys]
    return Clip(id=cid, stretch=stretch, description=desc, subject=Track(tuple(keys)),
                style=n % len(STYLES), seed=1000 + n, prop=prop, elevation=elevation, **kw)



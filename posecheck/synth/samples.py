"""The synthetic sample set: clip definitions, rendering to video, and truth files.

``posecheck synth samples`` writes every clip of :func:`sample_clips` into ``sample_videos/``
as ``<id>.mp4`` (H.264 in the sink's exact encoding, :data:`posecheck.io.sink.EXACT`: the
same bytes on every machine) plus
``<id>.truth.json.gz``. Everything is seeded, so a re-run gives identical files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

import numpy as np

from posecheck.core.errors import PosecheckError
from posecheck.io.files import atomic_write_bytes
from posecheck.io.sink import EXACT, write_video
from posecheck.synth.body import BodyShape, pose_skeleton
from posecheck.synth.camera import Camera, framing_camera
from posecheck.synth.poses import CHAIR_SEAT, POSTURE
from posecheck.synth.scripts import Key, Segment, Track, hold_keys, walk_track
from posecheck.synth.truth import SUFFIX as TRUTH_SUFFIX
from posecheck.synth.truth import TrueFrame, build_truth, read_truth, truth_bytes

# Room and clothing styles, picked per clip by index (BGR colours).
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
        sk = pose_skeleton(k.pose)
        pts.extend([s.a for s in sk.segments] + [s.b for s in sk.segments])
        pts.append(sk.face["centre"] + np.array([0.0, 0.12, 0.0]))
    pts.append(np.array([pts[0][0], 0.0, 0.0]))  # the floor under the body stays in view
    fill = 0.8 if POSTURE[clip.stretch] in FLOOR_POSTURES else 0.8
    return framing_camera(np.array(pts), width=clip.width, height=clip.height,
                          elevation=clip.elevation, fill=fill)


# ---------------------------------------------------------------------------- rendering
def _subject_truth(clip: Clip, camera: Camera, i: int, shape: BodyShape):
    t_ms = clip.t_ms(i)
    pose, labels = clip.subject.at(t_ms / 1000.0)
    skel = pose_skeleton(pose, shape)
    xy, depth = camera.project(skel.landmarks)
    return skel, TrueFrame(index=i, t_ms=t_ms, xy=xy, depth=depth, phase=labels.phase,
                           fault=labels.fault, side=labels.side)


def truth_frames(clip: Clip) -> list[TrueFrame]:
    """The clip's per-frame truth without rendering (same poses, same projection)."""
    cam, shape = clip_camera(clip), BodyShape()
    return [_subject_truth(clip, cam, i, shape)[1] for i in range(clip.frame_count)]


def clip_truth(clip: Clip, video_name: str = "") -> dict:
    """The JSON-ready truth of ``clip`` (the spec's analysis of the exact landmarks)."""
    return build_truth(clip_id=clip.id, stretch=clip.stretch, video=video_name or
                       f"{clip.id}.mp4", fps=float(clip.fps), width=clip.width,
                       height=clip.height, frames=truth_frames(clip),
                       description=clip.description, view=clip.view,
                       script=script_summary(clip))


def iter_clip(clip: Clip) -> Iterator[tuple[int, int, np.ndarray, TrueFrame]]:
    """Yield ``(index, t_ms, bgr_image, truth)`` for every frame of the clip."""
    from posecheck.synth.render import render_frame

    scene, pal, walker_pal = _scene(clip)
    shape = BodyShape()
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
            "passers_by": len(clip.others), "view": clip.view, "prop": clip.prop}


# ---------------------------------------------------------------------------- the set
def _turn(keys: list[Key], heading: float) -> list[Key]:
    """The same keys with the subject turned to ``heading`` degrees (0 = facing the camera)."""
    return [replace(k, pose=replace(k.pose, heading=heading)) for k in keys]


def _clip(cid: str, stretch: str, desc: str, plan: list[Segment], *, facing: int = 1,
          n: int = 0, **kw) -> Clip:
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


def sample_clips() -> list[Clip]:
    """The deterministic sample set (ids are also the file names)."""
    S = Segment
    hk = "half_kneeling_hip_flexor"
    clips: list[Clip] = []

    def add(*args, **kw) -> None:
        clips.append(_clip(*args, n=len(clips), **kw))

    add("hk_good_left", hk, "left knee down, good form held 12 s, facing right",
        [S("left", 12.0)])
    add("hk_good_right_faceleft", hk, "right knee down, good form 12 s, facing left",
        [S("right", 12.0)], facing=-1)
    add("hk_lean40_left", hk, "left knee down, torso leaning 40 deg forward the whole hold",
        [S("left", 12.0, "lean_forward")])
    add("hk_drift_leanback_right", hk, "right knee down: good 5 s, arches back 5 s, recovers 4 s",
        [S("right", 5.0), S("right", 5.0, "lean_back"), S("right", 4.0)])
    add("hk_drift_knee_left", hk, "left knee down: good 4 s, front knee past toes 5 s, good 4 s",
        [S("left", 4.0), S("left", 5.0, "knee_over_toes"), S("left", 4.0)])
    add("hk_switch_sides", hk, "left side 6 s, stand, right side 6 s",
        [S("left", 6.0), S("right", 6.0)])
    front = _turn(hold_keys(hk, [S("left", 10.0)]), 15.0)
    add("hk_front_view", hk, "left knee down, good form, seen from the front (15 deg)",
        [], keys=front, view="front")
    oblique = _turn(hold_keys(hk, [S("right", 10.0)]), 55.0)
    add("hk_oblique_right", hk, "right knee down, good form, camera 35 deg off side-on",
        [], keys=oblique, view="oblique")
    # Good hold, a passer-by behind, then the subject stands and walks out of frame.
    base = hold_keys(hk, [S("left", 10.0)])
    end = base[-1].t
    walk = walk_track(end, end + 3.0, 0.0, 3.2, phase="out").keys
    passer = walk_track(4.0, 9.0, -3.5, 3.5, z=1.2, phase="out")
    add("hk_passerby_walkout", hk, "left side 10 s with a person walking past behind, "
        "then the subject walks out of frame", [], keys=list(base) + list(walk[1:]),
        others=(passer,))

    dl = "deep_lunge"
    add("deep_lunge_good_right", dl, "right leg back, good form 12 s", [S("right", 12.0)])
    add("deep_lunge_lean40_left", dl, "left leg back, torso leaning 40 deg forward",
        [S("left", 12.0, "lean_forward")], facing=-1)
    add("deep_lunge_drift_knee_right", dl, "right leg back: good 4 s, front knee past toes "
        "5 s, good 4 s", [S("right", 4.0), S("right", 5.0, "knee_over_toes"), S("right", 4.0)])
    add("deep_lunge_switch", dl, "left 6 s, then right 6 s", [S("left", 6.0), S("right", 6.0)])

    sp = "standing_psoas"
    add("standing_psoas_good_left", sp, "left leg back, good form 12 s", [S("left", 12.0)])
    add("standing_psoas_lean40_right", sp, "right leg back, torso leaning 40 deg forward",
        [S("right", 12.0, "lean_forward")])
    add("standing_psoas_drift_kneelocked_left", sp, "left leg back: good 4 s, back knee "
        "locked straight 5 s, good 4 s", [S("left", 4.0), S("left", 5.0, "knee_locked"),
                                          S("left", 4.0)], facing=-1)
    add("standing_psoas_drift_knee_right", sp, "right leg back: good 4 s, front knee past the "
        "toes 5 s, good 4 s", [S("right", 4.0), S("right", 5.0, "knee_over_toes"),
                               S("right", 4.0)])
    add("standing_psoas_drift_leanback_right", sp, "right leg back: good 4 s, arches back "
        "5 s, good 4 s", [S("right", 4.0), S("right", 5.0, "lean_back"), S("right", 4.0)])

    su = "supine_psoas"
    add("supine_psoas_good_left", su, "on the back, right knee hugged, left leg long 12 s",
        [S("left", 12.0)])
    add("supine_psoas_drift_lifted_right", su, "right leg long: good 4 s, lifted 5 s, good 4 s",
        [S("right", 4.0), S("right", 5.0, "leg_lifted"), S("right", 4.0)], facing=-1)
    add("supine_psoas_drift_bent_left", su, "left leg long: good 4 s, knee bent up 4 s, good "
        "3 s", [S("left", 4.0), S("left", 4.0, "leg_bent"), S("left", 3.0)])

    gb = "glute_bridge"
    add("glute_bridge_good", gb, "bridge held 12 s, shoulders-hips-knees in line",
        [S("left", 12.0)])
    add("glute_bridge_drift_dropped", gb, "bridge: good 4 s, hips drop 5 s, good 4 s",
        [S("left", 4.0), S("left", 5.0, "hips_dropped"), S("left", 4.0)], facing=-1)
    add("glute_bridge_drift_arched", gb, "bridge: good 4 s, hips pushed too high (arched) 4 s, "
        "good 3 s", [S("left", 4.0), S("left", 4.0, "lean_back"), S("left", 3.0)])

    add("low_lunge_quad_good_left", "low_lunge_quad", "left knee down, left foot held, 12 s",
        [S("left", 12.0)])
    add("lying_edge_psoas_good_right", "lying_edge_psoas", "on a table, right leg hanging "
        "off the edge 12 s", [S("right", 12.0)], prop="bed")
    add("seated_psoas_good_left", "seated_psoas", "on a chair edge, left leg long, heel down, "
        "toes up 12 s", [S("left", 12.0)], prop="chair")
    add("seated_psoas_drift_lean_right", "seated_psoas", "on a chair edge, right leg long: "
        "good 4 s, leans forward 4 s, good 3 s",
        [S("right", 4.0), S("right", 4.0, "lean_forward"), S("right", 3.0)], prop="chair",
        facing=-1)
    add("side_lying_psoas_good_left", "side_lying_psoas", "lying on the right side, left leg "
        "pulled back 12 s (camera above)", [S("left", 12.0)])
    add("camel_good", "camel", "camel pose held 10 s", [S("left", 10.0)])
    add("camel_drift_hipsback", "camel", "camel: good 4 s, hips sit back 4 s, good 3 s",
        [S("left", 4.0), S("left", 4.0, "hips_back"), S("left", 3.0)], facing=-1)
    add("cobra_good", "cobra", "cobra held 10 s", [S("left", 10.0)])
    add("cobra_drift_hipslift", "cobra", "cobra: good 4 s, hips lift 4 s, good 3 s",
        [S("left", 4.0), S("left", 4.0, "leg_lifted"), S("left", 3.0)], facing=-1)
    add("pigeon_good_right", "pigeon", "pigeon, right leg long behind, 12 s",
        [S("right", 12.0)])
    add("low_lunge_quad_lean40_right", "low_lunge_quad", "right knee down, foot held, torso "
        "leaning 40 deg forward", [S("right", 10.0, "lean_forward")], facing=-1)
    add("lying_edge_psoas_drift_lifted_left", "lying_edge_psoas", "on a table, left leg: "
        "hanging 4 s, lifted level 4 s, hanging 3 s",
        [S("left", 4.0), S("left", 4.0, "leg_lifted"), S("left", 3.0)], prop="bed",
        facing=-1)
    return clips


def quick_clip(stretch: str = "deep_lunge", side: str = "left", fault: str = "", *,
               hold_s: float = 3.0, fps: int = 10, size: tuple[int, int] = (320, 240),
               facing: int = 1, style: int = 0) -> Clip:
    """A short single-hold clip (for tests and quick checks)."""
    keys = hold_keys(stretch, [Segment(side, hold_s, fault)], facing=facing, settle_s=0.5,
                     enter_s=1.0, rest_s=0.5)
    return Clip(id=f"quick_{stretch}_{side}_{fault or 'good'}", stretch=stretch,
                description=f"{stretch}, {side} side, {fault or 'good form'} for {hold_s:g} s",
                subject=Track(tuple(keys)), fps=fps, width=size[0], height=size[1],
                style=style, seed=7)


def write_samples(out_dir: str | os.PathLike[str], only: list[str] | None = None,
                  progress: bool = True, truth_only: bool = False) -> list[Path]:
    """Write the sample set (or the clips named in ``only``) and a README listing it;
    ``truth_only`` rewrites the truth files and README without rendering video."""
    clips = sample_clips()
    if only:
        unknown = sorted(set(only) - {c.id for c in clips})
        if unknown:
            raise PosecheckError(f"unknown sample clip(s): {', '.join(unknown)}; "
                                 "see `posecheck synth list`")
        clips = [c for c in clips if c.id in only]
    written = []
    for c in clips:
        if progress:
            print(f"[synth] {c.id} ({c.frame_count} frames)", flush=True)
        if truth_only:
            written.append(write_truth(c, out_dir))
        else:
            written += list(write_clip(c, out_dir))
    if not only or set(only) == {c.id for c in sample_clips()}:
        readme = Path(out_dir) / "README.md"
        atomic_write_bytes(readme, samples_readme(sample_clips(), Path(out_dir)).encode())
        written.append(readme)
    return written


def samples_readme(clips: list[Clip], out_dir: Path) -> str:
    lines = [
        "# Synthetic sample videos",
        "",
        "Rendered mannequin clips with exact ground truth (`<clip>.truth.json.gz` beside each",
        "video). Regenerate byte-for-byte with `posecheck synth samples` (see docs/SYNTH.md).",
        "Do not edit by hand.",
        "",
        "| clip | stretch | view | s | what happens | valid hold s (truth) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in clips:
        hold = ""
        tp = out_dir / f"{c.id}{TRUTH_SUFFIX}"
        if tp.is_file():
            summary = read_truth(tp).get("summary", {})
            vh = summary.get("scripted_hold_s")
            if summary.get("sides"):
                vh = {k: v.get("valid_hold_s", 0.0) for k, v in summary["sides"].items()}
            if isinstance(vh, dict):
                hold = ", ".join(f"{k} {float(v):.1f}" for k, v in sorted(vh.items()))
            elif vh is not None:
                hold = f"{float(vh):.1f}"
        lines.append(f"| {c.id}.mp4 | {c.stretch} | {c.view} | {c.duration_s:.1f} | "
                     f"{c.description} | {hold} |")
    lines.append("")
    return "\n".join(lines)


__all__ = ["Clip", "sample_clips", "quick_clip", "write_clip", "write_samples", "iter_clip",
           "clip_camera", "clip_truth", "truth_frames"]

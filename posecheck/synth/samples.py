"""The synthetic sample set: every clip of ``sample_videos/`` and its README.

``posecheck synth samples`` writes every clip of :func:`sample_clips` into ``sample_videos/``
as ``<id>.mp4`` plus ``<id>.truth.json.gz`` (:func:`posecheck.synth.clip.write_clip`).
Everything is seeded, so a re-run gives identical files. The first 36 clips are the original
set; :mod:`posecheck.synth.more_clips` adds the back-arch drifts and the moving exercises.
"""

from __future__ import annotations

import os
from pathlib import Path

from posecheck.core.errors import PosecheckError
from posecheck.io.files import atomic_write_bytes
from posecheck.synth.clip import STYLES, Clip, make_clip, turned, write_clip, write_truth
from posecheck.synth.more_clips import arch_clips, motion_clips
from posecheck.synth.scripts import Segment, Track, hold_keys, walk_track
from posecheck.synth.truth import SUFFIX as TRUTH_SUFFIX
from posecheck.synth.truth import read_truth


def sample_clips() -> list[Clip]:
    """The deterministic sample set (ids are also the file names)."""
    S = Segment
    hk = "half_kneeling_hip_flexor"
    clips: list[Clip] = []

    def add(*args, **kw) -> None:
        clips.append(make_clip(*args, n=len(clips), **kw))

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
    front = turned(hold_keys(hk, [S("left", 10.0)]), 15.0)
    add("hk_front_view", hk, "left knee down, good form, seen from the front (15 deg)",
        [], keys=front, view="front")
    oblique = turned(hold_keys(hk, [S("right", 10.0)]), 55.0)
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
    clips += arch_clips(len(clips))
    clips += motion_clips(len(clips))
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


__all__ = ["sample_clips", "quick_clip", "write_samples", "samples_readme"]

"""The sample clips added after the original 36: back-arch drifts and moving exercises.

- :func:`arch_clips`: half-kneeling and deep-lunge holds whose low back drifts neutral ->
  arched -> flat -> neutral (``Pose.lumbar``, :data:`posecheck.synth.poses.BACK_BEND`), over
  three camera heights and three torso (clothing) widths; their truth carries the exact
  ``lumbar_lordosis_deg`` per frame (:mod:`posecheck.synth.silhouette`).
- :func:`motion_clips`: lunge reps, glute-bridge reps, bouncing in half-kneeling, walking into
  and straight out of the pose (no valid hold in any), and one still hold entered, settled
  (a shrinking sway), held and left.

The clips are numbered after the original set (``n``), which picks their style and seed.
"""

from __future__ import annotations

from dataclasses import replace

from posecheck.synth.body import BodyShape, Pose
from posecheck.synth.clip import Clip, make_clip
from posecheck.synth.poses import rest_pose, standing, stretch_pose, with_back
from posecheck.synth.scripts import Key, Segment, hold_keys, rep_keys, settle_keys, walk_track

HK, DL, GB = "half_kneeling_hip_flexor", "deep_lunge", "glute_bridge"
# (camera elevation deg, torso + clothing radius m) of the three arch clips of each stretch:
# together they cover every camera height and every width (BodyShape.trunk_r is 0.125).
ARCH_SETUPS = {HK: ((0.0, 0.125), (8.0, 0.132), (15.0, 0.112)),
               DL: ((0.0, 0.132), (8.0, 0.112), (15.0, 0.125))}
WIDTH_NAMES = {0.112: "slim", 0.125: "regular", 0.132: "loose"}
CAMERA_NAMES = {0.0: "camlevel", 8.0: "cam8", 15.0: "cam15"}


def arch_clips(n0: int) -> list[Clip]:
    """Six back-arch drift clips, numbered from ``n0``."""
    S = Segment
    clips: list[Clip] = []
    sides = (("left", 1), ("right", -1), ("right", 1))
    for stretch, setups in ARCH_SETUPS.items():
        short = "hk" if stretch == HK else "deep_lunge"
        for (elevation, radius), (side, facing) in zip(setups, sides):
            plan = [S(side, 1.5), S(side, 2.5, "arched_back"), S(side, 2.5, "flat_back"),
                    S(side, 1.5)]
            keys = [replace(k, pose=with_back(k.pose, k.fault))
                    for k in hold_keys(stretch, plan, facing=facing, settle_s=0.5,
                                       enter_s=1.2, change_s=1.0, rest_s=0.3)]
            cid = (f"{short}_arch_drift_{side}_{CAMERA_NAMES[elevation]}_"
                   f"{WIDTH_NAMES[radius]}")
            desc = (f"{side} side, low back neutral 1.5 s, arched 2.5 s, flat 2.5 s, neutral "
                    f"1.5 s; camera {elevation:g} deg down, torso radius {radius:g} m")
            clips.append(make_clip(cid, stretch, desc, [], keys=keys, facing=facing,
                                   n=n0 + len(clips), elevation=elevation,
                                   shape=BodyShape(trunk_r=radius)))
    return clips


def _lunge_top(side: str, facing: int) -> Pose:
    """The top of a split-squat rep: the same stance, both knees nearly straight."""
    other = "right" if side == "left" else "left"
    p = stretch_pose(DL, side, facing)
    return p.with_side(side, thigh=-38.0, shin=-48.0, foot=45.0).with_side(
        other, thigh=55.0, shin=12.0, foot=90.0)


def _bridge_down(facing: int) -> Pose:
    """Lying with the knees bent and the feet flat: the bottom of a bridge rep."""
    top = stretch_pose(GB, "left", facing)
    return replace(top, trunk=-92.0, chest=-95.0, head=-85.0).with_sides(thigh=140.0,
                                                                          shin=45.0)


def _hk_pulse(side: str, facing: int) -> Pose:
    """Half-kneeling with the hips pushed forward and down: the bottom of a bounce."""
    other = "right" if side == "left" else "left"
    p = stretch_pose(HK, side, facing)
    return p.with_side(side, thigh=-30.0).with_side(other, thigh=80.0, shin=-10.0)


def motion_clips(n0: int) -> list[Clip]:
    """Five moving-exercise / settling clips, numbered from ``n0``."""
    clips: list[Clip] = []

    def add(cid: str, stretch: str, desc: str, keys: list[Key], reps: int, facing: int) -> None:
        clips.append(make_clip(cid, stretch, desc, [], keys=keys, facing=facing,
                               n=n0 + len(clips), scripted_reps=reps))

    # Split-squat reps in the deep-lunge stance: nothing is held.
    rest = rest_pose(DL, 1)
    top = _lunge_top("right", 1)
    keys = [Key(0.0, rest, "setup"), Key(0.5, rest, "setup"), Key(1.7, top, "rep", "", "right")]
    keys += rep_keys(top, stretch_pose(DL, "right", 1), t0=1.7, reps=5, down_s=0.8, up_s=0.8,
                     pause_s=0.1, side="right")[1:]
    end = keys[-1].t
    keys += [Key(end + 1.2, rest, "exit"), Key(end + 1.5, rest, "exit")]
    add("deep_lunge_reps_right", DL, "5 split-squat reps in the lunge stance (right leg back), "
        "0.1 s at the bottom: no hold", keys, 5, 1)

    # Glute-bridge reps with a short squeeze at the top (the spec wants 5 s a rep).
    lying = rest_pose(GB, -1)
    down = _bridge_down(-1)
    keys = [Key(0.0, lying, "setup"), Key(0.5, lying, "setup"), Key(1.5, down, "rep", "", "left")]
    keys += rep_keys(down, stretch_pose(GB, "left", -1), t0=1.5, reps=5, down_s=1.0, up_s=1.0,
                     pause_s=0.4, side="left")[1:]
    add("glute_bridge_reps", GB, "5 bridge reps, 0.4 s at the top (the spec wants 5 s): "
        "reps, no hold", keys, 5, -1)

    # Bouncing (pulsing the hips) in half-kneeling.
    stand = rest_pose(HK, 1)
    hk = stretch_pose(HK, "left", 1)
    keys = [Key(0.0, stand, "setup"), Key(0.5, stand, "setup"), Key(2.0, hk, "rep", "", "left")]
    keys += rep_keys(hk, _hk_pulse("left", 1), t0=2.0, reps=10, down_s=0.4, up_s=0.4,
                     side="left")[1:]
    end = keys[-1].t
    keys += [Key(end + 1.5, stand, "exit"), Key(end + 1.8, stand, "exit")]
    add("hk_bounce_left", HK, "left knee down, bouncing the hips 10 times (0.8 s each): "
        "no hold", keys, 10, 1)

    # Walking in, kneeling down and straight back up, walking out.
    walk_in = list(walk_track(0.0, 2.5, -3.2, 0.0, phase="out").keys)
    t = walk_in[-1].t
    mid = [Key(t + 0.3, standing(1), "transition"),
           Key(t + 1.8, stretch_pose(HK, "right", 1), "transition", "", "right"),
           Key(t + 3.3, standing(1), "exit")]
    walk_out = list(walk_track(t + 3.6, t + 6.1, 0.0, 3.2, phase="out").keys)
    add("hk_walk_in_out", HK, "walks in, kneels (right knee) and stands straight back up, "
        "walks out: no hold", walk_in + mid + walk_out, 0, 1)

    # A still hold: enter, settle (a shrinking sway), hold 7 s, leave.
    hk = stretch_pose(HK, "right", -1)
    stand = rest_pose(HK, -1)
    keys = [Key(0.0, stand, "setup"), Key(1.0, stand, "setup")]
    keys += settle_keys(hk, t0=3.0, settle_s=1.6, sway_deg=7.0, side="right")
    t = keys[-1].t
    keys += [Key(t + 7.0, hk, "hold", "", "right"), Key(t + 8.5, stand, "exit"),
             Key(t + 9.0, stand, "exit")]
    # the settle's last key is the held pose itself: the hold starts there
    keys[-4] = replace(keys[-4], phase="hold")
    add("hk_settle_hold_right", HK, "right knee down, facing left: enters, settles (sway "
        "7 deg shrinking over 1.6 s), holds 7 s still, leaves", keys, 0, -1)
    return clips


__all__ = ["arch_clips", "motion_clips", "ARCH_SETUPS"]

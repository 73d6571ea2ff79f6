"""Stretch poses of the mannequin: the held pose of each stretch, its faults and its rest pose.

:func:`stretch_pose` builds a pose from a stretch id, the stretched side, the direction the
subject faces and a fault id (``""`` = good form). The fault ids:

    lean_forward   torso leaning 40 deg forward of vertical
    lean_back      torso leaning back / arching the lower back
    knee_over_toes front knee pushed forward past the toes
    hips_dropped   bridge hips sagging (hip not extended)
    leg_bent       the leg that should be straight is bent
    knee_locked    standing psoas: the back knee locked straight (the spec wants it soft)
    leg_lifted     the straight leg lifted off the floor (supine) / hips lifted (prone)
    hips_back      camel: hips sitting back behind the knees
    arched_back    the low back arched (the lumbar arc of :data:`BACK_BEND`), form otherwise good
    flat_back      the low back flat (a backward lumbar arc)

The two back faults only set the lumbar curve (``Pose.lumbar``); a clip that scripts the back
(:func:`with_back`) gives every key a curve, the neutral one where no back fault is named.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from posecheck.synth.body import BodyShape, LimbAngles, Pose, body_axes, pose_skeleton

# Pelvis height (m) when sitting on the chair prop (seat 0.45 m + thigh radius).
SEAT_LIFT = 0.53
CHAIR_SEAT = 0.45


HANDS_ON_HIPS = dict(upper_arm=-15.0, forearm=40.0, arm_abd=30.0)
# Hands resting on the front of the hips: the elbows stay in front of the back, so the back
# outline is the back (with HANDS_ON_HIPS the elbows stick out behind the lumbar region).
HANDS_FORWARD = dict(upper_arm=5.0, forearm=55.0, arm_abd=15.0)
# The lower trunk's arc (deg, + = lordosis; Pose.lumbar) of each scripted back: "" is the
# neutral back. Measured on the exact silhouette (half-kneeling and deep lunge, torso radius
# 0.112-0.135 m, camera 0-15 deg down) these read about 6-14 deg (neutral), 41-46 (arched:
# the reading flattens above a bend of ~80) and -1-8 (flat) as lumbar_lordosis_deg. The
# truth files hold the exact figure per frame.
BACK_BEND = {"": -10.0, "arched_back": 100.0, "flat_back": -45.0}


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


def standing(facing: int = 1, x: float = 0.0) -> Pose:
    """Standing relaxed, side-on; ``facing`` +1 looks to the image's right, -1 to its left."""
    arms = dict(upper_arm=5.0, forearm=15.0)
    return Pose(x=x, heading=90.0 * facing, left=LimbAngles(**arms), right=LimbAngles(**arms))


def lying_supine(facing: int = 1) -> Pose:
    legs = dict(thigh=90.0, shin=90.0, upper_arm=95.0, forearm=95.0, arm_abd=12.0)
    return Pose(heading=90.0 * facing, trunk=-90.0, head=-80.0,
                left=LimbAngles(**legs), right=LimbAngles(**legs))


def lying_prone(facing: int = 1) -> Pose:
    legs = dict(thigh=-90.0, shin=-90.0, foot=-95.0, upper_arm=150.0, forearm=90.0)
    return Pose(heading=90.0 * facing, trunk=90.0, head=85.0,
                left=LimbAngles(**legs), right=LimbAngles(**legs))


def kneeling_tall(facing: int = 1) -> Pose:
    legs = dict(thigh=0.0, shin=-90.0, foot=-95.0, upper_arm=5.0, forearm=10.0)
    return Pose(heading=90.0 * facing, left=LimbAngles(**legs), right=LimbAngles(**legs))


def reach(p: Pose, side: str, target: str, shape: BodyShape | None = None) -> Pose:
    """``p`` with ``side``'s arm angles set so the wrist reaches the joint ``target``
    (e.g. ``"left_ankle"``), by two-link IK in the sagittal plane (elbow bent downwards)."""
    sh = shape or BodyShape()
    skel = pose_skeleton(replace(p, grounded=False, lift=0.0), sh)
    f, _, u = body_axes(p.heading, p.roll)
    v = skel.joints[target] - skel.joints[f"{side}_shoulder"]
    vf, vu = float(np.dot(v, f)), float(np.dot(v, u))
    l1, l2 = sh.upper_arm, sh.forearm
    d = float(np.clip(np.hypot(vf, vu), abs(l1 - l2) + 1e-6, l1 + l2 - 1e-6))
    direction = np.degrees(np.arctan2(vf, -vu))  # from down, + forward
    alpha = np.degrees(np.arccos((l1 * l1 + d * d - l2 * l2) / (2 * l1 * d)))
    beta = np.degrees(np.arccos((l1 * l1 + l2 * l2 - d * d) / (2 * l1 * l2)))
    upper = direction + alpha
    return p.with_side(side, upper_arm=upper, forearm=upper - (180.0 - beta), arm_abd=4.0)


def _half_kneeling(p: Pose, s: str, fault: str, *, back_thigh: float, back_shin: float,
                   front_thigh: float, front_shin: float, trunk: float,
                   back_foot: float = 0.0) -> Pose:
    o = _other(s)
    # Hands on the hips: the arms stay off the front thigh (arms lying along the thigh hide
    # the knee from the model).
    # Back toes tucked under: the foot points down from a raised heel, the shin tilts up.
    p = p.with_side(s, thigh=back_thigh, shin=back_shin, foot=back_foot, **HANDS_ON_HIPS)
    p = p.with_side(o, thigh=front_thigh, shin=front_shin, foot=90.0, **HANDS_ON_HIPS)
    p = replace(p, trunk=trunk, chest=trunk, head=trunk)
    if fault == "lean_forward":
        p = replace(p, trunk=40.0, chest=40.0, head=35.0)
    elif fault == "lean_back":
        p = replace(p, trunk=-22.0, chest=-30.0, head=-20.0)
    elif fault == "knee_over_toes":
        # shin < 0: the ankle behind the knee, i.e. the knee pushed forward over the foot.
        p = p.with_side(o, thigh=front_thigh - 8.0, shin=-40.0)
        p = p.with_side(s, thigh=back_thigh - 12.0)
    return p


def stretch_pose(stretch: str, side: str, facing: int = 1, fault: str = "") -> Pose:
    """The held pose of ``stretch`` with ``side`` stretched, optionally with a ``fault``."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    builder = STRETCHES.get(stretch)
    if builder is None:
        raise ValueError(f"unknown stretch {stretch!r}; known: {', '.join(sorted(STRETCHES))}")
    if fault and fault not in FAULTS[stretch]:
        raise ValueError(f"stretch {stretch!r} has no scripted fault {fault!r}; "
                         f"use one of: {', '.join(FAULTS[stretch])}")
    if fault and fault in BACK_BEND:
        return replace(builder(side, facing, ""), lumbar=BACK_BEND[fault])
    return builder(side, facing, fault)


def with_back(p: Pose, fault: str = "") -> Pose:
    """``p`` with the hands forward and the lumbar curve of ``fault`` (neutral unless it is a
    back fault): how the back-arch clips pose every key."""
    return replace(p.with_sides(**HANDS_FORWARD), lumbar=BACK_BEND.get(fault, BACK_BEND[""]))


def _hk(side: str, facing: int, fault: str) -> Pose:
    return _half_kneeling(standing(facing), side, fault, back_thigh=-12.0, back_shin=-108.0,
                          front_thigh=90.0, front_shin=2.0, trunk=0.0, back_foot=0.0)


def _deep_lunge(side: str, facing: int, fault: str) -> Pose:
    # A standing deep lunge: front knee ~95 deg over the ankle, back leg long, heel up.
    o = _other(side)
    p = standing(facing)
    p = p.with_side(side, thigh=-36.0, shin=-78.0, foot=38.0, **HANDS_ON_HIPS)
    p = p.with_side(o, thigh=86.0, shin=4.0, foot=90.0, **HANDS_ON_HIPS)
    p = replace(p, trunk=3.0, chest=3.0, head=3.0)
    if fault == "lean_forward":
        p = replace(p, trunk=40.0, chest=40.0, head=35.0)
    elif fault == "lean_back":
        p = replace(p, trunk=-22.0, chest=-30.0, head=-20.0)
    elif fault == "knee_over_toes":
        p = p.with_side(o, thigh=62.0, shin=-40.0).with_side(side, thigh=-30.0, shin=-70.0)
    return p


def _low_lunge_quad(side: str, facing: int, fault: str) -> Pose:
    p = _half_kneeling(standing(facing), side, fault, back_thigh=-25.0, back_shin=-150.0,
                       front_thigh=72.0, front_shin=10.0, trunk=5.0)
    # The hand of the stretched side holds the back foot.
    return reach(p.with_side(side, foot=-60.0), side, f"{side}_ankle")


def _standing_psoas(side: str, facing: int, fault: str) -> Pose:
    o = _other(side)
    p = standing(facing)
    # Both knees softly bent (the spec wants the back knee soft, not locked).
    p = p.with_side(side, thigh=-22.0, shin=-42.0, foot=35.0, upper_arm=-25.0, forearm=40.0,
                    arm_abd=25.0)
    p = p.with_side(o, thigh=38.0, shin=-4.0, foot=90.0, upper_arm=-25.0, forearm=40.0,
                    arm_abd=25.0)
    if fault == "lean_forward":
        p = replace(p, trunk=40.0, chest=40.0, head=35.0)
    elif fault == "lean_back":
        p = replace(p, trunk=-20.0, chest=-28.0, head=-18.0)
    elif fault == "knee_locked":
        p = p.with_side(side, thigh=-26.0, shin=-26.0, foot=50.0)
    elif fault == "knee_over_toes":
        p = p.with_side(o, thigh=55.0, shin=-42.0).with_side(side, thigh=-30.0, shin=-50.0)
    return p


def _supine_psoas(side: str, facing: int, fault: str) -> Pose:
    o = _other(side)
    p = lying_supine(facing)
    # The other knee hugged to the chest; the stretched leg long on the floor.
    p = p.with_side(o, thigh=205.0, shin=105.0, upper_arm=175.0, forearm=230.0, arm_abd=5.0)
    p = p.with_side(side, upper_arm=175.0, forearm=230.0, arm_abd=5.0)
    if fault == "leg_lifted":
        p = p.with_side(side, thigh=122.0, shin=122.0)
    elif fault == "leg_bent":
        p = p.with_side(side, thigh=128.0, shin=65.0, foot=155.0)
    return p


def _lying_edge_psoas(side: str, facing: int, fault: str) -> Pose:
    o = _other(side)
    p = lying_supine(facing)
    p = p.with_side(o, thigh=205.0, shin=105.0, upper_arm=175.0, forearm=230.0, arm_abd=5.0)
    # The stretched leg hangs off the bed edge: hip extended below horizontal, shin down.
    p = p.with_side(side, thigh=62.0, shin=5.0, upper_arm=100.0, forearm=100.0)
    if fault == "leg_lifted":
        p = p.with_side(side, thigh=100.0, shin=40.0)
    return p


def _glute_bridge(side: str, facing: int, fault: str) -> Pose:
    p = lying_supine(facing)
    legs = dict(thigh=118.0, shin=28.0, foot=92.0, upper_arm=92.0, forearm=92.0, arm_abd=10.0)
    p = replace(p, trunk=-118.0, chest=-112.0, head=-88.0, left=LimbAngles(**legs),
                right=LimbAngles(**legs))
    if fault == "hips_dropped":
        p = replace(p, trunk=-104.0, chest=-100.0).with_sides(thigh=138.0, shin=48.0)
    elif fault == "lean_back":  # over-arching: hips pushed past the straight line
        p = replace(p, trunk=-138.0, chest=-122.0).with_sides(thigh=108.0, shin=18.0)
    return p


def _camel(side: str, facing: int, fault: str) -> Pose:
    p = kneeling_tall(facing)
    p = replace(p, trunk=-25.0, chest=-58.0, head=-110.0)
    p = p.with_sides(thigh=-4.0)
    if fault == "hips_back":
        p = p.with_sides(thigh=32.0)
        p = replace(p, trunk=-10.0, chest=-45.0)
    # Hands to the heels.
    return reach(reach(p, "left", "left_heel"), "right", "right_heel")


def _cobra(side: str, facing: int, fault: str) -> Pose:
    p = lying_prone(facing)
    p = replace(p, trunk=58.0, chest=28.0, head=5.0)
    p = p.with_sides(upper_arm=2.0, forearm=2.0)
    if fault == "leg_lifted":  # hips lifted off the floor
        p = replace(p, trunk=72.0, chest=40.0).with_sides(thigh=-60.0, shin=-75.0)
    return p


def _seated_psoas(side: str, facing: int, fault: str) -> Pose:
    o = _other(side)
    p = standing(facing)
    # On a chair's edge: the other thigh on the seat, the stretched leg long with the heel
    # on the floor and the toes up; leaning back a little.
    p = p.with_side(o, thigh=90.0, shin=0.0, foot=90.0, upper_arm=15.0, forearm=60.0)
    p = p.with_side(side, thigh=57.0, shin=57.0, foot=57.0 + 125.0, upper_arm=10.0,
                    forearm=50.0)
    p = replace(p, trunk=-10.0, chest=-10.0, head=-5.0, grounded=False, lift=SEAT_LIFT)
    if fault == "lean_forward":
        p = replace(p, trunk=40.0, chest=40.0, head=35.0)
    elif fault == "leg_bent":
        p = p.with_side(side, thigh=75.0, shin=20.0, foot=110.0)
    return p


def _side_lying_psoas(side: str, facing: int, fault: str) -> Pose:
    p = standing(1)
    s = side
    # Lying on the other side (roll); the top (stretched) leg pulled back by its hand.
    roll = 90.0 if s == "left" else -90.0
    p = replace(p, heading=0.0, roll=roll)
    p = p.with_side(_other(s), thigh=45.0, shin=-60.0, upper_arm=100.0, forearm=60.0)
    p = p.with_side(s, thigh=-25.0, shin=-150.0, foot=-80.0, upper_arm=-30.0, forearm=-90.0)
    return p


def _pigeon(side: str, facing: int, fault: str) -> Pose:
    o = _other(side)
    p = standing(facing)
    # Front shin folded under the body, the stretched leg long behind on the floor.
    p = p.with_side(o, thigh=80.0, shin=95.0, thigh_abd=15.0, shin_abd=-75.0, upper_arm=10.0,
                    forearm=10.0)
    p = p.with_side(side, thigh=-88.0, shin=-90.0, foot=-95.0, upper_arm=10.0, forearm=10.0)
    p = replace(p, trunk=5.0, chest=0.0, head=0.0)
    if fault == "lean_forward":
        p = replace(p, trunk=40.0, chest=40.0, head=35.0)
    return p


STRETCHES: dict[str, Callable[[str, int, str], Pose]] = {
    "half_kneeling_hip_flexor": _hk,
    "deep_lunge": _deep_lunge,
    "low_lunge_quad": _low_lunge_quad,
    "standing_psoas": _standing_psoas,
    "supine_psoas": _supine_psoas,
    "lying_edge_psoas": _lying_edge_psoas,
    "glute_bridge": _glute_bridge,
    "camel": _camel,
    "cobra": _cobra,
    "seated_psoas": _seated_psoas,
    "side_lying_psoas": _side_lying_psoas,
    "pigeon": _pigeon,
}

FAULTS: dict[str, tuple[str, ...]] = {
    "half_kneeling_hip_flexor": ("lean_forward", "lean_back", "knee_over_toes", "arched_back",
                                 "flat_back"),
    "deep_lunge": ("lean_forward", "lean_back", "knee_over_toes", "arched_back", "flat_back"),
    "low_lunge_quad": ("lean_forward",),
    "standing_psoas": ("lean_forward", "lean_back", "knee_locked", "knee_over_toes"),
    "supine_psoas": ("leg_lifted", "leg_bent"),
    "lying_edge_psoas": ("leg_lifted",),
    "glute_bridge": ("hips_dropped", "lean_back"),
    "camel": ("hips_back",),
    "cobra": ("leg_lifted",),
    "seated_psoas": ("lean_forward", "leg_bent"),
    "side_lying_psoas": (),
    "pigeon": ("lean_forward",),
}

# Posture of each stretch: how to start and end a clip (and which prop it needs).
POSTURE: dict[str, str] = {
    "half_kneeling_hip_flexor": "kneeling", "deep_lunge": "kneeling",
    "low_lunge_quad": "kneeling", "standing_psoas": "standing", "supine_psoas": "supine",
    "lying_edge_psoas": "supine", "glute_bridge": "supine", "camel": "kneeling",
    "cobra": "prone", "seated_psoas": "seated", "side_lying_psoas": "side_lying",
    "pigeon": "kneeling",
}


def rest_pose(stretch: str, facing: int = 1) -> Pose:
    """Where a clip of ``stretch`` starts and ends (standing, or lying for floor stretches)."""
    posture = POSTURE[stretch]
    if posture == "supine":
        return lying_supine(facing)
    if posture == "prone":
        return lying_prone(facing)
    if posture == "side_lying":
        p = stretch_pose(stretch, "left", facing)
        return p.with_sides(thigh=20.0, shin=-20.0, foot=None, upper_arm=60.0, forearm=60.0)
    if posture == "seated":
        return replace(standing(facing), grounded=False, lift=SEAT_LIFT).with_sides(
            thigh=90.0, shin=0.0, upper_arm=15.0, forearm=60.0)
    if stretch == "camel":
        return kneeling_tall(facing)
    return standing(facing)


__all__ = ["STRETCHES", "FAULTS", "POSTURE", "BACK_BEND", "stretch_pose", "rest_pose",
           "standing", "reach", "with_back"]

"""The mannequin's skeleton: joint angles -> 3D joints -> the 33 BlazePose landmarks.

Pure numpy (no cv2), so the ground truth can be computed without rendering.

Conventions:
    World frame, metres: X points to the image's right, Y **up**, Z away from the camera
    (depth). The floor is the plane ``Y = pose.ground``.

    Body frame: ``f`` forward (where the chest faces), ``u`` up (pelvis to neck when standing),
    ``s = f x u`` the subject's **left**. ``heading`` turns the body about the vertical: 0 deg
    faces the camera (the subject's left appears on the image's right), +90 deg faces the image's
    right (a side view showing the subject's right side), -90 deg faces the image's left.

    Segment angles are **absolute** angles in the body's sagittal (f, u) plane, in degrees:
    - trunk, chest, head: from straight **up**, positive leaning **forward** (so ``trunk=+40``
      is a 40 deg forward lean, ``-90`` lies on the back, ``+90`` lies face down);
    - thigh, shin, upper arm, forearm: from straight **down**, positive swinging **forward**
      (thigh 90 = hip flexed to horizontal; thigh -20 = hip extended behind);
    - foot: direction heel->toes, from straight down, positive forward (``shin + 90`` is a
      neutral ankle).
    ``*_abd`` tilts a limb sideways out of the sagittal plane (degrees, away from the midline).
    ``roll`` turns the whole body about its forward axis (90 = lying on the right side).

    Spine: ``lumbar`` bends the lower trunk (pelvis -> mid trunk) into a circular arc whose
    tangent turns by ``lumbar`` degrees between its two ends, + bowing **forward** (a lordosis:
    the back surface over it is concave), - bowing backward (a flat or rounded low back). The
    arc keeps its chord, so the hip and shoulder joints (and every landmark) do not move; the
    glutes stay where they are (so a pelvis tipping forward is not modelled). ``None`` (the default) is the
    straight trunk of the original mannequin, drawn exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Iterator

import numpy as np

from posecheck.core.pose import NUM_LANDMARKS, Landmark

SIDES = ("left", "right")


@dataclass(frozen=True)
class BodyShape:
    """Segment lengths and radii of the mannequin (metres); an adult of about 1.75 m."""

    lower_trunk: float = 0.26   # pelvis centre -> mid trunk
    upper_trunk: float = 0.26   # mid trunk -> neck base (shoulder centre)
    neck: float = 0.11
    head_r: float = 0.105       # head radius (sphere; face features on its surface)
    hip_half: float = 0.095     # half the distance between the hip joints
    shoulder_half: float = 0.19
    thigh: float = 0.44
    shin: float = 0.43
    foot: float = 0.24          # heel -> toe tip
    heel_back: float = 0.055    # heel behind the ankle along the foot
    ankle_height: float = 0.07  # ankle joint above the sole
    upper_arm: float = 0.30
    forearm: float = 0.27
    hand: float = 0.17
    # Radii (metres) used for drawing and for grounding the body on the floor.
    thigh_r: tuple[float, float] = (0.09, 0.062)
    shin_r: tuple[float, float] = (0.06, 0.043)
    upper_arm_r: tuple[float, float] = (0.048, 0.038)
    forearm_r: tuple[float, float] = (0.036, 0.028)
    trunk_r: float = 0.125
    foot_r: float = 0.035
    hand_r: float = 0.03

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            vals = v if isinstance(v, tuple) else (v,)
            if any(x <= 0 for x in vals):
                raise ValueError(f"BodyShape.{f.name} must be positive metres, got {v}")


@dataclass(frozen=True)
class LimbAngles:
    """Absolute sagittal angles (degrees) of one side's limbs; see the module conventions."""

    thigh: float = 0.0
    shin: float = 0.0
    foot: float | None = None    # None: neutral ankle (shin + 90)
    upper_arm: float = 0.0
    forearm: float = 0.0
    thigh_abd: float = 0.0
    arm_abd: float = 8.0
    shin_abd: float | None = None   # None: same as thigh_abd (a shin across the body: < 0)


@dataclass(frozen=True)
class Pose:
    """One frame of the mannequin's pose; every field interpolates linearly."""

    x: float = 0.0               # pelvis centre, world X (m)
    z: float = 0.0               # pelvis centre, world Z (m)
    ground: float = 0.0          # height (m) of the surface the body rests on
    heading: float = 90.0        # deg; 0 faces the camera, +90 faces the image's right
    roll: float = 0.0            # deg about the body's forward axis (side lying)
    trunk: float = 0.0           # lower trunk, from up, + forward (deg)
    chest: float | None = None   # upper trunk; None = same as trunk
    head: float | None = None    # head; None = same as chest
    left: LimbAngles = field(default_factory=LimbAngles)
    right: LimbAngles = field(default_factory=LimbAngles)
    lift: float = 0.0            # extra height (m) above the grounded position (jumps, walking)
    grounded: bool = True        # shift vertically so the lowest body surface touches ground
    lumbar: float | None = None  # deg, the lower trunk's arc (+ lordosis); None = straight

    def side(self, name: str) -> LimbAngles:
        return self.left if name == "left" else self.right

    def with_side(self, name: str, **changes: float) -> "Pose":
        limbs = replace(self.side(name), **changes)
        return replace(self, **{name: limbs})

    def with_sides(self, **changes: float) -> "Pose":
        return replace(self, left=replace(self.left, **changes),
                       right=replace(self.right, **changes))


def _lerp(a, b, w: float):
    if a is None and b is None:
        return None
    if a is None or b is None:  # a straight trunk (lumbar None) blends as an arc of 0 deg
        a, b = (0.0 if a is None else a), (0.0 if b is None else b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a if w < 0.5 else b
    return a + (b - a) * w


def _fill(p: Pose) -> Pose:
    """Resolve the ``None`` defaults so two poses can be blended field by field."""
    chest = p.trunk if p.chest is None else p.chest
    head = chest if p.head is None else p.head
    sides = {}
    for name in SIDES:
        limbs = p.side(name)
        if limbs.foot is None:
            limbs = replace(limbs, foot=limbs.shin + 90.0)
        if limbs.shin_abd is None:
            limbs = replace(limbs, shin_abd=limbs.thigh_abd)
        sides[name] = limbs
    return replace(p, chest=chest, head=head, **sides)


def blend(a: Pose, b: Pose, w: float) -> Pose:
    """Pose a fraction ``w`` in [0, 1] of the way from ``a`` to ``b``."""
    a, b = _fill(a), _fill(b)
    out = {}
    for f in fields(Pose):
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if isinstance(va, LimbAngles):
            out[f.name] = LimbAngles(**{g.name: _lerp(getattr(va, g.name), getattr(vb, g.name), w)
                                        for g in fields(LimbAngles)})
        else:
            out[f.name] = _lerp(va, vb, w)
    return Pose(**out)


# ---------------------------------------------------------------------------- kinematics
def _rot_y(deg: float) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def body_axes(heading: float, roll: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World unit vectors (f, s, u) of the body frame for a heading and roll (degrees)."""
    # heading 0: f = -Z (towards the camera), u = +Y, s = f x u = +X.
    f0, u0 = np.array([0.0, 0.0, -1.0]), np.array([0.0, 1.0, 0.0])
    r = np.radians(roll)
    s0 = np.cross(f0, u0)
    # Roll about f: u turns towards -s (roll 90 = lying on the right side, left side up).
    u1 = np.cos(r) * u0 - np.sin(r) * s0
    rot = _rot_y(-heading)  # +heading turns f from -Z towards +X
    f = rot @ f0
    u = rot @ u1
    return f, np.cross(f, u), u


@dataclass(frozen=True)
class Segment:
    """A drawable body part: a tapered capsule between two 3D points (world metres)."""

    name: str
    a: np.ndarray
    b: np.ndarray
    ra: float
    rb: float
    part: str  # colour group: "shirt", "pants", "shin", "skin", "shoe"


@dataclass(frozen=True)
class Skeleton:
    """A posed body in world metres: named joints, the 33 landmarks and drawable segments."""

    joints: dict[str, np.ndarray]
    landmarks: np.ndarray          # (33, 3) world metres, MediaPipe order
    segments: tuple[Segment, ...]
    face: dict[str, np.ndarray]    # head centre, face normal, up, left unit vectors
    pose: Pose

    def __iter__(self) -> Iterator[Segment]:
        return iter(self.segments)


def _sag(f: np.ndarray, u: np.ndarray, deg: float, *, from_up: bool) -> np.ndarray:
    a = np.radians(deg)
    return np.sin(a) * f + (np.cos(a) if from_up else -np.cos(a)) * u


def _limb_dir(f, u, s_out, deg: float, abd: float) -> np.ndarray:
    d = _sag(f, u, deg, from_up=False)
    b = np.radians(abd)
    return np.cos(b) * d + np.sin(b) * s_out


def pose_skeleton(pose: Pose, shape: BodyShape | None = None) -> Skeleton:
    """Forward kinematics: the joints, landmarks and segments of ``pose`` (world metres)."""
    sh = shape or BodyShape()
    p = _fill(pose)
    f, s, u = body_axes(p.heading, p.roll)
    J: dict[str, np.ndarray] = {}
    pelvis = np.array([p.x, 0.0, p.z])
    J["pelvis"] = pelvis
    J["mid_trunk"] = pelvis + sh.lower_trunk * _sag(f, u, p.trunk, from_up=True)
    J["neck"] = J["mid_trunk"] + sh.upper_trunk * _sag(f, u, p.chest, from_up=True)
    chest_up = _sag(f, u, p.chest, from_up=True)
    chest_fwd = _sag(f, u, p.chest + 90.0, from_up=True)
    head_up = _sag(f, u, p.head, from_up=True)
    face_n = _sag(f, u, p.head + 90.0, from_up=True)
    J["head"] = J["neck"] + (sh.neck + sh.head_r * 0.9) * head_up
    for side, sign in (("left", 1.0), ("right", -1.0)):
        limbs = p.side(side)
        out = sign * s
        hip = pelvis + sh.hip_half * out
        knee = hip + sh.thigh * _limb_dir(f, u, out, limbs.thigh, limbs.thigh_abd)
        ankle = knee + sh.shin * _limb_dir(f, u, out, limbs.shin, limbs.shin_abd)
        foot_d = _sag(f, u, limbs.foot, from_up=False)
        # The sole is below the ankle: "down" for the foot is perpendicular to it, away from shin.
        sole_n = _sag(f, u, limbs.foot - 90.0, from_up=False)
        heel = ankle + sh.ankle_height * sole_n - sh.heel_back * foot_d
        toe = heel + sh.foot * foot_d
        shoulder = J["neck"] - 0.02 * chest_up + sh.shoulder_half * out
        elbow = shoulder + sh.upper_arm * _limb_dir(f, u, out, limbs.upper_arm, limbs.arm_abd)
        fa = _limb_dir(f, u, out, limbs.forearm, limbs.arm_abd)
        wrist = elbow + sh.forearm * fa
        J.update({f"{side}_hip": hip, f"{side}_knee": knee, f"{side}_ankle": ankle,
                  f"{side}_heel": heel, f"{side}_toe": toe, f"{side}_shoulder": shoulder,
                  f"{side}_elbow": elbow, f"{side}_wrist": wrist})
        # Hand: a flat paddle continuing the forearm; the thumb on the front side.
        J[f"{side}_hand_tip"] = wrist + sh.hand * fa
        J[f"{side}_index"] = wrist + 0.8 * sh.hand * fa + 0.02 * chest_fwd - 0.01 * out
        J[f"{side}_pinky"] = wrist + 0.7 * sh.hand * fa - 0.025 * chest_fwd + 0.01 * out
        J[f"{side}_thumb"] = wrist + 0.35 * sh.hand * fa + 0.05 * chest_fwd - 0.02 * out
    J["chest_fwd"] = chest_fwd
    # Glutes: behind and a little below the hip joints, following the lower trunk's tilt; with
    # a lumbar arc the pelvis tips with it, pushing the buttock back (arched) or in (flat).
    trunk_fwd = _sag(f, u, p.trunk + 90.0, from_up=True)
    trunk_up = _sag(f, u, p.trunk, from_up=True)
    glute_back = 0.075 + (0.0 if p.lumbar is None else GLUTE_PUSH * p.lumbar)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        J[f"{side}_glute"] = (pelvis - glute_back * trunk_fwd - 0.04 * trunk_up
                              + 0.065 * sign * s)
    # Face points on the head sphere (subject's left = +s).
    hc, r = J["head"], sh.head_r
    face = {"centre": hc, "normal": face_n, "up": head_up, "left": s}

    def on_head(fwd: float, up: float, left: float) -> np.ndarray:
        v = fwd * face_n + up * head_up + left * s
        return hc + r * v / np.linalg.norm(v)

    lm = np.zeros((NUM_LANDMARKS, 3))
    L = Landmark
    lm[L.NOSE] = hc + r * 1.05 * face_n - 0.1 * r * head_up  # inside the drawn tip (1.15 r)
    for side, sg in (("LEFT", 1.0), ("RIGHT", -1.0)):
        lm[L[f"{side}_EYE_INNER"]] = on_head(0.93, 0.25, 0.16 * sg)
        lm[L[f"{side}_EYE"]] = on_head(0.88, 0.25, 0.32 * sg)
        lm[L[f"{side}_EYE_OUTER"]] = on_head(0.8, 0.25, 0.48 * sg)
        lm[L[f"{side}_EAR"]] = on_head(-0.1, 0.05, 1.0 * sg)
        lm[L[f"MOUTH_{side}"]] = on_head(0.88, -0.45, 0.22 * sg)
        low = side.lower()
        for name in ("shoulder", "elbow", "wrist", "pinky", "index", "thumb", "hip", "knee",
                     "ankle", "heel"):
            lm[L[f"{side}_{name.upper()}"]] = J[f"{low}_{name}"]
        lm[L[f"{side}_FOOT_INDEX"]] = J[f"{low}_toe"]

    spine = None if p.lumbar is None else lumbar_arc(
        J["pelvis"], J["mid_trunk"], _sag(f, u, p.trunk + 90.0, from_up=True), p.lumbar)
    segs = _segments(J, sh, face, spine)
    # Ground the body: the lowest surface point touches the floor (or bed top).
    dy = 0.0
    if p.grounded:
        low = min(min(sg.a[1] - sg.ra, sg.b[1] - sg.rb) for sg in segs)
        low = min(low, hc[1] - r)
        dy = p.ground - low
    dy += p.lift
    shift = np.array([0.0, dy, 0.0])
    J = {k: (v + shift if k != "chest_fwd" else v) for k, v in J.items()}
    lm = lm + shift
    face = dict(face, centre=face["centre"] + shift)
    segs = tuple(replace(sg, a=sg.a + shift, b=sg.b + shift) for sg in segs)
    return Skeleton(joints=J, landmarks=lm, segments=segs, face=face, pose=pose)


LUMBAR_PIECES = 6  # capsules along a bent lower trunk
GLUTE_PUSH = 0.0002  # m per deg of lumbar arc: the buttock pushed back as the pelvis tips


def lumbar_arc(pelvis: np.ndarray, mid: np.ndarray, forward: np.ndarray, bend_deg: float,
               n: int = LUMBAR_PIECES) -> np.ndarray:
    """``(n + 1, 3)`` points of the lower trunk's axis from the pelvis to the mid trunk: a
    circular arc on the chord whose tangent turns by ``bend_deg`` (+ bowing toward
    ``forward``, a unit vector across the chord), straight when the bend is ~0."""
    w = np.linspace(0.0, 1.0, n + 1)
    chord = mid - pelvis
    length = float(np.linalg.norm(chord))
    half = np.radians(bend_deg) / 2.0
    if abs(half) < 1e-6 or length < 1e-9:
        return pelvis[None, :] + w[:, None] * chord[None, :]
    t = chord / length
    radius = length / (2.0 * np.sin(half))
    phi = -half + w * 2.0 * half
    centre = (pelvis + mid) / 2.0 - radius * np.cos(half) * forward
    return (centre[None, :] + radius * (np.sin(phi)[:, None] * t[None, :]
                                        + np.cos(phi)[:, None] * forward[None, :]))


def _segments(J: dict[str, np.ndarray], sh: BodyShape, face,
              spine: np.ndarray | None = None) -> tuple[Segment, ...]:
    segs: list[Segment] = []
    add = lambda *a: segs.append(Segment(*a))  # noqa: E731
    tr = sh.trunk_r
    add("pelvis", J["left_hip"], J["right_hip"], 0.11, 0.11, "pants")
    add("glutes", J["left_glute"], J["right_glute"], 0.095, 0.095, "pants")
    if spine is None:
        add("lower_trunk", J["pelvis"], J["mid_trunk"], tr, tr * 0.95, "shirt")
    else:
        radii = tr * (1.0 - 0.05 * np.linspace(0.0, 1.0, len(spine)))
        for k in range(len(spine) - 1):
            add(f"lower_trunk_{k}", spine[k], spine[k + 1], float(radii[k]),
                float(radii[k + 1]), "shirt")
    add("upper_trunk", J["mid_trunk"], J["neck"] - 0.04 * (J["neck"] - J["mid_trunk"]) /
        np.linalg.norm(J["neck"] - J["mid_trunk"]), tr * 0.95, tr * 0.9, "shirt")
    add("shoulders", J["left_shoulder"], J["right_shoulder"], 0.065, 0.065, "shirt")
    for side in SIDES:
        if spine is None:
            add(f"{side}_flank", J[f"{side}_shoulder"], J[f"{side}_hip"], 0.075, 0.085, "shirt")
        else:
            # the flank bends with the lumbar arc (its lower quarter point follows the arc's
            # middle), so a straight flank does not fill the hollow of an arched back
            low_pt = 0.75 * J[f"{side}_hip"] + 0.25 * J[f"{side}_shoulder"]
            bow = spine[len(spine) // 2] - (J["pelvis"] + J["mid_trunk"]) / 2.0
            add(f"{side}_flank", J[f"{side}_shoulder"], low_pt + bow, 0.075, 0.0825, "shirt")
            add(f"{side}_flank_low", low_pt + bow, J[f"{side}_hip"], 0.0825, 0.085, "shirt")
        add(f"{side}_thigh", J[f"{side}_hip"], J[f"{side}_knee"], *sh.thigh_r, "pants")
        add(f"{side}_shin", J[f"{side}_knee"], J[f"{side}_ankle"], *sh.shin_r, "shin")
        add(f"{side}_foot", J[f"{side}_heel"] + 0.9 * sh.foot_r * (J[f"{side}_ankle"] -
            J[f"{side}_heel"]) / np.linalg.norm(J[f"{side}_ankle"] - J[f"{side}_heel"]),
            J[f"{side}_toe"], sh.foot_r * 1.1, sh.foot_r * 0.8, "shoe")
        add(f"{side}_ankle_j", J[f"{side}_ankle"], J[f"{side}_heel"], 0.042, sh.foot_r, "shoe")
        add(f"{side}_upper_arm", J[f"{side}_shoulder"], J[f"{side}_elbow"], *sh.upper_arm_r,
            "shirt")
        add(f"{side}_forearm", J[f"{side}_elbow"], J[f"{side}_wrist"], *sh.forearm_r, "skin")
        add(f"{side}_hand", J[f"{side}_wrist"], J[f"{side}_hand_tip"], sh.hand_r, sh.hand_r * 0.8,
            "skin")
        add(f"{side}_thumb_s", J[f"{side}_wrist"], J[f"{side}_thumb"], 0.015, 0.012, "skin")
    add("neck_s", J["neck"], face["centre"] - 0.5 * sh.head_r * face["up"], 0.045, 0.045, "skin")
    return tuple(segs)


def landmark_visibility(skel: Skeleton, camera_pos: np.ndarray) -> np.ndarray:
    """(33,) 1.0 for landmarks on the side of the body facing the camera, else 0.3.

    A rough truth for "which side faces the camera"; the pixel truth does not depend on it.
    """
    vis = np.ones(NUM_LANDMARKS)
    view = skel.face["centre"] - camera_pos
    view /= np.linalg.norm(view)
    s = skel.face["left"]
    left_far = float(np.dot(s, view)) > 0.3
    right_far = float(np.dot(-s, view)) > 0.3
    for lm in Landmark:
        if lm.name.startswith("LEFT_") or lm.name == "MOUTH_LEFT":
            vis[lm] = 0.3 if left_far else 1.0
        elif lm.name.startswith("RIGHT_") or lm.name == "MOUTH_RIGHT":
            vis[lm] = 0.3 if right_far else 1.0
    return vis

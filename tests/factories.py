"""Synthetic poses from named parameters, for the quick test layer (no MediaPipe).

``make_pose(stretch="deep_lunge", torso_deg=5, knee_ahead=-0.2, facing="right", side="left")``
builds a plausible 33-landmark :class:`PoseFrame` in pixels.

How it is built: a 2-D body in its own frame (x = the body's front, y = up; torso length 1),
with segments placed by angle; then tipped back by ``body_deg`` (90 = lying on the back),
turned to face left or right, scaled to pixels and put in the image (y down). Segment angles
are measured from the body's "down" toward its front (+ = forward), so ``thigh=+90`` is a
thigh pointing straight ahead, ``shin=-90`` a shin lying backward.

Side view: a person facing image-right shows the camera their right side (and vice versa),
so the far side gets a small depth offset, slightly lower visibility and larger z.
``view="front"`` spreads left and right apart sideways instead (the camera faces the person).
``mirrored=True`` returns what a mirrored webcam would deliver (x flipped, sides swapped).
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from posecheck.core.outline import trunk_edges
from posecheck.core.pose import NUM_LANDMARKS, Landmark as L, PoseFrame

# Body proportions in torso lengths (mid-hip to mid-shoulder = 1).
THIGH, SHIN, FOOT_BACK, FOOT_FWD, FOOT_DROP = 0.85, 0.85, 0.12, 0.36, 0.07
UPPER_ARM, FOREARM = 0.6, 0.5
NECK, HEAD_FWD, EAR_BACK = 0.32, 0.14, 0.02
SHOULDER_HALF, HIP_HALF = 0.4, 0.3  # half widths, used by the front view and far-side offset

# Segment angles (degrees from the body's down toward its front) per stretch preset.
# s_* = stretched leg, o_* = other leg; foot angles are heel->toe elevation (0 = flat forward,
# 180 = pointing backward, -60 = on the toes).
PRESETS: dict[str, dict[str, float]] = {
    "standing": dict(body_deg=0, torso_deg=0, s_thigh=0, s_shin=0, s_foot=0, o_thigh=0,
                     o_shin=0, o_foot=0, arm=10, elbow=170),
    "deep_lunge": dict(body_deg=0, torso_deg=5, s_thigh=-35, s_knee=115, s_foot=-55,
                       o_knee=95, knee_ahead=-0.25, o_foot=0, arm=0, elbow=170),
    "standing_psoas": dict(body_deg=0, torso_deg=2, s_thigh=-22, s_knee=155, s_foot=-45,
                           o_knee=145, knee_ahead=-0.2, o_foot=0, arm=0, elbow=170),
    "half_kneeling_hip_flexor": dict(body_deg=0, torso_deg=0, s_thigh=-15, s_shin=-90,
                                     s_foot=180, o_knee=95, knee_ahead=-0.25, o_foot=0,
                                     arm=10, elbow=120),
    "low_lunge_quad": dict(body_deg=0, torso_deg=10, s_thigh=-20, s_shin=-150, s_foot=170,
                           o_knee=95, knee_ahead=-0.1, o_foot=0, arm=-40, elbow=175),
    "supine_psoas": dict(body_deg=90, torso_deg=0, s_thigh=0, s_shin=0, s_foot=0, o_thigh=125,
                         o_shin=20, o_foot=0, arm=60, elbow=120),
    "lying_edge_psoas": dict(body_deg=90, torso_deg=0, s_thigh=-25, s_shin=-50, s_foot=-20,
                             o_thigh=125, o_shin=20, o_foot=0, arm=60, elbow=120),
    "glute_bridge": dict(body_deg=115, torso_deg=0, s_thigh=0, s_knee=90, s_foot=0,
                         o_thigh=0, o_knee=90, o_foot=0, arm=-25, elbow=178),
    "seated_psoas": dict(body_deg=0, torso_deg=-10, s_thigh=75, s_shin=70, s_foot=70,
                         o_thigh=90, o_shin=0, o_foot=0, arm=20, elbow=160),
    "camel": dict(body_deg=0, torso_deg=-25, hands_to="heel", s_thigh=-5, s_shin=-90, s_foot=180, o_thigh=-5,
                  o_shin=-90, o_foot=180, arm=-60, elbow=175),
    "cobra": dict(body_deg=-90, torso_deg=-45, s_thigh=0, s_shin=0, s_foot=-90, o_thigh=0,
                  o_shin=0, o_foot=-90, arm=40, elbow=170),
}
# For lying presets body_deg tips the whole body; cobra is prone (front toward the floor).


def _dir(phi_deg: float) -> np.ndarray:
    """Body-frame unit vector at ``phi`` degrees from down toward the front."""
    p = math.radians(phi_deg)
    return np.array([math.sin(p), -math.cos(p)])


def _foot_dir(elev_deg: float) -> np.ndarray:
    e = math.radians(elev_deg)
    return np.array([math.cos(e), math.sin(e)])


def _leg(hip: np.ndarray, thigh: float, shin: float, foot: float) -> dict[str, np.ndarray]:
    knee = hip + THIGH * _dir(thigh)
    ankle = knee + SHIN * _dir(shin)
    u = _foot_dir(foot)
    down = np.array([0.0, -FOOT_DROP])
    # the foot's sole is below the ankle, perpendicular to the foot line when tipped
    n = np.array([u[1], -u[0]]) if u[0] >= 0 else np.array([-u[1], u[0]])
    sole = FOOT_DROP * n if abs(foot) > 1e-9 and abs(foot - 180) > 1e-9 else down
    return {"hip": hip, "knee": knee, "ankle": ankle,
            "heel": ankle - FOOT_BACK * u + sole, "toe": ankle + FOOT_FWD * u + sole}


def make_pose(stretch: str = "standing", *, torso_deg: float | None = None,
              knee_ahead: float | None = None, facing: str = "right", side: str = "left",
              width: int = 1280, height: int = 720, scale: float | None = None,
              visibility: float | Mapping[int, float] = 0.99, far_visibility: float = 0.8,
              hidden: tuple[int, ...] = (), mirrored: bool = False, view: str = "side",
              t_ms: int = 0, index: int = -1, center: tuple[float, float] | None = None,
              far_offset: float = 0.04, hands_to: str | None = None, **angles: float) -> PoseFrame:
    """A plausible pose for ``stretch`` with the given named overrides.

    Args:
        stretch: a key of :data:`PRESETS`.
        torso_deg: torso lean from vertical in the body frame, + forward.
        knee_ahead: the other (front) knee ahead of its toes, in shin lengths (sets o_shin).
        facing: "right"/"left": the image direction of the body's front (upright poses) or,
            lying, the direction the feet point to (head on the other side).
        side: the subject's side ("left"/"right") of the stretched leg.
        width, height: image size in pixels; ``scale`` = pixels per torso length (default:
            fits the body in the image height).
        visibility: near-side visibility, or a {landmark: visibility} map applied last.
        far_visibility: visibility of the far side's landmarks in a side view.
        hidden: landmarks given visibility 0.05 (not seen).
        hands_to: put both hands on this joint of the stretched leg ("heel", "ankle").
        mirrored: return the frame a mirrored camera would produce.
        view: "side" or "front".
        angles: overrides of the preset keys (body_deg, s_thigh, s_shin, s_knee, s_foot,
            o_thigh, o_shin, o_knee, o_foot, arm, elbow).
    """
    if stretch not in PRESETS:
        raise KeyError(f"unknown preset {stretch!r}; use one of {sorted(PRESETS)}")
    p = dict(PRESETS[stretch])
    p.update(angles)
    if torso_deg is not None:
        p["torso_deg"] = torso_deg
    if knee_ahead is not None:
        p["knee_ahead"] = knee_ahead
    # Front leg from the knee-over-toes target and the knee angle.
    if "knee_ahead" in p and "o_knee" in p:
        s = -(p["knee_ahead"] * SHIN + FOOT_FWD) / SHIN
        p["o_shin"] = math.degrees(math.asin(max(-1.0, min(1.0, s))))
        p["o_thigh"] = p["o_shin"] + (180.0 - p["o_knee"])
    for role in ("s", "o"):
        if f"{role}_knee" in p and f"{role}_thigh" in p and f"{role}_shin" not in p:
            p[f"{role}_shin"] = p[f"{role}_thigh"] - (180.0 - p[f"{role}_knee"])

    hip = np.zeros(2)
    torso = _dir(180.0 - p["torso_deg"])  # up, tipped forward by torso_deg
    shoulder = hip + torso
    head_base = shoulder + NECK * torso
    front = np.array([torso[1], -torso[0]])  # perpendicular to the torso, toward the front
    ear = head_base - EAR_BACK * front
    nose = head_base + HEAD_FWD * front
    eye = (ear + nose * 2) / 3 + 0.03 * torso
    elbow = shoulder + UPPER_ARM * _dir(p["arm"])
    fore = p["arm"] + (180.0 - p["elbow"])
    wrist = elbow + FOREARM * _dir(fore)
    stretched = _leg(hip, p["s_thigh"], p["s_shin"], p["s_foot"])
    other = _leg(hip, p["o_thigh"], p["o_shin"], p["o_foot"])
    hands_to = hands_to or p.get("hands_to")
    if hands_to:  # hands placed on a joint of the stretched leg (camel: heels)
        wrist = stretched[hands_to].copy()
        elbow = (shoulder + wrist) / 2
        fore = math.degrees(math.atan2(wrist[0] - elbow[0], -(wrist[1] - elbow[1])))

    other_side = "right" if side == "left" else "left"
    body = {side: stretched, other_side: other}
    pts = np.zeros((NUM_LANDMARKS, 2))
    for s in ("left", "right"):
        up = s.upper()
        leg = body[s]
        for joint, lm in (("hip", "HIP"), ("knee", "KNEE"), ("ankle", "ANKLE"),
                          ("heel", "HEEL"), ("toe", "FOOT_INDEX")):
            pts[L[f"{up}_{lm}"]] = leg[joint]
        pts[L[f"{up}_SHOULDER"]] = shoulder
        pts[L[f"{up}_ELBOW"]] = elbow
        for lm in ("WRIST", "PINKY", "INDEX", "THUMB"):
            pts[L[f"{up}_{lm}"]] = wrist + (0.06 * _dir(fore) if lm != "WRIST" else 0)
        pts[L[f"{up}_EAR"]] = ear
        for lm in ("EYE_INNER", "EYE", "EYE_OUTER"):
            pts[L[f"{up}_{lm}"]] = eye
    pts[L.NOSE] = nose
    pts[L.MOUTH_LEFT] = pts[L.MOUTH_RIGHT] = nose - 0.08 * torso

    # Tip the whole body (about the hip): + = backward, the front turning up.
    b = math.radians(p["body_deg"])
    rot = np.array([[math.cos(b), -math.sin(b)], [math.sin(b), math.cos(b)]])
    pts = pts @ rot.T

    sign = 1.0 if facing == "right" else -1.0
    near = "right" if facing == "right" else "left"
    z = np.zeros(NUM_LANDMARKS)
    lateral = np.zeros(NUM_LANDMARKS)
    for lm in L:
        if lm.name.startswith(("LEFT_", "RIGHT_")) or lm.name.startswith("MOUTH_"):
            s = "left" if "LEFT" in lm.name else "right"
            far = s != near
            half = SHOULDER_HALF if lm.name.endswith(("SHOULDER", "ELBOW", "WRIST", "PINKY",
                                                      "INDEX", "THUMB", "EAR", "EYE",
                                                      "EYE_INNER", "EYE_OUTER")) else HIP_HALF
            z[lm] = half if far else -half
            # subject's left is image-right when facing the camera
            lateral[lm] = half if s == "left" else -half
    if view == "side":
        xy = np.column_stack([sign * pts[:, 0], pts[:, 1]])
        xy[:, 0] += far_offset * np.sign(z) * sign  # the far side peeks out a little
    elif view == "front":
        xy = np.column_stack([lateral, pts[:, 1]])
        z = -pts[:, 0]
    else:
        raise ValueError(f"view must be 'side' or 'front', got {view!r}")

    # To pixels: y down, body centred, feet above the bottom edge.
    xy[:, 1] = -xy[:, 1]
    if scale is None:
        extent = max(np.ptp(xy[:, 1]), np.ptp(xy[:, 0]) * height / width, 1e-6)
        scale = 0.8 * height / extent
    xy = xy * scale
    cx, cy = center if center is not None else (width / 2, height / 2)
    xy += np.array([cx, cy]) - (xy.max(axis=0) + xy.min(axis=0)) / 2

    vis = np.full(NUM_LANDMARKS, float(visibility) if not isinstance(visibility, Mapping)
                  else 0.99)
    if view == "side":
        for lm in L:
            if z[lm] > 0:
                vis[lm] = far_visibility
    if isinstance(visibility, Mapping):
        for lm, v in visibility.items():
            vis[int(lm)] = v
    for lm in hidden:
        vis[int(lm)] = 0.05
    frame = PoseFrame(t_ms=int(t_ms), width=width, height=height, xy=xy, z=z * scale,
                      visibility=vis, presence=np.ones(NUM_LANDMARKS), index=index)
    return frame.mirrored() if mirrored else frame


def sequence(n: int, fps: float = 30.0, t0_ms: int = 0, **kwargs) -> list[PoseFrame]:
    """``n`` identical poses at ``fps`` (timestamps from ``t0_ms``)."""
    return [make_pose(t_ms=int(round(t0_ms + i * 1000.0 / fps)), index=i, **kwargs)
            for i in range(n)]


# ---------------------------------------------------------------------------- back outline
SHOULDER = np.array([300.0, 100.0])
HIP = np.array([300.0, 300.0])


BACK_PERIOD_PX = 160.0      # the synthetic back's hollow: thoracic apex -> buttock apex (px)
BACK_DEEPEST_T = 150.0      # px below the shoulder line: the lumbar deepest point


def back_amplitude(arch_deg: float, torso_px: float = 200.0) -> float:
    """The cosine amplitude (px) of :func:`make_back_mask` whose lumbar lordosis, as
    ``posecheck.core.outline`` defines it, is ``arch_deg`` for a ``torso_px`` axis.

    Known values: the back is ``d(t) = c - A cos(k (t - t_deepest))`` behind the axis, a
    smooth hollow between two apexes half a period apart. A moving average of ``w`` stations
    ``delta`` apart scales a cosine by ``mean(cos(k delta j))``, and a line fitted over the
    part ``+-h`` around a flank's middle has the slope ``A k 3 (sin kh - kh cos kh) / (kh)^3``;
    the two flanks' tangents are symmetric, so the angle between them is twice the atan."""
    from posecheck.core.outline import BELOW_HIP, SMOOTH_STATIONS, STATIONS, TANGENT_SPAN

    k = 2.0 * math.pi / BACK_PERIOD_PX
    delta = torso_px * BELOW_HIP / (STATIONS - 1)
    j = np.arange(SMOOTH_STATIONS) - (SMOOTH_STATIONS - 1) / 2.0
    smooth = float(np.mean(np.cos(k * delta * j)))
    kh = k * (BACK_PERIOD_PX / 2.0) * (TANGENT_SPAN[1] - TANGENT_SPAN[0]) / 2.0
    fit = 3.0 * (math.sin(kh) - kh * math.cos(kh)) / kh ** 3
    return math.tan(math.radians(arch_deg / 2.0)) / (k * smooth * fit)


def make_back_mask(arch_deg: float, facing: int = 1, size=(480, 640),
                   torso_px: float = 200.0) -> np.ndarray:
    """An upright trunk (shoulder at y=100, hip at y=300: 200 px torso) whose back is a smooth
    hollow (a cosine: the thoracic apex 70 px below the shoulder line, the deepest point at
    150, the buttock apex at 230) of lordosis ``arch_deg`` as measured on a ``torso_px`` axis
    (:func:`back_amplitude`); 60 px behind the axis 50 px below the shoulder line."""
    h, w = size
    t = np.arange(h, dtype=float) - SHOULDER[1]
    k = 2.0 * math.pi / BACK_PERIOD_PX
    a = back_amplitude(arch_deg, torso_px)
    d = 60.0 - a * (np.cos(k * (t - BACK_DEEPEST_T)) - math.cos(k * (50.0 - BACK_DEEPEST_T)))
    x = np.arange(w, dtype=float)[None, :]
    back = SHOULDER[0] - facing * d[:, None]
    front = SHOULDER[0] + facing * 50.0
    lo, hi = np.minimum(back, front), np.maximum(back, front)
    body = (x >= lo) & (x <= hi) & (t[:, None] >= -20) & (t[:, None] <= 330)
    return body.astype(np.float32)


def pose_on_back_mask(arch_deg: float, facing: int = 1, with_outline: bool = True):
    """A frame whose mid-shoulder and mid-hip are the synthetic mask's axis."""
    from dataclasses import replace

    from posecheck.core.pose import Landmark as L

    pose = make_pose("half_kneeling_hip_flexor", facing="right" if facing > 0 else "left",
                     width=640, height=480)
    xy = pose.xy.copy()
    for lm in (L.LEFT_SHOULDER, L.RIGHT_SHOULDER):
        xy[lm] = SHOULDER
    for lm in (L.LEFT_HIP, L.RIGHT_HIP):
        xy[lm] = HIP
    pose = pose.with_xy(xy)
    edges = trunk_edges(make_back_mask(arch_deg, facing), SHOULDER, HIP) if with_outline else None
    return replace(pose, outline=edges)


# ---------------------------------------------------------------------------- specs
# The smallest valid spec file (one pose condition, one check), for parser tests to edit.
TINY_SPEC = '''
id = "tiny"
name = "Tiny"
description = "A test spec."
view = "side"
posture = "standing"
stretched_leg = "back"
sides = ["left", "right"]
cautions = ["never pain"]

[hold]
target_s = 20.0

[[pose]]
id = "upright"
metric = "torso_incline_deg"
min = 40.0
unit = "deg"

[[checks]]
id = "lean"
metric = "torso_lean_deg"
max = 20.0
unit = "deg"
hysteresis = 2.0
cue_high = "Lift your chest"
'''


def mislabelled_trunk(frame: PoseFrame) -> PoseFrame:
    """What a model that believes the trunk mirrored gives: shoulder and hip depths swapped
    (the side evidence from depth then contradicts the facing)."""
    from dataclasses import replace

    z = frame.z.copy()
    for a, b in ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP)):
        z[a], z[b] = frame.z[b], frame.z[a]
    return replace(frame, z=z)

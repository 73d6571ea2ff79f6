"""Named body metrics measured on one pose, in pixels, for one stretch's point of view.

A metric is a number with a unit ("deg" or "ratio") computed from a :class:`PoseFrame` and a
:class:`~posecheck.core.body.BodyContext` (which way the person faces, which leg is the
stretched one, which side is nearer the camera). Specs refer to metrics by name (:data:`METRICS`); docs/CHECKS.md says
what each one sees and cannot see.

Conventions:
    - Pixels, never normalized coordinates (normalized x and y have different scales).
    - Image y points down; "up" is -y. "Forward" is the body's front: for upright postures
      (standing, kneeling, seated) the horizontal direction the person faces (``facing`` = +1
      toward image right, -1 toward image left); prone: down; on the back or side: in the
      body's own frame, the trunk axis' normal on the side the face points to
      (:func:`~posecheck.core.body.body_front`), the same whichever way the body lies in the
      image (across, along, upside down); the image only where the face does not say. Signed
      values are therefore the same whether the person faces left or right. In the body's
      frame (unchanged by turning the image): joint angles, hip flexion / extension, length
      ratios; against a level camera's gravity: torso incline and lean, tilts, ``toes_up``,
      knee drops, heights.
    - Left/right are the subject's (MediaPipe's). Roles: the "stretched" leg (back / kneeling /
      straight / hanging / top, per the spec's ``stretched_leg`` rule) and the "other" leg.
      For symmetric stretches ("both") the stretched role is the leg nearer the camera.
    - Ratios divide by a body length measured in the same frame (shin, thigh, torso), so they
      do not depend on the camera distance or the image size.
    - A landmark whose visibility or presence is below the threshold is "not seen": every
      metric using it is NaN and reports the landmark in ``hidden``. Nothing is guessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from posecheck.core import geometry as g
from posecheck.core.body import (LIMB, SIDES, BodyContext, Hidden, PoseReader, body_front,
                                 other_side, visibility_masks)
from posecheck.core.outline import BackArch
from posecheck.core.pose import Landmark as L
from posecheck.core.pose import PoseFrame


@dataclass(frozen=True)
class MetricValue:
    """One metric on one frame: ``value`` in the metric's unit (NaN if not measurable),
    the landmarks it used and those that were not seen (the reason it is NaN)."""

    value: float
    landmarks: tuple[int, ...] = ()
    hidden: tuple[int, ...] = ()

    @property
    def known(self) -> bool:
        return math.isfinite(self.value)


MetricFn = Callable[[PoseReader], float]


@dataclass(frozen=True)
class MetricDef:
    name: str
    unit: str
    description: str
    fn: MetricFn


METRICS: dict[str, MetricDef] = {}


def _metric(name: str, unit: str, description: str):
    def deco(fn: MetricFn) -> MetricFn:
        METRICS[name] = MetricDef(name, unit, description, fn)
        return fn
    return deco


# ---------------------------------------------------------------------------- whole body
@_metric("torso_lean_deg", "deg",
         "mid-hip -> mid-shoulder angle from vertical; + forward (toward the facing), - back")
def _torso_lean(r: PoseReader) -> float:
    return float(g.lean_from_vertical(r.pair("hip"), r.pair("shoulder"), r.forward()[0]))


@_metric("lumbar_arch_proxy_deg", "deg",
         "proxy for an over-arched low back: how far the hip->shoulder line leans back behind "
         "vertical (+ = behind); MediaPipe has no spine points")
def _arch(r: PoseReader) -> float:
    return -_torso_lean(r)


# view_width_ratio above which the trunk is not side-on enough for its outline to be the back
# (ratio; docs/CHECKS.md: about 0-0.35 side-on).
OUTLINE_MAX_VIEW_WIDTH = 0.4


def back_arch(r: PoseReader) -> "BackArch":
    """The back's arch on the frame's trunk outline, from the back side (opposite the facing).

    Raises Hidden when there is no outline (no mask asked for, or an old cache), the facing is
    unknown, or a region of the back is not seen on the mask."""
    if not _view_width(r) <= OUTLINE_MAX_VIEW_WIDTH:
        raise Hidden(())  # not side-on: the outline's edge is the flank, not the back
    arch = BackArch.from_edges(r.frame.outline, r.pair("shoulder"), r.pair("hip"),
                               r.ctx.facing)
    if arch is None:
        raise Hidden(())
    return arch


# Metrics measured on the trunk outline: a spec that uses one needs the person mask.
OUTLINE_METRICS = frozenset({"lumbar_lordosis_deg", "lumbar_depth_ratio"})


@_metric("lumbar_lordosis_deg", "deg",
         "angle between the back outline's tangents over the upper lumbar and the sacral region "
         "(person mask; + = concave, arched; 0 = flat); needs a side view and a mask")
def _lordosis(r: PoseReader) -> float:
    return back_arch(r).lordosis_deg


@_metric("lumbar_depth_ratio", "ratio",
         "deepest point of the back outline in from the chord thoracic back -> buttock, over "
         "torso length (+ = concave); needs a side view and a mask")
def _lumbar_depth(r: PoseReader) -> float:
    return back_arch(r).depth_ratio


@_metric("torso_incline_deg", "deg",
         "elevation of mid-shoulder over mid-hip: 90 upright, 0 lying flat, < 0 shoulders "
         "below hips (bridge)")
def _torso_incline(r: PoseReader) -> float:
    return float(g.incline_from_horizontal(r.pair("hip"), r.pair("shoulder")))


@_metric("view_width_ratio", "ratio",
         "larger of shoulder width and hip width over torso length, in the image: about 0-0.35 "
         "side-on, 0.7-1 facing the camera (uses presence, not visibility: the far side is "
         "expected to be hidden side-on)")
def _view_width(r: PoseReader) -> float:
    ls, rs = r.pt(L.LEFT_SHOULDER, presence_only=True), r.pt(L.RIGHT_SHOULDER, presence_only=True)
    lh, rh = r.pt(L.LEFT_HIP, presence_only=True), r.pt(L.RIGHT_HIP, presence_only=True)
    torso = float(g.distance(g.midpoint(lh, rh), g.midpoint(ls, rs)))
    if not torso > 0:
        raise Hidden(())
    return max(float(g.distance(ls, rs)), float(g.distance(lh, rh))) / torso


@_metric("hip_width_ratio", "ratio",
         "hip width in the image over torso length: near 0 when the hips are square to a "
         "side-on camera; grows as the pelvis turns open (also grows if the camera turns)")
def _hip_width(r: PoseReader) -> float:
    lh, rh = r.pt(L.LEFT_HIP, presence_only=True), r.pt(L.RIGHT_HIP, presence_only=True)
    return float(g.distance(lh, rh)) / r.torso_len()


@_metric("stance_length_ratio", "ratio",
         "other (front) ankle ahead of the stretched (back) ankle along the facing, over "
         "thigh+shin length")
def _stance(r: PoseReader) -> float:
    d = g.project(r.j("other", "ankle") - r.j("stretched", "ankle"), r.forward())
    return float(d) / (r.thigh("stretched") + r.shin("stretched"))


@_metric("hips_over_knees_ratio", "ratio",
         "mid-hip ahead (+) of / behind (-) the mid-knee along the facing, over thigh length "
         "(0 = hips stacked over knees)")
def _hips_over_knees(r: PoseReader) -> float:
    d = g.project(r.pair("hip") - r.pair("knee"), r.forward())
    return float(d) / r.thigh("stretched")


@_metric("knees_behind_ratio", "ratio",
         "how far behind its hip the less-far-back seen knee lies, along the facing, over thigh "
         "length: about +0.8-1 with both thighs lying behind (cobra), 0 with the knee under "
         "the hip, negative with a knee in front (pigeon's front leg, sitting)")
def _knees_behind(r: PoseReader) -> float:
    if r.ctx.facing == 0:  # the facing along the image (also lying: where the face points)
        raise Hidden(())
    fwd = np.array([float(r.ctx.facing), 0.0])
    best, hidden = math.inf, []
    for side in SIDES:
        hip, knee = LIMB[side]["hip"], LIMB[side]["knee"]
        if r.seen(hip) and r.seen(knee):
            r.used.extend([int(hip), int(knee)])
            d = g.project(r.frame.xy[hip] - r.frame.xy[knee], fwd)
            best = min(best, float(d) / r.thigh(side))
        else:
            hidden.extend(lm for lm in (hip, knee) if not r.seen(lm))
    if not math.isfinite(best):
        raise Hidden(hidden)
    return best


@_metric("hip_height_ratio", "ratio",
         "mid-hip height above the lowest seen foot point (ankle, heel or toe of either leg), "
         "over torso length: about 0-0.4 with the hips on the floor (prone, supine), more "
         "standing, kneeling upright or with the hips lifted; assumes a level camera")
def _hip_height(r: PoseReader) -> float:
    low, feet = -math.inf, []
    for side in SIDES:
        for joint in ("ankle", "heel", "toe"):
            lm = LIMB[side][joint]
            feet.append(lm)
            if r.seen(lm):
                r.used.append(int(lm))
                low = max(low, float(r.frame.xy[lm][1]))
    if not math.isfinite(low):
        raise Hidden(feet)
    return (low - float(r.pair("hip")[1])) / r.torso_len()


@_metric("hand_to_heel_ratio", "ratio",
         "distance from the nearest seen wrist to the same side's heel, over shin length "
         "(smaller = hand at the heel)")
def _hand_to_heel(r: PoseReader) -> float:
    best, hidden = math.inf, []
    for side in (r.ctx.near, other_side(r.ctx.near)):
        w, h = LIMB[side]["wrist"], LIMB[side]["heel"]
        if r.seen(w) and r.seen(h):
            r.used.extend([int(w), int(h)])
            best = min(best, float(g.distance(r.frame.xy[w], r.frame.xy[h])) / r.shin(side))
        else:
            hidden.extend(lm for lm in (w, h) if not r.seen(lm))
    if not math.isfinite(best):
        r.used.extend(hidden)
        raise Hidden(hidden)
    return best


@_metric("elbow_angle_deg", "deg",
         "shoulder-elbow-wrist angle of the arm nearer the camera (180 = straight arm)")
def _elbow(r: PoseReader) -> float:
    s = r.ctx.near
    return float(g.joint_angle(r.j(s, "shoulder"), r.j(s, "elbow"), r.j(s, "wrist")))


@_metric("hip_line_dev_deg", "deg",
         "bridge line: 180 minus the shoulder-hip-knee angle of the stretched (near) side, "
         "+ when the hips are above the shoulder-knee line, - when they sag below it")
def _hip_line(r: PoseReader) -> float:
    sh, hip, knee = r.pair("shoulder"), r.j("stretched", "hip"), r.j("stretched", "knee")
    dev = 180.0 - float(g.joint_angle(sh, hip, knee))
    above = float(g.signed_offset_from_line(hip, sh, knee, g.UP))
    return dev if above >= 0 else -dev


# ---------------------------------------------------------------------------- per leg
def _leg_metrics(role: str) -> None:
    word = "stretched" if role == "stretched" else "other"

    @_metric(f"{word}_knee_angle_deg", "deg",
             f"hip-knee-ankle angle of the {word} leg (180 = straight)")
    def knee_angle(r: PoseReader) -> float:
        return float(g.joint_angle(r.j(role, "hip"), r.j(role, "knee"), r.j(role, "ankle")))

    @_metric(f"{word}_hip_angle_deg", "deg",
             f"mid-shoulder - {word} hip - {word} knee angle (180 = thigh in line with the "
             "torso, 90 = thigh at a right angle)")
    def hip_angle(r: PoseReader) -> float:
        return float(g.joint_angle(r.pair("shoulder"), r.j(role, "hip"), r.j(role, "knee")))

    def flexion(r: PoseReader) -> float:
        down = r.pair("hip") - r.pair("shoulder")  # torso axis, toward the feet
        n = body_front(r, down)
        t = r.j(role, "knee") - r.j(role, "hip")
        val = float(np.degrees(np.arctan2(np.dot(t, n), np.dot(t, g.unit(down)))))
        if not math.isfinite(val):
            raise Hidden(())
        return val

    @_metric(f"{word}_hip_flexion_deg", "deg",
             f"{word} thigh angle from the torso line: + toward the front (flexion, knee to "
             "chest ~ 110+), - behind the torso (extension)")
    def hip_flexion(r: PoseReader) -> float:
        return flexion(r)

    @_metric(f"{word}_hip_extension_deg", "deg",
             f"minus {word}_hip_flexion_deg: + = thigh behind the torso line")
    def hip_extension(r: PoseReader) -> float:
        return -flexion(r)

    @_metric(f"{word}_thigh_behind_deg", "deg",
             f"{word} thigh (hip->knee) angle from straight down, + = knee behind the hip "
             "(opposite the facing), - = in front")
    def thigh_behind(r: PoseReader) -> float:
        v = r.j(role, "knee") - r.j(role, "hip")
        f = r.forward()[0]
        return float(np.degrees(np.arctan2(-f * v[0], v[1])))

    @_metric(f"{word}_thigh_tilt_deg", "deg",
             f"unsigned angle of the {word} thigh from horizontal (0 = level, 90 = vertical)")
    def thigh_tilt(r: PoseReader) -> float:
        return abs(float(g.incline_from_horizontal(r.j(role, "hip"), r.j(role, "knee"))))

    @_metric(f"{word}_leg_tilt_deg", "deg",
             f"elevation of the {word} ankle seen from its hip: 0 = leg level, + raised, "
             "- hanging down")
    def leg_tilt(r: PoseReader) -> float:
        return float(g.incline_from_horizontal(r.j(role, "hip"), r.j(role, "ankle")))

    @_metric(f"{word}_knee_height_ratio", "ratio",
             f"height of the {word} knee above the lowest seen point of the same foot, over "
             "shin length (about 0-0.25 = knee on the floor)")
    def knee_height(r: PoseReader) -> float:
        knee, ankle = r.j(role, "knee"), r.j(role, "ankle")
        side = r.side(role) if role not in SIDES else role
        low = float(ankle[1])
        for joint in ("heel", "toe"):
            lm = LIMB[side][joint]
            if r.seen(lm):
                r.used.append(int(lm))
                low = max(low, float(r.frame.xy[lm][1]))
        return (low - float(knee[1])) / r.shin(role)

    @_metric(f"{word}_knee_drop_ratio", "ratio",
             f"{word} knee below (+) / above (-) its hip, over thigh length")
    def knee_drop(r: PoseReader) -> float:
        return (float(r.j(role, "knee")[1]) - float(r.j(role, "hip")[1])) / r.thigh(role)

    @_metric(f"{word}_knee_over_toes_ratio", "ratio",
             f"{word} knee ahead (+) of / behind (-) the same foot's toes along the facing, "
             "over shin length")
    def knee_over_toes(r: PoseReader) -> float:
        d = g.project(r.j(role, "knee") - r.j(role, "toe"), r.forward())
        return float(d) / r.shin(role)

    @_metric(f"{word}_toes_up_deg", "deg",
             f"elevation of the {word} toes (foot index) over the heel: 0 = foot flat, + toes "
             "up, - heel raised")
    def toes_up(r: PoseReader) -> float:
        return float(g.incline_from_horizontal(r.j(role, "heel"), r.j(role, "toe")))

    @_metric(f"{word}_heel_to_glute_ratio", "ratio",
             f"{word} heel to hip distance over thigh length (small = heel pulled to the glute)")
    def heel_to_glute(r: PoseReader) -> float:
        return float(g.distance(r.j(role, "heel"), r.j(role, "hip"))) / r.thigh(role)

    @_metric(f"{word}_hand_to_foot_ratio", "ratio",
             f"distance from the {word} side's wrist to the {word} ankle, over shin length "
             "(small = the hand holds the foot)")
    def hand_to_foot(r: PoseReader) -> float:
        return float(g.distance(r.j(role, "wrist"), r.j(role, "ankle"))) / r.shin(role)

    @_metric(f"{word}_shin_ratio", "ratio",
             f"{word} shin length in the image over thigh length (short = shin pointing "
             "toward/away from the camera, e.g. across the body)")
    def shin_ratio(r: PoseReader) -> float:
        return float(g.distance(r.j(role, "knee"), r.j(role, "ankle"))) / r.thigh(role)


_leg_metrics("stretched")
_leg_metrics("other")


# ---------------------------------------------------------------------------- evaluation
def compute_metrics(frame: PoseFrame, ctx: BodyContext, names: Iterable[str], *,
                    min_visibility: float = 0.5, min_presence: float = 0.5
                    ) -> dict[str, MetricValue]:
    """The named metrics on one frame. Unknown names raise KeyError; unmeasurable ones are NaN."""
    out: dict[str, MetricValue] = {}
    masks = None if frame.xy is None else visibility_masks(frame, min_visibility, min_presence)
    for name in names:
        mdef = METRICS[name]
        if frame.xy is None:
            out[name] = MetricValue(math.nan)
            continue
        r = PoseReader(frame, ctx, min_visibility, min_presence, masks)
        try:
            value, hidden = float(mdef.fn(r)), ()
        except Hidden as exc:
            value, hidden = math.nan, exc.landmarks
        if not math.isfinite(value):
            value = math.nan
        out[name] = MetricValue(value, tuple(dict.fromkeys(r.used)), tuple(hidden))
    return out

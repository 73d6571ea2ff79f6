"""Named body metrics measured on one pose, in pixels, for one stretch's point of view.

A metric is a number with a unit ("deg" or "ratio") computed from a :class:`PoseFrame` and a
:class:`BodyContext` (which way the person faces, which leg is the stretched one, which side
is nearer the camera). Specs refer to metrics by name (:data:`METRICS`); docs/CHECKS.md says
what each one sees and cannot see.

Conventions:
    - Pixels, never normalized coordinates (normalized x and y have different scales).
    - Image y points down; "up" is -y. "Forward" is the body's front: for upright postures
      (standing, kneeling, seated) the horizontal direction the person faces (``facing`` = +1
      toward image right, -1 toward image left); supine: up; prone: down. Signed values are
      therefore the same whether the person faces left or right.
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
from typing import Callable, Iterable, Mapping

import numpy as np

from posecheck.core import geometry as g
from posecheck.core.outline import BackArch
from posecheck.core.pose import Landmark as L
from posecheck.core.pose import PoseFrame

SIDES = ("left", "right")

_LEG = {
    "left": {"shoulder": L.LEFT_SHOULDER, "elbow": L.LEFT_ELBOW, "wrist": L.LEFT_WRIST,
             "hip": L.LEFT_HIP, "knee": L.LEFT_KNEE, "ankle": L.LEFT_ANKLE,
             "heel": L.LEFT_HEEL, "toe": L.LEFT_FOOT_INDEX, "ear": L.LEFT_EAR},
    "right": {"shoulder": L.RIGHT_SHOULDER, "elbow": L.RIGHT_ELBOW, "wrist": L.RIGHT_WRIST,
              "hip": L.RIGHT_HIP, "knee": L.RIGHT_KNEE, "ankle": L.RIGHT_ANKLE,
              "heel": L.RIGHT_HEEL, "toe": L.RIGHT_FOOT_INDEX, "ear": L.RIGHT_EAR},
}


def other_side(side: str) -> str:
    return "right" if side == "left" else "left"


@dataclass(frozen=True)
class BodyContext:
    """How to read a pose for one stretch on one frame (found by the session, with hysteresis).

    Attributes:
        posture: the spec's posture ("standing", "kneeling", "seated", "supine", ...).
        facing: +1 if the person's front faces image +x, -1 if image -x, 0 if unknown.
        stretched: "left"/"right" side of the stretched leg (for "both": the near side), or
            None when it cannot be told yet.
        near: the side nearer the camera ("left"/"right").
    """

    posture: str
    facing: int
    stretched: str | None
    near: str

    @property
    def other(self) -> str | None:
        return None if self.stretched is None else other_side(self.stretched)

    @property
    def forward(self) -> np.ndarray:
        """Unit image vector of the body's front (NaN when unknown)."""
        if self.posture == "supine":
            return np.array([0.0, -1.0])
        if self.posture == "prone":
            return np.array([0.0, 1.0])
        if self.facing == 0:
            return np.array([np.nan, np.nan])
        return np.array([float(self.facing), 0.0])

    def side_of(self, role: str) -> str | None:
        return self.stretched if role == "stretched" else self.other


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


class Hidden(Exception):
    """Raised inside a metric when a landmark it needs is not seen."""

    def __init__(self, landmarks: Iterable[int]):
        super().__init__("hidden landmarks")
        self.landmarks = tuple(int(i) for i in landmarks)


def visibility_masks(frame: PoseFrame, min_visibility: float, min_presence: float
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``(seen, in_frame)`` boolean arrays over the 33 landmarks of a frame with a pose."""
    finite = np.isfinite(frame.xy).all(axis=1)
    in_frame = finite & (frame.presence >= min_presence)
    return in_frame & (frame.visibility >= min_visibility), in_frame


class PoseReader:
    """Landmark access for metric functions: records what was used, refuses what is hidden."""

    def __init__(self, frame: PoseFrame, ctx: BodyContext, min_visibility: float = 0.5,
                 min_presence: float = 0.5, masks: tuple[np.ndarray, np.ndarray] | None = None):
        if frame.xy is None:
            raise ValueError("PoseReader needs a frame with a pose")
        self.frame, self.ctx = frame, ctx
        self.min_visibility, self.min_presence = min_visibility, min_presence
        self.used: list[int] = []
        self._seen, self._in = masks if masks is not None else visibility_masks(
            frame, min_visibility, min_presence)

    # -- visibility
    def seen(self, lm: int) -> bool:
        return bool(self._seen[lm])

    def in_frame(self, lm: int) -> bool:
        return bool(self._in[lm])

    def pt(self, lm: int, *, presence_only: bool = False) -> np.ndarray:
        ok = self.in_frame(lm) if presence_only else self.seen(lm)
        self.used.append(int(lm))
        if not ok:
            raise Hidden([lm])
        return self.frame.xy[int(lm)]

    # -- roles
    def side(self, role: str) -> str:
        side = self.ctx.side_of(role)
        if side is None:  # stretched side not decided: role landmarks are unknown
            raise Hidden(())
        return side

    def j(self, role: str, joint: str) -> np.ndarray:
        """A joint of the stretched or other leg/arm (``role`` may also be "left"/"right")."""
        side = role if role in SIDES else self.side(role)
        return self.pt(_LEG[side][joint])

    def pair(self, joint: str, *, presence_only: bool = False) -> np.ndarray:
        """Mid-point of a left/right pair using the landmarks that are seen (near side first),
        so a low-visibility far side in a side view does not make the torso unknown."""
        pts, missing = [], []
        for side in (self.ctx.near, other_side(self.ctx.near)):
            lm = _LEG[side][joint]
            ok = self.in_frame(lm) if presence_only else self.seen(lm)
            if ok:
                pts.append(self.frame.xy[lm])
                self.used.append(int(lm))
            else:
                missing.append(lm)
        if not pts:
            self.used.extend(missing)
            raise Hidden(missing)
        return np.mean(pts, axis=0)

    # -- body lengths in this frame (pixels)
    def torso_len(self) -> float:
        n = float(g.distance(self.pair("hip"), self.pair("shoulder")))
        if not n > 0:
            raise Hidden(())
        return n

    def seg_len(self, a: str, b: str, role: str) -> float:
        """Longest visible 2-D length of segment a-b over both legs, at least ``role``'s.

        Projection only shortens a segment, so the longer of the two legs is the better
        estimate of the true length (an oblique or crossing leg looks short)."""
        own = float(g.distance(self.j(role, a), self.j(role, b)))
        best = own
        side = role if role in SIDES else self.side(role)
        o = other_side(side)
        la, lb = _LEG[o][a], _LEG[o][b]
        if self.seen(la) and self.seen(lb):
            best = max(best, float(g.distance(self.frame.xy[la], self.frame.xy[lb])))
        if not best > 0:
            raise Hidden(())
        return best

    def shin(self, role: str) -> float:
        return self.seg_len("knee", "ankle", role)

    def thigh(self, role: str) -> float:
        return self.seg_len("hip", "knee", role)

    def forward(self) -> np.ndarray:
        fwd = self.ctx.forward
        if not np.all(np.isfinite(fwd)):
            raise Hidden(())
        return fwd


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


@_metric("hand_to_heel_ratio", "ratio",
         "distance from the nearest seen wrist to the same side's heel, over shin length "
         "(smaller = hand at the heel)")
def _hand_to_heel(r: PoseReader) -> float:
    best, hidden = math.inf, []
    for side in (r.ctx.near, other_side(r.ctx.near)):
        w, h = _LEG[side]["wrist"], _LEG[side]["heel"]
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
        n = g.perpendicular_toward(down, r.forward())
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
            lm = _LEG[side][joint]
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


# ---------------------------------------------------------------------------- context
def near_side(frame: PoseFrame) -> str:
    """The side nearer the camera: higher summed visibility of its limb landmarks, MediaPipe
    depth as the tie-break (smaller z = nearer)."""
    vis = frame.visibility
    lv = sum(vis[_LEG["left"][j]] for j in ("shoulder", "hip", "knee", "ankle"))
    rv = sum(vis[_LEG["right"][j]] for j in ("shoulder", "hip", "knee", "ankle"))
    if abs(lv - rv) > 0.2:
        return "left" if lv > rv else "right"
    lz = sum(frame.z[_LEG["left"][j]] for j in ("shoulder", "hip"))
    rz = sum(frame.z[_LEG["right"][j]] for j in ("shoulder", "hip"))
    return "left" if lz <= rz else "right"


# A shin lying on the floor is the surest sign of the facing (the knee is always in front).
KNEEL_SHIN_WEIGHT = 1.5


def facing_vote(frame: PoseFrame, min_visibility: float = 0.5) -> float:
    """Evidence of the facing direction along image x: > 0 facing right, < 0 facing left.

    Votes (each at most 1, weighted by how clearly it applies):
      - head: the nose is in front of the ears (weighted by how level the nose-ear line
        is, so a head thrown back counts little);
      - standing feet: heel -> toe points forward (only for a foot under a raised knee, so a
        kneeling back foot, whose top lies flat and points backward, does not vote);
      - kneeling shins: a shin lying on the floor has the knee in front of the ankle
        (weight 1.5).
    """
    if frame.xy is None:
        return 0.0
    xy, vis = frame.xy, frame.visibility

    def ok(*lms: int) -> bool:
        return all(vis[i] >= min_visibility and np.all(np.isfinite(xy[i])) for i in lms)

    hips = [xy[i] for i in (L.LEFT_HIP, L.RIGHT_HIP) if ok(i)]
    shoulders = [xy[i] for i in (L.LEFT_SHOULDER, L.RIGHT_SHOULDER) if ok(i)]
    if not hips or not shoulders:
        return 0.0
    torso = float(g.distance(np.mean(hips, axis=0), np.mean(shoulders, axis=0)))
    if not torso > 0:
        return 0.0
    vote = 0.0
    ears = [xy[i] for i in (L.LEFT_EAR, L.RIGHT_EAR) if ok(i)]
    if ears and ok(L.NOSE):
        v = xy[L.NOSE] - np.mean(ears, axis=0)
        dx, n = float(v[0]), float(g.norm(v))
        if n > 0:  # a head thrown back (camel) or down points the nose up/down: weigh less
            vote += math.copysign(min(1.0, abs(dx) / (0.08 * torso)) * abs(dx) / n, dx)
    for side in SIDES:
        leg = _LEG[side]
        if not ok(leg["knee"], leg["ankle"]):
            continue
        knee, ankle = xy[leg["knee"]], xy[leg["ankle"]]
        shin = float(g.distance(knee, ankle))
        if not shin > 0:
            continue
        rise = float(ankle[1] - knee[1]) / shin  # 1 = shin vertical, 0 = on the floor
        if ok(leg["heel"], leg["toe"]):
            foot = xy[leg["toe"]] - xy[leg["heel"]]
            fl = float(g.norm(foot))
            if fl > 0:
                w = float(np.clip((rise - 0.5) / 0.3, 0, 1)) * abs(float(foot[0])) / fl
                vote += 0.7 * math.copysign(w, float(foot[0]))
        w = float(np.clip((0.5 - abs(rise)) / 0.3, 0, 1))
        dx = float(knee[0] - ankle[0])
        if w > 0 and dx != 0:
            vote += KNEEL_SHIN_WEIGHT * math.copysign(w, dx)
    return vote


def leg_scores(frame: PoseFrame, rule: str, ctx: BodyContext, min_visibility: float = 0.5,
               min_presence: float = 0.5) -> dict[str, float]:
    """How strongly each side looks like the stretched leg under ``rule`` (higher = more).

    Scores are in body-length ratios (or straightness for "straight"), NaN for a side whose
    landmarks are not seen. "both"/"none": the near side scores 1, the far side 0.
    """
    if rule in ("both", "none"):
        return {s: (1.0 if s == ctx.near else 0.0) for s in SIDES}
    out: dict[str, float] = {}
    masks = visibility_masks(frame, min_visibility, min_presence)
    for side in SIDES:
        r = PoseReader(frame, ctx, min_visibility, min_presence, masks)
        try:
            scale = r.torso_len()
            if rule == "back":
                mid = (r.j(side, "knee") + r.j(side, "ankle")) / 2 - r.pair("hip")
                out[side] = -float(g.project(mid, r.forward())) / scale
            elif rule == "kneeling":
                # the kneeling knee is the lower one; being further back breaks near-ties
                knee = r.j(side, "knee")
                back = -float(g.project(knee - r.pair("hip"), r.forward())) / scale
                out[side] = (float(knee[1]) - float(r.pair("hip")[1])) / scale + 0.3 * back
            elif rule == "straight":
                hip_a = g.joint_angle(r.pair("shoulder"), r.j(side, "hip"), r.j(side, "knee"))
                knee_a = g.joint_angle(r.j(side, "hip"), r.j(side, "knee"), r.j(side, "ankle"))
                out[side] = float(hip_a + knee_a) / 180.0
            elif rule == "hanging":
                low = (r.j(side, "knee")[1] + r.j(side, "ankle")[1]) / 2
                out[side] = float(low - r.pair("hip")[1]) / scale
            elif rule == "top":
                out[side] = -float(r.j(side, "hip")[1]) / scale
            else:
                raise ValueError(f"unknown stretched_leg rule {rule!r}")
        except Hidden:
            out[side] = math.nan
        if not math.isfinite(out[side]):
            out[side] = math.nan
    return out


# ---------------------------------------------------------------------------- naming
_JOINT_WORD = {"shoulder": "shoulder", "elbow": "elbow", "wrist": "hand", "hip": "hip",
               "knee": "knee", "ankle": "foot", "heel": "foot", "toe": "foot", "ear": "head"}
_HAND = {L.LEFT_PINKY: "left", L.LEFT_INDEX: "left", L.LEFT_THUMB: "left",
         L.RIGHT_PINKY: "right", L.RIGHT_INDEX: "right", L.RIGHT_THUMB: "right"}


def part_name(lm: int, ctx: BodyContext, parts: Mapping[str, str]) -> str:
    """Words for a landmark in a cue: "front foot", "back knee", "head", "hips"..."""
    lm = int(lm)
    if lm in _HAND:
        side, joint = _HAND[lm], "wrist"
    else:
        for side in SIDES:
            joint = next((j for j, i in _LEG[side].items() if i == lm), None)
            if joint is not None:
                break
        else:
            return "head"
    word = _JOINT_WORD[joint]
    if word == "head":
        return word
    if ctx.stretched is None:
        return f"{side} {word}"
    role = "stretched" if side == ctx.stretched else "other"
    return f"{parts.get(role, side)} {word}".strip()

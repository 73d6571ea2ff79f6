"""The stretched side: each frame's evidence, its continuity over time and a hold's confidence.

:class:`SideEvidence` (:func:`side_evidence`) is what one frame shows: the spec's stretched-leg
geometry (:func:`posecheck.core.body.leg_scores`, by a clear lead), checked against the facing
direction (:func:`near_from_facing`, label-free) and MediaPipe's depth of the trunk
(:func:`near_by_trunk_depth`, its labels). :class:`SideTracker` keeps the side continuous (a
debounce in position, locked while a hold runs, free out of position);
:func:`hold_side_confidence` turns a hold's frames into a confidence (per second of checked,
well-seen evidence, not per frame). docs/CHECKS.md ("Side")
has the measurements behind each piece. Pure numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np

from posecheck.core import geometry as g
from posecheck.core.body import BodyContext
from posecheck.core.pose import Landmark as L
from posecheck.core.pose import PoseFrame


class SideTracker:
    """Which side is the stretched one, switching only on a clear, lasting lead."""

    def __init__(self, margin: float, debounce_s: float):
        self.margin, self.debounce_ms = margin, int(round(debounce_s * 1000))
        self.reset()

    def reset(self) -> None:
        self.side: str | None = None
        self._cand: str | None = None
        self._since = 0

    def update(self, t_ms: int, scores: Mapping[str, float], *, locked: bool = False,
               free: bool = False) -> str | None:
        """The side after this frame.

        ``locked``: a hold is running, so the side stays (a side cannot change without the
        body leaving the position; a leg-label glitch mid-hold must not move the hold's
        seconds to the other side). ``free``: the body is out of the position, so the next
        clear lead decides at once (a person who changed legs between two holds starts the
        next hold on the new side); in position outside a hold the debounce applies."""
        lv, rv = scores.get("left", math.nan), scores.get("right", math.nan)
        if locked and self.side is not None:
            self._cand = None
            return self.side
        if not (math.isfinite(lv) and math.isfinite(rv)):
            return self.side  # one leg unseen: no comparison, keep what we had
        best = "left" if lv > rv else "right"
        lead = abs(lv - rv)
        if self.side is None or free:
            if lead >= self.margin:
                self.side = best
            return self.side
        if best != self.side and lead >= self.margin:
            if self._cand != best:
                self._cand, self._since = best, t_ms
            if t_ms - self._since >= self.debounce_ms:
                self.side, self._cand = best, None
        else:
            self._cand = None
        return self.side


# The facing direction names the nearer side only when the body's front and its long axis are
# clearly apart in the image: |sin| of the angle between them (0 = parallel, 1 = square).
FACING_AXIS_MIN_SIN = 0.5


def near_from_facing(frame: PoseFrame, ctx: BodyContext) -> str | None:
    """The side nearer the camera, from the body's front and its long axis, never from the
    left/right labels (the nose, the toes and the mid-points of hips and shoulders only).

    Convention: with world x right, y up and z toward the camera, the subject's right hand
    points along front x up (head direction). A person facing image-right stands with the
    right side to the camera; one lying on the back with the head image-left has the right
    side to the camera. None when the front is unknown or lies along the body's axis.

    Example:
        >>> import numpy as np
        >>> from posecheck.core.pose import PoseFrame
        >>> xy = np.zeros((33, 2)); xy[[11, 12], 1] = 100.0; xy[[23, 24], 1] = 200.0
        >>> f = PoseFrame(t_ms=0, width=640, height=480, xy=xy, z=np.zeros(33),
        ...               visibility=np.ones(33), presence=np.ones(33))
        >>> near_from_facing(f, BodyContext("standing", +1, None, "left"))
        'right'
    """
    if frame.xy is None:
        return None
    fwd = ctx.forward
    if not np.all(np.isfinite(fwd)):
        return None
    xy = frame.xy
    axis = (xy[L.LEFT_SHOULDER] + xy[L.RIGHT_SHOULDER]) / 2 - (xy[L.LEFT_HIP] + xy[L.RIGHT_HIP]) / 2
    n = float(g.norm(axis))
    if not (math.isfinite(n) and n > 0):
        return None
    ux, uy = float(axis[0]) / n, float(axis[1]) / n
    fx, fy = float(fwd[0]), float(fwd[1])
    cross = -fx * uy + fy * ux  # z of front x up, image y turned to point up
    if abs(cross) < FACING_AXIS_MIN_SIN:
        return None
    return "right" if cross > 0 else "left"


@dataclass(frozen=True)
class SideEvidence:
    """What one frame shows about the stretched side (see docs/CHECKS.md, "Side").

    Attributes:
        geometry: the side the spec's stretched-leg rule names by a clear lead (None: no
            clear lead, or a leg unseen).
        near_facing: the nearer side from the facing direction (label-free), None if unknown.
        near_model: the nearer side by MediaPipe's depth of the trunk (its labels), None when
            the depths are close.
        torso_px: the torso length in pixels (the person's size in the picture; NaN unknown).
        leg_visibility: the lowest MediaPipe visibility (0..1) of the two legs' hips, knees
            and ankles, each leg averaged over its three (NaN unknown).
        width_ratio: the larger of shoulder and hip width over the torso length in the image
            (about 0-0.35 side-on, 0.7-1 facing the camera; NaN unknown).
    """

    geometry: str | None
    near_facing: str | None
    near_model: str | None
    torso_px: float = math.nan
    leg_visibility: float = math.nan
    width_ratio: float = math.nan

    @property
    def consistent(self) -> bool | None:
        """The labels agree with the facing about which side is nearer (None: no facing)."""
        if self.near_facing is None or self.near_model is None:
            return None
        return self.near_facing == self.near_model

    @property
    def side(self) -> str | None:
        """The side this frame supports: its geometry, unless the labels contradict the
        facing (then nothing: a frame that contradicts itself names no side)."""
        return None if self.consistent is False else self.geometry

    @property
    def quality(self) -> float:
        """How well the picture shows the legs (0..1): the product of :func:`_ramp` of the
        person's size, the legs' visibility and how side-on the view is (an unknown cue is
        taken as poor: 0)."""
        return (_ramp(self.torso_px, TORSO_PX_POOR, TORSO_PX_GOOD)
                * _ramp(self.leg_visibility, LEG_VISIBILITY_POOR, LEG_VISIBILITY_GOOD)
                * _ramp(-self.width_ratio, -WIDTH_RATIO_POOR, -WIDTH_RATIO_GOOD))


def _ramp(x: float, poor: float, good: float) -> float:
    """0 at or below ``poor``, 1 at or above ``good``, linear between (0 for NaN)."""
    if not math.isfinite(x):
        return 0.0
    return min(1.0, max(0.0, (x - poor) / (good - poor)))


# The image cues of SideEvidence.quality (what makes a person unsure which leg is which).
# Size: the torso (shoulder centre to hip centre) in pixels; where the thighs cross at the
# hips is about a tenth of it, so at 30 px that is 3 px: nothing to see.
TORSO_PX_POOR = 30.0  # px: at or below, the frame weighs nothing
TORSO_PX_GOOD = 80.0  # px: at or above, size costs nothing
# Legs: MediaPipe's visibility (0..1) of the worse-seen leg (mean of hip, knee, ankle); side-on
# the far leg is partly hidden, so "good" is well below 1.
LEG_VISIBILITY_POOR = 0.3
LEG_VISIBILITY_GOOD = 0.7
# View: view_width_ratio (see metrics); side-on (<= 0.4, about view_detect.oblique_min_ratio)
# the legs are seen in profile; facing the camera (>= 0.8) the legs are side by side and
# which one is behind is a matter of depth the picture does not show.
WIDTH_RATIO_GOOD = 0.4
WIDTH_RATIO_POOR = 0.8


# MediaPipe's depth names the nearer side of the trunk only when the left and right
# shoulders + hips differ in z by at least this fraction of the torso length (z is in pixels).
TRUNK_DEPTH_MIN = 0.1


def near_by_trunk_depth(frame: PoseFrame) -> str | None:
    """The side MediaPipe places nearer the camera, from the depth (z) of the shoulders and
    hips only: the model's own belief about its trunk labels. The legs are left out on
    purpose: after a leg-label fix their z belongs to the other leg (z travels with the
    label), so it says nothing about the trunk. None when the difference is small."""
    if frame.xy is None or frame.z is None:
        return None
    torso = float(g.torso_length(*g.trunk_centres(frame.xy)))
    z = frame.z
    dz = float(z[L.LEFT_SHOULDER] + z[L.LEFT_HIP] - z[L.RIGHT_SHOULDER] - z[L.RIGHT_HIP]) / 2
    if not (math.isfinite(dz) and torso > 0) or abs(dz) < TRUNK_DEPTH_MIN * torso:
        return None
    return "left" if dz < 0 else "right"


_LEGS = ((L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE), (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE))


def side_evidence(frame: PoseFrame, ctx: BodyContext, scores: Mapping[str, float],
                  margin: float) -> SideEvidence:
    """The :class:`SideEvidence` of one frame (``scores``: :func:`leg_scores`)."""
    torso = width = legs = math.nan
    if frame.xy is not None:
        xy = frame.xy
        torso = float(g.torso_length(*g.trunk_centres(xy)))
        if math.isfinite(torso) and torso > 0:
            width = max(float(g.distance(xy[L.LEFT_SHOULDER], xy[L.RIGHT_SHOULDER])),
                        float(g.distance(xy[L.LEFT_HIP], xy[L.RIGHT_HIP]))) / torso
    if frame.visibility is not None:
        legs = min(float(np.mean(frame.visibility[list(leg)])) for leg in _LEGS)
    return SideEvidence(geometry=clear_leader(scores, margin),
                        near_facing=near_from_facing(frame, ctx),
                        near_model=near_by_trunk_depth(frame),
                        torso_px=torso, leg_visibility=legs, width_ratio=width)


# hold_side_confidence: one independent look at the body per SAMPLE_S of in-position time (a
# held stretch is the same picture for many frames, so frames are not independent samples).
SAMPLE_S = 1.0
# s: a frame stands for the time to the next one, at most this (a gap in the hold adds no
# evidence); the last frame stands for the gap before it, a photo's one frame for this.
FRAME_MAX_S = 0.1
# How much a frame's geometry counts (before SideEvidence.quality) by what its labels show:
VERIFIED_WEIGHT = 1.0    # facing and trunk depth agree: the leg labels are checked
UNVERIFIED_WEIGHT = 0.3  # trunk depth (or facing) unknown: the labels may be swapped
CONTRADICTION_WEIGHT = 1.0  # facing and depth disagree: evidence against the side


def frame_side_vote(ev: SideEvidence, side: str) -> tuple[float, float, float]:
    """(for, against, look) ``side`` of one frame: for/against 0..1 are the label weight of
    the frame's evidence times its :attr:`~SideEvidence.quality`; ``look`` is how much of a
    look the frame is. A frame naming the other side, or whose labels contradict the facing,
    counts against; one with no clear geometry counts neither (a whole look, so it pulls
    toward unsure). A frame whose labels cannot be checked (unverified) is a partial look
    of :data:`UNVERIFIED_WEIGHT`: weaker evidence that needs longer to convince, not
    evidence against (side-lying, where the facing runs along the body, is never verified,
    and MediaPipe's own labels are still usually right)."""
    q = ev.quality
    if ev.consistent is False:
        return 0.0, CONTRADICTION_WEIGHT * q, 1.0
    if ev.geometry is None:
        return 0.0, 0.0, 1.0
    w, look = (VERIFIED_WEIGHT, 1.0) if ev.consistent else (UNVERIFIED_WEIGHT, UNVERIFIED_WEIGHT)
    return (w * q, 0.0, look) if ev.geometry == side else (0.0, w * q, look)


def hold_side_confidence(samples: Iterable[tuple[int, SideEvidence | None]], side: str
                         ) -> float:
    """Confidence (0..1) that ``side`` is the stretched side of a hold, from its in-position
    frames as ``(t_ms, evidence)`` (evidence None: nothing known, counts as no evidence).

    What the number means: Laplace's rule of succession over the hold's *independent looks*,
    one per :data:`SAMPLE_S` of time (not per frame, so the frame rate does not matter),
    where a look counts as a success only as far as it shows the side with checked labels in a
    clear picture (:func:`frame_side_vote`: verified labels 1, unverified
    :data:`UNVERIFIED_WEIGHT`, times the picture's quality) and evidence against counts as an
    extra failure::

        confidence = (looks for + 1) / (looks + looks against + 2)

    So a look without usable evidence pulls toward "unsure" (an unseen side is not a told
    side); verified, well-seen evidence approaches 1 as the hold lasts (1 s: 0.67, 3 s: 0.8,
    10 s: 0.92); unverified evidence alone grows :data:`UNVERIFIED_WEIGHT` times as slowly
    (3 s: 0.66, 10 s: 0.8);
    a photo (one frame) reaches at most 2/3. NaN with no frame.

    Example:
        >>> clear = SideEvidence("left", "right", "right", torso_px=200.0,
        ...                      leg_visibility=0.9, width_ratio=0.1)
        >>> round(hold_side_confidence([(0, clear)], "left"), 3)  # a photo: one look
        0.667
        >>> hold_30fps = [(round(i * 1000 / 30), clear) for i in range(90)]  # 3 s
        >>> round(hold_side_confidence(hold_30fps, "left"), 2)
        0.8
    """
    pts = sorted(((int(t), ev) for t, ev in samples), key=lambda p: p[0])
    if not pts:
        return math.nan
    looks = pro = con = span = 0.0
    gaps = [min(FRAME_MAX_S, max(0.0, (b[0] - a[0]) / 1000.0)) for a, b in zip(pts, pts[1:])]
    gaps.append(gaps[-1] if gaps else FRAME_MAX_S)  # the last frame: as long as the one before
    for (t, ev), dt in zip(pts, gaps):
        span += dt / SAMPLE_S
        if ev is None:
            looks += dt / SAMPLE_S
            continue
        f, a, look = frame_side_vote(ev, side)
        looks += look * dt / SAMPLE_S
        pro += f * dt / SAMPLE_S
        con += a * dt / SAMPLE_S
    # a photo, or a hold shorter than one look, counts as one whole look (its mean evidence)
    if 0.0 < span < 1.0:
        k = 1.0 / span
        looks, pro, con = looks * k, pro * k, con * k
    return (pro + 1.0) / (looks + con + 2.0)


def clear_leader(scores: Mapping[str, float], margin: float) -> str | None:
    """The side whose score leads by at least ``margin`` on this frame alone, else None."""
    lv, rv = scores.get("left", math.nan), scores.get("right", math.nan)
    if math.isfinite(lv) and math.isfinite(rv) and abs(lv - rv) >= margin:
        return "left" if lv > rv else "right"
    return None


__all__ = ["SideEvidence", "SideTracker", "clear_leader", "frame_side_vote", "hold_side_confidence",
           "near_by_trunk_depth", "near_from_facing", "side_evidence"]

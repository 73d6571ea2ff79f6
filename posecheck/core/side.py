"""The stretched side: each frame's evidence, its continuity over time and a hold's confidence.

:class:`SideEvidence` (:func:`side_evidence`) is what one frame shows: the spec's stretched-leg
geometry (:func:`posecheck.core.body.leg_scores`, by a clear lead), checked against the facing
direction (:func:`near_from_facing`, label-free) and MediaPipe's depth of the trunk
(:func:`near_by_trunk_depth`, its labels). :class:`SideTracker` keeps the side continuous (a
debounce in position, locked while a hold runs, free out of position);
:func:`hold_side_confidence` turns a hold's frames into a confidence. docs/CHECKS.md ("Side")
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
    """

    geometry: str | None
    near_facing: str | None
    near_model: str | None

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


def side_evidence(frame: PoseFrame, ctx: BodyContext, scores: Mapping[str, float],
                  margin: float) -> SideEvidence:
    """The :class:`SideEvidence` of one frame (``scores``: :func:`leg_scores`)."""
    return SideEvidence(geometry=clear_leader(scores, margin),
                        near_facing=near_from_facing(frame, ctx),
                        near_model=near_by_trunk_depth(frame))


def hold_side_confidence(evidence: Iterable[str | None], side: str) -> float:
    """Confidence (0..1) that ``side`` is the stretched side of a hold, from the side each of
    its frames supports (:attr:`SideEvidence.side`; None = no evidence or contradiction).

    Laplace's rule of succession over the frames: (frames naming ``side`` + 1) / (frames + 2),
    so one frame alone never makes a sure side, frames that name the other side or contradict
    themselves count against it, and a long consistent hold approaches 1. NaN with no frame.
    """
    votes = list(evidence)
    if not votes:
        return math.nan
    return (sum(1 for v in votes if v == side) + 1) / (len(votes) + 2)


def clear_leader(scores: Mapping[str, float], margin: float) -> str | None:
    """The side whose score leads by at least ``margin`` on this frame alone, else None."""
    lv, rv = scores.get("left", math.nan), scores.get("right", math.nan)
    if math.isfinite(lv) and math.isfinite(rv) and abs(lv - rv) >= margin:
        return "left" if lv > rv else "right"
    return None


__all__ = ["SideEvidence", "SideTracker", "clear_leader", "hold_side_confidence",
           "near_by_trunk_depth", "near_from_facing", "side_evidence"]

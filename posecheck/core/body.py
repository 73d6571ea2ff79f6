"""How to read a pose for one stretch: the body context and the side / facing helpers.

:class:`BodyContext` says which way the person faces, which leg is the stretched one and which
side is nearer the camera; the session finds it each frame (:func:`facing_vote`,
:func:`leg_scores`, :func:`near_side`; the side decision is :mod:`posecheck.core.side`) and the metrics
(:mod:`posecheck.core.metrics`) read landmarks through it with :class:`PoseReader`, which
records what was used and refuses what is not seen. Conventions as in
:mod:`posecheck.core.metrics`: pixels, image y down, left/right the subject's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np

from posecheck.core import geometry as g
from posecheck.core.pose import Landmark as L
from posecheck.core.pose import PoseFrame

SIDES = ("left", "right")

# The landmark of each joint, per side (the subject's left and right).
LIMB = {
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
        return self.pt(LIMB[side][joint])

    def pair(self, joint: str, *, presence_only: bool = False) -> np.ndarray:
        """Mid-point of a left/right pair using the landmarks that are seen (near side first),
        so a low-visibility far side in a side view does not make the torso unknown."""
        pts, missing = [], []
        for side in (self.ctx.near, other_side(self.ctx.near)):
            lm = LIMB[side][joint]
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
        n = float(g.torso_length(hip=self.pair("hip"), shoulder=self.pair("shoulder")))
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
        la, lb = LIMB[o][a], LIMB[o][b]
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


# ---------------------------------------------------------------------------- context
def near_side(frame: PoseFrame) -> str:
    """The side nearer the camera: higher summed visibility of its limb landmarks, MediaPipe
    depth as the tie-break (smaller z = nearer)."""
    vis = frame.visibility
    lv = sum(vis[LIMB["left"][j]] for j in ("shoulder", "hip", "knee", "ankle"))
    rv = sum(vis[LIMB["right"][j]] for j in ("shoulder", "hip", "knee", "ankle"))
    if abs(lv - rv) > 0.2:
        return "left" if lv > rv else "right"
    lz = sum(frame.z[LIMB["left"][j]] for j in ("shoulder", "hip"))
    rz = sum(frame.z[LIMB["right"][j]] for j in ("shoulder", "hip"))
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
        leg = LIMB[side]
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


# ---------------------------------------------------------------------------- body front
# Torso lengths the nose must lie off the trunk axis to say which side is the front (ratio;
# real supine clips read 0.18-0.35 with the full model, the synthetic one 0.28).
FACE_FRONT_MIN_RATIO = 0.08
# Postures whose front is found from the face; prone keeps image down (cobra's raised head
# looks ahead along the trunk, not to the floor).
LYING_FRONT_FROM_FACE = frozenset({"supine", "side_lying"})


def body_front(r: PoseReader, down: np.ndarray) -> np.ndarray:
    """Unit image vector perpendicular to the trunk axis ``down`` (shoulder -> hip), on the
    body's front.

    Convention: lying (:data:`LYING_FRONT_FROM_FACE`), the nose's side of the axis when the
    nose is seen :data:`FACE_FRONT_MIN_RATIO` torso lengths or more off it, however the body
    lies in the image; else the side of ``BodyContext.forward`` if the trunk lies across it
    (over 45 deg from it), else Hidden (not known). Other postures: the side of ``forward``.

    Example:
        >>> from posecheck.core.body import BodyContext, PoseReader
        >>> xy = np.zeros((33, 2)); xy[11:13] = [0.0, 100.0]; xy[23:25] = [0.0, 0.0]
        >>> xy[0] = [30.0, 120.0]   # body along the image, head down, face to the right
        >>> r = PoseReader(PoseFrame(t_ms=0, width=200, height=200, xy=xy),
        ...                BodyContext("supine", 0, "left", "left"))
        >>> body_front(r, xy[23] - xy[11]).round(3).tolist()
        [1.0, 0.0]
    """
    if r.ctx.posture not in LYING_FRONT_FROM_FACE:
        return g.perpendicular_toward(down, r.forward())
    axis = g.unit(down)
    if not np.all(np.isfinite(axis)):
        raise Hidden(())
    normal = np.array([-axis[1], axis[0]])
    if r.seen(L.NOSE):
        side = float(np.dot(r.frame.xy[L.NOSE] - r.pair("shoulder"), normal))
        if abs(side) >= FACE_FRONT_MIN_RATIO * float(g.norm(down)):
            r.used.append(int(L.NOSE))
            return normal if side > 0 else -normal
    fwd = r.forward()
    along = float(np.dot(normal, g.unit(fwd)))
    if abs(along) < math.sqrt(0.5):  # the trunk within 45 deg of the posture's image front
        raise Hidden([L.NOSE])       # (along the image): which side is the front is not known
    return normal if along > 0 else -normal


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
            joint = next((j for j, i in LIMB[side].items() if i == lm), None)
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


__all__ = ["LIMB", "SIDES", "BodyContext", "Hidden", "PoseReader", "body_front", "facing_vote",
           "leg_scores", "near_side", "other_side", "part_name", "visibility_masks"]

"""The posture family a body is in (standing, kneeling, face down, on the back), for
``--stretch auto``.

Every spec names its posture (``StretchSpec.posture``) and writes its entry conditions for a
body that is already in it, so some of them are met by bodies in another posture: a
half-kneeling body meets the deep lunge's "upright, split stance, front knee bent"; a person
lying on the back with one knee bent meets the camel's "knee low, thigh steep"; a standing
quad stretch (a foot held up behind) meets "knee lower than its foot". Recognition therefore
first asks whether the body can be in the spec's posture family at all, from evidence any
side view gives and that needs no floor line (a bench, a chair or a camera above the floor
moves the floor in the image):

- a knee *rests on the floor*: it is no higher above the lowest seen point of its own foot
  than ``knee_down_shin`` shin lengths (the shin lies along the floor, or the foot is
  lifted above the knee): the measure of the kneeling specs' ``back_knee_down``;
- a leg *stands under the hips*: nearly straight and steep, knee below the hip;
- a thigh *points down* from the hip (the body stands or kneels on it);
- the torso's incline above horizontal (lying is near 0);
- the arms *prop the shoulders up*: a shoulder well above the lower wrist (a backbend on the
  hands; lying on the back, the shoulders rest on the support and the hands are not below it).

A family is contradicted when:

- standing: a knee rests on the floor (that is kneeling);
- kneeling: the torso lies flat, or a leg stands straight under the hips (standing);
- prone: a thigh points down from the hip (a body lying face down has its thighs along the
  floor);
- supine: the arms prop the shoulders up.

Seated, side-lying and "lying" (any) have no rule: their specs' own conditions decide. Evidence
that cannot be measured (a landmark not in the frame) contradicts nothing. Pure numpy.

Conventions: pixels, image y down; landmarks count when in the frame (``presence``), as in a
side view the far leg is often marked not visible while its position is still estimated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from posecheck.core import geometry as g
from posecheck.core.body import LIMB, SIDES
from posecheck.core.errors import check_number
from posecheck.core.pose import PoseFrame

FAMILIES = ("standing", "kneeling", "prone", "supine")


@dataclass(frozen=True)
class PostureSettings:
    """What tells the posture families apart (each with its unit)."""

    # A knee no higher than this above the lowest point of its own foot rests on the floor
    # (its shin within ~9 deg of level, or the foot lifted above it). Shin lengths; stricter
    # than the kneeling specs' back_knee_down (0.35), so a deep lunge's back knee hovering a
    # little above the floor still counts as standing (real knees down read 0.0-0.12).
    knee_down_shin: float = 0.15
    # A leg this straight (hip-knee-ankle) and this steep (thigh from horizontal, knee below
    # the hip) stands under the hips. Degrees.
    standing_knee_deg: float = 150.0
    standing_thigh_deg: float = 60.0
    # A thigh this steep below the hip bears the body's weight (lying face down, both thighs
    # are along the floor). Degrees from horizontal.
    weight_thigh_deg: float = 45.0
    # A torso inclined less than this above horizontal is lying, not kneeling (a deep camel
    # leans back to ~30 deg). Degrees.
    lying_torso_deg: float = 20.0
    # A shoulder this far above the lower wrist is propped up on the hands. Torso lengths.
    propped_shoulder_torso: float = 0.75
    # A landmark counts when its presence (in the frame) is at least this. 0..1.
    min_presence: float = 0.5

    def __post_init__(self) -> None:
        for name in ("knee_down_shin", "propped_shoulder_torso"):
            check_number(f"PostureSettings.{name}", getattr(self, name), positive=True)
        for name in ("standing_knee_deg", "standing_thigh_deg", "weight_thigh_deg",
                     "lying_torso_deg"):
            check_number(f"PostureSettings.{name}", getattr(self, name), unit="degrees",
                         at_most=180.0)
        check_number("PostureSettings.min_presence", self.min_presence, at_most=1.0)


@dataclass(frozen=True)
class PostureEvidence:
    """What one frame shows about the body's posture; each None when it cannot be measured.

    Attributes:
        knee_down: a knee rests on the floor (either leg).
        leg_standing: a leg stands straight under the hips.
        thigh_down: a thigh points steeply down from its hip.
        torso_incline_deg: mid-shoulder elevation over mid-hip, 90 upright, 0 flat.
        propped: a shoulder is held up on the hands.
    """

    knee_down: bool | None = None
    leg_standing: bool | None = None
    thigh_down: bool | None = None
    torso_incline_deg: float = math.nan
    propped: bool | None = None

    @classmethod
    def from_frame(cls, frame: PoseFrame, settings: PostureSettings = PostureSettings()
                   ) -> "PostureEvidence":
        """The evidence of one frame (all unknown when it has no pose)."""
        if not frame.has_pose:
            return cls()
        xy = frame.xy
        ok = np.isfinite(xy).all(axis=1) & (frame.presence >= settings.min_presence)
        s = settings
        knee_down, standing, thigh_down = [], [], []
        for side in SIDES:
            j = LIMB[side]
            hip, knee, ankle = j["hip"], j["knee"], j["ankle"]
            if not (ok[hip] and ok[knee] and ok[ankle]):
                continue
            shin = float(g.distance(xy[knee], xy[ankle]))
            lows = [xy[lm][1] for lm in (ankle, j["heel"], j["toe"]) if ok[lm]]
            if shin > 0:
                knee_down.append((max(lows) - xy[knee][1]) / shin <= s.knee_down_shin)
            below = xy[knee][1] > xy[hip][1]
            tilt = abs(float(g.incline_from_horizontal(xy[hip], xy[knee])))
            bend = float(g.joint_angle(xy[hip], xy[knee], xy[ankle]))
            if math.isfinite(tilt) and math.isfinite(bend):
                standing.append(below and tilt >= s.standing_thigh_deg
                                and bend >= s.standing_knee_deg)
                thigh_down.append(below and tilt >= s.weight_thigh_deg)
        incline, propped = math.nan, None
        ls, rs, lh, rh = (LIMB["left"]["shoulder"], LIMB["right"]["shoulder"],
                          LIMB["left"]["hip"], LIMB["right"]["hip"])
        if ok[[ls, rs, lh, rh]].all():
            shoulder, hip = g.trunk_centres(xy)
            incline = float(g.incline_from_horizontal(hip, shoulder))
            torso = float(g.torso_length(shoulder, hip))
            wrists = [xy[LIMB[sd]["wrist"]][1] for sd in SIDES if ok[LIMB[sd]["wrist"]]]
            if wrists and torso > 0:
                top = min(xy[ls][1], xy[rs][1])
                propped = bool((max(wrists) - top) / torso > s.propped_shoulder_torso)
        return cls(knee_down=_any(knee_down), leg_standing=_any(standing),
                   thigh_down=_any(thigh_down), torso_incline_deg=incline, propped=propped)

    def contradicts(self, family: str, settings: PostureSettings = PostureSettings()) -> bool:
        """True when the evidence rules the posture family out (see the module docstring);
        False when it fits or cannot tell, and for families without a rule."""
        if family == "standing":
            return self.knee_down is True
        if family == "kneeling":
            lying = self.torso_incline_deg < settings.lying_torso_deg  # False for NaN
            return bool(lying) or self.leg_standing is True
        if family == "prone":
            return self.thigh_down is True
        if family == "supine":
            return self.propped is True
        return False


def _any(flags: list[bool]) -> bool | None:
    return None if not flags else any(flags)


def posture_ok(frames, family: str, settings: PostureSettings = PostureSettings()
               ) -> np.ndarray:
    """``(T,)`` bool: per frame (anything with a ``pose`` PoseFrame, e.g. a FrameReport), the
    body is not ruled out of the posture ``family``."""
    return np.array([not PostureEvidence.from_frame(f.pose, settings).contradicts(
        family, settings) for f in frames], dtype=bool)

"""Is the camera level? Its roll, from edges that are vertical in the room. Pure numpy.

Torso lean, tilts, heights and the lying / upright postures are read against the picture's
vertical (docs/CHECKS.md "a level camera's gravity"), so a camera rolled by 8 deg moves each of
them by 8 deg: measured on real clips turned by 8 deg, a cobra lost its hold and the
half-kneeling clip's valid frames moved by a quarter or more (docs/CHECKS.md "A tilted
camera"). posecheck does not turn the
landmarks back (a wrong estimate would spoil a level clip); it says so, in the report's
warnings, so the person can level the camera.

How: door frames, wall corners, shelf sides and curtain folds are vertical in the room. In the
picture they meet at one vanishing point: straight below the image centre for a camera that
looks down without roll, at infinity for a level one. The roll is the angle between the
picture's vertical through its centre and the direction to that point, so a camera that
looks down (its verticals converge) reads 0 while one that is turned reads its turn. The
segments come from :mod:`posecheck.io.level` (edges and line detection, the person masked
out); this module only does the geometry.

Conventions: image pixels, y down; ``roll_deg`` > 0 when the picture is turned clockwise
relative to the room (the tops of its vertical edges lean to the right).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Segments within this angle of the picture's vertical are candidates (deg): more than any
# roll worth reporting plus the convergence of a camera looking down.
MAX_SEGMENT_DEV_DEG = 20.0
# A segment pointing within this angle of the vanishing point agrees with it (deg).
INLIER_DEG = 1.5
# The longest segments whose pairwise meeting points are tried as the vanishing point (count;
# 40 gives 780 pairs, a few ms).
PAIR_CANDIDATES = 40
# Agreeing segments needed to state a roll at all (count): a few lines (one door, a table
# leg) say little (a clip with 13 read -12.8 deg, wrong); rooms in the real footage give
# 20-170 over 8 frames, plain studio backdrops and outdoor fields too few.
MIN_SEGMENTS = 20
# A roll at least this large is worth a warning (deg): the real clips that look level read
# 0-3.3 deg; clips turned by 8 deg read 6.6-7.8 deg more (docs/CHECKS.md "A tilted camera").
WARN_ROLL_DEG = 5.0


@dataclass(frozen=True)
class CameraLevel:
    """The camera's roll from the room's vertical edges.

    Attributes:
        roll_deg: deg, > 0 turned clockwise (see the module's conventions).
        segments: segments that agree with the vanishing point.
    """

    roll_deg: float
    segments: int

    @classmethod
    def from_segments(cls, segments: np.ndarray, width: int, height: int
                      ) -> "CameraLevel | None":
        """The roll from ``(N, 4)`` segments ``x1, y1, x2, y2`` (pixels of one picture size),
        or None when too few near-vertical segments agree on a vanishing point.

        Example:
            >>> segs = np.array([[x, 0.0, x, 100.0] for x in range(0, 200, 8)])
            >>> CameraLevel.from_segments(segs, 200, 100)
            CameraLevel(roll_deg=0.0, segments=25)
        """
        seg = np.asarray(segments, dtype=float).reshape(-1, 4)
        if len(seg) == 0 or width <= 0 or height <= 0:
            return None
        scale = math.hypot(width, height)
        p1 = (seg[:, :2] - [width / 2, height / 2]) / scale
        p2 = (seg[:, 2:] - [width / 2, height / 2]) / scale
        u = p2 - p1
        length = np.hypot(u[:, 0], u[:, 1])
        keep = (length > 0) & near_vertical(seg)
        if keep.sum() < MIN_SEGMENTS:
            return None
        p1, p2, u, length = p1[keep], p2[keep], u[keep] / length[keep, None], length[keep]
        mid = (p1 + p2) / 2
        lines = np.cross(np.column_stack([p1, np.ones(len(p1))]),
                         np.column_stack([p2, np.ones(len(p2))]))
        lines /= np.hypot(lines[:, 0], lines[:, 1])[:, None]
        vp = _best_pair(lines, mid, u, length)
        for _ in range(3):  # refine on the segments that agree with it
            inl = _miss_deg(vp, mid, u) <= INLIER_DEG
            if inl.sum() < 2:
                break
            vp = _vanishing_point(lines[inl], length[inl])
        inliers = int((_miss_deg(vp, mid, u) <= INLIER_DEG).sum())
        if inliers < MIN_SEGMENTS:
            return None
        down = vp[:2] if vp[1] >= 0 else -vp[:2]  # toward the point, turned to point down
        if not np.any(down):
            return None
        roll = math.degrees(math.atan2(-down[0], down[1]))
        if abs(roll) > MAX_SEGMENT_DEV_DEG:  # segments agreeing on a point off to one side:
            return None                       # not the room's verticals
        return cls(roll_deg=round(roll, 1) + 0.0, segments=inliers)

    @property
    def tilted(self) -> bool:
        return abs(self.roll_deg) >= WARN_ROLL_DEG

    def warning(self) -> str | None:
        """The report's warning when the camera is tilted (None when level enough)."""
        if not self.tilted:
            return None
        way = "right" if self.roll_deg > 0 else "left"
        return (f"the camera looks tilted by about {abs(self.roll_deg):.0f} deg (the room's "
                f"vertical edges lean {way} in the picture): torso lean, tilts and lying "
                "angles are read against the picture's vertical, so they are off by as much; "
                "level the camera")


def near_vertical(segments: np.ndarray) -> np.ndarray:
    """Which ``(N, 4)`` segments lie within :data:`MAX_SEGMENT_DEV_DEG` of the picture's
    vertical (a boolean per segment): the candidates for the room's vertical edges."""
    seg = np.asarray(segments, dtype=float).reshape(-1, 4)
    dx, dy = seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1]
    return np.degrees(np.arctan2(np.abs(dx), np.abs(dy))) <= MAX_SEGMENT_DEV_DEG


def _best_pair(lines: np.ndarray, mid: np.ndarray, u: np.ndarray, length: np.ndarray,
               top: int = PAIR_CANDIDATES) -> np.ndarray:
    """The vanishing point most segment length agrees with, among the meeting points of
    every pair of the ``top`` longest segments (a parallel pair meets at infinity)."""
    order = np.argsort(-length)[:top]
    best, best_score = np.array([0.0, 1.0, 0.0]), -1.0  # default: straight down, at infinity
    for a in range(len(order)):
        for b in range(a + 1, len(order)):
            vp = np.cross(lines[order[a]], lines[order[b]])
            if not np.any(vp):
                continue
            score = float(length[_miss_deg(vp, mid, u) <= INLIER_DEG].sum())
            if score > best_score:
                best, best_score = vp, score
    return best


def _vanishing_point(lines: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Homogeneous point nearest (weighted least squares) to every line."""
    a = (lines * weight[:, None]).T @ lines
    _, vecs = np.linalg.eigh(a)
    return vecs[:, 0]


def _miss_deg(vp: np.ndarray, mid: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Angle (deg) between each segment and the direction from its middle to ``vp``."""
    to_vp = vp[:2][None, :] - mid * vp[2]
    norm = np.hypot(to_vp[:, 0], to_vp[:, 1])
    sin = np.abs(u[:, 0] * to_vp[:, 1] - u[:, 1] * to_vp[:, 0]) / np.maximum(norm, 1e-12)
    return np.degrees(np.arcsin(np.clip(sin, 0.0, 1.0)))


__all__ = ["CameraLevel", "MAX_SEGMENT_DEV_DEG", "MIN_SEGMENTS", "WARN_ROLL_DEG", "near_vertical"]

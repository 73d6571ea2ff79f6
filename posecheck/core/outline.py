"""The trunk's outline from the person segmentation mask, and the low-back arch measured on it.

Pure numpy: no cv2 or mediapipe. The estimator calls :func:`trunk_edges` right after
inference and keeps only its ``(2, STATIONS, 2)`` pixel points (a few hundred bytes), never the
mask, so the landmark cache stores numbers, not images.

Conventions:
    - Pixels, image y down. The trunk axis runs from mid-hip to mid-shoulder; station ``s``
      (0 at the shoulder line, 1 at the hip line, up to :data:`BELOW_HIP` past the hip, where
      the buttock is) is the point ``shoulder + s * (hip - shoulder)``.
    - ``edges[0]`` is the outline on the side of the axis' normal ``n = (-u_y, u_x)`` (``u``
      the unit hip->shoulder vector; for an upright trunk ``n`` points to image +x), and
      ``edges[1]`` on the other side. The back is the side opposite the facing direction, so
      the facing found later (with hysteresis, on smoothed landmarks) picks it.
    - An edge point is the last mask pixel (mask >= 0.5) reached marching out from the axis;
      a station whose axis point is outside the mask, or whose edge runs off the image, is NaN.
    - ``lordosis_deg``: the angle between the back outline's tangent over the upper lumbar
      region and over the sacral region, + when the low back is concave (arched), 0 when the
      two tangents are parallel (flat), - when it rounds outwards.
    - ``depth_ratio``: the deepest point of the back between the thoracic back point and the
      buttock point, measured in from the chord joining them, over torso length; + concave.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Stations along the trunk axis: 0 = shoulder line, 1 = hip line.
BELOW_HIP = 1.35            # torso lengths from the shoulder line: past the hip, to the buttock
STATIONS = 28
MAX_REACH = 0.8             # torso lengths: the farthest an edge is looked for from the axis
SMOOTH_STATIONS = 3         # moving-average width along the outline (stations)
# Largest jump of the back edge between neighbouring stations (torso lengths; stations are
# 0.05 apart, so 0.16 is a 73 deg slope to the axis; a deep real arch reached 0.13): a bigger
# one above the sacrum is an arm, hand or prop against the back, and the outline is not used;
# below it (a back thigh, the floor) the outline is cut there.
MAX_STEP = 0.16
# Regions of the back (in stations' ``s``) for the metrics; anatomy, not pose thresholds.
THORACIC_S = (0.20, 0.35)   # the thoracic back point (the chord's upper end) is the most
                            # posterior point here
UPPER_LUMBAR_S = (0.45, 0.70)
SACRAL_S = (0.85, 1.05)
BUTTOCK_S = (0.95, BELOW_HIP)  # the chord's lower end: the most posterior point here


def station_s() -> np.ndarray:
    """``(STATIONS,)`` positions along the axis (see the module conventions)."""
    return np.linspace(0.0, BELOW_HIP, STATIONS)


def trunk_edges(mask: np.ndarray, shoulder: np.ndarray, hip: np.ndarray,
                threshold: float = 0.5) -> np.ndarray | None:
    """The outline on both sides of the trunk axis, ``(2, STATIONS, 2)`` pixels (NaN unknown).

    ``mask`` is ``(H, W)`` in [0, 1]; ``shoulder``/``hip`` are the mid-points in pixels.
    None when the axis is degenerate or a point is not finite.
    """
    mask = np.asarray(mask)
    stations = station_points(shoulder, hip)
    if mask.ndim != 2 or stations is None:
        return None
    base, normal, torso = stations                                  # (S, 2), (2,), px
    h, w = mask.shape
    inside = mask >= threshold
    steps = np.arange(0.0, MAX_REACH * torso, 1.0)                  # 1-px steps
    out = np.full((2, STATIONS, 2), np.nan)
    for k, sign in enumerate((1.0, -1.0)):
        pts = base[:, None, :] + sign * steps[None, :, None] * normal[None, None, :]
        xi = np.rint(pts[..., 0]).astype(int)
        yi = np.rint(pts[..., 1]).astype(int)
        valid = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        hit = np.zeros(valid.shape, bool)
        hit[valid] = inside[yi[valid], xi[valid]]
        for i in range(STATIONS):
            if not hit[i, 0]:
                continue
            gaps = np.flatnonzero(~hit[i])
            if gaps.size == 0:
                continue                                            # ran past the reach
            last = gaps[0] - 1
            if not valid[i, gaps[0]]:
                continue                                            # ran off the image
            out[k, i] = base[i] + sign * steps[last] * normal
    return out


def station_points(shoulder: np.ndarray, hip: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The stations' points on the trunk axis ``(STATIONS, 2)``, the unit normal ``n`` (the
    side of ``edges[0]``) and the torso length in pixels; None when the axis is degenerate.
    Whatever finds the outline (the mask here, the synthetic mannequin's exact silhouette in
    ``posecheck.synth.silhouette``) marches out from these points along +/- ``n``."""
    frame = _trunk_axis(shoulder, hip)
    if frame is None:
        return None
    sh, hp, torso, normal = frame
    return sh[None, :] + station_s()[:, None] * (hp - sh)[None, :], normal, torso


def _trunk_axis(shoulder: np.ndarray, hip: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray] | None:
    """Shoulder and hip mid-points, the torso length (px) and the unit normal to the
    hip->shoulder axis; None when a point is not finite or the torso is under 1 px."""
    sh, hp = np.asarray(shoulder, float), np.asarray(hip, float)
    if not (np.isfinite(sh).all() and np.isfinite(hp).all()):
        return None
    axis = sh - hp
    torso = float(np.hypot(*axis))
    if not torso > 1.0:
        return None
    u = axis / torso
    return sh, hp, torso, np.array([-u[1], u[0]])


@dataclass(frozen=True)
class BackArch:
    """The low back's arch measured on the outline of one frame.

    Attributes:
        curve: ``(N, 2)`` smoothed back outline in pixels, shoulder to buttock (finite only).
        chord: ``(2, 2)`` the thoracic back point and the buttock point.
        lordosis_deg: see the module conventions (+ concave / arched).
        depth_ratio: see the module conventions (torso lengths, + concave).
    """

    curve: np.ndarray
    chord: np.ndarray
    lordosis_deg: float
    depth_ratio: float

    @classmethod
    def from_edges(cls, edges: np.ndarray | None, shoulder: np.ndarray, hip: np.ndarray,
                   facing: int) -> "BackArch | None":
        """Measure the back side of ``edges`` (from :func:`trunk_edges`) for a person facing
        image +x (``facing`` = +1) or -x (-1). None when the facing is unknown, the axis is
        degenerate or a region of the back is not seen."""
        if edges is None or facing == 0:
            return None
        frame = _trunk_axis(shoulder, hip)
        if frame is None:
            return None
        sh, hp, torso, normal = frame
        forward = np.array([float(facing), 0.0])
        # back side: the edge whose normal points away from the front
        k = 1 if float(normal @ forward) > 0 else 0
        back_dir = normal if k == 0 else -normal
        pts = np.asarray(edges, float)[k]
        s = station_s()
        base = sh[None, :] + s[:, None] * (hp - sh)[None, :]
        d = (pts - base) @ back_dir                                   # distance behind the axis
        d = np.where(s >= THORACIC_S[0], d, np.nan)
        d = _cut_below_sacrum(d, s, MAX_STEP * torso)
        if d is None:
            return None                                               # a jump or a gap
        d = _smooth(d, SMOOTH_STATIONS)
        regions = [(lo <= s) & (s <= hi) for lo, hi in
                   (THORACIC_S, UPPER_LUMBAR_S, SACRAL_S, BUTTOCK_S)]
        if any(np.count_nonzero(r & np.isfinite(d)) < 2 for r in regions):
            return None
        # along the axis, downwards (shoulder -> hip) in pixels
        t = s * torso
        curve_xy = base + d[:, None] * back_dir[None, :]
        slope_up = _slope(t[regions[1]], d[regions[1]])
        slope_sac = _slope(t[regions[2]], d[regions[2]])
        # going down the back, the surface moves in (toward the front) over an arched upper
        # lumbar region and back out over the sacrum: the angle between them is the arch
        lordosis = math.degrees(math.atan(slope_sac) - math.atan(slope_up))
        i_top = _argmax_in(d, regions[0])
        i_bot = _argmax_in(d, regions[3])
        a, b = np.array([t[i_top], d[i_top]]), np.array([t[i_bot], d[i_bot]])
        between = np.arange(i_top, i_bot + 1)
        between = between[np.isfinite(d[between])]
        chord_d = a[1] + (t[between] - a[0]) * (b[1] - a[1]) / (b[0] - a[0])
        # perpendicular distance from the chord, inward (toward the front) positive
        cos = (b[0] - a[0]) / float(np.hypot(*(b - a)))
        depth = float(np.max(chord_d - d[between])) * cos / torso
        ok = np.isfinite(d)
        return cls(curve=curve_xy[ok], chord=np.stack([curve_xy[i_top], curve_xy[i_bot]]),
                   lordosis_deg=float(lordosis), depth_ratio=depth)


def _cut_below_sacrum(d: np.ndarray, s: np.ndarray, max_step: float) -> np.ndarray | None:
    """The edge distances up to the first jump or gap, if that is below the sacral region
    (a back thigh or the floor taking over from the buttock); None if it is higher up (an
    arm, a hand or a prop against the back)."""
    idx = np.flatnonzero(np.isfinite(d))
    if idx.size < 2:
        return None
    bad = (np.diff(idx) > 1) | (np.abs(np.diff(d[idx])) > max_step)
    if not bad.any():
        return d
    first = idx[int(np.argmax(bad))]      # the last good station before the break
    if s[first] < SACRAL_S[1]:
        return None
    out = d.copy()
    out[first + 1:] = np.nan
    return out


def _smooth(d: np.ndarray, width: int) -> np.ndarray:
    """Moving average over finite neighbours (NaN stays NaN)."""
    if width <= 1:
        return d
    ok = np.isfinite(d)
    v = np.where(ok, d, 0.0)
    kernel = np.ones(width)
    num = np.convolve(v, kernel, mode="same")
    den = np.convolve(ok.astype(float), kernel, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    return np.where(ok, out, np.nan)


def _slope(t: np.ndarray, d: np.ndarray) -> float:
    ok = np.isfinite(d)
    return float(np.polyfit(t[ok], d[ok], 1)[0])


def _argmax_in(d: np.ndarray, region: np.ndarray) -> int:
    idx = np.flatnonzero(region & np.isfinite(d))
    return int(idx[np.argmax(d[idx])])

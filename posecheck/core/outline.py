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
    - The back's features are read off the (smoothed) outline itself, the landmarks only
      bounding where to look: the thoracic apex and the buttock apex (the most posterior
      points above and below the waist), and the lumbar deepest point (farthest in from the
      chord joining the apexes).
    - ``lordosis_deg``: the angle between the back outline's tangent over the upper lumbar
      region (thoracic apex -> deepest point) and over the sacral region (deepest point ->
      buttock apex), + when the low back is concave (arched), 0 when the two tangents are
      parallel (flat), - when it rounds outwards.
    - ``depth_ratio``: the deepest point's distance in from the chord joining the apexes,
      over torso length; + concave.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Stations along the trunk axis: 0 = shoulder line, 1 = hip line.
BELOW_HIP = 1.35            # torso lengths from the shoulder line: past the hip, to the buttock
STATIONS = 28
MAX_REACH = 0.8             # torso lengths: the farthest an edge is looked for from the axis
# Largest jump of the back edge between neighbouring stations (torso lengths; stations are
# 0.05 apart, so 0.16 is a 73 deg slope to the axis; a deep real arch reached 0.13): a bigger
# one above the sacrum is an arm, hand or prop against the back, and the outline is not used;
# below it (a back thigh, the floor) the outline is cut there.
MAX_STEP = 0.16
SACRUM_S = 1.05             # a break of the back edge above this station is an arm or a prop
# Smoothing along the back (a moving average over this many stations: 0.35 torso lengths).
# The lumbar hollow spans ~0.5 torso lengths, so this keeps its shape while the person mask's
# pixel steps and the rounding of its concave corners (the model's low-resolution mask) matter
# less; the same smoothing is applied to every outline (the synthetic truth included).
SMOOTH_STATIONS = 7
FINE_STEP = 0.01            # torso lengths: the smoothed outline is resampled this finely
# Where the back's own features are looked for (stations' ``s``; anatomy, not pose
# thresholds). The landmarks only say roughly where to look: the features themselves are read
# off the outline, so a shoulder or hip point off by a few percent of the torso moves them little.
THORACIC_S = (0.15, 0.55)   # the thoracic apex: the most posterior point of the upper back
BUTTOCK_S = (0.95, BELOW_HIP)  # the buttock apex: the most posterior point below the hip
LUMBAR_SPAN = (0.2, 0.8)    # the lumbar deepest point (farthest in from the apexes' chord),
                            # as fractions of the way from the thoracic to the buttock apex
TANGENT_SPAN = (0.1, 0.9)   # each tangent is the line fitted to the outline over this part of
                            # the way thoracic apex -> deepest point (upper lumbar) and
                            # deepest point -> buttock apex (sacral)


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
        chord: ``(2, 2)`` the thoracic apex and the buttock apex, pixels.
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
        ok = np.isfinite(d)
        if np.count_nonzero(ok) < 4:
            return None
        # the smoothed back resampled finely, along the axis downwards (px) and behind it (px)
        sf = np.arange(s[ok][0], s[ok][-1] + 1e-9, FINE_STEP)
        t, df = sf * torso, np.interp(sf, s[ok], d[ok])
        i_top = _argmax_in(df, (THORACIC_S[0] <= sf) & (sf <= THORACIC_S[1]))
        i_bot = _argmax_in(df, (BUTTOCK_S[0] <= sf) & (sf <= BUTTOCK_S[1]))
        if i_top < 0 or i_bot < 0:
            return None                                               # a region not seen
        a, b = np.array([t[i_top], df[i_top]]), np.array([t[i_bot], df[i_bot]])
        chord_d = a[1] + (t - a[0]) * (b[1] - a[1]) / (b[0] - a[0])
        inward = chord_d - df                                         # + in front of the chord
        i_deep = _argmax_in(inward, _between(t, a[0], b[0], LUMBAR_SPAN))
        if i_deep < 0:
            return None
        upper = _between(t, a[0], t[i_deep], TANGENT_SPAN)
        lower = _between(t, t[i_deep], b[0], TANGENT_SPAN)
        if np.count_nonzero(upper) < 3 or np.count_nonzero(lower) < 3:
            return None
        # going down the back, the surface moves in (toward the front) over an arched upper
        # lumbar region and back out over the sacrum: the angle between them is the arch
        lordosis = math.degrees(math.atan(_slope(t[lower], df[lower]))
                                - math.atan(_slope(t[upper], df[upper])))
        # perpendicular distance from the chord, inward (toward the front) positive
        cos = (b[0] - a[0]) / float(np.hypot(*(b - a)))
        depth = float(inward[i_deep]) * cos / torso
        curve_xy = base + d[:, None] * back_dir[None, :]
        ends = [i_top, i_bot]
        apex = (sh[None, :] + sf[ends][:, None] * (hp - sh)[None, :]
                + df[ends][:, None] * back_dir[None, :])
        return cls(curve=curve_xy[ok], chord=apex, lordosis_deg=float(lordosis),
                   depth_ratio=depth)


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
    if s[first] < SACRUM_S:
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
    """The index of the largest finite ``d`` inside ``region``; -1 when there is none."""
    idx = np.flatnonzero(region & np.isfinite(d))
    return int(idx[np.argmax(d[idx])]) if idx.size else -1


def _between(t: np.ndarray, t0: float, t1: float, span: tuple[float, float]) -> np.ndarray:
    """The samples of ``t`` within the fractions ``span`` of the way from ``t0`` to ``t1``."""
    return (t >= t0 + span[0] * (t1 - t0)) & (t <= t0 + span[1] * (t1 - t0))

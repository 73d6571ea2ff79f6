"""Pure angle and distance functions on pixel coordinates.

Convention:
    Points are ``(..., 2)`` float arrays of image pixels: x to the right, y **down**.
    Angles are degrees. "Up" in the world is ``-y`` in the image. Every function broadcasts
    over leading dimensions and returns NaN (never raises) when an input is NaN or a vector
    has zero length, so a hidden landmark propagates as "unknown" rather than as a number.
"""

from __future__ import annotations

import numpy as np

from posecheck.core.pose import Landmark as L

UP = np.array([0.0, -1.0])  # image direction of world up (y points down)


def _arr(p) -> np.ndarray:
    return np.asarray(p, dtype=np.float64)


def norm(v) -> np.ndarray:
    """Euclidean length of ``(..., 2)`` vectors."""
    return np.linalg.norm(_arr(v), axis=-1)


def distance(a, b) -> np.ndarray:
    """Pixel distance between points ``a`` and ``b`` (``(..., 2)`` each)."""
    return norm(_arr(b) - _arr(a))


def midpoint(a, b) -> np.ndarray:
    return (_arr(a) + _arr(b)) / 2.0


def trunk_centres(xy) -> tuple[np.ndarray, np.ndarray]:
    """Shoulder centre and hip centre (each ``(..., 2)``) of ``(..., 33, 2)`` BlazePose
    landmarks in pixels: the midpoints of the left and right shoulder, and of the hips."""
    xy = _arr(xy)
    return (midpoint(xy[..., L.LEFT_SHOULDER, :], xy[..., L.RIGHT_SHOULDER, :]),
            midpoint(xy[..., L.LEFT_HIP, :], xy[..., L.RIGHT_HIP, :]))


def torso_length(shoulder, hip) -> np.ndarray:
    """The torso length in pixels: from the shoulder centre to the hip centre (``(..., 2)``
    each; :func:`trunk_centres` gives both of a whole pose). The body length that motion,
    jumps and distances between landmarks are measured in, so they do not depend on the
    camera distance.

    Convention:
        NaN when a centre is NaN (hidden); 0 when the two coincide (callers treat a
        length that is not > 0 as unknown).

    Example:
        >>> float(torso_length([10.0, 20.0], [13.0, 24.0]))
        5.0
    """
    return distance(hip, shoulder)


def unit(v) -> np.ndarray:
    """``v`` scaled to length 1; NaN for a zero vector."""
    v = _arr(v)
    n = norm(v)[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, v / np.where(n > 0, n, 1.0), np.nan)


def angle_between(u, v) -> np.ndarray:
    """Unsigned angle in [0, 180] degrees between vectors ``u`` and ``v``."""
    u, v = _arr(u), _arr(v)
    cross = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    dot = np.sum(u * v, axis=-1)
    with np.errstate(invalid="ignore"):
        out = np.degrees(np.arctan2(np.abs(cross), dot))
    zero = (norm(u) == 0) | (norm(v) == 0)
    return np.where(zero, np.nan, out)


def joint_angle(a, b, c) -> np.ndarray:
    """Interior angle ABC at vertex ``b`` in [0, 180] degrees (180 = straight line)."""
    b = _arr(b)
    return angle_between(_arr(a) - b, _arr(c) - b)


def signed_angle(u, v) -> np.ndarray:
    """Angle in (-180, 180] degrees that turns ``u`` onto ``v``; positive = clockwise on
    screen (because y points down)."""
    u, v = _arr(u), _arr(v)
    cross = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    dot = np.sum(u * v, axis=-1)
    out = np.degrees(np.arctan2(cross, dot))
    zero = (norm(u) == 0) | (norm(v) == 0)
    return np.where(zero, np.nan, out)


def lean_from_vertical(base, top, forward_sign) -> np.ndarray:
    """Angle of segment base->top from world-vertical, in degrees, signed along the facing.

    ``forward_sign`` is +1 when the person faces image +x (right), -1 when facing left.
    Positive = ``top`` is ahead of ``base`` (leaning forward), negative = behind.
    """
    v = _arr(top) - _arr(base)
    f = np.asarray(forward_sign, dtype=np.float64)
    return np.degrees(np.arctan2(f * v[..., 0], -v[..., 1]))


def incline_from_horizontal(a, b) -> np.ndarray:
    """Elevation of ``b`` seen from ``a`` in [-90, 90] degrees: + = ``b`` higher than ``a``
    in the world (smaller image y), regardless of left/right."""
    v = _arr(b) - _arr(a)
    with np.errstate(invalid="ignore"):
        out = np.degrees(np.arctan2(-v[..., 1], np.abs(v[..., 0])))
    return np.where(norm(v) == 0, np.nan, out)


def project(v, direction) -> np.ndarray:
    """Scalar component of ``v`` along ``direction`` (normalised inside)."""
    return np.sum(_arr(v) * unit(direction), axis=-1)


def perpendicular_toward(axis, toward) -> np.ndarray:
    """Unit vector perpendicular to ``axis`` on the side of ``toward`` (NaN if ``toward`` is
    parallel to ``axis``)."""
    a = unit(axis)
    t = _arr(toward)
    perp = t - np.sum(t * a, axis=-1)[..., None] * a
    return unit(perp)


def signed_offset_from_line(p, a, b, side) -> np.ndarray:
    """Distance of ``p`` from the line through ``a`` and ``b``, positive on the ``side``
    direction's half plane (``side`` is a vector, e.g. world up ``UP``)."""
    a, b, p = _arr(a), _arr(b), _arr(p)
    n = perpendicular_toward(b - a, side)
    return np.sum((p - a) * n, axis=-1)

"""geometry.py: known values, NaN handling, broadcasting and the image conventions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posecheck.core import geometry as g
# ---------------------------------------------------------------- known values
@pytest.mark.parametrize("a, b, c, expected", [
    ((0, 0), (1, 0), (2, 0), 180.0),     # straight line
    ((0, 0), (1, 0), (1, 1), 90.0),      # right angle
    ((0, 0), (1, 0), (0, 0), 0.0),       # folded back
    ((0, 0), (1, 0), (2, 1), 135.0),
])
def test_joint_angle_known(a, b, c, expected):
    assert float(g.joint_angle(a, b, c)) == pytest.approx(expected, abs=1e-9)


def test_distance_and_midpoint():
    assert float(g.distance((0, 0), (3, 4))) == pytest.approx(5.0)
    assert np.allclose(g.midpoint((0, 0), (2, 4)), (1, 2))


@pytest.mark.parametrize("top, sign, expected", [
    ((0, -10), 1, 0.0),          # straight up (y down): vertical
    ((10, -10), 1, 45.0),        # ahead of the base when facing +x: forward
    ((-10, -10), 1, -45.0),      # behind: leaning back
    ((-10, -10), -1, 45.0),      # the same picture facing -x: forward
])
def test_lean_from_vertical(top, sign, expected):
    assert float(g.lean_from_vertical((0, 0), top, sign)) == pytest.approx(expected)


def test_incline_from_horizontal_is_left_right_symmetric():
    assert float(g.incline_from_horizontal((0, 0), (10, -10))) == pytest.approx(45.0)
    assert float(g.incline_from_horizontal((0, 0), (-10, -10))) == pytest.approx(45.0)
    assert float(g.incline_from_horizontal((0, 0), (10, 10))) == pytest.approx(-45.0)


def test_project_and_perpendicular():
    assert float(g.project((3, 4), (2, 0))) == pytest.approx(3.0)
    n = g.perpendicular_toward((1, 0), (0.3, -5))
    assert np.allclose(n, (0, -1))


# ---------------------------------------------------------------- NaN and shapes
def test_nan_propagates():
    assert math.isnan(float(g.joint_angle((np.nan, 0), (1, 0), (2, 0))))
    assert math.isnan(float(g.lean_from_vertical((0, 0), (np.nan, 1), 1)))


def test_zero_length_gives_nan_not_zero():
    assert math.isnan(float(g.joint_angle((1, 1), (1, 1), (2, 2))))
    assert math.isnan(float(g.incline_from_horizontal((1, 1), (1, 1))))
    assert np.all(np.isnan(g.unit((0, 0))))


def test_broadcasts_over_leading_dims():
    a = np.zeros((5, 2))
    b = np.tile([1.0, 0.0], (5, 1))
    c = np.tile([1.0, 1.0], (5, 1))
    out = g.joint_angle(a, b, c)
    assert out.shape == (5,)
    assert np.allclose(out, 90.0)


# ---------------------------------------------------------------- conventions
def test_convention_y_points_down():
    # A point with a smaller y is higher in the world.
    assert float(g.incline_from_horizontal((0, 100), (50, 50))) > 0
    assert np.allclose(g.UP, (0, -1))


def test_convention_signed_angle_clockwise_on_screen_is_positive():
    # x -> y (right -> down) is a clockwise turn on screen.
    assert float(g.signed_angle((1, 0), (0, 1))) == pytest.approx(90.0)
    assert float(g.signed_angle((1, 0), (0, -1))) == pytest.approx(-90.0)


def test_convention_offset_from_line_positive_above():
    # Line along x at y=0; a point at y=-5 is above (world up) it.
    assert float(g.signed_offset_from_line((3, -5), (0, 0), (10, 0), g.UP)) == pytest.approx(5.0)
    assert float(g.signed_offset_from_line((3, 5), (0, 0), (10, 0), g.UP)) == pytest.approx(-5.0)


def test_convention_scale_invariance_of_angles():
    a, b, c = np.array([0, 0]), np.array([3, 1]), np.array([5, 7])
    assert float(g.joint_angle(a, b, c)) == pytest.approx(float(g.joint_angle(a * 7, b * 7, c * 7)))


# ---------------------------------------------------------------------------- torso length
def _pose(ls, rs, lh, rh) -> np.ndarray:
    from posecheck.core.pose import Landmark as L

    xy = np.full((33, 2), 999.0)  # other landmarks must not matter
    xy[L.LEFT_SHOULDER], xy[L.RIGHT_SHOULDER] = ls, rs
    xy[L.LEFT_HIP], xy[L.RIGHT_HIP] = lh, rh
    return xy


@pytest.mark.parametrize("pts, length", [
    (([0, 0], [20, 0], [7, 40], [13, 40]), 40.0),    # upright, centres (10, 0) and (10, 40)
    (([0, 0], [0, 0], [30, 40], [30, 40]), 50.0),    # side view: left and right coincide
    (([5, 5], [5, 5], [5, 5], [5, 5]), 0.0),          # collapsed: 0, callers treat as unknown
])
def test_torso_length_known_values(pts, length):
    shoulder, hip = g.trunk_centres(_pose(*pts))
    assert float(g.torso_length(shoulder, hip)) == pytest.approx(length)


def test_torso_length_broadcasts_over_frames_and_propagates_nan():
    frames = np.stack([_pose([0, 0], [20, 0], [10, 30], [10, 30]),
                       _pose([0, 0], [20, 0], [np.nan, 30], [10, 30])])
    out = g.torso_length(*g.trunk_centres(frames))
    assert out.shape == (2,)
    assert out[0] == pytest.approx(30.0) and math.isnan(out[1])


def test_convention_torso_length_is_symmetric_and_in_pixels():
    # Swapping the two centres changes nothing; scaling the image scales the length.
    xy = _pose([3, 1], [17, 2], [9, 41], [12, 44])
    s, h = g.trunk_centres(xy)
    assert float(g.torso_length(s, h)) == float(g.torso_length(h, s))
    assert float(g.torso_length(*g.trunk_centres(xy * 2))) == pytest.approx(
        2 * float(g.torso_length(s, h)))

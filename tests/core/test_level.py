"""core/level.py: the camera's roll from segments that are vertical in the room."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posecheck.core.level import MIN_SEGMENTS, WARN_ROLL_DEG, CameraLevel

W, H = 640, 480


def room_verticals(roll_deg: float = 0.0, n: int = 30, look_down_px: float = 0.0,
                   seed: int = 0) -> np.ndarray:
    """``n`` vertical edges of a room seen by a camera turned clockwise by ``roll_deg``;
    ``look_down_px`` > 0 makes them meet that far below the centre (a camera looking down)."""
    rng = np.random.default_rng(seed)
    c = np.array([W / 2, H / 2])
    t = math.radians(roll_deg)
    turn = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])  # y down
    out = []
    for _ in range(n):
        top = np.array([rng.uniform(20, W - 20), rng.uniform(0, H / 2)])
        length = rng.uniform(80, 200)
        way = np.array([0.0, 1.0])
        if look_down_px:
            way = c + [0.0, look_down_px] - top
            way /= np.linalg.norm(way)
        out.append(np.r_[turn @ (top - c) + c, turn @ (top + length * way - c) + c])
    return np.array(out)


@pytest.mark.parametrize("roll", [-12.0, -8.0, -3.0, 0.0, 4.0, 8.0])
@pytest.mark.parametrize("look_down_px", [0.0, 1500.0])
def test_the_roll_is_read_whether_or_not_the_camera_looks_down(roll, look_down_px):
    level = CameraLevel.from_segments(room_verticals(roll, look_down_px=look_down_px), W, H)
    assert level is not None and level.roll_deg == pytest.approx(roll, abs=0.2)


def test_slanted_segments_beside_the_room_do_not_move_it():
    rng = np.random.default_rng(1)
    slanted = []
    for _ in range(12):  # a treadmill's posts, a leaning board: 5-15 deg off, all over
        x, y, a = rng.uniform(0, W), rng.uniform(0, H), math.radians(rng.uniform(5, 15))
        slanted.append([x, y, x + 150 * math.sin(a), y + 150 * math.cos(a)])
    segs = np.vstack([room_verticals(3.0, n=30), np.array(slanted)])
    assert CameraLevel.from_segments(segs, W, H).roll_deg == pytest.approx(3.0, abs=0.3)


def test_too_few_edges_say_nothing():
    assert CameraLevel.from_segments(room_verticals(8.0, n=MIN_SEGMENTS - 1), W, H) is None
    assert CameraLevel.from_segments(np.zeros((0, 4)), W, H) is None
    flat = np.array([[0.0, y, 300.0, y + 5.0] for y in range(0, 400, 10)])  # horizontals
    assert CameraLevel.from_segments(flat, W, H) is None


def test_a_warning_only_past_the_limit_with_the_way_it_leans():
    level = CameraLevel(roll_deg=WARN_ROLL_DEG - 0.5, segments=40)
    assert not level.tilted and level.warning() is None
    right = CameraLevel(roll_deg=8.0, segments=40)
    assert right.tilted and "about 8 deg" in right.warning() and "lean right" in right.warning()
    assert "lean left" in CameraLevel(roll_deg=-8.0, segments=40).warning()

"""io/level.py: vertical edges found in a picture, the person left out, and a clip's roll."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posecheck.io.level import camera_level, vertical_segments
from factories import make_pose
from media import room_picture, write_still_video



def test_the_vertical_edges_of_a_room_are_found():
    segs = vertical_segments(room_picture())
    assert len(segs) >= 20
    dx, dy = segs[:, 2] - segs[:, 0], segs[:, 3] - segs[:, 1]
    assert np.all(np.abs(dx) <= 0.05 * np.abs(dy))


def test_the_person_box_is_left_out():
    assert len(vertical_segments(room_picture(), person_box=(0.0, 0.0, 640.0, 480.0))) == 0


@pytest.mark.parametrize("turn", [-8.0, 0.0, 6.0])
def test_a_clip_filmed_with_a_turned_camera_reads_its_turn(tmp_path, turn):
    level = camera_level(write_still_video(tmp_path / "room.mp4", room_picture(turn)))
    assert level is not None and level.roll_deg == pytest.approx(-turn, abs=0.7)
    assert level.tilted == (abs(turn) >= 5.0)


def test_a_photo_is_read_too_and_the_pose_frames_give_the_person(tmp_path):
    import cv2

    path = tmp_path / "room.png"
    cv2.imwrite(str(path), room_picture(8.0))
    assert camera_level(path).roll_deg == pytest.approx(-8.0, abs=0.7)
    body = make_pose("standing", width=640, height=480, scale=1440, index=0)  # fills the frame
    assert camera_level(path, [body]) is None


def test_the_set_up_watch_reads_one_frame_a_second_and_pools_them():
    from posecheck.io.level import LevelWatch

    watch = LevelWatch(every_ms=1000, keep=3)
    tilted, plain = room_picture(8.0), np.full_like(room_picture(), 200)
    assert watch.update(tilted, 0).roll_deg == pytest.approx(-8.0, abs=0.7)
    assert watch.update(plain, 500).roll_deg == pytest.approx(-8.0, abs=0.7)  # not read
    for t in (1000, 2000):  # blank frames join the pool; the door frames still tell
        assert watch.update(plain, t) is not None
    assert watch.update(plain, 3000) is None  # the tilted frame has left the pool of 3
    assert watch.update(room_picture(0.0, size=(640, 360)), 3100).roll_deg == \
        pytest.approx(0.0, abs=0.7)  # a new picture size starts again at once

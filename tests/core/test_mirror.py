"""core.mirror (pure layer): one home for mirroring, and its convention pinned."""

from __future__ import annotations

import numpy as np
import pytest

from factories import make_pose
from posecheck.core.mirror import Mirror, mirror_view
from posecheck.core.pose import Landmark as L


def test_an_unmirrored_source_leaves_the_pose_and_x_alone():
    pose = make_pose("deep_lunge", side="left")
    assert Mirror(False).to_subject(pose) is pose
    x = np.array([10.0, 200.0])
    assert Mirror().to_image_x(x, 640) is x


def test_convention_mirrored_to_subject_gives_the_subjects_true_sides():
    truth = make_pose("deep_lunge", side="left")
    seen = make_pose("deep_lunge", side="left", mirrored=True)  # what a selfie camera gives
    back = Mirror(True).to_subject(seen)
    assert np.allclose(back.xy, truth.xy, equal_nan=True)
    assert np.allclose(back.visibility, truth.visibility)


def test_convention_drawing_puts_the_subjects_left_knee_where_the_camera_saw_it():
    seen = make_pose("deep_lunge", side="left", mirrored=True)
    subject = Mirror(True).to_subject(seen)
    # The subject's left knee is drawn, on the mirror picture, where the model found the knee
    # it named "right"; y does not change.
    x = Mirror(True).to_image_x(subject.xy[[L.LEFT_KNEE], 0], subject.width)
    assert x[0] == pytest.approx(seen.xy[L.RIGHT_KNEE, 0])
    assert subject.xy[L.LEFT_KNEE, 1] == pytest.approx(seen.xy[L.RIGHT_KNEE, 1])


def test_mirror_view_flips_left_right_and_is_contiguous():
    image = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    out = mirror_view(image)
    assert out.flags["C_CONTIGUOUS"] and np.array_equal(out[:, 0], image[:, 2])
    assert np.array_equal(mirror_view(out), image)

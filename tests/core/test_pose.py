"""Conventions of posecheck.core.pose: sides, mirroring, normalized round trip, y down, shapes."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.core.pose import (LEFT_RIGHT_SWAP, NUM_LANDMARKS, SKELETON, Landmark, PoseFrame,
                            stack_xy)

W, H = 640, 480


def make_frame(seed: int = 0, world: bool = True) -> PoseFrame:
    rng = np.random.default_rng(seed)
    lm = np.column_stack([rng.uniform(0, 1, (NUM_LANDMARKS, 2)), rng.uniform(-0.3, 0.3, NUM_LANDMARKS),
                          rng.uniform(0, 1, (NUM_LANDMARKS, 2))])
    w = rng.normal(size=(NUM_LANDMARKS, 3)) if world else None
    return PoseFrame.from_normalized(lm, t_ms=100, width=W, height=H, world=w, index=3)


# ---------------------------------------------------------------------------- landmarks
def test_every_left_landmark_has_a_right_twin():
    names = {lm.name for lm in Landmark}
    for name in names:
        if name.startswith("LEFT_"):
            assert name.replace("LEFT_", "RIGHT_", 1) in names


def test_swap_permutation_is_an_involution_that_moves_only_sided_points():
    assert np.array_equal(LEFT_RIGHT_SWAP[LEFT_RIGHT_SWAP], np.arange(NUM_LANDMARKS))
    assert LEFT_RIGHT_SWAP[Landmark.NOSE] == Landmark.NOSE
    assert LEFT_RIGHT_SWAP[Landmark.LEFT_KNEE] == Landmark.RIGHT_KNEE
    assert LEFT_RIGHT_SWAP[Landmark.MOUTH_LEFT] == Landmark.MOUTH_RIGHT


def test_skeleton_uses_valid_landmarks():
    assert all(0 <= a < NUM_LANDMARKS and 0 <= b < NUM_LANDMARKS for a, b in SKELETON)


# ---------------------------------------------------------------------------- conventions
def test_convention_normalized_round_trip():
    lm = make_frame().to_normalized()
    again = PoseFrame.from_normalized(lm, 100, W, H).to_normalized()
    np.testing.assert_allclose(again, lm, atol=1e-12)


def test_convention_pixels_scale_x_by_width_and_y_by_height():
    lm = np.zeros((NUM_LANDMARKS, 5))
    lm[Landmark.NOSE] = [0.25, 0.5, 0.1, 1, 1]
    f = PoseFrame.from_normalized(lm, 0, W, H)
    np.testing.assert_allclose(f.point(Landmark.NOSE), [0.25 * W, 0.5 * H])
    assert f.z[Landmark.NOSE] == pytest.approx(0.1 * W)  # z on the scale of x


def test_convention_y_points_down():
    lm = np.zeros((NUM_LANDMARKS, 5))
    lm[Landmark.LEFT_HIP, :2] = [0.5, 0.4]     # higher in the picture
    lm[Landmark.LEFT_ANKLE, :2] = [0.5, 0.9]   # lower in the picture
    f = PoseFrame.from_normalized(lm, 0, W, H)
    assert f.point(Landmark.LEFT_ANKLE)[1] > f.point(Landmark.LEFT_HIP)[1]


def test_convention_mirrored_swaps_sides_and_reflects_x():
    f = make_frame()
    m = f.mirrored()
    knee_l, knee_r = Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE
    assert m.point(knee_l)[0] == pytest.approx(W - f.point(knee_r)[0])
    assert m.point(knee_l)[1] == pytest.approx(f.point(knee_r)[1])
    assert m.visibility[knee_l] == f.visibility[knee_r]
    assert m.world[knee_l][0] == pytest.approx(-f.world[knee_r][0])
    assert m.point(Landmark.NOSE)[0] == pytest.approx(W - f.point(Landmark.NOSE)[0])


def test_convention_mirroring_twice_is_identity():
    f = make_frame()
    mm = f.mirrored().mirrored()
    np.testing.assert_allclose(mm.xy, f.xy)
    np.testing.assert_allclose(mm.world, f.world)
    np.testing.assert_allclose(mm.presence, f.presence)


def test_mirrored_mask_is_flipped():
    mask = np.zeros((H, W), np.float32)
    mask[:, :10] = 1
    f = PoseFrame.from_normalized(make_frame().to_normalized(), 0, W, H, mask=mask)
    assert f.mirrored().mask[:, -10:].min() == 1 and f.mirrored().mask[:, :10].max() == 0


# ---------------------------------------------------------------------------- validation
@pytest.mark.parametrize("field, value", [("xy", np.zeros((32, 2))), ("xy", np.zeros((33, 3))),
                                          ("visibility", np.zeros(5)),
                                          ("world", np.zeros((33, 2)))])
def test_wrong_shapes_are_rejected_with_the_field_name(field, value):
    kwargs = {"xy": np.zeros((33, 2)), field: value}
    with pytest.raises(ValueError, match=field):
        PoseFrame(t_ms=0, width=W, height=H, **kwargs)


def test_non_positive_size_is_rejected():
    with pytest.raises(ValueError, match="size"):
        PoseFrame(t_ms=0, width=0, height=H)


def test_from_normalized_rejects_wrong_layout():
    with pytest.raises(ValueError, match=r"\(33, 5\)"):
        PoseFrame.from_normalized(np.zeros((33, 4)), 0, W, H)


def test_empty_frame_has_no_pose_and_a_reason():
    f = PoseFrame.empty(5, W, H, index=2)
    assert not f.has_pose and f.reason
    assert f.mirrored() is f
    with pytest.raises(ValueError):
        f.point(Landmark.NOSE)


def test_stack_xy_puts_nan_where_no_pose():
    frames = [make_frame(1), PoseFrame.empty(1, W, H), make_frame(2)]
    xy = stack_xy(frames)
    assert xy.shape == (3, NUM_LANDMARKS, 2)
    assert np.isnan(xy[1]).all() and not np.isnan(xy[[0, 2]]).any()


class _P:  # duck-typed MediaPipe landmark
    def __init__(self, x, y, z=0.0, visibility=None, presence=None):
        self.x, self.y, self.z, self.visibility, self.presence = x, y, z, visibility, presence


class _Result:
    def __init__(self, poses, worlds=()):
        self.pose_landmarks, self.pose_world_landmarks, self.segmentation_masks = poses, worlds, []


def test_from_mediapipe_takes_the_first_pose_and_defaults_missing_scores_to_one():
    first = [_P(0.5, 0.25, visibility=0.9) for _ in range(NUM_LANDMARKS)]
    second = [_P(0.1, 0.1) for _ in range(NUM_LANDMARKS)]
    f = PoseFrame.from_mediapipe(_Result([first, second]), 7, W, H, index=1)
    np.testing.assert_allclose(f.point(0), [0.5 * W, 0.25 * H])
    assert f.visibility[0] == pytest.approx(0.9) and f.presence[0] == 1.0
    assert f.world is None and f.index == 1


def test_from_mediapipe_without_pose_is_empty():
    assert not PoseFrame.from_mediapipe(_Result([]), 0, W, H).has_pose

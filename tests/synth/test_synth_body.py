"""The mannequin's kinematics and camera: angles in, joints and pixels out (no rendering)."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.core.pose import Landmark as L
from posecheck.synth.body import BodyShape, LimbAngles, Pose, blend, pose_skeleton
from posecheck.synth.camera import Camera, framing_camera
from posecheck.synth.poses import FAULTS, STRETCHES, stretch_pose
from posecheck.synth.scripts import Key, Track

SHAPE = BodyShape()


def _lean_from_vertical(lm: np.ndarray) -> float:
    """Signed torso lean (deg) hip-mid -> shoulder-mid from world up, + towards +X."""
    v = (lm[L.LEFT_SHOULDER] + lm[L.RIGHT_SHOULDER]) / 2 - (lm[L.LEFT_HIP] + lm[L.RIGHT_HIP]) / 2
    return float(np.degrees(np.arctan2(v[0], v[1])))


@pytest.mark.parametrize("trunk", [-30.0, 0.0, 15.0, 40.0])
def test_trunk_angle_is_the_torso_lean(trunk: float) -> None:
    # Facing the image's right (+X): a forward lean tips the shoulders towards +X.
    skel = pose_skeleton(Pose(heading=90.0, trunk=trunk))
    assert _lean_from_vertical(skel.landmarks) == pytest.approx(trunk, abs=0.5)


@pytest.mark.parametrize("thigh,shin", [(0.0, 0.0), (90.0, 0.0), (-20.0, -110.0), (130.0, 40.0)])
def test_segment_lengths_hold_for_any_angles(thigh: float, shin: float) -> None:
    skel = pose_skeleton(Pose(left=LimbAngles(thigh=thigh, shin=shin)))
    lm = skel.landmarks
    assert np.linalg.norm(lm[L.LEFT_KNEE] - lm[L.LEFT_HIP]) == pytest.approx(SHAPE.thigh)
    assert np.linalg.norm(lm[L.LEFT_ANKLE] - lm[L.LEFT_KNEE]) == pytest.approx(SHAPE.shin)


def test_convention_heading_90_faces_image_right_showing_the_right_side() -> None:
    skel = pose_skeleton(Pose(heading=90.0))
    lm = skel.landmarks
    assert lm[L.NOSE][0] > lm[L.LEFT_EAR][0] + 0.05          # the face points to +X
    # The subject's left side is away from the camera (+Z is depth).
    assert lm[L.LEFT_SHOULDER][2] > lm[L.RIGHT_SHOULDER][2] + 0.2
    assert lm[L.LEFT_FOOT_INDEX][0] > lm[L.LEFT_HEEL][0]      # toes ahead of the heel


def test_convention_facing_the_camera_puts_the_subjects_left_on_the_image_right() -> None:
    cam = Camera()
    skel = pose_skeleton(Pose(heading=0.0))
    xy, depth = cam.project(skel.landmarks)
    assert xy[L.LEFT_SHOULDER][0] > xy[L.RIGHT_SHOULDER][0]
    assert depth[L.NOSE] < depth[L.LEFT_EAR]                  # the nose is nearer the camera


def test_convention_image_y_points_down() -> None:
    cam = Camera()
    xy, _ = cam.project(np.array([[0.0, 1.5, 0.0], [0.0, 0.2, 0.0]]))
    assert xy[0, 1] < xy[1, 1]


def test_point_on_the_optical_axis_projects_to_the_image_centre() -> None:
    cam = Camera(width=640, height=360, position=(0.0, 1.0, -3.0), target=(0.0, 1.0, 0.0))
    xy, depth = cam.project(np.array([[0.0, 1.0, 2.0]]))
    np.testing.assert_allclose(xy[0], [320.0, 180.0], atol=1e-9)
    assert depth[0] == pytest.approx(5.0)


@pytest.mark.parametrize("stretch", sorted(STRETCHES))
def test_grounded_poses_touch_the_floor(stretch: str) -> None:
    pose = stretch_pose(stretch, "left")
    if not pose.grounded:
        pytest.skip("seated on a chair: not grounded on the floor")
    skel = pose_skeleton(pose)
    low = min(min(s.a[1] - s.ra, s.b[1] - s.rb) for s in skel.segments)
    low = min(low, skel.face["centre"][1] - SHAPE.head_r)
    assert low == pytest.approx(pose.ground, abs=1e-9)


@pytest.mark.parametrize("stretch", sorted(STRETCHES))
def test_every_stretch_and_fault_builds_a_finite_pose(stretch: str) -> None:
    for fault in ("",) + FAULTS[stretch]:
        for side in ("left", "right"):
            lm = pose_skeleton(stretch_pose(stretch, side, -1, fault)).landmarks
            assert np.isfinite(lm).all()


def test_stretched_side_changes_which_knee_is_down() -> None:
    # Half-kneeling: the stretched side is the kneeling (back) leg, its knee lowest.
    for side, other in (("left", "right"), ("right", "left")):
        lm = pose_skeleton(stretch_pose("half_kneeling_hip_flexor", side)).landmarks
        assert lm[L[f"{side.upper()}_KNEE"]][1] < lm[L[f"{other.upper()}_KNEE"]][1] - 0.3


def test_blend_endpoints_and_midpoint() -> None:
    a, b = Pose(trunk=0.0, x=0.0), Pose(trunk=40.0, x=1.0)
    assert blend(a, b, 0.0).trunk == 0.0 and blend(a, b, 1.0).trunk == 40.0
    mid = blend(a, b, 0.5)
    assert mid.trunk == pytest.approx(20.0) and mid.x == pytest.approx(0.5)


def test_track_holds_key_poses_exactly_and_labels_transitions() -> None:
    a, b = Pose(trunk=0.0), Pose(trunk=40.0)
    track = Track((Key(0.0, a, "setup"), Key(1.0, b, "fault", "lean_forward", "left"),
                   Key(3.0, b, "fault", "lean_forward", "left")))
    pose, labels = track.at(2.0)
    assert pose.trunk == 40.0 and labels.phase == "fault" and labels.side == "left"
    assert track.at(0.5)[1].phase == "transition"


def test_track_rejects_keys_out_of_order() -> None:
    with pytest.raises(ValueError, match="time order"):
        Track((Key(1.0, Pose()), Key(0.5, Pose())))


def test_unknown_fault_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match="no scripted fault 'hips_dropped'"):
        stretch_pose("half_kneeling_hip_flexor", "left", 1, "hips_dropped")


def test_framing_camera_keeps_points_inside_the_frame() -> None:
    skel = pose_skeleton(stretch_pose("supine_psoas", "left"))
    pts = np.array([s.a for s in skel.segments] + [s.b for s in skel.segments])
    cam = framing_camera(pts, elevation=20.0, fill=0.8)
    xy, _ = cam.project(pts)
    assert (xy[:, 0] > 0).all() and (xy[:, 0] < cam.width).all()
    assert (xy[:, 1] > 0).all() and (xy[:, 1] < cam.height).all()

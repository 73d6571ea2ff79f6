"""The renderer: deterministic frames and videos, and the true landmarks on the drawn body."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pytest

from posecheck.pose import Landmark as L
from posecheck.synth.body import pose_skeleton
from posecheck.synth.render import Palette, Scene, background, render_frame
from posecheck.synth.samples import _scene, quick_clip, write_clip
from posecheck.synth.scripts import stretch_pose

BODY_POINTS = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_KNEE,
               L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_ELBOW, L.RIGHT_ELBOW,
               L.NOSE)


def _scene_and_skeleton(stretch: str = "half_kneeling_hip_flexor", side: str = "left"):
    clip = quick_clip(stretch, side)
    scene, pal, _ = _scene(clip)
    pose = stretch_pose(stretch, side)
    return replace(scene, noise=0.0, blur=False), pal, pose_skeleton(pose)


def test_same_frame_renders_identical_pixels() -> None:
    scene, pal, skel = _scene_and_skeleton()
    noisy = replace(scene, noise=3.0)
    a = render_frame(noisy, [(skel, pal)], 5)
    b = render_frame(noisy, [(skel, pal)], 5)
    assert a.dtype == np.uint8 and a.shape == (scene.camera.height, scene.camera.width, 3)
    np.testing.assert_array_equal(a, b)


def test_sensor_noise_differs_between_frames_but_not_between_runs() -> None:
    scene, pal, skel = _scene_and_skeleton()
    noisy = replace(scene, noise=3.0)
    assert not np.array_equal(render_frame(noisy, [(skel, pal)], 1),
                              render_frame(noisy, [(skel, pal)], 2))


@pytest.mark.parametrize("stretch", ["half_kneeling_hip_flexor", "deep_lunge", "supine_psoas",
                                     "glute_bridge", "standing_psoas"])
def test_projected_joints_fall_on_the_drawn_body(stretch: str) -> None:
    scene, pal, skel = _scene_and_skeleton(stretch)
    img = render_frame(scene, [(skel, pal)], 0).astype(int)
    empty = background(scene).astype(int)
    xy, _ = scene.camera.project(skel.landmarks)
    for lm in BODY_POINTS:
        x, y = np.round(xy[lm]).astype(int)
        assert 0 <= x < img.shape[1] and 0 <= y < img.shape[0], f"{lm.name} off the frame"
        # Body, not background: the pixel changed when the mannequin was drawn.
        diff = np.abs(img[y, x] - empty[y, x]).sum()
        assert diff > 30, f"{stretch}: {lm.name} at ({x}, {y}) shows the background"


def test_a_landmark_moved_off_the_body_lands_on_background() -> None:
    # The check above can fail: 60 px above the head there is only wall.
    scene, pal, skel = _scene_and_skeleton()
    img = render_frame(scene, [(skel, pal)], 0).astype(int)
    empty = background(scene).astype(int)
    xy, _ = scene.camera.project(skel.landmarks)
    x, y = np.round(xy[L.NOSE] - [0, 60]).astype(int)
    assert np.abs(img[y, x] - empty[y, x]).sum() < 10


def test_far_limbs_are_drawn_behind_the_torso() -> None:
    # Side view facing right: the subject's left (far) shoulder is hidden by the torso, so the
    # pixel there has the shirt's near-side colour, not the far arm's darker one.
    scene, pal, skel = _scene_and_skeleton()
    a = render_frame(scene, [(skel, pal)], 0)
    b = render_frame(scene, [(skel, replace(pal, skin=(0, 0, 255)))], 0)
    xy, _ = scene.camera.project(skel.landmarks)
    x, y = np.round(xy[L.LEFT_SHOULDER]).astype(int)
    np.testing.assert_array_equal(a[y, x], b[y, x])


@pytest.mark.slow
def test_same_script_writes_identical_video_bytes(tmp_path) -> None:
    clip = quick_clip("deep_lunge", "right", hold_s=0.5, fps=8, size=(160, 120))
    hashes = []
    for run in ("a", "b"):
        video, truth = write_clip(clip, tmp_path / run)
        hashes.append((hashlib.sha256(video.read_bytes()).hexdigest(),
                       hashlib.sha256(truth.read_bytes()).hexdigest()))
        assert video.stat().st_size > 1000
    assert hashes[0] == hashes[1]

"""The renderer: deterministic frames and videos, and the true landmarks on the drawn body.

Layer: pure (rendering) and, marked slow, the written videos (encodes clips, some in fresh
subprocesses; the encoder itself is tested in tests/io/test_sink.py).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from posecheck.core.pose import Landmark as L
from posecheck.synth.body import pose_skeleton
from posecheck.synth.render import Palette, Scene, background, render_frame
from posecheck.synth.clip import _scene, iter_clip, write_clip
from posecheck.synth.samples import quick_clip
from posecheck.synth.poses import stretch_pose

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


def _test_clip():
    return quick_clip("deep_lunge", "right", hold_s=0.5, fps=8, size=(160, 120))


def _digests(video: Path, truth: Path) -> tuple[str, str]:
    return (hashlib.sha256(video.read_bytes()).hexdigest(),
            hashlib.sha256(truth.read_bytes()).hexdigest())


@pytest.mark.slow
def test_same_script_writes_identical_video_bytes(tmp_path) -> None:
    # Two encodes in one process (the first one also the process's first use of PyAV).
    digests = []
    for run in ("a", "b"):
        video, truth = write_clip(_test_clip(), tmp_path / run)
        digests.append(_digests(video, truth))
        assert video.stat().st_size > 1000
    assert digests[0] == digests[1]


# Writes the test clip into argv[1] in a process that has done nothing else.
_WRITE_IN_FRESH_PROCESS = (
    "import sys\n"
    "from posecheck.synth.clip import write_clip\n"
    "from posecheck.synth.samples import quick_clip\n"
    "write_clip(quick_clip('deep_lunge', 'right', hold_s=0.5, fps=8, size=(160, 120)), "
    "sys.argv[1])\n")


@pytest.mark.slow
def test_fresh_processes_write_identical_video_bytes(tmp_path) -> None:
    clip = _test_clip()
    digests = []
    for run in ("a", "b"):
        subprocess.run([sys.executable, "-c", _WRITE_IN_FRESH_PROCESS, str(tmp_path / run)],
                       check=True, cwd=Path(__file__).resolve().parents[2], timeout=300)
        digests.append(_digests(tmp_path / run / f"{clip.id}.mp4",
                                tmp_path / run / f"{clip.id}.truth.json.gz"))
    # ... and the same bytes as this (older, busier) process writes.
    digests.append(_digests(*write_clip(clip, tmp_path / "here")))
    assert digests[0] == digests[1] == digests[2]


# Mean absolute difference (levels of 255, over all pixels and channels) allowed between the
# decoded video and the rendered frames: H.264 at crf 23 plus 4:2:0 chroma measured 2.7 on
# this clip; a wrong matrix, range or channel order gives well over 10.
DECODED_MAE_MAX = 4.0


@pytest.mark.slow
def test_video_decodes_close_to_the_rendered_frames(tmp_path) -> None:
    from posecheck.io.video import iter_frames

    clip = _test_clip()
    rendered = [(t_ms, img) for _, t_ms, img, _ in iter_clip(clip)]
    video, _ = write_clip(clip, tmp_path)
    decoded = list(iter_frames(video))
    assert len(decoded) == len(rendered) == clip.frame_count
    errors = []
    for (_, t_ms, got), (want_ms, want) in zip(decoded, rendered):
        assert t_ms == want_ms
        errors.append(np.abs(got.astype(int) - want.astype(int)).mean())
    assert max(errors) < DECODED_MAE_MAX, f"decoded vs rendered MAE {max(errors):.2f}"
    # The bound can fail: the same frames read with red and blue swapped are far off.
    swapped = np.abs(decoded[-1][2][..., ::-1].astype(int) - rendered[-1][1].astype(int))
    assert swapped.mean() > 2 * DECODED_MAE_MAX
    # The stream says what the planes hold: BT.601 matrix (SMPTE 170M), limited range.
    import av

    with av.open(str(video)) as container:
        cc = container.streams.video[0].codec_context
        assert (cc.colorspace, cc.color_range, cc.pix_fmt) == (6, 1, "yuv420p")

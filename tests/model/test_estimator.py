"""PoseEstimator on synthetic frames (fast) and on the shared real footage (slow)."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.model.landmarks import estimate_image, load_or_estimate
from posecheck.core.errors import VideoError
from posecheck.model.estimator import PoseEstimator, TimestampError
from posecheck.core.pose import Landmark
from posecheck.io.video import VideoInfo, iter_frames
from conftest import footage_path, footage_rows

LUNGE = "footage/lunge/lunge_reverse_side_nowva.mp4"
FRAMES_PER_CLIP = 40  # evenly spread samples per side-view clip, to keep the slow test lean


def blank(h=120, w=160, value=0):
    return np.full((h, w, 3), value, np.uint8)


@pytest.fixture(scope="module")
def video_estimator():
    with PoseEstimator("lite") as est:
        yield est


# ---------------------------------------------------------------------------- arguments
@pytest.mark.parametrize("kwargs, message", [
    ({"running_mode": "live"}, "running_mode"),
    ({"num_poses": 0}, "num_poses"),
    ({"min_pose_detection_confidence": 1.5}, "min_pose_detection_confidence"),
    ({"min_tracking_confidence": -0.1}, "min_tracking_confidence"),
])
def test_bad_settings_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PoseEstimator("lite", **kwargs)


def test_bad_image_is_rejected(video_estimator):
    video_estimator.reset()
    with pytest.raises(ValueError, match=r"\(H, W, 3\) uint8"):
        video_estimator.process(np.zeros((10, 10), np.uint8), 0)
    with pytest.raises(ValueError, match="uint8"):
        video_estimator.process(np.zeros((10, 10, 3), np.float32), 0)


# ---------------------------------------------------------------------------- timestamps
def test_no_person_gives_an_empty_frame_with_a_reason(video_estimator):
    video_estimator.reset()
    rng = np.random.default_rng(0)
    frame = video_estimator.process(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8), 0,
                                    index=4)
    assert not frame.has_pose and frame.reason
    assert (frame.width, frame.height, frame.index) == (160, 120, 4)


def test_equal_timestamps_are_bumped_by_one_ms(video_estimator):
    video_estimator.reset()
    ts = [video_estimator.process(blank(), t).t_ms for t in (0, 40, 40, 40, 80)]
    assert ts == [0, 40, 41, 42, 80]


def test_decreasing_timestamp_is_a_clear_error(video_estimator):
    video_estimator.reset()
    video_estimator.process(blank(), 100)
    with pytest.raises(TimestampError, match="backwards.*reset"):
        video_estimator.process(blank(), 50)


def test_reset_lets_timestamps_start_again(video_estimator):
    video_estimator.reset()
    video_estimator.process(blank(), 1000)
    video_estimator.reset()
    assert video_estimator.process(blank(), 0).t_ms == 0


def test_image_mode_ignores_time_order():
    with PoseEstimator("lite", running_mode="image") as est:
        est.process(blank(), 100)
        assert est.process(blank(), 5).t_ms == 5


def test_closed_estimator_says_so():
    est = PoseEstimator("lite")
    est.close()
    with pytest.raises(RuntimeError, match="closed"):
        est.process(blank(), 0)


def test_blank_image_file_gives_an_empty_result(tmp_path):
    import cv2

    p = tmp_path / "wall.png"
    cv2.imwrite(str(p), blank(value=200))
    frame = estimate_image(p)
    assert not frame.has_pose and "no person" in frame.reason


def test_estimate_image_refuses_a_video(tmp_path):
    clip = tmp_path / "notes.mp4"
    clip.write_text("text")
    with pytest.raises(VideoError):
        estimate_image(clip)


# ---------------------------------------------------------------------------- real footage
def side_view_clips() -> list[str]:
    return [r["file"] for r in footage_rows() if r["view"] == "side" and r["kind"] == "video"]


@pytest.mark.slow
def test_pose_found_in_side_view_clips(footage_dir):
    """>= 95 % of sampled frames of all side-view clips hold a pose (lite model, VIDEO mode,
    up to FRAMES_PER_CLIP frames spread evenly over each clip)."""
    found = total = 0
    per_clip = {}
    with PoseEstimator("lite") as est:
        for rel in side_view_clips():
            est.reset()
            info = VideoInfo.from_path(footage_path(rel))
            step = max(1, info.frame_count // FRAMES_PER_CLIP)
            hits = n = 0
            last_t = -1
            for index, t_ms, image in iter_frames(footage_path(rel), step=step):
                frame = est.process(image, t_ms, index=index)
                assert frame.t_ms > last_t
                last_t = frame.t_ms
                hits += frame.has_pose
                n += 1
            per_clip[rel] = hits / n
            found, total = found + hits, total + n
    assert len(per_clip) >= 10
    assert found / total >= 0.95, per_clip


@pytest.fixture(scope="module")
def lunge_track(footage_dir, tmp_path_factory):
    # Shared with test_cli_landmarks.py so the whole clip is estimated once per session.
    cache = tmp_path_factory.getbasetemp() / "lunge-landmark-cache"
    return load_or_estimate(footage_path(LUNGE), "lite", cache_dir=cache, progress=False)


@pytest.mark.slow
def test_every_frame_of_a_clip_is_estimated_in_order(lunge_track):
    row = next(r for r in footage_rows() if r["file"] == LUNGE)
    assert len(lunge_track.frames) == int(row["frames"])
    assert [f.index for f in lunge_track.frames] == list(range(len(lunge_track.frames)))
    t = np.array([f.t_ms for f in lunge_track.frames])
    assert np.all(np.diff(t) > 0)
    assert lunge_track.pose_count / len(lunge_track.frames) >= 0.95


@pytest.mark.slow
def test_landmarks_land_on_the_body(lunge_track):
    """Standing lunge filmed from the side: ankles below hips, shoulders above hips, and
    everything inside the frame."""
    posed = [f for f in lunge_track.frames if f.has_pose]
    ankles_below = [min(f.point(Landmark.LEFT_ANKLE)[1], f.point(Landmark.RIGHT_ANKLE)[1])
                    > max(f.point(Landmark.LEFT_HIP)[1], f.point(Landmark.RIGHT_HIP)[1])
                    for f in posed]
    shoulders_above = [max(f.point(Landmark.LEFT_SHOULDER)[1],
                           f.point(Landmark.RIGHT_SHOULDER)[1])
                       < min(f.point(Landmark.LEFT_HIP)[1], f.point(Landmark.RIGHT_HIP)[1])
                       for f in posed]
    assert np.mean(ankles_below) >= 0.95
    assert np.mean(shoulders_above) >= 0.95
    hips = np.array([f.point(Landmark.LEFT_HIP) for f in posed])
    assert np.all((hips[:, 0] > 0) & (hips[:, 0] < 960) & (hips[:, 1] > 0) & (hips[:, 1] < 540))


@pytest.mark.slow
def test_a_real_photo_has_a_pose(footage_dir):
    frame = estimate_image(footage_path("footage/hip_flexor/hip_flexor_half_kneeling_side_steve.jpg"))
    assert frame.has_pose
    assert frame.visibility[Landmark.LEFT_HIP] > 0.5 or frame.visibility[Landmark.RIGHT_HIP] > 0.5


@pytest.mark.slow
def test_mask_gives_a_back_outline_on_a_real_side_view_photo(footage_dir):
    """The bundles posecheck builds return the person mask; the outline is kept, and after the
    landmarker is closed the mask is still readable (a copy, not a view into its buffer)."""
    import cv2

    from posecheck.core.body import facing_vote
    from posecheck.core.outline import STATIONS, BackArch
    from posecheck.core.pose import Landmark as L

    image = cv2.imread(str(footage_dir / "hip_flexor" / "hip_flexor_half_kneeling_side_steve.jpg"))
    with PoseEstimator("full", running_mode="image", output_segmentation=True) as est:
        pose = est.process(image, 0)
    assert pose.mask.shape == image.shape[:2] and 0.02 < float(pose.mask.mean()) < 0.5
    assert pose.outline.shape == (2, STATIONS, 2)
    sh = (pose.xy[L.LEFT_SHOULDER] + pose.xy[L.RIGHT_SHOULDER]) / 2
    hip = (pose.xy[L.LEFT_HIP] + pose.xy[L.RIGHT_HIP]) / 2
    arch = BackArch.from_edges(pose.outline, sh, hip, int(np.sign(facing_vote(pose))))
    # she faces image right with a visible, ordinary lumbar curve (judged by eye)
    assert arch is not None and 15.0 < arch.lordosis_deg < 45.0
    with PoseEstimator("full", running_mode="image") as est:
        assert est.process(image, 0).outline is None

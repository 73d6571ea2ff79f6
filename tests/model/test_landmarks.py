"""The one landmarks entry (posecheck.model.landmarks): the cache keyed by content and model,
the model run's scaling back to the video's pixels.

Layer: pure (the model run is replaced by a counter; scaling on synthetic poses).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from posecheck.core.pose import PoseFrame
from posecheck.io.video import VideoInfo
from posecheck.model import landmarks
from posecheck.model.cache import LandmarkTrack
from posecheck.model.landmarks import load_or_estimate, model_scale, to_size

from test_cache import H, W, make_track


@pytest.fixture
def still(tmp_path) -> Path:
    import cv2

    p = tmp_path / "still.png"
    cv2.imwrite(str(p), np.full((H, W, 3), 90, np.uint8))
    return p


@pytest.fixture
def fake_estimate(monkeypatch):
    """Replace the model run with a counter that returns a synthetic track."""
    calls = []

    def fake(video, model="lite", *, progress=True, video_sha256=None,
             output_segmentation=False):
        calls.append(Path(video))
        from posecheck.model.provision import resolve_model, sha256_file
        track = make_track(n=3, path=str(video))
        frames = track.frames
        if output_segmentation:  # what the mask adds: outline points on every pose frame
            frames = tuple(replace(f, outline=np.zeros((2, 28, 2))) for f in frames)
        return LandmarkTrack(info=track.info, frames=frames, model="lite",
                             video_sha256=sha256_file(Path(video)),
                             model_sha256=sha256_file(resolve_model(model, progress=False)))

    monkeypatch.setattr(landmarks, "estimate_video", fake)
    return calls


def test_second_call_is_served_from_the_cache(still, tmp_path, fake_estimate):
    first = load_or_estimate(still, "lite", cache_dir=tmp_path / "c", progress=False)
    second = load_or_estimate(still, "lite", cache_dir=tmp_path / "c", progress=False)
    assert len(fake_estimate) == 1
    assert len(second.frames) == len(first.frames)
    assert len(list((tmp_path / "c").glob("*.lite.*.landmarks.jsonl.gz"))) == 1


def test_a_fresh_estimate_gives_the_values_the_cache_gives_back(still, tmp_path, fake_estimate):
    """First run and reruns see the same numbers (the cache rounds), so scores do not move."""
    first = load_or_estimate(still, "lite", cache_dir=tmp_path / "c", progress=False)
    second = load_or_estimate(still, "lite", cache_dir=tmp_path / "c", progress=False)
    for a, b in zip(first.frames, second.frames):
        if a.has_pose:
            np.testing.assert_array_equal(a.xy, b.xy)
            np.testing.assert_array_equal(a.visibility, b.visibility)


def test_cache_is_keyed_by_content_not_name(still, tmp_path, fake_estimate):
    load_or_estimate(still, "lite", cache_dir=tmp_path / "c", progress=False)
    renamed = tmp_path / "renamed.png"
    renamed.write_bytes(still.read_bytes())
    track = load_or_estimate(renamed, "lite", cache_dir=tmp_path / "c", progress=False)
    assert len(fake_estimate) == 1
    assert track.info.path == renamed  # reported under the name asked for


def test_changed_content_is_estimated_again(still, tmp_path, fake_estimate):
    load_or_estimate(still, "lite", cache_dir=tmp_path / "c", progress=False)
    import cv2
    cv2.imwrite(str(still), np.full((H, W, 3), 200, np.uint8))
    load_or_estimate(still, "lite", cache_dir=tmp_path / "c", progress=False)
    assert len(fake_estimate) == 2


def test_corrupt_cache_entry_is_recomputed(still, tmp_path, fake_estimate):
    load_or_estimate(still, "lite", cache_dir=tmp_path / "c", progress=False)
    (entry,) = (tmp_path / "c").iterdir()
    entry.write_bytes(b"garbage")
    track = load_or_estimate(still, "lite", cache_dir=tmp_path / "c", progress=False)
    assert len(fake_estimate) == 2 and len(track.frames) == 3
    LandmarkTrack.load(entry)  # rewritten whole


def test_no_cache_neither_reads_nor_writes(still, tmp_path, fake_estimate):
    load_or_estimate(still, "lite", cache_dir=tmp_path / "c", use_cache=False, progress=False)
    load_or_estimate(still, "lite", cache_dir=tmp_path / "c", use_cache=False, progress=False)
    assert len(fake_estimate) == 2 and not (tmp_path / "c").exists()



@pytest.mark.parametrize("size, scale", [((640, 480), 1.0), ((1280, 720), 1.0),
                                         ((3840, 2160), 0.333333), ((720, 2560), 0.5)])
def test_model_scale_shrinks_only_frames_over_the_limit(size, scale):
    info = VideoInfo(path=Path("v.mp4"), width=size[0], height=size[1], fps=30.0,
                     frame_count=1, duration_s=0.0)
    assert model_scale(info) == scale


def test_to_size_keeps_normalized_coordinates_and_empty_frames():
    lm = np.zeros((33, 5))
    lm[:, 0], lm[:, 1], lm[:, 3], lm[:, 4] = np.linspace(0.1, 0.9, 33), 0.5, 0.9, 0.9
    small = PoseFrame.from_normalized(lm, 100, 640, 360, index=3)
    big = to_size(small, 1920, 1080)
    assert (big.width, big.height, big.t_ms, big.index) == (1920, 1080, 100, 3)
    np.testing.assert_allclose(big.xy, small.xy * 3)
    empty = to_size(PoseFrame.empty(0, 640, 360, reason="no person detected"), 1920, 1080)
    assert not empty.has_pose and empty.reason == "no person detected"


def test_a_track_cached_without_the_outline_is_estimated_again_with_it(still, tmp_path,
                                                                        fake_estimate):
    plain = load_or_estimate(still, "lite", cache_dir=tmp_path / "c", progress=False)
    assert all(f.outline is None for f in plain.frames)
    again = load_or_estimate(still, "lite", cache_dir=tmp_path / "c", progress=False,
                             segmentation=True)
    assert len(fake_estimate) == 2  # the plain cache entry did not serve an outline spec
    assert all(f.outline is not None for f in again.frames if f.has_pose)
    load_or_estimate(still, "lite", cache_dir=tmp_path / "c", progress=False,
                     segmentation=True)
    load_or_estimate(still, "lite", cache_dir=tmp_path / "c", progress=False)
    assert len(fake_estimate) == 2  # the outline track is cached and serves both

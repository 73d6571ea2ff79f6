"""Landmark files: round trip, atomic writes, corrupt files, and the content-keyed cache."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from posecheck.model import cache as cache_mod
from posecheck.model.cache import LandmarkFileError, LandmarkTrack, frames_summary
from posecheck.core.pose import NUM_LANDMARKS, PoseFrame
from posecheck.io.video import VideoInfo

W, H = 320, 240


def make_track(n: int = 5, gap_at: int = 2, path: str = "clip.mp4") -> LandmarkTrack:
    rng = np.random.default_rng(7)
    info = VideoInfo(path=Path(path), width=W, height=H, fps=25.0, frame_count=n,
                     duration_s=n / 25.0, rotation=90)
    frames = []
    for i in range(n):
        t = i * 40
        if i == gap_at:
            frames.append(PoseFrame.empty(t, W, H, index=i, reason="no person detected"))
            continue
        lm = np.column_stack([rng.uniform(0, 1, (NUM_LANDMARKS, 2)),
                              rng.uniform(-0.5, 0.5, NUM_LANDMARKS),
                              rng.uniform(0, 1, (NUM_LANDMARKS, 2))])
        world = rng.normal(scale=0.4, size=(NUM_LANDMARKS, 3))
        frames.append(PoseFrame.from_normalized(lm, t, W, H, world=world, index=i))
    return LandmarkTrack(info=info, frames=tuple(frames), model="lite",
                         video_sha256="a" * 64, model_sha256="b" * 64)


def lines_of(path: Path) -> list[str]:
    with gzip.open(path, "rt") as fh:
        return fh.read().splitlines()


def rewrite(path: Path, lines: list[str]) -> None:
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------- round trip
def test_round_trip_keeps_frames_to_rounding(tmp_path):
    track = make_track()
    back = LandmarkTrack.load(track.save(tmp_path / "t.landmarks.jsonl.gz"))
    assert back.info == track.info
    assert (back.model, back.video_sha256, back.model_sha256) == ("lite", "a" * 64, "b" * 64)
    assert [f.t_ms for f in back.frames] == [f.t_ms for f in track.frames]
    assert [f.index for f in back.frames] == [f.index for f in track.frames]
    for a, b in zip(track.frames, back.frames):
        assert a.has_pose == b.has_pose
        if a.has_pose:
            np.testing.assert_allclose(b.to_normalized(), a.to_normalized(), atol=1e-6)
            np.testing.assert_allclose(b.world, a.world, atol=1e-5)
        else:
            assert b.reason == a.reason


def test_file_layout_is_header_then_one_line_per_frame(tmp_path):
    track = make_track(n=4)
    lines = lines_of(track.save(tmp_path / "t.gz"))
    header = json.loads(lines[0])
    assert header["format"] == "posecheck-landmarks" and header["version"] == 1
    for key in ("video", "video_sha256", "model", "model_sha256", "width", "height", "fps",
                "frame_count", "rotation", "created"):
        assert key in header
    assert len(lines) == 1 + 4
    first, gap = json.loads(lines[1]), json.loads(lines[3])
    assert set(first) >= {"i", "t_ms", "lm", "world"}
    assert np.shape(first["lm"]) == (33, 5) and np.shape(first["world"]) == (33, 3)
    assert gap["lm"] is None and gap["world"] is None and gap["reason"]


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path, monkeypatch):
    target = tmp_path / "t.gz"
    make_track().save(target)
    before = target.read_bytes()

    def boom(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(cache_mod, "_frame_record", boom)
    with pytest.raises(RuntimeError):
        make_track().save(target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.gz"]


def test_track_requires_increasing_timestamps():
    f = PoseFrame.empty(100, W, H)
    info = VideoInfo(path=Path("x.mp4"), width=W, height=H, fps=25, frame_count=2, duration_s=0)
    with pytest.raises(ValueError, match="increase"):
        LandmarkTrack(info=info, frames=(f, f), model="lite", video_sha256="")


def test_pose_count_and_truncated():
    track = make_track(n=5, gap_at=2)
    assert track.pose_count == 4 and not track.truncated
    info = VideoInfo(path=Path("x.mp4"), width=W, height=H, fps=25, frame_count=50,
                     duration_s=2)
    assert LandmarkTrack(info=info, frames=track.frames, model="lite", video_sha256="").truncated


def test_frames_summary_mentions_the_no_pose_reason():
    assert frames_summary(make_track(n=5, gap_at=2).frames).startswith("4/5 frames with a pose")
    assert "no person detected" in frames_summary(make_track(n=5, gap_at=2).frames)


# ---------------------------------------------------------------------------- corrupt files
def test_not_gzip(tmp_path):
    p = tmp_path / "bad.landmarks.jsonl.gz"
    p.write_text("plain text")
    with pytest.raises(LandmarkFileError, match="bad.landmarks.jsonl.gz.*cannot be read"):
        LandmarkTrack.load(p)


def test_truncated_gzip(tmp_path):
    p = make_track(n=30).save(tmp_path / "t.gz")
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(LandmarkFileError, match="t.gz"):
        LandmarkTrack.load(p)


def test_missing_file(tmp_path):
    with pytest.raises(LandmarkFileError, match="does not exist"):
        LandmarkTrack.load(tmp_path / "none.gz")


@pytest.mark.parametrize("edit, where, message", [
    (lambda h, f: (json.dumps({**json.loads(h), "format": "other"}), f), "line 1", "format"),
    (lambda h, f: (json.dumps({**json.loads(h), "version": 99}), f), "line 1", "version"),
    (lambda h, f: (json.dumps({k: v for k, v in json.loads(h).items() if k != "width"}), f),
     "line 1", "width"),
    (lambda h, f: ("{not json", f), "line 1", ""),
    (lambda h, f: (h, json.dumps({**json.loads(f), "lm": [[0, 0, 0, 1, 1]] * 32})), "line 2",
     "33 x 5"),
    (lambda h, f: (h, json.dumps({**json.loads(f), "t_ms": "soon"})), "line 2", "integers"),
    (lambda h, f: (h, "[1, 2, 3]"), "line 2", "object"),
])
def test_malformed_content_names_file_and_line(tmp_path, edit, where, message):
    p = make_track(n=3, gap_at=-1).save(tmp_path / "t.gz")
    lines = lines_of(p)
    lines[0], lines[1] = edit(lines[0], lines[1])
    rewrite(p, lines)
    with pytest.raises(LandmarkFileError, match=f"t.gz {where}.*{message}"):
        LandmarkTrack.load(p)


def test_out_of_order_frames_are_rejected(tmp_path):
    p = make_track(n=3, gap_at=-1).save(tmp_path / "t.gz")
    lines = lines_of(p)
    rewrite(p, [lines[0], lines[2], lines[1]])
    with pytest.raises(LandmarkFileError, match="increase"):
        LandmarkTrack.load(p)


# ---------------------------------------------------------------------------- the cache folder
def test_find_serves_only_the_same_content_and_model(tmp_path):
    track = make_track(n=3)
    track = LandmarkTrack(info=track.info, frames=track.frames, model="lite",
                          video_sha256="a" * 64, model_sha256="b" * 64)
    cache_mod.store(track, tmp_path, 10.0)
    found = cache_mod.find(tmp_path, "a" * 64, "lite", "b" * 64, 10.0)
    assert found is not None and len(found.frames) == 3
    assert cache_mod.find(tmp_path, "a" * 64, "lite", "b" * 64) is None  # another rate
    assert cache_mod.find(tmp_path, "c" * 64, "lite", "b" * 64, 10.0) is None
    (entry,) = tmp_path.iterdir()
    entry.write_bytes(b"garbage")
    assert cache_mod.find(tmp_path, "a" * 64, "lite", "b" * 64, 10.0) is None


def test_as_cached_rounds_like_a_saved_and_loaded_file(tmp_path):
    track = make_track(n=4)
    p = track.save(tmp_path / "t.landmarks.jsonl.gz")
    loaded = LandmarkTrack.load(p).frames
    for a, b in zip(cache_mod.as_cached(track.frames), loaded):
        assert a.has_pose == b.has_pose
        if a.has_pose:
            np.testing.assert_array_equal(a.xy, b.xy)
            np.testing.assert_array_equal(a.visibility, b.visibility)


def test_env_sets_the_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("POSECHECK_CACHE_DIR", str(tmp_path / "envcache"))
    assert cache_mod.default_cache_dir() == tmp_path / "envcache"


def test_cache_path_separates_analysis_rates(tmp_path):
    full = cache_mod.cache_path(tmp_path, "a" * 64, "full", "b" * 64)
    ten = cache_mod.cache_path(tmp_path, "a" * 64, "full", "b" * 64, 10.0)
    seven = cache_mod.cache_path(tmp_path, "a" * 64, "full", "b" * 64, 7.5)
    assert len({full, ten, seven}) == 3
    assert full == cache_mod.cache_path(tmp_path, "a" * 64, "full", "b" * 64, None)
    assert ".fps7.5." in seven.name and ".fps" not in full.name


def test_round_trip_keeps_the_trunk_outline_and_its_unseen_points(tmp_path):
    from dataclasses import replace

    from posecheck.core.outline import STATIONS

    track = make_track(n=2, gap_at=5)
    outline = np.random.default_rng(3).uniform(0, 200, (2, STATIONS, 2))
    outline[1, 4] = np.nan
    frames = (replace(track.frames[0], outline=outline), track.frames[1])
    track = replace(track, frames=frames)
    back = LandmarkTrack.load(track.save(tmp_path / "t.landmarks.jsonl.gz"))
    np.testing.assert_allclose(back.frames[0].outline, outline, atol=0.05)
    assert back.frames[1].outline is None

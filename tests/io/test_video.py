"""Frame sources: metadata, real timestamps, rotation, images, and every kind of bad file."""

from __future__ import annotations

import fractions
import struct
from pathlib import Path

import numpy as np
import pytest

from posecheck.core.errors import VideoError
from posecheck.io.video import TimestampFixer, VideoInfo, iter_frames
from conftest import footage_path, footage_rows
from media import make_audio_only

av = pytest.importorskip("av")  # PyAV writes the synthetic clips

LUNGE = "footage/lunge/lunge_reverse_side_nowva.mp4"
W, H = 160, 96


def write_clip(path: Path, pts_ms: list[int], size=(W, H), marker=True) -> Path:
    """An MPEG-4 clip whose frames carry the given timestamps; a white block top-left."""
    with av.open(str(path), "w") as out:
        st = out.add_stream("mpeg4", rate=30)
        st.width, st.height, st.pix_fmt = size[0], size[1], "yuv420p"
        st.codec_context.time_base = fractions.Fraction(1, 1000)
        for p in pts_ms:
            img = np.zeros((size[1], size[0], 3), np.uint8)
            if marker:
                img[:32, :48] = 255
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            frame.pts, frame.time_base = p, fractions.Fraction(1, 1000)
            for packet in st.encode(frame):
                out.mux(packet)
        for packet in st.encode():
            out.mux(packet)
    return path


def set_rotation_tag(path: Path, degrees: int) -> None:
    """Write a display matrix into the video track header (what phones do), in place."""
    cos, sin = {0: (1, 0), 90: (0, 1), 180: (-1, 0), 270: (0, -1)}[degrees]
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd")
    version = data[at + 4]
    # type(4) version+flags(4) times+track id(12|20... see ISO 14496-12) -> matrix offset
    offset = at + 8 + (12 if version == 0 else 24) + 4 + 4 + 8 + 8
    matrix = struct.pack(">9i", cos << 16, sin << 16, 0, -sin << 16, cos << 16, 0, 0, 0, 1 << 30)
    data[offset:offset + 36] = matrix
    path.write_bytes(bytes(data))


# ---------------------------------------------------------------------------- timestamps
@pytest.mark.parametrize("given, expected", [
    ([0, 33.3, 66.7], [0, 33, 67]),                 # rounded to ms
    ([0, 40, 40, 100], [0, 40, 41, 100]),           # repeat -> +1 ms
    ([0, 50, 30], [0, 50, 51]),                     # backwards -> +1 ms
    ([0, 0, 0], [0, 40, 80]),                       # "unknown" zeros -> index / fps
    ([float("nan"), None, 80], [0, 40, 80]),        # missing -> index / fps
])
def test_timestamp_fixer(given, expected):
    clock = TimestampFixer(fps=25.0)
    assert [clock.next(t, i) for i, t in enumerate(given)] == expected


def test_timestamp_fixer_needs_positive_fps():
    with pytest.raises(ValueError):
        TimestampFixer(0)


def test_variable_frame_rate_keeps_real_timestamps(tmp_path):
    pts = [0, 40, 70, 200, 233, 500, 510, 800]
    clip = write_clip(tmp_path / "vfr.mp4", pts)
    assert [t for _, t, _ in iter_frames(clip)] == pts


def test_constant_rate_clip_info_and_frames(tmp_path):
    clip = write_clip(tmp_path / "cfr.mp4", [i * 40 for i in range(12)])
    info = VideoInfo.from_path(clip)
    assert (info.width, info.height, info.frame_count, info.rotation) == (W, H, 12, 0)
    assert not info.is_image
    frames = list(iter_frames(clip))
    assert [i for i, _, _ in frames] == list(range(12))
    assert all(img.shape == (H, W, 3) and img.dtype == np.uint8 for _, _, img in frames)


def test_step_yields_every_nth_frame_with_its_own_timestamp(tmp_path):
    pts = [0, 40, 70, 200, 233, 500, 510, 800]
    clip = write_clip(tmp_path / "vfr.mp4", pts)
    got = [(i, t) for i, t, _ in iter_frames(clip, step=3)]
    assert got == [(0, 0), (3, 200), (6, 510)]
    with pytest.raises(ValueError, match="step"):
        next(iter_frames(clip, step=0))


# ---------------------------------------------------------------------------- rotation
@pytest.mark.parametrize("degrees, size, corner", [
    (90, (H, W), "top-right"),      # turned clockwise: the top-left block goes top-right
    (180, (W, H), "bottom-right"),
    (270, (H, W), "bottom-left"),
])
def test_rotation_tag_is_applied_and_reported(tmp_path, degrees, size, corner):
    clip = write_clip(tmp_path / "rot.mp4", [0, 40, 80])
    set_rotation_tag(clip, degrees)
    info = VideoInfo.from_path(clip)
    assert info.rotation == degrees
    assert (info.width, info.height) == size
    _, _, img = next(iter_frames(clip))
    assert img.shape[:2] == (size[1], size[0])
    h, w = img.shape[:2]
    quadrants = {"top-left": img[: h // 4, : w // 4], "top-right": img[: h // 4, -w // 4:],
                 "bottom-left": img[-h // 4:, : w // 4], "bottom-right": img[-h // 4:, -w // 4:]}
    brightest = max(quadrants, key=lambda k: quadrants[k].mean())
    assert brightest == corner


# ---------------------------------------------------------------------------- images
def test_image_is_a_one_frame_source(tmp_path):
    import cv2

    p = tmp_path / "still.png"
    cv2.imwrite(str(p), np.full((50, 70, 3), 128, np.uint8))
    info = VideoInfo.from_path(p)
    assert info.is_image and (info.width, info.height, info.frame_count) == (70, 50, 1)
    frames = list(iter_frames(p))
    assert len(frames) == 1 and frames[0][:2] == (0, 0) and frames[0][2].shape == (50, 70, 3)


def test_corrupt_image_is_a_video_error(tmp_path):
    p = tmp_path / "broken.jpg"
    p.write_bytes(b"\xff\xd8\xff not really a jpeg")
    with pytest.raises(VideoError, match="broken.jpg.*image"):
        VideoInfo.from_path(p)


# ---------------------------------------------------------------------------- bad files
def test_missing_file(tmp_path):
    with pytest.raises(VideoError, match="missing.mp4 does not exist"):
        VideoInfo.from_path(tmp_path / "missing.mp4")


def test_zero_byte_file(tmp_path):
    p = tmp_path / "zero.mp4"
    p.touch()
    with pytest.raises(VideoError, match="zero.mp4 is empty"):
        VideoInfo.from_path(p)
    with pytest.raises(VideoError, match="empty"):
        list(iter_frames(p))


def test_text_file_named_mp4(tmp_path):
    p = tmp_path / "notes.mp4"
    p.write_text("these are my workout notes, not a video\n" * 20)
    with pytest.raises(VideoError, match="notes.mp4.*not a readable video"):
        VideoInfo.from_path(p)


def test_directory_is_not_a_video(tmp_path):
    with pytest.raises(VideoError, match="not a file"):
        VideoInfo.from_path(tmp_path)


def test_audio_only_file(tmp_path):
    p = make_audio_only(tmp_path / "voice.mp4", rate=44100)
    with pytest.raises(VideoError, match="voice.mp4.*no video stream"):
        VideoInfo.from_path(p)


def test_truncated_real_video_decodes_what_is_there(footage_dir, tmp_path):
    src = footage_path(LUNGE).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(src[: len(src) // 4])  # the index (moov) is at the front of this file
    info = VideoInfo.from_path(cut)
    n = sum(1 for _ in iter_frames(cut))
    assert 0 < n < info.frame_count


def test_video_with_nothing_decodable_is_a_video_error(footage_dir, tmp_path):
    src = footage_path(LUNGE).read_bytes()
    tail = tmp_path / "tail.mp4"
    tail.write_bytes(src[-len(src) // 4:])  # media data without its index
    with pytest.raises(VideoError, match="tail.mp4"):
        list(iter_frames(tail))


# ---------------------------------------------------------------------------- real footage
def test_real_clip_matches_the_manifest(footage_dir):
    row = next(r for r in footage_rows() if r["file"] == LUNGE)
    info = VideoInfo.from_path(footage_path(LUNGE))
    assert (info.width, info.height) == (int(row["width"]), int(row["height"]))
    assert info.frame_count == int(row["frames"])
    assert info.fps == pytest.approx(float(row["fps"]), rel=1e-3)
    assert info.duration_s == pytest.approx(float(row["duration_s"]), abs=0.05)


def test_real_clip_timestamps_increase_at_the_frame_rate(footage_dir):
    ts = np.array([t for _, t, _ in iter_frames(footage_path(LUNGE))])
    assert len(ts) == 961
    steps = np.diff(ts)
    assert steps.min() > 0
    assert np.median(steps) == pytest.approx(1000 / 30, abs=1)


# ---------------------------------------------------------------------------- sampling rate
def test_sample_fps_takes_the_frames_on_its_time_grid_with_their_own_timestamps(tmp_path):
    pts = [round(i * 1000 / 30) for i in range(31)]  # 30 fps for one second
    clip = write_clip(tmp_path / "cfr.mp4", pts)
    full = {i: t for i, t, _ in iter_frames(clip)}
    for rate, every in ((15, 2), (10, 3), (7.5, 4), (5, 6)):
        got = [(i, t) for i, t, _ in iter_frames(clip, sample_fps=rate)]
        assert [i for i, _ in got] == list(range(0, 31, every)), rate
        assert all(t == full[i] for i, t in got), rate  # the same clock as a full pass


def test_sample_fps_on_variable_frame_rate_samples_by_time_not_by_count(tmp_path):
    # 100 ms apart, then a burst 10 ms apart: 10 fps keeps one frame per 100 ms of time.
    # The 390 ms frame is taken for the 400 ms grid time: within half a nominal (30 fps)
    # frame period + 1 ms of it.
    pts = [0, 100, 200, 300, 310, 320, 330, 340, 350, 360, 370, 380, 390, 400, 500]
    clip = write_clip(tmp_path / "vfr.mp4", pts)
    got = [t for _, t, _ in iter_frames(clip, sample_fps=10)]
    assert got == [0, 100, 200, 300, 390, 500]


@pytest.mark.parametrize("rate", [None, 30, 60])
def test_sample_fps_at_or_above_the_video_rate_is_every_frame(tmp_path, rate):
    pts = [round(i * 1000 / 30) for i in range(10)]
    clip = write_clip(tmp_path / "cfr.mp4", pts)
    frames = list(iter_frames(clip, sample_fps=rate))
    assert [(i, t) for i, t, _ in frames] == [(i, t) for i, t, _ in iter_frames(clip)]
    assert len(frames) == 10


@pytest.mark.parametrize("sample_fps, video_fps, expected", [
    (None, 30.0, None), (10, 30.0, 10.0), (30, 30.0, None), (60, 29.97, None),
    (10, 0.0, None),  # an image, or no usable rate
])
def test_analysis_rate(sample_fps, video_fps, expected):
    from posecheck.io.video import analysis_rate

    assert analysis_rate(sample_fps, video_fps) == expected


def test_sampled_count_is_about_the_share_of_frames_kept():
    from posecheck.io.video import sampled_count

    assert sampled_count(300, None, 30.0) == 300
    assert sampled_count(300, 10, 30.0) == 100
    assert sampled_count(301, 7.5, 30.0) == 76

"""The page's video path without Streamlit: ``posecheck.io.uploads`` (limits, content sniffing,
the temporary file) and ``live.replay.run_on_video`` on awkward clips (page layer, stub model)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from posecheck.live.replay import run_on_video

from posecheck.io import uploads
from posecheck.core.errors import VideoError

from fakes import make_video, make_processor


class Upload(io.BytesIO):
    """Streamlit's UploadedFile as far as the module cares: bytes, a name, a size."""

    def __init__(self, name: str, data: bytes) -> None:
        super().__init__(data)
        self.name, self.size = name, len(data)


@pytest.fixture
def clip(tmp_path_factory) -> bytes:
    return make_video(tmp_path_factory.mktemp("src") / "src.mp4", frames=10).read_bytes()


def test_a_good_upload_is_a_temporary_video_deleted_after_use(tmp_path, clip):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    with uploads.saved_upload(Upload("clip.mp4", clip), tmp_dir=tmp) as path:
        assert path.parent == tmp and path.name.startswith(uploads.TEMP_PREFIX)
        assert path.read_bytes() == clip
    assert list(tmp.iterdir()) == []


def test_the_temporary_file_goes_also_when_the_analysis_fails(tmp_path, clip):
    with pytest.raises(RuntimeError):
        with uploads.saved_upload(Upload("clip.mp4", clip), tmp_dir=tmp_path) as path:
            raise RuntimeError("analysis failed")
    assert not path.exists()


def test_a_reading_error_inside_names_the_upload_not_the_temporary_file(tmp_path, clip):
    with pytest.raises(uploads.UploadError) as info:
        with uploads.saved_upload(Upload("mine.mp4", clip), tmp_dir=tmp_path) as path:
            raise VideoError(f"{path}: no video frame could be decoded; re-encode it")
    assert str(info.value).startswith("mine.mp4: ") and uploads.TEMP_PREFIX not in str(info.value)


@pytest.mark.parametrize("name, data, expected", [
    ("empty.mp4", b"", "empty.mp4 is empty (0 bytes); upload the file again"),
    ("notes.mp4", b"just some text\n" * 10, "notes.mp4 is not a video file (its content is text)"),
    ("photo.mp4", b"\x89PNG\r\n\x1a\n" + bytes(100), "its content is a PNG image"),
    ("song.mov", b"ID3\x04" + bytes(100), "its content is an MP3 audio file"),
])
def test_bad_uploads_are_refused_before_decoding(tmp_path, name, data, expected):
    with pytest.raises(uploads.UploadError) as info:
        with uploads.saved_upload(Upload(name, data), tmp_dir=tmp_path):
            pytest.fail("a bad upload was accepted")
    assert expected in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_size_and_duration_limits(tmp_path, clip):
    with pytest.raises(uploads.UploadError, match=r"big\.mp4 is 0 MB, more than the 0.0001 MB"):
        with uploads.saved_upload(Upload("big.mp4", clip), max_mb=0.0001, tmp_dir=tmp_path):
            pass
    with pytest.raises(uploads.UploadError, match=r"long\.mp4 lasts 1 s, longer than the 0.5 s"):
        with uploads.saved_upload(Upload("long.mp4", clip), max_s=0.5, tmp_dir=tmp_path):
            pass
    assert list(tmp_path.iterdir()) == []


def test_the_content_decides_not_the_name(tmp_path, clip):
    with uploads.saved_upload(Upload("holiday.jpg", clip), tmp_dir=tmp_path) as path:
        assert path.suffix == ".mp4"  # read as the video it is


def test_a_damaged_video_is_named(tmp_path, clip):
    with pytest.raises(uploads.UploadError) as info:
        with uploads.saved_upload(Upload("cut.mp4", clip[:200]), tmp_dir=tmp_path):
            pass
    assert str(info.value).startswith("cut.mp4") and "re-encode" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_video_file_passes_a_sample_path_through(tmp_path):
    sample = tmp_path / "sample.mp4"
    with uploads.video_file(sample) as path:
        assert path == sample


@pytest.mark.parametrize("size", [(1, 64), (1, 1), (65, 49)])
def test_run_on_video_takes_odd_and_one_pixel_frames(tmp_path, size):
    pytest.importorskip("av")
    import cv2

    w, h = size
    src = tmp_path / "thin.avi"
    writer = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*"MJPG"), 10, (w, h))
    for i in range(6):
        writer.write(np.full((h, w, 3), 30 * i, np.uint8))
    writer.release()
    proc, _ = make_processor()
    out = tmp_path / "out.mp4"
    summary = run_on_video(proc, src, out)
    assert summary.frames == 6 and out.is_file()

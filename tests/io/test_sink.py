"""The one video sink (posecheck.io.sink): the exact BGR -> YUV conversion, and the MP4 files
it writes (atomically, cropped to even sizes, the same bytes for the same frames).

Layer: pure (the YUV conversion) and, marked slow, encoding (tiny videos, a second each).
"""

from __future__ import annotations

import av
import numpy as np
import pytest

from posecheck.core.errors import VideoError
from posecheck.io.sink import (EXACT, PREVIEW, VideoSink, bgr_to_yuv420, encoder_options,
                               write_video)
from posecheck.io.video import iter_frames


def _frames(n: int = 6, h: int = 48, w: int = 64, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    return [np.roll(base, 3 * i, axis=1) for i in range(n)]


def test_encoder_options_pin_one_thread_and_only_the_exact_encoding_pins_the_cpu() -> None:
    assert encoder_options(PREVIEW) == {"crf": "23", "preset": "veryfast", "threads": "1"}
    exact = encoder_options(EXACT)
    assert exact["threads"] == "1" and exact["preset"] == "medium"
    assert exact["x264-params"].startswith("asm=")


@pytest.mark.slow
@pytest.mark.parametrize("options", [PREVIEW, EXACT], ids=["preview", "exact"])
def test_same_frames_give_the_same_bytes(tmp_path, options) -> None:
    a = write_video(_frames(), tmp_path / "a.mp4", 10, options=options)
    b = write_video(_frames(), tmp_path / "b.mp4", 10, options=options)
    assert a.read_bytes() == b.read_bytes()
    other = write_video(_frames(seed=1), tmp_path / "c.mp4", 10, options=options)
    assert other.read_bytes() != a.read_bytes()


@pytest.mark.slow
def test_written_video_decodes_with_its_frames_rate_and_no_temporary_file(tmp_path) -> None:
    path = write_video(_frames(8), tmp_path / "out" / "v.mp4", 12.5)
    assert sorted(p.name for p in path.parent.iterdir()) == ["v.mp4"]
    decoded = list(iter_frames(path))
    assert [t for _, t, _ in decoded] == [round(i * 80) for i in range(8)]
    assert decoded[0][2].shape == (48, 64, 3)
    with av.open(str(path)) as c:
        assert c.streams.video[0].codec_context.name == "h264"


@pytest.mark.slow
def test_odd_sizes_lose_their_last_row_and_column(tmp_path) -> None:
    path = write_video(_frames(3, h=33, w=47), tmp_path / "odd.mp4", 10)
    _, _, image = next(iter_frames(path))
    assert image.shape == (32, 46, 3)


@pytest.mark.slow
def test_abort_and_errors_leave_neither_the_file_nor_a_temporary(tmp_path) -> None:
    sink = VideoSink(tmp_path / "x.mp4", 10, 64, 48)
    sink.write(_frames(1)[0])
    sink.abort()
    assert list(tmp_path.iterdir()) == []

    def failing():
        yield _frames(1)[0]
        raise RuntimeError("decoder died")

    with pytest.raises(RuntimeError, match="decoder died"):
        write_video(failing(), tmp_path / "y.mp4", 10)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(VideoError, match="no frame"):
        write_video([], tmp_path / "z.mp4", 10)


@pytest.mark.slow
def test_an_existing_file_is_replaced_only_when_the_new_one_is_complete(tmp_path) -> None:
    target = tmp_path / "v.mp4"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with VideoSink(target, 10, 64, 48) as sink:
            sink.write(_frames(1)[0])
            raise RuntimeError("stop")
    assert target.read_bytes() == b"old"
    with VideoSink(target, 10, 64, 48) as sink:
        sink.write(_frames(1)[0])
    assert target.read_bytes()[4:8] == b"ftyp"


@pytest.mark.slow
def test_the_exact_encoding_tags_bt601_limited_range(tmp_path) -> None:
    path = write_video(_frames(2), tmp_path / "e.mp4", 10, options=EXACT)
    with av.open(str(path)) as c:
        cc = c.streams.video[0].codec_context
        assert (cc.colorspace, cc.color_range, cc.pix_fmt) == (6, 1, "yuv420p")


def _yuv420_reference(img: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BT.601 limited range in floating point (the textbook formula), chroma 2x2 means."""
    b, g, r = (img[..., i].astype(float) for i in range(3))
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    y = 16 + 219 / 255 * luma
    u = 128 + 224 / 255 * (b - luma) / 1.772
    v = 128 + 224 / 255 * (r - luma) / 1.402
    h, w = y.shape

    def mean2x2(c: np.ndarray) -> np.ndarray:
        return c.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))

    return y, mean2x2(u), mean2x2(v)


def _planes(yuv: np.ndarray, h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    flat = yuv.ravel()
    n = h * w
    return (flat[:n].reshape(h, w), flat[n:n * 5 // 4].reshape(h // 2, w // 2),
            flat[n * 5 // 4:].reshape(h // 2, w // 2))


@pytest.mark.parametrize("seed, shape", [(0, (2, 2)), (1, (6, 10)), (2, (120, 160)),
                                         (3, (36, 48))])
def test_integer_yuv_conversion_matches_the_float_formula(seed: int, shape) -> None:
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, shape + (3,), dtype=np.uint8)
    yuv = bgr_to_yuv420(img)
    assert yuv.dtype == np.uint8 and yuv.shape == (shape[0] * 3 // 2, shape[1])
    for got, want in zip(_planes(yuv, *shape), _yuv420_reference(img)):
        assert np.abs(got - np.round(want)).max() <= 1
        # Fixed point with 16 fraction bits: rounded, up to the coefficients' 2**-16 error.
        assert np.abs(got - want).max() < 0.51


def test_integer_yuv_conversion_of_the_rgb_cube_corners() -> None:
    # Black, white and grey land exactly on the limited range's levels; saturated colours
    # within half a level of the formula (all 8 corners of the cube, each in a 2x2 block).
    corners = np.array([[b, g, r] for b in (0, 255) for g in (0, 255) for r in (0, 255)],
                       np.uint8)
    img = np.repeat(np.repeat(corners[None], 2, axis=0), 2, axis=1)  # (2, 16, 3)
    y, u, v = _planes(bgr_to_yuv420(img), 2, 16)
    ry, ru, rv = _yuv420_reference(img)
    assert (y[0, 0], u[0, 0], v[0, 0]) == (16, 128, 128)     # black
    assert (y[0, -1], u[0, -1], v[0, -1]) == (235, 128, 128)  # white
    np.testing.assert_array_equal(y, np.round(ry))
    np.testing.assert_array_equal(u, np.round(ru))
    np.testing.assert_array_equal(v, np.round(rv))
    grey = bgr_to_yuv420(np.full((2, 2, 3), 128, np.uint8)).ravel()
    assert tuple(grey[[0, 4, 5]]) == (126, 128, 128)


def test_integer_yuv_conversion_refuses_odd_sizes() -> None:
    with pytest.raises(ValueError, match="even"):
        bgr_to_yuv420(np.zeros((3, 4, 3), np.uint8))

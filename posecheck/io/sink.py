"""The one video sink: BGR frames in, an H.264 MP4 out (through PyAV's libx264), written to a
temporary file and moved into place when closed (:mod:`posecheck.io.files`).

Two encodings, both with one encoder thread and fixed options so the same frames give the
same bytes:

- :data:`EXACT` (the synthetic sample videos, checked in): the frames are turned into YUV
  here by exact integer arithmetic (:func:`bgr_to_yuv420`) and x264's CPU features are
  pinned, so the bytes are the same on every machine.
- :data:`PREVIEW` (annotated videos): quicker; the BGR -> YUV conversion is FFmpeg's.

H.264 4:2:0 needs even sizes: a last odd row or column is dropped. Where PyAV has no
libx264 (or a frame is under 2 pixels), the sink falls back to OpenCV's MPEG-4 part 2
(``mp4v``), which every OpenCV build writes but most browsers do not play.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from posecheck.core.errors import VideoError
from posecheck.io.files import FILE_MODE, forget_temp, make_temp, unlink_quietly


@dataclass(frozen=True)
class H264Options:
    """How the sink encodes.

    Attributes:
        crf: x264's constant rate factor (0 lossless .. 51; 23 is its default).
        preset: x264's speed/size trade-off ("veryfast", "medium", ...).
        exact: YUV made here in integers, x264's CPU features pinned and the stream tagged
            BT.601 limited range: identical bytes on every machine.
    """

    crf: int = 23
    preset: str = "veryfast"
    exact: bool = False


EXACT = H264Options(crf=23, preset="medium", exact=True)
PREVIEW = H264Options(crf=23, preset="veryfast", exact=False)


# ---------------------------------------------------------------------------- exact YUV
# Why the exact encoding is fed YUV made here: handing PyAV BGR frames makes libswscale convert
# them (its unscaled BGR24 -> YUV420P path, default flags: not bit-exact, CPU-dispatched), and
# two encodes of the same frames in one process came out different on another machine. The
# conversion below is exact integer arithmetic, so the same frames give the same planes on
# every machine and libswscale is never involved (the frames already have the stream's format).
# BT.601 limited range ("studio swing", what the sample files have always held), chroma as the
# mean of each 2x2 block; the stream is tagged with that matrix and range.
_FIX = 16  # fixed-point fraction bits of the coefficients


def _bt601_row(wr: float, wg: float, wb: float, levels: float) -> np.ndarray:
    """(kB, kG, kR) in 1/2**_FIX output levels per input level, for ``levels`` * (wr R + ...)."""
    return np.array([round(w * levels / 255.0 * (1 << _FIX)) for w in (wb, wg, wr)], np.int64)


_KR, _KB = 0.299, 0.114
_Y_ROW = _bt601_row(_KR, 1.0 - _KR - _KB, _KB, 219.0)
_U_ROW = _bt601_row(-_KR / (2 * (1 - _KB)), -(1 - _KR - _KB) / (2 * (1 - _KB)), 0.5, 224.0)
_V_ROW = _bt601_row(0.5, -(1 - _KR - _KB) / (2 * (1 - _KR)), -_KB / (2 * (1 - _KR)), 224.0)
# Grey must map to chroma 128 exactly: the green weight takes the rounding remainder.
_U_ROW[1] = -(_U_ROW[0] + _U_ROW[2])
_V_ROW[1] = -(_V_ROW[0] + _V_ROW[2])


def bgr_to_yuv420(img: np.ndarray) -> np.ndarray:
    """BT.601 limited-range YUV 4:2:0 of a BGR uint8 image, as PyAV's I420 array layout.

    ``img`` is (H, W, 3) uint8 with even H and W. Returns (H * 3 // 2, W) uint8: the Y plane's
    H rows, then the U plane (H/2 x W/2) and the V plane, each packed row-major into W-wide
    rows. Y = round(16 + 219 * (0.299 R + 0.587 G + 0.114 B) / 255) and U, V likewise (224
    levels around 128) from the 2x2 block sums, all in integers: identical on every machine,
    within 1 level of the real-valued formula.
    """
    h, w = img.shape[:2]
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3 or h % 2 or w % 2:
        raise ValueError(f"bgr_to_yuv420: need an (H, W, 3) uint8 image with even H and W, "
                         f"got {img.shape} {img.dtype}")
    b, g, r = np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.int32)
    y = _weigh((b, g, r), _Y_ROW, (16 << _FIX) + (1 << (_FIX - 1))) >> _FIX
    # Sums of each 2x2 block (two more bits; the largest sum, 4 * 255 * 2**16 / 2, fits int32).
    blocks = [c[0::2, 0::2] + c[0::2, 1::2] + c[1::2, 0::2] + c[1::2, 1::2] for c in (b, g, r)]
    half = (128 << (_FIX + 2)) + (1 << (_FIX + 1))
    u = _weigh(blocks, _U_ROW, half) >> (_FIX + 2)
    v = _weigh(blocks, _V_ROW, half) >> (_FIX + 2)
    return np.concatenate([y.ravel(), u.ravel(), v.ravel()]).astype(np.uint8).reshape(-1, w)


def _weigh(bgr, row: np.ndarray, offset: int) -> np.ndarray:
    """``offset + row . (B, G, R)`` per pixel, in int32: exact (no float, no overflow)."""
    return (bgr[0] * np.int32(row[0]) + bgr[1] * np.int32(row[1]) + bgr[2] * np.int32(row[2])
            + np.int32(offset))


# x264's bitstream also depends on which SIMD code it picks for the CPU (measured with av 18.1:
# the same YUV frames gave different bytes with SSSE3..AVX2 than with SSE2 or plain C), so in
# the exact encoding its CPU features are pinned to the x86-64 baseline every such machine has
# (x264 flags MMX|MMX2|SSE|SSE2 = 15; about 1 ms a frame slower at 480x360), and to plain C
# elsewhere.
_X264_CPU = "15" if platform.machine().lower() in ("x86_64", "amd64") else "0"
_BT601_MATRIX, _LIMITED_RANGE = 6, 1  # FFmpeg's AVCOL_SPC_SMPTE170M and AVCOL_RANGE_MPEG


def encoder_options(options: H264Options) -> dict[str, str]:
    """libx264's options for ``options`` (one thread, so the output does not depend on the
    machine's core count)."""
    out = {"crf": str(options.crf), "preset": options.preset, "threads": "1"}
    if options.exact:
        out["x264-params"] = f"asm={_X264_CPU}"
    return out


# ---------------------------------------------------------------------------- the sink
class VideoSink:
    """An MP4 being written: :meth:`write` one BGR frame at a time, then :meth:`close` (moves
    it into place) or :meth:`abort` (deletes it). Use as a context manager: an exception
    inside aborts.

    Args:
        path: the MP4 to make.
        fps: frames per second (a rational is kept to 1/1001 precision).
        width, height: pixels of the frames given (odd sizes lose their last row/column).
        options: :data:`PREVIEW` (default) or :data:`EXACT`.
    """

    def __init__(self, path: str | os.PathLike[str], fps: float, width: int, height: int,
                 options: H264Options = PREVIEW) -> None:
        if not fps > 0:
            raise ValueError(f"VideoSink: fps must be positive, got {fps}")
        self.path = Path(path)
        self.options = options
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = make_temp(self.path)  # tracked: a worker told to stop deletes it
        try:
            self._encoder = _open_encoder(self._tmp, fps, width, height, options)
        except BaseException:
            self._discard()
            raise
        self.frames = 0

    def write(self, image_bgr: np.ndarray) -> None:
        self._encoder.write(image_bgr)
        self.frames += 1

    def close(self) -> Path:
        """Finish the file and move it into place; returns its path."""
        try:
            self._encoder.close()
            os.chmod(self._tmp, FILE_MODE)
            os.replace(self._tmp, self.path)
        finally:
            self._discard()
        return self.path

    def abort(self) -> None:
        """Stop and delete the unfinished file."""
        try:
            self._encoder.close()
        finally:
            self._discard()

    def _discard(self) -> None:
        unlink_quietly(self._tmp)
        forget_temp(self._tmp)

    def __enter__(self) -> "VideoSink":
        return self

    def __exit__(self, exc_type, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_video(frames: Iterable[np.ndarray], path: str | os.PathLike[str], fps: float, *,
                options: H264Options = PREVIEW) -> Path:
    """Encode every frame of ``frames`` into ``path`` (sized by the first frame).

    Raises:
        VideoError: ``frames`` is empty.
    """
    sink: VideoSink | None = None
    try:
        for image in frames:
            if sink is None:
                sink = VideoSink(path, fps, image.shape[1], image.shape[0], options)
            sink.write(image)
    except BaseException:
        if sink is not None:
            sink.abort()
        raise
    if sink is None:
        raise VideoError(f"{path}: no frame to write")
    return sink.close()


class _H264:
    """libx264 through PyAV."""

    def __init__(self, path: str, fps: float, width: int, height: int,
                 options: H264Options) -> None:
        import av

        self._av = av
        self.exact = options.exact
        self.width, self.height = width - width % 2, height - height % 2
        self.rate = Fraction(fps).limit_denominator(1001)
        self._out = av.open(path, "w", format="mp4")
        try:
            stream = self._out.add_stream("libx264", rate=self.rate)
            stream.width, stream.height, stream.pix_fmt = self.width, self.height, "yuv420p"
            stream.options = encoder_options(options)
            cc = stream.codec_context
            cc.thread_count = 1
            if self.exact:
                cc.colorspace, cc.color_range = _BT601_MATRIX, _LIMITED_RANGE
        except BaseException:
            self._out.close()
            raise
        self._stream = stream
        self._index = 0

    def write(self, bgr: np.ndarray) -> None:
        image = bgr[: self.height, : self.width]
        if self.exact:
            frame = self._av.VideoFrame.from_ndarray(bgr_to_yuv420(image), format="yuv420p")
            frame.colorspace, frame.color_range = _BT601_MATRIX, _LIMITED_RANGE
            frame.pts, frame.time_base = self._index, 1 / self.rate
        else:
            frame = self._av.VideoFrame.from_ndarray(image, format="bgr24")
        self._index += 1
        for packet in self._stream.encode(frame):
            self._out.mux(packet)

    def close(self) -> None:
        if self._out is None:
            return
        try:
            for packet in self._stream.encode():
                self._out.mux(packet)
        finally:
            self._out.close()
            self._out = None


class _Mp4v:
    """OpenCV's MPEG-4 part 2, where H.264 cannot be written."""

    def __init__(self, path: str, fps: float, width: int, height: int) -> None:
        import cv2

        self._writer: Any = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps,
                                            (width, height))
        if not self._writer.isOpened():
            self._writer.release()
            raise VideoError(f"{path}: cannot write an MP4 file here (no libx264 in PyAV, no "
                             "mp4v in OpenCV)")

    def write(self, bgr: np.ndarray) -> None:
        self._writer.write(bgr)

    def close(self) -> None:
        self._writer.release()


def _open_encoder(path: str, fps: float, width: int, height: int,
                  options: H264Options) -> Any:
    """H.264 when PyAV has libx264 and the frames are at least 2 x 2; else mp4v. (OpenCV's
    wheels lack H.264; VP9 would play in browsers but encodes about 40x slower.) The exact
    encoding never falls back: its bytes are the point."""
    if width >= 2 and height >= 2:
        try:
            return _H264(path, fps, width, height, options)
        except Exception:  # noqa: BLE001 - no PyAV or no libx264 in its FFmpeg
            if options.exact:
                raise
    if options.exact:
        raise VideoError(f"{path}: the exact encoding needs frames of at least 2 x 2 pixels")
    return _Mp4v(path, fps, width, height)

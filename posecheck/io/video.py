"""Frame sources: video files and still images, with their real timestamps.

Conventions:

- Frames are OpenCV BGR ``uint8`` arrays, already turned upright: OpenCV applies a video's
  rotation metadata itself (``CAP_PROP_ORIENTATION_AUTO``, on by default in OpenCV 5; set
  explicitly here) and ``cv2.imread`` applies an image's EXIF orientation. ``VideoInfo``
  width and height are those of the upright frames; ``rotation`` records the tag.
- ``t_ms`` is each frame's presentation time from the container (``CAP_PROP_POS_MSEC``), so
  variable-frame-rate video keeps its real timing. Where the container gives nothing usable
  the time falls back to ``index / fps``; timestamps are forced to increase strictly
  (a repeat becomes previous + 1 ms), because the pose tracker requires it.
- An image is a source of one frame at ``t_ms = 0``.
"""

from __future__ import annotations

import math
import os
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generator, Iterator

import numpy as np

from posecheck.core.errors import VideoError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
FALLBACK_FPS = 30.0  # frames/s assumed when a container reports no usable rate

_REENCODE = "re-encode it (e.g. to H.264 MP4) or pick another file"


@dataclass(frozen=True)
class VideoInfo:
    """What a frame source holds.

    Attributes:
        path: the file.
        width, height: pixels of the (upright) frames.
        fps: nominal frame rate from the container (frames/s; 0 for an image).
        frame_count: frames the container announces (1 for an image); a damaged file may
            decode fewer.
        duration_s: ``frame_count / fps`` (0 for an image).
        rotation: rotation tag in degrees (0, 90, 180, 270), already applied to the frames.
        is_image: a still image rather than a video.
    """

    path: Path
    width: int
    height: int
    fps: float
    frame_count: int
    duration_s: float
    rotation: int = 0
    is_image: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"VideoInfo for {self.path}: size must be positive, "
                             f"got {self.width}x{self.height}")
        if self.fps < 0 or self.frame_count < 0:
            raise ValueError(f"VideoInfo for {self.path}: fps and frame_count must be >= 0")

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> "VideoInfo":
        """Probe a video or image file.

        Raises:
            VideoError: missing, empty, not a video/image, or no video stream.
        """
        import cv2

        path = _check_file(Path(path))
        if _reads_as_image(path):
            image = _read_image(path)
            return cls(path=path, width=image.shape[1], height=image.shape[0], fps=0.0,
                       frame_count=1, duration_s=0.0, rotation=0, is_image=True)
        cap = _open_capture(path)
        try:
            width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
            height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            fps = float(cap.get(cv2.CAP_PROP_FPS))
            count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            rotation = int(round(cap.get(cv2.CAP_PROP_ORIENTATION_META))) % 360
            if width <= 0 or height <= 0:
                ok, frame = cap.read()
                if not ok or frame is None:
                    raise VideoError(f"{path}: no video frame could be decoded; {_REENCODE}")
                height, width = frame.shape[:2]
        finally:
            cap.release()
        fps = fps if math.isfinite(fps) and fps > 0 else 0.0
        count = max(count, 0)
        duration = count / fps if fps > 0 else 0.0
        return cls(path=path, width=width, height=height, fps=fps, frame_count=count,
                   duration_s=duration, rotation=rotation, is_image=False)


def is_image_path(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def analysis_rate(sample_fps: float | None, video_fps: float) -> float | None:
    """The rate a video is really sampled at for ``sample_fps`` frames/s: ``None`` (every
    frame) when no rate is asked for, when the video has no usable rate (an image) or when
    the rate asked for is at or above the video's own.

    Example:
        >>> analysis_rate(10, 30.0), analysis_rate(30, 30.0), analysis_rate(None, 30.0)
        (10.0, None, None)
    """
    if sample_fps is None or not video_fps or video_fps <= 0 or sample_fps >= video_fps:
        return None
    return float(sample_fps)


def sampled_count(frame_count: int, sample_fps: float | None, video_fps: float) -> int:
    """About how many frames :func:`iter_frames` yields for ``sample_fps`` (for progress
    bars and the truncation warning)."""
    rate = analysis_rate(sample_fps, video_fps)
    if rate is None:
        return frame_count
    return max(1, int(math.ceil(frame_count * rate / video_fps)))


def iter_frames(path: str | os.PathLike[str], step: int = 1,
                sample_fps: float | None = None) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield ``(index, t_ms, bgr_image)`` for every frame that decodes, in order.

    ``step > 1`` yields every ``step``-th frame (indices 0, step, 2*step, ...; the frames
    between are grabbed but not converted, which is cheaper). A truncated video stops at its
    last decodable frame (compare the count with ``VideoInfo.frame_count``).

    ``sample_fps`` (frames/s, below the video's rate; see :func:`analysis_rate`) yields the
    frames nearest a grid of ``1 / sample_fps`` s on the frames' own timestamps, so a
    variable-frame-rate clip is sampled by time, not by count. Every frame is grabbed (its
    timestamp read, so the times are exactly those of a full-rate pass) but only the
    frames yielded are converted to BGR. Convention: a frame is taken when its time is
    within half a source frame period (+1 ms for the rounding of ``t_ms``) of the next grid
    time; the grid then moves past it. The first frame is always taken.

    Raises:
        VideoError: the file cannot be opened, or not a single frame decodes.
    """
    import cv2

    if step < 1:
        raise ValueError(f"step must be >= 1, got {step}")
    path = _check_file(Path(path))
    if _reads_as_image(path):
        yield 0, 0, _read_image(path)
        return
    cap = _open_capture(path)
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        fps = fps if math.isfinite(fps) and fps > 0 else FALLBACK_FPS
        clock = TimestampFixer(fps)
        index = 0
        rate = analysis_rate(sample_fps, fps)
        if rate is not None:
            index = yield from _sampled(cap, clock, 1000.0 / rate, 500.0 / fps + 1.0)
        while rate is None and cap.grab():
            if index % step == 0:
                ok, frame = cap.retrieve()
                if not ok or frame is None:
                    break
                yield index, clock.next(cap.get(cv2.CAP_PROP_POS_MSEC), index), frame
            index += 1
    finally:
        cap.release()
    if index == 0:
        raise VideoError(f"{path}: no video frame could be decoded (damaged or truncated "
                         f"file?); {_REENCODE}")


def _sampled(cap, clock: "TimestampFixer", period_ms: float, slack_ms: float
             ) -> Generator[tuple[int, int, np.ndarray], None, int]:
    """The frames of an open capture nearest a ``period_ms`` grid (see :func:`iter_frames`);
    returns how many frames were grabbed. ``grab`` decodes; only the frames kept pay for
    ``retrieve`` (the conversion to BGR)."""
    import cv2

    due = 0.0
    index = 0
    while cap.grab():
        t = clock.next(cap.get(cv2.CAP_PROP_POS_MSEC), index)
        if t >= due - slack_ms:
            ok, frame = cap.retrieve()
            if not ok or frame is None:
                return index
            yield index, t, frame
            while due <= t + slack_ms:
                due += period_ms
        index += 1
    return index


def prefetch(source: Iterator[Any], depth: int) -> Iterator[Any]:
    """Run ``source`` in a thread, ``depth`` items ahead, so decoding overlaps the model.

    OpenCV releases the GIL while decoding, so the two really run at once. Errors raised by
    the source are re-raised in the consumer; closing the consumer stops the thread.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def produce() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    break
            q.put(end)
        except BaseException as exc:  # handed to the consumer
            q.put(("__error__", exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="posecheck-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is end:
                return
            if isinstance(item, tuple) and len(item) == 2 and item[0] == "__error__":
                raise item[1]
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)


class TimestampFixer:
    """Turns container timestamps into strictly increasing integer milliseconds.

    One :meth:`next` per decoded frame. A missing or non-finite time (or a 0 after the
    first frame, which is how some backends say "unknown") falls back to ``index / fps``;
    a time not after the previous one becomes previous + 1 ms.
    """

    def __init__(self, fps: float) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.fps = fps
        self._last: int | None = None

    def next(self, pos_ms: float | None, index: int) -> int:
        if pos_ms is None or not math.isfinite(pos_ms) or pos_ms < 0 or (index > 0 and pos_ms == 0):
            pos_ms = index * 1000.0 / self.fps
        t = int(round(pos_ms))
        if self._last is not None and t <= self._last:
            t = self._last + 1
        self._last = t
        return t


SNIFF_BYTES = 376  # bytes container_kind looks at (two MPEG-TS packets)
# Video container -> the suffix FFmpeg expects for it.
CONTAINER_SUFFIX = {"mp4": ".mp4", "matroska": ".mkv", "avi": ".avi", "mpeg": ".mpg",
                    "mpegts": ".ts", "gif": ".gif", "flv": ".flv", "asf": ".wmv", "ogg": ".ogv"}


def container_kind(head: bytes) -> str:
    """The video container a file's first bytes announce (a key of ``CONTAINER_SUFFIX``),
    or "" for anything else. Content, not the file name: names can lie.

    Example:
        >>> container_kind(b"\\x00\\x00\\x00\\x18ftypmp42")
        'mp4'
    """
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mp4"  # ISO media: MP4, MOV, M4V, 3GP
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"  # MKV, WebM
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:3] == b"\x00\x00\x01" and head[3:4] in (b"\xba", b"\xb3"):
        return "mpeg"
    if head[:1] == b"G" and len(head) > 188 and head[188:189] == b"G":
        return "mpegts"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:3] == b"FLV":
        return "flv"
    if head[:8] == b"\x30\x26\xb2\x75\x8e\x66\xcf\x11":
        return "asf"
    if head[:4] == b"OggS":
        return "ogg"
    return ""


# A step between frames longer than this many nominal frame periods (and than a second) is a
# jump in the container's clock, not a slow frame.
_JUMP_PERIODS = 10


def odd_timestamps(t_ms: "list[int] | np.ndarray", fps: float) -> int:
    """How many frame timestamps (as ``TimestampFixer`` gives them) look broken: a repeat or
    a step back (bumped to previous + 1 ms) or a jump ahead by more than ``_JUMP_PERIODS``
    frame periods and a second. 0 for images and for clips without a usable frame rate.

    Example:
        >>> odd_timestamps([0, 33, 34, 35, 67, 100, 60_000], 30.0)
        3
    """
    if not fps or fps <= 0 or len(t_ms) < 2:
        return 0
    period = 1000.0 / fps
    steps = np.diff(np.asarray(t_ms, dtype=np.float64))
    bumped = int(np.sum(steps <= 1.0)) if period >= 5.0 else 0
    jumps = int(np.sum(steps > max(1000.0, _JUMP_PERIODS * period)))
    return bumped + jumps


# ---------------------------------------------------------------------------- internals
def _check_file(path: Path) -> Path:
    if not path.exists():
        raise VideoError(f"{path} does not exist; check the path")
    if not path.is_file():
        raise VideoError(f"{path} is not a file; give a video or image file")
    if path.stat().st_size == 0:
        raise VideoError(f"{path} is empty (0 bytes); the copy or download is incomplete")
    return path


def _reads_as_image(path: Path) -> bool:
    """An image name, and content an image reader knows or that is no video either (a
    video saved as ``.jpg`` is read as the video it is; anything else gets the image
    error)."""
    if not is_image_path(path):
        return False
    import cv2

    try:
        if cv2.haveImageReader(str(path)):
            return True
    except cv2.error:
        return True
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    return not container_kind(head)


def _read_image(path: Path) -> np.ndarray:
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise VideoError(f"{path}: cannot be decoded as an image; check it opens, or save it "
                         "as JPEG/PNG")
    return image


def _open_capture(path: Path):  # -> cv2.VideoCapture
    import cv2

    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if cap.isOpened():
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        return cap
    cap.release()
    raise VideoError(f"{path}: {_why_unreadable(path)}")


def _why_unreadable(path: Path) -> str:
    """A best guess at why FFmpeg could not open a file, and the fix, for the message."""
    try:
        import av  # PyAV, when installed, tells an audio-only file from a broken one
    except ImportError:
        return f"not a readable video; {_REENCODE}"
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                kinds = sorted({s.type for s in container.streams}) or ["no"]
                return (f"has no video stream ({', '.join(kinds)} streams only); "
                        "give a file with video in it")
            return f"its video stream cannot be decoded; {_REENCODE}"
    except av.error.FFmpegError as exc:
        return f"not a readable video ({getattr(exc, 'strerror', None) or exc}); {_REENCODE}"

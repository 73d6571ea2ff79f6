"""Pose landmarks of a video: from the landmark cache, or by running the model over its
frames (the only module of the batch that runs the model).

Decoding, resizing and the BGR -> RGB conversion run in a thread a few frames ahead of the
model (OpenCV releases the GIL), so the two overlap. Landmarks come back in the video's own
pixels whatever size the model saw.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import tempfile
import threading
from pathlib import Path
from dataclasses import replace
from typing import Any, Callable, Iterator, Sequence

from posecheck.batch.jobs import Job, ProgressFn
from posecheck.core.errors import ModelError, PosecheckError, VideoError

MODEL_MAX_SIDE = 1280  # px; larger frames are downscaled before the model (it sees 256 px)
PREFETCH_FRAMES = 4    # decoded frames queued ahead of the model (decode overlaps inference)
PROGRESS_EVERY = 8  # frames between progress messages from a worker

STOP = threading.Event()  # set on Ctrl-C: the frame loop of a background stage stops


def landmark_frames(video: Path, job: Job, info: Any, progress: ProgressFn,
                    video_sha: str) -> tuple[list[Any], float, bool]:
    """Pose frames of a video, from the landmark cache or by running the model.

    Returns the frames, the scale the model saw them at and whether they are fresh from the
    model (the caller then caches them, off the model's critical path).
    """
    from posecheck.io.video import sampled_count

    total = max(sampled_count(int(info.frame_count), job.sample_fps, info.fps), 1)
    if job.use_cache:
        cached = _cache_get(video_sha, job, info)
        if cached is not None and job.segmentation and not any(
                f.outline is not None for f in cached):
            cached = None  # cached without the mask: the outline needs the model again
        if cached is not None:
            progress(job.slug, len(cached), len(cached))
            return cached, model_scale(info), False
    frames, scale = estimate_frames(video, job.model_path, info,
                                    lambda done: progress(job.slug, done, max(total, done)),
                                    max_frames=job.max_frames, sample_fps=job.sample_fps,
                                    segmentation=job.segmentation)
    progress(job.slug, len(frames), len(frames))
    return frames, scale, True


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


def _downscaled(frames: Iterator[tuple[int, int, Any]], scale: float) -> Iterator[Any]:
    """Resize in the decoding thread (cv2.resize also releases the GIL)."""
    import cv2

    for index, t_ms, bgr in frames:
        if scale < 1.0:
            small = cv2.resize(bgr, (max(1, round(bgr.shape[1] * scale)),
                                     max(1, round(bgr.shape[0] * scale))),
                               interpolation=cv2.INTER_AREA)
        else:
            small = bgr
        yield index, t_ms, small


def _as_model_input(frames: Iterator[tuple[int, int, Any]]) -> Iterator[Any]:
    """BGR -> RGB -> ``mediapipe.Image`` in the decoding thread, so the model's thread only
    runs the model."""
    import cv2
    import mediapipe as mp

    for index, t_ms, bgr in frames:
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        yield index, t_ms, mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)


def estimate_frames(video: Path, model_path: str, info: Any,
                    on_frame: Callable[[int], None] = lambda n: None,
                    max_side: int = MODEL_MAX_SIDE,
                    max_frames: int | None = None,
                    sample_fps: float | None = None,
                    segmentation: bool = False) -> tuple[list[Any], float]:
    """Run the model over every frame (or ``sample_fps`` frames a second, see
    ``posecheck.io.video.iter_frames``: VIDEO mode with the real timestamps of the frames it
    sees); landmarks come back in the video's own pixels.

    Frames larger than ``max_side`` are shrunk for the model (it works on 256 px crops, so
    this loses nothing but decode time) and the landmarks scaled back. ``segmentation``:
    measure the trunk outline on each frame's person mask (the mask itself is dropped).
    """
    from posecheck.model.estimator import PoseEstimator
    from posecheck.io.video import iter_frames

    scale = model_scale(info, max_side)
    frames: list[Any] = []
    if info.is_image:
        # IMAGE mode keeps no state between calls, so one landmarker serves every image
        # (creating one costs more than running it once).
        est = _image_estimator(model_path, segmentation)
        for index, t_ms, image in _downscaled(iter_frames(video), scale):
            pf = replace(est.process(image, t_ms, index=index), mask=None)
            frames.append(_to_size(pf, info.width, info.height) if scale < 1.0 else pf)
        return frames, scale
    with PoseEstimator(model_path, running_mode="video",
                       output_segmentation=segmentation) as est:
        for index, t_ms, image in prefetch(
                _as_model_input(_downscaled(iter_frames(video, sample_fps=sample_fps), scale)),
                PREFETCH_FRAMES):
            if STOP.is_set():
                raise KeyboardInterrupt
            if max_frames is not None and len(frames) >= max_frames:
                # The container under-announced its length: stop before memory runs out.
                raise VideoError(f"{video}: more than --max-frames {max_frames} frames; "
                                 "split the clip (or raise --max-frames)")
            pf = replace(est.process_image(image, t_ms, index=index), mask=None)
            if scale < 1.0:
                pf = _to_size(pf, info.width, info.height)
            frames.append(pf)
            if len(frames) % PROGRESS_EVERY == 0:
                on_frame(len(frames))
    return frames, scale


_IMAGE_ESTIMATORS: dict[tuple[str, int, bool], Any] = {}


def _image_estimator(model_path: str, segmentation: bool = False) -> Any:
    """This thread's IMAGE-mode estimator for a model, made on first use."""
    from posecheck.model.estimator import PoseEstimator

    key = (str(model_path), threading.get_ident(), segmentation)
    if key not in _IMAGE_ESTIMATORS:
        _IMAGE_ESTIMATORS[key] = PoseEstimator(model_path, running_mode="image",
                                               output_segmentation=segmentation)
    return _IMAGE_ESTIMATORS[key]


def check_model(model_path: str | Path) -> None:
    """Load the model and run it once on a blank frame. A bundle that passes the zip and
    checksum checks but that MediaPipe cannot load (a corrupt ``.tflite``) fails here, once,
    naming the file, before any video; otherwise every video would fail with it."""
    import numpy as np

    from posecheck.model.estimator import PoseEstimator

    with _native_stderr() as native:
        try:
            with PoseEstimator(model_path, running_mode="image") as est:
                est.process(np.zeros((64, 64, 3), np.uint8), 0)
            failed = None
        except PosecheckError:
            raise
        except Exception as exc:  # MediaPipe's RuntimeError (flatbuffer, missing ops, ...)
            failed = exc
    if failed is None:
        os.write(2, native.text.encode())  # all is well: back where native logs go
        return
    said = [ln for ln in native.text.splitlines() if "ERROR" in ln]
    reason = (said[-1].split("ERROR:")[-1].strip() if said
              else (str(failed).strip().splitlines() or [type(failed).__name__])[0])[:200]
    raise ModelError(f"model file {model_path} cannot be loaded by MediaPipe ({reason}); "
                     "rebuild it with `posecheck models --force VARIANT` (lite, full, "
                     "heavy) or pass another --model") from None


class _Captured:
    text = ""


@contextlib.contextmanager
def _native_stderr() -> Iterator[_Captured]:
    """Collect what native code writes to file descriptor 2 (TFLite logs a broken model
    there before raising), so the user gets one clear line instead of the library's."""
    captured = _Captured()
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.text = sink.read().decode("utf-8", "replace")


NATIVE_LOG = "mediapipe.log"  # in --out: what MediaPipe's native code said, unless --verbose


@contextlib.contextmanager
def native_log(path: Path | None) -> Iterator[None]:
    """Send what native code (MediaPipe, TFLite, absl) writes to file descriptor 2 into
    ``path`` for the duration, so its INFO/WARNING lines do not break the progress bars;
    Python's own ``sys.stderr`` (bars, messages) keeps going to the terminal. Worker processes
    forked inside inherit both. ``path=None`` changes nothing (``--verbose``)."""
    if path is None:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    python_err = sys.stderr
    try:
        on_fd2 = python_err.fileno() == 2
    except (AttributeError, OSError, ValueError):  # a test's capture object: leave it
        on_fd2 = False
    with open(path, "ab") as sink:
        os.dup2(sink.fileno(), 2)
        if on_fd2:
            sys.stderr = open(os.dup(saved), "w", buffering=1, encoding=python_err.encoding,
                              errors="backslashreplace")
        try:
            yield
        finally:
            if on_fd2:
                sys.stderr.flush()
                sys.stderr.close()
                sys.stderr = python_err
            os.dup2(saved, 2)
            os.close(saved)


def model_scale(info: Any, max_side: int = MODEL_MAX_SIDE) -> float:
    """Factor applied to frames before the model (1.0 unless the long side exceeds max_side)."""
    long_side = max(info.width, info.height)
    return round(min(1.0, max_side / long_side), 6) if long_side > 0 else 1.0


def _to_size(pf: Any, width: int, height: int) -> Any:
    """The same pose in pixels of a ``width`` x ``height`` frame (normalized coords kept)."""
    from posecheck.core.pose import PoseFrame

    if not pf.has_pose:
        return PoseFrame.empty(pf.t_ms, width, height, index=pf.index, reason=pf.reason)
    out = PoseFrame.from_normalized(pf.to_normalized(), pf.t_ms, width, height,
                                    world=pf.world, index=pf.index)
    if pf.outline is None:
        return out
    import numpy as np

    return replace(out, outline=pf.outline * np.array([width / pf.width, height / pf.height]))


def _cache_file(video_sha: str, job: Job, info: Any) -> Path:
    from posecheck.model import cache
    from posecheck.io.video import analysis_rate

    directory = (Path(job.cache_dir).expanduser() if job.cache_dir is not None
                 else cache.default_cache_dir())
    return cache.cache_path(directory, video_sha, job.model_label, job.model_sha256,
                            analysis_rate(job.sample_fps, info.fps))


def _cache_get(video_sha: str, job: Job, info: Any) -> list[Any] | None:
    """Cached frames of this video and model bundle, or None (missing or unreadable)."""
    from posecheck.model import cache
    target = _cache_file(video_sha, job, info)
    if not target.is_file():
        return None
    try:
        track = cache.LandmarkTrack.load(target)
    except cache.LandmarkFileError:
        return None  # recomputed and overwritten
    if track.video_sha256 != video_sha or track.model_sha256 != job.model_sha256:
        return None
    return list(track.frames)


def cache_put(video: Path, job: Job, info: Any, frames: Sequence[Any],
              video_sha: str) -> None:
    from posecheck.model import cache
    track = cache.LandmarkTrack(info=info, frames=tuple(frames), model=job.model_label,
                                video_sha256=video_sha, model_sha256=job.model_sha256)
    try:
        track.save(_cache_file(video_sha, job, info))
    except OSError as exc:  # a read-only cache must not fail the analysis
        print(f"posecheck analyze: warning: landmark cache not written ({exc})",
              file=sys.stderr)


def as_cached(frames: Sequence[Any]) -> list[Any]:
    """The frames exactly as the landmark cache would give them back (values rounded the
    same way), so a report is byte-identical whether the landmarks were cached or fresh."""
    from posecheck.model import cache
    return [cache._parse_frame(cache._frame_record(f), f.width, f.height) for f in frames]

"""Landmarks of a video: the one way to make them, from the landmark cache or by running the
model over the video's frames. ``posecheck landmarks``, ``posecheck analyze`` (batch), the
tuning page, scoring and the synthetic accuracy check all come here.

Running the model: frames larger than :data:`MODEL_MAX_SIDE` are shrunk first (the model
works on 256 px crops, so this loses nothing but decode time) and the landmarks come back in
the video's own pixels. Decoding, resizing and the BGR -> RGB conversion run in a thread a
few frames ahead of the model (:func:`posecheck.io.video.prefetch`), so the two overlap.
Videos run in VIDEO mode (tracking, real timestamps), images in IMAGE mode.

The cache (:mod:`posecheck.model.cache`) is keyed by the video's content, the model bundle's
hash and the analysis rate, so a renamed video is still found and a rebuilt model is not
confused with the old one.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from tqdm import tqdm

from posecheck.core.errors import ModelError, PosecheckError, VideoError
from posecheck.core.pose import PoseFrame
from posecheck.io.video import VideoInfo, iter_frames, prefetch
from posecheck.model import cache
from posecheck.model.cache import LandmarkTrack
from posecheck.model.estimator import PoseEstimator, open_estimator
from posecheck.model.provision import model_label, resolve_model, sha256_file

MODEL_MAX_SIDE = 1280  # px; larger frames are downscaled before the model (it sees 256 px)
PREFETCH_FRAMES = 4    # decoded frames queued ahead of the model (decode overlaps inference)
PROGRESS_EVERY = 8     # frames between progress calls

STOP = threading.Event()  # set on Ctrl-C: a running estimation stops at its next frame


# ---------------------------------------------------------------------------- the entry
def load_or_estimate(video: str | os.PathLike[str], model: str | os.PathLike[str] = "lite", *,
                     cache_dir: str | os.PathLike[str] | None = None, use_cache: bool = True,
                     progress: bool = True, segmentation: bool = False) -> LandmarkTrack:
    """Landmarks of a video: from the cache when the same bytes met the same model before,
    otherwise estimated (and cached). A corrupt cache file is ignored and replaced.
    ``use_cache=False`` neither reads nor writes it. ``segmentation``: the trunk outline is
    needed (``StretchSpec.needs_outline``), as ``posecheck analyze`` asks for it: a cached
    track without outline points is estimated again with the person mask (and re-cached).
    """
    video = Path(video)
    if not use_cache:
        return estimate_video(video, model, progress=progress,
                              output_segmentation=segmentation)
    info = VideoInfo.from_path(video)  # clear error for a bad file before any hashing
    directory = cache.cache_dir(cache_dir)
    video_sha = sha256_file(video)
    model_sha = sha256_file(resolve_model(model, progress=progress))
    label = model_label(model)
    track = cache.find(directory, video_sha, label, model_sha, need_outline=segmentation)
    if track is not None:
        return replace(track, info=replace(track.info, path=info.path))
    track = estimate_video(video, model, progress=progress, video_sha256=video_sha,
                           output_segmentation=segmentation)
    cache.store(track, directory)
    # The values the cache gives back (rounded), so a first run and its reruns agree.
    return replace(track, frames=tuple(cache.as_cached(track.frames)))


def estimate_video(path: str | os.PathLike[str], model: str | os.PathLike[str] = "lite", *,
                   progress: bool = True, video_sha256: str | None = None,
                   output_segmentation: bool = False) -> LandmarkTrack:
    """Run the model over every decoded frame of a video (or an image) file.

    Frames without a person are kept as ``PoseFrame.empty`` so indices line up with the
    video. A truncated video gives the frames that decode; ``track.info.frame_count`` still
    holds what the container announced. ``video_sha256`` saves hashing the file again when
    the caller already did. ``output_segmentation``: measure the trunk outline on the person
    mask of every frame (kept as ``PoseFrame.outline``; the masks themselves are dropped).

    Raises:
        VideoError: the file cannot be read or holds no decodable frame.
        ModelError: no usable model.
    """
    path = Path(path)
    info = VideoInfo.from_path(path)
    model_path = resolve_model(model, progress=progress)
    with tqdm(total=info.frame_count or None, unit="frame", disable=not progress,
              desc=path.name, leave=False) as bar:
        frames, _ = estimate_frames(path, model_path, info,
                                    on_frame=lambda done: bar.update(done - bar.n),
                                    segmentation=output_segmentation)
    return LandmarkTrack(info=info, frames=tuple(frames), model=model_label(model),
                         video_sha256=video_sha256 or sha256_file(path),
                         model_sha256=sha256_file(model_path))


def estimate_image(path: str | os.PathLike[str],
                   model: str | os.PathLike[str] = "lite") -> PoseFrame:
    """The pose in one image file (``PoseFrame.empty`` with a reason if there is none)."""
    info = VideoInfo.from_path(path)
    if not info.is_image:
        raise VideoError(f"{path} is a video, not an image; use estimate_video()")
    frames, _ = estimate_frames(Path(path), model, info)
    return frames[0]


# ---------------------------------------------------------------------------- the model run
def estimate_frames(video: Path, model: str | os.PathLike[str], info: VideoInfo,
                    on_frame: Callable[[int], None] = lambda n: None,
                    max_side: int = MODEL_MAX_SIDE,
                    max_frames: int | None = None,
                    sample_fps: float | None = None,
                    segmentation: bool = False) -> tuple[list[PoseFrame], float]:
    """Run the model over every frame (or ``sample_fps`` frames a second, see
    :func:`posecheck.io.video.iter_frames`: VIDEO mode with the real timestamps of the frames
    it sees); returns the frames, in the video's own pixels, and the scale the model saw
    them at. ``on_frame(done)`` is called every :data:`PROGRESS_EVERY` frames.
    ``segmentation``: measure the trunk outline on each frame's person mask (the mask itself
    is dropped).

    Raises:
        VideoError: no frame decodes, or more than ``max_frames`` frames.
    """
    scale = model_scale(info, max_side)
    frames: list[PoseFrame] = []
    if info.is_image:
        # IMAGE mode keeps no state between calls, so one landmarker serves every image
        # (creating one costs more than running it once).
        est = _image_estimator(model, segmentation)
        for index, t_ms, image in downscaled(iter_frames(video), scale):
            pf = replace(est.process(image, t_ms, index=index), mask=None)
            frames.append(to_size(pf, info.width, info.height) if scale < 1.0 else pf)
        return frames, scale
    with open_estimator(model, segmentation=segmentation) as est:
        for index, t_ms, image in prefetch(
                _as_model_input(downscaled(iter_frames(video, sample_fps=sample_fps), scale)),
                PREFETCH_FRAMES):
            if STOP.is_set():
                raise KeyboardInterrupt
            if max_frames is not None and len(frames) >= max_frames:
                # The container under-announced its length: stop before memory runs out.
                raise VideoError(f"{video}: more than --max-frames {max_frames} frames; "
                                 "split the clip (or raise --max-frames)")
            pf = replace(est.process_image(image, t_ms, index=index), mask=None)
            if scale < 1.0:
                pf = to_size(pf, info.width, info.height)
            frames.append(pf)
            if len(frames) % PROGRESS_EVERY == 0:
                on_frame(len(frames))
    if not frames:
        raise VideoError(f"{video}: no frame could be decoded; check the file plays, "
                         "or re-encode it (e.g. to H.264 MP4)")
    return frames, scale


def model_scale(info: VideoInfo, max_side: int = MODEL_MAX_SIDE) -> float:
    """Factor applied to frames before the model (1.0 unless the long side exceeds max_side)."""
    long_side = max(info.width, info.height)
    return round(min(1.0, max_side / long_side), 6) if long_side > 0 else 1.0


def to_size(pf: PoseFrame, width: int, height: int) -> PoseFrame:
    """The same pose in pixels of a ``width`` x ``height`` frame (normalized coords kept)."""
    if not pf.has_pose:
        return PoseFrame.empty(pf.t_ms, width, height, index=pf.index, reason=pf.reason)
    out = PoseFrame.from_normalized(pf.to_normalized(), pf.t_ms, width, height,
                                    world=pf.world, index=pf.index)
    if pf.outline is None:
        return out
    return replace(out, outline=pf.outline * np.array([width / pf.width, height / pf.height]))


def downscaled(frames: Iterator[tuple[int, int, np.ndarray]], scale: float
                ) -> Iterator[tuple[int, int, np.ndarray]]:
    """Frames resized by ``scale`` for the model (as :func:`model_scale` gives it); run in the
    decoding thread (cv2.resize also releases the GIL)."""
    import cv2

    for index, t_ms, bgr in frames:
        if scale < 1.0:
            small = cv2.resize(bgr, (max(1, round(bgr.shape[1] * scale)),
                                     max(1, round(bgr.shape[0] * scale))),
                               interpolation=cv2.INTER_AREA)
        else:
            small = bgr
        yield index, t_ms, small


def _as_model_input(frames: Iterator[tuple[int, int, np.ndarray]]) -> Iterator[tuple]:
    """BGR -> RGB -> ``mediapipe.Image`` in the decoding thread, so the model's thread only
    runs the model."""
    import cv2
    import mediapipe as mp

    for index, t_ms, bgr in frames:
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        yield index, t_ms, mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)


_IMAGE_ESTIMATORS: dict[tuple[str, int, bool], PoseEstimator] = {}


def _image_estimator(model: str | os.PathLike[str], segmentation: bool = False
                     ) -> PoseEstimator:
    """This thread's IMAGE-mode estimator for a model, made on first use."""
    key = (str(model), threading.get_ident(), segmentation)
    if key not in _IMAGE_ESTIMATORS:
        _IMAGE_ESTIMATORS[key] = open_estimator(model, image=True, segmentation=segmentation)
    return _IMAGE_ESTIMATORS[key]


# ---------------------------------------------------------------------------- the model itself
def check_model(model_path: str | os.PathLike[str]) -> None:
    """Load the model and run it once on a blank frame. A bundle that passes the zip and
    checksum checks but that MediaPipe cannot load (a corrupt ``.tflite``) fails here, once,
    naming the file, before any video; otherwise every video would fail with it."""
    with _native_stderr() as native:
        failed = model_load_error(model_path)
    if failed is None:
        os.write(2, native.text.encode())  # all is well: back where native logs go
        return
    said = [ln for ln in native.text.splitlines() if "ERROR" in ln]
    reason = (said[-1].split("ERROR:")[-1].strip() if said
              else (str(failed).strip().splitlines() or [type(failed).__name__])[0])[:200]
    raise ModelError(f"model file {model_path} cannot be loaded by MediaPipe ({reason}); "
                     "rebuild it with `posecheck models --force VARIANT` (lite, full, "
                     "heavy) or pass another --model") from None


BLANK_SIDE = 64  # px; the blank frame a model is tried on


def model_load_error(model: str | os.PathLike[str]) -> Exception | None:
    """What goes wrong when the model is built and run on a blank frame (None: nothing).
    Our own errors (:class:`PosecheckError`: no such model, ...) are raised, not returned."""
    try:
        with open_estimator(model, image=True) as est:
            est.process(np.zeros((BLANK_SIDE, BLANK_SIDE, 3), np.uint8), 0)
    except PosecheckError:
        raise
    except Exception as exc:  # noqa: BLE001 - MediaPipe's RuntimeError (flatbuffer, ops, ...)
        return exc
    return None


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

"""Pose landmarks of one batch video: :mod:`posecheck.model.landmarks` (the landmark cache, or
the model run over its frames) with the job's model, rate and cache; and where MediaPipe's
native log goes during a batch (:func:`native_log`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Iterator, Sequence

from posecheck.batch.jobs import Job, ProgressFn
from posecheck.core.pose import PoseFrame
from posecheck.io.video import VideoInfo, analysis_rate, sampled_count
from posecheck.model import cache
from posecheck.model.landmarks import estimate_frames, model_scale


def landmark_frames(video: Path, job: Job, info: VideoInfo, progress: ProgressFn,
                    video_sha: str) -> tuple[list[PoseFrame], float, bool]:
    """Pose frames of a video, from the landmark cache or by running the model.

    Returns the frames, the scale the model saw them at and whether they are fresh from the
    model (the caller then caches them with :func:`cache_put`, off the model's critical path).
    """
    total = max(sampled_count(int(info.frame_count), job.sample_fps, info.fps), 1)
    if job.use_cache:
        # cached without the mask: the outline needs the model again (need_outline)
        track = cache.find(cache.cache_dir(job.cache_dir), video_sha, job.model_label,
                           job.model_sha256, analysis_rate(job.sample_fps, info.fps),
                           need_outline=job.segmentation)
        cached = None if track is None else list(track.frames)
        if cached is not None:
            progress(job.slug, len(cached), len(cached))
            return cached, model_scale(info), False
    frames, scale = estimate_frames(video, job.model_path, info,
                                    lambda done: progress(job.slug, done, max(total, done)),
                                    max_frames=job.max_frames, sample_fps=job.sample_fps,
                                    segmentation=job.segmentation)
    progress(job.slug, len(frames), len(frames))
    return frames, scale, True


def cache_put(job: Job, info: VideoInfo, frames: Sequence[PoseFrame], video_sha: str) -> None:
    """Save fresh frames in the landmark cache; a cache that cannot be written (read-only)
    only warns: it must not fail the analysis."""
    track = cache.LandmarkTrack(info=info, frames=tuple(frames), model=job.model_label,
                                video_sha256=video_sha, model_sha256=job.model_sha256)
    try:
        cache.store(track, cache.cache_dir(job.cache_dir),
                    analysis_rate(job.sample_fps, info.fps))
    except OSError as exc:
        print(f"posecheck analyze: warning: landmark cache not written ({exc})",
              file=sys.stderr)


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

"""Pose estimation: MediaPipe Tasks ``PoseLandmarker`` wrapped to return :class:`PoseFrame`.

Only this module (with ``provision.py``) loads the model; :func:`open_estimator` is the one
place an estimator is made from a model name (whole videos: :mod:`posecheck.model.landmarks`).
Images come in as OpenCV BGR arrays; results go out as :class:`posecheck.core.pose.PoseFrame` in pixels of the frame given.

In VIDEO mode MediaPipe tracks the pose from frame to frame and needs strictly increasing
timestamps. A source that repeats a timestamp gets it bumped by 1 ms (so the landmarker
accepts it); a timestamp going backwards is a real error (a new source needs :meth:`reset`).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from posecheck.core.errors import PosecheckError
from posecheck.core.outline import trunk_edges
from posecheck.core.pose import Landmark as L
from posecheck.core.pose import PoseFrame
from posecheck.model.provision import model_label, resolve_model

RUNNING_MODES = ("video", "image")


class TimestampError(PosecheckError, ValueError):
    """Frames reached a VIDEO-mode estimator out of time order."""


def open_estimator(model: str | os.PathLike[str] = "lite", *, image: bool = False,
                   segmentation: bool = False, progress: bool = False) -> "PoseEstimator":
    """A new estimator for ``model`` (``"lite"``, ``"full"``, ``"heavy"`` or a ``.task``
    path): VIDEO mode (stateful, one per stream) or, with ``image``, IMAGE mode (each frame
    on its own); ``segmentation`` also measures the trunk outline on the person mask
    (``StretchSpec.needs_outline``); ``progress`` shows the model being fetched or built."""
    return PoseEstimator(model, running_mode="image" if image else "video",
                         output_segmentation=segmentation, progress=progress)


class PoseEstimator:
    """One MediaPipe pose landmarker, fed one frame at a time.

    Use as a context manager (or call :meth:`close`) so the native graph is released.

    Args:
        model: ``"lite"``, ``"full"``, ``"heavy"`` or the path of a ``.task`` bundle.
        running_mode: ``"video"`` (tracking across frames; needs increasing ``t_ms``) or
            ``"image"`` (every frame on its own).
        num_poses: most people to detect; :class:`PoseFrame` keeps the first.
        min_pose_detection_confidence, min_pose_presence_confidence, min_tracking_confidence:
            MediaPipe's thresholds, each in [0, 1].
        output_segmentation: also return the person mask (``PoseFrame.mask``) and the trunk
            outline found on it (``PoseFrame.outline``, what the landmark cache keeps).
        progress: show progress if the model has to be fetched or built first.
    """

    def __init__(self, model: str | os.PathLike[str] = "lite", *, running_mode: str = "video",
                 num_poses: int = 1, min_pose_detection_confidence: float = 0.5,
                 min_pose_presence_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                 output_segmentation: bool = False, progress: bool = False) -> None:
        if running_mode not in RUNNING_MODES:
            raise ValueError(f"running_mode must be one of {RUNNING_MODES}, got {running_mode!r}")
        if int(num_poses) < 1:
            raise ValueError(f"num_poses must be >= 1, got {num_poses}")
        for name, value in (("min_pose_detection_confidence", min_pose_detection_confidence),
                            ("min_pose_presence_confidence", min_pose_presence_confidence),
                            ("min_tracking_confidence", min_tracking_confidence)):
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        self.model_path: Path = resolve_model(model, progress=progress)
        self.model_name: str = model_label(model)
        self.running_mode = running_mode
        self._settings = dict(
            num_poses=int(num_poses),
            min_pose_detection_confidence=float(min_pose_detection_confidence),
            min_pose_presence_confidence=float(min_pose_presence_confidence),
            min_tracking_confidence=float(min_tracking_confidence),
            output_segmentation_masks=bool(output_segmentation),
        )
        self._landmarker: Any = None
        self._last_source_t: int | None = None  # last t_ms as given by the caller
        self._last_fed_t: int | None = None  # last t_ms given to MediaPipe (after bumps)
        self.reset()

    # ------------------------------------------------------------------ lifecycle
    def reset(self) -> None:
        """Start afresh (new landmarker, no tracking state, timestamps may restart)."""
        from mediapipe.tasks.python import BaseOptions, vision

        self.close()
        mode = (vision.RunningMode.VIDEO if self.running_mode == "video"
                else vision.RunningMode.IMAGE)
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=mode, **self._settings)
        self._landmarker = vision.PoseLandmarker.create_from_options(options)
        self._last_source_t = None
        self._last_fed_t = None

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def __enter__(self) -> "PoseEstimator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ per frame
    def process(self, image_bgr: np.ndarray, t_ms: float, index: int = -1) -> PoseFrame:
        """Estimate the pose in one BGR frame taken at ``t_ms`` (milliseconds).

        Returns a :class:`PoseFrame` in pixels of ``image_bgr``; ``PoseFrame.empty`` (with a
        reason) when no person is found. In VIDEO mode the returned ``t_ms`` is the one given
        to MediaPipe: equal to the input except where a repeated timestamp was bumped.

        Raises:
            TimestampError: VIDEO mode and ``t_ms`` is earlier than the previous frame's.
            ValueError: the image is not an ``(H, W, 3)`` uint8 array.
        """
        import cv2

        image = _check_image(image_bgr, "BGR")
        return self.process_rgb(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), t_ms, index=index)

    def process_rgb(self, image_rgb: np.ndarray, t_ms: float, index: int = -1) -> PoseFrame:
        """:meth:`process` for a frame already in RGB order."""
        import mediapipe as mp

        rgb = np.ascontiguousarray(_check_image(image_rgb, "RGB"))
        return self.process_image(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), t_ms,
                                  index=index)

    def process_image(self, mp_image: Any, t_ms: float, index: int = -1) -> PoseFrame:
        """:meth:`process` for a frame already wrapped as an SRGB ``mediapipe.Image`` (batch
        work makes those in its decoding thread, so the model's thread only runs the model)."""
        if self._landmarker is None:
            raise RuntimeError("PoseEstimator is closed; create a new one or call reset()")
        width, height = mp_image.width, mp_image.height
        if self.running_mode == "image":
            result = self._landmarker.detect(mp_image)
            return _with_outline(PoseFrame.from_mediapipe(result, int(round(t_ms)), width,
                                                          height, index=index))
        fed = self._next_timestamp(int(round(t_ms)))
        result = self._landmarker.detect_for_video(mp_image, fed)
        return _with_outline(PoseFrame.from_mediapipe(result, fed, width, height, index=index))

    def _next_timestamp(self, t: int) -> int:
        if self._last_source_t is not None and t < self._last_source_t:
            raise TimestampError(
                f"frame timestamp went backwards ({t} ms after {self._last_source_t} ms); "
                "VIDEO mode needs increasing timestamps: call reset() before a new source")
        fed = t if self._last_fed_t is None or t > self._last_fed_t else self._last_fed_t + 1
        self._last_source_t, self._last_fed_t = t, fed
        return fed


def _with_outline(frame: PoseFrame) -> PoseFrame:
    """The frame with its trunk outline measured on its mask (unchanged without a mask)."""
    if frame.mask is None or frame.xy is None:
        return frame
    shoulder = (frame.xy[L.LEFT_SHOULDER] + frame.xy[L.RIGHT_SHOULDER]) / 2
    hip = (frame.xy[L.LEFT_HIP] + frame.xy[L.RIGHT_HIP]) / 2
    return replace(frame, outline=trunk_edges(frame.mask, shoulder, hip))


def _check_image(image: np.ndarray, order: str) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 {order} image, got shape {image.shape} "
                         f"dtype {image.dtype}")
    return image

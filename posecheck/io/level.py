"""The camera's roll of a video or photo: near-vertical line segments of the room, found with
OpenCV on a few frames, the person masked out, measured by
:class:`posecheck.core.level.CameraLevel` (the geometry and the conventions are there).

``camera_level(path, frames)`` reads :data:`SAMPLE_FRAMES` frames from the clip's first
seconds, finds edges (Canny) and straight segments
(probabilistic Hough) outside the person's box, and returns a :class:`CameraLevel` or None
when the picture has too few vertical edges to say (a plain backdrop, an outdoor field).
:class:`LevelWatch` does the same on the live page's set-up step, one frame a second.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from posecheck.core.level import CameraLevel, near_vertical

SAMPLE_FRAMES = 8          # frames read from a video (count)
SAMPLE_EVERY_S = 0.5       # s between them, from the clip's start
MIN_SEGMENT_SIDE = 0.12    # shortest segment, as a share of the picture's shorter side
CANNY_LOW, CANNY_HIGH = 50, 150   # Canny hysteresis thresholds (8-bit gradient units)
HOUGH_VOTES = 40           # accumulator votes a segment needs (edge pixels)
HOUGH_GAP_PX = 4           # pixels a segment may skip
PERSON_MARGIN = 0.15       # the person's box grows by this share of its size on each side,
PERSON_PAD_X = 0.05        # plus these shares of the picture's width and height (hair, loose
PERSON_PAD_Y = 0.08        # clothes and a mat's edge lie outside the landmarks)
EDGE_BORDER_PX = 3         # edge pixels ignored along the picture's border (its frame line)

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels


def camera_level(path: str | os.PathLike[str], frames: Sequence = ()) -> CameraLevel | None:
    """The camera's roll in ``path`` (a video or a photo). ``frames``: its pose frames; each
    sampled picture leaves out the box of the person in the pose frame nearest it."""
    images = _sample_images(Path(path))
    if not images:
        return None
    height, width = images[0][1].shape[:2]
    posed = [f for f in frames if f.has_pose]
    segs = [vertical_segments(im, person_box(_nearest(posed, index)))
            for index, im in images if im.shape[:2] == (height, width)]
    return CameraLevel.from_segments(np.concatenate(segs), width, height)


class LevelWatch:
    """The camera's roll while the page sets up: the vertical edges of one frame every
    ``every_ms`` (by the frames' timestamps), the last ``keep`` of them pooled.
    ``update(image, t_ms, person_box)`` once per frame returns the latest reading."""

    def __init__(self, every_ms: int = 1000, keep: int = SAMPLE_FRAMES) -> None:
        self.every_ms, self.keep = int(every_ms), int(keep)
        self._segments: list[np.ndarray] = []
        self._last_ms: int | None = None
        self._size: tuple[int, int] | None = None
        self.level: CameraLevel | None = None

    def update(self, image: np.ndarray, t_ms: int, person_box: Box | None = None
               ) -> CameraLevel | None:
        height, width = image.shape[:2]
        if self._size != (width, height):  # a new camera or size: start again
            self._segments, self._last_ms, self.level = [], None, None
            self._size = (width, height)
        if self._last_ms is not None and 0 <= t_ms - self._last_ms < self.every_ms:
            return self.level
        self._last_ms = int(t_ms)
        self._segments = (self._segments + [vertical_segments(image, person_box)])[-self.keep:]
        self.level = CameraLevel.from_segments(np.concatenate(self._segments), width, height)
        return self.level


def vertical_segments(image: np.ndarray, person_box: Box | None = None) -> np.ndarray:
    """``(N, 4)`` near-vertical segments ``x1, y1, x2, y2`` of a BGR picture."""
    import cv2

    h, w = image.shape[:2]
    gray = cv2.GaussianBlur(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (5, 5), 0)
    edges = cv2.Canny(gray, CANNY_LOW, CANNY_HIGH)
    b = EDGE_BORDER_PX
    edges[:b], edges[-b:], edges[:, :b], edges[:, -b:] = 0, 0, 0, 0
    if person_box is not None:
        x0, y0, x1, y1 = _grown(person_box, w, h)
        edges[y0:y1, x0:x1] = 0
    found = cv2.HoughLinesP(edges, 1, np.pi / 360, HOUGH_VOTES,
                            minLineLength=int(MIN_SEGMENT_SIDE * min(w, h)),
                            maxLineGap=HOUGH_GAP_PX)
    if found is None:
        return np.zeros((0, 4))
    seg = np.asarray(found, dtype=float).reshape(-1, 4)
    return seg[near_vertical(seg)]


def person_box(frame) -> Box | None:
    """The box around the landmarks of one pose frame (None without a pose)."""
    if frame is None or not frame.has_pose:
        return None
    pts = frame.xy[np.isfinite(frame.xy).all(axis=1)]
    if not len(pts):
        return None
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def _nearest(posed: Sequence, index: int):
    """The frame of ``posed`` (pose frames) whose source frame index is nearest ``index``."""
    if not posed:
        return None
    return min(posed, key=lambda f: abs(max(f.index, 0) - index))


def _grown(box: Box, w: int, h: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    mx = PERSON_MARGIN * (x1 - x0) + PERSON_PAD_X * w
    my = PERSON_MARGIN * (y1 - y0) + PERSON_PAD_Y * h
    return (int(max(0, x0 - mx)), int(max(0, y0 - my)), int(min(w, x1 + mx)),
            int(min(h, y1 + my)))


def _sample_images(path: Path) -> list[tuple[int, np.ndarray]]:
    """``(frame index, BGR picture)`` of :data:`SAMPLE_FRAMES` frames
    :data:`SAMPLE_EVERY_S` apart from the start of a video, or the one picture of a photo.
    Read in order, not by seeking: seeking decodes from the last key frame each time (about
    0.9 s for 8 frames of a 33 s phone clip against 0.1 s in order), and the camera does not
    move during a clip."""
    from posecheck.io.video import VideoInfo, iter_frames

    info = VideoInfo.from_path(path)
    step = 1 if info.is_image else max(1, round(SAMPLE_EVERY_S * info.fps))
    out = []
    frames = iter_frames(path, step=step)
    try:
        for index, _, img in frames:
            out.append((index, img))
            if len(out) >= SAMPLE_FRAMES:
                break
    finally:
        frames.close()
    return out


__all__ = ["LevelWatch", "camera_level", "person_box", "vertical_segments", "SAMPLE_FRAMES"]

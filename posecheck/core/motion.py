"""Body motion and stillness: a hold counts only while the body is still.

``BodyMotion.update(frame) -> float`` measures how much the body moved over a short trailing
window, in **body lengths per second**; :func:`still_code` turns that into still / moving /
unknown against the spec's ``[hold] max_motion``. The hold timer counts valid seconds only
while still (``posecheck.core.timer``), so reps, bouncing and walking into and out of a pose add
no hold time.

Convention:
    - The landmarks measured are the shoulders, hips, knees and ankles
      (:data:`MOTION_LANDMARKS`), each only while seen (visibility and presence at least the
      spec's thresholds); the other landmarks (face, hands, feet tips) move without the
      stretch changing.
    - A landmark's movement over the window is the diagonal of the box its positions span
      (pixels). The body's motion is the larger of two figures: the **median** over the
      measured joints (walking, marching, reps: most joints move; one jittery or mislabelled
      joint does not make a still body "moving") and the movement of the **hip centre**
      (the midpoint of the hips, counted while both are in the frame: a bridge or a bounce
      moves the pelvis while shoulders and feet stay put).
    - That extent is divided by the torso length (mid-shoulder to mid-hip, pixels, the median
      over the window) and by the window's real time span (frame timestamps), so the figure
      does not depend on the camera distance, the resolution or the frame rate.
    - The window is the trailing ``window_s`` seconds, ending at the current frame. Its
      motion is unknown (NaN) until it spans at least :data:`MIN_SPAN_FRACTION` of
      ``window_s`` of pose frames, or when fewer than :data:`MIN_LANDMARKS` joints were seen in
      two of its frames; a frame without a pose empties the window (the body is not seen).

Because the window is over frame timestamps and the same code runs in the live session and
the batch analysis, both give the same stillness for the same landmarks.

Example:
    >>> import numpy as np
    >>> from posecheck.core.pose import PoseFrame
    >>> xy = np.zeros((33, 2)); xy[[11, 12], 1] = 100.0; xy[[23, 24], 1] = 300.0
    >>> xy[[25, 26], 1] = 450.0; xy[[27, 28], 1] = 600.0
    >>> m = BodyMotion(StillnessSettings(max_motion=0.1, window_s=0.5))
    >>> vals = [m.update(PoseFrame(t_ms=33 * i, width=640, height=640, xy=xy)) for i in range(20)]
    >>> float(vals[-1]), still_code(vals[-1], 0.1)
    (0.0, 1)
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from posecheck.core import geometry as g
from posecheck.core.errors import check_number
from posecheck.core.pose import Landmark as L
from posecheck.core.pose import PoseFrame, VisibilitySettings

MOTION_LANDMARKS = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP,
                    L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE)
# Fewer joints than this seen over the window: the motion is unknown.
MIN_LANDMARKS = 3
# The window must hold pose frames over at least this share of window_s to be judged.
MIN_SPAN_FRACTION = 0.8

STILL, MOVING, UNKNOWN = 1, 0, -1


@dataclass(frozen=True)
class StillnessSettings:
    """How still a body must be for its hold to count (the spec's ``[hold]`` keys
    ``max_motion`` and ``motion_window_s``; a key left out keeps the default written here)."""

    # body lengths per second (see the module docstring); a window moving more is "moving".
    # None switches the rule off (every frame is still).
    max_motion: float | None = None
    window_s: float = 1.0  # s, the trailing window the motion is measured over
    # Hz: the hips swinging back and forth this often or more is bouncing, never a hold, however
    # small each swing (real held stretches with slow weight shifts: <= 0.7 Hz; a bounce or
    # pulsing rep: 1 Hz and up). None switches the rule off.
    max_bounce_hz: float | None = 0.8
    bounce_swing: float = 0.06  # torso lengths: a smaller turn of the hips is sway or jitter
    bounce_window_s: float = 3.0  # s, the trailing window the swings are counted over
    # The end of a hold (docs/TIMER.md, rule 4): the last seconds before a hold ended by
    # leaving count only while the body moved no more than during the hold: at most its
    # median motion plus the larger of edge_margin (body lengths/s) and edge_spread x (its
    # 90th percentile - its median).
    edge_margin: float = 0.05  # body lengths/s
    edge_spread: float = 2.0  # x the hold's own motion spread

    def __post_init__(self) -> None:
        if self.max_motion is not None:
            check_number("hold.max_motion", self.max_motion, positive=True,
                         unit="body lengths per second")
        check_number("hold.motion_window_s", self.window_s, positive=True, unit="seconds")
        if self.max_bounce_hz is not None:
            check_number("hold.max_bounce_hz", self.max_bounce_hz, positive=True, unit="Hz")
        check_number("hold.bounce_swing", self.bounce_swing, positive=True,
                     unit="torso lengths")
        check_number("hold.bounce_window_s", self.bounce_window_s, positive=True,
                     unit="seconds")

    @property
    def enabled(self) -> bool:
        return self.max_motion is not None


def _extent(pts: np.ndarray) -> float:
    """Diagonal of the bounding box of ``(M, 2)`` points (NaN for fewer than two)."""
    if len(pts) < 2:
        return math.nan
    return float(np.hypot(*(pts.max(axis=0) - pts.min(axis=0))))


def window_motion(t_ms: np.ndarray, xy: np.ndarray, seen: np.ndarray, torso: np.ndarray,
                  hip_centre: np.ndarray | None = None) -> float:
    """Motion over one window, body lengths per second (NaN when it cannot be judged).

    Args:
        t_ms: ``(N,)`` frame timestamps, increasing.
        xy: ``(N, K, 2)`` pixel positions of the K measured landmarks.
        seen: ``(N, K)`` bool, the landmark was seen in that frame.
        torso: ``(N,)`` torso lengths in pixels (NaN where unknown).
        hip_centre: ``(N, 2)`` midpoint of the hips in pixels (NaN rows where not in frame).

    The extent of each landmark is its bounding-box diagonal over the frames it was seen in
    (at least two); the larger of the median extent over landmarks and the hip centre's
    extent, divided by the median torso and by the time span of the window, is the result.
    """
    t = np.asarray(t_ms, dtype=np.float64)
    if len(t) < 2:
        return math.nan
    span_s = (t[-1] - t[0]) / 1000.0
    tor = np.asarray(torso, dtype=np.float64)
    tor = tor[np.isfinite(tor) & (tor > 0)]
    if span_s <= 0 or len(tor) == 0:
        return math.nan
    extents = [e for e in (_extent(xy[seen[:, k], k]) for k in range(xy.shape[1]))
               if math.isfinite(e)]
    if len(extents) < MIN_LANDMARKS:
        return math.nan
    moved = float(np.median(extents))
    if hip_centre is not None:
        hc = np.asarray(hip_centre, dtype=np.float64)
        hip = _extent(hc[np.isfinite(hc).all(axis=1)])
        if math.isfinite(hip):
            moved = max(moved, hip)
    return moved / float(np.median(tor)) / span_s


def swing_turns(x: np.ndarray, swing: float) -> int:
    """How often the 1-D track ``x`` turns back after moving at least ``swing`` one way.

    A turn counts when the track has come back by ``swing`` from its last extreme (hysteresis),
    so jitter smaller than ``swing`` never counts. NaN values are skipped.

    >>> swing_turns(np.array([0, 1, 0, 1, 0, 1.0]), 0.5), swing_turns(np.array([0, .1, 0, .1]), 0.5)
    (4, 0)
    """
    vals = np.asarray(x, dtype=np.float64)
    vals = vals[np.isfinite(vals)]
    turns, direction = 0, 0
    if len(vals) == 0:
        return 0
    low = high = extreme = float(vals[0])
    for v in vals[1:]:
        v = float(v)
        if direction == 0:  # not moving either way yet
            low, high = min(low, v), max(high, v)
            if v - low >= swing:
                direction, extreme = 1, v
            elif high - v >= swing:
                direction, extreme = -1, v
        elif (v - extreme) * direction > 0:
            extreme = v  # still going the same way
        elif abs(v - extreme) >= swing:
            turns, direction, extreme = turns + 1, -direction, v
    return turns


def bounce_rate(t_ms: np.ndarray, hips: np.ndarray, swing: float) -> float:
    """Back-and-forth swings per second of the hip centre over one window, in Hz.

    Args:
        t_ms: ``(N,)`` frame timestamps, increasing.
        hips: ``(N, 2)`` hip centre in torso lengths (NaN rows where not seen).
        swing: the smallest swing that counts, torso lengths.

    The turns of x and of y are counted apart (:func:`swing_turns`) and the larger taken; two
    turns make one cycle. NaN when the window spans no time.
    """
    t = np.asarray(t_ms, dtype=np.float64)
    if len(t) < 2 or t[-1] <= t[0]:
        return math.nan
    turns = max(swing_turns(hips[:, 0], swing), swing_turns(hips[:, 1], swing))
    return turns / 2.0 / ((t[-1] - t[0]) / 1000.0)


class BodyMotion:
    """The body's motion over a trailing window, one :meth:`update` per frame; ``bouncing``
    says whether the hips swing back and forth faster than ``max_bounce_hz`` (the hold does not
    count while they do, however small the swings)."""

    def __init__(self, settings: StillnessSettings = StillnessSettings(),
                 visibility: VisibilitySettings = VisibilitySettings()):
        self.settings = settings
        self.min_visibility = visibility.min_visibility
        self.min_presence = visibility.min_presence
        self._window_ms = int(round(self.settings.window_s * 1000))
        self._idx = np.array(MOTION_LANDMARKS, dtype=int)
        self.reset()

    def reset(self) -> None:
        self._buf: deque[tuple[int, np.ndarray, np.ndarray, float, np.ndarray]] = deque()
        self._hips: deque[tuple[int, np.ndarray, float]] = deque()  # t_ms, hip centre, torso px
        self.bouncing = False

    def update(self, frame: PoseFrame) -> float:
        """Add the frame; the motion of the window ending at it (NaN when unknown)."""
        if frame.xy is None:
            self._buf.clear()  # the body is not seen: stillness starts over
            self._hips.clear()
            self.bouncing = False
            return math.nan
        t = int(frame.t_ms)
        if self._buf and t <= self._buf[-1][0]:
            return self._last()  # repeated / out-of-order frame: nothing new
        xy = frame.xy[self._idx]
        seen = (np.isfinite(xy).all(axis=1)
                & (frame.visibility[self._idx] >= self.min_visibility)
                & (frame.presence[self._idx] >= self.min_presence))
        hips = frame.xy[[L.LEFT_HIP, L.RIGHT_HIP]]
        hips_in = (np.isfinite(hips).all() and bool(np.all(
            frame.presence[[L.LEFT_HIP, L.RIGHT_HIP]] >= self.min_presence)))
        centre = hips.mean(axis=0) if hips_in else np.full(2, np.nan)
        torso = float(g.torso_length(*g.trunk_centres(frame.xy)))
        self._buf.append((t, xy.copy(), seen, torso, centre))
        while self._buf and self._buf[0][0] < t - self._window_ms:
            self._buf.popleft()
        self._update_bounce(t, centre, torso)
        return self._last()

    def _update_bounce(self, t: int, centre: np.ndarray, torso: float) -> None:
        s = self.settings
        if s.max_bounce_hz is None:
            return
        self._hips.append((t, centre, torso))
        while self._hips and self._hips[0][0] < t - int(round(s.bounce_window_s * 1000)):
            self._hips.popleft()
        tor = np.array([h[2] for h in self._hips])
        tor = tor[np.isfinite(tor) & (tor > 0)]
        if len(tor) == 0:
            self.bouncing = False
            return
        # pixels over the window's median torso (a per-frame torso would scale the jitter in)
        hips = np.stack([h[1] for h in self._hips]) / float(np.median(tor))
        rate = bounce_rate(np.array([h[0] for h in self._hips]), hips, s.bounce_swing)
        self.bouncing = bool(rate >= s.max_bounce_hz)  # NaN (no span yet): not bouncing

    def _last(self) -> float:
        if not self._buf:
            return math.nan
        span_ms = self._buf[-1][0] - self._buf[0][0]
        if span_ms < MIN_SPAN_FRACTION * self._window_ms:
            return math.nan
        t = np.array([b[0] for b in self._buf])
        xy = np.stack([b[1] for b in self._buf])
        seen = np.stack([b[2] for b in self._buf])
        torso = np.array([b[3] for b in self._buf])
        centre = np.stack([b[4] for b in self._buf])
        return window_motion(t, xy, seen, torso, centre)


def still_code(motion: Any, max_motion: float | None) -> Any:
    """The stillness rule, scalar or array: 1 still (motion <= max_motion), 0 moving,
    -1 unknown (NaN motion). ``max_motion=None`` (the rule off): always still.

    The one home of the rule: the session applies it per frame and the tuning replay to a
    clip's whole motion trace.
    """
    m = np.asarray(motion, dtype=np.float64)
    if max_motion is None:
        out = np.full(m.shape, STILL, np.int8)
    else:
        out = np.where(np.isfinite(m), np.where(m <= max_motion, STILL, MOVING), UNKNOWN
                       ).astype(np.int8)
    return int(out) if out.ndim == 0 else out


def still_flag(code: int) -> bool | None:
    """A :func:`still_code` as the timer takes it: True / False / None (unknown)."""
    return None if code == UNKNOWN else code == STILL


__all__ = ["BodyMotion", "MOTION_LANDMARKS", "StillnessSettings", "still_code", "still_flag",
           "window_motion"]

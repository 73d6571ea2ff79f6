"""Landmark smoothing: a One Euro filter for live use and zero-phase filtering for batch use.

Live (:class:`PoseSmoother`): each frame goes through a One Euro filter (Casiez et al., 2012),
an adaptive low-pass whose cutoff rises with speed, so a still pose loses its jitter while a
moving limb lags little. It only looks backwards, so it can run frame by frame.

Batch (:func:`smooth_track`): the whole track is known, so short gaps are filled by linear
interpolation and each contiguous run is low-passed forwards and backwards (a second-order
Butterworth, :func:`filtfilt2`, the same filter as ``scipy.signal.sosfiltfilt`` with its
defaults, written out in numpy because importing scipy.signal costs about 1 s per process):
no lag at all, so a peak stays where it was.

Conventions:

- Time comes from the frames' own timestamps (``t_ms``), never the wall clock; irregular frame
  intervals are handled (the One Euro filter uses each frame's ``dt``; the batch filter
  resamples each run onto a uniform grid, filters, and samples back at the frame times).
- Only pixel ``xy`` is smoothed. ``z``, visibility and presence pass through (they are used as
  rough hints, not measured).
- Speeds for the One Euro ``beta`` are in **frame heights per second**, so the same settings
  behave alike at 480p and 1080p.
- A non-increasing timestamp is ignored by the filters (the previous estimate is returned).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from posecheck.core.errors import check_number
from posecheck.core.pose import PoseFrame

# Order of the batch Butterworth low-pass; filtering forwards and backwards doubles it
# (so -6 dB at the cutoff rather than -3 dB). A signal-processing constant, not a pose threshold.
BATCH_FILTER_ORDER = 2  # :func:`butter2` is this order's filter


# --------------------------------------------------------------------------- batch filter
def butter2(cutoff_hz: float, fs_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Second-order Butterworth low-pass ``(b, a)`` (``a[0] == 1``) for samples at ``fs_hz``.

    The analog prototype ``1 / (s^2 + sqrt(2) s + 1)`` through the bilinear transform, with
    the cutoff pre-warped so the digital filter is -3 dB exactly at ``cutoff_hz``.
    """
    if not 0.0 < cutoff_hz < 0.5 * fs_hz:
        raise ValueError(f"cutoff {cutoff_hz} Hz must be between 0 and half of {fs_hz} Hz")
    k = math.tan(math.pi * cutoff_hz / fs_hz)
    norm = 1.0 / (1.0 + math.sqrt(2.0) * k + k * k)
    b0 = k * k * norm
    b = np.array([b0, 2.0 * b0, b0])
    a = np.array([1.0, 2.0 * (k * k - 1.0) * norm, (1.0 - math.sqrt(2.0) * k + k * k) * norm])
    return b, a


def _biquad(b: np.ndarray, a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Run one second-order section along axis 0 of ``x`` (transposed direct form II), its
    state started where a constant input equal to ``x[0]`` would have left it."""
    b0, b1, b2 = b
    _, a1, a2 = a
    gain = (b0 + b1 + b2) / (1.0 + a1 + a2)  # response to a constant 1
    z2 = (b2 - a2 * gain) * x[0]
    z1 = (b1 - a1 * gain) * x[0] + z2
    y = np.empty_like(x)
    for n in range(len(x)):
        xn = x[n]
        yn = b0 * xn + z1
        z1 = b1 * xn - a1 * yn + z2
        z2 = b2 * xn - a2 * yn
        y[n] = yn
    return y


def filtfilt2(b: np.ndarray, a: np.ndarray, x: np.ndarray, padlen: int) -> np.ndarray:
    """Zero-phase filtering of ``x`` (samples along axis 0) by one second-order section:
    odd extension of ``padlen`` samples at both ends, forwards, backwards, extension cut."""
    n = len(x)
    if padlen >= n:
        raise ValueError(f"padlen {padlen} must be shorter than the signal ({n} samples)")
    if padlen > 0:
        head = 2.0 * x[0] - x[padlen:0:-1]
        tail = 2.0 * x[-1] - x[-2:-padlen - 2:-1]
        x = np.concatenate([head, x, tail])
    y = _biquad(b, a, x)
    y = _biquad(b, a, y[::-1])[::-1]
    return y[padlen:len(y) - padlen] if padlen > 0 else y


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class SmoothingSettings:
    """Landmark smoothing (the spec's ``[smoothing]`` table; a key left out keeps the default
    written here). Live: the One Euro filter on pixel xy; batch: the zero-phase low-pass."""

    one_euro_min_cutoff_hz: float = 1.0  # Hz, cutoff at rest: lower = steadier, more lag
    one_euro_beta: float = 5.0           # Hz per (frame heights/s): cutoff opening with speed
    one_euro_d_cutoff_hz: float = 1.0    # Hz, cutoff of the speed estimate itself
    batch_cutoff_hz: float = 3.0         # Hz, zero-phase low-pass cutoff over a whole track
    # s, longest run of pose-less frames that is bridged (batch: interpolated; live: the filter
    # carries on); longer gaps restart the filter / stay empty
    max_gap_s: float = 0.5

    def __post_init__(self) -> None:
        for name in ("one_euro_min_cutoff_hz", "one_euro_d_cutoff_hz", "batch_cutoff_hz"):
            check_number(f"smoothing.{name}", getattr(self, name), positive=True, unit="Hz")
        check_number("smoothing.one_euro_beta", self.one_euro_beta)
        check_number("smoothing.max_gap_s", self.max_gap_s, unit="seconds")


# --------------------------------------------------------------------------- One Euro
def _alpha(cutoff_hz: np.ndarray | float, dt_s: float) -> np.ndarray | float:
    """Smoothing factor of a first-order low-pass with this cutoff over a step of dt_s.

    The exact form ``1 - exp(-dt / tau)`` rather than the paper's ``1 / (1 + tau / dt)``: they
    agree for small steps, and the exact one gives the same result for one long step as for
    several short ones, which matters with irregular frame intervals.
    """
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return -np.expm1(-dt_s / tau)


class OneEuroFilter:
    """One Euro filter, applied element-wise to arrays of any (fixed) shape.

    ``update(t_s, x)`` takes the sample's own time in seconds, so irregular frame intervals are
    handled. Non-finite input elements give NaN out and leave that element's state untouched;
    an element whose state is NaN restarts from the next finite sample.
    """

    def __init__(self, min_cutoff_hz: float = 1.0, beta: float = 0.0,
                 d_cutoff_hz: float = 1.0) -> None:
        if not min_cutoff_hz > 0 or not d_cutoff_hz > 0:
            raise ValueError(f"OneEuroFilter cutoffs must be > 0 Hz, got min_cutoff_hz="
                             f"{min_cutoff_hz}, d_cutoff_hz={d_cutoff_hz}")
        if not beta >= 0:
            raise ValueError(f"OneEuroFilter beta must be >= 0, got {beta}")
        self.min_cutoff_hz = float(min_cutoff_hz)
        self.beta = float(beta)
        self.d_cutoff_hz = float(d_cutoff_hz)
        self.reset()

    def reset(self) -> None:
        """Forget the past: the next sample is passed through and starts the filter."""
        self._t: float | None = None
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None

    @property
    def started(self) -> bool:
        return self._x is not None

    def update(self, t_s: float, x: np.ndarray) -> np.ndarray:
        """Filter one sample taken at time ``t_s`` (seconds); returns the estimate (a copy)."""
        x = np.asarray(x, dtype=np.float64)
        finite = np.isfinite(x)
        if self._x is None or self._x.shape != x.shape:
            self._t = float(t_s)
            self._x = x.copy()
            self._dx = np.zeros_like(x)
            return x.copy()
        dt = float(t_s) - self._t
        if not dt > 0:  # repeated or out-of-order timestamp: keep the last estimate
            return np.where(finite, self._x, np.nan)
        prev = self._x
        with np.errstate(invalid="ignore"):
            dx = (x - prev) / dt
            dx_hat = self._dx + _alpha(self.d_cutoff_hz, dt) * (dx - self._dx)
            cutoff = self.min_cutoff_hz + self.beta * np.abs(dx_hat)
            x_hat = prev + _alpha(cutoff, dt) * (x - prev)
        fresh = finite & ~np.isfinite(prev)  # element (re)starts: take the sample as it is
        self._x = np.where(fresh, x, np.where(finite, x_hat, prev))
        self._dx = np.where(fresh, 0.0, np.where(finite, dx_hat, self._dx))
        self._t = float(t_s)
        return np.where(finite, self._x, np.nan)


class PoseSmoother:
    """Live smoothing of a stream of :class:`PoseFrame`: one ``update`` per frame.

    Frames without a pose pass through unchanged. When the time since the last pose exceeds
    ``max_gap_s`` the filter restarts, so a person who reappears elsewhere is not dragged from
    the old position.
    """

    def __init__(self, settings: SmoothingSettings = SmoothingSettings()) -> None:
        self.settings = settings
        s = self.settings
        self._filter = OneEuroFilter(s.one_euro_min_cutoff_hz, s.one_euro_beta,
                                     s.one_euro_d_cutoff_hz)
        self._last_pose_t_s: float | None = None

    def reset(self) -> None:
        self._filter.reset()
        self._last_pose_t_s = None

    def update(self, frame: PoseFrame) -> PoseFrame:
        if not frame.has_pose:
            return frame
        t_s = frame.t_ms / 1000.0
        if (self._last_pose_t_s is not None
                and t_s - self._last_pose_t_s > self.settings.max_gap_s):
            self._filter.reset()
        self._last_pose_t_s = t_s
        # Filter in frame heights so beta's speed unit does not depend on the resolution.
        scale = float(frame.height)
        xy = self._filter.update(t_s, frame.xy / scale) * scale
        return frame.with_xy(xy)


# --------------------------------------------------------------------------- batch
def _interp_rows(t: np.ndarray, y: np.ndarray, tq: np.ndarray) -> np.ndarray:
    """Linear interpolation of the rows of ``y`` (shape ``(n, k)``, sampled at increasing
    ``t``) at times ``tq``; constant beyond the ends."""
    if len(t) == 1:
        return np.repeat(y[:1], len(tq), axis=0)
    i = np.clip(np.searchsorted(t, tq, side="right") - 1, 0, len(t) - 2)
    span = t[i + 1] - t[i]
    w = np.divide(tq - t[i], span, out=np.zeros_like(tq, dtype=np.float64), where=span > 0)
    w = np.clip(w, 0.0, 1.0)[:, None]
    return y[i] * (1.0 - w) + y[i + 1] * w


def _fill_gaps(frames: Sequence[PoseFrame], max_gap_s: float) -> list[PoseFrame]:
    """Give pose-less frames a linearly interpolated pose when the pose frames on either side
    are at most ``max_gap_s`` apart. Filled frames keep their own timestamps and index; their
    visibility and presence are the minimum of the two neighbours (we did not see them)."""
    out = list(frames)
    pose_idx = [i for i, f in enumerate(frames) if f.has_pose]
    for a, b in zip(pose_idx, pose_idx[1:]):
        if b - a < 2:
            continue
        fa, fb = frames[a], frames[b]
        span_ms = fb.t_ms - fa.t_ms
        if span_ms <= 0 or span_ms > max_gap_s * 1000.0:
            continue
        vis = np.minimum(fa.visibility, fb.visibility)
        pres = np.minimum(fa.presence, fb.presence)
        for i in range(a + 1, b):
            f = frames[i]
            w = min(max((f.t_ms - fa.t_ms) / span_ms, 0.0), 1.0)
            world = None
            if fa.world is not None and fb.world is not None:
                world = fa.world * (1 - w) + fb.world * w
            out[i] = PoseFrame(t_ms=f.t_ms, width=f.width, height=f.height,
                               xy=fa.xy * (1 - w) + fb.xy * w, z=fa.z * (1 - w) + fb.z * w,
                               visibility=vis.copy(), presence=pres.copy(), world=world,
                               index=f.index)
    return out


def _median_interval_s(frames: Sequence[PoseFrame]) -> float | None:
    t = np.array([f.t_ms for f in frames], dtype=np.float64)
    d = np.diff(t)
    d = d[d > 0]
    return float(np.median(d)) / 1000.0 if d.size else None


def _lowpass_run(t_s: np.ndarray, xy: np.ndarray, cutoff_hz: float, step_s: float) -> np.ndarray:
    """Zero-phase low-pass of one contiguous run: ``xy`` is ``(n, 33, 2)`` at times ``t_s``.

    The run is resampled onto a uniform grid of ``step_s`` (the track's median frame interval),
    filtered forwards and backwards, and sampled back at the original times. Runs too short for
    the filter's edge padding get a shorter padding; runs under 3 samples are returned as-is.
    """
    n = len(t_s)
    fs = 1.0 / step_s
    if n < 3 or cutoff_hz >= 0.5 * fs:  # nothing to remove below Nyquist
        return xy
    flat = xy.reshape(n, -1)
    grid = np.arange(t_s[0], t_s[-1] + 0.5 * step_s, step_s)
    if len(grid) < 3:
        return xy
    b, a = butter2(cutoff_hz, fs)
    # scipy's default padding for one section: 3 * (2 * 1 + 1) samples; shorter runs pad what
    # they can.
    padlen = min(9, len(grid) - 1)
    on_grid = _interp_rows(t_s, flat, grid)
    cols = np.isfinite(on_grid).all(axis=0)  # a column with NaN is left unsmoothed
    smoothed = on_grid.copy()
    smoothed[:, cols] = filtfilt2(b, a, on_grid[:, cols], padlen)
    back = _interp_rows(grid, smoothed, t_s)
    back[:, ~cols] = flat[:, ~cols]
    return back.reshape(xy.shape)


def smooth_track(frames: Sequence[PoseFrame],
                 settings: SmoothingSettings = SmoothingSettings()) -> list[PoseFrame]:
    """Zero-phase smoothing of a whole track (batch analysis).

    1. Pose-less frames between two pose frames at most ``max_gap_s`` apart get an interpolated
       pose (visibility = min of the neighbours); longer gaps stay empty.
    2. Each contiguous run of pose frames is low-passed at ``batch_cutoff_hz`` with a
       forward-backward Butterworth filter on the track's median frame interval.

    Returns a new list of the same length; timestamps, indices and empty frames are kept.
    """
    s = settings
    filled = _fill_gaps(frames, s.max_gap_s)
    step_s = _median_interval_s(filled)
    if step_s is None:
        return filled
    out = list(filled)
    i, n = 0, len(filled)
    while i < n:
        if not filled[i].has_pose:
            i += 1
            continue
        j = i
        while j < n and filled[j].has_pose:
            j += 1
        run = filled[i:j]
        t_s = np.array([f.t_ms for f in run], dtype=np.float64) / 1000.0
        xy = np.stack([f.xy for f in run])
        smoothed = _lowpass_run(t_s, xy, s.batch_cutoff_hz, step_s)
        for k, f in enumerate(run):
            out[i + k] = f.with_xy(smoothed[k])
        i = j
    return out

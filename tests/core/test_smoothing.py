"""Smoothing: One Euro filter, live PoseSmoother, zero-phase smooth_track with gap filling."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.core import smoothing
from posecheck.core.errors import SettingError
from posecheck.core.pose import NUM_LANDMARKS, PoseFrame
from posecheck.core.smoothing import OneEuroFilter, PoseSmoother, SmoothingSettings, smooth_track

W, H = 640, 480


def pose(t_ms: int, x: float = 100.0, y: float = 200.0, vis: float = 1.0,
         index: int = -1) -> PoseFrame:
    """A frame whose 33 landmarks all sit at (x + k, y + k) for landmark k."""
    k = np.arange(NUM_LANDMARKS, dtype=np.float64)
    xy = np.column_stack([x + k, y + k])
    return PoseFrame(t_ms=t_ms, width=W, height=H, xy=xy, visibility=np.full(33, vis),
                     index=index)


def empty(t_ms: int, index: int = -1) -> PoseFrame:
    return PoseFrame.empty(t_ms, W, H, index=index)


# ------------------------------------------------------------------ One Euro
def test_one_euro_constant_input_stays_constant():
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.5, d_cutoff_hz=1.0)
    x = np.array([[3.0, -7.5], [100.0, 0.0]])
    outs = [f.update(i / 30, x) for i in range(60)]
    assert all(np.allclose(o, x) for o in outs)


def test_one_euro_step_converges_and_moves_monotonically():
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.0)
    f.update(0.0, np.array([0.0]))
    ys = [float(f.update(i / 30, np.array([10.0]))[0]) for i in range(1, 120)]
    assert 0 < ys[0] < 10  # lags: does not jump to the step
    assert all(b >= a for a, b in zip(ys, ys[1:]))
    assert ys[-1] == pytest.approx(10.0, abs=1e-3)


def test_one_euro_beta_reduces_lag_on_fast_moves():
    slow = OneEuroFilter(min_cutoff_hz=0.5, beta=0.0)
    fast = OneEuroFilter(min_cutoff_hz=0.5, beta=1.0)
    for i in range(31):  # a ramp of 100 units/s
        x = np.array([100.0 * i / 30])
        a, b = slow.update(i / 30, x), fast.update(i / 30, x)
    assert abs(100.0 - b[0]) < abs(100.0 - a[0])


def test_one_euro_reduces_noise_variance():
    rng = np.random.default_rng(0)
    noise = rng.normal(0.0, 2.0, size=(300, 33, 2))
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.0)
    out = np.stack([f.update(i / 30, 50.0 + noise[i]) for i in range(300)])
    assert out[30:].var() < 0.25 * noise[30:].var()


def test_one_euro_uses_the_timestamps_not_the_sample_count():
    # A held input: one step of 0.1 s and three of 0.0333 s reach the same place.
    a = OneEuroFilter(min_cutoff_hz=1.0, beta=0.0)
    b = OneEuroFilter(min_cutoff_hz=1.0, beta=0.0)
    a.update(0.0, np.array([0.0]))
    b.update(0.0, np.array([0.0]))
    ya = a.update(0.1, np.array([10.0]))[0]
    for t in (1 / 30, 2 / 30, 0.1):
        yb = b.update(t, np.array([10.0]))[0]
    assert 0 < ya < 10 and yb == pytest.approx(ya, rel=1e-9)
    # Irregular intervals converge like regular ones.
    c = OneEuroFilter(min_cutoff_hz=1.0, beta=0.0)
    c.update(0.0, np.array([0.0]))
    t = 0.0
    for dt in [0.01, 0.2, 0.03, 0.09, 0.5, 0.02, 0.3, 1.0, 0.05, 2.0]:
        t += dt
        yc = c.update(t, np.array([10.0]))[0]
    assert yc == pytest.approx(10.0, abs=0.01)


def test_one_euro_repeated_timestamp_returns_last_estimate():
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.0)
    f.update(0.0, np.array([0.0]))
    y = f.update(0.1, np.array([10.0]))
    assert np.array_equal(f.update(0.1, np.array([99.0])), y)
    assert np.array_equal(f.update(0.05, np.array([99.0])), y)


def test_one_euro_nan_elements_pass_as_nan_and_keep_state():
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.0)
    f.update(0.0, np.array([1.0, 2.0]))
    out = f.update(0.1, np.array([np.nan, 2.0]))
    assert np.isnan(out[0]) and out[1] == pytest.approx(2.0)
    assert f.update(0.2, np.array([1.0, 2.0]))[0] == pytest.approx(1.0)


def test_one_euro_rejects_bad_parameters():
    with pytest.raises(ValueError, match="cutoff"):
        OneEuroFilter(min_cutoff_hz=0.0)
    with pytest.raises(ValueError, match="beta"):
        OneEuroFilter(beta=-1.0)


# ------------------------------------------------------------------ PoseSmoother
def test_pose_smoother_passes_empty_frames_and_keeps_metadata():
    sm = PoseSmoother(SmoothingSettings())
    e = empty(0)
    assert sm.update(e) is e
    out = sm.update(pose(33, index=4))
    assert out.index == 4 and out.t_ms == 33 and out.has_pose


def test_pose_smoother_smooths_jitter():
    rng = np.random.default_rng(1)
    sm = PoseSmoother(SmoothingSettings(one_euro_min_cutoff_hz=1.0, one_euro_beta=0.0))
    raw, out = [], []
    for i in range(150):
        f = pose(i * 33)
        f = f.with_xy(f.xy + rng.normal(0, 3.0, size=(33, 2)))
        raw.append(f.xy)
        out.append(sm.update(f).xy)
    assert np.var(np.array(out[30:]), axis=0).mean() < 0.3 * np.var(np.array(raw[30:]),
                                                                     axis=0).mean()


def test_pose_smoother_restarts_after_a_long_gap():
    sm = PoseSmoother(SmoothingSettings(one_euro_min_cutoff_hz=0.5, one_euro_beta=0.0,
                                       max_gap_s=0.5))
    for i in range(30):
        sm.update(pose(i * 33, x=100.0))
    # Short gap: the filter carries on and lags towards the new place.
    lagging = sm.update(pose(30 * 33 + 300, x=300.0))
    assert lagging.xy[0, 0] < 299.0
    sm.reset()
    for i in range(30):
        sm.update(pose(i * 33, x=100.0))
    jumped = sm.update(pose(30 * 33 + 2000, x=300.0))  # 2 s later: starts afresh
    assert jumped.xy[0, 0] == pytest.approx(300.0)


@pytest.mark.parametrize("bad, field", [
    (dict(batch_cutoff_hz=0.0), "batch_cutoff_hz"), (dict(one_euro_min_cutoff_hz=-1.0),
                                                     "one_euro_min_cutoff_hz"),
    (dict(one_euro_d_cutoff_hz=float("inf")), "one_euro_d_cutoff_hz"),
    (dict(one_euro_beta=-0.1), "one_euro_beta"), (dict(max_gap_s=-0.5), "max_gap_s"),
])
def test_bad_smoothing_settings_name_the_field(bad, field):
    with pytest.raises(SettingError, match=field) as info:
        SmoothingSettings(**bad)
    assert info.value.field == f"smoothing.{field}"


def test_zero_beta_and_zero_gap_are_allowed():
    s = SmoothingSettings(one_euro_beta=0.0, max_gap_s=0.0)
    assert PoseSmoother(s).settings is s


# ------------------------------------------------------------------ smooth_track
def _sine_track(fps: float = 30.0, seconds: float = 4.0, freq: float = 0.5, amp: float = 50.0,
                noise: float = 0.0, seed: int = 0) -> list[PoseFrame]:
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(int(seconds * fps)):
        t_ms = int(round(i * 1000 / fps))
        x = 300.0 + amp * np.sin(2 * np.pi * freq * t_ms / 1000.0)
        f = pose(t_ms, x=x, index=i)
        if noise:
            f = f.with_xy(f.xy + rng.normal(0, noise, size=(33, 2)))
        frames.append(f)
    return frames


def test_smooth_track_is_zero_phase_sine_peak_does_not_move():
    frames = _sine_track(noise=2.0)
    out = smooth_track(frames, SmoothingSettings(batch_cutoff_hz=3.0))
    x_in = np.array([300.0 + 50 * np.sin(2 * np.pi * 0.5 * f.t_ms / 1000) for f in frames])
    x_out = np.array([f.xy[0, 0] for f in out])
    # Peak of the 0.5 Hz sine at t = 0.5 s (and 2.5 s): the smoothed peak is within a frame.
    for lo, hi in [(0, 60), (60, 120)]:
        assert abs(np.argmax(x_out[lo:hi]) - np.argmax(x_in[lo:hi])) <= 1
    noisy = np.array([f.xy[0, 0] for f in frames])
    assert np.abs(x_out - x_in).mean() < 0.5 * np.abs(noisy - x_in).mean()


def test_smooth_track_keeps_a_still_pose_still():
    frames = [pose(i * 33) for i in range(40)]
    out = smooth_track(frames)
    assert all(np.allclose(o.xy, f.xy) for o, f in zip(out, frames))


def test_smooth_track_fills_short_gaps_by_interpolation():
    frames = [pose(i * 100, x=100.0 + 10 * i, vis=0.9 if i == 3 else 1.0, index=i)
              for i in range(10)]
    frames[4] = empty(400, index=4)
    frames[5] = empty(500, index=5)
    out = smooth_track(frames, SmoothingSettings(max_gap_s=0.5, batch_cutoff_hz=4.9))
    assert all(f.has_pose for f in out)
    assert [f.t_ms for f in out] == [f.t_ms for f in frames]
    assert [f.index for f in out] == list(range(10))
    assert out[4].visibility[0] == pytest.approx(0.9)  # min of the neighbours
    assert out[4].xy[0, 0] == pytest.approx(140.0, abs=1.0)  # on the line


def test_smooth_track_leaves_long_gaps_empty():
    frames = [pose(i * 100) for i in range(5)]
    frames += [empty(500 + i * 100) for i in range(10)]  # 1.1 s between poses
    frames += [pose(1500 + i * 100) for i in range(5)]
    out = smooth_track(frames, SmoothingSettings(max_gap_s=0.5))
    assert [f.has_pose for f in out] == [f.has_pose for f in frames]


def test_smooth_track_handles_short_runs_and_edge_cases():
    assert smooth_track([]) == []
    assert smooth_track([empty(0), empty(33)])[1].has_pose is False
    one = smooth_track([pose(0)])
    assert np.allclose(one[0].xy, pose(0).xy)
    frames = [pose(0), pose(33, x=110.0), empty(2000), pose(4000), pose(4033, x=90.0),
              pose(4066), pose(4100, x=105.0)]
    out = smooth_track(frames)
    assert [f.has_pose for f in out] == [True, True, False, True, True, True, True]
    assert all(np.all(np.isfinite(f.xy)) for f in out if f.has_pose)


def test_smooth_track_irregular_frame_times_are_resampled():
    # Frames at jittered times along a straight line stay on that line.
    rng = np.random.default_rng(2)
    t = np.cumsum(rng.integers(20, 60, size=60))
    frames = [pose(int(ti), x=100.0 + 0.05 * ti) for ti in t]
    out = smooth_track(frames, SmoothingSettings(batch_cutoff_hz=2.0))
    err = [abs(o.xy[0, 0] - (100.0 + 0.05 * o.t_ms)) for o in out]
    assert max(err[5:-5]) < 0.5


# ---------------------------------------------------------------------------- the batch filter
# scipy is a test dependency only: these pin our numpy Butterworth to scipy's reference.
@pytest.mark.parametrize("cutoff_hz, fs_hz", [(3.0, 30.0), (1.0, 29.97), (6.0, 25.0), (11.0, 24.0)])
def test_butter2_matches_scipy(cutoff_hz, fs_hz):
    from scipy import signal

    b, a = smoothing.butter2(cutoff_hz, fs_hz)
    ref_b, ref_a = signal.butter(2, cutoff_hz, btype="low", fs=fs_hz)
    np.testing.assert_allclose(b, ref_b, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(a, ref_a, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("n, padlen", [(200, 9), (10, 9), (4, 3), (3, 2), (50, 0)])
def test_filtfilt2_matches_scipy_sosfiltfilt(n, padlen):
    from scipy import signal

    rng = np.random.default_rng(n)
    x = np.cumsum(rng.normal(size=(n, 6)), axis=0) + 100.0
    b, a = smoothing.butter2(2.5, 30.0)
    sos = signal.butter(2, 2.5, btype="low", fs=30.0, output="sos")
    ours = smoothing.filtfilt2(b, a, x, padlen)
    ref = signal.sosfiltfilt(sos, x, axis=0, padlen=padlen)
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-9)


def test_butter2_rejects_a_cutoff_above_nyquist():
    with pytest.raises(ValueError, match="half"):
        smoothing.butter2(20.0, 30.0)

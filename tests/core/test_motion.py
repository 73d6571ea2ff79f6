"""motion.py and the stillness rule through the session and the tuning replay (pure layer)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from factories import make_pose
from posecheck.core.analysis import analyze_frames
from posecheck.core.errors import SettingError
from posecheck.core.motion import (MIN_SPAN_FRACTION, MOTION_LANDMARKS, BodyMotion, StillnessSettings,
                              bounce_rate, still_code, still_flag, swing_turns, window_motion)
from posecheck.core.pose import Landmark as L
from posecheck.core.pose import PoseFrame, VisibilitySettings
from posecheck.core.session import StretchSession
from posecheck.specs.parse import load_spec
from posecheck.tuning.replay import replay
from posecheck.tuning.trace import ClipTrace

FPS = 30.0
TORSO_PX = 150.0  # make_pose scale: pixels per torso length


def _frames(n: int, *, bounce: float = 0.0, period_s: float = 2.5, jitter: float = 0.0,
            seed: int = 0, stretch: str = "deep_lunge") -> list[PoseFrame]:
    """``n`` frames of one pose whose centre bobs up and down by ``bounce`` torso lengths
    (peak to peak, like reps or bouncing), with Gaussian landmark noise of ``jitter`` torso
    lengths (standard deviation, per coordinate and frame)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        t = i / FPS
        dy = 0.5 * bounce * TORSO_PX * math.sin(2 * math.pi * t / period_s)
        f = make_pose(stretch, scale=TORSO_PX, center=(640.0, 360.0 + dy),
                      t_ms=int(round(t * 1000)), index=i)
        if jitter:
            xy = f.xy + rng.normal(0.0, jitter * TORSO_PX, f.xy.shape)
            f = replace(f, xy=xy)
        out.append(f)
    return out


def _motions(frames, settings=StillnessSettings(max_motion=0.15, window_s=1.0)):
    m = BodyMotion(settings)
    return np.array([m.update(f) for f in frames])


# ---------------------------------------------------------------------------- known values
def test_a_still_pose_has_zero_motion_once_the_window_is_full() -> None:
    m = _motions(_frames(60))
    first_known = int(np.argmax(np.isfinite(m)))
    assert first_known / FPS == pytest.approx(MIN_SPAN_FRACTION * 1.0, abs=1.5 / FPS)
    assert np.all(np.isnan(m[:first_known]))
    assert np.allclose(m[first_known:], 0.0)


def test_a_steady_drift_reads_its_speed_in_body_lengths_per_second() -> None:
    # every landmark moves 0.3 torso lengths per second to the right
    speed = 0.3
    frames = [make_pose("deep_lunge", scale=TORSO_PX, t_ms=int(i * 1000 / FPS),
                        center=(300.0 + speed * TORSO_PX * i / FPS, 360.0)) for i in range(60)]
    m = _motions(frames)
    assert m[-1] == pytest.approx(speed, rel=0.02)


def test_the_figure_does_not_depend_on_camera_distance_or_frame_rate() -> None:
    def drift(scale: float, fps: float) -> float:
        frames = [make_pose("deep_lunge", scale=scale, t_ms=int(round(i * 1000 / fps)),
                            center=(300.0 + 0.2 * scale * i / fps, 360.0))
                  for i in range(int(2 * fps))]
        return float(_motions(frames)[-1])

    assert drift(100.0, 30.0) == pytest.approx(drift(250.0, 10.0), rel=0.05)


def test_the_hip_centre_catches_a_pelvis_only_movement() -> None:
    # shoulders, knees and ankles still, the hips rising and falling (a bridge rep)
    n = 31
    t = np.arange(n) * 1000 / FPS
    xy = np.zeros((n, len(MOTION_LANDMARKS), 2))
    xy[:, :, 0] = np.arange(len(MOTION_LANDMARKS)) * 50.0
    lift = 40.0 * np.sin(np.linspace(0, math.pi, n))
    hips = [MOTION_LANDMARKS.index(L.LEFT_HIP), MOTION_LANDMARKS.index(L.RIGHT_HIP)]
    xy[:, hips, 1] -= lift[:, None]
    seen = np.ones((n, len(MOTION_LANDMARKS)), bool)
    torso = np.full(n, 100.0)
    centre = xy[:, hips].mean(axis=1)
    assert window_motion(t, xy, seen, torso) == 0.0  # the joints' median misses it
    assert window_motion(t, xy, seen, torso, centre) == pytest.approx(0.4, rel=0.02)


def test_too_few_joints_seen_is_unknown() -> None:
    frames = _frames(40)
    hidden = [replace(f, visibility=np.full(33, 0.1)) for f in frames]
    assert np.all(np.isnan(_motions(hidden)))


def test_a_frame_without_a_pose_starts_the_window_over() -> None:
    frames = _frames(60)
    frames[40] = PoseFrame.empty(frames[40].t_ms, 1280, 720)
    m = _motions(frames)
    assert np.isfinite(m[39]) and np.all(np.isnan(m[40:40 + int(MIN_SPAN_FRACTION * FPS)]))


def test_still_code_scalar_and_array_forms_agree() -> None:
    values = np.array([0.0, 0.1, 0.15, 0.2, math.nan])
    arr = still_code(values, 0.15)
    assert arr.tolist() == [1, 1, 1, 0, -1]
    assert [still_code(v, 0.15) for v in values] == arr.tolist()
    assert still_code(values, None).tolist() == [1] * 5
    assert [still_flag(c) for c in arr] == [True, True, True, False, None]


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="max_motion"):
        StillnessSettings(max_motion=0.0)
    with pytest.raises(ValueError, match="motion_window_s"):
        StillnessSettings(max_motion=0.1, window_s=-1)
    with pytest.raises(SettingError, match="max_motion"):
        StillnessSettings(max_motion=float("inf"))
    assert not StillnessSettings().enabled and StillnessSettings(max_motion=0.2).enabled


def test_visibility_thresholds_decide_which_joints_are_measured() -> None:
    # the knees and ankles drift (0.6 torso lengths/s) but are barely visible: with the default
    # thresholds they are left out and the body reads still; with looser ones it moves (half
    # the joints drift, so the median joint reads about half their speed)
    frames = []
    for f in _frames(60):
        xy, vis = f.xy.copy(), f.visibility.copy()
        legs = [L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE]
        xy[legs, 0] += 0.6 * TORSO_PX * f.t_ms / 1000.0
        vis[legs] = 0.3
        frames.append(replace(f, xy=xy, visibility=vis))
    settings = StillnessSettings(max_motion=0.15, window_s=1.0)
    strict = BodyMotion(settings, VisibilitySettings())
    loose = BodyMotion(settings, VisibilitySettings(min_visibility=0.2))
    assert np.nanmax([strict.update(f) for f in frames]) == pytest.approx(0.0, abs=1e-9)
    assert np.nanmax([loose.update(f) for f in frames]) > 0.2


# ---------------------------------------------------------------------------- through the session
def _valid_s(frames, spec_id: str = "deep_lunge", spec=None) -> float:
    spec = spec or load_spec(spec_id)
    session = StretchSession(spec, smoothing="none")
    reports = [session.update(f) for f in frames]
    return reports[-1].hold.session_valid_s, reports


def test_bouncing_like_reps_adds_no_hold_time() -> None:
    # 10 s of the same good lunge, the body bobbing 0.4 torso lengths every 2.5 s
    frames = _frames(300, bounce=0.4)
    spec = load_spec("deep_lunge")
    valid, reports = _valid_s(frames, spec=spec)
    assert all(r.in_pose for r in reports[30:])  # the geometry stays in position throughout
    assert valid == 0.0
    moving = [r for r in reports if r.in_pose and r.still is False]
    assert moving and all(r.reason == "moving" for r in moving)
    assert any(r.cue is not None and r.cue.id == "hold_still" for r in moving)
    # the same frames without the stillness rule count (the rule is what stops them)
    loose = replace(spec, hold=replace(spec.hold, stillness=StillnessSettings()))
    assert _valid_s(frames, spec=loose)[0] > 5.0


def test_a_still_pose_with_landmark_jitter_counts() -> None:
    # Real still holds read 0.01-0.05 body lengths/s; noise of 0.007 torso lengths (about 1 px
    # on a 150 px torso) per coordinate and frame reads the same.
    frames = _frames(300, jitter=0.007)
    m = np.array([r.motion for r in _valid_s(frames)[1]])
    assert 0.01 < np.nanmedian(m) < 0.08
    valid, reports = _valid_s(frames)
    hold = load_spec("deep_lunge").hold
    unknown = hold.stillness.window_s * MIN_SPAN_FRACTION  # the window filling: motion unknown
    assert valid == pytest.approx(10.0 - unknown, abs=0.2)
    assert reports[-1].reason is None and reports[-1].still is True


def test_moving_into_the_pose_and_settling_starts_the_hold_after_the_settle() -> None:
    # 3 s bouncing in position, then 5 s still: the hold starts only once still
    frames = _frames(90, bounce=0.4) + [
        replace(f, t_ms=f.t_ms + 3000, index=f.index + 90) for f in _frames(150)]
    valid, reports = _valid_s(frames)
    hold = load_spec("deep_lunge").hold
    # the bounce leaves the trailing window within window_s; from then on every still second
    # counts (the debounce's too, once the hold has earned it), none of the bouncing
    assert 5.0 - hold.stillness.window_s - 0.3 < valid < 5.0
    holding = [r.t_ms for r in reports if r.hold.in_hold]
    assert holding and holding[0] > 3000 + 1000 * hold.debounce_s
    assert any(r.reason == "settling" for r in reports if r.t_ms > 3000)


def test_batch_and_live_paths_judge_stillness_alike() -> None:
    frames = _frames(300, bounce=0.4)
    spec = load_spec("deep_lunge")
    batch = analyze_frames(frames, spec, fps=FPS, smoothing="none")
    live = _valid_s(frames, spec=spec)[1]
    assert [r.still for r in batch.frames] == [r.still for r in live]


# ---------------------------------------------------------------------------- bouncing
def test_swing_turns_count_only_swings_larger_than_the_hysteresis() -> None:
    t = np.linspace(0.0, 3.0, 91)
    wave = 0.1 * np.sin(2 * math.pi * 1.25 * t)  # 0.2 peak to peak, 1.25 Hz
    assert swing_turns(wave, 0.06) >= 6
    assert swing_turns(wave, 0.25) == 0  # the swing never reaches the hysteresis
    assert swing_turns(np.full(91, 0.3), 0.06) == 0
    assert swing_turns(np.array([0.0, np.nan, 0.1, 0.0, np.nan, 0.1]), 0.06) == 2


def test_bounce_rate_reads_the_frequency_in_hz() -> None:
    t = np.linspace(0.0, 3.0, 91)
    for hz in (0.5, 1.25, 2.0):
        hips = np.stack([0.1 * np.sin(2 * math.pi * hz * t), np.zeros_like(t)], axis=1)
        assert bounce_rate(t * 1000, hips, 0.06) == pytest.approx(hz, rel=0.25)
    assert math.isnan(bounce_rate(np.array([0.0]), np.zeros((1, 2)), 0.06))


def test_a_fast_small_bounce_adds_no_hold_time_although_each_swing_is_slow() -> None:
    # bouncing the hips 0.2 torso lengths at 1.25 Hz: its motion stays under max_motion, so
    # only the bounce rule can tell it from a hold
    frames = _frames(300, bounce=0.2, period_s=0.8)
    spec = load_spec("deep_lunge")
    m = np.array([r.motion for r in _valid_s(frames, spec=spec)[1]])
    assert np.nanmax(m) <= spec.hold.stillness.max_motion
    valid, reports = _valid_s(frames, spec=spec)
    assert valid < 1.5  # at most the time it takes to see two swings
    assert any(r.bouncing and r.reason == "moving" for r in reports)
    off = replace(spec.hold.stillness, max_bounce_hz=None)
    assert _valid_s(frames, spec=replace(spec, hold=replace(spec.hold, stillness=off)))[0] > 5.0


def test_a_slow_weight_shift_is_not_a_bounce() -> None:
    # half-kneeling's "shift your weight forward", done as slow pulses every 2.5 s
    frames = _frames(300, bounce=0.3, period_s=2.5, stretch="half_kneeling_hip_flexor")
    m = BodyMotion(load_spec("half_kneeling_hip_flexor").hold.stillness)
    flags = []
    for f in frames:
        m.update(f)
        flags.append(m.bouncing)
    assert not any(flags)


def test_the_replay_applies_the_bounce_rule_as_the_session_does() -> None:
    frames = _frames(150, jitter=0.007) + [
        replace(f, t_ms=f.t_ms + 5000, index=f.index + 150)
        for f in _frames(150, bounce=0.2, period_s=0.8)]
    spec = load_spec("deep_lunge")
    report = analyze_frames(frames, spec, fps=FPS, smoothing="none")
    rp = replay(ClipTrace.from_report(report, "x", spec))
    assert any(r.bouncing for r in report.frames)
    session_still = np.array([-1 if r.still is None else int(r.still) for r in report.frames])
    assert np.array_equal(rp.still, session_still)
    assert rp.counted.sum() == pytest.approx(report.frames[-1].hold.session_valid_s, abs=1e-6)


# ---------------------------------------------------------------------------- tuning replay
def test_the_replay_applies_the_same_stillness_rule() -> None:
    frames = _frames(150, jitter=0.007) + [
        replace(f, t_ms=f.t_ms + 5000, index=f.index + 150) for f in _frames(150, bounce=0.4)]
    spec = load_spec("deep_lunge")
    report = analyze_frames(frames, spec, fps=FPS, smoothing="none")
    trace = ClipTrace.from_report(report, "x", spec)
    rp = replay(trace)
    session_still = np.array([-1 if r.still is None else int(r.still) for r in report.frames])
    assert np.array_equal(rp.still, session_still)
    assert rp.counted.sum() == pytest.approx(report.frames[-1].hold.session_valid_s, abs=1e-6)
    # a sweep may lift the rule: the bouncing half then counts too
    assert replay(trace, timer={"max_motion": None}).counted.sum() > rp.counted.sum() + 2.0

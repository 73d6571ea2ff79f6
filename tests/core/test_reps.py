"""posecheck.core.reps (pure layer): the rep counter on scripted frame sequences of in / out of
position, with their form and the hold timer's seconds; and the synthetic bridge-reps clip's
exact landmarks through the whole session (no model)."""

from __future__ import annotations

import pytest

from posecheck.core.errors import SettingError
from posecheck.core.reps import RepCounter, RepSettings

FPS = 30
SETTINGS = RepSettings(count=True, min_in_s=0.3, min_out_s=0.3, good_form_fraction=0.5)


def run(script: str, settings: RepSettings = SETTINGS, form: str | None = None,
        counted: list[float] | None = None):
    """One frame per character at 30 fps: ``#`` in position, ``.`` out, ``?`` undecided;
    ``form`` per frame ``g`` good, ``b`` bad, ``?`` unknown; ``counted`` the timer's seconds."""
    counter = RepCounter(settings)
    state = None
    for i, c in enumerate(script):
        in_pose = {"#": True, ".": False, "?": None}[c]
        ok = None if form is None else {"g": True, "b": False, "?": None}[form[i]]
        state = counter.update(round(i * 1000 / FPS), in_pose_now=in_pose, form_ok=ok,
                               counted_s=0.0 if counted is None else counted[i])
    return state


def reps_script(n: int, up: int = 24, down: int = 24) -> str:
    return ("." * down + "#" * up) * n + "." * down


@pytest.mark.parametrize("n", [1, 3, 12])
def test_each_entry_and_exit_is_one_rep(n):
    state = run(reps_script(n))
    assert state.count == n and not state.in_rep
    assert all(not r.open for r in state.reps)
    # each rep starts at its first in-position frame and ends at the first frame out
    first = state.reps[0]
    assert first.start_s == pytest.approx(24 / FPS, abs=0.002)
    assert first.end_s == pytest.approx(48 / FPS, abs=0.002)


def test_jitter_at_the_threshold_is_not_counted_twice():
    # a rep whose top flickers out for 3 frames (0.1 s < min_out_s) and back: one rep
    top = "#" * 15 + "..." + "#" * 15 + ".#." + "#" * 10
    assert run("." * 20 + top + "." * 20).count == 1
    # a 3-frame flicker into the position (0.1 s < min_in_s) between two reps: no rep
    script = "." * 20 + "#" * 20 + "." * 15 + "###" + "." * 15 + "#" * 20 + "." * 20
    assert run(script).count == 2


def test_a_long_hold_is_one_rep_and_an_open_one_counts():
    assert run("." * 10 + "#" * 900 + "." * 20).count == 1
    state = run("." * 10 + "#" * 60)
    assert state.count == 1 and state.in_rep and state.reps[-1].open
    assert run("." * 10 + "#" * 5).count == 0  # not yet min_in_s


def test_undecided_frames_neither_start_nor_end_a_rep():
    assert run("." * 10 + "#" * 20 + "?" * 60 + "#" * 20 + "." * 20).count == 1
    assert run("." * 10 + "?" * 60 + "." * 20).count == 0


def test_good_form_is_most_of_the_judged_time():
    script = "." * 10 + "#" * 30 + "." * 20
    good = run(script, form="?" * 10 + "g" * 20 + "b" * 10 + "?" * 20)
    bad = run(script, form="?" * 10 + "g" * 10 + "b" * 20 + "?" * 20)
    unknown = run(script, form="?" * 60)
    assert [s.reps[0].good_form for s in (good, bad, unknown)] == [True, False, False]
    strict = RepSettings(count=True, good_form_fraction=0.9)
    assert not run(script, strict, form="?" * 10 + "g" * 25 + "b" * 5 + "?" * 20).reps[0].good_form


def test_held_says_whether_the_timer_counted_seconds_in_the_rep():
    script = "." * 10 + "#" * 30 + "." * 20 + "#" * 30 + "." * 20
    counted = [0.0] * 25 + [0.5] * 85  # seconds counted during the first rep only
    state = run(script, counted=counted)
    assert [r.held for r in state.reps] == [True, False]


def test_a_repeated_timestamp_changes_nothing():
    counter = RepCounter(SETTINGS)
    counter.update(0, in_pose_now=True)
    state = counter.update(500, in_pose_now=True)
    assert counter.update(500, in_pose_now=False) == state


@pytest.mark.parametrize("kwargs, fld", [
    (dict(min_in_s=-1.0), "reps.min_in_s"), (dict(min_out_s=float("nan")), "reps.min_out_s"),
    (dict(good_form_fraction=1.2), "reps.good_form_fraction"),
])
def test_bad_settings_name_the_field(kwargs, fld):
    with pytest.raises(SettingError, match=fld):
        RepSettings(count=True, **kwargs)


def test_the_synthetic_bridge_reps_give_the_scripted_count_on_exact_landmarks():
    from posecheck.core.analysis import analyze_frames
    from posecheck.specs.parse import load_spec
    from posecheck.synth.clip import truth_frames
    from posecheck.synth.more_clips import motion_clips

    clip = next(c for c in motion_clips(0) if c.id == "glute_bridge_reps")
    spec = load_spec("glute_bridge")
    frames = [t.pose_frame(clip.width, clip.height) for t in truth_frames(clip)]
    analysis = analyze_frames(frames, spec, fps=clip.fps, smoothing="none")
    side = analysis.to_report().sides["both"]
    assert side.counted_reps is not None
    assert side.counted_reps.count == clip.scripted_reps
    assert side.counted_reps.good_form == clip.scripted_reps  # the script's tops are good form
    # reps add no hold time: the same clip without the counter books the same seconds
    from dataclasses import replace
    plain = analyze_frames(frames, replace(spec, reps=RepSettings()), fps=clip.fps,
                           smoothing="none").to_report().sides["both"]
    assert plain.counted_reps is None and plain.valid_hold_s == side.valid_hold_s


def test_a_counter_whose_settings_count_no_reps_reports_none():
    counter = RepCounter(RepSettings())
    assert counter.update(0, in_pose_now=True) is None
    assert counter.update(1000, in_pose_now=True) is None

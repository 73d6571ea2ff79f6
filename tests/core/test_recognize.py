"""--stretch auto: segments of stable in-position frames, best spec per segment."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.core.recognize import (NONE, RecognitionSettings, SpecTrace, majority_filter,
                                      recognize, runs, trace_from_frames)

FPS = 10.0


def times(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * FPS)) / FPS


def trace(spec_id: str, t: np.ndarray, spans: list[tuple[float, float]],
          passing: float = 1.0) -> SpecTrace:
    in_pose = np.zeros(t.size, dtype=bool)
    for a, b in spans:
        in_pose |= (t >= a) & (t < b)
    return SpecTrace(spec_id, in_pose, np.full(t.size, passing))


# ---------------------------------------------------------------------------- building blocks
@pytest.mark.parametrize("labels, window, expected", [
    ([0, 0, -1, 0, 0], 3, [0, 0, 0, 0, 0]),          # a one-frame dropout is filled
    ([-1, -1, 0, -1, -1], 3, [-1, -1, -1, -1, -1]),  # a one-frame blip is removed
    ([0, 0, 1, 1, 1], 3, [0, 0, 1, 1, 1]),           # a clean change stays where it is
    ([0, 1, 0, 1], 1, [0, 1, 0, 1]),                 # window 1: unchanged
])
def test_majority_filter(labels, window, expected):
    assert majority_filter(np.array(labels), window, 2).tolist() == expected


def test_runs_cover_the_sequence():
    assert runs(np.array([1, 1, -1, 2])) == [(1, 0, 2), (-1, 2, 3), (2, 3, 4)]


def test_a_trace_from_real_frame_reports():
    """A deep lunge held well, then leaning 40 deg forward: the trace follows the FrameReports'
    own statuses (one check fails while leaning), and recognition names the lunge."""
    from factories import sequence

    from posecheck.core.analysis import analyze_frames
    from posecheck.specs.parse import load_spec

    spec = load_spec("deep_lunge")
    frames = (sequence(150, 30.0, stretch="deep_lunge")
              + sequence(60, 30.0, t0_ms=5000, stretch="deep_lunge", torso_deg=40))
    reports = analyze_frames(frames, spec, fps=30.0, smoothing="none").frames
    tr = trace_from_frames(spec.id, reports, n_conditions=len(spec.pose))
    assert tr.in_pose.tolist() == [r.in_pose for r in reports]
    n_checks = len(reports[0].checks)
    good, lean = tr.pass_fraction[100], tr.pass_fraction[190]
    assert good == 1.0 and lean <= 1.0 - 1.0 / n_checks
    assert tr.recognisable and tr.n_conditions == len(spec.pose)
    rec = recognize([r.t_s for r in reports], [tr])
    assert rec.stretch == "deep_lunge"


def test_a_body_seen_obliquely_is_no_match_for_a_side_view_spec():
    """A front-view warrior II reads as a side-view lunge on every check it can judge; seen
    obliquely (shoulders or hips wide in the image) it must not be named a lunge."""
    from dataclasses import replace

    from factories import sequence

    from posecheck.core.analysis import analyze_frames
    from posecheck.core.recognize import spec_trace
    from posecheck.core.session import VIEW_METRIC
    from posecheck.specs.parse import load_spec

    spec = load_spec("deep_lunge")
    reports = analyze_frames(sequence(150, 30.0, stretch="deep_lunge"), spec, fps=30.0,
                             smoothing="none").frames
    t = [r.t_s for r in reports]
    assert recognize(t, [spec_trace(spec, reports)]).stretch == "deep_lunge"
    wide = spec.view_detect.oblique_min_ratio + 0.1
    oblique = [replace(r, metrics={**r.metrics, VIEW_METRIC: wide}) for r in reports]
    tr = spec_trace(spec, oblique)
    assert not tr.allowed.any()
    assert recognize(t, [tr]).stretch == NONE


# ---------------------------------------------------------------------------- recognition
def test_a_long_hold_is_recognised_with_its_times():
    t = times(20)
    rec = recognize(t, [trace("lunge", t, [(5, 15)]), trace("kneeling", t, [])])
    assert rec.stretch == "lunge"
    (seg,) = rec.segments
    assert seg.stretch == "lunge"
    assert seg.start_s == pytest.approx(5, abs=0.2) and seg.end_s == pytest.approx(15, abs=0.2)
    assert seg.candidates[0][0] == "lunge" and not seg.ambiguous


def test_short_lunge_like_moments_are_none():
    """Walking strides and lunge reps look like a lunge for a moment, not for a hold."""
    t = times(20)
    strides = [(s, s + 0.6) for s in np.arange(0, 20, 1.5)]
    rec = recognize(t, [trace("lunge", t, strides)])
    assert rec.stretch == NONE and rec.segments == ()


def test_two_holds_of_different_stretches_give_two_segments():
    t = times(30)
    rec = recognize(t, [trace("lunge", t, [(2, 10)]), trace("kneeling", t, [(15, 28)])])
    assert [s.stretch for s in rec.segments] == ["lunge", "kneeling"]
    assert rec.stretch == "kneeling"  # held longest


def test_overlap_goes_to_the_spec_whose_checks_pass_and_is_flagged_when_close():
    t = times(10)
    good = trace("lunge", t, [(0, 10)], passing=1.0)
    poor = trace("kneeling", t, [(0, 10)], passing=0.2)
    rec = recognize(t, [poor, good])
    assert rec.stretch == "lunge" and not rec.segments[0].ambiguous
    near = trace("kneeling", t, [(0, 10)], passing=0.9)
    rec = recognize(t, [near, good])
    assert rec.stretch == "lunge" and rec.segments[0].ambiguous
    assert [c[0] for c in rec.segments[0].candidates] == ["lunge", "kneeling"]


def test_flicker_inside_a_hold_does_not_split_it():
    t = times(12)
    spans = [(1, 5), (5.2, 11)]  # a 0.2 s dropout
    rec = recognize(t, [trace("lunge", t, spans)])
    assert len(rec.segments) == 1 and rec.segments[0].duration_s > 9


def test_minimum_duration_is_a_setting():
    t = times(10)
    tr = [trace("lunge", t, [(2, 4)])]
    assert recognize(t, tr).stretch == NONE
    assert recognize(t, tr, RecognitionSettings(min_segment_s=1.5)).stretch == "lunge"


def test_a_still_image_is_judged_by_its_one_frame():
    t = np.array([0.0])
    rec = recognize(t, [SpecTrace("lunge", np.array([True]), np.array([1.0]))])
    assert rec.stretch == "lunge"


def test_lengths_must_match():
    with pytest.raises(ValueError, match="frames"):
        recognize(times(2), [SpecTrace("x", np.zeros(3, bool), np.zeros(3))])


def test_settings_are_validated():
    with pytest.raises(ValueError, match="min_segment_s"):
        RecognitionSettings(min_segment_s=-1)


def test_a_more_specific_spec_beats_a_generic_one():
    """'Torso horizontal' alone (any lying pose) must not win over 'hips up and knees bent'."""
    t = times(10)
    generic = SpecTrace("lying_anything", np.ones(t.size, bool), np.full(t.size, 1.0),
                        n_conditions=1)
    bridge = SpecTrace("bridge", np.ones(t.size, bool), np.full(t.size, 0.8), n_conditions=2)
    assert recognize(t, [generic, bridge]).stretch == "bridge"


def test_a_spec_for_another_camera_view_loses():
    t = times(10)
    side = SpecTrace("side_spec", np.ones(t.size, bool), np.full(t.size, 0.5),
                     view_ok=np.ones(t.size))
    front = SpecTrace("front_spec", np.ones(t.size, bool), np.full(t.size, 1.0),
                      view_ok=np.zeros(t.size))
    assert recognize(t, [front, side]).stretch == "side_spec"
    # Alone, a spec seen from the wrong view is not recognised at all.
    assert recognize(t, [front]).stretch == NONE


# ---------------------------------------------------------------------------- precision first
def test_a_timer_only_spec_is_never_named_from_a_pose():
    t = times(20)
    roller = SpecTrace("foam_roller", np.ones(t.size, bool), np.full(t.size, np.nan),
                       recognisable=False)
    rec = recognize(t, [roller])
    assert rec.stretch == NONE and rec.segments == () and rec.confidence == 0.0


def test_moving_in_position_is_not_a_match():
    t = times(20)
    still = np.where((t >= 2) & (t < 8), 1.0, 0.0)  # still only from 2 to 8 s
    tr = SpecTrace("lunge", np.ones(t.size, bool), np.full(t.size, 1.0), still=still)
    rec = recognize(t, [tr])
    assert rec.stretch == "lunge" and len(rec.segments) == 1
    seg = rec.segments[0]
    assert seg.start_s == pytest.approx(2.0, abs=0.6) and seg.end_s == pytest.approx(8.0, abs=0.6)
    moving = SpecTrace("lunge", np.ones(t.size, bool), np.full(t.size, 1.0),
                       still=np.zeros(t.size))
    assert recognize(t, [moving]).stretch == NONE


def test_unknown_stillness_is_no_match_in_a_video_but_a_photo_is_judged_by_its_pose():
    t = times(10)
    unknown = SpecTrace("lunge", np.ones(t.size, bool), np.full(t.size, 1.0),
                        still=np.full(t.size, np.nan))
    assert recognize(t, [unknown]).stretch == NONE
    photo = SpecTrace("lunge", np.array([True]), np.array([1.0]), still=np.array([np.nan]))
    assert recognize(np.array([0.0]), [photo]).stretch == "lunge"


def test_entry_conditions_without_the_form_are_none():
    t = times(20)
    # in position the whole time, but only a fifth of the spec's checks pass
    rec = recognize(t, [trace("camel", t, [(0, 20)], passing=0.2)])
    assert rec.stretch == NONE
    low = RecognitionSettings(min_pass_fraction=0.1)
    assert recognize(t, [trace("camel", t, [(0, 20)], passing=0.2)], low).stretch == "camel"


def test_the_answer_carries_a_confidence():
    t = times(20)
    clear = recognize(t, [trace("lunge", t, [(2, 18)]), trace("kneeling", t, [])])
    close = recognize(t, [trace("lunge", t, [(2, 18)]), trace("kneeling", t, [(2, 18)], 0.95)])
    assert 0.0 < close.confidence < clear.confidence <= 1.0


# ---------------------------------------------------------------------------- every spec
def _name_with_every_spec(frames, fps=10.0):
    """What --stretch auto names over ``frames`` (every bundled spec, as batch.track does)."""
    from posecheck.core.analysis import analyze_frames
    from posecheck.core.recognize import spec_trace
    from posecheck.specs.parse import list_specs, load_spec

    specs = [load_spec(s) for s in list_specs()]
    traces = [spec_trace(sp, analyze_frames(frames, sp, fps=fps, smoothing="none").frames)
              for sp in specs]
    return recognize([f.t_ms / 1000.0 for f in frames], traces)


@pytest.mark.parametrize("stretch", ["half_kneeling_hip_flexor", "low_lunge_quad",
                                     "standing_psoas", "camel"])
def test_a_held_stretch_is_named_among_every_spec(stretch):
    """Half-kneeling meets the deep lunge's conditions (upright, split stance, front knee
    bent): its knee on the floor rules the standing lunge out. The low-lunge quad stretch
    meets every half-kneeling condition: the half-kneeling's back foot resting on the floor
    ([[recognition]] back_foot_down) tells them apart."""
    from factories import sequence

    rec = _name_with_every_spec(sequence(80, FPS, stretch=stretch))
    assert rec.stretch == stretch and rec.confidence > 0


@pytest.mark.parametrize("make", ["lying_still", "lunge_reps", "walking"])
def test_no_stretch_is_named_on_moves_and_rest(make):
    """Lying still on the back (legs long), lunge reps and walking strides: none, and the
    timer-only foam roller (lying is its only condition) is never named either."""
    from factories import make_pose

    n = 120
    frames = []
    for i in range(n):
        t_ms = int(i * 1000 / FPS)
        if make == "lying_still":
            frames.append(make_pose("supine_psoas", o_thigh=0, o_shin=0, t_ms=t_ms, index=i))
        elif make == "lunge_reps":  # down 1 s, up 1 s
            frames.append(make_pose("deep_lunge" if (i // 10) % 2 else "standing",
                                    t_ms=t_ms, index=i))
        else:  # a stride every 0.5 s, moving on
            step = i // 5
            frames.append(make_pose("standing_psoas", side="left" if step % 2 else "right",
                                    center=(300.0 + 40.0 * step, 400.0), t_ms=t_ms, index=i))
    rec = _name_with_every_spec(frames)
    assert rec.stretch == NONE and rec.confidence == 0.0


def test_a_recognition_hint_that_fails_rules_its_frames_out():
    from factories import sequence

    from posecheck.core.analysis import analyze_frames
    from posecheck.core.recognize import spec_trace
    from posecheck.specs.parse import load_spec

    spec = load_spec("half_kneeling_hip_flexor")
    assert spec.recognition and all(c.metric in spec.metric_names for c in spec.recognition)
    frames = sequence(30, FPS, stretch="low_lunge_quad")  # the back foot held at the glute
    reports = analyze_frames(frames, spec, fps=FPS, smoothing="none").frames
    tr = spec_trace(spec, reports)
    assert tr.in_pose.any() and not tr.allowed[tr.in_pose].any()
    assert recognize([r.t_ms / 1000 for r in reports], [tr]).stretch == NONE


def test_a_measure_is_no_evidence_of_form():
    """A measure (reported, never judged) passes whenever measured: it must not lift the
    share of passing form checks."""
    from types import SimpleNamespace as NS

    from posecheck.core.checks import Status

    frame = NS(in_pose=True, still=True, view_ok=True, metrics={},
               checks={"form": NS(status=Status.FAIL), "arch": NS(status=Status.PASS)})
    assert trace_from_frames("camel", [frame]).pass_fraction[0] == 0.5
    assert trace_from_frames("camel", [frame], measures=("arch",)).pass_fraction[0] == 0.0


def test_a_deep_cobra_is_named_but_a_pigeon_like_front_knee_rules_cobra_out():
    """A deep cobra lifts the chest to near vertical (real photos 76-89 deg): still a cobra.
    Face down with the chest up and one knee folded ahead of the hips (an upright pigeon)
    meets every cobra condition; its front knee ([[recognition]] legs_behind) rules it out."""
    from factories import sequence

    from posecheck.core.analysis import analyze_frames
    from posecheck.core.recognize import spec_trace
    from posecheck.specs.parse import load_spec

    deep = _name_with_every_spec(sequence(80, FPS, stretch="cobra", torso_deg=-88))
    assert deep.stretch == "cobra"
    spec = load_spec("cobra")
    frames = sequence(30, FPS, stretch="cobra", torso_deg=-80, o_thigh=175, o_shin=5,
                      side="right")  # the folded leg is the far one, the near one lies back
    tr = spec_trace(spec, analyze_frames(frames, spec, fps=FPS, smoothing="none").frames)
    assert tr.in_pose.any() and not tr.allowed[tr.in_pose].any()

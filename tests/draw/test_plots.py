"""The per-video plot (draw layer, Agg, no display): drawn from the typed report a real analysis
makes (core.analysis over factory frames), checked against that analysis' own frames."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from factories import sequence
from posecheck.batch.track import analyze_track
from posecheck.core.analysis import analyze_frames
from posecheck.core.checks import Status
from posecheck.core.pose import PoseFrame
from posecheck.core.report import BatchInfo, ModelInput, ModelRef, Options, VideoFacts
from posecheck.draw import plots
from posecheck.specs.parse import load_spec

FPS = 30.0
STRETCH = "deep_lunge"


@pytest.fixture(scope="module")
def analysis():
    """A deep lunge held well, then 2 s leaning 40 deg forward (a required check fails, the
    count pauses), then held well again."""
    frames = (sequence(150, FPS, stretch=STRETCH)
              + sequence(60, FPS, t0_ms=5000, stretch=STRETCH, torso_deg=40)
              + sequence(120, FPS, t0_ms=7000, stretch=STRETCH))
    return analyze_frames(frames, load_spec(STRETCH), fps=FPS, video="/data/clip one.mp4",
                          smoothing="none")


@pytest.fixture(scope="module")
def report(analysis):
    return analysis.to_report()


def main_side(report) -> str:
    return max(report.sides, key=lambda s: report.sides[s].valid_hold_s)


def test_series_follow_the_frames_of_the_analysis(analysis, report):
    cid = "torso_upright"
    t, v, failing = plots.check_series(report, cid)
    frames = analysis.frames
    assert t.tolist() == [round(f.t_s, 3) for f in frames]
    want_fail = [f.checks[cid].status is Status.FAIL for f in frames]
    assert failing.tolist() == want_fail and any(want_fail) and not all(want_fail)
    want_v = np.array([f.checks[cid].value for f in frames])
    assert np.allclose(v, want_v, atol=5e-4, equal_nan=True)
    # the lean fails the check only while leaning (5-7 s)
    assert not failing[t < 4.9].any() and failing[(t > 5.2) & (t < 6.8)].all()


def test_hold_spans_and_totals_are_the_reports_own(report):
    spans = plots.hold_spans(report)
    assert set(spans) == set(report.sides)
    for side, data in report.sides.items():
        assert spans[side] == [(h.start_s, h.end_s) for h in data.holds]
    text = plots.side_totals_text(report)
    for side, data in sorted(report.sides.items()):
        assert f"{side}: {data.valid_hold_s:.1f} s valid, {data.reps} reps" in text


def test_valid_spans_leave_out_an_exit_the_timer_took_back(report):
    from dataclasses import replace

    side = main_side(report)
    data = report.sides[side]
    last = data.holds[-1]
    taken = replace(last, valid_s=last.valid_s - 0.5)  # as if its last 0.5 s were taken back
    sides = {**report.sides, side: replace(data, holds=data.holds[:-1] + (taken,))}
    before = plots.valid_spans(report)[side]
    after = plots.valid_spans(replace(report, sides=sides))[side]
    assert sum(b - a for a, b in before) - sum(b - a for a, b in after) == pytest.approx(0.5)
    assert after[-1][1] == pytest.approx(before[-1][1] - 0.5)  # cut off the end
    assert after[0] == before[0]


def test_valid_spans_cover_only_the_counted_seconds(report):
    side = main_side(report)
    counted = report.sides[side].valid_hold_s
    spans = plots.valid_spans(report)[side]
    assert counted > 3.0
    # The spans add up to the counted seconds (within a frame), and the lean is not inside one.
    assert sum(b - a for a, b in spans) == pytest.approx(counted, abs=1 / FPS + 1e-6)
    assert not any(a < 6.0 < b for a, b in spans)
    # ... whereas the hold interval runs through the pause.
    holds = plots.hold_spans(report)[side]
    assert sum(b - a for a, b in holds) > sum(b - a for a, b in spans) + 1.0


def test_one_panel_per_check_with_its_band_valid_spans_legend_and_units(report):
    spec = load_spec(STRETCH)
    fig = plots.plot_report(report, spec)
    strip, panels = fig.get_axes()[0], fig.get_axes()[1:]
    assert len(panels) == len(report.checks) == len(spec.checks)
    for ax, check in zip(panels, spec.checks):
        title = ax.get_title(loc="left")
        assert title.startswith(check.label)
        assert f"pass {report.checks[check.id].pass_fraction:.0%}" in title
        if check.min is not None and check.max is not None:
            band = [p for p in ax.patches if p.get_y() == pytest.approx(check.min)]
            assert band and band[0].get_height() == pytest.approx(check.max - check.min)
    bars = [c for c in strip.collections if c.__class__.__name__ == "PolyCollection"]
    drawn = sum(p.get_extents().width for c in bars for p in c.get_paths())  # in data units
    assert drawn == pytest.approx(sum(b - a for a, b in plots.valid_spans(report)[main_side(
        report)]), abs=0.05)
    labels = [t.get_text() for t in panels[0].get_legend().get_texts()]
    assert labels[:3] == ["measured", "failing", "passing range"] and "valid hold" in labels
    titles = " ".join(ax.get_title(loc="left") for ax in panels)
    assert "(degrees)" in titles and "(ratio)" not in titles
    assert fig._suptitle.get_text().startswith("clip one.mp4  -  deep_lunge")


def test_without_a_spec_the_panels_have_no_band(report):
    fig = plots.plot_report(report, None)
    first = fig.get_axes()[1]
    cid = next(iter(report.checks))
    title = first.get_title(loc="left")
    assert title.startswith(cid) and "[" not in title  # no band without the spec
    with_spec = plots.plot_report(report, load_spec(STRETCH)).get_axes()[1]
    assert len(with_spec.get_lines()) > len(first.get_lines())  # the band's edges


def test_png_of_a_clip_in_which_no_stretch_was_recognised():
    gone = [PoseFrame.empty(i * 33, 640, 480, index=i) for i in range(30)]
    outcome = analyze_track(gone, [(STRETCH, load_spec(STRETCH))], SimpleNamespace(fps=FPS),
                            "b.mp4", auto=True)
    assert outcome.report.stretch == "none"
    run = BatchInfo(model=ModelRef("full", "ab" * 32, "m.task"), stretch_requested="auto",
                    video_sha256="0" * 64, video_info=VideoFacts(640, 480, FPS, 30, 30, 1.0, 0,
                                                                 False),
                    model_input=ModelInput(1.0, "original video pixels"),
                    options=Options("batch", False), spec_hash="f" * 64,
                    recognition=outcome.recognition, warnings=())
    rep = replace(outcome.report, batch=run)
    fig = plots.plot_report(rep)
    texts = [t.get_text() for t in fig.get_axes()[1].texts]
    assert texts and texts[0].startswith("no known stretch recognised")
    assert "deep_lunge 0.0 s" in texts[0]
    assert plots.plot_report_png(rep)[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("unit, metric, words", [
    ("deg", "torso_lean_deg", "degrees"),
    ("ratio", "other_knee_over_toes_ratio", "shin lengths"),
    ("ratio", "stance_length_ratio", "leg lengths"),
    ("ratio", "hips_over_knees_ratio", "thigh lengths"),
    ("ratio", None, "ratio"),
])
def test_unit_words(unit, metric, words):
    assert plots.unit_words(unit, metric) == words

"""The per-video plot: built from a report's JSON form, drawn off-screen (Agg)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from posecheck.draw import plots
@dataclass(frozen=True)
class Check:
    id: str
    min: float | None
    max: float | None
    unit: str = "deg"
    label: str = ""


@dataclass(frozen=True)
class Spec:
    checks: tuple = (Check("knee", 80.0, 110.0, label="front knee"), Check("lean", None, 20.0))


def report(n: int = 50) -> dict:
    timeline = [{"t_s": i / 10, "in_pose": 10 <= i < 40,
                 "checks": {"knee": {"status": "pass" if i < 30 else "fail", "value": 90.0 + i},
                            "lean": {"status": "unknown", "value": None}}}
                for i in range(n)]
    return {"video": "/data/clip one.mp4", "stretch": "deep_lunge", "timeline": timeline,
            "checks": {"knee": {"pass_fraction": 0.67}, "lean": {"pass_fraction": 0.0}},
            "sides": {"left": {"valid_hold_s": 2.0, "reps": 1,
                               "holds": [{"start_s": 1.0, "end_s": 3.0, "valid_s": 2.0}]},
                      "right": {"valid_hold_s": 0.0, "reps": 0, "holds": []}}}


def test_series_reads_values_and_failures():
    t, v, failing = plots.check_series(report(), "knee")
    assert t[:3].tolist() == [0.0, 0.1, 0.2]
    assert v[5] == 95.0 and failing[35] and not failing[5]
    _, lean, _ = plots.check_series(report(), "lean")
    assert np.isnan(lean).all()  # null values stay gaps


def test_hold_spans_and_totals():
    assert plots.hold_spans(report()) == {"left": [(1.0, 3.0)], "right": []}
    assert plots.side_totals_text(report()) == "left: 2.0 s valid, 1 reps | right: 0.0 s valid, 0 reps"


def test_one_panel_per_check_with_the_threshold_band():
    fig = plots.plot_report(report(), Spec())
    axes = fig.get_axes()
    assert len(axes) == 3  # hold strip + 2 checks
    knee = axes[1]
    assert "front knee" in knee.get_title(loc="left") and "[80 .. 110]" in knee.get_title(loc="left")
    band = [p for p in knee.patches if p.get_y() == pytest.approx(80.0)]
    assert band and band[0].get_height() == pytest.approx(30.0)  # shaded 80..110


def test_png_bytes_for_reports_with_and_without_checks():
    png = plots.plot_report_png(report(), Spec())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    empty = {"video": "x.mp4", "stretch": "none", "checks": {}, "sides": {},
             "timeline": [{"t_s": 0.0}], "recognition": {"in_pose_s": {"deep_lunge": 0.4}}}
    assert plots.plot_report_png(empty)[:4] == b"\x89PNG"


def test_thresholds_fall_back_to_the_report_without_a_spec():
    fig = plots.plot_report(report(), None)
    assert "knee" in fig.get_axes()[1].get_title(loc="left")


# -------------------------------------------------------------- plots of a real report
def real_report() -> tuple[dict, object]:
    """The JSON form analyze_frames produces: a deep lunge held well, then 2 s leaning 40 deg
    forward (a required check fails, the count pauses), then held well again."""
    from factories import sequence

    from posecheck.core.analysis import analyze_frames
    from posecheck.specs.parse import load_spec

    fps = 30.0
    frames = (sequence(150, fps, stretch="deep_lunge")
              + sequence(60, fps, t0_ms=5000, stretch="deep_lunge", torso_deg=40)
              + sequence(120, fps, t0_ms=7000, stretch="deep_lunge"))
    spec = load_spec("deep_lunge")
    return analyze_frames(frames, spec, fps=fps, smoothing="none").to_json(), spec


def test_valid_spans_cover_only_the_counted_seconds_of_a_real_report():
    rep, _ = real_report()
    side = max(rep["sides"], key=lambda s: rep["sides"][s]["valid_hold_s"])
    counted = rep["sides"][side]["valid_hold_s"]
    spans = plots.valid_spans(rep)[side]
    assert counted > 3.0
    # The spans add up to the counted seconds (within a frame), and the lean is not inside one.
    assert sum(b - a for a, b in spans) == pytest.approx(counted, abs=1 / 30 + 1e-6)
    assert not any(a < 6.0 < b for a, b in spans)
    # ... whereas the hold interval runs through the pause.
    holds = plots.hold_spans(rep)[side]
    assert sum(b - a for a, b in holds) > sum(b - a for a, b in spans) + 1.0


def test_plot_of_a_real_report_draws_valid_spans_a_legend_and_units_in_words():
    rep, spec = real_report()
    fig = plots.plot_report(rep, spec)
    strip, first = fig.get_axes()[0], fig.get_axes()[1]
    side = max(rep["sides"], key=lambda s: rep["sides"][s]["valid_hold_s"])
    bars = [c for c in strip.collections if c.__class__.__name__ == "PolyCollection"]
    drawn = sum(p.get_extents().width for c in bars for p in c.get_paths())  # in data units
    assert drawn == pytest.approx(sum(b - a for a, b in plots.valid_spans(rep)[side]), abs=0.05)
    labels = [t.get_text() for t in first.get_legend().get_texts()]
    assert labels[:3] == ["measured", "failing", "passing range"] and "valid hold" in labels
    titles = " ".join(ax.get_title(loc="left") for ax in fig.get_axes())
    assert "(degrees)" in titles and "(ratio)" not in titles


@pytest.mark.parametrize("unit, metric, words", [
    ("deg", "torso_lean_deg", "degrees"),
    ("ratio", "other_knee_over_toes_ratio", "shin lengths"),
    ("ratio", "stance_length_ratio", "leg lengths"),
    ("ratio", "hips_over_knees_ratio", "thigh lengths"),
    ("ratio", None, "ratio"),
])
def test_unit_words(unit, metric, words):
    assert plots.unit_words(unit, metric) == words

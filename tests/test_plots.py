"""The per-video plot: built from a report's JSON form, drawn off-screen (Agg)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from posecheck import plots


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

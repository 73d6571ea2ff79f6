"""The analysis of one track (posecheck.batch.track): --stretch auto, hold segments, identity
jumps.

Layer: pure and, marked slow, real footage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from posecheck import batch
from posecheck.core.pose import PoseFrame

from conftest import footage_path
from fakes import summary_rows  # noqa: F401


@pytest.mark.slow
def test_auto_says_none_for_squats_and_walking_and_finds_a_held_stretch(tmp_path, footage_dir):
    """--stretch auto on real clips: negatives give "none"; a held cobra is recognised.
    Landmarks come from the shared cache when present (the model runs once per machine)."""
    clips = {"footage/negatives/neg_squat_side_prak.mp4": "none",
             "footage/negatives/neg_walking_side_sports2d.mp4": "none",
             "footage/cobra/cobra_side_aris.mp4": "cobra"}
    paths = [footage_path(c) for c in clips]
    out = tmp_path / "out"
    status = batch.main([str(p) for p in paths] + ["--out", str(out), "--quiet", "--no-plots",
                                                   "--stretch", "auto"])
    assert status == 0
    got = {Path(r["video"]).name: r for r in summary_rows(out)}
    for rel, expected in clips.items():
        row = got[Path(rel).name]
        assert row["stretch"] == expected, (rel, row["segments"])
    report = json.loads((out / got["cobra_side_aris.mp4"]["report"]).read_text())
    seg = report["recognition"]["segments"][0]
    assert seg["stretch"] == "cobra" and seg["end_s"] - seg["start_s"] >= 3.0


def test_segment_hold_counts_valid_time_inside_the_segment():
    @dataclass
    class R:
        t_ms: int
        valid: bool | None
        in_pose: bool
        stretched_side: str | None

    reports = [R(100 * i, i >= 3, i >= 2, "left" if i < 8 else "right") for i in range(10)]
    valid_s, sides = batch.segment_hold(reports, 0.25, 0.85)  # frames 3..8
    assert valid_s == pytest.approx(0.6)   # frames 3-8 valid, 0.1 s each
    assert sides == ("left", "right")


def test_identity_jumps_spot_a_switch_to_another_person():
    from posecheck.core.pose import Landmark

    def body(x: float) -> PoseFrame:
        xy = np.zeros((33, 2))
        xy[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]] = [x, 300.0]
        xy[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]] = [x, 200.0]  # torso 100 px
        return PoseFrame(t_ms=0, width=1000, height=500, xy=xy)

    walking = [body(100 + 5 * i) for i in range(20)]
    assert batch.identity_jumps(walking) == 0
    switched = walking[:10] + [body(800)] + walking[10:]  # a second person far away
    assert batch.identity_jumps(switched) == 2  # there and back

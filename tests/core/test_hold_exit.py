"""hold_exit: where a hold's exit began, from the hold's own log of valid intervals."""

from __future__ import annotations

import math

import pytest

from posecheck.core.hold_exit import motion_limit, take_back_exit, take_back_since
from posecheck.core.motion import StillnessSettings

ST = StillnessSettings(max_motion=0.25, window_s=1.0)


def log_of(*spells):
    """Intervals of 100 ms: spells of (seconds, motion), one after the other."""
    out, t = [], 0
    for seconds, motion in spells:
        for _ in range(int(round(seconds * 10))):
            t += 100
            out.append((t, 100, motion))
    return out


def test_the_limit_is_the_hold_median_plus_a_margin_or_its_spread():
    still = log_of((5.0, 0.01))
    assert motion_limit(still, 10_000, ST) == pytest.approx(0.01 + ST.edge_margin)
    jittery = log_of(*[(0.1, 0.05), (0.1, 0.25)] * 20)
    med, p90 = 0.15, 0.25
    assert motion_limit(jittery, 10_000, ST) == pytest.approx(med + ST.edge_spread * (p90 - med))


def test_the_limit_leaves_the_exit_out_and_is_open_without_motion():
    log = log_of((5.0, 0.01), (1.0, 0.5))
    assert motion_limit(log, 5000, ST) == pytest.approx(0.01 + ST.edge_margin)
    assert motion_limit(log_of((3.0, math.nan)), 10_000, ST) == math.inf
    assert motion_limit([], 10_000, ST) == math.inf


def test_the_moving_end_is_taken_back_and_removed_from_the_log():
    log = log_of((5.0, 0.01), (0.6, 0.15))
    assert take_back_exit(log, 5600, ST) == 600
    assert len(log) == 50 and log[-1][2] == 0.01


def test_no_more_than_the_window_and_nothing_from_a_still_end():
    log = log_of((10.0, 0.01), (1.5, 0.15))
    assert take_back_exit(log, 11_500, ST) == 1000
    still = log_of((5.0, 0.01))
    assert take_back_exit(still, 5000, ST) == 0 and len(still) == 50


def test_take_back_since_removes_the_intervals_ending_after_it():
    log = log_of((2.0, 0.01))
    assert take_back_since(log, 1500) == 500 and log[-1][0] == 1500
    assert take_back_since(log, 5000) == 0 and len(log) == 15

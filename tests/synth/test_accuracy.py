"""synth/accuracy.py's landmark errors (pure layer): known truth against known estimates."""

from __future__ import annotations

import numpy as np

from factories import make_pose
from posecheck.synth.accuracy import LANDMARK_GROUPS, landmark_errors


def _truth(n: int = 3) -> list[dict]:
    xy = make_pose("half_kneeling_hip_flexor", facing="right", width=640, height=480).xy
    return [{"landmarks": xy.tolist()} for _ in range(n)]


def test_exact_estimates_have_no_error_and_no_swap():
    truth = _truth()
    est = np.stack([np.asarray(t["landmarks"]) for t in truth])
    px, rel, swap, truth_n, det_n = landmark_errors(truth, est)
    assert set(px) == set(LANDMARK_GROUPS) and all(v == 0.0 for v in px.values())
    assert swap == 0.0 and truth_n == det_n == 3


def test_a_shift_is_measured_in_pixels_and_undetected_frames_are_counted_apart():
    truth = _truth()
    est = np.stack([np.asarray(t["landmarks"]) + [3.0, 4.0] for t in truth])
    est[2] = np.nan                                   # the model found nobody in frame 2
    px, rel, _, truth_n, det_n = landmark_errors(truth, est)
    assert all(abs(v - 5.0) < 1e-6 for v in px.values())
    assert all(0 < v < 1 for v in rel.values())       # relative to the torso length
    assert (truth_n, det_n) == (3, 2)

"""Pure: the posture families a body can be in, from its landmarks (core/postures.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from factories import make_pose

from posecheck.core.pose import Landmark as L
from posecheck.core.pose import PoseFrame
from posecheck.core.postures import PostureEvidence, PostureSettings, posture_ok


@pytest.mark.parametrize("stretch, family, ruled_out", [
    ("half_kneeling_hip_flexor", "standing", True),   # a knee on the floor is not standing
    ("half_kneeling_hip_flexor", "kneeling", False),
    ("low_lunge_quad", "standing", True),              # the held-up foot: the knee is lowest
    ("standing_psoas", "standing", False),
    ("standing", "kneeling", True),                    # a straight leg under the hips
    ("supine_psoas", "kneeling", True),                # lying flat, whatever the knees do
    ("supine_psoas", "supine", False),
    ("cobra", "prone", False),
    ("standing", "prone", True),                       # standing on a thigh pointing down
    ("glute_bridge", "supine", False),
    ("camel", "kneeling", False),
])
def test_families_of_the_factory_poses(stretch, family, ruled_out):
    ev = PostureEvidence.from_frame(make_pose(stretch))
    assert ev.contradicts(family) is ruled_out


def test_arms_propping_the_shoulders_rule_out_lying_on_the_back():
    """A wheel (a backbend on straight arms) has the bridge's hips-up shape."""
    bridge = make_pose("glute_bridge")
    xy = bridge.xy.copy()
    torso = float(np.linalg.norm(xy[L.LEFT_SHOULDER] - xy[L.LEFT_HIP]))
    for lm in (L.LEFT_WRIST, L.RIGHT_WRIST):
        xy[lm, 1] = max(xy[L.LEFT_SHOULDER, 1], xy[L.RIGHT_SHOULDER, 1]) + 1.2 * torso
    wheel = PoseFrame(bridge.t_ms, bridge.width, bridge.height, xy=xy,
                      visibility=bridge.visibility, presence=bridge.presence)
    assert PostureEvidence.from_frame(wheel).contradicts("supine")
    assert not PostureEvidence.from_frame(bridge).contradicts("supine")


def test_unknown_evidence_rules_nothing_out():
    ev = PostureEvidence.from_frame(PoseFrame.empty(0, 640, 480))
    assert ev == PostureEvidence() and math.isnan(ev.torso_incline_deg)
    assert not any(ev.contradicts(f) for f in ("standing", "kneeling", "prone", "supine"))


def test_families_without_a_rule_are_never_ruled_out():
    ev = PostureEvidence(knee_down=True, leg_standing=True, thigh_down=True,
                         torso_incline_deg=0.0, propped=True)
    assert not ev.contradicts("seated") and not ev.contradicts("side_lying")


def test_posture_ok_per_frame():
    class Report:  # anything with a pose, as a FrameReport
        def __init__(self, pose):
            self.pose = pose
    frames = [Report(make_pose("standing")), Report(make_pose("half_kneeling_hip_flexor"))]
    assert posture_ok(frames, "standing").tolist() == [True, False]


def test_settings_are_validated():
    with pytest.raises(ValueError, match="knee_down_shin"):
        PostureSettings(knee_down_shin=0.0)

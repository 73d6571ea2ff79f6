"""core.side (pure layer): the nearer side from the facing, the trunk depth,
each frame's side evidence, the side tracker's continuity and a hold's side confidence."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from factories import make_pose
from posecheck.core.body import BodyContext, leg_scores, near_side
from posecheck.core.side import (SAMPLE_S, TORSO_PX_GOOD, TORSO_PX_POOR, UNVERIFIED_WEIGHT,
                                 WIDTH_RATIO_GOOD, WIDTH_RATIO_POOR, SideEvidence,
                                 SideTracker, frame_side_vote, hold_side_confidence,
                                 near_by_trunk_depth, near_from_facing, side_evidence)
from posecheck.core.pose import Landmark as L

TRUNK_PAIRS = ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP))


def _ctx(pose, posture="standing", facing=None):
    if facing is None:
        facing = 1 if pose.xy[L.NOSE][0] > pose.xy[L.LEFT_EAR][0] else -1
    return BodyContext(posture, facing, None, near_side(pose))


def _trunk_depth_swapped(pose):
    """The pose as a model that believes the trunk mirrored would give it: the shoulders'
    and hips' depths exchanged (positions unchanged)."""
    z = pose.z.copy()
    for a, b in TRUNK_PAIRS:
        z[a], z[b] = pose.z[b], pose.z[a]
    return replace(pose, z=z)


# ---------------------------------------------------------------------------- conventions
@pytest.mark.parametrize("facing, near", [("right", "right"), ("left", "left")])
def test_convention_a_person_facing_image_right_shows_the_camera_the_right_side(facing, near):
    pose = make_pose("deep_lunge", facing=facing)
    assert near_from_facing(pose, _ctx(pose)) == near
    assert near_by_trunk_depth(pose) == near  # the factory's depths agree (smaller z = nearer)


@pytest.mark.parametrize("feet, near", [("right", "right"), ("left", "left")])
def test_convention_lying_on_the_back_head_image_left_shows_the_right_side(feet, near):
    pose = make_pose("supine_psoas", facing=feet)  # feet image-right = head image-left
    assert near_from_facing(pose, BodyContext("supine", 0, None, near_side(pose))) == near


def test_the_facing_names_no_side_when_unknown_or_along_the_body():
    pose = make_pose("deep_lunge")
    assert near_from_facing(pose, _ctx(pose, facing=0)) is None
    # a front pointing along the trunk (a standing body "facing up") names no side
    assert near_from_facing(pose, BodyContext("supine", 0, None, "left")) is None


def test_close_trunk_depths_name_no_side():
    pose = make_pose("deep_lunge")
    assert near_by_trunk_depth(replace(pose, z=np.zeros(33))) is None


# ---------------------------------------------------------------------------- evidence
def test_a_clear_frame_supports_its_geometry():
    pose = make_pose("deep_lunge", side="left", facing="right")
    ctx = _ctx(pose)
    ev = side_evidence(pose, ctx, leg_scores(pose, "back", ctx), 0.15)
    assert (ev.geometry, ev.near_facing, ev.near_model) == ("left", "right", "right")
    assert ev.consistent is True and ev.side == "left"
    # the factory's body is large, seen side-on, every leg landmark visible: a clear picture
    assert ev.torso_px > TORSO_PX_GOOD and ev.width_ratio < WIDTH_RATIO_GOOD
    assert ev.quality == pytest.approx(1.0)


def test_a_small_turned_or_hidden_body_makes_a_poor_picture():
    pose = make_pose("deep_lunge", side="left", facing="right")
    ctx = _ctx(pose)
    clear = side_evidence(pose, ctx, leg_scores(pose, "back", ctx), 0.15)
    assert replace(clear, torso_px=TORSO_PX_POOR).quality == 0.0
    assert replace(clear, width_ratio=WIDTH_RATIO_POOR).quality == 0.0
    assert replace(clear, leg_visibility=math.nan).quality == 0.0  # unknown counts as poor
    half = replace(clear, torso_px=(TORSO_PX_POOR + TORSO_PX_GOOD) / 2)
    assert half.quality == pytest.approx(0.5)
    # the same frame shrunk to a tenth (a person far away in a small video) weighs nothing
    small = replace(pose, xy=pose.xy / 10)
    assert side_evidence(small, ctx, leg_scores(small, "back", ctx), 0.15).quality == 0.0


def test_labels_that_contradict_the_facing_support_no_side():
    # MediaPipe's trunk depth says the left side is nearer, the nose says the right side
    # is: the labels contradict the facing, so the geometry's side is not trusted
    pose = _trunk_depth_swapped(make_pose("deep_lunge", side="left", facing="right"))
    ctx = _ctx(pose)
    ev = side_evidence(pose, ctx, leg_scores(pose, "back", ctx), 0.15)
    assert ev.geometry == "left" and ev.consistent is False and ev.side is None


def test_legs_side_by_side_give_no_geometry():
    pose = make_pose("standing")
    ctx = _ctx(pose)
    assert side_evidence(pose, ctx, leg_scores(pose, "back", ctx), 0.15).side is None


# ---------------------------------------------------------------------------- continuity
def _feed(tracker, side, seconds, t0=0, **kw):
    scores = {"left": 1.0, "right": 0.0} if side == "left" else {"left": 0.0, "right": 1.0}
    out = None
    for t in range(t0, t0 + int(seconds * 1000), 33):
        out = tracker.update(t, scores, **kw)
    return out, t0 + int(seconds * 1000)


def test_the_side_switches_only_after_the_debounce_in_position():
    tr = SideTracker(margin=0.15, debounce_s=1.5)
    _, t = _feed(tr, "left", 1.0)
    side, t = _feed(tr, "right", 1.0, t)
    assert side == "left"
    side, t = _feed(tr, "right", 1.0, t)
    assert side == "right"


def test_a_locked_side_never_flips_mid_hold():
    tr = SideTracker(margin=0.15, debounce_s=1.5)
    _, t = _feed(tr, "left", 1.0)
    side, t = _feed(tr, "right", 10.0, t, locked=True)
    assert side == "left"


def test_out_of_position_the_next_clear_lead_decides_at_once():
    tr = SideTracker(margin=0.15, debounce_s=1.5)
    _, t = _feed(tr, "left", 1.0)
    assert tr.update(t, {"left": 0.0, "right": 1.0}, free=True) == "right"


# ---------------------------------------------------------------------------- confidence
# A clear picture (quality 1): a big body, side-on, legs seen.
CLEAR = dict(torso_px=200.0, leg_visibility=0.95, width_ratio=0.1)
VERIFIED = SideEvidence("left", "right", "right", **CLEAR)  # facing and depth agree
UNVERIFIED = SideEvidence("left", "right", None, **CLEAR)  # depth unknown
CONTRADICTED = SideEvidence("left", "right", "left", **CLEAR)  # depth against the facing
OTHER = SideEvidence("right", "left", "left", **CLEAR)  # verified, the other side
NOTHING = SideEvidence(None, "right", "right", **CLEAR)  # no clear geometry


def _hold(evidence, seconds, fps):
    """(t_ms, evidence) of a hold of ``seconds`` at ``fps``; ``evidence`` a SideEvidence or
    a function of the frame index."""
    n = int(round(seconds * fps))
    pick = evidence if callable(evidence) else (lambda i: evidence)
    return [(int(round(i * 1000 / fps)), pick(i)) for i in range(n)]


def test_a_frame_vote_weighs_verified_above_unverified_and_counts_contradictions_against():
    assert frame_side_vote(VERIFIED, "left") == (1.0, 0.0, 1.0)
    w = pytest.approx(UNVERIFIED_WEIGHT)
    assert frame_side_vote(UNVERIFIED, "left") == (w, 0.0, w)  # a partial look
    assert frame_side_vote(CONTRADICTED, "left") == (0.0, 1.0, 1.0)
    assert frame_side_vote(OTHER, "left") == (0.0, 1.0, 1.0)
    assert frame_side_vote(NOTHING, "left") == (0.0, 0.0, 1.0)
    poor = replace(VERIFIED, torso_px=TORSO_PX_POOR)
    assert frame_side_vote(poor, "left") == (0.0, 0.0, 1.0)


def test_hold_confidence_known_values():
    assert math.isnan(hold_side_confidence([], "left"))
    # a photo: one look, one success -> Laplace 2/3
    assert hold_side_confidence([(0, VERIFIED)], "left") == pytest.approx(2 / 3)
    # 10 s verified at 30 fps: 10 looks, all for -> 11/12 (frame count does not enter)
    assert hold_side_confidence(_hold(VERIFIED, 10 / SAMPLE_S, 30), "left") == \
        pytest.approx(11 / 12, abs=0.01)
    assert hold_side_confidence(_hold(OTHER, 10 / SAMPLE_S, 30), "left") == \
        pytest.approx(1 / 22, abs=0.01)


def test_a_long_verified_hold_is_sure():
    assert hold_side_confidence(_hold(VERIFIED, 10, 30), "left") > 0.9


@pytest.mark.parametrize("evidence", [CONTRADICTED, NOTHING, None],
                         ids=["contradicted", "no geometry", "unknown"])
def test_a_long_hold_without_verified_evidence_stays_unsure(evidence):
    # a minute at 30 fps (1800 frames): the per-frame rule gave (1800 + 1) / 1802 here
    conf = hold_side_confidence(_hold(evidence, 60, 30), "left")
    assert conf < 0.5


def test_unverified_labels_convince_more_slowly_than_verified_ones():
    """Labels that cannot be checked (side-lying: the facing runs along the body) are weaker
    evidence, not evidence against: a long hold becomes sure, a short one stays unsure."""
    for seconds in (3, 10):
        assert hold_side_confidence(_hold(UNVERIFIED, seconds, 30), "left") < \
            hold_side_confidence(_hold(VERIFIED, seconds, 30), "left")
    assert hold_side_confidence(_hold(UNVERIFIED, 1, 30), "left") < 0.6
    assert hold_side_confidence(_hold(UNVERIFIED, 30, 30), "left") > 0.8


def test_contradictions_pull_a_verified_hold_down():
    mixed = _hold(lambda i: VERIFIED if i % 2 else CONTRADICTED, 10, 30)
    assert hold_side_confidence(mixed, "left") < 0.5 < \
        hold_side_confidence(_hold(VERIFIED, 10, 30), "left")


def test_confidence_grows_with_duration_not_with_frame_rate():
    for seconds in (2, 5):
        at = [hold_side_confidence(_hold(VERIFIED, seconds, fps), "left") for fps in (15, 60)]
        assert at[0] == pytest.approx(at[1], abs=0.02)
    short = hold_side_confidence(_hold(VERIFIED, 2, 60), "left")
    long = hold_side_confidence(_hold(VERIFIED, 8, 15), "left")
    assert long > short + 0.05  # four times the time at a quarter of the frames is surer


def test_a_poor_picture_keeps_a_verified_hold_unsure():
    far = replace(VERIFIED, torso_px=TORSO_PX_POOR + 0.2 * (TORSO_PX_GOOD - TORSO_PX_POOR))
    assert hold_side_confidence(_hold(far, 30, 30), "left") < 0.5

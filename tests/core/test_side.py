"""core.side (pure layer): the nearer side from the facing, the trunk depth,
each frame's side evidence, the side tracker's continuity and a hold's side confidence."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from factories import make_pose
from posecheck.core.body import BodyContext, leg_scores, near_side
from posecheck.core.side import (SideEvidence, SideTracker, hold_side_confidence,
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
    assert ev == SideEvidence(geometry="left", near_facing="right", near_model="right")
    assert ev.consistent is True and ev.side == "left"


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
def test_hold_confidence_known_values():
    assert math.isnan(hold_side_confidence([], "left"))
    assert hold_side_confidence(["left"], "left") == pytest.approx(2 / 3)
    assert hold_side_confidence(["left"] * 98, "left") == pytest.approx(0.99)
    assert hold_side_confidence(["left", None, "right", None], "left") == pytest.approx(2 / 6)
    assert hold_side_confidence(["right"] * 10, "left") == pytest.approx(1 / 12)

"""posecheck.core.story, .framing and .side_summary (pure layer): what the person is told on a
frame, framing and the summary text, from hand-made reports (no model, no Streamlit)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pytest

from posecheck.core import framing, side_summary, story
from posecheck.core.checks import CheckResult, Status
from posecheck.core.feedback import Cue
from posecheck.core.pose import PoseFrame
from posecheck.specs.parse import load_spec
from posecheck.core.hold import Phase

SPEC = load_spec("half_kneeling_hip_flexor")


@dataclass(frozen=True)
class Hold:
    phase: Phase = Phase.HOLDING
    side: str | None = "left"
    hold_valid_s: float = 5.0
    target_s: float = 20.0
    rep: int = 1
    reps_target: int = 1
    countdown_s: float | None = None
    grace_left_s: float | None = None
    reps_by_side: dict = field(default_factory=lambda: {"left": 0, "right": 0})


@dataclass(frozen=True)
class Report:
    hold: Hold = Hold()
    checks: dict[str, Any] = field(default_factory=dict)
    cue: Any = None
    has_pose: bool = True
    in_pose: bool = True
    valid: bool | None = True
    view_ok: bool | None = True
    hidden_parts: tuple[str, ...] = ()
    pose: Any = None
    conditions: dict = field(default_factory=dict)


def result(cid: str, status: Status, required: bool = True, hidden=()) -> CheckResult:
    c = SPEC.check(cid)
    cue = (c.cue_high or c.cue_low) if status is Status.FAIL else ""
    return CheckResult(id=cid, status=status, value=1.0, margin=-1.0, required=required,
                       cue=cue, hidden=tuple(hidden), priority=c.priority)


def cue_of(r: CheckResult, kind: str = "form") -> Cue:
    return Cue(r.id, r.cue, kind, r.priority)


def test_counting_is_green_with_the_good_cue():
    s = story.tell(Report(), SPEC)
    assert (s.state, s.tone, s.counting) == ("counting", "good", True)
    assert s.message == SPEC.cues.good
    assert "Counting" in s.phase_line and "5 of 20 s" in s.phase_line


def test_a_required_fault_pauses_in_red_and_names_the_fault_not_a_tip():
    torso = result("torso_upright", Status.FAIL)
    tip = result("front_foot_flat", Status.FAIL, required=False)
    # The session still shows the tip (its hysteresis): the story names the fault anyway.
    s = story.tell(Report(checks={"torso_upright": torso, "front_foot_flat": tip},
                          cue=cue_of(tip), valid=False), SPEC)
    assert (s.state, s.tone, s.reason) == ("paused", "fault", "form")
    assert s.message == torso.cue and s.message_id == "fault:torso_upright"
    assert s.phase_line.startswith("Not counting") and not s.counting


def test_an_advisory_fault_while_counting_is_an_amber_tip():
    tip = result("front_foot_flat", Status.FAIL, required=False)
    s = story.tell(Report(checks={"front_foot_flat": tip}, cue=cue_of(tip)), SPEC)
    assert (s.state, s.tone, s.counting) == ("tip", "tip", True)
    assert s.message == tip.cue


def test_out_of_position_in_a_hold_never_says_holding():
    s = story.tell(Report(in_pose=False, valid=False, hold=Hold(grace_left_s=1.0)), SPEC)
    assert (s.state, s.reason) == ("paused", "out_of_position")
    assert "holding" not in s.phase_line.lower()
    assert s.message == SPEC.cues.get_in_position


@pytest.mark.parametrize("reason,expected", [("moving", "Hold still"),
                                             ("some_new_reason", "Hold still")])
def test_a_reason_given_by_the_report_is_told_from_one_mapping(reason, expected):
    @dataclass(frozen=True)
    class WithReason(Report):
        reason: str | None = None

    s = story.tell(WithReason(valid=True, reason=reason), SPEC)
    assert (s.state, s.tone, s.reason) == ("paused", "fault", reason)
    assert s.message.startswith(expected)


def test_unseen_says_which_part_only_when_its_landmarks_are_really_unseen():
    vis = np.ones(33)
    pose = PoseFrame(t_ms=0, width=640, height=480, xy=np.zeros((33, 2)), visibility=vis)
    unknown = result("shift_forward", Status.UNKNOWN, hidden=(31,))
    seen = story.tell(Report(valid=None, checks={"shift_forward": unknown}, pose=pose,
                             hidden_parts=("back foot",)), SPEC)
    assert "can't see" not in seen.message  # landmark 31 at visibility 1.0
    vis2 = vis.copy()
    vis2[31] = 0.1
    pose2 = PoseFrame(t_ms=0, width=640, height=480, xy=np.zeros((33, 2)), visibility=vis2)
    unseen = story.tell(Report(valid=None, checks={"shift_forward": unknown}, pose=pose2,
                               hidden_parts=("back foot",)), SPEC)
    assert unseen.message == "I can't see your back foot" and unseen.tone == "fault"


@pytest.mark.parametrize("phase,state", [(Phase.SETTLING, "get_ready"), (Phase.REST, "rest"),
                                         (Phase.SWITCH, "switch"), (Phase.DONE, "done"),
                                         (Phase.WAITING, "waiting")])
def test_timer_phases_tell_no_correction(phase, state):
    torso = result("torso_upright", Status.FAIL)
    s = story.tell(Report(hold=Hold(phase=phase, countdown_s=2.4), checks={"torso_upright":
                                                                           torso},
                          valid=False), SPEC)
    assert s.state == state
    assert torso.cue not in s.message  # the finished side is never corrected
    if state == "get_ready":
        assert s.message == "Get ready: 3" and s.message_id == "countdown:3"


def test_fault_names_are_the_fault_not_the_pass_label():
    # The spec's own fault text wins ...
    assert story.fault_name(SPEC, "torso_upright") == "torso leaning"
    assert story.fault_name(SPEC, "back_not_arched") == "low back arched"
    for c in SPEC.checks:
        assert story.fault_name(SPEC, c.id) == c.fault != c.label
    # ... and a user's spec without one still gets the label turned around.
    bare = replace(SPEC, checks=tuple(replace(c, fault="") for c in SPEC.checks))
    assert story.fault_name(bare, "back_not_arched") == "arch seen"
    assert story.fault_name(bare, "torso_upright") == "torso upright not held"


def test_every_bundled_check_names_its_fault():
    from posecheck.specs.parse import list_specs

    missing = [(sid, c.id) for sid in list_specs() for c in load_spec(sid).checks
               if not c.fault and not c.measure]  # a measure never fails: no fault to name
    assert missing == []


def test_summary_never_says_more_than_the_target_and_not_reached():
    broken = side_summary.SideSummary("left", 26.0, 20.0, 0, 1, ())
    assert side_summary.summary_lines([broken]) == [
        "Left: 26 s held well in all, target not reached: 0 of 1 holds lasted the 20 s."]


def test_summary_sentence_per_side_with_target_and_faults():
    left = side_summary.SideSummary("left", 20.0, 20.0, 1, 1, ())
    right = side_summary.SideSummary("right", 12.0, 20.0, 0, 1, (("torso leaning", 6.2),))
    lines = side_summary.summary_lines([left, right])
    assert lines[0] == "Left: 20 of 20 s held well, target reached."
    assert lines[1] == ("Right: 12 of 20 s held well, target not reached; most time lost to: "
                        "torso leaning (6 s).")


def pose_with_feet(foot_y: float, vis_feet: float = 0.9) -> PoseFrame:
    xy = np.tile([[320.0, 240.0]], (33, 1))
    xy[0] = (320, 60)
    vis = np.ones(33)
    for i in framing.FEET:
        xy[i] = (300 + i, foot_y)
        vis[i] = vis_feet
    return PoseFrame(t_ms=0, width=640, height=480, xy=xy, visibility=vis)


def test_framing_asks_to_step_back_until_the_feet_are_in():
    cut = framing.framing(Report(pose=pose_with_feet(479.0)), SPEC)
    assert not cut.ok and "feet" in cut.message
    hidden = framing.framing(Report(pose=pose_with_feet(400.0, vis_feet=0.1)), SPEC)
    assert not hidden.ok and "feet" in hidden.message
    side = framing.framing(Report(pose=pose_with_feet(400.0), view_ok=False), SPEC)
    assert not side.ok and side.message == SPEC.cues.turn_side_on
    ok = framing.framing(Report(pose=pose_with_feet(400.0)), SPEC)
    assert ok.ok
    assert not framing.framing(Report(has_pose=False), SPEC).ok


def test_framing_asks_to_level_a_tilted_camera_after_the_body_is_framed():
    from posecheck.core.level import CameraLevel

    framed = Report(pose=pose_with_feet(400.0))
    tilted = framing.framing(framed, SPEC, CameraLevel(roll_deg=-7.6, segments=40))
    assert not tilted.ok and tilted.message_id == "frame:level" and "about 8 degrees" in \
        tilted.message
    assert framing.framing(framed, SPEC, CameraLevel(roll_deg=2.0, segments=40)).ok
    cut = framing.framing(Report(pose=pose_with_feet(479.0)), SPEC,
                          CameraLevel(roll_deg=-7.6, segments=40))
    assert cut.message_id == "frame:feet"  # the body first, then the camera

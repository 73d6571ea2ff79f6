"""HoldTimer: frame-sequence tables (segments of in_pose / valid / side at a frame rate)."""

from __future__ import annotations

import pytest

from posecheck.core.errors import SettingError
from posecheck.core.hold import Hold, HoldSettings, HoldState, Phase
from posecheck.core.timer import HoldTimer

# A segment: (seconds, in_pose, valid, side). "out" / "ok" / "bad" / "unk" are shorthands.
OK = (True, True)
BAD = (True, False)
UNK = (True, None)
OUT = (False, None)
HIDDEN = (None, None)  # in position unknown (landmarks hidden)


def run(segments, fps: float = 10.0, side: str | None = "left", **settings):
    """Feed the segments to a fresh timer at ``fps``; the last frame lands on the end time.

    Returns the list of states (one per frame) and the timer.
    """
    params = dict(target_s=100.0, reps=1, sides=("left", "right"), debounce_s=1.0,
                  grace_s=1.0, rest_s=5.0)
    params.update(settings)
    timer = HoldTimer(HoldSettings(**params))
    bounds, t = [], 0.0
    for seg in segments:
        t += seg[0]
        bounds.append(t)
    n = int(round(bounds[-1] * fps))
    states = []
    for i in range(n + 1):
        t_s = i / fps
        k = next((j for j, b in enumerate(bounds) if t_s < b - 1e-9), len(segments) - 1)
        seg = segments[k]
        (in_pose, valid), seg_side = seg[1], (seg[2] if len(seg) > 2 else side)
        still = seg[3] if len(seg) > 3 else True
        motion = seg[4] if len(seg) > 4 else None
        bouncing = seg[5] if len(seg) > 5 else False
        states.append(timer.update(round(t_s * 1000), in_pose=in_pose, valid=valid,
                                   side=seg_side, still=still, motion=motion,
                                   bouncing=bouncing))
    return states, timer


def phases(states: list[HoldState]) -> set[Phase]:
    return {s.phase for s in states}


# ------------------------------------------------------------------ debounce
def test_debounce_short_visit_starts_no_hold():
    states, _ = run([(0.5, OK), (2.0, OUT)])
    assert Phase.SETTLING in phases(states)
    assert Phase.HOLDING not in phases(states)
    assert states[-1].holds == () and states[-1].valid_s_by_side["left"] == 0.0


def test_debounce_shows_get_ready_and_its_seconds_count_once_the_hold_earns_them():
    states, _ = run([(3.0, OK)])
    settling = [s for s in states if s.phase is Phase.SETTLING]
    assert settling and all(s.prompt == "Get ready" for s in settling)
    assert settling[0].countdown_s == pytest.approx(1.0)
    at = {s.t_ms: s for s in states}
    assert at[1500].hold_valid_s == pytest.approx(0.5)  # the hold's own 0.5 s, not yet earned
    assert at[2000].hold_valid_s == pytest.approx(2.0)  # 1 s of its own: the settle is added
    assert states[-1].phase is Phase.HOLDING and states[-1].prompt == "Hold"
    assert states[-1].hold_valid_s == pytest.approx(3.0)  # every still, valid second
    assert states[-1].valid_s_by_side["left"] == pytest.approx(3.0)


def test_a_hold_too_short_to_earn_the_debounce_keeps_only_its_own_seconds():
    # a pause at the top of a rep: settled, held 0.8 s, left
    states, _ = run([(1.8, OK), (2.0, OUT)])
    assert [(h.start_s, h.valid_s) for h in states[-1].holds] == [(0.0, pytest.approx(0.8))]
    assert states[-1].valid_s_by_side["left"] == pytest.approx(0.8)


def test_only_the_valid_seconds_of_the_debounce_are_credited():
    states, _ = run([(0.4, BAD), (3.6, OK)])
    assert states[-1].hold_valid_s == pytest.approx(3.0 + 0.6)  # the hold's own + the settle's


def test_debounce_restarts_after_a_flicker_out():
    # 0.8 s in, out briefly, 0.8 s in: never 1 s stable, so no hold.
    states, _ = run([(0.8, OK), (0.2, OUT), (0.8, OK), (0.5, OUT)])
    assert Phase.HOLDING not in phases(states)


def test_zero_debounce_starts_holding_on_first_frame():
    states, _ = run([(2.0, OK)], debounce_s=0.0)
    assert states[0].phase is Phase.HOLDING
    assert states[-1].hold_valid_s == pytest.approx(2.0)


# ------------------------------------------------------------------ grace
def test_short_dropout_inside_grace_keeps_the_hold():
    states, _ = run([(3.0, OK), (0.3, OUT), (2.0, OK)])
    last = states[-1]
    assert last.phase is Phase.HOLDING and last.holds == ()
    assert last.hold_valid_s == pytest.approx(3.0 + 2.0)  # the dropout counts nothing
    during = [s for s in states if s.grace_left_s is not None]
    assert during and all(s.phase is Phase.HOLDING for s in during)


def test_long_dropout_ends_the_hold_and_records_it():
    states, _ = run([(3.0, OK), (2.0, OUT), (1.5, OK)])
    last = states[-1]
    assert len(last.holds) == 1
    hold = last.holds[0]
    assert hold == Hold(side="left", start_s=0.0, end_s=3.0, valid_s=3.0, completed=False,
                        in_pose_s=3.0)
    # Back in position: a fresh debounce and a new hold from zero, not a continuation (its
    # 0.5 s of its own have not earned the debounce yet).
    assert last.phase is Phase.HOLDING and last.hold_valid_s == pytest.approx(0.5)
    assert last.valid_s_by_side["left"] == pytest.approx(3.5)


def test_grace_ends_while_still_out_shows_waiting():
    states, _ = run([(3.0, OK), (2.0, OUT)])
    assert states[-1].phase is Phase.WAITING
    assert [s.phase for s in states if 3.0 < s.t_ms / 1000 <= 4.0] == [Phase.HOLDING] * 10


# ------------------------------------------------------------------ unknown / invalid
def test_unknown_pauses_without_counting_or_resetting():
    states, _ = run([(3.0, OK), (2.0, UNK), (2.0, OK)])
    paused = [s for s in states if s.phase is Phase.PAUSED]
    assert len(paused) == 20
    assert len({s.hold_valid_s for s in paused[1:]}) == 1  # frozen while unknown
    last = states[-1]
    assert last.holds == () and last.hold_valid_s == pytest.approx(3.0 + 2.0)


def test_unknown_longer_than_grace_does_not_end_the_hold():
    states, _ = run([(2.0, OK), (10.0, UNK), (1.0, OK)], grace_s=0.5)
    assert states[-1].holds == () and states[-1].hold_valid_s == pytest.approx(2.0 + 1.0)


def test_unknown_after_leaving_lets_the_grace_run_out_and_ends_the_hold():
    # out of position, then the joints go unknown (standing up, the knee hidden): the person
    # was last seen out, so the grace is not frozen and the hold ends where they left
    states, _ = run([(3.0, OK), (0.5, OUT), (5.0, HIDDEN)], grace_s=1.0)
    last = states[-1]
    assert last.phase is Phase.WAITING and len(last.holds) == 1
    assert last.holds[0].end_s == pytest.approx(3.0) and last.holds[0].valid_s == pytest.approx(3.0)
    ended = next(s for s in states if s.holds)
    assert ended.t_ms == 4100  # the first frame past the 1 s grace from the exit at 3.0 s
    assert not any(s.phase is Phase.PAUSED for s in states)


def test_back_in_position_after_unknown_within_the_grace_keeps_the_hold():
    states, _ = run([(3.0, OK), (0.3, OUT), (0.3, HIDDEN), (2.0, OK)], grace_s=1.0)
    last = states[-1]
    assert last.holds == () and last.hold_valid_s == pytest.approx(3.0 + 2.0)


def test_unknown_motion_after_moving_lets_the_grace_run_out():
    states, _ = run([(3.0, OK), (0.5, OK, "left", MOVING), (3.0, OK, "left", None)],
                    grace_s=1.0)
    assert len(states[-1].holds) == 1 and states[-1].holds[0].end_s == pytest.approx(3.0)


def test_invalid_form_counts_no_time_but_keeps_the_hold():
    states, _ = run([(3.0, OK), (4.0, BAD), (1.0, OK)], grace_s=0.5)
    last = states[-1]
    assert last.holds == () and last.phase is Phase.HOLDING
    assert last.hold_valid_s == pytest.approx(3.0 + 1.0)
    assert last.in_pose_s_by_side["left"] == pytest.approx(8.0)


def test_max_invalid_s_ends_a_hold_when_set():
    states, _ = run([(3.0, OK), (4.0, BAD)], max_invalid_s=2.0)
    assert len(states[-1].holds) == 1 and not states[-1].holds[0].completed
    assert states[-1].holds[0].valid_s == pytest.approx(3.0)


# ------------------------------------------------------------------ completion, reps, sides
def test_hold_completes_exactly_at_target():
    states, _ = run([(10.0, OK)], target_s=5.0, reps=2)
    done = next(s for s in states if s.holds)
    assert done.t_ms == 5000  # 5 s in position: the debounce counted once the hold earned it
    assert done.holds[0].start_s == 0.0
    assert done.holds[0].completed and done.holds[0].valid_s == pytest.approx(5.0)
    assert done.reps_by_side == {"left": 1, "right": 0}
    assert done.phase is Phase.REST and done.prompt == "Rest"
    assert done.valid_s_by_side["left"] == pytest.approx(5.0)  # capped at the target


def test_target_between_frames_is_reached_on_the_next_frame_and_capped():
    states, _ = run([(5.0, OK)], target_s=2.05, debounce_s=0.0)
    done = next(s for s in states if s.holds)
    assert done.t_ms == 2100  # 10 fps: the first frame at or past the target
    assert done.holds[0].valid_s == pytest.approx(2.05)
    assert done.valid_s_by_side["left"] == pytest.approx(2.05)


def test_rest_lasts_rest_s_then_next_rep_counts():
    states, _ = run([(20.0, OK)], target_s=3.0, reps=3, rest_s=2.0)
    rest = [s for s in states if s.phase is Phase.REST]
    assert rest[0].countdown_s == pytest.approx(2.0)
    # Staying in position: hold 3 s (its first second the debounce), rest 2 s, ... per rep.
    last = states[-1]
    assert last.reps_by_side["left"] == 3
    assert [h.completed for h in last.holds] == [True, True, True]
    assert [h.start_s for h in last.holds] == [0.0, 5.0, 10.0]
    assert last.phase is Phase.SWITCH and last.side == "right"
    assert last.remaining == {"left": 0, "right": 3}


def test_leaving_the_position_ends_the_rest():
    states, _ = run([(5.0, OK), (0.5, OUT), (5.0, OK)], target_s=4.0, reps=2, rest_s=30.0)
    last = states[-1]
    assert last.reps_by_side["left"] == 2


def test_side_switch_prompt_and_sides_in_order():
    segs = [(5.0, OK, "left"), (1.0, OUT, None), (5.0, OK, "right")]
    states, _ = run(segs, target_s=3.0)
    switch = [s for s in states if s.phase is Phase.SWITCH]
    assert switch and all(s.prompt == "Switch sides" and s.side == "right" for s in switch)
    assert states[-1].phase is Phase.DONE and states[-1].prompt == "Done"
    assert [h.side for h in states[-1].holds] == ["left", "right"]


def test_other_side_first_is_counted_for_that_side():
    segs = [(5.0, OK, "right"), (1.0, OUT, None), (5.0, OK, "left")]
    states, _ = run(segs, target_s=3.0)
    assert [h.side for h in states[-1].holds] == ["right", "left"]
    assert states[-1].phase is Phase.DONE


def test_finished_side_gets_no_extra_rep_and_waits_for_a_switch():
    states, _ = run([(12.0, OK, "left")], target_s=3.0)
    assert states[-1].reps_by_side == {"left": 1, "right": 0}
    assert states[-1].phase is Phase.SWITCH


def test_unreported_side_follows_the_plan_after_leaving():
    segs = [(5.0, OK, None), (8.0, OK, None), (1.0, OUT, None), (5.0, OK, None)]
    states, _ = run(segs, target_s=3.0)
    # Staying in the same pose after the first side finished does not start the second side.
    assert [h.side for h in states[-1].holds] == ["left", "right"]
    assert states[-1].holds[1].start_s == pytest.approx(14.0)  # back in position at 14 s


def test_both_sides_spec_ignores_reported_side():
    segs = [(5.0, OK, "left"), (1.0, OUT, None), (5.0, OK, "right")]
    states, _ = run(segs, target_s=3.0, reps=2, sides=("both",), rest_s=0.5)
    last = states[-1]
    assert last.phase is Phase.DONE
    assert last.reps_by_side == {"both": 2} and last.valid_s_by_side == {"both": 6.0}
    assert Phase.SWITCH not in phases(states)


def test_turning_to_the_other_side_mid_hold_ends_it_after_grace():
    segs = [(3.0, OK, "left"), (4.0, OK, "right")]
    states, _ = run(segs)
    last = states[-1]
    assert [(h.side, h.completed) for h in last.holds] == [("left", False)]
    assert last.side == "right" and last.phase is Phase.HOLDING


# ------------------------------------------------------------------ time
@pytest.mark.parametrize("segments", [
    [(3.0, OK), (0.3, OUT), (2.0, OK), (1.0, BAD), (0.7, UNK), (2.0, OK)],
    [(2.0, OK), (2.0, OUT), (4.0, OK)],
])
def test_frame_rate_does_not_change_the_seconds(segments):
    a, _ = run(segments, fps=10.0)
    b, _ = run(segments, fps=30.0)
    assert a[-1].valid_s_by_side == pytest.approx(b[-1].valid_s_by_side)
    assert a[-1].hold_valid_s == pytest.approx(b[-1].hold_valid_s)
    assert [(h.start_s, h.valid_s) for h in a[-1].holds] == [
        (pytest.approx(h.start_s), pytest.approx(h.valid_s)) for h in b[-1].holds]


def test_irregular_frame_intervals_sum_to_the_elapsed_time():
    timer = HoldTimer(HoldSettings(target_s=100.0, debounce_s=0.0))
    t = 0
    for step in [33, 17, 50, 100, 8, 92, 200, 40, 60] * 5:
        state = timer.update(t, in_pose=True, valid=True, side="left")
        t += step
    assert state.hold_valid_s == pytest.approx(state.t_ms / 1000.0)


def test_long_dropout_adds_no_time():
    timer = HoldTimer(HoldSettings(target_s=100.0, debounce_s=0.0, max_frame_gap_s=0.5))
    for t in range(0, 2001, 100):
        timer.update(t, in_pose=True, valid=True, side="left")
    state = timer.update(12000, in_pose=True, valid=True, side="left")  # 10 s without frames
    assert state.hold_valid_s == pytest.approx(2.0)
    state = timer.update(12100, in_pose=True, valid=True, side="left")
    assert state.hold_valid_s == pytest.approx(2.1)


def test_non_increasing_timestamps_are_ignored():
    timer = HoldTimer(HoldSettings(debounce_s=0.0))
    timer.update(0, in_pose=True, valid=True, side="left")
    before = timer.update(100, in_pose=True, valid=True, side="left")
    assert timer.update(100, in_pose=False, valid=None, side=None) is before
    assert timer.update(50, in_pose=False, valid=None, side=None) is before
    assert timer.ignored_frames == 2


# ------------------------------------------------------------------ settings
def test_settings_normalise_sides_and_max_s_follows_the_target():
    s = HoldSettings(target_s=20.0, reps=2, sides=["Right", "left"])
    assert (s.sides, s.max_s, s.reps) == (("right", "left"), 20.0, 2)
    assert HoldSettings(target_s=20.0, max_s=45.0).max_s == 45.0
    assert HoldTimer(s).settings is s
    assert HoldTimer(s).state.remaining == {"right": 2, "left": 2}


@pytest.mark.parametrize("bad, field", [
    (dict(target_s=0), "target_s"), (dict(reps=0), "reps"), (dict(sides=()), "sides"),
    (dict(sides=("left", "both")), "sides"), (dict(sides=("up",)), "sides"),
    (dict(grace_s=-1), "grace_s"), (dict(max_frame_gap_s=0), "max_frame_gap_s"),
    (dict(target_s=30.0, max_s=20.0), "max_s"), (dict(reps=3, reps_max=2), "reps_max"),
    (dict(max_invalid_s=-0.5), "max_invalid_s"), (dict(reps=1.5), "reps"),
    (dict(per_day=-1), "per_day"), (dict(debounce_s=float("nan")), "debounce_s"),
])
def test_bad_settings_name_the_field(bad, field):
    with pytest.raises(SettingError, match=field) as info:
        HoldSettings(**bad)
    assert info.value.field == f"hold.{field}" and "Fix:" in str(info.value)


def test_state_to_dict_is_json_ready():
    import json

    states, _ = run([(5.0, OK)], target_s=3.0)
    data = json.loads(json.dumps(states[-1].to_dict()))
    assert data["phase"] == "switch" and data["holds"][0]["completed"] is True
    assert states[-1].remaining_text == "1 rep on the right"


# ------------------------------------------------------------------ stillness
# A segment's 4th element is ``still``: False = the body is moving, None = motion unknown.
MOVING = False


def test_moving_in_position_never_starts_a_hold():
    # reps: in position with good form the whole time, but moving except for short pauses
    reps = [(0.8, OK, "left", MOVING), (0.6, OK, "left", True)] * 8
    states, _ = run(reps)
    assert Phase.HOLDING not in phases(states)
    assert states[-1].valid_s_by_side["left"] == 0.0


def test_moving_restarts_the_debounce():
    states, _ = run([(0.8, OK), (0.3, OK, "left", MOVING), (0.8, OK), (1.0, OK)])
    started = next(i for i, s in enumerate(states) if s.phase is Phase.HOLDING)
    assert started / 10.0 == pytest.approx(0.8 + 0.3 + 1.0, abs=0.11)


def test_unknown_motion_freezes_the_debounce():
    states, _ = run([(0.5, OK), (2.0, OK, "left", None), (0.7, OK)])
    started = next(i for i, s in enumerate(states) if s.phase is Phase.HOLDING)
    assert started / 10.0 == pytest.approx(0.5 + 2.0 + 0.5, abs=0.11)


def test_moving_in_a_hold_counts_nothing_and_a_short_move_keeps_the_hold():
    states, _ = run([(3.0, OK), (0.5, OK, "left", MOVING), (2.0, OK)])
    last = states[-1]
    assert last.phase is Phase.HOLDING and last.holds == ()
    assert last.hold_valid_s == pytest.approx(3.0 + 2.0, abs=0.01)
    assert any(s.grace_left_s is not None for s in states)  # the move ran the grace clock


def test_moving_longer_than_grace_ends_the_hold():
    states, _ = run([(3.0, OK), (2.0, OK, "left", MOVING), (2.5, OK)])
    last = states[-1]
    assert len(last.holds) == 1 and not last.holds[0].completed
    assert last.holds[0].valid_s == pytest.approx(3.0, abs=0.01)
    assert last.holds[0].end_s == pytest.approx(3.0, abs=0.01)
    # a new hold after a new debounce, which it has earned by the end
    assert last.phase is Phase.HOLDING
    assert last.hold_valid_s == pytest.approx(2.5, abs=0.11)


def test_unknown_motion_in_a_hold_pauses():
    states, _ = run([(3.0, OK), (1.0, OK, "left", None), (1.0, OK)])
    assert any(s.phase is Phase.PAUSED for s in states)
    assert states[-1].hold_valid_s == pytest.approx(3.0 + 1.0, abs=0.01)


def test_moving_visits_count_as_moving_reps_never_as_hold_time():
    # bridge-like reps: lift (in position, moving), lower (out of position), 5 times
    reps = [(1.2, OK, "left", MOVING), (0.8, OUT)] * 5
    states, _ = run(reps, sides=("both",))
    last = states[-1]
    assert last.moving_reps_by_side == {"both": 5}
    assert last.valid_s_by_side["both"] == 0.0 and last.reps_by_side["both"] == 0
    assert last.to_dict()["moving_reps_by_side"] == {"both": 5}


# ------------------------------------------------------------------ the end of a hold
# A segment's 5th element is the body motion (body lengths/s) behind ``still``.
def test_the_start_of_a_slow_exit_is_taken_back_when_the_hold_ends():
    # held at 0.01, then 0.6 s of a slow exit (0.15: still under max_motion, form good), out
    segs = [(5.0, OK, "left", True, 0.01), (0.6, OK, "left", True, 0.15), (2.0, OUT)]
    states, _ = run(segs)
    at = {s.t_ms: s for s in states}
    assert at[5600].hold_valid_s == pytest.approx(5.6)  # counted while it happened
    last = states[-1]
    assert [(h.end_s, h.valid_s) for h in last.holds] == [(5.6, pytest.approx(5.0))]
    assert last.valid_s_by_side["left"] == pytest.approx(5.0)


def test_the_take_back_is_at_most_the_motion_window():
    segs = [(10.0, OK, "left", True, 0.01), (1.5, OK, "left", True, 0.15), (2.0, OUT)]
    states, timer = run(segs)
    window = timer.settings.stillness.window_s
    assert states[-1].holds[0].valid_s == pytest.approx(11.5 - window)


def test_a_jittery_hold_keeps_its_last_seconds():
    # the last second moves no more than the hold did: nothing is taken back
    jitter = [(0.1, OK, "left", True, m) for m in (0.05, 0.2) * 30]
    states, _ = run(jitter + [(2.0, OUT)])
    assert states[-1].holds[0].valid_s == pytest.approx(6.0)


def test_a_completed_hold_keeps_every_second():
    segs = [(4.0, OK, "left", True, 0.01), (2.0, OK, "left", True, 0.15), (2.0, OUT)]
    states, _ = run(segs, target_s=5.0)
    assert states[-1].holds[0].completed and states[-1].holds[0].valid_s == pytest.approx(5.0)


def test_without_motion_nothing_is_taken_back():
    states, _ = run([(5.6, OK), (2.0, OUT)])
    assert states[-1].holds[0].valid_s == pytest.approx(5.6)


# A segment's 6th element: the hips are bouncing (``still`` is False then too).
def test_bouncing_found_gives_back_the_bounce_window():
    # a 10 s hold, then the swings of the last 3 s (the bounce window) are recognised
    states, timer = run([(10.0, OK), (0.5, OK, "left", False, None, True)])
    window = timer.settings.stillness.bounce_window_s
    before = next(s for s in states if s.t_ms == 9_900)  # the last frame before it
    assert before.valid_s_by_side["left"] == pytest.approx(9.9)
    assert states[-1].valid_s_by_side["left"] == pytest.approx(10.0 - window)
    assert states[-1].hold_valid_s == pytest.approx(10.0 - window)


def test_a_bounce_that_looked_still_books_nothing():
    # small fast swings under max_motion: the debounce (credited at 2.0 s) and the hold's own
    # 1.4 s counted before the bounce detector had seen enough swings, all in its window
    states, _ = run([(2.5, OK), (1.0, OK, "left", False, None, True), (2.0, OUT)])
    last = states[-1]
    assert max(s.valid_s_by_side["left"] for s in states) == pytest.approx(2.4)  # before
    assert last.valid_s_by_side["left"] == 0.0 and last.holds[0].valid_s == 0.0
    assert not any(h.valid_s for h in last.holds)


def test_a_still_hold_is_not_a_moving_rep():
    states, _ = run([(0.5, OK, "left", MOVING), (3.0, OK), (1.5, OUT)])
    last = states[-1]
    assert last.moving_reps_by_side == {"left": 0, "right": 0}
    assert len(last.holds) == 1 and last.holds[0].valid_s > 0

"""core.side_summary (pure layer): the end-of-session sentence says when a side was unsure."""

from __future__ import annotations

from posecheck.core.side_summary import SideSummary, side_summaries


def test_an_unsure_hold_is_said_not_hidden():
    sure = SideSummary("left", 20.0, 20.0, 1, 1, ())
    unsure = SideSummary("left", 20.0, 20.0, 1, 1, (), unsure_holds=1)
    assert "unsure" not in sure.sentence()
    assert unsure.sentence().startswith(sure.sentence()[:-1])
    assert "the side of 1 hold was unsure" in unsure.sentence()
    assert "2 holds" in SideSummary("right", 5.0, 20.0, 0, 1, (), unsure_holds=2).sentence()


def test_side_summaries_carry_the_unsure_counts_per_side():
    class Hold:
        target_s, reps = 20.0, 1

    class Spec:
        hold, sides, checks = Hold(), ("left", "right"), ()

    out = side_summaries([], Spec(), {"left": 10.0, "right": 3.0}, {"left": 0, "right": 0},
                         unsure_holds={"right": 1})
    assert [(s.side, s.unsure_holds) for s in out] == [("left", 0), ("right", 1)]


def test_the_lifts_of_a_moving_exercise_are_said_with_their_form_and_holds():
    plain = SideSummary("both", 0.0, 5.0, 0, 15, ())
    lifts = SideSummary("both", 0.0, 5.0, 0, 15, (), lifts=(12, 10, 0))
    assert "lift" not in plain.sentence()
    assert lifts.sentence().startswith(plain.sentence()[:-1])
    assert "12 lifts (10 with good form), 0 counted as hold time" in lifts.sentence()
    assert "1 lift (1 with good form)" in SideSummary("both", 0.0, 5.0, 0, 15, (),
                                                     lifts=(1, 1, 1)).sentence()

"""The frame rules (posecheck.core.rules): scalar form stepped frame by frame == array form,
over a table of hand-chosen and seeded random sequences; and each rule's meaning (pure layer)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posecheck.core import rules
from posecheck.core.checks import CheckEvaluator
from posecheck.core.metrics import MetricValue
from posecheck.core.rules import FAIL, PASS, UNKNOWN, Presence
from posecheck.specs.model import CheckSpec

P, F, U = PASS, FAIL, UNKNOWN
NAN = math.nan


# ---------------------------------------------------------------------------- stepping
def step_band(values, lo, hi, h) -> list[int]:
    """The scalar band as CheckEvaluator drives it: the previous decision is the last known."""
    out, previous = [], None
    for v in values:
        d = rules.band(float(v), lo, hi, h, previous)
        if d is not None:
            previous = d
        out.append(rules.code(d))
    return out


def step_presence(t_ms, has_pose, in_now, grace_s) -> tuple[list[int], list[int]]:
    state, sticky, timer = Presence(), [], []
    for t, posed, now in zip(t_ms, has_pose, in_now):
        state = rules.presence(state, int(t), bool(posed), rules.decode(now), grace_s)
        sticky.append(rules.code(state.in_pose))
        timer.append(rules.code(state.timer_in_pose))
    return sticky, timer


def step_valid(in_pose, has_pose, in_now, view_ok, form, timer_only) -> list[int]:
    return [rules.code(rules.frame_valid(bool(a), bool(b), rules.decode(c), rules.decode(d),
                                         rules.decode(e), timer_only))
            for a, b, c, d, e in zip(in_pose, has_pose, in_now, view_ok, form)]


# ---------------------------------------------------------------------------- band: table
LO, HI, H = 5.0, 12.0, 1.0
EDGES = [LO - H, LO, LO + H, HI - H, HI, HI + H]
BAND_CASES = [
    ("empty", [], LO, HI, H),
    ("all unknown", [NAN, NAN, math.inf], LO, HI, H),
    ("exact edges up", EDGES, LO, HI, H),
    ("exact edges down", EDGES[::-1], LO, HI, H),
    ("edges, passing then each edge", [8.0, *EDGES, 8.0, *EDGES[::-1]], LO, HI, H),
    ("edges, failing then each edge", [20.0, *EDGES, 0.0, *EDGES[::-1]], LO, HI, H),
    ("unknown first, then inside the hysteresis zone", [NAN, 12.5, 11.5, 12.9, 13.1], LO, HI, H),
    ("unknown keeps the state", [8.0, NAN, 12.5, 13.5, NAN, -math.inf, 11.5, 10.9], LO, HI, H),
    ("hover on the upper threshold", [11.9, 12.1, 11.9, 12.1, 13.0, 12.1, 11.0, 12.9], LO, HI, H),
    ("no hysteresis", [4.9, 5.0, 12.0, 12.1, NAN, 5.0], LO, HI, 0.0),
    ("open below", [-1e9, 59.0, 60.5, 61.5, 60.5, 58.9, 60.9], None, 60.0, 1.0),
    ("open above", [0.0, -0.5, 1.5, 0.5, 2.5, -0.9, -1.1], 0.0, None, 1.0),
    ("both open", [1.0, NAN, -1e12, 1e12], None, None, 2.0),
    ("narrowed band empty", [5.0, 6.0, 4.0, 5.0, 6.0, 9.0], 4.0, 6.0, 1.5),
]


def _random_band_cases(n_cases: int = 40, n: int = 120):
    rng = np.random.default_rng(12)
    cases = []
    for k in range(n_cases):
        lo = None if k % 7 == 3 else float(rng.uniform(-5, 5))
        hi = None if k % 7 == 5 else (lo if lo is not None else 0.0) + float(rng.uniform(2, 10))
        h = float(rng.choice([0.0, 0.25, 1.0]))
        anchors = [e + d for e in (lo or 0.0, hi or 0.0) for d in (-h, 0.0, h)]
        v = np.where(rng.random(n) < 0.5, rng.choice(anchors, n), rng.normal(lo or 0.0, 6, n))
        v[rng.random(n) < 0.15] = np.nan
        cases.append((f"random {k}", v.tolist(), lo, hi, h))
    return cases


@pytest.mark.parametrize("name,values,lo,hi,h", BAND_CASES + _random_band_cases(),
                         ids=lambda x: x if isinstance(x, str) else None)
def test_band_scalar_stepped_equals_array(name, values, lo, hi, h) -> None:
    got = rules.band_array(np.asarray(values, dtype=float), lo, hi, h).tolist()
    assert got == step_band(values, lo, hi, h)


# ---------------------------------------------------------------------------- band: meaning
def test_band_hysteresis_by_hand() -> None:
    # band max=10, hysteresis 1: passing keeps passing up to 11; failing needs <= 9 again.
    v = [0, 10.5, 9, 11, 12, 10.5, 9.5, NAN, 8.9, 10.5, 11.5]
    # 0 first frame plain band: P; 10.5, 9, 11 within the widened band (<= 11): P;
    # 12 > 11: F; 10.5, 9.5 above the narrowed band (<= 9): F; NaN: U (state kept F);
    # 8.9 <= 9: P; 10.5 <= 11: P; 11.5 > 11: F.
    assert rules.band_array(np.array(v), None, 10.0, 1.0).tolist() == [
        P, P, P, P, F, F, F, U, P, P, F]


def test_band_first_value_uses_the_plain_band() -> None:
    assert rules.band(10.5, None, 10.0, 1.0, None) is False
    assert rules.band(10.5, None, 10.0, 1.0, True) is True
    assert rules.band(9.5, None, 10.0, 1.0, False) is False
    assert rules.band_array(np.array([NAN, 10.5]), None, 10.0, 1.0).tolist() == [U, F]


def test_band_without_hysteresis_is_the_plain_band_with_inclusive_ends() -> None:
    v = np.array([-1.0, 0.0, 5.0, 10.0, 10.1, NAN])
    assert rules.band_array(v, 0.0, 10.0, 0.0).tolist() == [F, P, P, P, F, U]


def test_band_unmeasured_is_unknown_never_pass() -> None:
    for v in (NAN, math.inf, -math.inf):
        assert rules.band(v, None, None, 0.0, True) is None


def test_band_array_refuses_negative_hysteresis() -> None:
    with pytest.raises(ValueError, match="hysteresis"):
        rules.band_array(np.array([1.0]), 0.0, 2.0, -0.5)


def test_check_evaluator_follows_the_band_rule() -> None:
    rng = np.random.default_rng(3)
    v = rng.normal(10, 3, 300)
    v[rng.random(300) < 0.1] = np.nan
    spec = CheckSpec(id="c", metric="torso_lean_deg", min=5.0, max=12.0, unit="deg",
                     hysteresis=1.0, cue_low="x", cue_high="y")
    ev = CheckEvaluator([spec])
    got = [rules.code(ev.update({"torso_lean_deg": MetricValue(x)})["c"].status.passed)
           for x in v]
    assert got == rules.band_array(v, 5.0, 12.0, 1.0).tolist()


# ---------------------------------------------------------------------------- all pass
def test_all_pass_scalar_equals_array_over_random_decisions() -> None:
    rng = np.random.default_rng(5)
    for c in range(5):
        stack = rng.choice([P, F, U], size=(c, 60), p=[0.6, 0.15, 0.25]).astype(np.int8)
        want = [rules.code(rules.all_pass(rules.decode(x) for x in col)) for col in stack.T]
        if c == 0:
            want = [P] * 60
        assert rules.all_pass_array(list(stack), 60).tolist() == want


@pytest.mark.parametrize("decisions,expected", [
    ([], True), ([True, True], True), ([True, None], None), ([None, False], False),
    ([False, True], False), ([None], None)])
def test_all_pass_fail_beats_unknown_beats_pass(decisions, expected) -> None:
    assert rules.all_pass(decisions) is expected
    codes = [np.array([rules.code(d)], np.int8) for d in decisions]
    assert rules.all_pass_array(codes, 1).tolist() == [rules.code(expected)]


# ---------------------------------------------------------------------------- presence: table
PRESENCE_CASES = [
    # name, t_ms, has_pose, in_now, grace_s
    ("no person at all", [0, 100, 200], [0, 0, 0], [U, U, U], 1.5),
    ("person, then a gap shorter than the grace", [0, 100, 200, 900, 1000],
     [1, 1, 0, 0, 1], [P, P, U, U, U], 1.5),
    ("gap longer than the grace", [0, 100, 1000, 1700, 1800], [1, 0, 0, 0, 1],
     [P, U, U, U, U], 1.5),
    ("gap exactly the grace", [0, 1500, 1501], [1, 0, 0], [P, U, U], 1.5),
    ("zero grace", [0, 100, 100, 200], [1, 0, 1, 0], [P, U, P, U], 0.0),
    ("undecided keeps the last decision", [0, 100, 200, 300, 400], [1, 1, 1, 1, 1],
     [U, P, U, F, U], 1.5),
    ("undecided before any decision", [0, 100, 200], [1, 1, 1], [U, U, P], 1.5),
    ("in_now ignored without a person", [0, 100, 200], [1, 0, 0], [P, F, F], 1.5),
]


def _random_presence_cases(n_cases: int = 40, n: int = 150):
    rng = np.random.default_rng(21)
    cases = []
    for k in range(n_cases):
        grace = float(rng.choice([0.0, 0.5, 1.5]))
        # frame gaps: mostly 1/30 s, some dropouts around and beyond the grace
        gaps = np.where(rng.random(n) < 0.9, 33, rng.choice([0, 400, 500, 501, 1500, 1501, 3000],
                                                            n))
        t = np.cumsum(gaps) - gaps[0]
        posed = np.repeat(rng.random(n // 5 + 1) < 0.7, 5)[:n]
        posed ^= rng.random(n) < 0.05
        now = rng.choice([P, F, U], n, p=[0.55, 0.15, 0.3])
        cases.append((f"random {k}", t.tolist(), posed.astype(int).tolist(), now.tolist(),
                      grace))
    return cases


@pytest.mark.parametrize("name,t_ms,has_pose,in_now,grace_s",
                         PRESENCE_CASES + _random_presence_cases(),
                         ids=lambda x: x if isinstance(x, str) else None)
def test_presence_scalar_stepped_equals_array(name, t_ms, has_pose, in_now, grace_s) -> None:
    sticky, timer = rules.presence_array(np.array(t_ms, np.int64), np.array(has_pose, bool),
                                         np.array(in_now, np.int8), grace_s)
    assert (sticky.tolist(), timer.tolist()) == step_presence(t_ms, has_pose, in_now, grace_s)


# ---------------------------------------------------------------------------- presence: meaning
def test_presence_grace_pauses_then_ends_the_position() -> None:
    s = rules.presence(Presence(), 0, True, True, 1.5)
    assert (s.in_pose, s.timer_in_pose, s.last_pose_ms) == (True, True, 0)
    s = rules.presence(s, 1500, False, None, 1.5)  # lost for exactly the grace: paused
    assert (s.in_pose, s.timer_in_pose) == (True, None)
    s = rules.presence(s, 1501, False, None, 1.5)  # longer: they left
    assert (s.in_pose, s.timer_in_pose) == (False, False)


def test_presence_undecided_frame_keeps_the_position_and_pauses_the_timer() -> None:
    s = rules.presence(Presence(), 0, True, True, 1.5)
    s = rules.presence(s, 100, True, None, 1.5)
    assert (s.in_pose, s.timer_in_pose) == (True, None)
    s = rules.presence(s, 200, True, False, 1.5)
    assert (s.in_pose, s.timer_in_pose) == (False, False)


def test_presence_no_person_yet_is_out_of_position() -> None:
    s = rules.presence(Presence(), 0, False, None, 1.5)
    assert (s.in_pose, s.timer_in_pose, s.last_pose_ms) == (False, False, None)


# ---------------------------------------------------------------------------- validity
@pytest.mark.parametrize("timer_only", [False, True])
def test_frame_valid_scalar_equals_array_over_random_frames(timer_only) -> None:
    rng = np.random.default_rng(8 + timer_only)
    n = 500
    args = (rng.integers(0, 2, n), rng.random(n) < 0.8, rng.choice([P, F, U], n),
            rng.choice([P, F, U], n), rng.choice([P, F, U], n))
    got = rules.frame_valid_array(*(np.asarray(a) for a in args), timer_only=timer_only)
    assert got.tolist() == step_valid(*args, timer_only)


@pytest.mark.parametrize("in_pose,has_pose,in_now,view_ok,form,timer_only,expected", [
    (False, True, True, True, True, False, False),   # out of position: invalid
    (False, False, None, None, None, False, False),
    (True, False, None, None, None, False, None),    # in position, person lost: pause
    (True, True, True, None, True, False, None),     # view unknown: pause
    (True, True, True, False, True, False, None),    # wrong view: pause, not a fault
    (True, True, True, True, False, False, False),   # a required check fails
    (True, True, None, True, False, False, False),   # ... even with a condition unseen
    (True, True, None, True, True, False, None),     # form passes, a condition unseen: pause
    (True, True, True, True, None, False, None),     # a required check unseen: pause
    (True, True, True, True, True, False, True),
    (True, True, True, False, False, True, True),    # timer_only: in position is valid
    (True, True, None, True, True, True, None),
])
def test_frame_valid_meaning(in_pose, has_pose, in_now, view_ok, form, timer_only,
                             expected) -> None:
    assert rules.frame_valid(in_pose, has_pose, in_now, view_ok, form, timer_only) is expected


# ---------------------------------------------------------------------------- composed
def test_rules_composed_as_the_session_equals_the_replay_chain() -> None:
    """Conditions -> in position now -> presence -> validity, one clip, both ways."""
    rng = np.random.default_rng(34)
    n = 400
    t = np.cumsum(np.where(rng.random(n) < 0.95, 100, 2000))
    posed = rng.random(n) < 0.85
    # metrics are NaN on a frame without a person, as in a trace
    unseen = lambda: ~posed | (rng.random(n) < 0.1)  # noqa: E731
    cond_vals = [np.where(unseen(), np.nan, rng.normal(50, 15, n)) for _ in range(2)]
    check_vals = np.where(unseen(), np.nan, rng.normal(10, 4, n))
    view_ok = rng.choice([P, F, U], n, p=[0.8, 0.1, 0.1])
    bands = [(30.0, None, 2.0), (None, 70.0, 3.0)]

    conds = [rules.band_array(v, *b) for v, b in zip(cond_vals, bands)]
    in_now = np.where(posed, rules.all_pass_array(conds, n), U)
    in_pose, timer_in = rules.presence_array(t, posed, in_now, 1.5)
    form = rules.all_pass_array([rules.band_array(check_vals, 5.0, 15.0, 1.0)], n)
    valid = rules.frame_valid_array(in_pose, posed, in_now, view_ok, form)

    prev = [None, None, None]
    state = Presence()
    got = []
    for i in range(n):
        ds = []
        for k, (v, b) in enumerate(zip(cond_vals, bands)):
            d = rules.band(v[i], *b, prev[k])
            prev[k] = prev[k] if d is None else d
            ds.append(d)
        now = rules.all_pass(ds) if posed[i] else None
        c = rules.band(check_vals[i], 5.0, 15.0, 1.0, prev[2])
        prev[2] = prev[2] if c is None else c
        state = rules.presence(state, int(t[i]), bool(posed[i]), now, 1.5)
        v = rules.frame_valid(state.in_pose, bool(posed[i]), now, rules.decode(view_ok[i]),
                              rules.all_pass([c]))
        got.append((rules.code(state.in_pose), rules.code(state.timer_in_pose), rules.code(v)))
    assert got == list(zip(in_pose.tolist(), timer_in.tolist(), valid.tolist()))

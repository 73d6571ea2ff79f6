"""The frame rules, each written once, in two forms side by side. Pure numpy.

Each rule has a **scalar form** (one frame; :class:`~posecheck.core.session.StretchSession`
and :mod:`posecheck.core.checks` call it every frame) and an **array form** (a whole clip at
once; the tuning replay, :func:`posecheck.tuning.replay.replay`, calls it under other
thresholds). tests/core/test_rules.py steps every scalar form frame by frame over a table of
sequences and asserts it gives the array form's answer.

Encoding (the only difference between the two forms):
    - scalar: ``True`` pass / in / valid, ``False`` fail / out / invalid, ``None`` unknown;
    - array: int8 codes ``PASS = 1``, ``FAIL = 0``, ``UNKNOWN = -1`` (:func:`code`,
      :func:`decode` convert one value).

The rules:
    - :func:`band` / :func:`band_array`: a value against a band ``lo <= v <= hi`` with
      hysteresis. A passing value keeps passing inside the band widened by ``hysteresis``; a
      failing one passes again only inside the band narrowed by it; the first measured value
      (no previous decision) uses the plain band. An unmeasured value (NaN) is unknown and
      leaves the previous decision as it was. Form checks, pose conditions and the camera
      view ("side" passes ``ratio <= side_max_ratio``) all use it.
    - :func:`all_pass` / :func:`all_pass_array`: several decisions joined: any fail -> fail,
      else any unknown -> unknown, else pass (none at all: pass). "In position now" joins the
      pose conditions; the form joins the required checks.
    - :func:`presence` / :func:`presence_array`: the sticky in-position decision and the
      no-pose grace. A frame whose conditions all decide sets in position; an undecided one
      keeps the last decision. A frame without a person keeps it for ``grace_s`` after the
      last frame with one (the timer pauses); a longer loss, or no person yet, means out of
      position. Also gives what the hold timer is told (unknown while undecided or in grace).
    - :func:`frame_valid` / :func:`frame_valid_array`: what the hold timer counts: out of
      position -> invalid; in position but no person, the view not known to suit the spec,
      or a condition undecided while the form passes -> unknown (the timer pauses); else the
      form (``timer_only`` specs: valid while the conditions hold).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

PASS, FAIL, UNKNOWN = 1, 0, -1


def code(decision: bool | None) -> int:
    """Scalar decision -> array code."""
    return UNKNOWN if decision is None else int(bool(decision))


def decode(value: int) -> bool | None:
    """Array code -> scalar decision."""
    return None if value == UNKNOWN else bool(value)


def _hold_last(decided: np.ndarray, start: int) -> np.ndarray:
    """Each frame's latest decision so far (UNKNOWN entries keep the one before; ``start``
    before the first): the array form of a state that only a decision changes."""
    idx = np.where(decided != UNKNOWN, np.arange(len(decided)), -1)
    np.maximum.accumulate(idx, out=idx)
    return np.where(idx >= 0, decided[np.maximum(idx, 0)], start).astype(np.int8)


# ---------------------------------------------------------------------------- band
def band(value: float, lo: float | None, hi: float | None, hysteresis: float,
         previous: bool | None) -> bool | None:
    """One value against ``lo..hi`` (None = open) given the previous decision.

    ``previous`` True widens the band by ``hysteresis`` on both ends, False narrows it,
    None (first value) uses it as it is. A non-finite value is unknown (None).
    """
    if not math.isfinite(value):
        return None
    widen = 0.0 if previous is None else (hysteresis if previous else -hysteresis)
    low = -math.inf if lo is None else lo - widen
    high = math.inf if hi is None else hi + widen
    return bool(low <= value <= high)


def band_array(values: np.ndarray, lo: "float | np.ndarray | None",
               hi: "float | np.ndarray | None", hysteresis: "float | np.ndarray"
               ) -> np.ndarray:
    """:func:`band` over a clip, each frame's previous decision being the last known one.

    A value inside the narrowed band passes whatever came before; one outside the widened
    band fails; one between keeps the previous decision (the first known one: the plain
    band). Needs ``hysteresis >= 0`` (the specs enforce it). ``lo``, ``hi`` and
    ``hysteresis`` may also be ``(T,)`` arrays, a band per frame (``-inf`` / ``inf`` open):
    a check judged on its fallback metric in some frames, the previous decision carried
    across, as :class:`~posecheck.core.checks.CheckEvaluator` does.
    """
    h = np.asarray(hysteresis, dtype=np.float64)
    if np.any(h < 0):
        raise ValueError(f"hysteresis must be >= 0, got {hysteresis}")
    v = np.asarray(values, dtype=np.float64)
    low = -math.inf if lo is None else np.asarray(lo, dtype=np.float64)
    high = math.inf if hi is None else np.asarray(hi, dtype=np.float64)
    known = np.isfinite(v)
    inside = (v >= low) & (v <= high)
    wide = (v >= low - h) & (v <= high + h)
    narrow = (v >= low + h) & (v <= high - h)
    decided = np.where(narrow, PASS, np.where(wide, UNKNOWN, FAIL)).astype(np.int8)
    decided[~known] = UNKNOWN
    first = np.flatnonzero(known)[:1]
    decided[first] = inside[first]  # no previous decision: the plain band
    return np.where(known, _hold_last(decided, UNKNOWN), UNKNOWN).astype(np.int8)


# ---------------------------------------------------------------------------- all pass
def all_pass(decisions: Iterable[bool | None]) -> bool | None:
    """Any False -> False; else any None -> None; else True (also for none at all)."""
    ds = list(decisions)
    if any(d is False for d in ds):
        return False
    if any(d is None for d in ds):
        return None
    return True


def all_pass_array(decisions: Sequence[np.ndarray], n: int) -> np.ndarray:
    """:func:`all_pass` frame by frame over ``decisions`` (each ``(n,)`` codes)."""
    out = np.full(n, PASS, np.int8)
    for d in decisions:
        out[(np.asarray(d) == UNKNOWN) & (out == PASS)] = UNKNOWN
    for d in decisions:
        out[np.asarray(d) == FAIL] = FAIL
    return out


# ---------------------------------------------------------------------------- presence
@dataclass(frozen=True)
class Presence:
    """The state :func:`presence` carries from frame to frame, and its answer.

    Attributes:
        in_pose: the sticky in-position decision (what the page shows).
        timer_in_pose: what the hold timer is told: the decision on a frame that made one,
            None (pause) while undecided or within the no-pose grace.
        last_pose_ms: timestamp of the last frame with a person (None: none yet).
    """

    in_pose: bool = False
    timer_in_pose: bool | None = False
    last_pose_ms: int | None = None


def presence(previous: Presence, t_ms: int, has_pose: bool, in_now: bool | None,
             grace_s: float) -> Presence:
    """The next :class:`Presence` after one frame (``in_now``: :func:`all_pass` of the pose
    conditions on this frame; ignored when ``has_pose`` is False)."""
    if has_pose:
        if in_now is None:
            return Presence(previous.in_pose, None, t_ms)
        return Presence(in_now, in_now, t_ms)
    last = previous.last_pose_ms
    if last is None or t_ms - last > grace_s * 1000:
        return Presence(False, False, last)
    return Presence(previous.in_pose, None, last)


def presence_array(t_ms: np.ndarray, has_pose: np.ndarray, in_now: np.ndarray,
                   grace_s: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`presence` over a clip from ``Presence()``: ``(in_pose, timer_in_pose)`` codes.

    A frame decides when it has a person and ``in_now`` is known (its value), or when the
    person has been gone longer than the grace (out); the sticky decision is the last one.
    """
    t = np.asarray(t_ms, dtype=np.int64)
    posed = np.asarray(has_pose, dtype=bool)
    n = len(t)
    last_posed = np.where(posed, np.arange(n), -1)
    np.maximum.accumulate(last_posed, out=last_posed)
    lost_ms = t - t[np.maximum(last_posed, 0)]
    gone = ~posed & ((last_posed < 0) | (lost_ms > grace_s * 1000))
    decided = np.where(posed, np.asarray(in_now, dtype=np.int8), UNKNOWN).astype(np.int8)
    decided[gone] = FAIL
    return _hold_last(decided, FAIL), decided


# ---------------------------------------------------------------------------- validity
def frame_valid(in_pose: bool, has_pose: bool, in_now: bool | None, view_ok: bool | None,
                form: bool | None, timer_only: bool = False) -> bool | None:
    """Validity of one frame for the hold timer (``form``: :func:`all_pass` of the required
    checks; ``in_now`` as for :func:`presence`; ``in_pose`` the sticky decision)."""
    if not in_pose:
        return False
    if not has_pose:
        return None
    if timer_only:
        return True if in_now else None
    if view_ok is not True:
        return None
    if form is True and in_now is None:
        return None
    return form


def frame_valid_array(in_pose: np.ndarray, has_pose: np.ndarray, in_now: np.ndarray,
                      view_ok: np.ndarray, form: np.ndarray, timer_only: bool = False
                      ) -> np.ndarray:
    """:func:`frame_valid` frame by frame (codes; ``has_pose`` bool)."""
    in_pose = np.asarray(in_pose) == PASS
    in_now = np.asarray(in_now)
    out = np.where(in_pose, UNKNOWN, FAIL).astype(np.int8)
    judged = in_pose & np.asarray(has_pose, dtype=bool)
    if timer_only:
        out[judged] = np.where(in_now[judged] == PASS, PASS, UNKNOWN)
        return out
    judged &= np.asarray(view_ok) == PASS
    form = np.asarray(form)
    v = np.where((form == PASS) & (in_now == UNKNOWN), UNKNOWN, form)
    out[judged] = v[judged]
    return out


__all__ = ["FAIL", "PASS", "UNKNOWN", "Presence", "all_pass", "all_pass_array", "band",
           "band_array", "code", "decode", "frame_valid", "frame_valid_array", "presence",
           "presence_array"]

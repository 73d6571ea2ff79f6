"""The frame rules replayed over a whole clip, under other thresholds. Pure numpy.

:func:`replay` recomputes a :class:`~posecheck.tuning.trace.ClipTrace`'s decisions as
:class:`posecheck.core.session.StretchSession` makes them, with the array forms of the same
rules (:mod:`posecheck.core.rules`: band hysteresis, all-pass, in position with the no-pose
grace, frame validity), stillness from the body motion (:func:`posecheck.core.motion.still_code`)
and the hold timer itself (:func:`run_timer`, :class:`posecheck.core.timer.HoldTimer`). Metric
values and motion are computed once per clip; only this cheap part runs per sweep candidate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from posecheck.core import rules
from posecheck.core.hold import HoldSettings, Phase
from posecheck.core.motion import MOVING, still_code
from posecheck.core.rules import UNKNOWN
from posecheck.core.timer import HoldTimer
from posecheck.tuning.trace import ClipTrace

SIDES = ("left", "right")
Thresholds = Mapping[str, Mapping[str, "float | None"]]


@dataclass(frozen=True)
class Replay:
    """The decisions of one clip under some thresholds and timer settings.

    Attributes:
        status: check id -> ``(T,)`` int8 statuses.
        in_pose: ``(T,)`` int8 sticky in-position decision (what the page shows), 1 or 0.
        valid: ``(T,)`` int8 frame validity fed to the timer (1, 0, -1 unknown).
        still: ``(T,)`` int8 stillness fed to the timer (1 still, 0 moving, -1 unknown).
        counted: ``(T,)`` valid seconds the hold timer added at each frame (empty if the
            timer was not run).
        booked: ``(T,)`` side the counted seconds went to.
    """

    status: Mapping[str, np.ndarray]
    in_pose: np.ndarray
    valid: np.ndarray
    counted: np.ndarray
    booked: np.ndarray
    still: np.ndarray | None = None


FALLBACK = "fallback"  # key of a check's thresholds holding its fallback's band


def _merged(c: Any, thresholds: Thresholds) -> tuple[float | None, float | None, float]:
    return _band_of(c, thresholds.get(c.id, {}))


def _band_of(c: Any, override: Mapping[str, Any]) -> tuple[float | None, float | None, float]:
    t = {"min": c.min, "max": c.max, "hysteresis": c.hysteresis,
         **{k: v for k, v in override.items() if k != FALLBACK}}
    return t["min"], t["max"], float(t["hysteresis"] or 0.0)


def fallback_band(check: Any, thresholds: Thresholds
                  ) -> tuple[float | None, float | None, float] | None:
    """The band of a check's ``fallback`` under ``thresholds`` (``thresholds[id]["fallback"]``
    = ``{"min", "max", "hysteresis"}``, keys left out keep the spec's), or None."""
    if getattr(check, "fallback", None) is None:
        return None
    return _band_of(check.fallback, thresholds.get(check.id, {}).get(FALLBACK, {}))


def check_status(trace: ClipTrace, check: Any, thresholds: Thresholds) -> np.ndarray:
    """``(T,)`` statuses of one check under ``thresholds``: its own band, and on the frames
    where its fallback was judged (``trace.fallback``) the fallback's band, one hysteresis
    state across both (:func:`posecheck.core.rules.band_array` with a band per frame)."""
    lo, hi, h = _merged(check, thresholds)
    used = trace.fallback.get(check.id)
    fb = fallback_band(check, thresholds)
    if fb is None or used is None or not used.any():
        return rules.band_array(trace.values[check.id], lo, hi, h)

    def per_frame(main: float | None, other: float | None, open_: float) -> np.ndarray:
        return np.where(used, open_ if other is None else other,
                        open_ if main is None else main)

    return rules.band_array(trace.values[check.id], per_frame(lo, fb[0], -np.inf),
                            per_frame(hi, fb[1], np.inf), per_frame(h, fb[2], 0.0))


def replay(trace: ClipTrace, thresholds: Thresholds | None = None,
           timer: Mapping[str, float] | None = None, with_timer: bool = True) -> Replay:
    """Recompute a clip's decisions from its metric values, as
    :class:`posecheck.core.session.StretchSession` does, under new thresholds / timer settings.

    Only the cheap part runs, with the session's own rules in array form
    (:mod:`posecheck.core.rules`): check statuses, the sticky in-position decision with its
    no-pose grace, frame validity, stillness and the hold timer (rep target lifted, see
    :func:`run_timer`). ``timer`` may also hold ``max_motion`` (body lengths per second, or
    None for no stillness rule). With the spec's own settings it reproduces the pipeline
    (tested).
    """
    thresholds = thresholds or {}
    timer = dict(timer or {})
    max_motion = timer.pop("max_motion", trace.hold.stillness.max_motion)
    n = len(trace.t_ms)
    status = dict(trace.status)
    for c in trace.checks:
        if c.id in thresholds and c.id in trace.values:
            status[c.id] = check_status(trace, c, thresholds)
    hold_grace = trace.hold.grace_s
    if timer and "grace_s" in timer:
        hold_grace = float(timer["grace_s"])

    conds = [rules.band_array(trace.values[c.id], *_merged(c, thresholds))
             for c in trace.conditions if c.id in trace.values]
    in_now = np.where(trace.has_pose, rules.all_pass_array(conds, n), UNKNOWN).astype(np.int8)
    in_pose, timer_in = rules.presence_array(trace.t_ms, trace.has_pose, in_now, hold_grace)
    form = rules.all_pass_array([status[c] for c in trace.required if c in status], n)
    valid = rules.frame_valid_array(in_pose, trace.has_pose, in_now, trace.view_ok, form,
                                    trace.timer_only)
    still = (np.ones(n, np.int8) if trace.motion is None
             else still_code(trace.motion, max_motion))
    if trace.bouncing is not None:
        still = np.where(trace.bouncing, MOVING, still).astype(np.int8)
    counted = np.zeros(0)
    booked = np.zeros(0, dtype=object)
    if with_timer:
        counted, booked = run_timer(trace.t_ms, timer_in, valid, trace.side, trace.hold,
                                    still=still, motion=trace.motion,
                                    bouncing=trace.bouncing, **timer)
    return Replay(status=MappingProxyType(status), in_pose=in_pose, valid=valid,
                  counted=counted, booked=booked, still=still)


def run_timer(t_ms: np.ndarray, in_pose: np.ndarray, valid: np.ndarray, side: np.ndarray,
              hold: HoldSettings, still: np.ndarray | None = None,
              motion: np.ndarray | None = None, bouncing: np.ndarray | None = None,
              **overrides: Any) -> tuple[np.ndarray, np.ndarray]:
    """Run the hold timer over per-frame outcomes; returns ``(counted_s, booked_side)``:
    the valid seconds the timer added at each frame (the interval since the previous frame)
    and the side it booked them to. ``still``: ``(T,)`` 1 / 0 / -1 (unknown) stillness;
    None = always still. ``motion``: ``(T,)`` body motion (NaN unknown) for the hold's edges;
    ``bouncing``: ``(T,)`` bool, the hips swinging back and forth (None: never).

    The timer settles a hold's edges afterwards (docs/TIMER.md, rules 1 and 4, and "Stillness"): the
    debounce's seconds are credited in one go once the hold has earned them, the start of an
    exit is taken back when the hold ends, and the bounce window when bouncing is found. These
    are put on the frames they belong to (the credit on the latest settling frames, a
    take-back off the latest counted ones), so a frame's count is the time that frame's
    interval was held.

    The rep target is lifted (``target_s`` huge) so the count measures detection, not the
    session plan (rest after a completed rep would otherwise stop the count).
    """
    settings = replace(hold, **{"target_s": 1e9, "max_s": 1e9, **overrides})
    timer = HoldTimer(settings)
    n = len(t_ms)
    counted = np.zeros(n)
    booked = np.full(n, "", dtype=object)
    prev: dict[str, float] = {}
    settled: list[int] = []  # frames whose interval the debounce booked as still and valid
    prev_settling = False
    for i in range(n):
        sd = side[i] if side[i] in SIDES else None
        sl = True if still is None else rules.decode(still[i])
        ok = rules.decode(valid[i]) is True and sl is True
        mo = None if motion is None else float(motion[i])
        bo = False if bouncing is None else bool(bouncing[i])
        st = timer.update(int(t_ms[i]), in_pose=rules.decode(in_pose[i]),
                          valid=rules.decode(valid[i]), side=sd, still=sl, motion=mo,
                          bouncing=bo)
        if prev_settling and i > 0:
            settled.append(i)  # frame i - 1 settled still and valid: its interval ends at i
        if st.phase is Phase.SETTLING and st.countdown_s is not None and \
                st.countdown_s >= settings.debounce_s - 1e-9:
            settled = []  # the debounce (re)started
        prev_settling = st.phase is Phase.SETTLING and ok
        for s, v in st.valid_s_by_side.items():
            add = v - prev.get(s, 0.0)
            if add > 1e-12:
                dt = (t_ms[i] - t_ms[i - 1]) / 1000.0 if i > 0 else 0.0
                extra = add - dt
                if extra > 1e-9 and settled:
                    _fill_back(counted, booked, settled, t_ms, extra, s)
                    add -= extra
                counted[i] += add
                booked[i] = s
            elif add < -1e-12:  # the start of an exit or a bounce taken back
                _take_back(counted, booked, i, -add, s)
            prev[s] = v
        if not (st.phase is Phase.SETTLING or st.in_hold):
            settled = []
    return counted, booked


def _fill_back(counted: np.ndarray, booked: np.ndarray, frames: list[int], t_ms: np.ndarray,
               seconds: float, side: str) -> None:
    """Add ``seconds`` to ``frames``, the latest first, each up to its interval (what is
    left, if any, to the latest frame)."""
    left = seconds
    for k in reversed(frames):
        take = min((t_ms[k] - t_ms[k - 1]) / 1000.0, left)
        counted[k] += take
        booked[k] = side
        left -= take
        if left <= 1e-9:
            return
    counted[frames[-1]] += left


def _take_back(counted: np.ndarray, booked: np.ndarray, i: int, seconds: float,
               side: str) -> None:
    """Remove ``seconds`` from the counted frames of ``side`` at or before frame ``i``, the
    latest first."""
    left = seconds
    for k in range(i, -1, -1):
        if booked[k] == side and counted[k] > 0:
            take = min(counted[k], left)
            counted[k] -= take
            left -= take
            if left <= 1e-9:
                return


__all__ = ["FALLBACK", "SIDES", "Replay", "Thresholds", "check_status", "fallback_band",
           "replay", "run_timer"]

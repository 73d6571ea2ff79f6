"""Threshold and timer sweeps on training clips, and :func:`tune`. Pure numpy.

Sweeps recompute only the cheap part of the pipeline: a check's statuses from its metric
values (:func:`posecheck.core.rules.band_array`), or the whole replay
(:func:`posecheck.tuning.replay.replay`) for pose conditions and the timer, scored with
:mod:`posecheck.tuning.score`. Test clips are never looked at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from posecheck.core.rules import FAIL, UNKNOWN
from posecheck.tuning.labels import FALSE, UNLABELLED, ClipLabels
from posecheck.core.hold import HoldSettings
from posecheck.tuning.replay import FALLBACK, Thresholds, check_status, replay
from posecheck.tuning.score import Counts, score_clip
from posecheck.tuning.trace import ClipTrace


@dataclass(frozen=True)
class SweepResult:
    """Best thresholds of one check (or pose condition) on the training clips."""

    check_id: str
    before: dict[str, float | None]
    after: dict[str, float | None]
    train_before: float
    train_after: float
    evaluated: int  # candidate settings tried
    kind: str = "check"
    pass_s: float = math.nan  # labelled training seconds where it should pass (or be "in")
    fail_s: float = math.nan  # ... where it should fail (or be "out")
    applied: bool = True  # False: a suggestion only (one-class labels, see tune())

    def describe(self) -> str:
        return f"{self.kind} {self.check_id}: " + ", ".join(
            f"{k} {_v(self.before[k])} -> {_v(self.after[k])}" for k in ("min", "max")
            if self.before[k] != self.after[k])

    @property
    def one_class(self) -> bool:
        """Training labels of one class only: the search can only relax (or only tighten)."""
        return (self.pass_s > 0) != (self.fail_s > 0)

    @property
    def changed(self) -> bool:
        return self.before != self.after


OBJECTIVES = ("agreement", "balanced", "f1")


def _objective(c: Counts, name: str) -> float:
    val = {"agreement": c.agreement, "balanced": c.balanced, "f1": c.f1}[name]
    return -1.0 if math.isnan(val) else float(val)


def _candidates(values: np.ndarray, current: float | None, n: int) -> list[float]:
    v = values[np.isfinite(values)]
    if current is None:
        return []
    if v.size == 0:
        return [current]
    qs = np.quantile(v, np.linspace(0.0, 1.0, n))
    span = float(qs[-1] - qs[0]) or 1.0
    extra = [qs[0] - 0.05 * span, qs[-1] + 0.05 * span, current]
    # rounded so the saved spec stays readable
    step = 10 ** math.floor(math.log10(span / 200))
    return sorted({round(round(x / step) * step, 6) for x in [*qs, *extra]} | {current})


MIN_GAIN = 0.02  # objective units (2 % of labelled time): smaller gains do not move a bound


def _search(score_fn: Callable[[float | None, float | None], float], lo: float | None,
            hi: float | None, cand_lo: list[float], cand_hi: list[float], hyst: float,
            rounds: int, min_gain: float = MIN_GAIN
            ) -> tuple[float | None, float | None, float, float, int]:
    """Coordinate search over (lo, hi). Each pass tries every candidate for one bound and
    moves to the best only if it beats the current score by ``min_gain``; among equal scores
    the candidate nearest the start wins (a threshold moves only as far as the labels need)."""
    lo0, hi0 = lo, hi

    def dist(a: float | None, b: float | None) -> float:
        return (abs(a - lo0) if a is not None and lo0 is not None else 0.0) + \
               (abs(b - hi0) if b is not None and hi0 is not None else 0.0)

    def ok(a: float | None, b: float | None) -> bool:
        return a is None or b is None or (a <= b and 2 * hyst < (b - a))

    base = score_fn(lo, hi)
    current = base
    evaluated = 1
    for _ in range(rounds):
        moved = False
        for which in ("min", "max"):
            if (which == "min" and lo is None) or (which == "max" and hi is None):
                continue
            best: tuple[float, float] | None = None
            best_pair = (lo, hi)
            for c in (cand_lo if which == "min" else cand_hi):
                nlo, nhi = (c, hi) if which == "min" else (lo, c)
                if (nlo, nhi) == (lo, hi) or not ok(nlo, nhi):
                    continue
                key = (score_fn(nlo, nhi), -dist(nlo, nhi))
                evaluated += 1
                if best is None or key > best:
                    best, best_pair = key, (nlo, nhi)
            if best is not None and best[0] >= current + min_gain:
                current = best[0]
                lo, hi = best_pair
                moved = True
        if not moved:
            break
    if (lo, hi) != (lo0, hi0):
        lo, hi, n = _centre(score_fn, lo, hi, lo0, hi0, cand_lo, cand_hi, current, ok)
        evaluated += n
    return lo, hi, base, current, evaluated


def _centre(score_fn: Callable[[float | None, float | None], float], lo: float | None,
            hi: float | None, lo0: float | None, hi0: float | None, cand_lo: list[float],
            cand_hi: list[float], best: float, ok: Callable[[Any, Any], bool], steps: int = 12
            ) -> tuple[float | None, float | None, int]:
    """Move each changed bound to the middle of its plateau of equal score (between the
    neighbouring candidates), so it sits halfway between the labelled classes rather than
    against one of them: a wider margin for clips it has not seen."""
    evaluated = 0
    for which, cands in (("min", cand_lo), ("max", cand_hi)):
        cur = lo if which == "min" else hi
        orig = lo0 if which == "min" else hi0
        if cur is None or cur == orig or not cands:
            continue
        below = [c for c in cands if c < cur]
        above = [c for c in cands if c > cur]
        a = below[-1] if below else cur
        b = above[0] if above else cur
        grid = np.linspace(a, b, steps + 1)
        good = []
        for x in grid:
            pair = (float(x), hi) if which == "min" else (lo, float(x))
            evaluated += 1
            if ok(*pair) and score_fn(*pair) >= best - 1e-12:
                good.append(float(x))
        if good:
            # contiguous run containing the current value
            run = [x for x in good if x <= cur]
            lo_run = min(run) if run else cur
            hi_run = max(x for x in good if x >= cur) if any(x >= cur for x in good) else cur
            span = abs(b - a) or 1.0
            step = 10 ** math.floor(math.log10(span / 50)) if span > 0 else 0.01
            mid = round(round((lo_run + hi_run) / 2 / step) * step, 6)
            pair = (mid, hi) if which == "min" else (lo, mid)
            if ok(*pair) and score_fn(*pair) >= best - 1e-12:
                lo, hi = pair
    return lo, hi, evaluated


def sweep_check(traces: Sequence[ClipTrace], labels: Mapping[str, ClipLabels], check: Any,
                objective: str = "agreement", grid: int = 41, rounds: int = 3,
                min_gain: float = MIN_GAIN, part: str = "check",
                current: Thresholds | None = None) -> SweepResult:
    """Coordinate search of one check's ``min``/``max`` on ``traces`` (the training clips).

    The objective is computed on the check's own labels (check statuses do not depend on
    each other). Candidates are quantiles of the check's measured values on the labelled
    frames (plus the current value); ``min`` and ``max`` are searched in turn, ``rounds``
    times. Ties go to the setting closest to the current one, so a check changes only when
    the labels say so. A bound that is absent (open) stays absent.

    ``part``: ``"check"`` searches the check's own band on the frames its own metric was
    judged; ``"fallback"`` its fallback's band on the frames the fallback was judged
    (``ClipTrace.fallback``), the own band held at ``current`` (the thresholds found so far).
    The result's ``kind`` is ``part``.
    """
    if part not in ("check", FALLBACK):
        raise ValueError(f"part must be 'check' or {FALLBACK!r}, got {part!r}")
    current = current or {}
    target = check if part == "check" else check.fallback
    if target is None:
        raise ValueError(f"check {check.id!r} has no fallback to sweep")
    data = []
    for tr in traces:
        if check.id not in tr.values:
            continue
        truth = labels[tr.video].at_times(tr.t_s).checks.get(check.id)
        if truth is None:
            continue
        used = tr.fallback.get(check.id, np.zeros(len(tr.t_ms), bool))
        lab = (truth != UNLABELLED) & (used if part == FALLBACK else ~used)
        if not lab.any():
            continue
        truth_fail = np.where(lab, truth == FALSE, UNLABELLED).astype(np.int8)
        data.append((tr, truth_fail, tr.weights, lab))
    before = {"min": target.min, "max": target.max}
    if not data:
        return SweepResult(check.id, before, dict(before), math.nan, math.nan, 0, part)
    all_vals = np.concatenate([tr.values[check.id][lab] for tr, _, _, lab in data])

    def score_fn(lo: float | None, hi: float | None) -> float:
        own = dict(current.get(check.id, {}))
        if part == FALLBACK:
            own[FALLBACK] = {**own.get(FALLBACK, {}), "min": lo, "max": hi}
        else:
            own.update({"min": lo, "max": hi})
        total = Counts()
        for tr, truth_fail, w, _ in data:
            st = check_status(tr, check, {check.id: own})
            pred_fail = np.where(st == UNKNOWN, UNKNOWN, (st == FAIL).astype(np.int8))
            total = total + Counts.from_arrays(pred_fail, truth_fail, w)
        return _objective(total, objective)

    lo, hi, base, best, n = _search(score_fn, target.min, target.max,
                                    _candidates(all_vals, target.min, grid),
                                    _candidates(all_vals, target.max, grid),
                                    target.hysteresis, rounds, min_gain)
    fail_s = float(sum(w[t == 1].sum() for _, t, w, _ in data))
    pass_s = float(sum(w[t == 0].sum() for _, t, w, _ in data))
    return SweepResult(check.id, before, {"min": lo, "max": hi}, base, best, n, part,
                       pass_s=pass_s, fail_s=fail_s)


def sweep_condition(traces: Sequence[ClipTrace], labels: Mapping[str, ClipLabels],
                    condition: Any, current: Thresholds, objective: str = "agreement",
                    grid: int = 31, rounds: int = 2, min_gain: float = MIN_GAIN
                    ) -> SweepResult:
    """Like :func:`sweep_check` for one pose condition, scored on the ``in_position``
    labels through the sticky in-position replay (other conditions fixed at ``current``)."""
    before = {"min": condition.min, "max": condition.max}
    data = []
    for tr in traces:
        if condition.id not in tr.values:
            continue
        truth = labels[tr.video].at_times(tr.t_s).in_position
        if np.any(truth != UNLABELLED):
            data.append((tr, truth, tr.weights))
    if not data:
        return SweepResult(condition.id, before, dict(before), math.nan, math.nan, 0, "pose")
    all_vals = np.concatenate([tr.values[condition.id][truth != UNLABELLED]
                               for tr, truth, _ in data])

    def score_fn(lo: float | None, hi: float | None) -> float:
        th = {**current, condition.id: {"min": lo, "max": hi}}
        total = Counts()
        for tr, truth, w in data:
            rp = replay(tr, th, with_timer=False)
            total = total + Counts.from_arrays(rp.in_pose, truth, w)
        return _objective(total, objective)

    lo, hi, base, best, n = _search(score_fn, condition.min, condition.max,
                                    _candidates(all_vals, condition.min, grid),
                                    _candidates(all_vals, condition.max, grid),
                                    condition.hysteresis, rounds, min_gain)
    pass_s = float(sum(w[t == 1].sum() for _, t, w in data))
    fail_s = float(sum(w[t == 0].sum() for _, t, w in data))
    return SweepResult(condition.id, before, {"min": lo, "max": hi}, base, best, n, "pose",
                       pass_s=pass_s, fail_s=fail_s)


DEBOUNCE_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)  # s
GRACE_GRID = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)  # s


def sweep_timer(traces: Sequence[ClipTrace], labels: Mapping[str, ClipLabels],
                thresholds: Thresholds, hold: HoldSettings,
                debounce: Sequence[float] = DEBOUNCE_GRID, grace: Sequence[float] = GRACE_GRID,
                ) -> tuple[dict[str, float], float, float]:
    """Grid over ``debounce_s`` x ``grace_s`` maximising the agreement of the timer's
    counted time with the labelled valid time (thresholds already tuned).

    Returns ``({"debounce_s", "grace_s"}, train_before, train_after)``; ties go to the
    current setting's neighbourhood.
    """
    d0 = float(hold.debounce_s)
    g0 = float(hold.grace_s)

    def score_fn(d: float, g: float) -> float:
        total = Counts()
        for tr in traces:
            rp = replay(tr, thresholds, {"debounce_s": d, "grace_s": g})
            total = total + score_clip(tr, labels[tr.video], rp).valid
        return _objective(total, "agreement")

    before = score_fn(d0, g0)
    best_key, best = (before, 0.0), {"debounce_s": d0, "grace_s": g0}
    for d in sorted(set(debounce) | {d0}):
        for g in sorted(set(grace) | {g0}):
            if (d, g) == (d0, g0):
                continue
            key = (score_fn(d, g), -(abs(d - d0) + abs(g - g0)))
            if key > best_key:
                best_key, best = key, {"debounce_s": d, "grace_s": g}
    return best, before, best_key[0]


@dataclass(frozen=True)
class TuneResult:
    """Everything one tuning run decided (thresholds and timer), with train scores."""

    thresholds: dict[str, dict[str, float | None]]
    timer: dict[str, float]
    sweeps: tuple[SweepResult, ...]
    timer_train: tuple[float, float]
    train: tuple[str, ...]
    test: tuple[str, ...]

    def changes(self) -> list[str]:
        return [r.describe() for r in self.sweeps if r.changed and r.applied]

    def suggestions(self) -> list[str]:
        """Moves found but not applied (one-class labels)."""
        return [r.describe() for r in self.sweeps if r.changed and not r.applied]


def _v(x: float | None) -> str:
    return "open" if x is None else f"{x:g}"


def tune(traces: Sequence[ClipTrace], labels: Mapping[str, ClipLabels], spec: Any,
         train: Sequence[str], test: Sequence[str] = (), check_ids: Sequence[str] | None = None,
         objective: str = "agreement", tune_pose: bool = True, tune_timer: bool = False,
         min_gain: float = MIN_GAIN, one_class: bool = False) -> TuneResult:
    """Tune ``spec`` on the clips named in ``train`` only (test clips are never looked at).

    Order: pose conditions (on ``in_position`` labels), then each check (on its own labels;
    a check with a ``fallback`` then its fallback's band, on the frames the fallback was
    judged: ``thresholds[id]["fallback"]``), then, if asked, debounce/grace (on valid-hold
    labels).

    A check whose training labels hold one class only (say, good form throughout) can only
    be relaxed, and nothing says how far is safe; such moves are reported as suggestions and
    applied only with ``one_class=True``.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    train_set = set(train)
    leak = train_set & set(test)
    if leak:
        raise ValueError(f"clips in both train and test: {sorted(leak)}")
    tr_traces = [t for t in traces if t.video in train_set]
    wanted = set(check_ids) if check_ids else None
    known = {c.id for c in (*spec.checks, *spec.pose)}
    if wanted and wanted - known:
        raise ValueError(f"{spec.id}: no check {sorted(wanted - known)[0]!r}; "
                         f"checks: {', '.join(sorted(known))}")
    thresholds: dict[str, dict[str, float | None]] = {}
    sweeps: list[SweepResult] = []
    if tune_pose:
        for cond in spec.pose:
            if wanted is not None and cond.id not in wanted:
                continue
            r = sweep_condition(tr_traces, labels, cond, thresholds, objective=objective,
                                min_gain=min_gain)
            r = replace(r, applied=one_class or not r.one_class)
            sweeps.append(r)
            if r.changed and r.applied:
                thresholds[cond.id] = dict(r.after)
    for check in spec.checks:
        if wanted is not None and check.id not in wanted:
            continue
        r = sweep_check(tr_traces, labels, check, objective=objective, min_gain=min_gain)
        r = replace(r, applied=one_class or not r.one_class)
        sweeps.append(r)
        if r.changed and r.applied:
            thresholds[check.id] = dict(r.after)
        if check.fallback is None:
            continue
        # the fallback's band, on the frames it was judged (the own band as just tuned)
        r = sweep_check(tr_traces, labels, check, objective=objective, min_gain=min_gain,
                        part=FALLBACK, current=thresholds)
        r = replace(r, applied=one_class or not r.one_class)
        sweeps.append(r)
        if r.changed and r.applied:
            thresholds.setdefault(check.id, {})[FALLBACK] = dict(r.after)
    timer = {"debounce_s": float(spec.hold.debounce_s), "grace_s": float(spec.hold.grace_s)}
    timer_train = (math.nan, math.nan)
    if tune_timer and tr_traces:
        timer, b, a = sweep_timer(tr_traces, labels, thresholds, spec.hold)
        timer_train = (b, a)
    return TuneResult(thresholds=thresholds, timer=timer, sweeps=tuple(sweeps),
                      timer_train=timer_train, train=tuple(sorted(train_set)),
                      test=tuple(sorted(test)))


__all__ = ["DEBOUNCE_GRID", "GRACE_GRID", "MIN_GAIN", "OBJECTIVES", "SweepResult", "TuneResult",
           "sweep_check", "sweep_condition", "sweep_timer", "tune"]

"""Scoring checks against labelled footage, and threshold sweeps. Pure numpy.

Vocabulary:

- A *trace* (:class:`ClipTrace`) is what the pipeline said about one clip, frame by frame: the
  metric value behind each check and pose condition, each check's status (PASS / FAIL /
  UNKNOWN), whether the body is in position, the stretched side, and whether the form is valid.
  It is built once from cached landmarks (:func:`posecheck.analysis.analyze_frames`).
- A *truth* (:class:`posecheck.labels.FrameTruth`) is what a person labelled, sampled at the
  same frame times.

Scoring conventions (also in docs/TUNING.md):

- Every frame stands for the time until the next frame (``frame_weights``), so numbers are
  **seconds**, and clips at 10 fps and 30 fps weigh by duration, not by frame count. A gap
  longer than ``MAX_GAP_S`` (a dropout) counts as one typical frame.
- For a form check the **positive class is FAIL** (a fault was flagged): precision = of the
  time the check said FAIL, the share that was truly a fault ("is it too strict?": low
  precision); recall = of the truly faulty time, the share flagged ("is it too lax?": low
  recall). For ``in_position`` and ``valid`` the positive class is "in position" / "valid".
- Agreement = seconds where decision and label agree / labelled seconds with a decision.
- UNKNOWN frames have no decision: they are left out of precision/recall/agreement and
  reported as coverage = decided seconds / labelled seconds.
- Unlabelled time (outside every interval, or a check an interval does not name) is ignored.

Sweeps recompute only the cheap part: a check's status from its metric values
(:func:`check_status`, same hysteresis rule as :mod:`posecheck.checks`) and the hold timer
(:class:`posecheck.timer.HoldTimer`). Metric values are computed once per clip.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from posecheck.labels import FALSE, TRUE, UNLABELLED, ClipLabels, FrameTruth

PASS, FAIL, UNKNOWN = 1, 0, -1
MAX_GAP_S = 0.5  # s; a longer frame interval is a dropout and weighs one typical frame
SIDES = ("left", "right")


# ---------------------------------------------------------------------------- traces
@dataclass(frozen=True)
class ClipTrace:
    """The pipeline's per-frame view of one clip (arrays of length T).

    Attributes:
        video: clip path as labelled.
        stretch: spec id the clip was analysed with.
        t_ms: ``(T,)`` int64 frame timestamps.
        values: check/condition id -> ``(T,)`` float metric value (NaN when not measurable).
        status: check id -> ``(T,)`` int8 status the pipeline decided (1 PASS, 0 FAIL,
            -1 UNKNOWN).
        in_pose: ``(T,)`` int8 in position (1), not (0), unknown (-1).
        side: ``(T,)`` object array of ``"left"``/``"right"``/``""`` (the stretched side seen).
        required: ids of the required checks (they decide ``valid``).
        conditions: ids of the pose (in-position) conditions.
    """

    video: str
    stretch: str
    t_ms: np.ndarray
    values: Mapping[str, np.ndarray]
    status: Mapping[str, np.ndarray]
    in_pose: np.ndarray
    side: np.ndarray
    required: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        t = np.asarray(self.t_ms, dtype=np.int64)
        n = len(t)
        object.__setattr__(self, "t_ms", t)
        for name in ("values", "status"):
            table = getattr(self, name)
            fixed = {}
            for k, v in table.items():
                arr = np.asarray(v, dtype=np.float64 if name == "values" else np.int8)
                if arr.shape != (n,):
                    raise ValueError(f"ClipTrace.{name}[{k!r}] has shape {arr.shape}, "
                                     f"expected ({n},)")
                fixed[k] = arr
            object.__setattr__(self, name, MappingProxyType(fixed))
        for name, dtype in (("in_pose", np.int8), ("side", object)):
            arr = np.asarray(getattr(self, name), dtype=dtype)
            if arr.shape != (n,):
                raise ValueError(f"ClipTrace.{name} has shape {arr.shape}, expected ({n},)")
            object.__setattr__(self, name, arr)

    @property
    def t_s(self) -> np.ndarray:
        return self.t_ms / 1000.0

    @property
    def weights(self) -> np.ndarray:
        return frame_weights(self.t_ms)

    def valid(self, status: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
        """``(T,)`` int8 form validity from the required checks' statuses: 0 if any FAIL,
        else -1 if any UNKNOWN, else 1 (a spec without checks is always valid)."""
        return form_valid(status if status is not None else self.status, self.required,
                          len(self.t_ms))


def form_valid(status: Mapping[str, np.ndarray], required: Sequence[str], n: int) -> np.ndarray:
    """0 where a required check FAILs, else -1 where one is UNKNOWN, else 1."""
    out = np.ones(n, np.int8)
    for cid in required:
        s = status.get(cid)
        if s is None:
            continue
        out[(s == UNKNOWN) & (out == PASS)] = UNKNOWN
    for cid in required:
        s = status.get(cid)
        if s is not None:
            out[s == FAIL] = FAIL
    return out


def frame_weights(t_ms: np.ndarray) -> np.ndarray:
    """Seconds each frame stands for: the interval to the next frame (the last frame and any
    dropout longer than ``MAX_GAP_S`` get the median interval)."""
    t = np.asarray(t_ms, dtype=np.float64) / 1000.0
    if len(t) == 0:
        return np.zeros(0)
    if len(t) == 1:
        return np.array([1.0 / 30.0])
    d = np.diff(t)
    typical = float(np.median(d[d > 0])) if np.any(d > 0) else 1.0 / 30.0
    d = np.where((d <= 0) | (d > MAX_GAP_S), typical, d)
    return np.append(d, typical)


# ---------------------------------------------------------------------------- check rule
def check_status(values: np.ndarray, lo: float | None, hi: float | None,
                 hysteresis: float = 0.0) -> np.ndarray:
    """Statuses of one check over time from its metric values (NaN -> UNKNOWN).

    Rule (as :mod:`posecheck.checks`): the first measured frame passes iff ``lo <= v <= hi``;
    afterwards a passing check keeps passing while ``v`` stays inside the band widened by
    ``hysteresis``, and a failing one passes again only inside the band narrowed by it.
    UNKNOWN frames keep the previous state.
    """
    v = np.asarray(values, dtype=np.float64)
    lo_ = -math.inf if lo is None else float(lo)
    hi_ = math.inf if hi is None else float(hi)
    known = np.isfinite(v)
    out = np.full(len(v), UNKNOWN, np.int8)
    if hysteresis <= 0:
        out[known] = ((v[known] >= lo_) & (v[known] <= hi_)).astype(np.int8)
        return out
    h = float(hysteresis)
    wide = (v >= lo_ - h) & (v <= hi_ + h)
    narrow = (v >= lo_ + h) & (v <= hi_ - h)
    inside = (v >= lo_) & (v <= hi_)
    state = -1
    for i in np.flatnonzero(known):
        if state == -1:
            state = int(inside[i])
        elif state == PASS:
            state = int(wide[i])
        else:
            state = int(narrow[i])
        out[i] = state
    return out


# ---------------------------------------------------------------------------- counts
@dataclass(frozen=True)
class Counts:
    """Time-weighted confusion counts (seconds) of one binary decision against labels."""

    tp: float = 0.0
    fp: float = 0.0
    fn: float = 0.0
    tn: float = 0.0
    unknown: float = 0.0  # labelled seconds with no decision (UNKNOWN)
    frames: int = 0  # labelled frames

    @classmethod
    def from_arrays(cls, pred: np.ndarray, truth: np.ndarray, w: np.ndarray) -> "Counts":
        """``pred``: 1 positive, 0 negative, -1 undecided; ``truth``: 1 / 0 / -1 unlabelled."""
        pred = np.asarray(pred)
        truth = np.asarray(truth)
        lab = truth != UNLABELLED
        dec = lab & (pred != UNKNOWN)
        return cls(tp=float(w[dec & (pred == 1) & (truth == 1)].sum()),
                   fp=float(w[dec & (pred == 1) & (truth == 0)].sum()),
                   fn=float(w[dec & (pred == 0) & (truth == 1)].sum()),
                   tn=float(w[dec & (pred == 0) & (truth == 0)].sum()),
                   unknown=float(w[lab & (pred == UNKNOWN)].sum()),
                   frames=int(lab.sum()))

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn,
                      self.tn + other.tn, self.unknown + other.unknown,
                      self.frames + other.frames)

    @property
    def decided(self) -> float:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def labelled(self) -> float:
        return self.decided + self.unknown

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @property
    def agreement(self) -> float:
        return _ratio(self.tp + self.tn, self.decided)

    @property
    def balanced(self) -> float:
        """Mean of the recalls of both classes (robust when one class is rare)."""
        r_pos = _ratio(self.tp, self.tp + self.fn)
        r_neg = _ratio(self.tn, self.tn + self.fp)
        vals = [r for r in (r_pos, r_neg) if not math.isnan(r)]
        return float(np.mean(vals)) if vals else math.nan

    @property
    def coverage(self) -> float:
        return _ratio(self.decided, self.labelled)

    def to_dict(self) -> dict[str, Any]:
        return {"precision": _r(self.precision), "recall": _r(self.recall), "f1": _r(self.f1),
                "agreement": _r(self.agreement), "coverage": _r(self.coverage),
                "tp_s": _r(self.tp), "fp_s": _r(self.fp), "fn_s": _r(self.fn),
                "tn_s": _r(self.tn), "unknown_s": _r(self.unknown),
                "labelled_s": _r(self.labelled), "frames": self.frames}


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def _r(x: float, nd: int = 4) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), nd)


# ---------------------------------------------------------------------------- timer replay
def replay_hold(t_ms: np.ndarray, in_pose: np.ndarray, valid: np.ndarray, side: np.ndarray,
                hold: Any, **overrides: Any) -> tuple[np.ndarray, np.ndarray]:
    """Run the hold timer over per-frame outcomes; returns ``(counted_s, counted_side)``:
    the valid seconds the timer added at each frame and the side it booked them to.

    The rep target is lifted (``target_s`` huge) so the count measures detection, not the
    session plan (rest after a completed rep would otherwise stop the count).
    """
    from posecheck.timer import HoldTimer, HoldTimerSettings

    settings = HoldTimerSettings.from_spec(hold, **{"target_s": 1e9, **overrides})
    timer = HoldTimer(settings)
    n = len(t_ms)
    counted = np.zeros(n)
    booked = np.full(n, "", dtype=object)
    prev = {s: 0.0 for s in settings.sides}
    for i in range(n):
        ip = None if in_pose[i] == UNKNOWN else bool(in_pose[i])
        va = None if valid[i] == UNKNOWN else bool(valid[i])
        sd = side[i] or None
        st = timer.update(int(t_ms[i]), in_pose=ip, valid=va, side=sd)
        for s, v in st.valid_s_by_side.items():
            add = v - prev.get(s, 0.0)
            if add > 0:
                counted[i] += add
                booked[i] = s
            prev[s] = v
    return counted, booked


# ---------------------------------------------------------------------------- scoring
@dataclass(frozen=True)
class ClipScore:
    """Scores of one clip: confusion counts per check, in_position, valid; hold per side."""

    video: str
    stretch: str
    checks: Mapping[str, Counts]
    in_position: Counts
    valid: Counts
    hold_pred_s: Mapping[str, float]
    hold_true_s: Mapping[str, float]
    labelled_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"video": self.video, "stretch": self.stretch, "labelled_s": _r(self.labelled_s),
                "checks": {k: v.to_dict() for k, v in self.checks.items()},
                "in_position": self.in_position.to_dict(), "valid": self.valid.to_dict(),
                "hold": {s: {"pred_s": _r(self.hold_pred_s.get(s, 0.0)),
                             "true_s": _r(self.hold_true_s.get(s, 0.0)),
                             "error_s": _r(self.hold_pred_s.get(s, 0.0)
                                           - self.hold_true_s.get(s, 0.0))}
                         for s in sorted(set(self.hold_pred_s) | set(self.hold_true_s))}}


def decisions(trace: ClipTrace, thresholds: Mapping[str, Mapping[str, float | None]] | None = None,
              checks: Iterable[Any] = (), conditions: Iterable[Any] = (),
              ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Statuses and in_pose after replacing some thresholds.

    ``checks``/``conditions`` are the spec's CheckSpec objects; those named in ``thresholds``
    are recomputed from the trace's values with :func:`check_status`, the rest keep the
    pipeline's decisions. ``in_pose`` is recomputed only when a condition is retuned (all
    conditions must pass; the pipeline's own ``in_pose`` also needs the view, so the replay
    keeps it as an upper bound: it can only turn in-pose frames off).
    """
    thresholds = thresholds or {}
    status = dict(trace.status)
    for c in checks:
        if c.id in thresholds and c.id in trace.values:
            t = {"min": c.min, "max": c.max, "hysteresis": c.hysteresis, **thresholds[c.id]}
            st = check_status(trace.values[c.id], t["min"], t["max"], t["hysteresis"])
            # the pipeline only evaluates a check where it decided something; keep its UNKNOWNs
            orig = trace.status.get(c.id)
            if orig is not None:
                st = np.where(orig == UNKNOWN, UNKNOWN, st).astype(np.int8)
            status[c.id] = st
    in_pose = trace.in_pose
    conds = [c for c in conditions if c.id in thresholds and c.id in trace.values]
    if conds:
        in_pose = trace.in_pose.copy()
        for c in conditions:
            if c.id not in trace.values:
                continue
            t = {"min": c.min, "max": c.max, "hysteresis": c.hysteresis,
                 **thresholds.get(c.id, {})}
            st = check_status(trace.values[c.id], t["min"], t["max"], t["hysteresis"])
            in_pose = np.where((in_pose == 1) & (st == FAIL), 0, in_pose).astype(np.int8)
    return status, in_pose


def score_clip(trace: ClipTrace, labels: ClipLabels, hold: Any = None,
               status: Mapping[str, np.ndarray] | None = None,
               in_pose: np.ndarray | None = None, **hold_overrides: Any) -> ClipScore:
    """Score one clip's decisions (the trace's own, or replayed ``status``/``in_pose``)."""
    status = trace.status if status is None else status
    in_pose = trace.in_pose if in_pose is None else in_pose
    truth = labels.at_times(trace.t_s)
    w = trace.weights
    checks = {}
    for cid in dict.fromkeys([*trace.status, *truth.checks]):
        t = truth.checks.get(cid)
        s = status.get(cid)
        if t is None or s is None:
            continue
        pred_fail = np.where(s == UNKNOWN, UNKNOWN, (s == FAIL).astype(np.int8))
        truth_fail = np.where(t == UNLABELLED, UNLABELLED, (t == FALSE).astype(np.int8))
        checks[cid] = Counts.from_arrays(pred_fail, truth_fail, w)
    in_pos = Counts.from_arrays(in_pose, truth.in_position, w)
    valid_pred = trace.valid(status)
    form = np.where(in_pose == 0, 0, valid_pred).astype(np.int8)
    valid_true = truth.valid_truth(trace.required)
    pred_s: dict[str, float] = {}
    true_s: dict[str, float] = {}
    if hold is not None:
        counted, booked = replay_hold(trace.t_ms, in_pose, valid_pred, trace.side, hold,
                                      **hold_overrides)
        lab = truth.labelled
        counted_now = np.where(counted > 0, 1, 0).astype(np.int8)
        valid = Counts.from_arrays(counted_now, valid_true, w)
        for s in (*SIDES, "both"):
            p = float(counted[lab & (booked == s)].sum())
            tr = float(w[(valid_true == TRUE) & (truth.side == s)].sum()) if s != "both" else \
                float(w[valid_true == TRUE].sum())
            if p > 0 or tr > 0:
                if s == "both" and _hold_sides(hold) != ("both",):
                    continue
                pred_s[s], true_s[s] = p, tr
    else:
        valid = Counts.from_arrays(form, valid_true, w)
    return ClipScore(video=trace.video, stretch=trace.stretch, checks=MappingProxyType(checks),
                     in_position=in_pos, valid=valid, hold_pred_s=MappingProxyType(pred_s),
                     hold_true_s=MappingProxyType(true_s),
                     labelled_s=float(w[truth.labelled].sum()))


def _hold_sides(hold: Any) -> tuple[str, ...]:
    sides = getattr(hold, "sides", None)
    if sides is None and isinstance(hold, Mapping):
        sides = hold.get("sides")
    return tuple(sides or SIDES)


@dataclass(frozen=True)
class Summary:
    """Clip scores summed over a set of clips (per stretch or overall)."""

    clips: tuple[ClipScore, ...]

    @property
    def checks(self) -> dict[str, Counts]:
        out: dict[str, Counts] = {}
        for c in self.clips:
            for k, v in c.checks.items():
                out[k] = out.get(k, Counts()) + v
        return out

    @property
    def in_position(self) -> Counts:
        return sum((c.in_position for c in self.clips), Counts())

    @property
    def valid(self) -> Counts:
        return sum((c.valid for c in self.clips), Counts())

    def hold_error(self) -> dict[str, dict[str, float]]:
        """Per side: predicted and true valid seconds and the mean absolute error per clip."""
        out: dict[str, dict[str, float]] = {}
        for s in (*SIDES, "both"):
            rows = [(c.hold_pred_s.get(s, 0.0), c.hold_true_s.get(s, 0.0)) for c in self.clips
                    if s in c.hold_pred_s or s in c.hold_true_s]
            if rows:
                p, t = np.array(rows).T
                out[s] = {"pred_s": float(p.sum()), "true_s": float(t.sum()),
                          "mae_s": float(np.abs(p - t).mean()), "clips": len(rows)}
        return out

    def by_stretch(self) -> dict[str, "Summary"]:
        groups: dict[str, list[ClipScore]] = {}
        for c in self.clips:
            groups.setdefault(c.stretch, []).append(c)
        return {k: Summary(tuple(v)) for k, v in groups.items()}

    def to_dict(self) -> dict[str, Any]:
        return {"checks": {k: v.to_dict() for k, v in self.checks.items()},
                "in_position": self.in_position.to_dict(), "valid": self.valid.to_dict(),
                "hold": {s: {k: _r(v) for k, v in d.items()}
                         for s, d in self.hold_error().items()},
                "clips": len(self.clips)}


def format_summary(summary: Summary, title: str = "") -> str:
    """A plain-text table of a summary (one row per check)."""
    head = (f"{'row':<24}{'prec':>7}{'recall':>8}{'F1':>7}{'agree':>8}{'cover':>8}"
            f"{'lab s':>8}")
    lines = [title, head, "-" * len(head)] if title else [head, "-" * len(head)]

    def row(name: str, c: Counts) -> str:
        return (f"{name:<24}{_f(c.precision):>7}{_f(c.recall):>8}{_f(c.f1):>7}"
                f"{_f(c.agreement):>8}{_f(c.coverage):>8}{c.labelled:>8.1f}")

    for cid, c in summary.checks.items():
        lines.append(row(f"{cid} (+=FAIL)", c))
    lines.append(row("in_position (+=in)", summary.in_position))
    lines.append(row("valid (+=valid)", summary.valid))
    for s, d in summary.hold_error().items():
        lines.append(f"hold {s:<6} pred {d['pred_s']:6.1f} s  true {d['true_s']:6.1f} s  "
                     f"MAE/clip {d['mae_s']:5.1f} s  ({d['clips']} clips)")
    return "\n".join(lines)


def _f(x: float) -> str:
    return "  -  " if x is None or math.isnan(x) else f"{x:.2f}"


# ---------------------------------------------------------------------------- split
def split_clips(videos: Sequence[str], fraction: float = 0.5, seed: int = 0
                ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split clips (never frames) into (train, test); deterministic for a seed.

    ``fraction`` is the share of clips in train (at least one clip in each side when there
    are two or more clips).
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"split fraction must be between 0 and 1 (exclusive), got {fraction}")
    items = sorted(dict.fromkeys(videos))
    rng = random.Random(seed)
    rng.shuffle(items)
    n_train = int(round(fraction * len(items)))
    if len(items) >= 2:
        n_train = min(max(n_train, 1), len(items) - 1)
    return tuple(sorted(items[:n_train])), tuple(sorted(items[n_train:]))


def split_by_stretch(clips: Sequence[ClipLabels], fraction: float = 0.5, seed: int = 0
                     ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split within each stretch, so every stretch has clips on both sides when it can."""
    train: list[str] = []
    test: list[str] = []
    groups: dict[str, list[str]] = {}
    for c in clips:
        groups.setdefault(c.stretch, []).append(c.video)
    for k in sorted(groups):
        a, b = split_clips(groups[k], fraction, seed)
        train += a
        test += b
    return tuple(train), tuple(test)


# ---------------------------------------------------------------------------- sweeps
@dataclass(frozen=True)
class SweepResult:
    """Best thresholds of one check on the training clips."""

    check_id: str
    before: dict[str, float | None]
    after: dict[str, float | None]
    train_before: float
    train_after: float
    evaluated: int  # candidate settings tried

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _objective(c: Counts, name: str) -> float:
    val = {"agreement": c.agreement, "balanced": c.balanced, "f1": c.f1}[name]
    return -1.0 if math.isnan(val) else float(val)


def _candidates(values: np.ndarray, current: float | None, n: int) -> list[float]:
    v = values[np.isfinite(values)]
    if v.size == 0 or current is None:
        return [] if current is None else [current]
    qs = np.quantile(v, np.linspace(0.0, 1.0, n))
    span = float(qs[-1] - qs[0]) or 1.0
    extra = [qs[0] - 0.05 * span, qs[-1] + 0.05 * span, current]
    # round to a readable precision so the saved spec stays readable
    step = 10 ** math.floor(math.log10(span / 200)) if span > 0 else 0.01
    return sorted({round(round(x / step) * step, 6) for x in [*qs, *extra]})


def sweep_check(traces: Sequence[ClipTrace], labels: Mapping[str, ClipLabels], check: Any,
                objective: str = "agreement", grid: int = 41, rounds: int = 3) -> SweepResult:
    """Coordinate search of one check's ``min``/``max`` on ``traces`` (the training clips).

    Candidates are quantiles of the check's measured values on the labelled frames (plus the
    current value); ``min`` and ``max`` are searched in turn, ``rounds`` times. Ties go to
    the setting closest to the current one, so a check changes only when labels say so. A
    bound that is absent (open) stays absent.
    """
    data = []
    for tr in traces:
        if check.id not in tr.values:
            continue
        truth = labels[tr.video].at_times(tr.t_s).checks.get(check.id)
        if truth is None:
            continue
        orig = tr.status.get(check.id)
        data.append((tr.values[check.id], truth, tr.weights, orig))
    before = {"min": check.min, "max": check.max}
    if not data:
        return SweepResult(check.id, before, dict(before), math.nan, math.nan, 0)
    all_vals = np.concatenate([d[0][d[1] != UNLABELLED] for d in data])

    def score(lo: float | None, hi: float | None) -> float:
        total = Counts()
        for vals, truth, w, orig in data:
            st = check_status(vals, lo, hi, check.hysteresis)
            if orig is not None:
                st = np.where(orig == UNKNOWN, UNKNOWN, st)
            pred_fail = np.where(st == UNKNOWN, UNKNOWN, (st == FAIL).astype(np.int8))
            truth_fail = np.where(truth == UNLABELLED, UNLABELLED, (truth == FALSE))
            total = total + Counts.from_arrays(pred_fail, truth_fail.astype(np.int8), w)
        return _objective(total, objective)

    def ok(lo: float | None, hi: float | None) -> bool:
        if lo is None or hi is None:
            return True
        return lo <= hi and (2 * check.hysteresis < hi - lo or hi == lo == 0)

    def dist(lo: float | None, hi: float | None) -> float:
        d = 0.0
        if lo is not None and check.min is not None:
            d += abs(lo - check.min)
        if hi is not None and check.max is not None:
            d += abs(hi - check.max)
        return d

    lo, hi = check.min, check.max
    base = score(lo, hi)
    best = base
    evaluated = 1
    cand_lo = _candidates(all_vals, check.min, grid)
    cand_hi = _candidates(all_vals, check.max, grid)
    for _ in range(rounds):
        moved = False
        for which in ("min", "max"):
            cands = cand_lo if which == "min" else cand_hi
            if (which == "min" and lo is None) or (which == "max" and hi is None):
                continue
            best_key = (best, -dist(lo, hi))
            for c in cands:
                nlo, nhi = (c, hi) if which == "min" else (lo, c)
                if not ok(nlo, nhi):
                    continue
                s = score(nlo, nhi)
                evaluated += 1
                key = (s, -dist(nlo, nhi))
                if key > best_key:
                    best_key = key
                    best = s
                    if (nlo, nhi) != (lo, hi):
                        moved = True
                    lo, hi = nlo, nhi
        if not moved:
            break
    return SweepResult(check.id, before, {"min": lo, "max": hi}, base, best, evaluated)


def sweep_condition(traces: Sequence[ClipTrace], labels: Mapping[str, ClipLabels],
                    condition: Any, conditions: Sequence[Any],
                    current: Mapping[str, Mapping[str, float | None]],
                    objective: str = "agreement", grid: int = 41, rounds: int = 2
                    ) -> SweepResult:
    """Like :func:`sweep_check` for one pose condition, scored on ``in_position`` labels
    (the other conditions fixed at ``current``)."""
    usable = [tr for tr in traces if condition.id in tr.values]
    before = {"min": condition.min, "max": condition.max}
    data = [(tr, labels[tr.video].at_times(tr.t_s).in_position, tr.weights) for tr in usable]
    data = [d for d in data if np.any(d[1] != UNLABELLED)]
    if not data:
        return SweepResult(condition.id, before, dict(before), math.nan, math.nan, 0)
    all_vals = np.concatenate([d[0].values[condition.id][d[1] != UNLABELLED] for d in data])

    def score(lo: float | None, hi: float | None) -> float:
        th = {**current, condition.id: {"min": lo, "max": hi}}
        total = Counts()
        for tr, truth, w in data:
            _, ip = decisions(tr, th, conditions=conditions)
            total = total + Counts.from_arrays(ip, truth, w)
        return _objective(total, objective)

    lo, hi = condition.min, condition.max
    base = score(lo, hi)
    best, evaluated = base, 1
    for _ in range(rounds):
        moved = False
        for which in ("min", "max"):
            if (which == "min" and lo is None) or (which == "max" and hi is None):
                continue
            cur = lo if which == "min" else hi
            best_key = (best, 0.0)
            for c in _candidates(all_vals, cur, grid):
                nlo, nhi = (c, hi) if which == "min" else (lo, c)
                if nlo is not None and nhi is not None and nlo > nhi:
                    continue
                s = score(nlo, nhi)
                evaluated += 1
                orig = condition.min if which == "min" else condition.max
                key = (s, -abs(c - orig))
                if key > best_key:
                    best_key, best = key, s
                    moved = moved or (nlo, nhi) != (lo, hi)
                    lo, hi = nlo, nhi
        if not moved:
            break
    return SweepResult(condition.id, before, {"min": lo, "max": hi}, base, best, evaluated)


def sweep_timer(traces: Sequence[ClipTrace], labels: Mapping[str, ClipLabels], hold: Any,
                thresholds: Mapping[str, Mapping[str, float | None]], checks: Sequence[Any],
                conditions: Sequence[Any] = (),
                debounce: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5),
                grace: Sequence[float] = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0),
                ) -> tuple[dict[str, float], float, float]:
    """Grid over ``debounce_s`` x ``grace_s`` maximising agreement of the timer's counted
    valid time with the labelled valid time (thresholds already tuned).

    Returns ``({"debounce_s", "grace_s"}, train_before, train_after)``; ties go to the
    current setting's neighbourhood.
    """
    prepared = []
    for tr in traces:
        status, ip = decisions(tr, thresholds, checks=checks, conditions=conditions)
        prepared.append((tr, status, ip))
    d0 = float(getattr(hold, "debounce_s", 0.5))
    g0 = float(getattr(hold, "grace_s", 1.5))

    def score(d: float, g: float) -> float:
        total = Counts()
        for tr, status, ip in prepared:
            cs = score_clip(tr, labels[tr.video], hold, status=status, in_pose=ip,
                            debounce_s=d, grace_s=g)
            total = total + cs.valid
        return _objective(total, "agreement")

    before = score(d0, g0)
    best_key, best = (before, 0.0), {"debounce_s": d0, "grace_s": g0}
    for d in sorted(set(debounce) | {d0}):
        for g in sorted(set(grace) | {g0}):
            s = score(d, g)
            key = (s, -(abs(d - d0) + abs(g - g0)))
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


def tune(traces: Sequence[ClipTrace], labels: Mapping[str, ClipLabels], spec: Any,
         train: Sequence[str], check_ids: Sequence[str] | None = None,
         objective: str = "agreement", tune_pose: bool = True, tune_timer: bool = True,
         test: Sequence[str] = ()) -> TuneResult:
    """Tune ``spec`` on the clips named in ``train`` only (the test clips are never looked at).

    Order: pose conditions (on ``in_position`` labels), then each check (on its labels), then
    debounce/grace (on valid-hold labels).
    """
    train_set = set(train)
    leak = train_set & set(test)
    if leak:
        raise ValueError(f"clips in both train and test: {sorted(leak)}")
    tr_traces = [t for t in traces if t.video in train_set]
    wanted = set(check_ids) if check_ids else None
    thresholds: dict[str, dict[str, float | None]] = {}
    sweeps: list[SweepResult] = []
    if tune_pose:
        for cond in spec.pose:
            if wanted is not None and cond.id not in wanted:
                continue
            r = sweep_condition(tr_traces, labels, cond, spec.pose, thresholds,
                                objective=objective)
            sweeps.append(r)
            if r.changed:
                thresholds[cond.id] = dict(r.after)
    for check in spec.checks:
        if wanted is not None and check.id not in wanted:
            continue
        r = sweep_check(tr_traces, labels, check, objective=objective)
        sweeps.append(r)
        if r.changed:
            thresholds[check.id] = dict(r.after)
    timer = {"debounce_s": spec.hold.debounce_s, "grace_s": spec.hold.grace_s}
    timer_train = (math.nan, math.nan)
    if tune_timer and tr_traces:
        timer, b, a = sweep_timer(tr_traces, labels, spec.hold, thresholds, spec.checks,
                                  spec.pose)
        timer_train = (b, a)
    return TuneResult(thresholds=thresholds, timer=timer, sweeps=tuple(sweeps),
                      timer_train=timer_train, train=tuple(sorted(train_set)),
                      test=tuple(test))


# ---------------------------------------------------------------------------- from analysis
def trace_from_report(report: Any, video: str, spec: Any) -> ClipTrace:
    """Build a :class:`ClipTrace` from an :class:`~posecheck.analysis.AnalysisReport` (or its
    ``to_json()`` dict)."""
    data = report.to_json() if hasattr(report, "to_json") else report
    if isinstance(data, str):
        import json
        data = json.loads(data)
    timeline = data.get("timeline") or []
    n = len(timeline)
    t_ms = np.zeros(n, np.int64)
    in_pose = np.full(n, UNKNOWN, np.int8)
    side = np.full(n, "", dtype=object)
    ids = [c.id for c in spec.checks] + [c.id for c in spec.pose]
    values = {k: np.full(n, np.nan) for k in ids}
    status = {c.id: np.full(n, UNKNOWN, np.int8) for c in spec.checks}
    codes = {"pass": PASS, "fail": FAIL, "unknown": UNKNOWN}
    for i, row in enumerate(timeline):
        t_ms[i] = int(round(float(row["t_ms"]))) if "t_ms" in row else int(
            round(float(row["t_s"]) * 1000))
        ip = row.get("in_pose")
        in_pose[i] = UNKNOWN if ip is None else int(bool(ip))
        s = row.get("stretched_side") or row.get("side") or ""
        side[i] = s if s in SIDES else ""
        for cid, entry in (row.get("checks") or {}).items():
            if isinstance(entry, Mapping):
                st, val = entry.get("status"), entry.get("value")
            else:
                st, val = entry, None
            if cid in status and st is not None:
                status[cid][i] = codes.get(str(st).lower(), UNKNOWN)
            if cid in values and val is not None:
                values[cid][i] = float(val)
        for cid, entry in (row.get("pose") or row.get("conditions") or {}).items():
            val = entry.get("value") if isinstance(entry, Mapping) else entry
            if cid in values and isinstance(val, (int, float)) and not isinstance(val, bool):
                values[cid][i] = float(val)
    values = {k: v for k, v in values.items() if np.any(np.isfinite(v))}
    return ClipTrace(video=video, stretch=spec.id, t_ms=t_ms, values=values, status=status,
                     in_pose=in_pose, side=side,
                     required=tuple(c.id for c in spec.checks if c.required),
                     conditions=tuple(c.id for c in spec.pose))


def score_traces(traces: Sequence[ClipTrace], labels: Mapping[str, ClipLabels], spec: Any,
                 thresholds: Mapping[str, Mapping[str, float | None]] | None = None,
                 timer: Mapping[str, float] | None = None) -> Summary:
    """Score traces, optionally with replayed thresholds / timer settings."""
    out = []
    for tr in traces:
        status, ip = decisions(tr, thresholds or {}, checks=spec.checks, conditions=spec.pose)
        out.append(score_clip(tr, labels[tr.video], spec.hold, status=status, in_pose=ip,
                              **dict(timer or {})))
    return Summary(tuple(out))

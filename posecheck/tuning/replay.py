"""Scoring checks against labelled footage, and threshold sweeps. Pure numpy.

Vocabulary:

- A *trace* (:class:`ClipTrace`) is what the pipeline said about one clip, frame by frame: the
  metric value behind each check and pose condition, each check's status (PASS / FAIL /
  UNKNOWN), whether the body is in position, the stretched side, and whether the form is valid.
  It is built once from cached landmarks (:func:`posecheck.core.analysis.analyze_frames`).
- A *truth* (:class:`posecheck.tuning.labels.FrameTruth`) is what a person labelled, sampled at the
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
(:func:`check_status`, same hysteresis rule as :mod:`posecheck.core.checks`), stillness from the
body motion (:func:`posecheck.core.motion.still_code`, the session's rule) and the hold timer
(:class:`posecheck.core.timer.HoldTimer`). Metric values and motion are computed once per clip.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from posecheck.tuning.labels import FALSE, TRUE, UNLABELLED, ClipLabels

PASS, FAIL, UNKNOWN = 1, 0, -1
MAX_GAP_S = 0.5  # s; a longer frame interval is a dropout and weighs one typical frame
SIDES = ("left", "right")


# ---------------------------------------------------------------------------- traces
@dataclass(frozen=True)
class ClipTrace:
    """The pipeline's per-frame view of one clip (arrays of length T), with the spec parts
    needed to replay its decisions under other thresholds.

    Attributes:
        video: clip path as labelled.
        stretch: spec id the clip was analysed with.
        t_ms: ``(T,)`` int64 frame timestamps.
        values: check/condition id -> ``(T,)`` float metric value (NaN when not measurable).
        status: check id -> ``(T,)`` int8 status the pipeline decided (1 PASS, 0 FAIL,
            -1 UNKNOWN).
        in_pose: ``(T,)`` int8 the pipeline's (sticky) in-position decision, 1 or 0.
        side: ``(T,)`` object array of ``"left"``/``"right"``/``"both"``/``""``.
        has_pose: ``(T,)`` bool, a person was found.
        view_ok: ``(T,)`` int8 the view suits the spec (1), not (0), unknown (-1).
        checks, conditions: the spec's CheckSpec tuples (form checks, pose conditions).
        hold: the spec's hold settings; timer_only: the spec has no form checks.
        motion: ``(T,)`` float body motion (body lengths per second, NaN unknown), or None
            when not recorded (then every frame counts as still).
    """

    video: str
    stretch: str
    t_ms: np.ndarray
    values: Mapping[str, np.ndarray]
    status: Mapping[str, np.ndarray]
    in_pose: np.ndarray
    side: np.ndarray
    has_pose: np.ndarray | None = None
    view_ok: np.ndarray | None = None
    checks: tuple[Any, ...] = ()
    conditions: tuple[Any, ...] = ()
    hold: Any = None
    timer_only: bool = False
    motion: np.ndarray | None = None

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
        defaults = {"has_pose": np.ones(n, bool), "view_ok": np.ones(n, np.int8)}
        for name, dtype in (("in_pose", np.int8), ("side", object), ("has_pose", bool),
                            ("view_ok", np.int8)):
            value = getattr(self, name)
            arr = np.asarray(defaults[name] if value is None else value, dtype=dtype)
            if arr.shape != (n,):
                raise ValueError(f"ClipTrace.{name} has shape {arr.shape}, expected ({n},)")
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "checks", tuple(self.checks))
        object.__setattr__(self, "conditions", tuple(self.conditions))
        if self.motion is not None:
            motion = np.asarray(self.motion, dtype=np.float64)
            if motion.shape != (n,):
                raise ValueError(f"ClipTrace.motion has shape {motion.shape}, expected ({n},)")
            object.__setattr__(self, "motion", motion)

    @property
    def t_s(self) -> np.ndarray:
        return self.t_ms / 1000.0

    @property
    def weights(self) -> np.ndarray:
        return frame_weights(self.t_ms)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.checks if getattr(c, "required", True))

    @classmethod
    def from_report(cls, report: Any, video: str, spec: Any) -> "ClipTrace":
        """Build from an :class:`~posecheck.core.analysis.AnalysisReport` (its FrameReports)."""
        frames = list(report.frames)
        n = len(frames)
        codes = {"pass": PASS, "fail": FAIL, "unknown": UNKNOWN}
        ids = [c.id for c in spec.checks]
        cids = [c.id for c in spec.pose]
        values = {k: np.full(n, np.nan) for k in (*ids, *cids)}
        status = {k: np.full(n, UNKNOWN, np.int8) for k in ids}
        t_ms = np.zeros(n, np.int64)
        in_pose = np.zeros(n, np.int8)
        has_pose = np.zeros(n, bool)
        view_ok = np.full(n, UNKNOWN, np.int8)
        side = np.full(n, "", dtype=object)
        motion = np.full(n, np.nan)
        for i, f in enumerate(frames):
            t_ms[i] = f.t_ms
            motion[i] = getattr(f, "motion", math.nan)
            in_pose[i] = int(bool(f.in_pose))
            has_pose[i] = bool(f.has_pose)
            view_ok[i] = UNKNOWN if f.view_ok is None else int(bool(f.view_ok))
            side[i] = f.stretched_side or ""
            for cid, r in f.checks.items():
                if cid in status:
                    status[cid][i] = codes[r.status.value]
                    values[cid][i] = r.value
            for cid, r in f.conditions.items():
                if cid in values:
                    values[cid][i] = r.value
        return cls(video=video, stretch=spec.id, t_ms=t_ms, values=values, status=status,
                   in_pose=in_pose, side=side, has_pose=has_pose, view_ok=view_ok,
                   checks=tuple(spec.checks), conditions=tuple(spec.pose), hold=spec.hold,
                   timer_only=bool(getattr(spec, "timer_only", False)), motion=motion)


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

    Rule (as :mod:`posecheck.core.checks`): the first measured frame passes iff ``lo <= v <= hi``;
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


# ---------------------------------------------------------------------------- replay
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


def _merged(c: Any, thresholds: Thresholds) -> tuple[float | None, float | None, float]:
    t = {"min": c.min, "max": c.max, "hysteresis": c.hysteresis, **thresholds.get(c.id, {})}
    return t["min"], t["max"], float(t["hysteresis"] or 0.0)


def replay(trace: ClipTrace, thresholds: Thresholds | None = None,
           timer: Mapping[str, float] | None = None, with_timer: bool = True) -> Replay:
    """Recompute a clip's decisions from its metric values, as
    :class:`posecheck.core.session.StretchSession` does, under new thresholds / timer settings.

    Only the cheap part runs: check statuses (:func:`check_status`), the sticky in-position
    decision, frame validity, stillness and the hold timer (rep target lifted, see
    :func:`run_timer`). ``timer`` may also hold ``max_motion`` (body lengths per second, or
    None for no stillness rule). With the spec's own settings it reproduces the pipeline
    (tested).
    """
    from posecheck.core.motion import still_code

    thresholds = thresholds or {}
    timer = dict(timer or {})
    max_motion = timer.pop("max_motion", _get(trace.hold, "max_motion", None))
    n = len(trace.t_ms)
    status = dict(trace.status)
    for c in trace.checks:
        if c.id in thresholds and c.id in trace.values:
            status[c.id] = check_status(trace.values[c.id], *_merged(c, thresholds))
    conds = [c for c in trace.conditions if c.id in trace.values]
    hold_grace = float(_get(trace.hold, "grace_s", 1.5))
    if timer and "grace_s" in timer:
        hold_grace = float(timer["grace_s"])

    if conds:
        in_now = _in_now_from_values(trace, conds, thresholds)
    else:
        in_now = np.where(trace.has_pose, 1, UNKNOWN).astype(np.int8)

    sticky = np.zeros(n, np.int8)
    timer_in = np.full(n, UNKNOWN, np.int8)
    state = 0
    last_pose: int | None = None
    for i in range(n):
        if trace.has_pose[i]:
            last_pose = int(trace.t_ms[i])
            if in_now[i] != UNKNOWN:
                state = int(in_now[i])
                timer_in[i] = state
        else:
            lost = None if last_pose is None else int(trace.t_ms[i]) - last_pose
            if lost is None or lost > hold_grace * 1000:
                state = 0
                timer_in[i] = 0
        sticky[i] = state

    overall_ok = form_valid(status, trace.required, n)
    valid = np.where(sticky == 0, 0, UNKNOWN).astype(np.int8)
    posed = trace.has_pose & (sticky == 1)
    if trace.timer_only:
        valid[posed] = np.where(in_now[posed] == 1, 1, UNKNOWN)
    else:
        ok_view = posed & (trace.view_ok == 1)
        v = overall_ok.copy()
        v[(v == 1) & (in_now == UNKNOWN)] = UNKNOWN
        valid[ok_view] = v[ok_view]
    still = (np.ones(n, np.int8) if trace.motion is None
             else still_code(trace.motion, max_motion))
    counted = np.zeros(0)
    booked = np.zeros(0, dtype=object)
    if with_timer:
        counted, booked = run_timer(trace.t_ms, timer_in, valid, trace.side, trace.hold,
                                    still=still, **timer)
    return Replay(status=MappingProxyType(status), in_pose=sticky, valid=valid,
                  counted=counted, booked=booked, still=still)


def _in_now_from_values(trace: ClipTrace, conds: Sequence[Any], thresholds: Thresholds
                        ) -> np.ndarray:
    cst = [check_status(trace.values[c.id], *_merged(c, thresholds)) for c in conds]
    stack = np.vstack(cst)
    in_now = np.where(np.any(stack == FAIL, axis=0), 0,
                      np.where(np.all(stack == PASS, axis=0), 1, UNKNOWN))
    return np.where(trace.has_pose, in_now, UNKNOWN).astype(np.int8)


def _get(obj: Any, name: str, default: Any) -> Any:
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def run_timer(t_ms: np.ndarray, in_pose: np.ndarray, valid: np.ndarray, side: np.ndarray,
              hold: Any, still: np.ndarray | None = None, **overrides: Any
              ) -> tuple[np.ndarray, np.ndarray]:
    """Run the hold timer over per-frame outcomes; returns ``(counted_s, booked_side)``:
    the valid seconds the timer added at each frame and the side it booked them to.
    ``still``: ``(T,)`` 1 / 0 / -1 (unknown) stillness; None = always still.

    The rep target is lifted (``target_s`` huge) so the count measures detection, not the
    session plan (rest after a completed rep would otherwise stop the count).
    """
    from posecheck.core.timer import HoldTimer, HoldTimerSettings

    settings = HoldTimerSettings.from_spec(hold, **{"target_s": 1e9, **overrides})
    timer = HoldTimer(settings)
    n = len(t_ms)
    counted = np.zeros(n)
    booked = np.full(n, "", dtype=object)
    prev: dict[str, float] = {}
    for i in range(n):
        ip = None if in_pose[i] == UNKNOWN else bool(in_pose[i])
        va = None if valid[i] == UNKNOWN else bool(valid[i])
        sd = side[i] if side[i] in SIDES else None
        sl = True if still is None else (None if still[i] == UNKNOWN else bool(still[i]))
        st = timer.update(int(t_ms[i]), in_pose=ip, valid=va, side=sd, still=sl)
        for s, v in st.valid_s_by_side.items():
            add = v - prev.get(s, 0.0)
            if add > 1e-12:
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
                         for s in self.hold_pred_s}}


def score_clip(trace: ClipTrace, labels: ClipLabels, rp: Replay | None = None) -> ClipScore:
    """Score one clip's decisions (``rp``: a :func:`replay`; default the spec's own settings).

    Hold seconds are counted over labelled time only, per side and in ``total`` (all sides,
    which needs no side labels).
    """
    rp = rp if rp is not None else replay(trace)
    truth = labels.at_times(trace.t_s)
    w = trace.weights
    checks = {}
    for cid in dict.fromkeys([*rp.status, *truth.checks]):
        t = truth.checks.get(cid)
        s = rp.status.get(cid)
        if t is None or s is None:
            continue
        pred_fail = np.where(s == UNKNOWN, UNKNOWN, (s == FAIL).astype(np.int8))
        truth_fail = np.where(t == UNLABELLED, UNLABELLED, (t == FALSE).astype(np.int8))
        checks[cid] = Counts.from_arrays(pred_fail, truth_fail, w)
    in_pos = Counts.from_arrays(rp.in_pose, truth.in_position, w)
    valid_true = truth.valid_truth(trace.required)
    pred_s: dict[str, float] = {}
    true_s: dict[str, float] = {}
    lab = truth.labelled
    if len(rp.counted):
        valid = Counts.from_arrays((rp.counted > 0).astype(np.int8), valid_true, w)
        sided = bool(np.any(truth.side[lab] != ""))  # per-side numbers need side labels
        for s in SIDES if sided else ():
            p = float(rp.counted[lab & (rp.booked == s)].sum())
            tr = float(w[(valid_true == TRUE) & (truth.side == s)].sum())
            if p > 0 or tr > 0:
                pred_s[s], true_s[s] = p, tr
        pred_s["total"] = float(rp.counted[lab].sum())
        true_s["total"] = float(w[valid_true == TRUE].sum())
    else:
        valid = Counts.from_arrays(np.where(rp.valid == UNKNOWN, UNKNOWN, rp.valid == 1
                                            ).astype(np.int8), valid_true, w)
    return ClipScore(video=trace.video, stretch=trace.stretch, checks=MappingProxyType(checks),
                     in_position=in_pos, valid=valid, hold_pred_s=MappingProxyType(pred_s),
                     hold_true_s=MappingProxyType(true_s), labelled_s=float(w[lab].sum()))


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
        """Per side (and ``total``): predicted and true valid seconds summed over clips, and
        the mean absolute error per clip."""
        out: dict[str, dict[str, float]] = {}
        for s in (*SIDES, "total"):
            rows = [(c.hold_pred_s.get(s, 0.0), c.hold_true_s.get(s, 0.0)) for c in self.clips
                    if s in c.hold_pred_s]
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


def score(traces: Sequence[ClipTrace], labels: Mapping[str, ClipLabels],
          thresholds: Thresholds | None = None, timer: Mapping[str, float] | None = None
          ) -> Summary:
    """Score clips under some thresholds / timer settings (the spec's own by default)."""
    return Summary(tuple(score_clip(tr, labels[tr.video], replay(tr, thresholds, timer))
                         for tr in traces))


def format_summary(summary: Summary, title: str = "") -> str:
    """A plain-text table of a summary (one row per check)."""
    width = max([30, *(len(k) + 11 for k in summary.checks)])
    head = (f"{'row':<{width}}{'prec':>6}{'recall':>7}{'F1':>6}{'agree':>7}{'cover':>7}"
            f"{'lab s':>7}")
    lines = [title] if title else []
    lines += [head, "-" * len(head)]

    def row(name: str, c: Counts) -> str:
        return (f"{name:<{width}}{_f(c.precision):>6}{_f(c.recall):>7}{_f(c.f1):>6}"
                f"{_f(c.agreement):>7}{_f(c.coverage):>7}{c.labelled:>7.1f}")

    for cid, c in summary.checks.items():
        lines.append(row(f"{cid} (+ = FAIL)", c))
    lines.append(row("in_position (+ = in)", summary.in_position))
    lines.append(row("valid (+ = counted)", summary.valid))
    for s, d in summary.hold_error().items():
        lines.append(f"hold {s:<6} counted {d['pred_s']:6.1f} s  labelled {d['true_s']:6.1f} s"
                     f"  MAE/clip {d['mae_s']:5.1f} s  ({d['clips']} clips)")
    return "\n".join(lines)


def _f(x: float) -> str:
    return "-" if x is None or math.isnan(x) else f"{x:.2f}"


# ---------------------------------------------------------------------------- split
def split_clips(videos: Sequence[str], fraction: float = 0.5, seed: int = 0
                ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split clips (never frames) into (train, test); deterministic for a seed.

    ``fraction`` is the share of clips in train (at least one clip in each part when there
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
                min_gain: float = MIN_GAIN) -> SweepResult:
    """Coordinate search of one check's ``min``/``max`` on ``traces`` (the training clips).

    The objective is computed on the check's own labels (check statuses do not depend on
    each other). Candidates are quantiles of the check's measured values on the labelled
    frames (plus the current value); ``min`` and ``max`` are searched in turn, ``rounds``
    times. Ties go to the setting closest to the current one, so a check changes only when
    the labels say so. A bound that is absent (open) stays absent.
    """
    data = []
    for tr in traces:
        if check.id not in tr.values:
            continue
        truth = labels[tr.video].at_times(tr.t_s).checks.get(check.id)
        if truth is None or not np.any(truth != UNLABELLED):
            continue
        truth_fail = np.where(truth == UNLABELLED, UNLABELLED, truth == FALSE).astype(np.int8)
        data.append((tr.values[check.id], truth_fail, tr.weights, truth != UNLABELLED))
    before = {"min": check.min, "max": check.max}
    if not data:
        return SweepResult(check.id, before, dict(before), math.nan, math.nan, 0)
    all_vals = np.concatenate([d[0][d[3]] for d in data])

    def score_fn(lo: float | None, hi: float | None) -> float:
        total = Counts()
        for vals, truth_fail, w, _ in data:
            st = check_status(vals, lo, hi, check.hysteresis)
            pred_fail = np.where(st == UNKNOWN, UNKNOWN, (st == FAIL).astype(np.int8))
            total = total + Counts.from_arrays(pred_fail, truth_fail, w)
        return _objective(total, objective)

    lo, hi, base, best, n = _search(score_fn, check.min, check.max,
                                    _candidates(all_vals, check.min, grid),
                                    _candidates(all_vals, check.max, grid),
                                    check.hysteresis, rounds, min_gain)
    fail_s = float(sum(w[t == 1].sum() for _, t, w, _ in data))
    pass_s = float(sum(w[t == 0].sum() for _, t, w, _ in data))
    return SweepResult(check.id, before, {"min": lo, "max": hi}, base, best, n,
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
                thresholds: Thresholds, hold: Any,
                debounce: Sequence[float] = DEBOUNCE_GRID, grace: Sequence[float] = GRACE_GRID,
                ) -> tuple[dict[str, float], float, float]:
    """Grid over ``debounce_s`` x ``grace_s`` maximising the agreement of the timer's
    counted time with the labelled valid time (thresholds already tuned).

    Returns ``({"debounce_s", "grace_s"}, train_before, train_after)``; ties go to the
    current setting's neighbourhood.
    """
    d0 = float(_get(hold, "debounce_s", 0.5))
    g0 = float(_get(hold, "grace_s", 1.5))

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

    Order: pose conditions (on ``in_position`` labels), then each check (on its own labels),
    then, if asked, debounce/grace (on valid-hold labels).

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
    timer = {"debounce_s": float(spec.hold.debounce_s), "grace_s": float(spec.hold.grace_s)}
    timer_train = (math.nan, math.nan)
    if tune_timer and tr_traces:
        timer, b, a = sweep_timer(tr_traces, labels, thresholds, spec.hold)
        timer_train = (b, a)
    return TuneResult(thresholds=thresholds, timer=timer, sweeps=tuple(sweeps),
                      timer_train=timer_train, train=tuple(sorted(train_set)),
                      test=tuple(sorted(test)))

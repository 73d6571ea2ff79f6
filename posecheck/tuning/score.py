"""Scoring a clip's decisions against labelled footage. Pure numpy.

A *truth* (:class:`posecheck.tuning.labels.FrameTruth`) is what a person labelled, sampled at
the frame times of a :class:`~posecheck.tuning.trace.ClipTrace`. Conventions (also in
docs/TUNING.md):

- Every frame stands for the time until the next frame
  (:func:`~posecheck.tuning.trace.frame_weights`), so numbers are **seconds**, and clips at
  10 fps and 30 fps weigh by duration, not by frame count.
- For a form check the **positive class is FAIL** (a fault was flagged): precision = of the
  time the check said FAIL, the share that was truly a fault ("is it too strict?": low
  precision); recall = of the truly faulty time, the share flagged ("is it too lax?": low
  recall). For ``in_position`` and ``valid`` the positive class is "in position" / "valid".
- Agreement = seconds where decision and label agree / labelled seconds with a decision.
- UNKNOWN frames have no decision: they are left out of precision/recall/agreement and
  reported as coverage = decided seconds / labelled seconds.
- Unlabelled time (outside every interval, or a check an interval does not name) is ignored.

Clips (never frames) are split into train and test by :func:`split_clips`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import numpy as np

from posecheck.core.rules import FAIL, UNKNOWN
from posecheck.tuning.labels import FALSE, TRUE, UNLABELLED, ClipLabels
from posecheck.tuning.replay import SIDES, Replay, Thresholds, replay
from posecheck.tuning.trace import ClipTrace


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


__all__ = ["ClipScore", "Counts", "Summary", "format_summary", "score", "score_clip",
           "split_by_stretch", "split_clips"]

"""Accuracy of the whole pipeline on synthetic clips whose truth is known to the frame.

video -> MediaPipe (through the landmark cache) -> analysis (batch smoothing, the spec's
checks and hold timer) -> compared with ``<clip>.truth.json``:

- metric MAE per check (the check's metric value, deg or ratio), over frames truly in position;
- precision / recall / F1 of each check, a *fault* (FAIL) being the positive class;
- valid hold seconds per side, estimated minus true;
- the stretched side (the side with the most true in-position time) found or not;
- MediaPipe's landmark pixel error against the true projected joints, per landmark group, and
  its detection rate: where these are large, the model, not the checks, is the limit.

Pure numpy apart from the landmark estimation it calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from posecheck.core import geometry as g
from posecheck.core.checks import Status
from posecheck.core.report import Report
from posecheck.model.provision import DEFAULT_MODEL

LANDMARK_GROUPS: dict[str, tuple[int, ...]] = {
    "face": tuple(range(0, 11)),
    "shoulders": (11, 12),
    "elbows_wrists": (13, 14, 15, 16),
    "hands": tuple(range(17, 23)),
    "hips": (23, 24),
    "knees": (25, 26),
    "ankles": (27, 28),
    "feet": (29, 30, 31, 32),
}
_LEG_SWAP = ((25, 26), (27, 28), (29, 30), (31, 32))


@dataclass
class ClipResult:
    """What one clip measured (JSON-ready through :meth:`to_json`)."""

    clip: str
    stretch: str
    frames: int
    truth_pose_frames: int
    detected_frames: int
    landmark_px: dict[str, float]           # median pixel error per group
    landmark_rel: dict[str, float]          # median error / true torso length, per group
    leg_swap_fraction: float                # frames whose leg labels fit better swapped
    metric_abs_err: dict[str, list[float]] = field(default_factory=dict)
    check_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    hold_true: dict[str, float] = field(default_factory=dict)
    hold_est: dict[str, float] = field(default_factory=dict)
    side_true: str | None = None
    side_est: str | None = None
    hold_exact: dict[str, float] = field(default_factory=dict)  # true landmarks, same smoothing
    analysed: bool = True

    @property
    def detection_rate(self) -> float:
        return self.detected_frames / self.truth_pose_frames if self.truth_pose_frames else 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "clip": self.clip, "stretch": self.stretch, "frames": self.frames,
            "detection_rate": round(self.detection_rate, 4),
            "landmark_px_median": self.landmark_px, "landmark_err_torso": self.landmark_rel,
            "leg_swap_fraction": round(self.leg_swap_fraction, 4),
            "metric_mae": {k: _r(_mean(v)) for k, v in self.metric_abs_err.items()},
            "checks": {k: {**v, **prf(v)} for k, v in self.check_counts.items()},
            "valid_hold_true_s": self.hold_true, "valid_hold_est_s": self.hold_est,
            "hold_error_s": {s: _r(self.hold_est.get(s, 0.0) - self.hold_true.get(s, 0.0))
                             for s in sorted(set(self.hold_true) | set(self.hold_est))},
            "hold_error_exact_landmarks_s": {
                s: _r(self.hold_exact.get(s, 0.0) - self.hold_true.get(s, 0.0))
                for s in sorted(set(self.hold_true) | set(self.hold_exact))},
            "side_true": self.side_true, "side_est": self.side_est,
            "side_correct": self.side_true == self.side_est if self.side_true else None,
            "analysed": self.analysed,
        }


def _r(x: float | None, d: int = 3) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), d)


def _mean(v: Sequence[float]) -> float:
    return float(np.mean(v)) if len(v) else math.nan


def prf(c: dict[str, int]) -> dict[str, float | None]:
    """Precision, recall and F1 of fault detection from tp/fp/fn counts.

    With no true and no predicted faults the check is perfect (1.0) rather than undefined.
    """
    tp, fp, fn = c.get("tp", 0), c.get("fp", 0), c.get("fn", 0)
    p = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    r = tp / (tp + fn) if tp + fn else (1.0 if fp == 0 else 0.0)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4)}


# ---------------------------------------------------------------------------- one clip
def landmark_errors(truth_frames: Sequence[dict], est_xy: np.ndarray
                    ) -> tuple[dict[str, float], dict[str, float], float, int, int]:
    """Per group median pixel and torso-relative error, leg-swap fraction, counts."""
    per_group: dict[str, list[float]] = {g: [] for g in LANDMARK_GROUPS}
    per_group_rel: dict[str, list[float]] = {g: [] for g in LANDMARK_GROUPS}
    swaps = truth_n = det_n = 0
    for k, tf in enumerate(truth_frames):
        lm = tf.get("landmarks")
        if lm is None:
            continue
        truth_n += 1
        if k >= len(est_xy) or not np.isfinite(est_xy[k]).all():
            continue
        det_n += 1
        t = np.asarray(lm, float)
        e = est_xy[k]
        inside = np.ones(33, bool)
        for i in tf.get("outside", []):
            inside[i] = False
        torso = float(g.torso_length(*g.trunk_centres(t)))
        err = np.linalg.norm(e - t, axis=1)
        for group, idx in LANDMARK_GROUPS.items():
            vals = [err[i] for i in idx if inside[i]]
            per_group[group].extend(vals)
            per_group_rel[group].extend(v / max(torso, 1.0) for v in vals)
        straight = sum(err[a] + err[b] for a, b in _LEG_SWAP)
        crossed = sum(np.linalg.norm(e[a] - t[b]) + np.linalg.norm(e[b] - t[a])
                      for a, b in _LEG_SWAP)
        sep = np.linalg.norm(t[27] - t[28])
        if crossed < 0.5 * straight and sep > 0.25 * torso:
            swaps += 1
    px = {g: _r(float(np.median(v)), 1) for g, v in per_group.items() if v}
    rel = {g: _r(float(np.median(v)), 3) for g, v in per_group_rel.items() if v}
    return px, rel, (swaps / det_n if det_n else 0.0), truth_n, det_n


def _main_side(in_pose_s: dict[str, float]) -> str | None:
    """The side with the most in-position time (None when no side has any)."""
    best, best_v = None, 0.0
    for side, v in in_pose_s.items():
        if v > best_v + 1e-9:
            best, best_v = side, v
    return best


def evaluate_clip(video: str | Path, truth: dict, *, model: str = DEFAULT_MODEL,
                  cache_dir: str | Path | None = None, smoothing: str = "batch") -> ClipResult:
    """Run the pipeline on one clip and compare it with its truth."""
    from posecheck.model.landmarks import load_or_estimate

    # the mask only where the truth judged the exact outline too: elsewhere the truth's arch
    # verdict is the trunk-line fallback's, and the pipeline must be compared on the same one
    exact_outline = any(f.get("lumbar") is not None for f in truth["frames"])
    track = load_or_estimate(video, model, cache_dir=cache_dir, progress=False,
                             segmentation=exact_outline and _needs_outline(truth["stretch"]))
    frames = list(track.frames)
    if not exact_outline:  # a cached track may carry outlines all the same
        frames = [replace(f, outline=None) for f in frames]
    est_xy = np.full((len(frames), 33, 2), np.nan)
    for k, f in enumerate(frames):
        if f.xy is not None:
            est_xy[k] = f.xy
    tframes = truth["frames"]
    px, rel, swap, truth_n, det_n = landmark_errors(tframes, est_xy)
    result = ClipResult(clip=truth.get("clip", Path(video).stem), stretch=truth["stretch"],
                        frames=len(tframes), truth_pose_frames=truth_n, detected_frames=det_n,
                        landmark_px=px, landmark_rel=rel, leg_swap_fraction=swap)
    report = _analyse(frames, truth["stretch"], track.info.fps, smoothing)
    if report is None or truth.get("analysis") != "spec":
        result.analysed = False
        return result
    timeline = report.entries
    for k, tf in enumerate(tframes):
        if k >= len(timeline) or not tf.get("in_position"):
            continue
        est = timeline[k].checks
        for cid, passes in (tf.get("checks_pass") or {}).items():
            c = result.check_counts.setdefault(cid, {"tp": 0, "fp": 0, "fn": 0, "tn": 0,
                                                     "unknown": 0})
            r = est.get(cid)
            st = Status.UNKNOWN if r is None else r.status
            if st is Status.UNKNOWN:
                c["unknown"] += 1
            truth_fault = not passes
            pred_fault = st is Status.FAIL
            key = ("tp" if pred_fault else "fn") if truth_fault else ("fp" if pred_fault else "tn")
            c[key] += 1
            tv = (tf.get("metrics") or {}).get(cid)
            ev = None if r is None else r.value
            if tv is not None and ev is not None and math.isfinite(tv) and math.isfinite(ev):
                result.metric_abs_err.setdefault(cid, []).append(abs(float(ev) - float(tv)))
    tsides = (truth.get("summary") or {}).get("sides", {})
    result.hold_true = {s: float(d.get("valid_hold_s", 0.0)) for s, d in tsides.items()}
    result.hold_est = {s: float(d.valid_hold_s) for s, d in report.sides.items()}
    result.side_true = _main_side({s: float(d.get("in_pose_s", 0.0)) for s, d in tsides.items()})
    result.side_est = _main_side({s: float(d.in_pose_s) for s, d in report.sides.items()})
    # The same analysis on the exact landmarks: what smoothing alone costs (no model error).
    exact = _analyse(_truth_pose_frames(truth), truth["stretch"], track.info.fps, smoothing)
    if exact is not None:
        result.hold_exact = {s: float(d.valid_hold_s) for s, d in exact.sides.items()}
    return result


def _needs_outline(stretch: str) -> bool:
    """The stretch's spec measures the back outline (batch asks the model for the mask)."""
    from posecheck.core.errors import SpecError
    from posecheck.specs.parse import load_spec

    try:
        return load_spec(stretch).needs_outline
    except SpecError:
        return False


def _truth_pose_frames(truth: dict) -> list:
    from posecheck.core.pose import PoseFrame

    w, h = int(truth["width"]), int(truth["height"])
    out = []
    for k, tf in enumerate(truth["frames"]):
        lm = tf.get("landmarks")
        if lm is None:
            out.append(PoseFrame.empty(int(tf["t_ms"]), w, h, index=k))
            continue
        vis = np.ones(33)
        for i in tf.get("outside", []):
            vis[i] = 0.0
        out.append(PoseFrame(t_ms=int(tf["t_ms"]), width=w, height=h, xy=np.asarray(lm, float),
                             visibility=vis, presence=vis, index=k))
    return out


def _analyse(frames, stretch: str, fps: float, smoothing: str) -> Report | None:
    from posecheck.core.analysis import analyze_frames
    from posecheck.core.errors import SpecError
    from posecheck.specs.parse import load_spec

    try:
        spec = load_spec(stretch)
    except SpecError:
        return None
    return analyze_frames(frames, spec, fps=fps, smoothing=smoothing).to_report()


# ---------------------------------------------------------------------------- a set
def find_clips(folder: str | Path, only: Sequence[str] | None = None) -> list[tuple[Path, dict]]:
    """``(video, truth)`` for every ``*.truth.json.gz`` in ``folder`` with its video beside it."""
    from posecheck.core.errors import PosecheckError
    from posecheck.synth.truth import read_truth_files

    d = Path(folder)
    out = []
    try:
        files = read_truth_files(d)
    except ValueError as exc:
        raise PosecheckError(str(exc)) from None
    for _, truth, video in files:
        if only and truth.get("clip") not in only and truth.get("stretch") not in only:
            continue
        if video.is_file():
            out.append((video, truth))
    if not out:
        raise PosecheckError(f"{d}: no synthetic clips with truth found; run "
                             "`posecheck synth samples` first")
    return out


def summarize(results: Sequence[ClipResult]) -> dict[str, Any]:
    """Per stretch and overall: metric MAE, check P/R/F1, hold error, side accuracy, model."""
    by_stretch: dict[str, list[ClipResult]] = {}
    for r in results:
        by_stretch.setdefault(r.stretch, []).append(r)

    def agg(rs: Sequence[ClipResult]) -> dict[str, Any]:
        errs: dict[str, list[float]] = {}
        counts: dict[str, dict[str, int]] = {}
        for r in rs:
            for k, v in r.metric_abs_err.items():
                errs.setdefault(k, []).extend(v)
            for k, c in r.check_counts.items():
                acc = counts.setdefault(k, {"tp": 0, "fp": 0, "fn": 0, "tn": 0, "unknown": 0})
                for kk, vv in c.items():
                    acc[kk] += vv
        hold_err = [r.hold_est.get(s, 0.0) - r.hold_true.get(s, 0.0)
                    for r in rs if r.analysed for s in set(r.hold_true) | set(r.hold_est)]
        exact_err = [r.hold_exact.get(s, 0.0) - r.hold_true.get(s, 0.0)
                     for r in rs if r.analysed and r.hold_exact
                     for s in set(r.hold_true) | set(r.hold_exact)]
        sided = [r for r in rs if r.analysed and r.side_true]
        groups: dict[str, list[float]] = {}
        for r in rs:
            for g, v in r.landmark_px.items():
                groups.setdefault(g, []).append(v)
        truth_n = sum(r.truth_pose_frames for r in rs)
        return {
            "clips": len(rs),
            "detection_rate": _r(sum(r.detected_frames for r in rs) / truth_n if truth_n else 1),
            "metric_mae": {k: _r(_mean(v)) for k, v in errs.items()},
            "checks": {k: {**c, **prf(c)} for k, c in counts.items()},
            "hold_abs_err_s": {"mean": _r(_mean([abs(x) for x in hold_err])),
                               "max": _r(max([abs(x) for x in hold_err], default=math.nan))},
            "hold_abs_err_exact_landmarks_s": {
                "mean": _r(_mean([abs(x) for x in exact_err])),
                "max": _r(max([abs(x) for x in exact_err], default=math.nan))},
            "side_accuracy": _r(sum(r.side_true == r.side_est for r in sided) / len(sided))
            if sided else None,
            "landmark_px_median": {g: _r(float(np.median(v)), 1) for g, v in groups.items()},
            "leg_swap_fraction": _r(_mean([r.leg_swap_fraction for r in rs])),
        }

    return {"overall": agg(results),
            "stretches": {s: agg(rs) for s, rs in sorted(by_stretch.items())},
            "clips": [r.to_json() for r in results]}


def format_table(summary: dict[str, Any]) -> str:
    """Plain-text tables of :func:`summarize` output."""
    lines = []
    head = (f"{'stretch':26s} {'clips':>5s} {'detect':>6s} {'side':>5s} {'hold|err|':>9s} "
            f"{'max':>5s} {'exact':>6s} {'swap':>5s}")
    lines += [head, "-" * len(head)]
    rows = list(summary["stretches"].items()) + [("ALL", summary["overall"])]
    for name, s in rows:
        side = "-" if s["side_accuracy"] is None else f"{s['side_accuracy']:.2f}"
        he = s["hold_abs_err_s"]
        fmt = (lambda v: "-" if v is None else f"{v:.2f}")  # noqa: E731
        ex = s["hold_abs_err_exact_landmarks_s"]
        lines.append(f"{name:26s} {s['clips']:5d} {fmt(s['detection_rate']):>6s} {side:>5s} "
                     f"{fmt(he['mean']):>9s} {fmt(he['max']):>5s} {fmt(ex['mean']):>6s} "
                     f"{fmt(s['leg_swap_fraction']):>5s}")
    lines += ["(hold|err|: valid hold s per side, pipeline minus truth, mean and max; exact: the "
              "same analysis on the true landmarks, i.e. what smoothing alone costs; swap: "
              "frames with MediaPipe's legs swapped)"]
    lines += ["", f"{'stretch':26s} {'check':22s} {'MAE':>7s} {'prec':>5s} {'rec':>5s} "
              f"{'F1':>5s} {'faults':>6s} {'unk':>5s}"]
    lines.append("-" * 86)
    for name, s in summary["stretches"].items():
        for cid, c in s["checks"].items():
            mae = s["metric_mae"].get(cid)
            lines.append(f"{name:26s} {cid:22s} {('-' if mae is None else f'{mae:.2f}'):>7s} "
                         f"{c['precision']:5.2f} {c['recall']:5.2f} {c['f1']:5.2f} "
                         f"{c['tp'] + c['fn']:6d} {c['unknown']:5d}")
    lines += ["", "MediaPipe landmark error vs truth, median px per group (all clips):"]
    lp = summary["overall"]["landmark_px_median"]
    lines.append("  " + "  ".join(f"{g} {v}" for g, v in lp.items()))
    return "\n".join(lines)

"""``--stretch auto``: which stretch (if any) a clip shows, per hold segment.

Every spec already says when a body is *in position* for it (its entry checks, reported per
frame as ``in_pose`` by :func:`posecheck.core.analysis.analyze_frames`). Recognition reuses that
instead of a separate classifier:

1. run every spec over the landmark track; for frame ``t`` and spec ``k`` take
   ``in_pose[k, t]`` and the fraction of the spec's form checks that pass;
2. label each frame with the spec that is in position and fits best (or ``none``);
3. smooth the labels with a sliding majority vote (``smoothing_s``), so a spec flickering in
   and out for a frame or two does not split a hold;
4. cut the labels into runs and keep runs of one spec lasting at least ``min_segment_s``;
   shorter runs (a stride of walking that looks like a lunge for 0.3 s) become ``none``;
5. for each kept run, score every spec over it and report the best with the runners-up, so
   near-ties are visible rather than hidden;
6. precision first: a run is named only when the body is in position *and still* for the
   spec (a frame whose body moves, per the spec's ``[hold] max_motion``, is no match; a
   video frame whose stillness is not known yet is none either, a still image is judged by
   its pose alone), and when the spec's own form checks mostly pass
   (``min_pass_fraction``): entry conditions alone (kneeling upright, lying down) are too
   generic to name a stretch. Timer-only specs (no form checks, e.g. the foam roller) are
   never recognised from a pose. The answer carries a ``confidence``;
7. before all that, a frame is no match for a spec when the body is in another posture
   family than the spec's ``posture`` (:mod:`posecheck.core.postures`: a knee on the floor
   is not standing, a torso lying flat is not kneeling, ...) or when one of the spec's
   ``[[recognition]]`` ranges (what tells it from a look-alike meeting all its conditions
   and checks) fails or is not measured, or, for a standing or kneeling side-view spec, when the body is seen
   obliquely (``view_detect.oblique_min_ratio``: half its checks cannot be judged there, and a
   front-view warrior II or lateral lunge looks like a side-view lunge).

What a side view can and cannot tell apart (geometry only, no appearance):

- standing vs kneeling vs lying: the torso's angle to vertical and whether the back knee is
  near the floor (knee near ankle height) are clear in a side view;
- a static lunge hold vs a moving lunge/squat: only by time (``min_segment_s``), since a
  single frame of a lunge rep looks like a lunge stretch;
- variants that differ by what the back foot rests on (floor, bench, bed edge) or by depth
  of the back leg (the camera axis) are close and may be confused; they are reported with
  their scores so a reviewer can see how close the call was.

Pure numpy: no model, no video. Thresholds live in :class:`RecognitionSettings` with units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from posecheck.core import postures
from posecheck.core.checks import CheckEvaluator, Status
from posecheck.core.errors import check_number
from posecheck.core.metrics import MetricValue
from posecheck.core.session import VIEW_METRIC, FrameReport
from posecheck.specs.model import CheckSpec, StretchSpec

NONE = "none"
# A spec recognised by this many conditions (or more) counts as fully specific.
SPECIFIC_CONDITIONS = 3


@dataclass(frozen=True)
class RecognitionSettings:
    """Thresholds of the recogniser (each with its unit)."""

    # A hold shorter than this is not a stretch (a lunge rep, a walking stride). Seconds.
    min_segment_s: float = 3.0
    # Width of the sliding majority vote over frame labels. Seconds.
    smoothing_s: float = 1.0
    # Share of a segment's frames in which the chosen spec must be in position. Fraction 0..1.
    min_in_pose_fraction: float = 0.6
    # Runner-up within this score of the winner: the call is flagged ambiguous. Score 0..1.
    ambiguity_margin: float = 0.1
    # Segments of the same spec separated by a gap shorter than this are merged. Seconds.
    merge_gap_s: float = 1.0
    # Mean share of the chosen spec's form checks that pass over a segment, below which the
    # segment is not named (the body meets the entry conditions but not the stretch's
    # form: e.g. kneeling upright with the hands on the hips is not a camel). Fraction 0..1.
    min_pass_fraction: float = 0.5

    def __post_init__(self) -> None:
        for name in ("min_segment_s", "smoothing_s", "merge_gap_s"):
            check_number(f"RecognitionSettings.{name}", getattr(self, name), unit="seconds")
        for name in ("min_in_pose_fraction", "ambiguity_margin", "min_pass_fraction"):
            check_number(f"RecognitionSettings.{name}", getattr(self, name), at_most=1.0)


@dataclass(frozen=True)
class SpecTrace:
    """One spec's per-frame verdicts over a track.

    Attributes:
        spec_id: the spec's id.
        in_pose: ``(T,)`` bool, the body is in position for this spec.
        pass_fraction: ``(T,)`` float in [0, 1], share of the spec's checks that pass
            (NaN where none could be judged).
        view_ok: ``(T,)`` 1 / 0 / NaN (unknown), the camera view suits the spec.
        n_conditions: how many entry conditions the spec has.
        still: ``(T,)`` 1 still / 0 moving / NaN unknown, by the spec's stillness rule;
            None when not recorded (every frame counts as still).
        recognisable: False for a timer-only spec (no form checks): never named from a pose.
        allowed: ``(T,)`` bool, the frame is not ruled out for this spec: its body is not in
            another posture family (:mod:`posecheck.core.postures`) and every recognition-only
            condition of the spec passes; None: nothing is ruled out.
    """

    spec_id: str
    in_pose: np.ndarray
    pass_fraction: np.ndarray
    view_ok: np.ndarray | None = None
    n_conditions: int = 1
    still: np.ndarray | None = None
    recognisable: bool = True
    allowed: np.ndarray | None = None

    def __post_init__(self) -> None:
        in_pose = np.asarray(self.in_pose, dtype=bool)
        passes = np.asarray(self.pass_fraction, dtype=np.float64)
        if in_pose.ndim != 1 or passes.shape != in_pose.shape:
            raise ValueError(f"SpecTrace {self.spec_id}: in_pose and pass_fraction must be "
                             f"(T,) arrays of one length, got {in_pose.shape} and {passes.shape}")
        view = (np.full(in_pose.shape, np.nan) if self.view_ok is None
                else np.asarray(self.view_ok, dtype=np.float64))
        if view.shape != in_pose.shape:
            raise ValueError(f"SpecTrace {self.spec_id}: view_ok must have shape {in_pose.shape}")
        object.__setattr__(self, "in_pose", in_pose)
        object.__setattr__(self, "pass_fraction", passes)
        object.__setattr__(self, "view_ok", view)
        if self.still is not None:
            still = np.asarray(self.still, dtype=np.float64)
            if still.shape != in_pose.shape:
                raise ValueError(f"SpecTrace {self.spec_id}: still must have shape "
                                 f"{in_pose.shape}")
            object.__setattr__(self, "still", still)
        if self.allowed is not None:
            allowed = np.asarray(self.allowed, dtype=bool)
            if allowed.shape != in_pose.shape:
                raise ValueError(f"SpecTrace {self.spec_id}: allowed must have shape "
                                 f"{in_pose.shape}")
            object.__setattr__(self, "allowed", allowed)


def trace_from_frames(spec_id: str, frames: Sequence[FrameReport], n_conditions: int = 1,
                      posture: str = "", hints: Sequence[CheckSpec] = (),
                      measures: Sequence[str] = (), max_view_ratio: float | None = None
                      ) -> SpecTrace:
    """From one spec's per-frame reports over the track.

    A spec whose frames never carry a form check is timer-only (specs.py allows a spec
    without checks only then): it is marked not recognisable. ``posture`` (the spec's
    posture family) rules out frames whose body is in another family; ``hints`` (the spec's
    ``[[recognition]]`` conditions, judged on the frames' metrics with their hysteresis)
    rule out frames where one fails or cannot be measured: they are the evidence that tells
    the spec from a look-alike, and unseen it cannot (precision first). ``measures``: ids of
    the spec's measures (reported, never judged: they pass whenever measured), which are no
    evidence of form and are left out of the pass fraction. ``max_view_ratio``: for a
    side-view spec, the ``view_width_ratio`` above which the body is seen obliquely (the
    spec's ``view_detect.oblique_min_ratio``): such a frame is ruled out, since half the
    stretch's checks cannot be judged there and a front-view warrior II or lateral lunge
    looks like a side-view lunge."""
    in_pose = np.array([bool(f.in_pose) for f in frames], dtype=bool)
    still = np.array([np.nan if f.still is None else float(f.still) for f in frames])
    recognisable = not frames or any(bool(f.checks) for f in frames)
    view_ok = np.array([np.nan if f.view_ok is None else float(f.view_ok) for f in frames])
    passes = np.full(len(frames), np.nan)
    for i, f in enumerate(frames):
        judged = [r.status for k, r in f.checks.items()
                  if r.status is not Status.UNKNOWN and k not in measures]
        if judged:
            passes[i] = sum(s is Status.PASS for s in judged) / len(judged)
    allowed = postures.posture_ok(frames, posture) if posture else None
    if max_view_ratio is not None:
        ratio = np.array([f.metrics.get(VIEW_METRIC, np.nan) for f in frames], float)
        allowed = np.ones(len(frames), bool) if allowed is None else allowed
        allowed &= ~(ratio > max_view_ratio)  # unknown (NaN) rules nothing out
    if hints:
        allowed = np.ones(len(frames), bool) if allowed is None else allowed
        judge = CheckEvaluator(hints)
        for i, f in enumerate(frames):
            res = judge.update({m: MetricValue(float(v)) for m, v in f.metrics.items()})
            allowed[i] &= all(r.status is Status.PASS for r in res.values())
    return SpecTrace(spec_id, in_pose, passes, view_ok, n_conditions, still, recognisable,
                     allowed)


# Upright postures, whose side view stacks the shoulders and hips (narrow in the image); a
# body lying on a mat reads wider (0.27-0.36) from the side: the oblique rule is for these.
UPRIGHT_POSTURES = frozenset({"standing", "kneeling", "seated"})


def spec_trace(spec: StretchSpec, frames: Sequence[FrameReport], spec_id: str | None = None
               ) -> SpecTrace:
    """The trace of ``spec`` over its own per-frame reports, with everything the spec
    tells recognition: its conditions' count, its posture family, its ``[[recognition]]``
    (``spec_id``: the name to report it by, default the spec's id)."""
    return trace_from_frames(spec_id or spec.id, frames, n_conditions=len(spec.pose),
                             posture=spec.posture, hints=spec.recognition,
                             measures=tuple(c.id for c in spec.checks if c.measure),
                             max_view_ratio=spec.view_detect.oblique_min_ratio
                             if spec.view == "side" and spec.posture in UPRIGHT_POSTURES
                             else None)


@dataclass(frozen=True)
class Segment:
    """A stretch of time showing one spec (or ``none``)."""

    stretch: str
    start_s: float
    end_s: float
    in_pose_fraction: float          # chosen spec's share of in-position frames in the segment
    score: float                     # chosen spec's fit (0..1), see module docstring
    candidates: tuple[tuple[str, float], ...] = ()  # (spec id, score), best first
    ambiguous: bool = False
    pass_fraction: float = float("nan")  # chosen spec's mean share of passing form checks

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Recognition:
    """The recogniser's answer for one clip."""

    stretch: str                       # the spec held longest, or "none"
    segments: tuple[Segment, ...]
    in_pose_s: Mapping[str, float] = field(default_factory=dict)  # per spec, whole clip
    # 0..1: the named stretch's segment scores, duration-weighted, halved when a runner-up
    # came within the ambiguity margin; 0 for "none".
    confidence: float = 0.0


# ============================================================================ the algorithm
def frame_scores(traces: Sequence[SpecTrace]) -> np.ndarray:
    """``(K, T)`` fit of each spec per frame, in [0, 1]: 0 when not in position, else the
    mean of four pieces of evidence, each in [0, 1]:

    - in position (always 1 here), and never for a frame whose camera view is known to be
      wrong for the spec;
    - the camera view suits the spec (0.5 when unknown);
    - the share of the spec's form checks that pass (0.5 when none could be judged);
    - how specific the spec's recognition is: ``n_conditions / SPECIFIC_CONDITIONS``
      (capped at 1), so "torso horizontal" alone does not beat "hips up and knees bent".

    A timer-only spec never fits; nor does a frame whose body moves for the spec, nor (in a
    video) one whose stillness is not known yet.
    """
    if not traces:
        return np.zeros((0, 0))
    in_pose = np.stack([t.in_pose & t.recognisable
                        & (True if t.allowed is None else t.allowed)
                        for t in traces]).astype(np.float64)
    n = in_pose.shape[1]
    for k, tr in enumerate(traces):
        if tr.still is not None:
            # a still image has no motion to measure: its pose alone decides
            ok = (tr.still == 1.0) | (np.isnan(tr.still) & (n == 1))
            in_pose[k] = np.where(ok, in_pose[k], 0.0)
    passes = np.stack([t.pass_fraction for t in traces])
    passes = np.where(np.isnan(passes), 0.5, passes)
    view = np.stack([t.view_ok for t in traces])
    # A spec cannot be checked from the wrong camera view (a lateral lunge filmed from the
    # front has the 2D outline of a forward lunge filmed from the side): not a match.
    in_pose = np.where(view == 0.0, 0.0, in_pose)
    view = np.where(np.isnan(view), 0.5, view)
    specific = np.array([[min(t.n_conditions, SPECIFIC_CONDITIONS) / SPECIFIC_CONDITIONS]
                         for t in traces])
    return in_pose * (1.0 + view + passes + specific) / 4.0


def frame_labels(scores: np.ndarray) -> np.ndarray:
    """``(T,)`` index of the best spec per frame, ``-1`` where no spec is in position.
    Ties go to the lower index (the spec listed first), so the result is deterministic."""
    if scores.size == 0:
        return np.full(scores.shape[1] if scores.ndim == 2 else 0, -1, dtype=int)
    best = np.argmax(scores, axis=0)
    return np.where(scores.max(axis=0) > 0, best, -1)


def majority_filter(labels: np.ndarray, window: int, n_classes: int) -> np.ndarray:
    """Sliding majority vote of odd width ``window`` over integer labels in ``-1..n-1``.

    Ties keep the frame's own label. The window shrinks at the ends of the sequence.
    """
    labels = np.asarray(labels, dtype=int)
    if window <= 1 or labels.size == 0:
        return labels.copy()
    half = window // 2
    onehot = np.zeros((n_classes + 1, labels.size), dtype=np.int64)
    onehot[labels + 1, np.arange(labels.size)] = 1
    csum = np.concatenate([np.zeros((n_classes + 1, 1), dtype=np.int64),
                           np.cumsum(onehot, axis=1)], axis=1)
    idx = np.arange(labels.size)
    lo = np.clip(idx - half, 0, labels.size)
    hi = np.clip(idx + half + 1, 0, labels.size)
    counts = csum[:, hi] - csum[:, lo]  # (K+1, T)
    winner = np.argmax(counts, axis=0)
    own = counts[labels + 1, idx]
    keep = own >= counts[winner, idx]
    return np.where(keep, labels, winner - 1)


def runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """``(label, start, stop)`` runs of equal labels (``stop`` exclusive)."""
    out: list[tuple[int, int, int]] = []
    n = len(labels)
    start = 0
    for i in range(1, n + 1):
        if i == n or labels[i] != labels[start]:
            out.append((int(labels[start]), start, i))
            start = i
    return out


def _frame_step_s(t_s: np.ndarray) -> float:
    if len(t_s) < 2:
        return 0.0
    return float(np.median(np.diff(t_s)))


def recognize(t_s: Sequence[float] | np.ndarray, traces: Sequence[SpecTrace],
              settings: RecognitionSettings = RecognitionSettings()) -> Recognition:
    """Segments of the clip, each labelled with the spec it shows or ``none``.

    Args:
        t_s: ``(T,)`` frame times in seconds, increasing.
        traces: one :class:`SpecTrace` per candidate spec, each of length ``T``.
        settings: thresholds.

    Returns:
        :class:`Recognition` whose segments cover only the spec holds (``none`` stretches
        between them are left out); ``stretch`` is the spec held longest, or ``"none"``.
    """
    t = np.asarray(t_s, dtype=np.float64)
    for tr in traces:
        if tr.in_pose.shape != t.shape:
            raise ValueError(f"SpecTrace {tr.spec_id} has {tr.in_pose.size} frames, "
                             f"the clip has {t.size}")
    step = _frame_step_s(t)
    ids = [tr.spec_id for tr in traces]
    in_pose_s = {tr.spec_id: float(tr.in_pose.sum()) * step for tr in traces}
    if t.size == 0 or not traces:
        return Recognition(NONE, (), in_pose_s)

    scores = frame_scores(traces)
    labels = frame_labels(scores)
    window = 1 if step <= 0 else int(round(settings.smoothing_s / step)) | 1
    labels = majority_filter(labels, window, len(traces))

    # Merge runs of one spec separated by short gaps, then drop short runs.
    pieces = [(lab, a, b) for lab, a, b in runs(labels) if lab >= 0]
    merged: list[list[int]] = []
    for lab, a, b in pieces:
        if merged and merged[-1][0] == lab and (t[a] - t[merged[-1][2] - 1]) <= \
                settings.merge_gap_s + step:
            merged[-1][2] = b
        else:
            merged.append([lab, a, b])

    segments: list[Segment] = []
    for lab, a, b in merged:
        start, end = float(t[a]), float(t[b - 1]) + step
        if end - start < settings.min_segment_s and t.size > 1:
            continue  # a still image has no duration: its one frame decides
        seg_scores = scores[:, a:b].mean(axis=1)
        order = sorted(range(len(ids)), key=lambda k: (-seg_scores[k], k))
        best = order[0]
        frac = float(traces[best].in_pose[a:b].mean())
        candidates = tuple((ids[k], float(seg_scores[k])) for k in order if seg_scores[k] > 0)
        ambiguous = (len(order) > 1 and seg_scores[order[1]] > 0
                     and seg_scores[best] - seg_scores[order[1]] < settings.ambiguity_margin)
        if frac < settings.min_in_pose_fraction:
            continue  # in and out of position (reps, strides): not a hold
        passes = traces[best].pass_fraction[a:b]
        passes = passes[np.isfinite(passes)]
        pass_frac = float(passes.mean()) if passes.size else float("nan")
        if not pass_frac >= settings.min_pass_fraction:
            continue  # the entry conditions hold but the stretch's form does not: none
        segments.append(Segment(ids[best], start, end, frac, float(seg_scores[best]),
                                candidates, ambiguous, pass_frac))

    held: dict[str, float] = {}
    for s in segments:
        if s.stretch != NONE:
            held[s.stretch] = held.get(s.stretch, 0.0) + s.duration_s
    stretch = max(held, key=lambda k: (held[k], -ids.index(k))) if held else NONE
    return Recognition(stretch, tuple(segments), in_pose_s, _confidence(stretch, segments))


def _confidence(stretch: str, segments: Sequence[Segment]) -> float:
    """The named stretch's segment scores, weighted by duration (a still image's one segment
    weighs 1), halved when a runner-up came within the ambiguity margin; 0 for none."""
    mine = [s for s in segments if s.stretch == stretch]
    if stretch == NONE or not mine:
        return 0.0
    w = np.array([max(s.duration_s, 1e-9) for s in mine])
    conf = float(np.average([s.score for s in mine], weights=w))
    return conf * (0.5 if any(s.ambiguous for s in mine) else 1.0)

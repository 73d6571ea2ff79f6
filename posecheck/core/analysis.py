"""Whole-video analysis: the per-frame session over a landmark track -> one report.

``analyze_frames(frames, spec, fps=30)``: with ``smoothing="batch"`` (the default) the track is
smoothed once, zero-phase, over its whole length (no lag, short gaps interpolated), then every
frame goes through the same :class:`~posecheck.core.session.StretchSession` logic as the live page,
without further smoothing. ``"live"`` replays the live One Euro filter instead (what the page
would have shown); ``"none"`` uses the raw landmarks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from posecheck.core.checks import Status
from posecheck.core.mirror import Mirror
from posecheck.core.pose import PoseFrame
from posecheck.core.legs import fix_leg_labels
from posecheck.core.report import (CheckEntry, CheckFractions, HoldSpan, MetricSpread, Report,
                                   RepSpan, RepTotals, SideTotals, TimelineEntry, rounded)
from posecheck.core.session import FrameReport, StretchSession, side_confidence
from posecheck.core.smoothing import smooth_track
from posecheck.core.hold import HoldState
from posecheck.specs.model import SideDetectSettings, StretchSpec

UNSURE = "unsure"  # a hold's side when its confidence is below side_detect.min_confidence

SMOOTHING = ("batch", "live", "none")


@dataclass(frozen=True)
class AnalysisReport:
    """The outcome of one video for one stretch: every frame's report (for drawing, the
    history and tuning) and, through :meth:`to_report`, the typed report batch writes."""

    stretch: str
    video: str
    fps: float
    frames: tuple[FrameReport, ...]
    smoothing: str = "batch"
    leg_label_swaps: int = 0
    garbled_leg_frames: int = 0
    side_min_confidence: float = SideDetectSettings.min_confidence

    @property
    def pose_frames(self) -> int:
        return sum(1 for f in self.frames if f.has_pose)

    @property
    def final_hold(self) -> HoldState | None:
        return self.frames[-1].hold if self.frames else None

    def to_report(self) -> Report:
        """The typed report of this analysis (:mod:`posecheck.core.report`)."""
        return Report(
            stretch=self.stretch, video=self.video, fps=self.fps, frames=len(self.frames),
            pose_frames=self.pose_frames, sides=self.sides(), checks=self.check_fractions(),
            timeline=tuple(timeline_entry(f) for f in self.frames), smoothing=self.smoothing,
            in_pose_frames=sum(1 for f in self.frames if f.in_pose),
            metrics=self.metric_summary(), leg_label_swaps=self.leg_label_swaps,
            garbled_leg_frames=self.garbled_leg_frames)

    def check_fractions(self) -> dict[str, CheckFractions]:
        """Per check: fraction of in-position frames that PASS / FAIL / are UNKNOWN."""
        in_pose = [f for f in self.frames if f.in_pose]
        ids: list[str] = list(self.frames[0].checks) if self.frames else []
        out: dict[str, CheckFractions] = {}
        n = len(in_pose)
        for cid in ids:
            counts = {s: sum(1 for f in in_pose if f.checks[cid].status is s) for s in Status}
            share = {s: (round(counts[s] / n, 4) if n else 0.0) for s in Status}
            out[cid] = CheckFractions(pass_fraction=share[Status.PASS],
                                      fail_fraction=share[Status.FAIL],
                                      unknown_fraction=share[Status.UNKNOWN])
        return out

    def sides(self) -> dict[str, SideTotals]:
        """Per side: valid and in-position seconds, reps and every hold (one still running at
        the end of the video too, marked open)."""
        hold = self.final_hold
        if hold is None:
            return {}
        holds: dict[str, list[HoldSpan]] = {side: [] for side in hold.valid_s_by_side}
        for h in hold.holds:
            if h.side in holds:
                holds[h.side].append(self._span(h.side, h.start_s, h.end_s, h.valid_s,
                                                 h.completed))
        if hold.in_hold and hold.side in holds:
            start = hold.hold_start_s if hold.hold_start_s is not None else self.frames[-1].t_s
            holds[hold.side].append(self._span(hold.side, start, self.frames[-1].t_s,
                                               hold.hold_valid_s, False, open_=True))
        return {side: SideTotals(
            valid_hold_s=round(hold.valid_s_by_side.get(side, 0.0), 3),
            in_pose_s=round(hold.in_pose_s_by_side.get(side, 0.0), 3),
            reps=int(hold.reps_by_side.get(side, 0)),
            moving_reps=int((hold.moving_reps_by_side or {}).get(side, 0)),
            holds=tuple(spans), counted_reps=self._reps(side))
            for side, spans in holds.items()}

    def _reps(self, side: str) -> RepTotals | None:
        """The side's counted reps (None when the spec counts no reps)."""
        state = self.frames[-1].reps if self.frames else None
        if state is None:
            return None
        return RepTotals.from_spans(tuple(
            RepSpan(start_s=round(r.start_s, 3), end_s=round(r.end_s, 3),
                    good_form=r.good_form, held=r.held, open=r.open)
            for r in state.of_side(side)))

    def _span(self, side: str, start_s: float, end_s: float, valid_s: float, completed: bool,
              open_: bool = False) -> HoldSpan:
        """A hold with its side call: ``side`` is the side, or ``"unsure"`` below the spec's
        ``side_detect.min_confidence`` (symmetric "both" holds make no side call)."""
        span = HoldSpan(start_s=round(start_s, 3), end_s=round(end_s, 3),
                        valid_s=round(valid_s, 3), completed=bool(completed), open=open_)
        if side not in ("left", "right"):
            return span
        conf = side_confidence(self.frames, side, start_s, end_s)
        known = conf == conf and conf >= self.side_min_confidence
        return replace(span, side=side if known else UNSURE,
                       side_confidence=None if conf != conf else round(conf, 3))

    def metric_summary(self) -> dict[str, MetricSpread]:
        """Median and 10th/90th percentiles of each metric over the in-position frames."""
        in_pose = [f for f in self.frames if f.in_pose]
        if not in_pose:
            return {}
        out: dict[str, MetricSpread] = {}
        for name in in_pose[0].metrics:
            vals = np.array([f.metrics[name] for f in in_pose], dtype=float)
            vals = vals[np.isfinite(vals)]
            if vals.size == 0:
                out[name] = MetricSpread(None, None, None)
            else:
                p10, med, p90 = np.percentile(vals, [10, 50, 90])
                out[name] = MetricSpread(round(float(p10), 3), round(float(med), 3),
                                         round(float(p90), 3))
        return out


def timeline_entry(f: FrameReport) -> TimelineEntry:
    """A frame's entry in the report's timeline."""
    return TimelineEntry(
        t_s=round(f.t_s, 3), index=int(f.index), has_pose=bool(f.has_pose), view=f.view,
        in_pose=bool(f.in_pose), valid=None if f.valid is None else bool(f.valid),
        stretched_side=f.stretched_side,
        phase=f.hold.phase, hold_valid_s=round(f.hold.hold_valid_s, 3),
        cue=None if f.cue is None else f.cue.text,
        checks={cid: CheckEntry(r.status, rounded(r.value),
                                r.metric if r.fallback_used else None)
                for cid, r in f.checks.items()},
        motion=rounded(f.motion), reason=f.reason)


def analyze_frames(frames: Sequence[PoseFrame], spec: StretchSpec, *, fps: float,
                   video: str = "", smoothing: str = "batch", mirrored: bool = False,
                   side: str | None = None) -> AnalysisReport:
    """Run one spec over a whole frame sequence (timestamps from the frames); ``side``: the
    stretched side a person confirmed (None: posecheck decides)."""
    if smoothing not in SMOOTHING:
        raise ValueError(f"smoothing must be one of {SMOOTHING}, got {smoothing!r}")
    if not (isinstance(fps, (int, float)) and math.isfinite(fps) and fps >= 0):
        raise ValueError(f"fps must be a number >= 0, got {fps!r}")
    seq = [Mirror(mirrored).to_subject(f) for f in frames]
    seq, swaps, garbled = fix_leg_labels(seq)  # leg label swaps out before any smoothing
    if smoothing == "batch" and seq:
        seq = smooth_track(seq, spec.smoothing)
    session = StretchSession(spec, smoothing="live" if smoothing == "live" else "none",
                             side=side)
    reports = tuple(session.update(f) for f in seq)
    return AnalysisReport(stretch=spec.id, video=video, fps=float(fps), frames=reports,
                          smoothing=smoothing, leg_label_swaps=swaps,
                          garbled_leg_frames=garbled,
                          side_min_confidence=spec.side_detect.min_confidence)

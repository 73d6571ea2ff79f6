"""Whole-video analysis: the per-frame session over a landmark track -> one report.

``analyze_frames(frames, spec, fps=30)``: with ``smoothing="batch"`` (the default) the track is
smoothed once, zero-phase, over its whole length (no lag, short gaps interpolated), then every
frame goes through the same :class:`~posecheck.core.session.StretchSession` logic as the live page,
without further smoothing. ``"live"`` replays the live One Euro filter instead (what the page
would have shown); ``"none"`` uses the raw landmarks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

from posecheck.core.checks import Status
from posecheck.core.mirror import Mirror
from posecheck.core.pose import PoseFrame
from posecheck.core.legs import fix_leg_labels
from posecheck.core.session import (SIDE_MIN_CONFIDENCE, FrameReport, StretchSession,
                                    side_confidence)
from posecheck.core.smoothing import smooth_track
from posecheck.specs.model import StretchSpec

SMOOTHING = ("batch", "live", "none")


@dataclass(frozen=True)
class AnalysisReport:
    """The outcome of one video for one stretch."""

    stretch: str
    video: str
    fps: float
    frames: tuple[FrameReport, ...]
    smoothing: str = "batch"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pose_frames(self) -> int:
        return sum(1 for f in self.frames if f.has_pose)

    @property
    def final_hold(self):
        return self.frames[-1].hold if self.frames else None

    def check_fractions(self) -> dict[str, dict[str, float]]:
        """Per check: fraction of in-position frames that PASS / FAIL / are UNKNOWN."""
        in_pose = [f for f in self.frames if f.in_pose]
        ids: list[str] = list(self.frames[0].checks) if self.frames else []
        out: dict[str, dict[str, float]] = {}
        for cid in ids:
            n = len(in_pose)
            counts = {s: sum(1 for f in in_pose if f.checks[cid].status is s) for s in Status}
            out[cid] = {f"{s.value}_fraction": (round(counts[s] / n, 4) if n else 0.0)
                        for s in Status}
        return out

    def sides(self) -> dict[str, dict[str, Any]]:
        hold = self.final_hold
        if hold is None:
            return {}
        out: dict[str, dict[str, Any]] = {}
        for side in hold.valid_s_by_side:
            out[side] = {
                "valid_hold_s": round(hold.valid_s_by_side.get(side, 0.0), 3),
                "in_pose_s": round(hold.in_pose_s_by_side.get(side, 0.0), 3),
                "reps": int(hold.reps_by_side.get(side, 0)),
                "moving_reps": int((hold.moving_reps_by_side or {}).get(side, 0)),
                "holds": [{"start_s": round(h.start_s, 3), "end_s": round(h.end_s, 3),
                           "valid_s": round(h.valid_s, 3), "completed": h.completed,
                           **self._side_call(side, h.start_s, h.end_s)}
                          for h in hold.holds if h.side == side],
            }
        # A hold still running when the video ends is reported too (marked open).
        if hold.in_hold and hold.side in out:
            start = self.frames[-1].t_s
            for f in reversed(self.frames):
                if not (f.hold.in_hold and f.hold.side == hold.side):
                    break
                start = f.t_s
            out[hold.side]["holds"].append({
                "start_s": round(start, 3), "end_s": round(self.frames[-1].t_s, 3),
                "valid_s": round(hold.hold_valid_s, 3), "completed": False, "open": True,
                **self._side_call(hold.side, start, self.frames[-1].t_s)})
        return out

    def _side_call(self, side: str, start_s: float, end_s: float) -> dict[str, Any]:
        """A hold's side confidence and whether its side can be told (``side``: the side, or
        ``"unknown"`` below SIDE_MIN_CONFIDENCE; symmetric "both" holds are always known)."""
        if side not in ("left", "right"):
            return {}
        conf = side_confidence(self.frames, side, start_s, end_s)
        known = conf == conf and conf >= SIDE_MIN_CONFIDENCE
        return {"side": side if known else "unknown",
                "side_confidence": None if conf != conf else round(conf, 3)}

    def to_json(self) -> dict[str, Any]:
        return {
            "stretch": self.stretch,
            "video": self.video,
            "fps": self.fps,
            "smoothing": self.smoothing,
            "frames": len(self.frames),
            "pose_frames": self.pose_frames,
            "in_pose_frames": sum(1 for f in self.frames if f.in_pose),
            "sides": self.sides(),
            "checks": self.check_fractions(),
            "metrics": self.metric_summary(),
            **self.extra,
            "timeline": [f.to_json() for f in self.frames],
        }

    def metric_summary(self) -> dict[str, dict[str, float | None]]:
        """Median and 10th/90th percentiles of each metric over the in-position frames."""
        import numpy as np

        in_pose = [f for f in self.frames if f.in_pose]
        if not in_pose:
            return {}
        out: dict[str, dict[str, float | None]] = {}
        for name in in_pose[0].metrics:
            vals = np.array([f.metrics[name] for f in in_pose], dtype=float)
            vals = vals[np.isfinite(vals)]
            if vals.size == 0:
                out[name] = {"p10": None, "median": None, "p90": None}
            else:
                p10, med, p90 = np.percentile(vals, [10, 50, 90])
                out[name] = {"p10": round(float(p10), 3), "median": round(float(med), 3),
                             "p90": round(float(p90), 3)}
        return out


def analyze_frames(frames: Sequence[PoseFrame], spec: StretchSpec, *, fps: float,
                   video: str = "", smoothing: str = "batch", mirrored: bool = False
                   ) -> AnalysisReport:
    """Run one spec over a whole frame sequence (timestamps from the frames)."""
    if smoothing not in SMOOTHING:
        raise ValueError(f"smoothing must be one of {SMOOTHING}, got {smoothing!r}")
    if not (isinstance(fps, (int, float)) and math.isfinite(fps) and fps >= 0):
        raise ValueError(f"fps must be a number >= 0, got {fps!r}")
    seq = [Mirror(mirrored).to_subject(f) for f in frames]
    seq, swaps, garbled = fix_leg_labels(seq)  # leg label swaps out before any smoothing
    if smoothing == "batch" and seq:
        seq = smooth_track(seq, spec.smoothing)
    session = StretchSession(spec, smoothing="live" if smoothing == "live" else "none")
    reports = tuple(session.update(f) for f in seq)
    return AnalysisReport(stretch=spec.id, video=video, fps=float(fps), frames=reports,
                          smoothing=smoothing, extra={"leg_label_swaps": swaps,
                                                    "garbled_leg_frames": garbled})

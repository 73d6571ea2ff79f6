"""A live session's record and its summary: one :class:`TimelinePoint` per timed frame,
:func:`summarize` at the end (valid seconds per side and hold, faults), and the state of the
timeline strip the page draws (``live.figure``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Iterable

import numpy as np

from posecheck.core import side_summary
from posecheck.core.side import SideEvidence, hold_side_confidence
from posecheck.core import story as storylib
from posecheck.core.checks import Status
from posecheck.core.session import FrameReport
from posecheck.core.story import Story
from posecheck.specs.model import SideDetectSettings, StretchSpec

# A frame counts toward a timeline duration for at most this long (s): a stalled stream
# must not turn one frame into minutes of "fault".
_MAX_FRAME_DT_S = 0.5


@dataclass(frozen=True)
class TimelinePoint:
    """What one processed frame contributed to the session (for the summary and its plot)."""

    t_ms: int
    has_pose: bool
    in_pose: bool
    valid: bool | None  # None: unknown (the hold is paused, not faulty)
    side: str
    phase: str
    hold_valid_s: float
    failing: tuple[str, ...]
    cue: str  # the story's message on this frame (what the banner and panel showed)
    failing_required: tuple[str, ...] = ()
    state: str = ""  # story.Story.state
    reason: str | None = None  # story.Story.reason
    side_confirmed: bool = False  # the person confirmed the side
    side_clue: SideEvidence | None = None  # FrameReport.side_clue: what the confidence weighs



@dataclass(frozen=True)
class HoldSummary:
    """One hold of the session (``timer.Hold``), numbered per side."""

    side: str
    rep: int  # 1-based among the holds on this side
    valid_s: float
    start_s: float = 0.0
    end_s: float = 0.0
    completed: bool = False
    unfinished: bool = False  # still open when the session stopped
    side_confidence: float | None = None  # session.side_confidence over the hold (None: both)
    side_unsure: bool = False  # below side_detect.min_confidence: the side was not told

    @property
    def outcome(self) -> str:
        if self.completed:
            return "completed"
        return "unfinished (stopped)" if self.unfinished else "ended early"


@dataclass(frozen=True)
class SessionSummary:
    """End-of-session figures: valid seconds per side and rep, the most frequent faults."""

    duration_s: float
    frames: int
    pose_fraction: float
    valid_s_by_side: dict[str, float]
    reps_by_side: dict[str, int]
    holds: tuple[HoldSummary, ...]
    faults_s: tuple[tuple[str, float], ...]  # (check id, s failing while in a hold), worst first
    timeline: tuple[TimelinePoint, ...] = field(repr=False, default=())
    sides: tuple[side_summary.SideSummary, ...] = ()  # per side in plain words (with a spec)

    @property
    def lines(self) -> list[str]:
        """The summary per side in plain words."""
        return side_summary.summary_lines(self.sides)

    @property
    def total_valid_s(self) -> float:
        return float(sum(self.valid_s_by_side.values()))


def frame_durations(ts_ms: np.ndarray) -> np.ndarray:
    """Seconds each frame stands for: the gap to the next frame, the last one a median gap."""
    if len(ts_ms) == 0:
        return np.zeros(0)
    dt = np.diff(ts_ms.astype(np.float64)) / 1000.0
    last = float(np.median(dt)) if len(dt) else 0.0
    return np.minimum(np.append(dt, last), _MAX_FRAME_DT_S)


def summarize(timeline: Iterable[TimelinePoint], last_report: FrameReport | None = None,
              spec: StretchSpec | None = None) -> SessionSummary:
    """Summary of a session from its timeline and (for the hold counts) its last report.

    Faults are counted only while a hold was open and the person was in position (never
    during switch, rest or set-up). A hold still open at the end is listed as unfinished,
    with the valid seconds it had. With ``spec`` the summary has its plain-words lines."""
    points = tuple(timeline)
    ts = np.array([p.t_ms for p in points], dtype=np.int64)
    dur = frame_durations(ts)
    faults: Counter[str] = Counter()
    for p, d in zip(points, dur):
        if p.phase in storylib.HOLD_PHASES and p.in_pose:
            for check_id in p.failing:
                faults[check_id] += float(d)
    hold = last_report.hold if last_report is not None else None
    by_side = {str(k): float(v) for k, v in hold.valid_s_by_side.items()} \
        if hold is not None else {}
    reps = {str(k): int(v) for k, v in hold.reps_by_side.items()} \
        if hold is not None else {}
    holds = []
    per_side: Counter[str] = Counter()
    for h in hold.holds if hold is not None else ():
        per_side[h.side] += 1
        holds.append(HoldSummary(side=h.side, rep=per_side[h.side], valid_s=float(h.valid_s),
                                 start_s=float(h.start_s), end_s=float(h.end_s),
                                 completed=bool(h.completed)))
    if hold is not None and hold.phase.value in storylib.HOLD_PHASES and hold.side:
        side = str(hold.side)
        per_side[side] += 1
        start = len(points)
        while start > 0 and points[start - 1].phase in storylib.HOLD_PHASES \
                and points[start - 1].side == side:
            start -= 1
        start_s = points[start].t_ms / 1000.0 if start < len(points) else 0.0
        holds.append(HoldSummary(side=side, rep=per_side[side],
                                 valid_s=float(hold.hold_valid_s),
                                 start_s=start_s, end_s=float(ts[-1]) / 1000.0 if len(ts) else 0.0,
                                 completed=False, unfinished=True))
    min_conf = spec.side_detect.min_confidence if spec is not None else \
        SideDetectSettings.min_confidence
    holds = [_with_side_call(h, points, min_conf) for h in holds]
    unsure = Counter(h.side for h in holds if h.side_unsure)
    sides = ()
    if spec is not None:
        sides = tuple(side_summary.side_summaries(points, spec, by_side, reps, dur, unsure,
                                                  lifts=rep_counts(last_report)))
    return SessionSummary(
        duration_s=float((ts[-1] - ts[0]) / 1000.0 + dur[-1]) if len(ts) else 0.0,
        frames=len(points),
        pose_fraction=(sum(p.has_pose for p in points) / len(points)) if points else 0.0,
        valid_s_by_side=by_side,
        reps_by_side=reps,
        holds=tuple(holds),
        faults_s=tuple(sorted(faults.items(), key=lambda kv: -kv[1])),
        timeline=points,
        sides=sides,
    )


def rep_counts(report: FrameReport | None) -> dict[str, tuple[int, int, int]] | None:
    """Per side (count, with good form, held) of the reps counted so far, None when the
    spec counts no reps (:mod:`posecheck.core.reps`)."""
    if report is None or report.reps is None:
        return None
    out: dict[str, tuple[int, int, int]] = {}
    for r in report.reps.reps:
        n, good, held = out.get(r.side, (0, 0, 0))
        out[r.side] = (n + 1, good + int(r.good_form), held + int(r.held))
    return out


def _with_side_call(h: HoldSummary, points: tuple[TimelinePoint, ...], min_conf: float
                    ) -> HoldSummary:
    """The hold with its side confidence (the same rule as the batch report's holds)."""
    if h.side not in ("left", "right"):
        return h
    inside = [p for p in points if p.in_pose and p.has_pose
              and h.start_s <= p.t_ms / 1000.0 <= h.end_s]
    if not inside:
        return h
    if all(p.side_confirmed for p in inside):
        conf = 1.0
    else:
        conf = hold_side_confidence(((p.t_ms, p.side_clue) for p in inside), h.side)
    return replace(h, side_confidence=round(conf, 3), side_unsure=conf < min_conf)


def timeline_point(report: FrameReport, story: Story | None = None) -> TimelinePoint:
    """The compact record of one ``FrameReport`` kept for the summary (``story``: what the
    person was told on that frame; told again from the report when omitted)."""
    hold = report.hold
    failing = tuple(cid for cid, r in report.checks.items() if r.status is Status.FAIL)
    required = tuple(cid for cid in failing if report.checks[cid].required)
    told = story if story is not None else storylib.tell(report)
    return TimelinePoint(
        t_ms=int(report.t_ms),
        has_pose=bool(report.has_pose),
        in_pose=bool(report.in_pose),
        valid=None if report.valid is None else bool(report.valid),
        side=str(hold.side or report.stretched_side or ""),
        phase=hold.phase.value,
        hold_valid_s=float(hold.hold_valid_s),
        failing=failing,
        cue=told.message,
        failing_required=required,
        state=told.state,
        reason=told.reason,
        side_confirmed=report.side_confirmed,
        side_clue=report.side_clue,
    )


STRIP_LABELS = ("no hold or out of position", "paused (not seen, moving)", "fault", "counting")


def strip_state(point: TimelinePoint) -> int:
    """The timeline strip's colour index (:data:`STRIP_LABELS`) of one frame: a paused hold
    (validity unknown) is not a fault."""
    if point.phase not in storylib.HOLD_PHASES or not point.in_pose:
        return 0
    if point.valid is None:
        return 1
    return 3 if point.valid else 2

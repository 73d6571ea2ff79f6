"""The typed analysis report: what one video's analysis says, from the first frame to the file.

:func:`posecheck.core.analysis.analyze_frames` makes a :class:`Report`
(``AnalysisReport.to_report()``); ``posecheck analyze`` adds what it knows about the run
(:class:`BatchInfo`, with ``dataclasses.replace``); the summary rows, the plot, recognition and
the synthetic truth read these objects, never a dict. A video that failed has an
:class:`ErrorReport`. The JSON form, its version, its only writer and its only reader are
:mod:`posecheck.core.report_json`.

Values are rounded when the report is made (3 decimals; the video's fps 4), so the JSON
holds exactly these numbers. A check's status is :class:`~posecheck.core.checks.Status`, the
hold phase :class:`~posecheck.core.timer.Phase`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from posecheck.core.checks import Status
from posecheck.core.hold import Phase

# ---------------------------------------------------------------------------- the analysis
@dataclass(frozen=True)
class CheckEntry:
    """One check on one frame: its status and measured value (None when not measured);
    ``metric`` names the fallback metric judged when the check's own was not measured."""

    status: Status
    value: float | None
    metric: str | None = None


@dataclass(frozen=True)
class TimelineEntry:
    """One analysed frame (see :class:`posecheck.core.session.FrameReport`)."""

    t_s: float
    index: int
    has_pose: bool
    view: str | None
    in_pose: bool
    valid: bool | None
    stretched_side: str | None
    phase: Phase
    hold_valid_s: float
    cue: str | None
    checks: Mapping[str, CheckEntry]
    motion: float | None
    reason: str | None


@dataclass(frozen=True)
class Presence:
    """One frame of a clip in which no stretch was recognised: its time and whether a person
    was found."""

    t_s: float
    has_pose: bool


@dataclass(frozen=True)
class HoldSpan:
    """One hold of one side. ``side``/``side_confidence`` are left out (None) for a symmetric
    ("both") hold; otherwise ``side`` is the side or ``"unsure"`` when its confidence is below
    ``side_detect.min_confidence``, and ``side_confidence`` (0..1, see
    :func:`posecheck.core.session.side_confidence`) None when no frame of the hold was in
    position. ``open``: still running
    when the video ended."""

    start_s: float
    end_s: float
    valid_s: float
    completed: bool
    side: str | None = None
    side_confidence: float | None = None
    open: bool = False


@dataclass(frozen=True)
class RepSpan:
    """One counted rep of a moving exercise (:class:`posecheck.core.reps.Rep`): ``open`` when
    the clip ended inside it."""

    start_s: float
    end_s: float
    good_form: bool
    held: bool
    open: bool = False


@dataclass(frozen=True)
class RepTotals:
    """One side's counted reps (specs with ``[reps] count``): how many, how many with good
    form, how many in which the timer counted hold seconds, and each rep."""

    count: int
    good_form: int
    held: int
    reps: tuple[RepSpan, ...] = ()

    @classmethod
    def from_spans(cls, spans: "tuple[RepSpan, ...]") -> "RepTotals":
        return cls(count=len(spans), good_form=sum(1 for r in spans if r.good_form),
                   held=sum(1 for r in spans if r.held), reps=tuple(spans))


@dataclass(frozen=True)
class SideTotals:
    """One side's totals over the clip (``reps``: completed holds; ``counted_reps``: the reps
    of a moving exercise, None when the spec counts none)."""

    valid_hold_s: float
    in_pose_s: float
    reps: int
    moving_reps: int
    holds: tuple[HoldSpan, ...] = ()
    counted_reps: RepTotals | None = None


@dataclass(frozen=True)
class CheckFractions:
    """Share (0..1) of the in-position frames in which a check passed, failed, was unknown."""

    pass_fraction: float
    fail_fraction: float
    unknown_fraction: float

    def of(self, status: Status) -> float:
        return getattr(self, f"{status.value}_fraction")


@dataclass(frozen=True)
class MetricSpread:
    """10th percentile, median and 90th percentile of a metric over the in-position frames
    (None when it was never measured)."""

    p10: float | None
    median: float | None
    p90: float | None


# ---------------------------------------------------------------------------- the run
@dataclass(frozen=True)
class ModelRef:
    label: str
    sha256: str
    file: str


@dataclass(frozen=True)
class VideoFacts:
    width: int
    height: int
    fps: float
    frame_count: int
    frames_decoded: int
    duration_s: float
    rotation: int
    is_image: bool


@dataclass(frozen=True)
class ModelInput:
    scale: float
    coordinates: str


@dataclass(frozen=True)
class Options:
    """The analysis options that change a report (part of the resume key); ``sample_fps`` is
    left out (None) when every frame was analysed."""

    smoothing: str
    mirrored: bool
    sample_fps: float | None = None


@dataclass(frozen=True)
class SegmentSummary:
    """One recognised segment (:class:`posecheck.core.recognize.Segment`), with the valid
    seconds of its own spec inside it and the stretched sides seen there."""

    stretch: str
    start_s: float
    end_s: float
    duration_s: float
    in_pose_fraction: float
    score: float
    ambiguous: bool
    pass_fraction: float | None
    candidates: tuple[tuple[str, float], ...]
    valid_s: float
    sides: tuple[str, ...]


@dataclass(frozen=True)
class RecognitionSummary:
    """What ``--stretch auto`` found (:class:`posecheck.core.recognize.Recognition`)."""

    stretch: str
    confidence: float
    segments: tuple[SegmentSummary, ...]
    in_pose_s: Mapping[str, float]
    sampled_fps: float
    specs: tuple[str, ...]


@dataclass(frozen=True)
class BatchInfo:
    """What ``posecheck analyze`` adds to an analysis."""

    model: ModelRef
    stretch_requested: str
    video_sha256: str
    video_info: VideoFacts
    model_input: ModelInput
    options: Options
    spec_hash: str
    recognition: RecognitionSummary | None
    warnings: tuple[str, ...]


# ---------------------------------------------------------------------------- the reports
@dataclass(frozen=True)
class Report:
    """One video's analysis for one stretch (or ``"none"``), and (``batch``) the run's facts.

    ``smoothing``, ``in_pose_frames``, ``metrics``, ``leg_label_swaps`` and
    ``garbled_leg_frames`` are None only when no stretch was analysed (``--stretch auto``
    named none); then the timeline holds :class:`Presence` entries."""

    stretch: str
    video: str
    fps: float
    frames: int
    pose_frames: int
    sides: Mapping[str, SideTotals]
    checks: Mapping[str, CheckFractions]
    timeline: tuple[TimelineEntry, ...] | tuple[Presence, ...]
    smoothing: str | None = None
    in_pose_frames: int | None = None
    metrics: Mapping[str, MetricSpread] | None = None
    leg_label_swaps: int | None = None
    garbled_leg_frames: int | None = None
    batch: BatchInfo | None = None

    @property
    def analysed(self) -> bool:
        """A stretch was analysed (the timeline holds :class:`TimelineEntry` entries)."""
        return self.smoothing is not None

    @property
    def entries(self) -> tuple[TimelineEntry, ...]:
        """The analysed frames (none when no stretch was analysed)."""
        return self.timeline if self.analysed else ()  # type: ignore[return-value]


@dataclass(frozen=True)
class ErrorReport:
    """A video that could not be analysed."""

    video: str
    error: str
    model: ModelRef
    stretch_requested: str


def rounded(value: float | None) -> float | None:
    """A measured value as reports carry it: rounded to 3 decimals (as the value's own type
    rounds), None when not measured (None or not finite)."""
    return None if value is None or not math.isfinite(value) else float(round(value, 3))

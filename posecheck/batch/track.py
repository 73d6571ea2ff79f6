"""Analysis of a clip's landmarks: with the one spec asked for, or (``--stretch auto``) after
recognising which stretch each part of the clip shows; and warnings about the track (frames
missing, few poses, the model hopping between people).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Sequence

from posecheck.batch.jobs import Job
from posecheck.core import geometry as g
from posecheck.core import recognize
from posecheck.core.analysis import AnalysisReport, analyze_frames
from posecheck.core.pose import PoseFrame
from posecheck.core.report import (Presence, RecognitionSummary, Report, SegmentSummary,
                                   rounded)
from posecheck.core.session import FrameReport
from posecheck.io.video import VideoInfo, analysis_rate
from posecheck.specs.model import StretchSpec

# A hip centre moving more than this many torso lengths between two consecutive pose frames
# is a jump to another person, not a movement. Torso lengths.
JUMP_TORSO_LENGTHS = 1.5
RECOGNITION_FPS = 5.0  # frames/s at which --stretch auto tries every spec


@dataclass(frozen=True)
class Outcome:
    """The analysis of one clip: its typed report, the spec used and the per-frame reports
    (for drawing and the history; None when no stretch was recognised)."""

    report: Report
    spec_id: str | None
    spec: StretchSpec | None
    analysis: AnalysisReport | None
    recognition: RecognitionSummary | None


def analyze_track(frames: Sequence[PoseFrame], specs: Sequence[tuple[str, StretchSpec]],
                  info: VideoInfo, video: str, auto: bool = False, smoothing: str = "batch",
                  mirrored: bool = False, sample_fps: float | None = None) -> Outcome:
    """Analyse the frames with the one spec, or recognise the spec first (``auto``).

    ``sample_fps``: the rate the frames were analysed at (``Job.sample_fps``); the report's
    ``fps`` and recognition's subsampling follow the rate of the frames, not the file's."""
    run_spec = partial(analyze_frames, smoothing=smoothing, mirrored=mirrored)
    fps = float(info.fps) if info.fps and info.fps > 0 else 0.0
    fps = analysis_rate(sample_fps, fps) or fps
    if not auto:
        sid, spec = specs[0]
        analysis = run_spec(frames, spec, fps=fps, video=video)
        return Outcome(analysis.to_report(), sid, spec, analysis, None)

    # Recognition runs every spec over a subsampled track (RECOGNITION_FPS is plenty for
    # holds lasting seconds); only the winner is then analysed at the full frame rate.
    step = max(1, int(round(fps / RECOGNITION_FPS))) if fps > 0 else 1
    sub = list(frames[::step])
    traces = [recognize.spec_trace(
        spec, run_spec(sub, spec, fps=fps / step if fps else 0.0, video=video).frames, sid)
        for sid, spec in specs]
    rec = recognize.recognize([f.t_ms / 1000.0 for f in sub], traces)
    # Each segment gets the valid time of its own spec inside it (the report's totals are
    # the main stretch's over the whole clip).
    full: dict[str, AnalysisReport] = {}
    segments = []
    for seg in rec.segments:
        if seg.stretch not in full:
            full[seg.stretch] = run_spec(frames, dict(specs)[seg.stretch], fps=fps, video=video)
        start_s, end_s = round(seg.start_s, 3), round(seg.end_s, 3)
        valid_s, sides = segment_hold(full[seg.stretch].frames, start_s, end_s)
        segments.append(SegmentSummary(
            stretch=seg.stretch, start_s=start_s, end_s=end_s,
            duration_s=round(seg.duration_s, 3),
            in_pose_fraction=round(seg.in_pose_fraction, 3), score=round(seg.score, 3),
            ambiguous=bool(seg.ambiguous), pass_fraction=rounded(seg.pass_fraction),
            candidates=tuple((s, round(v, 3)) for s, v in seg.candidates),
            valid_s=valid_s, sides=sides))
    summary = RecognitionSummary(
        stretch=rec.stretch, confidence=round(rec.confidence, 3), segments=tuple(segments),
        in_pose_s={k: round(v, 3) for k, v in sorted(rec.in_pose_s.items())},
        sampled_fps=round(fps / step, 3) if fps else 0.0, specs=tuple(sid for sid, _ in specs))
    if rec.stretch == recognize.NONE:
        report = Report(stretch=recognize.NONE, video=video, fps=fps, frames=len(frames),
                        pose_frames=sum(1 for f in frames if f.has_pose), sides={}, checks={},
                        timeline=tuple(Presence(round(f.t_ms / 1000.0, 3), bool(f.has_pose))
                                       for f in frames))
        return Outcome(report, None, None, None, summary)
    spec = dict(specs)[rec.stretch]
    analysis = full[rec.stretch]
    return Outcome(analysis.to_report(), rec.stretch, spec, analysis, summary)


def segment_hold(frame_reports: Sequence[FrameReport], start_s: float, end_s: float
                 ) -> tuple[float, tuple[str, ...]]:
    """Valid seconds inside ``[start_s, end_s)`` and the stretched side(s) seen there.

    A frame counts for the time until the next frame (the last one for the median step).
    """
    t = [r.t_ms / 1000.0 for r in frame_reports]
    steps = [b - a for a, b in zip(t, t[1:])]
    typical = sorted(steps)[len(steps) // 2] if steps else 0.0
    valid_s = 0.0
    sides: set[str] = set()
    for i, r in enumerate(frame_reports):
        if not start_s <= t[i] < end_s:
            continue
        if r.valid is True:
            valid_s += steps[i] if i < len(steps) else typical
        if r.in_pose and r.stretched_side:
            sides.add(str(r.stretched_side))
    return round(valid_s, 3), tuple(sorted(sides))


def warnings_for(frames: Sequence[Any], info: Any, job: Job) -> list[str]:
    """Things the user should know about a result that still counts as analysed."""
    out: list[str] = []
    from posecheck.io.video import sampled_count

    n = len(frames)
    expected = sampled_count(info.frame_count, job.sample_fps, info.fps)
    if info.frame_count and n < 0.9 * expected and not info.is_image:
        out.append(f"only {n} of the {expected} frames the file announces (at the analysis "
                   "rate) could be decoded: the file may be truncated"
                   if expected != info.frame_count else
                   f"only {n} of the {info.frame_count} frames the file announces could be "
                   "decoded: the file may be truncated")
    pose = sum(1 for f in frames if f.has_pose)
    if n and pose < 0.5 * n:
        out.append(f"a person was found in only {pose} of {n} frames")
    from posecheck.io.video import odd_timestamps

    from posecheck.io.video import analysis_rate

    rate = analysis_rate(job.sample_fps, info.fps) or info.fps
    odd = odd_timestamps([f.t_ms for f in frames], rate) if not info.is_image else 0
    if odd:
        out.append(f"{odd} frame timestamps were repeated, out of order or jumped ahead; "
                   "times and hold seconds may be wrong: re-encode the file (e.g. to H.264 "
                   "MP4) to give it a clean clock")
    jumps = identity_jumps(frames)
    if jumps:
        out.append(f"the tracked body jumped {jumps} time(s) between frames: there may be "
                   "several people and the model may have switched between them; film one "
                   "person at a time")
    return out


def identity_jumps(frames: Sequence[Any], max_jump: float | None = None) -> int:
    """How often the hip centre moves more than ``max_jump`` torso lengths from one pose
    frame to the next: a single-pose model hopping between people (nobody moves that fast).

    Pure geometry on the landmarks already there, so cached runs give the same answer.
    """
    import numpy as np

    max_jump = JUMP_TORSO_LENGTHS if max_jump is None else max_jump
    jumps, prev = 0, None
    for f in frames:
        if not f.has_pose:
            continue
        shoulder, hip = g.trunk_centres(f.xy)
        torso = float(g.torso_length(shoulder, hip))
        if prev is not None and torso > 0 and np.linalg.norm(hip - prev) > max_jump * torso:
            jumps += 1
        prev = hip
    return jumps

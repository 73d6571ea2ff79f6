"""Ground truth of a synthetic clip: the true landmarks and what the spec's rules make of them.

Per frame: the 33 landmark pixel positions of the mannequin's joints (the same projection the
renderer draws with), the script's labels (phase, intended fault, side), and (when the stretch
has a spec) the spec's own verdict on those exact positions
(``analyze_frames(..., smoothing="none")``): metric values, which checks truly pass, whether
the pose is in position, the stretched side, and the valid hold seconds per side. So the truth
follows the spec's rules exactly, and a change of threshold changes the truth with it.

Clips whose lumbar curve is scripted also carry per frame ``lumbar``: ``lordosis_deg`` and
``depth_ratio`` measured by :class:`posecheck.core.outline.BackArch` on the exact silhouette's
trunk outline (:mod:`posecheck.synth.silhouette`), and their analysis sees that outline, so
``back_not_arched`` is judged on it. Moving-exercise clips (``scripted_reps`` set) carry the
script's still good-form seconds (``summary.scripted_hold_s``) and reps
(``summary.scripted_reps``); a frame the script moves in (a rep, settling, a transition) is
never valid there (``valid`` False, the spec's own verdict kept as ``spec_valid``, and the
sides' seconds reduced to match; ``summary.spec_on_exact_landmarks_valid_s`` keeps what the
spec's rules alone booked).

File: ``<clip>.truth.json.gz`` beside the video (gzip JSON, format ``posecheck-synth-truth/1``;
gzip because per-frame landmarks are most of it). Read and write it only through
:func:`read_truth` / :func:`truth_bytes`, and find files with :func:`find_truth_files`.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from posecheck.core.analysis import analyze_frames
from posecheck.core.checks import Status
from posecheck.core.errors import SpecError
from posecheck.core.outline import BackArch
from posecheck.core.pose import NUM_LANDMARKS, PoseFrame
from posecheck.core.report import Report, TimelineEntry
from posecheck.core.report_json import sides_to_json
from posecheck.specs.parse import load_spec
from posecheck.synth.scripts import MOVING_PHASE, OWN_MOVING_PHASES
from posecheck.synth.silhouette import mid_points

FORMAT = "posecheck-synth-truth/1"
SUFFIX = ".truth.json.gz"


def truth_bytes(truth: dict) -> bytes:
    """The file form of a truth dict: compact JSON, gzip with no timestamp (so the same truth
    always gives the same bytes)."""
    data = (json.dumps(truth, separators=(",", ":")) + "\n").encode("utf-8")
    return gzip.compress(data, compresslevel=9, mtime=0)


def read_truth(path: str | Path) -> dict:
    """Load a ``<clip>.truth.json.gz``; a damaged file raises ValueError naming it."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, EOFError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable truth file ({exc}); regenerate it with "
                         "`posecheck synth samples --truth-only`") from None


def find_truth_files(folder: str | Path) -> list[Path]:
    """Every truth file in ``folder``, sorted by name."""
    return sorted(Path(folder).glob("*" + SUFFIX))


def truth_stem(path: str | Path) -> str:
    """The clip id of a truth file (``a.truth.json.gz`` -> ``a``)."""
    return Path(path).name[: -len(SUFFIX)]


def read_truth_files(folder: str | Path) -> list[tuple[Path, dict, Path]]:
    """``(truth file, truth, video)`` for every truth file in ``folder``, sorted by name.

    The video is the truth's own ``video`` entry beside it, else a video of the clip's name
    found beside it, else ``<clip>.mp4`` (which may not exist: callers check). A damaged file
    raises ValueError naming it (:func:`read_truth`)."""
    out = []
    for tp in find_truth_files(folder):
        truth = read_truth(tp)
        out.append((tp, truth, tp.with_name(truth.get("video") or _video_beside(tp))))
    return out


def _video_beside(truth_path: Path) -> str:
    stem = truth_stem(truth_path)
    for ext in (".mp4", ".avi", ".mkv", ".webm", ".mov"):
        if truth_path.with_name(stem + ext).exists():
            return stem + ext
    return stem + ".mp4"


@dataclass(frozen=True)
class TrueFrame:
    """One rendered frame's truth before analysis."""

    index: int
    t_ms: int
    xy: np.ndarray | None          # (33, 2) pixels; None when the subject is out of frame
    depth: np.ndarray | None       # (33,) metres from the camera plane
    phase: str
    fault: str
    side: str
    # the trunk outline on the exact silhouette ((2, STATIONS, 2) px, as the model's mask
    # gives it; posecheck.synth.silhouette) and the body's facing in the image (+1 / -1 / 0);
    # only for clips whose lumbar curve is scripted
    outline: np.ndarray | None = None
    facing: int = 0

    def pose_frame(self, width: int, height: int) -> PoseFrame:
        """The exact landmarks as a :class:`PoseFrame` (visibility 1 inside the frame)."""
        if self.xy is None:
            return PoseFrame.empty(self.t_ms, width, height, index=self.index,
                                   reason="subject out of frame")
        inside = ((self.xy[:, 0] >= 0) & (self.xy[:, 0] < width) &
                  (self.xy[:, 1] >= 0) & (self.xy[:, 1] < height)).astype(float)
        if inside.sum() < NUM_LANDMARKS // 2:
            return PoseFrame.empty(self.t_ms, width, height, index=self.index,
                                   reason="subject out of frame")
        z = self.depth - float(np.mean(self.depth[[23, 24]]))
        return PoseFrame(t_ms=self.t_ms, width=width, height=height, xy=self.xy,
                         z=z * (width / 2.0), visibility=inside, presence=inside,
                         index=self.index, outline=self.outline)

    def lumbar(self) -> dict[str, float] | None:
        """The exact back arch (``lordosis_deg``, ``depth_ratio``: the pipeline's own
        :class:`posecheck.core.outline.BackArch` on the exact outline and landmarks); None
        when the outline's back is not seen whole, or the facing is unknown."""
        if self.outline is None or self.xy is None:
            return None
        arch = BackArch.from_edges(self.outline, *mid_points(self.xy), self.facing)
        if arch is None:
            return None
        return {"lordosis_deg": round(arch.lordosis_deg, 2),
                "depth_ratio": round(arch.depth_ratio, 4)}


def analyze_truth(frames: Sequence[PoseFrame], stretch: str, fps: float) -> Report | None:
    """The spec's analysis of the exact landmarks (``None`` when there is no spec for this
    stretch yet: the script's labels stand in)."""
    try:
        spec = load_spec(stretch)
    except SpecError:
        return None
    return analyze_frames(list(frames), spec, fps=fps, smoothing="none").to_report()


def _entry_checks(entry: TimelineEntry) -> tuple[dict[str, bool], dict[str, float]]:
    """(check id -> passes?, check id -> metric value) from one timeline entry: checks that
    were judged, values that were measured."""
    passes = {cid: r.status is Status.PASS for cid, r in entry.checks.items()
              if r.status is not Status.UNKNOWN}
    values = {cid: r.value for cid, r in entry.checks.items() if r.value is not None}
    return passes, values


def build_truth(*, clip_id: str, stretch: str, video: str, fps: float, width: int, height: int,
                frames: Sequence[TrueFrame], description: str = "", view: str = "side",
                script: dict | None = None, scripted_reps: int | None = None) -> dict:
    """The JSON-ready truth of a clip (see the module docstring)."""
    pose_frames = [f.pose_frame(width, height) for f in frames]
    report = analyze_truth(pose_frames, stretch, fps)
    timeline = report.entries if report is not None else ()
    by_index = {e.index: e for e in timeline}
    out_frames = []
    for k, (tf, pf) in enumerate(zip(frames, pose_frames)):
        row: dict[str, Any] = {
            "index": tf.index, "t_ms": tf.t_ms,
            "phase": tf.phase, "fault": tf.fault, "script_side": tf.side,
            "landmarks": None if not pf.has_pose else np.round(pf.xy, 1).tolist(),
        }
        if pf.has_pose and pf.visibility.min() < 1.0:
            row["outside"] = [int(i) for i in np.flatnonzero(pf.visibility < 1.0)]
        if tf.outline is not None:
            row["lumbar"] = tf.lumbar()
        entry = by_index.get(tf.index, timeline[k] if k < len(timeline) else None)
        if entry is not None:
            passes, values = _entry_checks(entry)
            row["checks_pass"] = passes
            row["metrics"] = values
            row.update(in_position=entry.in_pose, valid=entry.valid,
                       stretched_side=entry.stretched_side, view=entry.view,
                       hold_phase=entry.phase.value, hold_valid_s=entry.hold_valid_s)
        else:
            # No analysis: the script's own labels stand in.
            row["stretched_side"] = tf.side or None
            row["in_position"] = tf.phase in ("hold", "fault")
        out_frames.append(row)
    summary: dict[str, Any] = {}
    if report is not None:
        summary["sides"] = sides_to_json(report.sides)
    if report is None or scripted_reps is not None:
        summary["scripted_hold_s"] = scripted_hold(frames, fps)
    if scripted_reps is not None:
        summary["scripted_reps"] = scripted_reps
        if report is not None:
            summary["spec_on_exact_landmarks_valid_s"] = _still_only(out_frames,
                                                                     summary["sides"])
    return {
        "format": FORMAT, "clip": clip_id, "stretch": stretch, "video": video,
        "description": description, "view": view, "fps": fps, "width": width, "height": height,
        "frame_count": len(frames), "duration_s": round(len(frames) / fps, 4),
        "analysis": "spec" if report is not None else "script-labels-only",
        "summary": summary, "script": script or {}, "frames": out_frames,
    }


# Script phases in which the body moves: never a valid second of hold in a moving clip's truth.
MOVING_PHASES = (MOVING_PHASE, *OWN_MOVING_PHASES)


def _still_only(rows: list[dict[str, Any]], sides: dict[str, Any]) -> dict[str, float]:
    """A moving clip's truth: frames the script moves in are not valid, whatever the spec's
    rules made of their exact landmarks. Sets their ``valid`` False (the spec's verdict stays
    as ``spec_valid``), takes the seconds the timer credited them (the rise of
    ``hold_valid_s``) off their side's ``valid_hold_s`` and hold, and returns what the spec
    alone booked per side."""
    booked = {side: float(d["valid_hold_s"]) for side, d in sides.items()}
    prev = 0.0
    for row in rows:
        now = float(row.get("hold_valid_s") or 0.0)
        credit = now - prev if now >= prev else now
        prev = now
        if row["phase"] not in MOVING_PHASES:
            continue
        row["spec_valid"] = row.get("valid")
        if row.get("valid"):
            row["valid"] = False
        side = sides.get(row.get("stretched_side") or "")
        if credit <= 0 or side is None:
            continue
        side["valid_hold_s"] = round(max(0.0, side["valid_hold_s"] - credit), 4)
        t = row["t_ms"] / 1000.0
        for hold in side["holds"]:
            if hold["start_s"] - 1e-6 <= t <= hold["end_s"] + 1e-6:
                hold["valid_s"] = round(max(0.0, hold["valid_s"] - credit), 4)
                break
    return {k: round(v, 4) for k, v in booked.items()}


def scripted_hold(frames: Sequence[TrueFrame], fps: float) -> dict[str, float]:
    """Seconds per side the script holds good form (a stand-in when analysis is missing)."""
    out = {"left": 0.0, "right": 0.0}
    for f in frames:
        if f.phase == "hold" and not f.fault and f.side in out:
            out[f.side] += 1.0 / fps
    return {k: round(v, 3) for k, v in out.items()}

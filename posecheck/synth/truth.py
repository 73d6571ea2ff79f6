"""Ground truth of a synthetic clip: the true landmarks and what the spec's rules make of them.

Per frame: the 33 landmark pixel positions of the mannequin's joints (the same projection the
renderer draws with), the script's labels (phase, intended fault, side), and - when
:mod:`posecheck.core.analysis` is there - the spec's own verdict on those exact positions
(``analyze_frames(..., smoothing="none")``): metric values, which checks truly pass, whether
the pose is in position, the stretched side, and the valid hold seconds per side. So the truth
follows the spec's rules exactly, and a change of threshold changes the truth with it.

File: ``<clip>.truth.json.gz`` beside the video (gzip JSON, format ``posecheck-synth-truth/1``;
gzip because per-frame landmarks are most of it). Read and write it only through
:func:`read_truth` / :func:`truth_bytes`, and find files with :func:`find_truth_files`.
"""

from __future__ import annotations

import gzip
import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from posecheck.core.pose import NUM_LANDMARKS, PoseFrame

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
_STATUS_PASS = {"pass", "PASS", "Status.PASS"}


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
                         index=self.index)


def _analysis_module() -> Any | None:
    try:
        return importlib.import_module("posecheck.core.analysis")
    except ModuleNotFoundError as exc:
        if exc.name == "posecheck.core.analysis":
            return None
        raise


def analyze_truth(frames: Sequence[PoseFrame], stretch: str, fps: float) -> dict | None:
    """The spec's analysis of the exact landmarks (``None`` if analysis is not available)."""
    analysis = _analysis_module()
    if analysis is None:
        return None
    from posecheck.core.errors import SpecError
    from posecheck.specs.parse import load_spec

    try:
        spec = load_spec(stretch)
    except SpecError:
        return None  # no spec for this stretch yet: the script's labels stand in
    report = analysis.analyze_frames(list(frames), spec, fps=fps, smoothing="none")
    return report.to_json()


def _entry_checks(entry: dict) -> tuple[dict, dict]:
    """(check id -> passes?, check id -> metric value) from one timeline entry."""
    passes, values = {}, {}
    for cid, res in (entry.get("checks") or {}).items():
        if isinstance(res, dict):
            status = str(res.get("status", ""))
            value = res.get("value")
        else:
            status, value = str(res), None
        s = status.split(".")[-1].lower()
        if s in ("pass", "fail"):
            passes[cid] = s == "pass"
        if value is not None:
            values[cid] = value
    return passes, values


def build_truth(*, clip_id: str, stretch: str, video: str, fps: float, width: int, height: int,
                frames: Sequence[TrueFrame], description: str = "", view: str = "side",
                script: dict | None = None) -> dict:
    """The JSON-ready truth of a clip (see the module docstring)."""
    pose_frames = [f.pose_frame(width, height) for f in frames]
    report = analyze_truth(pose_frames, stretch, fps)
    timeline = (report or {}).get("timeline") or []
    by_index = {}
    for k, entry in enumerate(timeline):
        by_index[int(entry.get("index", k))] = entry
    out_frames = []
    for k, (tf, pf) in enumerate(zip(frames, pose_frames)):
        row: dict[str, Any] = {
            "index": tf.index, "t_ms": tf.t_ms,
            "phase": tf.phase, "fault": tf.fault, "script_side": tf.side,
            "landmarks": None if not pf.has_pose else np.round(pf.xy, 1).tolist(),
        }
        if pf.has_pose and pf.visibility.min() < 1.0:
            row["outside"] = [int(i) for i in np.flatnonzero(pf.visibility < 1.0)]
        entry = by_index.get(tf.index, timeline[k] if k < len(timeline) else None)
        if entry is not None:
            passes, values = _entry_checks(entry)
            row["checks_pass"] = passes
            row["metrics"] = values
            for src, dst in (("in_pose", "in_position"), ("valid", "valid"),
                             ("stretched_side", "stretched_side"), ("view", "view"),
                             ("phase", "hold_phase"), ("hold_valid_s", "hold_valid_s")):
                if src in entry:
                    row[dst] = entry[src]
        else:
            # No analysis: the script's own labels stand in.
            row["stretched_side"] = tf.side or None
            row["in_position"] = tf.phase in ("hold", "fault")
        out_frames.append(row)
    summary = {}
    if report is not None:
        for key in ("sides", "valid_hold_s", "side"):
            if key in report:
                summary[key] = report[key]
    else:
        summary["scripted_hold_s"] = scripted_hold(frames, fps)
    return {
        "format": FORMAT, "clip": clip_id, "stretch": stretch, "video": video,
        "description": description, "view": view, "fps": fps, "width": width, "height": height,
        "frame_count": len(frames), "duration_s": round(len(frames) / fps, 4),
        "analysis": "spec" if report is not None else "script-labels-only",
        "summary": summary, "script": script or {}, "frames": out_frames,
    }


def scripted_hold(frames: Sequence[TrueFrame], fps: float) -> dict[str, float]:
    """Seconds per side the script holds good form (a stand-in when analysis is missing)."""
    out = {"left": 0.0, "right": 0.0}
    for f in frames:
        if f.phase == "hold" and not f.fault and f.side in out:
            out[f.side] += 1.0 / fps
    return {k: round(v, 3) for k, v in out.items()}

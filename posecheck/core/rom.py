"""Range of motion per hold: how far each stretch went, in degrees.

For each stretch one angle says how far the stretch goes (:data:`ROM_METRICS`: a metric of
:mod:`posecheck.core.metrics`, so the convention is that metric's own). The range of motion of a
hold is that angle's median over the hold's *valid* frames (the seconds the hold timer
counted), so a moment of bad form or a landmark glitch does not move it.

Computed from what the session already produced (:class:`~posecheck.core.analysis.AnalysisReport`
and its :class:`~posecheck.core.session.FrameReport` s): the metric value the frame carries when
the spec measured it anyway, else the same metric on the frame's smoothed pose with the
frame's own context (facing, stretched side, near side). Pure numpy.

Conventions (degrees, larger = further into the stretch, except where noted):
    stretched_hip_extension_deg  the stretched thigh behind the torso line (lunges,
                                 half-kneeling, camel, edge of the bed: how far the hanging
                                 thigh drops below the line of the body on the bed)
    other_hip_flexion_deg        the hugged knee toward the chest (supine knee-to-chest)
    hip_line_dev_deg             the bridge's hip line: 0 = shoulders, hips and knees in
                                 line, + hips above it, - sagging below it
    torso_incline_deg            cobra: the chest's lift from the floor
    stretched_hip_angle_deg      seated: the straight leg's hip opening (180 = in line)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from posecheck.core.body import BodyContext, near_side
from posecheck.core.checks import Status
from posecheck.core.durations import frame_durations
from posecheck.core.metrics import compute_metrics


@dataclass(frozen=True)
class RomDef:
    """The angle that measures a stretch's range of motion, and words for it."""

    metric: str
    label: str


# Spec id -> its range-of-motion angle. Not a threshold (nothing passes or fails on it); it
# names which existing metric reads "how far". Specs not listed (timer-only) have no ROM.
_HIP_EXT_BACK = RomDef("stretched_hip_extension_deg", "hip extension of the back leg")
ROM_METRICS: dict[str, RomDef] = {
    "half_kneeling_hip_flexor": RomDef("stretched_hip_extension_deg",
                                       "hip extension of the kneeling leg"),
    "low_lunge_quad": RomDef("stretched_hip_extension_deg", "hip extension of the kneeling leg"),
    "deep_lunge": _HIP_EXT_BACK,
    "standing_psoas": _HIP_EXT_BACK,
    "pigeon": _HIP_EXT_BACK,
    "camel": RomDef("stretched_hip_extension_deg", "hip extension (thighs behind the torso)"),
    "lying_edge_psoas": RomDef("stretched_hip_extension_deg",
                               "hanging thigh below the line of the body"),
    "supine_psoas": RomDef("other_hip_flexion_deg", "hip flexion of the hugged knee"),
    "supine_psoas_gentle": RomDef("other_hip_flexion_deg", "hip flexion of the hugged knee"),
    "glute_bridge": RomDef("hip_line_dev_deg", "bridge hip line (0 = straight, + above)"),
    "cobra": RomDef("torso_incline_deg", "chest lift from the floor"),
    "seated_psoas": RomDef("stretched_hip_angle_deg", "hip opening of the straight leg"),
    "side_lying_psoas": RomDef("stretched_hip_extension_deg", "hip extension of the top leg"),
}


def rom_def(stretch: str) -> RomDef | None:
    """The ROM angle of a spec id (None: the stretch has no range-of-motion angle)."""
    return ROM_METRICS.get(stretch)


@dataclass(frozen=True)
class HoldMeasure:
    """One hold as the history keeps it.

    Attributes:
        side: "left" / "right" / "both". rep: 1-based, per side, in time order.
        start_s, end_s: the hold's span in the clip (s). valid_s: valid seconds in it.
        target_s: the hold target (s). completed: reached the target. open: still running
            when the frames ended. in_pose_s: s in position (None if not known).
        rom_deg: median ROM angle over the valid frames (None: not measurable).
        rom_metric: the metric name. rom_frames: how many frames the median took.
        faults: ``(check id, seconds it failed)`` of required checks, longest first.
    """

    side: str
    rep: int
    start_s: float
    end_s: float
    valid_s: float
    target_s: float
    completed: bool
    open: bool
    in_pose_s: float | None
    rom_deg: float | None
    rom_metric: str | None
    rom_frames: int
    faults: tuple[tuple[str, float], ...]


def frame_rom(frame: Any, spec: Any, metric: str) -> float:
    """The ROM angle on one frame report (NaN when unseen)."""
    value = (frame.metrics or {}).get(metric)
    if value is not None:
        return float(value)
    if not frame.has_pose or frame.pose is None or frame.pose.xy is None:
        return math.nan
    pose = frame.pose
    near = near_side(pose)
    stretched = near if spec.stretched_leg in ("both", "none") else frame.stretched_side
    if stretched not in ("left", "right"):
        return math.nan
    ctx = BodyContext(spec.posture, int(frame.facing), stretched, near)
    vis = spec.visibility
    out = compute_metrics(pose, ctx, [metric], min_visibility=vis.min_visibility,
                          min_presence=vis.min_presence)
    return float(out[metric].value)


def median_rom(frames: Sequence[Any], spec: Any, metric: str) -> tuple[float | None, int]:
    """(median of the ROM angle over ``frames`` where it is measurable, frames used)."""
    vals = np.array([frame_rom(f, spec, metric) for f in frames], dtype=float)
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return None, 0
    return float(np.median(vals)), int(vals.size)


def measure_holds(report: Any, spec: Any) -> tuple[HoldMeasure, ...]:
    """Every hold of an analysis (finished or still open at the end) with its ROM and faults,
    in time order."""
    frames = list(report.frames)
    final = report.final_hold
    if final is None:
        return ()
    rdef = rom_def(spec.id)
    t = np.array([f.t_ms for f in frames], dtype=float) / 1000.0
    gap = spec.hold.max_frame_gap_s
    dt = frame_durations([f.t_ms for f in frames], gap, last_s=0.0)
    finished = {(h.side, round(h.start_s, 3)): h for h in final.holds}
    out: list[HoldMeasure] = []
    for side, data in report.sides().items():
        for rep, h in enumerate(sorted(data.holds, key=lambda h: h.start_s), start=1):
            a, b = float(h.start_s), float(h.end_s)
            inside = [k for k, f in enumerate(frames)
                      if a - 1e-3 <= t[k] <= b + 1e-3 and _same_side(f, side)]
            valid = [frames[k] for k in inside if frames[k].valid is True]
            rom, n = (None, 0) if rdef is None else median_rom(valid, spec, rdef.metric)
            hold = finished.get((side, round(a, 3)))
            out.append(HoldMeasure(
                side=side, rep=rep, start_s=a, end_s=b, valid_s=float(h.valid_s),
                target_s=float(final.target_s), completed=h.completed,
                open=h.open, in_pose_s=None if hold is None else hold.in_pose_s,
                rom_deg=rom, rom_metric=None if rdef is None else rdef.metric, rom_frames=n,
                faults=fault_seconds([frames[k] for k in inside], dt[inside])))
    return tuple(sorted(out, key=lambda m: (m.start_s, m.side)))


def _same_side(frame: Any, side: str) -> bool:
    return side == "both" or frame.hold.side in (side, None)


def fault_seconds(frames: Sequence[Any], dt: Sequence[float] | np.ndarray
                  ) -> tuple[tuple[str, float], ...]:
    """Seconds each required check FAILED in position over ``frames`` (each frame lasting its
    ``dt``), longest first."""
    acc: dict[str, float] = {}
    for f, d in zip(frames, dt):
        if not f.in_pose:
            continue
        for cid, r in f.checks.items():
            if r.status is Status.FAIL and getattr(r, "required", True):
                acc[cid] = acc.get(cid, 0.0) + float(d)
    return tuple(sorted(((c, round(s, 3)) for c, s in acc.items() if s > 0),
                        key=lambda cs: -cs[1]))


def rom_by_side(measures: Sequence[HoldMeasure]) -> Mapping[str, float | None]:
    """Median ROM over the holds of each side (None where no hold had one)."""
    out: dict[str, float | None] = {}
    for side in sorted({m.side for m in measures}):
        vals = [m.rom_deg for m in measures if m.side == side and m.rom_deg is not None]
        out[side] = float(np.median(vals)) if vals else None
    return out


def match_holds(estimated: Sequence[HoldMeasure], truth: Sequence[HoldMeasure]
                ) -> list[tuple[HoldMeasure, HoldMeasure | None]]:
    """Each true hold with the estimated hold of the same side that overlaps it most in time
    (None: no estimated hold overlaps it). For accuracy measurements."""
    out: list[tuple[HoldMeasure, HoldMeasure | None]] = []
    for t in truth:
        best, best_overlap = None, 0.0
        for e in estimated:
            if e.side != t.side:
                continue
            overlap = min(e.end_s, t.end_s) - max(e.start_s, t.start_s)
            if overlap > best_overlap:
                best, best_overlap = e, overlap
        out.append((t, best))
    return out

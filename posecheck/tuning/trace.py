"""What the pipeline said about one clip, frame by frame: :class:`ClipTrace`. Pure numpy.

A trace holds the metric value behind each check and pose condition, each check's status
(PASS / FAIL / UNKNOWN, the codes of :mod:`posecheck.core.rules`), whether the body is in
position, the stretched side and the body motion. It is built once from cached landmarks
(:func:`posecheck.core.analysis.analyze_frames`, then :meth:`ClipTrace.from_report`) and then
replayed under other thresholds (:mod:`posecheck.tuning.replay`) and scored
(:mod:`posecheck.tuning.score`).

Every frame stands for the time until the next frame (:func:`frame_weights`), so scores are
seconds; a gap longer than ``MAX_GAP_S`` (a dropout) counts as one typical frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from posecheck.core.durations import frame_durations
from posecheck.core.hold import HoldSettings
from posecheck.core.rules import FAIL, PASS, UNKNOWN

MAX_GAP_S = 0.5  # s; a longer frame interval is a dropout and weighs one typical frame


@dataclass(frozen=True)
class ClipTrace:
    """The pipeline's per-frame view of one clip (arrays of length T), with the spec parts
    needed to replay its decisions under other thresholds.

    Attributes:
        video: clip path as labelled.
        stretch: spec id the clip was analysed with.
        t_ms: ``(T,)`` int64 frame timestamps.
        values: check/condition id -> ``(T,)`` float metric value (NaN when not measurable).
        status: check id -> ``(T,)`` int8 status the pipeline decided (1 PASS, 0 FAIL,
            -1 UNKNOWN).
        in_pose: ``(T,)`` int8 the pipeline's (sticky) in-position decision, 1 or 0.
        side: ``(T,)`` object array of ``"left"``/``"right"``/``"both"``/``""``.
        has_pose: ``(T,)`` bool, a person was found.
        view_ok: ``(T,)`` int8 the view suits the spec (1), not (0), unknown (-1).
        checks, conditions: the spec's CheckSpec tuples (form checks, pose conditions).
        hold: the spec's hold settings; timer_only: the spec has no form checks.
        motion: ``(T,)`` float body motion (body lengths per second, NaN unknown), or None
            when not recorded (then every frame counts as still).
        bouncing: ``(T,)`` bool, the hips swung back and forth (never still), or None.
        fallback: check id -> ``(T,)`` bool, True where the check's main metric was not
            measured and its ``fallback`` was judged (``values`` then holds the fallback's
            value, to be judged against the fallback's band); checks without a fallback
            may be left out (all False).
    """

    video: str
    stretch: str
    t_ms: np.ndarray
    values: Mapping[str, np.ndarray]
    status: Mapping[str, np.ndarray]
    in_pose: np.ndarray
    side: np.ndarray
    has_pose: np.ndarray | None = None
    view_ok: np.ndarray | None = None
    checks: tuple[Any, ...] = ()
    conditions: tuple[Any, ...] = ()
    hold: HoldSettings = HoldSettings()
    timer_only: bool = False
    motion: np.ndarray | None = None
    bouncing: np.ndarray | None = None
    fallback: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        t = np.asarray(self.t_ms, dtype=np.int64)
        n = len(t)
        object.__setattr__(self, "t_ms", t)
        dtypes = {"values": np.float64, "status": np.int8, "fallback": bool}
        for name, dtype in dtypes.items():
            table = getattr(self, name)
            fixed = {}
            for k, v in table.items():
                arr = np.asarray(v, dtype=dtype)
                if arr.shape != (n,):
                    raise ValueError(f"ClipTrace.{name}[{k!r}] has shape {arr.shape}, "
                                     f"expected ({n},)")
                fixed[k] = arr
            object.__setattr__(self, name, MappingProxyType(fixed))
        defaults = {"has_pose": np.ones(n, bool), "view_ok": np.ones(n, np.int8)}
        for name, dtype in (("in_pose", np.int8), ("side", object), ("has_pose", bool),
                            ("view_ok", np.int8)):
            value = getattr(self, name)
            arr = np.asarray(defaults[name] if value is None else value, dtype=dtype)
            if arr.shape != (n,):
                raise ValueError(f"ClipTrace.{name} has shape {arr.shape}, expected ({n},)")
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "checks", tuple(self.checks))
        object.__setattr__(self, "conditions", tuple(self.conditions))
        if self.motion is not None:
            motion = np.asarray(self.motion, dtype=np.float64)
            if motion.shape != (n,):
                raise ValueError(f"ClipTrace.motion has shape {motion.shape}, expected ({n},)")
            object.__setattr__(self, "motion", motion)
        if self.bouncing is not None:
            bouncing = np.asarray(self.bouncing, dtype=bool)
            if bouncing.shape != (n,):
                raise ValueError(f"ClipTrace.bouncing has shape {bouncing.shape}, "
                                 f"expected ({n},)")
            object.__setattr__(self, "bouncing", bouncing)

    @property
    def t_s(self) -> np.ndarray:
        return self.t_ms / 1000.0

    @property
    def weights(self) -> np.ndarray:
        return frame_weights(self.t_ms)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.checks if getattr(c, "required", True))

    @classmethod
    def from_report(cls, report: Any, video: str, spec: Any) -> "ClipTrace":
        """Build from an :class:`~posecheck.core.analysis.AnalysisReport` (its FrameReports)."""
        frames = list(report.frames)
        n = len(frames)
        codes = {"pass": PASS, "fail": FAIL, "unknown": UNKNOWN}
        ids = [c.id for c in spec.checks]
        cids = [c.id for c in spec.pose]
        values = {k: np.full(n, np.nan) for k in (*ids, *cids)}
        status = {k: np.full(n, UNKNOWN, np.int8) for k in ids}
        fallback = {c.id: np.zeros(n, bool) for c in spec.checks if c.fallback is not None}
        t_ms = np.zeros(n, np.int64)
        in_pose = np.zeros(n, np.int8)
        has_pose = np.zeros(n, bool)
        view_ok = np.full(n, UNKNOWN, np.int8)
        side = np.full(n, "", dtype=object)
        motion = np.full(n, np.nan)
        bouncing = np.zeros(n, bool)
        for i, f in enumerate(frames):
            t_ms[i] = f.t_ms
            motion[i] = getattr(f, "motion", math.nan)
            bouncing[i] = bool(getattr(f, "bouncing", False))
            in_pose[i] = int(bool(f.in_pose))
            has_pose[i] = bool(f.has_pose)
            view_ok[i] = UNKNOWN if f.view_ok is None else int(bool(f.view_ok))
            side[i] = f.stretched_side or ""
            for cid, r in f.checks.items():
                if cid in status:
                    status[cid][i] = codes[r.status.value]
                    values[cid][i] = r.value
                    if cid in fallback:
                        fallback[cid][i] = bool(r.fallback_used)
            for cid, r in f.conditions.items():
                if cid in values:
                    values[cid][i] = r.value
        return cls(video=video, stretch=spec.id, t_ms=t_ms, values=values, status=status,
                   in_pose=in_pose, side=side, has_pose=has_pose, view_ok=view_ok,
                   checks=tuple(spec.checks), conditions=tuple(spec.pose), hold=spec.hold,
                   timer_only=bool(getattr(spec, "timer_only", False)), motion=motion,
                   bouncing=bouncing, fallback=fallback)


def frame_weights(t_ms: np.ndarray) -> np.ndarray:
    """Seconds each frame stands for in the scores (the one rule,
    :func:`posecheck.core.durations.frame_durations`): a dropout (longer than ``MAX_GAP_S``)
    and the last frame weigh one typical frame."""
    return frame_durations(t_ms, MAX_GAP_S, dropout="typical", default_s=1.0 / 30.0)


__all__ = ["MAX_GAP_S", "ClipTrace", "frame_weights"]

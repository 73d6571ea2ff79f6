"""Fakes shared by the tests of several packages: a small video, the batch pipeline with its
model and analysis faked, and a live processor over stub estimator and session."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from posecheck import batch
from posecheck.batch import landmarks, runner, stages
from posecheck.core.checks import CheckResult, Status
from posecheck.core.pose import PoseFrame
from posecheck.core.hold import Hold, HoldState, Phase
from posecheck.core.report import (CheckEntry, CheckFractions, HoldSpan, Report, SideTotals,
                                   TimelineEntry)
from posecheck.core.session import FrameReport
from posecheck.live.worker import LiveProcessor
from posecheck.specs.parse import load_spec


# ---------------------------------------------------------------------------- batch
@dataclass(frozen=True)
class FakeCheck:
    id: str
    metric: str
    min: float | None
    max: float | None
    unit: str
    label: str = ""


@dataclass(frozen=True)
class FakeSpec:
    id: str = "fake_stretch"
    checks: tuple = (FakeCheck("torso", "torso_lean", -10.0, 15.0, "deg"),
                     FakeCheck("knee", "front_knee_angle", 80.0, 110.0, "deg"))
    source_path: str = ""


def make_video(path: Path, frames: int = 12, size: tuple[int, int] = (64, 48),
               fps: float = 10.0) -> Path:
    import cv2

    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert w.isOpened()
    for i in range(frames):
        img = np.full((size[1], size[0], 3), 10 * i % 255, np.uint8)
        w.write(img)
    w.release()
    return path


def fake_frames(info, n=None):
    n = n or info.frame_count
    lm = np.tile(np.array([[0.5, 0.5, 0.0, 0.9, 0.9]]), (33, 1))
    return [PoseFrame.from_normalized(lm, t_ms=100 * i, width=info.width, height=info.height,
                                      index=i) for i in range(n)]


def fake_analyze(frames, specs, info, video, auto=False, **options):
    """A typed report computed from the frames (so it varies), as analyze_track returns it."""
    n = len(frames)

    def entry(i, f):
        checks = {"torso": CheckEntry(Status.PASS, 5.0 + i),
                  "knee": CheckEntry(Status.FAIL if i % 3 else Status.PASS, 95.0)}
        return TimelineEntry(t_s=f.t_ms / 1000, index=i, has_pose=f.has_pose, view="side",
                             in_pose=i >= 2, valid=i >= 4, stretched_side="left",
                             phase=Phase.HOLDING if i >= 4 else Phase.WAITING,
                             hold_valid_s=0.1 * max(i - 4, 0), cue="hold", checks=checks,
                             motion=0.0, reason=None)

    report = Report(
        stretch=specs[0][0], video=video, fps=10.0, frames=n,
        pose_frames=sum(f.has_pose for f in frames),
        sides={"left": SideTotals(valid_hold_s=0.1 * max(n - 4, 0), in_pose_s=0.1 * (n - 2),
                                  reps=1, moving_reps=0,
                                  holds=(HoldSpan(0.4, n / 10, 0.1 * max(n - 4, 0), True),)),
               "right": SideTotals(0.0, 0.0, 0, 0)},
        checks={"torso": CheckFractions(1.0, 0.0, 0.0), "knee": CheckFractions(0.33, 0.67, 0.0)},
        timeline=tuple(entry(i, f) for i, f in enumerate(frames)), smoothing="batch",
        in_pose_frames=max(n - 2, 0), metrics={}, leg_label_swaps=0, garbled_leg_frames=0)
    return batch.Outcome(report, specs[0][0], specs[0][1], None, None)


@pytest.fixture
def fake_pipeline(monkeypatch, tmp_path):
    """Batch with the model, specs and analysis faked; counts model runs."""
    calls = {"estimate": 0}

    def estimate(video, model_path, info, on_frame=lambda n: None, **options):
        calls["estimate"] += 1
        return fake_frames(info), 1.0

    # Each fake goes into the module that looks the name up (not the package's re-export).
    monkeypatch.setattr(landmarks, "estimate_frames", estimate)
    monkeypatch.setattr(stages, "analyze_track", fake_analyze)
    monkeypatch.setattr(stages, "load_specs", lambda stretch: [("fake_stretch", FakeSpec())])
    monkeypatch.setattr(runner, "_resolve_model", lambda name, quiet: (tmp_path / "m.task",
                                                                       "lite", "ab" * 32))
    return calls


def run(tmp_path, *paths, extra=()):
    out = tmp_path / "out"
    # One worker: the fakes are patched into this process, spawned workers would not see them.
    argv = [str(p) for p in paths] + ["--out", str(out), "--quiet", "--stretch", "fake_stretch",
                                      "--cache-dir", str(tmp_path / "cache"), "--workers", "1",
                                      *extra]
    return batch.main(argv), out


def summary_rows(out: Path) -> list[dict[str, str]]:
    with (out / "summary.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))



# ---------------------------------------------------------------------------- live
class StubEstimator:
    """Records the timestamps it is fed; finds a 'pose' in every frame."""

    def __init__(self) -> None:
        self.fed: list[int] = []
        self.resets = 0

    def process(self, image: np.ndarray, t_ms: float, index: int = -1) -> PoseFrame:
        if self.fed and t_ms <= self.fed[-1]:
            raise AssertionError(f"timestamps must increase: {t_ms} after {self.fed[-1]}")
        self.fed.append(int(t_ms))
        h, w = image.shape[:2]
        xy = np.tile([[w * 0.25, h / 2]], (33, 1))
        return PoseFrame(t_ms=int(t_ms), width=w, height=h, xy=xy)

    def reset(self) -> None:
        self.resets += 1
        self.fed.clear()

    def close(self) -> None:
        self.closed = True


def hold_state(phase: Phase = Phase.HOLDING, side: str | None = "left", *, t_ms: int = 0,
               hold_valid_s: float = 0.0, target_s: float = 30.0,
               valid_s_by_side: dict[str, float] | None = None,
               reps_by_side: dict[str, int] | None = None, holds: tuple[Hold, ...] = (),
               **fields) -> HoldState:
    """A real ``timer.HoldState`` with the fields a test names and plain defaults for the rest
    (a renamed field breaks the test)."""
    base = dict(t_ms=t_ms, phase=phase, side=side, hold_valid_s=hold_valid_s, target_s=target_s,
                rep=1, reps_target=1, valid_s_by_side=dict(valid_s_by_side or {}),
                in_pose_s_by_side={}, reps_by_side=dict(reps_by_side or {}), holds=holds,
                prompt=None, countdown_s=None, remaining={})
    base.update(fields)
    return HoldState(**base)


def frame_report(t_ms: int = 0, pose: PoseFrame | None = None, *,
                 checks: dict[str, CheckResult] | None = None, hold: HoldState | None = None,
                 has_pose: bool | None = None, in_pose: bool = True, valid: bool | None = True,
                 **fields) -> FrameReport:
    """A real ``session.FrameReport``: the fields a test names, plain defaults for the rest.
    Without ``pose`` the frame has no landmarks (a 64x48 frame)."""
    pose = pose if pose is not None else PoseFrame.empty(t_ms, 64, 48)
    base = dict(t_ms=t_ms, index=0, pose=pose,
                has_pose=pose.has_pose if has_pose is None else has_pose, view="side",
                in_pose=in_pose, valid=valid, stretched_side="left", checks=dict(checks or {}),
                metrics={}, hold=hold if hold is not None else hold_state(t_ms=t_ms), cue=None)
    base.update(fields)
    return FrameReport(**base)


class StubSession:
    """Stands in for ``StretchSession`` where a test needs a rule it can steer: valid while the
    pose's x is left of the middle; counts valid ms like a timer. Its reports are real
    ``FrameReport`` values (:func:`frame_report`)."""

    def __init__(self) -> None:
        self.valid_ms = 0
        self.last: int | None = None
        self.frames: list[PoseFrame] = []

    def update(self, frame: PoseFrame) -> FrameReport:
        self.frames.append(frame)
        valid = bool(frame.has_pose and frame.xy[0, 0] < frame.width / 2)
        if self.last is not None and valid:
            self.valid_ms += frame.t_ms - self.last
        self.last = frame.t_ms
        status = Status.PASS if valid else Status.FAIL
        checks = {"torso": CheckResult(id="torso", status=status, value=0.0, margin=0.0,
                                       landmarks=(11, 23))}
        hold = hold_state(t_ms=frame.t_ms, hold_valid_s=self.valid_ms / 1000,
                          valid_s_by_side={"left": self.valid_ms / 1000})
        return frame_report(frame.t_ms, frame, checks=checks, hold=hold, valid=valid)


# The spec the live stubs run under (its texts and hold plan; the stub session decides validity).
LIVE_SPEC = "half_kneeling_hip_flexor"


def make_processor(**kw) -> tuple[LiveProcessor, StubEstimator]:
    est = StubEstimator()
    return LiveProcessor(load_spec(LIVE_SPEC), estimator=est, session=StubSession(),
                         session_factory=StubSession, **kw), est

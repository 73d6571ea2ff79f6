"""The live page's frame worker without a browser or a Streamlit runtime.

Fast tests use a stub estimator and session (to pin the plumbing: timestamps, locking,
summary, cue rate limit); the slow test runs the real core on a clip and compares the hold
seconds with the batch analysis of the same frames.
"""

from __future__ import annotations

import threading
from pathlib import Path
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from media import sample_clip
from posecheck.checks import CheckResult, Status
from posecheck.errors import PosecheckError
from posecheck.live import (CueSpeaker, FrameClock, LiveProcessor, TimelinePoint,
                            WebrtcFrameProcessor, rtc_configuration, summarize)
from posecheck.pose import PoseFrame


# ---------------------------------------------------------------------------- stubs
class StubEstimator:
    """Records the timestamps it is fed; finds a 'pose' in every frame."""

    def __init__(self) -> None:
        self.fed: list[int] = []
        self.resets = 0

    def process(self, image, t_ms):
        if self.fed and t_ms <= self.fed[-1]:
            raise AssertionError(f"timestamps must increase: {t_ms} after {self.fed[-1]}")
        self.fed.append(int(t_ms))
        h, w = image.shape[:2]
        xy = np.tile([[w * 0.25, h / 2]], (33, 1))
        return PoseFrame(t_ms=int(t_ms), width=w, height=h, xy=xy)

    def reset(self):
        self.resets += 1
        self.fed.clear()


@dataclass
class StubHold:
    phase: str = "holding"
    side: str = "left"
    hold_valid_s: float = 0.0
    target_s: float = 30.0
    rep: int = 1
    reps_target: int = 1
    valid_s_by_side: dict = field(default_factory=dict)
    reps_by_side: dict = field(default_factory=dict)
    holds: tuple = ()
    prompt: str | None = None
    countdown_s: float | None = None


@dataclass
class StubReport:
    t_ms: int
    pose: PoseFrame
    has_pose: bool
    in_pose: bool
    valid: bool
    checks: dict
    hold: StubHold
    cue: Any = None


class StubSession:
    """Valid while the pose's x is left of the middle; counts valid ms like a timer."""

    def __init__(self) -> None:
        self.valid_ms = 0
        self.last: int | None = None
        self.frames: list[PoseFrame] = []

    def update(self, frame: PoseFrame) -> StubReport:
        self.frames.append(frame)
        valid = bool(frame.has_pose and frame.xy[0, 0] < frame.width / 2)
        if self.last is not None and valid:
            self.valid_ms += frame.t_ms - self.last
        self.last = frame.t_ms
        status = Status.PASS if valid else Status.FAIL
        checks = {"torso": CheckResult(id="torso", status=status, value=0.0, margin=0.0,
                                       landmarks=(11, 23))}
        hold = StubHold(hold_valid_s=self.valid_ms / 1000,
                        valid_s_by_side={"left": self.valid_ms / 1000})
        return StubReport(frame.t_ms, frame, frame.has_pose, True, valid, checks, hold)


def make_processor(**kw) -> tuple[LiveProcessor, StubEstimator]:
    est = StubEstimator()
    # Any spec object will do: the stubs do not read it.
    return LiveProcessor(object(), estimator=est, session=StubSession(),
                         session_factory=StubSession, **kw), est


IMG = np.zeros((48, 64, 3), np.uint8)


# ---------------------------------------------------------------------------- clock
def test_frame_clock_starts_at_zero_in_ms():
    clock = FrameClock()
    tb = 1 / 90000  # RTP video clock
    assert [clock.update(p, tb) for p in (123456, 126456, 129456)] == [0, 33, 67]


def test_frame_clock_unwraps_a_32_bit_rtp_counter():
    clock = FrameClock()
    tb = 1 / 90000
    start = 2**32 - 3000
    assert clock.update(start, tb) == 0
    assert clock.update(start + 3000 - 2**32, tb) == 33  # wrapped past zero
    assert clock.update(start + 6000 - 2**32, tb) == 67


def test_frame_clock_is_strictly_increasing_on_repeats():
    clock = FrameClock()
    stamps = [clock.update(p, 1 / 1000) for p in (0, 10, 10, 10, 9, 40)]
    assert stamps == [0, 10, 11, 12, 13, 40]


# ---------------------------------------------------------------------------- processor
def test_processor_feeds_strictly_increasing_timestamps_and_counts():
    proc, est = make_processor()
    for t in (0, 33, 33, 66, 50, 100):  # repeats and a small step back are bumped
        proc.process(IMG, t)
    assert est.fed == sorted(set(est.fed)) and len(est.fed) == 6
    snap = proc.snapshot()
    assert snap.frames == 6 and snap.frames_with_pose == 6 and snap.pose_fraction == 1.0
    assert snap.report is not None and snap.t_ms == est.fed[-1]


def test_processor_restarts_when_the_source_starts_over():
    proc, est = make_processor()
    for t in (0, 1000, 2000, 3000):
        proc.process(IMG, t)
    proc.process(IMG, 0)  # a new stream: more than a second back
    assert est.resets == 1
    assert proc.snapshot().report.hold.hold_valid_s == 0.0


def test_mirrored_frames_give_the_subjects_true_side():
    proc, _ = make_processor(mirrored=True)
    proc.process(IMG, 0)
    report = proc.snapshot().report
    # The stub puts the pose at x = w/4 of the image; un-mirrored it is at 3w/4.
    assert report.pose.xy[0, 0] == pytest.approx(IMG.shape[1] * 0.75)


def test_annotated_frame_differs_and_undrawn_is_the_input():
    proc, _ = make_processor()
    drawn = proc.process(IMG, 0)
    plain = proc.process(IMG, 40, draw=False)
    assert drawn.shape == IMG.shape and not np.array_equal(drawn, IMG)
    assert plain is IMG


def test_snapshot_is_safe_to_read_while_frames_are_processed():
    proc, _ = make_processor()
    stop = threading.Event()
    seen: list[int] = []

    def reader():
        while not stop.is_set():
            snap = proc.snapshot()
            seen.append(snap.frames)
            proc.timeline()

    th = threading.Thread(target=reader)
    th.start()
    for i in range(200):
        proc.process(IMG, i * 33, draw=False)
    stop.set()
    th.join()
    assert seen == sorted(seen)  # frame counts only grow
    assert proc.snapshot().frames == 200 and len(proc.timeline()) == 200


def test_webrtc_adapter_returns_an_av_frame_of_the_same_size():
    av = pytest.importorskip("av")
    proc, est = make_processor()
    adapter = WebrtcFrameProcessor(proc, flip=True)
    assert adapter.processor.mirrored is False  # the page sets mirrored with flip
    for i in range(3):
        frame = av.VideoFrame.from_ndarray(IMG, format="bgr24")
        frame.pts, frame.time_base = 5000 + i * 3000, Fraction(1, 90000)
        out = adapter.recv(frame)
        assert (out.width, out.height) == (IMG.shape[1], IMG.shape[0])
    assert est.fed == [0, 33, 67]


def test_frames_queued_while_busy_are_dropped_not_processed():
    import asyncio

    av = pytest.importorskip("av")
    proc, est = make_processor()
    adapter = WebrtcFrameProcessor(proc)
    frames = []
    for i in range(4):
        f = av.VideoFrame.from_ndarray(IMG, format="bgr24")
        f.pts, f.time_base = i * 3000, Fraction(1, 90000)
        frames.append(f)
    out = asyncio.run(adapter.recv_queued(frames))
    assert len(out) == 1 and len(est.fed) == 1  # only the newest frame was analysed
    snap = proc.snapshot()
    assert snap.frames == 1 and snap.dropped == 3


def test_an_error_on_one_frame_keeps_the_stream_going():
    av = pytest.importorskip("av")

    class Broken(StubEstimator):
        def process(self, image, t_ms):
            raise RuntimeError("model crashed")

    proc = LiveProcessor(object(), estimator=Broken(), session=StubSession())
    frame = av.VideoFrame.from_ndarray(IMG, format="bgr24")
    frame.pts, frame.time_base = 0, Fraction(1, 90000)
    out = WebrtcFrameProcessor(proc).recv(frame)
    assert (out.width, out.height) == (IMG.shape[1], IMG.shape[0])
    assert "model crashed" in proc.snapshot().error


def test_adapter_builds_the_processor_in_the_background_and_shows_loading():
    av = pytest.importorskip("av")
    gate = threading.Event()
    built = []

    def build():
        gate.wait(5)
        proc, _ = make_processor()
        built.append(proc)
        return proc

    adapter = WebrtcFrameProcessor(build)
    frame = av.VideoFrame.from_ndarray(IMG, format="bgr24")
    frame.pts, frame.time_base = 0, Fraction(1, 90000)
    out = adapter.recv(frame)  # not ready: the frame comes back with a note, no waiting
    assert adapter.processor is None and not np.array_equal(out.to_ndarray(format="bgr24"), IMG)
    gate.set()
    assert adapter.wait_ready(5) and adapter.processor is built[0]
    frame.pts = 3000
    adapter.recv(frame)
    assert adapter.processor.snapshot().frames == 1


def test_adapter_reports_a_model_that_fails_to_load():
    def build():
        raise PosecheckError("no model here")

    adapter = WebrtcFrameProcessor(build)
    assert adapter.wait_ready(5)
    assert adapter.processor is None and "no model here" in adapter.error



def _frames(pts, tb=Fraction(1, 90000), image=IMG):
    av = pytest.importorskip("av")
    out = []
    for p in pts:
        f = av.VideoFrame.from_ndarray(image, format="bgr24")
        f.pts, f.time_base = p, tb
        out.append(f)
    return out


def test_timestamps_restarting_at_zero_on_the_same_connection_start_a_new_session():
    """A camera that restarts its clock mid-connection: the session starts over and its
    timer counts the new frames at their real pace (it used to advance 1 ms a frame)."""
    proc, est = make_processor()
    adapter = WebrtcFrameProcessor(proc)
    step = 3000  # 90 kHz ticks: 30 frames/s
    for f in _frames([1000 + i * step for i in range(60)]):  # 2 s of stream
        adapter.recv(f)
    held_before = proc.snapshot().report.hold.hold_valid_s
    for f in _frames([i * step for i in range(30)]):  # the clock restarts at 0
        adapter.recv(f)
    assert est.resets == 1
    assert est.fed[-1] == pytest.approx(29 * 33.3, abs=2)  # the new clock, from 0
    held = proc.snapshot().report.hold.hold_valid_s
    assert held == pytest.approx(29 * step / 90000, abs=0.002) and held < held_before
    assert [p.t_ms for p in proc.timeline()] == sorted(p.t_ms for p in proc.timeline())


def test_frame_clock_tells_a_restart_from_a_wrap():
    clock = FrameClock()
    tb = 1 / 90000
    clock.update(2**32 - 3000, tb)
    clock.update(100, tb)  # a wrap of the 32-bit counter: time goes on
    assert clock.restarts == 0
    clock.update(90000 * 5, tb)
    clock.update(0, tb)  # five seconds back: a restart
    assert clock.restarts == 1 and clock.update(3000, tb) == 33


def test_a_frame_that_cannot_be_converted_keeps_the_stream_going():
    class Odd:
        pts, time_base, width, height, format = 0, Fraction(1, 90000), 64, 48, "yuvj422p"

        def to_ndarray(self, format=None):
            raise ValueError("Conversion from yuvj422p to bgr24 is not supported")

    proc, est = make_processor()
    adapter = WebrtcFrameProcessor(proc)
    frame = Odd()
    assert adapter.recv(frame) is frame  # handed back as it came
    assert "cannot be converted" in proc.snapshot().error and est.fed == []
    out = adapter.recv(_frames([3000])[0])  # the next good frame is analysed
    assert (out.width, out.height) == (IMG.shape[1], IMG.shape[0]) and len(est.fed) == 1


@pytest.mark.parametrize("size", [(1, 64), (1, 1), (63, 47)])
def test_video_writer_takes_any_frame_size(tmp_path, size):
    av = pytest.importorskip("av")
    from posecheck.live import VideoWriter

    w, h = size
    writer = VideoWriter(tmp_path / "out.mp4", 15.0, w, h)
    for i in range(5):
        writer.write(np.full((h, w, 3), 40 * i, np.uint8))
    path = writer.close()
    with av.open(str(path)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 5
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


# ---------------------------------------------------------------------------- summary
def point(t_ms, valid=True, failing=(), side="left", held=0.0) -> TimelinePoint:
    return TimelinePoint(t_ms=t_ms, has_pose=True, in_pose=True, valid=valid, side=side,
                         phase="holding", hold_valid_s=held, failing=tuple(failing), cue="")


def test_summary_counts_fault_seconds_from_frame_times():
    pts = [point(t, valid=False, failing=("knee",)) for t in range(0, 2000, 100)]
    pts += [point(t, valid=False, failing=("knee", "torso")) for t in range(2000, 3000, 100)]
    s = summarize(pts)
    faults = dict(s.faults_s)
    assert faults["knee"] == pytest.approx(3.0)
    assert faults["torso"] == pytest.approx(1.0)
    assert [k for k, _ in s.faults_s] == ["knee", "torso"]  # worst first
    assert s.duration_s == pytest.approx(3.0)


def test_summary_caps_a_stalled_stream():
    s = summarize([point(0, failing=("knee",)), point(60_000, failing=("knee",))])
    assert dict(s.faults_s)["knee"] < 1.5  # not a minute of fault for two frames


def test_summary_takes_sides_and_holds_from_the_last_report():
    from posecheck.timer import Hold

    holds = (Hold("left", 2.0, 33.0, 30.0, True), Hold("right", 50.0, 60.0, 4.5, False),
             Hold("right", 70.0, 80.0, 8.0, False))
    hold = StubHold(valid_s_by_side={"left": 30.0, "right": 12.5},
                    reps_by_side={"left": 1, "right": 0}, holds=holds)
    s = summarize([point(0)], StubReport(0, None, True, True, True, {}, hold))
    assert s.valid_s_by_side == {"left": 30.0, "right": 12.5} and s.total_valid_s == 42.5
    assert [(h.side, h.rep, h.valid_s, h.completed) for h in s.holds] == [
        ("left", 1, 30.0, True), ("right", 1, 4.5, False), ("right", 2, 8.0, False)]


# ---------------------------------------------------------------------------- voice cues
def test_cue_speaker_rate_limits_and_repeats_only_after_a_while():
    sp = CueSpeaker(min_gap_s=3, repeat_s=10)
    said = [(t, sp.update(text, t)) for t, text in [
        (0, "Knee forward"), (1000, "Knee forward"), (2000, "Chest up"), (3500, "Chest up"),
        (5000, "Chest up"), (12000, "Chest up"), (14000, ""), (16000, "Knee forward")]]
    # 1000: same cue too soon; 2000: within 3 s of the last one; 5000/12000: a repeat before
    # 10 s; 14000: nothing to say.
    assert [(t, s) for t, s in said if s] == [(0, "Knee forward"), (3500, "Chest up"),
                                              (16000, "Knee forward")]


def test_cue_speaker_says_the_same_cue_again_after_repeat_s():
    sp = CueSpeaker(min_gap_s=3, repeat_s=10)
    assert sp.update("Chest up", 0) == "Chest up"
    assert sp.update("Chest up", 9000) is None
    assert sp.update("Chest up", 10000) == "Chest up"


# ---------------------------------------------------------------------------- ICE servers
def test_rtc_configuration_defaults_to_no_servers():
    assert rtc_configuration(None) == {"iceServers": []}
    assert rtc_configuration("  ") == {"iceServers": []}


@pytest.mark.parametrize("value", ['[{"urls": ["stun:stun.example.org:3478"]}]',
                                   '{"iceServers": [{"urls": "turn:t.example.org",'
                                   ' "username": "u", "credential": "p"}]}'])
def test_rtc_configuration_reads_json(value):
    cfg = rtc_configuration(value)
    assert len(cfg["iceServers"]) == 1 and "urls" in cfg["iceServers"][0]


@pytest.mark.parametrize("value", ["not json", '{"urls": 1}', '[{"url": "stun:x"}]'])
def test_rtc_configuration_rejects_bad_values_clearly(value):
    with pytest.raises(PosecheckError, match="POSECHECK_ICE_SERVERS"):
        rtc_configuration(value)


# ---------------------------------------------------------------------------- real core
@pytest.fixture(scope="module")
def good_lunge(tmp_path_factory) -> Path:
    return sample_clip("deep_lunge_good_right", tmp_path_factory.mktemp("samples"))


@pytest.mark.slow
def test_live_hold_matches_the_batch_analysis_of_the_same_clip(good_lunge):
    from posecheck.analysis import analyze_frames
    from posecheck.estimator import estimate_video
    from posecheck.live import run_on_video
    from posecheck.session import StretchSession
    from posecheck.specs import load_spec

    spec = load_spec("deep_lunge")
    from posecheck.models import DEFAULT_MODEL

    processor = LiveProcessor(spec, model=DEFAULT_MODEL)
    live = run_on_video(processor, good_lunge)
    processor.close()
    track = estimate_video(good_lunge, DEFAULT_MODEL, progress=False)
    frame_s = 1.0 / track.info.fps
    assert live.frames == len(track.frames)
    assert live.pose_fraction > 0.9

    # The batch's frames through the per-frame session, as the page would have run them.
    session = StretchSession(spec, smoothing="live")
    replay = [session.update(f) for f in track.frames][-1].hold.valid_s_by_side
    assert sum(replay.values()) > 1.0  # a good-form clip: the hold really counts
    for side in ("left", "right"):
        assert live.valid_s_by_side[side] == pytest.approx(replay[side], abs=2 * frame_s)

    # analyze_frames relabels the legs by a majority vote over the whole clip
    # (fix_leg_labels); the live session follows the majority as it forms, so on a clip the
    # model reads steadily both book the same seconds to the same side.
    batch = analyze_frames(track.frames, spec, fps=track.info.fps, smoothing="live")
    batch_s = batch.final_hold.valid_s_by_side
    for side in ("left", "right"):
        assert live.valid_s_by_side[side] == pytest.approx(batch_s[side], abs=5 * frame_s)
